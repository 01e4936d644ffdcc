"""Bounds of the shared HTTP layer, for any backend: paging bounded by what arrived, a deadline per
request, a cap on bodies, and no untyped exception out of `ApiHttp.send`.

The deadline tests run a real slow server on loopback (a tiny asyncio server trickling bytes) and
wait on the typed error; the server's pace is its own, the test never sleeps.
"""

from __future__ import annotations

import asyncio
import gzip
import tracemalloc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import h11
import httpx
import pytest

from crmtui.backends.errors import BackendError, ListingTooLarge, MalformedResponse, Offline, ServerError, TooSlow
from crmtui.backends.http import ApiHttp, RetryPolicy, fetch_all_pages
from crmtui.backends.paging import PagingLimits, check_ids, fetch_cursor_pages, fetch_offset_pages
from crmtui.backends.onepagecrm.client import OnePageCRMClient
from tests.support.waits import HANG_GUARD

SAFETY = HANG_GUARD
"""Seconds after which a test gives up on a call that should have ended long before (a bound, not a wait)."""


# -- page-number paging ----------------------------------------------------------------------------


@dataclass
class Page:
    items: list[str]
    total_count: int = 0
    page: int = 1
    per_page: int = 0
    max_page: int = 0


class Server:
    """A listing of `size` items served `per_page` at a time, whose metadata claims what it is told."""

    def __init__(self, size: int, per_page: int = 100, *, max_page: int = 0, total: int | None = None, same_page: bool = False):
        self.size, self.per_page, self.max_page = size, per_page, max_page
        self.total = size if total is None else total
        self.same_page = same_page
        self.calls: list[int] = []
        self.in_flight = self.peak = 0

    async def fetch(self, number: int) -> Page:
        self.calls.append(number)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            for _ in range(3):
                await asyncio.sleep(0)
            start = 0 if self.same_page else (number - 1) * self.per_page
            items = [f"item{i}" for i in range(start, min(self.size, start + self.per_page))]
            return Page(items, total_count=self.total, page=number, per_page=self.per_page, max_page=self.max_page)
        finally:
            self.in_flight -= 1


@pytest.mark.parametrize(
    ("max_page", "total"),
    [(12_345, 121), (12_345, 0), (12_345, 10**9)],
)
async def test_a_wrong_max_page_costs_at_most_one_window_of_requests(max_page: int, total: int) -> None:
    server = Server(121, max_page=max_page, total=total)
    result = await asyncio.wait_for(fetch_all_pages(server.fetch, per_page=100, concurrency=6), SAFETY)
    assert result.items == [f"item{i}" for i in range(121)]
    assert len(server.calls) <= 1 + 6  # page 1, then at most one window before page 2 comes back short


@pytest.mark.parametrize(("max_page", "total"), [(10**18, 121), (10**18, 10**18), (0, 10**18)])
async def test_an_absurd_max_page_or_total_plans_nothing_it_has_not_seen(max_page: int, total: int) -> None:
    server = Server(121, max_page=max_page, total=total)
    progress: list[tuple[int, int]] = []
    tracemalloc.start()
    try:
        result = await asyncio.wait_for(
            fetch_all_pages(server.fetch, per_page=100, concurrency=6, on_progress=lambda d, t: progress.append((d, t))),
            SAFETY,
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(result.items) == 121 and len(server.calls) <= 7
    assert peak < 2_000_000  # bytes: no task or list per claimed page
    assert all(t <= 100 * 2_001 for _, t in progress)  # the progress total is what the pages can hold


async def test_page_numbers_keep_six_requests_in_flight() -> None:
    server = Server(2_000, per_page=100, max_page=20, total=2_000)
    first_seen: list[list[int]] = []
    result = await fetch_all_pages(
        server.fetch, per_page=100, concurrency=6, on_first=lambda items: first_seen.append(list(server.calls))
    )
    assert len(result.items) == 2_000 and sorted(server.calls) == list(range(1, 21))
    assert server.peak == 6 and first_seen == [[1]]


async def test_an_empty_page_ends_the_listing_even_if_more_are_claimed() -> None:
    server = Server(250, per_page=100, max_page=50, total=5_000)
    result = await fetch_all_pages(server.fetch, per_page=100, concurrency=2)
    assert len(result.items) == 250 and result.pages == 3 and max(server.calls) <= 5


@pytest.mark.parametrize("slow_short_page", [False, True], ids=["in order", "the short page lands last"])
async def test_a_short_page_in_the_middle_does_not_cut_the_listing(slow_short_page: bool) -> None:
    """Page 3 of 6 comes back short (a server's quirk, or records deleted meanwhile): the pages after it,
    already on their way, bring records, so it was not the end and nothing is dropped."""
    gate = asyncio.Event()

    async def fetch(number: int) -> Page:
        count = 60 if number == 3 else 100 if number < 6 else 40
        if number == 3 and slow_short_page:
            await gate.wait()  # released once the later pages are in
        elif number == 6:
            gate.set()
        for _ in range(3):
            await asyncio.sleep(0)
        return Page([f"{number}-{i}" for i in range(count)], total_count=540, page=number, per_page=100, max_page=6)

    result = await asyncio.wait_for(fetch_all_pages(fetch, per_page=100, concurrency=6), SAFETY)
    assert len(result.items) == 500 and result.pages == 6


async def test_zero_based_page_numbers() -> None:
    asked: list[int] = []

    async def fetch(number: int) -> Page:  # Crust: page 0 is the first
        asked.append(number)
        items = [f"{number}-{i}" for i in range(10)] if number < 3 else []
        return Page(items, total_count=30, per_page=10)

    result = await fetch_all_pages(fetch, per_page=10, concurrency=3, first_page=0)
    assert sorted(asked) == [0, 1, 2] and result.items[0] == "0-0" and result.items[-1] == "2-9"


async def test_a_server_that_ignores_the_page_number_is_refused() -> None:
    server = Server(100, per_page=100, max_page=10**18, total=10**18, same_page=True)
    with pytest.raises(MalformedResponse, match="repeat"):
        await asyncio.wait_for(fetch_all_pages(server.fetch, per_page=100, concurrency=6, key=lambda item: item), SAFETY)
    assert len(server.calls) <= 7


async def test_a_listing_beyond_the_page_cap_is_an_error_not_an_endless_fetch() -> None:
    server = Server(10**9, per_page=10, max_page=10**18, total=10**18)
    with pytest.raises(ListingTooLarge):
        await asyncio.wait_for(
            fetch_all_pages(server.fetch, per_page=10, concurrency=6, limits=PagingLimits(max_pages=30)), SAFETY
        )
    assert len(server.calls) <= 31 + 6


async def test_a_listing_beyond_the_item_cap_is_an_error() -> None:
    server = Server(10**6, per_page=100, max_page=10_000)
    with pytest.raises(ListingTooLarge):
        await fetch_all_pages(server.fetch, per_page=100, concurrency=6, limits=PagingLimits(max_items=1_000))
    assert len(server.calls) <= 11 + 6


# -- offset and cursor paging ------------------------------------------------------------------------


@dataclass
class OffsetPage:
    items: list[str]
    more: bool
    next_start: int | None = None


@dataclass
class CursorPage:
    items: list[str]
    next_cursor: str | None


async def test_offset_paging_follows_next_start_until_there_is_no_more() -> None:
    starts: list[int] = []

    async def fetch(start: int) -> OffsetPage:
        starts.append(start)
        items = [f"lead{i}" for i in range(start, min(25, start + 10))]
        return OffsetPage(items, more=start + 10 < 25, next_start=start + 10)

    first: list[list[str]] = []
    result = await fetch_offset_pages(fetch, on_first=lambda items: first.append(list(items)))
    assert starts == [0, 10, 20] and len(result.items) == 25 and len(first) == 1


async def test_offset_paging_without_next_start_moves_by_what_arrived() -> None:
    async def fetch(start: int) -> OffsetPage:
        return OffsetPage([f"x{i}" for i in range(start, min(7, start + 3))], more=start + 3 < 7)

    assert len((await fetch_offset_pages(fetch)).items) == 7


@pytest.mark.parametrize("next_start", [0, 5, -1])
async def test_offset_paging_refuses_an_offset_that_does_not_move_forward(next_start: int) -> None:
    calls = 0

    async def fetch(start: int) -> OffsetPage:
        nonlocal calls
        calls += 1
        return OffsetPage(["a", "b"], more=True, next_start=next_start)

    with pytest.raises(MalformedResponse, match="do not move forward"):
        await asyncio.wait_for(fetch_offset_pages(fetch, start=5), SAFETY)
    assert calls <= 2


async def test_offset_paging_ends_on_an_empty_page_whatever_more_says() -> None:
    async def fetch(start: int) -> OffsetPage:
        return OffsetPage([] if start else ["a"], more=True, next_start=start + 1)

    assert (await fetch_offset_pages(fetch)).items == ["a"]


async def test_offset_paging_is_capped() -> None:
    async def fetch(start: int) -> OffsetPage:  # "more" forever
        return OffsetPage([f"x{start}"], more=True, next_start=start + 1)

    with pytest.raises(ListingTooLarge):
        await asyncio.wait_for(fetch_offset_pages(fetch, limits=PagingLimits(max_pages=50)), SAFETY)


async def test_cursor_paging_until_there_is_no_next_cursor() -> None:
    chain = {None: ("a", "t1"), "t1": ("b", "t2"), "t2": ("c", None)}

    async def fetch(cursor: str | None) -> CursorPage:
        item, following = chain[cursor]
        return CursorPage([item], following)

    assert (await fetch_cursor_pages(fetch)).items == ["a", "b", "c"]


async def test_cursor_paging_refuses_a_cursor_seen_before() -> None:
    chain = {None: "t1", "t1": "t2", "t2": "t1"}
    calls = 0

    async def fetch(cursor: str | None) -> CursorPage:
        nonlocal calls
        calls += 1
        return CursorPage([f"item{calls}"], chain[cursor])

    with pytest.raises(MalformedResponse, match="do not move forward"):
        await asyncio.wait_for(fetch_cursor_pages(fetch), SAFETY)
    assert calls == 3


async def test_cursor_paging_is_capped() -> None:
    async def fetch(cursor: str | None) -> CursorPage:
        number = int(cursor or 0)
        return CursorPage([str(number)], str(number + 1))

    with pytest.raises(ListingTooLarge):
        await asyncio.wait_for(fetch_cursor_pages(fetch, limits=PagingLimits(max_items=40)), SAFETY)


@pytest.mark.parametrize(("ids", "says"), [(["a", "b", "a"], "twice"), (["a", None], "without an id"), (["a", ""], "without an id")])
def test_one_page_with_missing_or_equal_ids_is_malformed(ids: list, says: str) -> None:
    with pytest.raises(MalformedResponse, match=says):
        check_ids(ids, lambda item: item, "contacts")
    check_ids(["a", "b"], lambda item: item, "contacts")


# -- a deadline for every request, against a real slow server ------------------------------------------


class SlowServer:
    """A loopback HTTP server that answers at its own pace: `answer(reader, writer)` per connection."""

    def __init__(self, answer: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]) -> None:
        self.answer = answer
        self.requests = 0
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task] = set()

    async def __aenter__(self) -> SlowServer:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/api/v3"

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await reader.readuntil(b"\r\n\r\n")
            self.requests += 1
            await self.answer(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()


async def trickle(writer: asyncio.StreamWriter, reader: asyncio.StreamReader, data: bytes, pace: float = 0.02) -> None:
    """Write `data` then spaces one byte at a time, until the client hangs up (each byte resets a read timeout)."""
    gone = asyncio.ensure_future(reader.read(1))
    try:
        index = 0
        while not gone.done():
            writer.write(data[index : index + 1] or b" ")
            index += 1
            await writer.drain()
            await asyncio.wait({gone}, timeout=pace)
    finally:
        gone.cancel()


HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"


async def trickled_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(HEAD)
    await trickle(writer, reader, b'{"status": 0, "data": {')


async def trickled_headers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await trickle(writer, reader, HEAD.replace(b"\r\n\r\n", b"\r\nX-Pad: " + b"a" * 100_000))


def generic_http(url: str, deadline: float, **kw) -> ApiHttp:
    return ApiHttp(
        url, auth=None, error_for=lambda response: ServerError(f"status {response.status_code}"),
        retry=RetryPolicy(attempts=1), deadline=deadline, **kw,
    )


@pytest.mark.parametrize("answer", [trickled_body, trickled_headers], ids=["body", "headers"])
async def test_a_trickling_server_ends_in_too_slow_within_the_deadline(answer) -> None:
    async with SlowServer(answer) as server:
        http = generic_http(server.url, deadline=0.5)
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(TooSlow) as caught:
            await asyncio.wait_for(http.send("GET", "contacts"), SAFETY)
        await http.aclose()
    assert loop.time() - started < SAFETY
    assert isinstance(caught.value, Offline) and caught.value.maybe_sent
    assert caught.value.user_message.startswith("The server is too slow: no complete answer within 0.5 s")


async def test_the_onepagecrm_client_gives_its_requests_the_deadline() -> None:
    async with SlowServer(trickled_body) as server:
        api = OnePageCRMClient("u", "k", base_url=server.url, deadline=0.5, retry=RetryPolicy(attempts=2, base_delay=0.01, budget=30))
        with pytest.raises(TooSlow):
            await asyncio.wait_for(api.bootstrap(), SAFETY)
        await api.aclose()
    assert server.requests == 2  # a GET is retried once within the retry budget, then the typed error


# -- nothing untyped gets out of ApiHttp.send ----------------------------------------------------------


async def bad_gzip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    body = b"this is not gzip at all"
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
                 + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    await writer.drain()


async def cut_gzip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    body = gzip.compress(b'{"status": 0, "data": {}}' * 50)[:40]
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: deflate\r\n"
                 + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    await writer.drain()


@pytest.mark.parametrize("answer", [bad_gzip, cut_gzip])
async def test_a_badly_compressed_body_is_malformed_not_a_decoding_error(answer) -> None:
    async with SlowServer(answer) as server:
        http = generic_http(server.url, deadline=10)
        with pytest.raises(MalformedResponse, match="could not be decoded"):
            await asyncio.wait_for(http.send("GET", "contacts"), SAFETY)
        await http.aclose()


async def gzip_bomb(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    body = gzip.compress(b" " * (4 << 20))
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
                 + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    await writer.drain()


async def test_a_body_beyond_the_cap_is_refused_while_it_is_read() -> None:
    async with SlowServer(gzip_bomb) as server:
        http = generic_http(server.url, deadline=10, max_body=1 << 20)
        with pytest.raises(MalformedResponse, match="larger than crmtui reads"):
            await asyncio.wait_for(http.send("GET", "contacts"), SAFETY)
        await http.aclose()


@pytest.mark.parametrize(
    "raised",
    [
        httpx.DecodingError("bad brotli"),
        h11.LocalProtocolError("illegal header"),
        h11.RemoteProtocolError("bad status line"),
        httpx.UnsupportedProtocol("ftp"),
        httpx.TooManyRedirects("loop"),
    ],
    ids=lambda exc: type(exc).__name__,
)
async def test_transport_and_protocol_failures_are_typed(raised: Exception) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise raised

    http = generic_http("https://crm.test/api", deadline=5, transport=httpx.MockTransport(handler))
    with pytest.raises(BackendError) as caught:
        await http.send("GET", "contacts")
    await http.aclose()
    assert isinstance(caught.value, (Offline, MalformedResponse))


async def test_an_unwrap_that_breaks_is_malformed_and_one_that_refuses_is_retried_like_an_error_answer() -> None:
    answers = iter([ServerError("200 with an error inside"), "fine"])
    tries = 0

    def unwrap(response: httpx.Response) -> str:
        nonlocal tries
        tries += 1
        outcome = next(answers)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    http = ApiHttp(
        "https://crm.test/api", auth=None, error_for=lambda r: ServerError("x"), transport=transport,
        retry=RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.001),
    )
    assert await http.send("GET", "records", unwrap=unwrap) == "fine" and tries == 2
    with pytest.raises(MalformedResponse, match="could not be read"):
        await http.send("GET", "records", unwrap=lambda response: {}["missing"])
    await http.aclose()


async def test_an_answer_read_lets_its_body_go() -> None:
    """httpx's response sits in a reference cycle that only the collector frees, and the collector is
    off while a large listing is read: once `unwrap` has read an answer, its body is let go, so a
    listing's pages do not all stay in memory until the end (what unwrap made is kept)."""
    seen: list[httpx.Response] = []

    def read(response: httpx.Response) -> bytes:
        seen.append(response)
        return response.content

    body = b'{"rows": "' + b"x" * 100_000 + b'"}'
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    http = generic_http("http://127.0.0.1:9", deadline=HANG_GUARD, transport=transport)
    try:
        assert await http.send("GET", "rows", unwrap=read) == body
        assert len(seen) == 1 and seen[0].content == b""
        kept = await http.send("GET", "rows")  # no unwrap: the caller reads the answer itself
        assert kept.content == body
    finally:
        await http.aclose()

"""Paging (`fetch_all_pages`, `last_page`), Retry-After parsing and query encoding."""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
from dataclasses import dataclass, field

import pytest

from crmtui.backends.http import fetch_all_pages, last_page, parse_retry_after
from crmtui.backends.onepagecrm import wire
from crmtui.backends.onepagecrm.client import (
    ACTION_FILTERS,
    STREAM_FILTERS,
    TEAM_STREAM_FILTERS,
    query,
)


@dataclass
class FakePage:
    items: list[str]
    total_count: int = 0
    page: int = 1
    per_page: int = 0
    max_page: int = 0


@dataclass
class Listing:
    """A server listing `total` items, `served` per page, saying so (or not) in its metadata."""

    total: int
    served: int
    say_max_page: bool = True
    say_per_page: bool = True
    say_total: bool = True
    calls: list[int] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.served))

    async def fetch(self, number: int) -> FakePage:
        self.calls.append(number)
        # Later pages answer sooner, so completion order differs from page order.
        for _ in range(self.pages - number + 1):
            await asyncio.sleep(0)
        start = (number - 1) * self.served
        items = [f"item{i}" for i in range(start, min(self.total, start + self.served))]
        return FakePage(
            items=items,
            total_count=self.total if self.say_total else 0,
            page=number,
            per_page=self.served if self.say_per_page else 0,
            max_page=self.pages if self.say_max_page else 0,
        )


# -- fetch_all_pages -----------------------------------------------------------------------------


async def test_fetches_every_page_in_page_order() -> None:
    listing = Listing(total=47, served=10)
    result = await fetch_all_pages(listing.fetch, per_page=10, concurrency=3)
    assert result.items == [f"item{i}" for i in range(47)]
    assert (result.total_count, result.pages) == (47, 5)
    assert listing.calls[0] == 1 and sorted(listing.calls) == [1, 2, 3, 4, 5]


async def test_progress_reports_items_so_far_and_the_total() -> None:
    seen: list[tuple[int, int]] = []
    listing = Listing(total=35, served=10)
    await fetch_all_pages(listing.fetch, per_page=10, concurrency=4, on_progress=lambda done, total: seen.append((done, total)))
    # Page 1 first, then one report per page as it lands (the short last page lands first here).
    assert seen == [(10, 35), (15, 35), (25, 35), (35, 35)]


async def test_first_page_is_handed_over_before_the_rest_is_fetched() -> None:
    listing = Listing(total=35, served=10)
    handed: list[tuple[list[str], list[int]]] = []
    result = await fetch_all_pages(
        listing.fetch, per_page=10, concurrency=4, on_first=lambda items: handed.append((list(items), list(listing.calls)))
    )
    assert handed == [([f"item{i}" for i in range(10)], [1])]  # once, with page 1 only asked so far
    assert len(result.items) == 35


async def test_progress_never_reports_done_beyond_total() -> None:
    seen: list[tuple[int, int]] = []

    async def fetch(number: int) -> FakePage:  # the server undercounts: says 15, serves 20
        return FakePage(items=[f"{number}-{i}" for i in range(10)], total_count=15, max_page=2)

    result = await fetch_all_pages(fetch, per_page=10, concurrency=2, on_progress=lambda d, t: seen.append((d, t)))
    assert len(result.items) == 20 and seen == [(10, 15), (20, 20)]


async def test_concurrency_never_exceeds_the_bound() -> None:
    in_flight = peak = 0
    calls: list[int] = []

    async def fetch(number: int) -> FakePage:
        nonlocal in_flight, peak
        calls.append(number)
        in_flight += 1
        peak = max(peak, in_flight)
        for _ in range(3):
            await asyncio.sleep(0)
        in_flight -= 1
        return FakePage(items=[str(number)], total_count=20, max_page=20)

    result = await fetch_all_pages(fetch, per_page=1, concurrency=3)
    assert peak == 3
    assert result.items == [str(n) for n in range(1, 21)] and len(calls) == 20


@pytest.mark.parametrize("concurrency", [0, -2])
async def test_concurrency_below_one_still_fetches_one_at_a_time(concurrency: int) -> None:
    in_flight = peak = 0

    async def fetch(number: int) -> FakePage:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0)
        in_flight -= 1
        return FakePage(items=[str(number)], max_page=4)

    result = await fetch_all_pages(fetch, per_page=1, concurrency=concurrency)
    assert peak == 1 and result.items == ["1", "2", "3", "4"]


async def test_trusts_max_page_when_pages_are_shorter_than_asked() -> None:
    listing = Listing(total=40, served=10)  # asked for 100 a page, the server caps at 10
    result = await fetch_all_pages(listing.fetch, per_page=100, concurrency=6)
    assert result.pages == 4 and len(result.items) == 40 and sorted(listing.calls) == [1, 2, 3, 4]


async def test_trusts_max_page_alone() -> None:
    listing = Listing(total=40, served=10, say_per_page=False, say_total=False)
    result = await fetch_all_pages(listing.fetch, per_page=100, concurrency=6)
    assert result.pages == 4 and result.items[-1] == "item39"


async def test_pages_derived_from_total_count_without_max_page() -> None:
    listing = Listing(total=25, served=10, say_max_page=False)
    result = await fetch_all_pages(listing.fetch, per_page=100, concurrency=2)
    assert result.pages == 3 and len(result.items) == 25


async def test_pages_derived_from_item_count_without_max_page_or_per_page() -> None:
    listing = Listing(total=25, served=10, say_max_page=False, say_per_page=False)
    result = await fetch_all_pages(listing.fetch, per_page=100, concurrency=2)
    assert result.pages == 3 and result.items[-1] == "item24"


async def test_one_page_when_there_is_nothing() -> None:
    listing = Listing(total=0, served=10, say_max_page=False)
    seen: list[tuple[int, int]] = []
    result = await fetch_all_pages(listing.fetch, per_page=10, concurrency=3, on_progress=lambda d, t: seen.append((d, t)))
    assert (result.items, result.total_count, result.pages) == ([], 0, 1)
    assert listing.calls == [1] and seen == [(0, 0)]


async def test_works_with_real_wire_pages() -> None:
    async def fetch(number: int) -> wire.Page[wire.Action]:
        data = {"actions": [{"action": {"id": f"{number}-{i}"}} for i in range(2)], "total_count": "4", "max_page": "2"}
        return wire.parse_page(wire.Action, data, "actions", page=number)

    result = await fetch_all_pages(fetch, per_page=2, concurrency=2)
    assert [a.id for a in result.items] == ["1-0", "1-1", "2-0", "2-1"]


async def test_an_error_on_one_page_cancels_the_others() -> None:
    started: list[int] = []
    cancelled: list[int] = []
    never = asyncio.Event()

    async def fetch(number: int) -> FakePage:
        if number == 1:
            return FakePage(items=["a"], total_count=8, max_page=8)
        started.append(number)
        if number == 3:
            await asyncio.sleep(0)
            raise LookupError("page 3 broke")
        try:
            await never.wait()
        except asyncio.CancelledError:
            cancelled.append(number)
            raise
        return FakePage(items=[])

    with pytest.raises(LookupError, match="page 3 broke"):
        await asyncio.wait_for(fetch_all_pages(fetch, per_page=1, concurrency=3), timeout=2)
    # Page 3's failure frees its slot, so page 5 may start before the rest are cancelled;
    # pages 6..8 stay behind the gate and never start.
    assert started[:3] == [2, 3, 4] and set(started) <= {2, 3, 4, 5}
    assert sorted(cancelled) == sorted(n for n in started if n != 3)
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert others == []


async def test_an_error_on_the_first_page_propagates() -> None:
    calls: list[int] = []

    async def fetch(number: int) -> FakePage:
        calls.append(number)
        raise PermissionError("nope")

    with pytest.raises(PermissionError):
        await fetch_all_pages(fetch, per_page=10, concurrency=3)
    assert calls == [1]


# -- last_page -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "asked", "expected"),
    [
        (FakePage(items=["x"] * 10, total_count=95, per_page=10, max_page=7), 100, 7),  # max_page wins
        (FakePage(items=["x"] * 10, total_count=95, per_page=10), 100, 10),
        (FakePage(items=["x"] * 10, total_count=95), 100, 10),  # per_page missing: items on page 1
        (FakePage(items=[], total_count=95), 20, 5),  # nothing else known: the size asked
        (FakePage(items=["x"] * 10, total_count=100, per_page=10), 10, 10),
        (FakePage(items=[], total_count=0), 10, 1),
        (FakePage(items=["x"] * 3, total_count=3, max_page=0), 10, 1),
        (FakePage(items=["x"], total_count=50, per_page=10, max_page=-1), 10, 5),
    ],
)
def test_last_page(first: FakePage, asked: int, expected: int) -> None:
    assert last_page(first, asked) == expected


# -- parse_retry_after ---------------------------------------------------------------------------

NOW = 1_773_100_800.0  # 2026-03-10 00:00:00 UTC


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("3", 3.0),
        (" 3 ", 3.0),
        ("1.5", 1.5),
        ("0", 0.0),
        ("-4", 0.0),
        ("soon", None),
        ("nan", None),
        ("inf", None),
        (email.utils.formatdate(NOW + 90, usegmt=True), 90.0),
        (email.utils.formatdate(NOW - 3600, usegmt=True), 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


def test_parse_retry_after_date_uses_the_clock_by_default() -> None:
    in_a_minute = email.utils.formatdate(dt.datetime.now(dt.timezone.utc).timestamp() + 60, usegmt=True)
    assert 50 < parse_retry_after(in_a_minute) <= 60


# -- query encoding ------------------------------------------------------------------------------


def test_query_encodes_values() -> None:
    params = query(
        {
            "team": True,
            "starred": False,
            "since": dt.datetime(2026, 3, 10, 14, 30, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            "until": dt.datetime(2026, 3, 10, 9, 0),
            "modified_since": dt.date(2026, 1, 2),
            "owner_id": 12,
            "tag": None,
        },
        STREAM_FILTERS,
    )
    assert params == {
        "team": "true",
        "starred": "false",
        "since": "1773145805",  # 2026-03-10T12:30:05Z as UNIX seconds
        "until": "1773133200",  # naive: taken as UTC, 2026-03-10T09:00:00Z
        "modified_since": "2026-01-02",
        "owner_id": "12",
    }


@pytest.mark.parametrize(
    "value,sent",
    [
        (dt.datetime(2026, 3, 10, 9, 0, 0, 999_999, tzinfo=dt.timezone.utc), "1773133200"),  # floored: included
        (dt.date(2026, 3, 10), "2026-03-10"),
        (1773133200, "1773133200"),
        (1773133200.7, "1773133200"),
        ("1773133200", "1773133200"),
        ("2026-03-10", "2026-03-10"),
    ],
)
def test_time_filters_are_dates_or_unix_seconds(value: object, sent: str) -> None:
    for name in ("since", "until", "modified_since", "unmodified_since"):
        assert query({name: value}, STREAM_FILTERS) == {name: sent}


@pytest.mark.parametrize("value", ["2026-03-10T09:00:00Z", "yesterday", "2026-02-30", True])
def test_time_filters_refuse_other_forms_before_sending(value: object) -> None:
    with pytest.raises(ValueError, match="modified_since"):
        query({"modified_since": value}, STREAM_FILTERS)


def test_query_encodes_enum_members_by_value() -> None:
    assert query({"status": wire.ActionStatus.QUEUED_WITH_DATE}, ACTION_FILTERS) == {"status": "queued_with_date"}


def test_query_refuses_unknown_filters() -> None:
    with pytest.raises(TypeError, match="unsupported filter\\(s\\): colour, user_id"):
        query({"team": True, "user_id": "u1", "colour": "red"}, STREAM_FILTERS)
    assert query({"user_id": "u1"}, TEAM_STREAM_FILTERS) == {"user_id": "u1"}


async def test_client_refuses_unknown_filters_before_sending(client) -> None:
    with pytest.raises(TypeError, match="bogus"):
        await client.action_stream(bogus=1)
    with pytest.raises(TypeError, match="user_id"):
        await client.action_stream_all(user_id="someone")

"""Shared HTTP plumbing for every backend: timeouts, retries with backoff, Retry-After, paging.

A backend client owns one `ApiHttp` (one `httpx.AsyncClient`, so connections are reused) and gives
it a function that turns an error answer into a typed `BackendError`. `ApiHttp.send` retries what
is safe to retry:

- throttling (429, or whatever the backend maps to `RateLimited`) and refused connections are
  retried for every request: the server did not act on them;
- 5xx answers, timeouts and dropped connections are retried only for idempotent requests, because
  the server may have acted before failing (a POST that created a note must not create two).

Waits grow exponentially, each drawn between half and all of the backoff ("equal jitter", so never
near zero), honour Retry-After, and stop after `attempts` tries or `budget` seconds, whichever comes
first; then the last typed error is raised.
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import httpx

from crmtui.backends.errors import BackendError, Offline, RateLimited

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=30.0)
DEFAULT_LIMITS = httpx.Limits(max_connections=16, max_keepalive_connections=8, keepalive_expiry=30.0)
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

T = TypeVar("T")
ProgressCallback = Callable[[int, int], None]
ErrorMapper = Callable[[httpx.Response], BackendError]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry. `attempts` counts the first try."""

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    budget: float = 30.0
    """Seconds from the first try after which no further try starts (tries and waits together)."""

    def delay(self, retry: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait before retry number `retry` (1-based)."""
        backoff = min(self.max_delay, self.base_delay * (2 ** (retry - 1)))
        jittered = rng.uniform(backoff / 2, backoff)
        if retry_after is not None:
            return max(retry_after, jittered) if retry_after > 0 else jittered
        return jittered


NO_RETRY = RetryPolicy(attempts=1, budget=0.0)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    return max(0.0, seconds)


def offline_error(exc: httpx.TransportError, url: str) -> Offline:
    """A typed error for a request that got no usable answer."""
    if isinstance(exc, httpx.TimeoutException):
        reason = "the server did not answer in time"
    elif isinstance(exc, httpx.ConnectError):
        reason = "could not connect"
    elif isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
        reason = "the connection dropped"
    else:
        reason = "network error"
    return Offline(f"Offline: {reason} ({_host(url)})")


def _host(url: str) -> str:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return url
    return f"{parsed.host}:{parsed.port}" if parsed.port else parsed.host


def _never_sent(exc: httpx.TransportError) -> bool:
    """True when the request certainly did not reach the server, so even a POST may be repeated."""
    return isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))


class ApiHttp:
    """One configured `httpx.AsyncClient` with typed errors and retries."""

    def __init__(
        self,
        base_url: str,
        *,
        auth: httpx.Auth | tuple[str, str] | None,
        error_for: ErrorMapper,
        retry: RetryPolicy = RetryPolicy(),
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        headers: dict[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        event_hooks: dict[str, list[Callable[..., Any]]] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retry = retry
        self._error_for = error_for
        self._sleep = sleep
        self._rng = rng or random.Random()
        kwargs: dict[str, Any] = {}
        if transport is not None:
            kwargs["transport"] = transport
        self.client = httpx.AsyncClient(
            base_url=self.base_url + "/",
            auth=auth,
            timeout=timeout,
            limits=DEFAULT_LIMITS,
            headers=headers,
            event_hooks=event_hooks,
            follow_redirects=False,
            **kwargs,
        )
        self.retries = 0
        """Retries done since the client was made (for tests and benchmarks)."""

    async def aclose(self) -> None:
        await self.client.aclose()

    async def send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send until a success answer, or raise the typed error of the last try."""
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        url = path.lstrip("/")
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            retry_after: float | None = None
            try:
                response = await self.client.request(method, url, params=params, json=json)
            except httpx.TransportError as exc:
                error: BackendError = offline_error(exc, self.base_url)
                error.maybe_sent = not _never_sent(exc)  # type: ignore[attr-defined]
                retryable = idempotent or _never_sent(exc)
                cause: BaseException = exc
            else:
                if response.is_success:
                    return response
                await response.aread()
                error = self._error_for(response)
                cause = error
                if isinstance(error, RateLimited):
                    retry_after = error.retry_after
                    retryable = True
                else:
                    retryable = error.retryable and idempotent
            if not retryable or attempt >= self.retry.attempts:
                raise error from (cause if cause is not error else None)
            wait = self.retry.delay(attempt, retry_after, self._rng)
            if time.monotonic() - started + wait > self.retry.budget:
                raise error from (cause if cause is not error else None)
            self.retries += 1
            await self._sleep(wait)


class PageLike(Protocol[T]):
    items: Sequence[T]
    total_count: int
    page: int
    per_page: int
    max_page: int


P = TypeVar("P", bound=PageLike)


@dataclass
class Pages(Generic[T]):
    """Every item of a paged listing, plus what the server said about its size."""

    items: list[T]
    total_count: int
    pages: int


def last_page(first: PageLike, asked_per_page: int) -> int:
    """The number of pages to fetch, trusting max_page and total_count over short pages.

    A server may return fewer items per page than asked (it caps per_page); max_page and
    total_count still say how much there is. When max_page is missing, derive it from
    total_count and the page size the server really used.
    """
    if first.max_page and first.max_page > 0:
        return first.max_page
    size = first.per_page or len(first.items) or asked_per_page
    if first.total_count and size:
        return max(1, math.ceil(first.total_count / size))
    return 1


async def fetch_all_pages(
    fetch: Callable[[int], Awaitable[PageLike]],
    *,
    per_page: int,
    concurrency: int,
    on_progress: ProgressCallback | None = None,
    on_first: Callable[[Sequence[Any]], None] | None = None,
) -> Pages[Any]:
    """Page 1 first, then the rest with at most `concurrency` requests in flight, in page order.

    `on_first` gets page 1's items as soon as they arrive (a screen can show them meanwhile).
    """
    first = await fetch(1)
    if on_first is not None:
        on_first(first.items)
    total = max(first.total_count, len(first.items))
    pages = last_page(first, per_page)
    fetched = len(first.items)
    if on_progress is not None:
        on_progress(fetched, total)
    results: dict[int, Sequence[Any]] = {1: first.items}
    if pages > 1:
        gate = asyncio.Semaphore(max(1, concurrency))

        async def one(number: int) -> None:
            nonlocal fetched
            async with gate:
                page = await fetch(number)
            results[number] = page.items
            fetched += len(page.items)
            if on_progress is not None:
                on_progress(min(fetched, max(total, fetched)), max(total, fetched))

        tasks = [asyncio.ensure_future(one(n)) for n in range(2, pages + 1)]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
    items = [item for number in sorted(results) for item in results[number]]
    return Pages(items=items, total_count=total, pages=pages)

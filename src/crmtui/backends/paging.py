"""Paging helpers for every backend, bounded by what has actually arrived.

Three styles: page numbers (OnePageCRM 1-based, Crust 0-based; concurrent), offsets (Pipedrive's
start/limit with more_items_in_collection; sequential) and cursors (page tokens; sequential).

A server's own claims (max_page, total_count, "more items") only ever *limit* what is fetched; they
never make it fetch more than the answers bear out. Every helper goes through a `PageGuard`:

- a hard cap on pages and on items (`PagingLimits`): a listing beyond it is `ListingTooLarge`;
- a page that comes back empty or short (fewer items than the first page had) is the last one,
  unless a page already on its way when it came brings records after it;
- page numbers are launched lazily, at most `concurrency` in flight, so an absurd `max_page` costs at
  most one window of requests, not one task per claimed page;
- a repeated offset or cursor, or a page that repeats records already seen, is `MalformedResponse`.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from crmtui.backends.errors import ListingTooLarge, MalformedResponse

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
ProgressCallback = Callable[[int, int], None]
KeyOf = Callable[[Any], Hashable]


@dataclass(frozen=True)
class PagingLimits:
    """Hard caps on one listing, whatever the server claims."""

    max_pages: int = 2_000
    max_items: int = 200_000


DEFAULT_LIMITS = PagingLimits()


@dataclass
class Pages(Generic[T]):
    """Every item of a paged listing, plus what the server said about its size."""

    items: list[T]
    total_count: int
    pages: int


# Read-only members (properties), so that a page holding `items: list[Contact]` is a PageLike[Contact]:
# a plain attribute of a protocol must match its type exactly, list is not Sequence.
class PageLike(Protocol[T_co]):
    @property
    def items(self) -> Sequence[T_co]: ...
    @property
    def total_count(self) -> int: ...
    @property
    def page(self) -> int: ...
    @property
    def per_page(self) -> int: ...
    @property
    def max_page(self) -> int: ...


class OffsetPageLike(Protocol[T_co]):
    @property
    def items(self) -> Sequence[T_co]: ...
    @property
    def more(self) -> bool:
        """The server says more items follow (Pipedrive: additional_data.pagination.more_items_in_collection)."""
        ...
    @property
    def next_start(self) -> int | None:
        """Where the next page starts, when the server says (None: this start plus the items received)."""
        ...


class CursorPageLike(Protocol[T_co]):
    @property
    def items(self) -> Sequence[T_co]: ...
    @property
    def next_cursor(self) -> str | None:
        """The token of the next page (None or empty: this is the last page)."""
        ...


def check_ids(items: Sequence[Any], key: KeyOf, what: str) -> None:
    """Refuse one page whose records lack an id or share one: merged by id, they would vanish."""
    seen: set[Hashable] = set()
    for item in items:
        ident = key(item)
        if ident is None or ident == "":
            raise MalformedResponse(f"The server's {what} include a record without an id")
        if ident in seen:
            raise MalformedResponse(f"The server's {what} list the same record twice on one page")
        seen.add(ident)


class PageGuard:
    """What every paging helper goes through: caps, repeated positions, repeated pages."""

    def __init__(self, limits: PagingLimits = DEFAULT_LIMITS, *, what: str = "listing", key: KeyOf | None = None) -> None:
        self.limits = limits
        self.what = what
        self.key = key
        self.pages = 0
        self.items = 0
        self._positions: set[Hashable] = set()
        self._keys: set[Hashable] = set()

    def admit(self, items: Sequence[Any], where: Hashable) -> None:
        """Count one page that arrived; refuse it when the listing outgrows the caps or repeats itself."""
        self.pages += 1
        self.items += len(items)
        if not items:
            return  # an empty page ends a listing; it never makes one too large
        if self.pages > self.limits.max_pages or self.items > self.limits.max_items:
            raise self.too_large()
        if self.key is None:
            return
        keys = {self.key(item) for item in items}
        if len(items) > 1 and keys <= self._keys:
            raise MalformedResponse(f"The server's {self.what} repeat themselves (page {where} brings nothing new)")
        self._keys |= keys

    def position(self, where: Hashable) -> None:
        """Refuse an offset or cursor already asked for: the listing would never end."""
        if where in self._positions:
            raise MalformedResponse(f"The server's {self.what} do not move forward (page {where!s:.40} again)")
        self._positions.add(where)

    def too_large(self) -> ListingTooLarge:
        return ListingTooLarge(
            f"The server's {self.what} are larger than crmtui reads "
            f"({self.limits.max_pages:,} pages or {self.limits.max_items:,} records)"
        )


def last_page(first: PageLike[Any], asked_per_page: int, limits: PagingLimits = DEFAULT_LIMITS) -> int:
    """The last page number worth asking for (1-based count), from what the first page claims.

    max_page and total_count each bound it (the smaller wins: a wild max_page does not beat a sane
    total); per_page falls back to the first page's size, then the size asked. At most one page beyond
    the cap, so that a listing larger than the cap is noticed (the guard refuses that page).
    """
    claims: list[int] = []
    if first.max_page and first.max_page > 0:
        claims.append(first.max_page)
    size = first.per_page if first.per_page and first.per_page > 0 else len(first.items) or asked_per_page
    if first.total_count and first.total_count > 0 and size:
        claims.append(math.ceil(first.total_count / size))
    return max(1, min([*claims, limits.max_pages + 1])) if claims else 1


async def fetch_all_pages(
    fetch: Callable[[int], Awaitable[PageLike[T]]],
    *,
    per_page: int,
    concurrency: int,
    on_progress: ProgressCallback | None = None,
    on_first: Callable[[Sequence[T]], None] | None = None,
    first_page: int = 1,
    key: KeyOf | None = None,
    limits: PagingLimits = DEFAULT_LIMITS,
    what: str = "listing",
) -> Pages[T]:
    """The first page, then the rest with at most `concurrency` requests in flight, in page order.

    `on_first` gets the first page's items as soon as they arrive (a screen can show them meanwhile).
    `first_page` is 1 for 1-based APIs, 0 for 0-based ones; `key` (a record's id) lets a page that
    only repeats earlier records be refused.
    """
    guard = PageGuard(limits, what=what, key=key)
    first = await fetch(first_page)
    guard.admit(first.items, first_page)
    if on_first is not None:
        on_first(first.items)
    size = len(first.items)
    count = last_page(first, per_page, limits) if size else 1
    total = min(max(first.total_count, size), count * size)
    fetched = size
    if on_progress is not None:
        on_progress(fetched, total)
    results: dict[int, Sequence[T]] = {1: first.items}
    stop_at = count  # the last page (1-based position) still wanted; shrinks when a page ends short
    beyond: dict[int, BaseException] = {}  # pages past a short one that failed: needed only if it was not the end
    running: dict[asyncio.Task[PageLike[T]], int] = {}
    landed: asyncio.Queue[asyncio.Task[PageLike[T]]] = asyncio.Queue()  # in the order pages arrive
    following = 2
    width = max(1, concurrency)
    try:
        while following <= stop_at or running:
            while following <= stop_at and len(running) < width:
                task = asyncio.ensure_future(fetch(first_page + following - 1))
                task.add_done_callback(landed.put_nowait)
                running[task] = following
                following += 1
            task = await landed.get()
            number = running.pop(task)
            error = task.exception()
            if number > stop_at:  # launched before an earlier page came back short
                if error is not None:
                    beyond[number] = error
                    continue
                if not task.result().items:
                    continue  # empty: the short page was the end
                # Records after the short page: it was not the end (a server may send a short page
                # in the middle); fetch on up to what the first page claimed, within the caps.
                stop_at = count
                missed = [n for n in sorted(beyond) if n <= stop_at]
                if missed:
                    raise beyond[missed[0]]
            elif error is not None:
                raise error
            page = task.result()
            guard.admit(page.items, first_page + number - 1)
            results[number] = page.items
            fetched += len(page.items)
            if len(page.items) < size and not any(results[n] for n in results if n > number):
                stop_at = min(stop_at, number)  # the end, unless a later page says otherwise (above)
            if on_progress is not None:
                on_progress(min(fetched, max(total, fetched)), max(total, fetched))
    finally:
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)
    kept = [number for number in sorted(results) if number <= stop_at]
    items = [item for number in kept for item in results[number]]
    return Pages(items=items, total_count=max(total, len(items)), pages=len(kept))


async def _one_at_a_time(
    fetch: Callable[[Any], Awaitable[Any]],
    first: Hashable,
    following: Callable[[Any, Any], Hashable | None],
    guard: PageGuard,
    on_progress: ProgressCallback | None,
    on_first: Callable[[Sequence[Any]], None] | None,
) -> Pages[Any]:
    """Pages one after another from `first`, each next position given by `following(page, position)`
    (None: that was the last page); an empty page ends too, a position seen before is refused."""
    items: list[Any] = []
    position: Any = first
    while True:
        guard.position(position)
        page = await fetch(position)
        guard.admit(page.items, position if position is not None else "first")
        if guard.pages == 1 and on_first is not None:
            on_first(page.items)
        items.extend(page.items)
        if on_progress is not None:
            on_progress(len(items), len(items))
        position = following(page, position) if page.items else None
        if position is None:
            return Pages(items=items, total_count=len(items), pages=guard.pages)


async def fetch_offset_pages(
    fetch: Callable[[int], Awaitable[OffsetPageLike[T]]],
    *,
    start: int = 0,
    on_progress: ProgressCallback | None = None,
    on_first: Callable[[Sequence[T]], None] | None = None,
    key: KeyOf | None = None,
    limits: PagingLimits = DEFAULT_LIMITS,
    what: str = "listing",
) -> Pages[T]:
    """Offset paging, one page at a time (`fetch(start)`), until the server says there is no more.

    Ends on an empty page too; an offset that does not move forward is refused.
    """

    def following(page: OffsetPageLike[T], offset: int) -> int | None:
        if not page.more:
            return None
        after = page.next_start if page.next_start is not None else offset + len(page.items)
        if after <= offset:
            raise MalformedResponse(f"The server's {what} do not move forward (next start {after} after {offset})")
        return after

    guard = PageGuard(limits, what=what, key=key)
    return await _one_at_a_time(fetch, start, following, guard, on_progress, on_first)


async def fetch_cursor_pages(
    fetch: Callable[[str | None], Awaitable[CursorPageLike[T]]],
    *,
    on_progress: ProgressCallback | None = None,
    on_first: Callable[[Sequence[T]], None] | None = None,
    key: KeyOf | None = None,
    limits: PagingLimits = DEFAULT_LIMITS,
    what: str = "listing",
) -> Pages[T]:
    """Cursor paging, one page at a time (`fetch(None)` first, then each page's `next_cursor`).

    Ends when a page has no next cursor or no items; a cursor seen before is refused.
    """
    guard = PageGuard(limits, what=what, key=key)
    return await _one_at_a_time(fetch, None, lambda page, _cursor: page.next_cursor or None, guard, on_progress, on_first)

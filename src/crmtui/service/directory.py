"""The directory: every contact of the account kept here, small, so find anyone (`f`) searches the
whole account offline (issue 13: 100,000 contacts within 50 ms a keystroke).

The first read takes every page of the account's contacts one request at a time, in the background
once the first screen is loaded; each page is written to the cache as it lands (kind `directory`),
with the last page read and when the read started (the cache's meta), so a restart resumes where it
stopped and a start needs no request. Once complete, a refresh asks for what changed since the read
started (less a margin, the server's clock); now and then (`FULL_EVERY`) every page is read again and
what the server no longer has is dropped. The session's own deletes drop their row at once (`drop`).

Everything the cache does runs in its own thread; rows are decoded there, never on the event loop.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from crmtui.backends.base import Backend, ContactDirectoryApi
from crmtui.backends.errors import BackendError
from crmtui.domain.capabilities import Capability
from crmtui.domain.directory import DirectoryRow
from crmtui.store.cache import Cache

__all__ = ["FULL_EVERY", "KIND", "MARGIN", "META", "PER_PAGE", "ContactDirectory", "directory_for"]

log = logging.getLogger(__name__)

KIND = "directory"
META = "directory"
"""The cache's meta key of the read's progress (`_State`)."""
PER_PAGE = 100
MARGIN = dt.timedelta(minutes=5)
"""A refresh asks for what changed since the last read started, less this (clocks and late writes)."""
FULL_EVERY = dt.timedelta(days=1)
"""Every page read again this often: what the server no longer has is dropped."""


@dataclass
class _State:
    page: int = 0
    """The last page of the first read written here (0: none)."""
    started: dt.datetime | None = None
    """The server's clock when the read (or the last refresh) started: where the next refresh starts."""
    complete: bool = False
    total: int = 0
    """Contacts the server counted at the last page read."""
    full_at: dt.datetime | None = None
    """When the last whole read started (the server's clock)."""

    def dump(self) -> dict[str, Any]:
        return {
            "page": self.page,
            "started": self.started.isoformat() if self.started else None,
            "complete": self.complete,
            "total": self.total,
            "full_at": self.full_at.isoformat() if self.full_at else None,
        }

    @classmethod
    def load(cls, raw: object) -> _State:
        if not isinstance(raw, dict):
            return cls()

        def moment(value: object) -> dt.datetime | None:
            try:
                return dt.datetime.fromisoformat(value) if isinstance(value, str) else None
            except ValueError:
                return None

        page, total = raw.get("page"), raw.get("total")
        return cls(
            page=page if isinstance(page, int) and page >= 0 else 0,
            started=moment(raw.get("started")),
            complete=raw.get("complete") is True,
            total=total if isinstance(total, int) and total >= 0 else 0,
            full_at=moment(raw.get("full_at")),
        )


class ContactDirectory:
    """Every contact of one account: `rows` (id -> row), how complete (`kept`, `expected`), and a
    `version` that changes with every change of the rows (the finder indexes again when it does)."""

    def __init__(self, backend: Backend, api: ContactDirectoryApi, cache: Cache | None) -> None:
        self.backend = backend
        self.api = api
        self.cache = cache
        self.rows: dict[str, DirectoryRow] = {}
        self.version = 0
        self.state = _State()
        self.loaded = False
        self.per_page = PER_PAGE
        self.requests = 0
        """Pages asked of the server (a measure: the benchmark reports it)."""
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    # -- what the finder reads -------------------------------------------------------------------
    @property
    def complete(self) -> bool:
        return self.state.complete

    @property
    def kept(self) -> int:
        return len(self.rows)

    @property
    def expected(self) -> int:
        """The account's contacts as the server last counted them (what is kept, when more)."""
        return max(self.state.total, len(self.rows))

    # -- the cache ---------------------------------------------------------------------------------
    async def _cache(self, fn: Callable[[Cache], Any]) -> Any:
        cache = self.cache
        if cache is None:
            return None
        try:
            return await cache.run(lambda: fn(cache))
        except Exception:  # a broken cache never breaks the directory: it is kept in memory only
            log.exception("the directory's cache failed")
            return None

    async def load(self) -> None:
        """The rows and progress kept in the cache (decoded in the cache's thread). A row found bad
        is left out and the read starts again (the cache drops a collection it salvaged)."""
        if self.loaded:
            return

        def read(cache: Cache) -> tuple[dict[str, DirectoryRow], _State]:
            state = _State.load(cache.get_meta(META))
            rows = cache.get_rows(KIND, DirectoryRow)
            if rows is None or cache.synced(KIND) is None:  # never read, or salvaged: read again from page 1
                return {row.id: row for row in rows or ()}, _State()
            return {row.id: row for row in rows}, state

        found = await self._cache(read)
        if found is not None and not self.loaded:
            self.rows, self.state = found
            self.version += 1
        self.loaded = True

    def _save(self, upserts: dict[str, DirectoryRow], removals: list[str], *, first: bool) -> None:
        """Write a page (or a refresh) and the progress to the cache, in its thread, in the background."""
        cache, state = self.cache, self.state.dump()
        if cache is None:
            return
        now = dt.datetime.now(dt.timezone.utc)

        def write(cache: Cache) -> None:
            if first:
                cache.put_rows(KIND, "", upserts, synced_at=now)
            else:
                cache.merge_rows(KIND, "", upserts, removals, synced_at=now)
            cache.set_meta(META, state)

        self._pending = asyncio.ensure_future(self._cache(write))

    async def flushed(self) -> None:
        """Once the last write to the cache is done (tests, the benchmark)."""
        pending = getattr(self, "_pending", None)
        if pending is not None:
            await pending

    # -- reading -------------------------------------------------------------------------------------
    def start(self) -> asyncio.Task[None]:
        """Bring the directory up to date in the background (one at a time; again at the next call)."""
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self.sync())
        return self._task

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def sync(self) -> None:
        """Load what is kept, then the rest of the first read, a refresh, or a whole read again when
        one is due. Offline or on a server error, it stops and the next call goes on from there."""
        async with self._lock:
            await self.load()
            try:
                if not self.state.complete:
                    await self._first_read()
                elif self._full_due(await self.backend.server_time()):
                    await self._read_again()
                else:
                    await self._refresh()
            except BackendError as exc:
                log.info("the directory's read stopped: %s", type(exc).__name__)

    def _full_due(self, now: dt.datetime) -> bool:
        full_at = self.state.full_at
        return full_at is None or now - full_at >= FULL_EVERY

    async def _first_read(self) -> None:
        state = self.state
        if state.page == 0 or state.started is None:
            state.started = state.full_at = await self.backend.server_time()
        while True:
            number = state.page + 1
            page = await self.api.directory_page(number, per_page=self.per_page)
            self.requests += 1
            fresh = {row.id: row for row in page.rows}
            self.rows.update(fresh)
            state.page, state.total = number, page.total_count
            state.complete = number >= page.max_page or not page.rows
            self.version += 1
            self._save(fresh, [], first=number == 1)
            if state.complete:
                return

    async def _refresh(self) -> None:
        """What changed since the last read started (less `MARGIN`)."""
        state = self.state
        since = (state.started or dt.datetime.min.replace(tzinfo=dt.timezone.utc)) - MARGIN
        started = await self.backend.server_time()
        number, fresh = 1, {}
        while True:
            page = await self.api.directory_page(number, per_page=self.per_page, modified_since=since)
            self.requests += 1
            fresh.update({row.id: row for row in page.rows})
            if number >= page.max_page or not page.rows:
                break
            number += 1
        changed = {key: row for key, row in fresh.items() if self.rows.get(key) != row}
        state.started = started
        if changed:
            self.rows.update(changed)
            self.version += 1
        self._save(changed, [], first=False)

    async def _read_again(self) -> None:
        """Every page again: rows changed are kept, rows the server no longer has dropped."""
        started = await self.backend.server_time()
        number, seen = 1, {}
        while True:
            page = await self.api.directory_page(number, per_page=self.per_page)
            self.requests += 1
            seen.update({row.id: row for row in page.rows})
            if number >= page.max_page or not page.rows:
                total = page.total_count
                break
            number += 1
        gone = [key for key in self.rows if key not in seen]
        changed = {key: row for key, row in seen.items() if self.rows.get(key) != row}
        for key in gone:
            del self.rows[key]
        self.rows.update(changed)
        if gone or changed:
            self.version += 1
        self.state.started = self.state.full_at = started
        self.state.total = total
        self._save(changed, gone, first=False)

    def changed_here(self, event: Any) -> None:
        """The outbox's events (`Outbox.subscribe`): a contact deleted here goes at once, one whose
        deletion is undone (taken back before it left, or restored) comes back."""
        command = getattr(event, "command", None)
        kind, happened = getattr(command, "kind", ""), getattr(event, "kind", "")
        if kind == "delete_contact" and happened == "queued":
            self.drop(command.contact_id)  # type: ignore[union-attr]  # a command has a contact id
        elif (kind, happened) in {("restore_contact", "queued"), ("delete_contact", "discarded")}:
            entry = getattr(command, "entry", None)  # the contact as it was shown
            if entry is not None:
                row = DirectoryRow.of(entry.contact)
                self.rows[row.id] = row
                self.version += 1
                self._save({row.id: row}, [], first=False)

    def drop(self, contact_id: str) -> None:
        """A contact deleted here: its row goes at once (and from the cache)."""
        if self.rows.pop(contact_id, None) is not None:
            self.version += 1
            self._save({}, [contact_id], first=False)


_DIRECTORIES: weakref.WeakKeyDictionary[Any, ContactDirectory] = weakref.WeakKeyDictionary()


def directory_for(session: Any) -> ContactDirectory | None:
    """The session's one directory, or None when its backend has none (`Capability.DIRECTORY`)."""
    found = _DIRECTORIES.get(session)
    if found is not None:
        return found
    backend: Backend = session.backend
    api = backend.features.directory
    if api is None or Capability.DIRECTORY not in backend.capabilities:
        return None
    cache = getattr(backend, "cache", None)
    found = _DIRECTORIES[session] = ContactDirectory(backend, api, cache if isinstance(cache, Cache) else None)
    outbox = getattr(session, "outbox", None)
    if outbox is not None:
        outbox.subscribe(found.changed_here)
    return found

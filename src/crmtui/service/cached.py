"""A backend that remembers: every read goes through the local cache, and the cache answers offline.

`CachedBackend` wraps the real backend behind the same `Backend` interface, so the session and the
screens do not change:

- what the server answers is written to the cache (in the cache's own thread);
- when the server cannot be reached, the last known answer is given instead (and for a short
  while after, without waiting for the network to time out again), and `stale` says so;
- in offline mode (`crmtui --offline`) the network is never used;
- the whole stream is refreshed incrementally once it has been fetched whole: what changed since
  the last sync (`modified_since`), which contacts changed at all (to see the ones that left the
  stream), and the stream's size as a check; any doubt falls back to a full fetch.

Writes pass straight through to the real backend (the outbox sends them; it uses the real
backend for its own checks too, so it never mistakes the cache for the server).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from crmtui.backends.base import Backend, ProgressCallback
from crmtui.backends.errors import Offline, TooSlow
from crmtui.domain.models import (
    Account,
    Action,
    Call,
    Contact,
    Deal,
    Meeting,
    Note,
    Notification,
    Pipeline,
    StreamEntry,
    TeamCounts,
)
from crmtui.store.cache import Cache

log = logging.getLogger(__name__)

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

OFFLINE_GRACE = 20.0
"""Seconds after a failed request during which reads come from the cache without trying the network."""
SINCE_MARGIN = dt.timedelta(minutes=2)
"""An incremental refresh asks for a little more than strictly changed (clock steps, in-flight writes)."""

FULL_SYNC_EVERY = dt.timedelta(hours=12)
"""An incremental refresh cannot see everything (a contact deleted, an action deleted without its
contact counting as modified): a full fetch at least this often puts any such drift right."""

STREAM = "stream"
TEAM = "team"
ACCOUNT = "account"


class OfflineMode(Offline):
    """Offline mode (or no network) and nothing cached for what was asked."""

    maybe_sent = False


class CachedBackend:
    """`inner` with a cache in front for reads; see the module docstring."""

    def __init__(
        self,
        inner: Backend,
        cache: Cache | None,
        *,
        offline: bool = False,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.inner = inner
        self.cache = cache
        self.offline = offline
        """Never use the network (crmtui --offline)."""
        self.name = inner.name
        self.capabilities = inner.capabilities
        self._clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self._offline_until = 0.0
        self.offline_since: dt.datetime | None = None
        """When the network stopped answering (None: it answers)."""
        self.stale = False
        """Whether the last read came from the cache because the server could not be reached."""
        self.offline_error: Offline | None = None
        """Why the server could not be used last (an Offline, or TooSlow), until it answers again."""
        self.last_sync: dict[str, Any] = {}
        """How the last whole-stream read went: mode (full/incremental/cache), requests, contacts changed."""
        self._user_id: str | None = None
        self._known: dict[str, list[StreamEntry]] = {}
        """The stream as last read whole (from the cache or the server): an incremental refresh starts
        from it instead of reading the cache again."""

    def __getattr__(self, name: str) -> Any:  # writes and anything not cached: the real backend
        return getattr(self.inner, name)

    # -- plumbing ----------------------------------------------------------------------------------
    def _now(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc)

    # -- the local copy, as the app sees it (LocalCopy) ---------------------------------------------
    @property
    def notice(self) -> str | None:
        """Said once on start: the cache file was damaged and has been rebuilt."""
        return self.cache.notice if self.cache is not None else None

    async def last_synced(self) -> dt.datetime | None:
        """When the stream was last read whole from the server (None: never, or no cache)."""
        cache = self.cache
        return await self._cache(cache.last_synced) if cache is not None else None

    def request_full_sync(self) -> None:
        """The next stream read fetches everything, not only what changed (R)."""
        if self.cache is not None:
            self.cache.needs_full_sync = True

    def mark_online(self) -> None:
        """The server answered (here or to the outbox): stop serving from the cache."""
        self._offline_until = 0.0
        self.offline_since = None
        self.offline_error = None

    def _went_offline(self) -> None:
        self._offline_until = time.monotonic() + OFFLINE_GRACE
        if self.offline_since is None:
            self.offline_since = self._clock()

    def _skip_network(self) -> bool:
        return self.offline or time.monotonic() < self._offline_until

    async def _cache(self, fn: Callable[[], T]) -> T | None:
        """Run a cache operation off the loop; a broken cache never breaks a read."""
        if self.cache is None:
            return None
        try:
            return await self.cache.run(fn)
        except Exception as exc:  # noqa: BLE001 - the cache is a copy: carry on without it
            log.warning("cache operation failed: %s", exc)
            return None

    def _save(self, fn: Callable[[], object]) -> None:
        """Write to the cache in the background: the answer is not kept waiting for the disk."""
        if self.cache is None:
            return
        task = asyncio.ensure_future(self._cache(fn))
        _pending_writes.add(task)
        task.add_done_callback(_pending_writes.discard)

    async def _read(
        self,
        fetch: Callable[[], Awaitable[T]],
        cached: Callable[[], T | None],
        save: Callable[[T], Callable[[], object]] | None,
        what: str,
    ) -> T:
        """The server's answer (saved to the cache), or the cache's when the server is out of reach."""
        if not self._skip_network():
            try:
                value = await fetch()
            except Offline as exc:
                self._went_offline()
                self.offline_error = exc
            else:
                self.mark_online()
                self.stale = False
                if save is not None:
                    self._save(save(value))
                return value
        found = await self._cache(cached)
        if found is None:
            if isinstance(self.offline_error, TooSlow) and not self.offline:
                raise self.offline_error  # "too slow" says more than "not in the cache"
            if self.offline:
                raise OfflineMode(f"Offline mode: {what} is not in the local cache")
            raise OfflineMode(f"Offline: {what} could not be fetched and is not in the local cache")
        self.stale = True
        return found

    def _me(self, user_id: str | None) -> str:
        return user_id or self._user_id or ""

    def _stamp(self) -> dict[str, Any]:
        return {"synced_at": self._clock()}

    # -- session -----------------------------------------------------------------------------------
    async def connect(self) -> Account:
        cache = self.cache
        account = await self._read(
            self.inner.connect,
            lambda: cache.get_one(ACCOUNT, Account) if cache else None,
            lambda a: lambda: cache.put_one(ACCOUNT, "", a, **self._stamp()) if cache else None,
            "the account",
        )
        self._user_id = account.user.id
        return account

    async def cached_account(self) -> Account | None:
        """The account as last fetched (no network)."""
        cache = self.cache
        account = await self._cache(lambda: cache.get_one(ACCOUNT, Account)) if cache else None
        if account is not None:
            self._user_id = account.user.id
        return account

    async def cached_stream(
        self, user_id: str | None = None, *, limit: int | None = None
    ) -> tuple[list[StreamEntry], dt.datetime | None] | None:
        """The stream as last fetched (the first `limit` rows, most urgent first) and when; no network.

        None when never fetched.
        """
        cache = self.cache
        if cache is None:
            return None
        scope = self._me(user_id)

        def read() -> tuple[list[StreamEntry], dt.datetime | None] | None:
            entries = cache.get_rows(STREAM, StreamEntry, scope, limit=limit)
            if entries is None:
                return None
            record = cache.synced(STREAM, scope)
            return entries, record.synced_at if record else None

        found = await self._cache(read)
        if found is not None and limit is None:
            self._known[scope] = list(found[0])
        return found

    async def close(self) -> None:
        if _pending_writes:
            await asyncio.gather(*list(_pending_writes), return_exceptions=True)
        await self.inner.close()

    # -- the stream ------------------------------------------------------------------------------------
    async def action_stream_all(
        self,
        *,
        user_id: str | None = None,
        search: str | None = None,
        modified_since: dt.datetime | None = None,
        on_progress: ProgressCallback | None = None,
        on_first_page: Callable[[list[StreamEntry]], None] | None = None,
    ) -> list[StreamEntry]:
        if search or modified_since is not None:
            if self._skip_network():
                raise OfflineMode("Offline: searching the server needs a connection")
            return await self.inner.action_stream_all(
                user_id=user_id, search=search, modified_since=modified_since,
                on_progress=on_progress, on_first_page=on_first_page,
            )
        scope = self._me(user_id)
        cache = self.cache

        async def fetch() -> list[StreamEntry]:
            return await self._sync_stream(user_id, scope, on_progress, on_first_page)

        def cached() -> list[StreamEntry] | None:
            return cache.get_rows(STREAM, StreamEntry, scope) if cache else None

        entries = await self._read(fetch, cached, None, "the action stream")
        if self.stale:
            self.last_sync = {"mode": "cache", "requests": 0, "changed": 0}
        return entries

    async def _sync_stream(
        self,
        user_id: str | None,
        scope: str,
        on_progress: ProgressCallback | None,
        on_first_page: Callable[[list[StreamEntry]], None] | None,
    ) -> list[StreamEntry]:
        cache = self.cache
        record = await self._cache(lambda: cache.synced(STREAM, scope)) if cache else None
        started = await self.inner.server_time()
        full_at = await self._cache(lambda: record_full(cache, scope)) if cache else None
        fresh_enough = full_at is not None and self._clock() - full_at < FULL_SYNC_EVERY
        if record is not None and record.server_time is not None and fresh_enough and not (cache and cache.needs_full_sync):
            merged = await self._incremental(user_id, scope, record.server_time - SINCE_MARGIN, started)
            if merged is not None:
                return merged
        entries = await self.inner.action_stream_all(user_id=user_id, on_progress=on_progress, on_first_page=on_first_page)
        self.last_sync = {"mode": "full", "changed": len(entries)}
        self._known[scope] = list(entries)
        if cache is not None:
            rows = {e.contact.id: e for e in entries}
            synced_at = self._clock()

            def write() -> None:
                cache.put_rows(STREAM, scope, rows, synced_at=synced_at, server_time=started)
                cache.set_meta(f"full_sync:{scope}", synced_at.isoformat())

            self._save(write)
            cache.needs_full_sync = False
        return entries

    async def _incremental(
        self, user_id: str | None, scope: str, since: dt.datetime, started: dt.datetime
    ) -> list[StreamEntry] | None:
        """The stream from the cache plus what changed since `since`; None when a full fetch is needed."""
        cache = self.cache
        assert cache is not None
        current = self._known.get(scope)
        if current is None:
            current = await self._cache(lambda: cache.get_rows(STREAM, StreamEntry, scope))
        if current is None:
            return None
        changed, touched, size = await asyncio.gather(
            self.inner.action_stream_all(user_id=user_id, modified_since=since),
            self.inner.changed_contact_ids(since),
            self.inner.stream_size(user_id=user_id),
        )
        rows = {e.contact.id: e for e in current}
        upserts = {e.contact.id: e for e in changed}
        # A contact that changed but is not among the stream's changes has left the stream.
        removals = [cid for cid in touched if cid not in upserts and cid in rows]
        for cid in removals:
            rows.pop(cid, None)
        rows.update(upserts)
        if len(rows) != size:
            log.info("incremental refresh disagrees with the server (%d vs %d): full fetch", len(rows), size)
            return None
        synced_at = self._clock()
        self._save(
            lambda: cache.merge_rows(STREAM, scope, upserts, removals, synced_at=synced_at, server_time=started)
        )
        self.last_sync = {"mode": "incremental", "changed": len(upserts) + len(removals)}
        merged = list(rows.values())
        self._known[scope] = merged
        return merged

    async def stream_entry(self, contact_id: str, *, user_id: str | None = None) -> StreamEntry | None:
        if self._skip_network():
            raise OfflineMode("Offline: the contact could not be re-read")
        try:
            entry = await self.inner.stream_entry(contact_id, user_id=user_id)
        except Offline:
            self._went_offline()
            raise
        self.mark_online()
        scope = self._me(user_id)
        self._remember(scope, contact_id, entry)
        return entry

    def _remember(self, scope: str, contact_id: str, entry: StreamEntry | None) -> None:
        """A contact just read from the server: in the stream as known here and in the cache."""
        known = self._known.get(scope)
        if known is not None:
            kept = [e for e in known if e.contact.id != contact_id]
            self._known[scope] = kept if entry is None or not entry.in_stream else [*kept, entry]
        cache = self.cache
        if cache is None:
            return
        stamp = self._stamp()

        def write() -> None:
            if entry is not None and entry.in_stream:
                cache.merge_rows(STREAM, scope, {contact_id: entry})
            else:
                cache.merge_rows(STREAM, scope, {}, [contact_id])
            if entry is not None:
                cache.put_one("contact_entry", f"{scope}:{contact_id}", entry, **stamp)
            else:
                cache.drop("contact_entry", f"{scope}:{contact_id}")

        self._save(write)

    async def contact_entry(self, contact_id: str, *, user_id: str | None = None) -> StreamEntry:
        cache, scope = self.cache, self._me(user_id)

        def cached() -> StreamEntry | None:
            if cache is None:
                return None
            found = cache.get_one("contact_entry", StreamEntry, f"{scope}:{contact_id}")
            return found or cache.get_row(STREAM, StreamEntry, contact_id, scope)

        async def fetch() -> StreamEntry:
            entry = await self.inner.contact_entry(contact_id, user_id=user_id)
            self._remember(scope, contact_id, entry)
            return entry

        return await self._read(fetch, cached, None, "the contact")

    async def team_counts(self) -> TeamCounts:
        return await self._list_or_one("team_counts", "", TeamCounts, self.inner.team_counts, "the team counters", one=True)

    async def team_stream_all(
        self,
        *,
        user_id: str | None = None,
        search: str | None = None,
        on_progress: ProgressCallback | None = None,
        on_first_page: Callable[[list[StreamEntry]], None] | None = None,
    ) -> list[StreamEntry]:
        if search:
            if self._skip_network():
                raise OfflineMode("Offline: searching the server needs a connection")
            return await self.inner.team_stream_all(user_id=user_id, search=search, on_progress=on_progress)
        cache, scope = self.cache, f"{TEAM}:{user_id or '*'}"

        def save(entries: list[StreamEntry]) -> Callable[[], object]:
            rows = {e.contact.id: e for e in entries}
            return lambda: cache.put_rows(STREAM, scope, rows, **self._stamp()) if cache else None

        return await self._read(
            lambda: self.inner.team_stream_all(
                user_id=user_id, on_progress=on_progress, on_first_page=on_first_page
            ),
            lambda: cache.get_rows(STREAM, StreamEntry, scope) if cache else None,
            save,
            "the team stream",
        )

    # -- lists of one contact, deals, notifications -------------------------------------------------
    async def _list_or_one(
        self, kind: str, scope: str, model: type[M], fetch: Callable[[], Awaitable[Any]], what: str, *, one: bool = False
    ) -> Any:
        cache = self.cache

        def cached() -> Any:
            if cache is None:
                return None
            return cache.get_one(kind, model, scope) if one else cache.get_list(kind, model, scope)

        def save(value: Any) -> Callable[[], object]:
            if cache is None:
                return lambda: None
            stamp = self._stamp()
            if one:
                return lambda: cache.put_one(kind, scope, value, **stamp)
            items = list(value)
            return lambda: cache.put_list(kind, scope, items, **stamp)

        return await self._read(fetch, cached, save, what)

    async def contact_actions(self, contact_id: str) -> list[Action]:
        return await self._list_or_one(
            "actions", contact_id, Action, lambda: self.inner.contact_actions(contact_id), "the contact's actions"
        )

    async def get_contact(self, contact_id: str) -> Contact:
        return await self._list_or_one(
            "contact", contact_id, Contact, lambda: self.inner.get_contact(contact_id), "the contact", one=True
        )

    async def pipelines(self) -> list[Pipeline]:
        return await self._list_or_one("pipelines", "", Pipeline, self.inner.pipelines, "the pipelines")

    async def deals(
        self,
        *,
        pipeline_id: str | None = None,
        contact_id: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> list[Deal]:
        scope = f"pipeline:{pipeline_id or ''}|contact:{contact_id or ''}"
        return await self._list_or_one(
            "deals", scope, Deal,
            lambda: self.inner.deals(pipeline_id=pipeline_id, contact_id=contact_id, on_progress=on_progress),
            "the deals",
        )

    async def notes(self, contact_id: str) -> list[Note]:
        return await self._list_or_one("notes", contact_id, Note, lambda: self.inner.notes(contact_id), "the notes")

    async def calls(self, contact_id: str) -> list[Call]:
        return await self._list_or_one("calls", contact_id, Call, lambda: self.inner.calls(contact_id), "the calls")

    async def meetings(self, contact_id: str) -> list[Meeting]:
        return await self._list_or_one(
            "meetings", contact_id, Meeting, lambda: self.inner.meetings(contact_id), "the meetings"
        )

    async def notifications(self) -> list[Notification]:
        return await self._list_or_one("notifications", "", Notification, self.inner.notifications, "the notifications")

    async def unread_notifications(self) -> int:
        cache = self.cache
        if not self._skip_network():
            try:
                count = await self.inner.unread_notifications()
            except Offline:
                self._went_offline()
            else:
                self.mark_online()
                if cache is not None:
                    self._save(lambda: cache.set_meta("unread_notifications", count))
                return count
        found = await self._cache(lambda: cache.get_meta("unread_notifications")) if cache else None
        if not isinstance(found, int):
            raise OfflineMode("Offline: the unread count is not in the local cache")
        return found


def record_full(cache: Cache | None, scope: str) -> dt.datetime:
    """When the stream of `scope` was last fetched whole (long ago when unknown)."""
    text = cache.get_meta(f"full_sync:{scope}") if cache is not None else None
    try:
        moment = dt.datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        moment = None
    if moment is None:
        return dt.datetime.min.replace(tzinfo=dt.timezone.utc)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


_pending_writes: set[asyncio.Task[object]] = set()
"""Cache writes still running (awaited on close so nothing fetched is lost)."""


async def flush_cache_writes() -> None:
    """Wait for the cache writes started so far (tests, benchmarks, closing)."""
    while _pending_writes:
        await asyncio.gather(*list(_pending_writes), return_exceptions=True)

"""A backend that remembers: every read goes through the local cache, and the cache answers offline.

`CachedBackend` wraps the real backend behind the same `Backend` interface, one feature family at a
time (`features`): every read of every family is either cached or declared network only (`WRAPPERS`,
checked by a test), and writes are forwarded as they are. So the session and the screens do not change:

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
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pydantic import BaseModel

from crmtui.backends.base import (
    ActivitiesApi,
    ChartsApi,
    ContactDirectoryApi,
    FilesApi,
    FiltersApi,
    GoalsApi,
    LeadsApi,
    ModulesApi,
    RecordsApi,
    ActionStreamApi,
    Backend,
    ContactsApi,
    DealsApi,
    Features,
    HistoryApi,
    ItemSearch,
    NotificationsApi,
    ProgressCallback,
    TeamsApi,
    TeamStreamApi,
)
from crmtui.backends.errors import BackendError, NotFound, Offline, PermissionDenied, TooSlow
from crmtui.domain.activities import Activity
from crmtui.domain.capabilities import Capability
from crmtui.domain.models import (
    Account,
    Action,
    ActionStatus,
    Call,
    Company,
    Contact,
    Deal,
    Meeting,
    Note,
    Notification,
    Pipeline,
    StreamEntry,
    StreamPage,
    TeamCounts,
)
from crmtui.domain.leads import Lead, LeadDraft, LeadsPage
from crmtui.backends.base import JobsApi, PagesApi, WorkflowsApi
from crmtui.domain.stream_filter import SavedFilter, StreamFilter
from crmtui.service.heap import large_read
from crmtui.store.cache import Cache

if TYPE_CHECKING:  # other backends' areas: imported where first read, not at every start
    from crmtui.domain.directory import DirectoryPage
    from crmtui.domain.files import FileItem, FilesPage
    from crmtui.domain.filters import Filter, FilterConditions, FilterHelpers
    from crmtui.domain.goals import Goal, GoalDraft, GoalProgress
    from crmtui.domain.jobs import Job, JobLogsPage, JobsPage, Workflow
    from crmtui.domain.charts import ChartData, ChartQuery
    from crmtui.domain.pages import Page
    from crmtui.domain.records import FieldKind, Module, ModuleField, Record, RecordsPage, RecordValue
    from crmtui.domain.search import SearchPage
    from crmtui.domain.teams import Team

log = logging.getLogger(__name__)

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

RECORDS_HEAD = 200
"""Records of a module's list kept apart as its first screenful, read before the whole list at a start."""
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
CHECKS = "capability_checks"
"""The cache's meta key of the backend's checks of optional families: {name: [served, when asked]}."""
CHECK_EVERY = dt.timedelta(days=1)
"""How long a check kept with the account is trusted before connect asks again."""


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
        self.address = inner.address
        self._capabilities: frozenset[Capability] = frozenset()
        """Restored with the account from the cache (empty: the backend's own are the ones)."""
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

    @property
    def capabilities(self) -> frozenset[Capability]:
        """The backend's, or those the account was cached with when it was read from the cache."""
        return self._capabilities if self._capabilities else self.inner.capabilities

    @functools.cached_property
    def features(self) -> Features:
        """Each of the backend's feature families with the cache in front of its reads."""
        inner = self.inner.features
        return Features(
            action_stream=_ActionStream(self, inner.action_stream) if inner.action_stream else None,
            team_stream=_TeamStream(self, inner.team_stream) if inner.team_stream else None,
            contacts=_Contacts(self, inner.contacts) if inner.contacts else None,
            deals=_Deals(self, inner.deals) if inner.deals else None,
            history=_History(self, inner.history) if inner.history else None,
            notifications=_Notifications(self, inner.notifications) if inner.notifications else None,
            leads=_Leads(self, inner.leads) if inner.leads else None,
            files=_Files(self, inner.files) if inner.files else None,
            search=_Search(self, inner.search) if inner.search else None,
            teams=_Teams(self, inner.teams) if inner.teams else None,
            goals=_Goals(self, inner.goals) if inner.goals else None,
            filters=_Filters(self, inner.filters) if inner.filters else None,
            activities=_Activities(self, inner.activities) if inner.activities else None,
            pages=_Pages(self, inner.pages) if inner.pages else None,
            workflows=_Workflows(self, inner.workflows) if inner.workflows else None,
            jobs=_Jobs(self, inner.jobs) if inner.jobs else None,
            modules=_Modules(self, inner.modules) if inner.modules else None,
            records=_Records(self, inner.records) if inner.records else None,
            charts=_Charts(self, inner.charts) if inner.charts else None,
            directory=_Directory(self, inner.directory) if inner.directory else None,
        )

    async def server_time(self) -> dt.datetime:
        return await self.inner.server_time()

    # -- plumbing ----------------------------------------------------------------------------------
    def _now(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc)

    # -- the local copy, as the app sees it (LocalCopy) ---------------------------------------------
    @property
    def notice(self) -> str | None:
        """Said once on start: the cache file was damaged and has been rebuilt."""
        return self.cache.notice if self.cache is not None else None

    async def check(self) -> bool:
        """SQLite's check of the cache file, after a start has read its first rows (see `Cache.check`);
        True when it was damaged and has been rebuilt (empty: what it holds is read again)."""
        cache = self.cache
        if cache is None or not await self._cache(cache.check):
            return False
        self._known.clear()  # read from the damaged file: the next read is a full one
        return True

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

    def try_network(self) -> None:
        """The next read asks the server, even within OFFLINE_GRACE of a failure (the app trying to
        reconnect: it asks once every few seconds, not on every read)."""
        self._offline_until = 0.0

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
                # `what` may be plural ("the pipelines"): the words around it do not agree with it
                raise OfflineMode(f"Offline mode: {what} (not in the local cache)")
            raise OfflineMode(f"Offline: could not fetch {what} (not in the local cache)")
        self.stale = True
        return found

    def _me(self, user_id: str | None) -> str:
        return user_id or self._user_id or ""

    def _stamp(self) -> dict[str, Any]:
        return {"synced_at": self._clock()}

    # -- session -----------------------------------------------------------------------------------
    async def connect(self) -> Account:
        cache = self.cache
        given = await self._give_checks()
        account = await self._read(
            self.inner.connect,
            lambda: cache.get_one(ACCOUNT, Account) if cache else None,
            lambda a: lambda: cache.put_one(ACCOUNT, "", a, **self._stamp()) if cache else None,
            "the account",
        )
        if not self.stale:
            self._keep_checks(given)
        self._user_id = account.user.id
        self._capabilities = account.capabilities if self.stale else frozenset()
        return account

    # A backend may check at connect whether the server has an optional family (Pipedrive: a request
    # of /activities, 20 tokens of the company's day). Its answers (`checked`: name -> served) are
    # kept with the account and given back to the next connect while under CHECK_EVERY old; a request
    # that finds the family gone drops the answer (`forget_check`), so the next connect asks again.
    def _checked(self) -> dict[str, bool] | None:
        checked = getattr(self.inner, "checked", None)
        return checked if isinstance(checked, dict) else None

    async def _give_checks(self) -> dict[str, dt.datetime]:
        """Give the backend the fresh checks kept; returns when each given one was asked."""
        checked = self._checked()
        cache = self.cache
        if checked is None or cache is None:
            return {}
        raw = await self._cache(lambda: cache.get_meta(CHECKS))
        now = self._clock()
        given: dict[str, dt.datetime] = {}
        for name, kept in (raw if isinstance(raw, dict) else {}).items():
            try:
                served, asked = bool(kept[0]), dt.datetime.fromisoformat(kept[1])
            except (TypeError, ValueError, IndexError, KeyError):
                continue  # a damaged entry: asked again
            if asked.tzinfo is not None and dt.timedelta(0) <= now - asked < CHECK_EVERY and name not in checked:
                checked[name] = served
                given[name] = asked
        return given

    def _keep_checks(self, given: dict[str, dt.datetime]) -> None:
        checked = self._checked()
        cache = self.cache
        if checked is None or cache is None:
            return
        now = self._clock()
        kept = {name: [served, given.get(name, now).isoformat()] for name, served in checked.items()}
        self._save(lambda: cache.set_meta(CHECKS, kept))

    def forget_check(self, name: str) -> None:
        """The server turned out not to serve `name` any more: the next connect asks again."""
        checked = self._checked()
        cache = self.cache
        if checked is None or cache is None or checked.pop(name, None) is None:
            return

        def drop() -> None:
            raw = cache.get_meta(CHECKS)
            cache.set_meta(CHECKS, {k: v for k, v in (raw if isinstance(raw, dict) else {}).items() if k != name})

        self._save(drop)

    async def cached_account(self) -> Account | None:
        """The account as last fetched (no network)."""
        cache = self.cache
        account = await self._cache(lambda: cache.get_one(ACCOUNT, Account)) if cache else None
        if account is not None:
            self._user_id = account.user.id
            self._capabilities = account.capabilities
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

        with large_read():  # thousands of rows made at once (see service/heap.py)
            found = await self._cache(read)
        if found is not None and limit is None:
            self._known[scope] = list(found[0])
        return found

    async def cached_leads(
        self, owner_id: str | None, *, archived: bool = False, filter_id: str | None = None
    ) -> tuple[list[Lead], dt.datetime | None] | None:
        """The leads of a scope (a saved filter's: `filter_id`) as last fetched, and when; no network.
        None when never fetched."""
        cache = self.cache
        if cache is None:
            return None
        scope = lead_scope(archived, owner_id, filter_id)

        def read() -> tuple[list[Lead], dt.datetime | None] | None:
            found = cache.get_rows("leads", Lead, scope)
            if found is None:
                return None
            record = cache.synced("leads", scope)
            return found, record.synced_at if record else None

        return await self._cache(read)

    async def cached_modules(self) -> list[Module] | None:
        """The modules as last listed; no network. None when never listed."""
        cache = self.cache
        if cache is None:
            return None
        from crmtui.domain.records import Module

        return await self._cache(lambda: cache.get_list("modules", Module, ""))

    async def cached_records(
        self, module_id: str, *, sort: str, query: str = "", first: bool = False
    ) -> list[Record] | None:
        """A module's records (for that order and query) as last read whole; no network. None when never read.
        `first`: only the first RECORDS_HEAD of them (a screenful, kept beside the whole list: decoding
        20,000 records takes the best part of a second); None when no such head is kept."""
        cache = self.cache
        if cache is None:
            return None
        from crmtui.domain.records import Record

        kind = "records_head" if first else "records"
        return await self._cache(lambda: cache.get_list(kind, Record, f"{module_id}|{sort}|{query}"))

    def keep_lead(self, owner_id: str | None, archived: bool, lead_id: str, lead: Lead | None) -> None:
        """A lead as a change the server confirmed left it, in the list of that scope (None: it left
        the list): the next start paints it so, not as it was before the change."""
        cache = self.cache
        if cache is None:
            return
        scope = lead_scope(archived, owner_id, None)
        if lead is not None:
            self._save(lambda: cache.merge_rows("leads", scope, {lead_id: lead}))
        else:
            self._save(lambda: cache.merge_rows("leads", scope, {}, [lead_id]))

    @property
    def governor(self) -> object | None:
        """The backend's rate governor, when it has one (the header's gauge)."""
        return getattr(self.inner, "governor", None)

    async def close(self) -> None:
        if _pending_writes:
            await asyncio.gather(*list(_pending_writes), return_exceptions=True)
        await self.inner.close()

    # -- the stream ------------------------------------------------------------------------------------
    async def _stream_read(
        self,
        api: ActionStreamApi,
        user_id: str | None,
        on_progress: ProgressCallback | None,
        on_first_page: Callable[[list[StreamEntry]], None] | None,
    ) -> list[StreamEntry]:
        """The whole stream of `user_id`: refreshed (incrementally when it can be) and cached."""
        scope = self._me(user_id)
        cache = self.cache

        async def fetch() -> list[StreamEntry]:
            return await self._sync_stream(api, user_id, scope, on_progress, on_first_page)

        def cached() -> list[StreamEntry] | None:
            return cache.get_rows(STREAM, StreamEntry, scope) if cache else None

        entries = await self._read(fetch, cached, None, "the action stream")
        if self.stale:
            self.last_sync = {"mode": "cache", "requests": 0, "changed": 0}
        return entries

    async def _sync_stream(
        self,
        api: ActionStreamApi,
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
            merged = await self._incremental(api, user_id, scope, record.server_time - SINCE_MARGIN, started)
            if merged is not None:
                return merged
        entries = await api.action_stream_all(user_id=user_id, on_progress=on_progress, on_first_page=on_first_page)
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
        self, api: ActionStreamApi, user_id: str | None, scope: str, since: dt.datetime, started: dt.datetime
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
            api.action_stream_all(user_id=user_id, modified_since=since),
            api.changed_contact_ids(since),
            api.stream_size(user_id=user_id),
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

    def keep_confirmed(self, user_id: str | None, contact_id: str, entry: StreamEntry | None) -> None:
        self._remember(self._me(user_id), contact_id, entry)

    def _network_only(self, what: str) -> None:
        """Before a read that has no cached answer (a search): refuse at once when the network is off."""
        if self._skip_network():
            raise OfflineMode(f"Offline: {what} needs a connection")

    # -- lists and single records ----------------------------------------------------------------------
    async def _list(
        self, kind: str, scope: str, model: type[M], fetch: Callable[[], Awaitable[list[M]]], what: str,
        *, head: str | None = None,
    ) -> list[M]:
        """`head`: also keep the list's first RECORDS_HEAD items under that kind (a screenful a start
        reads before the whole list)."""
        cache = self.cache

        def cached() -> list[M] | None:
            return cache.get_list(kind, model, scope) if cache is not None else None

        def save(value: list[M]) -> Callable[[], object]:
            stamp, items = self._stamp(), list(value)

            def write() -> None:
                if cache is not None:
                    cache.put_list(kind, scope, items, **stamp)
                    if head is not None:
                        cache.put_list(head, scope, items[:RECORDS_HEAD], **stamp)

            return write

        return await self._read(fetch, cached, save, what)

    async def _one(self, kind: str, scope: str, model: type[M], fetch: Callable[[], Awaitable[M]], what: str) -> M:
        cache = self.cache

        def cached() -> M | None:
            return cache.get_one(kind, model, scope) if cache is not None else None

        def save(value: M) -> Callable[[], object]:
            stamp = self._stamp()
            return lambda: cache.put_one(kind, scope, value, **stamp) if cache is not None else None

        return await self._read(fetch, cached, save, what)


# -- the feature families, with the cache in front ----------------------------------------------------
#
# Each wrapper says, for every read of its family, whether it is cached (answered from the local copy
# when the server is out of reach) or network only (no cached answer makes sense: a search, one page,
# a check against the server's own state). Writes are forwarded as they are: the outbox sends them.
# tests/unit/test_feature_cache.py checks that every read of every family is one or the other.


class _ActionStream:
    CACHED: ClassVar[frozenset[str]] = frozenset(
        {"action_stream_all", "stream_entry", "contact_actions", "saved_filters", "filtered_stream"}
    )
    NETWORK_ONLY: ClassVar[frozenset[str]] = frozenset(
        {"action_stream", "changed_contact_ids", "stream_size", "get_action"}
    )

    def __init__(self, local: CachedBackend, inner: ActionStreamApi) -> None:
        self.local = local
        self.inner = inner

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
            self.local._network_only("searching the server")
            return await self.inner.action_stream_all(
                user_id=user_id, search=search, modified_since=modified_since,
                on_progress=on_progress, on_first_page=on_first_page,
            )
        return await self.local._stream_read(self.inner, user_id, on_progress, on_first_page)

    async def stream_entry(self, contact_id: str, *, user_id: str | None = None) -> StreamEntry | None:
        """Always the server's (a re-read after a change), written to the cache."""
        local = self.local
        if local._skip_network():
            raise OfflineMode("Offline: the contact could not be re-read")
        try:
            entry = await self.inner.stream_entry(contact_id, user_id=user_id)
        except Offline:
            local._went_offline()
            raise
        local.mark_online()
        local._remember(local._me(user_id), contact_id, entry)
        return entry

    async def saved_filters(self) -> list[SavedFilter]:
        local = self.local
        return await local._list("saved_filters", local._me(None), SavedFilter, self.inner.saved_filters, "the saved filters")

    async def filtered_stream(self, where: StreamFilter, *, user_id: str | None = None) -> list[StreamEntry]:
        """Cached per filter (and whose stream), apart from the whole stream: the two never mix."""
        local = self.local
        return await local._list(
            "filtered_stream", f"{local._me(user_id)}:{where.key}", StreamEntry,
            lambda: self.inner.filtered_stream(where, user_id=user_id), f"the filter {where.describe()}",
        )

    async def contact_actions(self, contact_id: str) -> list[Action]:
        return await self.local._list(
            "actions", contact_id, Action, lambda: self.inner.contact_actions(contact_id), "the contact's actions"
        )

    async def action_stream(
        self,
        *,
        user_id: str | None = None,
        search: str | None = None,
        page: int = 1,
        per_page: int = 100,
        modified_since: dt.datetime | None = None,
    ) -> StreamPage:
        return await self.inner.action_stream(
            user_id=user_id, search=search, page=page, per_page=per_page, modified_since=modified_since
        )

    async def changed_contact_ids(self, since: dt.datetime) -> set[str]:
        return await self.inner.changed_contact_ids(since)

    async def stream_size(self, *, user_id: str | None = None) -> int:
        return await self.inner.stream_size(user_id=user_id)

    async def get_action(self, action_id: str) -> Action:
        return await self.inner.get_action(action_id)

    async def create_action(
        self,
        contact_id: str,
        text: str,
        status: ActionStatus,
        *,
        date: dt.date | None = None,
        exact_time: dt.datetime | None = None,
        assignee_id: str | None = None,
    ) -> Action:
        return await self.inner.create_action(
            contact_id, text, status, date=date, exact_time=exact_time, assignee_id=assignee_id
        )

    async def update_action(self, action_id: str, **changes: Any) -> Action:
        return await self.inner.update_action(action_id, **changes)

    async def delete_action(self, action_id: str) -> None:
        await self.inner.delete_action(action_id)

    async def mark_done(self, action_id: str) -> Action:
        return await self.inner.mark_done(action_id)

    async def undo_done(self, action_id: str) -> Action:
        return await self.inner.undo_done(action_id)

    async def promote(self, action_id: str) -> Action:
        return await self.inner.promote(action_id)

    async def revert_promotion(self, action_id: str) -> Action:
        return await self.inner.revert_promotion(action_id)

    async def swap(self, action_id: str) -> Action:
        return await self.inner.swap(action_id)


class _TeamStream:
    CACHED: ClassVar[frozenset[str]] = frozenset({"team_counts", "team_stream_all"})
    NETWORK_ONLY: ClassVar[frozenset[str]] = frozenset({"team_stream_entry"})

    def __init__(self, local: CachedBackend, inner: TeamStreamApi) -> None:
        self.local = local
        self.inner = inner

    async def team_counts(self) -> TeamCounts:
        return await self.local._one("team_counts", "", TeamCounts, self.inner.team_counts, "the team counters")

    async def team_stream_all(
        self,
        *,
        user_id: str | None = None,
        search: str | None = None,
        on_progress: ProgressCallback | None = None,
        on_first_page: Callable[[list[StreamEntry]], None] | None = None,
    ) -> list[StreamEntry]:
        local, inner = self.local, self.inner
        if search:
            local._network_only("searching the server")
            return await inner.team_stream_all(user_id=user_id, search=search, on_progress=on_progress)
        cache, scope = local.cache, f"{TEAM}:{user_id or '*'}"

        def save(entries: list[StreamEntry]) -> Callable[[], object]:
            rows, stamp = {e.contact.id: e for e in entries}, local._stamp()
            return lambda: cache.put_rows(STREAM, scope, rows, **stamp) if cache else None

        return await local._read(
            lambda: inner.team_stream_all(user_id=user_id, on_progress=on_progress, on_first_page=on_first_page),
            lambda: cache.get_rows(STREAM, StreamEntry, scope) if cache else None,
            save,
            "the team stream",
        )

    async def team_stream_entry(self, contact_id: str, *, user_id: str | None = None) -> StreamEntry | None:
        return await self.inner.team_stream_entry(contact_id, user_id=user_id)


class _Contacts:
    CACHED: ClassVar[frozenset[str]] = frozenset({"get_contact", "contact_entry", "companies", "get_company"})
    NETWORK_ONLY: ClassVar[frozenset[str]] = frozenset({"find_contacts"})

    def __init__(self, local: CachedBackend, inner: ContactsApi) -> None:
        self.local = local
        self.inner = inner

    async def get_contact(self, contact_id: str) -> Contact:
        return await self.local._one(
            "contact", contact_id, Contact, lambda: self.inner.get_contact(contact_id), "the contact"
        )

    async def contact_entry(self, contact_id: str, *, user_id: str | None = None) -> StreamEntry:
        local = self.local
        cache, scope = local.cache, local._me(user_id)

        def cached() -> StreamEntry | None:
            if cache is None:
                return None
            found = cache.get_one("contact_entry", StreamEntry, f"{scope}:{contact_id}")
            return found or cache.get_row(STREAM, StreamEntry, contact_id, scope)

        async def fetch() -> StreamEntry:
            entry = await self.inner.contact_entry(contact_id, user_id=user_id)
            local._remember(scope, contact_id, entry)
            return entry

        return await local._read(fetch, cached, None, "the contact")

    async def set_starred(self, contact_id: str, starred: bool) -> Contact:
        return await self.inner.set_starred(contact_id, starred)

    async def add_tag(self, contact_id: str, tag: str) -> Contact:
        return await self.inner.add_tag(contact_id, tag)

    async def remove_tag(self, contact_id: str, tag: str) -> Contact:
        return await self.inner.remove_tag(contact_id, tag)

    async def change_status(self, contact_id: str, status_id: str) -> Contact:
        return await self.inner.change_status(contact_id, status_id)

    async def change_owner(self, contact_id: str, owner_id: str) -> Contact:
        return await self.inner.change_owner(contact_id, owner_id)

    async def close_sales_cycle(self, contact_id: str, comment: str) -> Contact:
        return await self.inner.close_sales_cycle(contact_id, comment)

    async def force_close_sales_cycle(self, contact_id: str, comment: str) -> Contact:
        return await self.inner.force_close_sales_cycle(contact_id, comment)

    async def reopen_sales_cycle(self, contact_id: str) -> Contact:
        return await self.inner.reopen_sales_cycle(contact_id)

    async def create_contact(self, contact: Contact) -> StreamEntry:
        return await self.inner.create_contact(contact)

    async def update_contact(self, contact: Contact) -> Contact:
        return await self.inner.update_contact(contact)

    async def delete_contact(self, contact_id: str) -> None:
        await self.inner.delete_contact(contact_id)

    async def restore_contact(self, contact_id: str) -> None:
        await self.inner.restore_contact(contact_id)

    async def companies(self, name: str = "") -> list[Company]:
        """The account's companies (the cache is the account's), one list per name searched. Offline,
        a name never searched is looked for in the whole list, if that was read."""
        local, cache = self.local, self.local.cache
        scope = name.strip().casefold()  # the server's name search ignores case

        def cached() -> list[Company] | None:
            if cache is None:
                return None
            found = cache.get_list("companies", Company, scope)
            if found is not None or not scope:
                return found
            every = cache.get_list("companies", Company, "")
            return [c for c in every if scope in c.name.casefold()] if every is not None else None

        def save(value: list[Company]) -> Callable[[], object]:
            stamp, items = local._stamp(), list(value)
            return lambda: cache.put_list("companies", scope, items, **stamp) if cache is not None else None

        return await local._read(lambda: self.inner.companies(name), cached, save, "the list of companies")

    async def get_company(self, company_id: str) -> Company:
        return await self.local._one(
            "company", company_id, Company, lambda: self.inner.get_company(company_id), "the company"
        )

    async def update_company(self, company: Company) -> Company:
        return await self.inner.update_company(company)

    async def find_contacts(self, *, search: str = "", email: str = "", phone: str = "") -> list[StreamEntry]:
        """Always the server's: a search of the whole account, which the cache does not hold."""
        self.local._network_only("searching the server")
        return await self.inner.find_contacts(search=search, email=email, phone=phone)


class _Deals:
    CACHED: ClassVar[frozenset[str]] = frozenset({"pipelines", "deals"})
    NETWORK_ONLY: ClassVar[frozenset[str]] = frozenset({"get_deal"})

    def __init__(self, local: CachedBackend, inner: DealsApi) -> None:
        self.local = local
        self.inner = inner

    async def pipelines(self) -> list[Pipeline]:
        return await self.local._list("pipelines", "", Pipeline, self.inner.pipelines, "the pipelines")

    async def deals(
        self,
        *,
        pipeline_id: str | None = None,
        contact_id: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> list[Deal]:
        scope = f"pipeline:{pipeline_id or ''}|contact:{contact_id or ''}"
        return await self.local._list(
            "deals", scope, Deal,
            lambda: self.inner.deals(pipeline_id=pipeline_id, contact_id=contact_id, on_progress=on_progress),
            "the deals",
        )

    async def get_deal(self, deal_id: str) -> Deal:
        return await self.inner.get_deal(deal_id)

    async def create_deal(self, contact_id: str, name: str, **fields: Any) -> Deal:
        return await self.inner.create_deal(contact_id, name, **fields)

    async def update_deal(self, deal_id: str, **changes: Any) -> Deal:
        return await self.inner.update_deal(deal_id, **changes)

    async def delete_deal(self, deal_id: str) -> None:
        await self.inner.delete_deal(deal_id)


class _History:
    CACHED: ClassVar[frozenset[str]] = frozenset({"notes", "calls", "meetings"})
    NETWORK_ONLY: ClassVar[frozenset[str]] = frozenset({"get_note", "get_call", "get_meeting"})

    def __init__(self, local: CachedBackend, inner: HistoryApi) -> None:
        self.local = local
        self.inner = inner

    async def notes(self, contact_id: str) -> list[Note]:
        return await self.local._list("notes", contact_id, Note, lambda: self.inner.notes(contact_id), "the notes")

    async def calls(self, contact_id: str) -> list[Call]:
        return await self.local._list("calls", contact_id, Call, lambda: self.inner.calls(contact_id), "the calls")

    async def meetings(self, contact_id: str) -> list[Meeting]:
        return await self.local._list(
            "meetings", contact_id, Meeting, lambda: self.inner.meetings(contact_id), "the meetings"
        )

    async def get_note(self, note_id: str) -> Note:
        return await self.inner.get_note(note_id)

    async def get_call(self, call_id: str) -> Call:
        return await self.inner.get_call(call_id)

    async def get_meeting(self, meeting_id: str) -> Meeting:
        return await self.inner.get_meeting(meeting_id)

    async def create_note(self, contact_id: str, text: str) -> Note:
        return await self.inner.create_note(contact_id, text)

    async def update_note(self, note_id: str, *, text: str) -> Note:
        return await self.inner.update_note(note_id, text=text)

    async def delete_note(self, note_id: str) -> None:
        await self.inner.delete_note(note_id)

    async def create_call(self, contact_id: str, text: str, call_result: str, *, phone_number: str = "") -> Call:
        return await self.inner.create_call(contact_id, text, call_result, phone_number=phone_number)

    async def update_call(self, call_id: str, **changes: Any) -> Call:
        return await self.inner.update_call(call_id, **changes)

    async def delete_call(self, call_id: str) -> None:
        await self.inner.delete_call(call_id)

    async def create_meeting(self, contact_id: str, text: str, when: dt.datetime, place: str = "") -> Meeting:
        return await self.inner.create_meeting(contact_id, text, when, place)

    async def update_meeting(self, meeting_id: str, **changes: Any) -> Meeting:
        return await self.inner.update_meeting(meeting_id, **changes)

    async def delete_meeting(self, meeting_id: str) -> None:
        await self.inner.delete_meeting(meeting_id)


class _Notifications:
    CACHED: ClassVar[frozenset[str]] = frozenset({"notifications", "unread_notifications"})
    NETWORK_ONLY: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, local: CachedBackend, inner: NotificationsApi) -> None:
        self.local = local
        self.inner = inner

    async def notifications(self) -> list[Notification]:
        return await self.local._list(
            "notifications", "", Notification, self.inner.notifications, "the notifications"
        )

    async def unread_notifications(self) -> int:
        local = self.local
        cache = local.cache
        if not local._skip_network():
            try:
                count = await self.inner.unread_notifications()
            except Offline:
                local._went_offline()
            else:
                local.mark_online()
                if cache is not None:
                    local._save(lambda: cache.set_meta("unread_notifications", count))
                return count
        found = await local._cache(lambda: cache.get_meta("unread_notifications")) if cache else None
        if not isinstance(found, int):
            raise OfflineMode("Offline: the unread count is not in the local cache")
        return found

    async def mark_notification_read(self, notification_id: str) -> None:
        await self.inner.mark_notification_read(notification_id)

    async def mark_all_notifications_read(self) -> None:
        await self.inner.mark_all_notifications_read()


class _Leads:
    """Leads: the whole list of a scope (archived or not, whose, which filter) and each lead are cached;
    a page or a search is the server's alone. Person and organization names are kept once read (an
    id's name rarely changes, and reading it again costs a request of the budget); a lead's permitted
    users are kept per lead for when the server is out of reach."""

    CACHED: ClassVar[frozenset[str]] = frozenset(
        {"leads_all", "lead", "person_name", "organization_name", "lead_filters", "permitted_users"}
    )
    NETWORK_ONLY: ClassVar[frozenset[str]] = frozenset({"leads", "search_leads"})

    def __init__(self, local: CachedBackend, inner: LeadsApi) -> None:
        self.local = local
        self.inner = inner

    async def leads(
        self, *, archived: bool = False, owner_id: str | None = None, filter_id: str | None = None,
        sort: str = "update_time DESC", start: int = 0, limit: int = 500,
    ) -> LeadsPage:
        self.local._network_only("a page of leads")
        return await self.inner.leads(
            archived=archived, owner_id=owner_id, filter_id=filter_id, sort=sort, start=start, limit=limit
        )

    async def leads_all(
        self, *, archived: bool = False, owner_id: str | None = None, filter_id: str | None = None,
        sort: str = "update_time DESC", stop: Callable[[list[Lead]], bool] | None = None,
        on_progress: ProgressCallback | None = None, on_first_page: Callable[[list[Lead]], None] | None = None,
    ) -> list[Lead]:
        async def fetch() -> list[Lead]:
            return await self.inner.leads_all(
                archived=archived, owner_id=owner_id, filter_id=filter_id, sort=sort, stop=stop,
                on_progress=on_progress, on_first_page=on_first_page,
            )

        if stop is not None:  # a partial read (an incremental refresh): not the whole list to keep
            self.local._network_only("the newest changes of the leads")
            return await fetch()
        local = self.local
        cache = local.cache
        scope = lead_scope(archived, owner_id, filter_id)

        def cached() -> list[Lead] | None:
            return cache.get_rows("leads", Lead, scope) if cache is not None else None

        def save(value: list[Lead]) -> Callable[[], object]:
            stamp, rows = local._stamp(), {lead.id: lead for lead in value}
            return lambda: cache.put_rows("leads", scope, rows, **stamp) if cache is not None else None

        return await local._read(fetch, cached, save, "the leads")

    async def lead(self, lead_id: str) -> Lead:
        return await self.local._one("lead", lead_id, Lead, lambda: self.inner.lead(lead_id), "the lead")

    async def search_leads(self, term: str, *, exact: bool = False, limit: int = 100) -> list[Lead]:
        self.local._network_only("searching the server")
        return await self.inner.search_leads(term, exact=exact, limit=limit)

    async def _name(self, kind: str, item_id: str, fetch: Callable[[], Awaitable[str]]) -> str:
        local = self.local
        cache = local.cache
        key = f"{kind}_name:{item_id}"
        found = await local._cache(lambda: cache.get_meta(key)) if cache else None
        if isinstance(found, str):
            return found
        name = await fetch()
        if cache is not None:
            local._save(lambda: cache.set_meta(key, name))
        return name

    async def person_name(self, person_id: str) -> str:
        return await self._name("person", person_id, lambda: self.inner.person_name(person_id))

    async def organization_name(self, organization_id: str) -> str:
        return await self._name("organization", organization_id, lambda: self.inner.organization_name(organization_id))

    async def create_lead(self, draft: LeadDraft) -> Lead:
        return await self.inner.create_lead(draft)

    async def update_lead(self, lead_id: str, **changes: Any) -> Lead:
        return await self.inner.update_lead(lead_id, **changes)

    async def delete_lead(self, lead_id: str) -> None:
        await self.inner.delete_lead(lead_id)

    async def permitted_users(self, lead_id: str) -> list[str]:
        """The server's answer when it is in reach (a lead's visibility can change), else the last one kept."""
        local = self.local
        cache = local.cache
        key = f"permitted_users:{lead_id}"

        def cached() -> list[str] | None:
            found = cache.get_meta(key) if cache is not None else None
            return [str(v) for v in found] if isinstance(found, list) else None

        def save(value: list[str]) -> Callable[[], object]:
            kept = list(value)
            return lambda: cache.set_meta(key, kept) if cache is not None else None

        return await local._read(lambda: self.inner.permitted_users(lead_id), cached, save, "who can see the lead")

    async def lead_filters(self) -> list[SavedFilter]:
        local = self.local
        return await local._list("lead_filters", "", SavedFilter, self.inner.lead_filters, "the saved lead filters")


class _Search:
    """The global search: the server's alone (its answers change with every record, and each costs tokens)."""

    CACHED: ClassVar[frozenset[str]] = frozenset()
    NETWORK_ONLY: ClassVar[frozenset[str]] = frozenset({"search"})

    def __init__(self, local: CachedBackend, inner: ItemSearch) -> None:
        self.local = local
        self.inner = inner

    async def search(
        self, term: str, *, kinds: tuple[str, ...] = (), fields: tuple[str, ...] = (), exact: bool = False,
        related: bool = False, start: int = 0, limit: int = 50,
    ) -> SearchPage:
        self.local._network_only("searching the server")
        return await self.inner.search(
            term, kinds=kinds, fields=fields, exact=exact, related=related, start=start, limit=limit
        )


class _Files:
    """Files: a lead's files, one file and a page of every file are cached (a lead's files cost a
    scan of every page); the bytes are the server's alone (downloads and uploads need the network)."""

    CACHED: ClassVar[frozenset[str]] = frozenset({"files", "files_of_lead", "file"})
    NETWORK_ONLY: ClassVar[frozenset[str]] = frozenset({"download"})

    def __init__(self, local: CachedBackend, inner: FilesApi) -> None:
        self.local = local
        self.inner = inner

    async def files(self, *, start: int = 0, limit: int = 100, sort: str = "id DESC") -> FilesPage:
        from crmtui.domain.files import FilesPage

        return await self.local._one(
            "files_page", f"{sort}:{start}:{limit}", FilesPage,
            lambda: self.inner.files(start=start, limit=limit, sort=sort), "the files",
        )

    async def files_of_lead(self, lead_id: str) -> list[FileItem]:
        from crmtui.domain.files import FileItem

        return await self.local._list(
            "lead_files", lead_id, FileItem, lambda: self.inner.files_of_lead(lead_id), "the lead's files"
        )

    async def file(self, file_id: str) -> FileItem:
        from crmtui.domain.files import FileItem

        return await self.local._one("file", file_id, FileItem, lambda: self.inner.file(file_id), "the file")

    async def download(self, file_id: str, dest: Path, *, on_progress: ProgressCallback | None = None) -> Path:
        self.local._network_only("downloading a file")
        return await self.inner.download(file_id, dest, on_progress=on_progress)

    async def upload(self, path: Path, lead_id: str, *, on_progress: ProgressCallback | None = None) -> FileItem:
        return await self.inner.upload(path, lead_id, on_progress=on_progress)

    async def rename(self, file_id: str, name: str, description: str | None = None) -> FileItem:
        return await self.inner.rename(file_id, name, description)

    async def delete_file(self, file_id: str) -> None:
        await self.inner.delete_file(file_id)


class _Teams:
    """Teams: the list, each team and a user's teams are cached (the teams screen offline shows the
    last known); writes are forwarded (admins only: the server says so to anyone else)."""

    CACHED: ClassVar[frozenset[str]] = frozenset({"teams", "team", "teams_of"})
    NETWORK_ONLY: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, local: CachedBackend, inner: TeamsApi) -> None:
        self.local = local
        self.inner = inner

    async def teams(self) -> list[Team]:
        from crmtui.domain.teams import Team

        return await self.local._list("teams", "", Team, self.inner.teams, "the teams")

    async def team(self, team_id: str) -> Team:
        from crmtui.domain.teams import Team

        return await self.local._one("team", team_id, Team, lambda: self.inner.team(team_id), "the team")

    async def teams_of(self, user_id: str) -> list[Team]:
        from crmtui.domain.teams import Team

        return await self.local._list("user_teams", user_id, Team, lambda: self.inner.teams_of(user_id), "the user's teams")

    async def create_team(
        self, name: str, manager_id: str, *, description: str = "", users: tuple[str, ...] = ()
    ) -> Team:
        return await self.inner.create_team(name, manager_id, description=description, users=users)

    async def update_team(self, team_id: str, **changes: Any) -> Team:
        return await self.inner.update_team(team_id, **changes)

    async def add_users(self, team_id: str, users: tuple[str, ...]) -> list[str]:
        return await self.inner.add_users(team_id, users)

    async def remove_users(self, team_id: str, users: tuple[str, ...]) -> list[str]:
        return await self.inner.remove_users(team_id, users)


class _Goals:
    """Goals: the lists (mine, everyone's) and each progress read are cached, so the goals screen
    shows the last goals and progress known offline; writes are forwarded (the outbox sends them)."""

    CACHED: ClassVar[frozenset[str]] = frozenset({"goals", "results"})
    NETWORK_ONLY: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, local: CachedBackend, inner: GoalsApi) -> None:
        self.local = local
        self.inner = inner

    async def goals(self, *, everyone: bool = False) -> list[Goal]:
        from crmtui.domain.goals import Goal

        scope = "everyone" if everyone else "mine"
        return await self.local._list("goals", scope, Goal, lambda: self.inner.goals(everyone=everyone), "the goals")

    async def results(self, goal_id: str, start: dt.date, end: dt.date) -> GoalProgress:
        from crmtui.domain.goals import GoalProgress

        return await self.local._one(
            "goal_results", f"{goal_id}:{start.isoformat()}:{end.isoformat()}", GoalProgress,
            lambda: self.inner.results(goal_id, start, end), "the goal's progress",
        )

    async def create_goal(self, draft: GoalDraft) -> Goal:
        return await self.inner.create_goal(draft)

    async def update_goal(self, goal_id: str, **changes: Any) -> Goal:
        return await self.inner.update_goal(goal_id, **changes)

    async def delete_goal(self, goal_id: str) -> None:
        await self.inner.delete_goal(goal_id)


class _Filters:
    """Saved filters: the lists, each filter with its conditions and the operators per field type are
    cached, so the filters screen shows the last filters known offline; writes are forwarded."""

    CACHED: ClassVar[frozenset[str]] = frozenset({"filters", "filter", "helpers"})
    NETWORK_ONLY: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, local: CachedBackend, inner: FiltersApi) -> None:
        self.local = local
        self.inner = inner

    async def filters(self, *, type: str | None = None) -> list[Filter]:
        from crmtui.domain.filters import Filter

        return await self.local._list("saved_filter_list", type or "", Filter, lambda: self.inner.filters(type=type), "the filters")

    async def filter(self, filter_id: str) -> Filter:
        from crmtui.domain.filters import Filter

        return await self.local._one("saved_filter", filter_id, Filter, lambda: self.inner.filter(filter_id), "the filter")

    async def helpers(self) -> FilterHelpers:
        from crmtui.domain.filters import FilterHelpers

        return await self.local._one("filter_helpers", "", FilterHelpers, self.inner.helpers, "the filter operators")

    async def create_filter(self, name: str, type: str, conditions: FilterConditions) -> Filter:
        return await self.inner.create_filter(name, type, conditions)

    async def update_filter(self, filter_id: str, conditions: FilterConditions, *, name: str | None = None) -> Filter:
        return await self.inner.update_filter(filter_id, conditions, name=name)

    async def delete_filters(self, filter_ids: list[str]) -> None:
        await self.inner.delete_filters(filter_ids)


class _Activities:
    """Activities: every one read (by id or in the list of open ones) is kept by its id, so offline the
    inbox still orders by the next activities it knew; marking one done is forwarded."""

    CACHED: ClassVar[frozenset[str]] = frozenset({"activities", "open_activities"})
    NETWORK_ONLY: ClassVar[frozenset[str]] = frozenset()
    KIND: ClassVar[str] = "activities"

    def __init__(self, local: CachedBackend, inner: ActivitiesApi) -> None:
        self.local = local
        self.inner = inner

    def _kept(self, keep: Callable[[Activity], bool]) -> Callable[[], list[Activity] | None]:
        cache = self.local.cache

        def cached() -> list[Activity] | None:
            rows = cache.get_rows(self.KIND, Activity) if cache is not None else None
            return [a for a in rows if keep(a)] if rows is not None else None

        return cached

    def _save(self, value: list[Activity]) -> Callable[[], object]:
        cache = self.local.cache
        stamp, rows = self.local._stamp(), {a.id: a for a in value}
        return lambda: cache.merge_rows(self.KIND, "", rows, **stamp) if cache is not None else None

    async def _watch(self, read: Awaitable[T]) -> T:
        """`read`; an answer that the server has no activities (404, 403, 410) drops the check kept
        with the account, so the next connect asks again."""
        try:
            return await read
        except BackendError as exc:
            if isinstance(exc, (NotFound, PermissionDenied)) or exc.status == 410:
                self.local.forget_check(self.KIND)
            raise

    async def activities(self, activity_ids: tuple[str, ...]) -> list[Activity]:
        wanted = set(activity_ids)
        return await self._watch(self.local._read(
            lambda: self.inner.activities(activity_ids), self._kept(lambda a: a.id in wanted), self._save, "the activities"
        ))

    async def open_activities(
        self, *, user_id: str | None = None, on_progress: ProgressCallback | None = None
    ) -> list[Activity]:
        return await self._watch(self.local._read(
            lambda: self.inner.open_activities(user_id=user_id, on_progress=on_progress),
            self._kept(lambda a: not a.done and (user_id is None or a.user_id == user_id)), self._save,
            "the open activities",
        ))

    async def set_activity_done(self, activity_id: str, done: bool = True) -> Activity:
        return await self.inner.set_activity_done(activity_id, done)


class _Pages:
    """Pages: the tree and each page read are cached (the pages screen shows the last tree known offline)."""

    CACHED: ClassVar[frozenset[str]] = frozenset({"tree", "page"})
    NETWORK_ONLY: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, local: CachedBackend, inner: PagesApi) -> None:
        self.local = local
        self.inner = inner

    async def tree(self) -> list[Page]:
        from crmtui.domain.pages import Page

        return await self.local._list("page_tree", "", Page, self.inner.tree, "the pages")

    async def page(self, page_id: str) -> Page:
        from crmtui.domain.pages import Page

        return await self.local._one("page", page_id, Page, lambda: self.inner.page(page_id), "the page")


class _Workflows:
    """Workflows: the list and each workflow are cached."""

    CACHED: ClassVar[frozenset[str]] = frozenset({"workflows", "workflow"})
    NETWORK_ONLY: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, local: CachedBackend, inner: WorkflowsApi) -> None:
        self.local = local
        self.inner = inner

    async def workflows(self) -> list[Workflow]:
        from crmtui.domain.jobs import Workflow

        return await self.local._list("workflows", "", Workflow, self.inner.workflows, "the workflows")

    async def workflow(self, workflow_id: str) -> Workflow:
        from crmtui.domain.jobs import Workflow

        return await self.local._one(
            "workflow", workflow_id, Workflow, lambda: self.inner.workflow(workflow_id), "the workflow"
        )


class _Jobs:
    """Jobs: a page of the list is cached (the screen shows the jobs as last known offline); one job and
    its logs are network only (a job being followed is worth only what the server says now); running
    and cancelling are sent as they are (asked first, never queued: a run is for now)."""

    CACHED: ClassVar[frozenset[str]] = frozenset({"jobs"})
    NETWORK_ONLY: ClassVar[frozenset[str]] = frozenset({"job", "logs"})

    def __init__(self, local: CachedBackend, inner: JobsApi) -> None:
        self.local = local
        self.inner = inner

    async def jobs(self, *, status: str | None = None, page: int = 0, per_page: int = 50) -> JobsPage:
        from crmtui.domain.jobs import JobsPage

        return await self.local._one(
            "jobs", f"{status or ''}|{page}|{per_page}", JobsPage,
            lambda: self.inner.jobs(status=status, page=page, per_page=per_page), "the jobs",
        )

    async def job(self, job_id: str) -> Job:
        self.local._network_only("a job as it is now")
        return await self.inner.job(job_id)

    async def logs(self, job_id: str, *, page: int = 0, per_page: int = 100) -> JobLogsPage:
        self.local._network_only("a job's log")
        return await self.inner.logs(job_id, page=page, per_page=per_page)

    async def run(
        self, workflow_id: str, *, start_at: dt.datetime | None = None, params: dict[str, str] | None = None
    ) -> Job:
        self.local._network_only("running a workflow")
        return await self.inner.run(workflow_id, start_at=start_at, params=params)

    async def cancel(self, job_id: str) -> None:
        self.local._network_only("cancelling a job")
        await self.inner.cancel(job_id)


class _Modules:
    """Modules: the list, each module and the field kinds are cached (the records screen offline still
    knows every module's fields); the module writes are forwarded."""

    CACHED: ClassVar[frozenset[str]] = frozenset({"modules", "module", "field_kinds"})
    NETWORK_ONLY: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, local: CachedBackend, inner: ModulesApi) -> None:
        self.local = local
        self.inner = inner

    async def modules(self) -> list[Module]:
        from crmtui.domain.records import Module

        return await self.local._list("modules", "", Module, self.inner.modules, "the modules")

    async def module(self, module_id: str) -> Module:
        from crmtui.domain.records import Module

        return await self.local._one("module", module_id, Module, lambda: self.inner.module(module_id), "the module")

    async def field_kinds(self) -> list[FieldKind]:
        from crmtui.domain.records import FieldKind

        return await self.local._list("field_kinds", "", FieldKind, self.inner.field_kinds, "the field kinds")

    async def create_module(self, name: str, fields: list[ModuleField]) -> Module:
        return await self.inner.create_module(name, fields)

    async def update_module(self, module_id: str, name: str, fields: list[ModuleField]) -> Module:
        return await self.inner.update_module(module_id, name, fields)

    async def delete_module(self, module_id: str) -> None:
        await self.inner.delete_module(module_id)


class _Records:
    """Records: a module's whole list (per query and order) and each record read are cached; one page
    is network only (a screen pages through the server's answer, or reads the whole list); writes are
    forwarded (the outbox sends them)."""

    CACHED: ClassVar[frozenset[str]] = frozenset({"records_all", "record"})
    NETWORK_ONLY: ClassVar[frozenset[str]] = frozenset({"records"})

    def __init__(self, local: CachedBackend, inner: RecordsApi) -> None:
        self.local = local
        self.inner = inner

    async def records(
        self, module_id: str, *, query: str = "", page: int = 0, per_page: int = 50, sort: str = "createdAt DESC"
    ) -> RecordsPage:
        self.local._network_only("a page of records")
        return await self.inner.records(module_id, query=query, page=page, per_page=per_page, sort=sort)

    async def records_all(
        self,
        module_id: str,
        *,
        query: str = "",
        sort: str = "createdAt DESC",
        on_progress: ProgressCallback | None = None,
        on_first_page: Callable[[list[Record]], None] | None = None,
    ) -> list[Record]:
        from crmtui.domain.records import Record

        return await self.local._list(  # with its first screenful kept apart, for the next start
            "records", f"{module_id}|{sort}|{query}", Record,
            lambda: self.inner.records_all(
                module_id, query=query, sort=sort, on_progress=on_progress, on_first_page=on_first_page
            ),
            "the module's records", head="records_head",
        )

    async def record(self, module_id: str, record_id: str) -> Record:
        from crmtui.domain.records import Record

        return await self.local._one(
            "record", f"{module_id}/{record_id}", Record, lambda: self.inner.record(module_id, record_id), "the record"
        )

    async def create_record(self, module_id: str, values: dict[str, RecordValue]) -> Record:
        return await self.inner.create_record(module_id, values)

    async def replace_record(self, module_id: str, record_id: str, values: dict[str, RecordValue]) -> Record:
        return await self.inner.replace_record(module_id, record_id, values)

    async def update_record(self, module_id: str, record_id: str, read: Record, changes: dict[str, RecordValue]) -> Record:
        return await self.inner.update_record(module_id, record_id, read, changes)

    async def delete_record(self, module_id: str, record_id: str) -> None:
        await self.inner.delete_record(module_id, record_id)


class _Charts:
    """Charts: each chart read (per module and query) is cached, so a chart opened before shows offline."""

    CACHED: ClassVar[frozenset[str]] = frozenset({"chart"})
    NETWORK_ONLY: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, local: CachedBackend, inner: ChartsApi) -> None:
        self.local = local
        self.inner = inner

    async def chart(self, module_id: str, query: ChartQuery) -> ChartData:
        from crmtui.domain.charts import ChartData

        return await self.local._one(
            "chart", f"{module_id}|{query.key()}", ChartData, lambda: self.inner.chart(module_id, query), "the chart"
        )


class _Directory:
    """Every contact's directory page: the server's alone (the directory service keeps the rows)."""

    CACHED: ClassVar[frozenset[str]] = frozenset()
    NETWORK_ONLY: ClassVar[frozenset[str]] = frozenset({"directory_page"})

    def __init__(self, local: CachedBackend, inner: ContactDirectoryApi) -> None:
        self.local = local
        self.inner = inner

    async def directory_page(
        self, page: int, *, per_page: int = 100, modified_since: dt.datetime | None = None
    ) -> DirectoryPage:
        local = self.local
        local._network_only("reading the directory")
        try:
            found = await self.inner.directory_page(page, per_page=per_page, modified_since=modified_since)
        except Offline:
            local._went_offline()
            raise
        local.mark_online()
        return found


WRAPPERS: dict[str, type] = {
    "action_stream": _ActionStream,
    "team_stream": _TeamStream,
    "contacts": _Contacts,
    "deals": _Deals,
    "history": _History,
    "notifications": _Notifications,
    "leads": _Leads,
    "files": _Files,
    "search": _Search,
    "teams": _Teams,
    "goals": _Goals,
    "filters": _Filters,
    "activities": _Activities,
    "pages": _Pages,
    "workflows": _Workflows,
    "jobs": _Jobs,
    "modules": _Modules,
    "records": _Records,
    "charts": _Charts,
    "directory": _Directory,
}
"""The cache's wrapper of each feature family (by `Features` field): the declarative table the test reads."""


def lead_scope(archived: bool, owner_id: str | None, filter_id: str | None) -> str:
    """The cache's key of a list of leads: archived or open, whose, which filter."""
    return f"{'archived' if archived else 'open'}:{owner_id or ''}:{filter_id or ''}"


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

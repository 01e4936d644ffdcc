"""Find anyone: any contact of the account by name, company, email or phone, not only those in the stream.

A query is answered twice. At once from what is loaded here (the stream's entries, with the changes
on their way), matched against a normalised copy of each entry's name, company, emails and phones
made once and kept until the session says the entry changed (`find_match`); then from the server,
which searches the whole account (`find_contacts`: `email=` for a query shaped like an address,
`phone=` for one that is mostly digits, `search=` otherwise). The server's contacts are merged into
the loaded ones (one row per contact, the loaded copy kept) and ranked by the same rules. A later
query makes an earlier one's late answer void. Offline, or when the server fails, the loaded answer
stays and the result says why the server's is missing.

A long list indexed as a whole (the first query, or after a reload) is folded in a thread when an event
loop runs (`BACKGROUND_FROM`): a new index made from a copy of the list and the old index's haystacks
(which are never changed), swapped in whole on the loop's thread when it is done, then brought up to
date with what the session said meanwhile. Until then the index there was answers, and the result says
how many contacts are being indexed. Nothing is read by two threads while another changes it, and
nothing on the loop's thread waits for the fold.
"""

from __future__ import annotations

import asyncio
import enum
import gc
import heapq
import logging
import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import compress
from operator import attrgetter, is_not

from crmtui.backends.errors import BackendError, Offline, TooSlow
from crmtui.domain.directory import DirectoryRow
from crmtui.domain.models import StreamEntry
from crmtui.service.features import contacts_api
from crmtui.service.find_match import (
    SERVER_MIN_CHARS,
    ContactIndex,
    Found,
    Haystack,
    Pool,
    Query,
    Tier,
    best,
    best_of_phone,
    candidates,
    match,
    narrows,
    rank,
)
from crmtui.service.directory import ContactDirectory, directory_for
from crmtui.service.session import Changed, Session

__all__ = [
    "BACKGROUND_FROM",
    "SERVER_MIN_CHARS",
    "ContactFinder",
    "FindResult",
    "Found",
    "ServerState",
    "Tier",
    "finder_for",
]

log = logging.getLogger(__name__)

BACKGROUND_FROM = 2_000
"""A list of this many contacts or more is indexed as a whole in a thread (when an event loop runs):
folding takes about 20 µs a contact, so 100,000 would hold the screen for two seconds."""
SHARE = 16
"""The thread that folds lets the event loop's have the interpreter every this many contacts (~0.3 ms)."""


class ServerState(enum.Enum):
    NOT_ASKED = "not asked"
    """The query is empty or too short to send."""
    ASKING = "asking"
    ANSWERED = "answered"
    OFFLINE = "offline"
    FAILED = "failed"


@dataclass(frozen=True)
class FindResult:
    query: str
    found: list[Found]
    """Best first, at most the `limit` asked for."""
    total: int
    """How many matched in all (more than `found` holds when a limit cut it)."""
    from_stream: int
    from_server: int
    """Found by the server and not in the loaded stream."""
    server: ServerState
    problem: str = ""
    """Why the server could not answer (FAILED): short, fit to show."""
    indexing: int = 0
    """Contacts being indexed in a thread: until they are, the answer is the older index's."""
    from_directory: int = 0
    """Found among the contacts kept here (the directory) and not in the loaded stream."""
    kept: int = 0
    """Contacts of the whole account kept here (the directory; 0: none)."""
    expected: int = 0
    """The account's contacts as the server last counted them."""
    complete: bool = False
    """The directory holds every contact of the account (the server is not asked then)."""


def _short(error: BackendError) -> str:
    message = error.user_message.strip()
    first = message.split(". ")[0].rstrip(".")
    return first if len(first) <= 80 else first[:79] + "…"


# -- the finder --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Local:
    """What the loaded contacts answer: the best `found` (best first; all of them without a limit), how
    many matched in all, and which (for merging the server's answer)."""

    found: list[Found]
    total: int
    ids: Callable[[], set[str]]
    outside: int = 0
    """Of `total`, found among the directory's contacts (those not in the stream)."""


class ContactFinder:
    """Finds contacts for one session: `find` answers from the stream loaded, `ask_server` adds the server's.

    The loaded contacts are kept in a `ContactIndex` (each folded once, again only when the session says
    it changed, or its row was replaced); a keystroke that extends the last query looks only among the
    last one's candidates, and only the `limit` best are ranked. It does not keep the session alive (the
    session's signal holds the finder, `finder_for` keeps one per session while the session lives)."""

    def __init__(self, session: Session) -> None:
        self._session = weakref.ref(session)
        self._index = ContactIndex()
        self._of: Sequence[StreamEntry] | None = None
        """The session's list the index was last made from (or the copy of it an index was made from in a
        thread)."""
        self._everything = True
        """The session said anything may have changed (or nothing was indexed yet)."""
        self._dirty: set[str] = set()
        self._last: tuple[Query, int, Pool] | None = None
        """The last query, the index version it was narrowed on, and its candidates."""
        self._generation = 0
        self._answer: tuple[str, list[StreamEntry]] | None = None
        """The server's last answer: the query as typed, the contacts it found."""
        self.background_from = BACKGROUND_FROM
        """Lists at least this long are indexed as a whole in a thread (when an event loop runs)."""
        self._building: asyncio.Task[None] | None = None
        self._indexing = 0
        self._directory: ContactDirectory | bool | None = False
        """The session's directory (None: its backend has none; False: not looked for yet)."""
        self._kept = ContactIndex()
        """The directory's rows but the stream's, indexed (made whole in a thread when they change)."""
        self._kept_version = -1
        self._kept_stream = -1
        """How many contacts the stream's index held when the directory's was made."""
        self._kept_building: asyncio.Task[None] | None = None
        self._kept_indexing = 0
        self._kept_last: tuple[Query, int, Pool] | None = None
        self._unsubscribe = session.changes.subscribe(self._forget)

    @property
    def built(self) -> int:
        """Haystacks built (a measure of work: each entry once until it changes)."""
        return self._index.built

    @property
    def indexing(self) -> int:
        """Contacts being indexed in a thread now (0: none)."""
        stream = self._indexing if self._building is not None else 0
        return stream + (self._kept_indexing if self._kept_building is not None else 0)

    async def indexed(self) -> None:
        """Returns once no index is being made in a thread (at once when none is). Cancelling the
        caller does not cancel the fold."""
        while (task := self._building or self._kept_building) is not None:
            await asyncio.wait({task})

    @property
    def directory(self) -> ContactDirectory | None:
        if self._directory is False:
            self._directory = directory_for(self.session)
        return self._directory if isinstance(self._directory, ContactDirectory) else None

    def _directory_index(self) -> ContactIndex | None:
        """The directory's index as its rows are now (the older one while a new one is made in a thread)."""
        directory = self.directory
        if directory is None:
            return None
        if self._kept_building is not None or self._building is not None:
            return self._kept  # the stream's index first: the directory's leaves the stream's contacts out
        if directory.version != self._kept_version or len(self._index) != self._kept_stream:
            version, rows = directory.version, tuple(directory.rows.values())
            skip = frozenset(self._index.by_id)
            self._kept_stream = len(skip)  # contacts joining or leaving the stream: made again
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
            if loop is None or len(rows) < self.background_from:
                self._kept, self._kept_version, self._kept_last = ContactIndex.made_from_rows(rows, skip), version, None
            else:
                self._kept_indexing = len(rows)
                self._kept_building = loop.create_task(self._build_kept(version, rows, skip))
        return self._kept

    async def _build_kept(self, version: int, rows: tuple[DirectoryRow, ...], skip: frozenset[str]) -> None:
        paused = gc.isenabled()
        if paused:
            gc.disable()
        stop = threading.Event()
        try:
            index = await asyncio.to_thread(ContactIndex.made_from_rows, rows, skip, share=SHARE, stop=stop.is_set)
        except asyncio.CancelledError:
            stop.set()
            raise
        except Exception:
            log.exception("indexing the directory for the finder failed")
            self._kept_version = version  # not again until it changes
            return
        finally:
            self._kept_building = None
            if paused:
                gc.freeze()
                gc.enable()
        index.version = self._kept.version + 1
        self._kept, self._kept_version, self._kept_last = index, version, None

    @property
    def session(self) -> Session:
        session = self._session()
        if session is None:
            raise RuntimeError("the finder's session is gone")
        return session

    def close(self) -> None:
        self._unsubscribe()
        if self._building is not None:
            self._building.cancel()
        if self._kept_building is not None:
            self._kept_building.cancel()
        self._kept = ContactIndex()
        self._index = ContactIndex()
        self._last = None

    def _forget(self, changed: Changed) -> None:
        if changed is None:
            self._everything = True
            self._dirty.clear()
        elif not self._everything:
            self._dirty.update(changed)

    def _sync(self) -> ContactIndex:
        """The index as the session's entries are now: the contacts the session said changed made again,
        and those whose row is another object than before (a list replaced, with or without a word);
        when the session said anything may have changed (a reload), every row looked at and only those
        whose text changed made again.

        While an index is made in a thread, the older one answers as it is (what the session says
        meanwhile is kept for the new one)."""
        if self._building is not None:
            return self._index
        session, index = self.session, self._index
        entries = session.entries
        before = None if self._everything else self._of
        changed: dict[str, StreamEntry | None] = {}
        """Contact id -> its row now (None: gone)."""
        if before is not None and entries is not before:
            if len(before) == len(entries):  # the usual replacement: a few rows are other objects
                moved = list(compress(range(len(entries)), map(is_not, entries, before)))
                if len(moved) > max(64, len(entries) // 16):
                    before = None  # re-sorted or reloaded: look at every row
                else:  # the other rows are the same objects, so an id seen only at a moved place is gone
                    changed = {entries[at].contact.id: entries[at] for at in moved}
                    for at in moved:
                        changed.setdefault(before[at].contact.id, None)
            else:
                before = None
        asked = self._dirty - changed.keys()
        if before is None or len(asked) > 8:  # each would be looked for in the session's list
            return self._rebuild(entries)
        else:
            for contact_id in asked:
                changed[contact_id] = session.entry(contact_id)
            for contact_id, entry in changed.items():
                index.update(contact_id, entry)
            if len(index) != len(entries):  # rows came or went without a word: look at them all
                return self._rebuild(entries)
        self._everything, self._of = False, entries
        self._dirty.clear()
        return index

    def _rebuild(self, entries: list[StreamEntry]) -> ContactIndex:
        """The index made again from every row: here for a short list, in a thread for a long one
        (the older index answering meanwhile)."""
        if len(entries) >= self.background_from and self._build_in_thread(entries):
            return self._index
        self._index.rebuild(entries)
        self._everything, self._of = False, entries
        self._dirty.clear()
        return self._index

    def _build_in_thread(self, entries: list[StreamEntry]) -> bool:
        """Start making a new index of `entries` in a thread; False when no event loop runs here (a
        script: the caller folds them itself)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        snapshot = tuple(entries)  # the rows as they are now: the session may change its list meanwhile
        known = dict(self._index.by_id)  # the older index's haystacks, which are never changed in place
        # What the session says from now on is for after the swap; what it said before is in the snapshot.
        self._everything, self._dirty = False, set()
        self._indexing = len(snapshot)
        self._building = loop.create_task(self._build(entries, snapshot, known, self._index.built))
        return True

    async def _build(
        self, entries: list[StreamEntry], snapshot: tuple[StreamEntry, ...], known: dict[str, Haystack], built: int
    ) -> None:
        """Fold `snapshot` (a copy of `entries`) in a thread, then (on the loop's thread) swap the new
        index in whole and apply what the session said since the snapshot."""
        try:
            index = await self._fold(snapshot, known, built)
        except BaseException as exc:
            self._building = None
            self._everything = True  # the snapshot was not indexed: look at every row next time
            if not isinstance(exc, Exception):
                raise
            log.exception("indexing the contacts for the finder failed; folding them here next time")
            self.background_from = max(self.background_from, len(snapshot) + 1)
            return
        self._building = None
        index.version = self._index.version + 1  # what was narrowed on the older index is void
        # The session's list itself when it is still the one copied (what changed in it since was said, as
        # for any list the index was made from: no pass over its rows to find out), else the copy.
        same = self._session() is not None and self.session.entries is entries and len(entries) == len(snapshot)
        self._index, self._of, self._last = index, entries if same else snapshot, None
        if self._session() is not None:
            self._sync()  # the changes noted since the snapshot (or, after a reload meanwhile, another build)
            self._directory_index()  # the directory's next, without the stream's contacts (`indexed` waits)

    @staticmethod
    async def _fold(snapshot: tuple[StreamEntry, ...], known: dict[str, Haystack], built: int) -> ContactIndex:
        """`ContactIndex.made_from` in a thread, the cyclic collector off meanwhile: the hundreds of
        thousands of objects it makes would set off full passes over the heap, each holding every
        thread for 0.1-0.7 s at 100,000 contacts (measured). What was made is then frozen, left out of
        later passes, as `heap.large_read` does with the rows read (without its pass over what was
        made first, which would walk the new index on the loop's thread: cyclic garbage made meanwhile
        waits for the next full pass, `heap.SWEEP_EVERY`)."""
        paused = gc.isenabled()
        if paused:
            gc.disable()
        stop = threading.Event()  # set when this is cancelled (the app quits): the thread gives up soon
        try:
            return await asyncio.to_thread(
                ContactIndex.made_from, snapshot, known, built=built, share=SHARE, stop=stop.is_set
            )
        except asyncio.CancelledError:
            stop.set()
            raise
        finally:
            if paused:
                gc.freeze()
                gc.enable()

    def haystacks(self) -> list[Haystack]:
        """The loaded contacts' haystacks in `Haystack.key` order, made or brought up to date now (the
        finder's dialog calls this once drawn, so that its first keystroke does not); the directory's
        index is started too."""
        order = self._sync().order
        self._directory_index()
        return order

    def _candidates(self, index: ContactIndex, q: Query, *, kept: bool = False) -> Pool:
        last = self._kept_last if kept else self._last
        if last is not None and last[1] == index.version and (last[0].folded, last[0].phone) == (q.folded, q.phone):
            return last[2]  # the same query (a space typed, or asked again)
        if last is not None and last[1] == index.version and narrows(last[0], q):
            pool = candidates(q, last[2])
        else:
            pool = candidates(q, index.pool())
        if kept:
            self._kept_last = (q, index.version, pool)
        else:
            self._last = (q, index.version, pool)
        return pool

    def _loaded(self, q: Query, limit: int | None) -> _Local:
        if not q.folded:
            return _Local([], 0, set)
        stream = self._index_answer(self._sync(), q, limit, loaded=True)
        kept = self._directory_index()
        if kept is None or not len(kept):
            return stream
        outside = self._index_answer(kept, q, limit, loaded=False, kept=True)
        mine = self._index.by_id
        extra = [f for f in outside.found if f.contact_id not in mine]  # in the stream since: its copy wins
        found = sorted([*stream.found, *extra], key=attrgetter("sort_key")) if extra else stream.found
        if limit is not None:
            found = found[:limit]
        total = stream.total + outside.total
        return _Local(found, total, lambda: stream.ids() | outside.ids(), outside.total)

    def _index_answer(
        self, index: ContactIndex, q: Query, limit: int | None, *, loaded: bool, kept: bool = False
    ) -> _Local:
        pool = self._candidates(index, q, kept=kept)
        hays = pool.hays
        if limit is not None and len(q.words) == 1 and not q.phone:
            exact = index.named(q.folded)
            return _Local(
                best(q, hays, limit, loaded=loaded, exact=exact), len(hays), lambda: {h.contact_id for h in hays}
            )
        if limit is not None and q.phone:
            top, total, ids = best_of_phone(q, pool, limit, loaded=loaded)
            return _Local(top, total, ids)
        found = rank(q, hays, loaded=loaded)
        if limit is not None and limit < len(found):
            top = heapq.nsmallest(limit, found, key=attrgetter("sort_key"))
        else:
            top = sorted(found, key=attrgetter("sort_key"))
        return _Local(top, len(found), lambda: {f.contact_id for f in found})

    def local(self, query: str, *, limit: int | None = None) -> FindResult:
        """Matches among the contacts loaded here only (the command palette), the server not asked."""
        q = Query.of(query)
        return self._result(q, self._loaded(q, limit), [], ServerState.NOT_ASKED, limit=limit)

    def find(self, query: str, *, limit: int | None = None) -> FindResult:
        """The answer from what is loaded, at once; says whether `ask_server(query)` will add to it.

        Starts a new query: whatever the server still has to answer for an earlier one is void."""
        self._generation += 1
        q = Query.of(query)
        return self._result(q, self._loaded(q, limit), [], self._server_state(q), limit=limit)

    def _server_state(self, q: Query) -> ServerState:
        directory = self.directory
        if not q.for_server or (directory is not None and directory.complete):
            return ServerState.NOT_ASKED  # too short, or every contact is kept here
        return ServerState.OFFLINE if self.session.offline else ServerState.ASKING  # crmtui --offline

    async def ask_server(self, query: str, *, limit: int | None = None) -> FindResult | None:
        """The loaded answer with the server's merged in; None when `find` started another query meanwhile
        (its answer is void). Offline or on a server error, the loaded answer and the reason."""
        generation = self._generation
        q = Query.of(query)
        state = self._server_state(q)
        if state is not ServerState.ASKING:
            return self._result(q, self._loaded(q, limit), [], state, limit=limit)
        try:
            entries = await contacts_api(self.session.backend).find_contacts(**q.server_filter)
        except BackendError as exc:
            if generation != self._generation:
                return None
            offline = isinstance(exc, Offline) and not isinstance(exc, TooSlow)
            state = ServerState.OFFLINE if offline else ServerState.FAILED
            return self._result(
                q, self._loaded(q, limit), [], state, problem="" if offline else _short(exc), limit=limit
            )
        if generation != self._generation:
            return None
        self._answer = (q.text, entries)
        local = self._loaded(q, limit)  # the stream as it is now, not as it was when the server was asked
        return self._merged(q, local, entries, limit)

    def again(self, result: FindResult, *, limit: int | None = None) -> FindResult:
        """`result` answered again from the index as it is now (the dialog asks once an index made in a
        thread is in), with the server's contacts it held and its state: no new request, and an answer
        still on its way for the same query stays valid."""
        q = Query.of(result.query)
        local = self._loaded(q, limit)
        answer = self._answer
        if result.server is ServerState.ANSWERED and answer is not None and answer[0] == q.text:
            return self._merged(q, local, answer[1], limit)
        return self._result(q, local, [], result.server, problem=result.problem, limit=limit)

    def _merged(self, q: Query, local: _Local, entries: Sequence[StreamEntry], limit: int | None) -> FindResult:
        """`local` with the server's `entries` merged in: one row per contact, the loaded copy kept."""
        loaded = self._index.by_id
        have = local.ids()
        added: list[Found] = []
        for entry in entries:
            contact_id = entry.contact.id
            if contact_id in have:
                continue
            have.add(contact_id)
            if contact_id in loaded:  # found by the server on something not matched here: the loaded copy
                added.append(Found.of(loaded[contact_id], Tier.SERVER, "", loaded=True))
                continue
            hay = Haystack.of(entry)
            hit = match(q, hay)
            tier, detail = hit if hit is not None else (Tier.SERVER, "")
            added.append(Found.of(hay, tier, detail, loaded=False))
        return self._result(q, local, added, ServerState.ANSWERED, limit=limit)

    def _result(
        self,
        q: Query,
        local: _Local,
        added: list[Found],
        state: ServerState,
        *,
        problem: str = "",
        limit: int | None = None,
    ) -> FindResult:
        """`local`'s best with `added` (the server's) merged in, cut to `limit`. The counts: everything
        that matched, though only the best were ranked."""
        found = local.found
        if added:
            found = sorted([*found, *added], key=attrgetter("sort_key"))
        from_server = sum(1 for f in added if not f.loaded)
        total = local.total + len(added)
        shown = found if limit is None else found[:limit]
        directory = self.directory
        if directory is None:
            return FindResult(q.text, shown, total, total - from_server, from_server, state, problem, self.indexing)
        from_directory = local.outside
        return FindResult(
            q.text, shown, total, total - from_server - from_directory, from_server, state, problem, self.indexing,
            from_directory, directory.kept, directory.expected, directory.complete,
        )


_FINDERS: weakref.WeakKeyDictionary[Session, ContactFinder] = weakref.WeakKeyDictionary()


def finder_for(session: Session) -> ContactFinder:
    """The session's one finder (its normalised copies of the stream are made once, for every screen)."""
    finder = _FINDERS.get(session)
    if finder is None:
        finder = _FINDERS[session] = ContactFinder(session)
    return finder

"""Find anyone: any contact of the account by name, company, email or phone, not only those in the stream.

A query is answered twice. At once from what is loaded here (the stream's entries, with the changes
on their way), matched against a normalised copy of each entry's name, company, emails and phones
made once and kept until the session says the entry changed (`find_match`); then from the server,
which searches the whole account (`find_contacts`: `email=` for a query shaped like an address,
`phone=` for one that is mostly digits, `search=` otherwise). The server's contacts are merged into
the loaded ones (one row per contact, the loaded copy kept) and ranked by the same rules. A later
query makes an earlier one's late answer void. Offline, or when the server fails, the loaded answer
stays and the result says why the server's is missing.
"""

from __future__ import annotations

import enum
import weakref
from operator import attrgetter
from dataclasses import dataclass

from crmtui.backends.errors import BackendError, Offline, TooSlow
from crmtui.domain.models import StreamEntry
from crmtui.service.features import contacts_api
from crmtui.service.find_match import SERVER_MIN_CHARS, Found, Haystack, Query, Tier, match, rank
from crmtui.service.session import Changed, Session

__all__ = ["SERVER_MIN_CHARS", "ContactFinder", "FindResult", "Found", "ServerState", "Tier", "finder_for"]


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


def _short(error: BackendError) -> str:
    message = error.user_message.strip()
    first = message.split(". ")[0].rstrip(".")
    return first if len(first) <= 80 else first[:79] + "…"


# -- the finder --------------------------------------------------------------------------------------


class ContactFinder:
    """Finds contacts for one session: `find` answers from the stream loaded, `ask_server` adds the server's.

    It does not keep the session alive (the session's signal holds the finder, `finder_for` keeps one
    per session while the session lives)."""

    def __init__(self, session: Session) -> None:
        self._session = weakref.ref(session)
        self._index: dict[str, Haystack] = {}
        self._hays: list[Haystack] = []
        """The haystacks of `session.entries`, in its order, while `_hays_of` is that list."""
        self._hays_of: list[StreamEntry] | None = None
        self._generation = 0
        self._unsubscribe = session.changes.subscribe(self._forget)
        self.built = 0
        """Haystacks built (a measure of work: each entry once until it changes)."""

    @property
    def session(self) -> Session:
        session = self._session()
        if session is None:
            raise RuntimeError("the finder's session is gone")
        return session

    def close(self) -> None:
        self._unsubscribe()
        self._index.clear()

    def _forget(self, changed: Changed) -> None:
        self._hays_of = None
        if changed is None:
            self._index.clear()
        else:
            for contact_id in changed:
                self._index.pop(contact_id, None)

    def haystack(self, entry: StreamEntry) -> Haystack:
        contact_id = entry.contact.id
        hay = self._index.get(contact_id)
        if hay is None or hay.entry is not entry:  # also a row replaced without a signal
            hay = Haystack.of(entry)
            self._index[contact_id] = hay
            self.built += 1
        return hay

    def haystacks(self) -> list[Haystack]:
        """The stream's haystacks, kept until the session says something changed (or the list is replaced):
        a keystroke then costs one pass over them, not a look-up per entry."""
        entries = self.session.entries
        if self._hays_of is not entries or len(self._hays) != len(entries):
            self._hays = [self.haystack(e) for e in entries]
            self._hays_of = entries
        return self._hays

    def _loaded(self, query: Query) -> list[Found]:
        return rank(query, self.haystacks(), loaded=True)

    def local(self, query: str, *, limit: int | None = None) -> FindResult:
        """Matches among the contacts loaded here only (the command palette), the server not asked."""
        q = Query.of(query)
        return self._result(q, self._loaded(q), ServerState.NOT_ASKED, limit=limit)

    def find(self, query: str, *, limit: int | None = None) -> FindResult:
        """The answer from what is loaded, at once; says whether `ask_server(query)` will add to it.

        Starts a new query: whatever the server still has to answer for an earlier one is void."""
        self._generation += 1
        q = Query.of(query)
        return self._result(q, self._loaded(q), self._server_state(q), limit=limit)

    def _server_state(self, q: Query) -> ServerState:
        if not q.for_server:
            return ServerState.NOT_ASKED
        return ServerState.OFFLINE if self.session.offline else ServerState.ASKING  # crmtui --offline

    async def ask_server(self, query: str, *, limit: int | None = None) -> FindResult | None:
        """The loaded answer with the server's merged in; None when `find` started another query meanwhile
        (its answer is void). Offline or on a server error, the loaded answer and the reason."""
        generation = self._generation
        q = Query.of(query)
        state = self._server_state(q)
        if state is not ServerState.ASKING:
            return self._result(q, self._loaded(q), state, limit=limit)
        try:
            entries = await contacts_api(self.session.backend).find_contacts(**q.server_filter)
        except BackendError as exc:
            if generation != self._generation:
                return None
            offline = isinstance(exc, Offline) and not isinstance(exc, TooSlow)
            state = ServerState.OFFLINE if offline else ServerState.FAILED
            return self._result(q, self._loaded(q), state, problem="" if offline else _short(exc), limit=limit)
        if generation != self._generation:
            return None
        found = self._loaded(q)  # the stream as it is now, not as it was when the server was asked
        loaded = {e.contact.id for e in self.session.entries}
        have = {f.contact_id for f in found}
        for entry in entries:
            contact_id = entry.contact.id
            if contact_id in have:
                continue
            have.add(contact_id)
            if contact_id in loaded:  # found by the server on something not matched here: the loaded copy
                local = self.session.entry(contact_id)
                hay = self.haystack(local) if local is not None else Haystack.of(entry)
                found.append(Found.of(hay, Tier.SERVER, "", loaded=True))
                continue
            hay = Haystack.of(entry)
            hit = match(q, hay)
            tier, detail = hit if hit is not None else (Tier.SERVER, "")
            found.append(Found.of(hay, tier, detail, loaded=False))
        return self._result(q, found, ServerState.ANSWERED, limit=limit)

    def _result(
        self, q: Query, found: list[Found], state: ServerState, *, problem: str = "", limit: int | None = None
    ) -> FindResult:
        found.sort(key=attrgetter("sort_key"))
        from_server = sum(1 for f in found if not f.loaded)
        shown = found if limit is None else found[:limit]
        return FindResult(q.text, shown, len(found), len(found) - from_server, from_server, state, problem)


_FINDERS: weakref.WeakKeyDictionary[Session, ContactFinder] = weakref.WeakKeyDictionary()


def finder_for(session: Session) -> ContactFinder:
    """The session's one finder (its normalised copies of the stream are made once, for every screen)."""
    finder = _FINDERS.get(session)
    if finder is None:
        finder = _FINDERS[session] = ContactFinder(session)
    return finder

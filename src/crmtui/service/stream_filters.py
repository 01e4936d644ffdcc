"""The action stream's filter: which one is on, which contacts it keeps, remembered per profile.

A filter narrows the view, not the stream: the session keeps the whole stream (its refreshes, the
changes on their way, undo), and the screen shows the rows `keeps` lets through. Tag, status, lead
source, starred and waiting are told from each row (`StreamFilter.matches`: the same fields the
server filters on, so the same answer, at once and offline, with changes not yet sent counted). A
saved filter's members come from the server (GET /action_stream?filter_id=…), cached per filter apart
from the stream, so offline it keeps its last known members, and says so; never fetched, it says it
cannot be applied.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from pydantic import ValidationError

from crmtui.backends.errors import BackendError
from crmtui.domain.models import StreamEntry
from crmtui.domain.stream_filter import SavedFilter, StreamFilter
from crmtui.service.features import stream_api
from crmtui.service.signals import Signal
from crmtui.store.view_state import ViewState

if TYPE_CHECKING:
    from crmtui.service.session import Session

log = logging.getLogger(__name__)

MEMORY_KEY = "stream_filter"


class StreamFilters:
    """One session's stream filter; `changes` fires whenever what it keeps may have changed."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self.memory: ViewState | None = None
        """Where the choice is kept across restarts (the composition root sets it per profile)."""
        self.active: StreamFilter | None = None
        self.members: frozenset[str] | None = None
        """A saved filter's contacts as the server last said (None: not known yet)."""
        self.note = ""
        """Why the members are old or missing ("offline: as last fetched", "cannot be applied: …")."""
        self.loading = False
        self.changes: Signal[frozenset[str] | None] = Signal()
        """Fires (with None: any row may be in or out now) when the filter or its members change."""

    # -- what it keeps ---------------------------------------------------------------------------------
    def keeps(self, entry: StreamEntry) -> bool:
        active = self.active
        if active is None:
            return True
        if active.needs_server:
            return self.members is not None and entry.contact.id in self.members
        return active.matches(entry)

    def describe(self) -> str:
        """The header's words: "tag VIP", "My VIPs (offline: as last fetched)", "" when none."""
        if self.active is None:
            return ""
        text = self.active.describe()
        if self.loading and self.members is None:
            return f"{text} (loading…)"
        return f"{text} ({self.note})" if self.note else text

    # -- choosing --------------------------------------------------------------------------------------
    def restore(self) -> StreamFilter | None:
        """The filter this profile had on when it last ran (nothing fetched yet: see `refresh`)."""
        raw = self.memory.get(MEMORY_KEY) if self.memory is not None else None
        if raw is None:
            return None
        try:
            chosen = StreamFilter.model_validate(raw)
        except ValidationError:
            log.info("the remembered stream filter is not one: ignored")
            return None
        self._set(chosen)
        return chosen

    async def choose(self, chosen: StreamFilter | None) -> None:
        """Put `chosen` on (None: clear), remember it, and fetch a saved filter's members."""
        self._set(chosen)
        if self.memory is not None:
            self.memory.set(MEMORY_KEY, chosen.model_dump(mode="json") if chosen is not None else None)
        self.changes.emit(None)
        await self.refresh()

    def clear(self) -> None:
        """Take the filter off (at once: nothing to fetch)."""
        self._set(None)
        if self.memory is not None:
            self.memory.set(MEMORY_KEY, None)
        self.changes.emit(None)

    def _set(self, chosen: StreamFilter | None) -> None:
        self.active, self.members, self.note, self.loading = chosen, None, "", False

    async def refresh(self) -> None:
        """Ask the server again who is in a saved filter (with every refresh of the stream)."""
        chosen = self.active
        if chosen is None or not chosen.needs_server:
            return
        session = self._session
        self.loading = True
        try:
            found = await stream_api(session.backend).filtered_stream(chosen, user_id=session.stream_user_id)
        except BackendError as exc:
            if self.active == chosen:
                self.loading = False
                if self.members is None:
                    self.note = f"cannot be applied: {exc.user_message}"
                self.changes.emit(None)
            return
        if self.active != chosen:
            return  # another filter was chosen meanwhile
        self.loading = False
        self.members = frozenset(e.contact.id for e in found)
        local = session.local
        self.note = "offline: as last fetched" if local is not None and local.stale else ""
        self.changes.emit(None)

    async def saved(self) -> list[SavedFilter]:
        """The account's saved filters (the cached list offline)."""
        return await stream_api(self._session.backend).saved_filters()

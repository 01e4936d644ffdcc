"""What the app needs of the local copy of the server's data (the cache in front of the backend)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # for the annotations only: a start imports the domain of the backend it shows
    from crmtui.backends.errors import Offline
    from crmtui.domain.leads import Lead
    from crmtui.domain.models import Account, StreamEntry
    from crmtui.domain.records import Module, Record


class LocalCopy(Protocol):
    """The cache as the app sees it: the first paint before any request, and whether what is shown is stale."""

    stale: bool
    """Whether the last read came from the cache because the server could not be reached."""
    offline_error: Offline | None
    """Why the server could not be used last, until it answers again."""

    @property
    def notice(self) -> str | None:
        """Said once on start: the cache file was damaged and has been rebuilt."""

    async def check(self) -> bool:
        """Check the local copy's file for damage (a start reads its first rows before: the check
        reads the whole file); True when it was damaged and has been rebuilt (`notice` says so)."""

    async def cached_account(self) -> Account | None: ...

    async def cached_stream(
        self, user_id: str | None = None, *, limit: int | None = None
    ) -> tuple[list[StreamEntry], dt.datetime | None] | None: ...

    async def cached_leads(
        self, owner_id: str | None, *, archived: bool = False, filter_id: str | None = None
    ) -> tuple[list[Lead], dt.datetime | None] | None: ...

    def keep_lead(self, owner_id: str | None, archived: bool, lead_id: str, lead: Lead | None) -> None:
        """A lead as a confirmed change left it, in the local copy of the list of that scope (None: left it)."""

    async def cached_modules(self) -> list[Module] | None:
        """Crust's modules as last read (None: none kept)."""

    async def cached_records(
        self, module_id: str, *, sort: str, query: str = "", first: bool = False
    ) -> list[Record] | None:
        """A module's records as last read for that order and query (None: none kept); `first`: only
        their first screenful (None: none kept apart)."""

    async def last_synced(self) -> dt.datetime | None: ...

    def request_full_sync(self) -> None: ...

    def mark_online(self) -> None: ...

    def try_network(self) -> None: ...

    def keep_confirmed(self, user_id: str | None, contact_id: str, entry: StreamEntry | None) -> None:
        """A stream row as a change the server confirmed left it (None: it left the stream), kept
        without a re-read: the local copy holds it too."""

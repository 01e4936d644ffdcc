"""The team stream: counters per team member and one member's (or the whole account's) stream.

`TeamStream` is a second Session beside the app's own: same backend and account, but its own
entries and undo stack, so looking at a colleague's stream never disturbs the signed-in user's.
"""

from __future__ import annotations

from dataclasses import dataclass

from crmtui.backends.base import ProgressCallback
from crmtui.backends.errors import BackendError
from crmtui.domain.models import Account, StreamEntry, TeamCounts
from crmtui.domain.stream import conflicting_actions
from crmtui.service.outbox import OutboxEvent
from crmtui.service.errors import CommandRefused
from crmtui.service.session import ActionRef, ContactRef, Session, _contact_id
from crmtui.service.features import team_api


@dataclass(frozen=True)
class TeamMember:
    """One line of the team picker: a user (id None: everyone) and their counter."""

    user_id: str | None
    name: str
    count: int | None


class TeamStream(Session):
    """The stream of `viewing` (a user id, or None for the whole account) and the team counters."""

    def __init__(self, main: Session) -> None:
        super().__init__(main.backend, clock=main._clock, outbox=main.outbox, rereads=main.rereads)
        self.main = main
        self.account = main.account
        self.viewing: str | None = None
        """Whose stream: a user id, or None for everyone."""
        self.stream_user_id = None
        self.counts: TeamCounts | None = None
        self.loaded = False
        """Whether `entries` hold the stream of `viewing` (False while switching)."""

    # -- account and lifecycle -----------------------------------------------------------------
    async def connect(self) -> Account:
        if self.main.account is None:
            await self.main.connect()
        self.account = self.main.account
        assert self.account is not None
        return self.account

    async def close(self) -> None:
        """Nothing to close: the backend belongs to the app's session."""

    def members(self) -> list[TeamMember]:
        """Everyone first, then the signed-in user and the team, with their counters when known."""
        counts = self.counts
        rows = [TeamMember(None, "Everyone", counts.all if counts else None)]
        account = self.account or self.main.account  # the action stream's, until this one connects: the picker is whole at once
        if account is not None:
            for user in [account.user, *account.team]:
                if all(r.user_id != user.id for r in rows):
                    rows.append(TeamMember(user.id, user.name, counts.per_user.get(user.id, 0) if counts else None))
        return rows

    def viewing_name(self) -> str:
        if self.viewing is None or self.account is None:
            return "Everyone"
        return self.account.user_name(self.viewing)

    @property
    def viewing_self(self) -> bool:
        return self.viewing is not None and self.viewing == self.user_id

    # -- loading -------------------------------------------------------------------------------
    def view(self, user_id: str | None) -> bool:
        """Switch to `user_id`'s stream (None: everyone); True when that is a change."""
        if user_id == self.viewing and self.loaded:
            return False
        self.viewing = user_id
        self.stream_user_id = user_id
        self.entries = []
        self.overlay.forget()
        self.undo_stack = []  # undoing a change made on another stream would surprise
        self.loaded = False
        self._changed()
        return True

    @property
    def order_user_id(self) -> str | None:
        # On the whole account, "queued for me" means the signed-in user's, as in their own stream.
        return self.section_user_id

    @property
    def section_user_id(self) -> str | None:
        """Whose queued actions count as "queued for me" in the sections."""
        return self.viewing if self.viewing is not None else self.user_id

    async def load_stream(
        self, *, user_id: str | None = None, search: str | None = None, on_progress: ProgressCallback | None = None
    ) -> list[StreamEntry]:
        """(Re)load the stream of `viewing`; `user_id` is ignored (use `view` to switch)."""
        await self.connect()
        viewing = self.viewing

        def first_page(entries: list[StreamEntry]) -> None:
            if self.viewing == viewing and not self.entries:
                self.show_server_stream(entries)

        started = self.overlay.mark()
        entries = await team_api(self.backend).team_stream_all(
            user_id=viewing, on_progress=on_progress, on_first_page=None if self.entries else first_page
        )
        if self.viewing != viewing:
            return self.entries  # the person picked someone else meanwhile
        self.loaded = True
        self.show_server_stream(entries, started=started)
        return self.entries

    refresh = load_stream

    async def load_counts(self) -> TeamCounts:
        self.counts = await team_api(self.backend).team_counts()
        return self.counts

    async def search(self, query: str) -> list[StreamEntry]:
        """Contacts of this stream on the server matching `query`."""
        return await team_api(self.backend).team_stream_all(user_id=self.viewing, search=query)

    async def refresh_entry(self, contact: ContactRef) -> StreamEntry | None:
        contact_id = _contact_id(contact)
        viewing = self.viewing
        started = self.overlay.mark()
        fresh = await team_api(self.backend).team_stream_entry(contact_id, user_id=viewing)
        if self.viewing != viewing:
            return fresh
        if fresh is not None:
            fresh.conflicts = fresh.conflicts or conflicting_actions(fresh.next_action, fresh.queued_actions)
        self._take_fresh(contact_id, fresh, started)
        return self.entry(contact_id)

    # -- commands ------------------------------------------------------------------------------
    def owner_of(self, action_assignee: str) -> str:
        if self.account is None:
            return "a team member"
        return self.account.user_name(action_assignee)

    def require_own(self, entry: StreamEntry, what: str) -> None:
        """Refuse (before sending) a change the server only lets an action's assignee make."""
        action = entry.next_action
        me = self.user_id
        if action is None or action.done or not action.assignee_id or action.assignee_id == me:
            return
        raise CommandRefused(
            f"Only {self.owner_of(action.assignee_id)} can {what} their next action (a assigns it to you)"
        )

    async def mark_done(self, contact: ContactRef, action: ActionRef | None = None) -> StreamEntry | None:
        entry = self.entry(contact)
        if entry is not None and action is None:
            self.require_own(entry, "complete")
        return await super().mark_done(contact, action)

    async def swap(self, contact: ContactRef, action: ActionRef | None = None) -> StreamEntry | None:
        entry = self.entry(contact)
        if entry is not None:
            self.require_own(entry, "swap")
        return await super().swap(contact, action)

    def _after_settled(self, contact_id: str, event: OutboxEvent) -> None:
        super()._after_settled(contact_id, event)
        self._spawn(self._recount())

    async def _recount(self) -> None:
        """Counters move with every change (the main stream follows the outbox on its own)."""
        try:
            await self.load_counts()
        except BackendError:
            return  # the counters stay as they were until the next refresh
        self._changed()


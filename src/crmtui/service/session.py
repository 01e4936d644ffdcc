"""The one object screens talk to: account, ordered stream, triage commands with undo."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable

from crmtui.backends.base import Backend, ProgressCallback
from crmtui.backends.errors import BackendError
from crmtui.domain.capabilities import Capability
from crmtui.domain.formatting import account_now
from crmtui.domain.models import Account, Action, ActionStatus, Contact, Deal, DealStatus, StreamEntry
from crmtui.domain.stream import conflicting_actions, sort_entries
from crmtui.service.commands import (
    ALREADY_HAS_NEXT,
    NO_SWAP_CONFLICT,
    ActionChanges,
    AddAction,
    Command,
    EditAction,
    MarkDone,
    Promote,
    Swap,
    ToggleStar,
    find_action,
    find_entry,
)
from crmtui.service.errors import CommandRefused, NothingToUndo

ContactRef = Contact | StreamEntry | str
ActionRef = Action | str
Listener = Callable[[list[StreamEntry]], None]
UNDO_DEPTH = 50
_local_ids = itertools.count(1)


def _contact_id(ref: ContactRef) -> str:
    if isinstance(ref, StreamEntry):
        return ref.contact.id
    if isinstance(ref, Contact):
        return ref.id
    return ref


class Session:
    """Holds the account and the current user's stream; runs commands optimistically.

    A command first passes its precondition check (CommandRefused, nothing sent), then its
    predicted state is shown at once, then it runs on the server. On a BackendError the entry is
    put back as it was and the error re-raised for the screen. On success the entry is re-read from
    the server so local ids and server-computed fields (dates of promoted actions) are exact.
    """

    def __init__(self, backend: Backend, *, clock: Callable[[], dt.datetime] | None = None) -> None:
        self.backend = backend
        self.account: Account | None = None
        self.entries: list[StreamEntry] = []
        self.stream_user_id: str | None = None
        self.undo_stack: list[Command] = []
        self._clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self._listeners: list[Listener] = []
        self._pending_deals: dict[str, list[Deal]] = {}

    # -- lifecycle -------------------------------------------------------------------------------
    async def connect(self) -> Account:
        self.account = await self.backend.connect()
        if self.stream_user_id is None:
            self.stream_user_id = self.account.user.id
        return self.account

    async def close(self) -> None:
        await self.backend.close()

    async def __aenter__(self) -> Session:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def supports(self, capability: Capability) -> bool:
        return capability in self.backend.capabilities

    @property
    def user_id(self) -> str | None:
        return self.account.user.id if self.account else None

    # -- time --------------------------------------------------------------------------------------
    def now(self) -> dt.datetime:
        return account_now(self.account, self._clock())

    def today(self) -> dt.date:
        return self.now().date()

    # -- listeners ---------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(entries)` after every change; returns an unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener(self.entries)

    # -- stream ------------------------------------------------------------------------------------
    def sort(self) -> None:
        self.entries = sort_entries(self.entries, self.today(), user_id=self.stream_user_id, now=self.now())

    async def load_stream(
        self, *, user_id: str | None = None, search: str | None = None, on_progress: ProgressCallback | None = None
    ) -> list[StreamEntry]:
        """(Re)load the whole stream for `user_id` (default: the logged-in user).

        On a first load (or another user's stream) the most urgent page is shown as soon as it
        arrives, while the rest loads; a refresh replaces the list once, when all of it is in.
        """
        if self.account is None:
            await self.connect()
        if user_id is not None and user_id != self.stream_user_id:
            self.stream_user_id = user_id
            self.entries = []
        first_page = self._show_first_page if not self.entries else None
        entries = await self.backend.action_stream_all(
            user_id=self.stream_user_id, search=search, on_progress=on_progress, on_first_page=first_page
        )
        self.entries = entries
        self._pending_deals.clear()  # amounts may have changed on the server too
        self.sort()
        self._changed()
        return self.entries

    refresh = load_stream

    def _show_first_page(self, entries: list[StreamEntry]) -> None:
        if not self.entries:
            self.entries = entries
            self.sort()
            self._changed()

    def entry(self, contact: ContactRef) -> StreamEntry | None:
        return find_entry(self.entries, _contact_id(contact))

    def _put(self, contact_id: str, new: StreamEntry | None) -> None:
        kept = [e for e in self.entries if e.contact.id != contact_id]
        self.entries = kept if new is None else [*kept, new]
        self.sort()

    def replace_entry(self, contact_id: str, new: StreamEntry | None) -> None:
        """Show a contact as another view of it (the contact detail) now has it; None takes it out."""
        if self.entry(contact_id) == new:
            return
        self._put(contact_id, new)
        self._changed()

    async def refresh_entry(self, contact: ContactRef) -> StreamEntry | None:
        contact_id = _contact_id(contact)
        fresh = await self.backend.stream_entry(contact_id, user_id=self.stream_user_id)
        if fresh is not None:
            fresh.conflicts = fresh.conflicts or conflicting_actions(fresh.next_action, fresh.queued_actions)
        self._put(contact_id, fresh)
        self._changed()
        return fresh

    # -- around the stream -----------------------------------------------------------------------
    def cached_pending_deals(self, contact_id: str) -> list[Deal] | None:
        """The contact's pending deals if already fetched since the last full load, else None."""
        return self._pending_deals.get(contact_id)

    async def pending_deals(self, contact_id: str) -> list[Deal]:
        """The contact's pending deals (fetched once per full load of the stream)."""
        cached = self._pending_deals.get(contact_id)
        if cached is None:
            deals = await self.backend.deals(contact_id=contact_id)
            cached = [d for d in deals if d.status is DealStatus.PENDING]
            self._pending_deals[contact_id] = cached
        return cached

    async def unread_notifications(self) -> int:
        """Unread notifications of the signed-in user (0 when the backend has none)."""
        if not self.supports(Capability.NOTIFICATIONS):
            return 0
        return await self.backend.unread_notifications()

    # -- the command pipeline ----------------------------------------------------------------------
    async def run(self, command: Command, *, record: bool = True) -> StreamEntry | None:
        command.check(self.entries)
        before = self.entry(command.contact_id)
        predicted = command.apply_locally(self.entries)
        if predicted is not None:
            self._put(command.contact_id, predicted)
            self._changed()
        try:
            await command.execute(self.backend)
        except BackendError:
            if before is not None:
                self._put(command.contact_id, before)
                self._changed()
            raise
        if record:
            self.undo_stack.append(command)
            del self.undo_stack[:-UNDO_DEPTH]
        try:
            return await self.refresh_entry(command.contact_id)
        except BackendError:
            return self.entry(command.contact_id)  # the command itself succeeded; keep the prediction

    @property
    def can_undo(self) -> bool:
        return bool(self.undo_stack)

    async def undo(self) -> Command:
        """Run the inverse of the last executed command; returns the command that was undone."""
        if not self.undo_stack:
            raise NothingToUndo()
        command = self.undo_stack.pop()
        try:
            await self.run(command.inverse(), record=False)
        except BackendError:
            self.undo_stack.append(command)  # still undoable after a transient failure
            raise
        return command

    # -- triage commands ---------------------------------------------------------------------------
    def _require_entry(self, contact: ContactRef) -> StreamEntry:
        entry = self.entry(contact)
        if entry is None:
            raise CommandRefused("That contact is not in the loaded stream; refresh and try again")
        return entry

    def _action(self, contact: ContactRef, action: ActionRef) -> Action:
        if isinstance(action, Action):
            return action
        found = find_action(self._require_entry(contact), action)
        if found is None:
            raise CommandRefused("That action is no longer on this contact; refresh and try again")
        return found

    async def mark_done(self, contact: ContactRef, action: ActionRef | None = None) -> StreamEntry | None:
        """Complete the contact's next action (or the given one). Undo uses undo_completion."""
        if action is None:
            next_action = self._require_entry(contact).next_action
            if next_action is None:
                raise CommandRefused("Contact has no next action to mark as done")
            action = next_action
        target = self._action(contact, action)
        return await self.run(MarkDone(contact_id=_contact_id(contact), action=target, label=f"Done: {target.text}"))

    async def add_action(
        self,
        contact: ContactRef,
        text: str,
        status: ActionStatus = ActionStatus.ASAP,
        date: dt.date | None = None,
        exact_time: dt.datetime | None = None,
        *,
        assignee_id: str | None = None,
    ) -> StreamEntry | None:
        command = AddAction(
            contact_id=_contact_id(contact),
            text=text,
            status=status,
            date=date,
            exact_time=exact_time,
            assignee_id=assignee_id,
            stream_user_id=self.stream_user_id,
            local_id=f"local-{next(_local_ids)}",
            label=f"Add: {text}",
        )
        return await self.run(command)

    async def done_and_next(
        self, contact: ContactRef, text: str, status: ActionStatus, date: dt.date | None = None,
        exact_time: dt.datetime | None = None,
    ) -> StreamEntry | None:
        """Complete the next action and set the following one, so nothing drops off the stream."""
        await self.mark_done(contact)
        return await self.add_action(contact, text, status, date, exact_time)

    async def edit_action(self, contact: ContactRef, action: ActionRef, **changes: object) -> StreamEntry | None:
        """Change text/status/date/exact_time/assignee_id of an action."""
        target = self._action(contact, action)
        new = ActionChanges(**changes)  # type: ignore[arg-type]
        previous = ActionChanges.snapshot(target, set(new.model_fields_set))
        command = EditAction(
            contact_id=_contact_id(contact),
            action_id=target.id,
            changes=new,
            previous=previous,
            stream_user_id=self.stream_user_id,
            label=f"Edit: {target.text}",
        )
        return await self.run(command)

    async def reassign(self, contact: ContactRef, action: ActionRef, user_id: str) -> StreamEntry | None:
        target = self._action(contact, action)
        if target.assignee_id == user_id:
            raise CommandRefused("The action is already assigned to that user")
        name = self.account.user_name(user_id) if self.account else user_id
        command = EditAction(
            contact_id=_contact_id(contact),
            action_id=target.id,
            changes=ActionChanges(assignee_id=user_id),
            previous=ActionChanges(assignee_id=target.assignee_id),
            stream_user_id=self.stream_user_id,
            label=f"Reassign to {name}: {target.text}",
        )
        return await self.run(command)

    async def promote(self, contact: ContactRef, action: ActionRef | None = None) -> StreamEntry | None:
        """Make a queued action (default: the first) the contact's next action."""
        entry = self._require_entry(contact)
        if entry.next_action is not None and not entry.next_action.done:
            raise CommandRefused(ALREADY_HAS_NEXT)
        if action is None:
            if not entry.queued_actions:
                raise CommandRefused("Contact has no queued action to promote")
            action = entry.queued_actions[0]
        target = self._action(contact, action)
        command = Promote(contact_id=entry.contact.id, action=target, label=f"Promote: {target.text}")
        return await self.run(command)

    async def swap(self, contact: ContactRef, action: ActionRef | None = None) -> StreamEntry | None:
        """Swap the next action with an earlier-dated queued action (default: the earliest)."""
        entry = self._require_entry(contact)
        if action is None:
            candidates = entry.conflicts or conflicting_actions(entry.next_action, entry.queued_actions)
            if not candidates:
                if entry.next_action is None:
                    raise CommandRefused("Contact has no next action to swap with; promote the queued action instead")
                if not any(not a.done for a in entry.queued_actions):
                    raise CommandRefused("Nothing to swap: the contact has no queued action")
                raise CommandRefused(NO_SWAP_CONFLICT)
            action = min(candidates, key=lambda a: a.date or dt.date.max)
        target = self._action(contact, action)
        return await self.run(Swap(contact_id=entry.contact.id, action=target, label=f"Swap in: {target.text}"))

    async def toggle_star(self, contact: ContactRef) -> StreamEntry | None:
        entry = self.entry(contact)
        if entry is not None:
            starred = entry.contact.starred
        elif isinstance(contact, Contact):
            starred = contact.starred
        else:
            starred = (await self.backend.get_contact(_contact_id(contact))).starred
        label = "Unstar" if starred else "Star"
        return await self.run(ToggleStar(contact_id=_contact_id(contact), starred=not starred, label=label))

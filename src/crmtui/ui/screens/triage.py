"""Triage keys of the action stream: done, add, edit, reassign, promote, swap, undo, star.

Every command goes through the Session, which writes it to the outbox and shows it at once; the
server's verdict comes later (the app tells of refusals). Here we only run each command in a
worker, one at a time, and turn refusals into notifications.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.dom import DOMNode
from textual.worker import Worker

from crmtui.backends.errors import BackendError
from crmtui.domain.formatting import contact_name, format_due
from crmtui.domain.models import Account, Action, ActionStatus, StreamEntry, User
from crmtui.service import CommandRefused, NothingToUndo, Session
from crmtui.service.commands import ALREADY_HAS_NEXT, ActionChanges
from crmtui.ui.screens.base import CrmScreen
from crmtui.ui.failures import failure_title
from crmtui.ui.follow import FollowsServices

if TYPE_CHECKING:  # the dialogs are imported when a key opens one, not at the app's start
    from crmtui.ui.modals.new_contact import ContactDraft
    from crmtui.ui.modals.next_action import ActionDraft


class TriageMixin(FollowsServices, CrmScreen[None]):
    """Mixed into the action stream screen; needs `selected_entry()` and `stream_list`."""

    BINDINGS = [Binding("C", "new_contact", "New contact", show=False, tooltip="Add a contact with its first next action")]

    _command_lock: asyncio.Lock | None = None

    @property
    def session(self) -> Session:
        return self.app.session

    def selected_entry(self) -> StreamEntry | None:  # pragma: no cover - provided by the screen
        raise NotImplementedError

    def _move_past(self, contact_id: str) -> None:  # pragma: no cover - provided by the screen
        """Triage moves on: the cursor goes to the contact that followed `contact_id`."""
        raise NotImplementedError

    # -- running commands ----------------------------------------------------------------------
    def run_command(self, make: Callable[[], Awaitable[object]], *, success: str | None = None) -> Worker[bool]:
        """Run one session command in a worker; the result says whether it succeeded."""

        async def guarded() -> bool:
            if self._command_lock is None:
                self._command_lock = asyncio.Lock()
            async with self._command_lock:
                try:
                    await make()
                except CommandRefused as exc:
                    self.notify(str(exc), title="Not possible", severity="warning")
                    return False
                except BackendError as exc:
                    self.notify(exc.user_message, title=failure_title(exc), severity="error", timeout=8)
                    return False
            if success:
                self.notify(success, timeout=3)
            return True

        return self._command_owner().run_worker(guarded(), group="triage", exit_on_error=False)

    def _command_owner(self) -> DOMNode:
        """Whose worker runs a command: a screen that can be closed mid-save hands it to the app."""
        return self

    def _target(self, *, need_next: bool = False) -> StreamEntry | None:
        entry = self.selected_entry()
        if entry is None:
            self.notify("No contact selected", severity="warning")
            return None
        if need_next and (entry.next_action is None or entry.next_action.done):
            self.notify(f"{contact_name(entry.contact)} has no next action (press n to add one)", severity="warning")
            return None
        return entry

    def _account_today(self) -> tuple[Account | None, dt.date]:
        return self.session.account, self.session.today()

    # -- d: done, then ask for the next one ----------------------------------------------------
    def action_done(self) -> None:
        from crmtui.ui.modals.next_action import NextActionModal

        entry = self._target(need_next=True)
        if entry is None or entry.next_action is None:
            return
        contact_id, name = entry.contact.id, contact_name(entry.contact)
        # Every other key leaves the cursor on its contact wherever it goes; done moves on to the
        # next one (the notification after saving says where this one went).
        self._move_past(contact_id)
        done = self.run_command(lambda: self.session.mark_done(contact_id))
        account, today = self._account_today()
        if account is None:
            return
        # Esc here does not undo the done (sent already): the contact is left without a next action.
        modal = NextActionModal(account, today, title=f"Done ✓  Next action for {name}", escape="no next action (done stays)")

        def after(draft: ActionDraft | None) -> None:
            if draft is None:
                self.notify(f"{name} has no next action: n adds one, u undoes the done", severity="warning", timeout=5)
                return

            async def add() -> None:
                if not await done.wait():
                    raise CommandRefused("The next action was not saved because marking done failed")
                await self._add(contact_id, draft)

            self.run_command(add, success=self._saved_message(name, draft))

        self.app.push_screen(modal, after)

    def _saved_message(self, name: str, draft: ActionDraft) -> str:
        """"Noah Jensen: Call back · Tomorrow" — says where the contact went in the stream."""
        account, today = self._account_today()
        due = ""
        if account is not None:
            planned = Action(id="", contact_id="", text=draft.text, status=draft.status, date=draft.date, exact_time=draft.exact_time)
            due = format_due(planned, account, today)
        return f"{name}: {draft.text}" + (f" · {due}" if due else "")

    async def _add(self, contact_id: str, draft: ActionDraft) -> None:
        await self.session.add_action(contact_id, draft.text, draft.status, draft.date, draft.exact_time)

    # -- n: add --------------------------------------------------------------------------------
    def action_add(self) -> None:
        from crmtui.ui.modals.next_action import NextActionModal

        entry = self._target()
        account, today = self._account_today()
        if entry is None or account is None:
            return
        contact_id, name = entry.contact.id, contact_name(entry.contact)
        current = entry.next_action if entry.next_action is not None and not entry.next_action.done else None
        if current is not None and current.assignee_id not in ("", self.session.stream_user_id):
            current = None  # someone else's next action does not hold this one back

        def after(draft: ActionDraft | None) -> None:
            if draft is None:
                return
            success = self._saved_message(name, draft)
            if current is not None and draft.status not in (ActionStatus.QUEUED, ActionStatus.QUEUED_WITH_DATE):
                # The API allows one next action: the new one waits behind it (Session._queued_if_taken).
                success += f" · queued: {name} already has a next action ({current.text})"
            self.run_command(lambda: self._add(contact_id, draft), success=success)

        title = f"New action for {name}" + (" (queued behind the next action)" if current is not None else "")
        self.app.push_screen(NextActionModal(account, today, title=title), after)

    # -- C: a new contact ----------------------------------------------------------------------
    def action_new_contact(self) -> None:
        from crmtui.ui.modals.new_contact import NewContactModal

        account, today = self._account_today()
        if account is None:
            self.notify("Still connecting: try again in a moment", severity="warning", timeout=3)
            return
        session = self.app.session  # the app's stream (the contact screen's session holds one contact)
        modal = NewContactModal(account, today, companies=session.known_companies(), tags=session.known_tags())

        async def more_companies() -> None:
            try:
                names = await session.companies()
            except BackendError:
                return  # the form completes the companies of the stream only
            if modal.is_attached:
                modal.add_companies(names)

        self._command_owner().run_worker(more_companies(), group="companies", exit_on_error=False)

        def after(draft: ContactDraft | None) -> None:
            if draft is None or draft.action is None:
                return
            name, action = contact_name(draft.contact), draft.action

            async def add() -> None:
                made = await session.add_contact(draft.contact, ActionChanges(
                    text=action.text, status=action.status, date=action.date, exact_time=action.exact_time,
                    assignee_id=draft.assignee_id,
                ))
                if made is not None:
                    self._show_new(made.contact.id)

            whose = ""
            if draft.assignee_id:
                someone = next((u for u in account.team if u.id == draft.assignee_id), None)
                whose = f" (in {someone.name if someone else 'a colleague'}'s stream)"
            self.run_command(add, success=f"New contact {self._saved_message(name, action)}{whose}")

        self.app.push_screen(modal, after)

    def _show_new(self, contact_id: str) -> None:
        """Put the cursor on a contact just made, where the screen lists it."""

    def _hold_place(self, contact_id: str) -> int | None:
        """Before a change that may move the contact elsewhere in the list: where its row is."""
        return None

    def _keep_place(self, place: int | None) -> None:
        """After it: the cursor stays on that row (the contact that took its place), as after d."""

    # -- e: edit -------------------------------------------------------------------------------
    def action_edit(self) -> None:
        from crmtui.ui.modals.next_action import NextActionModal

        entry = self._target(need_next=True)
        account, today = self._account_today()
        if entry is None or account is None or entry.next_action is None:
            return
        contact_id, action = entry.contact.id, entry.next_action

        def after(draft: ActionDraft | None) -> None:
            if draft is None:
                return
            changes = _changes(action, draft)
            if not changes:
                self.notify("Nothing changed", timeout=3)
                return
            place = self._hold_place(contact_id)

            async def save() -> None:
                await self.session.edit_action(contact_id, action.id, **changes)
                self._keep_place(place)

            self.run_command(save, success=self._saved_message(contact_name(entry.contact), draft))

        title = f"Edit next action for {contact_name(entry.contact)}"
        self.app.push_screen(NextActionModal(account, today, title=title, action=action), after)

    # -- a: reassign ---------------------------------------------------------------------------
    def action_reassign(self) -> None:
        from crmtui.ui.modals.pickers import TeamPickerModal

        entry = self._target()
        account, _ = self._account_today()
        if entry is None or account is None:
            return
        action = entry.next_action or next((a for a in entry.queued_actions if not a.done), None)
        if action is None:
            self.notify("No action to reassign", severity="warning")
            return
        users: list[User] = []
        for user in [account.user, *account.team]:
            if all(u.id != user.id for u in users):
                users.append(user)
        contact_id = entry.contact.id

        who = contact_name(entry.contact)

        def after(user_id: str | None) -> None:
            if user_id and user_id != action.assignee_id:  # the current assignee: nothing to do
                name = account.user_name(user_id)
                place = self._hold_place(contact_id)

                async def save() -> None:
                    await self.session.reassign(contact_id, action.id, user_id)
                    self._keep_place(place)

                where = f": {who} is in their stream now" if user_id != self.session.stream_user_id else ""
                self.run_command(save, success=f"Assigned to {name} · {who}: “{action.text}”{where}")

        title = f"Assign “{action.text}” to"
        self.app.push_screen(TeamPickerModal(title, users, current=action.assignee_id), after)

    # -- p: promote ----------------------------------------------------------------------------
    def action_promote(self) -> None:
        from crmtui.ui.modals.pickers import ConfirmModal

        entry = self._target()
        if entry is None:
            return
        if entry.next_action is not None and not entry.next_action.done:
            self.notify(f"{ALREADY_HAS_NEXT}; only a contact without one can promote", severity="warning")
            return
        queued = [a for a in entry.queued_actions if not a.done]
        if not queued:
            self.notify("No queued action to promote", severity="warning")
            return
        # The server promotes only the signed-in user's own queued actions (409 otherwise): say so
        # before asking for a confirmation that could only end in an error.
        me = self.session.user_id
        mine = [a for a in queued if not a.assignee_id or a.assignee_id == me]
        if not mine:
            account = self.session.account
            owner = account.user_name(queued[0].assignee_id) if account is not None else "a team member"
            self.notify(
                f"The queued action is {owner}'s; only your own queued action can be promoted", severity="warning"
            )
            return
        action, contact_id = mine[0], entry.contact.id
        message = (
            f"Make “{action.text}” the next action for {contact_name(entry.contact)}?\n"
            "Promoting may not be undone on the server."
        )

        def after(ok: bool | None) -> None:
            if ok:
                self.run_command(lambda: self.session.promote(contact_id, action.id), success="Promoted")

        self.app.push_screen(ConfirmModal("Promote queued action", message, confirm_label="Promote"), after)

    # -- s, u, * -------------------------------------------------------------------------------
    def action_swap(self) -> None:
        entry = self._target()
        if entry is not None:
            contact_id = entry.contact.id
            self.run_command(lambda: self.session.swap(contact_id), success="Swapped")

    def _undo_session(self) -> Session:
        """Whose last change `u` takes back here (the contact screen: its own, or one it gave the app)."""
        return self.session

    def action_undo(self) -> None:
        async def undo() -> None:
            try:
                command = await self._undo_session().undo()
            except NothingToUndo:
                self.notify("Nothing to undo", severity="warning", timeout=3)
                return
            self.notify(f"Undone: {command.describe()}", timeout=3)

        self.run_command(undo)

    def action_star(self) -> None:
        entry = self._target()
        if entry is not None:
            contact_id = entry.contact.id
            self.run_command(lambda: self.session.toggle_star(contact_id))


def _changes(action: Action, draft: ActionDraft) -> dict[str, object]:
    """Only the fields the person changed, so the edit and its undo stay small."""
    changes: dict[str, object] = {}
    for field in ("text", "status", "date", "exact_time"):
        if getattr(action, field) != getattr(draft, field):
            changes[field] = getattr(draft, field)
    return changes

"""Keys of the contact detail screen beyond triage: note, call, meeting, deal, status, tags, owner,
sales cycle, copy to the clipboard.

Each asks in a modal, then runs one ContactSession command in the triage worker (shown at once,
reverted with the server's message on failure, undone with u).
"""

from __future__ import annotations

from crmtui.domain.capabilities import Capability
from crmtui.domain.formatting import contact_name, format_datetime
from crmtui.domain.models import Account, StreamEntry, User
from crmtui.domain.text import inert_line
from crmtui.service import Session
from crmtui.service.commands import Command
from crmtui.service.contact import ContactSession
from crmtui.ui.modals.contact_forms import (
    CallDraft,
    CallModal,
    CloseSalesModal,
    MeetingDraft,
    MeetingModal,
    NoteModal,
    TagModal,
)
from crmtui.ui.modals.contact_deal_form import DealDraft, DealModal
from crmtui.ui.modals.contact_pickers import Choice, ChoiceModal
from crmtui.ui.modals.new_contact import ContactDraft, NewContactModal
from crmtui.ui.modals.pickers import ConfirmModal, TeamPickerModal
from crmtui.ui.screens.triage import TriageMixin


class ContactEditsMixin(TriageMixin):
    """Needs `contact` (the ContactSession) and `_ready()`; the screen provides both."""

    contact: ContactSession
    _given: list[Command]
    """Changes this screen ran on the app's session (giving the contact away), newest last."""

    def _ready(self) -> tuple[StreamEntry, Account] | None:
        """The contact and account when both are known, else a warning and None."""
        entry, account = self.contact.current, self.contact.account
        if entry is None or account is None:
            self.notify("The contact is still loading", severity="warning", timeout=3)
            return None
        return entry, account

    def _who(self) -> str:
        entry = self.contact.current
        return contact_name(entry.contact) if entry is not None else "the contact"

    def _needs(self, capability: Capability, what: str) -> bool:
        if self.contact.supports(capability):
            return True
        self.notify(f"This CRM does not keep {what}", severity="warning")
        return False

    # -- N, c, m, D: history -------------------------------------------------------------------------
    def action_note(self) -> None:
        if self._ready() is None or not self._needs(Capability.NOTES, "notes"):
            return

        def after(text: str | None) -> None:
            if text:
                self.run_command(lambda: self.contact.add_note(text), success=f"Note saved for {self._who()}")

        self.app.push_screen(NoteModal(f"Note on {self._who()}"), after)

    def action_call(self) -> None:
        ready = self._ready()
        if ready is None or not self._needs(Capability.CALLS, "calls"):
            return
        entry, account = ready

        def after(draft: CallDraft | None) -> None:
            if draft is None:
                return
            result = self.contact.call_result_text(draft.call_result) if draft.call_result else "Call"
            self.run_command(
                lambda: self.contact.log_call(draft.call_result, draft.text, draft.phone_number),
                success=f"Call logged: {result}",
            )

        self.app.push_screen(CallModal(f"Log a call with {self._who()}", account, entry.contact.phones), after)

    def action_meeting(self) -> None:
        ready = self._ready()
        if ready is None or not self._needs(Capability.MEETINGS, "meetings"):
            return
        _, account = ready

        def after(draft: MeetingDraft | None) -> None:
            if draft is not None:
                when = format_datetime(draft.when, account)
                self.run_command(
                    lambda: self.contact.add_meeting(draft.text, draft.when, draft.place), success=f"Meeting saved: {when}"
                )

        self.app.push_screen(MeetingModal(f"Meeting with {self._who()}", account, self.contact.now()), after)

    def action_deal(self) -> None:
        ready = self._ready()
        if ready is None or not self._needs(Capability.PIPELINES, "deals"):
            return
        entry, account = ready

        def after(draft: DealDraft | None) -> None:
            if draft is None:
                return
            fields = {
                "amount": draft.amount, "months": draft.months, "pipeline_id": draft.pipeline_id,
                "stage": draft.stage, "expected_close_date": draft.expected_close_date,
            }
            self.run_command(lambda: self.contact.add_deal(draft.name, **fields), success=f"Deal saved: {draft.name}")

        example = f"e.g. {entry.contact.company_name} licences" if entry.contact.company_name else "what is being sold"
        self.app.push_screen(DealModal(f"New deal for {self._who()}", account, self.contact.today(), name=example), after)

    # -- E: every field of the contact -------------------------------------------------------------------
    def action_edit_contact(self) -> None:
        ready = self._ready()
        if ready is None:
            return
        entry, account = ready
        session = self.app.session  # the whole stream's companies and tags, not this contact's
        modal = NewContactModal(
            account, self.contact.today(), companies=session.known_companies(), tags=session.known_tags(),
            title=f"Edit {self._who()}", contact=entry.contact,
        )

        def after(draft: ContactDraft | None) -> None:
            if draft is not None:
                edited = draft.contact
                self.run_command(lambda: self.contact.edit_contact(edited), success=f"Saved {contact_name(edited)}")

        self.app.push_screen(modal, after)

    # -- Delete: the contact and what goes with it ---------------------------------------------------------
    def action_delete_contact(self) -> None:
        ready = self._ready()
        if ready is None:
            return
        entry, _account = ready
        name = self._who()
        going = [
            f"{n} {what}{'' if n == 1 else 's'}"
            for n, what in (
                (len([a for a in self.contact.actions or [] if not a.done]), "open action"),
                (len(self.contact.deals or []), "deal"),
                (len(self.contact.notes or []), "note"),
                (len(self.contact.calls or []), "call"),
                (len(self.contact.meetings or []), "meeting"),
            )
            if n
        ]
        also = f" with {', '.join(going)}" if going else ""
        session, contact_id = self.app.session, entry.contact.id  # the app's: u on the stream undoes it

        def after(yes: bool | None) -> None:
            if not yes:
                return
            self.app.pop_screen()  # the contact is gone: back to where it was opened
            self.run_command(lambda: session.delete_contact(contact_id), success=f"Deleted {name} · u undoes it")

        self.app.push_screen(ConfirmModal(
            f"Delete {name}?", f"{name} goes{also}. u (on the stream) brings it all back.", confirm_label="Delete",
        ), after)

    # -- S, +, -, o: the contact's own fields ------------------------------------------------------------
    def action_status(self) -> None:
        ready = self._ready()
        if ready is None:
            return
        entry, account = ready
        if not account.statuses:
            self.notify("This account has no statuses to choose from", severity="warning")
            return
        choices = [Choice(s.id, s.text) for s in account.statuses]

        def after(status_id: str | None) -> None:
            if status_id and status_id != entry.contact.status_id:
                text = next((s.text for s in account.statuses if s.id == status_id), status_id)
                self.run_command(lambda: self.contact.change_status(status_id), success=f"Status: {text}")

        self.app.push_screen(ChoiceModal(f"Status of {self._who()}", choices, current=entry.contact.status_id), after)

    def action_tag(self) -> None:
        ready = self._ready()
        if ready is None:
            return
        entry, _ = ready
        known = sorted({t for e in self.app.session.entries for t in e.contact.shown_tags}, key=str.casefold)

        def after(tag: str | None) -> None:
            if tag:
                self.run_command(lambda: self.contact.add_tag(tag), success=f"Tagged “{tag}”")

        self.app.push_screen(TagModal(f"Tag {self._who()}", known, entry.contact.shown_tags), after)

    def action_untag(self) -> None:
        ready = self._ready()
        if ready is None:
            return
        tags = ready[0].contact.tags
        if not tags:
            self.notify(f"{self._who()} has no tags", severity="warning", timeout=3)
            return

        def after(tag: str | None) -> None:
            if tag:
                self.run_command(lambda: self.contact.remove_tag(tag), success=f"Tag “{tag}” removed")

        self.app.push_screen(ChoiceModal("Remove which tag?", [Choice(t, inert_line(t)) for t in tags], hint="Enter remove · Esc cancel"), after)

    def action_owner(self) -> None:
        ready = self._ready()
        if ready is None:
            return
        entry, account = ready
        users: list[User] = []
        for user in [account.user, *account.team]:
            if all(u.id != user.id for u in users):
                users.append(user)

        who, me = self._who(), account.user.id

        def give(user_id: str) -> None:
            """Run on the app's session: the contact leaves the stream, and u there takes it back."""
            command = self.contact.owner_command(user_id)
            self._given.append(command)
            self.run_command(lambda: self.app.session.run(command), success=f"{who} is {account.user_name(user_id)}'s now · u takes it back")

        def after(user_id: str | None) -> None:
            if not user_id or user_id == entry.contact.owner_id:
                return
            if entry.contact.owner_id != me:
                name = account.user_name(user_id)
                self.run_command(lambda: self.contact.change_owner(user_id), success=f"Owner: {name}")
                return
            mine = len(self.contact.open_actions_of_mine())
            actions = f" with your {mine} open action{'s' if mine != 1 else ''}" if mine else ""
            self.app.push_screen(ConfirmModal(
                f"Give {who} away?",
                f"{who} goes to {account.user_name(user_id)}{actions} and leaves your stream. u (here or on the stream) takes it back.",
                confirm_label="Give away",
            ), lambda ok: give(user_id) if ok else None)

        self.app.push_screen(TeamPickerModal(f"Owner of {who}", users, current=entry.contact.owner_id), after)

    def _undo_session(self) -> Session:
        own = self.contact
        given = self._given
        app_session = self.app.session
        if not own.can_undo and given and app_session.undo_stack and app_session.undo_stack[-1] is given[-1]:
            given.pop()
            return app_session
        return own

    # -- x: close or reopen the sales cycle ---------------------------------------------------------------
    def action_sales_cycle(self) -> None:
        ready = self._ready()
        if ready is None or not self._needs(Capability.SALES_CYCLE, "sales cycles"):
            return
        entry, _ = ready
        name = self._who()
        if entry.contact.sales_closed:
            def reopen(ok: bool | None) -> None:
                if ok:
                    self.run_command(self.contact.reopen_sales_cycle, success=f"Sales cycle reopened for {name}")

            message = f"Reopen the sales cycle for {name}?"
            if entry.contact.sales_closed_comment:
                message += f"\nClosed: {entry.contact.sales_closed_comment}"
            self.app.push_screen(ConfirmModal("Reopen sales cycle", message, confirm_label="Reopen"), reopen)
            return
        open_actions = self.contact.open_actions_of_mine()

        def close(comment: str | None) -> None:
            if comment is None:
                return
            if open_actions:
                self.run_command(
                    lambda: self.contact.force_close_sales_cycle(comment),
                    success=f"Sales cycle closed for {name}; {len(open_actions)} open action{'s' if len(open_actions) > 1 else ''} deleted",
                )
            else:
                self.run_command(lambda: self.contact.close_sales_cycle(comment), success=f"Sales cycle closed for {name}")

        if not open_actions:
            self.app.push_screen(CloseSalesModal(f"Close the sales cycle for {name}"), close)
            return
        # The API closes a cycle only once the user's open actions are gone: offer its force close,
        # which deletes them, naming each (u reopens the cycle, it does not bring them back).
        listed = "\n".join(f"  • {inert_line(a.text)}" for a in open_actions[:6])
        more = f"\n  … and {len(open_actions) - 6} more" if len(open_actions) > 6 else ""
        count = len(open_actions)

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.app.push_screen(CloseSalesModal(f"Close the sales cycle for {name}"), close)

        self.app.push_screen(ConfirmModal(
            "Close the sales cycle",
            f"Your {count} open action{'s' if count > 1 else ''} on {name} will be deleted:\n{listed}{more}\n"
            "(u reopens the sales cycle; it does not bring the actions back)",
            confirm_label="Delete and close",
        ), confirmed)

    # -- y: copy an email or phone number -----------------------------------------------------------------
    def action_copy(self) -> None:
        ready = self._ready()
        if ready is None:
            return
        c = ready[0].contact
        choices = [Choice(e.value, f"✉ {e.value}" + (f"  ({e.type})" if e.type else "")) for e in c.emails if e.value]
        choices += [Choice(p.value, f"☎ {p.value}" + (f"  ({p.type})" if p.type else "")) for p in c.phones if p.value]
        if not choices:
            self.notify(f"{self._who()} has no email or phone number", severity="warning", timeout=3)
            return
        if len(choices) == 1:
            self._copy(choices[0].value)
            return
        self.app.push_screen(ChoiceModal("Copy to the clipboard", choices, hint="Enter copy · Esc cancel"), self._copy)

    def _copy(self, value: str | None) -> None:
        if value:
            self.app.copy_to_clipboard(value)  # OSC 52: reaches the local clipboard over SSH too
            self.notify(f"Copied {value}", timeout=3)

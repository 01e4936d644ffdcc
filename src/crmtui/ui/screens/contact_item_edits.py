"""Keys of the contact screen's Notes, Calls, Meetings and Deals tabs: edit (Enter or e) and delete
(Delete) the highlighted item.

Edit opens the form the item was made with, filled with it (a deal: the pipeline board's deal form);
Delete asks first, naming the item and what u brings back. Both run one ContactSession command in
the triage worker: shown at once, reverted with the server's message on failure, undone with u. On
the Actions and Details tabs, e and Delete keep their meaning (the next action, the contact): the
bindings belong to the history lists (`HistoryList`).
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.widgets import OptionList

from crmtui.domain.formatting import format_date, format_datetime, format_money
from crmtui.domain.models import Call, Deal, Meeting, Note
from crmtui.service.contact import CALLS, DEALS, MEETINGS, NOTES
from crmtui.service.contact_items import item_title
from crmtui.service.deal_commands import DealChanges
from crmtui.service.history_edits import CallChanges, MeetingChanges, NoteChanges
from crmtui.ui.modals.contact_forms import CallDraft, CallModal, MeetingDraft, MeetingModal, NoteModal
from crmtui.ui.modals.deal_edit import DealEditModal
from crmtui.ui.modals.pickers import ConfirmModal
from crmtui.ui.screens.contact_edits import ContactEditsMixin
from crmtui.ui.widgets.contact_sections import HistoryList

ITEM_SECTIONS = (DEALS, NOTES, CALLS, MEETINGS)
EMPTY = {NOTES: "No note to edit: N adds one", CALLS: "No call to edit: c logs one",
         MEETINGS: "No meeting to edit: m adds one", DEALS: "No deal to edit: D adds one"}


class ContactItemEditsMixin(ContactEditsMixin):
    """Needs `active_section` (the tab shown), which the screen provides."""

    @property
    def active_section(self) -> str:  # pragma: no cover - the screen's
        raise NotImplementedError

    def _highlighted_item(self, verb: str) -> Any | None:
        """The item under the cursor of the history tab shown, or a warning and None."""
        section = self.active_section
        if section not in ITEM_SECTIONS or self._ready() is None:
            return None
        option = self.query_one(f"#list-{section}", HistoryList).highlighted_option
        item_id = option.id.partition(":")[2] if option is not None and option.id else ""
        item = self.contact.history_item(section, item_id) if item_id else None
        if item is None:
            message = EMPTY[section] if verb == "edit" else f"Nothing to delete here: pick a {section[:-1]} with ↑/↓"
            self.notify(message, severity="warning", timeout=3)
        return item

    @on(OptionList.OptionSelected)
    def _item_chosen(self, event: OptionList.OptionSelected) -> None:
        if isinstance(event.option_list, HistoryList):
            event.stop()
            self.action_edit_item()

    # -- Enter, e: edit ------------------------------------------------------------------------------
    def action_edit_item(self) -> None:
        item = self._highlighted_item("edit")
        if isinstance(item, Note):
            self._edit_note(item)
        elif isinstance(item, Call):
            self._edit_call(item)
        elif isinstance(item, Meeting):
            self._edit_meeting(item)
        elif isinstance(item, Deal):
            self._edit_deal(item)

    def _edit_note(self, note: Note) -> None:
        def after(text: str | None) -> None:
            if text is not None:
                self.run_command(lambda: self.contact.edit_history(note, NoteChanges(text=text)), success="Note saved · u undoes it")

        self.app.push_screen(NoteModal(f"Edit the note on {self._who()}", note.text), after)

    def _edit_call(self, call: Call) -> None:
        ready = self._ready()
        if ready is None:
            return
        entry, account = ready

        def after(draft: CallDraft | None) -> None:
            if draft is None:
                return
            changes = CallChanges(text=draft.text, phone_number=draft.phone_number)
            if draft.call_result:
                changes.call_result = draft.call_result
            self.run_command(lambda: self.contact.edit_history(call, changes), success="Call saved · u undoes it")

        self.app.push_screen(CallModal(f"Edit the call with {self._who()}", account, entry.contact.phones, call=call), after)

    def _edit_meeting(self, meeting: Meeting) -> None:
        ready = self._ready()
        if ready is None:
            return
        _, account = ready

        def after(draft: MeetingDraft | None) -> None:
            if draft is None:
                return
            changes = MeetingChanges(text=draft.text, place=draft.place, meeting_time=draft.when)
            when = format_datetime(draft.when, account)
            self.run_command(lambda: self.contact.edit_history(meeting, changes), success=f"Meeting saved: {when} · u undoes it")

        self.app.push_screen(MeetingModal(f"Edit the meeting with {self._who()}", account, self.contact.now(), meeting=meeting), after)

    def _edit_deal(self, deal: Deal) -> None:
        ready = self._ready()
        if ready is None:
            return
        _, account = ready
        pipeline = next((p for p in account.pipelines if p.id == deal.pipeline_id), None)
        if pipeline is None:
            self.notify("The deal's pipeline is not known here; r reloads", severity="warning")
            return

        def after(changes: DealChanges | None) -> None:
            if changes is None:
                return
            if not changes.model_fields_set:
                self.notify("Nothing was changed", timeout=3)
                return
            self.run_command(lambda: self.contact.edit_deal(deal, changes), success=f"Deal saved: {changes.name or deal.name} · u undoes it")

        self.app.push_screen(DealEditModal(deal, pipeline, account, self.contact.today()), after)

    # -- Delete --------------------------------------------------------------------------------------
    def action_delete_item(self) -> None:
        item = self._highlighted_item("delete")
        ready = self._ready()
        if item is None or ready is None:
            return
        _, account = ready
        kind = type(item).__name__.lower()
        back = "u makes it again, dated now"
        if isinstance(item, Note):
            what = f"the note “{item_title(item)}”"
        elif isinstance(item, Call):
            when = format_datetime(item.call_time, account) if item.call_time else ""
            result = self.contact.call_result_text(item.call_result) if item.call_result else ""
            what = "the call" + "".join(f" {p}" for p in (f"of {when}" if when else "", f"({result})" if result else "") if p)
        elif isinstance(item, Meeting):
            when = format_datetime(item.meeting_time, account) if item.meeting_time else ""
            what = "the meeting" + (f" on {when}" if when else "") + (f" at {item.place}" if item.place else "")
            back = "u makes it again"
        else:
            amount = format_money(item.total_amount or item.amount * item.months, account.currency_symbol)
            closes = f", closing {format_date(item.expected_close_date, account.date_format)}" if item.expected_close_date else ""
            what = f"the deal “{item_title(item)}” ({amount}{closes})"
            back = "u makes it again as a new deal with its name, amount, months, stage, status and dates (not its deal items, deal fields or files)"
        who = self._who()

        def after(yes: bool | None) -> None:
            if yes:
                self.run_command(lambda: self.contact.delete_history(item), success=f"Deleted the {kind} · u brings it back")

        self.app.push_screen(ConfirmModal(
            f"Delete this {kind}?", f"Delete {what} on {who}?\n{back}.", confirm_label="Delete",
        ), after)

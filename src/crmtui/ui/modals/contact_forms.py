"""Forms of the contact detail screen: note, call, meeting, closing comment, tag (deal: contact_deal_form).

Each is a modal: Enter saves (from any one-line field; in the note's text area it starts a new line,
and ctrl+s saves), Esc cancels, Tab moves between fields; a problem with what was typed shows in red
under the fields and puts the cursor in the field to fix. The note, call and meeting forms also edit
one that exists: they open filled with it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from crmtui.domain.formatting import format_date, zone
from crmtui.domain.models import Account, Call, Meeting, Phone
from crmtui.ui.modals.dates import exact_time, parse_date, parse_time
from crmtui.ui.modals.form import FormModal
from crmtui.ui.widgets.inputs import TextInput
from crmtui.ui.widgets.boxes import TextBox
from crmtui.ui.inert import plain

T = TypeVar("T")


class FormError(ValueError):
    """What is wrong with the form, and the id of the field to fix."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ContactFormModal(FormModal[T], Generic[T]):
    """A titled form; subclasses yield `fields()` and turn them into a result with `result()`."""

    HINT = "Enter save · Esc cancel · Tab next field"
    DIALOG_ID = ""

    def __init__(self, title: str) -> None:
        super().__init__()
        self.heading = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog contact-form", id=self.DIALOG_ID or None):
            yield Label(plain(self.heading), classes="dialog-title")
            yield from self.fields()
            yield Static("", classes="form-error", markup=False)
            yield Static(self.HINT, classes="dialog-hint")

    def fields(self) -> Iterable[Widget]:  # pragma: no cover - every form has fields
        return []

    def result(self) -> T:  # pragma: no cover - every form has a result
        raise NotImplementedError

    def value(self, field: str) -> str:
        return self.query_one(f"#{field}", Input).value.strip()

    def first_field(self) -> Widget | None:
        """Where the cursor starts (Textual runs every class's on_mount, so forms override this)."""
        inputs = self.query(Input)
        return inputs.first() if inputs else None

    def on_mount(self) -> None:
        self.query_one(".form-error", Static).display = False
        first = self.first_field()
        if first is not None:
            first.focus()

    def show_error(self, message: str, field: str | None = None) -> None:
        error = self.query_one(".form-error", Static)
        error.update(message)
        error.display = bool(message)
        if field:
            self.query_one(f"#{field}").focus()


def form_row(label: str | Content, widget: Widget) -> Horizontal:
    return Horizontal(Label(label, classes="field-label"), widget, classes="form-row")


# -- note ----------------------------------------------------------------------------------------------


NOTE_LIMIT = 7168
"""The API's longest note (and call or meeting text)."""


class NoteModal(ContactFormModal[str]):
    """Several lines of text: Enter starts a new line, ctrl+s saves."""

    DIALOG_ID = "note-dialog"
    HINT = "ctrl+s save · Enter new line · Esc cancel"

    def __init__(self, title: str, text: str = "") -> None:
        super().__init__(title)
        self.text = text

    def fields(self) -> Iterable[Widget]:
        yield TextBox(self.text, id="note-text", soft_wrap=True, compact=True, placeholder="What happened?")

    def first_field(self) -> Widget | None:
        area = self.query_one("#note-text", TextBox)
        area.move_cursor(area.document.end)  # editing: carry on where the note ends
        return area

    def result(self) -> str:
        text = self.query_one("#note-text", TextBox).text.strip()
        if not text:
            raise FormError("The note needs some text", "note-text")
        if len(text) > NOTE_LIMIT:
            raise FormError(f"A note holds at most {NOTE_LIMIT:,} characters; this one has {len(text):,}", "note-text")
        return text


# -- call ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallDraft:
    call_result: str
    text: str = ""
    phone_number: str = ""


class CallModal(ContactFormModal[CallDraft]):
    """Pick the result (↑/↓, Enter goes on to the notes), say what was said, Enter saves."""

    DIALOG_ID = "call-dialog"
    HINT = "↑/↓ result · Enter next / save · Esc cancel · Tab next field"

    def __init__(self, title: str, account: Account, phones: list[Phone], call: Call | None = None) -> None:
        super().__init__(title)
        self.account = account
        self.phones = phones
        self.call = call
        """The call being edited (the form opens with it), or None for a new one."""

    def fields(self) -> Iterable[Widget]:
        results = self.account.call_results
        if results:
            yield Label("Result", classes="field-label")
            yield OptionList(*(Option(plain(r.text), id=r.id) for r in results), id="call-result", compact=True)
        text = self.call.text if self.call else ""
        yield form_row("Notes", TextInput(text, placeholder="What was said (optional)", id="call-text", max_length=NOTE_LIMIT, compact=True))
        phone = self.call.phone_number if self.call else (self.phones[0].value if self.phones else "")
        yield form_row("Phone", TextInput(phone, placeholder="number called (optional)", id="call-phone", compact=True))

    def first_field(self) -> Widget | None:
        if not self.account.call_results:
            return self.query_one("#call-text")
        results = self.query_one("#call-result", OptionList)
        known = [r.id for r in self.account.call_results]
        results.highlighted = known.index(self.call.call_result) if self.call and self.call.call_result in known else 0
        return results

    @on(OptionList.OptionSelected, "#call-result")
    def _result_picked(self, event: OptionList.OptionSelected) -> None:
        self.query_one("#call-text").focus()

    def result(self) -> CallDraft:
        chosen = ""
        if self.account.call_results:
            option = self.query_one("#call-result", OptionList).highlighted_option
            if option is None or not option.id:
                raise FormError("Pick the call's result", "call-result")
            chosen = option.id
        return CallDraft(chosen, self.value("call-text"), self.value("call-phone"))


# -- meeting -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingDraft:
    text: str
    when: dt.datetime
    place: str = ""


class MeetingModal(ContactFormModal[MeetingDraft]):
    DIALOG_ID = "meeting-dialog"

    def __init__(self, title: str, account: Account, now: dt.datetime, meeting: Meeting | None = None) -> None:
        super().__init__(title)
        self.account = account
        self.now = now.astimezone(zone(account.time_zone))
        self.meeting = meeting
        """The meeting being edited (the form opens with it), or None for a new one."""

    def fields(self) -> Iterable[Widget]:
        m = self.meeting
        start = (self.now + dt.timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
        if m is not None and m.meeting_time is not None:
            start = m.meeting_time.astimezone(zone(self.account.time_zone))
        text, place = (m.text, m.place) if m is not None else ("", "")
        yield TextInput(text, placeholder="What is it about? (optional)", id="meeting-text", max_length=NOTE_LIMIT, compact=True)
        yield form_row("Date", TextInput(format_date(start.date(), self.account.date_format), id="meeting-date", compact=True))
        yield form_row("Time", TextInput(f"{start.hour:02d}:{start.minute:02d}", placeholder="14:30", id="meeting-time", compact=True))
        yield form_row("Place", TextInput(place, placeholder="where (optional)", id="meeting-place", max_length=100, compact=True))

    def result(self) -> MeetingDraft:
        try:
            day = parse_date(self.value("meeting-date"), self.account, self.now.date())
        except ValueError as exc:
            raise FormError(str(exc), "meeting-date") from None
        try:
            clock = parse_time(self.value("meeting-time"))
        except ValueError as exc:
            raise FormError(str(exc), "meeting-time") from None
        return MeetingDraft(self.value("meeting-text"), exact_time(day, clock, self.account), self.value("meeting-place"))


# -- closing comment, tag ------------------------------------------------------------------------------


class CloseSalesModal(ContactFormModal[str]):
    DIALOG_ID = "close-dialog"

    def fields(self) -> Iterable[Widget]:
        yield TextInput(placeholder="Why? e.g. Went with a competitor (optional)", id="close-comment", max_length=140, compact=True)

    def result(self) -> str:
        return self.value("close-comment")


class TagModal(ContactFormModal[str]):
    DIALOG_ID = "tag-dialog"
    HINT = "Enter add · → accepts the suggestion · Esc cancel"

    def __init__(self, title: str, known: list[str], current: list[str]) -> None:
        super().__init__(title)
        self.known = [t for t in known if t not in current]
        self.current = current

    def fields(self) -> Iterable[Widget]:
        yield TextInput(placeholder="Tag name", id="tag-name", suggester=SuggestFromList(self.known, case_sensitive=False), compact=True)

    def result(self) -> str:
        tag = self.value("tag-name")
        if not tag:
            raise FormError("Type a tag name", "tag-name")
        if tag in self.current:
            raise FormError(f"Already tagged “{tag}”", "tag-name")
        return tag

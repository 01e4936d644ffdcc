"""The record form of the records screen (Crust): `n` makes a record, `e` edits the one under the cursor.

One row per visible field of the module, made from its kind: a checkbox (bool), a choice of the
enum's options, a date (stamp: the account's date format or ISO, today, tomorrow, +3, with a time
after it when the field keeps one), a text area (textarea), a pick of records of the linked module
by their names (related: one; related_multi: Space ticks several), else one line of text (text,
email, number, url and kinds the server made up). What was typed is checked before anything is sent
(required, maximum length, e-mail, number: the server checks nothing) and a problem shows in the
form, at the field. Enter in a one-line field or ctrl+s saves; Esc asks before it throws typed text
away. Editing returns only the fields that changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select, Static, TextArea

from crmtui.domain.models import Account
from crmtui.domain.record_values import LINK_KINDS, linked_ids, only_date, parse_stamp, problems, shown_value, stamp_text
from crmtui.domain.records import Module, ModuleField, Record, RecordValue
from crmtui.ui.inert import plain
from crmtui.ui.modals.contact_forms import FormError
from crmtui.ui.modals.dates import parse_date, parse_time
from crmtui.ui.modals.form import FieldState, FormModal
from crmtui.ui.widgets.inputs import TextInput
from crmtui.ui.widgets.boxes import TextBox, TickBox, TickList

HIDDEN_KINDS = frozenset({"hidden"})
"""Kinds the form leaves out (their values stay as they are)."""


@dataclass(frozen=True)
class RecordFormResult:
    """The values of a new record, or the fields an edit changed (name -> value)."""

    values: dict[str, RecordValue]


class LinkTicks(TickList):
    """Several linked records: Space ticks one, Enter saves the form."""

    BINDINGS = [Binding("enter", "screen.save", "Save", show=False)]


def form_fields(module: Module) -> list[ModuleField]:
    return [f for f in module.fields if f.is_visible and f.kind not in HIDDEN_KINDS]


class RecordFormModal(FormModal[RecordFormResult]):
    """A new record of `module` (`record` None) or an edit of `record`; dismisses with a RecordFormResult, or None."""

    HINT = "Enter or ctrl+s save · Esc cancel · Tab next · Space ticks"

    def __init__(
        self,
        module: Module,
        account: Account | None,
        today: dt.date,
        *,
        record: Record | None = None,
        choices: Callable[[str], Sequence[tuple[str, str]]] = lambda _name: (),
        names: dict[str, str] | None = None,
    ) -> None:
        """`choices(field name)`: (name, id) of the records a link field may name."""
        super().__init__()
        self.module = module
        self.account = account
        self.today = today
        self.record = record
        self.fields = form_fields(module)
        self.names = names or {}
        self._choices = {f.name: list(choices(f.name)) for f in self.fields if f.kind in LINK_KINDS}
        self._fields_at_error: FieldState | None = None
        """Every field as it was when the last problem was shown (`_clear_error`)."""
        self._at_open: dict[str, object] = {}
        """What each field showed when the form opened (unchanged: the record's own value is kept)."""

    def _wid(self, n: int) -> str:
        return f"rf-{n}"

    def _value(self, field: ModuleField) -> RecordValue:
        if self.record is not None:
            return self.record.values.get(field.name) or RecordValue()
        return RecordValue(value=field.default_value)

    # -- layout --------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        record = self.record
        title = f"New {self.module.name}" if record is None else f"Edit {self.module.name}"
        with Vertical(classes="dialog contact-form", id="record-form-dialog"):
            yield Label(plain(title), classes="dialog-title")
            with VerticalScroll(id="record-form-fields"):
                for n, field in enumerate(self.fields):
                    label = field.title + (" *" if field.is_required else "")
                    with Horizontal(classes="form-row" + (" tall-row" if field.kind in ("textarea", "related_multi") else "")):
                        yield Label(plain(label), classes="field-label")
                        yield self._widget(n, field)
            yield Static("", classes="form-error", markup=False)
            yield Static(self.HINT, classes="dialog-hint")

    def _widget(self, n: int, field: ModuleField) -> Widget:
        widget_id = self._wid(n)
        value = self._value(field)
        kind = field.kind
        if kind == "bool":
            return TickBox("yes", value.value.strip() in ("1", "true"), id=widget_id, compact=True)
        if kind == "enum" and field.choices:
            options = [(plain(c), c) for c in field.choices]
            if value.value and value.value not in field.choices:
                options.insert(0, (plain(value.value), value.value))
            return Select(
                options, value=value.value if value.value else Select.NULL, allow_blank=True,
                prompt="(none)", id=widget_id, compact=True,
            )
        if kind == "textarea":
            area = TextBox(value.value, id=widget_id, compact=True, soft_wrap=True, show_line_numbers=False)
            return area
        if kind == "related":
            known = self._choices.get(field.name, [])
            current = (linked_ids(value) or [""])[0]
            options = [(plain(name), rid) for name, rid in known]
            if current and all(rid != current for _n, rid in known):
                options.insert(0, (plain(self.names.get(current, f"#{current}")), current))
            return Select(
                options, value=current if current else Select.NULL, allow_blank=True,
                prompt="(none)" if options else "(none read yet)", id=widget_id, compact=True,
            )
        if kind == "related_multi":
            chosen = linked_ids(value)
            named = {rid: name for name, rid in self._choices.get(field.name, [])}
            # The records it names first (in its order), then the others by name.
            ticked = [(named.get(rid) or self.names.get(rid, f"#{rid}"), rid) for rid in chosen]
            rest = [(name, rid) for rid, name in named.items() if rid not in chosen]
            return LinkTicks(
                *((plain(name), rid, rid in chosen) for name, rid in [*ticked, *rest]), id=widget_id, compact=True
            )
        text = shown_value(field, value) if kind in ("stamp", "date", "datetime") else value.value
        return TextInput(text, id=widget_id, placeholder=self._placeholder(field), compact=True)

    def _placeholder(self, field: ModuleField) -> str:
        if field.kind in ("stamp", "date", "datetime"):
            return "2026-03-10 · today · +3" + ("" if only_date(field) else " · then 14:30")
        if field.kind == "email":
            return "name@example.com"
        if field.kind == "number":
            return "a number"
        return "needed" if field.is_required else ""

    def on_mount(self) -> None:
        self.query_one(".form-error", Static).display = False
        for n, _field in enumerate(self.fields):
            self._at_open[self._wid(n)] = self._raw(n)
        if self.fields:
            self.query_one(f"#{self._wid(0)}").focus()

    def field_state(self) -> FieldState:
        state = super().field_state()
        ticks = tuple((w.id, tuple(sorted(w.selected))) for w in self.query(LinkTicks))
        return (*state, *((str(i), t) for i, t in ticks))

    # -- result --------------------------------------------------------------------------------
    def _raw(self, n: int) -> object:
        widget = self.query_one(f"#{self._wid(n)}")
        if isinstance(widget, Checkbox):
            return widget.value
        if isinstance(widget, Select):
            return widget.value
        if isinstance(widget, TextArea):
            return widget.text
        if isinstance(widget, LinkTicks):
            return tuple(widget.selected)
        if isinstance(widget, Input):
            return widget.value
        return None

    def _typed(self, n: int, field: ModuleField) -> RecordValue:
        raw = self._raw(n)
        widget_id = self._wid(n)
        if raw == self._at_open.get(widget_id):
            return self._value(field)  # untouched: the record's own value, exactly
        if isinstance(raw, bool):
            return RecordValue(value="1" if raw else "0")
        if isinstance(raw, tuple):
            ids = [str(i) for i in raw]
            return RecordValue(value=",".join(ids), related=ids)
        if field.kind == "related":
            chosen = raw if isinstance(raw, str) else ""
            return RecordValue(value=chosen, related=[chosen] if chosen else [])
        if raw is Select.NULL or raw is None:
            return RecordValue()
        text = str(raw)
        if field.kind in ("stamp", "date", "datetime"):
            return RecordValue(value=self._stamp(field, text.strip(), widget_id))
        return RecordValue(value=text.strip() if field.kind != "textarea" else text.rstrip())

    def _stamp(self, field: ModuleField, text: str, widget_id: str) -> str:
        if not text:
            return ""
        iso = parse_stamp(text)
        if iso is not None:
            return stamp_text(iso, date_only=only_date(field))
        day_text, _, time_text = text.partition(" ")
        if self.account is None:
            raise FormError(f"{field.title}: dates look like 2026-03-10", widget_id)
        try:
            day = parse_date(day_text, self.account, self.today)
            moment = dt.datetime.combine(day, parse_time(time_text) if time_text.strip() else dt.time(), tzinfo=dt.timezone.utc)
        except ValueError as exc:
            raise FormError(f"{field.title}: {exc}", widget_id) from None
        return stamp_text(moment if time_text.strip() else day, date_only=only_date(field) or not time_text.strip())

    def result(self) -> RecordFormResult:
        typed = {field.name: self._typed(n, field) for n, field in enumerate(self.fields)}
        whole = {**(self.record.values if self.record is not None else {}), **typed}
        found = problems(self.module, whole)
        if found:
            name, message = next(iter(found.items()))
            where = next((self._wid(n) for n, f in enumerate(self.fields) if f.name == name), None)
            raise FormError(message, where)
        if self.record is None:
            return RecordFormResult({n: v for n, v in typed.items() if v.value or v.related})
        before = self.record.values
        changed = {
            n: v for n, v in typed.items()
            if (before.get(n) or RecordValue()).value != v.value
            or sorted((before.get(n) or RecordValue()).related) != sorted(v.related)
        }
        return RecordFormResult(changed)

    def show_error(self, message: str, field: str | None = None) -> None:
        self._fields_at_error = self.field_state()
        self.show_error_in_long_form(message, field)

    def on_input_changed(self) -> None:
        self._clear_error()

    def on_select_changed(self) -> None:
        self._clear_error()

    def _clear_error(self) -> None:
        """The problem goes once a field changes after it was shown: the news of a change typed just
        before the save (a burst of a letter and ctrl+s) can arrive after it, and leaves it shown."""
        error = self.query_one(".form-error", Static)
        if error.display and self.field_state() != self._fields_at_error:
            error.update("")
            error.display = False

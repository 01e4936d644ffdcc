"""The filter builder of the filters screen: `n` makes a leads filter, `e` edits one.

A name, the type (leads: the fields offered are the account's lead fields), then the conditions in
Pipedrive's two groups: "all of" (every one must hold) and "any of" (at least one must). On the
conditions (Tab), `a` adds one to "all of" and `o` to "any of": a field, then an operator (those
/filters/helpers gives for the field's type), then a value (a choice for a field with options or a
user, a date or a relative date for a date, a number for a number, text otherwise; none for "is
empty"). Enter changes the one under the cursor (its operator and value), Delete removes it. A filter
holds at most 16 conditions: the builder says so instead of adding a 17th. ctrl+s saves; Esc asks
before throwing changes away.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from crmtui.domain.filters import (
    EMPTY_OPERATORS,
    MAX_CONDITIONS,
    Filter,
    FilterCondition,
    FilterConditions,
    FilterHelpers,
    describe_condition,
    operator_type,
)
from crmtui.domain.leads import LeadField
from crmtui.domain.models import Account
from crmtui.ui.inert import plain
from crmtui.ui.modals.contact_forms import FormError, form_row
from crmtui.ui.modals.form import FormModal
from crmtui.ui.modals.pickers import PickerModal
from crmtui.ui.modals.text_prompt import TextPromptModal
from crmtui.ui.widgets.inputs import TextInput

ALL, ANY = "all", "any"
NUMBER_TYPES = frozenset({"int", "double", "monetary", "user", "person", "organization"})
DATE_TYPES = frozenset({"date", "daterange", "time", "timerange"})
FULL = f"A filter holds at most {MAX_CONDITIONS} conditions (Pipedrive's limit): remove one first"


@dataclass(frozen=True)
class FilterBuilderResult:
    name: str
    conditions: FilterConditions


class ChoiceModal(PickerModal):
    """Pick one of `choices` ((id, text) pairs); answers the id, or None on Esc."""

    def __init__(self, title: str, choices: list[tuple[str, str]], *, hint: str = "Enter pick · Esc cancel") -> None:
        super().__init__()
        self.heading = title
        self.choices = choices
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker-dialog"):
            yield Label(plain(self.heading), classes="dialog-title")
            yield OptionList(*(Option(plain(text), id=key) for key, text in self.choices), id="choice-options")
            yield Static(self.hint, classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.focus()
        if options.option_count:
            options.highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)


class ConditionList(OptionList):
    """The conditions, under their groups' headings."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("a", "screen.add('all')", "Add to all of"),
        Binding("o", "screen.add('any')", "Add to any of"),
        Binding("delete", "screen.remove", "Remove"),
        Binding("x", "screen.remove", "Remove", show=False),
    ]


def _number(text: str) -> Any:
    cleaned = text.replace(",", "").strip()
    try:
        number = float(cleaned)
    except ValueError:
        raise ValueError(f"“{text}” is not a number") from None
    return int(number) if number.is_integer() else number


class ConditionWords:
    """Conditions in words, with the account's field names, option labels and user names."""

    def __init__(self, account: Account, helpers: FilterHelpers | None) -> None:
        self.account = account
        self.helpers = helpers
        self.fields = {f.key: f for f in account.lead_fields}
        self.relative = dict(helpers.relative_dates) if helpers is not None else {}

    def field_name(self, key: str) -> str:
        found = self.fields.get(key)
        return found.name if found is not None and found.name else key

    def operator_label(self, operator: str) -> str:
        return self.helpers.operator_label(operator) if self.helpers is not None else operator

    def value_text(self, cond: FilterCondition) -> str:
        value = cond.value
        if value is None or value == "":
            return ""
        text = str(value)
        found = self.fields.get(cond.field_id)
        if found is not None:
            kind = operator_type(found.field_type, found.key)
            if found.options and text in found.options:
                return found.options[text]
            if kind == "user":
                return self.account.user_name(text)
            if kind in DATE_TYPES and text in self.relative:
                return self.relative[text]
            if kind in ("monetary", "int", "double") and isinstance(value, (int, float)) and not isinstance(value, bool):
                return f"{value:,}"
        if cond.field_id == "label_ids":
            label = next((lbl.name for lbl in self.account.lead_labels if lbl.id == text), None)
            if label:
                return label
        return text

    def describe(self, cond: FilterCondition) -> str:
        return describe_condition(cond, field_name=self.field_name, operator_label=self.operator_label, value_text=self.value_text)


class FilterBuilderModal(FormModal[FilterBuilderResult]):
    """A new leads filter (`saved` None) or an edit of `saved` (with its `conditions`)."""

    HINT = "Tab conditions · a add to all of · o add to any of · Enter change · Delete remove · ctrl+s save · Esc cancel"

    def __init__(
        self, account: Account, helpers: FilterHelpers | None, saved: Filter | None = None,
        conditions: FilterConditions | None = None,
    ) -> None:
        super().__init__()
        self.account = account
        self.helpers = helpers or FilterHelpers()
        self.saved = saved
        self.words = ConditionWords(account, helpers)
        start = conditions or FilterConditions()
        self.groups: dict[str, list[FilterCondition]] = {ALL: list(start.all_of), ANY: list(start.any_of)}
        self._opened_conditions = self.conditions()

    def conditions(self) -> FilterConditions:
        return FilterConditions(all_of=list(self.groups[ALL]), any_of=list(self.groups[ANY]))

    @property
    def count(self) -> int:
        return len(self.groups[ALL]) + len(self.groups[ANY])

    def compose(self) -> ComposeResult:
        saved = self.saved
        heading = "New filter" if saved is None else f"Edit filter · {plain(saved.label)}"
        with Vertical(classes="dialog contact-form", id="filter-builder-dialog"):
            yield Label(plain(heading), classes="dialog-title")
            yield form_row("Name", TextInput(saved.name if saved else "", id="filter-name", placeholder="e.g. Hot leads over 10k", compact=True))
            yield form_row("Type", Static("Leads (the fields are the account's lead fields)", markup=False))
            yield Static("", id="filter-count", markup=False)
            yield ConditionList(id="filter-conditions")
            yield Static("", classes="form-error", markup=False)
            yield Static(self.HINT, classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one(".form-error", Static).display = False
        self._show()
        self.query_one("#filter-name", Input).focus()

    # -- showing -------------------------------------------------------------------------------
    def _show(self, focus: tuple[str, int] | None = None) -> None:
        lst = self.query_one(ConditionList)
        lst.clear_options()
        chosen = None
        for group, title in ((ALL, "All of (every one must hold)"), (ANY, "Any of (at least one must)")):
            lst.add_option(Option(Content.styled(title, "bold"), disabled=True))
            rows = self.groups[group]
            if not rows:
                key = "o" if group == ANY else "a"
                lst.add_option(Option(Content.styled(f"  none ({key} adds one)", "italic $text-muted"), disabled=True))
            for n, cond in enumerate(rows):
                if focus == (group, n):
                    chosen = lst.option_count
                lst.add_option(Option(Content("  • " + self.words.describe(cond)), id=f"{group}:{n}"))
        if chosen is None:  # the first condition, so Enter and Delete have one to act on
            chosen = next((i for i in range(lst.option_count) if lst.get_option_at_index(i).id), None)
        if chosen is not None:
            lst.highlighted = chosen
        count = self.count
        left = MAX_CONDITIONS - count
        self.query_one("#filter-count", Static).update(
            f"Conditions: {count} of at most {MAX_CONDITIONS}" + (" (full)" if left <= 0 else f" ({left} more possible)")
        )

    def _highlighted(self) -> tuple[str, int] | None:
        lst = self.query_one(ConditionList)
        index = lst.highlighted
        if index is None or index >= lst.option_count:
            return None
        option_id = lst.get_option_at_index(index).id
        if not option_id:
            return None
        group, _, n = option_id.partition(":")
        return group, int(n)

    # -- building a condition ------------------------------------------------------------------
    def _fields(self) -> list[LeadField]:
        return [f for f in self.account.lead_fields if f.key]

    def action_add(self, group: str) -> None:
        if self.count >= MAX_CONDITIONS:
            self.show_error(FULL)
            self.notify(FULL, severity="warning", timeout=5)
            return
        fields = self._fields()
        if not fields:
            self.show_error("The account's lead fields are not known (reconnect to read them)")
            return
        where = "all of" if group == ALL else "any of"

        def picked(key: str | None) -> None:
            field = next((f for f in fields if f.key == key), None)
            if field is not None:
                self._pick_operator(field, lambda cond: self._put(group, None, cond))

        choices = [(f.key, f.name or f.key) for f in fields]
        self.app.push_screen(ChoiceModal(f"Add to “{where}”: which field?", choices), picked)

    def _pick_operator(self, field: LeadField, done: Callable[[FilterCondition], None], current: FilterCondition | None = None) -> None:
        operators = self.helpers.operators_for(field.field_type, field.key) or [("=", "is")]

        def picked(operator: str | None) -> None:
            if operator is not None:
                self._pick_value(field, operator, done, current)

        name = field.name or field.key
        self.app.push_screen(ChoiceModal(f"{name}: which operator?", operators), picked)

    def _pick_value(
        self, field: LeadField, operator: str, done: Callable[[FilterCondition], None], current: FilterCondition | None
    ) -> None:
        def made(value: Any) -> FilterCondition:
            return FilterCondition(field_id=field.key, operator=operator, value=value)

        if operator in EMPTY_OPERATORS:
            done(made(None))
            return
        kind = operator_type(field.field_type, field.key)
        label = f"{field.name or field.key} {self.helpers.operator_label(operator)}…"
        options: list[tuple[str, str]] = []
        if field.options:
            options = list(field.options.items())
        elif field.key == "label_ids":
            options = [(lbl.id, lbl.name) for lbl in self.account.lead_labels]
        elif kind == "user":
            options = [(self.account.user.id, f"{self.account.user.name} (me)")]
            options += [(u.id, u.name) for u in self.account.team if u.id != self.account.user.id]
        if options:

            def chosen(key: str | None) -> None:
                if key is not None:
                    done(made(int(key) if key.isdigit() else key))

            self.app.push_screen(ChoiceModal(label, options), chosen)
            return
        before = "" if current is None or current.value is None else str(current.value)
        if kind in DATE_TYPES:
            hint = "YYYY-MM-DD, or a relative date: today, yesterday, 3_weeks_ago, in_1_month… · Enter ok · Esc cancel"
        elif kind in NUMBER_TYPES:
            hint = "A number · Enter ok · Esc cancel"
        else:
            hint = "Text · Enter ok · Esc cancel"

        def typed(text: str | None) -> None:
            if text is None:
                return
            value: Any = text
            if kind in NUMBER_TYPES:
                try:
                    value = _number(text)
                except ValueError as exc:
                    self.show_error(str(exc))
                    return
            done(made(value))

        self.app.push_screen(TextPromptModal(label, before, hint=hint), typed)

    def _put(self, group: str, index: int | None, cond: FilterCondition) -> None:
        rows = self.groups[group]
        if index is None:
            if self.count >= MAX_CONDITIONS:
                self.show_error(FULL)
                return
            rows.append(cond)
            index = len(rows) - 1
        else:
            rows[index] = cond
        self.show_error("")
        self._show(focus=(group, index))
        self.query_one(ConditionList).focus()

    def action_remove(self) -> None:
        where = self._highlighted()
        if where is None:
            return
        group, n = where
        del self.groups[group][n]
        rows = self.groups[group]
        self._show(focus=(group, min(n, len(rows) - 1)) if rows else None)

    @on(OptionList.OptionSelected, "#filter-conditions")
    def _change(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        where = self._highlighted()
        if where is None:
            return
        group, n = where
        current = self.groups[group][n]
        field = next((f for f in self._fields() if f.key == current.field_id), None)
        if field is None:
            field = LeadField(key=current.field_id, name=current.field_id, field_type="varchar")
        self._pick_operator(field, lambda cond: self._put(group, n, cond), current)

    # -- result --------------------------------------------------------------------------------
    def typed(self) -> bool:
        return super().typed() or self.conditions() != self._opened_conditions

    def result(self) -> FilterBuilderResult:
        name = self.query_one("#filter-name", Input).value.strip()
        if not name:
            raise FormError("The filter needs a name", "filter-name")
        conditions = self.conditions()
        try:
            conditions.check()
        except ValueError as exc:
            raise FormError(f"{exc} (Tab, then a or o adds one)" if not conditions.count else str(exc), None) from None
        return FilterBuilderResult(name=name, conditions=conditions)

    def show_error(self, message: str, field: str | None = None) -> None:
        error = self.query_one(".form-error", Static)
        error.update(message)
        error.display = bool(message)
        if field:
            self.query_one(f"#{field}").focus()

    @on(Input.Changed)
    def _edited(self) -> None:
        error = self.query_one(".form-error", Static)
        if error.display:
            error.update("")
            error.display = False

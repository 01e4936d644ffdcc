"""The module form of the modules screen (Crust): `n` makes a module, `e` edits the one under the cursor.

The module's name above its fields, one line each (name, label, kind, required, options). On the
fields: `a` adds one, Enter edits the one under the cursor, `d` or Delete removes it, `[` / `]` move
it up or down. A field's own form: its name (what records keep its values under), label, kind,
required, shown, an enum's options (comma-separated) and the module a link field names. Enter in a
one-line field or ctrl+s saves the module (the screen asks before sending, saying what changes);
Esc asks before it throws typed text away.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select, Static

from crmtui.domain.module_edits import KINDS, enum_options, field_problems, with_options
from crmtui.domain.record_values import LINK_KINDS, linked_module
from crmtui.domain.records import Module, ModuleField
from crmtui.ui.inert import plain
from crmtui.ui.modals.contact_forms import ContactFormModal, FormError, form_row
from crmtui.ui.modals.form import FormModal
from crmtui.ui.widgets.inputs import TextInput
from crmtui.ui.widgets.boxes import TickBox
from crmtui.ui.widgets.row_list import TITLES, Cell, Column, Header, RowList, T


@dataclass
class FieldEdit:
    """One field as the form holds it: the field, and the name it had on the server ("" for a new one)."""

    field: ModuleField
    was: str = ""


@dataclass(frozen=True)
class ModuleFormResult:
    name: str
    fields: list[ModuleField]
    renames: dict[str, str] = field(default_factory=dict)
    """A field's name on the server -> its new name."""


def field_summary(item: ModuleField, names: dict[str, str]) -> str:
    """What a field holds beyond its kind: an enum's options, the module a link names."""
    if item.kind == "enum":
        return ", ".join(item.choices)
    if item.kind in LINK_KINDS:
        target = linked_module(item)
        return f"→ {names.get(target, target or '?')}"
    return ""


def field_columns(names: dict[str, str]) -> list[Column[ModuleField]]:
    def mark(on: bool) -> Cell:
        return ("✓" if on else "", "today")

    return [
        Column("Name", lambda f: (f.name, "strong"), share=2, min_width=10, priority=9),
        Column("Label", lambda f: (f.label, ""), share=2, min_width=10, priority=6),
        Column("Kind", lambda f: (f.kind, "dim"), width=13, priority=8),
        Column("Req", lambda f: mark(f.is_required), width=3, priority=7),
        Column("Multi", lambda f: mark(f.kind == "related_multi"), width=5, priority=3),
        Column("Shown", lambda f: mark(f.is_visible), width=5, priority=2),
        Column("Options / links to", lambda f: (field_summary(f, names), "dim"), share=3, min_width=12, priority=5),
    ]


class TitledRows(RowList[T]):
    """A list whose section line is its columns' titles, laid out at the width drawn."""

    def _render_row(self, row: T | Header, width: int, selected: bool) -> Strip:
        if isinstance(row, Header) and row.role == TITLES:
            row = Header(self.titles(width), row.count, row.role, row.tag)
        return super()._render_row(row, width, selected)

    def titles(self, width: int) -> str:
        # The section line starts a cell in: the first title one cell shorter keeps the others over their columns.
        parts = []
        for i, (column, size) in enumerate(self.column_widths(width)):
            parts.append(column.title.rjust(size) if column.right else column.title.ljust(size - (i == 0)))
        return " ".join(parts).rstrip()


class FieldRows(TitledRows[ModuleField]):
    """The form's fields: a add, Enter edit, d/Delete remove, [ ] move."""

    BINDINGS = [
        Binding("a,plus", "screen.add_field", "Add field"),
        Binding("d,delete", "screen.remove_field", "Remove field"),
        Binding("left_square_bracket", "screen.move_field(-1)", "Up", show=False),
        Binding("right_square_bracket", "screen.move_field(1)", "Down", show=False),
    ]


class ModuleFormModal(FormModal[ModuleFormResult]):
    """A new module (`module` None) or an edit of `module`; dismisses with a ModuleFormResult, or None."""

    HINT = "a add field · Enter edit field · d remove · [ ] move · ctrl+s save · Esc cancel"

    def __init__(
        self, module: Module | None, modules: Sequence[Module], kinds: Sequence[str] = (), draft: ModuleFormResult | None = None
    ) -> None:
        """`draft`: what the form held when it was saved and the confirmation answered "not now"."""
        super().__init__()
        self.module = module
        self.modules = list(modules)
        self.names = {m.id: m.name for m in modules}
        self.kinds = [*KINDS, *(k for k in kinds if k not in KINDS)]
        self.edits = [FieldEdit(f.model_copy(deep=True), f.name) for f in module.fields] if module is not None else []
        self._opened_fields = self._fields_state()
        self.draft_name = draft.name if draft is not None else None
        if draft is not None:
            was = {new: old for old, new in draft.renames.items()}
            known = {f.name for f in module.fields} if module is not None else set()
            self.edits = [
                FieldEdit(f.model_copy(deep=True), was.get(f.name, f.name if f.name in known else "")) for f in draft.fields
            ]

    def compose(self) -> ComposeResult:
        title = f"Edit module: {self.module.name}" if self.module is not None else "New module"
        with Vertical(classes="dialog", id="module-form-dialog"):
            yield Label(plain(title), classes="dialog-title")
            name = self.module.name if self.module else ""
            yield form_row("Name", TextInput(name, placeholder="Module name", id="module-name", compact=True))
            yield Static("Fields", classes="module-form-section")
            rows = FieldRows(field_columns(self.names), key=id, id="module-fields")
            rows.empty_text = "No fields yet: a adds one (the server needs at least one)"
            yield rows
            yield Static("", classes="form-error", markup=False)
            yield Static(self.HINT, classes="dialog-hint")

    @property
    def field_list(self) -> FieldRows:
        return self.query_one("#module-fields", FieldRows)

    def on_mount(self) -> None:
        self.query_one(".form-error", Static).display = False
        if self.draft_name is not None:
            self.query_one("#module-name", Input).value = self.draft_name  # after the base's snapshot: Esc still asks
        self._show_fields()
        self.query_one("#module-name", Input).focus()

    def _show_fields(self, select: int | None = None) -> None:
        rows = self.field_list
        rows.set_rows([("", TITLES, [e.field for e in self.edits])])
        if select is not None and 0 <= select < len(self.edits):
            rows.select_key(id(self.edits[select].field))
        rows.redraw()

    def _fields_state(self) -> tuple[str, ...]:
        return tuple(e.field.model_dump_json() for e in self.edits)

    def typed(self) -> bool:
        return super().typed() or self._fields_state() != self._opened_fields

    def show_error(self, message: str, field: str | None = None) -> None:
        error = self.query_one(".form-error", Static)
        error.update(message)
        error.display = bool(message)
        if field:
            self.query_one(f"#{field}").focus()

    def _at(self) -> int | None:
        chosen = self.field_list.selected
        return next((n for n, e in enumerate(self.edits) if e.field is chosen), None) if chosen is not None else None

    # -- the fields --------------------------------------------------------------------------------
    def action_add_field(self) -> None:
        def done(made: ModuleField | None) -> None:
            if made is not None:
                self.edits.append(FieldEdit(made))
                self._show_fields(len(self.edits) - 1)

        taken = {e.field.name for e in self.edits}
        self.app.push_screen(FieldFormModal(None, self.modules, self.kinds, taken), done)

    def _edit_field(self, at: int) -> None:
        edit = self.edits[at]

        def done(changed: ModuleField | None) -> None:
            if changed is not None:
                edit.field = changed
                self._show_fields(at)

        taken = {e.field.name for n, e in enumerate(self.edits) if n != at}
        self.app.push_screen(FieldFormModal(edit.field, self.modules, self.kinds, taken), done)

    @on(RowList.Selected)
    def _field_chosen(self, event: RowList.Selected) -> None:
        event.stop()
        at = self._at()
        if at is not None:
            self._edit_field(at)

    def action_remove_field(self) -> None:
        at = self._at()
        if at is not None:
            del self.edits[at]
            self._show_fields(min(at, len(self.edits) - 1))

    def action_move_field(self, step: int) -> None:
        at = self._at()
        if at is None or not 0 <= at + step < len(self.edits):
            return
        self.edits[at], self.edits[at + step] = self.edits[at + step], self.edits[at]
        self._show_fields(at + step)

    # -- the result --------------------------------------------------------------------------------
    def result(self) -> ModuleFormResult:
        name = self.query_one("#module-name", Input).value.strip()
        fields = [e.field for e in self.edits]
        problems = field_problems(name, fields)
        if problems:
            at, message = problems[0]
            if at is None:
                raise FormError(message, "module-name" if fields else "module-fields")
            self._show_fields(at)
            raise FormError(message, "module-fields")
        renames = {e.was: e.field.name for e in self.edits if e.was and e.was != e.field.name}
        return ModuleFormResult(name=name, fields=fields, renames=renames)


class FieldFormModal(ContactFormModal[ModuleField]):
    """One field of a module: a new one (`field` None) or an edit; dismisses with the field, or None."""

    DIALOG_ID = "field-form-dialog"
    HINT = "Enter save · Esc cancel · Tab next"

    def __init__(self, field: ModuleField | None, modules: Sequence[Module], kinds: Sequence[str], taken: set[str]) -> None:
        super().__init__(f"Field: {field.name}" if field is not None else "New field")
        self.field = field or ModuleField(name="", kind="text")
        self.modules = list(modules)
        self.kinds = list(kinds) if self.field.kind in kinds else [self.field.kind, *kinds]
        self.taken = taken

    def fields(self) -> Iterable[Widget]:
        f = self.field
        yield form_row("Name", TextInput(f.name, placeholder="what records keep its values under", id="field-name", compact=True))
        yield form_row("Label", TextInput(f.label, placeholder="what a person reads", id="field-label", compact=True))
        yield form_row("Kind", Select([(k, k) for k in self.kinds], value=f.kind, allow_blank=False, id="field-kind", compact=True))
        with_flags = Horizontal(
            TickBox("Required", f.is_required, id="field-required", compact=True),
            TickBox("Shown", f.is_visible, id="field-visible", compact=True),
            classes="form-row",
        )
        yield with_flags
        yield form_row(
            "Options", TextInput(", ".join(enum_options(f)), placeholder="an enum's choices, comma-separated", id="field-options", compact=True)
        )
        target = linked_module(f)
        choices = [(plain(m.name), m.id) for m in self.modules]
        if target and all(mid != target for _n, mid in choices):
            choices.insert(0, (plain(f"#{target}"), target))
        yield form_row(
            "Links to",
            Select(choices, value=target if target else Select.NULL, allow_blank=True, prompt="(a link's module)", id="field-module", compact=True),
        )

    def result(self) -> ModuleField:
        name = self.value("field-name")
        if not name:
            raise FormError("A field needs a name", "field-name")
        if name in self.taken:
            raise FormError(f"Another field is named “{name}”", "field-name")
        kind = self.query_one("#field-kind", Select).value
        kind_text = kind if isinstance(kind, str) else "text"
        target = self.query_one("#field-module", Select).value
        choices = [c.strip() for c in self.value("field-options").split(",") if c.strip()]
        made = self.field.model_copy(update={
            "name": name, "label": self.value("field-label"), "kind": kind_text,
            "is_required": self.query_one("#field-required", Checkbox).value,
            "is_visible": self.query_one("#field-visible", Checkbox).value,
        })
        made = with_options(made, choices=choices, module_id=target if isinstance(target, str) else "")
        for at, problem in field_problems("-", [made]):
            if at is not None:
                raise FormError(problem, "field-options" if kind_text == "enum" else "field-module" if kind_text in LINK_KINDS else "field-name")
        return made

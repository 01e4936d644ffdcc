"""`?`: every key binding, the current screen's first, then the keys that work everywhere, then the
other screens' and the dialogs'; typing narrows the list to the keys matching what is typed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from crmtui.ui.widgets.inputs import TextInput

KEY_NAMES = {
    "asterisk": "*",
    "exclamation_mark": "!",
    "equals_sign": "=",
    "full_stop": ".",
    "plus": "+",
    "minus": "-",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "space": "Space",
    "backspace": "Backspace",
    "shift+tab": "Shift+Tab",
    "shift+left": "Shift+←",
    "shift+right": "Shift+→",
    "left": "←",
    "right": "→",
    "slash": "/",
    "question_mark": "?",
    "escape": "Esc",
    "enter": "Enter",
    "pageup": "PgUp",
    "pagedown": "PgDn",
    "home": "Home",
    "end": "End",
    "up": "↑",
    "down": "↓",
    "tab": "Tab",
    "delete": "Delete",
}

Row = tuple[str, str]
"""(the keys as shown, what they do)"""


def key_label(keys: str) -> str:
    """"down,j" -> "↓ / j"; "ctrl+p" -> "ctrl+p"."""
    return " / ".join(KEY_NAMES.get(k.strip(), k.strip()) for k in keys.split(","))


def class_bindings(cls: type) -> list[BindingType]:
    """A screen class's bindings with those of the classes it is built from (a key on the triage
    mixin is a key of every screen with it), the class's own first; each action once."""
    found: list[BindingType] = []
    actions: set[str] = set()
    for klass in cls.__mro__:
        if not klass.__module__.startswith("crmtui."):
            continue  # Textual's own (Tab moves focus, ctrl+c copies) are not this app's keys
        for item in klass.__dict__.get("BINDINGS", ()):
            binding = item if isinstance(item, Binding) else Binding(*item)
            if binding.action not in actions:
                actions.add(binding.action)
                found.append(item)
    return found


def node_bindings(node: DOMNode) -> list[BindingType]:
    """The keys of a screen as it stands: its own, then those of the widgets on it (a list's j and k)."""
    found = class_bindings(type(node))
    for widget in node.query("*"):
        if type(widget).__module__.startswith("crmtui."):
            found += class_bindings(type(widget))
    return found


def binding_rows(bindings: Iterable[BindingType]) -> list[Row]:
    """One row per key: a key bound twice (a mixin's and the screen's, two widgets') shows what it does first."""
    rows: list[Row] = []
    keys: set[str] = set()
    for item in bindings:
        binding = item if isinstance(item, Binding) else Binding(*item)
        description = binding.tooltip or binding.description or binding.action.replace("_", " ")
        label = key_label(binding.key)
        if label not in keys:
            keys.add(label)
            rows.append((label, description))
    return rows


def without_keys(rows: Iterable[Row], taken: Iterable[Row]) -> list[Row]:
    """`rows` without those whose keys are in `taken` (a key the screen binds itself is the screen's there)."""
    keys = {key for row in taken for key in row[0].split(" / ")}
    return [row for row in rows if not keys & set(row[0].split(" / "))]


def matches(row: Row, query: str) -> bool:
    """A key typed as such ("N", "Esc", "?") finds its row; two or more characters also find words of
    what it does ("note", "undo") or of the key's name ("ctrl", "shift")."""
    query = query.strip()
    if not query:
        return True
    keys, description = row
    names = keys.split(" / ")
    if query in names or query.casefold() in (n.casefold() for n in names if len(n) > 1):
        return True
    folded = query.casefold()
    return len(query) > 1 and (folded in description.casefold() or folded in keys.casefold())


HelpSections = Sequence[tuple[str, Sequence[Row]]]


def filtered(sections: HelpSections, query: str) -> list[tuple[str, list[Row]]]:
    """The sections with the rows matching `query`; a section with none is left out."""
    found = [(title, [row for row in rows if matches(row, query)]) for title, rows in sections]
    return [(title, rows) for title, rows in found if rows]


class HelpScreen(ModalScreen[None]):
    """Keys per screen (the one help was opened on first), narrowed as you type; Esc clears the
    search, then closes."""

    BINDINGS = [
        Binding("escape", "back", "Clear the search, or close"),
        Binding("down", "scroll('down')", "Scroll down", show=False),
        Binding("up", "scroll('up')", "Scroll up", show=False),
        Binding("pagedown", "scroll('page_down')", "Page down", show=False),
        Binding("pageup", "scroll('page_up')", "Page up", show=False),
    ]
    HINT = "type to search · ↑/↓ PgUp/PgDn scroll · Esc clears, then closes"

    def __init__(self, sections: HelpSections) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog help-dialog"):
            yield Label("Keys · this screen's first", classes="dialog-title")
            yield TextInput(placeholder="Search: a key (N, Esc) or what it does (note, undo)", id="help-search", compact=True)
            with VerticalScroll(id="help-body"):
                for index, (title, _rows) in enumerate(self.sections):
                    yield Label(title, id=f"help-title-{index}", classes="help-section")
                    yield Static(id=f"help-table-{index}", classes="help-table")
                yield Static("", id="help-none", markup=False)
            yield Static(self.HINT, classes="dialog-hint")

    def on_mount(self) -> None:
        self.show("")
        self.query_one("#help-search", Input).focus()

    @property
    def query_text(self) -> str:
        return self.query_one("#help-search", Input).value

    def shown(self) -> list[tuple[str, list[Row]]]:
        """The sections and rows on show now."""
        return filtered(self.sections, self.query_text)

    def show(self, query: str) -> None:
        first = True
        for index, (_title, rows) in enumerate(self.sections):
            found = [row for row in rows if matches(row, query)]
            heading = self.query_one(f"#help-title-{index}", Label)
            body = self.query_one(f"#help-table-{index}", Static)
            heading.display = body.display = bool(found)
            heading.set_class(bool(found) and first, "-first")
            first = first and not found
            table = Table.grid(padding=(0, 2))
            table.add_column(min_width=14, style="bold")
            table.add_column()
            for keys, description in found:
                table.add_row(Text(keys), Text(description))
            body.update(table)
        none = self.query_one("#help-none", Static)
        none.display = first and bool(query.strip())
        none.update(f"No key matches “{query.strip()}” (Esc clears the search)")
        self.query_one("#help-body", VerticalScroll).scroll_home(animate=False)

    @on(Input.Changed, "#help-search")
    def _search(self, event: Input.Changed) -> None:
        self.show(event.value)

    @on(Input.Submitted, "#help-search")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()  # Enter has nothing to pick here

    def action_scroll(self, where: str) -> None:
        body = self.query_one("#help-body", VerticalScroll)
        getattr(body, f"scroll_{where}")(animate=False)

    def action_back(self) -> None:
        box = self.query_one("#help-search", Input)
        if box.value:
            box.value = ""
            return
        self.dismiss(None)

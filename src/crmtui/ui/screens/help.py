"""`?`: every key binding, grouped by the screen it belongs to."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

KEY_NAMES = {
    "asterisk": "*",
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
}


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


def binding_rows(bindings: Iterable[BindingType]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for item in bindings:
        binding = item if isinstance(item, Binding) else Binding(*item)
        description = binding.tooltip or binding.description or binding.action.replace("_", " ")
        rows.append((key_label(binding.key), description))
    return rows


HelpSections = Sequence[tuple[str, Sequence[tuple[str, str]]]]


class HelpScreen(ModalScreen[None]):
    """A scrollable table of key bindings per screen; Esc, q or ? closes it."""

    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def __init__(self, sections: HelpSections) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog help-dialog"):
            yield Label("Keys", classes="dialog-title")
            with VerticalScroll(id="help-body"):
                for title, rows in self.sections:
                    table = Table.grid(padding=(0, 2))
                    table.add_column(min_width=14, style="bold")
                    table.add_column()
                    for keys, description in rows:
                        table.add_row(Text(keys), Text(description))
                    yield Label(title, classes="help-section")
                    yield Static(table, classes="help-table")
            yield Static("Esc close · ↑/↓ scroll", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)

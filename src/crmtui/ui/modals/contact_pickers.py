"""Pick one of a few things for a contact: a status, a tag to remove, an email or phone to copy."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from crmtui.ui.modals.pickers import PickerModal
from crmtui.ui.inert import plain


@dataclass(frozen=True)
class Choice:
    """One pickable thing: what the modal returns, and what it shows."""

    value: str
    label: str


class ChoiceModal(PickerModal):
    """A list to pick from: Enter picks, Esc cancels; the current value is marked and highlighted."""

    def __init__(self, title: str, choices: list[Choice], *, current: str | None = None, hint: str = "Enter pick · Esc cancel") -> None:
        super().__init__()
        self.heading = title
        self.choices = choices
        self.current = current
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker-dialog contact-picker"):
            yield Label(plain(self.heading), classes="dialog-title")
            options = [
                Option(plain(c.label + ("  (current)" if c.value == self.current else "")), id=str(i))
                for i, c in enumerate(self.choices)
            ]
            yield OptionList(*options, id="choice-options")
            yield Static(self.hint, classes="dialog-hint")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.focus()
        index = next((i for i, c in enumerate(self.choices) if c.value == self.current), 0)
        if options.option_count:
            options.highlighted = index

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices[int(event.option.id or 0)].value)

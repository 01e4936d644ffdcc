"""A short list to pick from, for the pipeline board: which pipeline, whose deals."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from crmtui.ui.modals.pickers import PickerModal
from crmtui.ui.inert import plain


class DealChoiceModal(PickerModal):
    """Pick one of `choices` ((id, label) pairs); returns its id, or None on Esc."""

    def __init__(self, title: str, choices: list[tuple[str, str]], *, current: str | None = None) -> None:
        super().__init__()
        self.heading = title
        self.choices = choices
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker-dialog deal-choice-dialog"):
            yield Label(plain(self.heading), classes="dialog-title")
            options = [Option(plain(label + ("  ✓" if key == self.current else "")), id=key) for key, label in self.choices]
            yield OptionList(*options, id="deal-choices")
            yield Static("Enter pick · Esc cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.focus()
        keys = [key for key, _ in self.choices]
        if options.option_count:
            options.highlighted = keys.index(self.current) if self.current in keys else 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

"""Ask for one line of text (a path to save a download to or upload from, a file's new name)."""

from __future__ import annotations

from collections.abc import Iterable

from textual.widget import Widget

from crmtui.ui.modals.contact_forms import ContactFormModal, FormError
from crmtui.ui.widgets.inputs import TextInput


class TextPromptModal(ContactFormModal[str]):
    """One text field, filled with `value`; Enter answers what it holds (required unless `optional`)."""

    DIALOG_ID = "text-prompt"

    def __init__(self, title: str, value: str = "", *, placeholder: str = "", hint: str = "", optional: bool = False) -> None:
        super().__init__(title)
        self.initial = value
        self.placeholder = placeholder
        self.optional = optional
        self.HINT = hint or "Enter ok · Esc cancel"

    def fields(self) -> Iterable[Widget]:
        yield TextInput(self.initial, placeholder=self.placeholder, id="prompt-text", compact=True)

    def result(self) -> str:
        text = self.value("prompt-text")
        if not text and not self.optional:
            raise FormError("Type something, or Esc to cancel", "prompt-text")
        return text

"""What every form modal shares: Enter (from any text field) or ctrl+s saves, Esc cancels, and a
problem with what was typed is shown in the form instead of closing it."""

from __future__ import annotations

from typing import Generic, TypeVar

from textual import on
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Input

T = TypeVar("T")


class FormModal(ModalScreen[T | None], Generic[T]):
    """Subclasses build the result in `result()` (raising ValueError with a message for the person)
    and show such a message with `show_error()`; the field to fix, if known, is the error's `field`."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
    ]

    def result(self) -> T:  # pragma: no cover - every form has a result
        raise NotImplementedError

    def show_error(self, message: str, field: str | None = None) -> None:  # pragma: no cover
        raise NotImplementedError

    def action_save(self) -> None:
        try:
            result = self.result()
        except ValueError as exc:
            self.show_error(str(exc), getattr(exc, "field", None))
            return
        self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

"""What every form modal shares: Enter (from any text field) or ctrl+s saves, Esc cancels, a problem
with what was typed is shown in the form instead of closing it, and Esc never throws typed text away
unasked: when any field differs from how the form opened it asks "Discard what you typed?" first."""

from __future__ import annotations

from typing import Generic, TypeVar

from textual import on
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Checkbox, Input, OptionList, RadioSet, Select, Static, Switch, TextArea

from crmtui.ui.modals.pickers import ConfirmModal

T = TypeVar("T")

DISCARD_TITLE = "Discard what you typed?"
DISCARD_MESSAGE = "What you typed in this form is not saved anywhere."

FieldState = tuple[tuple[str, object], ...]
"""Each field of a form (by its id, or its place) with what it holds."""


def field_value(widget: Widget) -> tuple[bool, object]:
    """(True, what the field holds) for a field a person fills in; (False, None) for anything else.

    Text is compared without the spaces around it: spaces alone are nothing to lose.
    """
    if isinstance(widget, Input):
        return True, widget.value.strip()
    if isinstance(widget, TextArea):
        return True, widget.text.strip()
    if isinstance(widget, Select):
        return True, widget.value
    if isinstance(widget, OptionList):
        return True, widget.highlighted
    if isinstance(widget, RadioSet):
        return True, widget.pressed_index
    if isinstance(widget, (Checkbox, Switch)):
        return True, widget.value
    return False, None


class FormModal(ModalScreen[T | None], Generic[T]):
    """Subclasses build the result in `result()` (raising ValueError with a message for the person)
    and show such a message with `show_error()`; the field to fix, if known, is the error's `field`.

    How the fields stand once the form has opened (after every subclass's on_mount has filled them:
    Textual runs the base class's handler last) is what Esc compares with.
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
    ]

    _opened: FieldState | None = None

    def result(self) -> T:  # pragma: no cover - every form has a result
        raise NotImplementedError

    def show_error(self, message: str, field: str | None = None) -> None:  # pragma: no cover
        raise NotImplementedError

    def on_mount(self) -> None:
        self._opened = self.field_state()

    def field_state(self) -> FieldState:
        """Every field of the form with what it holds now (the parts of a field, such as the list a
        Select drops down, are the field's own business: not looked into)."""
        found: list[tuple[str, object]] = []

        def walk(node: Widget) -> None:
            for child in node.children:
                kind, value = field_value(child)
                if kind:
                    found.append((child.id or f"#{len(found)}", value))
                else:
                    walk(child)

        walk(self)
        return tuple(found)

    def show_error_in_long_form(self, message: str, field: str | None = None) -> None:
        """`show_error` for a form taller than an 80x24 view: the `.form-error` line under the fields
        may be scrolled out of sight, so the problem also shows as a notification, and the view
        scrolls to the field to fix (or to the line)."""
        error = self.query_one(".form-error", Static)
        error.update(message)
        error.display = bool(message)
        if message:
            self.notify(message, title="Check the form", severity="warning", timeout=5)
        if field:
            widget = self.query_one(f"#{field}")
            widget.focus()
            widget.scroll_visible(animate=False)
        else:
            error.scroll_visible(animate=False)

    def typed(self) -> bool:
        """Whether any field differs from how the form opened (what Esc would lose)."""
        return self._opened is not None and self.field_state() != self._opened

    def action_save(self) -> None:
        try:
            result = self.result()
        except ValueError as exc:
            self.show_error(str(exc), getattr(exc, "field", None))
            return
        self.dismiss(result)

    def action_cancel(self) -> None:
        if not self.typed():
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmModal(DISCARD_TITLE, DISCARD_MESSAGE, confirm_label="Discard", cancel_label="Keep editing"), answered
        )

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

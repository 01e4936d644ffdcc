"""Small modals: yes/no confirmation, the base of the pick-one-from-a-list modals, a team-member picker."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Generic, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, OptionList, Static
from textual.widgets.option_list import Option

from crmtui.domain.models import User
from crmtui.ui.inert import plain

R = TypeVar("R")


class ConfirmModal(ModalScreen[bool]):
    """Ask a yes/no question; y/Enter confirm, n/Esc cancel."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, title: str, message: str, *, confirm_label: str = "Yes", cancel_label: str = "Cancel") -> None:
        super().__init__()
        self.heading = title
        self.message = message
        self.confirm_label = confirm_label
        self.cancel_label = cancel_label

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog confirm-dialog"):
            yield Label(plain(self.heading), classes="dialog-title")
            yield Static(self.message, classes="dialog-message", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(plain(self.confirm_label), id="confirm-yes", variant="warning", compact=True)
                yield Button(plain(self.cancel_label), id="confirm-no", compact=True)
            yield Static(f"y / Enter {self.confirm_label.lower()} · n / Esc {self.cancel_label.lower()}", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#confirm-yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class OptionsModal(ModalScreen[R], Generic[R]):
    """A modal around one OptionList: j/k move as in every list of the app, Enter picks, Esc cancels
    (answers None)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("j", "move(1)", "Next choice", show=False),
        Binding("k", "move(-1)", "Previous choice", show=False),
    ]

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if step > 0:
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)


class PickerModal(OptionsModal[str | None]):
    """Pick one of a list: answers the option's id, or None on Esc."""


class TeamPickerModal(PickerModal):
    """Pick a team member; returns their user id, or None on Esc."""

    def __init__(
        self,
        title: str,
        users: list[User],
        *,
        current: str | None = None,
        extra: Sequence[tuple[str, str]] = (),
        start_on_current: bool = False,
    ) -> None:
        super().__init__()
        self.heading = title
        self.users = users
        self.current = current
        self.extra = list(extra)
        """Choices before the members: (id, label) each (everyone's, for a scope)."""
        self.start_on_current = start_on_current
        """The cursor starts on the current choice (else on the first)."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker-dialog"):
            yield Label(plain(self.heading), classes="dialog-title")
            choices = [*self.extra, *((u.id, u.name) for u in self.users)]
            options = [
                Option(plain(label + ("  (current)" if key == self.current else "")), id=key) for key, label in choices
            ]
            yield OptionList(*options, id="team-options")
            yield Static("Enter pick · Esc cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.focus()
        if options.option_count:
            keys = [*(key for key, _ in self.extra), *(u.id for u in self.users)]
            options.highlighted = keys.index(self.current) if self.start_on_current and self.current in keys else 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


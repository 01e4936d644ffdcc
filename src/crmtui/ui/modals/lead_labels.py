"""The labels of a lead: every label of the account, the lead's ticked; Space ticks, Enter saves, Esc cancels."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, SelectionList, Static

from crmtui.domain.leads import LeadLabel
from crmtui.ui.inert import plain
from crmtui.ui.widgets.boxes import TickList


class LabelsModal(ModalScreen[list[str] | None]):
    """Tick the lead's labels; the result is the ticked label ids (None: cancelled)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("enter", "save", "Save", priority=True),
        Binding("j", "move(1)", "Next label", show=False),
        Binding("k", "move(-1)", "Previous label", show=False),
    ]

    def __init__(self, title: str, labels: list[LeadLabel], chosen: list[str]) -> None:
        super().__init__()
        self.title_text = title
        self.labels = labels
        self.chosen = set(chosen)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog labels-dialog"):
            yield Label(plain(f"Labels of “{self.title_text}”"), classes="dialog-title")
            yield TickList(
                *((plain(label.name), label.id, label.id in self.chosen) for label in self.labels), id="lead-labels"
            )
            yield Static("Space ticks · Enter saves · Esc cancels", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def action_move(self, step: int) -> None:
        options = self.query_one(SelectionList)
        if step > 0:
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    def action_save(self) -> None:
        self.dismiss(sorted(self.query_one(SelectionList).selected))

    def action_cancel(self) -> None:
        self.dismiss(None)

"""Pick a lead of the inbox by its title, typed to narrow (where an upload from the Files screen goes)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from crmtui.domain.leads import Lead
from crmtui.ui.inert import plain
from crmtui.ui.widgets.inputs import TextInput

SHOWN = 200
"""Leads listed at most (typing narrows them)."""


class LeadPickerModal(ModalScreen[str | None]):
    """The inbox's leads by title; typing narrows them (`matches(lead, text)`), ↑ ↓ move, Enter picks
    the highlighted one (its id), Esc cancels (None)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "move(1)", "Next lead", show=False),
        Binding("up", "move(-1)", "Previous lead", show=False),
        Binding("enter", "pick", "Pick", show=False),
    ]

    def __init__(
        self,
        title: str,
        leads: Sequence[Lead],
        *,
        matches: Callable[[Lead, str], bool],
        describe: Callable[[Lead], str] | None = None,
        current: str | None = None,
    ) -> None:
        super().__init__()
        self.heading = title
        self.leads = list(leads)
        self.matches = matches
        self.describe = describe
        self.current = current
        self.shown: list[Lead] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker-dialog lead-picker-dialog"):
            yield Label(plain(self.heading), classes="dialog-title")
            yield TextInput(placeholder="Type to narrow: title, person, organization", id="lead-picker-text", compact=True)
            yield OptionList(id="lead-picker-options")
            yield Static("", id="lead-picker-note", markup=False)
            yield Static("type narrow · ↑ ↓ move · Enter pick · Esc cancel", classes="dialog-hint")

    @property
    def options(self) -> OptionList:
        return self.query_one("#lead-picker-options", OptionList)

    def on_mount(self) -> None:
        self._fill("")
        if self.current is not None:
            index = next((i for i, lead in enumerate(self.shown) if lead.id == self.current), None)
            if index is not None:
                self.options.highlighted = index
        self.query_one("#lead-picker-text", Input).focus()

    def _label(self, lead: Lead) -> Content:
        title = lead.title or "(no title)"
        more = self.describe(lead) if self.describe is not None else ""
        return plain(f"{title}  · {more}" if more else title)

    def _fill(self, text: str) -> None:
        found = [lead for lead in self.leads if self.matches(lead, text)]
        self.shown = found[:SHOWN]
        options = self.options
        options.clear_options()
        options.add_options([Option(self._label(lead), id=lead.id) for lead in self.shown])
        if self.shown:
            options.highlighted = 0
        if not self.leads:
            note = "No leads in the inbox (1 loads them)"
        elif not found:
            note = "No lead matches"
        elif len(found) > SHOWN:
            note = f"{SHOWN} of {len(found):,}: type to narrow"
        else:
            note = f"{len(found):,} lead{'s' if len(found) != 1 else ''}"
        self.query_one("#lead-picker-note", Static).update(note)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._fill(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_pick()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_move(self, step: int) -> None:
        if step > 0:
            self.options.action_cursor_down()
        else:
            self.options.action_cursor_up()

    def action_pick(self) -> None:
        index = self.options.highlighted
        if index is None or not self.shown or index >= len(self.shown):
            self.notify("No lead to pick", severity="warning", timeout=2)
            return
        self.dismiss(self.shown[index].id)

    def action_cancel(self) -> None:
        self.dismiss(None)

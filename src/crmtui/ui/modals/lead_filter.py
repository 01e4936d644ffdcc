"""The leads inbox's saved filter picker (F): "none" (the owner's leads again), then the account's
saved filters of leads as the server (or, offline, the cache) lists them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from crmtui.backends.errors import BackendError
from crmtui.domain.stream_filter import SavedFilter
from crmtui.ui.inert import plain

NONE = "none"
"""What the picker answers for "no filter" (None: cancelled)."""


class LeadFilterModal(ModalScreen[SavedFilter | str | None]):
    """Pick a saved filter of leads; answers a SavedFilter, NONE, or None on Esc."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("j", "move(1)", "Next choice", show=False),
        Binding("k", "move(-1)", "Previous choice", show=False),
    ]

    def __init__(self, *, current: SavedFilter | None, load: Callable[[], Awaitable[list[SavedFilter]]]) -> None:
        super().__init__()
        self.current = current
        self.load = load
        self.saved: list[SavedFilter] = []
        self.note = "loading…"

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker-dialog filter-dialog lead-filter-dialog"):
            yield Label("Show the leads of a saved filter", classes="dialog-title")
            yield OptionList(id="lead-filter-options")
            yield Static("Enter pick · j k ↑ ↓ move · Esc cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        self._fill()
        self.query_one(OptionList).focus()
        self.fetch()

    @work(exclusive=True, group="lead-filters", exit_on_error=False)
    async def fetch(self) -> None:
        try:
            self.saved = await self.load()
            self.note = "" if self.saved else "none in this account"
        except BackendError as exc:
            self.note = f"not available: {exc.user_message}"
        update_gauge = getattr(self.app, "update_gauge", None)
        if update_gauge is not None:
            update_gauge()  # the list's request counts now, not at the next tick
        self._fill()

    def _fill(self) -> None:
        options = self.query_one(OptionList)
        current = self.current.id if self.current is not None else None
        items = [Option("None: your leads" + ("" if current else "  ✓"), id=NONE)]
        items.append(Option("Saved filters" + (f" ({self.note})" if self.note else ""), disabled=True))
        for saved in self.saved:
            mark = "  ✓" if saved.id == current else ""
            items.append(Option(f"  {plain(saved.name or saved.id)}{mark}", id=f"filter:{saved.id}"))
        options.clear_options()
        options.add_options(items)
        wanted = f"filter:{current}" if current else None
        index = next((i for i, o in enumerate(items) if o.id == wanted), None) if wanted else None
        if index is None:  # no filter on (or it is gone): the first saved filter, else "none"
            index = next((i for i, o in enumerate(items) if o.id and o.id != NONE), 0)
        options.highlighted = index

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        key = event.option.id or ""
        if key == NONE:
            self.dismiss(NONE)
            return
        found = next((s for s in self.saved if f"filter:{s.id}" == key), None)
        if found is not None:
            self.dismiss(found)

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if step > 0:
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)

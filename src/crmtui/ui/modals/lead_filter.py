"""The leads inbox's saved filter picker (F): "none" (the owner's leads again), then the account's
saved filters of leads as the server (or, offline, the cache) lists them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual.widgets import OptionList
from textual.widgets.option_list import Option

from crmtui.domain.stream_filter import SavedFilter
from crmtui.ui.inert import plain
from crmtui.ui.modals.saved_filter_picker import SavedFilterPicker

NONE = "none"
"""What the picker answers for "no filter" (None: cancelled)."""


class LeadFilterModal(SavedFilterPicker[SavedFilter | str | None]):
    """Pick a saved filter of leads; answers a SavedFilter, NONE, or None on Esc."""

    HEADING = "Show the leads of a saved filter"
    OPTIONS_ID = "lead-filter-options"
    DIALOG_CLASSES = "dialog picker-dialog filter-dialog lead-filter-dialog"

    def __init__(self, *, current: SavedFilter | None, load: Callable[[], Awaitable[list[SavedFilter]]]) -> None:
        super().__init__(load)
        self.current = current

    def _fill(self) -> None:
        options = self.query_one(OptionList)
        current = self.current.id if self.current is not None else None
        items = [Option("None: your leads" + ("" if current else "  ✓"), id=NONE)]
        items.append(Option(self.saved_heading(), disabled=True))
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

"""The base of the filter pickers (F) of the stream and of the leads inbox: one list, shown at once
with the account's saved filters "loading…", filled when the server (or, offline, the cache) has
listed them, the choice on a filter keeps the app's keys (j/k, Enter, Esc)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ClassVar, TypeVar

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, OptionList, Static

from crmtui.backends.errors import BackendError
from crmtui.domain.stream_filter import SavedFilter
from crmtui.ui.modals.pickers import OptionsModal

R = TypeVar("R")


class SavedFilterPicker(OptionsModal[R]):
    """A filter picker: `_fill` lists the choices (again once the saved filters have come)."""

    HEADING: ClassVar[str] = ""
    OPTIONS_ID: ClassVar[str] = ""
    DIALOG_CLASSES: ClassVar[str] = "dialog picker-dialog filter-dialog"

    def __init__(self, load_saved: Callable[[], Awaitable[list[SavedFilter]]]) -> None:
        super().__init__()
        self.load_saved = load_saved
        self.saved: list[SavedFilter] = []
        self.saved_note = "loading…"
        """Said after "Saved filters": loading, none, or why they are not to be had."""

    def compose(self) -> ComposeResult:
        with Vertical(classes=self.DIALOG_CLASSES):
            yield Label(self.HEADING, classes="dialog-title")
            yield OptionList(id=self.OPTIONS_ID)
            yield Static("Enter pick · j k ↑ ↓ move · Esc cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        self._fill()
        self.query_one(OptionList).focus()
        self.fetch_saved()

    @work(exclusive=True, group="saved-filters", exit_on_error=False)
    async def fetch_saved(self) -> None:
        try:
            self.saved = await self.load_saved()
            self.saved_note = "" if self.saved else "none in this account"
        except BackendError as exc:
            self.saved_note = f"not available: {exc.user_message}"
        update_gauge = getattr(self.app, "update_gauge", None)
        if update_gauge is not None:
            update_gauge()  # the list's request counts now, not at the next tick
        self._fill()

    def saved_heading(self) -> str:
        return "Saved filters" + (f" ({self.saved_note})" if self.saved_note else "")

    def _fill(self) -> None:
        raise NotImplementedError

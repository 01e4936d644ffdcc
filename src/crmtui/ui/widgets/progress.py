"""A progress bar that moves only while it is shown.

Textual animates a progress bar without a total (a bar that moves: a whole list paging in, an upload
whose size is not known yet) with a timer that redraws it 15 times a second, and keeps that timer
while the bar is hidden: its redraw is skipped, but the app still wakes 15 times a second. The
screens keep their bars in place, hidden, between syncs, and Textual's bar starts without a total:
an idle crmtui spent ~6 ms of CPU a second on them, ~3 ms of every cursor step that rests half a
second (bench/tmux_wire.py's CPU per step). This bar's timer runs only while it is displayed and
has no total.
"""

from __future__ import annotations

from textual.widgets import ProgressBar
from textual.widgets._progress_bar import Bar  # the part that animates: Textual's own, not exported

MOTION = 1 / 15
"""Seconds between frames of the moving bar (Textual's own rate)."""


class StillProgressBar(ProgressBar):
    def update(self, **changes: object) -> None:  # the same keywords, passed on
        super().update(**changes)  # type: ignore[arg-type]
        self.call_after_refresh(self.still_unless_shown)  # once the bar has taken the new total

    def on_mount(self) -> None:
        self.call_after_refresh(self.still_unless_shown)

    def on_show(self) -> None:
        self.still_unless_shown()

    def on_hide(self) -> None:
        self.still_unless_shown()

    def still_unless_shown(self) -> None:
        """The bar's timer on while it is displayed without a total, off otherwise."""
        moving = self.total is None and self.display and self.is_attached
        for bar in self.query(Bar):
            wanted = MOTION if moving else None
            if bar.auto_refresh != wanted:
                bar.auto_refresh = wanted

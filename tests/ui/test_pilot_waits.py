"""The tests' own key-press wait (tests/support/pilot.py): a press ends when what it set off is done.

A CI run failed because a press ended while the footer's rebuild still waited for the screen's next
refresh (`call_after_refresh`): these tests hold that case on a bare app, no sandbox needed.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static


class Counter(Static, can_focus=True):
    """On `x`: repaints itself and counts only after the screen's next refresh, as Textual's Footer does."""

    BINDINGS = [("x", "count", "Count")]

    def __init__(self) -> None:
        super().__init__("0")
        self.count = 0

    def action_count(self) -> None:
        self.update("…")  # dirty: the screen's refresh waits for its update timer, a frame away
        self.call_after_refresh(self._counted)

    def _counted(self) -> None:
        self.count += 1
        self.update(str(self.count))


class CounterApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Counter()


async def test_a_press_ends_after_what_waits_for_the_next_refresh() -> None:
    app = CounterApp()
    async with app.run_test() as pilot:
        counter = app.query_one(Counter)
        counter.focus()
        for expected in range(1, 21):  # a race lost once in twenty is still caught most runs
            await pilot.press("x")
            assert counter.count == expected, f"press {expected} ended before its after-refresh callback ran"


async def test_a_pause_waits_for_the_next_refresh_too() -> None:
    app = CounterApp()
    async with app.run_test() as pilot:
        counter = app.query_one(Counter)
        counter.call_after_refresh(counter.action_count)
        await pilot.pause()
        assert counter.count == 1

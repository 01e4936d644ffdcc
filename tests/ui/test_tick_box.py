"""The form's checkbox says ticked or not without colour (a terminal without colour, or a person who
does not see it, would read Textual's X as ticked either way)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import RadioSet

from crmtui.ui.widgets.boxes import RadioChoice, TickBox, TickList


class _Form(App[None]):
    def compose(self) -> ComposeResult:
        yield TickBox("Required", False, id="box")


def _mark(app: _Form) -> str:
    return str(app.query_one(TickBox).render().plain)


async def test_the_mark_is_blank_unticked_and_an_x_ticked() -> None:
    app = _Form()
    async with app.run_test() as pilot:
        assert "▐ ▌" in _mark(app) and "X" not in _mark(app)
        app.query_one(TickBox).focus()
        await pilot.press("space")
        await pilot.pause()
        assert app.query_one(TickBox).value is True
        assert "▐X▌" in _mark(app)


class _Choices(App[None]):
    def compose(self) -> ComposeResult:
        with RadioSet(id="set"):
            yield RadioChoice("ASAP", True, id="asap")
            yield RadioChoice("Date", False, id="date")


def _choice(app: _Choices, which: str) -> str:
    return str(app.query_one(f"#{which}", RadioChoice).render().plain)


async def test_a_radio_choice_says_which_is_chosen_without_colour() -> None:
    app = _Choices()
    async with app.run_test() as pilot:
        assert "▐●▌" in _choice(app, "asap") and "▐○▌" in _choice(app, "date")
        app.query_one(RadioSet).focus()
        await pilot.press("right", "enter")
        await pilot.pause()
        assert app.query_one("#date", RadioChoice).value is True
        assert "▐○▌" in _choice(app, "asap") and "▐●▌" in _choice(app, "date")


class _Ticks(App[None]):
    def compose(self) -> ComposeResult:
        yield TickList(("Hot", "hot", True), ("Cold", "cold", False), id="ticks")


def _tick_lines(app: _Ticks) -> list[str]:
    ticks = app.query_one(TickList)
    return [ticks.render_line(y).text for y in range(2)]


async def test_a_tick_list_says_which_are_ticked_without_colour() -> None:
    app = _Ticks()
    async with app.run_test() as pilot:
        first, second = _tick_lines(app)
        assert "▐X▌ Hot" in first and "▐ ▌ Cold" in second
        app.query_one(TickList).focus()
        await pilot.press("down", "space")
        await pilot.pause()
        assert app.query_one(TickList).selected == ["hot", "cold"]
        assert "▐X▌ Cold" in _tick_lines(app)[1]

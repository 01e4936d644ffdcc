"""The form's checkbox says ticked or not without colour (a terminal without colour, or a person who
does not see it, would read Textual's X as ticked either way)."""

from __future__ import annotations

from textual.app import App, ComposeResult

from crmtui.ui.widgets.inputs import TickBox


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

"""The list keeps its roles' styles between cursor steps (Textual drops its own copy at every refresh)
and works them out again when they change: focus lost, another theme."""

from __future__ import annotations

from textual.strip import Strip

from crmtui.ui.app import CrmApp
from crmtui.ui.widgets.stream_list import StreamList
from tests.ui.conftest import WIDE, loaded, settled


def drawn_afresh(lst: StreamList) -> list[Strip]:
    """The lines on screen drawn from the list's styles as they are now (nothing kept)."""
    lst._styles_now.clear()
    lst._cache.clear()
    return [lst._line(y, keep=False) for y in range(lst.scrollable_content_region.height)]


def drawn_now(lst: StreamList) -> list[Strip]:
    lst._cache.clear()  # the rows' lines, not the styles they are drawn from
    return [lst._line(y, keep=False) for y in range(lst.scrollable_content_region.height)]


async def test_the_rows_take_the_new_styles_when_focus_or_theme_change(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await settled(pilot)
        lst = app.screen.query_one(StreamList)
        await pilot.press("down")
        await settled(pilot)
        focused = drawn_now(lst)
        assert lst._styles_now  # kept from the step's drawing
        assert focused == drawn_afresh(lst)

        app.screen.set_focus(None)  # the cursor row's colour without focus
        await settled(pilot)
        blurred = drawn_now(lst)
        assert blurred != focused and blurred == drawn_afresh(lst)

        app.theme = "textual-light" if app.theme != "textual-light" else "textual-dark"
        await settled(pilot)
        themed = drawn_now(lst)
        assert themed != blurred and themed == drawn_afresh(lst)

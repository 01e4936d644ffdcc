"""Keys typed in one burst with "/" (a fast typist; an SSH link that delivers a burst at once) land in
the box "/" opens, on every screen that has one; and "/" typed in a box is text.

The burst is posted to the app in one go, as the terminal's reader does with what arrives together:
Textual routes each key to the widget focused when the app takes it, so "/" must move the focus
before the next key is taken (a priority binding), not once it has come back up from the list.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input

from crmtui.ui.app import CrmApp
from crmtui.ui.screens.team import TeamStreamScreen

from .conftest import WIDE, loaded, settled, wait_for
from .test_records_screen import crust_app


def burst(app: CrmApp, text: str) -> None:
    for char in text:
        app.post_message(events.Key("slash" if char == "/" else char, char))


async def typed_ahead(pilot, box_id: str, words: str, then: str = "") -> None:
    """Type "/" and `words` in one burst: they land in the box; then `then`, typed in the box, is text."""
    app = pilot.app
    await loaded(pilot)
    await settled(pilot)
    burst(app, "/" + words)
    box = app.screen.query_one(f"#{box_id}", Input)
    await wait_for(pilot, lambda: box.value == words or len(box.value) >= len(words), what=f"{words!r} in the box")
    assert box.value == words and app.screen.focused is box
    if then:
        burst(app, then)
        await wait_for(pilot, lambda: box.value == words + then, what=f"{then!r} typed in the box")


async def test_the_stream_s_filter_takes_the_keys_typed_with_the_slash(make_app) -> None:
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await typed_ahead(pilot, "filter", "noah", then="/x")


async def test_the_team_stream_s_filter_takes_the_keys_typed_with_the_slash(make_app) -> None:
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, TeamStreamScreen) and app.screen.stream.loaded, what="the team stream")
        await typed_ahead(pilot, "team-filter", "ann")


async def test_the_leads_inbox_s_find_box_takes_the_keys_typed_with_the_slash(make_pipedrive_app) -> None:
    app = make_pipedrive_app()
    async with app.run_test(size=WIDE) as pilot:
        await typed_ahead(pilot, "leads-narrow", "fleet", then="/")


async def test_a_module_s_find_box_takes_the_keys_typed_with_the_slash(crust_sandbox) -> None:
    app = crust_app(crust_sandbox)
    async with app.run_test(size=WIDE) as pilot:
        await typed_ahead(pilot, "records-narrow", "Fern")

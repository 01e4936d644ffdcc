"""Esc and the key typed after it, arriving in one read (crmtui.ui.escape_keys, crmtui.ui.key_order).

The keys are what crmtui's parser reads from the bytes a terminal sends (ESC and the key together),
posted to the app in one go as the terminal's reader does. Where the focus leaves keys to the bindings
they are Esc and then the key; in a text box they stay what Textual reads (Alt and the key), so a
form is never cancelled and its "Discard?" answered by what may have been Alt+y.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Input

from crmtui.ui.app import CrmApp
from crmtui.ui.escape_keys import EscapeFirstParser

from .conftest import WIDE, loaded, settled, wait_for
from .test_type_ahead import burst


def read_together(app: CrmApp, data: str) -> None:
    """Post the keys crmtui's parser reads from `data`, arriving in one read, to the app in one go."""
    parser = EscapeFirstParser()
    for event in [*parser.feed(data), *parser.feed("")]:
        app.post_message(event)


async def on_a_contact(pilot) -> Screen[None]:
    """Once the stream has loaded, Enter on its first row: the contact shown. Returns the stream's screen."""
    from crmtui.ui.screens.contact import ContactDetailScreen

    await loaded(pilot)
    await settled(pilot)
    stream: Screen[None] = pilot.app.screen
    burst(pilot.app, ["enter"])
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ContactDetailScreen), what="the contact")
    await settled(pilot)
    return stream


async def test_esc_and_a_digit_together_leave_a_contact_for_that_screen(make_app) -> None:
    from crmtui.ui.screens.pipeline import PipelineScreen

    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await on_a_contact(pilot)
        read_together(app, "\x1b3")  # Textual alone: "£", which nothing takes
        await wait_for(pilot, lambda: isinstance(app.screen, PipelineScreen), what="the pipeline")


async def test_esc_and_a_letter_together_close_the_contact_and_move_the_stream_s_cursor(make_app) -> None:
    from crmtui.ui.screens.stream import ActionStreamScreen

    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        stream = await on_a_contact(pilot)
        assert isinstance(stream, ActionStreamScreen)
        rows = stream.stream_list
        start = rows.cursor
        read_together(app, "\x1bj")  # Textual alone: alt+j, which nothing takes
        await wait_for(pilot, lambda: app.screen is stream and rows.cursor != start, what="the next row")
        await settled(pilot)
        assert app.screen is stream and rows.cursor > start


async def test_in_a_text_box_esc_and_a_key_together_stay_the_key_textual_reads(make_app) -> None:
    """Alt+y in the action's text (the bytes of Esc then y): the form stays open with its words, and
    the y typed (read as Esc and y, the Esc would ask "Discard what you typed?" and the y discard)."""
    from crmtui.ui.modals.next_action import NextActionModal

    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await settled(pilot)
        burst(app, "nCall Bob")
        await wait_for(pilot, lambda: isinstance(app.screen, NextActionModal), what="the action dialog")
        box = app.screen.query_one("#action-text", Input)
        await wait_for(pilot, lambda: box.value == "Call Bob", what="the words")
        read_together(app, "\x1by")
        await wait_for(pilot, lambda: box.value == "Call Boby", what="the y")
        await settled(pilot)
        assert isinstance(app.screen, NextActionModal) and app.focused is box

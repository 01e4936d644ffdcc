"""C: a new contact with its first next action, from the stream (and the contact screens), on the sandbox.

The row shows at once under a local id, the cursor on it, and follows it to the server's id; the form
says what is missing and keeps what was typed; Esc asks before it throws typed text away; the
company completes from the account's companies; custom fields are checked by their type.
"""

from __future__ import annotations

from textual.widgets import Input, Select, Static

from crmtui.service.commands import is_local_id
from crmtui.ui.app import CrmApp
from crmtui.ui.modals.new_contact import NewContactModal
from crmtui.ui.modals.pickers import ConfirmModal

from .conftest import NARROW, WIDE, loaded, settled, wait_for
from .contact_support import details_text, open_contact
from .stream_support import selected_id, stream_screen


async def open_form(pilot) -> NewContactModal:
    await pilot.press("C")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, NewContactModal), what="the new-contact form")
    modal = pilot.app.screen
    assert isinstance(modal, NewContactModal)
    return modal


async def fill(pilot, modal: NewContactModal, **values: str) -> None:
    """Type into the form's fields by id suffix (first, last, company, emails, phones, action, due …)."""
    for name, text in values.items():
        field = modal.query_one(f"#new-{name}", Input)
        field.focus()
        await pilot.pause()
        if text:
            await pilot.press(*text)


def error_text(modal: NewContactModal) -> str:
    error = modal.query_one(".form-error", Static)
    return str(error.render()) if error.display else ""


async def test_C_adds_a_contact_that_shows_at_once_and_then_under_the_servers_id(make_app, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        before = len(app.session.entries)
        modal = await open_form(pilot)
        assert app.focused is modal.query_one("#new-first")
        held = sandbox.gate.hold("POST", "/api/v3/contacts")
        await fill(pilot, modal, first="Zoe", last="Quinlan", company="Quinlan Freight", emails="zoe@quinlan.example",
                   phones="mobile: +353 87 555 0101", action="Send the rate card")
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, NewContactModal), what="the form to close")
        await wait_for(pilot, lambda: len(app.session.entries) == before + 1, what="the new row")
        local = selected_id(app)
        assert local is not None and is_local_id(local)  # shown before the server answered, the cursor on it
        row = app.session.entry(local)
        assert row.contact.name == "Zoe Quinlan" and row.next_action.text == "Send the rate card"
        await held.parked()
        held.release()
        await settled(pilot)
        real = app.session.renamed[local]
        await wait_for(pilot, lambda: selected_id(app) == real, what="the cursor to follow the row to its server id")
        stored = sandbox.state.tables["contacts"][real]
        assert stored["phones"] == [{"type": "mobile", "value": "+353 87 555 0101"}]
        assert stored["emails"] == [{"type": "work", "value": "zoe@quinlan.example"}]
        assert stored["owner_id"] == sandbox.user_id


async def test_the_form_says_what_is_missing_and_keeps_what_was_typed(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        before = len(app.session.entries)
        modal = await open_form(pilot)
        await fill(pilot, modal, first="Ana")
        await pilot.press("enter")
        assert "last name or a company" in error_text(modal) and app.focused is modal.query_one("#new-last")
        assert any("last name or a company" in n.message for n in app._notifications)  # also where 80x24 shows it
        await fill(pilot, modal, last="Lopez")
        await pilot.press("enter")
        assert "first next action" in error_text(modal) and app.focused is modal.query_one("#new-action")
        await fill(pilot, modal, action="Call", emails="ana-at-example")
        await pilot.press("enter")
        assert "is not an email address" in error_text(modal) and app.focused is modal.query_one("#new-emails")
        await fill(pilot, modal, due="someday")
        modal.query_one("#new-emails", Input).value = "ana@example.com"
        await pilot.press("ctrl+s")
        assert "Dates look like" in error_text(modal) and app.focused is modal.query_one("#new-due")
        assert modal.query_one("#new-first", Input).value == "Ana" and app.screen is modal
        assert len(app.session.entries) == before and app.session.outbox.pending == 0


async def test_esc_asks_before_it_throws_typed_text_away(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        modal = await open_form(pilot)
        await pilot.press("escape")  # nothing typed: closes at once
        assert app.screen is stream_screen(app)
        modal = await open_form(pilot)
        await fill(pilot, modal, first="Ana")
        await pilot.press("escape")
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")  # keep typing
        assert app.screen is modal and modal.query_one("#new-first", Input).value == "Ana"
        await pilot.press("escape", "y")
        assert app.screen is stream_screen(app) and app.session.outbox.pending == 0


async def test_the_company_completes_from_the_accounts_companies(make_app, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        names = sorted(c["name"] for c in sandbox.state.tables["companies"].values())
        stream_names = {e.contact.company_name for e in app.session.entries}
        outside = next((n for n in names if n not in stream_names and len(n) > 3), None)
        modal = await open_form(pilot)
        await wait_for(pilot, lambda: outside is None or outside in modal.companies, what="the server's companies")
        target = outside or names[0]
        await fill(pilot, modal, company=target[:4])
        box = modal.query_one("#new-company", Input)
        await wait_for(pilot, lambda: box._suggestion != "", what="a suggestion")
        await pilot.press("right")
        assert box.value.casefold().startswith(target[:4].casefold()) and box.value in names


async def test_custom_fields_are_checked_by_their_type(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        fields = app.session.account.custom_fields
        modal = await open_form(pilot)
        assert len(fields) == len(modal.custom) and fields, "the sandbox account has custom fields"
        await fill(pilot, modal, last="Lopez", action="Call")
        checked = [(i, f) for i, f in enumerate(fields) if f.type.lower() == "number" or f.choices]
        assert checked, "the sandbox has a number or a choice field"
        index, field = checked[0]
        await fill(pilot, modal, **{f"custom-{index}": "not-a-choice-42x"})
        await pilot.press("enter")
        assert field.name in error_text(modal) and app.focused is modal.query_one(f"#new-custom-{index}")


async def test_owner_and_status_start_as_the_person_and_the_first_status(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        modal = await open_form(pilot)
        account = app.session.account
        assert modal.query_one("#new-owner", Select).value == account.user.id
        assert modal.query_one("#new-assignee", Select).value == account.user.id
        assert modal.query_one("#new-status", Select).value == account.statuses[0].id


async def test_E_on_a_contact_edits_its_fields_and_esc_asks_only_after_a_change(make_app, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        entry = next(e for e in app.session.entries if e.contact.phones and e.contact.emails and e.contact.tags)
        screen = await open_contact(pilot, entry.contact.id)
        await pilot.press("E")
        await wait_for(pilot, lambda: isinstance(app.screen, NewContactModal), what="the contact form")
        modal = app.screen
        assert modal.query_one("#new-first", Input).value == entry.contact.first_name
        assert entry.contact.emails[0].value in modal.query_one("#new-emails", Input).value
        assert modal.query_one("#new-tags", Input).value == ", ".join(entry.contact.tags)
        assert not modal.query("#new-action")  # an existing contact: no first next action to ask for
        await pilot.press("escape")  # nothing changed: closes without asking
        assert app.screen is screen

        await pilot.press("E")
        await wait_for(pilot, lambda: isinstance(app.screen, NewContactModal), what="the contact form")
        modal = app.screen
        phones = modal.query_one("#new-phones", Input)
        phones.value = ""
        await fill(pilot, modal, phones="mobile: +353 1 555 0199")
        await pilot.press("escape")
        assert isinstance(app.screen, ConfirmModal)  # something changed: asks first
        await pilot.press("n", "enter")
        await wait_for(pilot, lambda: app.screen is screen, what="the form to close")
        assert "+353 1 555 0199" in details_text(app)  # at once
        await settled(pilot)
        assert sandbox.state.tables["contacts"][entry.contact.id]["phones"] == [{"type": "mobile", "value": "+353 1 555 0199"}]
        assert sandbox.state.tables["contacts"][entry.contact.id]["tags"] == entry.contact.tags


async def test_delete_on_a_contact_asks_then_it_goes_and_u_on_the_stream_brings_it_back(make_app, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        entry = next(e for e in app.session.entries if e.next_action is not None)
        cid = entry.contact.id
        screen = await open_contact(pilot, cid)
        await pilot.press("delete")
        assert isinstance(app.screen, ConfirmModal)
        message = str(app.screen.query_one(".dialog-message", Static).render())
        assert entry.contact.name in message and "open action" in message and "u (on the stream)" in message
        await pilot.press("n")  # not deleted
        assert app.screen is screen and app.session.outbox.pending == 0
        await pilot.press("delete", "y")
        await wait_for(pilot, lambda: app.screen is stream_screen(app), what="back on the stream")
        assert app.session.entry(cid) is None
        await settled(pilot)
        assert cid not in sandbox.state.tables["contacts"]
        await pilot.press("u")
        await wait_for(pilot, lambda: app.session.entry(cid) is not None, what="the contact back")
        await settled(pilot)
        assert cid in sandbox.state.tables["contacts"]

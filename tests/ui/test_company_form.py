"""K on a contact's page: edit its company; and every form asks before Esc throws typed text away.

On the real sandbox: the form opens with the company's fields (its custom fields typed as the
account defines them), a new name shows at once on the page and on every row of the company in the
stream, reaches the server once, and u undoes it; a contact without a company says how to give it one.
"""

from __future__ import annotations

from collections import Counter

from textual.widgets import Input, OptionList, RadioButton, Select, TextArea

from crmtui.ui.app import CrmApp
from crmtui.ui.modals.company_form import CompanyModal
from crmtui.ui.modals.contact_deal_form import DealModal
from crmtui.ui.modals.contact_forms import CallModal, NoteModal, TagModal
from crmtui.ui.modals.form import DISCARD_TITLE, FormModal
from crmtui.ui.modals.next_action import NextActionModal
from crmtui.ui.modals.pickers import ConfirmModal

from .conftest import NARROW, WIDE, loaded, settled, wait_for
from .contact_support import detail, open_contact, summary_text
from .stream_support import stream_screen


def shared_company(app: CrmApp) -> tuple[str, list[str]]:
    """A company with two or more contacts in the stream, and those contacts."""
    counts = Counter(e.contact.company_id for e in app.session.entries if e.contact.company_id)
    company_id = next(cid for cid, n in counts.most_common() if n >= 2)
    return company_id, [e.contact.id for e in app.session.entries if e.contact.company_id == company_id]


async def open_company_form(pilot) -> CompanyModal:
    await pilot.press("K")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, CompanyModal), what="the company form")
    modal = pilot.app.screen
    assert isinstance(modal, CompanyModal)
    return modal


async def retype(pilot, modal: FormModal, field: str, text: str) -> None:
    box = modal.query_one(f"#{field}", Input)
    box.focus()
    box.value = ""
    await pilot.press(*text)


async def test_K_edits_the_company_shown_at_once_on_all_its_contacts_and_u_undoes_it(make_app, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        company_id, contacts = shared_company(app)
        stored = sandbox.state.tables["companies"][company_id]
        await open_contact(pilot, contacts[0])
        modal = await open_company_form(pilot)
        assert modal.query_one("#company-name", Input).value == stored["name"]
        assert modal.query_one("#company-phone", Input).value == stored["phone"]
        assert modal.query_one("#company-city", Input).value == stored["address"]["city"]
        assert modal.query_one("#company-description", TextArea).text == stored["description"]
        size = next(v["value"] for v in stored["company_fields"] if v["company_field"]["name"] == "Company size")
        assert modal.query_one("#company-custom-0", Input).value == size
        assert app.focused is modal.query_one("#company-name")

        await retype(pilot, modal, "company-custom-2", "lots")  # Employees is a number
        await pilot.press("ctrl+s")
        assert app.screen is modal and modal.query_one("#company-custom-2", Input).has_focus  # says so, keeps the form
        await retype(pilot, modal, "company-custom-2", "120")
        held = sandbox.gate.hold("PUT", f"/api/v3/companies/{company_id}")
        await retype(pilot, modal, "company-name", "Harbour Freight Group")
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, CompanyModal), what="the form to close")
        await wait_for(pilot, lambda: "Harbour Freight Group" in summary_text(app), what="the new name on the page")
        assert {app.session.entry(c).contact.company_name for c in contacts} == {"Harbour Freight Group"}  # every row, at once
        assert stored["name"] != "Harbour Freight Group"  # the server has not had it yet
        await held.parked()
        held.release()
        await settled(pilot)
        stored = sandbox.state.tables["companies"][company_id]
        assert stored["name"] == "Harbour Freight Group"
        assert next(v["value"] for v in stored["company_fields"] if v["company_field"]["name"] == "Employees") == "120"
        assert {sandbox.state.tables["contacts"][c]["company_name"] for c in contacts} == {"Harbour Freight Group"}

        await pilot.press("u")
        await settled(pilot)
        assert sandbox.state.tables["companies"][company_id]["name"] != "Harbour Freight Group"
        assert "Harbour Freight Group" not in summary_text(app)


async def test_K_on_a_contact_without_a_company_says_how_to_give_it_one(make_app, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        cid = app.session.entries[0].contact.id
        with sandbox.state.write() as state:
            state.save("contacts", {**state.tables["contacts"][cid], "company_id": None, "company_name": ""})
        screen = await open_contact(pilot, cid)
        await pilot.press("K")
        await settled(pilot)
        assert app.screen is screen
        assert any("has no company: E (edit the contact) sets one" in n.message for n in app._notifications)


# -- Esc on any form: closes at once when nothing was typed, else asks -----------------------------------------


async def esc_asks(pilot, modal: FormModal, change) -> None:
    """Esc closes an untouched form at once; once `change(modal)` has run, it asks, n keeps the form as it
    is, y (Discard) closes it. `modal` must be open on entry; reopened by the caller's key afterwards."""
    app = pilot.app
    under = app.screen_stack[-2]
    await change(modal)
    await pilot.pause()
    before = modal.field_state()
    await pilot.press("escape")
    assert isinstance(app.screen, ConfirmModal) and app.screen.heading == DISCARD_TITLE
    await pilot.press("n")  # keep editing
    assert app.screen is modal and modal.field_state() == before
    await pilot.press("escape", "y")
    assert app.screen is under


async def test_every_form_asks_before_esc_throws_typed_text_away(make_app, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        entry = next(e for e in app.session.entries if e.contact.company_id and e.next_action is not None)
        screen = await open_contact(pilot, entry.contact.id)
        outbox_before = app.session.outbox.pending

        async def typed_note(modal: FormModal) -> None:
            await pilot.press(*"Half a thought")

        async def picked_result(modal: FormModal) -> None:  # an OptionList moved, nothing typed
            modal.query_one("#call-result", OptionList).focus()
            await pilot.press("down")

        async def chosen_stage(modal: FormModal) -> None:  # a Select changed
            stage = modal.query_one("#deal-stage", Select)
            options = [value for _label, value in stage._options if value != stage.value and value is not Select.NULL]
            stage.value = options[0]

        async def edited_description(modal: FormModal) -> None:  # a TextArea
            area = modal.query_one("#company-description", TextArea)
            area.focus()
            await pilot.press("end", *" More.")

        for key, form, change in (
            ("N", NoteModal, typed_note), ("c", CallModal, picked_result), ("D", DealModal, chosen_stage),
            ("K", CompanyModal, edited_description), ("plus", TagModal, typed_note), ("e", NextActionModal, typed_note),
        ):
            await pilot.press(key)
            await wait_for(pilot, lambda form=form: isinstance(app.screen, form), what=f"the {form.__name__}")
            await pilot.press("escape")  # nothing typed: closes at once
            assert app.screen is screen, f"{form.__name__} asked with nothing typed"
            await pilot.press(key)
            await wait_for(pilot, lambda form=form: isinstance(app.screen, form), what=f"the {form.__name__}")
            await esc_asks(pilot, app.screen, change)
            assert app.screen is screen
        assert app.session.outbox.pending == outbox_before  # nothing was saved
        assert detail(app) is screen


async def test_the_next_action_form_asks_too_when_only_its_status_changed(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, NextActionModal), what="the next-action form")
        modal = app.screen

        async def other_status(modal: FormModal) -> None:  # a RadioSet: another status picked, nothing typed
            buttons = list(modal.query(RadioButton).results(RadioButton))
            next(b for b in reversed(buttons) if not b.value).value = True

        await esc_asks(pilot, modal, other_status)
        assert app.screen is stream_screen(app) and app.session.outbox.pending == 0

"""The lead form on the leads inbox (Pipedrive sandbox over loopback): `n` makes a lead, shown at once,
`e` edits the lead under the cursor and sends only what changed; Esc asks before throwing typed text
away; what Pipedrive would refuse is said in the form before anything is sent."""

from __future__ import annotations

import json

from textual.widgets import Input, Select, Static

from crmtui.service.commands import is_local_id
from crmtui.ui.app import CrmApp
from crmtui.ui.modals.form import DISCARD_TITLE
from crmtui.ui.modals.lead_form import NEEDS_WHO, LabelTicks, LeadFormModal
from crmtui.ui.modals.pickers import ConfirmModal

from .conftest import NARROW, WIDE, loaded, settled, wait_for
from .pipedrive_support import inbox_lead, lead_list, selected


def form(app: CrmApp) -> LeadFormModal:
    screen = app.screen
    assert isinstance(screen, LeadFormModal), screen
    return screen


def error_text(app: CrmApp) -> str:
    error = form(app).query_one(".form-error", Static)
    return str(error.render()) if error.display else ""


async def open_form(pilot, key: str) -> LeadFormModal:
    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, LeadFormModal), what="the lead form")
    return form(pilot.app)


async def type_into(pilot, widget_id: str, text: str) -> None:
    field = form(pilot.app).query_one(f"#{widget_id}", Input)
    field.focus()
    await pilot.pause()
    field.value = ""
    await pilot.press(*text)


def leads_titled(sandbox, title: str) -> list[dict]:
    return [doc for doc in sandbox.state.tables["leads"].values() if doc["title"] == title]


async def test_n_makes_a_lead_that_shows_at_once_then_under_the_servers_id(make_pipedrive_app, pipedrive) -> None:
    app: CrmApp = make_pipedrive_app()
    person = next(iter(pipedrive.state.tables["persons"]))
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        await settled(pilot)
        before = len(lead_list(app).items)
        modal = await open_form(pilot, "n")
        assert modal.query_one("#lead-title", Input).has_focus
        assert modal.query_one("#lead-currency", Select).value == "EUR"  # the account's default currency
        await pilot.press(*"Harbour cranes")
        await pilot.press("tab", *"12k")  # Tab goes on to the value
        await type_into(pilot, "lead-close", "30/04/2026")
        await type_into(pilot, "lead-person-id", person)
        modal.query_one(LabelTicks).focus()
        await pilot.press("space")  # the first label ticked
        label = app.session.leads.labels()[0].id
        with pipedrive.gate.hold("POST", "/api/v1/leads") as held:
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: not isinstance(app.screen, LeadFormModal), what="the form to close")
            await held.parked()
            shown = [lead for lead in lead_list(app).items if lead.title == "Harbour cranes"]
            assert len(shown) == 1 and is_local_id(shown[0].id) and len(lead_list(app).items) == before + 1
            assert selected(app) is not None and selected(app).id == shown[0].id  # the cursor on the new lead
        await settled(pilot)
        [made] = leads_titled(pipedrive, "Harbour cranes")
        assert made["value"] == {"amount": 12000, "currency": "EUR"} and made["expected_close_date"] == "2026-04-30"
        assert str(made["person_id"]) == person and made["label_ids"] == [label] and str(made["owner_id"]) == app.session.user_id
        assert [lead.id for lead in lead_list(app).items if lead.title == "Harbour cranes"] == [made["id"]]
        assert selected(app) is not None and selected(app).id == made["id"]  # the cursor stayed on it
        assert len(lead_list(app).items) == before + 1


async def test_a_person_the_inbox_named_is_a_choice(make_pipedrive_app, pipedrive) -> None:
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await settled(pilot)
        inbox = app.session.leads
        await wait_for(pilot, lambda: bool(inbox.known("person")), what="names looked up")
        name, person = inbox.known("person")[0]
        modal = await open_form(pilot, "n")
        await pilot.press(*"Named person lead")
        modal.query_one("#lead-person", Select).focus()
        await pilot.press("enter", "down", "enter")  # the dropdown: the first name
        await wait_for(pilot, lambda: modal.query_one("#lead-person", Select).value == person, what="the person chosen")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, LeadFormModal), what="the form to close")
        await settled(pilot)
        [made] = leads_titled(pipedrive, "Named person lead")
        assert str(made["person_id"]) == person and made["organization_id"] is None
        assert name


async def test_a_lead_without_a_person_or_organization_or_with_a_bad_date_is_not_sent(make_pipedrive_app, pipedrive) -> None:
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        await settled(pilot)
        count = len(pipedrive.state.tables["leads"])
        await open_form(pilot, "n")
        await pilot.press(*"Nobody's lead", "enter")
        assert error_text(app) == NEEDS_WHO and form(app).query_one("#lead-person", Select).has_focus
        await type_into(pilot, "lead-org-id", next(iter(pipedrive.state.tables["organizations"])))
        await type_into(pilot, "lead-close", "31/02/2026")
        await pilot.press("enter")
        assert error_text(app).startswith("Expected close: Dates look like") and form(app).query_one("#lead-close", Input).has_focus
        await type_into(pilot, "lead-amount", "lots")
        await pilot.press("enter")
        assert "amount" in error_text(app)
        await settled(pilot)
        assert isinstance(app.screen, LeadFormModal) and len(pipedrive.state.tables["leads"]) == count


async def test_e_edits_the_lead_and_sends_only_what_changed(make_pipedrive_app, pipedrive) -> None:
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=NARROW) as pilot:
        lead = await inbox_lead(pilot)
        stored = dict(pipedrive.state.tables["leads"][lead.id])
        modal = await open_form(pilot, "e")
        assert modal.query_one("#lead-title", Input).value == lead.title
        await type_into(pilot, "lead-amount", "4321.50")
        with pipedrive.gate.hold("PATCH", f"/api/v1/leads/{lead.id}") as held:
            await pilot.press("enter")
            await wait_for(pilot, lambda: not isinstance(app.screen, LeadFormModal), what="the form to close")
            [request] = await held.parked()
            currency = lead.value.currency if lead.value else "EUR"
            assert json.loads(request.body) == {"value": {"amount": 4321.5, "currency": currency}}
            assert app.session.leads.find(lead.id).value.amount == 4321.5  # shown before the server has it
        await settled(pilot)
        now = pipedrive.state.tables["leads"][lead.id]
        assert now["value"]["amount"] == 4321.5
        assert {k: v for k, v in now.items() if k not in ("value", "update_time")} == {
            k: v for k, v in stored.items() if k not in ("value", "update_time")
        }

        await open_form(pilot, "e")
        await pilot.press("enter")  # nothing changed: nothing is sent
        await wait_for(pilot, lambda: not isinstance(app.screen, LeadFormModal), what="the form to close")
        await settled(pilot)
        assert pipedrive.state.tables["leads"][lead.id]["update_time"] == now["update_time"]


async def test_esc_asks_before_throwing_typed_text_away(make_pipedrive_app, pipedrive) -> None:
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        await settled(pilot)
        await open_form(pilot, "n")
        await pilot.press("escape")  # nothing typed: closes at once
        await wait_for(pilot, lambda: not isinstance(app.screen, LeadFormModal), what="the form to close")

        modal = await open_form(pilot, "n")
        modal.query_one(LabelTicks).focus()
        await pilot.press("space")  # a label ticked is something typed too
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="the question")
        assert app.screen.heading == DISCARD_TITLE
        await pilot.press("n")  # keep editing
        await wait_for(pilot, lambda: isinstance(app.screen, LeadFormModal), what="back in the form")

        await pilot.press("space")  # the label unticked: the form is as it opened again
        await type_into(pilot, "lead-title", "Half typed")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="the question")
        await pilot.press("y")
        await wait_for(pilot, lambda: not isinstance(app.screen, (LeadFormModal, ConfirmModal)), what="the form to close")
        await settled(pilot)
        assert not leads_titled(pipedrive, "Half typed") and not app.session.outbox.unsettled()

"""Editing a contact's company (K on the contact's page) through the outbox, against the sandbox:
shown at once on every contact of the company, sent once (offline first), conflict-checked field by
field against a colleague's change, undone with u. Requests go through the spec recorder."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from crmtui.domain.models import Address, CustomValue
from crmtui.service import CommandRefused, Session
from crmtui.service.company import edit_company, read_company
from crmtui.service.contact import ContactSession
from crmtui.store import State
from tests.integration.test_outbox import open_session
from tests.support.waits import HANG_GUARD


def shared_company(session: Session) -> tuple[str, list[str]]:
    """A company with two or more contacts in the stream, and those contacts."""
    by_company = Counter(e.contact.company_id for e in session.entries if e.contact.company_id)
    company_id = next(cid for cid, n in by_company.most_common() if n >= 2)
    return company_id, [e.contact.id for e in session.entries if e.contact.company_id == company_id]


def puts(spec_recorder, mark: int, company_id: str) -> int:
    return sum(1 for x in spec_recorder.since(mark) if x.method == "PUT" and f"/companies/{company_id}" in x.url)


async def test_a_company_edited_offline_shows_on_its_contacts_at_once_and_is_sent_once(sandbox, spec_recorder, checked, tmp_path) -> None:
    session = await open_session(sandbox, spec_recorder, tmp_path / "outbox.sqlite3")
    company_id, contacts = shared_company(session)
    first, second = contacts[:2]
    page = ContactSession(session, first)
    await page.load()
    company, whole = await read_company(page)
    assert whole and company.id == company_id and company.description and company.custom_fields
    stored_before = dict(sandbox.state.tables["companies"][company_id])
    mark = spec_recorder.mark()

    session.outbox.pause("offline for the test")
    size = next(f for f in session.account.company_fields if f.name == "Company size")
    edited = company.model_copy(update={
        "name": "Renamed Holdings", "phone": "+353 1 555 0142",
        "address": Address(address="2 Quay Street", city="Galway", country_code="IE"),
        "custom_fields": [*(v for v in company.custom_fields if v.field_id != size.id), CustomValue(field_id=size.id, name=size.name, value="Large")],
    })
    shown = await edit_company(page, edited, company)
    assert shown is not None and shown.contact.company_name == "Renamed Holdings"  # at once, this page
    assert shown.company is not None and shown.company.phone == "+353 1 555 0142"
    assert session.entry(first).contact.company_name == "Renamed Holdings"  # the stream's row
    assert session.entry(second).contact.company_name == "Renamed Holdings"  # and the company's other contact
    other_page = ContactSession(session, second)  # a page opened meanwhile shows it too
    assert other_page.current.contact.company_name == "Renamed Holdings"
    assert sandbox.state.tables["companies"][company_id]["name"] == stored_before["name"]  # nothing sent yet

    session.outbox.resume()
    assert await session.settled(HANG_GUARD)
    stored = sandbox.state.tables["companies"][company_id]
    assert stored["name"] == "Renamed Holdings" and stored["phone"] == "+353 1 555 0142"
    assert stored["address"] == {"address": "2 Quay Street", "city": "Galway", "country_code": "IE"}
    assert stored["description"] == stored_before["description"] and stored["url"] == stored_before["url"]  # kept
    values = {v["company_field"]["id"]: v["value"] for v in stored["company_fields"]}
    assert values[size.id] == "Large" and len(values) == len(stored_before["company_fields"])
    assert {sandbox.state.tables["contacts"][c]["company_name"] for c in contacts} == {"Renamed Holdings"}
    assert puts(spec_recorder, mark, company_id) == 1
    assert session.entry(second).contact.company_name == "Renamed Holdings"
    other_page.detach()
    await session.close()


async def test_undo_puts_back_what_was_changed(sandbox, spec_recorder, checked) -> None:
    session = await open_session(sandbox, spec_recorder)
    company_id, contacts = shared_company(session)
    page = ContactSession(session, contacts[0])
    await page.load()
    company, _ = await read_company(page)
    await edit_company(page, company.model_copy(update={"name": "Undo Me Ltd", "url": "https://undo.example.com"}), company)
    assert await session.settled(HANG_GUARD)
    assert sandbox.state.tables["companies"][company_id]["name"] == "Undo Me Ltd"

    await page.undo()
    assert session.entry(contacts[-1]).contact.company_name == company.name  # at once
    assert await session.settled(HANG_GUARD)
    assert [(c.state, c.detail, c.error) for c, _k in session.outbox.review()] == []
    stored = sandbox.state.tables["companies"][company_id]
    assert (stored["name"], stored["url"]) == (company.name, company.url)
    assert {sandbox.state.tables["contacts"][c]["company_name"] for c in contacts} == {company.name}
    await session.close()


async def test_a_colleagues_change_of_the_same_field_waits_for_a_choice(sandbox, spec_recorder) -> None:
    session = await open_session(sandbox, spec_recorder)
    company_id, contacts = shared_company(session)
    page = ContactSession(session, contacts[0])
    await page.load()
    company, _ = await read_company(page)
    with sandbox.state.write() as state:  # a colleague changes the phone meanwhile
        state.save("companies", {**state.tables["companies"][company_id], "phone": "+1 555 0000"})
    await edit_company(page, company.model_copy(update={"phone": "+353 1 555 0199"}), company)
    assert await session.settled(HANG_GUARD)
    [change] = [c for c, _k in session.outbox.review() if c.state is State.CONFLICT]
    assert "phone is “+1 555 0000” on the server" in change.detail, change.detail
    assert sandbox.state.tables["companies"][company_id]["phone"] == "+1 555 0000"  # not sent over theirs
    await session.close()


async def test_a_colleagues_change_of_another_field_is_kept(sandbox, spec_recorder) -> None:
    session = await open_session(sandbox, spec_recorder)
    company_id, contacts = shared_company(session)
    page = ContactSession(session, contacts[0])
    await page.load()
    company, _ = await read_company(page)
    with sandbox.state.write() as state:
        state.save("companies", {**state.tables["companies"][company_id], "description": "Written by a colleague"})
    await edit_company(page, company.model_copy(update={"phone": "+353 1 555 0199"}), company)
    assert await session.settled(HANG_GUARD)
    stored = sandbox.state.tables["companies"][company_id]
    assert (stored["phone"], stored["description"]) == ("+353 1 555 0199", "Written by a colleague")
    await session.close()


async def test_custom_fields_are_compared_and_sent_one_by_one(sandbox, spec_recorder) -> None:
    """A colleague sets one company field while this person sets another: no clash, both stay; a
    colleague's other value for the same field is a clash that names the field."""
    session = await open_session(sandbox, spec_recorder)
    company_id, contacts = shared_company(session)
    page = ContactSession(session, contacts[0])
    await page.load()
    company, _ = await read_company(page)
    size, industry = (next(f for f in session.account.company_fields if f.name == n) for n in ("Company size", "Industry"))

    def set_on_server(field_id: str, value: str) -> None:
        with sandbox.state.write() as state:  # a colleague, in the web app
            stored = state.tables["companies"][company_id]
            others = [v for v in stored["company_fields"] if v["company_field"]["id"] != field_id]
            field = state.tables["company_fields"][field_id]
            saved = state.save("companies", {**stored, "company_fields": [*others, {"company_field": dict(field), "value": value}]})
            later = dt.datetime.fromisoformat(saved["modified_at"].replace("Z", "+00:00")) + dt.timedelta(minutes=1)
            state.save("companies", {**saved, "modified_at": later.strftime("%Y-%m-%dT%H:%M:%SZ")}, touch=False)  # surely after the read

    def setting(base, field, value: str):
        return base.model_copy(update={"custom_fields": [
            *(v for v in base.custom_fields if v.field_id != field.id), CustomValue(field_id=field.id, name=field.name, value=value),
        ]})

    mine = next(v for v in ("Small", "Medium") if v not in {c.value for c in company.custom_fields})
    set_on_server(industry.id, "Shipping")
    await edit_company(page, setting(company, size, mine), company)
    assert await session.settled(HANG_GUARD)
    assert not [c for c, _k in session.outbox.review()]
    values = {v["company_field"]["id"]: v["value"] for v in sandbox.state.tables["companies"][company_id]["company_fields"]}
    assert (values[size.id], values[industry.id]) == (mine, "Shipping")  # theirs kept beside mine

    company, _ = await read_company(page)
    set_on_server(size.id, "Large")
    await edit_company(page, setting(company, size, "Small" if mine != "Small" else "Medium"), company)
    assert await session.settled(HANG_GUARD)
    [change] = [c for c, _k in session.outbox.review() if c.state is State.CONFLICT]
    assert "Company size is “Large” on the server" in change.detail, change.detail
    await session.close()


async def test_nothing_changed_no_name_or_no_company_is_refused_before_the_outbox(sandbox, spec_recorder) -> None:
    session = await open_session(sandbox, spec_recorder)
    _company_id, contacts = shared_company(session)
    page = ContactSession(session, contacts[0])
    await page.load()
    company, _ = await read_company(page)
    with pytest.raises(CommandRefused, match="Nothing was changed"):
        await edit_company(page, company, company)
    with pytest.raises(CommandRefused, match="needs a name"):
        await edit_company(page, company.model_copy(update={"name": "  "}), company)
    assert session.outbox.pending == 0

    with sandbox.state.write() as state:  # a contact of no company
        cid = contacts[0]
        state.save("contacts", {**state.tables["contacts"][cid], "company_id": None, "company_name": ""})
    await page.load()
    with pytest.raises(CommandRefused, match="has no company"):
        await read_company(page)
    await session.close()

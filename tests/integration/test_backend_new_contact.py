"""The backend half of "add a contact": `create_contact`, `companies` and `find_contacts` of the
OnePageCRM backend against the sandbox over real loopback HTTP. Every request goes through the
`client` fixture, so each must conform to the official spec."""

from __future__ import annotations

import pytest

from crmtui.backends.errors import ValidationFailed
from crmtui.backends.onepagecrm.adapter import OnePageCRMBackend
from crmtui.backends.onepagecrm.client import OnePageCRMClient
from crmtui.domain.models import Address, Contact, CustomValue, Email, Phone, StreamEntry
from crmtui.sandbox.onepagecrm.server import SandboxHandle


@pytest.fixture
async def backend(client: OnePageCRMClient) -> OnePageCRMBackend:
    made = OnePageCRMBackend(client)
    await made.connect()
    return made  # the `client` fixture closes the client (and checks its requests)


def _ids(entries: list[StreamEntry]) -> set[str]:
    return {e.contact.id for e in entries}


async def test_a_new_contact_with_every_field_comes_back_as_the_server_made_it(
    backend: OnePageCRMBackend, sandbox: SandboxHandle
) -> None:
    tables = sandbox.state.tables
    status_id = list(tables["statuses"])[2]
    source_id = list(tables["lead_sources"])[1]
    fields = {f["name"]: f["id"] for f in tables["custom_fields"].values()}
    owner = sandbox.users[1].user_id
    companies_before = len(tables["companies"])
    contact = Contact(
        id="ignored-local-id",
        title="Ms",
        first_name="Zoë",
        last_name="Quinlan",
        job_title="Head of Ops",
        company_name="Quinlan Freight",
        starred=True,
        status_id=status_id,
        lead_source_id=source_id,
        owner_id=owner,
        tags=["Inbound", "VIP"],
        phones=[Phone(type="mobile", value="+353 87 555 0101"), Phone(type="Work", value="+353 21 555 0102")],
        emails=[Email(type="work", value="zoe@quinlan.example")],
        urls=["https://quinlan.example", "https://www.linkedin.com/in/zoe-quinlan"],
        addresses=[Address(address="1 Dock Road\nUnit 4", city="Cork", zip_code="T12", country_code="IE", type="work")],
        background="Called about freight rates.",
        custom_fields=[
            CustomValue(field_id=fields["Industry"], value="Logistics"),
            CustomValue(name="Budget", value="25000"),  # named, not identified: the account's definitions tell the id
            CustomValue(field_id=fields["Account notes"], value=""),  # left empty: not sent
        ],
    )
    entry = await backend.create_contact(contact)

    made = entry.contact
    assert made.id and made.id != "ignored-local-id" and made.id in tables["contacts"]
    assert (made.title, made.first_name, made.last_name, made.job_title) == ("Ms", "Zoë", "Quinlan", "Head of Ops")
    assert made.starred and made.owner_id == owner
    assert (made.status_id, made.status) == (status_id, tables["statuses"][status_id]["text"])
    assert (made.lead_source_id, made.lead_source) == (source_id, tables["lead_sources"][source_id]["text"])
    assert made.tags == ["Inbound", "VIP"]
    assert [(p.type, p.value) for p in made.phones] == [("mobile", "+353 87 555 0101"), ("work", "+353 21 555 0102")]
    assert [(e.type, e.value) for e in made.emails] == [("work", "zoe@quinlan.example")]
    assert made.urls == ["https://quinlan.example", "https://www.linkedin.com/in/zoe-quinlan"]
    assert [u["type"] for u in tables["contacts"][made.id]["url"]] == ["website", "linkedin"]
    assert [a.model_dump() for a in made.addresses] == [
        Address(address="1 Dock Road\nUnit 4", city="Cork", zip_code="T12", country_code="IE", type="work").model_dump()
    ]
    assert made.background == "Called about freight rates."
    assert [(v.field_id, v.name, v.value) for v in made.custom_fields] == [
        (fields["Industry"], "Industry", "Logistics"), (fields["Budget"], "Budget", "25000"),
    ]
    assert made.modified_at is not None
    # A company named that did not exist is made, and the contact linked to it.
    assert len(tables["companies"]) == companies_before + 1
    assert entry.company is not None and entry.company.name == "Quinlan Freight"
    assert made.company_id == entry.company.id and made.company_name == "Quinlan Freight"
    # No actions yet; someone else's contact with none of the viewer's actions is not in their stream.
    assert entry.next_action is None and entry.queued_actions == [] and entry.conflicts == []
    assert entry.in_stream is False
    assert (await backend.get_contact(made.id)).model_dump() == made.model_dump()


async def test_a_company_picked_by_id_or_named_as_it_is_is_not_made_twice(
    backend: OnePageCRMBackend, sandbox: SandboxHandle
) -> None:
    tables = sandbox.state.tables
    picked = next(iter(tables["companies"].values()))
    count = len(tables["companies"])
    by_id = await backend.create_contact(Contact(id="", first_name="Ann", company_id=picked["id"], company_name="ignored"))
    assert (by_id.contact.company_id, by_id.contact.company_name) == (picked["id"], picked["name"])
    assert by_id.company is not None and by_id.company.id == picked["id"]
    assert by_id.contact.last_name == "" and by_id.contact.name == "Ann"
    assert by_id.contact.owner_id == sandbox.user_id and by_id.in_stream  # the viewer's own, with no action
    assert tables["contacts"][by_id.contact.id]["status_id"] == next(iter(tables["statuses"]))  # the default status
    by_name = await backend.create_contact(Contact(id="", last_name="Byrne", company_name=picked["name"].upper()))
    assert by_name.contact.company_id == picked["id"] and by_name.contact.company_name == picked["name"]
    only_company = await backend.create_contact(Contact(id="", company_name="Just A Company Ltd"))
    assert only_company.contact.name == "Just A Company Ltd" and only_company.company is not None
    assert len(tables["companies"]) == count + 1


@pytest.mark.parametrize(
    ("contact", "field", "words"),
    [
        (Contact(id="", first_name="Nobody"), "last_name", "last_name or company_name is required"),
        (Contact(id="", last_name="   ", company_name=" "), "last_name", "last_name or company_name is required"),
        (Contact(id="", last_name="Mail", emails=[Email(type="work", value="not-an-email")]), "emails",
         "not-an-email is not a valid email address"),
        (Contact(id="", last_name="Status", status_id="0123456789abcdef01234567"), "status_id", "status_id is invalid"),
        (Contact(id="", last_name="Owner", owner_id="0123456789abcdef01234567"), "owner_id", "owner_id is invalid"),
        (Contact(id="", last_name="Firm", company_id="0123456789abcdef01234567"), "company_id", "company_id is invalid"),
        (Contact(id="", last_name="Field", custom_fields=[CustomValue(field_id="0123456789abcdef01234567", value="x")]),
         "custom_fields", "custom field id or name is invalid"),
    ],
    ids=["no-name", "blank-names", "bad-email", "status", "owner", "company", "custom-field"],
)
async def test_a_contact_the_server_refuses_is_a_validation_error_that_says_why(
    backend: OnePageCRMBackend, sandbox: SandboxHandle, contact: Contact, field: str, words: str
) -> None:
    before = len(sandbox.state.tables["contacts"])
    with pytest.raises(ValidationFailed) as refused:
        await backend.create_contact(contact)
    error = refused.value
    assert error.status == 400 and error.error_name == "invalid_request_data"
    assert words in error.errors[field]
    assert words in error.user_message and field in error.user_message
    assert len(sandbox.state.tables["contacts"]) == before  # nothing made


@pytest.mark.parametrize(
    ("contact", "field"),
    [
        (Contact(id="", last_name="L" * 26), "last_name"),
        (Contact(id="", last_name="Firm", company_name="C" * 56), "company_name"),
        (Contact(id="", last_name="Moves", addresses=[Address(city=c) for c in ("Cork", "Kerry", "Clare")]), "address_list"),
    ],
    ids=["long-last-name", "long-company", "three-addresses"],
)
async def test_what_the_spec_rules_out_is_refused_without_a_request(
    backend: OnePageCRMBackend, sandbox: SandboxHandle, spec_recorder, contact: Contact, field: str
) -> None:
    mark = spec_recorder.mark()
    with pytest.raises(ValidationFailed) as refused:
        await backend.create_contact(contact)
    assert list(refused.value.errors) == [field] and field in refused.value.user_message
    assert refused.value.status is None  # refused here, not by the server
    assert spec_recorder.since(mark) == []


async def test_companies_are_every_company_of_the_account_by_name_or_those_a_name_finds(
    backend: OnePageCRMBackend, sandbox: SandboxHandle, client: OnePageCRMClient
) -> None:
    tables = sandbox.state.tables
    for i in range(105):  # more than a page of 100
        await client.create_contact({"last_name": f"Filler {i}", "company_name": f"Zz Filler Company {i:03}"})
    every = await backend.companies()
    expected = sorted(tables["companies"].values(), key=lambda c: (c["name"].casefold(), c["id"]))
    assert [c.id for c in every] == [c["id"] for c in expected] and len(every) > 100
    seeded = expected[0]
    first = every[0]
    assert (first.name, first.phone, first.url) == (seeded["name"], seeded.get("phone", ""), seeded.get("url", ""))

    found = await backend.companies("zz filler company 10")  # any case, part of the name
    assert [c.name for c in found] == [f"Zz Filler Company {i}" for i in (100, 101, 102, 103, 104)]
    part = seeded["name"][1:4].upper()
    assert {c.id for c in await backend.companies(part)} == {
        c["id"] for c in tables["companies"].values() if part.casefold() in c["name"].casefold()
    }
    assert await backend.companies("no company is called this") == []
    assert [c.id for c in await backend.companies("  ")] == [c.id for c in every]  # blank: no filter


async def test_find_contacts_searches_the_whole_account_by_text_email_and_phone(
    backend: OnePageCRMBackend, sandbox: SandboxHandle
) -> None:
    other = sandbox.users[1].user_id
    mine = await backend.create_contact(Contact(
        id="", first_name="Orla", last_name="Findable", company_name="Seek Ltd",
        emails=[Email(type="work", value="orla@seek.example")], phones=[Phone(type="work", value="+353 (1) 555-7788")],
    ))
    theirs = await backend.create_contact(Contact(
        id="", first_name="Piers", last_name="Findable", owner_id=other,
        emails=[Email(type="home", value="Piers@Elsewhere.example")], phones=[Phone(type="mobile", value="+44 20 7946 0018")],
    ))
    both = {mine.contact.id, theirs.contact.id}

    assert _ids(await backend.find_contacts(search="findable")) == both  # anyone's, not only the user's own
    assert _ids(await backend.find_contacts(search="Orla Findable")) == {mine.contact.id}
    assert _ids(await backend.find_contacts(search="seek ltd")) == {mine.contact.id}  # the company's name
    assert _ids(await backend.find_contacts(search="555 7788")) == {mine.contact.id}  # a phone number
    assert _ids(await backend.find_contacts(search="orla@seek")) == {mine.contact.id}  # an email address

    assert _ids(await backend.find_contacts(email="piers@elsewhere.example")) == {theirs.contact.id}  # any case
    assert await backend.find_contacts(email="piers@") == []  # the whole address, not a part
    assert _ids(await backend.find_contacts(phone="20 7946 0018")) == {theirs.contact.id}  # part of the number
    assert _ids(await backend.find_contacts(phone="+3531555-7788")) == {mine.contact.id}
    assert _ids(await backend.find_contacts(search="findable", phone="7946")) == {theirs.contact.id}  # all must match

    found = {e.contact.id: e for e in await backend.find_contacts(search="findable")}
    assert found[mine.contact.id].contact.emails[0].value == "orla@seek.example"
    assert found[mine.contact.id].company is not None and found[mine.contact.id].company.name == "Seek Ltd"
    assert found[mine.contact.id].in_stream and not found[theirs.contact.id].in_stream
    assert found[theirs.contact.id].contact.owner_id == other
    assert await backend.find_contacts(search="no such contact anywhere") == []

"""ContactSession against the sandbox: loading, commands with undo, and keeping the stream in step.

Plus the sandbox behaviour the contact screen needs: deleting notes, calls and meetings, and the
spec's length limits on their text.
"""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from crmtui.backends.http import RetryPolicy
from crmtui.backends.registry import Connection, create_backend
from crmtui.domain.models import ActionStatus, Phone
from crmtui.service import CommandRefused, Session
from crmtui.service.contact import CALLS, CONTACT, DEALS, MEETINGS, NOTES, ContactSession
from crmtui.service.outbox import Outbox
from crmtui.store import State
from tests.integration.test_outbox import open_session
from tests.support.server_edits import edit_contact as edit_on_server
from tests.support.waits import HANG_GUARD

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.timezone.utc)


def backend(sandbox):
    return create_backend(Connection("onepagecrm", sandbox.base_url, sandbox.user_id, sandbox.api_key))


@pytest.fixture
async def session(sandbox):
    b = backend(sandbox)
    s = Session(b, clock=lambda: NOW, outbox=Outbox(b, base_delay=0.05, max_delay=0.5))
    await s.load_stream()
    yield s
    await s.close()


async def settle(session: Session) -> None:
    assert await session.settled(HANG_GUARD), "the outbox did not drain"


def refused(session: Session) -> list[str]:
    """The server's reasons of the changes it refused, kept for review."""
    return [change.error for change, _ in session.outbox.review() if change.state is State.FAILED]


@pytest.fixture
async def other(sandbox):
    """A second backend, to change the server behind the session's back."""
    b = backend(sandbox)
    await b.connect()
    yield b
    await b.close()


def with_next(session: Session):
    return next(e for e in session.entries if e.next_action is not None and not e.queued_actions and not e.conflicts)


def without_actions(session: Session):
    me = session.user_id
    return next(e for e in session.entries if e.next_action is None and not e.queued_actions
                and not e.contact.sales_closed and e.contact.owner_id == me)


# -- loading ---------------------------------------------------------------------------------------


async def test_load_fetches_every_section_and_reports_each_as_it_arrives(session: Session, other) -> None:
    entry = with_next(session)
    cid = entry.contact.id
    await other.create_note(cid, "A note")
    await other.create_call(cid, "A call", "interested")
    await other.create_meeting(cid, "A meeting", NOW + dt.timedelta(days=1), "Cork")
    await other.create_deal(cid, "A deal", amount=10.0)
    contact = ContactSession(session, cid)
    assert contact.current == entry and contact.current is not entry  # a copy, shown before any request
    seen: list[str] = []
    await contact.load(on_loaded=seen.append)
    assert sorted(seen) == sorted(["contact", "actions", DEALS, NOTES, CALLS, MEETINGS])
    assert "A note" in [n.text for n in contact.notes]
    assert any(c.call_result == "interested" for c in contact.calls)
    assert any(m.place == "Cork" for m in contact.meetings)
    assert any(d.name == "A deal" for d in contact.deals)
    assert any(a.id == entry.next_action.id for a in contact.actions)
    assert contact.errors == {} and contact.current.in_stream


async def test_a_failing_section_keeps_its_error_and_the_others_load(session: Session, sandbox) -> None:
    contact = ContactSession(session, with_next(session).contact.id)
    sandbox.options.fail_rate = 1.0
    session.backend.client.http.retry = RetryPolicy(attempts=1)  # type: ignore[attr-defined]
    await contact.load([NOTES])
    sandbox.options.fail_rate = 0.0
    await contact.load([CALLS, CONTACT])
    assert set(contact.errors) == {NOTES} and contact.notes is None and contact.calls is not None
    await contact.load([NOTES])
    assert contact.errors == {} and contact.notes is not None


# -- commands, undo, and the stream --------------------------------------------------------------------


async def test_history_commands_show_at_once_revert_on_failure_and_undo_by_deleting(session: Session, other, sandbox) -> None:
    cid = with_next(session).contact.id
    contact = ContactSession(session, cid)
    await contact.load()
    shown: list[list[str]] = []
    contact.subscribe_sections(lambda s: shown.append([n.id for n in contact.notes or []]) if s == NOTES else None)

    await contact.add_note("First")
    await settle(session)
    assert shown[0][0].startswith("local-") and not shown[-1][0].startswith("local-")  # predicted, then the server's id
    note_id = shown[-1][0]
    assert any(n.id == note_id for n in await other.notes(cid))

    await contact.add_note("y" * 7169)  # longer than the API takes: refused with 400
    assert "y" * 7169 in [n.text for n in contact.notes]  # shown at once
    await settle(session)
    assert [n.text for n in contact.notes].count("y" * 7169) == 0 and len(contact.undo_stack) == 1
    assert refused(session) and "text" in refused(session)[0]

    await contact.undo()
    await settle(session)
    assert all(n.id != note_id for n in await other.notes(cid)) and all(n.id != note_id for n in contact.notes)
    with pytest.raises(CommandRefused):
        await contact.add_note("   ")


async def test_contact_changes_are_mirrored_into_the_stream(session: Session, other) -> None:
    entry = with_next(session)
    cid = entry.contact.id
    contact = ContactSession(session, cid)
    await contact.load([CONTACT])
    new_status = next(s for s in session.account.statuses if s.id != entry.contact.status_id)
    changed: list[int] = []
    session.subscribe(lambda entries: changed.append(len(entries)))

    await contact.change_status(new_status.id)
    await contact.add_tag("Hot")
    assert session.entry(cid).contact.status == new_status.text and "Hot" in session.entry(cid).contact.tags
    assert changed  # the stream screen is told
    await settle(session)
    server = await other.get_contact(cid)
    assert server.status == new_status.text and "Hot" in server.tags
    assert session.entry(cid).contact.status == new_status.text and "Hot" in session.entry(cid).contact.tags

    await contact.undo()
    await contact.undo()
    await settle(session)
    assert session.entry(cid).contact.status == entry.contact.status and "Hot" not in session.entry(cid).contact.tags
    assert session.undo_stack == []  # the stream's own undo history is untouched


async def test_giving_a_contact_away_takes_it_out_of_the_stream_and_undo_brings_it_back(session: Session, other) -> None:
    entry = without_actions(session)
    cid = entry.contact.id
    contact = ContactSession(session, cid)
    await contact.load([CONTACT])
    teammate = session.account.team[0]
    await contact.change_owner(teammate.id)
    await settle(session)
    assert session.entry(cid) is None and contact.current is not None and not contact.current.in_stream
    await contact.undo()
    await settle(session)
    assert session.entry(cid) is not None and (await other.get_contact(cid)).owner_id == session.user_id


async def test_sales_cycle_refused_locally_then_by_the_server_then_closed(session: Session, other) -> None:
    entry = with_next(session)
    cid = entry.contact.id
    contact = ContactSession(session, cid)
    await contact.load()
    with pytest.raises(CommandRefused, match="open actions"):
        await contact.close_sales_cycle("Lost")  # nothing sent: the screen knows of the next action

    bare = ContactSession(session, without_actions(session).contact.id)
    await bare.load()
    await other.create_action(bare.contact_id, "Sneaky", ActionStatus.ASAP)  # unknown to the session
    await bare.close_sales_cycle("Lost")
    assert bare.current.contact.sales_closed  # shown at once
    await settle(session)
    assert not bare.current.contact.sales_closed and bare.undo_stack == []  # refused (409): back as it was
    assert len(refused(session)) == 1

    await other.mark_done(next(a for a in await other.contact_actions(bare.contact_id) if not a.done).id)
    await bare.load()
    await bare.close_sales_cycle("No budget")
    assert session.entry(bare.contact_id).contact.sales_closed_comment == "No budget"
    await bare.reopen_sales_cycle()
    await bare.undo()  # takes the reopening back before it was sent: still closed, with its comment
    await settle(session)
    assert (await other.get_contact(bare.contact_id)).sales_closed_comment == "No budget"


async def test_triage_on_a_contact_outside_the_stream(session: Session, other, sandbox) -> None:
    me = session.user_id
    loaded = {e.contact.id for e in session.entries}
    cid = None
    for item in await other.client.list_contacts_all(team=True):
        c = item.contact
        if c.owner_id != me and c.id not in loaded:
            if all(a.done or a.assignee_id != me for a in await other.contact_actions(c.id)):
                cid = c.id
                break
    assert cid is not None
    contact = ContactSession(session, cid)
    assert contact.current is None
    await contact.load()
    assert not contact.current.in_stream and session.entry(cid) is None
    await contact.add_action(cid, "Follow up", ActionStatus.ASAP)
    await settle(session)
    assert session.entry(cid).next_action.text == "Follow up"  # now in the user's stream
    await contact.undo()
    await settle(session)
    assert session.entry(cid) is None


# -- the sandbox -----------------------------------------------------------------------------------


@pytest.fixture
def http(sandbox):
    with httpx.Client(base_url=sandbox.base_url, auth=(sandbox.user_id, sandbox.api_key), timeout=HANG_GUARD) as client:
        yield client


@pytest.mark.parametrize("kind", ["notes", "calls", "meetings"])
def test_sandbox_deletes_notes_calls_and_meetings(http, kind: str) -> None:
    contact_id = http.post("/contacts", json={"last_name": "Deleting"}).json()["data"]["contact"]["id"]
    created = http.post(f"/{kind}", json={"contact_id": contact_id, "text": "gone soon"})
    assert created.status_code == 201
    item_id = created.json()["data"][kind[:-1]]["id"]
    deleted = http.delete(f"/{kind}/{item_id}")
    assert deleted.status_code == 200 and deleted.json()["status"] == 0
    assert http.get(f"/{kind}/{item_id}").status_code == 404
    assert http.delete(f"/{kind}/{item_id}").status_code == 404
    assert http.get(f"/contacts/{contact_id}/{kind}").json()["data"][kind] == []


def test_sandbox_refuses_text_longer_than_the_spec_allows(http) -> None:
    contact_id = http.post("/contacts", json={"last_name": "Limits"}).json()["data"]["contact"]["id"]
    long_note = http.post("/notes", json={"contact_id": contact_id, "text": "x" * 7169})
    assert long_note.status_code == 400 and "text" in long_note.json()["errors"]
    assert http.post("/notes", json={"contact_id": contact_id, "text": "x" * 7168}).status_code == 201
    place = http.post("/meetings", json={"contact_id": contact_id, "text": "m", "place": "p" * 101})
    assert place.status_code == 400 and "place" in place.json()["errors"]
    deal = http.post("/deals", json={"contact_id": contact_id, "name": "d" * 61})
    assert deal.status_code == 400 and "name" in deal.json()["errors"]


async def test_backend_reports_the_length_refusal_as_validation(session: Session) -> None:
    contact = ContactSession(session, with_next(session).contact.id)
    await contact.load([NOTES])
    failures = []
    session.outbox.subscribe(lambda e: failures.append(e.error) if e.kind == "failed" else None)
    await contact.add_note("y" * 7169)
    await settle(session)
    assert [type(f).__name__ for f in failures] == ["ValidationFailed"]
    assert all(not n.id.startswith("local-") for n in contact.notes)


# -- editing the contact (E: every field of the contact form) ----------------------------------------------
# Sent as the whole record without losing what the form does not show, checked against a colleague's
# change made meanwhile, undone with u; a new owner goes as a change of owner.


async def seeded(session) -> ContactSession:
    """A contact of the stream with phones, emails, tags and custom fields, loaded."""
    entry = next(e for e in session.entries if e.contact.phones and e.contact.emails and e.contact.tags and e.contact.custom_fields)
    contact = ContactSession(session, entry.contact.id)
    await contact.load()
    return contact


async def test_an_edit_changes_what_was_edited_and_keeps_the_rest(sandbox, spec_recorder, checked) -> None:
    session = await open_session(sandbox, spec_recorder)  # its requests, the PUT too, must conform to the spec
    contact = await seeded(session)
    before = contact.current.contact
    stored_before = dict(sandbox.state.tables["contacts"][before.id])
    edited = before.model_copy(update={"phones": [Phone(type="mobile", value="+353 1 555 0199")], "job_title": "Buyer"})
    shown = await contact.edit_contact(edited)
    assert shown.contact.phones[0].value == "+353 1 555 0199"  # at once
    assert session.entry(before.id).contact.job_title == "Buyer"  # the stream too
    await settle(session)
    stored = sandbox.state.tables["contacts"][before.id]
    assert stored["phones"] == [{"type": "mobile", "value": "+353 1 555 0199"}] and stored["job_title"] == "Buyer"
    for kept in ("first_name", "last_name", "company_id", "emails", "tags", "background", "status_id", "owner_id", "url", "starred"):
        assert stored.get(kept) == stored_before.get(kept), kept
    assert [c["value"] for c in stored["custom_fields"]] == [c["value"] for c in stored_before["custom_fields"]]

    await contact.undo()
    await settle(session)
    assert sandbox.state.tables["contacts"][before.id]["phones"] == stored_before["phones"]
    await session.close()


async def test_an_edit_clashing_with_a_colleagues_change_waits_for_a_choice(session, sandbox, other) -> None:
    contact = await seeded(session)
    before = contact.current.contact
    await edit_on_server(other.client, before.id, {"phones": [{"type": "work", "value": "+1 555 0000"}]})
    await contact.edit_contact(before.model_copy(update={"phones": [Phone(type="mobile", value="+353 1 555 0199")]}))
    await settle(session)
    [(change, _command)] = [(c, k) for c, k in session.outbox.review() if c.state is State.CONFLICT]
    assert "phones is “+1 555 0000” on the server" in change.detail, change.detail
    assert sandbox.state.tables["contacts"][before.id]["phones"] == [{"type": "work", "value": "+1 555 0000"}]


async def test_an_edit_that_changes_nothing_is_refused_and_a_new_owner_moves_the_contact(session, sandbox) -> None:
    contact = await seeded(session)
    before = contact.current.contact
    with pytest.raises(CommandRefused, match="Nothing was changed"):
        await contact.edit_contact(before)
    colleague = next(u for u in session.account.team if u.id != session.user_id)
    await contact.edit_contact(before.model_copy(update={"owner_id": colleague.id}))
    await settle(session)
    assert sandbox.state.tables["contacts"][before.id]["owner_id"] == colleague.id
    assert [c.kind for c in session.outbox.unsettled()] == []


async def test_renaming_the_company_links_the_contact_to_that_company(session, sandbox) -> None:
    contact = await seeded(session)
    before = contact.current.contact
    await contact.edit_contact(before.model_copy(update={"company_name": "Brand New Holdings"}))
    await settle(session)
    stored = sandbox.state.tables["contacts"][before.id]
    assert stored["company_name"] == "Brand New Holdings" and stored["company_id"] != before.company_id


# -- deleting the contact, and the API's undo ----------------------------------------------------------------


async def test_a_deleted_contact_leaves_at_once_and_u_brings_it_back_with_its_records(sandbox, spec_recorder, checked) -> None:
    session = await open_session(sandbox, spec_recorder)
    entry = next(e for e in session.entries if e.next_action is not None)
    cid = entry.contact.id
    tables = sandbox.state.tables
    actions = {a["id"] for a in tables["actions"].values() if a["contact_id"] == cid}
    before = len(session.entries)
    await session.delete_contact(cid)
    assert session.entry(cid) is None and len(session.entries) == before - 1  # at once
    await settle(session)
    assert cid not in tables["contacts"] and not any(a["contact_id"] == cid for a in tables["actions"].values())
    assert session.entry(cid) is None

    await session.undo()
    assert session.entry(cid) is not None  # shown again before the server answers
    await settle(session)
    assert cid in tables["contacts"] and {a["id"] for a in tables["actions"].values() if a["contact_id"] == cid} == actions
    assert session.entry(cid).next_action.id == entry.next_action.id and len(session.entries) == before
    await session.close()


async def test_a_delete_undone_before_it_is_sent_never_reaches_the_server(session, sandbox) -> None:
    cid = session.entries[0].contact.id
    session.outbox.pause("held for the test")
    await session.delete_contact(cid)
    assert session.entry(cid) is None
    await session.undo()
    assert session.entry(cid) is not None and session.outbox.pending == 0
    assert cid in sandbox.state.tables["contacts"]

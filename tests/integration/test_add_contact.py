"""A contact made in crmtui: shown at once under a local id, sent with its first next action in
that order, then shown under the server's id; refused, lost answers, restarts. Real sandbox over HTTP;
requests go through the spec recorder."""

from __future__ import annotations

import pytest

from crmtui.domain.models import ActionStatus, Address, Contact, CustomValue, Email, Phone
from crmtui.domain.stream import sort_key
from crmtui.service import CommandRefused
from crmtui.service.commands import ActionChanges, is_local_id
from crmtui.service.outbox import FAILED, SENT
from tests.integration.test_outbox import open_session
from tests.support.waits import HANG_GUARD, until


def new_contact(sandbox, **fields) -> Contact:
    tables = sandbox.state.tables
    status_id = next(iter(tables["statuses"]))
    source_id = next(iter(tables["lead_sources"]))
    field = next(iter(tables["custom_fields"].values()))
    values = dict(
        id="",
        first_name="Zoë",
        last_name="Quinlan",
        job_title="Head of Ops",
        company_name="Quinlan Freight",
        emails=[Email(type="work", value="zoe@quinlan.example")],
        phones=[Phone(type="mobile", value="+353 87 555 0101")],
        addresses=[Address(address="1 Dock Road", city="Cork", country_code="IE", type="work")],
        tags=["Inbound"],
        status_id=status_id,
        lead_source_id=source_id,
        background="Called about freight rates.",
        custom_fields=[CustomValue(field_id=field["id"], value="12")],
    )
    values.update(fields)
    return Contact(**values)


def in_order(session) -> bool:
    keys = [sort_key(e, session.today(), user_id=session.stream_user_id, now=session.now()) for e in session.entries]
    return keys == sorted(keys)


async def test_a_new_contact_shows_at_once_and_then_under_the_servers_id(sandbox, spec_recorder, checked) -> None:
    session = await open_session(sandbox, spec_recorder)
    before = len(session.entries)
    held = sandbox.gate.hold("POST", "/api/v3/contacts")
    shown = await session.add_contact(new_contact(sandbox), ActionChanges(text="Send the rate card", status=ActionStatus.ASAP))
    assert shown is not None and is_local_id(shown.contact.id)  # before the server has answered
    assert shown.contact.name == "Zoë Quinlan" and shown.next_action is not None
    assert shown.next_action.text == "Send the rate card" and len(session.entries) == before + 1 and in_order(session)
    await held.parked()
    held.release()
    assert await session.settled(HANG_GUARD)

    real = session.renamed[shown.contact.id]
    assert not is_local_id(real) and session.entry(shown.contact.id) is None
    row = session.entry(real)
    assert row is not None and row.next_action is not None and row.next_action.text == "Send the rate card"
    assert not is_local_id(row.next_action.id) and len(session.entries) == before + 1 and in_order(session)
    stored = sandbox.state.tables["contacts"][real]
    assert (stored["first_name"], stored["last_name"], stored["job_title"]) == ("Zoë", "Quinlan", "Head of Ops")
    assert stored["emails"][0]["value"] == "zoe@quinlan.example" and stored["phones"][0]["value"] == "+353 87 555 0101"
    assert stored["tags"] == ["Inbound"] and stored["background"] == "Called about freight rates."
    assert stored["address_list"][0]["city"] == "Cork" and stored["custom_fields"][0]["value"] == "12"
    company = sandbox.state.tables["companies"][stored["company_id"]]
    assert company["name"] == "Quinlan Freight"
    actions = [a for a in sandbox.state.tables["actions"].values() if a["contact_id"] == real]
    assert [a["text"] for a in actions] == ["Send the rate card"]
    await session.close()


async def test_a_new_contact_costs_one_request_each_for_it_and_its_action(sandbox, spec_recorder, checked) -> None:
    session = await open_session(sandbox, spec_recorder)
    start = spec_recorder.mark()
    await session.add_contact(new_contact(sandbox), ActionChanges(text="Call back", status=ActionStatus.ASAP))
    assert await session.settled(HANG_GUARD)
    sent = [f"{e.method} {e.url.split('/api/v3/', 1)[1].split('?')[0]}" for e in spec_recorder.since(start)]
    real = next(iter(session.renamed.values()))
    assert sent == ["POST contacts", f"POST contacts/{real}/actions"] or sent == ["POST contacts", "POST actions"], sent
    await session.close()


async def test_a_contact_without_a_last_name_or_company_is_refused_before_anything_is_written(sandbox, spec_recorder) -> None:
    session = await open_session(sandbox, spec_recorder)
    before = len(session.entries)
    with pytest.raises(CommandRefused, match="last name or a company"):
        await session.add_contact(new_contact(sandbox, last_name="", company_name=""), ActionChanges(text="Call", status=ActionStatus.ASAP))
    with pytest.raises(CommandRefused, match="needs some text"):
        await session.add_contact(new_contact(sandbox), ActionChanges(text="  ", status=ActionStatus.ASAP))
    assert len(session.entries) == before and session.outbox.pending == 0
    await session.close()


async def test_a_new_contact_the_server_refuses_leaves_the_stream_and_waits_for_review(sandbox, spec_recorder) -> None:
    session = await open_session(sandbox, spec_recorder)
    before = len(session.entries)
    events = []
    session.outbox.subscribe(events.append)
    shown = await session.add_contact(new_contact(sandbox, owner_id="no-such-user"), ActionChanges(text="Call", status=ActionStatus.ASAP))
    assert shown is not None and len(session.entries) == before + 1
    await until(lambda: sum(e.kind == FAILED for e in events) == 2, "both changes refused")
    assert len(session.entries) == before and session.entry(shown.contact.id) is None
    reasons = [change.error for change, _command in session.outbox.review()]
    assert "owner_id" in reasons[0] and "did not go through" in reasons[1] and "Zoë Quinlan" in reasons[1]
    assert not any(c.get("last_name") == "Quinlan" for c in sandbox.state.tables["contacts"].values())
    await session.close()


async def test_a_new_contact_whose_answer_is_lost_is_made_once(sandbox, spec_recorder, checked) -> None:
    session = await open_session(sandbox, spec_recorder)
    events = []
    session.outbox.subscribe(events.append)
    sandbox.options.lose_rate = 1.0  # every answer is lost, the writes are applied
    try:
        await session.add_contact(new_contact(sandbox), ActionChanges(text="Call back", status=ActionStatus.ASAP))
        await until(lambda: session.outbox.retried >= 1, "a retry after the lost answer")
    finally:
        sandbox.options.lose_rate = 0.0
    assert await session.settled(HANG_GUARD)
    made = [c for c in sandbox.state.tables["contacts"].values() if c.get("last_name") == "Quinlan"]
    assert len(made) == 1 and session.outbox.reconciled >= 1
    actions = [a for a in sandbox.state.tables["actions"].values() if a["contact_id"] == made[0]["id"]]
    assert [a["text"] for a in actions] == ["Call back"]
    assert [e.kind for e in events if e.kind == SENT] == [SENT, SENT]
    await session.close()


async def test_a_new_contact_made_offline_shows_after_a_restart_and_is_sent_once(sandbox, spec_recorder, tmp_path) -> None:
    path = tmp_path / "outbox.sqlite3"
    session = await open_session(sandbox, spec_recorder, path)
    session.outbox.pause("offline for the test")
    shown = await session.add_contact(new_contact(sandbox), ActionChanges(text="Call back", status=ActionStatus.ASAP))
    assert shown is not None
    await session.close()

    again = await open_session(sandbox, spec_recorder, path)
    await again.outbox.open()  # what the last run left, as the app reads it before the stream
    await again.load_stream()
    row = next(e for e in again.entries if e.contact.last_name == "Quinlan")
    assert is_local_id(row.contact.id) and row.next_action is not None and row.next_action.text == "Call back"
    again.outbox.start()
    assert await again.settled(HANG_GUARD)
    made = [c for c in sandbox.state.tables["contacts"].values() if c.get("last_name") == "Quinlan"]
    assert len(made) == 1 and again.entry(made[0]["id"]) is not None and again.entry(row.contact.id) is None
    await again.close()

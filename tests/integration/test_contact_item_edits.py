"""Editing and deleting a contact's notes, calls, meetings and deals (the contact screen's Enter/e and
Delete on a history tab), through the outbox against the sandbox.

Each change shows in its section at once, waits while offline and then reaches the server exactly once,
is checked against a colleague's change made meanwhile, and is undone with u. Every request the
session sends must conform to the spec (`checked`).
"""

from __future__ import annotations

import datetime as dt

import pytest

from crmtui.domain.models import DealStatus
from crmtui.service import CommandRefused, Session
from crmtui.service.contact import CALLS, DEALS, MEETINGS, NOTES, ContactSession
from crmtui.service.deal_commands import DealChanges
from crmtui.service.history_edits import CallChanges, MeetingChanges, NoteChanges
from crmtui.store import State
from tests.integration.test_outbox import open_session
from tests.support.waits import HANG_GUARD

LONG_AGO = "2026-02-01T09:00:00Z"
"""A modified_at before anything the test does (the sandbox's clock counts whole seconds)."""


async def settle(session: Session) -> None:
    assert await session.settled(HANG_GUARD), "the outbox did not drain"


def puts(spec_recorder, mark: int, kind: str) -> int:
    return sum(1 for x in spec_recorder.since(mark) if x.method == "PUT" and f"/{kind}/" in x.url)


@pytest.fixture
async def session(sandbox, spec_recorder, checked):
    s = await open_session(sandbox, spec_recorder)
    yield s
    await s.close()


async def contact_with_history(session: Session, sandbox) -> ContactSession:
    """A contact of the stream with one note, call, meeting and pending deal, read long ago."""
    cid = next(e for e in session.entries if e.next_action is not None).contact.id
    client = session.backend.client  # type: ignore[attr-defined]
    when = int(dt.datetime(2026, 3, 12, 14, tzinfo=dt.timezone.utc).timestamp())
    made = [
        ("notes", (await client.create_note({"contact_id": cid, "text": "Met at the fair"})).id),
        ("calls", (await client.create_call({"contact_id": cid, "text": "Rang", "call_result": "interested"})).id),
        ("meetings", (await client.create_meeting({"contact_id": cid, "text": "Demo", "place": "Cork", "meeting_time_int": when})).id),
        ("deals", (await client.create_deal({"contact_id": cid, "name": "Licences", "amount": 1000, "months": 1})).id),
    ]
    for table, item_id in made:
        sandbox.state.tables[table][item_id]["modified_at"] = LONG_AGO
    contact = ContactSession(session, cid)
    await contact.load()
    return contact


async def test_a_note_edited_offline_shows_at_once_goes_once_and_u_puts_it_back(session, sandbox, spec_recorder) -> None:
    contact = await contact_with_history(session, sandbox)
    [note] = [n for n in contact.notes if n.text == "Met at the fair"]
    mark = spec_recorder.mark()
    session.outbox.pause("offline for the test")
    await contact.edit_history(note, NoteChanges(text="Met at the fair.\nWants a demo in May."))
    assert contact.history_item(NOTES, note.id).text == "Met at the fair.\nWants a demo in May."  # at once
    assert sandbox.state.tables["notes"][note.id]["text"] == "Met at the fair"
    session.outbox.resume()
    await settle(session)
    stored = sandbox.state.tables["notes"][note.id]
    assert stored["text"] == "Met at the fair.\nWants a demo in May." and stored["contact_id"] == contact.contact_id
    assert puts(spec_recorder, mark, "notes") == 1
    assert contact.history_item(NOTES, note.id).modified_at > note.modified_at  # the server's copy now

    await contact.undo()
    assert contact.history_item(NOTES, note.id).text == "Met at the fair"  # at once
    await settle(session)
    assert sandbox.state.tables["notes"][note.id]["text"] == "Met at the fair"
    with pytest.raises(CommandRefused, match="Nothing was changed"):
        await contact.edit_history(contact.history_item(NOTES, note.id), NoteChanges(text="Met at the fair"))
    with pytest.raises(CommandRefused, match="needs some text"):
        await contact.edit_history(contact.history_item(NOTES, note.id), NoteChanges(text="  "))


async def test_a_note_changed_by_a_colleague_meanwhile_waits_for_a_choice(session, sandbox) -> None:
    contact = await contact_with_history(session, sandbox)
    [note] = [n for n in contact.notes if n.text == "Met at the fair"]
    session.outbox.pause("offline for the test")
    await contact.edit_history(note, NoteChanges(text="Mine"))
    await session.backend.update_note(note.id, text="Theirs")  # type: ignore[attr-defined]
    session.outbox.resume()
    await settle(session)
    [(change, _command)] = [(c, k) for c, k in session.outbox.review() if c.state is State.CONFLICT]
    assert "text is “Theirs” on the server" in change.detail and "“Mine”" in change.detail
    assert sandbox.state.tables["notes"][note.id]["text"] == "Theirs"  # nothing overwritten

    await session.outbox.retry(change.id, force=True)  # keep mine
    await settle(session)
    assert sandbox.state.tables["notes"][note.id]["text"] == "Mine"


async def test_a_call_edit_changes_only_what_was_changed_and_clashes_only_on_the_same_field(session, sandbox) -> None:
    contact = await contact_with_history(session, sandbox)
    [call] = [c for c in contact.calls if c.text == "Rang"]
    session.outbox.pause("offline for the test")
    await contact.edit_history(call, CallChanges(text="Rang", call_result="left_message", phone_number=""))
    assert contact.history_item(CALLS, call.id).call_result == "left_message"
    await session.backend.update_call(call.id, text="Rang twice")  # type: ignore[attr-defined]  # another field
    session.outbox.resume()
    await settle(session)
    stored = sandbox.state.tables["calls"][call.id]
    assert (stored["call_result"], stored["text"]) == ("left_message", "Rang twice")  # both kept: no clash
    assert not session.outbox.review()


async def test_a_meeting_moved_and_undone(session, sandbox) -> None:
    contact = await contact_with_history(session, sandbox)
    [meeting] = [m for m in contact.meetings if m.place == "Cork"]
    later = meeting.meeting_time + dt.timedelta(days=1, hours=2)
    await contact.edit_history(meeting, MeetingChanges(text="Demo", place="Galway", meeting_time=later))
    assert contact.history_item(MEETINGS, meeting.id).place == "Galway"
    await settle(session)
    stored = sandbox.state.tables["meetings"][meeting.id]
    assert (stored["place"], stored["meeting_time_int"], stored["text"]) == ("Galway", int(later.timestamp()), "Demo")
    await contact.undo()
    await settle(session)
    stored = sandbox.state.tables["meetings"][meeting.id]
    assert (stored["place"], stored["meeting_time_int"]) == ("Cork", int(meeting.meeting_time.timestamp()))


@pytest.mark.parametrize("section", [NOTES, CALLS, MEETINGS])
async def test_a_deleted_item_leaves_at_once_and_u_makes_it_again(session, sandbox, section: str) -> None:
    contact = await contact_with_history(session, sandbox)
    item = next(i for i in contact.history[section] if i.text in ("Met at the fair", "Rang", "Demo"))
    before = len(contact.history[section])
    session.outbox.pause("offline for the test")
    await contact.delete_history(item)
    assert contact.history_item(section, item.id) is None and len(contact.history[section]) == before - 1
    assert item.id in sandbox.state.tables[section]
    session.outbox.resume()
    await settle(session)
    assert item.id not in sandbox.state.tables[section]

    await contact.undo()
    await settle(session)
    again = [d for d in sandbox.state.tables[section].values() if d["contact_id"] == contact.contact_id and d["text"] == item.text]
    assert len(again) == 1 and any(i.id == again[0]["id"] for i in contact.history[section])


async def test_a_deal_edited_on_the_contact_page_shows_at_once_and_its_total_follows(session, sandbox) -> None:
    contact = await contact_with_history(session, sandbox)
    [deal] = [d for d in contact.deals if d.name == "Licences"]
    session.outbox.pause("offline for the test")
    await contact.edit_deal(deal, DealChanges(name="Licences, 20 seats", amount=1500.0, months=12))
    shown = contact.history_item(DEALS, deal.id)
    assert (shown.name, shown.total_amount) == ("Licences, 20 seats", 18000.0)  # at once
    session.outbox.resume()
    await settle(session)
    stored = sandbox.state.tables["deals"][deal.id]
    assert (stored["name"], stored["amount"], stored["months"], stored["status"]) == ("Licences, 20 seats", 1500.0, 12, "pending")

    await contact.edit_deal(contact.history_item(DEALS, deal.id), DealChanges(status=DealStatus.LOST))
    await settle(session)
    assert sandbox.state.tables["deals"][deal.id]["status"] == "lost"
    assert contact.history_item(DEALS, deal.id).close_date is not None
    await contact.undo()
    await settle(session)
    assert sandbox.state.tables["deals"][deal.id]["status"] == "pending"
    with pytest.raises(CommandRefused, match="Nothing changed"):
        await contact.edit_deal(contact.history_item(DEALS, deal.id), DealChanges())


async def test_a_deleted_won_deal_comes_back_won_with_u(session, sandbox) -> None:
    contact = await contact_with_history(session, sandbox)
    [deal] = [d for d in contact.deals if d.name == "Licences"]
    await contact.edit_deal(deal, DealChanges(status=DealStatus.WON))
    await settle(session)
    won = contact.history_item(DEALS, deal.id)
    await contact.delete_history(won)
    assert contact.history_item(DEALS, deal.id) is None  # at once
    await settle(session)
    assert deal.id not in sandbox.state.tables["deals"]
    await contact.undo()
    await settle(session)
    [again] = [d for d in sandbox.state.tables["deals"].values() if d["contact_id"] == contact.contact_id and d["name"] == "Licences"]
    assert (again["status"], again["close_date"], again["amount"]) == ("won", won.close_date.isoformat(), 1000.0)

"""Session triage commands against the real OnePageCRM sandbox: through the outbox, undoable, reverting."""

from __future__ import annotations

import datetime as dt

import pytest

from crmtui.backends.errors import ServerError
from crmtui.backends.registry import Connection, create_backend
from crmtui.domain.models import ActionStatus, StreamEntry
from crmtui.domain.stream import section, sort_key
from crmtui.service import CommandRefused, Session
from crmtui.service.outbox import FAILED, RETRYING, Outbox, OutboxEvent
from crmtui.store import State
from tests.support.waits import HANG_GUARD, until

TODAY = dt.date(2026, 3, 10)  # the sandbox fixture's today


def clock() -> dt.datetime:
    return dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
async def session(sandbox):
    backend = create_backend(
        Connection(backend="onepagecrm", base_url=sandbox.base_url, user_id=sandbox.user_id, api_key=sandbox.api_key)
    )
    s = Session(backend, clock=clock, outbox=Outbox(backend, base_delay=0.05, max_delay=0.5))
    await s.connect()
    await s.load_stream()
    yield s
    await s.close()


async def settle(session: Session) -> None:
    assert await session.settled(HANG_GUARD), "the outbox did not drain"


async def blank_contact(session: Session, index: int = 0) -> StreamEntry:
    """A contact from the stream with all its actions deleted (built through the public API)."""
    entry = session.entries[index]
    for action in await session.backend.contact_actions(entry.contact.id):
        if not action.done:
            await session.backend.delete_action(action.id)
    fresh = await session.refresh_entry(entry.contact.id)
    assert fresh is not None and fresh.next_action is None and not fresh.queued_actions
    return fresh


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


async def test_stream_loads_in_onepagecrm_order(session: Session) -> None:
    assert session.account is not None and session.account.user.id
    assert len(session.entries) > 10
    keys = [sort_key(e, session.today(), user_id=session.stream_user_id, now=session.now()) for e in session.entries]
    assert keys == sorted(keys)


async def test_done_then_next_action_and_undo(session: Session) -> None:
    entry = await blank_contact(session)
    cid = entry.contact.id
    await session.add_action(cid, "Send proposal", ActionStatus.DATE, days(2))
    shown = session.entry(cid).next_action
    assert shown is not None and shown.text == "Send proposal" and shown.id.startswith("local-")  # at once
    await settle(session)
    first = session.entry(cid).next_action
    assert first is not None and first.text == "Send proposal" and not first.id.startswith("local-")  # re-read

    await session.mark_done(cid)
    assert session.entry(cid).next_action is None
    await session.add_action(cid, "Follow up on proposal", ActionStatus.DATE, days(7))
    assert session.entry(cid).next_action.text == "Follow up on proposal"
    await settle(session)

    # undo the add, then undo the completion: the original action is back as next action
    await session.undo()
    assert session.entry(cid).next_action is None
    await settle(session)
    await session.undo()
    await settle(session)
    restored = session.entry(cid).next_action
    assert restored is not None and restored.id == first.id and not restored.done
    assert restored.status is ActionStatus.DATE and restored.date == days(2)
    await session.undo()  # the very first add: the action is deleted again
    assert session.entry(cid).next_action is None
    await settle(session)
    assert all(a.id != first.id for a in await session.backend.contact_actions(cid))
    with pytest.raises(CommandRefused, match="Nothing to undo"):
        await session.undo()


async def test_done_on_contact_without_action_is_refused(session: Session) -> None:
    entry = await blank_contact(session)
    with pytest.raises(CommandRefused, match="no next action"):
        await session.mark_done(entry.contact.id)


async def test_promote_queued_action(session: Session) -> None:
    entry = await blank_contact(session)
    cid = entry.contact.id
    await session.add_action(cid, "Queued call", ActionStatus.QUEUED)
    queued = session.entry(cid).queued_actions
    assert [a.text for a in queued] == ["Queued call"] and session.entry(cid).next_action is None

    await session.promote(cid)
    promoted = session.entry(cid)
    assert promoted.next_action is not None and promoted.next_action.text == "Queued call"
    assert not promoted.queued_actions

    await session.add_action(cid, "Another", ActionStatus.QUEUED)
    with pytest.raises(CommandRefused, match="already has a next action"):
        await session.promote(cid)


async def test_swap_brings_earlier_queued_action_forward(session: Session) -> None:
    entry = await blank_contact(session)
    cid = entry.contact.id
    await session.add_action(cid, "Later meeting", ActionStatus.DATE, days(10))
    await session.add_action(cid, "Earlier call", ActionStatus.QUEUED_WITH_DATE, days(3))
    current = session.entry(cid)
    assert current.next_action.text == "Later meeting"
    assert [a.text for a in current.conflicts] == ["Earlier call"]

    await session.swap(cid)
    swapped = session.entry(cid)
    assert swapped.next_action.text == "Earlier call" and swapped.next_action.date == days(3)
    assert "Later meeting" in [a.text for a in swapped.queued_actions]
    assert not swapped.conflicts


async def test_swap_refused_without_conflict(session: Session) -> None:
    entry = await blank_contact(session)
    cid = entry.contact.id
    await session.add_action(cid, "Soon", ActionStatus.DATE, days(2))
    await session.add_action(cid, "Much later", ActionStatus.QUEUED_WITH_DATE, days(20))
    before = session.entry(cid).model_copy(deep=True)
    with pytest.raises(CommandRefused, match="No conflict: the queued action is not dated before the next action"):
        await session.swap(cid)
    with pytest.raises(CommandRefused, match="No conflict"):
        await session.swap(cid, before.queued_actions[0])
    assert session.entry(cid) == before


async def test_toggle_star_and_undo(session: Session) -> None:
    entry = session.entries[0]
    cid, was = entry.contact.id, entry.contact.starred
    await session.toggle_star(cid)
    assert session.entry(cid).contact.starred is (not was)
    await settle(session)
    assert (await session.backend.get_contact(cid)).starred is (not was)
    await session.undo()
    await settle(session)
    assert (await session.backend.get_contact(cid)).starred is was
    assert session.entry(cid).contact.starred is was


async def test_reassign_moves_action_out_of_my_stream(session: Session) -> None:
    assert session.account.team, "sandbox should have team members"
    mate = session.account.team[0].id
    entry = await blank_contact(session)
    cid = entry.contact.id
    await session.add_action(cid, "Hand over", ActionStatus.ASAP)
    await settle(session)
    action = session.entry(cid).next_action
    await session.reassign(cid, action, mate)
    assert session.entry(cid) is None or session.entry(cid).next_action is None
    await settle(session)
    server = [a for a in await session.backend.contact_actions(cid) if a.id == action.id]
    assert server and server[0].assignee_id == mate


async def test_edit_action_text_and_undo(session: Session) -> None:
    entry = await blank_contact(session)
    cid = entry.contact.id
    await session.add_action(cid, "Draft", ActionStatus.DATE, days(4))
    action = session.entry(cid).next_action
    await session.edit_action(cid, action, text="Final", date=days(5))
    edited = session.entry(cid).next_action
    assert (edited.text, edited.date) == ("Final", days(5))
    await session.undo()
    back = session.entry(cid).next_action
    assert (back.text, back.date) == ("Draft", days(4))


async def test_a_server_error_keeps_the_change_and_sends_it_when_the_server_recovers(session: Session, sandbox) -> None:
    entry = session.entries[0]
    cid, was = entry.contact.id, entry.contact.starred
    seen: list[bool] = []
    events: list[OutboxEvent] = []
    session.outbox.subscribe(events.append)
    session.subscribe(lambda entries: seen.append(next(e for e in entries if e.contact.id == cid).contact.starred))
    sandbox.options.fail_rate = 1.0
    try:
        await session.toggle_star(cid)
        assert seen == [not was], "shown at once, once"
        await until(lambda: any(e.kind == RETRYING for e in events), "a failed attempt")
        assert isinstance(events[-1].error, ServerError)
        assert session.entry(cid).contact.starred is (not was)  # still shown as made
        assert session.outbox.pending == 1 and session.can_undo
    finally:
        sandbox.options.fail_rate = 0.0
    await settle(session)
    assert (await session.backend.get_contact(cid)).starred is (not was)
    assert session.entry(cid).contact.starred is (not was) and session.outbox.pending == 0


async def test_a_change_the_server_refuses_goes_back_and_waits_for_review(session: Session) -> None:
    entry = await blank_contact(session)
    cid = entry.contact.id
    await session.add_action(cid, "Call back", ActionStatus.ASAP)
    await settle(session)
    before = session.entry(cid).model_copy(deep=True)
    depth = len(session.undo_stack)
    await session.backend.delete_action(before.next_action.id)  # gone behind the app's back
    failures: list[OutboxEvent] = []
    session.outbox.subscribe(lambda e: failures.append(e) if e.kind == FAILED else None)

    await session.mark_done(cid)
    assert session.entry(cid).next_action is None  # shown at once
    await settle(session)
    assert len(failures) == 1 and "not found" in failures[0].error.user_message.lower()
    assert len(session.undo_stack) == depth  # a refused change is not undoable
    [(change, command)] = session.outbox.review()
    assert change.state is State.FAILED and change.error == failures[0].error.user_message
    assert command.kind == "mark_done"
    # the row shows the server's state again: re-read after the refusal (the action is gone)
    assert session.entry(cid) is None or session.entry(cid).next_action is None


async def test_sections_cover_the_seeded_stream(session: Session) -> None:
    found = {section(e, session.today(), user_id=session.stream_user_id, now=session.now()) for e in session.entries}
    assert len(found) >= 4


async def test_swap_undo_restores_previous_next_action(session: Session) -> None:
    entry = await blank_contact(session)
    cid = entry.contact.id
    await session.add_action(cid, "Later meeting", ActionStatus.DATE, days(10))
    await session.add_action(cid, "Earlier call", ActionStatus.QUEUED_WITH_DATE, days(3))
    await session.swap(cid)
    await session.undo()
    back = session.entry(cid)
    assert back.next_action.text == "Later meeting" and back.next_action.date == days(10)
    assert [a.text for a in back.queued_actions] == ["Earlier call"]
    assert [a.text for a in back.conflicts] == ["Earlier call"]


async def test_promote_undo_requeues(session: Session) -> None:
    entry = await blank_contact(session)
    cid = entry.contact.id
    await session.add_action(cid, "Queued dated", ActionStatus.QUEUED_WITH_DATE, days(6))
    await session.promote(cid)
    assert session.entry(cid).next_action.status is ActionStatus.DATE
    await session.undo()
    back = session.entry(cid)
    assert back.next_action is None
    assert [(a.text, a.status) for a in back.queued_actions] == [("Queued dated", ActionStatus.QUEUED_WITH_DATE)]


async def test_a_failed_promote_goes_back_at_once_and_keeps_the_servers_reason(session: Session) -> None:
    entry = await blank_contact(session)
    cid = entry.contact.id
    await session.add_action(cid, "Queued call", ActionStatus.QUEUED)
    await settle(session)
    queued = session.entry(cid).queued_actions[0]
    await session.backend.create_action(cid, "Made in the web app", ActionStatus.ASAP)  # now it has a next action
    shown: list[str | None] = []
    session.subscribe(lambda entries: shown.append(next((e.next_action.text if e.next_action else None) for e in entries if e.contact.id == cid)))

    await session.promote(cid, queued)
    await settle(session)
    assert shown[0] == "Queued call"  # the prediction showed first
    [(change, _command)] = session.outbox.review()
    assert change.state is State.FAILED and change.error
    server = await session.backend.stream_entry(cid)
    assert server.next_action.text == "Made in the web app"
    assert session.entry(cid).next_action.text == "Made in the web app"  # the server's state is shown


async def test_undo_before_sending_takes_the_change_back_without_a_request(session: Session, sandbox) -> None:
    entry = session.entries[0]
    cid, was = entry.contact.id, entry.contact.starred
    session.outbox.pause("test")  # nothing leaves
    await session.toggle_star(cid)
    assert session.entry(cid).contact.starred is (not was) and session.outbox.pending == 1
    await session.undo()
    assert session.entry(cid).contact.starred is was and session.outbox.pending == 0
    session.outbox.resume()
    await settle(session)
    assert (await session.backend.get_contact(cid)).starred is was
    assert session.outbox.sent_count == 0


async def test_refused_command_sends_nothing(session: Session, sandbox) -> None:
    entry = await blank_contact(session)
    cid = entry.contact.id
    sandbox.options.fail_rate = 1.0  # any request would fail; a refusal must not reach the server
    try:
        with pytest.raises(CommandRefused, match="needs some text"):
            await session.add_action(cid, "   ", ActionStatus.ASAP)
        with pytest.raises(CommandRefused, match="no queued action"):
            await session.promote(cid)
    finally:
        sandbox.options.fail_rate = 0.0


async def test_load_stream_reports_progress(session: Session) -> None:
    calls: list[tuple[int, int]] = []
    await session.load_stream(on_progress=lambda done, total: calls.append((done, total)))
    assert len(session.entries) > 0
    if calls:  # the client reports progress per page
        assert calls[-1][0] == calls[-1][1]


async def test_first_load_shows_the_most_urgent_page_before_the_rest(sandbox) -> None:
    backend = create_backend(
        Connection(backend="onepagecrm", base_url=sandbox.base_url, user_id=sandbox.user_id, api_key=sandbox.api_key)
    )
    s = Session(backend, clock=clock)
    shown: list[list[str]] = []
    s.subscribe(lambda entries: shown.append([e.contact.id for e in entries]))
    try:
        await s.connect()
        await s.load_stream()
        assert len(shown) == 2 and len(shown[0]) == 100 < len(shown[1])  # page 1 at once, then all
        assert set(shown[0]) <= set(shown[1])
        await s.load_stream()  # a refresh replaces the list once, when all of it is in
        assert len(shown) == 3 and shown[2] == shown[1]
    finally:
        await s.close()

"""Session triage commands against the real OnePageCRM sandbox: optimistic, undoable, reverting."""

from __future__ import annotations

import datetime as dt

import pytest

from crmtui.backends.errors import BackendError
from crmtui.backends.registry import Connection, create_backend
from crmtui.domain.models import ActionStatus, StreamEntry
from crmtui.domain.stream import section, sort_key
from crmtui.service import CommandRefused, Session

TODAY = dt.date(2026, 3, 10)  # the sandbox fixture's today


def clock() -> dt.datetime:
    return dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
async def session(sandbox):
    backend = create_backend(
        Connection(backend="onepagecrm", base_url=sandbox.base_url, user_id=sandbox.user_id, api_key=sandbox.api_key)
    )
    s = Session(backend, clock=clock)
    await s.connect()
    await s.load_stream()
    yield s
    await s.close()


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
    first = session.entry(cid).next_action
    assert first is not None and first.text == "Send proposal" and not first.id.startswith("local-")

    await session.mark_done(cid)
    assert session.entry(cid).next_action is None
    await session.add_action(cid, "Follow up on proposal", ActionStatus.DATE, days(7))
    assert session.entry(cid).next_action.text == "Follow up on proposal"

    # undo the add, then undo the completion: the original action is back as next action
    await session.undo()
    assert session.entry(cid).next_action is None
    await session.undo()
    restored = session.entry(cid).next_action
    assert restored is not None and restored.id == first.id and not restored.done
    assert restored.status is ActionStatus.DATE and restored.date == days(2)
    await session.undo()  # the very first add: the action is deleted again
    assert session.entry(cid).next_action is None
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
    assert (await session.backend.get_contact(cid)).starred is (not was)
    await session.undo()
    assert (await session.backend.get_contact(cid)).starred is was
    assert session.entry(cid).contact.starred is was


async def test_reassign_moves_action_out_of_my_stream(session: Session) -> None:
    assert session.account.team, "sandbox should have team members"
    mate = session.account.team[0].id
    entry = await blank_contact(session)
    cid = entry.contact.id
    await session.add_action(cid, "Hand over", ActionStatus.ASAP)
    action = session.entry(cid).next_action
    await session.reassign(cid, action, mate)
    assert session.entry(cid) is None or session.entry(cid).next_action is None
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


async def test_server_failure_reverts_optimistic_change(session: Session, sandbox) -> None:
    entry = session.entries[0]
    cid = entry.contact.id
    before = session.entry(cid).model_copy(deep=True)
    seen: list[bool] = []
    session.subscribe(lambda entries: seen.append(next(e for e in entries if e.contact.id == cid).contact.starred))
    sandbox.options.fail_rate = 1.0
    try:
        with pytest.raises(BackendError) as caught:
            await session.toggle_star(cid)
    finally:
        sandbox.options.fail_rate = 0.0
    assert caught.value.user_message
    assert seen[0] is (not before.contact.starred), "the change was shown optimistically first"
    assert session.entry(cid) == before
    assert not session.can_undo
    assert (await session.backend.get_contact(cid)).starred is before.contact.starred


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


async def test_failed_mark_done_reverts_and_server_unchanged(session: Session, sandbox) -> None:
    entry = await blank_contact(session)
    cid = entry.contact.id
    await session.add_action(cid, "Call back", ActionStatus.ASAP)
    before = session.entry(cid).model_copy(deep=True)
    depth = len(session.undo_stack)
    sandbox.options.fail_rate = 1.0
    try:
        with pytest.raises(BackendError):
            await session.mark_done(cid)
    finally:
        sandbox.options.fail_rate = 0.0
    assert session.entry(cid) == before
    assert len(session.undo_stack) == depth
    server = await session.backend.stream_entry(cid)
    assert server.next_action.id == before.next_action.id and not server.next_action.done


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

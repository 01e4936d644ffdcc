"""The team stream and notification services against the real sandbox (no mocks)."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from crmtui.backends.errors import RateLimited, ServerError
from crmtui.backends.registry import Connection, create_backend
from crmtui.domain.models import ActionStatus, Notification
from crmtui.sandbox.onepagecrm import rules
from crmtui.service import CommandRefused, Session
from crmtui.service.notifications import Inbox, detail, type_label
from crmtui.service.outbox import RETRYING, Outbox
from crmtui.service.team import TeamStream
from tests.support.waits import HANG_GUARD, until

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.timezone.utc)


def backend_as(sandbox, index: int = 0):
    user = sandbox.users[index]
    return create_backend(
        Connection(backend="onepagecrm", base_url=sandbox.base_url, user_id=user.user_id, api_key=user.api_key)
    )


@pytest.fixture
async def main(sandbox):
    backend = backend_as(sandbox)
    session = Session(backend, clock=lambda: NOW, outbox=Outbox(backend, base_delay=0.05, max_delay=0.5))
    await session.connect()
    await session.load_stream()
    yield session
    await session.close()


@pytest.fixture
async def team(main):
    stream = TeamStream(main)
    await stream.connect()
    return stream


def colleague(sandbox, index: int = 1) -> str:
    return sandbox.users[index].user_id


async def settle(session: Session) -> None:
    assert await session.settled(HANG_GUARD), "the outbox did not drain"


async def retrying(session: Session) -> list:
    """Collects the errors of attempts the outbox will repeat; returns once there is one."""
    errors: list = []
    session.outbox.subscribe(lambda e: errors.append(e.error) if e.kind == RETRYING else None)
    return errors


# -- the backend ---------------------------------------------------------------------------------


async def test_team_counts_match_the_servers_counters(sandbox, main) -> None:
    counts = await main.backend.team_counts()
    expected = rules.team_counts(sandbox.state)
    assert counts.all == expected["all"] > 0
    assert counts.per_user == {u["user_id"]: u["counts"] for u in expected["users"]}
    assert len(counts.per_user) == len(sandbox.users)


async def test_whole_account_stream_has_every_contact_with_its_most_urgent_action(sandbox, main) -> None:
    entries = await main.backend.team_stream_all(user_id=None)
    state = sandbox.state
    assert {e.contact.id for e in entries} == set(state.tables["contacts"])
    someone_else = 0
    for entry in entries:
        nxt, _nexts, _queued, _conflicts = rules.entry_parts(state, state.tables["contacts"][entry.contact.id], None)
        assert (entry.next_action.id if entry.next_action else None) == (nxt["id"] if nxt else None)
        if entry.next_action is not None and entry.next_action.assignee_id != main.user_id:
            someone_else += 1
    assert someone_else > 10  # not just the signed-in user's actions


async def test_a_colleagues_stream_is_theirs(sandbox, main) -> None:
    other = colleague(sandbox, 2)
    entries = await main.backend.team_stream_all(user_id=other)
    expected = {cid for _key, cid in rules.stream_order(sandbox.state, other)}
    assert {e.contact.id for e in entries} == expected
    nexts = [e.next_action for e in entries if e.next_action is not None]
    assert nexts and all(a.assignee_id == other for a in nexts)


async def test_whole_account_entry_agrees_with_the_listing(main) -> None:
    listed = {e.contact.id: e for e in await main.backend.team_stream_all(user_id=None)}
    checked = 0
    for entry in list(listed.values())[:40]:
        fresh = await main.backend.team_stream_entry(entry.contact.id, user_id=None)
        assert fresh is not None
        assert (fresh.next_action.id if fresh.next_action else None) == (
            entry.next_action.id if entry.next_action else None
        )
        assert {a.id for a in fresh.queued_actions} == {a.id for a in entry.queued_actions}
        checked += 1
    assert checked == 40


# -- TeamStream ----------------------------------------------------------------------------------


async def test_viewing_a_colleague_never_touches_the_main_stream(sandbox, main, team) -> None:
    before = list(main.entries)
    other = colleague(sandbox)
    team.view(other)
    await team.load_stream()
    await team.load_counts()
    assert team.loaded and team.viewing == other and team.entries
    assert main.entries == before and main.stream_user_id == main.user_id
    members = team.members()
    assert members[0].user_id is None and members[0].count == team.counts.all
    assert [m.user_id for m in members[1:]] == [u.user_id for u in sandbox.users]
    assert team.viewing_name() == f"{sandbox.users[1].first_name} {sandbox.users[1].last_name}"


async def test_completing_or_swapping_a_colleagues_action_is_refused_before_sending(sandbox, team) -> None:
    other = colleague(sandbox, 3)
    team.view(other)
    await team.load_stream()
    entry = next(e for e in team.entries if e.next_action is not None and e.next_action.assignee_id == other)
    with pytest.raises(CommandRefused, match="can complete their next action"):
        await team.mark_done(entry.contact.id)
    with pytest.raises(CommandRefused, match="can swap"):
        await team.swap(entry.contact.id)
    server = sandbox.state.tables["actions"][entry.next_action.id]
    assert not server["done"] and server["status"] == entry.next_action.status.value


async def test_reassigning_on_the_team_stream_moves_counters_and_tells_the_new_assignee(sandbox, main, team) -> None:
    await team.load_counts()
    await team.load_stream()  # everyone
    me, other = main.user_id, colleague(sandbox)
    entry = next(e for e in team.entries if e.next_action is not None and e.next_action.assignee_id == me)
    before = team.counts.per_user[other]
    await team.reassign(entry.contact.id, entry.next_action.id, other)
    await settle(team)
    assert sandbox.state.tables["actions"][entry.next_action.id]["assignee_id"] == other
    assert team.counts.per_user[other] >= before  # refreshed from the server after the change
    assert team.counts.per_user == {u["user_id"]: u["counts"] for u in rules.team_counts(sandbox.state)["users"]}
    assert team.entry(entry.contact.id).next_action.assignee_id == other
    told = [n for n in sandbox.state.tables["notifications"].values() if n["user_id"] == other and n["contact_id"] == entry.contact.id]
    assert told and told[-1]["type"] == "assigned_action"
    await team.undo()
    await settle(team)
    assert sandbox.state.tables["actions"][entry.next_action.id]["assignee_id"] == me


async def test_adding_on_a_colleagues_stream_makes_the_action_theirs(sandbox, team) -> None:
    other = colleague(sandbox, 4)
    team.view(other)
    await team.load_stream()
    entry = team.entries[0]
    await team.add_action(entry.contact.id, "Bring samples", ActionStatus.ASAP, assignee_id=other)
    await settle(team)
    created = [a for a in sandbox.state.tables["actions"].values() if a["text"] == "Bring samples"]
    assert len(created) == 1 and created[0]["assignee_id"] == other


async def test_switching_streams_while_one_loads_keeps_the_newest_choice(sandbox, team) -> None:
    team.view(colleague(sandbox, 1))
    held = sandbox.gate.hold("GET", "/api/v3/team_stream")
    first = asyncio.ensure_future(team.load_stream())
    await held.parked(1)  # the first request is on its way
    team.view(colleague(sandbox, 2))
    held.release()
    await first  # answered for the first choice after the second was made
    assert not team.loaded and team.entries == []
    await team.load_stream()
    assert team.loaded and team.viewing == colleague(sandbox, 2)


# -- Inbox ---------------------------------------------------------------------------------------


@pytest.fixture
async def inbox(main):
    box = Inbox(main)
    await box.load()
    return box


async def settle_inbox(inbox: Inbox) -> None:
    await settle(inbox.session)


async def test_inbox_lists_newest_first_with_unread_count(inbox) -> None:
    assert len(inbox.items) == 15 and inbox.unread == 6
    times = [n.created_at for n in inbox.items]
    assert times == sorted(times, reverse=True)
    assert all(not n.read for n in inbox.items[:6])


async def test_mark_read_is_optimistic_and_reaches_the_server(sandbox, inbox) -> None:
    seen: list[int] = []
    inbox.subscribe(lambda items: seen.append(sum(1 for n in items if not n.read)))
    first = inbox.items[0]
    assert await inbox.mark_read(first.id) is True
    assert seen[0] == 5  # shown before the server answered
    await settle_inbox(inbox)
    assert sandbox.state.tables["notifications"][first.id]["read"] is True
    assert await inbox.mark_read(first.id) is False


async def test_a_mark_the_server_cannot_take_now_stays_read_and_goes_through_later(sandbox, inbox) -> None:
    errors = await retrying(inbox.session)
    sandbox.options.fail_rate = 1.0
    first = inbox.items[0]
    try:
        await inbox.mark_read(first.id)
        await until(lambda: errors, "a failed attempt")
        assert isinstance(errors[0], ServerError)
        assert inbox.find(first.id).read and inbox.unread == 5  # still shown as made
        assert sandbox.state.tables["notifications"][first.id]["read"] is False
    finally:
        sandbox.options.fail_rate = 0.0
    await settle_inbox(inbox)
    assert sandbox.state.tables["notifications"][first.id]["read"] is True and inbox.unread == 5


async def test_mark_all_read_waits_out_throttling(sandbox, inbox) -> None:
    errors = await retrying(inbox.session)
    sandbox.options.throttle_rate = 1.0
    sandbox.options.retry_after = 0
    try:
        assert await inbox.mark_all_read() == 6
        assert inbox.unread == 0
        await until(lambda: errors, "a failed attempt")
        assert isinstance(errors[0], RateLimited)
    finally:
        sandbox.options.throttle_rate = 0.0
    await settle_inbox(inbox)
    assert inbox.unread == 0
    assert not [n for n in sandbox.state.tables["notifications"].values() if n["user_id"] == sandbox.user_id and not n["read"]]
    assert await inbox.mark_all_read() == 0


async def test_a_reload_racing_a_mark_keeps_it_read(sandbox, inbox) -> None:
    first = inbox.items[0]
    held = sandbox.gate.hold("POST", "/api/v3/notifications/*/mark_as_read")
    await inbox.mark_read(first.id)
    await held.parked(1)  # on its way
    await inbox.load()  # answered before the mark reached the server
    assert sandbox.state.tables["notifications"][first.id]["read"] is False
    assert inbox.find(first.id).read
    held.release()
    await settle_inbox(inbox)
    assert inbox.find(first.id).read


async def test_contact_names_are_looked_up_once(sandbox, inbox) -> None:
    ids = [n.contact_id for n in inbox.items]
    assert await inbox.load_names(ids) is True
    contacts = sandbox.state.tables["contacts"]
    for cid in ids:
        assert inbox.contact_name(cid) == f"{contacts[cid]['first_name']} {contacts[cid]['last_name']}"
    assert await inbox.load_names(ids) is False  # nothing left to look up


def test_type_labels_and_detail() -> None:
    assert type_label("assigned_action") == "Action assigned"
    assert type_label("webhook_fired") == "webhook_fired"  # unknown types as the server names them
    synthesized = Notification(id="1", text="Action assigned to you Call back", title="Action assigned to you", body="Call back")
    assert detail(synthesized) == "Call back"
    assert detail(Notification(id="2", text="Priya called Noah", title="Call", body="x")) == "Priya called Noah"

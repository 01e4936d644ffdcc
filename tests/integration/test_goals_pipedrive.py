"""Goals on the real Pipedrive sandbox over loopback: the goals family (mine and everyone's, the
progress of a period equal to what the sandbox counts from its event log, moving with its clock),
the cache answering offline with the last goals and progress known, and the goal writes through the
outbox: a new goal made once after a lost answer, an edit, a delete."""

from __future__ import annotations

import datetime as dt

import pytest

from crmtui.domain.goals import GoalDraft, period_containing
from crmtui.sandbox.pipedrive import goals as sandbox_goals
from crmtui.service.cached import CachedBackend, flush_cache_writes
from crmtui.service.errors import CommandRefused
from crmtui.service.goal_commands import UpdateGoal
from crmtui.service.goals import GoalsBoard
from crmtui.store import Cache, identity
from tests.support.pipedrive_sessions import NOW, backend_for, open_session
from tests.support.waits import HANG_GUARD, until

MARCH = period_containing(NOW.date(), "monthly")


def docs(sandbox) -> dict[str, dict]:
    return dict(sandbox.state.tables["goals"])


def counted(sandbox, goal_id: str, start: dt.date, end: dt.date) -> int:
    """What the sandbox counts for the goal in the period (its own rule, from its event log)."""
    return sandbox_goals.progress(sandbox.state, docs(sandbox)[goal_id], start.isoformat(), end.isoformat())


# -- the family ----------------------------------------------------------------------------------------


async def test_mine_are_the_users_own_and_everyones_add_the_others(unlimited) -> None:
    backend = backend_for(unlimited)
    try:
        me = (await backend.connect()).user.id
        api = backend.features.goals
        assert api is not None
        mine = await api.goals()
        everyone = await api.goals(everyone=True)
        active = {gid for gid, doc in docs(unlimited).items() if doc["duration"]["end"] is None or doc["duration"]["end"] >= "2026-03-10"}
        assert {g.id for g in everyone} == active
        assert {g.id for g in mine} < active
        assert all(g.owner_id == me or g.assignee_id == me for g in mine)
        calls = next(g for g in everyone if g.title == "Calls done")
        assert calls.id not in {g.id for g in mine}  # the other user's
        assert (calls.type, calls.interval, calls.target, calls.metric, calls.assignee_type) == (
            "activities_completed", "weekly", 3.0, "quantity", "person"
        )
        assert all(len(g.id) == 32 for g in everyone)
    finally:
        await backend.close()


async def test_results_equal_what_the_sandbox_counts_for_the_period(unlimited) -> None:
    backend = backend_for(unlimited)
    try:
        await backend.connect()
        api = backend.features.goals
        assert api is not None
        for goal in await api.goals(everyone=True):
            span = period_containing(NOW.date(), goal.interval)
            found = await api.results(goal.id, span.start, span.end)
            assert found.progress == counted(unlimited, goal.id, span.start, span.end), goal.title
            assert found.target == goal.target and (found.start, found.end) == (span.start, span.end)
        revenue = next(g for g in await api.goals(everyone=True) if g.title == "Company revenue")
        last_quarter = period_containing(dt.date(2025, 12, 1), "quarterly")
        past = await api.results(revenue.id, last_quarter.start, last_quarter.end)
        assert past.progress == counted(unlimited, revenue.id, last_quarter.start, last_quarter.end) > 0
    finally:
        await backend.close()


async def test_progress_grows_with_the_sandbox_clock(unlimited) -> None:
    backend = backend_for(unlimited)
    try:
        await backend.connect()
        api = backend.features.goals
        assert api is not None
        started = next(g for g in await api.goals(everyone=True) if g.title == "Closers' pipeline")
        before = await api.results(started.id, MARCH.start, MARCH.end)
        unlimited.advance(10 * 86_400)
        after = await api.results(started.id, MARCH.start, MARCH.end)
        assert after.progress == counted(unlimited, started.id, MARCH.start, MARCH.end) > before.progress
    finally:
        await backend.close()


async def test_the_cache_answers_offline_with_the_last_goals_and_progress(unlimited, tmp_path) -> None:
    owner = identity(unlimited.base_url, "pd")
    cache = Cache(tmp_path / "cache.sqlite3", owner=owner).open()
    online = CachedBackend(backend_for(unlimited), cache)
    try:
        await online.connect()
        api = online.features.goals
        assert api is not None
        goals = await api.goals()
        progress = await api.results(goals[0].id, MARCH.start, MARCH.end)
        await flush_cache_writes()
    finally:
        await online.close()
    offline = CachedBackend(backend_for(unlimited), cache, offline=True)
    try:
        api = offline.features.goals
        assert api is not None
        assert await api.goals() == goals
        assert await api.results(goals[0].id, MARCH.start, MARCH.end) == progress
        with pytest.raises(Exception, match="not in the local cache"):
            await api.goals(everyone=True)  # never read: nothing to show
    finally:
        await offline.close()
        cache.close()


# -- through the outbox ----------------------------------------------------------------------------------


async def test_a_new_goal_is_shown_at_once_and_made_once_after_a_lost_answer(unlimited, tmp_path) -> None:
    session = await open_session(unlimited, tmp_path)
    board = GoalsBoard(session)
    await board.load()
    draft = GoalDraft(title="Demos booked", type="activities_added", interval="weekly", start=MARCH.start, target=12)
    unlimited.options.lose_rate = 1.0  # the goal is made, its answer dropped
    try:
        shown = await board.create(draft)
        assert shown is not None and shown.title == "Demos booked" and board.pending(shown.id)
        await until(lambda: session.outbox.retried > 0, "the goal made and its answer lost")
    finally:
        unlimited.options.lose_rate = 0.0
    assert await session.settled(HANG_GUARD)
    made = [doc for doc in docs(unlimited).values() if doc["title"] == "Demos booked"]
    assert len(made) == 1 and session.outbox.reconciled >= 1
    assert made[0]["assignee"] == {"id": int(session.account.user.id), "type": "person"}
    assert made[0]["expected_outcome"] == {"target": 12, "tracking_metric": "quantity"}
    assert [g.id for g in board.items].count(made[0]["id"]) == 1 and not board.pending(made[0]["id"])
    await board.load_progress()  # its progress can be read now it has the server's id
    week = period_containing(NOW.date(), "weekly")
    found = board.progress_of(board.find(made[0]["id"]))
    assert found is not None and found.progress == counted(unlimited, made[0]["id"], week.start, week.end)
    board.detach()
    await session.close()


async def test_an_edit_sends_what_changed_and_a_delete_removes_the_goal(unlimited, tmp_path) -> None:
    session = await open_session(unlimited, tmp_path)
    board = GoalsBoard(session)
    await board.load()
    goal = next(g for g in board.items if g.title == "Deals won")
    assert await board.edit(goal.id, title="Deals won") is None  # nothing changed: nothing sent
    command = await board.edit(goal.id, title="Deals won (pipeline 1)", target=7, interval="quarterly")
    assert isinstance(command, UpdateGoal) and command.fields["metric"] == "quantity"
    shown = board.find(goal.id)
    assert shown is not None and (shown.title, shown.target, shown.interval) == ("Deals won (pipeline 1)", 7, "quarterly")
    assert await session.settled(HANG_GUARD)
    doc = docs(unlimited)[goal.id]
    assert (doc["title"], doc["expected_outcome"]["target"], doc["interval"]) == ("Deals won (pipeline 1)", 7, "quarterly")
    with pytest.raises(CommandRefused, match="above 0"):
        await board.edit(goal.id, target=0)
    await board.edit(goal.id, end=dt.date(2026, 12, 31))  # the end goes with the start the API needs
    assert await session.settled(HANG_GUARD)
    assert docs(unlimited)[goal.id]["duration"] == {"start": goal.start.isoformat(), "end": "2026-12-31"}
    await board.delete(goal.id)
    assert board.find(goal.id) is None  # gone from the screen at once
    assert await session.settled(HANG_GUARD)
    assert goal.id not in docs(unlimited)
    board.detach()
    await session.close()

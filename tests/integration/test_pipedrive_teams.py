"""Teams on the real Pipedrive sandbox over loopback: the teams family (list, one team, a user's
teams, the writes), who is an admin (from /users/me), the writes through the outbox with the local
cache (a new team, an edit, a member added and removed; a lost answer on a new team reconciled
without a second team), a regular user told before anything is sent and a change the server still
refuses kept for review saying why, and the last teams known offline."""

from __future__ import annotations

import pytest

from crmtui.backends.errors import PermissionDenied
from crmtui.service.cached import CachedBackend, flush_cache_writes
from crmtui.service.compose import compose
from crmtui.service.errors import CommandRefused
from crmtui.service.outbox import Outbox
from crmtui.service.team_commands import ADMINS_ONLY, AddMembers
from crmtui.service.teams import TeamsView
from tests.support.pipedrive_sessions import app_backend, clock
from tests.support.waits import HANG_GUARD, until

CLOSERS, RENEWALS, DELETED = "1", "2", "3"
TOM, ERIN = "12000235", "12000820"


async def view_on(sandbox, cache, token: str | None = None) -> TeamsView:
    pd = app_backend(sandbox, token)  # one backend: the outbox knows the server's clock from the start
    session = compose(pd, cache=cache, outbox=Outbox(pd, base_delay=0.01, max_delay=0.1), clock=clock)
    await session.connect()
    view = TeamsView(session)
    await view.load()
    return view


def server_team(sandbox, team_id: str) -> dict:
    return sandbox.state.tables["teams"][team_id]


# -- the family --------------------------------------------------------------------------------------


async def test_the_family_reads_teams_and_an_admin_writes_them(wide_burst) -> None:
    pd = app_backend(wide_burst)
    try:
        account = await pd.connect()
        assert account.is_admin  # access[app=sales].admin on /users/me
        api = pd.features.teams
        assert api is not None
        teams = await api.teams()
        assert [t.name for t in teams] == ["Closers", "Renewals"]  # the deleted team is left out
        closers = await api.team(CLOSERS)
        assert closers.manager_id == "12000118" and closers.member_ids == ["12000118", TOM, "12000352"]
        assert [t.id for t in await api.teams_of(TOM)] == [CLOSERS]
        made = await api.create_team("Expansion", TOM, description="Upsell", users=(ERIN,))
        assert made.manager_id == TOM and set(made.member_ids) == {TOM, ERIN} and made.active
        assert await api.add_users(made.id, ("12001054",)) == [TOM, ERIN, "12001054"]
        assert await api.remove_users(made.id, (ERIN,)) == [TOM, "12001054"]
        changed = await api.update_team(made.id, name="Expansion EU", active=False)
        assert changed.name == "Expansion EU" and not changed.active
        assert server_team(wide_burst, made.id)["active_flag"] == 0
    finally:
        await pd.close()


async def test_a_regular_user_reads_teams_and_the_server_refuses_their_writes(wide_burst) -> None:
    pd = app_backend(wide_burst, wide_burst.regular_token)
    try:
        account = await pd.connect()
        assert not account.is_admin
        api = pd.features.teams
        assert api is not None
        assert len(await api.teams()) == 2
        with pytest.raises(PermissionDenied, match="You do not have permissions to do this"):
            await api.create_team("Mine", account.user.id)
        with pytest.raises(PermissionDenied):
            await api.add_users(CLOSERS, (ERIN,))
        assert ERIN not in server_team(wide_burst, CLOSERS)["users"]
    finally:
        await pd.close()


# -- the service, through the outbox ---------------------------------------------------------------


async def test_an_admins_changes_show_at_once_and_reach_the_server_once(wide_burst, cache) -> None:
    view = await view_on(wide_burst, cache)
    session = view.session
    assert view.why_not() is None
    command = await view.create("Expansion", description="Upsell")
    shown = view.find(command.team_id)
    assert shown is not None and shown.member_ids == [session.account.user.id]  # before the server answered
    assert await session.settled(HANG_GUARD)
    made = [t for t in wide_burst.state.tables["teams"].values() if t["name"] == "Expansion"]
    assert len(made) == 1
    team_id = str(made[0]["id"])
    assert view.find(command.team_id).id == team_id  # the local id gave way to the server's

    await view.edit(team_id, name="Expansion EU", description="Upsell, EU")
    await view.add_member(team_id, TOM)
    assert TOM in view.find(team_id).member_ids
    assert await session.settled(HANG_GUARD)
    doc = server_team(wide_burst, team_id)
    assert (doc["name"], doc["description"]) == ("Expansion EU", "Upsell, EU") and int(TOM) in doc["users"]

    await view.remove_member(team_id, TOM)
    assert TOM not in view.find(team_id).member_ids
    with pytest.raises(CommandRefused, match="keeps its manager"):
        await view.remove_member(team_id, session.account.user.id)
    assert await session.settled(HANG_GUARD)
    assert int(TOM) not in server_team(wide_burst, team_id)["users"]
    assert session.outbox.to_review == 0
    view.detach()
    await session.close()


async def test_inactive_teams_come_after_the_active_ones(wide_burst, cache) -> None:
    view = await view_on(wide_burst, cache)
    await view.edit(CLOSERS, active=False)
    assert [t.name for t in view.items] == ["Renewals", "Closers"]
    assert await view.session.settled(HANG_GUARD)
    assert server_team(wide_burst, CLOSERS)["active_flag"] == 0
    view.detach()
    await view.session.close()


async def test_a_lost_answer_on_a_new_team_makes_one_team(wide_burst, cache) -> None:
    view = await view_on(wide_burst, cache)
    session = view.session
    wide_burst.options.lose_rate = 1.0  # the team is made, its answer dropped
    try:
        command = await view.create("Lost and found")
        await until(lambda: session.outbox.retried > 0, "the team made and its answer lost")
    finally:
        wide_burst.options.lose_rate = 0.0
    assert await session.settled(HANG_GUARD)
    made = [t for t in wide_burst.state.tables["teams"].values() if t["name"] == "Lost and found"]
    assert len(made) == 1 and session.outbox.reconciled >= 1
    assert session.outbox.server_id(command.team_id) == str(made[0]["id"])
    assert [t.id for t in view.items].count(str(made[0]["id"])) == 1
    view.detach()
    await session.close()


async def test_a_regular_user_is_told_why_before_anything_is_sent(wide_burst, cache) -> None:
    view = await view_on(wide_burst, cache, wide_burst.regular_token)
    session = view.session
    reason = view.why_not()
    assert reason is not None and reason.startswith(ADMINS_ONLY)
    clock_now = wide_burst.state.clock.seconds
    before = wide_burst.limits.spent(clock_now())
    for attempt in (view.create("Mine"), view.edit(CLOSERS, name="Ours"), view.add_member(CLOSERS, ERIN)):
        with pytest.raises(CommandRefused, match=ADMINS_ONLY):
            await attempt
    assert session.outbox.unsettled() == [] and session.outbox.to_review == 0
    assert wide_burst.limits.spent(clock_now()) == before  # not one request
    view.detach()
    await session.close()


async def test_a_change_the_server_refuses_is_kept_for_review_saying_why(wide_burst, cache) -> None:
    """The account said admin (an admin who was made a regular user since): the 403 is final."""
    view = await view_on(wide_burst, cache, wide_burst.regular_token)
    session = view.session
    refused: list[str] = []
    view.refused.subscribe(refused.append)
    await session.outbox.enqueue(AddMembers(team_id=CLOSERS, users=[ERIN], label="Add Erin to Closers"))
    session.outbox.start()
    assert await session.settled(HANG_GUARD)
    assert session.outbox.to_review == 1
    change, _command = session.outbox.review()[0]
    assert change.error.startswith(ADMINS_ONLY) and "You do not have permissions to do this." in change.error
    assert refused and refused[0] == change.error
    assert ERIN not in view.find(CLOSERS).member_ids  # the change dropped out of what is shown
    assert int(ERIN) not in server_team(wide_burst, CLOSERS)["users"]
    view.detach()
    await session.close()


async def test_offline_the_last_teams_known_are_shown(wide_burst, cache) -> None:
    view = await view_on(wide_burst, cache)
    names = [t.name for t in view.items]
    view.detach()
    await view.session.close()
    await flush_cache_writes()

    offline = CachedBackend(app_backend(wide_burst), cache, offline=True)
    api = offline.features.teams
    assert api is not None
    assert [t.name for t in await api.teams()] == names
    await offline.close()

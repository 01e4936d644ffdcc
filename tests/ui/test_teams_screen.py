"""Teams (Pipedrive, screen 2) on the real Pipedrive sandbox and client over loopback: the teams and
their members, open leads counted from the inbox (no request of their own), Enter on a member opens
the inbox on their leads, an admin's n/e/+/- through the outbox, and a regular user told that only
admins can change teams (the key bar not offering those keys)."""

from __future__ import annotations

from collections import Counter


from crmtui.ui.app import CrmApp
from crmtui.ui.modals.pickers import TeamPickerModal
from crmtui.ui.modals.team_form import TeamFormModal
from crmtui.ui.screens.teams import NO_COUNTS, TeamsScreen
from crmtui.ui.widgets.footer import KeyFooter
from crmtui.ui.widgets.header import AppHeader

from .conftest import NARROW, WIDE, loaded, on_backend, settled, wait_for
from .pipedrive_support import leads_screen, pipedrive_backend

TOM, PRIYA, ERIN = "12000235", "12000118", "12000820"


def teams_screen(app: CrmApp) -> TeamsScreen:
    screen = app.screen
    assert isinstance(screen, TeamsScreen), screen
    return screen


async def open_teams(pilot) -> TeamsScreen:
    await loaded(pilot)
    await settled(pilot)
    await pilot.press("2")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, TeamsScreen) and pilot.app.screen.view.loaded, what="the teams")
    await settled(pilot)
    return teams_screen(pilot.app)


def footer(screen) -> list[str]:
    return [f"{k.key_display} {k.description}" for k in screen.query_one(KeyFooter).shown_keys()]


def open_leads_by_owner(sandbox) -> Counter[str]:
    return Counter(str(d["owner_id"]) for d in sandbox.state.tables["leads"].values() if not d["is_archived"])


async def test_teams_active_first_and_the_members_of_the_team_under_the_cursor(make_pipedrive_app, pipedrive) -> None:
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_teams(pilot)
        assert [t.name for t in screen.team_list.items] == ["Closers", "Renewals"]  # the deleted team is not listed
        assert screen.query_one(AppHeader).title == "Teams · 2 active"
        members = screen.member_list.items
        assert [m.user_id for m in members][0] == PRIYA and members[0].manager  # the manager first
        assert {m.user_id for m in members} == {PRIYA, TOM, "12000352"}
        assert all(m.leads is None for m in members)  # the inbox holds only my leads: no count, and no request for one
        assert str(screen.query_one("#teams-note").render()).startswith(NO_COUNTS)
        await pilot.press("down")
        assert screen.member_list.items[0].user_id == "12000469"  # Renewals' manager


async def test_open_leads_come_from_everyones_inbox_and_enter_opens_a_members_leads(make_pipedrive_app, pipedrive) -> None:
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        await pilot.press("o")  # everyone's leads on the inbox
        await wait_for(pilot, lambda: app.session.leads.everyone and app.session.leads.loaded, what="everyone's leads")
        screen = await open_teams(pilot)
        expected = open_leads_by_owner(pipedrive)
        await wait_for(pilot, lambda: screen.counts is not None, what="the counts")
        assert {m.user_id: m.leads for m in screen.member_list.items} == {
            uid: expected[uid] for uid in (PRIYA, TOM, "12000352")
        }
        await pilot.press("tab")
        assert screen.member_list.has_focus
        await pilot.press("down", "enter")  # the first member after the manager
        member = screen.member_list.selected
        assert member is not None
        await wait_for(pilot, lambda: app.current_mode == "leads" and app.session.leads.loaded, what="the member's leads")
        await settled(pilot)
        inbox = app.session.leads
        assert inbox.member == member.user_id
        assert {lead.id for lead in inbox.items} == {
            lid for lid, d in pipedrive.state.tables["leads"].items()
            if str(d["owner_id"]) == member.user_id and not d["is_archived"]
        }
        assert leads_screen(app).query_one(AppHeader).title.startswith(f"{member.name}'s leads · {len(inbox.items)}")


async def test_an_admin_makes_a_team_edits_it_and_adds_and_removes_a_member(make_pipedrive_app, pipedrive) -> None:
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_teams(pilot)
        assert "n New team" in footer(screen)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, TeamFormModal), what="the team form")
        await pilot.press(*"Expansion", "tab", *"Upsell", "enter")
        await wait_for(pilot, lambda: any(t.name == "Expansion" for t in screen.view.items), what="the new team")
        await settled(pilot)
        made = [t for t in pipedrive.state.tables["teams"].values() if t["name"] == "Expansion"]
        assert len(made) == 1 and made[0]["description"] == "Upsell" and made[0]["manager_id"] == 12000001

        screen.team_list.select_key(str(made[0]["id"]))
        await pilot.press("plus")
        await wait_for(pilot, lambda: isinstance(app.screen, TeamPickerModal), what="the user picker")
        await pilot.press("enter")  # the first user not in the team is Priya (the manager is me)
        await settled(pilot)
        assert made[0]["id"] and 12000118 in pipedrive.state.tables["teams"][str(made[0]["id"])]["users"]

        await pilot.press("minus")
        await wait_for(pilot, lambda: isinstance(app.screen, TeamPickerModal), what="the member picker")
        await pilot.press("enter")
        await settled(pilot)
        assert pipedrive.state.tables["teams"][str(made[0]["id"])]["users"] == [12000001]

        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, TeamFormModal), what="the edit form")
        await pilot.press("end", *" EU", "enter")
        await settled(pilot)
        assert pipedrive.state.tables["teams"][str(made[0]["id"])]["name"] == "Expansion EU"
        assert app.session.outbox.to_review == 0


async def test_a_regular_user_is_told_only_admins_change_teams(pipedrive) -> None:
    app = on_backend(pipedrive_backend(pipedrive, pipedrive.regular_token))
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_teams(pilot)
        assert not app.session.account.is_admin
        labels = footer(screen)
        assert not any(label.split(" ", 1)[1] in ("New team", "Edit", "Add member", "Remove member") for label in labels)
        assert "Only admins can change teams" in str(screen.query_one("#teams-note").render())
        for key in ("n", "e", "plus", "minus"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, TeamsScreen)  # no form, no picker
        said = [n.message for n in app._notifications]
        assert said.count("Only admins can change teams (you are not an admin of this Pipedrive account)") == 4
        assert app.session.outbox.unsettled() == []

"""The team stream screen (key 2) on the real sandbox: counters, choosing a stream, triage where allowed."""

from __future__ import annotations

import asyncio

import httpx

from crmtui.domain.formatting import contact_name
from crmtui.domain.models import StreamEntry
from crmtui.sandbox.onepagecrm import rules
from crmtui.ui.app import CrmApp
from crmtui.ui.modals.next_action import NextActionModal
from crmtui.ui.modals.pickers import ConfirmModal, TeamPickerModal
from crmtui.ui.screens.contact import ContactDetailScreen
from crmtui.ui.screens.stream import ActionStreamScreen
from crmtui.ui.screens import team as team_screen
from crmtui.ui.screens.team import TeamStreamScreen
from crmtui.ui.widgets.header import AppHeader
from tests.support.waits import HANG_GUARD

from .conftest import all_sent, NARROW, retried, settled, wait_for, WIDE
from .stream_support import start, visible_lines

TEAM_STREAM = "/api/v3/team_stream"


def team(app: CrmApp) -> TeamStreamScreen:
    return next(s for s in app.screen_stack if isinstance(s, TeamStreamScreen))


def title(app: CrmApp) -> str:
    return team(app).query_one("#header", AppHeader).title


def picker_lines(app: CrmApp) -> list[str]:
    members = team(app).members
    return [members.get_option_at_index(i).prompt.plain for i in range(members.option_count)]


async def open_team(pilot):
    """Start the app, press 2, wait for the counters and everyone's stream."""
    notes, requests = await start(pilot)
    await pilot.press("2")
    screen = team(pilot.app)
    await wait_for(pilot, lambda: screen.stream.loaded and screen.stream.counts is not None, what="the team stream")
    await settled(pilot)
    return notes, requests, screen


async def choose(pilot, screen: TeamStreamScreen, index: int) -> None:
    """Pick the index-th member in the picker (0 is Everyone) with Tab, j and Enter."""
    if not screen.members.has_focus:
        await pilot.press("tab")
    await pilot.press("g", *["j"] * index, "enter")
    await wait_for(pilot, lambda: screen.stream.loaded, what="the member's stream")
    await settled(pilot)


async def go_to(pilot, screen: TeamStreamScreen, contact_id: str) -> None:
    assert screen.stream_list.select_contact(contact_id)
    await pilot.pause()


def shown(screen: TeamStreamScreen) -> list[str]:
    return [e.contact.id for e in screen.stream_list.entries]


def first(screen: TeamStreamScreen, condition, what: str) -> StreamEntry:
    found = next((e for e in screen.stream_list.entries if condition(e)), None)
    assert found is not None, f"no contact in the stream is {what}"
    return found


def next_of(user_id: str):
    return lambda e: e.next_action is not None and not e.next_action.done and e.next_action.assignee_id == user_id


# -- counters and choosing ---------------------------------------------------------------------------


async def test_counters_for_everyone_and_each_member_and_everyones_stream(make_app, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        _, requests = await start(pilot)
        main_before = [e.contact.id for e in app.session.entries]
        assert main_before
        await pilot.press("2")
        screen = team(app)
        await wait_for(pilot, lambda: screen.stream.loaded and screen.stream.counts is not None)
        await settled(pilot)
        counts = rules.team_counts(sandbox.state)
        lines = picker_lines(app)
        assert lines[0].split() == ["▸", "Everyone", str(counts["all"])]
        for user, line, count in zip(sandbox.users, lines[1:], counts["users"]):
            assert line.split() == [user.first_name, user.last_name, str(count["counts"])]
        assert screen.stream_list.has_focus and not screen.query_one("#team-side").display  # 80 columns: list first
        assert screen.stream_list.region.width == NARROW[0]  # rows at full width, as in the action stream
        assert requests.gets(TEAM_STREAM)[-1].get("user_id") is None  # the whole account
        assert len(shown(screen)) == len(sandbox.state.tables["contacts"])
        assert title(app).startswith(f"Team · Everyone · {len(sandbox.state.tables['contacts'])} contacts")
        assert [e.contact.id for e in app.session.entries] == main_before  # the action stream is untouched
        assert app.session.stream_user_id == sandbox.user_id


async def test_enter_on_a_member_loads_their_stream_and_moves_to_the_list(make_app, sandbox, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        _, requests, screen = await open_team(pilot)
        priya = sandbox.users[1]
        await choose(pilot, screen, 2)
        assert requests.gets(TEAM_STREAM)[-1]["user_id"] == priya.user_id
        expected = {e.contact.id for e in await api.team_stream_all(user_id=priya.user_id)}
        assert set(shown(screen)) == expected
        assert title(app).startswith(f"Team · Priya Shah · {len(expected)} contacts")
        assert screen.stream_list.has_focus and not screen.has_class("-members")
        assert not screen.query_one("#team-side").display  # 80 columns: the list gets the width back
        assert picker_lines(app)[2].startswith("▸ Priya Shah")
        lines = visible_lines(screen.stream_list)
        assert any(line.startswith(" Queued for Priya Shah") for line in lines) or not any(
            "Queued" in line for line in lines
        )


class HeldPause:
    """Stands in for the team screen's `asyncio`: its browsing pause lasts until the test ends it.

    "Quickly" then means "before the pause is over", whatever a busy machine makes of 250 ms.
    """

    def __init__(self) -> None:
        self.over = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        await self.over.wait()

    def __getattr__(self, name: str):
        return getattr(asyncio, name)


async def test_browsing_the_picker_loads_after_a_pause_and_brackets_step(make_app, sandbox, monkeypatch) -> None:
    pause = HeldPause()
    monkeypatch.setattr(team_screen, "asyncio", pause)
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        _, requests, screen = await open_team(pilot)
        loads = len(requests.gets(TEAM_STREAM))
        await pilot.press("tab", "j", "j", "j")  # passing members quickly loads only where it rests
        assert len(requests.gets(TEAM_STREAM)) == loads  # nothing yet: the pause is not over
        pause.over.set()
        await wait_for(pilot, lambda: screen.stream.viewing == sandbox.users[2].user_id and screen.stream.loaded)
        await settled(pilot)
        assert [q.get("user_id") for q in requests.gets(TEAM_STREAM)[loads:]] == [sandbox.users[2].user_id]
        await pilot.press("escape")
        assert screen.stream_list.has_focus
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: screen.stream.viewing == sandbox.users[3].user_id and screen.stream.loaded)
        await pilot.press("left_square_bracket", "left_square_bracket")
        await wait_for(pilot, lambda: screen.stream.viewing == sandbox.users[1].user_id and screen.stream.loaded)
        assert title(app).startswith("Team · Priya Shah · ")


async def test_tab_moves_between_picker_and_list(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        _, _, screen = await open_team(pilot)
        assert screen.stream_list.has_focus and not screen.query_one("#team-side").display
        await pilot.press("tab")
        assert screen.members.has_focus and screen.query_one("#team-side").display
        await pilot.press("tab")
        assert screen.stream_list.has_focus and not screen.has_class("-members")
        assert not screen.query_one("#team-side").display


async def test_the_chosen_member_and_cursor_survive_switching_screens(make_app, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        _, requests, screen = await open_team(pilot)
        await choose(pilot, screen, 3)
        await pilot.press("j", "j", "j")
        here = screen.stream_list.selected_entry.contact.id
        loads = len(requests.gets(TEAM_STREAM))
        await pilot.press("1")
        assert isinstance(app.screen, ActionStreamScreen)
        await pilot.press("2")
        assert app.screen is screen
        await settled(pilot)
        assert screen.stream.viewing == sandbox.users[2].user_id
        assert screen.stream_list.selected_entry.contact.id == here
        assert len(requests.gets(TEAM_STREAM)) == loads  # nothing changed: nothing reloaded


async def test_a_change_in_the_action_stream_shows_when_coming_back(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        _, requests, screen = await open_team(pilot)
        loads = len(requests.gets(TEAM_STREAM))
        await pilot.press("1")
        cid = app.screen.selected_entry().contact.id
        was = next(e for e in screen.stream.entries if e.contact.id == cid).contact.starred
        await pilot.press("asterisk")  # (un)star it in the action stream
        await settled(pilot)
        assert app.session.entry(cid).contact.starred is not was
        await pilot.press("2")
        await wait_for(pilot, lambda: len(requests.gets(TEAM_STREAM)) > loads, what="a reload")
        await settled(pilot)
        assert next(e for e in screen.stream.entries if e.contact.id == cid).contact.starred is not was


# -- triage ------------------------------------------------------------------------------------------


async def test_done_swap_and_promote_on_a_colleagues_actions_say_why_and_send_nothing(make_app, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, requests, screen = await open_team(pilot)
        tom = sandbox.users[2]
        await choose(pilot, screen, 3)
        entry = first(screen, next_of(tom.user_id), "with Tom's next action")
        await go_to(pilot, screen, entry.contact.id)
        await pilot.press("d")
        note = await notes.wait(pilot, "Only Tom Byrne can complete their next action")
        assert note.severity == "warning" and app.screen is screen  # no next-action modal
        await pilot.press("s")
        await notes.wait(pilot, "Only Tom Byrne can swap their next action")
        queued = first(
            screen,
            lambda e: (e.next_action is None or e.next_action.done) and any(not a.done for a in e.queued_actions),
            "with only queued actions",
        )
        await go_to(pilot, screen, queued.contact.id)
        await pilot.press("p")
        await notes.wait(pilot, "only your own queued action can be promoted")
        await settled(pilot)
        assert requests.writes() == []
        assert not isinstance(app.screen, ConfirmModal)


async def test_done_on_my_own_action_in_everyones_stream_asks_for_the_next(make_app, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        _, requests, screen = await open_team(pilot)
        entry = first(screen, next_of(sandbox.user_id), "with my next action")
        cid, done_id = entry.contact.id, entry.next_action.id
        await go_to(pilot, screen, cid)
        await pilot.press("d")
        assert isinstance(app.screen, NextActionModal)
        await pilot.press(*"Send samples", "enter")
        await settled(pilot)
        assert ("PUT", f"/api/v3/actions/{done_id}/mark_as_done") in requests.writes()
        assert sandbox.state.tables["actions"][done_id]["done"]
        created = [a for a in sandbox.state.tables["actions"].values() if a["text"] == "Send samples"]
        assert len(created) == 1 and created[0]["assignee_id"] == sandbox.user_id
        assert next(e for e in screen.stream_list.entries if e.contact.id == cid).next_action.text == "Send samples"


async def test_a_assigns_to_a_team_member_who_is_told_and_counters_follow(make_app, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, requests, screen = await open_team(pilot)
        me, priya = sandbox.user_id, sandbox.users[1]
        entry = first(screen, next_of(me), "with my next action")
        cid, action_id = entry.contact.id, entry.next_action.id
        await go_to(pilot, screen, cid)
        await pilot.press("a")
        assert isinstance(app.screen, TeamPickerModal)
        await pilot.press("down", "enter")
        await notes.wait(pilot, "Assigned to Priya Shah")
        await settled(pilot)
        assert ("PUT", f"/api/v3/actions/{action_id}") in requests.writes()
        assert sandbox.state.tables["actions"][action_id]["assignee_id"] == priya.user_id
        row = next(line for line in visible_lines(screen.stream_list) if contact_name(entry.contact)[:10] in line)
        assert "Priya S." in row  # whose action it is now, in everyone's stream
        counts = {u["user_id"]: u["counts"] for u in rules.team_counts(sandbox.state)["users"]}
        assert picker_lines(app)[2].split()[-1] == str(counts[priya.user_id])
        told = [n for n in sandbox.state.tables["notifications"].values() if n["user_id"] == priya.user_id]
        assert any(n["contact_id"] == cid and n["type"] == "assigned_action" for n in told)

        await pilot.press("u")
        await notes.wait(pilot, "Undone")
        await settled(pilot)
        assert sandbox.state.tables["actions"][action_id]["assignee_id"] == me


async def test_n_on_a_colleagues_stream_gives_them_the_action(make_app, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _, screen = await open_team(pilot)
        marcus = sandbox.users[4]
        await choose(pilot, screen, 5)
        entry = screen.stream_list.entries[0]
        await go_to(pilot, screen, entry.contact.id)
        await pilot.press("n")
        assert isinstance(app.screen, NextActionModal)
        await pilot.press(*"Bring the contract", "enter")
        await notes.wait(pilot, "(for Marcus Reed)")
        await settled(pilot)
        created = [a for a in sandbox.state.tables["actions"].values() if a["text"] == "Bring the contract"]
        assert len(created) == 1 and created[0]["assignee_id"] == marcus.user_id
        after = next(e for e in screen.stream.entries if e.contact.id == entry.contact.id)
        texts = [a.text for a in [after.next_action, *after.queued_actions] if a is not None]
        assert "Bring the contract" in texts


async def test_e_edits_and_star_stars_on_a_colleagues_stream(make_app, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        _, _, screen = await open_team(pilot)
        sofia = sandbox.users[3]
        await choose(pilot, screen, 4)
        entry = first(screen, next_of(sofia.user_id), "with Sofia's next action")
        await go_to(pilot, screen, entry.contact.id)
        await pilot.press("e")
        assert isinstance(app.screen, NextActionModal)
        await pilot.press("ctrl+a", "ctrl+k", *"Call about renewal", "ctrl+s")
        await settled(pilot)
        action = sandbox.state.tables["actions"][entry.next_action.id]
        assert action["text"] == "Call about renewal" and action["assignee_id"] == sofia.user_id
        starred = entry.contact.starred
        await pilot.press("asterisk")
        await settled(pilot)
        assert sandbox.state.tables["contacts"][entry.contact.id].get("starred", False) != starred


async def test_enter_opens_the_contact_and_esc_comes_back_to_the_same_row(make_app, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        _, _, screen = await open_team(pilot)
        await choose(pilot, screen, 2)
        await pilot.press("j", "j")
        here = screen.stream_list.selected_entry.contact.id
        await pilot.press("enter")
        assert isinstance(app.screen, ContactDetailScreen) and app.screen.contact_id == here
        await pilot.press("escape")
        assert app.screen is screen
        await settled(pilot)
        assert screen.stream_list.selected_entry.contact.id == here


async def test_filter_narrows_and_enter_searches_everyones_stream(make_app, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        _, requests, screen = await open_team(pilot)
        await pilot.press("slash", *"garcia")
        total = len(screen.stream.entries)
        assert 0 < len(shown(screen)) < total
        assert title(app) == f"Team · Everyone · {len(shown(screen))} of {total} match"
        await pilot.press("enter")
        await settled(pilot)
        search = [q for q in requests.gets(TEAM_STREAM) if q.get("search") == "garcia"]
        assert search and "user_id" not in search[-1]
        await pilot.press("escape")
        assert len(shown(screen)) == total and title(app).startswith(f"Team · Everyone · {total} contacts")


async def test_r_reloads_counters_and_stream(make_app, sandbox, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        _, _, screen = await open_team(pilot)
        await choose(pilot, screen, 2)
        priya = sandbox.users[1]
        outside = next(e for e in await api.action_stream_all() if e.contact.id not in shown(screen))
        from crmtui.domain.models import ActionStatus

        await api.create_action(outside.contact.id, "Behind your back", ActionStatus.ASAP, assignee_id=priya.user_id)
        await pilot.press("r")
        await wait_for(pilot, lambda: outside.contact.id in shown(screen), what="the new contact")
        await settled(pilot)
        counts = {u["user_id"]: u["counts"] for u in rules.team_counts(sandbox.state)["users"]}
        assert picker_lines(app)[2].split()[-1] == str(counts[priya.user_id])


async def test_wide_shows_picker_and_preview_beside_the_list(make_app, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        _, _, screen = await open_team(pilot)
        assert screen.members.has_focus  # beside the list, the picker is where to start
        await pilot.press("tab")
        assert screen.stream_list.has_focus
        assert screen.query_one("#team-side").display and screen.query_one("#team-preview").display
        entry = screen.stream_list.selected_entry
        assert screen.query_one("#team-preview").contact_id == entry.contact.id
        line = visible_lines(screen.stream_list)[1]
        assert line.split()[2:4] == [entry.contact.first_name, entry.contact.last_name]


# -- failures ------------------------------------------------------------------------------------------


async def test_assign_refused_by_the_server_reverts_with_its_message(make_app, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _, screen = await open_team(pilot)
        entry = first(screen, next_of(sandbox.user_id), "with my next action")
        await go_to(pilot, screen, entry.contact.id)
        gone = httpx.delete(  # noqa: ASYNC210 - deleted in the web app meanwhile (the sandbox answers from its own thread)
            f"{sandbox.base_url}/actions/{entry.next_action.id}", auth=(sandbox.user_id, sandbox.api_key), timeout=HANG_GUARD
        )
        assert gone.status_code == 200
        await pilot.press("a", "down", "enter")
        note = await notes.wait(pilot, "was not saved")
        await settled(pilot)
        assert note.title == "The server refused" and note.severity == "error" and "not found" in note.message.lower()
        after = next((e for e in screen.stream.entries if e.contact.id == entry.contact.id), None)
        assert after is None or after.next_action is None or after.next_action.id != entry.next_action.id
        assert app.review_changes == 1


async def test_a_throttled_assign_waits_and_goes_through(make_app, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _, screen = await open_team(pilot)
        entry = first(screen, next_of(sandbox.user_id), "with my next action")
        await go_to(pilot, screen, entry.contact.id)
        sandbox.options.throttle_rate = 1.0
        sandbox.options.retry_after = 0
        await pilot.press("a", "down", "enter")
        await retried(pilot)
        assert sandbox.state.tables["actions"][entry.next_action.id]["assignee_id"] == sandbox.user_id
        sandbox.options.throttle_rate = 0.0
        await all_sent(pilot)
        assert sandbox.state.tables["actions"][entry.next_action.id]["assignee_id"] != sandbox.user_id
        assert not notes.find("was not saved")


async def test_a_failed_load_says_so_and_r_retries(make_app, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        sandbox.options.fail_rate = 1.0
        await pilot.press("2")
        screen = team(app)
        note = await notes.wait(pilot, "")
        await settled(pilot)
        assert note.title == "Team stream not loaded" and note.severity == "error"
        assert screen.stream_list.empty_text.startswith("Not loaded (r retries)")
        assert visible_lines(screen.stream_list)[1].startswith("  Not loaded (r retries): Server error 50")
        sandbox.options.fail_rate = 0.0
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.stream.loaded and screen.stream.counts is not None)
        assert len(shown(screen)) == len(sandbox.state.tables["contacts"])


async def test_offline_team_stream_says_the_server_cannot_be_reached(make_app, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        sandbox.stop()
        await pilot.press("2")
        screen = team(app)
        note = await notes.wait(pilot, "")
        await settled(pilot)
        assert note.title == "Team stream not loaded"
        assert screen.stream_list.entries == [] and "Not loaded (r retries)" in screen.stream_list.empty_text
        assert picker_lines(app)[0].split()[-1] == "…"  # no counters to show


async def test_promote_and_swap_work_on_my_own_stream_in_the_team_screen(make_app, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, requests, screen = await open_team(pilot)
        me = sandbox.user_id
        await choose(pilot, screen, 1)  # the signed-in user's own stream
        assert screen.stream.viewing == me and title(app).startswith("Team · Alex Morgan · ")
        promotable = first(
            screen,
            lambda e: (e.next_action is None or e.next_action.done)
            and any(not a.done and a.assignee_id == me for a in e.queued_actions),
            "with only my queued actions",
        )
        queued = next(a for a in promotable.queued_actions if not a.done and a.assignee_id == me)
        await go_to(pilot, screen, promotable.contact.id)
        await pilot.press("p")
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await notes.wait(pilot, "Promoted")
        await settled(pilot)
        assert ("PUT", f"/api/v3/actions/{queued.id}/promote") in requests.writes()
        assert sandbox.state.tables["actions"][queued.id]["status"] in ("asap", "date")

        conflicted = first(screen, lambda e: e.has_conflict, "with a next-action conflict")
        earlier = min(conflicted.conflicts, key=lambda a: a.date)
        await go_to(pilot, screen, conflicted.contact.id)
        await pilot.press("s")
        await notes.wait(pilot, "Swapped")
        await settled(pilot)
        assert sandbox.state.tables["actions"][earlier.id]["status"] == "date"
        assert next(e for e in screen.stream.entries if e.contact.id == conflicted.contact.id).next_action.id == earlier.id

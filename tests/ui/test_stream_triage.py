"""Triage keys of the action stream on the real sandbox: d, n, e, a, p, s, u, * and the next-action modal."""

from __future__ import annotations

import datetime as dt

import pytest

from crmtui.domain.formatting import contact_name
from crmtui.domain.models import ActionStatus
from crmtui.domain.stream import Section
from crmtui.ui.app import CrmApp
from crmtui.ui.modals.next_action import NextActionModal
from crmtui.ui.modals.pickers import ConfirmModal, TeamPickerModal
from crmtui.ui.screens.stream import ActionStreamScreen
from crmtui.ui.widgets.header import AppHeader
from textual.widgets._toast import Toast

from .conftest import NARROW, WIDE, settled, wait_for
from .stream_support import (
    TODAY,
    entry_of,
    go_to,
    has_next,
    plain_with_next,
    queued_for_me,
    row_line,
    section_in_app,
    section_of,
    selected_id,
    server_entry,
    server_stream_ids,
    shown_ids,
    stream_screen,
    with_conflict,
    without_any_action,
    start,
)


def stream_list_entries(app: CrmApp):
    return stream_screen(app).stream_list.entries


def modal_field(app: CrmApp, selector: str) -> str:
    assert isinstance(app.screen, NextActionModal)
    return app.screen.query_one(selector).value


# -- d: done, then the next action ----------------------------------------------------------------


async def test_d_marks_done_and_enter_saves_the_next_action_due_today(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, requests = await start(pilot)
        target = plain_with_next(app)
        cid, done_id, name = target.contact.id, target.next_action.id, contact_name(target.contact)
        await go_to(pilot, cid)
        following = shown_ids(app)[shown_ids(app).index(cid) + 1]

        await pilot.press("d")
        assert isinstance(app.screen, NextActionModal)
        assert app.screen.heading == f"Done ✓  Next action for {name}"
        assert app.focused.id == "action-text"
        assert modal_field(app, "#action-date") == "10/03/2026"  # due today unless changed
        await wait_for(pilot, lambda: ("PUT", f"/api/v3/actions/{done_id}/mark_as_done") in requests.writes(), what="done")
        await pilot.press(*"Send PO", "enter")
        assert isinstance(app.screen, ActionStreamScreen)
        await settled(pilot)

        entry = entry_of(app, cid)
        assert entry.next_action.text == "Send PO"
        assert entry.next_action.status is ActionStatus.DATE and entry.next_action.date == TODAY
        assert not entry.next_action.id.startswith("local-")  # re-read from the server
        assert section_of(app, cid) is Section.TODAY
        assert selected_id(app) == following  # triage moves on: the next contact is under the cursor
        server = await server_entry(api, cid)
        assert (server.next_action.id, server.next_action.text, server.next_action.date) == (
            entry.next_action.id, "Send PO", TODAY,
        )
        done = next(a for a in await api.contact_actions(cid) if a.id == done_id)
        assert done.done
        assert not [n for n in notes.all if n.severity != "information"]


async def test_d_moves_on_to_the_contact_that_followed_even_when_the_contact_moves_up(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        target = next(e for e in stream_list_entries(app) if has_next(e) and section_in_app(app, e) is Section.FUTURE)
        cid, name = target.contact.id, contact_name(target.contact)
        await go_to(pilot, cid)
        ids = shown_ids(app)
        following = ids[ids.index(cid) + 1]
        await pilot.press("d", *"Call now", "tab", "left", "enter")  # the next action is ASAP: it goes to the top
        assert app.screen._status() is ActionStatus.ASAP
        await pilot.press("ctrl+s")
        await notes.wait(pilot, f"{name}: Call now")  # says where it went
        await settled(pilot)
        assert section_of(app, cid) is Section.ASAP
        assert selected_id(app) == following


async def test_d_then_esc_leaves_the_contact_without_a_next_action(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        target = plain_with_next(app)
        cid, name = target.contact.id, contact_name(target.contact)
        await go_to(pilot, cid)
        await pilot.press("d")
        assert isinstance(app.screen, NextActionModal)
        await pilot.press("escape")
        assert isinstance(app.screen, ActionStreamScreen)
        note = await notes.wait(pilot, f"{name} has no next action")
        assert note.severity == "warning"
        await settled(pilot)

        entry = entry_of(app, cid)
        assert entry.next_action is None
        assert section_of(app, cid) is Section.NO_ACTION
        assert "(no next action)" in await row_line(pilot, cid)
        server = await server_entry(api, cid)
        assert server.next_action is None and not server.queued_actions


async def test_d_without_a_next_action_says_so_and_opens_nothing(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, requests = await start(pilot)
        target = without_any_action(app)
        await go_to(pilot, target.contact.id)
        await pilot.press("d")
        note = await notes.wait(pilot, "has no next action (press n to add one)")
        assert note.severity == "warning" and contact_name(target.contact) in note.message
        assert isinstance(app.screen, ActionStreamScreen) and requests.writes() == []


# -- the next-action modal ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keys", "status", "date", "section"),
    [
        (("left", "enter"), ActionStatus.ASAP, None, Section.ASAP),
        (("right", "right", "enter"), ActionStatus.WAITING, TODAY, Section.WAITING),
        (("right", "enter", "tab", "tab", *"14:30"), ActionStatus.DATE_TIME, TODAY, Section.TODAY),
    ],
    ids=["asap", "waiting", "date+time"],
)
async def test_modal_status_choice_by_keyboard(make_app, api, keys, status, date, section) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await start(pilot)
        target = without_any_action(app)
        cid = target.contact.id
        await go_to(pilot, cid)
        await pilot.press("n")
        assert isinstance(app.screen, NextActionModal)
        assert app.screen.heading == f"New action for {contact_name(target.contact)}"
        await pilot.press(*"Check in", "tab")  # Tab: from the text to the status choice, on "Date"
        assert app.focused.id == "action-status"
        await pilot.press(*keys)
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, ActionStreamScreen)
        await settled(pilot)

        action = entry_of(app, cid).next_action
        assert (action.text, action.status, action.date) == ("Check in", status, date)
        assert section_of(app, cid) is section
        server = (await server_entry(api, cid)).next_action
        assert (server.text, server.status, server.date) == ("Check in", status, date)
        if status is ActionStatus.DATE_TIME:
            expected = dt.datetime(2026, 3, 10, 14, 30, tzinfo=dt.timezone.utc)  # the account's zone is UTC
            assert action.exact_time == expected and server.exact_time == expected


async def test_modal_queued_choice_queues_undated_unless_a_date_is_picked(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await start(pilot)
        # a contact whose next action is due later: an action queued "for today" would conflict with it
        target = next(
            e for e in app.session.entries
            if e.next_action is not None and e.next_action.date and e.next_action.date > TODAY and not e.queued_actions
        )
        cid, next_id = target.contact.id, target.next_action.id
        await go_to(pilot, cid)
        await pilot.press("n", *"Review", "tab", "right", "right", "right", "enter")
        assert app.screen._status() is ActionStatus.QUEUED
        assert modal_field(app, "#action-date") == ""  # the default "today" is dropped for Queued
        await pilot.press("ctrl+s")
        await settled(pilot)
        entry = entry_of(app, cid)
        assert entry.next_action.id == next_id
        assert [(a.text, a.status, a.date) for a in entry.queued_actions] == [("Review", ActionStatus.QUEUED, None)]
        assert not entry.has_conflict and "⚠" not in await row_line(pilot, cid)
        server = await server_entry(api, cid)
        assert server.next_action.id == next_id
        assert [(a.text, a.status) for a in server.queued_actions] == [("Review", ActionStatus.QUEUED)]

        # Queued plus a quick date: a dated queued action
        nothing = without_any_action(app)
        await go_to(pilot, nothing.contact.id)
        await pilot.press("n", *"Samples", "tab", "right", "right", "right", "enter")
        await pilot.press("2")  # tomorrow (the focus is on the status)
        assert app.screen._status() is ActionStatus.QUEUED and modal_field(app, "#action-date") == "11/03/2026"
        await pilot.press("ctrl+s")
        await settled(pilot)
        queued = entry_of(app, nothing.contact.id).queued_actions
        assert [(a.text, a.status, a.date) for a in queued] == [
            ("Samples", ActionStatus.QUEUED_WITH_DATE, TODAY + dt.timedelta(days=1))
        ]
        assert section_of(app, nothing.contact.id) is Section.QUEUED_FOR_ME


async def test_modal_quick_dates_and_predefined_actions(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await start(pilot)
        account = app.session.account
        target = plain_with_next(app)
        cid = target.contact.id
        await go_to(pilot, cid)
        await pilot.press("d")
        modal = app.screen
        assert isinstance(modal, NextActionModal)

        # every quick date from the account's bootstrap is on screen with its key, inside the dialog,
        # except "+1 day", which is Tomorrow
        dialog = modal.query_one("#next-action-dialog").content_region
        buttons = list(modal.query("#quick-dates Button"))
        assert [str(b.label) for b in buttons] == [
            "1 Today", "2 Tomorrow", "3 +3 days", "4 +1 week", "5 +2 weeks", "6 +1 month",
        ]
        assert len(buttons) == 2 + len(account.quick_dates) - 1
        for button in buttons:
            assert dialog.x <= button.region.x and button.region.right <= dialog.right, str(button.label)

        await pilot.press(*"2")  # in the text a digit is text
        assert modal_field(app, "#action-text") == "2" and modal_field(app, "#action-date") == "10/03/2026"
        await pilot.press("backspace", "tab", "2")  # out of the text: one key, and back to the text
        assert modal_field(app, "#action-date") == "11/03/2026" and app.focused.id == "action-text"
        await pilot.press("tab", "4")  # +1 week
        assert modal_field(app, "#action-date") == "17/03/2026"
        await pilot.click("#quick-5")  # +1 month, by mouse
        assert modal_field(app, "#action-date") == "10/04/2026"

        # the predefined actions: Shift+Tab from the text reaches the list; picking one fills text and date
        await pilot.click("#action-text")
        assert app.focused.id == "action-text"
        await pilot.press("shift+tab")
        assert app.focused.id == "predefined"
        picked = account.predefined_actions[1]
        await pilot.press("down", "enter")
        assert modal_field(app, "#action-text") == picked.text
        expected = TODAY + dt.timedelta(days=picked.days)
        assert modal_field(app, "#action-date") == expected.strftime("%d/%m/%Y")
        assert app.focused.id == "action-text"
        await pilot.press("enter")
        await settled(pilot)

        action = entry_of(app, cid).next_action
        assert (action.text, action.status, action.date) == (picked.text, ActionStatus.DATE, expected)
        server = (await server_entry(api, cid)).next_action
        assert (server.text, server.date) == (picked.text, expected)


async def test_modal_refuses_bad_input_and_keeps_what_was_typed(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        _, requests = await start(pilot)
        target = without_any_action(app)
        await go_to(pilot, target.contact.id)
        await pilot.press("n", "enter")  # no text
        modal = app.screen
        assert isinstance(modal, NextActionModal)
        assert "needs some text" in str(modal.query_one("#action-error").render())

        await pilot.press(*"Call", "tab", "right", "enter")  # Date+time, but no time
        assert modal._status() is ActionStatus.DATE_TIME
        await pilot.press("ctrl+s")
        assert app.screen is modal and "Times look like 14:30" in str(modal.query_one("#action-error").render())

        await pilot.press("tab", "ctrl+a", "ctrl+k", *"31/02/2026", "ctrl+s")
        assert app.focused.id == "action-date"
        assert app.screen is modal and "Dates look like 10/03/2026" in str(modal.query_one("#action-error").render())
        assert modal_field(app, "#action-text") == "Call"

        await pilot.press("escape", "y")  # n then Esc (and Discard what was typed): nothing is sent
        await settled(pilot)
        assert isinstance(app.screen, ActionStreamScreen)
        assert requests.writes() == []
        assert entry_of(app, target.contact.id).next_action is None


# -- n, e --------------------------------------------------------------------------------------------


async def test_n_adds_the_first_action_to_a_contact_without_one(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await start(pilot)
        target = without_any_action(app)
        cid = target.contact.id
        await go_to(pilot, cid)
        assert section_of(app, cid) is Section.NO_ACTION
        await pilot.press("n", *"Demo", "enter")
        await settled(pilot)
        assert section_of(app, cid) is Section.TODAY
        line = await row_line(pilot, cid)
        assert "Demo" in line and "(no next action)" not in line
        server = (await server_entry(api, cid)).next_action
        assert (server.text, server.status, server.date) == ("Demo", ActionStatus.DATE, TODAY)


async def test_e_edits_the_next_action(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        notes, requests = await start(pilot)
        target = plain_with_next(app)
        cid, action = target.contact.id, target.next_action
        await go_to(pilot, cid)

        await pilot.press("e")
        modal = app.screen
        assert isinstance(modal, NextActionModal)
        assert modal.heading == f"Edit next action for {contact_name(target.contact)}"
        assert modal_field(app, "#action-text") == action.text
        assert modal._status() is action.status  # the current status is the one chosen
        await pilot.press("enter")  # nothing changed: nothing is sent
        await notes.wait(pilot, "Nothing changed")
        assert requests.writes() == []

        assert action.status is ActionStatus.ASAP
        ids = shown_ids(app)
        following = ids[ids.index(cid) + 1]
        await pilot.press("e", "ctrl+a", "ctrl+k", *"Chase PO", "tab", "right", "enter")  # ASAP -> Date
        assert modal_field(app, "#action-text") == "Chase PO" and app.screen._status() is ActionStatus.DATE
        await pilot.press("ctrl+s")
        assert entry_of(app, cid).next_action.text == "Chase PO"  # shown at once
        await settled(pilot)
        edited = entry_of(app, cid).next_action
        assert (edited.id, edited.text, edited.status) == (action.id, "Chase PO", ActionStatus.DATE)
        assert section_of(app, cid) is Section.TODAY
        assert selected_id(app) == following  # it moved to Today; the cursor stayed, as after d
        note = await notes.wait(pilot, f"{contact_name(target.contact)}: Chase PO")  # says where it went
        assert "Today" in note.message
        server = (await server_entry(api, cid)).next_action
        assert (server.id, server.text, server.status, server.date) == (action.id, "Chase PO", ActionStatus.DATE, TODAY)


async def test_e_that_moves_the_contact_keeps_the_cursor_on_it(make_app, api) -> None:
    """Reviewer's case: the contact moved down and the cursor stayed on its row, on another contact."""
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await start(pilot)
        target = plain_with_next(app)
        cid = target.contact.id
        assert section_of(app, cid) is Section.ASAP
        await go_to(pilot, cid)
        neighbours = shown_ids(app)[shown_ids(app).index(cid) - 1 : shown_ids(app).index(cid) + 2]
        following = shown_ids(app)[shown_ids(app).index(cid) + 1]
        # ASAP -> Date+time, tomorrow 15:00
        await pilot.press("e", "tab", "right", "right", "enter", "tab", "ctrl+a", "ctrl+k", *"11/03/2026")
        await pilot.press("tab", *"15:00", "ctrl+s")
        assert isinstance(app.screen, ActionStreamScreen)
        await settled(pilot)
        moved = entry_of(app, cid).next_action
        assert moved.status is ActionStatus.DATE_TIME and moved.date == TODAY + dt.timedelta(days=1)
        assert section_of(app, cid) is Section.FUTURE and shown_ids(app).index(cid) > len(neighbours)
        assert selected_id(app) == following  # issue 10: the cursor stays on the row, as after d
        assert (await server_entry(api, cid)).next_action.date == TODAY + dt.timedelta(days=1)


async def test_e_without_a_next_action_says_so(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, requests = await start(pilot)
        await go_to(pilot, queued_for_me(app).contact.id)
        await pilot.press("e")
        assert "has no next action (press n to add one)" in (await notes.wait(pilot, "has no next action")).message
        assert isinstance(app.screen, ActionStreamScreen) and requests.writes() == []


# -- a: reassign -------------------------------------------------------------------------------------


async def test_a_reassigns_and_the_contact_leaves_the_stream_then_u_brings_it_back(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        me = app.session.user_id
        # a contact someone else owns, in the stream only because its next action is the user's
        target = next(
            e for e in app.session.entries
            if e.contact.owner_id != me and e.next_action is not None and not e.queued_actions
        )
        cid, action_id = target.contact.id, target.next_action.id
        count = len(shown_ids(app))
        await go_to(pilot, cid)

        await pilot.press("a")
        picker = app.screen
        assert isinstance(picker, TeamPickerModal)
        names = [str(o.prompt) for o in picker.query_one("#team-options").options]
        assert names[0] == f"{app.session.account.user.name}  (current)"
        assert names[1:] == [u.name for u in app.session.account.team]
        await pilot.press("down", "enter")
        teammate = app.session.account.team[0]
        await notes.wait(pilot, f"Assigned to {teammate.name}")
        await settled(pilot)

        assert cid not in shown_ids(app) and len(shown_ids(app)) == count - 1
        assert stream_screen(app).query_one("#header", AppHeader).title.startswith(f"Action stream · {count - 1} · ")
        assert cid not in await server_stream_ids(api)
        assert next(a for a in await api.contact_actions(cid) if a.id == action_id).assignee_id == teammate.id

        await pilot.press("u")
        await notes.wait(pilot, "Undone: Reassign to")
        await settled(pilot)
        assert cid in shown_ids(app) and entry_of(app, cid).next_action.id == action_id
        assert cid in await server_stream_ids(api)


async def test_a_keeps_an_owned_contact_and_esc_or_the_current_assignee_silently_change_nothing(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, requests = await start(pilot)
        target = plain_with_next(app)
        assert target.contact.owner_id == app.session.user_id
        cid = target.contact.id
        await go_to(pilot, cid)

        await pilot.press("a", "escape")
        assert isinstance(app.screen, ActionStreamScreen)
        await pilot.press("a", "enter")  # the first choice is the current assignee: nothing to do, nothing said
        assert isinstance(app.screen, ActionStreamScreen)
        await settled(pilot)
        assert requests.writes() == [] and notes.all == []

        following = shown_ids(app)[shown_ids(app).index(cid) + 1]
        await pilot.press("a", "down", "down", "enter")
        teammate = app.session.account.team[1]
        await notes.wait(pilot, f"Assigned to {teammate.name}")
        await settled(pilot)
        # the user owns the contact: it stays, without a next action of theirs, the action queued for the teammate
        assert cid in shown_ids(app) and entry_of(app, cid).next_action is None
        assert section_of(app, cid) is Section.QUEUED_FOR_TEAM
        assert selected_id(app) == following  # it moved down a section; the cursor stayed on its row
        server = await server_entry(api, cid)
        assert server.next_action is None and server.queued_actions[0].assignee_id == teammate.id


# -- p: promote --------------------------------------------------------------------------------------


async def test_p_promotes_the_queued_action_after_confirmation(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, requests = await start(pilot)
        target = queued_for_me(app)
        cid, queued = target.contact.id, target.queued_actions[0]
        await go_to(pilot, cid)

        for cancel in ("n", "escape"):
            await pilot.press("p")
            confirm = app.screen
            assert isinstance(confirm, ConfirmModal) and confirm.heading == "Promote queued action"
            assert queued.text in confirm.message and "may not be undone" in confirm.message
            await pilot.press(cancel)
            assert isinstance(app.screen, ActionStreamScreen)
        await settled(pilot)
        assert requests.writes() == [] and entry_of(app, cid).next_action is None

        await pilot.press("p", "y")
        assert entry_of(app, cid).next_action.id == queued.id  # shown at once
        await notes.wait(pilot, "Promoted")
        await settled(pilot)
        assert requests.writes() == [("PUT", f"/api/v3/actions/{queued.id}/promote")]
        entry = entry_of(app, cid)
        assert entry.next_action.id == queued.id and entry.next_action.text == queued.text
        assert entry.next_action.status in (ActionStatus.ASAP, ActionStatus.DATE)
        assert section_of(app, cid) in (Section.ASAP, Section.TODAY, Section.FUTURE, Section.OVERDUE)
        server = await server_entry(api, cid)
        assert server.next_action.id == queued.id and not server.queued_actions


async def test_p_explains_why_when_there_is_nothing_to_promote(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, requests = await start(pilot)
        await go_to(pilot, with_conflict(app).contact.id)  # has a next action (and a queued one)
        await pilot.press("p")
        note = await notes.wait(pilot, "already has a next action")
        assert note.severity == "warning" and "only a contact without one can promote" in note.message
        assert isinstance(app.screen, ActionStreamScreen)

        await go_to(pilot, without_any_action(app).contact.id)
        await pilot.press("p")
        assert (await notes.wait(pilot, "No queued action to promote")).severity == "warning"
        assert isinstance(app.screen, ActionStreamScreen) and requests.writes() == []


async def test_p_refuses_a_teammates_queued_action_before_asking(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, requests = await start(pilot)
        me = app.session.user_id
        target = next(
            e for e in app.session.entries
            if e.next_action is None and e.queued_actions and all(a.assignee_id != me for a in e.queued_actions)
        )
        await go_to(pilot, target.contact.id)
        assert section_of(app, target.contact.id) is Section.QUEUED_FOR_TEAM
        await pilot.press("p")
        note = await notes.wait(pilot, "only your own queued action can be promoted")
        assert isinstance(app.screen, ActionStreamScreen)  # no confirmation for something that cannot work
        assert note.severity == "warning"
        owner = app.session.account.user_name(target.queued_actions[0].assignee_id)
        assert owner in note.message
        assert requests.writes() == []


# -- s: swap -----------------------------------------------------------------------------------------


async def test_s_swaps_a_conflicting_queued_action_in(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        target = with_conflict(app)
        cid, old_next, earlier = target.contact.id, target.next_action, target.conflicts[0]
        assert earlier.date < old_next.date
        await go_to(pilot, cid)
        assert (await row_line(pilot, cid)).rstrip().endswith("⚠")

        await pilot.press("s")
        assert entry_of(app, cid).next_action.id == earlier.id  # shown at once
        await notes.wait(pilot, "Swapped")
        await settled(pilot)
        entry = entry_of(app, cid)
        assert (entry.next_action.id, entry.next_action.date) == (earlier.id, earlier.date)
        assert [a.id for a in entry.queued_actions] == [old_next.id]
        assert not entry.has_conflict and "⚠" not in await row_line(pilot, cid)
        server = await server_entry(api, cid)
        assert server.next_action.id == earlier.id and [a.id for a in server.queued_actions] == [old_next.id]


async def test_s_explains_why_when_there_is_no_conflict(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, requests = await start(pilot)
        calm = next(e for e in app.session.entries if e.next_action is not None and e.queued_actions and not e.has_conflict)
        await go_to(pilot, calm.contact.id)
        await pilot.press("s")
        note = await notes.wait(pilot, "No conflict")
        assert note.title == "Not possible" and note.severity == "warning"

        await go_to(pilot, plain_with_next(app).contact.id)
        await pilot.press("s")
        assert (await notes.wait(pilot, "Nothing to swap")).severity == "warning"

        await go_to(pilot, queued_for_me(app).contact.id)
        await pilot.press("s")
        note = await notes.wait(pilot, "no next action to swap with")
        assert "promote" in note.message
        await settled(pilot)
        assert requests.writes() == []
        assert isinstance(app.screen, ActionStreamScreen)


# -- u: undo, *: star --------------------------------------------------------------------------------


async def test_u_with_nothing_to_undo(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, requests = await start(pilot)
        await pilot.press("u")
        note = await notes.wait(pilot, "Nothing to undo")
        assert note.severity == "warning"
        assert requests.writes() == []


async def test_u_undoes_done_with_undo_completion(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, requests = await start(pilot)
        target = plain_with_next(app)
        cid, action = target.contact.id, target.next_action
        await go_to(pilot, cid)
        await pilot.press("d", "escape")
        await settled(pilot)
        assert entry_of(app, cid).next_action is None

        await pilot.press("u")
        await notes.wait(pilot, f"Undone: Done: {action.text}")
        await settled(pilot)
        assert ("PUT", f"/api/v3/actions/{action.id}/undo_completion") in requests.writes()
        restored = entry_of(app, cid).next_action
        assert (restored.id, restored.text, restored.status) == (action.id, action.text, action.status)
        assert section_of(app, cid) is section_in_app(app, target)
        server = (await server_entry(api, cid)).next_action
        assert server.id == action.id and not server.done

        await pilot.press("u")
        await notes.wait(pilot, "Nothing to undo")


async def test_u_undoes_an_edit_and_a_star_in_reverse_order(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        target = next(e for e in app.session.entries if e.next_action is not None and not e.contact.starred)
        cid, text = target.contact.id, target.next_action.text
        await go_to(pilot, cid)
        await pilot.press("e", "ctrl+a", "ctrl+k", *"Renamed", "enter")
        await settled(pilot)
        await go_to(pilot, cid)  # the edit moved it (the cursor stayed on its row)
        await pilot.press("asterisk")
        await settled(pilot)
        assert entry_of(app, cid).contact.starred and entry_of(app, cid).next_action.text == "Renamed"

        await pilot.press("u")
        await notes.wait(pilot, "Undone: Star")
        await settled(pilot)
        assert not entry_of(app, cid).contact.starred and entry_of(app, cid).next_action.text == "Renamed"
        await pilot.press("u")
        await notes.wait(pilot, f"Undone: Edit: {text}")
        await settled(pilot)
        assert entry_of(app, cid).next_action.text == text
        server = await server_entry(api, cid)
        assert not server.contact.starred and server.next_action.text == text


async def test_star_key_toggles_the_star_at_once_and_on_the_server(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await start(pilot)
        target = next(e for e in app.session.entries if not e.contact.starred)
        cid = target.contact.id
        await go_to(pilot, cid)
        await pilot.press("asterisk")
        assert entry_of(app, cid).contact.starred
        assert (await row_line(pilot, cid)).startswith("▌ ★")
        await settled(pilot)
        assert (await api.get_contact(cid)).starred
        await pilot.press("asterisk")
        assert (await row_line(pilot, cid)).startswith("▌ ☆")
        await settled(pilot)
        assert not (await api.get_contact(cid)).starred
        assert selected_id(app) == cid


async def test_notifications_show_action_text_verbatim(make_app, monkeypatch) -> None:
    """Names and action texts are never read as markup: "[draft]" stays, a stray "[/x]" does not crash."""
    drawn: list[str] = []  # every toast as drawn, kept after it goes (it goes after a few seconds)
    render = Toast.render

    def recorded(toast: Toast):
        content = render(toast)
        drawn.append(str(content))
        return content

    monkeypatch.setattr(Toast, "render", recorded)
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW, notifications=True) as pilot:
        notes, _ = await start(pilot)
        target = without_any_action(app)
        await go_to(pilot, target.contact.id)
        await pilot.press("n", *"[draft] [/x]", "enter")
        await settled(pilot)
        assert "[draft] [/x]" in await row_line(pilot, target.contact.id)
        await pilot.press("u")
        await notes.wait(pilot, "Undone: Add: [draft] [/x]")

        # drawn as a toast: seen when it is drawn, however soon a busy machine's clock makes it go
        await wait_for(pilot, lambda: "Undone: Add: [draft] [/x]" in drawn, what="the undo toast")
        await settled(pilot)
    assert app.return_value is None  # still running until the test ended it: no MarkupError


async def test_n_on_a_contact_with_a_next_action_queues_it_and_says_so(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        target = plain_with_next(app)
        cid, name, current = target.contact.id, contact_name(target.contact), target.next_action.text
        await go_to(pilot, cid)
        await pilot.press("n")
        assert isinstance(app.screen, NextActionModal) and "queued behind the next action" in app.screen.heading
        await pilot.press(*"Send the contract", "enter")
        note = await notes.wait(pilot, "queued:")
        assert note.message.startswith(f"{name}: Send the contract") and f"{name} already has a next action ({current})" in note.message
        await settled(pilot)
        entry = entry_of(app, cid)
        assert entry.next_action.text == current and [a.text for a in entry.queued_actions] == ["Send the contract"]
        server = await server_entry(api, cid)
        assert server.next_action.text == current and "Send the contract" in [a.text for a in server.queued_actions]

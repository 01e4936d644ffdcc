"""The action stream's triage keys on the contact detail screen: d, n, e, a, p, s, u, * work the same,
the action history follows, the stream is in step when going back, and u undoes this screen's changes."""

from __future__ import annotations

import datetime as dt

from crmtui.domain.models import ActionStatus
from crmtui.ui.app import CrmApp
from crmtui.ui.modals.next_action import NextActionModal
from crmtui.ui.modals.pickers import ConfirmModal, TeamPickerModal
from crmtui.ui.screens.contact import ContactDetailScreen

from .conftest import NARROW, settled
from .contact_support import contact_entry, detail, not_in_my_stream, open_contact, rows, section_text, summary_text
from .stream_support import (
    entry_of,
    go_to,
    plain_with_next,
    queued_for_me,
    row_line,
    selected_id,
    server_entry,
    server_stream_ids,
    start,
    stream_screen,
    with_conflict,
    without_any_action,
)


async def test_d_completes_the_next_action_asks_for_the_next_and_the_history_shows_it(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        target = plain_with_next(app)
        cid, action = target.contact.id, target.next_action
        await go_to(pilot, cid)
        await pilot.press("enter")
        await settled(pilot)

        await pilot.press("d")
        assert isinstance(app.screen, NextActionModal)
        assert contact_entry(app).next_action is None  # shown done at once
        await pilot.press(*"Send the contract", "enter")
        await notes.wait(pilot, "Send the contract")
        await settled(pilot)
        actions = rows(app, "actions")
        assert "Send the contract" in actions[1]
        done = actions[actions.index(next(r for r in actions if r.startswith("Done ("))) + 1]
        assert done.startswith("✓ 10/03/2026") and action.text in done  # newest first
        server = await server_entry(api, cid)
        assert server.next_action.text == "Send the contract"

        await pilot.press("escape")  # the stream already shows it, cursor still on the contact
        assert app.screen is stream_screen(app) and selected_id(app) == cid
        assert entry_of(app, cid).next_action.text == "Send the contract"
        assert "Send the contract" in await row_line(pilot, cid)


async def test_n_e_and_star_and_u_undoes_only_this_screens_changes(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        stream_star = next(e for e in app.session.entries if not e.contact.starred)
        await go_to(pilot, stream_star.contact.id)
        await pilot.press("asterisk")  # a change on the stream: not undone from the detail screen
        await settled(pilot)
        assert (await api.get_contact(stream_star.contact.id)).starred

        target = without_any_action(app)
        cid = target.contact.id
        await open_contact(pilot, cid)
        await pilot.press("u")
        await notes.wait(pilot, "Nothing to undo")

        await pilot.press("n", *"Intro call", "enter")
        await notes.wait(pilot, "Intro call")
        await settled(pilot)
        assert "Intro call" in rows(app, "actions")[1]
        await pilot.press("e")
        assert isinstance(app.screen, NextActionModal)
        await pilot.press("ctrl+u", *"Intro call with the CEO", "enter")
        await settled(pilot)
        assert (await server_entry(api, cid)).next_action.text == "Intro call with the CEO"
        starred = contact_entry(app).contact.starred
        await pilot.press("asterisk")
        assert summary_text(app).startswith("☆" if starred else "★")  # at once
        await settled(pilot)
        assert (await api.get_contact(cid)).starred is not starred

        for undone in ("Unstar" if starred else "Star", "Edit: Intro call", "Add: Intro call"):
            await pilot.press("u")
            await notes.wait(pilot, f"Undone: {undone}")
            await settled(pilot)
        await pilot.press("u")
        await notes.wait(pilot, "Nothing to undo")
        assert (await server_entry(api, cid)).next_action is None
        assert (await api.get_contact(cid)).starred is starred
        assert (await api.get_contact(stream_star.contact.id)).starred  # the stream's change stays
        assert len(app.session.undo_stack) == 1


async def test_a_reassigns_from_the_detail_and_the_contact_leaves_the_stream(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        me = app.session.user_id
        target = next(
            e for e in app.session.entries
            if e.contact.owner_id != me and e.next_action is not None and not e.queued_actions
        )
        cid, action_id = target.contact.id, target.next_action.id
        await open_contact(pilot, cid)
        await pilot.press("a")
        assert isinstance(app.screen, TeamPickerModal)
        await pilot.press("down", "enter")
        teammate = app.session.account.team[0]
        await notes.wait(pilot, f"Assigned to {teammate.name}")
        await settled(pilot)
        assert isinstance(app.screen, ContactDetailScreen)  # the detail stays: the contact still exists
        assert f"({teammate.name})" in section_text(app, "actions")  # now among team members' actions
        assert app.session.entry(cid) is None and cid not in await server_stream_ids(api)

        await pilot.press("u")
        await notes.wait(pilot, "Undone: Reassign to")
        await settled(pilot)
        assert app.session.entry(cid).next_action.id == action_id


async def test_p_promotes_and_s_swaps_on_the_detail(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        queued = queued_for_me(app)
        await open_contact(pilot, queued.contact.id)
        await pilot.press("p")
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await notes.wait(pilot, "Promoted")
        await settled(pilot)
        assert contact_entry(app).next_action.id == queued.queued_actions[0].id
        assert (await server_entry(api, queued.contact.id)).next_action.id == queued.queued_actions[0].id
        await pilot.press("escape")

        conflict = with_conflict(app)
        early = min(conflict.conflicts, key=lambda a: a.date or dt.date.max)
        await open_contact(pilot, conflict.contact.id)
        assert "⚠ a queued action is due before it" in section_text(app, "actions")
        await pilot.press("s")
        await notes.wait(pilot, "Swapped")
        await settled(pilot)
        assert contact_entry(app).next_action.id == early.id
        assert "⚠" not in section_text(app, "actions")
        assert entry_of(app, conflict.contact.id).next_action.id == early.id  # the stream too


async def test_triage_on_a_contact_outside_the_stream_brings_it_in_and_u_takes_it_out(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        cid = await not_in_my_stream(api, app)
        await open_contact(pilot, cid)
        await pilot.press("d")
        note = await notes.wait(pilot, "has no next action")
        assert note.severity == "warning"

        await pilot.press("n", *"Follow up for Priya", "enter")
        await notes.wait(pilot, "Follow up for Priya")
        await settled(pilot)
        entry = app.session.entry(cid)
        assert entry is not None and entry.next_action.text == "Follow up for Priya"  # in my stream now
        assert cid in await server_stream_ids(api)

        await pilot.press("u")
        await notes.wait(pilot, "Undone: Add: Follow up for Priya")
        await settled(pilot)
        assert app.session.entry(cid) is None and cid not in await server_stream_ids(api)


async def test_opening_a_contact_changed_elsewhere_updates_the_stream_row(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await start(pilot)
        target = plain_with_next(app)
        cid = target.contact.id
        await api.update_action(target.next_action.id, text="Renamed elsewhere")
        await api.create_action(cid, "Later", ActionStatus.QUEUED)
        await open_contact(pilot, cid)
        assert "Renamed elsewhere" in rows(app, "actions")[1]
        assert entry_of(app, cid).next_action.text == "Renamed elsewhere"  # the stream learnt it too
        assert [a.text for a in entry_of(app, cid).queued_actions] == ["Later"]
        assert detail(app).contact.current == app.session.entry(cid)

"""The action stream when the server is slow, refuses, throttles, fails or is gone: optimistic, then reverted."""

from __future__ import annotations

import asyncio
import re

from crmtui.domain.formatting import contact_name
from crmtui.domain.models import ActionStatus
from crmtui.ui.app import CrmApp
from crmtui.ui.modals.next_action import NextActionModal
from crmtui.ui.modals.pickers import ConfirmModal
from crmtui.ui.screens.stream import ActionStreamScreen
from crmtui.ui.widgets.header import AppHeader

from .conftest import NARROW, settled
from .stream_support import (
    History,
    api,  # noqa: F401 - fixture
    entry_of,
    go_to,
    plain_with_next,
    queued_for_me,
    row_line,
    selected_id,
    server_entry,
    shown_ids,
    stream_list,
    stream_screen,
    without_any_action,
    start,
)


def triage_running(app: CrmApp) -> bool:
    return any(w.is_running and w.group == "triage" for w in stream_screen(app).workers)


def unstarred(app: CrmApp):
    return next(e for e in app.session.entries[3:] if not e.contact.starred)


# -- slow ------------------------------------------------------------------------------------------


async def test_slow_server_star_shows_at_once_and_the_cursor_still_moves(sandbox, make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await start(pilot)
        target = unstarred(app)
        cid = target.contact.id
        await go_to(pilot, cid)
        below = shown_ids(app)[shown_ids(app).index(cid) + 1]
        sandbox.options.latency_ms = 1500

        loop = asyncio.get_running_loop()
        pressed = loop.time()
        await pilot.press("asterisk")
        assert (await row_line(pilot, cid)).startswith("▌ ★")
        await pilot.press("j")
        assert selected_id(app) == below
        await pilot.press("k")
        assert selected_id(app) == cid
        assert triage_running(app)  # all of that while the request is still on its way

        await settled(pilot)
        assert loop.time() - pressed >= 1.5
        assert entry_of(app, cid).contact.starred and selected_id(app) == cid
        sandbox.options.latency_ms = 0
        assert (await api.get_contact(cid)).starred


async def test_slow_server_done_opens_the_modal_at_once(sandbox, make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await start(pilot)
        target = plain_with_next(app)
        cid = target.contact.id
        await go_to(pilot, cid)
        sandbox.options.latency_ms = 800  # four requests: done, re-read, add, re-read
        await pilot.press("d")
        assert isinstance(app.screen, NextActionModal)
        assert entry_of(app, cid).next_action is None  # shown done before the server answers
        assert triage_running(app)  # the modal is up while "done" is still on its way
        await pilot.press(*"Call", "enter")
        assert isinstance(app.screen, ActionStreamScreen)
        assert triage_running(app)
        await pilot.press("j", "k")  # the list answers meanwhile
        await settled(pilot)
        assert entry_of(app, cid).next_action.text == "Call"
        sandbox.options.latency_ms = 0
        assert (await server_entry(api, cid)).next_action.text == "Call"


# -- refused: 409 ----------------------------------------------------------------------------------


async def test_promote_refused_with_409_reverts_and_shows_the_servers_message(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, requests = await start(pilot)
        target = queued_for_me(app)
        cid, queued = target.contact.id, target.queued_actions[0]
        await go_to(pilot, cid)
        before = entry_of(app, cid).model_copy(deep=True)
        # behind the app's back the contact gets a next action: the loaded stream is now out of date
        await api.create_action(cid, "Call from the office", ActionStatus.ASAP)

        shown = History(app, cid, lambda e: e.next_action.id if e and e.next_action else None)
        await pilot.press("p")
        assert isinstance(app.screen, ConfirmModal)  # the app's own check passes: it knows of no next action
        await pilot.press("y")
        note = await notes.wait(pilot, "already has a next action for you")
        await settled(pilot)
        assert shown.seen == [queued.id, None]  # promoted at once, then put back

        assert note.title == "The server refused" and note.severity == "error"
        assert note.message == "This contact already has a next action for you; swap instead"
        assert requests.writes() == [("PUT", f"/api/v3/actions/{queued.id}/promote")]  # sent once, not retried
        assert entry_of(app, cid) == before  # reverted
        assert "(no next action)" not in await row_line(pilot, cid) and queued.text in await row_line(pilot, cid)
        assert not app.session.undo_stack
        server = await server_entry(api, cid)
        assert server.next_action.text == "Call from the office"
        assert [a.id for a in server.queued_actions] == [queued.id]


# -- throttled -------------------------------------------------------------------------------------


async def test_throttled_change_reverts_and_says_throttled(sandbox, make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, requests = await start(pilot)
        target = unstarred(app)
        cid = target.contact.id
        await go_to(pilot, cid)
        sandbox.options.throttle_rate = 1.0
        sandbox.options.retry_after = 0

        await pilot.press("asterisk")
        assert entry_of(app, cid).contact.starred
        note = await notes.wait(pilot, "Throttled")
        await settled(pilot)
        assert note.title == "Throttled by the server" and note.severity == "error"
        assert "slowing down" in note.message
        assert len(requests.writes()) > 1  # throttling is retried before giving up
        assert not entry_of(app, cid).contact.starred
        assert (await row_line(pilot, cid)).startswith("▌ ☆")
        assert not app.session.undo_stack

        sandbox.options.throttle_rate = 0.0
        assert not (await api.get_contact(cid)).starred


# -- offline ---------------------------------------------------------------------------------------


async def test_offline_change_reverts_and_refresh_shows_the_error_in_the_header(sandbox, make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        target = unstarred(app)
        cid = target.contact.id
        await go_to(pilot, cid)
        count = len(shown_ids(app))
        sandbox.stop()

        await pilot.press("asterisk")
        assert entry_of(app, cid).contact.starred
        note = await notes.wait(pilot, "Offline")
        await settled(pilot)
        assert note.severity == "error" and "could not connect" in note.message
        assert note.title == "Could not reach the server"
        assert not entry_of(app, cid).contact.starred
        assert (await row_line(pilot, cid)).startswith("▌ ☆")

        await pilot.press("r")
        await settled(pilot)
        assert app.sync_error.startswith("Offline")
        header = stream_screen(app).query_one("#header", AppHeader)
        assert "⚠ Offline" in str(header.render())
        refresh = await notes.wait(pilot, "Offline")
        assert refresh.title == "Refresh failed"
        assert len(shown_ids(app)) == count and selected_id(app) == cid  # the loaded stream stays usable
        await pilot.press("j")
        assert selected_id(app) != cid


# -- server errors ---------------------------------------------------------------------------------


async def test_server_error_on_done_reverts_and_the_next_action_is_not_saved(sandbox, make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        target = plain_with_next(app)
        cid, action = target.contact.id, target.next_action
        await go_to(pilot, cid)
        sandbox.options.fail_rate = 1.0

        await pilot.press("d")
        assert entry_of(app, cid).next_action is None
        await pilot.press(*"Next", "enter")
        failed = await notes.wait(pilot, "Server error")
        not_saved = await notes.wait(pilot, "not saved because marking done failed")
        await settled(pilot)
        assert failed.title == "The server refused" and failed.severity == "error"
        assert re.fullmatch(r"Server error 50[023]: .+; try again shortly", failed.message)
        assert not_saved.severity == "warning"
        restored = entry_of(app, cid).next_action
        assert (restored.id, restored.text) == (action.id, action.text)
        assert "(no next action)" not in await row_line(pilot, cid)

        sandbox.options.fail_rate = 0.0
        server = await server_entry(api, cid)
        assert server.next_action.id == action.id and not server.next_action.done
        assert all(a.text != "Next" for a in await api.contact_actions(cid))


async def test_server_error_on_add_reverts_at_once_without_retrying(sandbox, make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, requests = await start(pilot)
        target = without_any_action(app)
        cid = target.contact.id
        await go_to(pilot, cid)
        sandbox.options.fail_rate = 1.0
        await pilot.press("n", *"Call", "enter")
        note = await notes.wait(pilot, "Server error")
        await settled(pilot)
        assert note.title == "The server refused"
        assert requests.writes() == [("POST", "/api/v3/actions")]  # a POST is never repeated blindly
        assert entry_of(app, cid).next_action is None and "(no next action)" in await row_line(pilot, cid)
        sandbox.options.fail_rate = 0.0
        assert (await server_entry(api, cid)).next_action is None


async def test_failed_undo_reverts_and_stays_undoable(sandbox, make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, requests = await start(pilot)
        target = queued_for_me(app)
        cid, queued = target.contact.id, target.queued_actions[0]
        await go_to(pilot, cid)
        await pilot.press("p", "y")
        await notes.wait(pilot, "Promoted")
        await settled(pilot)
        assert entry_of(app, cid).next_action.id == queued.id

        sandbox.options.fail_rate = 1.0
        shown = History(app, cid, lambda e: e.next_action.id if e and e.next_action else None)
        await pilot.press("u")
        note = await notes.wait(pilot, "Server error")
        await settled(pilot)
        assert shown.seen == [None, queued.id]  # unpromoted at once, then put back
        assert note.severity == "error" and note.title == "The server refused"
        assert requests.writes()[-1] == ("PUT", f"/api/v3/actions/{queued.id}/revert_promotion")
        assert entry_of(app, cid).next_action.id == queued.id
        assert len(app.session.undo_stack) == 1  # still undoable

        sandbox.options.fail_rate = 0.0
        await pilot.press("u")
        await notes.wait(pilot, f"Undone: Promote: {queued.text}")
        await settled(pilot)
        entry = entry_of(app, cid)
        assert entry.next_action is None and [a.id for a in entry.queued_actions] == [queued.id]
        server = await server_entry(api, cid)
        assert server.next_action is None and [a.id for a in server.queued_actions] == [queued.id]


async def test_server_search_failure_is_reported_and_local_matches_stay(sandbox, make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        first = app.session.entries[0]
        sandbox.options.fail_rate = 1.0
        await pilot.press("slash", *contact_name(first.contact).lower(), "enter")
        note = await notes.wait(pilot, "Server error")
        await settled(pilot)
        assert note.title == "Search failed"
        assert [e.contact.id for e in stream_list(app).entries] == [first.contact.id]

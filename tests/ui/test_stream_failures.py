"""The action stream when the server is slow, refuses, throttles, fails or is gone.

Every change shows at once and is kept in the outbox: a slow, throttled, failing or absent server
only delays it (the header says so) and it reaches the server once it can; a refusal (4xx) puts
the row back as the server has it, says why, and keeps the change for review (screen 5).
"""

from __future__ import annotations

from crmtui.domain.formatting import contact_name
from crmtui.domain.models import ActionStatus
from crmtui.ui.app import CrmApp
from crmtui.ui.modals.next_action import NextActionModal
from crmtui.ui.modals.pickers import ConfirmModal
from crmtui.ui.screens.stream import ActionStreamScreen
from crmtui.ui.widgets.header import AppHeader

from .conftest import NARROW, all_sent, retried, settled, wait_for
from .stream_support import (
    History,
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


def saving(app: CrmApp) -> bool:
    """A change is shown as made and not yet confirmed by the server."""
    return app.pending_changes > 0


def header(app: CrmApp) -> str:
    return str(stream_screen(app).query_one("#header", AppHeader).render())


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
        held = sandbox.gate.hold("PUT", f"/api/v3/contacts/{cid}/star")

        await pilot.press("asterisk")
        assert (await row_line(pilot, cid)).startswith("▌ ★")
        await pilot.press("j")
        assert selected_id(app) == below
        await pilot.press("k")
        assert selected_id(app) == cid
        assert saving(app) and "saving…" in header(app)  # all of that while the request is still on its way
        await held.parked(1)  # it has reached the server, which holds it unapplied
        assert not sandbox.state.tables["contacts"][cid].get("starred")
        assert saving(app) and "saving…" in header(app) and entry_of(app, cid).contact.starred

        held.release()
        await settled(pilot)
        assert entry_of(app, cid).contact.starred and selected_id(app) == cid
        assert (await api.get_contact(cid)).starred


async def test_slow_server_done_opens_the_modal_at_once(sandbox, make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await start(pilot)
        target = plain_with_next(app)
        cid = target.contact.id
        await go_to(pilot, cid)
        done = sandbox.gate.hold("PUT", "/api/v3/actions/*/mark_as_done")  # answered only when released
        await pilot.press("d")
        assert isinstance(app.screen, NextActionModal)
        assert entry_of(app, cid).next_action is None  # shown done before the server answers
        assert saving(app)  # the modal is up while "done" is still on its way
        await done.parked(1)
        assert isinstance(app.screen, NextActionModal) and saving(app)
        await pilot.press(*"Call", "enter")  # the new action waits for "done" to be answered
        assert isinstance(app.screen, ActionStreamScreen)
        assert entry_of(app, cid).next_action.text == "Call" and saving(app)
        await pilot.press("j", "k")  # the list answers meanwhile
        assert entry_of(app, cid).next_action.text == "Call" and saving(app)
        done.release()
        await settled(pilot)
        assert entry_of(app, cid).next_action.text == "Call"
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
        assert shown.seen[0] == queued.id  # promoted at once...
        assert shown.seen[-1] == entry_of(app, cid).next_action.id != queued.id  # ...then as the server has it

        assert note.title == "The server refused" and note.severity == "error"
        assert note.message.startswith("This contact already has a next action for you; swap instead")
        assert "5 lists it" in note.message
        assert requests.writes() == [("PUT", f"/api/v3/actions/{queued.id}/promote")]  # sent once, not retried
        assert entry_of(app, cid).next_action.text == "Call from the office"  # the server's state, re-read
        assert [a.id for a in entry_of(app, cid).queued_actions] == [a.id for a in before.queued_actions]
        assert queued.text not in (await row_line(pilot, cid)).split("Call from the office")[0]
        assert not app.session.undo_stack
        assert app.review_changes == 1 and "1 to review" in header(app)
        server = await server_entry(api, cid)
        assert server.next_action.text == "Call from the office"
        assert [a.id for a in server.queued_actions] == [queued.id]


# -- throttled -------------------------------------------------------------------------------------


async def test_a_throttled_change_stays_and_goes_through_when_the_server_lets_it(sandbox, make_app, api) -> None:
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
        await retried(pilot)
        assert entry_of(app, cid).contact.starred and (await row_line(pilot, cid)).startswith("▌ ★")  # still as made
        assert "saving…" in header(app) and not notes.find("not saved")
        await wait_for(pilot, lambda: len(requests.writes()) > 1, what="the throttled change tried again")
        assert entry_of(app, cid).contact.starred and not notes.find("not saved")  # still as made, nothing lost
        assert not sandbox.state.tables["contacts"][cid].get("starred", False)

        sandbox.options.throttle_rate = 0.0
        await all_sent(pilot)
        assert (await api.get_contact(cid)).starred and entry_of(app, cid).contact.starred
        assert "saving" not in header(app)


# -- offline ---------------------------------------------------------------------------------------


async def test_an_offline_change_stays_and_the_header_says_since_when(sandbox, make_app) -> None:
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
        note = await notes.wait(pilot, "No connection")
        assert note.title == "Offline" and note.severity == "warning"
        assert entry_of(app, cid).contact.starred and (await row_line(pilot, cid)).startswith("▌ ★")
        assert "offline since 09:00" in header(app) and "1 unsent" in header(app)

        await pilot.press("r")
        await settled(pilot)
        assert app.offline_since is not None and "offline since" in header(app)
        assert len(shown_ids(app)) == count and selected_id(app) == cid  # the loaded stream stays usable
        await pilot.press("j")
        assert selected_id(app) != cid
        assert app.pending_changes == 1 and not notes.find("not saved")


# -- server errors ---------------------------------------------------------------------------------


async def test_server_errors_on_done_only_delay_it_and_the_next_action(sandbox, make_app, api) -> None:
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
        await retried(pilot)
        assert entry_of(app, cid).next_action.text == "Next" and app.pending_changes == 2
        assert not sandbox.state.tables["actions"][action.id]["done"]

        sandbox.options.fail_rate = 0.0
        await all_sent(pilot)
        server = await server_entry(api, cid)
        assert server.next_action.text == "Next"
        assert [a for a in await api.contact_actions(cid) if a.id == action.id][0].done
        assert [a.text for a in await api.contact_actions(cid)].count("Next") == 1
        assert entry_of(app, cid).next_action.id == server.next_action.id
        assert not notes.find("not saved")


async def test_a_server_error_on_add_is_checked_before_sending_again(sandbox, make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        _, requests = await start(pilot)
        target = without_any_action(app)
        cid = target.contact.id
        await go_to(pilot, cid)
        sandbox.options.fail_rate = 1.0
        await pilot.press("n", *"Call", "enter")
        await retried(pilot)
        assert requests.writes() == [("POST", "/api/v3/actions")]  # a POST is never repeated blindly...
        assert entry_of(app, cid).next_action.text == "Call"
        sandbox.options.fail_rate = 0.0
        await all_sent(pilot)
        # ...the server is asked first whether the action is there (a 5xx may come after the write)
        reads = [path for method, path in requests.sent if method == "GET" and path == f"/api/v3/contacts/{cid}/actions"]
        assert reads and requests.writes().count(("POST", "/api/v3/actions")) == 2
        assert [a.text for a in await api.contact_actions(cid)].count("Call") == 1
        assert (await server_entry(api, cid)).next_action.text == "Call"


async def test_undo_before_the_change_leaves_takes_it_back_without_a_request(sandbox, make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, requests = await start(pilot)
        target = unstarred(app)
        cid = target.contact.id
        await go_to(pilot, cid)
        app.session.outbox.pause("offline for the test")
        await pilot.press("asterisk")
        assert entry_of(app, cid).contact.starred and app.pending_changes == 1
        await pilot.press("u")
        await notes.wait(pilot, "Undone")
        assert not entry_of(app, cid).contact.starred and app.pending_changes == 0
        app.session.outbox.resume()
        await settled(pilot)
        assert requests.writes() == [] and not (await api.get_contact(cid)).starred


async def test_a_refused_undo_puts_the_row_back_as_the_server_has_it(sandbox, make_app, api) -> None:
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

        await api.delete_action(queued.id)  # gone behind the app's back: the undo cannot reach it
        shown = History(app, cid, lambda e: e.next_action.id if e and e.next_action else None)
        await pilot.press("u")
        note = await notes.wait(pilot, "was not saved")
        await settled(pilot)
        assert shown.seen[0] is None  # unpromoted at once
        assert note.severity == "error" and note.title == "The server refused"
        assert requests.writes()[-1] == ("PUT", f"/api/v3/actions/{queued.id}/revert_promotion")
        server = await server_entry(api, cid)
        shown_now = entry_of(app, cid)
        assert (shown_now.next_action.id if shown_now.next_action else None) == (
            server.next_action.id if server and server.next_action else None
        )
        assert app.review_changes == 1


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

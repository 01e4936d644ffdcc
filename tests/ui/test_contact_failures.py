"""The contact detail screen when the server is slow, fails, throttles, refuses or is gone."""

from __future__ import annotations


import httpx

from crmtui.backends.http import RetryPolicy
from crmtui.ui.app import CrmApp
from crmtui.ui.screens.contact import ContactDetailScreen
from crmtui.ui.widgets.header import AppHeader

from .conftest import NARROW, settled, wait_for
from .contact_support import (
    contact_entry,
    detail,
    not_in_my_stream,
    open_contact,
    rows,
    section_text,
    summary_text,
    tab_label,
    triage_running,
)
from .stream_support import (
    api,  # noqa: F401 - fixture
    plain_with_next,
    start,
)


def quick_retries(app: CrmApp) -> None:
    """One retry, soon: the failure paths here are about what the screen shows, not about backoff."""
    app.session.backend.client.http.retry = RetryPolicy(attempts=2, base_delay=0.05, budget=1.0)  # type: ignore[attr-defined]


def unreachable(app: CrmApp, path: str) -> None:
    """From now on the app's requests to `path` never reach the server (a refused connection)."""

    async def refuse(request: httpx.Request) -> None:
        if request.url.path == path:
            raise httpx.ConnectError("connection refused", request=request)

    app.session.backend.client.http.client.event_hooks["request"].append(refuse)  # type: ignore[attr-defined]


# -- loading ---------------------------------------------------------------------------------------


async def test_every_section_that_fails_says_so_and_r_loads_them_again(sandbox, make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        quick_retries(app)
        target = plain_with_next(app)
        sandbox.options.fail_rate = 1.0
        await open_contact(pilot, target.contact.id)
        assert target.contact.name in summary_text(app)  # known from the stream
        for section, name in (("notes", "notes"), ("calls", "calls"), ("meetings", "meetings"), ("deals", "deals")):
            [row] = rows(app, section)
            assert row.startswith(f"⚠ Could not load the {name}: Server error 50") and row.endswith("r tries again")
            assert tab_label(app, section).endswith("⚠")
        actions = section_text(app, "actions")
        assert target.next_action.text in actions and "⚠ Could not load the action history" in actions

        sandbox.options.fail_rate = 0.0
        await pilot.press("r")
        await settled(pilot)
        assert not any("⚠" in section_text(app, s) for s in ("notes", "calls", "meetings", "deals", "actions"))
        assert not tab_label(app, "notes").endswith("⚠") and "Done (" in section_text(app, "actions")
        assert not detail(app).contact.errors
        await notes.wait(pilot, "Reloading the contact")


async def test_a_contact_that_cannot_be_loaded_says_so_in_the_header(sandbox, make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await start(pilot)
        quick_retries(app)
        cid = await not_in_my_stream(api, app)  # nothing known about it before the server answers
        sandbox.options.fail_rate = 1.0
        await open_contact(pilot, cid)
        summary = summary_text(app)
        assert "⚠ Could not load the contact: Server error 50" in summary and "r tries again" in summary
        assert rows(app, "actions")[0].startswith("⚠ Could not load the contact")  # not "Loading…" for ever
        await pilot.press("N")  # keys that need the contact wait for it
        assert isinstance(app.screen, ContactDetailScreen)
        sandbox.options.fail_rate = 0.0
        await pilot.press("r")
        await settled(pilot)
        assert (await api.get_contact(cid)).last_name in summary_text(app)


async def test_one_unreachable_section_does_not_hold_up_the_others(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await start(pilot)
        quick_retries(app)
        cid = plain_with_next(app).contact.id
        await api.create_note(cid, "Visible once reachable")
        await api.create_call(cid, "A call", "interested")
        unreachable(app, "/api/v3/notes")
        await open_contact(pilot, cid)
        [row] = rows(app, "notes")
        assert row.startswith("⚠ Could not load the notes: Offline")
        assert "A call" in section_text(app, "calls") and "Done (" in section_text(app, "actions")

        app.session.backend.client.http.client.event_hooks["request"].pop()  # type: ignore[attr-defined]
        await pilot.press("r")
        await settled(pilot)
        assert "Visible once reachable" in section_text(app, "notes")


# -- changes that fail -----------------------------------------------------------------------------


async def test_slow_server_shows_a_note_at_once_marked_saving(sandbox, make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await start(pilot)
        cid = plain_with_next(app).contact.id
        await open_contact(pilot, cid)
        sandbox.options.latency_ms = 2000
        await pilot.press("N", *"Quick one", "enter")
        first = rows(app, "notes")[0]
        assert "Quick one" in first and "saving…" in first
        assert triage_running(app)  # shown while the request is still on its way
        header = detail(app).query_one("#header", AppHeader)
        assert app.pending_changes == 1 and "saving…" in str(header.render())
        await pilot.press("l")  # the screen answers meanwhile
        await settled(pilot)
        assert "saving…" not in rows(app, "notes")[0] and app.pending_changes == 0
        sandbox.options.latency_ms = 0
        assert any(n.text == "Quick one" for n in await api.notes(cid))


async def test_throttled_status_change_reverts_and_says_throttled(sandbox, make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        quick_retries(app)
        entry = plain_with_next(app)
        cid, old = entry.contact.id, entry.contact.status
        await open_contact(pilot, cid)
        sandbox.options.throttle_rate = 1.0
        sandbox.options.retry_after = 0
        await pilot.press("S", "end", "enter")
        note = await notes.wait(pilot, "Throttled")
        await settled(pilot)
        assert note.title == "Throttled by the server" and note.severity == "error"
        assert contact_entry(app).contact.status == old and f"Status {old}" in summary_text(app)
        assert app.session.entry(cid).contact.status == old
        assert detail(app).contact.undo_stack == []
        sandbox.options.throttle_rate = 0.0
        assert (await api.get_contact(cid)).status == old


async def test_offline_note_is_taken_back_with_the_reason(sandbox, make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        await open_contact(pilot, plain_with_next(app).contact.id)
        before = rows(app, "notes")
        sandbox.stop()
        await pilot.press("N", *"Never arrives", "enter")
        assert "Never arrives" in rows(app, "notes")[0]
        note = await notes.wait(pilot, "Offline")
        await settled(pilot)
        assert note.severity == "error" and "could not connect" in note.message
        assert rows(app, "notes") == before and detail(app).contact.undo_stack == []


async def test_server_error_on_a_new_deal_reverts_without_sending_it_twice(sandbox, make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, requests = await start(pilot)
        cid = plain_with_next(app).contact.id
        await open_contact(pilot, cid)
        before = rows(app, "deals")
        sandbox.options.fail_rate = 1.0
        await pilot.press("D", *"Failing deal", "tab", *"500", "enter")
        note = await notes.wait(pilot, "Server error")
        await settled(pilot)
        assert note.title == "The server refused"
        assert requests.writes() == [("POST", "/api/v3/deals")]  # a POST is never repeated blindly
        assert rows(app, "deals") == before
        sandbox.options.fail_rate = 0.0
        assert all(d.name != "Failing deal" for d in await api.deals(contact_id=cid))


async def test_failed_undo_keeps_the_note_and_stays_undoable(sandbox, make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        quick_retries(app)
        cid = plain_with_next(app).contact.id
        await open_contact(pilot, cid)
        await pilot.press("N", *"Keep me", "enter")
        await notes.wait(pilot, "Note saved")
        await settled(pilot)
        sandbox.options.fail_rate = 1.0
        await pilot.press("u")
        await notes.wait(pilot, "Server error")
        await settled(pilot)
        assert "Keep me" in rows(app, "notes")[0] and len(detail(app).contact.undo_stack) == 1
        sandbox.options.fail_rate = 0.0
        await pilot.press("u")
        await notes.wait(pilot, "Undone: Note: Keep me")
        await settled(pilot)
        await wait_for(pilot, lambda: "Keep me" not in section_text(app, "notes"), what="the note to go")
        assert all(n.text != "Keep me" for n in await api.notes(cid))


async def test_going_back_while_a_change_is_saving_does_not_lose_it(sandbox, make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        entry = plain_with_next(app)
        cid = entry.contact.id
        await open_contact(pilot, cid)
        sandbox.options.latency_ms = 800
        await pilot.press("N", *"Said on the way out", "enter", "plus", *"Leaving", "enter", "escape")
        assert not isinstance(app.screen, ContactDetailScreen) and triage_running(app)
        assert "Leaving" in app.session.entry(cid).contact.tags  # the stream shows the tag at once
        await notes.wait(pilot, "Tagged “Leaving”")
        await settled(pilot)
        sandbox.options.latency_ms = 0
        assert any(n.text == "Said on the way out" for n in await api.notes(cid))
        assert "Leaving" in (await api.get_contact(cid)).tags and app.pending_changes == 0

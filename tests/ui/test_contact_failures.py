"""The contact detail screen when the server is slow, fails, throttles, refuses or is gone.

Loading failures show in each section; a change waits in the outbox until the server takes it
(a refusal puts it back as the server has it and says why).
"""

from __future__ import annotations


import httpx

from crmtui.backends.http import RetryPolicy
from crmtui.ui.app import CrmApp
from crmtui.ui.screens.contact import ContactDetailScreen
from crmtui.ui.widgets.header import AppHeader

from .conftest import all_sent, NARROW, retried, settled, wait_for
from .contact_support import (
    contact_entry,
    detail,
    not_in_my_stream,
    open_contact,
    rows,
    section_text,
    summary_text,
    tab_label,
)
from .stream_support import (
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
        held = sandbox.gate.hold("POST", "/api/v3/notes")  # answered only when released
        await pilot.press("N", *"Quick one", "ctrl+s")
        await wait_for(pilot, lambda: "Quick one" in rows(app, "notes")[0], what="the note")
        first = rows(app, "notes")[0]
        assert "Quick one" in first and "saving…" in first  # shown while the request is still on its way
        header = detail(app).query_one("#header", AppHeader)
        assert app.pending_changes == 1 and "saving…" in str(header.render())
        await held.parked(1)
        await pilot.press("l")  # the screen answers meanwhile
        assert "saving…" in rows(app, "notes")[0] and app.pending_changes == 1
        held.release()
        await settled(pilot)
        assert "saving…" not in rows(app, "notes")[0] and app.pending_changes == 0
        assert any(n.text == "Quick one" for n in await api.notes(cid))


async def test_a_throttled_status_change_stays_and_goes_through_later(sandbox, make_app, api) -> None:
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
        await retried(pilot)
        new = contact_entry(app).contact.status
        assert new != old and f"Status {new}" in summary_text(app)  # shown as made, kept
        assert app.session.entry(cid).contact.status == new
        assert sandbox.state.tables["contacts"][cid].get("status_id") == entry.contact.status_id
        sandbox.options.throttle_rate = 0.0
        await all_sent(pilot)
        assert (await api.get_contact(cid)).status == new and not notes.find("not saved")


async def test_an_offline_note_is_kept_and_shown_until_the_network_is_back(sandbox, make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        cid = plain_with_next(app).contact.id
        await open_contact(pilot, cid)
        sandbox.options.drop_rate = 1.0
        try:
            await pilot.press("N", *"Written on the train", "ctrl+s")
            await notes.wait(pilot, "No connection")
            assert "Written on the train" in rows(app, "notes")[0] and "saving…" in rows(app, "notes")[0]
            assert len(detail(app).contact.undo_stack) == 1
        finally:
            sandbox.options.drop_rate = 0.0
        await app.session.outbox.wake()
        await all_sent(pilot)
        assert "saving…" not in rows(app, "notes")[0] and "Written on the train" in rows(app, "notes")[0]
        assert [n.text for n in await api.notes(cid)].count("Written on the train") == 1


async def test_a_refused_deal_is_taken_back_with_the_servers_reason(sandbox, make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, requests = await start(pilot)
        cid = plain_with_next(app).contact.id
        await open_contact(pilot, cid)
        await settled(pilot)
        before = rows(app, "deals")
        await api.client.delete_contact(cid)  # deleted in the web app meanwhile: the server refuses the deal
        await pilot.press("D", *"Refused deal", "tab", *"500", "enter")
        note = await notes.wait(pilot, "was not saved")
        await settled(pilot)
        assert note.title == "The server refused" and "Refused deal" in note.message
        assert requests.writes().count(("POST", "/api/v3/deals")) == 1  # a refusal is not retried
        assert rows(app, "deals") == before or "Refused deal" not in section_text(app, "deals")
        assert app.review_changes == 1


async def test_undo_of_a_sent_note_deletes_it_even_after_a_failed_try(sandbox, make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        quick_retries(app)
        cid = plain_with_next(app).contact.id
        await open_contact(pilot, cid)
        await pilot.press("N", *"Keep me", "ctrl+s")
        await notes.wait(pilot, "Note saved")
        await settled(pilot)
        sandbox.options.fail_rate = 1.0
        await pilot.press("u")
        await notes.wait(pilot, "Undone: Note: Keep me")
        await retried(pilot)
        assert "Keep me" not in section_text(app, "notes")  # gone at once, kept gone while retrying
        assert any(n["text"] == "Keep me" for n in sandbox.state.tables["notes"].values())
        sandbox.options.fail_rate = 0.0
        await all_sent(pilot)
        assert "Keep me" not in section_text(app, "notes")
        assert all(n.text != "Keep me" for n in await api.notes(cid))


async def test_going_back_while_a_change_is_saving_does_not_lose_it(sandbox, make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        entry = plain_with_next(app)
        cid = entry.contact.id
        await open_contact(pilot, cid)
        held = sandbox.gate.hold("POST", "/api/v3/notes")  # the note is on its way until released
        await pilot.press("N", *"Said on the way out", "ctrl+s", "plus", *"Leaving", "enter", "escape")
        assert not isinstance(app.screen, ContactDetailScreen)
        await notes.wait(pilot, "Tagged “Leaving”")
        assert "Leaving" in app.session.entry(cid).contact.tags and app.pending_changes >= 1  # shown at once
        await held.parked(1)
        assert not isinstance(app.screen, ContactDetailScreen) and app.pending_changes >= 1
        held.release()
        await all_sent(pilot)
        assert any(n.text == "Said on the way out" for n in await api.notes(cid))
        assert "Leaving" in (await api.get_contact(cid)).tags and "Leaving" in app.session.entry(cid).contact.tags

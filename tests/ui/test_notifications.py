"""The notifications screen (key 4) on the real sandbox: list, marks, opening contacts, the unread count."""

from __future__ import annotations

import datetime as dt

from crmtui.backends.registry import Connection, create_backend
from crmtui.domain.models import ActionStatus
from crmtui.ui.app import CrmApp
from crmtui.ui.screens.contact import ContactDetailScreen
from crmtui.ui.screens.notifications import NotificationsScreen
from crmtui.ui.widgets.header import AppHeader
from crmtui.ui.widgets.notification_list import NotificationList

from .conftest import all_sent, NARROW, retried, settled, wait_for, WIDE
from .stream_support import start

MARK_ALL = "/api/v3/notifications/mark_all_as_read"
MARKS = "/api/v3/notifications/*/mark_as_read"


def screen_of(app: CrmApp) -> NotificationsScreen:
    return next(s for s in app.screen_stack if isinstance(s, NotificationsScreen))


def lines(app: CrmApp) -> list[str]:
    lst = screen_of(app).query_one(NotificationList)
    return [lst.render_line(y).text for y in range(lst.scrollable_content_region.height)]


def title(app: CrmApp) -> str:
    return screen_of(app).query_one("#header", AppHeader).title


def mine(sandbox) -> list[dict]:
    """The signed-in user's notifications on the server, newest first."""
    items = [n for n in sandbox.state.tables["notifications"].values() if n["user_id"] == sandbox.user_id]
    return sorted(items, key=lambda n: (n["created_at"], n["id"]), reverse=True)


async def open_notifications(pilot):
    notes, requests = await start(pilot)
    await pilot.press("4")
    screen = screen_of(pilot.app)
    await wait_for(pilot, lambda: screen.inbox is not None and screen.inbox.loaded, what="the notifications")
    await settled(pilot)
    return notes, requests, screen


def as_user(sandbox, index: int):
    user = sandbox.users[index]
    return create_backend(
        Connection(backend="onepagecrm", base_url=sandbox.base_url, user_id=user.user_id, api_key=user.api_key)
    )


async def assign_to_me_as(sandbox, index: int, text: str) -> str:
    """A colleague gives the signed-in user an action; the server notifies the user. Returns the contact id."""
    colleague = as_user(sandbox, index)
    try:
        await colleague.connect()
        contact_id = next(iter(sandbox.state.tables["contacts"]))
        await colleague.create_action(contact_id, text, ActionStatus.QUEUED, assignee_id=sandbox.user_id)
    finally:
        await colleague.close()
    return contact_id


# -- the list ------------------------------------------------------------------------------------------


async def test_lists_type_who_when_contact_and_unread(make_app, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        _, _, screen = await open_notifications(pilot)
        server = mine(sandbox)
        assert len(server) == 15
        shown = lines(app)
        assert len([line for line in shown if line.strip()]) == 15
        contacts = sandbox.state.tables["contacts"]
        labels = {"assigned_action": "Action assigned", "contact_assigned": "Contact assigned", "note": "Note", "call": "Call"}
        for line, n in zip(shown, server):
            assert line.startswith("● " if not n["read"] else "  ")
            assert line[2:].startswith(labels[n["type"]])
            assert n["by"][:12] in line
            assert contacts[n["contact_id"]]["first_name"] in line
        assert "2h ago" in shown[0]  # created at 06:36, the clock says 09:00
        assert title(app) == "Notifications · 6 unread of 15"
        assert app.unread_count == 6
        heading = screen.query_one("#notifications-heading").render().plain
        assert heading.split() == ["Type", "By", "When", "Contact"]
        # the highlighted one in full under the list
        first = server[0]
        detail = screen.query_one("#notification-detail").render().plain.splitlines()
        assert detail[0] == f"{labels[first['type']]} by {first['by']} · Today 06:36"
        name = f"{contacts[first['contact_id']]['first_name']} {contacts[first['contact_id']]['last_name']}"
        assert detail[1] == f"{name}: {first['mobile_data']['title']}: {first['mobile_data']['body']}"
        await pilot.press("j")
        assert screen.query_one("#notification-detail").render().plain.startswith(f"{labels[server[1]['type']]} by")


async def test_wide_shows_dates_and_times_and_the_detail(make_app, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await open_notifications(pilot)
        shown = lines(app)
        assert "Today 06:36" in shown[0] and mine(sandbox)[0]["mobile_data"]["body"] in shown[0]
        assert "Yesterday" in shown[1]
        assert "08/03/2026" in shown[2]  # the account's date format


async def test_m_marks_one_read_at_once_and_moves_on(make_app, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, requests, screen = await open_notifications(pilot)
        first_id = screen.inbox.items[0].id
        held = sandbox.gate.hold("POST", MARKS)  # answered only when released
        await pilot.press("m")
        await pilot.pause()
        assert lines(app)[0].startswith("  ")  # shown read before the server answered
        assert app.unread_count == 5 and app.pending_changes == 1
        assert screen.notification_list.cursor == 1
        await held.parked(1)
        assert sandbox.state.tables["notifications"][first_id]["read"] is False  # not applied yet
        held.release()
        await settled(pilot)
        assert app.pending_changes == 0
        assert sandbox.state.tables["notifications"][first_id]["read"] is True
        assert ("POST", f"/api/v3/notifications/{first_id}/mark_as_read") in requests.writes()
        assert title(app) == "Notifications · 5 unread of 15"

        await pilot.press("G", "space")  # the last one is already read
        await notes.wait(pilot, "Already read")
        await settled(pilot)
        assert len(requests.writes()) == 1


async def test_shift_m_marks_all_read(make_app, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, requests, _ = await open_notifications(pilot)
        await pilot.press("M")
        assert app.unread_count == 0  # at once
        await notes.wait(pilot, "All notifications marked read")
        await settled(pilot)
        assert ("POST", MARK_ALL) in requests.writes()
        assert not [n for n in mine(sandbox) if not n["read"]]
        assert not any(line.startswith("●") for line in lines(app))
        assert title(app) == "Notifications · 0 unread of 15"
        await pilot.press("M")
        await notes.wait(pilot, "Nothing unread")
        assert requests.writes().count(("POST", MARK_ALL)) == 1


async def test_enter_opens_the_contact_marks_it_read_and_esc_comes_back(make_app, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        _, _, screen = await open_notifications(pilot)
        await pilot.press("j", "j")
        target = screen.inbox.items[2]
        assert not target.read
        await pilot.press("enter")
        assert isinstance(app.screen, ContactDetailScreen) and app.screen.contact_id == target.contact_id
        await settled(pilot)
        assert sandbox.state.tables["notifications"][target.id]["read"] is True
        assert app.unread_count == 5
        await pilot.press("escape")
        assert app.screen is screen
        await settled(pilot)
        assert screen.notification_list.cursor == 2 and screen.notification_list.selected.id == target.id
        assert lines(app)[2].startswith("  ")


async def test_a_notification_without_a_contact_says_so_and_unknown_types_show_as_they_are(make_app, sandbox) -> None:
    now = "2026-03-10T08:59:00Z"
    with sandbox.state.write():
        sandbox.state.save(
            "notifications",
            {"id": "f" * 24, "type": "webhook_fired", "by": "Zapier", "read": False, "user_id": sandbox.user_id,
             "contact_id": "", "created_at": now, "modified_at": now, "text": "A webhook ran"},
            touch=False,
        )
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _, screen = await open_notifications(pilot)
        first = lines(app)[0]
        assert first.startswith("● webhook_fired") and "Zapier" in first and "1m ago" in first
        assert "A webhook ran" in first
        await pilot.press("enter")
        note = await notes.wait(pilot, "not about a contact")
        await settled(pilot)
        assert note.severity == "warning" and app.screen is screen
        assert sandbox.state.tables["notifications"]["f" * 24]["read"] is True


# -- failures ------------------------------------------------------------------------------------------


async def test_a_mark_the_server_cannot_take_now_stays_read_and_goes_through_later(make_app, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _, screen = await open_notifications(pilot)
        first_id = screen.inbox.items[0].id
        sandbox.options.fail_rate = 1.0
        await pilot.press("m")
        await retried(pilot)
        assert lines(app)[0].startswith("  ") and app.unread_count == 5  # still shown read
        assert sandbox.state.tables["notifications"][first_id]["read"] is False
        sandbox.options.fail_rate = 0.0
        await all_sent(pilot)
        assert sandbox.state.tables["notifications"][first_id]["read"] is True
        assert title(app) == "Notifications · 5 unread of 15" and not notes.find("not saved")


async def test_a_throttled_mark_all_waits_and_goes_through(make_app, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        _, requests, _ = await open_notifications(pilot)
        sandbox.options.throttle_rate = 1.0
        sandbox.options.retry_after = 0
        await pilot.press("M")
        await retried(pilot)
        assert app.unread_count == 0 and not any(line.startswith("●") for line in lines(app))
        sandbox.options.throttle_rate = 0.0
        await all_sent(pilot)
        assert requests.writes().count(("POST", MARK_ALL)) == 1  # once the server lets it through
        assert not [n for n in mine(sandbox) if not n["read"]] and app.unread_count == 0


async def test_offline_says_so_in_the_list(make_app, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        sandbox.stop()
        await pilot.press("4")
        note = await notes.wait(pilot, "")
        await settled(pilot)
        assert note.title == "Notifications not loaded" and note.severity == "error"
        assert lines(app)[1].startswith("  Not loaded (r retries): ")
        assert app.unread_count == 6  # the last count known stays


# -- keeping current -----------------------------------------------------------------------------------


async def test_r_shows_a_notification_that_arrived_meanwhile(make_app, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await open_notifications(pilot)
        contact_id = await assign_to_me_as(sandbox, 1, "Call the CFO")
        assert app.unread_count == 6
        await pilot.press("r")
        await wait_for(pilot, lambda: app.unread_count == 7, what="the new notification")
        await settled(pilot)
        # Where it sorts depends on the time of day (the sandbox's clock runs on the real time of
        # day, the app's is frozen at 09:00): find it by its text.
        await wait_for(pilot, lambda: any("Call the CFO" in line for line in lines(app)), what="its row")
        row = next(line for line in lines(app) if "Call the CFO" in line)
        assert row.startswith("● Action assigned") and "Priya Shah" in row
        assert sandbox.state.tables["contacts"][contact_id]["first_name"] in row


async def test_the_unread_count_is_polled_with_the_stream_refresh_off(make_app, sandbox) -> None:
    app: CrmApp = make_app()  # refresh_seconds=0: the stream never refreshes by itself
    app.unread_seconds = 0.3
    async with app.run_test(size=NARROW) as pilot:
        await start(pilot)
        assert app.unread_count == 6
        await assign_to_me_as(sandbox, 2, "Send the deck")
        await wait_for(pilot, lambda: app.unread_count == 7, what="the header to follow")
        await pilot.press("4")  # the list shows it too, and keeps up while open
        screen = screen_of(app)
        await wait_for(pilot, lambda: screen.inbox is not None and len(screen.inbox.items) == 16)
        await assign_to_me_as(sandbox, 3, "Check the order")
        await wait_for(pilot, lambda: len(screen.inbox.items) == 17, what="the open list to reload")
        await settled(pilot)
        # Both arrived at the same moment, so they sort side by side; where depends on the time of day
        # (the sandbox's clock runs on the real time of day, the seeded ones are before 09:00).
        new = [i for i, line in enumerate(lines(app)) if "Check the order" in line or "Send the deck" in line]
        assert len(new) == 2 and new[1] == new[0] + 1, lines(app)
        assert app.unread_count == 8
        assert title(app) == "Notifications · 8 unread of 17"


async def test_a_poll_never_undoes_a_mark_on_its_way(make_app, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        _, _, screen = await open_notifications(pilot)
        seen: list[int] = []
        app.watch(app, "unread_count", lambda count: seen.append(count), init=False)
        held = sandbox.gate.hold("POST", MARKS)
        await pilot.press("m")  # shown read at once; the server hears of it once released
        await held.parked(1)
        poll = app.poll_unread()  # the server still counts 6 and says so at once
        await poll.wait()
        await pilot.pause()
        assert app.pending_changes == 1 and app.unread_count == 5
        held.release()
        await settled(pilot)
        assert seen == [5]  # never back to 6, not even for a moment
        assert app.unread_count == 5 == screen.inbox.unread


async def test_a_poll_on_its_way_cannot_undo_a_count_set_meanwhile(make_app, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await start(pilot)  # on the action stream: only the header shows the count
        seen: list[int] = []
        app.watch(app, "unread_count", lambda count: seen.append(count), init=False)
        held = sandbox.gate.hold("GET", "/api/v3/notifications")
        worker = app.poll_unread()
        await held.parked(1)  # on its way (the server will still count 6) when the mark is made
        app.set_unread(5)
        held.release()
        await worker.wait()
        assert app.unread_count == 5 and seen == [5]


def test_when_text_in_the_account_zone() -> None:
    from crmtui.domain.models import Account, User
    from crmtui.ui.widgets.notification_list import when_text

    account = Account(user=User(id="u"), time_zone="America/New_York", date_format="%m/%d/%Y")
    now = dt.datetime(2026, 3, 10, 15, 0, tzinfo=dt.timezone.utc)  # 11:00 in New York
    earlier = dt.datetime(2026, 3, 10, 4, 0, tzinfo=dt.timezone.utc)  # 00:00 in New York: yesterday there
    assert when_text(earlier, account, now, compact=False) == "Today 00:00"
    assert when_text(earlier - dt.timedelta(minutes=1), account, now, compact=False) == "Yesterday 23:59"
    assert when_text(now - dt.timedelta(minutes=5), account, now, compact=True) == "5m ago"
    assert when_text(dt.datetime(2026, 3, 1, 12, tzinfo=dt.timezone.utc), account, now, compact=True) == "03/01"
    assert when_text(dt.datetime(2025, 3, 1, 12, tzinfo=dt.timezone.utc), account, now, compact=False) == "03/01/2025 07:00"

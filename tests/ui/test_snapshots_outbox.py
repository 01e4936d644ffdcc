"""Snapshots of working offline: the header while changes wait, and the pending-changes screen (5).

Same determinism as test_snapshots.py: seeded sandbox, frozen clock (09:00), no blink, no toast.
The changes are made through the session so no sandbox-made id shows; "made" times are the
frozen clock's.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from crmtui.domain.models import ActionStatus
from crmtui.service.commands import ToggleStar
from crmtui.store import OutboxStore
from crmtui.store.outbox_files import Mark, write_mark
from crmtui.ui.app import CrmApp
from crmtui.ui.screens.changes import ChangesScreen
from tests.support.outbox_files import NOW, make_set_aside, note, queue, set_column

from .conftest import settled, wait_for
from .local_files_support import files_app, owner, stream_contacts
from .test_snapshots import SIZES, ready, shot


async def clear_toasts(pilot: Pilot) -> None:
    pilot.app.clear_notifications()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_offline_with_changes_waiting(snap_compare, sandbox, size) -> None:
    """The network is gone: the stream stays, a star waits, the header says since when and how many."""

    async def run_before(pilot: Pilot) -> None:
        await ready(pilot)
        app = pilot.app
        sandbox.options.drop_rate = 1.0
        await pilot.press("j", "asterisk")
        await wait_for(pilot, lambda: app.offline_since is not None, what="offline")
        app.session.outbox.pause("test: no more attempts while the shot is taken")
        await settled(pilot)
        await clear_toasts(pilot)

    assert shot(snap_compare, sandbox, size, run_before)


@pytest.mark.parametrize("size", SIZES)
def test_pending_changes_screen(snap_compare, sandbox, size) -> None:
    """Screen 5: one refused (the server's reason), one conflict (what changed there), one waiting."""

    async def run_before(pilot: Pilot) -> None:
        await ready(pilot)
        app = pilot.app
        session = app.session
        api = session.backend
        queued = next(e for e in session.entries if e.next_action is None and e.queued_actions)
        await api.create_action(queued.contact.id, "Call from the office", ActionStatus.ASAP)  # behind the app's back
        await session.promote(queued.contact.id)  # refused: it has a next action now
        target = next(e for e in session.entries if e.next_action is not None and not e.conflicts and e is not queued)
        session.outbox.pause("paused for the shot")
        await session.edit_action(target.contact.id, target.next_action, text="Send the contract")
        await api.update_action(target.next_action.id, text="Send the revised offer")  # a colleague, meanwhile
        session.outbox.resume()
        await wait_for(pilot, lambda: session.outbox.failed == 1 and session.outbox.conflicts == 1, what="both")
        session.outbox.pause("Offline mode: your changes are kept and sent when you start crmtui online")
        await settled(pilot)  # the re-reads after the refusal and the conflict have landed: the order is final
        third = next(e for e in session.entries[5:] if not e.contact.starred)
        await session.toggle_star(third.contact.id)
        await settled(pilot)
        await pilot.press("5")
        assert isinstance(app.screen, ChangesScreen)
        assert app.screen.query_one(DataTable).row_count == 3
        await pilot.press("j")  # the conflict: its detail below the table
        detail = app.screen.query_one("#change-detail", Static)
        await wait_for(pilot, lambda: str(detail.render()).startswith("Edit: "), what="the conflict's detail")
        await settled(pilot)
        await clear_toasts(pilot)

    assert shot(snap_compare, sandbox, size, run_before)


def damaged_files_app(sandbox, folder: Path) -> CrmApp:
    """An outbox holding one waiting and one damaged change, a mark that says more was there (lost),
    and two set-aside files beside it: this account's (two changes) and another account's (one)."""
    path = folder / "outbox.sqlite3"
    first, second, third = stream_contacts(sandbox, 3)
    store = OutboxStore(path, owner=owner(sandbox)).open()
    queue(store, ToggleStar(contact_id=first, starred=True, label="Star"))
    bad = note(store, second, "Quote sent, call back Friday")
    store.close()
    set_column(path, bad.id, "command", "{damaged")
    write_mark(path, Mark(last_id=9, unsent=5, first=NOW - dt.timedelta(minutes=20), last=NOW - dt.timedelta(minutes=5)))
    make_set_aside(path, owner(sandbox), [(third, "Asked for the price list"), (first, "Wants a demo in May")])
    make_set_aside(path, "another-account", [(second, "Not for this account")], stamp="20260309-170000")
    app = files_app(sandbox, path)
    app.session.outbox.pause("paused for the shot")  # before the start: the star stays waiting
    return app


@pytest.mark.parametrize("size", SIZES)
def test_pending_changes_with_damaged_and_set_aside_files(snap_compare, sandbox, tmp_path, size) -> None:
    """Screen 5 after a bad start: what may be lost above the list, a damaged change, set-aside ones."""

    async def run_before(pilot: Pilot) -> None:
        app = pilot.app
        await ready(pilot)
        await pilot.press("5")
        assert isinstance(app.screen, ChangesScreen)
        assert app.screen.query_one(DataTable).row_count == 5
        await pilot.press("j", "j")  # the first set-aside change: its detail below the table
        await clear_toasts(pilot)

    assert snap_compare(damaged_files_app(sandbox, tmp_path), terminal_size=size, run_before=run_before)

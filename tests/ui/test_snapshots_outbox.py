"""Snapshots of working offline: the header while changes wait, and the pending-changes screen (5).

Same determinism as test_snapshots.py: seeded sandbox, frozen clock (09:00), no blink, no toast.
The changes are made through the session so no sandbox-made id shows; "made" times are the
frozen clock's.
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from crmtui.domain.models import ActionStatus
from crmtui.ui.screens.changes import ChangesScreen

from .conftest import settled, wait_for
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
        third = next(e for e in session.entries[5:] if not e.contact.starred)
        await session.toggle_star(third.contact.id)
        await settled(pilot)
        await pilot.press("5")
        assert isinstance(app.screen, ChangesScreen)
        assert app.screen.query_one(DataTable).row_count == 3
        await pilot.press("j")  # the conflict: its detail below the table
        await clear_toasts(pilot)

    assert shot(snap_compare, sandbox, size, run_before)

"""Snapshots of the notifications screen (key 4) at 80x24 and 160x45, on the seeded sandbox with a frozen clock."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from crmtui.sandbox.onepagecrm.server import SandboxHandle
from crmtui.ui.screens.notifications import NotificationsScreen

from .conftest import NARROW, WIDE, loaded, settled, snapshot_app, wait_for

SIZES = [pytest.param(NARROW, id="80x24"), pytest.param(WIDE, id="160x45")]


async def notifications_ready(pilot: Pilot) -> NotificationsScreen:
    await loaded(pilot)
    await settled(pilot)
    await pilot.press("4")
    screen = pilot.app.screen
    assert isinstance(screen, NotificationsScreen)
    await wait_for(pilot, lambda: screen.inbox is not None and screen.inbox.loaded, what="the notifications")
    await quiet(pilot)
    return screen


async def quiet(pilot: Pilot) -> None:
    await settled(pilot)
    assert not pilot.app._notifications, [n.message for n in pilot.app._notifications]
    await pilot.pause()


def shot(snap_compare, sandbox: SandboxHandle, size: tuple[int, int], run_before) -> bool:
    return snap_compare(snapshot_app(sandbox), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_notifications_loaded(snap_compare, sandbox, size) -> None:
    """Key 4: fifteen notifications, newest first, six unread (bold with a dot); ✉ 6 in the header."""

    async def run_before(pilot: Pilot) -> None:
        screen = await notifications_ready(pilot)
        assert screen.inbox.unread == 6 and pilot.app.unread_count == 6

    assert shot(snap_compare, sandbox, size, run_before)


@pytest.mark.parametrize("size", SIZES)
def test_notifications_after_marking_two_read(snap_compare, sandbox, size) -> None:
    """`m` twice: the first two read, the cursor on the third; the header says ✉ 4."""

    async def run_before(pilot: Pilot) -> None:
        screen = await notifications_ready(pilot)
        await pilot.press("m", "m")
        await quiet(pilot)
        assert pilot.app.unread_count == 4 and screen.notification_list.cursor == 2

    assert shot(snap_compare, sandbox, size, run_before)

"""Snapshots of the team stream (key 2) at 80x24 and 160x45, on the seeded sandbox with a frozen clock.

Deterministic as the action stream's snapshots are: seed 42, today 2026-03-10, clock frozen at 09:00
UTC, no cursor blink, no periodic refresh, every worker finished and no toast left at capture.
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from crmtui.sandbox.onepagecrm.server import SandboxHandle
from crmtui.ui.screens.team import TeamStreamScreen

from .conftest import NARROW, WIDE, loaded, settled, snapshot_app, wait_for

SIZES = [pytest.param(NARROW, id="80x24"), pytest.param(WIDE, id="160x45")]


async def team_ready(pilot: Pilot) -> TeamStreamScreen:
    """Key 2 pressed once the app is loaded; counters and everyone's stream in, nothing running."""
    await loaded(pilot)
    await settled(pilot)
    await pilot.press("2")
    screen = pilot.app.screen
    assert isinstance(screen, TeamStreamScreen)
    await wait_for(pilot, lambda: screen.stream.loaded and screen.stream.counts is not None, what="the team stream")
    await quiet(pilot)
    return screen


async def quiet(pilot: Pilot) -> None:
    await settled(pilot)
    assert not pilot.app._notifications, [n.message for n in pilot.app._notifications]
    await pilot.pause()


def shot(snap_compare, sandbox: SandboxHandle, size: tuple[int, int], run_before) -> bool:
    return snap_compare(snapshot_app(sandbox), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_team_everyone_with_counters(snap_compare, sandbox, size) -> None:
    """The picker (focused; Tab at 80 columns) with everyone's and each member's next-action counters."""

    async def run_before(pilot: Pilot) -> None:
        screen = await team_ready(pilot)
        if not screen.members.has_focus:  # narrow: the screen opens on the list
            await pilot.press("tab")
            await quiet(pilot)
        assert screen.members.has_focus and screen.stream.viewing is None

    assert shot(snap_compare, sandbox, size, run_before)


def test_team_opens_on_the_list_at_80_columns(snap_compare, sandbox) -> None:
    """Key 2 at 80x24: everyone's stream at full width, the list focused; Tab shows the picker."""

    async def run_before(pilot: Pilot) -> None:
        screen = await team_ready(pilot)
        assert screen.stream_list.has_focus and not screen.query_one("#team-side").display

    assert shot(snap_compare, sandbox, NARROW, run_before)


@pytest.mark.parametrize("size", SIZES)
def test_team_colleague_stream(snap_compare, sandbox, size) -> None:
    """Tom Byrne chosen with j j j Enter: his stream, the cursor three rows down; the picker marks him."""

    async def run_before(pilot: Pilot) -> None:
        screen = await team_ready(pilot)
        if not screen.members.has_focus:
            await pilot.press("tab")
        await pilot.press("j", "j", "j", "enter")
        await wait_for(pilot, lambda: screen.stream.loaded and screen.stream.viewing == sandbox.users[2].user_id)
        await pilot.press("j", "j")
        await quiet(pilot)
        assert screen.stream_list.has_focus

    assert shot(snap_compare, sandbox, size, run_before)

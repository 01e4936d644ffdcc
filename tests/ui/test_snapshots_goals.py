"""Snapshots of the goals screen (Pipedrive, screen 3) at 80x24 and 160x45 on the seeded sandbox.

The header's API gauge is the same on every run: the client's governor runs on the sandbox's frozen
clock (as in test_snapshots_leads.py), and the shot is taken once every goal's progress has come.
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from crmtui.ui.screens.goals import GoalsScreen

from .conftest import settled, wait_for
from .test_snapshots import SIZES, quiet
from .test_snapshots_leads import leads_app, ready


async def goals_ready(pilot: Pilot) -> None:
    await ready(pilot)  # the inbox first shown, with the names of its rows: every request of it answered
    await pilot.press("3")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, GoalsScreen), what="the goals screen")
    screen = pilot.app.screen
    assert isinstance(screen, GoalsScreen)
    await wait_for(pilot, lambda: screen.board.loaded and not screen.board.missing(), what="goals and progress")
    await quiet(pilot)


@pytest.mark.parametrize("size", SIZES)
def test_goals_bars(snap_compare, pipedrive, size) -> None:
    """My goals in the periods holding today: bars with the pace tick, on track or behind."""
    assert snap_compare(leads_app(pipedrive), terminal_size=size, run_before=goals_ready)


@pytest.mark.parametrize("size", SIZES)
def test_goals_everyones_last_period_as_a_table(snap_compare, pipedrive, size) -> None:
    """o, [ and t: everyone's goals a period back, as a table (period, progress, target, share, pace)."""

    async def run_before(pilot: Pilot) -> None:
        await goals_ready(pilot)
        await pilot.press("o")
        screen = pilot.app.screen
        assert isinstance(screen, GoalsScreen)
        board = screen.board
        await wait_for(pilot, lambda: board.everyone and board.loaded and not board.missing(), what="everyone's goals")
        await settled(pilot)  # every progress read answered before stepping: the gauge counts the same each run
        await pilot.press("left_square_bracket", "t")
        await wait_for(pilot, lambda: not screen.board.missing(), what="the last period's progress")
        await quiet(pilot)

    assert snap_compare(leads_app(pipedrive), terminal_size=size, run_before=run_before)

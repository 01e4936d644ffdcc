"""Snapshots of Crust's Pages (4) and Workflows and jobs (6) screens at 80x24 and 160x45 on the seeded
sandbox, its clock frozen (the jobs' times and states are the same on every run)."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from crmtui.ui.screens.jobs import JobsScreen
from crmtui.ui.screens.pages import PagesScreen

from .conftest import loaded, settled, wait_for
from .test_crust_pages_jobs import records_shown
from .test_crust_shell import crust_app
from .test_snapshots import SIZES


async def still(pilot: Pilot) -> None:
    await settled(pilot)
    pilot.app.clear_notifications()  # the start's notices: not what these shots are of
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_pages_screen(snap_compare, crust_sandbox, size) -> None:
    """4: the page tree, the first page (Sales) with its blocks in reading order, its record list's records."""

    async def run_before(pilot: Pilot) -> None:
        await loaded(pilot)
        await pilot.press("4")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, PagesScreen), what="the pages screen")
        screen = pilot.app.screen
        await wait_for(pilot, lambda: any(rl.items for rl in records_shown(screen)), what="the record list")
        await pilot.press("space")  # Sales open: its children in the tree
        await still(pilot)

    assert snap_compare(crust_app(crust_sandbox), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_jobs_screen(snap_compare, crust_sandbox, size) -> None:
    """6: the workflows, the jobs with their states, the log of the job under the cursor."""

    async def run_before(pilot: Pilot) -> None:
        await loaded(pilot)
        await pilot.press("6")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, JobsScreen), what="the jobs screen")
        screen = pilot.app.screen
        await wait_for(pilot, lambda: len(screen.job_list.items) == 6, what="the jobs")
        await pilot.press("tab", "j", "j")  # the failed export's log
        await wait_for(pilot, lambda: screen.job_list.selected is not None and screen.job_list.selected.id in screen.logs,
                       what="its log")
        await still(pilot)

    assert snap_compare(crust_app(crust_sandbox), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_pages_screen_charts(snap_compare, crust_sandbox, size) -> None:
    """4: the Sales page's charts drawn (a line with plotext, a pie as labelled bars), the pie focused."""

    async def run_before(pilot: Pilot) -> None:
        from crmtui.ui.screens.pages import ChartBlock

        await loaded(pilot)
        await pilot.press("4")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, PagesScreen), what="the pages screen")
        screen = pilot.app.screen
        await wait_for(pilot, lambda: any(rl.items for rl in records_shown(screen)), what="the record list")
        blocks = list(screen.query(ChartBlock).results(ChartBlock))
        await wait_for(pilot, lambda: all(b.data is not None for b in blocks), what="the charts")
        blocks[1].focus()  # the pie, scrolled into sight
        await still(pilot)

    assert snap_compare(crust_app(crust_sandbox), terminal_size=size, run_before=run_before)

"""Snapshots of the saved filters screen (Pipedrive, screen 7) at 80x24 and 160x45 on the seeded sandbox.

The header's API gauge is the same on every run: the client's governor runs on the sandbox's frozen
clock (as in test_snapshots_leads.py), and the shot is taken once the conditions shown have been read.
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from crmtui.ui.modals.filter_builder import FilterBuilderModal
from crmtui.ui.screens.filters import FiltersScreen

from .conftest import settled, wait_for
from .test_snapshots import SIZES, quiet
from .test_snapshots_leads import leads_app, ready


async def filters_ready(pilot: Pilot) -> FiltersScreen:
    await ready(pilot)  # the inbox first shown, with the names of its rows: every request of it answered
    await pilot.press("7")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, FiltersScreen), what="the filters screen")
    screen = pilot.app.screen
    assert isinstance(screen, FiltersScreen)
    await wait_for(pilot, lambda: screen.board.loaded and screen.board.helpers is not None, what="the filters")
    return screen


async def conditions_read(pilot: Pilot, screen: FiltersScreen) -> None:
    pane = screen.query_one("#filter-detail", Static)
    await wait_for(pilot, lambda: "Reading" not in str(pane.render()), what="the conditions shown")
    await settled(pilot)
    await quiet(pilot)


@pytest.mark.parametrize("size", SIZES)
def test_filters_list_and_conditions(snap_compare, pipedrive, size) -> None:
    """The filters by type (leads first), one marked, and the conditions of "Acme or Nova" in the pane."""

    async def run_before(pilot: Pilot) -> None:
        screen = await filters_ready(pilot)
        await conditions_read(pilot, screen)
        await pilot.press("space")  # the first marked, the cursor on the next
        for _ in range(3):
            await pilot.press("j")
            await conditions_read(pilot, screen)

    assert snap_compare(leads_app(pipedrive), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_filters_builder_editing(snap_compare, pipedrive, size) -> None:
    """e on "Acme or Nova": the builder with its name and its two groups of conditions."""

    async def run_before(pilot: Pilot) -> None:
        screen = await filters_ready(pilot)
        assert screen.filter_list.select_key(next(f.id for f in screen.board.items if f.name == "Acme or Nova"))
        await conditions_read(pilot, screen)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, FilterBuilderModal), what="the builder")
        await quiet(pilot)

    assert snap_compare(leads_app(pipedrive), terminal_size=size, run_before=run_before)

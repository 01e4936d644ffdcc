"""Snapshots of Crust's Records screen (1) at 80x24 and 160x45 on the seeded sandbox, its clock frozen:
the Opportunity module's records (linked accounts by name, values, close dates), a record's detail, and
the edit form made from the module's field kinds."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from crmtui.ui.modals.record_form import RecordFormModal
from crmtui.ui.screens.record_detail import RecordDetailScreen

from .conftest import loaded, settled, wait_for
from .test_records_screen import crust_app, go_to
from .test_snapshots import SIZES


async def opportunities(pilot: Pilot) -> None:
    await loaded(pilot)
    await settled(pilot)
    await go_to(pilot, "Opportunity")
    await settled(pilot)
    pilot.app.clear_notifications()  # the start's and the switch's notices: not what these shots are of


async def still(pilot: Pilot) -> None:
    await settled(pilot)
    pilot.app.clear_notifications()  # the start's and the switch's notices: not what these shots are of
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_records_screen(snap_compare, crust_sandbox, size) -> None:
    """1: the opportunities, newest first; accounts by name; the columns the width leaves."""

    async def run_before(pilot: Pilot) -> None:
        await opportunities(pilot)
        await still(pilot)

    assert snap_compare(crust_app(crust_sandbox), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_record_detail(snap_compare, crust_sandbox, size) -> None:
    """Enter: every field of the opportunity by its label, its account and contacts by name."""

    async def run_before(pilot: Pilot) -> None:
        await opportunities(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, RecordDetailScreen), what="the record")
        await still(pilot)

    assert snap_compare(crust_app(crust_sandbox), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_record_edit_form(snap_compare, crust_sandbox, size) -> None:
    """e: the form from the field kinds (text, account by name, contacts ticked, number, state, date, text area)."""

    async def run_before(pilot: Pilot) -> None:
        await opportunities(pilot)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, RecordFormModal), what="the form")
        await still(pilot)

    assert snap_compare(crust_app(crust_sandbox), terminal_size=size, run_before=run_before)

"""Snapshots of Crust's Modules screen (2) at 80x24 and 160x45 on the seeded sandbox, its clock frozen:
the modules with their record counts and the Opportunity module's fields, the module form, and the
confirmation that says what an edit changes."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from crmtui.ui.modals.module_form import ModuleFormModal
from crmtui.ui.modals.pickers import ConfirmModal

from .conftest import settled, wait_for
from .test_modules_screen import crust_app, open_modules, pick
from .test_snapshots import SIZES


async def opportunity(pilot: Pilot) -> None:
    screen = await open_modules(pilot)
    await pick(pilot, screen, "Opportunity")


async def still(pilot: Pilot) -> None:
    await settled(pilot)
    pilot.app.clear_notifications()  # the start's notices: not what these shots are of
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_modules_screen(snap_compare, crust_sandbox, size) -> None:
    """2: the modules with their counts; the Opportunity module's fields (kinds, required, options, links)."""

    async def run_before(pilot: Pilot) -> None:
        await opportunity(pilot)
        await still(pilot)

    assert snap_compare(crust_app(crust_sandbox), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_module_form(snap_compare, crust_sandbox, size) -> None:
    """e: the module's name and fields in the form."""

    async def run_before(pilot: Pilot) -> None:
        await opportunity(pilot)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ModuleFormModal), what="the form")
        await still(pilot)

    assert snap_compare(crust_app(crust_sandbox), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_module_change_confirmation(snap_compare, crust_sandbox, size) -> None:
    """ctrl+s after removing a field: the confirmation says its values stay in the records but no longer show."""

    async def run_before(pilot: Pilot) -> None:
        await opportunity(pilot)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ModuleFormModal), what="the form")
        pilot.app.screen.field_list.focus()
        await pilot.press("down", "d", "ctrl+s")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmModal), what="the confirmation")
        await still(pilot)

    assert snap_compare(crust_app(crust_sandbox), terminal_size=size, run_before=run_before)

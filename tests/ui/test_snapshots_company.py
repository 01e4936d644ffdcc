"""Snapshots of the company form (K on a contact) and of the question Esc asks when a form holds typed
text, at 80x24 and 160x45, on the seeded sandbox (deterministic as tests/ui/test_snapshots.py)."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from crmtui.ui.modals.company_form import CompanyModal
from crmtui.ui.modals.pickers import ConfirmModal

from .conftest import wait_for
from .test_snapshots import SIZES, quiet, shot
from .test_snapshots_contact import open_rich_contact


async def company_form(pilot: Pilot, sandbox) -> CompanyModal:
    await open_rich_contact(pilot, sandbox)
    await pilot.press("K")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, CompanyModal), what="the company form")
    await quiet(pilot)
    modal = pilot.app.screen
    assert isinstance(modal, CompanyModal) and modal.whole
    return modal


@pytest.mark.parametrize("size", SIZES)
def test_company_form(snap_compare, sandbox, size) -> None:
    """K on a contact: its company's name, phone, website, address, company fields and description."""

    async def run_before(pilot: Pilot) -> None:
        modal = await company_form(pilot, sandbox)
        assert modal.query_one("#company-name").has_focus

    assert shot(snap_compare, sandbox, size, run_before)


@pytest.mark.parametrize("size", SIZES)
def test_discard_question(snap_compare, sandbox, size) -> None:
    """Esc on a form holding typed text: Discard, or keep editing."""

    async def run_before(pilot: Pilot) -> None:
        await company_form(pilot, sandbox)
        await pilot.press("end", *" Group", "escape")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmModal), what="the discard question")
        await quiet(pilot)

    assert shot(snap_compare, sandbox, size, run_before)

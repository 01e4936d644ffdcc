"""Snapshot of the new-contact form (C) at 80x24 and 160x45, partly filled, on the seeded sandbox."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from crmtui.ui.modals.new_contact import NewContactModal

from .conftest import wait_for
from .test_snapshots import SIZES, quiet, ready, shot


@pytest.mark.parametrize("size", SIZES)
def test_new_contact_form(snap_compare, sandbox, size) -> None:
    """C on the stream: name, company (completed as typed), how to reach them, the first next action."""

    async def run_before(pilot: Pilot) -> None:
        await ready(pilot)
        await pilot.press("C")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, NewContactModal), what="the new-contact form")
        await pilot.press(*"Zoe", "tab", *"Quinlan", "tab", *"Quinlan Freight", "tab", *"Head of Ops", "tab")
        await pilot.press(*"mobile: +353 87 555 0101", "tab", *"zoe@quinlan.example")
        await quiet(pilot)
        modal = pilot.app.screen
        assert isinstance(modal, NewContactModal) and modal.query_one("#new-emails", Input).has_focus

    assert shot(snap_compare, sandbox, size, run_before)

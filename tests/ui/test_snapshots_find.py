"""Snapshot of the finder (f) at 80x24 and 160x45: a query typed, the stream's and the server's contacts in."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from crmtui.ui.modals.find_contact import FindContactModal

from .conftest import wait_for
from .test_snapshots import SIZES, quiet, ready, shot


@pytest.mark.parametrize("size", SIZES)
def test_find_contact(snap_compare, sandbox, size) -> None:
    """f on the stream, "quinn" typed: names first, then companies and emails; the server's contacts
    (not in the stream) merged in, and the line says where they came from."""

    async def run_before(pilot: Pilot) -> None:
        await ready(pilot)
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, FindContactModal), what="the finder")
        modal = pilot.app.screen
        await pilot.press(*"quinn")

        def answered() -> bool:
            return "from the server" in str(modal.query_one("#find-status", Static).render())

        await wait_for(pilot, answered, what="the server's answer")
        await quiet(pilot)

    assert shot(snap_compare, sandbox, size, run_before)

"""Snapshots of the searchable help (a search typed) and of the next-action form with the focus on
the status, where the quick dates' keys work, at 80x24 and 160x45."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from crmtui.ui.modals.next_action import NextActionModal
from crmtui.ui.screens.help import HelpScreen

from .conftest import wait_for
from .test_snapshots import SIZES, quiet, ready, shot


@pytest.mark.parametrize("size", SIZES)
def test_help_searched(snap_compare, sandbox, size) -> None:
    """? then "undo": the undo keys of this screen first, then of the others."""

    async def run_before(pilot: Pilot) -> None:
        await ready(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, HelpScreen), what="help")
        await pilot.press(*"undo")
        await quiet(pilot)

    assert shot(snap_compare, sandbox, size, run_before)


@pytest.mark.parametrize("size", SIZES)
def test_next_action_form_quick_dates(snap_compare, sandbox, size) -> None:
    """d, the text typed, Tab: the hint names the quick dates' keys (each shown on its choice)."""

    async def run_before(pilot: Pilot) -> None:
        await ready(pilot)
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, NextActionModal), what="the next-action form")
        await pilot.press(*"Send the quote", "tab")
        await quiet(pilot)
        assert pilot.app.focused is not None and pilot.app.focused.id == "action-status"

    assert shot(snap_compare, sandbox, size, run_before)

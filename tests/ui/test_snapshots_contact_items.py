"""Snapshots of editing the contact's history at 80x24 and 160x45, on the seeded sandbox: the note
form (a text area of several lines, opened by Enter on a note and filled with it)."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import TextArea

from crmtui.ui.modals.contact_forms import NoteModal

from .conftest import wait_for
from .test_snapshots import SIZES, quiet, shot
from .test_snapshots_contact import open_rich_contact


@pytest.mark.parametrize("size", SIZES)
def test_note_edit_form(snap_compare, sandbox, size) -> None:
    """Notes tab, Enter on the note: the form holds its text; a second line typed after it."""

    async def run_before(pilot: Pilot) -> None:
        screen = await open_rich_contact(pilot, sandbox)
        for _ in range(6):
            if screen.active_section == "notes":
                break
            await pilot.press("l")
        await quiet(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, NoteModal), what="the note form")
        await pilot.press("enter", *"Second line: asked for the price list.")
        await quiet(pilot)
        area = pilot.app.screen.query_one(TextArea)
        assert area.has_focus and area.text.count("\n") == 1

    assert shot(snap_compare, sandbox, size, run_before)

"""Snapshots of the Files screen (Pipedrive, key 4) at 80x24 and 160x45 on the seeded sandbox with a
few more files (on leads of mine, so the inbox's titles show, and on persons): every file newest
first with what it is attached to, size, who added it and when, the file under the cursor in its
pane (beside the list at 160 columns, below it at 80), and a delete's question.

The header's API gauge counts the requests of the last 2 seconds and the tokens spent today: the
client's governor runs on the sandbox's frozen clock, and the shot is taken once every request (the
inbox, the names of its rows on screen, the files) has been answered, so it reads the same each run.
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from crmtui.ui.modals.pickers import ConfirmModal

from .conftest import wait_for
from .files_support import add_files, open_files
from .test_snapshots import SIZES, quiet
from .test_snapshots_leads import leads_app, ready


async def files_shown(pilot: Pilot) -> None:
    await ready(pilot)  # the inbox and the names of its rows on screen: their requests counted
    await open_files(pilot)
    await quiet(pilot)


@pytest.mark.parametrize("size", SIZES)
def test_files(snap_compare, pipedrive, size) -> None:
    """4: every file newest first, the one under the cursor in full."""
    add_files(pipedrive, 6, on_my_lead=True)
    assert snap_compare(leads_app(pipedrive), terminal_size=size, run_before=files_shown)


@pytest.mark.parametrize("size", SIZES)
def test_files_delete_question(snap_compare, pipedrive, size) -> None:
    """Delete on a file: asks first, and says Pipedrive keeps a deleted file 30 days but has no undelete."""
    add_files(pipedrive, 6, on_my_lead=True)

    async def run_before(pilot: Pilot) -> None:
        await files_shown(pilot)
        await pilot.press("j", "j", "delete")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmModal), what="the question")
        await quiet(pilot)

    assert snap_compare(leads_app(pipedrive), terminal_size=size, run_before=run_before)

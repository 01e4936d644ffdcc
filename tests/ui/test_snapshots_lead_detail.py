"""Snapshots of a lead's detail (Pipedrive; Enter on the inbox) at 80x24 and 160x45 on the seeded
sandbox: its fields with labels, names, custom fields and who can see it, and its files.

The header's API gauge counts the requests of the last 2 seconds and the tokens spent today: the
client's governor runs on the sandbox's frozen clock, and the shot is taken once every request the
screens make (the inbox, the names of the rows on screen, the lead's permitted users and files) has
been answered, so the gauge reads the same on every run.
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from crmtui.backends.pipedrive.adapter import PipedriveBackend
from crmtui.backends.pipedrive.client import PipedriveClient
from crmtui.backends.pipedrive.governor import RateGovernor
from crmtui.ui.app import CrmApp

from .conftest import on_backend
from .lead_detail_support import my_lead_with_files, open_detail
from .test_snapshots import SIZES, quiet


def detail_app(sandbox) -> CrmApp:
    governor = RateGovernor(clock=sandbox.state.clock.seconds)
    client = PipedriveClient(sandbox.api_token, base_url=sandbox.base_url, governor=governor)
    return on_backend(PipedriveBackend(client))


@pytest.mark.parametrize("size", SIZES)
def test_lead_detail(snap_compare, pipedrive, size) -> None:
    """Enter on a lead of mine with files: every field (a custom one by name), its labels as chips, its
    files (name, size, added)."""
    lead_id = my_lead_with_files(pipedrive)

    async def run_before(pilot: Pilot) -> None:
        await open_detail(pilot, lead_id)
        await quiet(pilot)

    assert snap_compare(detail_app(pipedrive), terminal_size=size, run_before=run_before)

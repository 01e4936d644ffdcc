"""Snapshots of the leads inbox (Pipedrive, screen 1) at 80x24 and 160x45 on the seeded sandbox.

The header's API gauge counts requests in the last 2 seconds and the tokens spent today: the client's
governor runs on the sandbox's frozen clock here, so both are the same on every run (every request
the screen makes, names of the rows on screen included, has been answered when the shot is taken).
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from crmtui.backends.pipedrive.adapter import PipedriveBackend
from crmtui.backends.pipedrive.client import PipedriveClient
from crmtui.backends.pipedrive.governor import RateGovernor
from crmtui.ui.app import CrmApp
from crmtui.ui.modals.lead_labels import LabelsModal
from crmtui.ui.screens.leads import LeadsScreen

from .conftest import loaded, on_backend, settled, wait_for
from .test_snapshots import SIZES, quiet


def leads_app(sandbox) -> CrmApp:
    governor = RateGovernor(clock=sandbox.state.clock.seconds)
    client = PipedriveClient(sandbox.api_token, base_url=sandbox.base_url, governor=governor)
    return on_backend(PipedriveBackend(client))


async def ready(pilot: Pilot) -> None:
    await loaded(pilot)
    await settled(pilot)
    app = pilot.app
    assert isinstance(app.screen, LeadsScreen), app.screen
    inbox = app.session.leads
    await wait_for(pilot, lambda: all(inbox.who(lead) for lead in app.screen.lead_list.visible_items()), what="names")
    await settled(pilot)
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_leads_inbox(snap_compare, pipedrive, size) -> None:
    """The inbox after loading: my open leads by expected close, unseen ones bold with ●, the API gauge."""
    assert snap_compare(leads_app(pipedrive), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_leads_labels_picker(snap_compare, pipedrive, size) -> None:
    """l on a lead: the account's labels, the lead's ticked."""

    async def run_before(pilot: Pilot) -> None:
        await ready(pilot)
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, LabelsModal), what="the labels")
        await quiet(pilot)

    assert snap_compare(leads_app(pipedrive), terminal_size=size, run_before=run_before)

"""Snapshots of the teams screen (Pipedrive, screen 2) at 80x24 and 160x45 on the seeded sandbox: an
admin's (the keys to change teams on the bar), and a regular user's after reading everyone's leads
(open leads per member; why the teams cannot be changed).

The header's API gauge is the same on every run: the client's governor runs on the sandbox's
frozen clock, and every request has been answered when the shot is taken (test_snapshots_leads.py).
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from crmtui.backends.pipedrive.adapter import PipedriveBackend
from crmtui.backends.pipedrive.client import PipedriveClient
from crmtui.backends.pipedrive.governor import RateGovernor
from crmtui.ui.app import CrmApp
from crmtui.ui.screens.teams import TeamsScreen

from .conftest import on_backend, settled, wait_for
from .test_snapshots import SIZES
from .test_snapshots_leads import ready


def teams_app(sandbox, token: str | None = None) -> CrmApp:
    governor = RateGovernor(clock=sandbox.state.clock.seconds)
    client = PipedriveClient(token or sandbox.api_token, base_url=sandbox.base_url, governor=governor)
    return on_backend(PipedriveBackend(client))


async def on_teams(pilot: Pilot) -> None:
    await pilot.press("2")
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, TeamsScreen) and app.screen.view.loaded, what="the teams")
    await settled(pilot)
    gauge = app.session.rate_gauge()  # read again after the last requests: the same on every run
    if gauge is not None:
        app.rate_gauge = gauge
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_teams_as_an_admin(snap_compare, pipedrive, size) -> None:
    """An admin's teams: active first, the first team's members, manager first; n/e/+/- on the bar."""

    async def run_before(pilot: Pilot) -> None:
        await ready(pilot)
        await on_teams(pilot)

    assert snap_compare(teams_app(pipedrive), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_teams_as_a_regular_user_with_open_leads(snap_compare, pipedrive, size) -> None:
    """A regular user who read everyone's leads (o): open leads per member; why teams cannot be changed."""

    async def run_before(pilot: Pilot) -> None:
        await ready(pilot)
        await pilot.press("o")
        app = pilot.app
        await wait_for(pilot, lambda: app.session.leads.everyone and app.session.leads.loaded, what="everyone's leads")
        await ready(pilot)
        await on_teams(pilot)
        screen = app.screen
        assert isinstance(screen, TeamsScreen)
        await wait_for(pilot, lambda: screen.counts is not None, what="the counts")
        await settled(pilot)
        app.clear_notifications()  # o's "Everyone's leads" toast: gone after 2 real seconds, or not yet
        await pilot.pause()

    assert snap_compare(teams_app(pipedrive, pipedrive.regular_token), terminal_size=size, run_before=run_before)

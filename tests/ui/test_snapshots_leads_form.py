"""Snapshots of the lead form on the leads inbox (Pipedrive sandbox) at 80x24 and 160x45: `n` partly
filled, and `e` on the first lead with a problem said under the fields."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from crmtui.backends.pipedrive.adapter import PipedriveBackend
from crmtui.backends.pipedrive.client import PipedriveClient
from crmtui.backends.pipedrive.governor import RateGovernor
from crmtui.sandbox.pipedrive.server import SandboxHandle
from crmtui.ui.app import CrmApp
from crmtui.ui.modals.lead_form import LeadFormModal
from crmtui.ui.screens.leads import LeadsScreen

from .conftest import loaded, on_backend, settled, wait_for
from .test_snapshots import SIZES, quiet


def frozen_app(sandbox: SandboxHandle) -> CrmApp:
    """The app on the sandbox, its rate governor on the sandbox's frozen clock, the names of persons and
    organizations known: the header's API gauge (requests in the 2-second window, tokens today) is the
    same on every run, however slow the machine."""

    async def sleep(seconds: float) -> None:
        sandbox.advance(seconds)

    governor = RateGovernor(clock=sandbox.state.clock.seconds, sleep=sleep)
    app = on_backend(PipedriveBackend(PipedriveClient(sandbox.api_token, base_url=sandbox.base_url, governor=governor)))
    # Every name known already (as after earlier looks): how many lookups a run makes depends on when
    # the list is first drawn, and each is a request the gauge counts.
    names = app.session.leads.names
    for kind, table in (("person", "persons"), ("organization", "organizations")):
        names.update({f"{kind}:{item_id}": doc["name"] for item_id, doc in sandbox.state.tables[table].items()})
    return app


async def inbox_ready(pilot: Pilot) -> None:
    """The inbox has loaded, names looked up, every worker finished."""
    await loaded(pilot)
    await settled(pilot)
    assert isinstance(pilot.app.screen, LeadsScreen), pilot.app.screen
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_new_lead_form(snap_compare, pipedrive, size) -> None:
    """n on the inbox: title and value typed, the cursor in the close date."""

    async def run_before(pilot: Pilot) -> None:
        await inbox_ready(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, LeadFormModal), what="the lead form")
        await pilot.press(*"Harbour cranes", "tab", *"18k", "tab", "tab")
        await quiet(pilot)
        modal = pilot.app.screen
        assert isinstance(modal, LeadFormModal) and modal.query_one("#lead-close", Input).has_focus

    assert snap_compare(frozen_app(pipedrive), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_edit_lead_form_with_a_bad_date(snap_compare, pipedrive, size) -> None:
    """e on the first lead: its fields filled in; a date no calendar holds is said under the fields."""

    async def run_before(pilot: Pilot) -> None:
        await inbox_ready(pilot)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, LeadFormModal), what="the lead form")
        modal = pilot.app.screen
        assert isinstance(modal, LeadFormModal)
        close = modal.query_one("#lead-close", Input)
        close.focus()
        close.value = ""
        await pilot.press(*"31/02/2026", "enter")
        await quiet(pilot)
        assert isinstance(pilot.app.screen, LeadFormModal) and close.has_focus

    assert snap_compare(frozen_app(pipedrive), terminal_size=size, run_before=run_before)

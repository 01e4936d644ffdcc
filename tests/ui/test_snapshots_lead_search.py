"""Snapshots of the saved lead filter picker (F on the leads inbox), the inbox showing a filter's
leads, and the global search screen (6) after a search, at 80x24 and 160x45 on the seeded sandbox.

The header's API gauge counts requests in the last 2 seconds and the tokens spent today: the client's
governor runs on the sandbox's frozen clock (as in test_snapshots_leads.py), and every request has
been answered when the shot is taken, so the numbers are the same on every run.
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from crmtui.ui.modals.lead_filter import LeadFilterModal
from crmtui.ui.screens.leads import LeadsScreen
from crmtui.ui.screens.search import SearchScreen

from .conftest import settled, wait_for
from .test_snapshots import SIZES, quiet
from .test_snapshots_leads import leads_app, ready


async def picker(pilot: Pilot) -> LeadFilterModal:
    await ready(pilot)
    await pilot.press("F")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, LeadFilterModal), what="the filter picker")
    modal = pilot.app.screen
    assert isinstance(modal, LeadFilterModal)
    await wait_for(pilot, lambda: bool(modal.saved), what="the saved filters")
    return modal


@pytest.mark.parametrize("size", SIZES)
def test_lead_filter_picker(snap_compare, pipedrive, size) -> None:
    """F: "none" and the account's saved filters of leads, the first one highlighted."""

    async def run_before(pilot: Pilot) -> None:
        await picker(pilot)
        await quiet(pilot)

    assert snap_compare(leads_app(pipedrive), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_leads_of_a_saved_filter(snap_compare, pipedrive, size) -> None:
    """A saved filter picked: its leads of every owner (the owner column shows), the header names it."""

    async def run_before(pilot: Pilot) -> None:
        await picker(pilot)
        await pilot.press("down", "enter")  # "Hot leads"
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, LeadsScreen), what="the inbox")
        await settled(pilot)
        inbox = pilot.app.session.leads
        screen = pilot.app.screen
        assert isinstance(screen, LeadsScreen)
        await wait_for(pilot, lambda: all(inbox.who(lead) for lead in screen.lead_list.visible_items()), what="names")
        pilot.app.clear_notifications()  # the "Filter: Hot leads" toast (its widget too, not only the list)
        await quiet(pilot)

    assert snap_compare(leads_app(pipedrive), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_search_screen(snap_compare, pipedrive, size) -> None:
    """6, "acme", Enter: hits grouped by kind with their scores, the first hit's details, the cost."""

    async def run_before(pilot: Pilot) -> None:
        await ready(pilot)
        await pilot.press("6")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, SearchScreen), what="the search screen")
        await pilot.press(*"acme", "enter")
        screen = pilot.app.screen
        assert isinstance(screen, SearchScreen)
        await wait_for(pilot, lambda: bool(screen.hits), what="the hits")
        await quiet(pilot)

    assert snap_compare(leads_app(pipedrive), terminal_size=size, run_before=run_before)

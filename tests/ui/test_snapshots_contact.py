"""Snapshot tests of the contact detail screen at 80x24 and 160x45, on the seeded sandbox.

Deterministic as the stream's snapshots are (tests/ui/test_snapshots.py): seed 42, `today` 2026-03-10,
a frozen clock, no cursor blink, no periodic refresh, every worker finished and no toast at capture.
Only seeded data is shown (items created during a test would carry the server's wall-clock time).
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from crmtui.sandbox.onepagecrm.server import SandboxHandle
from crmtui.ui.modals.contact_deal_form import DealModal
from crmtui.ui.modals.contact_forms import CallModal
from crmtui.ui.screens.contact import ContactDetailScreen

from .conftest import NARROW, WIDE, wait_for
from .test_snapshots import SIZES, move_to, quiet, ready, shot


async def open_rich_contact(pilot: Pilot, sandbox: SandboxHandle) -> ContactDetailScreen:
    """Enter on the first contact of the stream with a pending deal, a note and a meeting: all sections have something."""
    await ready(pilot)
    tables = sandbox.state.tables  # read only, to pick the contact

    def has(kind: str, contact_id: str) -> bool:
        return any(d.get("contact_id") == contact_id for d in tables[kind].values())

    def rich(position: int, entry) -> bool:
        cid = entry.contact.id
        return entry.contact.pending_deal and has("notes", cid) and has("meetings", cid) and len(entry.contact.phones) > 1

    await move_to(pilot, rich, "with a pending deal, a note, a meeting and two phones")
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ContactDetailScreen), what="the contact detail")
    await quiet(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ContactDetailScreen) and not screen.contact.errors
    return screen


@pytest.mark.parametrize("size", SIZES)
def test_contact_detail(snap_compare, sandbox, size) -> None:
    """Enter on a contact: header, actions (next and done) and, on wide terminals, the details beside them."""

    async def run_before(pilot: Pilot) -> None:
        screen = await open_rich_contact(pilot, sandbox)
        assert screen.active_section == "actions"

    assert shot(snap_compare, sandbox, size, run_before)


@pytest.mark.parametrize("size", SIZES)
def test_contact_deals_and_notes(snap_compare, sandbox, size) -> None:
    """80x24: the Details tab; 160x45: the Deals tab (the details are already on the left)."""

    async def run_before(pilot: Pilot) -> None:
        screen = await open_rich_contact(pilot, sandbox)
        await pilot.press("tab")
        await quiet(pilot)
        assert screen.active_section == ("details" if size == NARROW else "deals")

    assert shot(snap_compare, sandbox, size, run_before)


def test_contact_meetings_narrow(snap_compare, sandbox) -> None:
    """80x24, Meetings tab: upcoming and past meetings with time, place and author."""

    async def run_before(pilot: Pilot) -> None:
        screen = await open_rich_contact(pilot, sandbox)
        await pilot.press("shift+tab")
        await quiet(pilot)
        assert screen.active_section == "meetings"

    assert shot(snap_compare, sandbox, NARROW, run_before)


@pytest.mark.parametrize("size", SIZES)
def test_contact_deal_form(snap_compare, sandbox, size) -> None:
    """D: the new-deal form with the default pipeline and its first stage."""

    async def run_before(pilot: Pilot) -> None:
        await open_rich_contact(pilot, sandbox)
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, DealModal), what="the deal form")
        await quiet(pilot)

    assert shot(snap_compare, sandbox, size, run_before)


def test_contact_call_form_wide(snap_compare, sandbox) -> None:
    """160x45, c: the call results from bootstrap, the notes and the number to call."""

    async def run_before(pilot: Pilot) -> None:
        await open_rich_contact(pilot, sandbox)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, CallModal), what="the call form")
        await pilot.press("down")
        await quiet(pilot)

    assert shot(snap_compare, sandbox, WIDE, run_before)

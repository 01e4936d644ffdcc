"""Snapshots of the stream filter picker (F) and of a stream filtered by a saved filter, at 80x24 and 160x45."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from crmtui.ui.modals.stream_filter import FilterPickerModal

from .conftest import wait_for
from .test_snapshots import SIZES, quiet, ready, shot


@pytest.mark.parametrize("size", SIZES)
def test_filter_picker(snap_compare, sandbox, size) -> None:
    """F on the stream: saved filters first, then starred and waiting, tags, statuses, lead sources."""

    async def run_before(pilot: Pilot) -> None:
        await ready(pilot)
        await pilot.press("F")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, FilterPickerModal), what="the filter picker")
        await quiet(pilot)
        modal = pilot.app.screen
        assert isinstance(modal, FilterPickerModal) and modal.saved  # the saved filters are listed

    assert shot(snap_compare, sandbox, size, run_before)


@pytest.mark.parametrize("size", SIZES)
def test_stream_filtered_by_a_saved_filter(snap_compare, sandbox, size) -> None:
    """The stream after picking the saved filter "My VIPs": the header names it and counts what it keeps."""

    async def run_before(pilot: Pilot) -> None:
        await ready(pilot)
        await pilot.press("F")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, FilterPickerModal), what="the filter picker")
        await quiet(pilot)
        await pilot.press("enter")  # the first choice: the first saved filter
        await quiet(pilot)
        filters = pilot.app.session.filters  # type: ignore[attr-defined]
        assert filters.active.label == "My VIPs" and filters.members

    assert shot(snap_compare, sandbox, size, run_before)

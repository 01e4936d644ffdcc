"""Snapshot tests: what the app looks like, at 80x24 and 160x45, on the seeded sandbox.

Deterministic by construction: the sandbox is seeded (42) with `today` fixed at 2026-03-10, the app
runs on a frozen clock (so the header always says "updated just now"), with no cursor blink and no
periodic refresh, and every capture waits until the stream has loaded and no worker is running.
No scenario leaves a notification toast on screen, and no sandbox-generated id is ever shown.

The SVGs live in tests/ui/__snapshots__/test_snapshots/; `scripts/screenshots` regenerates them
(with --snapshot-update) and copies the main ones to screenshots/. Review changes in the HTML
report pytest-textual-snapshot writes (snapshot_report.html) when a snapshot test fails.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from crmtui.backends.errors import Offline
from crmtui.domain.models import StreamEntry
from crmtui.sandbox.onepagecrm.server import SandboxHandle
from crmtui.ui.app import CrmApp
from crmtui.ui.modals.next_action import NextActionModal
from crmtui.ui.modals.pickers import ConfirmModal
from crmtui.ui.screens.connection_error import ConnectionErrorScreen
from crmtui.ui.screens.help import HelpScreen
from crmtui.ui.screens.stream import ActionStreamScreen
from crmtui.ui.widgets.preview import ContactPreview
from crmtui.ui.widgets.stream_list import StreamList

from .conftest import NARROW, WIDE, loaded, settled, snapshot_app, wait_for

SIZES = [pytest.param(NARROW, id="80x24"), pytest.param(WIDE, id="160x45")]

RunBefore = Callable[[Pilot], Awaitable[None]]


async def ready(pilot: Pilot) -> None:
    """The stream has loaded, every worker (unread count, deals) has finished, the screen is drawn."""
    await loaded(pilot)
    await settled(pilot)
    app = pilot.app
    assert isinstance(app.screen, ActionStreamScreen), f"expected the action stream, got {app.screen!r}"
    assert app.sync_status == "updated just now"
    await pilot.pause()


async def quiet(pilot: Pilot) -> None:
    """After a key press: workers done, and no notification toast left to capture."""
    await settled(pilot)
    assert not pilot.app._notifications, [n.message for n in pilot.app._notifications]
    await pilot.pause()


def stream_list(pilot: Pilot) -> StreamList:
    return pilot.app.screen.query_one(StreamList)


async def move_to(pilot: Pilot, wanted: Callable[[int, StreamEntry], bool], what: str) -> StreamEntry:
    """Move the cursor with PgDn and `j`, as a person would, to the first contact `wanted(position, entry)`."""
    lst = stream_list(pilot)
    shown = lst.entries
    target = next((e for i, e in enumerate(shown) if wanted(i, e)), None)
    assert target is not None, f"no contact in the seeded stream is {what}"
    goal = shown.index(target)

    def position() -> int:
        selected = lst.selected_entry
        assert selected is not None
        return shown.index(selected)

    page = max(lst.scrollable_content_region.height - 1, 1)
    while goal - position() > page:  # a page of rows never holds more contacts than rows: no overshoot
        await pilot.press("pagedown")
    while position() < goal:
        await pilot.press("j")
    assert lst.selected_entry is target
    return target


def shot(snap_compare, sandbox: SandboxHandle, size: tuple[int, int], run_before: RunBefore) -> bool:
    app: CrmApp = snapshot_app(sandbox)
    return snap_compare(app, terminal_size=size, run_before=run_before)


# -- the stream --------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_stream_loaded(snap_compare, sandbox, size) -> None:
    """The action stream right after loading: header, sections, first contact selected."""

    async def run_before(pilot: Pilot) -> None:
        await ready(pilot)
        assert stream_list(pilot).cursor == 1  # the first contact, under the first section header

    assert shot(snap_compare, sandbox, size, run_before)


@pytest.mark.parametrize("size", SIZES)
def test_stream_conflict_in_later_section(snap_compare, sandbox, size) -> None:
    """Scrolled down past the first screenful, the cursor on a contact flagged ⚠ (conflict)."""

    async def run_before(pilot: Pilot) -> None:
        await ready(pilot)

        below_first_screen = pilot.app.size.height

        def on_conflict(position: int, entry: StreamEntry) -> bool:
            return entry.has_conflict and position >= below_first_screen

        await move_to(pilot, on_conflict, "a conflict below the first screenful")
        assert stream_list(pilot).scroll_offset.y > 0
        await quiet(pilot)

    assert shot(snap_compare, sandbox, size, run_before)


@pytest.mark.parametrize("size", SIZES)
def test_filter_with_text(snap_compare, sandbox, size) -> None:
    """`/` opens the filter; typing narrows the list (Enter not pressed: no server search)."""

    async def run_before(pilot: Pilot) -> None:
        await ready(pilot)
        total = len(stream_list(pilot).entries)
        await pilot.press("slash", *"garcia")
        await quiet(pilot)
        lst = stream_list(pilot)
        assert lst.filter_text == "garcia"
        assert 0 < len(lst.entries) < total

    assert shot(snap_compare, sandbox, size, run_before)


# -- modals ------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_next_action_modal_after_done(snap_compare, sandbox, size) -> None:
    """`d` on the first contact: marked done, the next-action modal asks what comes next."""

    async def run_before(pilot: Pilot) -> None:
        await ready(pilot)
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, NextActionModal), what="the next-action modal")
        await quiet(pilot)  # the mark-done request has finished

    assert shot(snap_compare, sandbox, size, run_before)


@pytest.mark.parametrize("size", SIZES)
def test_promote_confirmation(snap_compare, sandbox, size) -> None:
    """`p` on a contact with only queued actions asks before promoting the first one."""

    async def run_before(pilot: Pilot) -> None:
        await ready(pilot)

        me = pilot.app.session.user_id

        def promotable(position: int, entry: StreamEntry) -> bool:
            """No next action, and a queued action of the signed-in user's (the only kind the server promotes)."""
            no_next = entry.next_action is None or entry.next_action.done
            return no_next and any(not a.done and a.assignee_id in (None, "", me) for a in entry.queued_actions)

        await move_to(pilot, promotable, "without a next action but with a queued one")
        await quiet(pilot)
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmModal), what="the confirmation")
        await quiet(pilot)

    assert shot(snap_compare, sandbox, size, run_before)


@pytest.mark.parametrize("size", SIZES)
def test_help(snap_compare, sandbox, size) -> None:
    """`?` lists the keys by screen."""

    async def run_before(pilot: Pilot) -> None:
        await ready(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, HelpScreen), what="the help screen")
        await quiet(pilot)

    assert shot(snap_compare, sandbox, size, run_before)


# -- the contact preview pane ------------------------------------------------------------------


def with_pending_deal(position: int, entry: StreamEntry) -> bool:
    return entry.contact.pending_deal


def test_preview_pane_wide(snap_compare, sandbox) -> None:
    """160x45 shows the preview beside the list; resting on a contact loads its pending deals."""

    async def run_before(pilot: Pilot) -> None:
        await ready(pilot)
        entry = await move_to(pilot, with_pending_deal, "with a pending deal")
        app = pilot.app
        await wait_for(
            pilot,
            lambda: app.session.cached_pending_deals(entry.contact.id) is not None,
            what="the deals to load",
        )
        await quiet(pilot)
        preview = app.screen.query_one("#stream-preview", ContactPreview)
        assert preview.display and preview.contact_id == entry.contact.id
        assert app.session.cached_pending_deals(entry.contact.id), "the contact should have pending deals"

    assert shot(snap_compare, sandbox, WIDE, run_before)


# -- connection error --------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_connection_error(snap_compare, sandbox, size) -> None:
    """The sandbox is gone before the app starts: the error screen explains and offers retry/quit."""
    sandbox.stop()
    port = sandbox.port

    async def run_before(pilot: Pilot) -> None:
        await loaded(pilot)
        await settled(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ConnectionErrorScreen), f"expected the connection error, got {screen!r}"
        assert isinstance(screen.error, Offline)
        # The message names the server, whose port the OS picked at random; show a fixed one.
        message = screen.error.message
        assert f":{port})" in message, message
        screen.show_error(Offline(message.replace(f":{port})", ":8765)")))
        address = screen.query_one("#error-address", Static)  # the line naming the server: the same port
        address.update(str(address.render()).replace(f":{port}/", ":8765/"))
        await quiet(pilot)

    assert shot(snap_compare, sandbox, size, run_before)

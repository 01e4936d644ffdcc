"""Snapshot tests of the pipeline board at 80x24 and 160x45, on the seeded sandbox.

Deterministic like tests/ui/test_snapshots.py: seed 42, `today` 2026-03-10, a frozen clock, no cursor
blink, no periodic refresh; every capture waits until no worker runs and no toast is up, and no
sandbox id is shown. The SVGs live in tests/ui/__snapshots__/test_snapshots_pipeline/.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from crmtui.sandbox.onepagecrm.server import SandboxHandle
from crmtui.ui.app import CrmApp
from crmtui.ui.modals.deal_choice import DealChoiceModal
from crmtui.ui.modals.deal_edit import DealEditModal
from crmtui.ui.modals.pickers import ConfirmModal
from crmtui.ui.screens.pipeline import PipelineScreen
from crmtui.ui.widgets.pipeline_board import PipelineBoard

from .conftest import NARROW, WIDE, loaded, settled, snapshot_app, wait_for

SIZES = [pytest.param(NARROW, id="80x24"), pytest.param(WIDE, id="160x45")]

RunBefore = Callable[[Pilot], Awaitable[None]]


def board(pilot: Pilot) -> PipelineBoard:
    return pilot.app.screen.query_one(PipelineBoard)


async def quiet(pilot: Pilot) -> None:
    """Workers done, no notification toast left to capture."""
    await settled(pilot)
    assert not pilot.app._notifications, [n.message for n in pilot.app._notifications]
    await pilot.pause()


async def on_board(pilot: Pilot) -> None:
    """The stream loaded, then `3`: the Sales board drawn, every worker finished."""
    await loaded(pilot)
    await settled(pilot)
    await pilot.press("3")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, PipelineScreen), what="the pipeline screen")
    await wait_for(pilot, lambda: board(pilot).board is not None, what="the board")
    await quiet(pilot)
    assert pilot.app.sync_status == "updated just now"


def shot(snap_compare, sandbox: SandboxHandle, size: tuple[int, int], run_before: RunBefore) -> bool:
    app: CrmApp = snapshot_app(sandbox)
    return snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_pipeline_board(snap_compare, sandbox, size) -> None:
    """The Sales pipeline right after `3`: stage columns with sums, totals in the bar, first card selected."""

    async def run_before(pilot: Pilot) -> None:
        await on_board(pilot)
        assert board(pilot).column == 0

    assert shot(snap_compare, sandbox, size, run_before)


@pytest.mark.parametrize("size", SIZES)
def test_pipeline_won_column(snap_compare, sandbox, size) -> None:
    """`l` to the won column (the board scrolls sideways at both sizes: ◀ in the first title), a card down."""

    async def run_before(pilot: Pilot) -> None:
        await on_board(pilot)
        await pilot.press(*"lllll", "j")
        assert board(pilot).board.columns[board(pilot).column].key == "won"
        await quiet(pilot)

    assert shot(snap_compare, sandbox, size, run_before)


@pytest.mark.parametrize("size", SIZES)
def test_pipeline_after_a_move(snap_compare, sandbox, size) -> None:
    """`L` twice on the first card: it sits in Demo, selected, and the sums moved with it."""

    async def run_before(pilot: Pilot) -> None:
        await on_board(pilot)
        await pilot.press("L", "L")
        await quiet(pilot)
        assert board(pilot).board.columns[board(pilot).column].key == "50"

    assert shot(snap_compare, sandbox, size, run_before)


@pytest.mark.parametrize("size", SIZES)
def test_pipeline_owner_filter(snap_compare, sandbox, size) -> None:
    """`o` then Tom Byrne: only his deals, the totals his, "owner:" in the bar and Esc in the footer."""

    async def run_before(pilot: Pilot) -> None:
        await on_board(pilot)
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, DealChoiceModal), what="the owner picker")
        labels = [label for _, label in pilot.app.screen.choices]
        await pilot.press(*["down"] * labels.index("Tom Byrne"), "enter")
        await quiet(pilot)

    assert shot(snap_compare, sandbox, size, run_before)


@pytest.mark.parametrize("size", SIZES)
def test_pipeline_renewals(snap_compare, sandbox, size) -> None:
    """`]`: the Renewals pipeline, three stages and its "Renewed" won column."""

    async def run_before(pilot: Pilot) -> None:
        await on_board(pilot)
        await pilot.press("]")
        # The board is None while the next pipeline's deals load (a loaded machine catches that moment).
        await wait_for(pilot, lambda: getattr(board(pilot).board, "pipeline", None) is not None
                       and board(pilot).board.pipeline.name == "Renewals", what="the Renewals board")
        await quiet(pilot)

    assert shot(snap_compare, sandbox, size, run_before)


@pytest.mark.parametrize("size", SIZES)
def test_pipeline_edit_modal(snap_compare, sandbox, size) -> None:
    """`e` on the first card, the amount changed to words, Enter: the error under the form."""

    async def run_before(pilot: Pilot) -> None:
        await on_board(pilot)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, DealEditModal), what="the edit modal")
        amount = pilot.app.screen.query_one("#deal-amount", Input)
        amount.focus()
        amount.value = ""
        await pilot.press(*"a lot", "enter")
        await quiet(pilot)

    assert shot(snap_compare, sandbox, size, run_before)


def test_pipeline_lost_confirmation(snap_compare, sandbox) -> None:
    """`x` asks before marking a deal lost."""

    async def run_before(pilot: Pilot) -> None:
        await on_board(pilot)
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmModal), what="the question")
        await quiet(pilot)

    assert shot(snap_compare, sandbox, NARROW, run_before)

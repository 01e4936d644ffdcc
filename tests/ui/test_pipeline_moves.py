"""Moving deals on the board against the real sandbox: H/L, shift+arrows, won, lost, reopening."""

from __future__ import annotations


from crmtui.domain.models import DealStatus
from crmtui.ui.app import CrmApp
from crmtui.ui.modals.pickers import ConfirmModal
from crmtui.ui.screens.pipeline import PipelineScreen
from crmtui.ui.widgets.header import AppHeader

from .conftest import NARROW, WIDE, settled, wait_for
from .pipeline_support import (
    board_text,
    column,
    column_of,
    first_in,
    go_to,
    open_board,
    pipeline_screen,
    puts,
    selected,
    server_deal,
    shown,
)
from .stream_support import TODAY


DEAL_WRITES = "/api/v3/deals/*"


def changing(app: CrmApp) -> bool:
    """A change of the board is shown and not yet confirmed by the server."""
    return app.pending_changes > 0


async def test_L_moves_the_deal_a_stage_on_at_once_and_the_server_follows(sandbox, make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        notes, requests = await open_board(pilot)
        deal = first_in(app, "25")
        await go_to(pilot, deal.id)
        before = (column(app, "25").totals, column(app, "50").totals)
        held = sandbox.gate.hold("PUT", DEAL_WRITES)

        await pilot.press("L")
        # shown before the server answers: the card, the sums and the selection moved
        assert column_of(app, deal.id) == "50" and selected(app).id == deal.id
        assert column(app, "25").totals.count == before[0].count - 1
        assert column(app, "50").totals.count == before[1].count + 1
        assert column(app, "50").totals.weighted == before[1].weighted + deal.value * 0.5
        assert changing(app) and app.pending_changes == 1
        assert "saving…" in pipeline_screen(app).query_one("#header", AppHeader).render().plain
        await held.parked(1)  # the write reached the server, which has not answered
        assert changing(app) and "saving…" in pipeline_screen(app).query_one("#header", AppHeader).render().plain

        held.release()
        await settled(pilot)
        assert app.pending_changes == 0
        assert puts(requests) == [f"/api/v3/deals/{deal.id}"]
        server = await server_deal(api, deal)
        assert (server.stage, server.status) == (50, DealStatus.PENDING)
        assert column_of(app, deal.id) == "50" and selected(app).id == deal.id
        assert not [n for n in notes.all if n.severity != "information"]


async def test_H_moves_back_and_shift_arrows_do_the_same(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await open_board(pilot)
        deal = first_in(app, "50")
        await go_to(pilot, deal.id)
        await pilot.press("H")
        assert column_of(app, deal.id) == "25"
        await pilot.press("shift+left")
        assert column_of(app, deal.id) == "10"
        await pilot.press("shift+right", "shift+right", "L")
        assert column_of(app, deal.id) == "75"
        await settled(pilot)
        assert (await server_deal(api, deal)).stage == 75
        assert pipeline_screen(app).board.column == 3  # the selection went along


async def test_H_at_the_first_stage_says_so_and_sends_nothing(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, requests = await open_board(pilot)
        deal = first_in(app, "10")
        await go_to(pilot, deal.id)
        await pilot.press("H")
        note = await notes.wait(pilot, "first stage already")
        assert note.severity == "warning" and puts(requests) == []
        assert column_of(app, deal.id) == "10"


async def test_L_at_the_last_stage_asks_before_winning(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, requests = await open_board(pilot)
        deal = first_in(app, "90")
        await go_to(pilot, deal.id)
        await pilot.press("L")
        assert isinstance(app.screen, ConfirmModal) and deal.name in app.screen.message
        await pilot.press("n")
        assert isinstance(app.screen, PipelineScreen) and column_of(app, deal.id) == "90" and puts(requests) == []

        await pilot.press("L")
        await pilot.press("y")
        assert column_of(app, deal.id) == "won"
        assert column(app, "won").deals[0].id == deal.id  # closed today: the most recent
        await notes.wait(pilot, f"Won: {deal.name}")
        await settled(pilot)
        server = await server_deal(api, deal)
        assert server.status is DealStatus.WON and server.close_date == TODAY


async def test_w_marks_won_and_H_reopens_it_at_the_stage_it_left(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await open_board(pilot)
        deal = first_in(app, "50")
        await go_to(pilot, deal.id)
        won_before = shown(app).won_totals
        await pilot.press("w")  # asks first, as x does
        assert isinstance(app.screen, ConfirmModal) and "won" in app.screen.message
        await pilot.press("n")
        assert column_of(app, deal.id) == "50"
        await pilot.press("w", "y")
        assert column_of(app, deal.id) == "won" and selected(app).id == deal.id
        assert shown(app).won_totals.amount == won_before.amount + deal.value
        assert pipeline_screen(app).board.left > 0  # scrolled to show the won column at 80 columns
        await settled(pilot)
        assert (await server_deal(api, deal)).status is DealStatus.WON

        await pilot.press("L")
        await notes.wait(pilot, "The deal is won: H moves it back into the pipeline")
        await pilot.press("w")
        await notes.wait(pilot, "won already")

        await pilot.press("H")
        assert column_of(app, deal.id) == "50"
        await settled(pilot)
        server = await server_deal(api, deal)
        assert (server.status, server.stage) == (DealStatus.PENDING, 50)

        await pilot.press("u")  # takes back the last move: won again
        await notes.wait(pilot, "Undone:")
        assert column_of(app, deal.id) == "won"
        await settled(pilot)
        assert (await server_deal(api, deal)).status is DealStatus.WON
        await pilot.press("u", "u")  # and the won before it; then nothing is left to take back
        await notes.wait(pilot, "Nothing to undo on the board")
        await settled(pilot)
        server = await server_deal(api, deal)
        assert (server.status, server.stage) == (DealStatus.PENDING, 50) and column_of(app, deal.id) == "50"


async def test_x_asks_then_marks_lost_and_esc_keeps_it(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, requests = await open_board(pilot)
        deal = first_in(app, "75")
        await go_to(pilot, deal.id)
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmModal) and "lost" in app.screen.message
        await pilot.press("escape")
        assert column_of(app, deal.id) == "75" and puts(requests) == []
        await pilot.press("x", "y")
        assert column_of(app, deal.id) == "lost"
        await settled(pilot)
        server = await server_deal(api, deal)
        assert server.status is DealStatus.LOST and server.close_date == TODAY
        await pilot.press("x")
        await notes.wait(pilot, "lost already")
        assert not isinstance(app.screen, ConfirmModal)


async def test_H_on_a_seeded_lost_deal_reopens_it_at_the_first_stage(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await open_board(pilot)
        deal = first_in(app, "lost")
        assert deal.stage == 0  # the seed keeps no stage for lost deals
        await go_to(pilot, deal.id)
        await pilot.press("H")
        assert column_of(app, deal.id) == "10"
        await settled(pilot)
        server = await server_deal(api, deal)
        assert (server.status, server.stage) == (DealStatus.PENDING, 10)


async def test_H_on_a_seeded_won_deal_reopens_it_at_the_last_stage(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await open_board(pilot)
        deal = first_in(app, "won")
        await go_to(pilot, deal.id)
        await pilot.press("shift+left")
        assert column_of(app, deal.id) == "90"
        await settled(pilot)
        assert (await server_deal(api, deal)).stage == 90


async def test_three_quick_moves_reach_the_server_in_order(sandbox, make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        _, requests = await open_board(pilot)
        deal = first_in(app, "10")
        await go_to(pilot, deal.id)
        held = sandbox.gate.hold("PUT", DEAL_WRITES)  # the first write waits at the server until released
        await pilot.press("L", "L", "L")
        assert column_of(app, deal.id) == "75" and app.pending_changes == 3
        await held.parked(1)
        assert column_of(app, deal.id) == "75" and app.pending_changes == 3
        held.release()
        await settled(pilot)
        assert app.pending_changes == 0 and column_of(app, deal.id) == "75"
        assert len(puts(requests)) == 3
        assert (await server_deal(api, deal)).stage == 75


async def test_moves_keep_the_cursor_moving_while_the_server_is_slow(sandbox, make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await open_board(pilot)
        deal = first_in(app, "25")
        await go_to(pilot, deal.id)
        held = sandbox.gate.hold("PUT", DEAL_WRITES)
        await pilot.press("L", "h", "j")
        assert pipeline_screen(app).board.column == 1
        assert changing(app)  # the cursor moved while the move is still on its way
        await held.parked(1)
        await pilot.press("l", "h")
        assert pipeline_screen(app).board.column == 1 and changing(app)  # and still moves with the write held
        held.release()
        await settled(pilot)
        assert column_of(app, deal.id) == "50"


async def test_a_card_line_shows_in_its_new_column(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await open_board(pilot)
        deal = first_in(app, "10")
        await go_to(pilot, deal.id)
        await pilot.press("L")
        await wait_for(pilot, lambda: not changing(app), what="the move")
        index = [c for c, _, _ in pipeline_screen(app).board.visible_columns()].index(1)
        _, x, width = pipeline_screen(app).board.visible_columns()[index]
        names = [line[x:x + width] for line in board_text(app)]
        assert any(line.startswith("▌ " + deal.name[:15]) for line in names)

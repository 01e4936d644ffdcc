"""The board when the server refuses, fails, throttles or is gone.

The card moves at once. A refusal puts it back as the server has it and says why; a failing,
throttling or absent server only delays the move (it waits in the outbox and goes through later).
"""

from __future__ import annotations

import json

from crmtui.domain.models import DealStatus
from crmtui.ui.app import CrmApp
from crmtui.ui.screens.pipeline import PipelineScreen

from .conftest import all_sent, NARROW, retried, settled, wait_for
from .pipeline_support import (
    board_widget,
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


class Places:
    """Which column the deal was in after every change the service announced (optimistic, then final)."""

    def __init__(self, app: CrmApp, deal_id: str) -> None:
        self.seen: list[str | None] = []
        screen = pipeline_screen(app)

        def changed() -> None:
            deal = screen.service.deal(deal_id)
            place = None if deal is None else deal.status.value if deal.status is not DealStatus.PENDING else str(deal.stage)
            if not self.seen or self.seen[-1] != place:  # what the person saw move
                self.seen.append(place)

        screen.service.subscribe(changed)


async def test_a_move_of_a_deal_deleted_behind_the_apps_back_goes_back_with_the_servers_message(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, requests = await open_board(pilot)
        deal = first_in(app, "25")
        await go_to(pilot, deal.id)
        await api.client.delete_deal(deal.id)
        places = Places(app, deal.id)
        count_before = column(app, "25").totals.count

        await pilot.press("L")
        note = await notes.wait(pilot, "was not saved")
        await settled(pilot)
        assert places.seen == ["50", "25"]  # moved at once, then put back
        assert note.severity == "error" and note.title == "The server refused"
        assert "not found" in note.message.lower()
        assert column_of(app, deal.id) == "25" and selected(app).id == deal.id
        assert column(app, "25").totals.count == count_before
        # a deal update reads the deal before writing it whole: the read found it gone, so no PUT
        assert app.pending_changes == 0 and puts(requests) == []


async def test_a_server_error_only_delays_won(sandbox, make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await open_board(pilot)
        deal = first_in(app, "75")
        await go_to(pilot, deal.id)
        sandbox.options.fail_rate = 1.0
        places = Places(app, deal.id)
        await pilot.press("w", "y")
        await retried(pilot)
        assert places.seen == ["won"] and column_of(app, deal.id) == "won"
        assert sandbox.state.tables["deals"][deal.id]["status"] == "pending"
        sandbox.options.fail_rate = 0.0
        await all_sent(pilot)
        assert places.seen == ["won"] and not notes.find("was not saved")
        assert (await server_deal(api, deal)).status is DealStatus.WON


async def test_a_throttled_move_waits_and_goes_through(sandbox, make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await open_board(pilot)
        deal = first_in(app, "10")
        await go_to(pilot, deal.id)
        sandbox.options.throttle_rate = 1.0
        sandbox.options.retry_after = 0
        await pilot.press("L")
        assert column_of(app, deal.id) == "25"
        await retried(pilot)
        assert column_of(app, deal.id) == "25" and app.pending_changes == 1
        sandbox.options.throttle_rate = 0.0
        await all_sent(pilot)
        assert column_of(app, deal.id) == "25" and (await server_deal(api, deal)).stage == 25


async def test_an_offline_move_stays_on_the_board_and_waits(sandbox, make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await open_board(pilot)
        deal = first_in(app, "90")
        await go_to(pilot, deal.id)
        sandbox.stop()
        await pilot.press("H")
        assert column_of(app, deal.id) == "75"
        note = await notes.wait(pilot, "No connection")
        await settled(pilot)
        assert note.severity == "warning" and note.title == "Offline"
        assert column_of(app, deal.id) == "75" and selected(app).id == deal.id and app.pending_changes == 1


def drop_stage_on_the_server(sandbox, pipeline_id: str, stage: int) -> None:
    """The pipeline loses a stage behind the app's back (someone edited it in the web app)."""
    pipeline = sandbox.state.tables["pipelines"][pipeline_id]
    with sandbox.state.lock:
        pipeline["stages"] = [s for s in pipeline["stages"] if s["stage"] != stage]


async def test_a_stage_the_server_no_longer_has_is_refused_with_its_message(sandbox, make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await open_board(pilot)
        deal = first_in(app, "10")
        await go_to(pilot, deal.id)
        drop_stage_on_the_server(sandbox, deal.pipeline_id, 25)
        await pilot.press("L")
        note = await notes.wait(pilot, "was not saved")
        await settled(pilot)
        assert "stage is not a stage of the pipeline" in note.message
        assert column_of(app, deal.id) == "10"
        assert (await server_deal(api, deal)).stage == 10


async def test_a_failed_first_move_does_not_undo_a_later_one_that_succeeds(sandbox, make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await open_board(pilot)
        deal = first_in(app, "10")
        await go_to(pilot, deal.id)
        drop_stage_on_the_server(sandbox, deal.pipeline_id, 25)
        held = sandbox.gate.hold("PUT", "/api/v3/deals/*")
        places = Places(app, deal.id)
        await pilot.press("L", "L")  # 25 (refused), then 50 (fine), sent one after the other
        assert column_of(app, deal.id) == "50"
        [first] = await held.parked(1)
        assert json.loads(first.body)["stage"] == 25
        held.release(1)  # the move to 25 goes on and is refused
        await notes.wait(pilot, "was not saved")
        [second] = await held.parked(1)  # while the move to 50 is still on its way
        assert json.loads(second.body)["stage"] == 50
        assert column_of(app, deal.id) == "50" and app.pending_changes == 1
        held.release()
        await settled(pilot)
        assert notes.find("was not saved") is not None
        assert places.seen == ["25", "50"]  # never back at 10: the later change was still on its way
        assert column_of(app, deal.id) == "50"
        assert (await server_deal(api, deal)).stage == 50


async def test_loading_failure_says_so_and_r_retries(sandbox, make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        from .stream_support import start

        notes, _ = await start(pilot)
        sandbox.options.fail_rate = 1.0
        await pilot.press("3")
        await wait_for(pilot, lambda: isinstance(app.screen, PipelineScreen), what="the pipeline screen")
        note = await notes.wait(pilot, "Server error")
        await settled(pilot)
        assert note.title == "Loading deals failed"
        widget = board_widget(app)
        assert widget.board is None and "Could not load deals" in widget.empty_text
        assert "Could not load deals" in widget.render_line(2).text
        sandbox.options.fail_rate = 0.0
        await pilot.press("r")
        await wait_for(pilot, lambda: widget.board is not None, what="the board after r")
        assert shown(app).pipeline.name == "Sales"

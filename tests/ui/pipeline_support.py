"""Helpers for the pipeline board Pilot tests. Not a test module; everything talks to the real sandbox."""

from __future__ import annotations

from textual.pilot import Pilot

from crmtui.backends.base import Backend
from crmtui.domain.models import Deal, DealStatus
from crmtui.service.pipeline_board import Board, Column
from crmtui.ui.app import CrmApp
from crmtui.ui.screens.pipeline import PipelineScreen
from crmtui.ui.widgets.pipeline_board import PipelineBoard

from .conftest import settled, wait_for
from .stream_support import Notes, Requests, start

DEALS_PATH = "/api/v3/deals"


def add_deals_on_server(sandbox, pipeline_id: str, stage: int, count: int) -> None:
    """`count` more pending deals at `stage`, written straight into the sandbox (fast, behind the app's back)."""
    state = sandbox.state
    template = next(d for d in state.tables["deals"].values() if d["pipeline_id"] == pipeline_id)
    with state.write():
        for n in range(count):
            doc = {**template, "id": state.new_id(), "name": f"Bulk deal {n:03d}", "status": "pending", "stage": stage,
                   "amount": 100.0, "months": 1, "total_amount": 100.0, "expected_close_date": "2026-04-01",
                   "close_date": None, "created_at": f"2026-01-01T00:00:{n % 60:02d}Z"}
            state.save("deals", doc)


def pipeline_screen(app: CrmApp) -> PipelineScreen:
    """The pipeline screen, also while a modal or the contact screen is on top of it."""
    return next(s for s in app.screen_stack if isinstance(s, PipelineScreen))


def board_widget(app: CrmApp) -> PipelineBoard:
    return pipeline_screen(app).board


def shown(app: CrmApp) -> Board:
    board = board_widget(app).board
    assert board is not None, "the board has not been drawn yet"
    return board


def column(app: CrmApp, key: str) -> Column:
    """The column whose key is a stage ("25"), "won" or "lost"."""
    return next(c for c in shown(app).columns if c.key == key)


def column_of(app: CrmApp, deal_id: str) -> str | None:
    found = shown(app).column_index(deal_id)
    return None if found is None else shown(app).columns[found[0]].key


def selected(app: CrmApp) -> Deal | None:
    return board_widget(app).selected_deal


def board_text(app: CrmApp) -> list[str]:
    """Every line of the board as drawn now."""
    widget = board_widget(app)
    return [widget.render_line(y).text for y in range(widget.size.height)]


async def open_board(pilot: Pilot, key: str = "3") -> tuple[Notes, Requests]:
    """Start recording, wait for the stream, switch to the pipeline board and wait until it is drawn."""
    notes, requests = await start(pilot)
    app = pilot.app
    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(app.screen, PipelineScreen), what="the pipeline screen")
    await wait_for(pilot, lambda: board_widget(app).board is not None, what="the board")  # type: ignore[arg-type]
    await settled(pilot)
    return notes, requests


async def go_to(pilot: Pilot, deal_id: str) -> None:
    """Select a deal without keys (key navigation has its own tests)."""
    assert board_widget(pilot.app).select(deal_id), f"deal {deal_id} is not on the board"  # type: ignore[arg-type]
    await pilot.pause()


def first_in(app: CrmApp, key: str, condition=lambda d: True) -> Deal:
    found = next((d for d in column(app, key).deals if condition(d)), None)
    assert found is not None, f"no deal in column {key} matches"
    return found


async def server_deal(api: Backend, deal: Deal) -> Deal | None:
    """The deal as the server holds it now (None once deleted)."""
    return next((d for d in await api.deals(pipeline_id=deal.pipeline_id) if d.id == deal.id), None)


def pending_of(deals: list[Deal]) -> list[Deal]:
    return [d for d in deals if d.status is DealStatus.PENDING]


def deal_gets(requests: Requests) -> list[dict[str, str]]:
    return requests.gets(DEALS_PATH)


def puts(requests: Requests) -> list[str]:
    return [path for method, path in requests.sent if method == "PUT" and path.startswith(DEALS_PATH)]

"""`e` on the board: the deal edit modal against the real sandbox."""

from __future__ import annotations

import datetime as dt

from textual.widgets import Input, Select, Static

from crmtui.domain.models import DealStatus
from crmtui.ui.app import CrmApp
from crmtui.ui.modals.deal_edit import DealEditModal
from crmtui.ui.modals.pickers import ConfirmModal
from crmtui.ui.screens.pipeline import PipelineScreen

from .test_pipeline_failures import drop_stage_on_the_server
from .conftest import NARROW, WIDE, settled
from .pipeline_support import board_text, column_of, first_in, go_to, open_board, pipeline_screen, puts, selected, server_deal


def field(app: CrmApp, selector: str) -> Input:
    assert isinstance(app.screen, DealEditModal)
    return app.screen.query_one(selector, Input)


def error_text(app: CrmApp) -> str:
    return str(app.screen.query_one("#deal-error", Static).render())


async def replace(pilot, selector: str, text: str) -> None:
    box = field(pilot.app, selector)
    box.focus()
    box.value = ""
    await pilot.press(*text)


async def test_e_opens_the_deal_filled_in_and_enter_saves_amount_and_months(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, requests = await open_board(pilot)
        deal = first_in(app, "25", lambda d: d.months == 1)
        await go_to(pilot, deal.id)
        await pilot.press("e")
        assert isinstance(app.screen, DealEditModal)
        assert app.focused is field(app, "#deal-name")
        assert field(app, "#deal-name").value == deal.name
        assert field(app, "#deal-amount").value == f"{deal.amount:.0f}"
        assert field(app, "#deal-months").value == "1"
        assert field(app, "#deal-close").value == deal.expected_close_date.strftime("%d/%m/%Y")
        assert app.screen.query_one("#deal-place", Select).value == "25"

        await replace(pilot, "#deal-amount", "1,250")
        await replace(pilot, "#deal-months", "12")
        await pilot.press("enter")
        assert isinstance(app.screen, PipelineScreen)
        shown = selected(app)
        assert (shown.id, shown.amount, shown.months, shown.value) == (deal.id, 1250, 12, 15000)
        assert any("€15,000" in line for line in board_text(app))
        await settled(pilot)
        server = await server_deal(api, deal)
        assert (server.amount, server.months, server.total_amount) == (1250, 12, 15000)
        assert server.name == deal.name and server.stage == 25
        assert len(puts(requests)) == 1
        assert not [n for n in notes.all if n.severity != "information"]


async def test_edit_name_close_date_and_stage(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await open_board(pilot)
        deal = first_in(app, "10")
        await go_to(pilot, deal.id)
        await pilot.press("e")
        await replace(pilot, "#deal-name", "Bigger rollout")
        await replace(pilot, "#deal-close", "+14")
        select = app.screen.query_one("#deal-place", Select)
        select.focus()
        await pilot.press("enter")  # opens the list of stages
        await pilot.press("down", "down", "enter")  # 10 -> 25 -> 50
        assert select.value == "50"
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, PipelineScreen)
        assert column_of(app, deal.id) == "50" and selected(app).name == "Bigger rollout"
        await settled(pilot)
        server = await server_deal(api, deal)
        assert (server.name, server.stage, server.expected_close_date) == (
            "Bigger rollout", 50, dt.date(2026, 3, 24),
        )


async def test_edit_to_lost_closes_the_deal(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await open_board(pilot)
        deal = first_in(app, "90")
        await go_to(pilot, deal.id)
        await pilot.press("e")
        app.screen.query_one("#deal-place", Select).value = "lost"
        await pilot.press("enter")
        assert column_of(app, deal.id) == "lost"
        await settled(pilot)
        assert (await server_deal(api, deal)).status is DealStatus.LOST


async def test_invalid_fields_say_so_inline_and_send_nothing(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        _, requests = await open_board(pilot)
        deal = first_in(app, "10")
        await go_to(pilot, deal.id)
        await pilot.press("e")
        await replace(pilot, "#deal-amount", "lots")
        await pilot.press("enter")
        assert isinstance(app.screen, DealEditModal) and "amount must be a number" in error_text(app)
        await replace(pilot, "#deal-amount", "100")
        assert error_text(app) == ""  # typing clears the message
        await replace(pilot, "#deal-months", "0")
        await pilot.press("enter")
        assert "Months must be a whole number" in error_text(app)
        await replace(pilot, "#deal-months", "2")
        await replace(pilot, "#deal-close", "31/02/2026")
        await pilot.press("enter")
        assert "Dates look like" in error_text(app)
        await replace(pilot, "#deal-close", "")
        await pilot.press("enter")
        assert "expected close date" in error_text(app)
        await replace(pilot, "#deal-name", "   ")
        await pilot.press("enter")
        assert "needs a name" in error_text(app)
        await pilot.press("escape")  # what was typed is asked about before it goes
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        assert isinstance(app.screen, PipelineScreen)
        await settled(pilot)
        assert puts(requests) == [] and selected(app).amount == deal.amount


async def test_saving_without_changes_sends_nothing(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, requests = await open_board(pilot)
        await pilot.press("e", "enter")
        await notes.wait(pilot, "Nothing changed")
        assert puts(requests) == []


async def test_a_refused_edit_puts_the_old_values_back(sandbox, make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await open_board(pilot)
        deal = first_in(app, "10")
        await go_to(pilot, deal.id)
        await pilot.press("e")
        await replace(pilot, "#deal-amount", "99999")
        drop_stage_on_the_server(sandbox, deal.pipeline_id, 10)  # edited in the web app meanwhile
        amounts: list[float] = []
        service = pipeline_screen(app).service
        service.subscribe(lambda: amounts.append(service.deal(deal.id).amount))
        await pilot.press("enter")
        note = await notes.wait(pilot, "was not saved")
        assert amounts[0] == 99999  # shown at once
        await settled(pilot)
        assert note.title == "The server refused" and "stage" in note.message
        assert selected(app).amount == deal.amount
        assert (await server_deal(api, deal)).amount == deal.amount

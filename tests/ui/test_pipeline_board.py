"""The pipeline board on the real sandbox: loading, columns and sums, moving around, filters, pipelines."""

from __future__ import annotations

import datetime as dt

import pytest
from textual.widgets import Static

from crmtui.ui.widgets.footer import KeyFooter
from crmtui.domain.formatting import format_money
from crmtui.domain.models import DealStatus
from crmtui.service.pipeline_board import CLOSED_DAYS
from crmtui.ui.app import CrmApp
from crmtui.ui.modals.deal_choice import DealChoiceModal
from crmtui.ui.modals.deal_edit import DealEditModal
from crmtui.ui.screens.contact import ContactDetailScreen
from crmtui.ui.screens.help import HelpScreen
from crmtui.ui.screens.pipeline import STALE_SECONDS, PipelineScreen
from crmtui.ui.widgets.header import AppHeader

from .conftest import NARROW, WIDE, settled, wait_for
from .pipeline_support import (
    add_deals_on_server,
    board_text,
    board_widget,
    column,
    deal_gets,
    go_to,
    open_board,
    pending_of,
    pipeline_screen,
    selected,
    shown,
)
from .stream_support import TODAY


def euros(amount: float) -> str:
    return format_money(amount, "€", decimals=0)


def bar_text(app: CrmApp) -> str:
    return str(pipeline_screen(app).query_one("#pipeline-bar", Static).render())


# -- loading -----------------------------------------------------------------------------------------


async def test_board_shows_the_default_pipeline_with_a_column_per_stage_then_won_and_lost(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        _, requests = await open_board(pilot)
        pipelines = await api.pipelines()
        sales = next(p for p in pipelines if p.default)
        board = shown(app)
        assert board.pipeline.id == sales.id and sales.name == "Sales"
        assert [c.key for c in board.columns] == ["10", "25", "50", "75", "90", "won", "lost"]
        assert [c.title for c in board.columns][:5] == [s.label for s in sales.stages]
        assert board.columns[5].title == "Won"
        assert pipeline_screen(app).query_one("#header", AppHeader).title == "Pipeline · Sales"
        # every deal of the pipeline, asked for by pipeline id (the client pages)
        assert deal_gets(requests) and all(q.get("pipeline_id") == sales.id for q in deal_gets(requests))

        lines = board_text(app)
        assert lines[0].startswith(" Lead in 10%") and "Negotiation 90%" in lines[0]
        await pilot.press(*"l" * 6)  # won and lost are off to the right
        assert "Won · 30d" in board_text(app)[0] and "Lost · 30d" in board_text(app)[0]
        server = await api.deals(pipeline_id=sales.id)
        for col in board.columns[:5]:
            expected = [d for d in pending_of(server) if d.stage == col.place.stage]
            assert sorted(d.id for d in col.deals) == sorted(d.id for d in expected)
            # soonest expected close first
            dates = [d.expected_close_date for d in col.deals]
            assert dates == sorted(dates)
        won = column(app, "won")
        since = TODAY - dt.timedelta(days=CLOSED_DAYS)
        recent_won = [d for d in server if d.status is DealStatus.WON and d.close_date >= since]
        assert sorted(d.id for d in won.deals) == sorted(d.id for d in recent_won)
        assert won.hidden == sum(1 for d in server if d.status is DealStatus.WON) - len(recent_won) > 0
        closes = [d.close_date for d in won.deals]
        assert closes == sorted(closes, reverse=True)  # most recently won first


async def test_3_before_the_app_has_connected_loads_the_board_once_it_has(sandbox, make_app) -> None:
    held = sandbox.gate.hold()  # the sign-in stays on its way until released
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await pilot.press("3")
        assert isinstance(app.screen, PipelineScreen) and app.session.account is None
        assert "Loading deals…" in board_text(app)[2]
        await held.parked(1)
        assert app.session.account is None and "Loading deals…" in board_text(app)[2]
        held.release()
        await wait_for(pilot, lambda: board_widget(app).board is not None, what="the board")
        assert shown(app).pipeline.name == "Sales"


@pytest.mark.parametrize("size", [NARROW, WIDE])
async def test_pipeline_totals_in_the_bar_and_sums_in_each_column_header(make_app, api, size) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=size) as pilot:
        await open_board(pilot)
        sales = shown(app).pipeline
        pending = pending_of(await api.deals(pipeline_id=sales.id))
        worth = sum(d.amount * d.months for d in pending)
        weighted = sum(d.amount * d.months * d.stage / 100 for d in pending)
        bar = bar_text(app)
        assert f"{len(pending)} open · {euros(worth)} · weighted {euros(weighted)}" in bar
        assert "Sales" in bar and "Renewals" in bar  # both pipelines, as tabs

        qualified = column(app, "25")
        col_worth = sum(d.amount * d.months for d in qualified.deals)
        header = board_text(app)[1]
        # columns of at least 26 cells (three at 80, five at 160): room for whole amounts
        assert f"{euros(col_worth)} · wtd {euros(col_worth * 0.25)}" in header
        assert board_text(app)[0].split("Qualified 25%")[1].split()[0] == str(len(qualified.deals))
        await pilot.press(*"l" * 5)
        won = column(app, "won")
        assert f"{euros(won.totals.amount)} · +{won.hidden} older" in board_text(app)[1]


async def test_cards_show_name_contact_company_total_close_date_and_owner(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await open_board(pilot)
        deal = column(app, "10").deals[0]
        account = app.session.account
        lines = board_text(app)
        first_col = [line[:26] for line in lines[2:5]]
        assert first_col[0].startswith("▌ " + deal.name[:20])
        assert first_col[1].startswith(f"▌ {deal.contact_name} · {deal.company_name}"[:24])
        assert deal.contact_name and deal.company_name  # from the deal's contact_info
        close = deal.expected_close_date.strftime("%d/%m")
        assert first_col[2].startswith(f"▌ {euros(deal.value)} {close}")
        assert first_col[2].rstrip().endswith(account.user_name(deal.owner_id).split()[0])


async def test_a_multi_month_deal_shows_its_total_and_months(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await open_board(pilot)
        await pilot.press("]")  # Renewals: five columns of 31 at 160, room for the months
        await settled(pilot)
        target = column(app, "20").deals[0]
        await api.update_deal(target.id, amount=1500, months=12)
        await pilot.press("r")
        await settled(pilot)
        await go_to(pilot, target.id)
        assert selected(app).value == 18000
        assert any("▌ €18,000 (12 mo) " in line for line in board_text(app))


async def test_pages_of_deals_load_and_a_column_of_hundreds_draws_only_what_shows(make_app, api, sandbox) -> None:
    sales = next(p for p in await api.pipelines() if p.default)
    add_deals_on_server(sandbox, sales.id, 10, 260)
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        _, requests = await open_board(pilot)
        assert len(deal_gets(requests)) >= 3  # 300+ deals: several pages of 100
        lead_in = column(app, "10")
        assert len(lead_in.deals) >= 260
        assert len(list(pipeline_screen(app).query("*"))) < 30  # one widget for the board, not one per card
        fits = (board_widget(app).size.height - 3 + 1) // 4  # cards of 3 lines and a gap, a line kept for "more"
        assert board_text(app)[-1][:26].strip() == f"↓ {len(lead_in.deals) - fits} more"
        await pilot.press("G")
        assert selected(app).id == lead_in.deals[-1].id
        assert any(lead_in.deals[-1].name[:18] in line for line in board_text(app))
        assert board_text(app)[-1][:26].strip() == f"↑ {len(lead_in.deals) - fits}"
        await pilot.press("g")
        assert selected(app).id == lead_in.deals[0].id


# -- moving around ------------------------------------------------------------------------------------


async def test_hjkl_and_arrows_move_between_cards_and_columns(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await open_board(pilot)
        widget = board_widget(app)
        assert widget.column == 0 and selected(app).id == column(app, "10").deals[0].id
        await pilot.press("j")
        assert selected(app).id == column(app, "10").deals[1].id
        await pilot.press("down", "k")
        assert selected(app).id == column(app, "10").deals[1].id
        await pilot.press("up")
        assert selected(app).id == column(app, "10").deals[0].id
        await pilot.press("l")
        assert widget.column == 1 and selected(app).id == column(app, "25").deals[0].id
        await pilot.press("right", "right")
        assert widget.column == 3
        await pilot.press("left")
        assert widget.column == 2
        await pilot.press("h", "h", "h")  # stops at the first column
        assert widget.column == 0
        await pilot.press("G")
        assert selected(app).id == column(app, "10").deals[-1].id
        await pilot.press("home")
        assert selected(app).id == column(app, "10").deals[0].id
        await pilot.press("end")
        assert selected(app).id == column(app, "10").deals[-1].id
        await pilot.press("pageup")
        assert selected(app).id == column(app, "10").deals[0].id
        await pilot.press("pagedown")
        assert selected(app).id == column(app, "10").deals[-1].id  # a page holds more than this column


async def test_each_column_remembers_its_card(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await open_board(pilot)
        await pilot.press("j", "j", "l", "h")
        assert selected(app).id == column(app, "10").deals[2].id


async def test_at_80_columns_the_board_scrolls_sideways_to_the_selected_column(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await open_board(pilot)
        widget = board_widget(app)
        assert [c for c, _, _ in widget.visible_columns()] == [0, 1, 2]  # three columns fit in 80
        assert board_text(app)[0].rstrip().endswith("▶")
        assert "Proposal" not in board_text(app)[0]
        await pilot.press("l", "l", "l")
        assert widget.column == 3 and [c for c, _, _ in widget.visible_columns()] == [1, 2, 3]
        assert board_text(app)[0].startswith("◀ Qualified")
        assert "Proposal 75%" in board_text(app)[0]
        await pilot.press("l", "l", "l", "l")
        assert [c for c, _, _ in widget.visible_columns()] == [4, 5, 6]
        assert "Lost" in board_text(app)[0] and not board_text(app)[0].rstrip().endswith("▶")
        await pilot.press("h", "h", "h", "h", "h", "h")
        assert [c for c, _, _ in widget.visible_columns()] == [0, 1, 2]


async def test_at_160_columns_cards_are_wider_than_at_80_and_the_board_scrolls_to_the_rest(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await open_board(pilot)
        widget = board_widget(app)
        shown = widget.visible_columns()
        assert [c for c, _, _ in shown] == [0, 1, 2, 3, 4]  # not all seven squeezed in
        assert all(w >= 26 for _, _, w in shown)  # at least as wide as at 80 columns
        assert "◀" not in board_text(app)[0] and board_text(app)[0].rstrip().endswith("▶")
        first_column = [line[: shown[0][2]].rstrip() for line in board_text(app)]
        for k, deal in enumerate(column(app, "10").deals[:3]):  # cards of 3 lines from line 2, a gap between
            owner = app.session.account.user_name(deal.owner_id).split()[0]
            assert first_column[2 + 4 * k + 2].endswith(owner), first_column[2 + 4 * k + 2]  # the owner stays
        await pilot.press(*"l" * 6)
        assert [c for c, _, _ in widget.visible_columns()] == [2, 3, 4, 5, 6]
        assert "Lost · 30d" in board_text(app)[0]


async def test_clicking_a_card_selects_it(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await open_board(pilot)
        widget = board_widget(app)
        _, x, _ = widget.visible_columns()[1]
        await pilot.click(widget, offset=(x + 3, 2 + 4 + 1))  # the second card of the second column
        assert widget.column == 1 and selected(app).id == column(app, "25").deals[1].id


# -- opening the contact ------------------------------------------------------------------------------


async def test_enter_opens_the_contact_and_esc_comes_back_to_the_same_card(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await open_board(pilot)
        await pilot.press("l", "j")
        deal = selected(app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ContactDetailScreen), what="the contact screen")
        assert app.screen.contact_id == deal.contact_id
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, PipelineScreen), what="the board again")
        await settled(pilot)
        assert selected(app).id == deal.id and board_widget(app).column == 1
        assert app.focused is board_widget(app)


async def test_coming_back_after_a_while_reloads_the_deals_and_keeps_the_card(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        _, requests = await open_board(pilot)
        await pilot.press("l", "j")
        deal = selected(app)
        gets = len(deal_gets(requests))
        await pilot.press("1", "3")  # back soon: nothing reloads
        await settled(pilot)
        assert len(deal_gets(requests)) == gets
        await api.update_deal(deal.id, name="Renamed elsewhere")
        pipeline_screen(app).loaded_at -= STALE_SECONDS + 1
        await pilot.press("1", "3")
        await settled(pilot)
        assert len(deal_gets(requests)) == gets + 1
        assert selected(app).id == deal.id and selected(app).name == "Renamed elsewhere"


async def test_a_stale_reload_when_a_dialog_closes_keeps_the_board_drawn(make_app) -> None:
    """Reviewer's crash: at 160x45, a reload on closing a dialog drew past the last column."""
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        _, requests = await open_board(pilot)
        await pilot.press("l")  # not the first column
        deal = selected(app)
        gets = len(deal_gets(requests))
        pipeline_screen(app).loaded_at -= STALE_SECONDS + 1
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, DealEditModal), what="the edit dialog")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, PipelineScreen), what="the board again")
        await settled(pilot)
        assert len(deal_gets(requests)) == gets + 1  # it did reload
        widget = board_widget(app)
        assert widget.size.width == WIDE[0]
        assert [c for c, _, _ in widget.visible_columns()] == [0, 1, 2, 3, 4]
        assert selected(app).id == deal.id and widget.column == 1
        lines = board_text(app)
        assert lines[0].startswith(" Lead in 10%") and "Proposal 75%" in lines[0]


async def test_a_board_settled_without_a_size_draws_every_column_once_it_has_one(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await open_board(pilot)
        widget = board_widget(app)
        widget.display = False  # no size: one column "fits"
        await pilot.pause()
        assert widget.size.width == 0
        await pilot.press("l", "l")
        widget.display = True
        await pilot.pause()
        assert widget.column == 2 and [c for c, _, _ in widget.visible_columns()] == [0, 1, 2, 3, 4]
        assert board_text(app)[0].startswith(" Lead in 10%")
        widget.left = 6  # settled for a narrower board than the one drawn now
        assert [c for c, _, _ in widget.visible_columns()] == [2, 3, 4, 5, 6]  # never past the last
        assert "Lost · 30d" in board_text(app)[0]


async def test_r_reloads_with_the_header_footer_and_keys_still_there(sandbox, make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await open_board(pilot)
        screen = pipeline_screen(app)
        with sandbox.gate.hold("GET") as reload:
            await pilot.press("r")
            await wait_for(pilot, lambda: "Loading deals" in bar_text(app), what="the reload to start")
            await reload.parked(1)  # on its way, and stays so until released
            await pilot.pause()
            # Textual's own loading spinner would cover the whole screen: no header, footer or keys
            header, footer = screen.query_one("#header", AppHeader), screen.query_one(KeyFooter)
            assert header.region.height > 0 and footer.region.height > 0
            assert board_widget(app).size.width == WIDE[0] and board_text(app)[0].startswith(" Lead in 10%")
            await pilot.press("l")  # keys still work while it loads
            assert board_widget(app).column == 1
            assert "Loading deals" in bar_text(app)
        await settled(pilot)
        assert "Loading deals" not in bar_text(app)


# -- owner filter ---------------------------------------------------------------------------------------


async def test_o_shows_one_persons_deals_and_the_totals_follow_then_esc_shows_everyone(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await open_board(pilot)
        account = app.session.account
        all_pending = sum(c.totals.count for c in shown(app).columns[:5])
        await pilot.press("o")
        assert isinstance(app.screen, DealChoiceModal)
        labels = [label for _, label in app.screen.choices]
        assert labels[0] == "Everyone" and "Alex Morgan  (me)" in labels and "Priya Shah" in labels
        tom = next(u for u in account.team if u.name == "Tom Byrne")
        await pilot.press(*["down"] * labels.index("Tom Byrne"), "enter")
        assert isinstance(app.screen, PipelineScreen) and pipeline_screen(app).owner_id == tom.id
        deals = [d for c in shown(app).columns for d in c.deals]
        assert deals and all(d.owner_id == tom.id for d in deals)
        server = [d for d in pending_of(await api.deals(pipeline_id=shown(app).pipeline.id)) if d.owner_id == tom.id]
        t = shown(app).open_totals
        assert (t.count, t.amount) == (len(server), sum(d.value for d in server)) and t.count < all_pending
        assert f"{t.count} open · {euros(t.amount)}" in bar_text(app) and "owner: Tom Byrne" in bar_text(app)
        keys = pipeline_screen(app).query_one(KeyFooter).shown_keys()
        assert [k.description for k in keys][-2:] == ["Quit", "more"] and max(k.region.right for k in keys) <= 80

        await pilot.press("escape")
        assert pipeline_screen(app).owner_id is None
        assert sum(c.totals.count for c in shown(app).columns[:5]) == all_pending
        assert "owner:" not in bar_text(app)


async def test_someone_without_deals_gets_empty_columns_saying_so(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await open_board(pilot)
        await pilot.press("o")
        labels = [label for _, label in app.screen.choices]
        await pilot.press(*["down"] * labels.index("Priya Shah"), "enter")  # she has no deals in the seed
        assert all(not c.deals for c in shown(app).columns)
        assert "0 open · €0 · weighted €0" in bar_text(app)
        assert board_text(app)[2].startswith("  no deals")
        await pilot.press("j", "l", "L", "w")  # nothing selected: nothing to move
        await settled(pilot)
        assert selected(app) is None


async def test_o_then_everyone_and_esc_in_the_picker_change_nothing(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await open_board(pilot)
        before = shown(app).open_totals
        await pilot.press("o", "escape")
        assert isinstance(app.screen, PipelineScreen) and pipeline_screen(app).owner_id is None
        await pilot.press("o", "enter")  # "Everyone" is highlighted
        assert pipeline_screen(app).owner_id is None and shown(app).open_totals == before


# -- pipelines ------------------------------------------------------------------------------------------


async def test_brackets_switch_pipelines_and_p_picks_one(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        _, requests = await open_board(pilot)
        renewals = next(p for p in await api.pipelines() if p.name == "Renewals")
        await pilot.press("right_square_bracket")
        await settled(pilot)
        board = shown(app)
        assert board.pipeline.id == renewals.id
        assert [c.key for c in board.columns] == ["20", "60", "90", "won", "lost"]
        assert board.columns[3].title == "Renewed"
        assert deal_gets(requests)[-1]["pipeline_id"] == renewals.id
        assert pipeline_screen(app).query_one("#header", AppHeader).title == "Pipeline · Renewals"
        assert "Upcoming 20%" in board_text(app)[0]
        await pilot.press("left_square_bracket")
        await settled(pilot)
        assert shown(app).pipeline.name == "Sales"
        await pilot.press("p")
        assert isinstance(app.screen, DealChoiceModal)
        await pilot.press("down", "enter")
        await settled(pilot)
        assert shown(app).pipeline.name == "Renewals"


async def test_c_shows_every_closed_deal_and_back(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await open_board(pilot)
        server = await api.deals(pipeline_id=shown(app).pipeline.id)
        recent = len(column(app, "won").deals)
        await pilot.press("c")
        assert len(column(app, "won").deals) == sum(1 for d in server if d.status is DealStatus.WON) > recent
        assert column(app, "won").hidden == 0
        await pilot.press("c")
        assert len(column(app, "won").deals) == recent


# -- keys on show -----------------------------------------------------------------------------------------


async def test_footer_at_80_columns_keeps_the_main_keys_help_and_quit(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await open_board(pilot)
        footer = pipeline_screen(app).query_one(KeyFooter)
        keys = [(k.key_display, k.description) for k in footer.shown_keys()]
        labels = " ".join(f"{k} {d}" for k, d in keys)
        for wanted in ("w Won", "x Lost", "e Edit", "o Owner", "q Quit", "? more"):
            assert wanted in labels
        right = max(k.region.right for k in footer.shown_keys())
        assert right <= 80


async def test_help_lists_the_board_keys(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await open_board(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        sections = dict(app.help_sections())
        rows = dict(sections["Pipeline"])
        assert rows["H / Shift+←"].startswith("Move the deal a stage back")
        assert rows["x"].startswith("Mark the deal lost")
        assert rows["]"] == "Next pipeline" and rows["["] == "Previous pipeline"

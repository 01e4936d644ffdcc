"""The words on the pipeline board: cards, column headers and the bar, fitted to their width."""

from __future__ import annotations

import datetime as dt

import pytest
from rich.cells import cell_len

from crmtui.domain.models import Account, Deal, DealStatus, Pipeline, Stage, User
from crmtui.service.pipeline_board import build_board
from crmtui.ui.cells import fit
from crmtui.ui.widgets.deal_card import card_lines, card_role, header_lines, short_money, sums_text
from crmtui.ui.widgets.pipeline_bar import pipeline_bar

TODAY = dt.date(2026, 3, 10)
ACCOUNT = Account(
    user=User(id="me", first_name="Alex", last_name="Morgan"),
    team=[User(id="u2", first_name="Priya", last_name="Shah")],
    currency_symbol="€",
    date_format="%d/%m/%Y",
)
SALES = Pipeline(id="p1", name="Sales", stages=[Stage(stage=10, label="Lead in"), Stage(stage=90, label="Negotiation")])
RENEWALS = Pipeline(id="p2", name="Renewals", stages=[Stage(stage=20, label="Upcoming")])


def deal(**kw) -> Deal:
    base = dict(
        id="d1", pipeline_id="p1", name="Oak Solar licences", contact_name="Xavier Evans", company_name="Oak Solar",
        owner_id="u2", status=DealStatus.PENDING, stage=10, amount=1000.0, months=1, total_amount=1000.0,
        expected_close_date=dt.date(2026, 4, 29),
    )
    base.update(kw)
    return Deal(**base)


def text(line) -> str:
    return "".join(t for t, _ in line)


def test_fit_pads_and_cuts_to_exact_cells() -> None:
    assert fit("abc", 5) == "abc  "
    assert fit("abcdef", 4) == "abc…"
    assert fit("€€€", 2) == "€…"
    assert fit("x", 0) == ""


@pytest.mark.parametrize(
    ("amount", "expected"),
    [(950, "€950"), (42_600, "€42.6k"), (1_000, "€1k"), (1_250_000, "€1.2M"), (-3_500, "-€3.5k")],
)
def test_short_money(amount: float, expected: str) -> None:
    assert short_money(amount, "€") == expected


@pytest.mark.parametrize("width", [18, 22, 26, 31, 40])
def test_card_lines_are_exactly_the_width(width: int) -> None:
    lines = card_lines(deal(months=12, total_amount=12000), width, ACCOUNT, TODAY)
    assert len(lines) == 3
    assert all(cell_len(text(line)) == width - 1 for line in lines)


def test_card_shows_name_contact_company_total_months_date_and_owner() -> None:
    lines = [text(line) for line in card_lines(deal(amount=1500, months=12, total_amount=18000), 40, ACCOUNT, TODAY)]
    assert lines[0].strip() == "Oak Solar licences"
    assert lines[1].strip() == "Xavier Evans · Oak Solar"
    assert lines[2].startswith(" €18,000 (12 mo) 29/04") and lines[2].rstrip().endswith("Priya Shah")


def test_narrow_card_shortens_months_then_the_owner_to_initials_then_drops_them() -> None:
    multi = deal(amount=1500, months=12, total_amount=18000)
    assert text(card_lines(multi, 36, ACCOUNT, TODAY)[2]) == " €18,000 (12 mo) 29/04   Priya Shah"
    assert text(card_lines(multi, 26, ACCOUNT, TODAY)[2]) == " €18,000 12mo 29/04 Priya"
    assert text(card_lines(multi, 22, ACCOUNT, TODAY)[2]) == " €18,000 29/04  Priya"
    assert text(card_lines(multi, 19, ACCOUNT, TODAY)[2]) == " €18,000 29/04  PS"  # initials before nothing
    assert text(card_lines(multi, 16, ACCOUNT, TODAY)[2]) == " €18,000 29/04 "


def test_dates_of_other_years_keep_the_year_and_closed_deals_show_the_close_date() -> None:
    far = text(card_lines(deal(expected_close_date=dt.date(2027, 1, 5)), 40, ACCOUNT, TODAY)[2])
    assert "05/01/2027" in far
    won = deal(status=DealStatus.WON, close_date=dt.date(2026, 3, 1))
    assert "01/03" in text(card_lines(won, 40, ACCOUNT, TODAY)[2])


def test_card_role_marks_overdue_open_deals() -> None:
    assert card_role(deal(expected_close_date=TODAY - dt.timedelta(days=1)), TODAY) == "overdue"
    assert card_role(deal(expected_close_date=TODAY), TODAY) == "open"
    assert card_role(deal(status=DealStatus.WON, expected_close_date=dt.date(2020, 1, 1)), TODAY) == "won"
    overdue = card_lines(deal(expected_close_date=TODAY - dt.timedelta(days=3)), 30, ACCOUNT, TODAY)[2]
    assert ("overdue" in [role for _, role in overdue])


def test_header_lines_title_probability_count_and_sums() -> None:
    board = build_board(SALES, [deal(), deal(id="d2", amount=500, total_amount=500)])
    title, sums = header_lines(board.columns[0], 30, ACCOUNT, closed_days=30, more_left=False, more_right=False)
    assert text(title) == " Lead in 10%" + " " * 16 + "2 " and len(text(title)) == 30
    assert text(sums).strip() == "€1,500 · wtd €150"
    won_title, _ = header_lines(board.columns[2], 22, ACCOUNT, closed_days=30, more_left=True, more_right=True)
    assert text(won_title).startswith("◀ Won · 30d") and text(won_title).endswith("0 ▶")


def test_header_sums_take_the_form_asked_for_when_it_fits() -> None:
    board = build_board(SALES, [deal(amount=397_700, total_amount=397_700)])
    _, full = header_lines(board.columns[0], 30, ACCOUNT, closed_days=30, more_left=False, more_right=False)
    _, short = header_lines(board.columns[0], 30, ACCOUNT, closed_days=30, more_left=False, more_right=False, level=1)
    assert text(full).strip() == "€397,700 · wtd €39,770" and text(short).strip() == "€397.7k · wtd €39.8k"


def test_sums_shorten_to_fit() -> None:
    board = build_board(SALES, [deal(amount=397_700, total_amount=397_700)])
    col = board.columns[0]
    assert sums_text(col, 40, ACCOUNT) == "€397,700 · wtd €39,770"
    assert sums_text(col, 21, ACCOUNT) == "€397.7k · wtd €39.8k"
    assert sums_text(col, 10, ACCOUNT) == "€397,700"
    assert sums_text(col, 5, ACCOUNT) == "€397.7k"  # nothing fits: the shortest


def test_bar_shows_tabs_and_totals_and_drops_tabs_when_narrow() -> None:
    board = build_board(SALES, [deal(), deal(id="w", status=DealStatus.WON, close_date=TODAY, amount=200, total_amount=200)])
    kwargs = dict(owner="", loading="", symbol="€", closed_days=30)
    wide = pipeline_bar([SALES, RENEWALS], SALES, board, width=160, **kwargs).plain
    assert "Sales" in wide and "Renewals" in wide
    assert "1 open · €1,000 · weighted €100" in wide and "won in 30 days €200" in wide
    narrow = pipeline_bar([SALES, RENEWALS], SALES, board, width=50, **kwargs).plain
    assert "Renewals" not in narrow and "Sales  1/2" in narrow and "1 open" in narrow
    assert pipeline_bar([SALES, RENEWALS], SALES, board, width=20, **kwargs).cell_len <= 20
    owned = pipeline_bar([SALES], SALES, board, width=160, **{**kwargs, "owner": "Priya Shah"}).plain
    assert "owner: Priya Shah" in owned
    loading = pipeline_bar([SALES], SALES, None, width=80, **{**kwargs, "loading": "Loading deals… 100 / 300"}).plain
    assert "Loading deals… 100 / 300" in loading and "open" not in loading

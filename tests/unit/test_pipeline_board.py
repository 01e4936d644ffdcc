"""Pure board logic: columns, totals, weighting, the closed window, and what H/L mean for a deal."""

from __future__ import annotations

import datetime as dt

import pytest

from crmtui.domain.models import Deal, DealStatus, Pipeline, Stage
from crmtui.service.pipeline_board import Place, Totals, build_board, place_of, probability, stage_of, step, totals

TODAY = dt.date(2026, 3, 10)


def pipeline(*, won: bool = True) -> Pipeline:
    stages = [Stage(stage=s, label=label) for s, label in ((10, "Lead"), (50, "Demo"), (90, "Deal"))]
    return Pipeline(id="p1", name="Sales", default=True, stages=stages, won_column_enabled=won, won_column_name="Won")


def deal(id: str, status: str = "pending", stage: int | None = 10, amount: float = 100, months: int = 1, **kw) -> Deal:
    return Deal(
        id=id, pipeline_id=kw.pop("pipeline_id", "p1"), status=DealStatus(status), stage=stage, amount=amount,
        months=months, total_amount=amount * months, **kw,
    )


def test_value_is_the_total_of_a_multi_month_deal() -> None:
    assert deal("a", amount=250, months=12).value == 3000
    assert Deal(id="b", amount=40, months=3).value == 120  # no total from the server: computed


@pytest.mark.parametrize(
    ("status", "stage", "expected"),
    [("pending", 25, 0.25), ("pending", 90, 0.9), ("won", 100, 1.0), ("won", 10, 1.0), ("lost", 50, 0.0), ("pending", None, 0.0)],
)
def test_probability_comes_from_the_stage_until_closed(status: str, stage: int | None, expected: float) -> None:
    assert probability(deal("a", status, stage)) == expected


def test_totals_count_sum_and_weight() -> None:
    deals = [deal("a", stage=10, amount=1000), deal("b", stage=50, amount=200, months=12), deal("c", "won", 100, 500)]
    assert totals(deals) == Totals(count=3, amount=1000 + 2400 + 500, weighted=100 + 1200 + 500)
    assert totals([]) == Totals(0, 0.0, 0.0)


def test_board_columns_are_stages_then_won_then_lost_with_sums() -> None:
    deals = [
        deal("a", stage=10, amount=100),
        deal("b", stage=50, amount=300),
        deal("c", stage=50, amount=100, months=2),
        deal("d", "won", 100, 1000, close_date=TODAY),
        deal("e", "lost", 0, 700, close_date=TODAY),
        deal("x", stage=10, pipeline_id="other"),
    ]
    board = build_board(pipeline(), deals)
    assert [(c.key, c.title, c.probability) for c in board.columns] == [
        ("10", "Lead", 0.1), ("50", "Demo", 0.5), ("90", "Deal", 0.9), ("won", "Won", 1.0), ("lost", "Lost", 0.0),
    ]
    demo = board.columns[1]
    assert [d.id for d in demo.deals] == ["b", "c"]  # no close dates: by name, then id
    assert demo.totals == Totals(2, 500, 250)
    assert board.open_totals == Totals(3, 600, 10 + 250)
    assert board.won_totals == Totals(1, 1000, 1000)
    assert board.columns[4].totals == Totals(1, 700, 0)


def test_without_a_won_column_won_deals_are_left_off() -> None:
    board = build_board(pipeline(won=False), [deal("d", "won", 100, close_date=TODAY), deal("a")])
    assert [c.key for c in board.columns] == ["10", "50", "90", "lost"]
    assert board.column_index("d") is None and board.won_totals == Totals()


def test_owner_filter_applies_to_columns_and_totals() -> None:
    deals = [deal("a", owner_id="u1", amount=100), deal("b", owner_id="u2", amount=900), deal("c", "won", 100, owner_id="u2")]
    board = build_board(pipeline(), deals, owner_id="u1")
    assert [d.id for c in board.columns for d in c.deals] == ["a"]
    assert board.open_totals == Totals(1, 100, 10)


def test_closed_window_keeps_recent_closed_deals_and_counts_the_rest() -> None:
    since = TODAY - dt.timedelta(days=30)
    deals = [
        deal("new", "won", 100, close_date=TODAY - dt.timedelta(days=2)),
        deal("edge", "won", 100, close_date=since),
        deal("old", "won", 100, close_date=TODAY - dt.timedelta(days=31)),
        deal("undated", "lost", 0),
        deal("open", stage=10, expected_close_date=TODAY - dt.timedelta(days=400)),  # pending: always shown
    ]
    board = build_board(pipeline(), deals, closed_since=since)
    won, lost = board.columns[3], board.columns[4]
    assert [d.id for d in won.deals] == ["new", "edge"] and won.hidden == 1
    assert [d.id for d in lost.deals] == ["undated"] and lost.hidden == 0
    assert board.columns[0].deals[0].id == "open"


def test_order_open_by_expected_close_closed_by_most_recent() -> None:
    deals = [
        deal("later", expected_close_date=TODAY + dt.timedelta(days=9)),
        deal("undated"),
        deal("soon", expected_close_date=TODAY + dt.timedelta(days=1)),
        deal("w-old", "won", 100, close_date=TODAY - dt.timedelta(days=9)),
        deal("w-new", "won", 100, close_date=TODAY),
    ]
    board = build_board(pipeline(), deals)
    assert [d.id for d in board.columns[0].deals] == ["soon", "later", "undated"]
    assert [d.id for d in board.columns[3].deals] == ["w-new", "w-old"]


def test_a_stage_the_pipeline_lacks_goes_to_the_nearest_column() -> None:
    p = pipeline()
    assert stage_of(p, 40) == 50 and stage_of(p, 30) == 10 and stage_of(p, None) == 10
    assert place_of(p, deal("a", stage=70)) == Place(DealStatus.PENDING, 50)  # a tie goes to the lower stage
    assert place_of(p, deal("b", "unknown", None)) is None
    board = build_board(p, [deal("a", stage=85)])
    assert board.columns[2].deals[0].id == "a"
    assert board.columns[2].totals.weighted == pytest.approx(85)  # weighted by the deal's own stage


# -- H / L ------------------------------------------------------------------------------------------


def test_step_forward_and_back_through_the_stages() -> None:
    p = pipeline()
    assert step(p, deal("a", stage=10), 1).target == Place(DealStatus.PENDING, 50)
    assert step(p, deal("a", stage=50), -1).target == Place(DealStatus.PENDING, 10)
    assert step(p, deal("a", stage=70), 1).target == Place(DealStatus.PENDING, 90)  # from its column


def test_step_back_from_the_first_stage_is_refused() -> None:
    result = step(pipeline(), deal("a", stage=10), -1)
    assert result.target is None and "first stage" in result.reason


def test_step_forward_from_the_last_stage_is_a_win_that_asks_first() -> None:
    result = step(pipeline(), deal("a", stage=90), 1)
    assert result.target == Place(DealStatus.WON) and result.confirm


def test_step_back_reopens_closed_deals() -> None:
    p = pipeline()
    assert step(p, deal("a", "won", 50), -1).target == Place(DealStatus.PENDING, 50)  # the stage it had
    assert step(p, deal("a", "won", 100), -1).target == Place(DealStatus.PENDING, 90)  # else the last
    assert step(p, deal("a", "lost", 0), -1).target == Place(DealStatus.PENDING, 10)  # lost: the first
    refused = step(p, deal("a", "lost", 0), 1)
    assert refused.target is None and "lost" in refused.reason


def test_step_in_a_pipeline_without_stages() -> None:
    empty = Pipeline(id="p", name="Empty")
    assert step(empty, deal("a", pipeline_id="p"), 1).reason
    assert [c.key for c in build_board(empty, []).columns] == ["won", "lost"]


def test_deal_mapping_reads_contact_info_from_the_api() -> None:
    from crmtui.backends.onepagecrm import adapter_map
    from crmtui.backends.onepagecrm import wire

    raw = {"deal": {"id": "d", "name": "N", "status": "pending", "stage": 25, "amount": 10, "months": 3, "total_amount": 30,
                    "contact_info": {"contact_name": "Joe Bloggs", "company": "Big Company"}}}
    mapped = adapter_map.map_deal(wire.Deal.model_validate(raw))
    assert (mapped.contact_name, mapped.company_name, mapped.value) == ("Joe Bloggs", "Big Company", 30)
    bare = adapter_map.map_deal({"id": "e", "contact_info": None})
    assert (bare.contact_name, bare.company_name) == ("", "")

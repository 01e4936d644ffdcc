"""What people type into the deal edit modal: amounts, months, and the stage choices."""

from __future__ import annotations

import pytest

from crmtui.domain.models import Deal, DealStatus, Pipeline, Stage
from crmtui.ui.modals.deal_edit import parse_amount, parse_months, place_choices, place_value


@pytest.mark.parametrize(
    ("text", "value"),
    [("12000", 12000), ("1,250.50", 1250.5), ("€900", 900), ("$ 40", 40), ("12k", 12000), ("1.5M", 1_500_000), (" 0 ", 0)],
)
def test_amounts(text: str, value: float) -> None:
    assert parse_amount(text) == value


@pytest.mark.parametrize("text", ["twelve", "12x", "1.2.3", "", "k"])
def test_amounts_that_are_not_numbers(text: str) -> None:
    with pytest.raises(ValueError, match="must be a number"):
        parse_amount(text)


def test_negative_amount() -> None:
    with pytest.raises(ValueError, match="cannot be negative"):
        parse_amount("-5")


@pytest.mark.parametrize(("text", "ok"), [("1", True), ("12", True), ("0", False), ("-2", False), ("1.5", False), ("", False)])
def test_months(text: str, ok: bool) -> None:
    if ok:
        assert parse_months(text) == int(text)
    else:
        with pytest.raises(ValueError, match="whole number"):
            parse_months(text)


def test_stage_choices_follow_the_pipeline() -> None:
    pipeline = Pipeline(id="p", name="Renewals", stages=[Stage(stage=20, label="Upcoming"), Stage(stage=90, label="Verbal yes")],
                        won_column_name="Renewed")
    assert place_choices(pipeline) == [("Upcoming (20%)", "20"), ("Verbal yes (90%)", "90"), ("Renewed", "won"), ("Lost", "lost")]
    assert place_value(Deal(id="d", status=DealStatus.PENDING, stage=90)) == "90"
    assert place_value(Deal(id="d", status=DealStatus.WON, stage=90)) == "won"
    assert place_value(Deal(id="d", status=DealStatus.LOST, stage=0)) == "lost"

"""Goal periods and pace: calendar periods of each interval, stepping through them, clipping to a
goal's own start and end, and the share of a period gone by today."""

from __future__ import annotations

import datetime as dt

import pytest

from crmtui.domain.goals import (
    Goal,
    GoalProgress,
    Period,
    goal_period,
    next_period,
    on_track,
    pace,
    period_containing,
    period_label,
    previous_period,
    shift_period,
    within,
)

D = dt.date


@pytest.mark.parametrize(
    ("day", "interval", "start", "end"),
    [
        (D(2026, 3, 10), "weekly", D(2026, 3, 9), D(2026, 3, 15)),  # a Tuesday: Monday to Sunday
        (D(2026, 3, 9), "weekly", D(2026, 3, 9), D(2026, 3, 15)),
        (D(2026, 3, 15), "weekly", D(2026, 3, 9), D(2026, 3, 15)),
        (D(2026, 1, 1), "weekly", D(2025, 12, 29), D(2026, 1, 4)),  # across the new year
        (D(2026, 3, 10), "monthly", D(2026, 3, 1), D(2026, 3, 31)),
        (D(2024, 2, 29), "monthly", D(2024, 2, 1), D(2024, 2, 29)),  # a leap February
        (D(2026, 2, 1), "monthly", D(2026, 2, 1), D(2026, 2, 28)),
        (D(2026, 12, 31), "monthly", D(2026, 12, 1), D(2026, 12, 31)),
        (D(2026, 3, 10), "quarterly", D(2026, 1, 1), D(2026, 3, 31)),
        (D(2026, 4, 1), "quarterly", D(2026, 4, 1), D(2026, 6, 30)),
        (D(2026, 11, 30), "quarterly", D(2026, 10, 1), D(2026, 12, 31)),
        (D(2026, 3, 10), "yearly", D(2026, 1, 1), D(2026, 12, 31)),
    ],
)
def test_the_period_containing_a_day(day: dt.date, interval: str, start: dt.date, end: dt.date) -> None:
    period = period_containing(day, interval)
    assert (period.start, period.end) == (start, end)
    assert day in period


@pytest.mark.parametrize("interval", ["weekly", "monthly", "quarterly", "yearly"])
def test_stepping_walks_adjacent_periods_and_back(interval: str) -> None:
    here = period_containing(D(2026, 3, 10), interval)
    following, earlier = next_period(here, interval), previous_period(here, interval)
    assert following.start == here.end + dt.timedelta(days=1)
    assert earlier.end == here.start - dt.timedelta(days=1)
    assert previous_period(following, interval) == here == next_period(earlier, interval)
    assert shift_period(here, interval, 13) == period_containing(shift_period(here, interval, 13).start, interval)
    walked = here
    for _ in range(13):
        walked = next_period(walked, interval)
    assert walked == shift_period(here, interval, 13) and shift_period(walked, interval, -13) == here


def test_months_step_across_years_and_keep_their_ends() -> None:
    assert shift_period(period_containing(D(2026, 1, 15), "monthly"), "monthly", -1) == Period(D(2025, 12, 1), D(2025, 12, 31))
    assert shift_period(period_containing(D(2026, 1, 31), "monthly"), "monthly", 1) == Period(D(2026, 2, 1), D(2026, 2, 28))
    assert shift_period(period_containing(D(2026, 3, 10), "quarterly"), "quarterly", -1) == Period(D(2025, 10, 1), D(2025, 12, 31))


def test_an_unknown_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="daily"):
        period_containing(D(2026, 3, 10), "daily")


def test_a_goals_period_is_clipped_to_its_own_start_and_end() -> None:
    goal = Goal(id="a" * 32, interval="monthly", start=D(2026, 3, 5), end=D(2026, 4, 20))
    assert goal_period(goal, D(2026, 3, 10)) == Period(D(2026, 3, 1), D(2026, 3, 31))
    assert within(goal, goal_period(goal, D(2026, 3, 10))) == Period(D(2026, 3, 5), D(2026, 3, 31))
    assert within(goal, goal_period(goal, D(2026, 3, 10), 1)) == Period(D(2026, 4, 1), D(2026, 4, 20))
    assert within(goal, goal_period(goal, D(2026, 3, 10), -1)) is None  # before it started
    assert within(goal, goal_period(goal, D(2026, 3, 10), 2)) is None  # after it ended
    open_ended = goal.model_copy(update={"end": None})
    assert within(open_ended, goal_period(open_ended, D(2026, 3, 10), 40)) == period_containing(D(2029, 7, 1), "monthly")


def test_pace_is_the_share_of_the_period_gone_by_the_end_of_today() -> None:
    march = Period(D(2026, 3, 1), D(2026, 3, 31))
    assert pace(march, D(2026, 2, 28)) == 0.0
    assert pace(march, D(2026, 3, 1)) == pytest.approx(1 / 31)
    assert pace(march, D(2026, 3, 10)) == pytest.approx(10 / 31)
    assert pace(march, D(2026, 3, 31)) == 1.0
    assert pace(march, D(2027, 1, 1)) == 1.0
    week = period_containing(D(2026, 3, 10), "weekly")
    assert pace(week, D(2026, 3, 10)) == pytest.approx(2 / 7)  # Monday and Tuesday gone


def test_on_track_means_at_least_the_pace() -> None:
    march = Period(D(2026, 3, 1), D(2026, 3, 31))
    today = D(2026, 3, 10)  # pace 10/31 of 31 = 10

    def progress(done: float, target: float = 31) -> GoalProgress:
        return GoalProgress(goal_id="g", start=march.start, end=march.end, progress=done, target=target)

    assert on_track(progress(10), march, today)
    assert not on_track(progress(9), march, today)
    assert on_track(progress(0, target=0), march, today)  # nothing to reach
    assert not on_track(progress(30), march, D(2026, 4, 2))  # the period is over, short of the target
    assert progress(62).share == 2.0


@pytest.mark.parametrize(
    ("day", "interval", "label"),
    [
        (D(2026, 3, 10), "monthly", "Mar 2026"),
        (D(2026, 3, 10), "quarterly", "Q1 2026"),
        (D(2026, 3, 10), "yearly", "2026"),
        (D(2026, 3, 10), "weekly", "9–15 Mar 2026"),
        (D(2026, 3, 31), "weekly", "30 Mar–5 Apr 2026"),
        (D(2026, 1, 1), "weekly", "29 Dec 2025–4 Jan 2026"),
    ],
)
def test_period_labels(day: dt.date, interval: str, label: str) -> None:
    assert period_label(period_containing(day, interval), interval) == label

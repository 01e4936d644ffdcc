"""Goals (Pipedrive's Insights goals): what a goal is, its periods, and the pace it should keep.

A goal counts something (deals won, activities completed...) for an assignee (a person, a team or
the company) against a target per period of its interval (weekly, monthly, quarterly, yearly),
from its start to its end (open ended when there is none). Periods are calendar ones (weeks from
Monday, quarters from January), clipped to the goal's own start and end.

The pace is the share of a period gone by today (today counted as gone): where the progress should
be by now to end the period on target. A goal is on track when its share of the target is at least
the pace. All of it is a pure function of dates; ids are text (Pipedrive's goals: 32 hex digits).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from crmtui.domain.text import Line

INTERVALS = ("weekly", "monthly", "quarterly", "yearly")
GOAL_TYPES = ("deals_won", "deals_progressed", "deals_started", "activities_completed", "activities_added", "revenue_forecast")
TYPE_TITLES = {
    "deals_won": "Deals won",
    "deals_progressed": "Deals progressed",
    "deals_started": "Deals started",
    "activities_completed": "Activities completed",
    "activities_added": "Activities added",
    "revenue_forecast": "Revenue forecast",
}
ASSIGNEE_TYPES = ("person", "team", "company")
QUANTITY = "quantity"
SUM = "sum"
GOAL_ID = re.compile(r"^[0-9a-f]{32}$")
"""A goal's id as Pipedrive makes them."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=False, extra="ignore", defer_build=True)


class Goal(_Model):
    id: str
    title: Line = ""
    owner_id: str = ""
    """Who made the goal."""
    type: str = ""
    """What it counts: one of GOAL_TYPES (another backend's name is kept as it is)."""
    params: dict[str, Any] = Field(default_factory=dict)
    """What narrows the count (pipeline ids, a stage, activity types), as the backend has them."""
    assignee_id: str = ""
    assignee_type: str = "person"
    interval: str = "monthly"
    start: dt.date | None = None
    end: dt.date | None = None
    """None: open ended."""
    target: float = 0.0
    """Per period."""
    metric: str = QUANTITY
    """`quantity` (how many) or `sum` (their value)."""
    currency_id: str = ""
    is_active: bool = True

    @property
    def type_title(self) -> str:
        return TYPE_TITLES.get(self.type, self.type.replace("_", " ").capitalize())

    @property
    def label(self) -> str:
        return self.title or self.type_title

    def unit(self) -> str:
        """What the target counts, in words: `deals`, `activities`, or `` for a sum."""
        if self.metric == SUM:
            return ""
        return "activities" if self.type.startswith("activities") else "deals"


class GoalProgress(_Model):
    """A goal's progress in one period, as the server counted it."""

    goal_id: str
    start: dt.date
    end: dt.date
    progress: float = 0.0
    target: float = 0.0

    @property
    def share(self) -> float:
        """Progress over target (1.0 is the target reached; more is over it); 0 target: reached."""
        return self.progress / self.target if self.target > 0 else 1.0


class GoalDraft(_Model):
    """A goal to make."""

    title: Line = ""
    type: str = "deals_won"
    params: dict[str, Any] = Field(default_factory=dict)
    assignee_id: str = ""
    assignee_type: str = "person"
    interval: str = "monthly"
    start: dt.date
    end: dt.date | None = None
    target: float = 1.0
    metric: str = QUANTITY
    currency_id: str = ""


# -- periods ---------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Period:
    start: dt.date
    end: dt.date
    """Inclusive."""

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end


def _month_end(year: int, month: int) -> dt.date:
    first_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def period_containing(day: dt.date, interval: str) -> Period:
    """The calendar period of `interval` that holds `day` (weeks start on Monday)."""
    if interval == "weekly":
        start = day - dt.timedelta(days=day.weekday())
        return Period(start, start + dt.timedelta(days=6))
    if interval == "monthly":
        return Period(day.replace(day=1), _month_end(day.year, day.month))
    if interval == "quarterly":
        first = 3 * ((day.month - 1) // 3) + 1
        return Period(dt.date(day.year, first, 1), _month_end(day.year, first + 2))
    if interval == "yearly":
        return Period(dt.date(day.year, 1, 1), dt.date(day.year, 12, 31))
    raise ValueError(f"unknown interval {interval!r}")


def shift_period(period: Period, interval: str, steps: int) -> Period:
    """The period `steps` periods after `period` (before it when negative)."""
    if interval == "weekly":
        return period_containing(period.start + dt.timedelta(weeks=steps), interval)
    months = {"monthly": 1, "quarterly": 3, "yearly": 12}.get(interval)
    if months is None:
        raise ValueError(f"unknown interval {interval!r}")
    index = period.start.year * 12 + period.start.month - 1 + months * steps
    return period_containing(dt.date(index // 12, index % 12 + 1, 1), interval)


def next_period(period: Period, interval: str) -> Period:
    return shift_period(period, interval, 1)


def previous_period(period: Period, interval: str) -> Period:
    return shift_period(period, interval, -1)


def goal_period(goal: Goal, today: dt.date, steps: int = 0) -> Period:
    """The goal's period `steps` away from the one holding today (a calendar period; see `within`)."""
    return shift_period(period_containing(today, goal.interval), goal.interval, steps)


def within(goal: Goal, period: Period) -> Period | None:
    """The part of `period` the goal runs in (None: the goal does not run then)."""
    start = max(period.start, goal.start) if goal.start else period.start
    end = min(period.end, goal.end) if goal.end else period.end
    return Period(start, end) if start <= end else None


def period_label(period: Period, interval: str) -> str:
    """`Mar 2026`, `Q1 2026`, `2026`, `9–15 Mar 2026` (a week)."""
    start, end = period.start, period.end
    if interval == "monthly":
        return start.strftime("%b %Y")
    if interval == "quarterly":
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    if interval == "yearly":
        return str(start.year)
    if start.month == end.month:
        return f"{start.day}–{end.day} {end.strftime('%b %Y')}"
    if start.year == end.year:
        return f"{start.day} {start.strftime('%b')}–{end.day} {end.strftime('%b %Y')}"
    return f"{start.day} {start.strftime('%b %Y')}–{end.day} {end.strftime('%b %Y')}"


# -- pace ------------------------------------------------------------------------------------------


def pace(period: Period, today: dt.date) -> float:
    """The share of `period` gone by the end of `today`: 0 before it starts, 1 once it has ended."""
    if today < period.start:
        return 0.0
    if today >= period.end:
        return 1.0
    return ((today - period.start).days + 1) / period.days


def on_track(progress: GoalProgress, period: Period, today: dt.date) -> bool:
    """Whether the progress is at least where the pace says it should be by today."""
    return progress.share >= pace(period, today) - 1e-9


__all__ = [
    "ASSIGNEE_TYPES", "GOAL_ID", "GOAL_TYPES", "INTERVALS", "QUANTITY", "SUM", "TYPE_TITLES", "Goal", "GoalDraft",
    "GoalProgress", "Period", "goal_period", "next_period", "on_track", "pace", "period_containing", "period_label",
    "previous_period", "shift_period", "within",
]

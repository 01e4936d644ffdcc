"""Pipedrive goals on the wire: the spec's own examples and odd shapes read without failing, and
the bodies sent are in the API's types (ids and targets as numbers, dates as YYYY-MM-DD)."""

from __future__ import annotations

import datetime as dt

import pytest

from crmtui.backends.pipedrive import wire
from crmtui.backends.pipedrive.goals import draft_body, goal_changes, map_goal
from crmtui.domain.goals import GoalDraft


def test_the_specs_example_reads_with_its_display_name_type_and_extra_fields() -> None:
    example = {
        "id": "5665cef556ddff22606fc8f6c0004807", "owner_id": 987654, "title": "Some example goal",
        "type": {"name": "Deals started", "params": {"pipeline_id": [5, 2], "activity_type_id": [9]}},
        "assignee": {"type": "company", "id": 123456}, "interval": "weekly",
        "duration": {"start": "2019-11-01", "end": "2020-10-30"},
        "expected_outcome": {"target": 100, "tracking_metric": "quantity"}, "is_active": False,
        "report_ids": ["f37bd66a2ab64d28ff6a9b6d2289813a"], "statusCode": 20000,
    }
    goal = map_goal(wire.Goal.model_validate(example))
    assert (goal.id, goal.owner_id, goal.type, goal.assignee_id, goal.assignee_type) == (
        "5665cef556ddff22606fc8f6c0004807", "987654", "deals_started", "123456", "company"
    )
    assert (goal.start, goal.end, goal.target, goal.metric, goal.is_active) == (
        dt.date(2019, 11, 1), dt.date(2020, 10, 30), 100.0, "quantity", False
    )
    assert goal.params == {"pipeline_id": [5, 2], "activity_type_id": [9]}


@pytest.mark.parametrize(
    "raw",
    [
        {"id": "a" * 32},
        {"id": "a" * 32, "type": None, "assignee": "nobody", "duration": [], "expected_outcome": {"target": "50"}},
        {"id": "a" * 32, "expected_outcome": {"target": "12.5", "tracking_metric": "sum", "currency_id": 1}, "duration": {"start": "2026-02-30", "end": None}},
    ],
)
def test_odd_shapes_read_with_defaults(raw: dict) -> None:
    goal = map_goal(wire.Goal.model_validate(raw))
    assert goal.id == "a" * 32 and goal.interval == "monthly" and goal.assignee_type == "person"
    assert goal.start is None  # no date, or one no calendar holds
    assert goal.target in (0.0, 50.0, 12.5)


def test_bodies_are_in_the_apis_types() -> None:
    draft = GoalDraft(title="Demos", type="activities_added", assignee_id="12000001", interval="weekly", start=dt.date(2026, 3, 9), target=12.0)
    assert draft_body(draft) == {
        "title": "Demos", "type": {"name": "activities_added", "params": {}}, "assignee": {"id": 12000001, "type": "person"},
        "expected_outcome": {"target": 12, "tracking_metric": "quantity"}, "duration": {"start": "2026-03-09", "end": None},
        "interval": "weekly",
    }
    assert goal_changes({"target": 2.5, "metric": "sum", "currency_id": "3"}) == {
        "expected_outcome": {"target": 2.5, "tracking_metric": "sum", "currency_id": 3}
    }
    assert goal_changes({"start": dt.date(2026, 1, 1), "end": None, "title": "x"}) == {
        "title": "x", "duration": {"start": "2026-01-01", "end": None}
    }
    with pytest.raises(TypeError, match="metric"):
        goal_changes({"target": 5})
    with pytest.raises(TypeError, match="writable"):
        goal_changes({"type": "deals_won"})

"""Pipedrive's goals behind the `GoalsApi` family: the client's /goals calls, mapped to `Goal`.

`/goals/find` answers the caller's own goals when asked with no criterion, and everyone's as soon
as one is given. Everyone's active goals are asked for with a period as the one criterion: from
today (the server's day) a year ahead, which every active goal overlaps unless it starts later
than that. One request of 20 tokens either way; the progress of a goal in a period is another
(`/goals/{id}/results`). Writes send the API's types: ids as numbers, dates as YYYY-MM-DD.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from crmtui.backends.pipedrive import wire
from crmtui.backends.pipedrive.client import PipedriveClient
from crmtui.domain.goals import QUANTITY, SUM, Goal, GoalDraft, GoalProgress

EVERYONE_AHEAD = dt.timedelta(days=366)
"""How far ahead of today the period that asks for everyone's goals reaches."""
GOAL_WRITABLE = frozenset({"title", "interval", "target", "metric", "currency_id", "start", "end"})


def map_goal(goal: wire.Goal) -> Goal:
    outcome = goal.expected_outcome
    return Goal(
        id=goal.id, title=goal.title, owner_id=goal.owner_id, type=goal.type.name, params=dict(goal.type.params or {}),
        assignee_id=goal.assignee.id, assignee_type=goal.assignee.type or "person", interval=goal.interval or "monthly",
        start=goal.duration.start, end=goal.duration.end, target=outcome.target or 0.0,
        metric=outcome.tracking_metric or QUANTITY, currency_id=outcome.currency_id or "", is_active=goal.is_active,
    )


def _number(value: Any) -> Any:
    """An id or count as the API takes it: a number when it is one."""
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() else number


def _outcome(target: Any, metric: str, currency_id: str) -> dict[str, Any]:
    outcome: dict[str, Any] = {"target": _number(target), "tracking_metric": metric}
    if metric == SUM and currency_id:
        outcome["currency_id"] = _number(currency_id)
    return outcome


def _date(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def draft_body(draft: GoalDraft) -> dict[str, Any]:
    """A POST /goals body."""
    body: dict[str, Any] = {
        "type": {"name": draft.type, "params": dict(draft.params)},
        "assignee": {"id": _number(draft.assignee_id), "type": draft.assignee_type},
        "expected_outcome": _outcome(draft.target, draft.metric, draft.currency_id),
        "duration": {"start": _date(draft.start), "end": _date(draft.end)},
        "interval": draft.interval,
    }
    if draft.title:
        body["title"] = draft.title
    return body


def goal_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """A PUT /goals/{id} body with exactly the groups given: a target goes with its metric (and
    currency), a start with its end (None: open ended), as the API takes them whole."""
    unknown = set(changes) - GOAL_WRITABLE
    if unknown:
        raise TypeError(f"not a writable goal field: {', '.join(sorted(unknown))}")
    body: dict[str, Any] = {}
    if "title" in changes:
        body["title"] = str(changes["title"] or "")
    if "interval" in changes:
        body["interval"] = changes["interval"]
    if "target" in changes:
        if not changes.get("metric"):
            raise TypeError("a goal's target is sent with its metric")
        body["expected_outcome"] = _outcome(changes["target"], str(changes["metric"]), str(changes.get("currency_id") or ""))
    if "start" in changes:
        if changes["start"] is None:
            raise TypeError("a goal's duration needs a start")
        body["duration"] = {"start": _date(changes["start"]), "end": _date(changes.get("end"))}
    return body


class PipedriveGoals:
    """The `goals` family of a Pipedrive backend."""

    def __init__(self, client: PipedriveClient) -> None:
        self.client = client

    async def goals(self, *, everyone: bool = False) -> list[Goal]:
        criteria: dict[str, Any] = {}
        if everyone:
            today = (await self.client.server_clock()).date()
            criteria = {"period.start": today.isoformat(), "period.end": (today + EVERYONE_AHEAD).isoformat()}
        return [map_goal(g) for g in await self.client.goals_find(criteria)]

    async def results(self, goal_id: str, start: dt.date, end: dt.date) -> GoalProgress:
        answer = await self.client.goal_results(goal_id, start, end)
        target = answer.goal.expected_outcome.target or 0.0
        return GoalProgress(goal_id=goal_id, start=start, end=end, progress=answer.progress or 0.0, target=target)

    async def create_goal(self, draft: GoalDraft) -> Goal:
        return map_goal(await self.client.create_goal(draft_body(draft)))

    async def update_goal(self, goal_id: str, **changes: Any) -> Goal:
        return map_goal(await self.client.update_goal(goal_id, goal_changes(changes)))

    async def delete_goal(self, goal_id: str) -> None:
        await self.client.delete_goal(goal_id)

"""Changes to goals (Pipedrive): a new goal, an edit (title, target, interval, start and end), a delete.

An edit carries the fields it sets (`fields`) and what they were when the person read the goal
(`before`): sending it twice leaves the goal as once (PUT of those fields), its inverse sets `before`
again (undo), and its conflict check reads the goals again and refuses only when someone else
changed one of the same fields since (goals have no update time to compare). Making a goal is not
idempotent (a second POST makes a second goal), so after a lost answer `reconcile` looks among
everyone's goals for one like it that was not there when it was asked for (`known_ids`). Deleting
cannot be undone (Pipedrive has no undelete for goals): the screen asks first and says so.

A goal made here is shown at once under a local id (`goal_id`), which gives way to the server's.
Field values are kept as JSON (dates as ISO text).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Literal

from crmtui.backends.base import Backend
from crmtui.backends.errors import NotFound
from crmtui.domain.goals import INTERVALS, QUANTITY, SUM, Goal, GoalDraft
from crmtui.domain.subjects import subject
from crmtui.service.commands import Command, MakesOne, clashes, is_local_id
from crmtui.service.errors import CommandRefused
from crmtui.service.features import goals_api

GOALS = "goals"
"""The section of goal changes (the goals screen follows them)."""
GOAL = "goal"
"""The subject kind of a goal: `goal:<id>`."""
EDITABLE = frozenset({"title", "interval", "target", "metric", "currency_id", "start", "end"})
_DATES = frozenset({"start", "end"})


def goal_value(name: str, value: Any) -> Any:
    """A field value as a command stores it (JSON)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def domain_value(name: str, value: Any) -> Any:
    if name in _DATES and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def fields_of(goal: Goal, names: frozenset[str] | set[str]) -> dict[str, Any]:
    return {name: goal_value(name, getattr(goal, name)) for name in sorted(names)}


def check_goal_values(values: dict[str, Any]) -> None:
    """Refuse, with the reason, what the server would refuse."""
    if "interval" in values and values["interval"] not in INTERVALS:
        raise CommandRefused(f"A goal's interval is one of {', '.join(INTERVALS)}")
    if "target" in values:
        target = values["target"]
        if not isinstance(target, (int, float)) or isinstance(target, bool) or target <= 0:
            raise CommandRefused("A goal's target is a number above 0")
    if "metric" in values and values["metric"] not in (QUANTITY, SUM):
        raise CommandRefused("A goal counts a quantity or a sum")
    start, end = domain_value("start", values.get("start")), domain_value("end", values.get("end"))
    if "start" in values and start is None:
        raise CommandRefused("A goal needs a start date")
    if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
        raise CommandRefused("A goal cannot end before it starts")


class GoalCommand(Command):
    contact_id: str = ""
    goal_id: str

    section: ClassVar[str] = GOALS

    @property
    def subject(self) -> str:
        return subject(GOAL, self.goal_id)

    def predict_goals(self, goals: list[Goal]) -> list[Goal]:
        """The goals as this change leaves them."""
        return goals


class CreateGoal(MakesOne, GoalCommand):
    """A goal made here (POST /goals)."""

    kind: Literal["pipedrive_create_goal"] = "pipedrive_create_goal"
    made_field: ClassVar[str] = "goal_id"
    draft: GoalDraft
    owner_id: str = ""
    known_ids: list[str] = []
    """Goals the person's list held when it was asked for (none of them can be the one it made)."""
    created: Goal | None = None

    def check_draft(self) -> None:
        if not is_local_id(self.goal_id):
            raise CommandRefused("A new goal needs a local id")
        if not self.draft.assignee_id:
            raise CommandRefused("A goal needs an assignee")
        check_goal_values(
            {"interval": self.draft.interval, "target": self.draft.target, "metric": self.draft.metric,
             "start": self.draft.start, "end": self.draft.end}
        )

    def shown(self) -> Goal:
        if self.created is not None:
            return self.created
        d = self.draft
        return Goal(
            id=self.goal_id, title=d.title, owner_id=self.owner_id, type=d.type, params=dict(d.params),
            assignee_id=d.assignee_id, assignee_type=d.assignee_type, interval=d.interval, start=d.start, end=d.end,
            target=d.target, metric=d.metric, currency_id=d.currency_id,
        )

    def predict_goals(self, goals: list[Goal]) -> list[Goal]:
        mine = self.shown()
        return [*(g for g in goals if g.id not in (mine.id, self.goal_id)), mine]

    async def execute(self, backend: Backend) -> None:
        self.created = await goals_api(backend).create_goal(self.draft)

    async def reconcile(self, backend: Backend, since: dt.datetime | None, claimed: set[str]) -> bool:
        """An attempt whose answer was lost: a goal like this one that was not there before is it."""
        d = self.draft
        wanted = (d.title, d.type, d.assignee_id, d.assignee_type, d.interval, float(d.target), d.start)
        for goal in await goals_api(backend).goals(everyone=True):
            if goal.id in claimed or goal.id in self.known_ids:
                continue
            if (goal.title, goal.type, goal.assignee_id, goal.assignee_type, goal.interval, goal.target, goal.start) == wanted:
                self.created = goal
                return True
        return False

    def describe(self) -> str:
        return self.label or f"New goal: {self.draft.title or self.draft.type}"

    def inverse(self) -> Command:
        raise CommandRefused("A new goal is taken back by deleting it (Delete on the goals screen)")


class UpdateGoal(GoalCommand):
    """Set some fields of a goal (PUT /goals/{id})."""

    kind: Literal["pipedrive_update_goal"] = "pipedrive_update_goal"
    fields: dict[str, Any]
    before: dict[str, Any] = {}
    updated: Goal | None = None

    answered: ClassVar[bool] = True

    def check_fields(self) -> None:
        unknown = set(self.fields) - EDITABLE
        if unknown:
            raise CommandRefused(f"These goal fields cannot be changed here: {', '.join(sorted(unknown))}")
        check_goal_values(self.fields)

    def predict_goals(self, goals: list[Goal]) -> list[Goal]:
        if self.updated is not None:
            return [self.updated if g.id == self.updated.id else g for g in goals]
        changes = {name: domain_value(name, value) for name, value in self.fields.items()}
        return [g.model_copy(update=changes) if g.id == self.goal_id else g for g in goals]

    async def execute(self, backend: Backend) -> None:
        changes = {name: domain_value(name, value) for name, value in self.fields.items()}
        self.updated = await goals_api(backend).update_goal(self.goal_id, **changes)

    async def conflict(self, backend: Backend) -> str | None:
        fresh = next((g for g in await goals_api(backend).goals(everyone=True) if g.id == self.goal_id), None)
        if fresh is None:
            return None  # not among the active goals (ended, or deleted): the update itself tells
        theirs = fields_of(fresh, frozenset(self.fields))
        return clashes({name: (self.before.get(name), value, theirs.get(name)) for name, value in self.fields.items()})

    def describe(self) -> str:
        return self.label or "Edit goal"

    def inverse(self) -> Command:
        return UpdateGoal(goal_id=self.goal_id, fields=dict(self.before), before=dict(self.fields), label=f"Undo: {self.describe()}")


class DeleteGoal(GoalCommand):
    """Delete a goal (Pipedrive has no undelete: the screen asks first and says so)."""

    kind: Literal["pipedrive_delete_goal"] = "pipedrive_delete_goal"
    title: str = ""

    removes: ClassVar[bool] = True

    def predict_goals(self, goals: list[Goal]) -> list[Goal]:
        return [g for g in goals if g.id != self.goal_id]

    async def execute(self, backend: Backend) -> None:
        try:
            await goals_api(backend).delete_goal(self.goal_id)
        except NotFound:
            return  # already gone: what was asked is so

    def describe(self) -> str:
        return self.label or f"Delete goal: {self.title}"

    def inverse(self) -> Command:
        raise CommandRefused("A deleted goal cannot be brought back (Pipedrive has no undelete)")

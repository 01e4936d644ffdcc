"""The goals (Pipedrive), as shown: the user's or everyone's active goals with the goal changes on
their way laid over them, each goal's period (today's, or stepped back and forth), its progress in
that period as the server counts it, and the pace it should be at by today.

Every goal steps together: `steps` periods from the one holding today, each in its own interval (a
weekly goal a week, a quarterly one a quarter). Progress is read once per goal and period (each read
costs the company's API budget) and kept until a refresh. New goals, edits and deletes go through
the outbox (offline, exactly once); a delete cannot be undone.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from crmtui.backends.errors import BackendError
from crmtui.domain.goals import Goal, GoalDraft, GoalProgress, Period, goal_period, on_track, pace, within
from crmtui.service.commands import Command, is_local_id, new_local_id
from crmtui.service.errors import CommandRefused
from crmtui.service.features import goals_api
from crmtui.service.goal_commands import GOALS, CreateGoal, DeleteGoal, GoalCommand, UpdateGoal, fields_of, goal_value
from crmtui.service.outbox import SENT, OutboxEvent
from crmtui.service.signals import Signal

if TYPE_CHECKING:
    from crmtui.service.session import Session

ProgressKey = tuple[str, dt.date, dt.date]


class GoalsBoard:
    """The goals screen's data: goals, periods, progress and pace."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.everyone = False
        """Everyone's goals (else the user's own)."""
        self.steps = 0
        """Periods away from the one holding today (negative: earlier)."""
        self.server: list[Goal] = []
        self.items: list[Goal] = []
        """As shown: the server's goals with the changes on their way."""
        self.loaded = False
        self.progress: dict[ProgressKey, GoalProgress] = {}
        self.unread: dict[ProgressKey, BackendError] = {}
        """Progress reads that failed (not asked again until a refresh)."""
        self._asking: set[ProgressKey] = set()
        """Progress reads on their way (never asked twice at once: each costs the company's budget)."""
        self.changes: Signal[frozenset[str] | None] = Signal()
        self._unsubscribe = session.outbox.subscribe(self._on_outbox)

    def detach(self) -> None:
        self._unsubscribe()

    # -- the outbox ------------------------------------------------------------------------------
    def _mine(self, command: Command) -> GoalCommand | None:
        return self.session.outbox.resolved(command, GoalCommand)

    def _rebuild(self) -> None:
        items = list(self.server)
        for command in self.session.outbox.unsettled(section=GOALS):
            mine = self._mine(command)
            if mine is not None:
                items = mine.predict_goals(items)
        self.items = items
        self.changes.emit(None)

    def _on_outbox(self, event: OutboxEvent) -> None:
        mine = self._mine(event.command)
        if mine is None:
            return
        if event.kind == SENT:
            self.server = mine.predict_goals(self.server)
        self._rebuild()

    def pending(self, goal_id: str) -> bool:
        """Whether a change of the goal is still on its way."""
        real = self.session.outbox.server_id(goal_id)
        return any(
            (mine := self._mine(c)) is not None and mine.goal_id in (goal_id, real)
            for c in self.session.outbox.unsettled(section=GOALS)
        )

    def find(self, goal_id: str) -> Goal | None:
        real = self.session.outbox.server_id(goal_id)
        return next((g for g in self.items if g.id in (goal_id, real)), None)

    # -- periods and progress --------------------------------------------------------------------
    def today(self) -> dt.date:
        return self.session.today()

    def calendar_period(self, goal: Goal) -> Period:
        """The goal's calendar period shown now (today's, stepped by `steps`)."""
        return goal_period(goal, self.today(), self.steps)

    def period(self, goal: Goal) -> Period | None:
        """The part of the shown period the goal runs in (None: it does not run then)."""
        return within(goal, self.calendar_period(goal))

    def _key(self, goal: Goal) -> ProgressKey | None:
        span = self.period(goal)
        if span is None:
            return None
        return (self.session.outbox.server_id(goal.id), span.start, span.end)

    def progress_of(self, goal: Goal) -> GoalProgress | None:
        key = self._key(goal)
        return self.progress.get(key) if key is not None else None

    def error_of(self, goal: Goal) -> BackendError | None:
        key = self._key(goal)
        return self.unread.get(key) if key is not None else None

    def share(self, goal: Goal) -> float | None:
        """Progress over the goal's target as shown (an edited target counts at once)."""
        found = self.progress_of(goal)
        if found is None:
            return None
        return found.progress / goal.target if goal.target > 0 else 1.0

    def pace(self, goal: Goal) -> float | None:
        span = self.period(goal)
        return pace(span, self.today()) if span is not None else None

    def on_track(self, goal: Goal) -> bool | None:
        found, span = self.progress_of(goal), self.period(goal)
        if found is None or span is None:
            return None
        return on_track(found.model_copy(update={"target": goal.target}), span, self.today())

    def missing(self) -> list[Goal]:
        """Goals shown whose progress in the shown period is not known yet (nor failed)."""
        out = []
        for goal in self.items:
            key = self._key(goal)
            if key is None or is_local_id(key[0]):
                continue
            if key not in self.progress and key not in self.unread and key not in self._asking:
                out.append(goal)
        return out

    # -- loading ---------------------------------------------------------------------------------
    async def load(self) -> None:
        """Read the goals again, then their progress in the shown period (every progress read again)."""
        goals = await goals_api(self.session.backend).goals(everyone=self.everyone)
        self.server = goals
        self.loaded = True
        self.progress.clear()
        self.unread.clear()
        self._rebuild()
        await self.load_progress()

    async def load_progress(self) -> None:
        """Read the progress each goal shown lacks for the shown period (one request a goal); a failed
        read is kept as the goal's error; the first failure is raised once the others are read."""
        api = goals_api(self.session.backend)
        first: BackendError | None = None
        for goal in self.missing():
            key = self._key(goal)
            if key is None or key in self.progress or key in self._asking:
                continue
            self._asking.add(key)
            try:
                found = await api.results(key[0], key[1], key[2])
            except BackendError as exc:
                self.unread[key] = exc
                first = first or exc
            else:
                self.progress[key] = found
            finally:
                self._asking.discard(key)
            self.changes.emit(None)
        if first is not None:
            raise first

    def step(self, steps: int) -> None:
        """Show the period `steps` after the shown one (before it when negative)."""
        self.steps += steps
        self.changes.emit(None)

    def to_today(self) -> None:
        self.steps = 0
        self.changes.emit(None)

    def history(self, goal: Goal, count: int) -> list[tuple[Period, GoalProgress | None]]:
        """The goal's last `count` periods up to the shown one (those it runs in), with the progress known."""
        rows = []
        for back in range(count - 1, -1, -1):
            span = within(goal, goal_period(goal, self.today(), self.steps - back))
            if span is None:
                continue
            key = (self.session.outbox.server_id(goal.id), span.start, span.end)
            rows.append((span, self.progress.get(key)))
        return rows

    # -- changes ---------------------------------------------------------------------------------
    async def run(self, command: Command) -> None:
        if isinstance(command, UpdateGoal):
            command.check_fields()
        elif isinstance(command, CreateGoal):
            command.check_draft()
        await self.session.queue(command)

    async def create(self, draft: GoalDraft) -> Goal | None:
        """Make a goal (assigned to the user unless the draft names someone): shown at once."""
        account = self.session.account
        me = account.user.id if account is not None else ""
        if not draft.assignee_id and draft.assignee_type == "person":
            draft = draft.model_copy(update={"assignee_id": me})
        command = CreateGoal(
            goal_id=new_local_id(), draft=draft, owner_id=me, known_ids=[g.id for g in self.server],
            label=f"New goal: {draft.title or draft.type}",
        )
        await self.run(command)
        return self.find(command.goal_id)

    async def edit(self, goal_id: str, **fields: Any) -> UpdateGoal | None:
        """Set `fields` (title, interval, target, start, end); only what differs is sent (None: nothing)."""
        goal = self.find(goal_id)
        if goal is None:
            raise CommandRefused("That goal is no longer in the list; press r to refresh")
        before = fields_of(goal, frozenset(fields))
        wanted = {name: goal_value(name, value) for name, value in fields.items()}
        wanted = {name: value for name, value in wanted.items() if value != before[name]}
        if not wanted:
            return None
        if "target" in wanted:  # the API takes the target with its metric
            wanted.update(metric=goal.metric, currency_id=goal.currency_id)
        if "end" in wanted and "start" not in wanted:  # ... and the end with the start
            wanted["start"] = goal_value("start", goal.start)
        if "start" in wanted and "end" not in wanted:
            wanted["end"] = goal_value("end", goal.end)
        before = fields_of(goal, frozenset(wanted))
        command = UpdateGoal(goal_id=goal.id, fields=wanted, before=before, label=f"Edit goal: {goal.label}")
        await self.run(command)
        return command

    async def delete(self, goal_id: str) -> DeleteGoal:
        goal = self.find(goal_id)
        if goal is None:
            raise CommandRefused("That goal is no longer in the list; press r to refresh")
        command = DeleteGoal(goal_id=goal.id, title=goal.label, label=f"Delete goal: {goal.label}")
        await self.run(command)
        return command


__all__ = ["GoalsBoard"]

"""The goal form of the goals screen: `n` makes a goal, `e` edits the one under the cursor.

A new goal: title, what it counts (deals won, started, activities...), who it is for (you or a
colleague), the target per period, the interval, and when it starts and ends (empty: open ended).
An edit changes the title, target, interval, start and end (what it counts and for whom stay).
New goals count a quantity (a sum needs the account's currency ids, which crmtui does not read).
Enter in a one-line field or ctrl+s saves; Esc asks before it throws typed text away. Editing returns
only the fields that changed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Label, Select, Static

from crmtui.domain.formatting import format_date
from crmtui.domain.goals import INTERVALS, TYPE_TITLES, Goal, GoalDraft
from crmtui.domain.models import Account
from crmtui.ui.inert import plain
from crmtui.ui.modals.contact_forms import FormError, form_row
from crmtui.ui.modals.dates import parse_date
from crmtui.ui.modals.deal_edit import parse_amount
from crmtui.ui.modals.form import FormModal
from crmtui.ui.widgets.inputs import TextInput

NEW_TYPES = ("deals_won", "deals_started", "activities_completed", "activities_added", "revenue_forecast")
"""What a new goal may count (deals progressed needs a stage, which this form does not offer)."""


@dataclass(frozen=True)
class GoalFormResult:
    """A new goal (`draft`), or the fields an edit changed (`changes`: name -> domain value)."""

    draft: GoalDraft
    changes: dict[str, Any] = field(default_factory=dict)


class GoalFormModal(FormModal[GoalFormResult]):
    """A new goal (`goal` None) or an edit of `goal`; dismisses with a GoalFormResult, or None."""

    HINT = "Enter or ctrl+s save · Esc cancel · Tab next"

    def __init__(self, account: Account, today: dt.date, goal: Goal | None = None) -> None:
        super().__init__()
        self.account = account
        self.today = today
        self.goal = goal

    def _date(self, day: dt.date | None) -> str:
        return format_date(day, self.account.date_format) if day is not None else ""

    def compose(self) -> ComposeResult:
        goal = self.goal
        heading = "New goal" if goal is None else f"Edit goal · {plain(goal.label)}"
        target = ""
        if goal is not None:
            target = f"{goal.target:.2f}".removesuffix(".00")
        start = goal.start if goal is not None else self.today.replace(day=1)
        with Vertical(classes="dialog contact-form", id="goal-form-dialog"):
            yield Label(plain(heading), classes="dialog-title")
            yield form_row("Title", TextInput(goal.title if goal else "", id="goal-title", placeholder="e.g. Deals won in Q2", compact=True))
            if goal is None:
                kinds = [(TYPE_TITLES[name], name) for name in NEW_TYPES]
                yield form_row("Counts", Select(kinds, value=NEW_TYPES[0], allow_blank=False, id="goal-type", compact=True))
                people = [(plain(self.account.user.name + " (me)"), self.account.user.id)]
                people += [(plain(u.name), u.id) for u in self.account.team if u.id != self.account.user.id]
                yield form_row("For", Select(people, value=self.account.user.id, allow_blank=False, id="goal-assignee", compact=True))
            else:
                yield form_row("Counts", Static(goal.type_title + (" (a sum)" if goal.metric == "sum" else ""), markup=False))
            yield form_row("Target", TextInput(target, id="goal-target", placeholder="per period, e.g. 20", compact=True))
            interval = goal.interval if goal is not None and goal.interval in INTERVALS else "monthly"
            yield form_row(
                "Interval", Select([(name, name) for name in INTERVALS], value=interval, allow_blank=False, id="goal-interval", compact=True)
            )
            yield form_row("Starts", TextInput(self._date(start), id="goal-start", compact=True))
            yield form_row("Ends", TextInput(self._date(goal.end if goal else None), id="goal-end", placeholder="empty: open ended", compact=True))
            yield Static("", classes="form-error", markup=False)
            yield Static(self.HINT, classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(".form-error", Static).display = False
        self.query_one("#goal-title", Input).focus()

    # -- result --------------------------------------------------------------------------------
    def _text(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value.strip()

    def _when(self, widget_id: str, what: str) -> dt.date | None:
        text = self._text(widget_id)
        if not text:
            return None
        try:
            return parse_date(text, self.account, self.today)
        except ValueError as exc:
            raise FormError(f"{what}: {exc}", widget_id) from None

    def result(self) -> GoalFormResult:
        title = self._text("goal-title")
        target_text = self._text("goal-target")
        if not target_text:
            raise FormError("The goal needs a target per period", "goal-target")
        try:
            target = parse_amount(target_text)
        except ValueError as exc:
            raise FormError(str(exc), "goal-target") from None
        if target <= 0:
            raise FormError("The target is a number above 0", "goal-target")
        start = self._when("goal-start", "Starts")
        if start is None:
            raise FormError("The goal needs a start date", "goal-start")
        end = self._when("goal-end", "Ends")
        if end is not None and end < start:
            raise FormError("The goal cannot end before it starts", "goal-end")
        interval = str(self.query_one("#goal-interval", Select).value)
        goal = self.goal
        if goal is None:
            draft = GoalDraft(
                title=title, type=str(self.query_one("#goal-type", Select).value),
                assignee_id=str(self.query_one("#goal-assignee", Select).value), assignee_type="person",
                interval=interval, start=start, end=end, target=target,
            )
            return GoalFormResult(draft)
        draft = GoalDraft(
            title=title, type=goal.type, assignee_id=goal.assignee_id, assignee_type=goal.assignee_type, interval=interval,
            start=start, end=end, target=target, metric=goal.metric, currency_id=goal.currency_id,
        )
        changes: dict[str, Any] = {}
        for name in ("title", "target", "interval", "start", "end"):
            if getattr(draft, name) != getattr(goal, name):
                changes[name] = getattr(draft, name)
        return GoalFormResult(draft, changes)

    def show_error(self, message: str, field: str | None = None) -> None:
        error = self.query_one(".form-error", Static)
        error.update(message)
        error.display = bool(message)
        if field:
            self.query_one(f"#{field}").focus()

    @on(Input.Changed)
    @on(Select.Changed)
    def _edited(self) -> None:
        error = self.query_one(".form-error", Static)
        if error.display:
            error.update("")
            error.display = False

"""Run a workflow: what it does, its parameters and when it starts (Enter runs, Esc cancels)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from textual.widget import Widget
from textual.widgets import Static

from crmtui.domain.jobs import RunInputError, Workflow, parse_params, parse_start
from crmtui.ui.modals.contact_forms import ContactFormModal, FormError, form_row
from crmtui.ui.widgets.inputs import TextInput


@dataclass(frozen=True)
class RunRequest:
    start_at: dt.datetime | None = None
    """None: at once."""
    params: dict[str, str] = field(default_factory=dict)


class RunWorkflowModal(ContactFormModal[RunRequest]):
    """Asks before a run (each run is a new job): the workflow's tasks, parameters, a start time."""

    DIALOG_ID = "run-workflow"
    HINT = "Enter run · Esc cancel · Tab next field"

    def __init__(self, workflow: Workflow, now: dt.datetime) -> None:
        super().__init__(f"Run “{workflow.name}”")
        self.workflow = workflow
        self.now = now

    def fields(self) -> Iterable[Widget]:
        tasks = ", ".join(t.name for t in self.workflow.tasks) or "no tasks"
        yield Static(f"Tasks: {tasks}. Each run is a new job.", classes="dialog-message", markup=False)
        yield form_row("Parameters", TextInput("", placeholder="key=value, key=value (optional)", id="run-params", compact=True))
        yield form_row("Start", TextInput("", placeholder="now, +10m, +2h, or 2026-03-10 14:30 (UTC)", id="run-start", compact=True))

    def result(self) -> RunRequest:
        try:
            params = parse_params(self.value("run-params"))
        except RunInputError as exc:
            raise FormError(str(exc), "run-params") from None
        try:
            start = parse_start(self.value("run-start"), self.now)
        except RunInputError as exc:
            raise FormError(str(exc), "run-start") from None
        return RunRequest(start_at=start, params=params)

"""Top-level screen 6 on Crust: workflows, their jobs, and the log of the job under the cursor.

Enter on a workflow asks for its parameters and start time, then runs it (each run is a new job); the jobs list shows every job's
state (queued, running, ok, error, cancelled), `s` steps through the status filter, `x` cancels the
job under the cursor (asked first). While a job runs (or is queued to start within a minute) the
screen asks the server again every `poll_seconds`, the jobs and the log of the job under the cursor,
in a worker (the screen never waits on it); once nothing runs it stops asking, and it never asks while
it is not on screen.

A server that does not implement workflows and jobs (the real server of the API's date answers "Not
implemented") has no JOBS capability: the screen says so in one plain line, and asks nothing.
"""

from __future__ import annotations

import datetime as dt

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import Static

from crmtui.backends.errors import BackendError, Unsupported
from crmtui.domain.jobs import CANCELLED, ERROR, OK, QUEUED, RUNNING, STATUSES, Job, JobLog, Workflow
from crmtui.service.jobs import NOT_SERVED, JobsView
from crmtui.ui.failures import failure_title
from crmtui.ui.modals.job_run import RunRequest, RunWorkflowModal
from crmtui.ui.modals.pickers import ConfirmModal
from crmtui.ui.screens.base import CrmScreen
from crmtui.ui.widgets.footer import KeyFooter
from crmtui.ui.widgets.header import AppHeader
from crmtui.ui.widgets.row_list import Cell, Column, RowList

WIDE = 130
"""From this width the log shows beside the lists, not below them."""
ROLES = {RUNNING: "today", QUEUED: "future", OK: "", ERROR: "urgent", CANCELLED: "closed"}
FILTERS: tuple[str | None, ...] = (None, *STATUSES)


def _when(moment: dt.datetime | None) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%d %b %H:%M:%S") if moment is not None else ""


def _log_line(entry: JobLog) -> str:
    mark = "✗" if entry.level == "error" else " "
    where = f"{entry.task}: " if entry.task else ""
    return f"{_when(entry.time)} {mark} {where}{entry.message}"


class JobsScreen(CrmScreen[None]):
    """Workflows, jobs and a job's log, followed while something runs."""

    poll_seconds: float = 2.0
    """How often the server is asked again while a job runs (tests make it short)."""

    FOOTER_ORDER = ("run", "cancel_job", "status_filter", "switch", "refresh")
    BINDINGS = [
        Binding("enter", "run", "Run", show=False),
        Binding("x", "cancel_job", "Cancel job", tooltip="Cancel the job under the cursor (asks first)"),
        Binding("s", "status_filter", "Status", tooltip="Show all jobs, or only those queued, running, ok, error or cancelled"),
        Binding("tab", "switch", "Workflows/jobs", tooltip="Move between the workflows and the jobs"),
        Binding("r", "refresh", "Refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._view: JobsView | None = None
        self.workflows: list[Workflow] = []
        self.jobs: list[Job] = []
        self.total = 0
        self.status: str | None = None
        self.logs: dict[str, list[JobLog]] = {}
        self.unsupported = False
        self.polls = 0
        """How many times the screen has asked again while something ran (tests read it)."""
        self._timer: Timer | None = None
        self.following = False
        """Whether the screen is asking the server again every `poll_seconds` (something runs)."""

    @property
    def view(self) -> JobsView:
        if self._view is None:
            self._view = JobsView(self.app.session)
        return self._view

    def compose(self) -> ComposeResult:
        yield AppHeader(id="header")
        yield Static("", id="jobs-note", markup=False)
        with Horizontal(id="jobs-body"):
            with Vertical(id="jobs-lists"):
                yield RowList[Workflow](self._workflow_columns(), key=lambda w: w.id, id="workflows")
                yield RowList[Job](self._job_columns(), key=lambda j: j.id, id="jobs")
            with VerticalScroll(id="job-log-pane"):
                yield Static("", id="job-log", markup=False)
        yield KeyFooter()

    @property
    def workflow_list(self) -> RowList[Workflow]:
        return self.query_one("#workflows", RowList)

    @property
    def job_list(self) -> RowList[Job]:
        return self.query_one("#jobs", RowList)

    def _workflow_columns(self) -> list[Column[Workflow]]:
        def tasks(w: Workflow) -> Cell:
            return (f"{len(w.tasks)} task{'s' if len(w.tasks) != 1 else ''}", "dim")

        def on_error(w: Workflow) -> Cell:
            return ("on error: " + ", ".join(t.name for t in w.on_error) if w.on_error else "", "dim")

        return [
            Column("Workflow", lambda w: (w.name, "strong"), share=3, min_width=16, priority=9),
            Column("Tasks", tasks, width=8, priority=7),
            Column("On error", on_error, share=2, min_width=12, priority=3),
            Column("Timeout", lambda w: (f"{w.timeout} s" if w.timeout else "", "dim"), width=8, right=True, priority=2),
        ]

    def _job_columns(self) -> list[Column[Job]]:
        names = {w.id: w.name for w in self.workflows}

        def status(job: Job) -> Cell:
            return (job.status, ROLES.get(job.status, ""))

        def flow(job: Job) -> Cell:
            return (names.get(job.workflow_id) or f"workflow {job.workflow_id}", "")

        def params(job: Job) -> Cell:
            return (" ".join(f"{k}={v}" for k, v in sorted(job.params.items())), "dim")

        return [
            Column("State", status, width=9, priority=9),
            Column("Workflow", flow, share=3, min_width=14, priority=8),
            Column("Start", lambda j: (_when(j.start_at), "dim"), width=15, priority=6),
            Column("Last change", lambda j: (_when(j.updated_at), "dim"), width=15, priority=4),
            Column("Parameters", params, share=1, min_width=10, priority=2),
        ]

    # -- lifecycle -------------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.query_one(AppHeader).title = "Workflows and jobs"
        self._timer = self.set_interval(self.poll_seconds, self._tick, pause=True)
        self.workflow_list.focus()
        if not self.view.served:
            self._not_served()
            return
        self.workflow_list.empty_text = "Loading workflows…"
        self.job_list.empty_text = "Loading jobs…"
        self.load()

    def on_resize(self) -> None:
        self.query_one("#jobs-body").set_class(self.size.width >= WIDE, "-wide")

    def on_screen_suspend(self) -> None:
        self._follow(False)

    def on_screen_resume(self) -> None:
        if not self.unsupported and self.is_mounted:
            self.load()

    def _not_served(self) -> None:
        self.unsupported = True
        self._follow(False)
        self.query_one("#jobs-note", Static).update(NOT_SERVED)
        self.workflow_list.empty_text = "No workflows: not implemented by this server"
        self.job_list.empty_text = "No jobs: not implemented by this server"
        self.workflow_list.set_rows([])
        self.job_list.set_rows([])

    def _follow(self, on: bool) -> None:
        self.following = on
        if self._timer is not None:
            if on:
                self._timer.resume()
            else:
                self._timer.pause()

    def _active(self) -> bool:
        now = self.app.clock()
        return any(job.active(now) for job in self.jobs)

    def _tick(self) -> None:
        if self.unsupported or not self._active():
            self._follow(False)
            return
        if any(w.group == "jobs-load" and w.node is self and w.is_running for w in self.app.workers):
            return  # the last read is still on its way (a slow server): not cancelled for a new one
        self.polls += 1
        self.load(workflows=False)

    # -- reading -----------------------------------------------------------------------------------
    @work(exclusive=True, group="jobs-load", exit_on_error=False)
    async def load(self, workflows: bool = True) -> None:
        view = self.view
        try:
            if workflows or not self.workflows:
                self.workflows = await view.workflows()
                self.job_list.columns = self._job_columns()
            page = await view.jobs(self.status)
            selected = self.job_list.selected
            log = await view.logs(selected.id) if selected is not None else None
        except Unsupported:
            self._not_served()
            return
        except BackendError as exc:
            self._follow(False)
            said = f"Not loaded (r retries): {exc.user_message}"
            self.job_list.empty_text = said
            self.job_list.refresh()
            if not self.workflows:  # no list left saying "Loading…" for a read that has failed
                self.workflow_list.empty_text = said
                self.workflow_list.refresh()
            self.notify(exc.user_message, title=failure_title(exc), severity="error", timeout=6)
            return
        self.jobs, self.total = page.items, page.total
        if selected is not None and log is not None:
            self.logs[selected.id] = log.items
        self.workflow_list.empty_text = "No workflows"
        self.job_list.empty_text = "No jobs" if self.status is None else f"No {self.status} jobs"
        self.workflow_list.set_rows([("Workflows", "", self.workflows)])
        self.job_list.set_rows([("Jobs", "", self.jobs)])
        self._show_note()
        self._show_log()
        self._follow(self._active())

    @work(exclusive=True, group="jobs-log", exit_on_error=False)
    async def load_log(self, job_id: str) -> None:
        try:
            log = await self.view.logs(job_id)
        except Unsupported:
            self._not_served()
            return
        except BackendError as exc:
            self.query_one("#job-log", Static).update(f"The log could not be read: {exc.user_message}")
            return
        self.logs[job_id] = log.items
        self._show_log()

    def _show_note(self) -> None:
        shown = "all jobs" if self.status is None else f"{self.status} jobs"
        running = sum(1 for job in self.jobs if job.status == RUNNING)
        parts = [f"{len(self.jobs)} of {self.total} · {shown} (s: filter)"]
        if running:
            parts.append(f"following {running} running")
        self.query_one("#jobs-note", Static).update(" · ".join(parts))
        self.query_one(AppHeader).title = f"Workflows and jobs · {running} running" if running else "Workflows and jobs"

    def _show_log(self) -> None:
        job = self.job_list.selected
        target = self.query_one("#job-log", Static)
        if job is None:
            target.update("No job selected." if not self.unsupported else "")
            return
        lines = self.logs.get(job.id)
        names = {w.id: w.name for w in self.workflows}
        head = f"Job {job.id} · {names.get(job.workflow_id, job.workflow_id)} · {job.status}"
        if lines is None:
            target.update(f"{head}\nLoading the log…")
            return
        target.update("\n".join([head, *(_log_line(e) for e in lines)]) if lines else f"{head}\nNo log yet.")
        pane = self.query_one("#job-log-pane", VerticalScroll)
        pane.scroll_end(animate=False)

    @on(RowList.Highlighted)
    def _job_highlighted(self, event: RowList.Highlighted) -> None:
        if isinstance(event.item, Job):
            self._show_log()
            if event.item.id not in self.logs or event.item.active(self.app.clock()):
                self.load_log(event.item.id)

    @on(RowList.Selected)
    def _workflow_selected(self, event: RowList.Selected) -> None:
        if isinstance(event.item, Workflow):
            self.action_run()

    # -- actions -----------------------------------------------------------------------------------
    def action_switch(self) -> None:
        (self.job_list if self.workflow_list.has_focus else self.workflow_list).focus()

    def action_refresh(self) -> None:
        if self.unsupported:
            self.notify(NOT_SERVED, timeout=5)
            return
        self.load()

    def action_status_filter(self) -> None:
        if self.unsupported:
            return
        self.status = FILTERS[(FILTERS.index(self.status) + 1) % len(FILTERS)]
        self.load(workflows=False)

    def action_run(self) -> None:
        if self.unsupported:
            self.notify(NOT_SERVED, timeout=5)
            return
        workflow = self.workflow_list.selected
        if workflow is None or not self.workflow_list.has_focus:
            if self.job_list.has_focus:
                return
            self.notify("Choose a workflow to run (tab: the workflows)", timeout=3)
            return

        def answered(request: RunRequest | None) -> None:
            if request is not None:
                self.run_workflow(workflow, request)

        self.app.push_screen(RunWorkflowModal(workflow, self.app.clock()), answered)

    @work(group="jobs-run", exit_on_error=False)
    async def run_workflow(self, workflow: Workflow, request: RunRequest) -> None:
        try:
            job = await self.view.run(workflow.id, start_at=request.start_at, params=request.params or None)
        except BackendError as exc:
            self.notify(exc.user_message, title=f"Not run: {failure_title(exc)}", severity="error", timeout=6)
            return
        self.notify(f"“{workflow.name}” started: job {job.id} is {job.status}", timeout=4)
        self.jobs = [job, *[j for j in self.jobs if j.id != job.id]]
        self.job_list.set_rows([("Jobs", "", self.jobs)])
        self.job_list.select_key(job.id)
        self.job_list.focus()
        self.load(workflows=False)

    def action_cancel_job(self) -> None:
        if self.unsupported:
            self.notify(NOT_SERVED, timeout=5)
            return
        job = self.job_list.selected
        if job is None:
            self.notify("No job under the cursor (tab: the jobs)", timeout=3)
            return
        if job.finished:
            self.notify(f"This job is already {job.status}: nothing to cancel", timeout=4)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.cancel_job(job)

        self.app.push_screen(
            ConfirmModal("Cancel job", f"Cancel job {job.id} ({job.status})? It stops where it is; there is no undo.",
                         confirm_label="Cancel job", cancel_label="Keep it"),
            answered,
        )

    @work(group="jobs-cancel", exit_on_error=False)
    async def cancel_job(self, job: Job) -> None:
        try:
            await self.view.cancel(job.id)
        except BackendError as exc:
            self.notify(exc.user_message, title=f"Not cancelled: {failure_title(exc)}", severity="error", timeout=6)
            self.load(workflows=False)
            return
        self.notify(f"Job {job.id} cancelled", timeout=3)
        self.load(workflows=False)

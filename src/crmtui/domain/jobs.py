"""Workflows and their jobs (Crust CRM): a workflow is a list of tasks; running it makes a job that is
queued (until its start time), running, then ok or error (or cancelled), writing logs as it goes.

The real server of the spec's date answers all of it "Not implemented"; the shapes here are the
server's Go type for workflows and the sandbox's for jobs (BACKENDS.md §4(a)).
"""

from __future__ import annotations

import datetime as dt
import re

from pydantic import BaseModel, ConfigDict, Field

from crmtui.domain.text import Line, Paragraph

QUEUED = "queued"
RUNNING = "running"
OK = "ok"
ERROR = "error"
CANCELLED = "cancelled"
STATUSES = (QUEUED, RUNNING, OK, ERROR, CANCELLED)
FINISHED = frozenset({OK, ERROR, CANCELLED})
SOON = dt.timedelta(minutes=1)
"""A queued job starting within this is followed as closely as a running one."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=False, extra="ignore", defer_build=True)


class WorkflowTask(_Model):
    name: Line = ""
    body: Paragraph = ""
    fallback: Line = ""
    retries: list[int] = Field(default_factory=list)
    """Seconds to wait before each retry."""
    timeout: int = 0


class Workflow(_Model):
    id: str
    name: Line = ""
    tasks: list[WorkflowTask] = Field(default_factory=list)
    on_error: list[WorkflowTask] = Field(default_factory=list)
    timeout: int = 0


class Job(_Model):
    id: str
    workflow_id: str = ""
    status: Line = QUEUED
    user_id: str = ""
    start_at: dt.datetime | None = None
    params: dict[str, str] = Field(default_factory=dict)
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def active(self, now: dt.datetime) -> bool:
        """Whether it changes soon: running, or queued to start within a minute (then it is worth following)."""
        if self.status == RUNNING:
            return True
        return self.status == QUEUED and (self.start_at is None or self.start_at <= now + SOON)


class JobsPage(_Model):
    items: list[Job] = Field(default_factory=list)
    page: int = 0
    per_page: int = 50
    total: int = 0


class JobLog(_Model):
    time: dt.datetime | None = None
    level: Line = "info"
    task: Line = ""
    message: Paragraph = ""


class JobLogsPage(_Model):
    items: list[JobLog] = Field(default_factory=list)
    page: int = 0
    per_page: int = 50
    total: int = 0


class RunInputError(ValueError):
    """What is wrong with a run's parameters or start time, in words."""


def parse_params(text: str) -> dict[str, str]:
    """A run's parameters as typed: `key=value` pairs separated by commas (a value keeps its spaces
    inside; an empty text is none). A pair without `=` or with an empty key is an error."""
    out: dict[str, str] = {}
    for chunk in text.split(","):
        if not chunk.strip():
            continue
        key, sep, value = chunk.partition("=")
        if not sep or not key.strip():
            raise RunInputError(f"Parameters are key=value pairs separated by commas: {chunk.strip()!r} is not one")
        out[key.strip()] = value.strip()
    return out


_IN = re.compile(r"^\+\s*(\d+)\s*(m|min|h|d)$", re.IGNORECASE)


def parse_start(text: str, now: dt.datetime) -> dt.datetime | None:
    """When to start a run, as typed: empty or "now" (None: at once), "+10m", "+2h", "+1d", or a UTC
    date and time "2026-03-10 14:30" (ISO 8601 with a zone is taken as it is). Not in the past."""
    typed = text.strip()
    if typed.lower() in ("", "now"):
        return None
    found = _IN.match(typed)
    if found:
        amount, unit = int(found.group(1)), found.group(2).lower()
        step = {"m": dt.timedelta(minutes=amount), "min": dt.timedelta(minutes=amount), "h": dt.timedelta(hours=amount),
                "d": dt.timedelta(days=amount)}[unit]
        return now + step
    try:
        moment = dt.datetime.fromisoformat(typed.replace("Z", "+00:00"))
    except ValueError:
        raise RunInputError(f"Not a start time: {typed!r} (now, +10m, +2h, +1d, or 2026-03-10 14:30 in UTC)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    if moment < now - dt.timedelta(minutes=1):
        raise RunInputError(f"{typed} has passed: a run starts now or later")
    return moment

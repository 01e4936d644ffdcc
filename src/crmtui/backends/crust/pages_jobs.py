"""Crust's pages, workflows and jobs: their wire models, requests and the families over them.

- Pages (`/page/tree`, `/page/{pageID}`): blocks are raw JSON on the server (a list of blocks; an
  unset one is `{}`), read tolerantly: a block that is no object is left out.
- Workflows (`/workflow/`) are the server's Go type; jobs (`/job/`, `/job/{jobID}/logs`) have no type
  at the spec's commit: the sandbox's shape (`{"meta", "jobs"}`, `{"meta", "logs"}`) is read here,
  tolerantly. The real server of the spec's date answers every one of them "Not implemented"
  (Unsupported here): `CrustBackend.connect` asks once, and then claims neither family.

Running a job makes a new job each time: `run` is sent once (never retried by the client), the
person is asked first by the screen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from crmtui.backends.crust import wire
from crmtui.backends.crust.client import CrustClient, _segment, clamp_per_page
from crmtui.backends.errors import MalformedResponse
from crmtui.domain.jobs import STATUSES, Job, JobLog, JobLogsPage, JobsPage, Workflow, WorkflowTask
from crmtui.domain.pages import Page, PageBlock

# -- wire --------------------------------------------------------------------------------------------


def _objects(value: Any) -> Any:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def _ints(value: Any) -> list[int]:
    return [int(v) for v in value if isinstance(v, (int, float)) and not isinstance(v, bool)] if isinstance(value, list) else []


def _options(value: Any) -> Any:
    return dict(value) if isinstance(value, Mapping) else {}


def _string_map(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): wire._to_text(v) for k, v in value.items()}


def _meta(value: Any) -> Any:
    return value if isinstance(value, Mapping) else {}


class WireBlock(wire.Wire):
    kind: wire.Text = ""
    title: wire.Text = ""
    description: wire.Text = ""
    options: Annotated[dict[str, Any], BeforeValidator(_options)] = Field(default_factory=dict)
    x: wire.Int = 0
    y: wire.Int = 0
    width: wire.Int = 0
    height: wire.Int = 0


class WirePage(wire.Wire):
    page_id: wire.Id = Field("", alias="pageID")
    self_id: wire.Id = Field("", alias="selfID")
    module_id: wire.Id = Field("", alias="moduleID")
    title: wire.Text = ""
    description: wire.Text = ""
    blocks: Annotated[list[WireBlock], BeforeValidator(_objects)] = Field(default_factory=list)
    children: Annotated[list[WirePage], BeforeValidator(_objects)] = Field(default_factory=list)
    visible: wire.Bool = True


class WireTask(wire.Wire):
    name: wire.Text = ""
    body: wire.Text = ""
    fallback: wire.Text = ""
    retries: Annotated[list[int], BeforeValidator(_ints)] = Field(default_factory=list)
    timeout: wire.Int = 0


class WireWorkflow(wire.Wire):
    workflow_id: wire.Id = Field("", alias="workflowID")
    name: wire.Text = ""
    tasks: Annotated[list[WireTask], BeforeValidator(_objects)] = Field(default_factory=list)
    on_error: Annotated[list[WireTask], BeforeValidator(_objects)] = Field(default_factory=list, alias="onError")
    timeout: wire.Int = 0


class WireJob(wire.Wire):
    job_id: wire.Id = Field("", alias="jobID")
    workflow_id: wire.Id = Field("", alias="workflowID")
    user_id: wire.Id = Field("", alias="userID")
    status: wire.Text = ""
    start_at: wire.Time = Field(None, alias="startAt")
    parameters: Annotated[dict[str, str], BeforeValidator(_string_map)] = Field(default_factory=dict)
    created_at: wire.Time = Field(None, alias="createdAt")
    updated_at: wire.Time = Field(None, alias="updatedAt")


class WireLog(wire.Wire):
    time: wire.Time = None
    level: wire.Text = "info"
    task: wire.Text = ""
    message: wire.Text = ""


class WireJobList(wire.Wire):
    meta: Annotated[wire.ListMeta, BeforeValidator(_meta)] = Field(default_factory=wire.ListMeta)
    jobs: Annotated[list[WireJob], BeforeValidator(_objects)] = Field(default_factory=list)


class WireLogList(wire.Wire):
    meta: Annotated[wire.ListMeta, BeforeValidator(_meta)] = Field(default_factory=wire.ListMeta)
    logs: Annotated[list[WireLog], BeforeValidator(_objects)] = Field(default_factory=list)


# -- wire -> domain ----------------------------------------------------------------------------------


def map_page(page: WirePage) -> Page:
    return Page(
        id=page.page_id, parent_id="" if page.self_id in ("", "0") else page.self_id,
        module_id="" if page.module_id in ("", "0") else page.module_id, title=page.title, description=page.description,
        visible=page.visible,
        blocks=[
            PageBlock(kind=b.kind, title=b.title, description=b.description, options=b.options, x=b.x, y=b.y,
                      width=b.width, height=b.height)
            for b in page.blocks
        ],
        children=[map_page(c) for c in page.children if c.page_id],
    )


def map_task(task: WireTask) -> WorkflowTask:
    return WorkflowTask(name=task.name, body=task.body, fallback=task.fallback, retries=task.retries, timeout=task.timeout)


def map_workflow(workflow: WireWorkflow) -> Workflow:
    return Workflow(
        id=workflow.workflow_id, name=workflow.name, tasks=[map_task(t) for t in workflow.tasks],
        on_error=[map_task(t) for t in workflow.on_error], timeout=workflow.timeout,
    )


def map_job(job: WireJob) -> Job:
    return Job(
        id=job.job_id, workflow_id=job.workflow_id, status=job.status or "queued", user_id=job.user_id,
        start_at=job.start_at, params=job.parameters, created_at=job.created_at, updated_at=job.updated_at,
    )


def map_log(log: WireLog) -> JobLog:
    return JobLog(time=log.time, level=log.level or "info", task=log.task, message=log.message)


def rfc3339(moment: dt.datetime) -> str:
    """A start time as the server parses it (RFC 3339, UTC)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.timezone.utc)
    return aware.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- the families --------------------------------------------------------------------------------------


class CrustPages:
    """PagesApi on a Crust client."""

    def __init__(self, client: CrustClient) -> None:
        self.client = client

    async def tree(self) -> list[Page]:
        found = await self.client._models(WirePage, "page tree", "GET", "page/tree")
        return [map_page(p) for p in found if p.page_id]

    async def page(self, page_id: str) -> Page:
        return map_page(await self.client._model(WirePage, "page", "GET", f"page/{_segment(page_id)}"))


class CrustWorkflows:
    """WorkflowsApi on a Crust client."""

    def __init__(self, client: CrustClient) -> None:
        self.client = client

    async def workflows(self) -> list[Workflow]:
        found = await self.client._models(WireWorkflow, "workflow list", "GET", "workflow/")
        return [map_workflow(w) for w in found if w.workflow_id]

    async def workflow(self, workflow_id: str) -> Workflow:
        return map_workflow(
            await self.client._model(WireWorkflow, "workflow", "GET", f"workflow/{_segment(workflow_id)}")
        )


class CrustJobs:
    """JobsApi on a Crust client."""

    def __init__(self, client: CrustClient) -> None:
        self.client = client

    async def jobs(self, *, status: str | None = None, page: int = 0, per_page: int = 50) -> JobsPage:
        if status and status not in STATUSES:
            raise ValueError(f"not a job status: {status!r} (one of {', '.join(STATUSES)})")
        params: dict[str, Any] = {"page": max(0, int(page)), "perPage": clamp_per_page(per_page)}
        if status:
            params["status"] = status
        answer = await self.client._model(WireJobList, "job list", "GET", "job/", params=params)
        return JobsPage(
            items=[map_job(j) for j in answer.jobs if j.job_id], page=answer.meta.page,
            per_page=answer.meta.per_page or params["perPage"], total=max(answer.meta.count, 0),
        )

    async def job(self, job_id: str) -> Job:
        return map_job(await self.client._model(WireJob, "job", "GET", f"job/{_segment(job_id)}"))

    async def logs(self, job_id: str, *, page: int = 0, per_page: int = 100) -> JobLogsPage:
        params = {"page": max(0, int(page)), "perPage": clamp_per_page(per_page)}
        answer = await self.client._model(WireLogList, "job log", "GET", f"job/{_segment(job_id)}/logs", params=params)
        return JobLogsPage(
            items=[map_log(entry) for entry in answer.logs], page=answer.meta.page,
            per_page=answer.meta.per_page or params["perPage"], total=max(answer.meta.count, 0),
        )

    async def run(
        self, workflow_id: str, *, start_at: dt.datetime | None = None, params: dict[str, str] | None = None
    ) -> Job:
        body: dict[str, Any] = {"workflowID": workflow_id}
        if start_at is not None:
            body["startAt"] = rfc3339(start_at)
        if params:
            body["parameters"] = dict(params)
        made = await self.client._model(WireJob, "job", "POST", "job/", body=body)
        if not made.job_id:
            raise MalformedResponse("Crust's answer to a job run has no job id")
        return map_job(made)

    async def cancel(self, job_id: str) -> None:
        await self.client._call("DELETE", f"job/{_segment(job_id)}")


"""Workflows and jobs: the spec's operations (spec/workflow.json, spec/job.json) working, where the real
server at the spec's commit answers "Not implemented: Job.list" and the like to every one of them
(`SandboxOptions.jobs_not_implemented` gives that answer back, word for word).

Workflows are the server's Go type (`types.Workflow`: workflowID, name, tasks, onError, timeout; a
task has name, body, fallback, retries ([]int, seconds to wait before each retry) and timeout).
Jobs have no type at that commit; the sandbox's shape (the documented parameters, designed here):

    {"jobID", "workflowID", "userID", "status", "startAt", "parameters", "createdAt", "updatedAt"?}

A run plans the job's whole course on the sandbox clock from the workflow as it is then: queued until
`startAt` (and a second more, for a worker to pick it up), running, each task logging its start and its end after the time it takes, retried after
each `retries` wait when it fails, then `ok`, or `error` once a task has failed for good (the
`onError` tasks run first; a task with a `fallback` runs it and the job goes on). Reads show what
has happened by now, so a job progresses (and its logs grow) as tests move the clock. What a task
does is read from its body, for demos and tests: `sleep N` takes N seconds (else 5), `exit 1`
fails every attempt, `flaky` fails the first attempt only; a task over its `timeout` fails.
DELETE cancels a queued or running job; POST /job/{jobID} appends a log item, finishes a job by
hand (status ok, error or cancelled) or, while it is queued, re-plans it (workflowID, startAt,
parameters).

Lists: `{"meta": {...}, "jobs": [...]}` newest first, `{"meta": {...}, "logs": [...]}` oldest first,
0-based pages, perPage 50 by default clamped to 10..100 as the record list does; a log item is
`{"time", "level" ("info" or "error"), "task", "message"}`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

from crmtui.sandbox.crust.godecode import GoField, GoJsonError, decode_struct
from crmtui.sandbox.crust.routes import DEFAULT_PER_PAGE, MAX_PER_PAGE, MIN_PER_PAGE, OK, Handler, Request, route
from crmtui.sandbox.crust.state import UTC, CrustError, CrustState, go_time, no_rows

STATUSES = ("ok", "error", "running", "cancelled", "queued")
FINISHED = ("ok", "error", "cancelled")
DEFAULT_TASK_SECONDS = 5
PICKUP_SECONDS = 1
"""A job starts this long after its `startAt` (a worker picks it up): a job run now is queued for a moment."""
RFC3339 = "2006-01-02T15:04:05Z07:00"

WORKFLOW_TASK = [
    GoField("Name", "name", "string"), GoField("Body", "body", "string"), GoField("Fallback", "fallback", "string"),
    GoField("Retries", "retries", "ints"), GoField("Timeout", "timeout", "int"),
]
WORKFLOW_BODY = [
    GoField("Name", "name", "string"), GoField("Tasks", "tasks", "list:WorkflowTask"), GoField("OnError", "onError", "list:WorkflowTask"),
    GoField("Timeout", "timeout", "int"),
]
JOB_RUN = [GoField("WorkflowID", "workflowID", "string"), GoField("StartAt", "startAt", "string"),
           GoField("Parameters", "parameters", "stringmap")]
JOB_UPDATE = [GoField("JobID", "jobID", "string"), GoField("Status", "status", "string"), GoField("Log", "log", "raw"),
              *JOB_RUN]
STRUCTS = {"WorkflowTask": WORKFLOW_TASK}


# -- switched off: the real server at the spec's commit --------------------------------------------


def _guarded(name: str, handler: Handler) -> Handler:
    """`handler`, unless the sandbox plays the spec's server: then "Not implemented: <name>" (its Fill still ran)."""
    def guarded(req: Request) -> Any:
        if req.jobs_not_implemented:
            raise CrustError(f"Not implemented: {name}")
        return handler(req)

    guarded.__name__ = handler.__name__
    return guarded


def _route(method: str, template: str, name: str) -> Callable[[Handler], Handler]:
    def decorate(handler: Handler) -> Handler:
        route(method, template)(_guarded(name, handler))
        return handler

    return decorate


def _decode(req: Request, struct: str, fields: list[GoField]) -> dict[str, Any]:
    try:
        return decode_struct(req.body.json, f"request.{struct}", fields, STRUCTS)
    except GoJsonError as exc:
        raise CrustError(f"error parsing http request body: {exc}") from None


def _paging(req: Request) -> tuple[int, int]:
    page, per_page = max(0, req.get_int("page")), req.get_int("perPage")
    return page, DEFAULT_PER_PAGE if per_page <= 0 else min(MAX_PER_PAGE, max(MIN_PER_PAGE, per_page))


# -- workflows -------------------------------------------------------------------------------------


def _task(decoded: dict) -> dict:
    return {"name": decoded.get("name", ""), "body": decoded.get("body", ""), "fallback": decoded.get("fallback", ""),
            "retries": decoded.get("retries"), "timeout": decoded.get("timeout", 0)}


def workflow_json(doc: dict) -> dict:
    return {"workflowID": doc["id"], "name": doc["name"], "tasks": doc["tasks"], "onError": doc["onError"], "timeout": doc["timeout"]}


def _workflow_body(req: Request, struct: str) -> dict:
    decoded = _decode(req, struct, WORKFLOW_BODY)
    form = req.body.form
    name = form.get("name", decoded.get("name", ""))
    if not name.strip():
        raise CrustError("Workflow name is required")
    tasks, on_error = decoded.get("tasks"), decoded.get("onError")
    return {
        "name": name,
        "tasks": None if tasks is None else [_task(t) for t in tasks],
        "onError": None if on_error is None else [_task(t) for t in on_error],
        "timeout": int(form["timeout"]) if re.fullmatch(r"[+-]?\d+", form.get("timeout", "")) else decoded.get("timeout", 0),
    }


def _workflow(state: CrustState, workflow_id: str) -> dict:
    found = state.tables["workflows"].get(workflow_id) if workflow_id.isdigit() else None
    if found is None:
        raise no_rows()
    return found


@_route("GET", "/workflow/", "Workflow.list")
def workflow_list(req: Request) -> Any:
    with req.state.lock:
        return [workflow_json(w) for w in sorted(req.state.tables["workflows"].values(), key=lambda w: int(w["id"]))]


@_route("POST", "/workflow/", "Workflow.create")
def workflow_create(req: Request) -> Any:
    body = _workflow_body(req, "WorkflowCreate")
    with req.state.write() as state:
        return workflow_json(state.save("workflows", {"id": state.ids.next(), **body}))


@_route("GET", "/workflow/{workflowID}", "Workflow.get")
def workflow_get(req: Request) -> Any:
    with req.state.lock:
        return workflow_json(_workflow(req.state, req.params["workflowID"]))


@_route("POST", "/workflow/{workflowID}", "Workflow.update")
def workflow_update(req: Request) -> Any:
    body = _workflow_body(req, "WorkflowUpdate")
    with req.state.write() as state:
        old = _workflow(state, req.params["workflowID"])
        return workflow_json(state.save("workflows", {"id": old["id"], **body}))


@_route("DELETE", "/workflow/{workflowID}", "Workflow.delete")
def workflow_delete(req: Request) -> Any:
    with req.state.write() as state:  # its jobs go on: each ran a copy of it
        state.remove("workflows", _workflow(state, req.params["workflowID"])["id"])
    return OK


# -- a job's course --------------------------------------------------------------------------------


def _log(at: float, message: str, task: str = "", level: str = "info", status: str | None = None) -> dict:
    event: dict[str, Any] = {"at": at, "level": level, "task": task, "message": message}
    if status is not None:
        event["status"] = status
    return event


def _seconds(body: str) -> int:
    found = re.search(r"\bsleep\s+(\d+)", body)
    return int(found.group(1)) if found else DEFAULT_TASK_SECONDS


def _run_task(task: dict, t: float, events: list[dict]) -> tuple[float, bool]:
    """One task's attempts from `t`: (when it ended, whether it succeeded in the end)."""
    name, body, retries = task["name"], task["body"], task.get("retries") or []
    attempt = 0
    while True:
        events.append(_log(t, f"started (attempt {attempt + 1})" if attempt else "started", name))
        took, timeout = _seconds(body), task.get("timeout") or 0
        failure = None
        if timeout > 0 and took > timeout:
            took, failure = timeout, f"timed out after {timeout} s"
        elif "exit 1" in body or ("flaky" in body and attempt == 0):
            failure = "exit status 1"
        t += max(took, 0)
        if failure is None:
            events.append(_log(t, "done", name))
            return t, True
        events.append(_log(t, f"failed: {failure}", name, "error"))
        if attempt < len(retries):
            wait = max(retries[attempt], 0)
            events.append(_log(t, f"retrying in {wait} s", name))
            t += wait
            attempt += 1
            continue
        if task.get("fallback"):
            events.append(_log(t, f"running the fallback: {task['fallback']}", name))
            t += 1
            events.append(_log(t, "fallback done", name))
            return t, True
        return t, False


def plan(workflow: dict, start: float) -> list[dict]:
    """The job's whole course from `start`: timed log items, some of them changing its status."""
    events = [_log(start, f"Job started: workflow {workflow['name']}", status="running")]
    t = start
    failed = False
    for task in workflow.get("tasks") or []:
        t, succeeded = _run_task(task, t, events)
        if not succeeded:
            failed = True
            break
    if failed:
        for task in workflow.get("onError") or []:
            t, _ = _run_task({**task, "retries": None, "fallback": ""}, t, events)
        events.append(_log(t, "Job failed", level="error", status="error"))
    else:
        events.append(_log(t, "Job finished", status="ok"))
    limit = workflow.get("timeout") or 0
    if limit > 0 and t - start > limit:
        events = [e for e in events if e["at"] < start + limit]
        events.append(_log(start + limit, f"Job timed out after {limit} s", level="error", status="error"))
    return events


def _moment(text: str, now: float) -> float:
    """`startAt` (RFC 3339; empty: now), or Go's time.Parse error."""
    if not text:
        return now
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or "T" not in text:
        raise CrustError(f'parsing time "{text}" as "{RFC3339}": cannot parse "{text}" as "2006"')
    return moment.timestamp()


def _now(state: CrustState) -> float:
    return state.clock.seconds()


def _due(job: dict, now: float) -> list[dict]:
    """What has happened to `job` by `now`: its planned course up to now (or up to when it was stopped), its added logs."""
    stopped = job.get("stoppedAt")
    until = now if stopped is None else min(now, stopped)
    events = [e for e in job["events"] if e["at"] <= until] + [e for e in job["added"] if e["at"] <= now]
    return sorted(events, key=lambda e: e["at"])  # stable: planned items before added ones at the same moment


def status_at(job: dict, now: float) -> str:
    if job.get("stoppedAt") is not None and job["stoppedAt"] <= now:
        return str(job["final"])
    status = "queued"
    for event in job["events"]:
        if event["at"] <= now and "status" in event:
            status = event["status"]
    return status


def job_json(job: dict, now: float) -> dict:
    out: dict[str, Any] = {
        "jobID": job["id"], "workflowID": job["workflowID"], "userID": job["userID"], "status": status_at(job, now),
        "startAt": go_time(dt.datetime.fromtimestamp(job["startAt"], UTC)), "parameters": job["parameters"],
        "createdAt": go_time(dt.datetime.fromtimestamp(job["createdAt"], UTC)),
    }
    due = _due(job, now)
    if due:
        out["updatedAt"] = go_time(dt.datetime.fromtimestamp(due[-1]["at"], UTC))
    return out


def log_json(event: dict) -> dict:
    return {"time": go_time(dt.datetime.fromtimestamp(event["at"], UTC)), "level": event["level"], "task": event["task"],
            "message": event["message"]}


def new_job(job_id: str, workflow: dict, user_id: str, created: float, start: float, parameters: dict[str, str] | None) -> dict:
    return {"id": job_id, "workflowID": workflow["id"], "userID": user_id, "parameters": parameters, "createdAt": created,
            "startAt": start, "events": plan(workflow, start + PICKUP_SECONDS), "added": [], "stoppedAt": None, "final": None}


def _job(state: CrustState, job_id: str) -> dict:
    found = state.tables["jobs"].get(job_id) if job_id.isdigit() else None
    if found is None:
        raise no_rows()
    return found


# -- jobs ------------------------------------------------------------------------------------------


@_route("GET", "/job/", "Job.list")
def job_list(req: Request) -> Any:
    wanted = req.query.get("status", "")
    if wanted and wanted not in STATUSES:
        raise CrustError(f"Unknown job status: {wanted} (one of {', '.join(STATUSES)})")
    page, per_page = _paging(req)
    with req.state.lock:
        now = _now(req.state)
        jobs = sorted(req.state.tables["jobs"].values(), key=lambda j: (j["createdAt"], int(j["id"])), reverse=True)
        if wanted:
            jobs = [j for j in jobs if status_at(j, now) == wanted]
        meta: dict[str, Any] = {"status": wanted} if wanted else {}
        meta.update({"page": page, "perPage": per_page, "count": len(jobs)})
        return {"meta": meta, "jobs": [job_json(j, now) for j in jobs[page * per_page: (page + 1) * per_page]]}


@_route("POST", "/job/", "Job.run")
def job_run(req: Request) -> Any:
    decoded = _decode(req, "JobRun", JOB_RUN)
    form = req.body.form
    workflow_id = form.get("workflowID", decoded.get("workflowID", ""))
    if not workflow_id:
        raise CrustError("Workflow ID is required")
    with req.state.write() as state:
        now = _now(state)
        start = _moment(form.get("startAt", decoded.get("startAt", "")), now)
        workflow = _workflow(state, workflow_id)
        job = new_job(state.ids.next(), workflow, str(req.user_id), now, start, decoded.get("parameters"))
        return job_json(state.save("jobs", job), now)


@_route("GET", "/job/{jobID}", "Job.get")
def job_get(req: Request) -> Any:
    with req.state.lock:
        return job_json(_job(req.state, req.params["jobID"]), _now(req.state))


@_route("GET", "/job/{jobID}/logs", "Job.logs")
def job_logs(req: Request) -> Any:
    page, per_page = _paging(req)
    with req.state.lock:
        due = _due(_job(req.state, req.params["jobID"]), _now(req.state))
        return {"meta": {"page": page, "perPage": per_page, "count": len(due)},
                "logs": [log_json(e) for e in due[page * per_page: (page + 1) * per_page]]}


@_route("POST", "/job/{jobID}", "Job.update")
def job_update(req: Request) -> Any:
    decoded = _decode(req, "JobUpdate", JOB_UPDATE)
    form = req.body.form
    status = form.get("status", decoded.get("status", ""))
    log: Any = decoded.get("log")
    if "log" in form:
        try:
            log = json.loads(form["log"])
        except ValueError:
            log = form["log"]
    if status and status not in FINISHED:
        raise CrustError(f"A job's status can only be set to ok, error or cancelled, not {status}")
    with req.state.write() as state:
        now = _now(state)
        job = dict(_job(state, req.params["jobID"]))
        current = status_at(job, now)
        replan: dict[str, str] = {key: str(form.get(key, decoded.get(key))) for key in ("workflowID", "startAt")
                                  if form.get(key, decoded.get(key))}
        new_parameters: dict[str, str] | None = decoded.get("parameters")
        if replan or new_parameters is not None:
            if current != "queued":
                raise CrustError(f"Job is {current}: only a queued job can be changed")
            workflow = _workflow(state, replan.get("workflowID") or str(job["workflowID"]))
            start = _moment(replan["startAt"], now) if "startAt" in replan else job["startAt"]
            parameters = new_parameters if new_parameters is not None else job["parameters"]
            job = {**new_job(job["id"], workflow, job["userID"], job["createdAt"], start, parameters),
                   "added": job["added"]}
        if log is not None:
            item = log if isinstance(log, dict) else {"message": log if isinstance(log, str) else json.dumps(log)}
            job["added"] = [*job["added"], _log(now, str(item.get("message", "")), str(item.get("task", "")),
                                                "error" if item.get("level") == "error" else "info")]
        if status and current not in FINISHED:
            job.update(stoppedAt=now, final=status)
            job["added"] = [*job["added"], _log(now, f"Job set to {status}", level="error" if status == "error" else "info")]
        elif status and status != current:
            raise CrustError(f"Job is already {current}")
        return job_json(state.save("jobs", job), now)


@_route("DELETE", "/job/{jobID}", "Job.delete")
def job_cancel(req: Request) -> Any:
    with req.state.write() as state:
        now = _now(state)
        job = _job(state, req.params["jobID"])
        current = status_at(job, now)
        if current in ("ok", "error"):
            raise CrustError(f"Job is already finished ({current}): nothing to cancel")
        if current != "cancelled":
            state.save("jobs", {**job, "stoppedAt": now, "final": "cancelled", "added": [*job["added"], _log(now, "Job cancelled")]})
    return OK

"""Goals: POST /goals, GET /goals/find, PUT/DELETE /goals/{id}, GET /goals/{id}/results.

Answers carry the goals service's extra top-level fields (`statusCode: 20000, statusText: "OK",
service: "statistics-goals-api"`); ids are 32-hex strings. A goal's progress is computed from the
seeded event log (deals won, started and progressed, activities added and completed; a year back
and two months ahead of the seed's today), counting only events the sandbox clock has reached, so
progress grows as the clock moves. `find` answers the caller's own goals (owned by or assigned to
them) unless a search criterion is given, then everyone's; `period.start` and `period.end` come
together or not at all. A goal is active until its duration ends (by the sandbox clock).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

from crmtui.sandbox.pipedrive.routes import Request, route
from crmtui.sandbox.pipedrive.state import ApiError, PipedriveState, invalid

GOAL_TYPES = ("deals_won", "deals_progressed", "activities_completed", "activities_added", "deals_started", "revenue_forecast")
ASSIGNEE_TYPES = ("person", "company", "team")
METRICS = ("quantity", "sum")
INTERVALS = ("weekly", "monthly", "quarterly", "yearly")
SERVICE = {"statusCode": 20000, "statusText": "OK", "service": "statistics-goals-api"}
CRITERIA = (
    "type.name", "title", "assignee.id", "assignee.type", "expected_outcome.target", "expected_outcome.tracking_metric",
    "expected_outcome.currency_id", "type.params.pipeline_id", "type.params.stage_id", "type.params.activity_type_id",
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ID = re.compile(r"^[0-9a-f]{32}$")


def answer(data: object | None = None) -> tuple[int, dict]:
    body: dict[str, Any] = {"success": True, **SERVICE}
    if data is not None:
        body["data"] = data
    return 200, body


def _date(value: object, name: str) -> str:
    if not isinstance(value, str) or not _DATE.match(value):
        raise invalid(f'"{name}" must be a date (YYYY-MM-DD)')
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise invalid(f'"{name}" must be a date (YYYY-MM-DD)') from None
    return value


def _int_list(value: object, name: str) -> list[int]:
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise invalid(f'"{name}" must be an array of numbers')
    return list(value)


def render(state: PipedriveState, goal: dict) -> dict:
    today = state.clock.now().date().isoformat()
    end = goal["duration"]["end"]
    return {
        "id": goal["id"], "owner_id": goal["owner_id"], "title": goal["title"], "type": goal["type"], "assignee": goal["assignee"],
        "interval": goal["interval"], "duration": goal["duration"], "expected_outcome": goal["expected_outcome"],
        "is_active": end is None or end >= today, "report_ids": goal["report_ids"],
    }


def check_goal(state: PipedriveState, body: dict, current: dict | None) -> dict:
    """A goal's fields from a POST (current None: all required) or PUT body (each optional)."""
    allowed = {"title", "assignee", "type", "expected_outcome", "duration", "interval"}
    for name in body:
        if name not in allowed:
            raise invalid(f'"{name}" is not allowed')
    out: dict[str, Any] = dict(current or {})
    if current is None:
        for name in ("type", "assignee", "expected_outcome", "duration", "interval"):
            if name not in body:
                raise invalid(f'"{name}" is required')
    if "title" in body:
        if not isinstance(body["title"], str):
            raise invalid('"title" must be a string')
        out["title"] = body["title"]
    if "type" in body:
        kind = body["type"]
        if not isinstance(kind, dict) or kind.get("name") not in GOAL_TYPES:
            raise invalid(f'"type.name" must be one of [{", ".join(GOAL_TYPES)}]')
        raw = kind.get("params") or {}
        if not isinstance(raw, dict):
            raise invalid('"type.params" must be an object')
        params: dict[str, Any] = {}
        for name in ("pipeline_id", "activity_type_id"):
            if name in raw:
                params[name] = _int_list(raw[name], f"type.params.{name}")
        if "stage_id" in raw:
            if not isinstance(raw["stage_id"], int) or isinstance(raw["stage_id"], bool):
                raise invalid('"type.params.stage_id" must be a number')
            params["stage_id"] = raw["stage_id"]
        if kind["name"] == "deals_progressed" and "stage_id" not in params:
            raise invalid('"type.params.stage_id" is required for deals_progressed')
        out["type"] = {"name": kind["name"], "params": params}
    if "assignee" in body:
        who = body["assignee"]
        if not isinstance(who, dict) or who.get("type") not in ASSIGNEE_TYPES:
            raise invalid(f'"assignee.type" must be one of [{", ".join(ASSIGNEE_TYPES)}]')
        if not isinstance(who.get("id"), int) or isinstance(who.get("id"), bool):
            raise invalid('"assignee.id" must be a number')
        if who["type"] == "person" and str(who["id"]) not in state.tables["users"]:
            raise invalid(f'"assignee.id" {who["id"]} is not a user')
        if who["type"] == "team" and str(who["id"]) not in state.tables["teams"]:
            raise invalid(f'"assignee.id" {who["id"]} is not a team')
        out["assignee"] = {"id": who["id"], "type": who["type"]}
    if "expected_outcome" in body:
        outcome = body["expected_outcome"]
        if not isinstance(outcome, dict) or outcome.get("tracking_metric") not in METRICS:
            raise invalid('"expected_outcome.tracking_metric" must be one of [quantity, sum]')
        target = outcome.get("target")
        if isinstance(target, str):  # the docs send "50"
            try:
                target = float(target)
            except ValueError:
                raise invalid('"expected_outcome.target" must be a number') from None
        if not isinstance(target, (int, float)) or isinstance(target, bool) or target < 0:
            raise invalid('"expected_outcome.target" must be a number')
        shaped: dict[str, Any] = {"target": int(target) if float(target).is_integer() else target, "tracking_metric": outcome["tracking_metric"]}
        if outcome["tracking_metric"] == "sum":
            if not isinstance(outcome.get("currency_id"), int):
                raise invalid('"expected_outcome.currency_id" is required with tracking_metric sum')
            shaped["currency_id"] = outcome["currency_id"]
        out["expected_outcome"] = shaped
    if "duration" in body:
        span = body["duration"]
        if not isinstance(span, dict):
            raise invalid('"duration" must be an object')
        start = _date(span.get("start"), "duration.start")
        end = None if span.get("end") is None else _date(span.get("end"), "duration.end")
        if end is not None and end < start:
            raise invalid('"duration.end" must not be before "duration.start"')
        out["duration"] = {"start": start, "end": end}
    if "interval" in body:
        if body["interval"] not in INTERVALS:
            raise invalid(f'"interval" must be one of [{", ".join(INTERVALS)}]')
        out["interval"] = body["interval"]
    return out


def _goal(req: Request) -> dict:
    raw = req.params["id"]
    goal = req.state.tables["goals"].get(raw) if _ID.match(raw) else None
    if goal is None:
        raise ApiError(404, "Goal not found", "Please check developers.pipedrive.com")
    return goal


@route("POST", "/goals")
def goals_create(req: Request) -> tuple[int, dict]:
    fields = check_goal(req.state, req.body, None)
    with req.state.write():
        goal = {
            "id": secrets.token_hex(16), "owner_id": req.user["id"], "title": fields.get("title", ""),
            **{k: fields[k] for k in ("type", "assignee", "interval", "duration", "expected_outcome")},
            "report_ids": [secrets.token_hex(16)],
        }
        req.state.save("goals", goal)
    return answer({"goal": render(req.state, goal)})


def _overlaps(goal: dict, start: str, end: str) -> bool:
    span = goal["duration"]
    return span["start"] <= end and (span["end"] is None or span["end"] >= start)


def _period(req: Request, required: bool) -> tuple[str, str] | None:
    start, end = req.query.get("period.start"), req.query.get("period.end")
    if (start is None) != (end is None) or (required and start is None):
        raise invalid('"period.start" and "period.end" must be given together')
    if start is None or end is None:
        return None
    start, end = _date(start, "period.start"), _date(end, "period.end")
    if end < start:
        raise invalid('"period.end" must not be before "period.start"')
    return start, end


def _value(goal: dict, dotted: str) -> object:
    node: Any = goal
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


@route("GET", "/goals/find")
def goals_find(req: Request) -> tuple[int, dict]:
    period = _period(req, False)
    active = (req.query.get("is_active") or "true").lower() not in ("false", "0")
    given = {name: req.query[name] for name in CRITERIA if name in req.query}
    me = req.user["id"]
    out = []
    for goal in sorted(req.state.tables["goals"].values(), key=lambda g: (g["duration"]["start"], g["id"])):
        shown = render(req.state, goal)
        if shown["is_active"] != active:
            continue
        if not given and not period and goal["owner_id"] != me and goal["assignee"] != {"id": me, "type": "person"}:
            continue  # no criteria: only the caller's own goals
        if period and not _overlaps(goal, *period):
            continue
        if any(not _criterion(_value(goal, name), raw) for name, raw in given.items()):
            continue
        out.append(shown)
    return answer({"goals": out})


def _criterion(actual: object, raw: str) -> bool:
    if isinstance(actual, list):
        return any(str(v) in raw.split(",") for v in actual)
    if isinstance(actual, (int, float)) and not isinstance(actual, bool):
        try:
            return float(actual) == float(raw)
        except ValueError:
            return False
    return actual is not None and str(actual) == raw


@route("PUT", "/goals/{id}")
def goals_update(req: Request) -> tuple[int, dict]:
    goal = _goal(req)
    fields = check_goal(req.state, req.body, goal)
    with req.state.write():
        req.state.save("goals", fields)
    return answer({"goal": render(req.state, fields)})


@route("DELETE", "/goals/{id}")
def goals_delete(req: Request) -> tuple[int, dict]:
    goal = _goal(req)
    with req.state.write():
        req.state.remove("goals", goal["id"])
    return answer()


def members(state: PipedriveState, assignee: dict) -> set[int] | None:
    """The users whose events count for an assignee; None: everyone (the company)."""
    if assignee["type"] == "company":
        return None
    if assignee["type"] == "person":
        return {assignee["id"]}
    team = state.tables["teams"].get(str(assignee["id"]))
    return set(team["users"]) if team else set()


def progress(state: PipedriveState, goal: dict, start: str, end: str) -> int:
    """The goal's progress in [start, end] (inside its duration), from the event log up to the sandbox's now."""
    now = state.clock.now().strftime("%Y-%m-%d %H:%M:%S")
    span = goal["duration"]
    first = max(start, span["start"])
    last = min(end, span["end"]) if span["end"] else end
    kind = goal["type"]["name"]
    if kind == "revenue_forecast":
        kind = "deals_started"  # open deals' value: the sandbox forecasts from the deals started
    params = goal["type"].get("params") or {}
    who = members(state, goal["assignee"])
    total = 0.0
    events = (e for day, doc in state.tables["events"].items() if first <= day <= last for e in doc["events"])
    for event in events:
        if event["kind"] != kind or event["at"] > now:
            continue
        if who is not None and event["user_id"] not in who:
            continue
        if params.get("pipeline_id") and event.get("pipeline_id") not in params["pipeline_id"]:
            continue
        if params.get("activity_type_id") and event.get("activity_type_id") not in params["activity_type_id"]:
            continue
        if kind == "deals_progressed" and event.get("stage_id") != params.get("stage_id"):
            continue
        total += event["amount"] if goal["expected_outcome"]["tracking_metric"] == "sum" else 1
    return round(total)


@route("GET", "/goals/{id}/results")
def goals_results(req: Request) -> tuple[int, dict]:
    goal = _goal(req)
    period = _period(req, True)
    assert period is not None
    return answer({"goal": render(req.state, goal), "progress": progress(req.state, goal, *period)})

"""GET /activities, GET and PUT /activities/{id}: the leads' activities, and each lead's next one.

- The list: `user_id` (absent: the caller's; 0: every user's), `type` (one key or a comma list),
  `done` (0 or 1; absent: both), `start_date` / `end_date` (the due day, both included), offset
  paging (`start`, `limit` up to 500) with `additional_data.pagination`; ordered by when they are due.
- A lead's `next_activity_id` is its earliest open activity (day, all day before a time, time, id);
  a PUT that changes which one that is moves it on, and the lead's `update_time` with it (so a
  refresh that reads only what changed sees it).
- The server's clock (`--today`, a test's frozen day) decides nothing here: "overdue" and "today"
  are the client's reading of the due day against the server's day.
"""

from __future__ import annotations

import datetime as dt
import re

from crmtui.sandbox.pipedrive.routes import DEFAULT_LIMIT, MAX_LIMIT, Request, ok, pagination, route
from crmtui.sandbox.pipedrive.seed import next_activity_id, next_activity_key
from crmtui.sandbox.pipedrive.state import ApiError, PipedriveState, invalid, plain

TYPES = ("call", "meeting", "task", "deadline", "email", "lunch")
EDITABLE = ("done", "subject", "type", "due_date", "due_time", "duration", "user_id", "note")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_DURATION = re.compile(r"^\d{2}:[0-5]\d$")


def _activity(req: Request) -> dict:
    doc = req.state.tables["activities"].get(req.params["id"])
    if doc is None or not doc.get("active_flag", True):
        raise ApiError(404, "Activity not found", "Please check developers.pipedrive.com")
    return doc


def _date(req: Request, name: str) -> str | None:
    raw = req.query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return dt.date.fromisoformat(raw).isoformat()
    except ValueError:
        raise invalid(f'"{name}" must be a date (YYYY-MM-DD)') from None


def refresh_next(state: PipedriveState, lead_id: str | None) -> None:
    """Set the lead's `next_activity_id` to its earliest open activity (its `update_time` moves when it changes)."""
    lead = state.tables["leads"].get(lead_id) if lead_id else None
    if lead is None:
        return
    mine = [a for a in state.tables["activities"].values() if a.get("lead_id") == lead_id]
    wanted = next_activity_id(mine)
    if wanted != lead.get("next_activity_id"):
        state.save("leads", {**lead, "next_activity_id": wanted, "update_time": state.now_ms()})


@route("GET", "/activities")
def activities_list(req: Request) -> tuple[int, dict]:
    start = req.int_param("start", 0) or 0
    limit = req.int_param("limit", DEFAULT_LIMIT) or DEFAULT_LIMIT
    if start < 0 or limit < 1:
        raise invalid('"start" must be 0 or more and "limit" 1 or more')
    limit = min(limit, MAX_LIMIT)
    user_id = req.int_param("user_id")
    user_id = req.user["id"] if user_id is None else user_id
    done = req.query.get("done")
    if done not in (None, "", "0", "1"):
        raise invalid('"done" must be one of [0, 1]')
    types = {t.strip() for t in (req.query.get("type") or "").split(",") if t.strip()}
    first, last = _date(req, "start_date"), _date(req, "end_date")
    found = [
        a for a in req.state.tables["activities"].values()
        if a.get("active_flag", True)
        and (user_id == 0 or a["user_id"] == user_id)
        and (done in (None, "") or a["done"] == (done == "1"))
        and (not types or a["type"] in types)
        and (first is None or (a["due_date"] or "") >= first)
        and (last is None or (a["due_date"] or "9999-12-31") <= last)
    ]
    found.sort(key=next_activity_key)
    page = found[start : start + limit]
    return ok(page, additional_data={"pagination": pagination(start, limit, len(found))})


@route("GET", "/activities/{id}")
def activities_get(req: Request) -> tuple[int, dict]:
    return ok(_activity(req))


def _check(req: Request, body: dict) -> dict:
    out: dict = {}
    for name, value in body.items():
        if name not in EDITABLE:
            continue  # the real API takes many more fields; the sandbox keeps these
        if name == "done":
            if isinstance(value, str) and value in ("0", "1"):
                value = int(value)
            if value not in (0, 1) or (not isinstance(value, (int, bool))):
                raise invalid('"done" must be one of [0, 1]')
            out[name] = bool(value)
        elif name == "due_date":
            try:
                out[name] = dt.date.fromisoformat(str(value)).isoformat()
            except ValueError:
                raise invalid('"due_date" must be a date (YYYY-MM-DD)') from None
        elif name == "due_time":
            if value not in ("", None) and not _TIME.match(str(value)):
                raise invalid('"due_time" must be HH:MM')
            out[name] = value or ""
        elif name == "duration":
            if value not in ("", None) and not _DURATION.match(str(value)):
                raise invalid('"duration" must be HH:MM')
            out[name] = value or ""
        elif name == "user_id":
            if isinstance(value, bool) or not isinstance(value, int) or str(value) not in req.state.tables["users"]:
                raise invalid('"user_id" must be a user\'s id')
            out[name] = value
            out["assigned_to_user_id"] = value
            out["owner_name"] = req.state.tables["users"][str(value)]["name"]
        elif name == "type":
            if not isinstance(value, str) or not value.strip():
                raise invalid('"type" must be an activity type\'s key')
            out[name] = value.strip()
        else:
            if not isinstance(value, str):
                raise invalid(f'"{name}" must be a string')
            out[name] = value
    return out


@route("PUT", "/activities/{id}")
def activities_update(req: Request) -> tuple[int, dict]:
    doc = _activity(req)
    fields = _check(req, req.body)
    state = req.state
    with state.write():
        changed = {**doc, **fields}
        now = state.clock.now()
        if "done" in fields and fields["done"] != doc["done"]:
            changed["marked_as_done_time"] = plain(now) if fields["done"] else ""
        if changed != doc:
            changed["update_time"] = plain(now)
            changed["update_user_id"] = req.user["id"]
        state.save("activities", changed)
        refresh_next(state, changed.get("lead_id"))
    return ok(changed)

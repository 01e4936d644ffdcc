"""Saved filters' writes: POST/PUT/DELETE /filters/{id}, bulk DELETE /filters?ids=, GET /filters/{id} and
GET /filters/helpers (answered from the table below, the spec's facts). Listing and evaluating filters
on leads stay in routes.py.

Validation follows what the real API accepts: the only working shape is an AND group and an OR
group inside an AND (`{"glue":"and","conditions":[{"glue":"and",...},{"glue":"or",...}]}`), at most
16 conditions, each `{object, field_id, operator, value, extra_value}`, dates as `YYYY-MM-DD` or a
relative date's name; anything else answers 400 in the envelope.
"""

from __future__ import annotations

import re
from typing import Any

from crmtui.sandbox.pipedrive.routes import FILTER_TYPES, Request, ok, route
from crmtui.sandbox.pipedrive.state import ApiError, invalid, plain, public

MAX_CONDITIONS = 16
DATE_FIELDS = ("add_time", "update_time", "expected_close_date", "archive_time", "due_date", "close_time", "won_time")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

_IS = {"=": "is", "!=": "is not"}
_EMPTY = {"IS NULL": "is empty", "IS NOT NULL": "is not empty"}
_NUMBER = {**_IS, ">": "is more than", "<": "is less than", ">=": "is more or equal to", "<=": "is less or equal to", **_EMPTY}
_DATE_OPS = {**_IS, ">": "is later than", "<": "is earlier than", ">=": "is exactly or later than", "<=": "is exactly or earlier than"}
_RANGE = {
    "=": "starts at", "!=": "does not start at", "ends_at": "ends at", "does_not_end_at": "does not end at",
    "<": "starts before", "<=": "starts exactly on or before", "ends_before": "ends before",
    "ends_e_before": "ends exactly on or before", ">": "starts after", "ends_after": "ends after",
    ">=": "starts exactly or after", "ends_e_after": "ends exactly or after", "includes": "does include", **_EMPTY,
}
_TIME = {**_IS, "<": "is before", ">": "is after", ">=": "is exactly or after than", "<=": "is exactly or before than", **_EMPTY}
HELPERS: dict[str, Any] = {
    "operators": {
        "int": _NUMBER, "double": _NUMBER, "monetary": _NUMBER, "time": _TIME, "date": {**_DATE_OPS, **_EMPTY},
        "entered_stage": _DATE_OPS, "timerange": _RANGE, "daterange": _RANGE,
        "varchar": {**_IS, **_EMPTY, "LIKE '%$%'": "contains", "LIKE '$%'": "starts with", "NOT LIKE '$%'": "does not start with"},
        "stage": {**_IS, "has_been": "has been"},
        "title": {"=": "is", "LIKE '$%'": "starts with", "LIKE '%$%'": "contains", "NOT LIKE '$%'": "does not start with"},
        "set": {**_IS, "contains": "contains", "not_contains": "does not contain", **_EMPTY},
        "enum": [{"=": "is"}, {"!=": "is not"}, {"IS NULL": "is empty"}, {"IS NOT NULL": "is not empty"}],
        "deal": {**_IS, **_EMPTY}, "product": {**_IS, **_EMPTY},
        "user": {**_IS, **_EMPTY, "belongs_to_team": "belongs to team"},
        "status": _IS, "visible_to": _IS, "currency": _IS, "pipeline": _IS,
        "person": {**_IS, **_EMPTY}, "organization": {**_IS, **_EMPTY},
    },
    "deprecated_operators": {"NOT LIKE '%$%'": "does not contain", "LIKE '%$'": "ends with", "NOT LIKE '%$'": "does not end with"},
    "relative_dates": {
        "Relative date intervals": {
            "last_quarter": "last quarter", "this_quarter": "this quarter", "last_month": "last month", "this_month": "this month",
            "last_week": "last week", "this_week": "this week", "next_week": "next week", "next_month": "next month",
        },
        "Relative dates": {
            **{f"{n}_months_ago": f"{n} month{'s' if n > 1 else ''} ago" for n in range(6, 0, -1)},
            "3_weeks_ago": "3 weeks ago", "2_weeks_ago": "2 weeks ago", "1_week_ago": "1 week ago", "yesterday": "yesterday",
            "before_today": "before today", "today": "today", "now": "now", "later_or_today": "today or later",
            "before_tomorrow": "before tomorrow", "tomorrow": "tomorrow", "later_or_tomorrow": "tomorrow or later",
            "in_1_week": "in 1 week", "in_2_weeks": "in 2 weeks", "in_3_weeks": "in 3 weeks",
            **{f"in_{n}_month{'s' if n > 1 else ''}": f"in {n} month{'s' if n > 1 else ''}" for n in range(1, 7)},
        },
        "Deal specific": {"rotten_time": "Rotten time"},
    },
    "address_field_components": {
        "subpremise": "Apartment/suite no", "street_number": "House number", "route": "Street/road name",
        "sublocality": "District/sublocality", "locality": "City/town/village/locality", "admin_area_level_1": "State/county",
        "admin_area_level_2": "Region", "country": "Country", "postal_code": "ZIP/Postal code",
        "formatted_address": "Full/combined address",
    },
}
"""GET /filters/helpers's answer: operators per field type, deprecated operators, relative dates, address parts."""


def _operators() -> set[str]:
    out: set[str] = set(HELPERS["deprecated_operators"])
    for table in HELPERS["operators"].values():
        for entry in table if isinstance(table, list) else [table]:
            out |= set(entry)
    return out


OPERATORS = _operators()
RELATIVE_DATES = {key for group in HELPERS["relative_dates"].values() for key in group}


def check_conditions(conditions: object) -> dict:
    """The conditions tree as the API accepts it, or a 400: AND(AND group, OR group), ≤16 leaves, dates checked."""
    shape = 'must be {"glue": "and", "conditions": [{"glue": "and", ...}, {"glue": "or", ...}]}'
    if not isinstance(conditions, dict) or conditions.get("glue") != "and" or not isinstance(conditions.get("conditions"), list):
        raise invalid(f'"conditions" {shape}')
    groups = conditions["conditions"]
    if len(groups) != 2 or not all(isinstance(g, dict) and isinstance(g.get("conditions"), list) for g in groups):
        raise invalid(f'"conditions" {shape}')
    if groups[0].get("glue") != "and" or groups[1].get("glue") != "or":
        raise invalid(f'"conditions" {shape}')
    leaves = [leaf for group in groups for leaf in group["conditions"] if leaf is not None]
    if len(leaves) > MAX_CONDITIONS:
        raise invalid(f'"conditions" may hold at most {MAX_CONDITIONS} conditions, not {len(leaves)}')
    for leaf in leaves:
        if not isinstance(leaf, dict) or "glue" in leaf:
            raise invalid('"conditions" groups hold conditions only (no deeper groups)')
        if not isinstance(leaf.get("object"), str) or not isinstance(leaf.get("field_id"), (str, int)) or isinstance(leaf.get("field_id"), bool):
            raise invalid('each condition needs "object" and "field_id"')
        if leaf.get("operator") not in OPERATORS:
            raise invalid(f'"operator" {leaf.get("operator")!r} is not a known operator')
        value = leaf.get("value")
        if str(leaf["field_id"]) in DATE_FIELDS and value is not None and value not in RELATIVE_DATES:
            if not isinstance(value, str) or not _DATE.match(value):
                raise invalid(f'"{leaf["field_id"]}" takes a date (YYYY-MM-DD) or a relative date')
    return {
        "glue": "and",
        "conditions": [
            {"glue": "and", "conditions": [c for c in groups[0]["conditions"] if c is not None]},
            {"glue": "or", "conditions": [c for c in groups[1]["conditions"] if c is not None]},
        ],
    }


def _filter(req: Request, raw_id: str) -> dict:
    doc = req.state.tables["filters"].get(raw_id) if raw_id.isdigit() else None
    if doc is None:
        raise ApiError(404, "Filter not found", "Please check developers.pipedrive.com")
    return doc


def detail(doc: dict) -> dict:
    """One filter with its conditions (the list leaves them out)."""
    return {**public(doc), "temporary_flag": False, "conditions": doc["_conditions"]}


def _name(body: dict, required: bool) -> str | None:
    name = body.get("name")
    if name is None and not required:
        return None
    if not isinstance(name, str) or not name.strip():
        raise invalid('"name" is required and must be a non-empty string')
    return name


@route("POST", "/filters")
def filters_create(req: Request) -> tuple[int, dict]:
    name = _name(req.body, True)
    kind = req.body.get("type")
    if kind not in FILTER_TYPES:
        raise invalid(f'"type" must be one of [{", ".join(FILTER_TYPES)}]')
    conditions = check_conditions(req.body.get("conditions"))
    state = req.state
    with state.write():
        now = plain(state.clock.now())
        fid = int(state.next_int_id("filters"))
        views = [f["custom_view_id"] for f in state.tables["filters"].values()]
        doc = {
            "id": fid, "name": name, "active_flag": True, "type": kind, "user_id": req.user["id"], "add_time": now,
            "update_time": now, "visible_to": 1, "custom_view_id": max(views, default=100) + 1, "_conditions": conditions,
        }
        state.save("filters", doc)
    return ok(detail(doc))


@route("DELETE", "/filters")
def filters_delete_many(req: Request) -> tuple[int, dict]:
    raw = req.query.get("ids") or ""
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if not parts or not all(p.isdigit() for p in parts):
        raise invalid('"ids" must be a comma-separated list of filter ids')
    found = [p for p in dict.fromkeys(parts) if p in req.state.tables["filters"]]
    if not found:
        raise ApiError(404, "Filter not found", "Please check developers.pipedrive.com")
    with req.state.write():
        for fid in found:
            req.state.remove("filters", fid)
    return ok({"id": [int(p) for p in found]})


@route("GET", "/filters/helpers")
def filters_helpers(req: Request) -> tuple[int, dict]:
    return ok(HELPERS)


@route("GET", "/filters/{id}")
def filters_get(req: Request) -> tuple[int, dict]:
    return ok(detail(_filter(req, req.params["id"])))


@route("PUT", "/filters/{id}")
def filters_update(req: Request) -> tuple[int, dict]:
    doc = _filter(req, req.params["id"])
    name = _name(req.body, False)
    conditions = check_conditions(req.body.get("conditions"))
    with req.state.write():
        changed = {**doc, "_conditions": conditions, **({"name": name} if name is not None else {})}
        if changed != doc:
            changed["update_time"] = plain(req.state.clock.now())
        req.state.save("filters", changed)
    return ok(detail(changed))


@route("DELETE", "/filters/{id}")
def filters_delete(req: Request) -> tuple[int, dict]:
    doc = _filter(req, req.params["id"])
    with req.state.write():
        req.state.remove("filters", str(doc["id"]))
    return ok({"id": doc["id"]})

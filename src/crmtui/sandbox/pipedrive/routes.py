"""The Pipedrive sandbox's routes: users, leads, lead labels, sources and fields, persons and
organizations by id, saved filters (listed and evaluated here), lead search. Each handler gets a
Request and returns (status, envelope) or (status, Binary). The other families (filters.py writes,
itemsearch.py, files.py, goals.py, teams.py) register their routes on import, at the end of this
module; the order of registration is the order of matching."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from crmtui.sandbox.pipedrive.scoring import render_item, search
from crmtui.sandbox.pipedrive.seed import SOURCES
from crmtui.sandbox.pipedrive.state import ApiError, PipedriveState, invalid, not_found, public

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
LABEL_COLORS = ("blue", "brown", "dark-gray", "gray", "green", "orange", "pink", "purple", "red", "yellow")
VISIBLE_TO = ("1", "3", "5", "7")
SORT_FIELDS = ("id", "title", "owner_id", "creator_id", "was_seen", "expected_close_date", "next_activity_id", "add_time", "update_time")
FILTER_TYPES = ("deals", "leads", "org", "people", "products", "activity", "projects")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass
class Request:
    method: str
    query: dict[str, str]
    body: dict[str, Any]
    user: dict
    state: PipedriveState
    params: dict[str, str] = field(default_factory=dict)
    uploads: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    """A multipart body's files: form field -> (file name, bytes)."""

    def int_param(self, name: str, default: int | None = None) -> int | None:
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise invalid(f'"{name}" must be a number') from None


@dataclass
class Binary:
    """An answer that is not JSON: a file's bytes, or a redirect (status 302 and a Location header)."""

    body: bytes
    content_type: str = "application/octet-stream"
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], tuple[int, Any]]
"""A route: (status, envelope dict), or (status, Binary)."""
ROUTES: list[tuple[str, str, re.Pattern[str], Handler]] = []
"""(method, template as in the spec, its regex, handler)."""


def route(method: str, template: str) -> Callable[[Handler], Handler]:
    regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")

    def decorate(handler: Handler) -> Handler:
        ROUTES.append((method, template, regex, handler))
        return handler

    return decorate


def match(method: str, path: str) -> tuple[str, Handler, dict[str, str]] | None:
    """The route for (method, path) as (template, handler, path params); None when there is none."""
    for route_method, template, regex, handler in ROUTES:
        found = regex.match(path)
        if found and route_method == method:
            return template, handler, found.groupdict()
    return None


def ok(data: object, status: int = 200, **extra: object) -> tuple[int, dict]:
    return status, {"success": True, "data": data, **extra}


# -- users ----------------------------------------------------------------------------------------


def render_user(user: dict, me: dict) -> dict:
    return {**public(user), "is_you": user["id"] == me["id"]}


@route("GET", "/users/me")
def users_me(req: Request) -> tuple[int, dict]:
    return ok({
        **render_user(req.user, req.user), "company_id": 7_001, "company_name": "Sandbox Ltd",
        "company_domain": "sandbox", "company_country": "IE", "company_industry": "Software",
        "language": {"language_code": "en", "country_code": "IE"},
    })


@route("GET", "/users")
def users_list(req: Request) -> tuple[int, dict]:
    return ok([render_user(u, req.user) for u in req.state.users()])


# -- leads ----------------------------------------------------------------------------------------


def render_lead(lead: dict) -> dict:
    return dict(lead)


def _lead(req: Request) -> dict:
    lead = req.state.tables["leads"].get(req.params["id"])
    if lead is None:
        raise not_found("lead")
    return lead


def _key(name: str) -> Callable[[dict], Any]:
    return lambda lead: lead[name]


def _sort(leads: list[dict], raw: str | None) -> list[dict]:
    """Pipedrive's `sort`: "field ASC, other DESC" over a fixed set of fields; default oldest first."""
    out = sorted(leads, key=lambda lead: (lead["add_time"], lead["id"]))
    if not raw:
        return out
    keys: list[tuple[str, bool]] = []
    for part in raw.split(","):
        words = part.split()
        if not words or len(words) > 2 or words[0] not in SORT_FIELDS or (len(words) == 2 and words[1].upper() not in ("ASC", "DESC")):
            raise invalid(f'"sort" must be a comma list of {", ".join(SORT_FIELDS)} with ASC or DESC')
        keys.append((words[0], len(words) == 2 and words[1].upper() == "DESC"))
    for name, desc in reversed(keys):  # stable sorts, last key first
        present = [lead for lead in out if lead.get(name) is not None]
        missing = [lead for lead in out if lead.get(name) is None]
        present.sort(key=_key(name), reverse=desc)
        out = present + missing
    return out


def _compare(actual: object, operator: str, expected: object) -> bool:
    if operator == "IS NULL":
        return actual is None
    if operator == "IS NOT NULL":
        return actual is not None
    if operator == "LIKE '%$%'":
        return actual is not None and str(expected).casefold() in str(actual).casefold()
    if operator in ("LIKE '$%'", "NOT LIKE '$%'"):
        starts = actual is not None and str(actual).casefold().startswith(str(expected).casefold())
        return starts if operator == "LIKE '$%'" else not starts
    if isinstance(actual, list):  # label_ids: "=" means "has this label"
        has = str(expected) in actual
        return has if operator == "=" else not has if operator == "!=" else False
    if actual is None:
        return operator == "!="
    try:
        if isinstance(actual, (int, float)) and not isinstance(actual, bool):
            expected = float(str(expected))
        elif isinstance(actual, str):
            expected = str(expected)
        if operator == "=":
            return actual == expected
        if operator == "!=":
            return actual != expected
        if operator == "<":
            return actual < expected  # type: ignore[operator]
        if operator == ">":
            return actual > expected  # type: ignore[operator]
        if operator == ">=":
            return actual >= expected  # type: ignore[operator]
        if operator == "<=":
            return actual <= expected  # type: ignore[operator]
    except (TypeError, ValueError):
        return False
    return False


DATE_FIELDS = ("add_time", "update_time", "expected_close_date", "archive_time")
_RELATIVE = re.compile(r"^(?:(\d+)_(week|month)s?_ago|in_(\d+)_(week|month)s?)$")


def relative_date(name: str, today: dt.date) -> str | None:
    """A filter's relative date (`today`, `3_weeks_ago`, `in_2_months`, ...) as YYYY-MM-DD; None if it is not one."""
    fixed = {"today": 0, "now": 0, "yesterday": -1, "tomorrow": 1}
    if name in fixed:
        return (today + dt.timedelta(days=fixed[name])).isoformat()
    found = _RELATIVE.match(name)
    if not found:
        return None
    count = int(found.group(1) or found.group(3))
    sign = -1 if found.group(1) else 1
    days = count * (7 if (found.group(2) or found.group(4)) == "week" else 30)
    return (today + dt.timedelta(days=sign * days)).isoformat()


def _field(lead: dict, field_id: str) -> object:
    if field_id == "value":
        value = lead.get("value") or {}
        return value.get("amount")  # `{}` and null both mean "no value"
    if field_id in DATE_FIELDS and isinstance(lead.get(field_id), str):
        return lead[field_id][:10]  # compared as dates
    return lead.get(field_id)


def lead_matches(lead: dict, node: dict, today: dt.date | None = None) -> bool:
    """Evaluate a filter's conditions tree (glue and/or, nested groups, leaf conditions) on one lead."""
    if "glue" in node:
        parts = [lead_matches(lead, child, today) for child in node.get("conditions") or []]
        if not parts:
            return True
        return all(parts) if node["glue"] == "and" else any(parts)
    field_id, expected = str(node.get("field_id")), node.get("value")
    if field_id in DATE_FIELDS and isinstance(expected, str) and today is not None:
        expected = relative_date(expected, today) or expected
    return _compare(_field(lead, field_id), str(node.get("operator")), expected)


def _page(req: Request) -> tuple[int, int]:
    start = req.int_param("start", 0) or 0
    limit = req.int_param("limit", DEFAULT_LIMIT) or DEFAULT_LIMIT
    if start < 0:
        raise invalid('"start" must be greater than or equal to 0')
    if limit < 1:
        raise invalid('"limit" must be greater than or equal to 1')
    return start, min(limit, MAX_LIMIT)


def _list_leads(req: Request, archived: bool | None) -> tuple[int, dict]:
    start, limit = _page(req)
    status = req.query.get("archived_status")
    if status is not None:
        if status not in ("archived", "not_archived", "all"):
            raise invalid('"archived_status" must be one of [archived, not_archived, all]')
        archived = None if status == "all" else status == "archived"
    leads = [lead for lead in req.state.tables["leads"].values() if archived is None or lead["is_archived"] == archived]
    filter_id = req.int_param("filter_id")
    if filter_id is not None:  # wins over owner_id, person_id and organization_id
        saved = req.state.tables["filters"].get(str(filter_id))
        if saved is None or saved["type"] != "leads":
            raise invalid(f'"filter_id" {filter_id} is not a leads filter')
        today = req.state.clock.now().date()
        leads = [lead for lead in leads if lead_matches(lead, saved["_conditions"], today)]
    else:
        for name in ("owner_id", "person_id", "organization_id"):
            wanted = req.int_param(name)
            if wanted is not None:
                leads = [lead for lead in leads if lead.get(name) == wanted]
    leads = _sort(leads, req.query.get("sort"))
    page = leads[start : start + limit]
    more = start + limit < len(leads)
    return ok([render_lead(lead) for lead in page], additional_data={"start": start, "limit": limit, "more_items_in_collection": more})


@route("GET", "/leads")
def leads_list(req: Request) -> tuple[int, dict]:
    return _list_leads(req, False)


@route("GET", "/leads/archived")
def leads_archived(req: Request) -> tuple[int, dict]:
    return _list_leads(req, True)


@route("GET", "/leads/search")
def leads_search(req: Request) -> tuple[int, dict]:
    term, exact = search_term(req)
    fields = search_fields(req, ("custom_fields", "notes", "title"))
    start, limit = _page(req)
    person_id, org_id = req.int_param("person_id"), req.int_param("organization_id")
    found = [
        hit for hit in search(req.state, term, ("lead",), fields, exact)
        if (person_id is None or hit[2]["person_id"] == person_id) and (org_id is None or hit[2]["organization_id"] == org_id)
    ]
    items = [{"result_score": score, "item": render_item(req.state, kind, doc)} for score, kind, doc in found[start : start + limit]]
    return ok({"items": items}, additional_data={"pagination": pagination(start, limit, len(found))})


def search_term(req: Request) -> tuple[str, bool]:
    """`term` (at least 2 characters, 1 with exact_match) and `exact_match`."""
    term = (req.query.get("term") or "").strip()
    exact = (req.query.get("exact_match") or "").lower() in ("true", "1")
    if len(term) < (1 if exact else 2):
        raise invalid('"term" must be at least 2 characters long (1 with exact_match)')
    return term, exact


def search_fields(req: Request, allowed: tuple[str, ...]) -> set[str]:
    """The comma list in `fields` (each one of `allowed`); all of them when absent."""
    raw = req.query.get("fields")
    if not raw:
        return set(allowed)
    fields = {part.strip() for part in raw.split(",") if part.strip()}
    if not fields or not fields <= set(allowed):
        raise invalid(f'"fields" must be a comma list of {", ".join(allowed)}')
    return fields


def pagination(start: int, limit: int, total: int) -> dict:
    """The nested `additional_data.pagination` of search and files answers."""
    more = start + limit < total
    out: dict[str, Any] = {"start": start, "limit": limit, "more_items_in_collection": more}
    if more:
        out["next_start"] = start + limit
    return out


def _check_lead_body(req: Request, body: dict, *, creating: bool) -> dict:
    """Validate like the real API (Joi): types, references that exist, null only where PATCH unsets."""
    state = req.state
    out: dict[str, Any] = {}
    allowed = {
        "title", "owner_id", "label_ids", "person_id", "organization_id", "value", "expected_close_date", "visible_to",
        "was_seen", "origin_id", "channel", "channel_id",
    } | (set() if creating else {"is_archived"})
    allowed -= {"origin_id"} if not creating else set()
    custom = custom_lead_fields(state)
    for name, value in body.items():
        if name in custom:
            out[name] = _check_custom(custom[name], value)
            continue
        if name not in allowed:
            raise invalid(f'"{name}" is not allowed')
        nullable = name in ("origin_id", "channel", "channel_id", "value") or (
            not creating and name in ("person_id", "organization_id", "expected_close_date")
        )
        if value is None:
            if not nullable:
                raise invalid(f'"{name}" must be a {"string" if name == "title" else "number" if name.endswith("_id") else "valid value"}')
            out[name] = None
            continue
        if name in ("title", "origin_id", "channel_id"):
            if not isinstance(value, str) or (name == "title" and not value.strip()):
                raise invalid(f'"{name}" must be a string' if not isinstance(value, str) else f'"{name}" is not allowed to be empty')
        elif name in ("owner_id", "person_id", "organization_id", "channel"):
            if not isinstance(value, int) or isinstance(value, bool):
                raise invalid(f'"{name}" must be a number')
            table = {"owner_id": "users", "person_id": "persons", "organization_id": "organizations"}.get(name)
            if table and str(value) not in state.tables[table]:
                raise invalid(f'"{name}" {value} does not exist')
        elif name in ("was_seen", "is_archived"):
            if not isinstance(value, bool):
                raise invalid(f'"{name}" must be a boolean')
        elif name == "label_ids":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise invalid('"label_ids" must be an array of strings')
            unknown = [v for v in value if v not in state.tables["lead_labels"]]
            if unknown:
                raise invalid(f'"label_ids" {unknown[0]} does not exist')
            value = sorted(set(value))
        elif name == "value":
            if (
                not isinstance(value, dict) or set(value) != {"amount", "currency"}
                or not isinstance(value["amount"], (int, float)) or isinstance(value["amount"], bool)
                or not isinstance(value["currency"], str) or len(value["currency"]) != 3
            ):
                raise invalid('"value" must have "amount" (a number) and "currency" (a 3-letter code)')
            value = {"amount": value["amount"], "currency": value["currency"].upper()}
        elif name == "expected_close_date":
            try:
                dt.date.fromisoformat(str(value))
            except ValueError:
                raise invalid('"expected_close_date" must be a date (YYYY-MM-DD)') from None
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value)):
                raise invalid('"expected_close_date" must be a date (YYYY-MM-DD)')
        elif name == "visible_to" and value not in VISIBLE_TO:
            raise invalid('"visible_to" must be one of [1, 3, 5, 7]')
        out[name] = value
    return out


def custom_lead_fields(state: PipedriveState) -> dict[str, dict]:
    """Custom lead fields by their 40-hex key (the ones an account adds; editable)."""
    return {f["key"]: f for f in state.tables["lead_fields"].values() if f["edit_flag"]}


def _check_custom(spec: dict, value: object) -> object:
    """A custom field's value: an option id for enum, text for text; null unsets it."""
    key = spec["key"]
    if value is None:
        return None
    if spec["field_type"] == "enum":
        ids = [o["id"] for o in spec["options"] or []]
        if isinstance(value, bool) or not isinstance(value, int) or value not in ids:
            raise invalid(f'"{key}" must be one of [{", ".join(map(str, ids))}]')
        return value
    if not isinstance(value, str):
        raise invalid(f'"{key}" must be a string')
    return value


def _apply(lead: dict, fields: dict, custom: dict[str, dict]) -> dict:
    """`lead` with `fields` set; a custom field set to null leaves the lead (custom fields appear only when set)."""
    out = {**lead, **fields}
    for key, value in fields.items():
        if key in custom and value is None:
            out.pop(key, None)
    return out


@route("POST", "/leads")
def leads_create(req: Request) -> tuple[int, dict]:
    fields = _check_lead_body(req, req.body, creating=True)
    if "title" not in fields:
        raise invalid('"title" is required')
    if fields.get("person_id") is None and fields.get("organization_id") is None:
        raise invalid('"person_id" or "organization_id" is required')
    state = req.state
    with state.write():
        now = state.now_ms()
        lead = {
            "id": state.new_uuid(), "title": fields["title"], "owner_id": fields.get("owner_id", req.user["id"]),
            "creator_id": req.user["id"], "label_ids": fields.get("label_ids", []), "person_id": fields.get("person_id"),
            "organization_id": fields.get("organization_id"), "source_name": "API", "origin": "API",
            "origin_id": fields.get("origin_id"), "channel": fields.get("channel"), "channel_id": fields.get("channel_id"),
            "is_archived": False, "was_seen": fields.get("was_seen", False), "value": fields.get("value"),
            "expected_close_date": fields.get("expected_close_date"), "next_activity_id": None,
            "add_time": now, "update_time": now, "visible_to": fields.get("visible_to", "3"),
            "cc_email": "sandbox+lead@pipedrivemail.com", "archive_time": None,
        }
        custom = custom_lead_fields(state)
        lead = _apply(lead, {k: v for k, v in fields.items() if k in custom}, custom)
        state.save("leads", lead)
    return ok(render_lead(lead), 201)


@route("GET", "/leads/{id}")
def leads_get(req: Request) -> tuple[int, dict]:
    return ok(render_lead(_lead(req)))


@route("PATCH", "/leads/{id}")
def leads_update(req: Request) -> tuple[int, dict]:
    lead = _lead(req)
    fields = _check_lead_body(req, req.body, creating=False)
    person = fields.get("person_id", lead["person_id"])
    org = fields.get("organization_id", lead["organization_id"])
    if person is None and org is None:
        raise invalid('"person_id" or "organization_id" is required')
    state = req.state
    with state.write():
        changed = _apply(lead, fields, custom_lead_fields(state))
        if "is_archived" in fields and fields["is_archived"] != lead["is_archived"]:
            changed["archive_time"] = state.now_ms() if fields["is_archived"] else None
        if changed != lead:
            changed["update_time"] = state.now_ms()
        state.save("leads", changed)
    return ok(render_lead(changed))


@route("DELETE", "/leads/{id}")
def leads_delete(req: Request) -> tuple[int, dict]:
    lead = _lead(req)
    with req.state.write():
        req.state.remove("leads", lead["id"])
    return ok({"id": lead["id"]})


# -- lead labels and sources ------------------------------------------------------------------------


def _label(req: Request) -> dict:
    label = req.state.tables["lead_labels"].get(req.params["id"])
    if label is None:
        raise not_found("lead label")
    return label


def _check_label(body: dict, *, creating: bool) -> dict:
    out: dict[str, str] = {}
    for name, value in body.items():
        if name not in ("name", "color"):
            raise invalid(f'"{name}" is not allowed')
        if name == "name" and (not isinstance(value, str) or not value.strip()):
            raise invalid('"name" must be a non-empty string')
        if name == "color" and value not in LABEL_COLORS:
            raise invalid(f'"color" must be one of [{", ".join(LABEL_COLORS)}]')
        out[name] = value
    if creating:
        for name in ("name", "color"):
            if name not in out:
                raise invalid(f'"{name}" is required')
    return out


@route("GET", "/leadLabels")
def labels_list(req: Request) -> tuple[int, dict]:
    return ok(sorted(req.state.tables["lead_labels"].values(), key=lambda label: (label["add_time"], label["id"])))


@route("POST", "/leadLabels")
def labels_create(req: Request) -> tuple[int, dict]:
    fields = _check_label(req.body, creating=True)
    state = req.state
    with state.write():
        now = state.now_ms()
        label = {"id": state.new_uuid(), "name": fields["name"], "color": fields["color"], "add_time": now, "update_time": now}
        state.save("lead_labels", label)
    return ok(label)


@route("PATCH", "/leadLabels/{id}")
def labels_update(req: Request) -> tuple[int, dict]:
    label = _label(req)
    fields = _check_label(req.body, creating=False)
    with req.state.write():
        changed = {**label, **fields}
        if changed != label:
            changed["update_time"] = req.state.now_ms()
        req.state.save("lead_labels", changed)
    return ok(changed)


@route("DELETE", "/leadLabels/{id}")
def labels_delete(req: Request) -> tuple[int, dict]:
    label = _label(req)
    state = req.state
    with state.write():
        state.remove("lead_labels", label["id"])
        for lead in list(state.tables["leads"].values()):
            if label["id"] in lead["label_ids"]:  # the label leaves every lead that had it
                state.save("leads", {**lead, "label_ids": [x for x in lead["label_ids"] if x != label["id"]], "update_time": state.now_ms()})
    return ok({"id": label["id"]})


@route("GET", "/leadFields")
def lead_fields_list(req: Request) -> tuple[int, dict]:
    start, limit = _page(req)
    labels = sorted(req.state.tables["lead_labels"].values(), key=lambda label: (label["add_time"], label["id"]))
    fields = []
    for doc in sorted(req.state.tables["lead_fields"].values(), key=lambda f: (f["order_nr"], f["id"])):
        if doc["key"] == "label_ids":  # the labels are the options, as they stand now
            doc = {**doc, "options": [{"id": x["id"], "label": x["name"], "color": x["color"]} for x in labels]}
        fields.append(public(doc))
    page = fields[start : start + limit]
    return ok(page, additional_data={"start": start, "limit": limit, "more_items_in_collection": start + limit < len(fields)})


@route("GET", "/leadSources")
def sources_list(req: Request) -> tuple[int, dict]:
    return ok([{"name": name} for name in SOURCES])


# -- persons, organizations, filters ----------------------------------------------------------------


def _by_int_id(req: Request, kind: str, what: str) -> dict:
    doc = req.state.tables[kind].get(req.params["id"])
    if doc is None:
        raise ApiError(404, f"{what} not found", "Please check developers.pipedrive.com")
    return doc


@route("GET", "/persons/{id}")
def persons_get(req: Request) -> tuple[int, dict]:
    return ok(public(_by_int_id(req, "persons", "Person")))


@route("GET", "/organizations/{id}")
def organizations_get(req: Request) -> tuple[int, dict]:
    return ok(public(_by_int_id(req, "organizations", "Organization")))


@route("GET", "/filters")
def filters_list(req: Request) -> tuple[int, dict]:
    kind = req.query.get("type")
    if kind is not None and kind not in FILTER_TYPES:
        raise invalid(f'"type" must be one of [{", ".join(FILTER_TYPES)}]')
    found = [public(f) for f in req.state.tables["filters"].values() if kind is None or f["type"] == kind]
    return ok(sorted(found, key=lambda f: f["id"]))

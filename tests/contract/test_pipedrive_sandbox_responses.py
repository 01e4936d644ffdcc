"""The Pipedrive sandbox's answers conform to the official Pipedrive v1 spec, and so do the requests
these tests send; plain httpx over loopback (no crmtui client).

Two tolerated deviations are deliberate:
- some seeded leads carry `value: {}`, the shape real Pipedrive answers have (BACKENDS.md 2.1) where
  the spec wants null or {amount, currency}; `test_empty_values_are_the_only_deviation` checks they
  exist and are all the spec would object to;
- timestamps in Pipedrive's `YYYY-MM-DD HH:MM:SS` (UTC, no zone: fields, files, teams, as the spec's
  own examples show) where a schema says `format: date-time`; `test_plain_times_are_the_only_deviation`
  checks the spec objects to them and to nothing else there;
- a file's unset links (`deal_id`, `person_id`, ..., `lead_id`) and `description` answer null, where the
  spec types them as non-nullable; `test_null_file_links_are_the_only_deviation` checks that; so do an
  activity's (`deal_id`, `person_id`, `org_id`: `test_null_activity_links_are_the_only_deviation`);
- an open-ended goal answers `duration.end: null` (what the request takes) where the answer's schema
  says string; `test_open_ended_goals_are_the_only_deviation` checks that.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from crmtui.sandbox.pipedrive.costs import TOKEN_COSTS
from crmtui.sandbox.pipedrive.api import ROUTES  # every route, registered
from tests.support.openapi import SpecValidator, assert_conforms
from tests.support.pipedrive_spec import load_pipedrive_validator, request_problems, response_problems, spec_url
from tests.support.waits import HANG_GUARD


@pytest.fixture(scope="module")
def validator() -> SpecValidator:
    return load_pipedrive_validator()


@pytest.fixture
def http(pipedrive_sandbox):
    headers = {"x-api-token": pipedrive_sandbox.api_token}
    with httpx.Client(base_url=pipedrive_sandbox.base_url, headers=headers, timeout=HANG_GUARD) as client:
        yield client


PLAIN_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def with_t_times(body: Any) -> Any:
    """`body` with every `YYYY-MM-DD HH:MM:SS` string read as `YYYY-MM-DDTHH:MM:SS` (the deliberate deviation)."""
    if isinstance(body, dict):
        return {key: with_t_times(value) for key, value in body.items()}
    if isinstance(body, list):
        return [with_t_times(value) for value in body]
    if isinstance(body, str) and PLAIN_TIME.match(body):
        return body.replace(" ", "T")
    return body


FILE_LINKS = ("deal_id", "person_id", "org_id", "product_id", "activity_id", "lead_id", "description")


def without_null_links(body: Any) -> Any:
    """A files answer with its unset links (null, the real API's shape) left out, as the spec's non-nullable schema wants."""
    data = body.get("data") if isinstance(body, dict) else None
    for doc in data if isinstance(data, list) else [data] if isinstance(data, dict) else []:
        if isinstance(doc, dict):
            for key in FILE_LINKS:
                if key in doc and doc[key] is None:
                    del doc[key]
    return body


def without_open_ends(body: Any) -> Any:
    """A goals answer with each open-ended goal's `duration.end: null` left out (the request takes null; the answer schema says string)."""
    data = body.get("data") if isinstance(body, dict) else None
    goals = (data.get("goals") or [data.get("goal")]) if isinstance(data, dict) else []
    for goal in goals:
        if isinstance(goal, dict) and isinstance(goal.get("duration"), dict) and goal["duration"].get("end", "") is None:
            del goal["duration"]["end"]
    return body


def answer_problems(validator: SpecValidator, response: httpx.Response) -> list[str]:
    """The spec's objections to `response`, both deliberate deviations tolerated."""
    if "json" not in response.headers.get("content-type", ""):
        return response_problems(validator, response)
    tolerant = httpx.Response(
        response.status_code, headers=response.headers, request=response.request,
        content=json.dumps(without_open_ends(without_null_links(with_t_times(response.json())))).encode(),
    )
    return response_problems(validator, tolerant)


TEAM_UPDATE = {"name", "description", "manager_id", "users", "active_flag", "deleted_flag"}
_CLOSED_BRANCH = re.compile(r"^PUT /legacyTeams/\{id\} body \(root\): Additional properties are not allowed \((.*) (?:was|were) unexpected\)$")


def sent_problems(validator: SpecValidator, response: httpx.Response) -> list[str]:
    """The spec's objections to the request, less one false positive of the request check: it closes
    each branch of an `allOf` on its own, so updateTeamRequest (addTeamRequest's fields allOf the
    flags) rejects any body; a property of either branch is what the spec means to allow."""
    out = []
    for problem in request_problems(validator, response):
        found = _CLOSED_BRANCH.match(problem)
        if found and set(re.findall(r"'(\w+)'", found.group(1))) <= TEAM_UPDATE:
            continue
        out.append(problem)
    return out


def walk_more(send, sandbox, leads: list[dict]) -> None:
    """The routes added after the first slice."""
    # (custom field values in a lead's body are real-API behaviour the spec's request schema forbids:
    # tested over loopback in tests/integration/test_pipedrive_sandbox_more.py, not sent here)
    send("GET", "/leadFields")
    send("GET", "/leadFields", params={"start": 3, "limit": 4})
    conditions = {"glue": "and", "conditions": [
        {"glue": "and", "conditions": [{"object": "lead", "field_id": "owner_id", "operator": "=", "value": sandbox.users[1]["id"], "extra_value": None}]},
        {"glue": "or", "conditions": [{"object": "lead", "field_id": "add_time", "operator": ">", "value": "3_months_ago", "extra_value": None}]},
    ]}
    made = send("POST", "/filters", json={"name": "Priya's recent", "type": "leads", "conditions": conditions}).json()["data"]
    send("GET", f"/filters/{made['id']}")
    send("PUT", f"/filters/{made['id']}", json={"name": "Renamed", "conditions": conditions})
    send("GET", "/leads", params={"filter_id": made["id"]})
    send("DELETE", f"/filters/{made['id']}")
    extra = [send("POST", "/filters", json={"name": f"x{n}", "type": "leads", "conditions": conditions}).json()["data"]["id"] for n in range(2)]
    send("DELETE", "/filters", params={"ids": ",".join(map(str, extra))})
    send("GET", "/filters/helpers")
    from crmtui.sandbox.pipedrive.seed import NOTES_KEY

    send("GET", "/itemSearch", params={"term": "acme", "limit": 20})
    send("GET", "/itemSearch", params={"term": "licences", "item_types": "lead", "start": 2, "limit": 3})
    person = sandbox.state.tables["persons"]["7"]
    send("GET", "/itemSearch", params={"term": person["email"][0]["value"], "fields": "email", "search_for_related_items": "true"})
    send("GET", "/itemSearch", params={"term": person["name"], "item_types": "person", "exact_match": "true"})
    send("GET", "/itemSearch/field", params={"term": "call", "field_type": "leadField", "field_key": NOTES_KEY})
    send("GET", "/itemSearch/field", params={"term": "Acme", "field_type": "organizationField", "field_key": "name", "return_item_ids": "true"})
    send("GET", "/leads/search", params={"term": "discount", "fields": "custom_fields"})
    files = send("GET", "/files").json()["data"]
    send("GET", "/files", params={"start": 1, "limit": 2, "sort": "update_time"})
    send("GET", f"/files/{files[0]['id']}")
    send("GET", f"/files/{files[0]['id']}/download")
    made = send("POST", "/files", data={"lead_id": leads[2]["id"]}, files={"file": ("offer.pdf", b"%PDF-1.4 sandbox", "application/pdf")}).json()["data"]
    send("PUT", f"/files/{made['id']}", data={"name": "Offer", "description": "signed"})
    send("DELETE", f"/files/{made['id']}")
    send("GET", f"/files/{made['id']}")
    send("POST", "/files/remote", data={"file_type": "gsheet", "title": "Numbers", "item_type": "person", "item_id": "4", "remote_location": "googledrive"})
    send("POST", "/files/remoteLink", data={"item_type": "organization", "item_id": "3", "remote_id": "x1", "remote_location": "googledrive"})
    mine = send("GET", "/goals/find").json()["data"]["goals"]
    send("GET", "/goals/find", params={"type.name": "deals_won", "is_active": "true"})
    send("GET", "/goals/find", params={"period.start": "2026-01-01", "period.end": "2026-03-31"})
    send("GET", f"/goals/{mine[0]['id']}/results", params={"period.start": "2026-01-01", "period.end": "2026-03-31"})
    goal = send("POST", "/goals", json={
        "title": "Calls", "assignee": {"id": sandbox.users[0]["id"], "type": "person"},
        "type": {"name": "activities_completed", "params": {"activity_type_id": [1]}},
        "expected_outcome": {"target": 40, "tracking_metric": "quantity"}, "duration": {"start": "2026-01-01", "end": "2026-12-31"},
        "interval": "monthly",
    }).json()["data"]["goal"]
    send("PUT", f"/goals/{goal['id']}", json={"title": "Calls made", "interval": "quarterly"})
    send("DELETE", f"/goals/{goal['id']}")
    users = [u["id"] for u in sandbox.users]
    send("GET", "/legacyTeams")
    send("GET", "/legacyTeams", params={"order_by": "name", "skip_users": 1})
    send("GET", "/legacyTeams/1")
    send("GET", "/legacyTeams/99")
    send("GET", "/legacyTeams/1/users")
    send("GET", f"/legacyTeams/user/{users[2]}")
    team = send("POST", "/legacyTeams", json={"name": "Inbound", "manager_id": users[8], "description": "Leads desk", "users": [users[9]]}).json()["data"]
    send("PUT", f"/legacyTeams/{team['id']}", json={"name": "Inbound desk", "active_flag": 0})
    send("POST", f"/legacyTeams/{team['id']}/users", json={"users": [users[2]]})
    send("DELETE", f"/legacyTeams/{team['id']}/users", json={"users": [users[2]]})
    send("PUT", f"/legacyTeams/{team['id']}", json={"deleted_flag": 1})
    send("PUT", "/legacyTeams/99", json={"name": "x"})
    send("POST", "/legacyTeams", json={"name": "Rogue", "manager_id": users[1]}, headers={"x-api-token": sandbox.regular_token})
    activities = send("GET", "/activities", params={"user_id": 0, "done": 0, "limit": 50}).json()["data"]
    send("GET", "/activities", params={"user_id": 0, "type": "call", "start_date": "2026-03-01", "end_date": "2026-03-31", "start": 2, "limit": 5})
    send("GET", "/activities", params={"done": 1})
    send("GET", f"/activities/{activities[0]['id']}")
    send("PUT", f"/activities/{activities[0]['id']}", json={"done": 1})
    send("PUT", f"/activities/{activities[0]['id']}", json={"done": 0, "subject": "Call back", "due_date": "2026-03-20", "due_time": "10:30"})
    for visible in ("1", "3", "7"):  # the seed's visibilities
        send("GET", f"/leads/{next(lead['id'] for lead in leads if str(lead['visible_to']) == visible)}/permittedUsers")
    # (an unknown lead's 404 is not declared for permittedUsers: tested over loopback)
    # (filters' and item search's 400 and 404 answers are not declared by the spec: tested over
    # loopback, not sent here; nor are leads' ids from /itemSearch/field with return_item_ids, UUIDs
    # where the spec says integer, as lead ids are everywhere else)


def walk(http: httpx.Client, sandbox) -> list[httpx.Response]:
    """One request (or a few) for every route of the slice, successes and declared errors."""
    out: list[httpx.Response] = []

    def send(method: str, path: str, **kwargs) -> httpx.Response:
        response = http.request(method, path, **kwargs)
        response.request.read()  # a multipart body is a stream until read; the request check reads it
        out.append(response)
        return response

    send("GET", "/users/me")
    send("GET", "/users")
    leads = send("GET", "/leads", params={"limit": 500}).json()["data"]
    send("GET", "/leads", params={"start": 100, "limit": 50, "sort": "title"})
    user = sandbox.users[1]["id"]
    send("GET", "/leads", params={"owner_id": user})
    send("GET", "/leads", params={"person_id": leads[0]["person_id"] or 1})
    send("GET", "/leads", params={"organization_id": leads[0]["organization_id"]})
    send("GET", "/leads", params={"filter_id": 1})
    send("GET", "/leads/archived", params={"limit": 20})
    send("GET", "/leads/search", params={"term": "renewal", "limit": 5})
    send("GET", "/leads/search", params={"term": leads[0]["title"], "exact_match": "true"})
    send("GET", f"/leads/{leads[0]['id']}")
    send("GET", "/leads/00000000-0000-4000-8000-000000000000")
    labels = send("GET", "/leadLabels").json()["data"]
    created = send("POST", "/leads", json={
        "title": "Contract check", "organization_id": 1, "label_ids": [labels[0]["id"]],
        "value": {"amount": 1200, "currency": "EUR"}, "expected_close_date": "2026-04-01", "visible_to": "3",
    }).json()["data"]
    send("PATCH", f"/leads/{created['id']}", json={"title": "Contract check (renamed)", "value": None, "is_archived": True})
    send("PATCH", "/leads/00000000-0000-4000-8000-000000000000", json={"title": "x"})
    send("DELETE", f"/leads/{created['id']}")
    send("DELETE", f"/leads/{created['id']}")
    label = send("POST", "/leadLabels", json={"name": "Contract", "color": "dark-gray"}).json()["data"]
    send("PATCH", f"/leadLabels/{label['id']}", json={"color": "yellow"})
    send("PATCH", "/leadLabels/00000000-0000-4000-8000-000000000000", json={"color": "yellow"})
    send("DELETE", f"/leadLabels/{label['id']}")
    send("DELETE", f"/leadLabels/{label['id']}")
    send("GET", "/leadSources")
    send("GET", f"/persons/{leads[0]['person_id'] or 1}")
    send("GET", f"/organizations/{leads[0]['organization_id']}")
    send("GET", "/filters")
    send("GET", "/filters", params={"type": "leads"})
    walk_more(send, sandbox, leads)
    return out


def test_every_answer_conforms(pipedrive_sandbox, http: httpx.Client, validator: SpecValidator) -> None:
    pipedrive_sandbox.limits.burst = 10_000  # the walk is one burst; limits are tested elsewhere
    pipedrive_sandbox.limits.search_burst = 10_000
    problems: list[str] = []
    for response in walk(http, pipedrive_sandbox):
        problems += sent_problems(validator, response)
        problems += answer_problems(validator, response)
    assert_conforms(problems, "Pipedrive sandbox")


def test_every_route_is_walked(pipedrive_sandbox, http: httpx.Client, validator: SpecValidator) -> None:
    pipedrive_sandbox.limits.burst = 10_000
    pipedrive_sandbox.limits.search_burst = 10_000
    hit = set()
    for response in walk(http, pipedrive_sandbox):
        op, _, problems = validator.match(response.request.method, spec_url(str(response.request.url)))
        assert op is not None, problems
        hit.add((response.request.method, op.template))
    routes = {(method, template) for method, template, _, _ in ROUTES}
    assert routes - hit == set(), "routes no request walked"


def test_empty_values_are_the_only_deviation(pipedrive_sandbox, http: httpx.Client, validator: SpecValidator) -> None:
    """Some seeded leads answer `value: {}` (real Pipedrive does); the spec objects to those and nothing else."""
    response = http.get("/leads", params={"limit": 500})
    empty = [lead for lead in response.json()["data"] if lead["value"] == {}]
    assert len(empty) >= 10
    raw = response_problems(validator, response, tolerate_empty_values=False)
    assert raw, "the spec should object to value: {}"
    listed = [p for p in raw if not p.endswith("more")]  # the validator lists 15 and counts the rest
    assert all(re.search(r"\$\.data\[\d+\]\.value: '(amount|currency)' is a required property", p) for p in listed), raw
    flagged = {int(m) for p in listed for m in re.findall(r"\$\.data\[(\d+)\]", p)}
    assert all(response.json()["data"][i]["value"] == {} for i in flagged)


def test_token_costs_match_the_spec(validator: SpecValidator) -> None:
    """The sandbox's own cost table (it cannot read the spec on users' machines) equals the spec's x-token-cost."""
    spec = {
        (method.upper(), path): op["x-token-cost"]
        for path, item in validator.raw["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict) and "x-token-cost" in op
    }
    assert {key: spec.get(key) for key in TOKEN_COSTS} == TOKEN_COSTS
    served = {(method, template) for method, template, _, _ in ROUTES}
    assert served == set(TOKEN_COSTS), "every route has a cost and every cost a route"


def test_plain_times_are_the_only_deviation(pipedrive_sandbox, http: httpx.Client, validator: SpecValidator) -> None:
    """Lead fields answer `add_time: "YYYY-MM-DD HH:MM:SS"` (as the real API and the spec's example do);
    the schema's `format: date-time` objects to that and to nothing else."""
    response = http.get("/leadFields")
    raw = response_problems(validator, response)
    assert raw, "the spec should object to plain times"
    listed = [p for p in raw if not p.endswith("more")]
    assert all(re.search(r"\.(add_time|update_time): '\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}' is not a 'date-time'", p) for p in listed), raw
    assert answer_problems(validator, response) == []


def test_null_file_links_are_the_only_deviation(pipedrive_sandbox, http: httpx.Client, validator: SpecValidator) -> None:
    response = http.get("/files")
    raw = response_problems(validator, response)
    assert raw, "the spec should object to null links"
    listed = [p for p in raw if not p.endswith("more")]
    assert all(re.search(r"\.(deal_id|product_id|activity_id|person_id|org_id|description): None is not of type", p) for p in listed), raw
    assert answer_problems(validator, response) == []


def test_open_ended_goals_are_the_only_deviation(pipedrive_sandbox, http: httpx.Client, validator: SpecValidator) -> None:
    response = http.get("/goals/find")
    raw = response_problems(validator, response)
    assert raw, "the spec should object to an open end"
    assert all(re.search(r"\.duration\.end: None is not of type 'string'", p) for p in raw), raw
    assert answer_problems(validator, response) == []


def test_null_activity_links_are_the_only_deviation(pipedrive_sandbox, http: httpx.Client, validator: SpecValidator) -> None:
    """An activity's unset links answer null (the real API's shape); the spec's integers object to that and nothing else."""
    response = http.get("/activities", params={"user_id": 0, "limit": 500})
    raw = response_problems(validator, response)
    assert raw, "the spec should object to null links"
    listed = [p for p in raw if not p.endswith("more")]
    assert all(re.search(r"\.(deal_id|person_id|org_id): None is not of type", p) for p in listed), raw
    assert answer_problems(validator, response) == []

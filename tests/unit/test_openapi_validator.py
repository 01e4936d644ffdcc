"""The contract validator itself: it must reject what the spec forbids, or contract tests prove nothing."""

from __future__ import annotations

import json

import pytest

from tests.support.openapi import SpecValidator, assert_conforms, require_spec

BASE = "http://127.0.0.1:8000/api/v3"
ID = "5aba31e99007ba0f570c12f7"
OK_ENVELOPE = {"status": 0, "message": "OK", "timestamp": 1772000000}
ERROR_401 = {
    "status": 401,
    "message": "Authorization data not found",
    "error_name": "authorization_data_not_found",
    "error_message": "Cannot find suitable authorization data.",
    "errors": {},
}


@pytest.fixture(scope="module")
def validator() -> SpecValidator:
    require_spec()
    return SpecValidator.load()


def body(data: object) -> bytes:
    return json.dumps(data).encode()


# --- paths and methods ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "method,url",
    [
        ("GET", f"{BASE}/contacts.json?per_page=20&page=1"),
        ("GET", f"{BASE}/contacts"),
        ("GET", f"{BASE}/contacts/{ID}.json"),
        ("PUT", f"{BASE}/actions/{ID}/mark_as_done.json"),
        ("PUT", f"{BASE}/contacts/{ID}/assign_tag/Big%20fish.json"),
        ("DELETE", f"{BASE}/contacts/delete?ids={ID},{ID}"),
        ("POST", f"{BASE}/notifications/mark_all_as_read.json"),
    ],
)
def test_accepts_declared_paths(validator: SpecValidator, method: str, url: str) -> None:
    assert_conforms(validator.validate_request(method, url, b"", None))


@pytest.mark.parametrize(
    "method,url,fragment",
    [
        ("GET", f"{BASE}/contact.json", "no path in the spec matches"),
        ("GET", f"{BASE}/contacts/{ID}/everything", "no path in the spec matches"),
        ("GET", "http://127.0.0.1:8000/api/v2/contacts.json", "not under the API base path"),
        ("GET", "http://127.0.0.1:8000/contacts.json", "not under the API base path"),
        ("PATCH", f"{BASE}/contacts/{ID}.json", "method not in the spec"),
        ("DELETE", f"{BASE}/pipelines/{ID}.json", "method not in the spec"),
        ("POST", f"{BASE}/actions/{ID}/mark_as_done.json", "method not in the spec"),
    ],
)
def test_rejects_wrong_paths_and_methods(validator: SpecValidator, method: str, url: str, fragment: str) -> None:
    problems = validator.validate_request(method, url, b"", None)
    assert any(fragment in p for p in problems), problems


def test_self_contradicting_formats_are_relaxed(validator: SpecValidator) -> None:
    # the spec's own examples: call_result "interested" (format bson-id), since "2018-07-01" (date-time)
    call = {"contact_id": ID, "call_result": "interested"}
    assert_conforms(validator.validate_request("POST", f"{BASE}/calls.json", body(call), "application/json"))
    assert_conforms(validator.validate_request("GET", f"{BASE}/actions.json?since=2018-07-01"))


def test_literal_segments_win_over_templates(validator: SpecValidator) -> None:
    op, params, _ = validator.match("GET", f"{BASE}/contacts/cascade.json")
    assert op is not None and op.template == "/contacts/cascade" and params == {}
    op, params, _ = validator.match("GET", f"{BASE}/contacts/{ID}.json")
    assert op is not None and op.template == "/contacts/{contact_id}" and params == {"contact_id": ID}


# --- query parameters ----------------------------------------------------------------------


def test_accepts_declared_query_params(validator: SpecValidator) -> None:
    url = (
        f"{BASE}/action_stream.json?team=true&search=acme&starred=false&status_id={ID}&tag=VIP"
        "&sort_by=modified_at&order=desc&page=2&per_page=100&since=2026-03-01&until=1772668800"
    )
    assert_conforms(validator.validate_request("GET", url))


@pytest.mark.parametrize("name", ["since", "until", "modified_since", "unmodified_since"])
@pytest.mark.parametrize("value", ["2026-03-01", "1772668800", "0"])
def test_time_filters_accept_a_date_or_a_unix_timestamp(validator: SpecValidator, name: str, value: str) -> None:
    assert_conforms(validator.validate_request("GET", f"{BASE}/contacts.json?{name}={value}"))


@pytest.mark.parametrize("name", ["since", "until", "modified_since", "unmodified_since"])
@pytest.mark.parametrize(
    "value", ["2026-03-01T00:00:00Z", "2026-03-01T10:00:00+02:00", "2026-02-30", "1772668800.5", "yesterday", ""]
)
def test_time_filters_refuse_other_forms(validator: SpecValidator, name: str, value: str) -> None:
    # the spec's schema says format date-time but its description (and the API) want YYYY-MM-DD or
    # a UNIX timestamp: an ISO date-time must be caught.
    problems = validator.validate_request("GET", f"{BASE}/contacts.json?{name}={value}")
    assert any("YYYY-MM-DD" in p and name in p for p in problems), problems


@pytest.mark.parametrize(
    "url,fragment",
    [
        (f"{BASE}/action_stream.json?sort=name", "'sort' is not declared"),
        (f"{BASE}/notifications.json?search=x", "'search' is not declared"),
        (f"{BASE}/action_stream.json?sort_by=date", "is not one of"),
        (f"{BASE}/actions.json?order=up", "is not one of"),
        (f"{BASE}/deals.json?status=won&date_filter=birthday", "is not one of"),
        (f"{BASE}/action_stream.json?page=two", "is not of type 'integer'"),
        (f"{BASE}/action_stream.json?starred=1", "is not of type 'boolean'"),
        (f"{BASE}/deals.json?include_history=maybe", "is not of type 'boolean'"),
        (f"{BASE}/action_stream.json?page=1&page=2", "repeated"),
        (f"{BASE}/contacts/delete.json", "required query parameter 'ids' is missing"),
    ],
)
def test_rejects_bad_query_params(validator: SpecValidator, url: str, fragment: str) -> None:
    method = "DELETE" if "/contacts/delete" in url else "GET"
    problems = validator.validate_request(method, url)
    assert any(fragment in p for p in problems), problems


# --- request bodies ------------------------------------------------------------------------


def test_accepts_good_bodies(validator: SpecValidator) -> None:
    action = {"contact_id": ID, "text": "Call back", "status": "date", "date": "2026-03-12"}
    assert_conforms(validator.validate_request("POST", f"{BASE}/actions.json", body(action), "application/json"))
    note = {"contact_id": ID, "text": "Met at fair", "linked_deal_id": None}  # nullable in the spec
    assert_conforms(validator.validate_request("POST", f"{BASE}/notes.json", body(note), "application/json"))
    contact = {"first_name": "Ada", "last_name": "Lovelace", "emails": [{"type": "work", "value": "ada@x.io"}]}
    assert_conforms(
        validator.validate_request("POST", f"{BASE}/contacts.json", body(contact), "application/json; charset=utf-8")
    )


@pytest.mark.parametrize("value", ["Large", 12000, 12.5, ["Licences", "Support"], []])
def test_field_values_may_be_numbers_or_lists_of_strings(validator: SpecValidator, value: object) -> None:
    # the spec says string; real answers (and OnePageCRM's own client) use numbers and lists
    contact = {"last_name": "Lovelace", "custom_fields": [{"custom_field": {"id": ID}, "value": value}]}
    deal = {"contact_id": ID, "owner_id": ID, "name": "D", "deal_fields": [{"deal_field": {"id": ID}, "value": value}]}
    assert_conforms(validator.validate_request("PUT", f"{BASE}/contacts/{ID}.json", body(contact), "application/json"))
    assert_conforms(validator.validate_request("PUT", f"{BASE}/deals/{ID}.json", body(deal), "application/json"))


@pytest.mark.parametrize("value", [True, {"a": 1}, [1, 2], [["x"]]])
def test_field_values_of_other_shapes_are_refused(validator: SpecValidator, value: object) -> None:
    contact = {"last_name": "Lovelace", "custom_fields": [{"custom_field": {"id": ID}, "value": value}]}
    problems = validator.validate_request("PUT", f"{BASE}/contacts/{ID}.json", body(contact), "application/json")
    assert any("custom_fields[0].value" in p for p in problems), problems


def test_deal_bodies_take_commission_deal_fields_and_items(validator: SpecValidator) -> None:
    deal = {
        "contact_id": ID, "owner_id": ID, "name": "D", "commission_base": "margin", "commission_type": "percentage",
        "commission": 12.5, "commission_percentage": 10.0, "has_deal_items": True,
        "deal_items": [{"name": "Panel", "description": "", "cost": 1.0, "price": 2.0, "qty": 3}],
    }
    assert_conforms(validator.validate_request("PUT", f"{BASE}/deals/{ID}.json", body(deal), "application/json"))
    bad = {**deal, "commission_type": "some"}
    assert any("is not one of" in p for p in validator.validate_request("PUT", f"{BASE}/deals/{ID}.json", body(bad), "application/json"))


@pytest.mark.parametrize(
    "method,path,payload,fragment",
    [
        ("POST", "/actions.json", {"contact_id": ID, "text": 42}, "42 is not of type 'string'"),
        ("POST", "/actions.json", {"contact_id": ID, "text": "x", "status": "soon"}, "is not one of"),
        ("POST", "/actions.json", {"contact_id": ID, "text": "x", "date": "12/03/2026"}, "is not a 'date'"),
        ("POST", "/actions.json", {"contact_id": ID, "text": "x" * 141}, "is too long"),
        ("POST", "/actions.json", {"contact_id": "not-an-id", "text": "x"}, "is not a 'bson-id'"),
        ("POST", "/actions.json", {"contact_id": ID, "text": "x", "priority": 1}, "'priority' was unexpected"),
        ("POST", "/contacts.json", {"first_name": "A", "emails": "a@b.c"}, "is not of type 'array'"),
        ("POST", "/contacts.json", {"emails": [{"type": "office", "value": "a@b.c"}]}, "is not one of"),
        ("PUT", f"/deals/{ID}.json", {"amount": "a lot"}, "is not of type 'number'"),
        ("POST", "/actions.json", ["not", "an", "object"], "is not of type 'object'"),
    ],
)
def test_rejects_bad_bodies(validator: SpecValidator, method: str, path: str, payload: object, fragment: str) -> None:
    problems = validator.validate_request(method, BASE + path, body(payload), "application/json")
    assert any(fragment in p for p in problems), problems


def test_rejects_body_shape_problems(validator: SpecValidator) -> None:
    url = f"{BASE}/actions.json"
    assert any("not valid JSON" in p for p in validator.validate_request("POST", url, b"{", "application/json"))
    assert any("content type" in p for p in validator.validate_request("POST", url, b"a=b", "text/plain"))
    assert any("required" in p for p in validator.validate_request("POST", url, b"", None))
    done = f"{BASE}/actions/{ID}/mark_as_done.json"
    assert any("declares no request body" in p for p in validator.validate_request("PUT", done, b"{}", "application/json"))


# --- responses -----------------------------------------------------------------------------


def test_accepts_good_responses(validator: SpecValidator) -> None:
    action = {"id": ID, "contact_id": ID, "assignee_id": ID, "text": "Call", "status": "asap", "done": False}
    ok = body({**OK_ENVELOPE, "data": {"action": action}})
    assert_conforms(validator.validate_response("GET", f"{BASE}/actions/{ID}.json", 200, "application/json", ok))
    assert_conforms(
        validator.validate_response("GET", f"{BASE}/actions/{ID}.json", 401, "application/json", body(ERROR_401))
    )
    # 403 and 404 declare no content: a throttle text body is allowed
    assert_conforms(validator.validate_response("GET", f"{BASE}/contacts.json", 403, "text/plain", b"Slow down"))


@pytest.mark.parametrize(
    "status,content_type,payload,fragment",
    [
        (418, "application/json", ERROR_401, "status 418 is not declared"),
        (429, "application/json", ERROR_401, "status 429 is not declared"),
        (401, "text/plain", b"nope", "spec declares a JSON body"),
        (401, "application/json", {**ERROR_401, "status": "401"}, "is not of type 'integer'"),
        (400, "application/json", {"status": 400, "message": "bad"}, "envelope field(s) missing"),
        (200, "application/json", {**OK_ENVELOPE, "data": []}, "is not of type 'object'"),
        (200, "application/json", {**OK_ENVELOPE, "data": {"action": {"id": ID, "status": "later"}}}, "is not one of"),
        (200, "application/json", {**OK_ENVELOPE, "data": {"action": {"date": None}}}, "None is not of type 'string'"),
        (200, "application/json", {"data": {}}, "envelope field(s) missing: status, message, timestamp"),
    ],
)
def test_rejects_bad_responses(
    validator: SpecValidator, status: int, content_type: str, payload: object, fragment: str
) -> None:
    raw = payload if isinstance(payload, bytes) else body(payload)
    problems = validator.validate_response("GET", f"{BASE}/actions/{ID}.json", status, content_type, raw)
    assert any(fragment in p for p in problems), problems


def test_undeclared_4xx_can_use_the_generic_error_format(validator: SpecValidator) -> None:
    url = f"{BASE}/contacts.json"
    too_many = {**ERROR_401, "status": 429, "error_name": "too_many_requests"}
    assert_conforms(
        validator.validate_response("GET", url, 429, "application/json", body(too_many), allow_undeclared_4xx=True)
    )
    bad = validator.validate_response(
        "GET", url, 429, "application/json", body({"status": "429"}), allow_undeclared_4xx=True
    )
    assert bad


def test_assert_conforms_lists_problems() -> None:
    assert_conforms([])
    with pytest.raises(AssertionError, match="2 spec problem"):
        assert_conforms(["one", "two"], "ctx")

"""Crust's errors come with HTTP 200 and are told apart by their words; an edit is a whole-record merge.

- Every message the real server (and so the sandbox) answers maps to the right typed error, and the
  envelope is unwrapped before anyone sees a success: an error-as-200 is never a payload.
- `merge_record`: the server's copy with the person's changes on top, field by field; a clash only
  when the same field changed on both sides, differently.
- A JWT's subject and expiry are read without verifying it; the warning comes a day ahead.
- The wire models take what a server sends without failing on shape; ids never pass through a float.
"""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest

from crmtui.backends.crust import wire
from crmtui.backends.crust.adapter import columns, linked_ids, map_record
from crmtui.backends.crust.client import classify, clamp_per_page, normal_sort, unwrap
from crmtui.backends.crust.token import NotAToken, read_token
from crmtui.backends.errors import (
    AuthError,
    BackendError,
    MalformedResponse,
    NotFound,
    ServerError,
    TokenExpired,
    Unsupported,
    ValidationFailed,
)
from crmtui.domain.records import Module, ModuleField, RecordValue, merge_record
from crmtui.sandbox.crust.server import CHAOS_ERRORS

REAL_MESSAGES: list[tuple[str, type[BackendError]]] = [
    ("Unauthorized", AuthError),
    ("failed to authorize request: jwtauth: token is expired", TokenExpired),
    ("failed to authorize request: signature is invalid", AuthError),
    ("failed to authorize request: jwtauth: token is unauthorized", AuthError),
    ("failed to authorize request: token contains an invalid number of segments", AuthError),
    ("failed to authorize request: jwtauth: algorithm mismatch", AuthError),
    ("failed to authorize request: tokenstring should not contain 'bearer '", AuthError),
    ("failed to authorize request: illegal base64 data at input byte 4", AuthError),
    ("Malformed JWT claims", AuthError),
    ("Malformed JWT claims (sub not a string)", AuthError),
    ('Malformed JWT claims: strconv.ParseUint: parsing "x": invalid syntax', AuthError),
    ("http: named cookie not present", AuthError),
    ("Password doesn't match", AuthError),
    ("sql: no rows in result set", NotFound),
    ("Error while loading module for update: sql: no rows in result set", NotFound),
    ("Not implemented: Job.list", Unsupported),
    ("Not implemented: Workflow.create", Unsupported),
    ("Error when reading /chart-gauge.json", Unsupported),
    ("Error creating module: no fields", ValidationFailed),
    ("Error updating module: no fields", ValidationFailed),
    ("Error updating module: invalid ID", ValidationFailed),
    ("Error when saving content, invalid ID", ValidationFailed),
    ("No content: json: cannot unmarshal string into Go value of type []types.ContentColumn", ValidationFailed),
    ("Error when saving content, no content: unexpected end of JSON input", ValidationFailed),
    ("error parsing http request body: invalid character 'x' looking for beginning of value", ValidationFailed),
    ("error parsing http request body: json: cannot unmarshal number into Go struct field ModuleCreate.name of type string",
     ValidationFailed),
    ("mime: no media type", ValidationFailed),
    ("mime: expected slash after first token", ValidationFailed),
    ("Page for module already exists", ValidationFailed),
    ("Module has no fields", ValidationFailed),
    *((message, ServerError) for message in CHAOS_ERRORS),
]


@pytest.mark.parametrize(("message", "kind"), REAL_MESSAGES, ids=[m for m, _ in REAL_MESSAGES])
def test_every_real_message_maps_to_its_typed_error(message: str, kind: type[BackendError]) -> None:
    error = classify(message)
    assert type(error) is kind
    assert message in error.user_message  # the server's words stay visible


def test_other_messages_are_plain_errors_never_retried() -> None:
    for message in ("Error 1064: You have an error in your SQL syntax", "sandbox: KeyError: 'x'", ""):
        error = classify(message)
        assert type(error) is BackendError and not error.retryable


def test_database_failures_are_retryable() -> None:
    assert all(classify(m).retryable for m in CHAOS_ERRORS)


def answer(body: object, content_type: str = "application/json") -> httpx.Response:
    return httpx.Response(200, content=json.dumps(body).encode(), headers={"content-type": content_type})


def test_the_envelope_is_unwrapped_and_an_error_is_never_a_payload() -> None:
    assert unwrap(answer({"response": {"moduleID": "1"}})) == {"moduleID": "1"}
    assert unwrap(answer({"response": False})) is False
    assert unwrap(answer({"success": {"message": "OK"}})) is True
    with pytest.raises(NotFound):
        unwrap(answer({"error": {"message": "sql: no rows in result set", "trace": "..."}}))
    with pytest.raises(BackendError):
        unwrap(answer({"error": "no object"}))
    for bad in (answer([1, 2]), answer({"other": 1}), answer({"response": 1}, "text/html")):
        with pytest.raises(MalformedResponse):
            unwrap(bad)
    with pytest.raises(MalformedResponse):
        unwrap(httpx.Response(200, content=b"{not json", headers={"content-type": "application/json"}))


def test_per_page_and_sort_are_what_the_server_reads() -> None:
    assert [clamp_per_page(n) for n in (0, 3, 10, 50, 100, 500)] == [10, 10, 10, 50, 100, 100]
    assert normal_sort("") == "createdAt DESC"
    assert normal_sort("name asc , createdAt DESC") == "name ASC,createdAt DESC"  # no space after the comma
    with pytest.raises(ValueError):
        normal_sort("name sideways")


# -- the whole-record merge --------------------------------------------------------------------------


def v(text: str, *related: str) -> RecordValue:
    return RecordValue(value=text, related=list(related))


def test_my_changes_go_onto_the_servers_copy_field_by_field() -> None:
    read = {"a": v("1"), "b": v("2"), "c": v("3")}
    server = {"a": v("1"), "b": v("20"), "c": v("3"), "d": v("new")}  # someone changed b and added d
    merged = merge_record(read, {"a": v("10")}, server)
    assert not merged.clashes
    assert merged.values == {"a": v("10"), "b": v("20"), "c": v("3"), "d": v("new")}  # every field, mine on top


def test_a_clash_only_when_the_same_field_changed_differently_on_both_sides() -> None:
    read = {"a": v("1"), "b": v("2")}
    server = {"a": v("x"), "b": v("2")}
    clash = merge_record(read, {"a": v("y")}, server)
    assert set(clash.clashes) == {"a"} and "'x'" in clash.describe() and "'y'" in clash.describe()
    assert not merge_record(read, {"a": v("x")}, server).clashes  # the same change: no clash
    assert not merge_record(read, {"b": v("3")}, server).clashes  # another field: no clash


def test_links_count_as_part_of_a_value() -> None:
    read = {"contacts": v("1,2", "1", "2")}
    server = {"contacts": v("1,2", "2", "1")}  # the same links in another order: unchanged
    assert not merge_record(read, {"contacts": v("3", "3")}, server).clashes
    moved = {"contacts": v("1,2", "1", "5")}
    assert merge_record(read, {"contacts": v("3", "3")}, moved).clashes


def test_a_field_gone_from_the_server_clashes_with_a_change_to_it() -> None:
    read = {"a": v("1")}
    assert merge_record(read, {"a": v("2")}, {}).clashes
    assert merge_record({}, {"new": v("x")}, {}).values == {"new": v("x")}


def test_sent_columns_follow_the_module_and_carry_the_links_of_their_value() -> None:
    module = Module(id="1", fields=[ModuleField(name="name"), ModuleField(name="contacts", kind="related_multi"),
                                    ModuleField(name="account", kind="related")])
    sent = columns({"zzz": v("other"), "contacts": v("11,22"), "name": v("N"), "account": v("33", "33")}, module)
    assert [c["name"] for c in sent] == ["name", "contacts", "account", "zzz"]
    assert sent[1]["related"] == ["11", "22"] and sent[2]["related"] == ["33"] and "related" not in sent[0]
    assert linked_ids(" 1, x,2,1 ") == ["1", "2"]


# -- tokens and wire tolerance --------------------------------------------------------------------------


def token_with(claims: dict) -> str:
    import base64

    def seg(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    return f"{seg(b'{}')}.{seg(json.dumps(claims).encode())}.sig"


def test_a_tokens_subject_and_expiry_are_read_and_warned_a_day_ahead() -> None:
    exp = dt.datetime(2026, 3, 12, 9, 0, tzinfo=dt.timezone.utc)
    facts = read_token(token_with({"sub": "552043756388362775", "exp": int(exp.timestamp())}))
    assert facts.subject == "552043756388362775" and facts.expires == exp
    assert facts.warning(exp - dt.timedelta(days=2)) is None
    soon = facts.warning(exp - dt.timedelta(hours=5))
    assert soon is not None and "5 hour(s)" in soon and "crmtui login --backend crust" in soon
    assert "expired" in (facts.warning(exp) or "")
    assert read_token(token_with({"sub": "1"})).expires is None
    for bad in ("", "a.b", "x.!!!.y", f"a.{token_with([1]).split('.')[1]}.c"):  # type: ignore[arg-type]
        with pytest.raises(NotAToken):
            read_token(bad)


def test_wire_models_take_any_shape_and_keep_ids_exact() -> None:
    content = wire.Content.model_validate({
        "contentID": "609009895735306775", "moduleID": 552049896849418775, "userID": "0",
        "fields": [{"name": "a", "value": 5, "related": None}, "junk", {"name": "b", "value": True, "related": ["1", 2]}],
        "createdAt": "0001-01-01T00:00:00Z", "updatedAt": "2026-03-10T09:00:00.123456789Z", "user": "nobody",
    })
    record = map_record(content)
    assert record.id == "609009895735306775" and record.module_id == "552049896849418775"
    assert record.values == {"a": v("5"), "b": RecordValue(value="1", related=["1", "2"])}
    assert record.created_at is None and record.updated_at is not None and record.owner_id == ""
    assert wire.Content.model_validate({"contentID": 6.25e17}).content_id == ""  # a float lost the digits: no id
    page = wire.ContentList.model_validate({"meta": None, "contents": None})
    assert page.contents == [] and page.meta.count == 0

"""Pipedrive's wire models tolerate real answers, and the client types every error answer."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx
import pytest

from crmtui.backends.errors import (
    AuthError,
    BackendError,
    Blocked,
    MalformedResponse,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
    ValidationFailed,
)
from crmtui.backends.http import RetryPolicy
from crmtui.backends.pipedrive import wire
from crmtui.backends.pipedrive.adapter import lead_changes, map_lead
from crmtui.backends.pipedrive.client import PipedriveClient
from crmtui.domain.leads import Money

UTC = dt.timezone.utc
ONCE = RetryPolicy(attempts=1)


def test_a_real_lead_parses() -> None:
    lead = wire.Lead.model_validate({
        "id": "adf21080-0e10-11eb-879b-05d71fb426ec", "title": "Jane Doe Lead", "owner_id": 12345678,
        "creator_id": "12345678", "label_ids": [], "person_id": None, "organization_id": 9, "value": {},
        "expected_close_date": None, "next_activity_id": None, "is_archived": "1", "archive_time": "2024-06-20T09:23:35.359Z",
        "was_seen": True, "source_name": "Manually created", "origin": "ManuallyCreated", "channel": None,
        "visible_to": "3", "add_time": "2020-10-14T11:30:36.551Z", "update_time": "2019-01-22 08:55:59",
        "a" * 40: 17, "a" * 40 + "_currency": "EUR", "unknown_thing": {"x": 1},
    })
    assert lead.value is None and lead.person_id is None and lead.organization_id == "9" and lead.owner_id == "12345678"
    assert lead.add_time == dt.datetime(2020, 10, 14, 11, 30, 36, 551000, tzinfo=UTC)
    assert lead.update_time == dt.datetime(2019, 1, 22, 8, 55, 59, tzinfo=UTC)
    assert lead.is_archived and lead.custom_fields() == {"a" * 40: 17, "a" * 40 + "_currency": "EUR"}
    domain = map_lead(lead)
    assert domain.value is None and domain.custom == lead.custom_fields() and domain.archive_time is not None


@pytest.mark.parametrize("value", [None, {}, {"amount": 5}, {"currency": "EUR"}, "5 EUR", [], {"amount": "x", "currency": "EUR"}])
def test_no_value_is_none(value: Any) -> None:
    assert wire.Lead.model_validate({"id": "x", "value": value}).value is None


def test_odd_shapes_never_crash() -> None:
    lead = wire.Lead.model_validate({
        "id": 5, "title": None, "label_ids": "nope", "add_time": "2026-02-30 10:00:00", "expected_close_date": "soon",
        "value": {"amount": "1,200.50", "currency": "USD"},
    })
    assert lead.id == "5" and lead.title == "" and lead.label_ids == [] and lead.add_time is None
    assert lead.expected_close_date is None and lead.value is not None and lead.value.amount == 1200.5
    label = wire.LeadLabel.model_validate({"id": "u", "name": "Hot", "color": "ultraviolet"})
    assert label.color == "ultraviolet"  # an unknown colour is kept
    assert wire.Lead.model_validate("not an object").id == ""


def test_a_patch_sends_only_what_is_given_in_the_apis_types() -> None:
    assert lead_changes({"title": "T"}) == {"title": "T"}
    assert lead_changes({"value": None, "person_id": None}) == {"value": None, "person_id": None}
    assert lead_changes({"owner_id": "12", "expected_close_date": dt.date(2026, 1, 2), "value": Money(amount=3, currency="EUR")}) == {
        "owner_id": 12, "expected_close_date": "2026-01-02", "value": {"amount": 3.0, "currency": "EUR"},
    }
    with pytest.raises(TypeError):
        lead_changes({"next_activity_id": "1"})


def call(status: int, body: bytes, content_type: str = "application/json", headers: dict[str, str] | None = None) -> Any:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, content=body, headers={"content-type": content_type, **(headers or {})})

    async def go() -> Any:
        client = PipedriveClient("t" * 40, base_url="http://127.0.0.1:9/api/v1", transport=httpx.MockTransport(answer), retry=ONCE)
        try:
            return await client.lead("abc")
        finally:
            await client.aclose()

    try:
        return asyncio.run(go())
    finally:
        assert all(r.headers["x-api-token"] == "t" * 40 and "t" * 40 not in str(r.url) for r in seen)


@pytest.mark.parametrize(
    ("status", "body", "content_type", "error", "words"),
    [
        (401, b'{"success":false,"error":"unauthorized access","errorCode":401}', "application/json", AuthError, "API token"),
        (403, b'{"success":false,"error":"You do not have permissions to do this."}', "application/json", PermissionDenied, "permissions"),
        (403, b"<html>This error is produced by Cloudflare</html>", "text/html", Blocked, "blocked"),
        (404, b'{"success":false,"error":"requested lead not found","error_info":"Object was not found."}', "application/json", NotFound, "not found"),
        (400, b'{"success":false,"error":"provided dataset is not valid","error_info":"\\"owner_id\\" must be a number"}', "application/json", ValidationFailed, "owner_id"),
        (422, b'{"success":false,"error":"bad"}', "application/json", ValidationFailed, "bad"),
        (429, b'{"success":false,"error":"Request over limit"}', "application/json", RateLimited, "rate limit"),
        (502, b"<html>502 Bad Gateway</html>", "text/html", ServerError, "502"),
        (200, b'{"success":false,"error":"Something went wrong"}', "application/json", BackendError, "Something went wrong"),
        (200, b'{"success":false,"error":"gone","errorCode":404}', "application/json", NotFound, "gone"),
        (200, b"<html>a login page</html>", "text/html", MalformedResponse, "not JSON"),
        (200, b'{"data": {}}', "application/json", MalformedResponse, "envelope"),
    ],
)
def test_every_error_answer_is_typed(status: int, body: bytes, content_type: str, error: type, words: str) -> None:
    with pytest.raises(error) as caught:
        call(status, body, content_type)
    assert type(caught.value) is error and words.lower() in caught.value.user_message.lower()


def test_a_429_carries_retry_after() -> None:
    with pytest.raises(RateLimited) as caught:
        call(429, b'{"success":false}', headers={"Retry-After": "4"})
    assert caught.value.retry_after == 4 and not isinstance(caught.value, Blocked)

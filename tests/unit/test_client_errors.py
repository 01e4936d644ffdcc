"""Typed errors and retries of the real OnePageCRMClient.

Error shapes the sandbox can produce (401, 404, 400 with field errors, 409, 403-text and 429
throttling, 5xx, dropped connections, slow answers, refused connections) are tested against it,
switching its chaos options on and off. `httpx.MockTransport` is used only for what the sandbox
cannot produce: a 403 with a JSON body, 422, unexpected statuses, Retry-After as an HTTP date, a
429 on every request (the sandbox mixes 403 and 429), a refused connection followed by an answer,
and malformed success answers.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import json
import socket
import time
import types
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from crmtui.backends import http as http_module
from crmtui.backends.base import one_try
from crmtui.backends.errors import (
    AuthError,
    BackendError,
    Conflict,
    MalformedResponse,
    NotFound,
    Offline,
    PermissionDenied,
    RateLimited,
    ServerError,
    ValidationFailed,
)
from crmtui.backends.http import RetryPolicy
from crmtui.backends.onepagecrm.client import OnePageCRMClient
from tests.support.waits import HANG_GUARD

FAST = {"base_delay": 0.001, "max_delay": 0.01}
MOCK_URL = "https://crm.test/api/v3"
MOCK_USER, MOCK_KEY = "5aaa9b009007ba08c9ebaef7", "c+g0Y3VGHdIztKbHcjVcOuwf34EmFlXI9Qot5hTvb2F="


class Recorder:
    """Counts requests (through the client's event hooks) and records waits instead of sleeping."""

    def __init__(self, on_sleep: Callable[[], None] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.statuses: list[int] = []
        self.sleeps: list[float] = []
        self.on_sleep = on_sleep

    @property
    def hooks(self) -> dict[str, list[Any]]:
        async def on_request(request: httpx.Request) -> None:
            self.requests.append(request)

        async def on_response(response: httpx.Response) -> None:
            self.statuses.append(response.status_code)

        return {"request": [on_request], "response": [on_response]}

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if self.on_sleep is not None:
            self.on_sleep()

    def calls(self) -> list[str]:
        return [f"{r.method} {r.url.path.rsplit('/api/v3/', 1)[-1]}" for r in self.requests]


def make_client(
    base_url: str,
    user_id: str,
    api_key: str,
    recorder: Recorder,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: httpx.Timeout | None = None,
    **retry: Any,
) -> OnePageCRMClient:
    kw: dict[str, Any] = {"timeout": timeout} if timeout is not None else {}
    api = OnePageCRMClient(
        user_id,
        api_key,
        base_url=base_url,
        retry=RetryPolicy(**{**FAST, **retry}),
        transport=transport,
        event_hooks=recorder.hooks,
        **kw,
    )
    api.http._sleep = recorder.sleep
    return api


def on_sandbox(sandbox, recorder: Recorder, **retry: Any) -> OnePageCRMClient:
    return make_client(sandbox.base_url, sandbox.user_id, sandbox.api_key, recorder, **retry)


def envelope(data: Any, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json={"status": 0, "message": "OK", "timestamp": 1773100800, "data": data})


def api_error(status: int, error_message: str = "", errors: dict | None = None, **headers: str) -> httpx.Response:
    body = {"status": status, "message": "Error", "error_name": "some_error", "error_message": error_message, "errors": errors or {}}
    return httpx.Response(status, json=body, headers=headers)


def scripted(*answers: Callable[[], httpx.Response] | httpx.Response | Exception) -> httpx.MockTransport:
    """A transport answering with `answers` in turn (the last one repeats)."""
    queue = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        return answer() if callable(answer) else answer

    return httpx.MockTransport(handler)


def on_mock(recorder: Recorder, *answers: Any, **retry: Any) -> OnePageCRMClient:
    return make_client(MOCK_URL, MOCK_USER, MOCK_KEY, recorder, transport=scripted(*answers), **retry)


def next_action_and_queued(sandbox) -> str:
    """A queued action of the main user on a contact that already has a next action of theirs."""
    actions = [a for a in sandbox.state.tables["actions"].values() if a["assignee_id"] == sandbox.user_id and not a.get("done")]
    with_next = {a["contact_id"] for a in actions if a["status"] in ("asap", "date", "date_time", "waiting")}
    return next(a["id"] for a in actions if a["status"].startswith("queued") and a["contact_id"] in with_next)


def a_contact(sandbox) -> str:
    return next(iter(sandbox.state.tables["contacts"]))


def notes_with_text(sandbox, text: str) -> int:
    return sum(1 for n in list(sandbox.state.tables["notes"].values()) if n.get("text") == text)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- credentials -------------------------------------------------------------------------------


async def test_requests_carry_basic_auth_and_the_key_stays_out_of_repr(sandbox) -> None:
    rec = Recorder()
    async with on_sandbox(sandbox, rec) as api:
        boot = await api.bootstrap()
        assert boot.user_id == sandbox.user_id
        text = repr(api)
    expected = base64.b64encode(f"{sandbox.user_id}:{sandbox.api_key}".encode()).decode()
    assert rec.requests[0].headers["Authorization"] == f"Basic {expected}"
    assert rec.requests[0].headers["Accept"] == "application/json"
    assert sandbox.api_key not in text and sandbox.user_id in text
    assert sandbox.api_key not in repr(boot)


async def test_wrong_key_is_auth_error_not_retried(sandbox) -> None:
    rec = Recorder()
    async with make_client(sandbox.base_url, sandbox.user_id, "wrong-key-123", rec) as api:
        with pytest.raises(AuthError) as caught:
            await api.bootstrap()
    error = caught.value
    assert (error.status, error.error_name) == (401, "invalid_auth_data")
    assert error.user_message == "Sign-in refused: wrong user id or API key"
    assert "wrong-key-123" not in str(error) and "wrong-key-123" not in error.user_message
    assert len(rec.requests) == 1 and rec.sleeps == []


# -- error statuses the sandbox answers ------------------------------------------------------


async def test_unknown_id_is_not_found(sandbox) -> None:
    rec = Recorder()
    async with on_sandbox(sandbox, rec) as api:
        with pytest.raises(NotFound) as caught:
            await api.get_deal("000000000000000000000000")
    assert caught.value.status == 404 and caught.value.user_message == "Deal not found"
    assert len(rec.requests) == 1


async def test_bad_request_is_validation_failed_with_field_errors(sandbox) -> None:
    rec = Recorder()
    async with on_sandbox(sandbox, rec) as api:
        with pytest.raises(ValidationFailed) as caught:
            await api.create_note({"date": "2026-03-10"})
    error = caught.value
    assert error.status == 400 and error.error_name == "invalid_request_data"
    assert error.errors == {"contact_id": "contact_id is invalid or missing", "text": "text is invalid or missing"}
    assert error.user_message.endswith("(contact_id: contact_id is invalid or missing; text: text is invalid or missing)")
    assert len(rec.requests) == 1


async def test_promote_with_a_next_action_is_conflict(sandbox) -> None:
    rec = Recorder()
    action_id = next_action_and_queued(sandbox)
    async with on_sandbox(sandbox, rec) as api:
        with pytest.raises(Conflict) as caught:
            await api.promote_action(action_id)
    assert caught.value.status == 409 and caught.value.error_name == "next_action_exists"
    assert caught.value.user_message == "This contact already has a next action for you; swap instead"
    assert rec.calls() == [f"PUT actions/{action_id}/promote"]


async def test_throttling_403_text_and_429_with_retry_after_seconds(sandbox) -> None:
    sandbox.options.throttle_rate = 1.0
    sandbox.options.retry_after = 7
    seen: dict[int, RateLimited] = {}
    async with on_sandbox(sandbox, Recorder(), attempts=1) as api:
        for _ in range(40):
            with pytest.raises(RateLimited) as caught:
                await api.bootstrap()
            seen.setdefault(caught.value.status, caught.value)
            if len(seen) == 2:
                break
    assert sorted(seen) == [403, 429]
    text_403, json_429 = seen[403], seen[429]
    assert text_403.retry_after is None
    assert text_403.user_message == "Throttled by the server (API rate limit exceeded); slowing down"
    assert json_429.retry_after == 7.0 and json_429.error_name == "too_many_requests"


async def test_throttled_waits_honour_retry_after(sandbox) -> None:
    sandbox.options.throttle_rate = 1.0
    sandbox.options.retry_after = 3
    rec = Recorder()
    async with on_sandbox(sandbox, rec, attempts=8) as api:
        with pytest.raises(RateLimited):
            await api.bootstrap()
    assert len(rec.requests) == 8 and len(rec.sleeps) == 7
    assert 403 in rec.statuses and 429 in rec.statuses
    for status, wait in zip(rec.statuses, rec.sleeps):
        if status == 429:
            assert wait == 3.0
        else:
            assert 0 < wait <= 0.01


async def test_throttled_get_retried_then_succeeds(sandbox) -> None:
    sandbox.options.throttle_rate = 1.0

    def calm_down() -> None:
        sandbox.options.throttle_rate = 0.0

    rec = Recorder(on_sleep=calm_down)
    async with on_sandbox(sandbox, rec) as api:
        boot = await api.bootstrap()
    assert boot.user_id == sandbox.user_id
    assert rec.statuses[0] in (403, 429) and rec.statuses[1:] == [200]
    assert len(rec.sleeps) == 1


async def test_throttled_post_is_retried_because_the_server_did_not_act(sandbox) -> None:
    sandbox.options.throttle_rate = 1.0
    contact_id = a_contact(sandbox)

    def calm_down() -> None:
        if len(rec.sleeps) == 2:
            sandbox.options.throttle_rate = 0.0

    rec = Recorder(on_sleep=calm_down)
    async with on_sandbox(sandbox, rec) as api:
        note = await api.create_note({"contact_id": contact_id, "text": "Throttled twice"})
    assert note.text == "Throttled twice" and note.id
    assert rec.calls() == ["POST notes"] * 3 and rec.statuses[-1] == 201
    assert [json.loads(r.content) for r in rec.requests] == [{"contact_id": contact_id, "text": "Throttled twice"}] * 3
    assert notes_with_text(sandbox, "Throttled twice") == 1


async def test_server_errors_retried_for_get_up_to_the_attempts(sandbox) -> None:
    sandbox.options.fail_rate = 1.0
    rec = Recorder()
    async with on_sandbox(sandbox, rec, attempts=3) as api:
        with pytest.raises(ServerError) as caught:
            await api.get_deal("anything")
        retries = api.http.retries
    assert len(rec.requests) == 3 and len(rec.sleeps) == 2 and retries == 2
    assert set(rec.statuses) <= {500, 502, 503} and caught.value.status == rec.statuses[-1]
    assert caught.value.user_message.startswith(f"Server error {caught.value.status}: ")
    assert caught.value.user_message.endswith("; try again shortly")


async def test_server_error_on_get_retried_then_succeeds(sandbox) -> None:
    sandbox.options.fail_rate = 1.0

    def recover() -> None:
        sandbox.options.fail_rate = 0.0

    rec = Recorder(on_sleep=recover)
    deal_id = next(iter(sandbox.state.tables["deals"]))
    async with on_sandbox(sandbox, rec) as api:
        deal = await api.get_deal(deal_id)
    assert deal.id == deal_id
    assert len(rec.requests) == 2 and rec.statuses[-1] == 200


async def test_server_error_on_post_is_not_retried(sandbox) -> None:
    sandbox.options.fail_rate = 1.0
    rec = Recorder(on_sleep=lambda: setattr(sandbox.options, "fail_rate", 0.0))
    async with on_sandbox(sandbox, rec, attempts=5) as api:
        with pytest.raises(ServerError):
            await api.create_note({"contact_id": a_contact(sandbox), "text": "Only once"})
    assert rec.calls() == ["POST notes"] and rec.sleeps == []
    assert notes_with_text(sandbox, "Only once") == 0


async def test_no_write_is_repeated_after_a_server_error_whatever_its_method(sandbox) -> None:
    """Whether a write may be sent twice is the change's to say (Command.idempotent); the outbox repeats it."""
    sandbox.options.fail_rate = 1.0
    rec = Recorder()
    async with on_sandbox(sandbox, rec, attempts=3) as api:
        with pytest.raises(ServerError):
            await api.promote_action("a1")
        with pytest.raises(ServerError):
            await api.mark_action_done("a2")  # a PUT: once too
        with pytest.raises(ServerError):
            await api.mark_notification_read("n1")
        retries = api.http.retries
    assert rec.calls() == ["PUT actions/a1/promote", "PUT actions/a2/mark_as_done", "POST notifications/n1/mark_as_read"]
    assert retries == 0 and rec.sleeps == []


async def test_inside_one_try_nothing_is_retried_not_even_a_throttled_read() -> None:
    rec = Recorder()
    throttle = lambda: api_error(429, **{"Retry-After": "2"})  # noqa: E731
    async with on_mock(rec, throttle, attempts=3) as api:
        with one_try(), pytest.raises(RateLimited) as caught:
            await api.get_deal("d1")
        assert caught.value.retry_after == 2.0 and len(rec.requests) == 1 and rec.sleeps == []
        with pytest.raises(RateLimited):
            await api.get_deal("d1")  # outside it: retried as ever
    assert len(rec.requests) == 1 + 3 and rec.sleeps == [2.0, 2.0]


async def test_inside_one_try_a_refused_write_is_not_retried() -> None:
    port = closed_port()
    rec = Recorder()
    async with make_client(f"http://127.0.0.1:{port}/api/v3", MOCK_USER, MOCK_KEY, rec, attempts=3) as api:
        with one_try(), pytest.raises(Offline) as caught:
            await api.create_note({"contact_id": "c", "text": "x"})
    assert caught.value.maybe_sent is False  # the outbox knows it never left
    assert rec.calls() == ["POST notes"] and rec.sleeps == []


# -- transport failures --------------------------------------------------------------------------


async def test_dropped_connection_retried_for_get_only(sandbox) -> None:
    sandbox.options.drop_rate = 1.0
    rec = Recorder()
    async with on_sandbox(sandbox, rec, attempts=3) as api:
        with pytest.raises(Offline) as on_get:
            await api.bootstrap()
        assert len(rec.requests) == 3
        with pytest.raises(Offline):
            await api.create_note({"contact_id": "c", "text": "x"})
    assert on_get.value.user_message == f"Offline: the connection dropped ({sandbox.host}:{sandbox.port})"
    assert isinstance(on_get.value.__cause__, httpx.TransportError)
    assert rec.calls()[3:] == ["POST notes"]


async def test_read_timeout_on_post_not_retried_because_the_server_may_have_acted(sandbox) -> None:
    held = sandbox.gate.hold("POST", "/api/v3/notes", stage="answer")  # applied; its answer held back
    rec = Recorder()
    contact_id = a_contact(sandbox)
    timeout = httpx.Timeout(5.0, read=0.05)
    async with make_client(sandbox.base_url, sandbox.user_id, sandbox.api_key, rec, timeout=timeout) as api:
        with pytest.raises(Offline) as caught:
            await api.create_note({"contact_id": contact_id, "text": "Slow note"})
    assert caught.value.user_message.startswith("Offline: the server did not answer in time")
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    assert rec.calls() == ["POST notes"] and rec.sleeps == []
    await held.parked(1)  # handled, answer still held
    assert notes_with_text(sandbox, "Slow note") == 1  # it did act: a retry would have made two


async def test_read_timeout_on_get_retried(sandbox) -> None:
    held = sandbox.gate.hold("GET", "/api/v3/bootstrap")  # never answered: each try ends by its read timeout
    rec = Recorder()
    timeout = httpx.Timeout(5.0, read=0.05)
    async with make_client(sandbox.base_url, sandbox.user_id, sandbox.api_key, rec, timeout=timeout, attempts=3) as api:
        with pytest.raises(Offline):
            await asyncio.wait_for(api.bootstrap(), HANG_GUARD)
    assert rec.calls() == ["GET bootstrap"] * 3
    await held.parked(3)  # all three reached the server, and were given up on unanswered


async def test_refused_connection_retried_even_for_post() -> None:
    port = closed_port()
    rec = Recorder()
    async with make_client(f"http://127.0.0.1:{port}/api/v3", MOCK_USER, MOCK_KEY, rec, attempts=3) as api:
        with pytest.raises(Offline) as caught:
            await api.create_note({"contact_id": "c", "text": "x"})
    assert caught.value.user_message == f"Offline: could not connect (127.0.0.1:{port})"
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert rec.calls() == ["POST notes"] * 3 and len(rec.sleeps) == 2
    assert MOCK_KEY not in str(caught.value)


async def test_refused_connection_then_answer_on_post() -> None:
    rec = Recorder()
    note = {"note": {"id": "n1", "text": "x"}}
    async with on_mock(rec, httpx.ConnectError("refused"), lambda: envelope(note, 201)) as api:
        created = await api.create_note({"contact_id": "c", "text": "x"})
    assert created.id == "n1" and rec.calls() == ["POST notes"] * 2


# -- shapes only a mock can produce ------------------------------------------------------------


async def test_403_with_json_body_is_permission_denied_not_retried() -> None:
    rec = Recorder()
    answer = lambda: api_error(403, "You cannot edit this contact")  # noqa: E731
    async with on_mock(rec, answer) as api:
        with pytest.raises(PermissionDenied) as caught:
            await api.get_deal("d1")
    assert caught.value.user_message == "Not allowed: You cannot edit this contact"
    assert caught.value.status == 403 and len(rec.requests) == 1


async def test_403_text_plain_is_throttling_and_retried() -> None:
    rec = Recorder()
    throttle = lambda: httpx.Response(403, text="Slow down", headers={"content-type": "text/plain"})  # noqa: E731
    async with on_mock(rec, throttle, lambda: envelope({"deal": {"id": "d1"}})) as api:
        deal = await api.get_deal("d1")
    assert deal.id == "d1" and rec.statuses == [403, 200]


@pytest.mark.parametrize(
    ("status", "cls", "message"),
    [
        (422, ValidationFailed, "Bad data (email: is not valid; phones: too many, bad format)"),
        (418, BackendError, "Bad data (email: is not valid; phones: too many, bad format)"),
    ],
)
async def test_statuses_the_sandbox_never_sends(status: int, cls: type[BackendError], message: str) -> None:
    errors = {"email": "is not valid", "phones": ["too many", "bad format"], "blank": "", "none": None}
    rec = Recorder()
    async with on_mock(rec, lambda: api_error(status, "Bad data", errors), attempts=3) as api:
        with pytest.raises(BackendError) as caught:
            await api.create_deal({"contact_id": "c"})
    assert type(caught.value) is cls
    assert caught.value.errors == {"email": "is not valid", "phones": "too many, bad format"}
    assert caught.value.user_message == message and len(rec.requests) == 1


async def test_server_error_without_a_body() -> None:
    rec = Recorder()
    async with on_mock(rec, lambda: httpx.Response(502, text="<html>Bad gateway</html>"), attempts=2) as api:
        with pytest.raises(ServerError) as caught:
            await api.get_deal("d1")
    assert caught.value.user_message == "Server error 502; try again shortly" and len(rec.requests) == 2


async def test_retry_after_as_http_date() -> None:
    rec = Recorder()
    when = email.utils.formatdate(time.time() + 120, usegmt=True)
    throttle = lambda: api_error(429, "Too many", **{"Retry-After": when})  # noqa: E731
    async with on_mock(rec, throttle, lambda: envelope({"deal": {"id": "d1"}}), budget=600) as api:
        deal = await api.get_deal("d1")
    assert deal.id == "d1"
    [wait] = rec.sleeps
    assert 100 < wait <= 120


async def test_retry_after_http_date_on_the_error() -> None:
    when = email.utils.formatdate(time.time() + 60, usegmt=True)
    async with on_mock(Recorder(), lambda: api_error(429, **{"Retry-After": when}), attempts=1) as api:
        with pytest.raises(RateLimited) as caught:
            await api.get_deal("d1")
    assert 40 < caught.value.retry_after <= 60


async def test_post_retried_on_429() -> None:
    rec = Recorder()
    throttle = lambda: api_error(429, **{"Retry-After": "2"})  # noqa: E731
    async with on_mock(rec, throttle, throttle, lambda: envelope({"note": {"id": "n9"}}, 201)) as api:
        note = await api.create_note({"contact_id": "c", "text": "x"})
    assert note.id == "n9" and rec.calls() == ["POST notes"] * 3 and rec.sleeps == [2.0, 2.0]


async def test_retry_after_beyond_the_budget_raises_at_once() -> None:
    rec = Recorder()
    async with on_mock(rec, lambda: api_error(429, **{"Retry-After": "30"}), attempts=5, budget=1.0) as api:
        with pytest.raises(RateLimited) as caught:
            await asyncio.wait_for(api.get_deal("d1"), HANG_GUARD)
    assert rec.sleeps == []  # not a moment's wait, let alone the 30 s asked for (every wait goes through _sleep)
    assert caught.value.retry_after == 30.0 and len(rec.requests) == 1 and api.http.retries == 0


async def test_budget_counts_the_time_already_waited(monkeypatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr(http_module, "time", types.SimpleNamespace(monotonic=lambda: clock[0], time=time.time))

    def advance() -> None:
        clock[0] += rec.sleeps[-1]

    rec = Recorder(on_sleep=advance)
    async with on_mock(rec, lambda: api_error(429, **{"Retry-After": "2"}), attempts=10, budget=5.0) as api:
        with pytest.raises(RateLimited):
            await api.get_deal("d1")
    assert rec.sleeps == [2.0, 2.0] and len(rec.requests) == 3  # a third wait would end at 6 s > 5 s


async def test_attempts_bound_retries_of_throttling() -> None:
    rec = Recorder()
    async with on_mock(rec, lambda: api_error(429), attempts=4) as api:
        with pytest.raises(RateLimited):
            await api.create_note({"contact_id": "c", "text": "x"})
    assert len(rec.requests) == 4 and len(rec.sleeps) == 3


# -- malformed success answers -------------------------------------------------------------------


async def test_html_success_is_malformed() -> None:
    rec = Recorder()
    html = lambda: httpx.Response(200, text="<html>Login</html>", headers={"content-type": "text/html"})  # noqa: E731
    async with on_mock(rec, html) as api:
        with pytest.raises(MalformedResponse) as caught:
            await api.bootstrap()
    assert "not JSON (text/html)" in caught.value.user_message and len(rec.requests) == 1


@pytest.mark.parametrize("payload", [{"deals": []}, [1, 2], "ok"])
async def test_json_without_envelope_is_malformed(payload: Any) -> None:
    async with on_mock(Recorder(), lambda: httpx.Response(200, json=payload)) as api:
        with pytest.raises(MalformedResponse) as caught:
            await api.get_deal("d1")
    assert "envelope" in caught.value.user_message


@pytest.mark.parametrize(
    ("call", "data", "what"),
    [
        (lambda api: api.get_deal("d1"), {"deal": "oops"}, "deal"),
        (lambda api: api.get_deal("d1"), [{"deal": {"id": "d1"}}], "deal"),
        (lambda api: api.get_contact("c1"), ["c1"], "answer"),
        (lambda api: api.bootstrap(), "x", "bootstrap"),
        (lambda api: api.create_note({"contact_id": "c", "text": "x"}), {"note": None}, "note"),
    ],
)
async def test_data_not_an_object_is_malformed(call, data: Any, what: str) -> None:
    rec = Recorder()
    async with on_mock(rec, lambda: envelope(data)) as api:
        with pytest.raises(MalformedResponse) as caught:
            await call(api)
    assert caught.value.user_message == f"The server's {what} is not an object"
    assert len(rec.requests) == 1


@pytest.mark.parametrize("where", ["beside data", "in data"])
async def test_bootstrap_reads_statuses_and_lead_sources_beside_or_in_data(where: str) -> None:
    # The spec puts them beside `data` (the real API); the sandbox sends them in `data` only.
    lists = {
        "statuses": [{"id": "s1", "status": "lead", "text": "Lead"}],
        "lead_sources": [{"id": "l1", "text": "Web"}],
        "team_stream": {"all": 3, "users": [{"user_id": "u1", "counts": 3}]},
    }
    data = {"user_id": "u1", "settings": {}}
    payload = {"status": 0, "message": "OK", "timestamp": 1, "data": data, **lists}
    if where == "in data":
        payload = {"status": 0, "message": "OK", "timestamp": 1, "data": {**data, **lists}}
    async with on_mock(Recorder(), lambda: httpx.Response(200, json=payload)) as api:
        boot = await api.bootstrap()
    assert [s.text for s in boot.statuses] == ["Lead"] and [s.text for s in boot.lead_sources] == ["Web"]
    assert boot.team_stream is not None and boot.team_stream.all == 3


async def test_empty_success_body_is_malformed_except_for_delete() -> None:
    async with on_mock(Recorder(), lambda: httpx.Response(200, content=b"")) as api:
        with pytest.raises(MalformedResponse):
            await api.get_deal("d1")
        await api.delete_deal("d1")  # a DELETE answered with nothing is fine


async def test_validation_message_does_not_repeat_the_field_errors() -> None:
    body = {"status": 400, "message": "Invalid request data", "error_name": "invalid_request_data",
            "error_message": "text is invalid or missing", "errors": {"text": "text is invalid or missing"}}
    async with on_mock(Recorder(), lambda: httpx.Response(400, json=body)) as api:
        with pytest.raises(ValidationFailed) as caught:
            await api.create_note({"contact_id": "c"})
    assert caught.value.user_message == "Invalid request data (text: text is invalid or missing)"


async def test_the_servers_clock_is_read_from_the_envelopes_timestamp() -> None:
    import datetime as dt

    import httpx

    from crmtui.backends.onepagecrm.client import OnePageCRMClient

    ahead = 86_400 * 30  # a server a month ahead of this machine (the sandbox with --today does that)

    def answer(request: httpx.Request) -> httpx.Response:
        import time

        return httpx.Response(200, json={"status": 0, "message": "OK", "timestamp": int(time.time()) + ahead, "data": {}})

    client = OnePageCRMClient("u", "k", transport=httpx.MockTransport(answer))
    before = client.server_now()
    await client._call("GET", "users")
    after = client.server_now()
    await client.aclose()
    assert before is None  # no answer yet: unknown, never this machine's clock taken for the server's
    assert after is not None
    assert abs((after - dt.datetime.now(dt.timezone.utc)).total_seconds() - ahead) < 5


async def test_the_servers_clock_is_read_from_the_date_header_of_any_answer() -> None:
    """Every HTTP server sends Date (errors too): the clock is known for any backend, body or not."""
    import datetime as dt
    import email.utils
    import time

    import httpx

    from crmtui.backends.errors import NotFound
    from crmtui.backends.onepagecrm.client import OnePageCRMClient

    behind = 86_400 * 200

    def answer(request: httpx.Request) -> httpx.Response:
        date = email.utils.formatdate(time.time() - behind, usegmt=True)
        return httpx.Response(404, json={"status": 404, "message": "Not found"}, headers={"Date": date})

    client = OnePageCRMClient("u", "k", transport=httpx.MockTransport(answer))
    with pytest.raises(NotFound):
        await client.get_user("nobody")
    now = client.server_now()
    await client.aclose()
    assert now is not None
    assert abs((dt.datetime.now(dt.timezone.utc) - now).total_seconds() - behind) < 5


async def test_the_servers_clock_is_asked_for_when_no_answer_told_it() -> None:
    """Before the first answer, server_clock() makes one small request rather than use this machine's clock."""
    import datetime as dt
    import time

    import httpx

    from crmtui.backends.onepagecrm.client import OnePageCRMClient

    seen: list[str] = []
    ahead = 86_400 * 3

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        payload = {"status": 0, "message": "OK", "timestamp": int(time.time()) + ahead, "data": {"statuses": []}}
        return httpx.Response(200, json=payload)

    client = OnePageCRMClient("u", "k", transport=httpx.MockTransport(answer))
    first = await client.server_clock()
    second = await client.server_clock()
    await client.aclose()
    assert seen == ["/api/v3/statuses"]  # asked once, then known
    assert abs((first - dt.datetime.now(dt.timezone.utc)).total_seconds() - ahead) < 5
    assert second >= first


# -- broken and hostile answers: an error, never an empty or merged listing, never a crash ----------


def stream_page(contacts: list[dict], *, page: int = 1, total: int | None = None, max_page: int = 1) -> dict:
    return {"contacts": contacts, "total_count": len(contacts) if total is None else total, "page": page,
            "per_page": 100, "max_page": max_page}


def contact(cid: Any) -> dict:
    return {"contact": {"id": cid, "first_name": f"n{cid}"}}


LISTINGS = {
    "action_stream_all": lambda api: api.action_stream_all(),
    "users": lambda api: api.users(),
    "deals_all": lambda api: api.deals_all(),
    "notifications_all": lambda api: api.notifications_all(),
    "action_stream": lambda api: api.action_stream(),
}


@pytest.mark.parametrize("listing", sorted(LISTINGS))
@pytest.mark.parametrize(
    "answer",
    [lambda: httpx.Response(204), lambda: httpx.Response(200, content=b""), lambda: httpx.Response(200, content=b"  \n")],
    ids=["204", "empty", "blank"],
)
async def test_no_content_to_a_read_is_malformed_not_an_empty_listing(listing: str, answer) -> None:
    async with on_mock(Recorder(), answer) as api:
        with pytest.raises(MalformedResponse, match="no content"):
            await LISTINGS[listing](api)


@pytest.mark.parametrize(
    ("status", "expected"),
    [(500, ServerError), (503, ServerError), ("502", ServerError), (401, AuthError), (403, PermissionDenied),
     (404, NotFound), (429, RateLimited), (400, ValidationFailed)],
)
async def test_an_error_status_in_the_envelope_of_a_200_is_that_error(status: Any, expected: type[BackendError]) -> None:
    body = {"status": status, "message": "Internal Server Error", "error_name": "internal", "error_message": "it broke", "data": None}
    rec = Recorder()
    async with on_mock(rec, lambda: httpx.Response(200, json=body), attempts=2) as api:
        with pytest.raises(expected):
            await api.action_stream_all()
    assert len(rec.requests) == (2 if expected in (ServerError, RateLimited) else 1)  # retried like the real status


@pytest.mark.parametrize(
    "data",
    [None, "ok", 7, {}, {"contacts": None}, {"contacts": "x"}, {"contacts": {"id": "c1"}},
     {"contacts": ["junk", 1]}, {"total_count": 121, "page": 1}, []],
    ids=["null", "string", "number", "no-key", "list-null", "list-string", "list-object", "junk-rows", "only-meta", "bare-array"],
)
async def test_a_listing_whose_data_is_unusable_is_malformed_not_empty(data: Any) -> None:
    async with on_mock(Recorder(), lambda: envelope(data)) as api:
        with pytest.raises(MalformedResponse):
            await api.action_stream_all()
        with pytest.raises(MalformedResponse):
            await api.action_stream()


async def test_unpaged_listings_may_be_a_bare_array_or_keyed() -> None:
    users = [{"user": {"id": "u1"}}, {"user": {"id": "u2"}}]
    async with on_mock(Recorder(), lambda: envelope(users)) as api:
        assert [u.id for u in await api.users()] == ["u1", "u2"]
    async with on_mock(Recorder(), lambda: envelope({"users": users})) as api:
        assert [u.id for u in await api.users()] == ["u1", "u2"]
    async with on_mock(Recorder(), lambda: envelope({"users": []})) as api:
        assert await api.users() == []  # truly empty is fine
    async with on_mock(Recorder(), lambda: envelope(None)) as api:
        with pytest.raises(MalformedResponse):
            await api.users()


@pytest.mark.parametrize(
    "ids",
    [["c1", "c2", "c1"], ["c1", None, "c3"], ["c1", "", "c3"], ["c1", "MISSING", "c3"], ["c1", "c1", "c1"]],
    ids=["equal", "null", "empty", "missing", "all-equal"],
)
async def test_records_on_one_page_without_an_id_or_sharing_one_are_malformed(ids: list) -> None:
    rows = [{"contact": {"first_name": "x"}} if cid == "MISSING" else contact(cid) for cid in ids]
    async with on_mock(Recorder(), lambda: envelope(stream_page(rows))) as api:
        with pytest.raises(MalformedResponse, match=r"id|twice"):
            await api.action_stream_all()


async def test_equal_ids_across_two_pages_are_kept_for_the_adapter_to_merge() -> None:
    from crmtui.backends.onepagecrm.adapter import OnePageCRMBackend

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("page") == "1":
            rows = [contact(f"c{i}") for i in range(100)]
        else:  # c99 moved down while the pages were read
            rows = [contact("c99"), contact("c100")]
        return envelope(stream_page(rows, page=int(request.url.params["page"]), total=102, max_page=2))

    api = make_client(MOCK_URL, MOCK_USER, MOCK_KEY, Recorder(), transport=httpx.MockTransport(answer))
    async with api:
        assert len(await api.action_stream_all()) == 102
        entries = await OnePageCRMBackend(api).action_stream_all()
    assert len(entries) == 101 and len({e.contact.id for e in entries}) == 101


@pytest.mark.parametrize("depth", [2_000, 100_000])
async def test_very_deeply_nested_json_is_malformed_not_a_recursion_error(depth: int) -> None:
    body = b'{"status": 0, "data": {"contacts": ' + b"[" * depth + b"]" * depth + b"}}"
    answer = lambda: httpx.Response(200, content=body, headers={"content-type": "application/json"})  # noqa: E731
    async with on_mock(Recorder(), answer) as api:
        with pytest.raises(MalformedResponse):
            await api.action_stream_all()


async def test_a_wild_envelope_timestamp_leaves_the_server_clock_usable() -> None:
    payload = {"status": 0, "message": "OK", "timestamp": 1e300, "data": {"users": []}}
    async with on_mock(Recorder(), lambda: httpx.Response(200, json=payload)) as api:
        await api.users()
        assert api.server_now() is None  # a timestamp no clock can show tells nothing

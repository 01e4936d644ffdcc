"""ApiHttp's additions for Pipedrive: a governor asked before each try, multipart bodies, and a
download that follows one redirect hop without any credential header."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx
import pytest

from crmtui.backends.errors import BackendError, Blocked, MalformedResponse, RateLimited
from crmtui.backends.http import ApiHttp, RetryPolicy

TOKEN = "0123456789abcdef0123456789abcdef01234567"
FAST = RetryPolicy(attempts=4, base_delay=0.001, max_delay=0.002, budget=5.0)


def error_for(response: httpx.Response) -> BackendError:
    if response.status_code == 403:
        return Blocked(dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=15))
    if response.status_code == 429:
        return RateLimited("slow down")
    return BackendError(f"status {response.status_code}", status=response.status_code)


class Recorder:
    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers[f"{request.url.host}{request.url.path}"]
        return answer(request) if callable(answer) else answer


def api(recorder: Recorder, **kw: Any) -> ApiHttp:
    return ApiHttp(
        "http://127.0.0.1:9/api/v1", auth=None, error_for=error_for, retry=FAST,
        headers={"x-api-token": TOKEN, "Authorization": "Bearer also-secret"},
        transport=httpx.MockTransport(recorder), **kw,
    )


class CountingGovernor:
    def __init__(self, refuse: BaseException | None = None) -> None:
        self.acquired: list[tuple[str, str]] = []
        self.observed: list[tuple[int, Any]] = []
        self.refuse = refuse

    async def acquire(self, method: str, path: str) -> Any:
        if self.refuse is not None:
            raise self.refuse
        self.acquired.append((method, path))
        return len(self.acquired)

    def observe(self, response: httpx.Response, ticket: Any = None) -> None:
        self.observed.append((response.status_code, ticket))

    def forget(self, ticket: Any) -> None:
        pass


def test_the_governor_is_asked_before_every_try_and_told_every_answer() -> None:
    answers = iter([httpx.Response(429), httpx.Response(200, json={"ok": 1})])
    recorder = Recorder({"127.0.0.1/api/v1/leads": lambda request: next(answers)})
    gov = CountingGovernor()

    async def go() -> None:
        http = api(recorder, governor=gov)
        response = await http.send("GET", "leads")
        assert response.status_code == 200
        await http.aclose()

    asyncio.run(go())
    assert gov.acquired == [("GET", "leads"), ("GET", "leads")]
    assert gov.observed == [(429, 1), (200, 2)]


def test_a_governors_refusal_sends_nothing_and_a_block_answer_is_not_retried() -> None:
    recorder = Recorder({"127.0.0.1/api/v1/leads": httpx.Response(403, text="<html>Cloudflare</html>")})
    until = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=10)

    async def go() -> None:
        refusing = api(recorder, governor=CountingGovernor(Blocked(until)))
        with pytest.raises(Blocked):
            await refusing.send("GET", "leads")
        assert recorder.requests == []
        await refusing.aclose()
        plain = api(recorder)
        with pytest.raises(Blocked):
            await plain.send("GET", "leads")
        assert len(recorder.requests) == 1 and plain.retries == 0  # a RateLimited, yet never retried
        await plain.aclose()

    asyncio.run(go())


def test_multipart_upload() -> None:
    recorder = Recorder({"127.0.0.1/api/v1/files": httpx.Response(201, json={"success": True})})

    async def go() -> None:
        http = api(recorder)
        await http.send("POST", "files", data={"lead_id": "abc"}, files={"file": ("notes.txt", b"hello", "text/plain")})
        await http.aclose()

    asyncio.run(go())
    sent = recorder.requests[0]
    assert sent.headers["content-type"].startswith("multipart/form-data; boundary=")
    body = sent.content
    assert b'name="lead_id"\r\n\r\nabc' in body and b'filename="notes.txt"' in body and b"hello" in body


def test_a_download_follows_one_redirect_to_another_origin_without_any_credential() -> None:
    recorder = Recorder({
        "127.0.0.1/api/v1/files/7/download": httpx.Response(302, headers={"Location": "https://storage.example/f/7?sig=x"}),
        "storage.example/f/7": httpx.Response(200, content=b"\x00file bytes"),
    })

    async def go() -> None:
        http = api(recorder)
        response = await http.download("files/7/download")
        assert response.content == b"\x00file bytes"
        await http.aclose()

    asyncio.run(go())
    to_api, to_storage = recorder.requests
    assert to_api.headers["x-api-token"] == TOKEN
    assert str(to_storage.url) == "https://storage.example/f/7?sig=x"
    lowered = {k.lower() for k in to_storage.headers}
    assert not lowered & {"x-api-token", "authorization", "cookie"}
    assert TOKEN not in str(to_storage.url) and TOKEN.encode() not in b"".join(
        k.encode() + v.encode() for k, v in to_storage.headers.items()
    )


def test_a_download_follows_no_second_redirect_and_no_other_scheme() -> None:
    recorder = Recorder({
        "127.0.0.1/api/v1/files/7/download": httpx.Response(302, headers={"Location": "https://storage.example/f/7"}),
        "storage.example/f/7": httpx.Response(302, headers={"Location": "https://elsewhere.example/"}),
        "127.0.0.1/api/v1/files/8/download": httpx.Response(302, headers={"Location": "file:///etc/passwd"}),
    })

    async def go() -> None:
        http = api(recorder)
        with pytest.raises(MalformedResponse, match="more than once"):
            await http.download("files/7/download")
        with pytest.raises(MalformedResponse, match="not http"):
            await http.download("files/8/download")
        await http.aclose()

    asyncio.run(go())
    assert [r.url.host for r in recorder.requests] == ["127.0.0.1", "storage.example", "127.0.0.1"]


def test_a_plain_send_never_follows_a_redirect() -> None:
    recorder = Recorder({"127.0.0.1/api/v1/leads": httpx.Response(302, headers={"Location": "https://other.example/"})})

    async def go() -> None:
        http = api(recorder)
        with pytest.raises(BackendError):
            await http.send("GET", "leads")
        await http.aclose()

    asyncio.run(go())
    assert {r.url.host for r in recorder.requests} == {"127.0.0.1"}

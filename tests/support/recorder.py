"""Record every HTTP exchange an httpx client makes and check it against the OpenAPI spec.

    recorder = SpecRecorder(SpecValidator.load())          # or SpecRecorder(None): record only
    async with httpx.AsyncClient(event_hooks=recorder.hooks) as http: ...
    assert_conforms(recorder.request_problems())

Headers are never recorded (they carry the Basic-auth credentials).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from .openapi import SpecValidator


@dataclass
class Exchange:
    method: str
    url: str
    body: bytes
    content_type: str | None
    request_problems: list[str] = field(default_factory=list)
    status: int | None = None
    response_content_type: str | None = None
    response_body: bytes | None = None
    response_problems: list[str] = field(default_factory=list)

    def describe(self) -> str:
        status = "no response" if self.status is None else str(self.status)
        return f"{self.method} {self.url} -> {status}"


class SpecRecorder:
    """httpx async event hooks that keep (request, response) pairs and their spec problems."""

    def __init__(self, validator: SpecValidator | None, *, check_responses: bool = True) -> None:
        self.validator = validator
        self.check_responses = check_responses
        self.exchanges: list[Exchange] = []
        self._pending: dict[int, Exchange] = {}

    @property
    def enabled(self) -> bool:
        return self.validator is not None

    @property
    def hooks(self) -> dict[str, list[Any]]:
        return {"request": [self.on_request], "response": [self.on_response]}

    async def on_request(self, request: httpx.Request) -> None:
        try:
            body = request.content
        except httpx.RequestNotRead:
            body = await request.aread()
        exchange = Exchange(request.method, str(request.url), body, request.headers.get("content-type"))
        if self.validator is not None:
            exchange.request_problems = self.validator.validate_request(
                exchange.method, exchange.url, exchange.body, exchange.content_type
            )
        self.exchanges.append(exchange)
        self._pending[id(request)] = exchange

    async def on_response(self, response: httpx.Response) -> None:
        await response.aread()
        exchange = self._pending.pop(id(response.request), None)
        if exchange is None:  # a request built outside the hooks (should not happen); record it anyway
            request = response.request
            exchange = Exchange(request.method, str(request.url), request.content, request.headers.get("content-type"))
            self.exchanges.append(exchange)
        exchange.status = response.status_code
        exchange.response_content_type = response.headers.get("content-type")
        exchange.response_body = response.content
        if self.validator is not None and self.check_responses:
            exchange.response_problems = self.validator.validate_response(
                exchange.method, exchange.url, response.status_code, exchange.response_content_type, response.content
            )

    # --- queries ----------------------------------------------------------------------------

    def mark(self) -> int:
        """A position to pass as `since=` to look only at later exchanges."""
        return len(self.exchanges)

    def since(self, since: int = 0) -> list[Exchange]:
        return self.exchanges[since:]

    def request_problems(self, since: int = 0) -> list[str]:
        return [f"{e.describe()}: {p}" for e in self.since(since) for p in e.request_problems]

    def response_problems(self, since: int = 0) -> list[str]:
        return [f"{e.describe()}: {p}" for e in self.since(since) for p in e.response_problems]

    def operations(self, since: int = 0) -> set[tuple[str, str]]:
        """(METHOD, path template) of every recorded request the spec knows."""
        found: set[tuple[str, str]] = set()
        if self.validator is None:
            return found
        for exchange in self.since(since):
            op, _, _ = self.validator.match(exchange.method, exchange.url)
            if op is not None:
                found.add((exchange.method.upper(), op.template))
        return found

    def clear(self) -> None:
        self.exchanges.clear()
        self._pending.clear()

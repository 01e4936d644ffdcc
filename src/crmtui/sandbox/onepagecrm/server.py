"""The OnePageCRM sandbox HTTP server: stdlib ThreadingHTTPServer, Basic auth, routing and chaos.

Chaos (latency, failures, throttling, dropped connections) is decided before a request is handled,
from its own random generator, so a write is never applied and then reported as failed. The one
exception is on purpose: `lose_rate` handles the request and then drops the connection instead of
answering, as when a network fails on the way back (a client must not repeat such a write blindly).

Tests hold requests at the server's gate (`SandboxHandle.gate`, see crmtui.sandbox.gate) to keep
them on their way for as long as they need; latency is a chaos switch, not a lock. Stopping the
sandbox is immediate: nothing parked or slowed down is waited for.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import ClassVar
from urllib.parse import parse_qsl, urlsplit

from crmtui.sandbox.common import Chaos, SandboxOptionsBase
from crmtui.sandbox.http_server import RunningSandbox, SandboxHandler, SandboxServer
from crmtui.sandbox.onepagecrm import routes_actions, routes_companies, routes_contacts, routes_misc
from crmtui.sandbox.onepagecrm.api import Request, Router
from crmtui.sandbox.onepagecrm.persist import KINDS, SCHEMA_VERSION, Store
from crmtui.sandbox.onepagecrm.seed import seed_account
from crmtui.sandbox.onepagecrm.state import ApiError, SandboxState

API_PREFIX = "/api/v3"
MAX_BODY = 5 * 1024 * 1024


@dataclass
class SandboxOptions(SandboxOptionsBase):
    contacts: int = 300
    throttle_rate: float = 0.0
    retry_after: int = 1


@dataclass(frozen=True)
class SandboxUser:
    user_id: str
    api_key: str
    first_name: str
    last_name: str
    email: str


def open_state(options: SandboxOptions) -> SandboxState:
    """Load the state from `options.data`, or seed it (fresh file, in-memory, or `reset`)."""
    store = Store(options.data)
    state = SandboxState(store, today=options.today)
    if store.is_seeded() and not options.reset:
        state.load({kind: store.load(kind) for kind in KINDS}, store.get_meta("account") or {})
        return state
    today = options.today or dt.date.today()
    tables, account = seed_account(options.seed, options.contacts, today)
    store.wipe()
    with store.transaction():
        for kind, docs in tables.items():
            store.put_many(kind, docs.values())
        store.set_meta("account", account)
        store.set_meta("schema_version", SCHEMA_VERSION)
        store.set_meta("seeded", True)
    state.load(tables, account)
    return state


def build_router() -> Router:
    router = Router()
    for module in (routes_contacts, routes_actions, routes_misc, routes_companies):
        router._routes.extend(module.router._routes)
    return router


class _Server(SandboxServer):
    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], state: SandboxState, options: SandboxOptions
    ) -> None:
        super().__init__(address, handler)
        self.state = state
        self.options = options
        self.router = build_router()
        self.chaos = Chaos(options.seed ^ 0x5EED)
        self.clock_seconds = lambda: state.now().timestamp()  # shifted with --today, like the answers' timestamps


class _Handler(SandboxHandler):
    server: _Server

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_DELETE = do_GET
    do_PATCH = do_GET  # no route takes PATCH (the spec has none): refused in the API's error shape

    # -- plumbing ---------------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ApiError(400, "Request too large", "request_too_large")
        return self.rfile.read(length) if length > 0 else b""

    def _chaos(self) -> str | None:
        """Decide this request's fate up front: None, "drop", "fail:<code>", "throttle403" or "throttle429"."""
        opts = self.server.options
        return self.server.chaos.decide(
            (opts.drop_rate, "drop"),
            (opts.throttle_rate, lambda rng: "throttle403" if rng.random() < 0.5 else "throttle429"),
            (opts.fail_rate, lambda rng: f"fail:{rng.choice((500, 502, 503))}"),
            (opts.lose_rate, "lose"),
        )

    def _handle(self) -> None:
        opts = self.server.options
        try:
            raw = self._read_body()
        except (ApiError, ValueError):
            self._send_json(400, ApiError(400, "Invalid request", "invalid_request").body())
            self.close_connection = True
            return
        query = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))  # what the gate's tests match on
        fate = self.arrive(self._chaos, opts.latency_ms, query, raw)
        if fate == "drop":
            return
        if fate == "throttle403":
            self._send(403, b"API rate limit exceeded", "text/plain; charset=utf-8")
            return
        if fate == "throttle429":
            error = ApiError(429, "Too many requests", "too_many_requests", "API rate limit exceeded")
            self._send_json(429, error.body(), {"Retry-After": str(opts.retry_after)})
            return
        if fate and fate.startswith("fail:"):
            code = int(fate[5:])
            names = {500: "Internal server error", 502: "Bad gateway", 503: "Service unavailable"}
            self._send_json(code, ApiError(code, names[code], names[code].lower().replace(" ", "_")).body())
            return
        try:
            status, payload = self._dispatch(raw)
        except ApiError as exc:
            status, payload = exc.status, exc.body()
        except Exception as exc:  # noqa: BLE001 - a sandbox bug must still answer in the API's shape
            status, payload = 500, ApiError(500, "Internal server error", "internal_server_error", f"{type(exc).__name__}: {exc}").body()
        if self.depart(fate, opts.latency_ms, query, raw):
            self._send_json(status, payload)

    def _dispatch(self, raw: bytes) -> tuple[int, dict]:
        return dispatch(self.server.router, self.server.state, self.command, self.path, self.headers.get("Authorization"), raw)


def authenticate(state: SandboxState, header: str | None) -> dict:
    """The user of a Basic Authorization header, or the API's 401."""
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "basic" or not token:
        raise ApiError(401, "Authorization data not found", "authorization_data_not_found", "Cannot find suitable authorization data or data provided is not complete.")
    try:
        user_id, sep, api_key = base64.b64decode(token.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        user_id, sep, api_key = "", "", ""
    user = state.authenticate(user_id, api_key) if sep else None
    if user is None:
        raise ApiError(401, "Invalid authorization data", "invalid_auth_data", "The user ID or API key is wrong.")
    return user


def dispatch(router: Router, state: SandboxState, method: str, target: str, authorization: str | None, raw: bytes) -> tuple[int, dict]:
    """One API call, past the gate and chaos: (status, the JSON envelope), or ApiError.

    What the HTTP handler calls for each request; `bench/test_costs.py` calls it without HTTP.
    """
    parts = urlsplit(target)
    path = parts.path.rstrip("/")
    if not path.startswith(API_PREFIX):
        raise ApiError(404, "Resource not found", "resource_not_found", f"No such endpoint: {parts.path}")
    path = path[len(API_PREFIX) :] or "/"
    if path.endswith(".json"):
        path = path[: -len(".json")]
    user = authenticate(state, authorization)
    handler, params = router.match(method, path)
    body: dict = {}
    if raw.strip():
        try:
            body = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ApiError(400, "Invalid JSON", "invalid_json", "The request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise ApiError(400, "Invalid JSON", "invalid_json", "The request body must be a JSON object.")
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    reply = handler(Request(method, path, query, body, user, state, params))
    payload = {"status": 0, "message": "OK", "timestamp": state.timestamp(), "data": reply.data, **reply.extra}
    return reply.status, payload


@dataclass
class SandboxHandle(RunningSandbox):
    options: SandboxOptions
    state: SandboxState
    server: _Server
    thread: threading.Thread
    users: list[SandboxUser] = field(default_factory=list)
    API_PREFIX: ClassVar[str] = API_PREFIX

    @property
    def user_id(self) -> str:
        return self.users[0].user_id

    @property
    def api_key(self) -> str:
        return self.users[0].api_key


def start_sandbox(options: SandboxOptions | None = None) -> SandboxHandle:
    """Seed or load the state, bind, and serve in a background thread; returns once listening."""
    options = options or SandboxOptions()
    state = open_state(options)
    server = _Server((options.host, options.port), _Handler, state, options)
    thread = server.start_thread("crmtui-sandbox")
    users = [SandboxUser(u["id"], u["_api_key"], u["first_name"], u["last_name"], u["email"]) for u in state.users()]
    return SandboxHandle(options, state, server, thread, users)

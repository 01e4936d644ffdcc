"""The Pipedrive sandbox HTTP server: stdlib ThreadingHTTPServer, token auth, limits, routing and chaos.

Like the OnePageCRM sandbox: chaos (latency, 5xx, dropped connections) is decided before a request
is handled, from its own seeded generator, so a write is never applied and then reported as failed;
tests hold requests at the gate (crmtui.sandbox.gate); stopping is immediate.

The limits (limits.py) count on the sandbox clock, which tests move with `SandboxHandle.advance`
instead of sleeping: the 2-second burst window, the day of the token budget and the 403 block.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

from crmtui.sandbox.common import Chaos, ForeignDataError, SandboxOptionsBase, open_seeded
from crmtui.sandbox.http_server import ClockedSandbox, SandboxHandler, SandboxServer
from crmtui.sandbox.pipedrive.costs import TOKEN_COSTS, UNKNOWN_COST
from crmtui.sandbox.pipedrive.limits import PLANS, Limits, plan_budget
from crmtui.sandbox.pipedrive.files import disposition, file_bytes
from crmtui.sandbox.pipedrive.api import match
from crmtui.sandbox.pipedrive.routes import Binary, Request
from crmtui.sandbox.pipedrive.seed import seed_account
from crmtui.sandbox.pipedrive.state import ApiError, Clock, PipedriveState, is_admin

API_PREFIX = "/api/v1"
MAX_BODY = 5 * 1024 * 1024
SEARCH_ROUTES = ("/itemSearch", "/itemSearch/field", "/leads/search")
"""Routes counted in the search window (10 per 2 s per token) as well as the general one."""
WRITES = ("POST", "PUT", "PATCH")

CLOUDFLARE_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Access denied | api.pipedrive.com used Cloudflare to restrict access</title></head>\n"
    b"<body><h1>Error 1015</h1><h2>You are being rate limited</h2>\n"
    b"<p>This error is produced by Cloudflare. The owner of this website (api.pipedrive.com) has banned you temporarily "
    b"from accessing this website.</p></body></html>\n"
)
PROXY_502_PAGE = b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>\n"


@dataclass
class SandboxOptions(SandboxOptionsBase):
    leads: int = 300
    frozen_clock: bool = False
    """Time stands still unless `SandboxHandle.advance` moves it (tests: limits without sleeps)."""
    plan: str = "lite"
    """lite, growth, premium or ultimate: the budget's multiplier (1/2/5/7) and the burst (20/40/100/120)."""
    seats: int | None = None
    """Paid seats; None: the number of seeded users."""
    burst: int | None = None
    """Requests per token in the rolling 2-second window; None: the plan's (API token)."""
    daily_budget: int | None = None
    """Tokens a day for the company; None: 30,000 × the plan's multiplier × seats."""
    day_seconds: float | None = None
    """The budget's day lasts this long from the start (tests, demos); None: the UTC day."""
    escalate_after: int = 10
    """A token answered 429 more than this many times within `escalate_window` seconds is blocked."""
    escalate_window: float = 10.0
    block_seconds: float = 900.0
    retry_after_share: float = 0.5
    """Share of 429 answers that carry Retry-After (the real header is undocumented)."""
    redirect_downloads: bool = False
    """File downloads answer 302 to a second loopback host that rejects any request with credentials."""
    max_file_bytes: int = 1024 * 1024
    """Uploads over this size answer 413."""
    activities: bool = True
    """False: a server without /activities (404 "Unknown method" there); a fresh seed gives no lead a next activity."""


__all__ = ["ForeignDataError", "SandboxHandle", "SandboxOptions", "open_state", "start_sandbox"]


def open_state(options: SandboxOptions, clock: Clock) -> PipedriveState:
    """Load the state from `options.data`, or seed it (fresh file, in memory, or `reset`)."""
    state = PipedriveState.open(options.data, clock)
    today = options.today or clock.now().date()
    open_seeded(
        state, "Pipedrive", options.data, options.reset,
        lambda: state.seed(seed_account(options.seed, options.leads, today, activities=options.activities)),
    )
    return state


def unauthorized() -> ApiError:
    return ApiError(401, "unauthorized access", "Please check developers.pipedrive.com", errorCode=401)


def parse_body(raw: bytes, content_type: str) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
    """A request body as (fields, uploads): JSON, a urlencoded form, or multipart/form-data."""
    media = content_type.split(";", 1)[0].strip().lower()
    if not raw.strip():
        return {}, {}
    if media == "application/x-www-form-urlencoded":
        try:
            return dict(parse_qsl(raw.decode(), keep_blank_values=True)), {}
        except UnicodeDecodeError:
            raise ApiError(400, "provided dataset is not valid", "The form is not valid UTF-8.") from None
    if media == "multipart/form-data":
        message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw)
        if not message.is_multipart():
            raise ApiError(400, "provided dataset is not valid", "The multipart body could not be read.")
        fields: dict[str, Any] = {}
        uploads: dict[str, tuple[str, bytes]] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            decoded = part.get_payload(decode=True)
            payload = decoded if isinstance(decoded, bytes) else b""
            if not isinstance(name, str):
                continue
            filename = part.get_filename()
            if filename is not None:
                uploads[name] = (filename, payload)
            else:
                fields[name] = payload.decode("utf-8", "replace")
        return fields, uploads
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError(400, "provided dataset is not valid", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "provided dataset is not valid", '"value" must be of type object')
    return body, {}


def dispatch(
    state: PipedriveState, method: str, path: str, query: dict[str, str], user: dict, raw: bytes, content_type: str = "application/json"
) -> tuple[int, Any]:
    """One authenticated API call past the limits: (status, envelope or Binary), or ApiError."""
    found = match(method, path)
    if found is None:
        raise ApiError(404, "Unknown method .", "Please check developers.pipedrive.com")
    _, handler, params = found
    body, uploads = parse_body(raw, content_type)
    return handler(Request(method, query, body, user, state, params, uploads))


class _Server(SandboxServer):
    def __init__(self, address: tuple[str, int], state: PipedriveState, options: SandboxOptions, limits: Limits) -> None:
        super().__init__(address, _Handler)
        self.state = state
        self.options = options
        self.limits = limits
        self.chaos = Chaos(options.seed ^ 0x5EED)
        self.clock_seconds = state.clock.seconds


class _Handler(SandboxHandler):
    server: _Server

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _chaos(self) -> str | None:
        opts = self.server.options
        return self.server.chaos.decide(
            (opts.drop_rate, "drop"),
            (opts.fail_rate, lambda rng: f"fail:{rng.choice((500, 502, 503))}"),
            (opts.lose_rate, "lose"),
        )

    def _handle(self) -> None:
        opts = self.server.options
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send_json(413, ApiError(413, "Request Entity Too Large").body())
            self.close_connection = True
            return
        raw = self.rfile.read(length) if length > 0 else b""
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        fate = self.arrive(self._chaos, opts.latency_ms, query, raw)
        if fate == "drop":
            return
        if fate == "fail:502":
            self._send(502, PROXY_502_PAGE, "text/html; charset=utf-8")
            return
        if fate and fate.startswith("fail:"):
            code = int(fate[5:])
            self._send_json(code, ApiError(code, "Internal server error" if code == 500 else "Service unavailable").body())
            return
        headers = self.server.limits.idle_headers()  # answers no token was counted for (401, 404 outside the API)
        try:
            path = parts.path.rstrip("/")
            if not path.startswith(API_PREFIX + "/"):
                raise ApiError(404, "Unknown method .", "Please check developers.pipedrive.com")
            path = path[len(API_PREFIX) :]
            token = self.headers.get("x-api-token") or query.pop("api_token", "")
            query.pop("api_token", None)
            user = state.tokens.get(token) if token else None
            if user is None:
                raise unauthorized()
            found = match(self.command, path)
            cost = TOKEN_COSTS.get((self.command, found[0]), UNKNOWN_COST) if found else UNKNOWN_COST
            verdict = self.server.limits.admit(
                token, state.clock.seconds(), cost,
                search=bool(found and found[0] in SEARCH_ROUTES), write=self.command in WRITES,
            )
            headers = verdict.headers
            if verdict.status == 403:
                self._send(403, CLOUDFLARE_PAGE, "text/html; charset=UTF-8", headers)
                return
            if verdict.status == 429:
                info = "Daily token budget exhausted" if verdict.reason == "budget" else "Rate limit exceeded"
                raise ApiError(429, "Request over limit", info, errorCode=429)
            if not opts.activities and (path == "/activities" or path.startswith("/activities/")):
                raise ApiError(404, "Unknown method .", "Please check developers.pipedrive.com")
            status, payload = dispatch(state, self.command, path, query, user, raw, self.headers.get("Content-Type") or "application/json")
        except ApiError as exc:
            status, payload = exc.status, exc.body()
        except Exception as exc:  # noqa: BLE001 - a sandbox bug must still answer in the API's shape
            status, payload = 500, ApiError(500, "Internal server error", f"{type(exc).__name__}: {exc}").body()
        if not self.depart(fate, opts.latency_ms, query, raw):
            return
        if isinstance(payload, Binary):
            self._send(status, payload.body, payload.content_type, {**headers, **payload.headers})
            return
        self._send_json(status, payload, headers)


class _FileHost(SandboxServer):
    """The second loopback host of --redirect-downloads: serves a download ticket's bytes, and
    answers 401 to any request carrying credentials (a client must not send them off the API)."""

    def __init__(self, address: tuple[str, int], state: PipedriveState) -> None:
        super().__init__(address, _FileHandler)
        self.state = state


class _FileHandler(SandboxHandler):
    server: _FileHost

    def do_GET(self) -> None:
        state = self.server.state
        if self.headers.get("x-api-token") or self.headers.get("Authorization") or "api_token=" in self.path:
            self._send_json(401, {"success": False, "error": "Credentials sent to the file host", "error_info": "Download links carry their own ticket."})
            return
        key = urlsplit(self.path).path.strip("/")
        with state.lock:
            ticket = state.tickets.get(key)
            doc = state.tables["files"].get(ticket[0]) if ticket and ticket[1] > state.clock.seconds() else None
        content = file_bytes(doc) if doc and doc["active_flag"] else None
        if doc is None or content is None:
            self._send(404, b"Not found\n", "text/plain; charset=utf-8")
            return
        self._send(200, content, "application/octet-stream", disposition(doc))


@dataclass
class SandboxHandle(ClockedSandbox):
    options: SandboxOptions
    state: PipedriveState
    server: _Server
    thread: threading.Thread
    API_PREFIX: ClassVar[str] = API_PREFIX

    @property
    def limits(self) -> Limits:
        return self.server.limits

    @property
    def users(self) -> list[dict]:
        return self.state.users()

    @property
    def api_token(self) -> str:
        """The first user's (an admin's) API token."""
        return str(self.users[0]["_api_token"])

    @property
    def regular_token(self) -> str:
        """The API token of a user who is not an admin (legacy team writes answer it 403)."""
        return str(next(u for u in self.users if not is_admin(u))["_api_token"])

    file_host: _FileHost | None = None
    file_thread: threading.Thread | None = None

    def stop(self) -> None:
        if self.file_host is not None:
            self.file_host.stop_serving()
            if self.file_thread is not None and self.file_thread.is_alive():
                self.file_thread.join(5)
            self.file_host.server_close()
            self.file_host.close_all()
        super().stop()


def start_sandbox(options: SandboxOptions | None = None) -> SandboxHandle:
    """Seed or load the state, bind, and serve in a background thread; returns once listening."""
    options = options or SandboxOptions()
    clock = Clock(options.today, frozen=options.frozen_clock)
    state = open_state(options, clock)
    if options.plan not in PLANS:
        state.store.close()
        raise ValueError(f"unknown plan {options.plan!r}; one of {', '.join(PLANS)}")
    seats = options.seats if options.seats is not None else len(state.tables["users"])
    budget = options.daily_budget if options.daily_budget is not None else plan_budget(options.plan, seats)
    limits = Limits(
        burst=options.burst if options.burst is not None else PLANS[options.plan][1], daily_budget=budget,
        escalate_after=options.escalate_after, escalate_window=options.escalate_window, block_seconds=options.block_seconds,
        retry_after_share=options.retry_after_share, seed=options.seed, day_seconds=options.day_seconds,
        origin=clock.seconds(),
    )
    try:
        server = _Server((options.host, options.port), state, options, limits)
    except OSError:
        state.store.close()
        raise
    state.max_file_bytes = options.max_file_bytes
    host = server.server_address[0]
    state.base_url = f"http://{host if isinstance(host, str) else host.decode()}:{server.server_address[1]}{API_PREFIX}"
    file_host = file_thread = None
    if options.redirect_downloads:
        try:
            file_host = _start_file_host(options.host, state)
        except OSError:
            server.server_close()
            state.store.close()
            raise
        file_thread = file_host.start_thread("crmtui-pipedrive-files")
        state.download_host = f"http://{file_host.server_address[0]!s}:{file_host.server_address[1]}"
    return SandboxHandle(options, state, server, server.start_thread("crmtui-pipedrive-sandbox"), file_host, file_thread)


def _start_file_host(host: str, state: PipedriveState) -> _FileHost:
    """Another loopback address when there is one (127.0.0.2 on Linux), else another port: another origin either way."""
    if host == "127.0.0.1":
        try:
            return _FileHost(("127.0.0.2", 0), state)
        except OSError:
            pass
    return _FileHost((host, 0), state)

"""The Crust sandbox HTTP server: stdlib ThreadingHTTPServer, chi-like routing, JWT auth, chaos.

What the real server does, in its order: chi finds the route (an unknown path answers 404 text/plain
"404 page not found", a known path with another method 405 with no body, both before any auth); the
JWT middlewares read a token (query `jwt`, `Authorization: BEARER`, cookie `jwt`) and refuse a bad
one; an anonymous request answers "Unauthorized"; the handler's Fill() reads the body; the handler
answers. Everything past the router answers HTTP 200 with `Content-Type: application/json`: data as
{"response": ...}, deletes {"success": {"message": "OK"}}, errors {"error": {"message": ...}}.

Chaos, like the other sandboxes' and decided before a request is handled (so a write is never applied
and then reported failed): latency, dropped connections, a proxy's 502/503/504 HTML, errors as HTTP 200
with the database's wording (`error_rate`), and lost answers (`lose_rate`: handled, a write applied,
the answer dropped). Tokens expire on the sandbox clock (`jwt_minutes`; tests move the clock with
`SandboxHandle.advance`), so a token can run out mid-use.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

from crmtui.sandbox.common import Chaos, ForeignDataError, SandboxOptionsBase, open_seeded
from crmtui.sandbox.crust import jwt
from crmtui.sandbox.crust.godecode import fill
from crmtui.sandbox.crust import system_auth
from crmtui.sandbox.crust.routes import ANONYMOUS, Reply, Request, match
# The other operations, each in its module, register their routes on import after these (chi's order).
from crmtui.sandbox.crust import charts, jobs, pages  # noqa: F401
from crmtui.sandbox.crust.seed import secret_for, seed_crm
from crmtui.sandbox.crust.state import Clock, CrustError, CrustState
from crmtui.sandbox.http_server import ClockedSandbox, SandboxHandler, SandboxServer

__all__ = ["ForeignDataError", "SandboxHandle", "SandboxOptions", "open_state", "start_sandbox"]

MAX_BODY = 10 * 1024 * 1024
DEFAULT_JWT_MINUTES = 3600.0
"""The real server's default expiry (`--auth-jwt-expiry`, in minutes)."""
PROXY_PAGES = {
    502: b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>\n",
    503: b"<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service Temporarily Unavailable</h1>"
         b"</center></body></html>\n",
    504: b"<html><head><title>504 Gateway Time-out</title></head><body><center><h1>504 Gateway Time-out</h1></center></body></html>\n",
}
CHAOS_ERRORS = (
    "Error 1205: Lock wait timeout exceeded; try restarting transaction",
    "Error 1213: Deadlock found when trying to get lock; try restarting transaction",
    "Error 1040: Too many connections",
    "dial tcp 172.18.0.2:3306: connect: connection refused",
    "invalid connection",
)
"""What a failing database makes the real server answer (HTTP 200, error envelope): the chaos errors."""
TRACE = (
    "github.com/crusttech/crust/vendor/github.com/titpetric/factory/resputil.JSON.func1\n"
    "\t/crust/vendor/github.com/titpetric/factory/resputil/resputil.go:103\n"
    "net/http.HandlerFunc.ServeHTTP\n\t/usr/local/go/src/net/http/server.go:1964"
)


@dataclass
class SandboxOptions(SandboxOptionsBase):
    frozen_clock: bool = False
    """Time stands still unless `SandboxHandle.advance` moves it (tests: token expiry without sleeps)."""
    jwt_minutes: float = DEFAULT_JWT_MINUTES
    """How long a token the sandbox issues lasts."""
    error_rate: float = 0.0
    """Share of requests answered HTTP 200 with a database error, not handled."""
    trace: bool = False
    """Errors carry `error.trace` (the real server's --http-error-tracing)."""
    login_works: bool = False
    """`POST /system/auth/login` reads its request (a later server); at the spec's commit it never does."""
    jobs_not_implemented: bool = False
    """Workflows and jobs answer "Not implemented: Job.list" and the like, as the real server at the spec's commit."""


def open_state(options: SandboxOptions, clock: Clock) -> CrustState:
    state = CrustState.open(options.data, clock)
    open_seeded(
        state, "Crust", options.data, options.reset,
        lambda: state.seed(seed_crm(options.seed, clock.now()), {"jwt_secret": secret_for(options.seed)}),
    )
    return state


def go_json(payload: Any) -> bytes:
    """json.Marshal's bytes: compact, UTF-8, with <, > and & escaped as Go does."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text.encode()


class _Server(SandboxServer):
    def __init__(self, address: tuple[str, int], state: CrustState, options: SandboxOptions) -> None:
        super().__init__(address, _Handler)
        self.state = state
        self.options = options
        self.chaos = Chaos(options.seed ^ 0xC2057)
        self.clock_seconds = state.clock.seconds


class _Handler(SandboxHandler):
    server: _Server

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def _chaos(self) -> str | None:
        opts = self.server.options
        return self.server.chaos.decide(
            (opts.drop_rate, "drop"),
            (opts.fail_rate, lambda rng: f"fail:{rng.choice(tuple(PROXY_PAGES))}"),
            (opts.error_rate, lambda rng: f"error:{rng.choice(CHAOS_ERRORS)}"),
            (opts.lose_rate, "lose"),
        )

    def _error(self, message: str) -> dict:
        body: dict[str, Any] = {"message": message}
        if self.server.options.trace:
            body["trace"] = TRACE
        return {"error": body}

    def _handle(self) -> None:
        opts = self.server.options
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(413, b"http: request body too large\n", "text/plain; charset=utf-8")
            self.close_connection = True
            return
        raw = self.rfile.read(length) if length > 0 else b""
        parts = urlsplit(self.path)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        query: dict[str, str] = {}
        for name, value in pairs:
            query.setdefault(name, value)
        fate = self.arrive(self._chaos, opts.latency_ms, query, raw)
        if fate == "drop":
            return
        if fate and fate.startswith("fail:"):
            self._send(int(fate[5:]), PROXY_PAGES[int(fate[5:])], "text/html")
            return
        found = match(self.command, parts.path)
        if found == "404":
            self._send(404, b"404 page not found\n", "text/plain; charset=utf-8", {"X-Content-Type-Options": "nosniff"})
            return
        if found == "405":
            self.send_response(405)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        payload: Any
        if fate and fate.startswith("error:"):
            payload = self._error(fate[6:])
        else:
            payload = self._answer(found, raw, query, pairs)
        if not self.depart(fate, opts.latency_ms, query, raw):
            return
        if isinstance(payload, Reply):
            self.send_response(200)
            for name, value in payload.headers:
                self.send_header(name, value)
            if payload.payload is None:  # nothing written: no body, no content type
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = go_json(payload.payload)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            return
        self._send(200, go_json(payload), "application/json")

    def _answer(self, found: tuple[str, Any, dict[str, str]] | str, raw: bytes, query: dict[str, str], pairs: list[tuple[str, str]]) -> Any:
        assert not isinstance(found, str)
        template, handler, params = found
        state = self.server.state
        try:
            token = jwt.find_token(query.get("jwt"), self.headers.get("Authorization"), self.headers.get("Cookie"))
            user_id = 0
            if token is not None:
                try:
                    user_id = jwt.verify(token.token, state.secret, state.clock.seconds())
                except jwt.TokenRefused as exc:
                    return self._error(str(exc))
            if user_id == 0 and (self.command, template) not in ANONYMOUS:
                return self._error("Unauthorized")
            body = fill(self.command, raw, self.headers.get("Content-Type"), pairs)
            result = handler(Request(
                self.command, params, query, body, user_id, state, cookie_header=self.headers.get("Cookie"),
                login_works=self.server.options.login_works, jwt_minutes=self.server.options.jwt_minutes,
                jobs_not_implemented=self.server.options.jobs_not_implemented,
            ))
        except CrustError as exc:
            return self._error(exc.message)
        except Exception as exc:  # noqa: BLE001 - a sandbox bug must still answer in the API's shape
            return self._error(f"sandbox: {type(exc).__name__}: {exc}")
        if isinstance(result, Reply):
            return result
        if isinstance(result, dict) and set(result) == {"success"}:
            return result
        return {"response": False if result is None else result}


@dataclass
class SandboxHandle(ClockedSandbox):
    options: SandboxOptions
    state: CrustState
    server: _Server
    thread: threading.Thread
    API_PREFIX: ClassVar[str] = ""

    @property
    def users(self) -> list[dict]:
        return self.state.users()

    @property
    def user_id(self) -> str:
        """The first seeded user's id (the one the printed token signs in)."""
        return str(self.users[0]["id"])

    @property
    def token(self) -> str:
        """A fresh token for the first user, valid `jwt_minutes` from now on the sandbox clock."""
        return self.issue_token()

    @property
    def password(self) -> str:
        """Every seeded user's password (`POST /system/auth/login` with `login_works`)."""
        return system_auth.PASSWORD

    def issue_token(self, user_id: str | None = None, minutes: float | None = None) -> str:
        minutes = self.options.jwt_minutes if minutes is None else minutes
        return jwt.issue(user_id or self.user_id, self.state.secret, self.state.clock.seconds(), minutes)


def start_sandbox(options: SandboxOptions | None = None) -> SandboxHandle:
    """Seed or load the state, bind, and serve in a background thread; returns once listening."""
    options = options or SandboxOptions()
    clock = Clock(options.today, frozen=options.frozen_clock)
    state = open_state(options, clock)
    try:
        server = _Server((options.host, options.port), state, options)
    except OSError:
        state.store.close()
        raise
    return SandboxHandle(options, state, server, server.start_thread("crmtui-crust-sandbox"))

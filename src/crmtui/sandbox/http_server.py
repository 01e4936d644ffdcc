"""What every sandbox's HTTP server shares: the stdlib ThreadingHTTPServer with an accept loop that
stops at once, the request gate, chaos pauses cut short by a stop, keep-alive connections cut when
the sandbox stops, quiet handlers and one-line reports of plumbing failures.

Each sandbox (onepagecrm, pipedrive, crust) subclasses `SandboxServer` with its state and options, and
`SandboxHandler` with its routing, auth and chaos; `SandboxHandler.arrive` and `.depart` are the
steps every request takes around its handling (the gate, chaos latency, drops and lost answers).
"""

from __future__ import annotations

import json
import selectors
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from collections.abc import Callable
from types import FrameType
from urllib.parse import urlsplit
from typing import Any, ClassVar, Protocol, Self, TypeVar

from crmtui.paths import lock_held
from crmtui.sandbox.gate import RequestGate

Incoming = socket.socket | tuple[bytes, socket.socket]
R = TypeVar("R", bound="RunningSandbox")


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024
    """The listen backlog (socketserver's default is 5): a benchmark's 200 clients, each opening a
    connection per request, must wait in the queue, not be refused or reset (the kernel caps it at
    net.core.somaxconn)."""

    clock_seconds: Callable[[], float] = staticmethod(time.time)
    """Now by the sandbox's clock (the Date header); a sandbox with a clock of its own sets it."""

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        self.gate = RequestGate()
        self.stopping = threading.Event()
        """Set by `stop_serving`: the loop ends, and handlers parked or slowed down drop their connection."""
        self._wake_r, self._wake_w = socket.socketpair()  # before binding: a failed bind closes them
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, handler)

    def serve(self) -> None:
        """Accept connections until `stop_serving` (socketserver's serve_forever only notices a
        shutdown at its next poll, a fifth of a second or more, and every test stops a sandbox)."""
        with selectors.DefaultSelector() as selector:
            selector.register(self, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while not self.stopping.is_set():
                for key, _ in selector.select():
                    if key.fileobj is self and not self.stopping.is_set():
                        self.handle_request()  # readable: it accepts and handles at once
                self.service_actions()

    def stop_serving(self) -> None:
        """End the loop now and let go of every request parked at the gate or waiting out latency."""
        self.stopping.set()
        try:
            self._wake_w.send(b"\0")
        except OSError:
            pass
        self.gate.close()

    def server_close(self) -> None:
        super().server_close()
        self._wake_r.close()
        self._wake_w.close()

    def pause(self, seconds: float) -> bool:
        """Chaos latency: wait `seconds`, cut short when the sandbox stops; False if it did."""
        return not self.stopping.wait(seconds)

    def start_thread(self, name: str) -> threading.Thread:
        """Serve in a background (daemon) thread, already listening."""
        thread = threading.Thread(target=self.serve, name=name, daemon=True)
        thread.start()
        return thread

    # Keep-alive connections outlive the accepting loop (their handler threads keep serving), so a
    # stopped sandbox would still answer old clients. Track them and cut them on `close_all`.
    def process_request(self, request: Incoming, client_address: Any) -> None:
        if isinstance(request, socket.socket):  # always, for a TCP server
            with self._open_lock:
                self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Incoming) -> None:
        if isinstance(request, socket.socket):
            with self._open_lock:
                self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Incoming, client_address: Any) -> None:
        # A client that went away mid-answer (timeout, dropped connection) is normal here; any other
        # failure of the plumbing is reported on one line, never as a traceback.
        exc = sys.exc_info()[1]
        if isinstance(exc, (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)):
            return
        print(f"crmtui sandbox: request from {client_address[0]} failed: {type(exc).__name__}: {exc}", file=sys.stderr)

    def close_all(self) -> None:
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: SandboxServer

    def log_message(self, format: str, *args: object) -> None:  # `format` shadows the builtin: the stdlib's signature
        pass  # quiet: the demo's stdout carries only the start line

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The Date header by the sandbox's clock (shifted with --today, moved by tests), like its answers' times."""
        return super().date_time_string(self.server.clock_seconds() if timestamp is None else timestamp)

    def arrive(self, chaos: Callable[[], str | None], latency_ms: float, query: dict[str, str], raw: bytes) -> str | None:
        """A request's way in: held at the gate while a test wants it, then its `chaos` fate decided (before
        it is handled), a failing fate delayed by the latency (a failure takes as long to arrive as an
        answer). "drop" (the connection already dropped): the fate says so, or the sandbox stopped meanwhile."""
        if not self.server.gate.enter(self.command, urlsplit(self.path).path, query, raw, "request"):
            self._drop()  # the sandbox stopped while the request was held
            return "drop"
        fate = chaos()
        if fate is not None and latency_ms > 0 and not self.server.pause(latency_ms / 1000.0):
            fate = "drop"
        if fate == "drop":
            self._drop()
        return fate

    def depart(self, fate: str | None, latency_ms: float, query: dict[str, str], raw: bytes) -> bool:
        """A handled request's way back: the latency, the gate; False (the connection dropped) when the
        answer is lost: the `fate` says so, or the sandbox stopped meanwhile. A write stays applied."""
        if latency_ms > 0 and not self.server.pause(latency_ms / 1000.0):
            fate = "lose"
        if not self.server.gate.enter(self.command, urlsplit(self.path).path, query, raw, "answer"):
            fate = "lose"
        if fate == "lose":
            self._drop()  # handled (a write is applied), but the answer never arrives
            return False
        return True

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        self._send(status, body, "application/json; charset=utf-8", headers)

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class ServedState(Protocol):
    lock: Any
    store: Any


class ClockedState(ServedState, Protocol):
    clock: Any


class RunningSandbox:
    """What a started sandbox's handle shares: its gate, address, and an immediate stop. Subclasses
    (dataclasses) provide `server`, `thread`, `state` and `API_PREFIX`."""

    server: SandboxServer
    thread: threading.Thread
    state: ServedState
    API_PREFIX: ClassVar[str] = ""

    @property
    def gate(self) -> RequestGate:
        """Where tests hold requests on their way (see crmtui.sandbox.gate)."""
        return self.server.gate

    @property
    def host(self) -> str:
        host = self.server.server_address[0]
        return host if isinstance(host, str) else bytes(host).decode()  # (always a str for AF_INET)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}{self.API_PREFIX}"

    def stop(self) -> None:
        """Stop at once: requests parked at the gate or slowed by latency are let go and dropped."""
        self.server.stop_serving()
        if self.thread.is_alive():
            self.thread.join(5)
        self.server.server_close()
        self.server.close_all()
        with self.state.lock:
            self.state.store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class ClockedSandbox(RunningSandbox):
    """A started sandbox whose state keeps a clock tests move instead of sleeping."""

    state: ClockedState

    def advance(self, seconds: float) -> None:
        """Move the sandbox clock on (limits, token expiry, jobs and the times records get follow it)."""
        self.state.clock.advance(seconds)


HELD_CHECK_SECONDS = 2.0
"""How often a sandbox started with --while-held looks whether any window still holds the lock."""


def serve_until_stopped(
    start: Callable[[], R], start_line: Callable[[R], str], address: str, refused: tuple[type[Exception], ...] = (),
    while_held: Path | None = None,
) -> int:
    """`crmtui sandbox`: start, print the start line, serve until SIGINT or SIGTERM (or, with
    `while_held`, until no process holds a lock on that file); 1 (with a one-line reason) when it
    cannot listen on `address` or `start` raises one of `refused`."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            handle = start()
        except OSError as exc:
            print(f"crmtui sandbox: cannot listen on {address}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        except refused as exc:
            print(f"crmtui sandbox: {exc}", file=sys.stderr)
            return 1
        with handle:
            print(start_line(handle), flush=True)
            checked = time.monotonic()
            while not stop.wait(0.5):
                if while_held is not None and time.monotonic() - checked >= HELD_CHECK_SECONDS:
                    checked = time.monotonic()
                    if not lock_held(while_held):
                        break
        return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

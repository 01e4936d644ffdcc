"""The sandbox holds a benchmark's load: a burst of connections waits in its listen queue."""

from __future__ import annotations

import email.utils
import select
import socket
import time

import httpx

from crmtui.sandbox.onepagecrm.server import SandboxOptions, _Handler, _Server, open_state
from tests.support.waits import HANG_GUARD

BURST = 300


def test_a_burst_of_connections_is_queued_not_dropped() -> None:
    """300 clients connect at once while the server is not accepting: all are queued by the kernel.

    With socketserver's default backlog of 5, all but a handful stay unanswered (their SYNs are
    dropped and retried seconds later): 171 of 2,475 requests of a 200-client benchmark timed out.
    """
    options = SandboxOptions()
    server = _Server(("127.0.0.1", 0), _Handler, open_state(options), options)  # listening, not yet serving
    clients: list[socket.socket] = []
    try:
        for _ in range(BURST):
            client = socket.socket()
            client.setblocking(False)
            client.connect_ex(server.server_address)
            clients.append(client)
        waiting = set(clients)
        deadline = time.monotonic() + 30  # only a failing run waits this long
        while waiting and time.monotonic() < deadline:
            _, writable, _ = select.select([], list(waiting), [], 0.5)
            waiting -= {c for c in writable if c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0}
        assert not waiting, f"{len(waiting)} of {BURST} connections were not accepted into the queue"
    finally:
        for client in clients:
            client.close()
        server.server_close()


def test_the_date_header_follows_the_sandbox_clock(sandbox, sandbox_auth) -> None:
    """A sandbox run with --today answers with that day in its Date header, as in its timestamps."""
    response = httpx.get(f"{sandbox.base_url}/bootstrap", auth=sandbox_auth, timeout=HANG_GUARD)
    when = email.utils.parsedate_to_datetime(response.headers["Date"])
    assert when.date() == sandbox.state.today()
    assert abs(when.timestamp() - response.json()["timestamp"]) <= 2

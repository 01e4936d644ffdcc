"""Reconciling a lost answer does not depend on this machine's clock agreeing with the server's.

The sandbox runs on 2026-03-10 (`--today`), months behind this machine: the records it makes are
stamped by its clock. A create whose answer is lost is looked for on the server among records made
after the attempt, and "after" must be measured on the server's clock, even when the attempt was
the first request of the process (no answer had told the server's time yet).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random

import httpx

from crmtui.backends.http import RetryPolicy
from crmtui.backends.onepagecrm.adapter import OnePageCRMBackend
from crmtui.backends.onepagecrm.client import OnePageCRMClient
from crmtui.domain.models import ActionStatus
from crmtui.service.commands import AddAction
from crmtui.service.contact_history import AddNote
from crmtui.service.outbox import RETRYING, Outbox
from crmtui.store import OutboxStore

FAST = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.05, budget=1.0)


class LoseAnswersToWrites(httpx.AsyncBaseTransport):
    """Real HTTP to the sandbox; the answer to each of the first `count` writes is lost on its way back
    (the server applied it), as when a connection drops or the app is killed mid-request."""

    def __init__(self, count: int) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.left = count
        self.requests: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(f"{request.method} {request.url.path}")
        response = await self.inner.handle_async_request(request)
        if request.method != "GET" and self.left > 0:
            self.left -= 1
            await response.aread()
            await response.aclose()
            raise httpx.ReadError("the connection dropped before the answer arrived", request=request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def backend_losing(sandbox, count: int) -> tuple[OnePageCRMBackend, LoseAnswersToWrites]:
    transport = LoseAnswersToWrites(count)
    client = OnePageCRMClient(sandbox.user_id, sandbox.api_key, base_url=sandbox.base_url, retry=FAST, transport=transport)
    return OnePageCRMBackend(client), transport


async def test_a_lost_create_is_found_on_a_server_whose_clock_is_months_behind(sandbox, tmp_path) -> None:
    behind = dt.datetime.now(dt.timezone.utc) - sandbox.state.now()
    assert behind > dt.timedelta(minutes=5), "the test needs a server clock well behind this machine's"
    contact_id = next(iter(sandbox.state.tables["contacts"]))
    backend, transport = backend_losing(sandbox, 2)
    outbox = Outbox(backend, OutboxStore(tmp_path / "outbox.sqlite3"), base_delay=0.01, max_delay=0.1, rng=random.Random(3))
    await outbox.enqueue(AddNote(contact_id=contact_id, text="skewed note"))
    await outbox.enqueue(
        AddAction(contact_id=contact_id, text="skewed action", status=ActionStatus.QUEUED, local_id="local-00000000000000aa")
    )
    outbox.start()  # the very first requests of this process: nothing has told the server's time yet
    assert await outbox.drain(60)
    await outbox.stop()
    outbox.close()
    await backend.close()

    notes = [n for n in sandbox.state.tables["notes"].values() if n["text"] == "skewed note"]
    actions = [a for a in sandbox.state.tables["actions"].values() if a["text"] == "skewed action"]
    assert len(notes) == 1, f"the note was made {len(notes)} times"
    assert len(actions) == 1, f"the action was made {len(actions)} times"
    assert outbox.reconciled == 2
    assert transport.requests.count("POST /api/v3/notes") == 1


async def test_a_change_killed_in_flight_is_found_by_the_next_run(sandbox, tmp_path) -> None:
    """The next run reads `sent_after` from the file: it was taken on the server's clock."""
    contact_id = next(iter(sandbox.state.tables["contacts"]))
    path = tmp_path / "outbox.sqlite3"
    backend, _ = backend_losing(sandbox, 1)
    outbox = Outbox(backend, OutboxStore(path), base_delay=30, max_delay=60)  # no second try in this run
    lost = asyncio.Event()
    outbox.subscribe(lambda event: lost.set() if event.kind == RETRYING else None)
    await outbox.enqueue(AddNote(contact_id=contact_id, text="note across runs"))
    outbox.start()
    await asyncio.wait_for(lost.wait(), 60)
    await outbox.stop()  # as if the app was killed: the change stays `sending`
    outbox.close()
    await backend.close()

    backend, transport = backend_losing(sandbox, 0)
    again = Outbox(backend, OutboxStore(path), base_delay=0.01, max_delay=0.1)
    await again.open()
    await again.wake()  # not the backoff the killed run had set
    again.start()
    assert await again.drain(60)
    await again.stop()
    again.close()
    await backend.close()
    notes = [n for n in sandbox.state.tables["notes"].values() if n["text"] == "note across runs"]
    assert len(notes) == 1, f"the note was made {len(notes)} times"
    assert again.reconciled == 1
    assert "POST /api/v3/notes" not in transport.requests

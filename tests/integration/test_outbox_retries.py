"""One retry layer for changes: the outbox. Each attempt sends each request once.

The client keeps its HTTP retries for the reads screens make; a change is repeated only by the
outbox, with its own backoff, after asking the server (`reconcile`) when the command says sending
it twice would not be harmless (`Command.idempotent`). Requests are counted as the client sends
them (its request hook), with the app's default retry policy, so a retry at the HTTP layer would
show as a second request within one attempt.
"""

from __future__ import annotations

import asyncio
import random
import socket
import time
from collections import Counter

import httpx
import pytest

from crmtui.backends.errors import Offline
from crmtui.backends.http import RetryPolicy
from crmtui.backends.onepagecrm.adapter import OnePageCRMBackend
from crmtui.backends.onepagecrm.client import OnePageCRMClient
from crmtui.service.commands import ActionChanges, Command, EditAction, MarkDone, ToggleStar
from crmtui.service.contact_history import AddNote
from crmtui.service.outbox import RETRYING, Outbox, OutboxEvent
from crmtui.store import State

APP_POLICY = RetryPolicy()
"""What the app's client uses (attempts=4): a retry here would repeat a request within one attempt."""


class Counted:
    """A backend on `base_url` whose requests are counted and whose HTTP waits are recorded, not slept."""

    def __init__(self, sandbox, base_url: str | None = None) -> None:
        self.calls: Counter[str] = Counter()
        self.sleeps: list[float] = []

        async def on_request(request: httpx.Request) -> None:
            self.calls[f"{request.method} {request.url.path.split('/api/v3/', 1)[-1]}"] += 1

        self.client = OnePageCRMClient(
            sandbox.user_id, sandbox.api_key, base_url=base_url or sandbox.base_url, retry=APP_POLICY,
            event_hooks={"request": [on_request]},
        )
        self.client.http._sleep = self._sleep
        self.client.http.note_server_time(time.time())  # as after any earlier answer: no clock request in the way
        self.backend = OnePageCRMBackend(self.client)

    async def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    @property
    def requests(self) -> int:
        return sum(self.calls.values())


def make_outbox(counted: Counted, *, base_delay: float) -> tuple[Outbox, list[OutboxEvent]]:
    outbox = Outbox(counted.backend, base_delay=base_delay, max_delay=base_delay * 4, rng=random.Random(7))
    events: list[OutboxEvent] = []
    outbox.subscribe(events.append)
    return outbox, events


async def until(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.005)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def a_change(sandbox, kind: str) -> Command:
    tables = sandbox.state.tables
    cid = next(iter(tables["contacts"]))
    if kind == "toggle_star":
        return ToggleStar(contact_id=cid, starred=not tables["contacts"][cid].get("starred", False))
    if kind == "add_note":
        return AddNote(contact_id=cid, text="Sent once per attempt")
    action = next(a for a in tables["actions"].values() if not a["done"])
    return EditAction(  # asks the server first whether someone else changed it: a read inside the attempt
        contact_id=action["contact_id"], action_id=action["id"], changes=ActionChanges(text="Mine"),
        previous=ActionChanges(text=action["text"]),
    )


@pytest.mark.parametrize("kind", ["toggle_star", "add_note", "edit_action"])
@pytest.mark.parametrize("network", ["dropped", "refused"])
async def test_offline_a_change_goes_to_the_outbox_backoff_after_one_request(sandbox, kind: str, network: str) -> None:
    if network == "dropped":
        sandbox.options.drop_rate = 1.0  # the server reads each request and hangs up
        counted = Counted(sandbox)
    else:
        counted = Counted(sandbox, base_url=f"http://127.0.0.1:{closed_port()}/api/v3")  # nothing listens
    outbox, events = make_outbox(counted, base_delay=60.0)
    await outbox.enqueue(a_change(sandbox, kind))
    outbox.start()
    await until(lambda: any(e.kind == RETRYING for e in events))
    [retrying] = [e for e in events if e.kind == RETRYING]
    assert isinstance(retrying.error, Offline)
    assert counted.requests == 1 and counted.sleeps == [] and counted.client.http.retries == 0
    assert retrying.change.next_try - time.time() > 20  # waiting out the outbox's backoff, not the client's
    await outbox.stop()
    await counted.client.aclose()


async def test_every_outbox_attempt_offline_sends_each_request_once(sandbox) -> None:
    sandbox.options.drop_rate = 1.0
    counted = Counted(sandbox)
    outbox, _events = make_outbox(counted, base_delay=0.002)
    outbox.subscribe(lambda event: outbox.pause("counted") if outbox.retried >= 5 else None)  # before a 6th
    await outbox.enqueue(a_change(sandbox, "toggle_star"))
    outbox.start()
    await until(lambda: outbox.paused)
    await outbox.stop()
    [call] = counted.calls
    assert call.startswith("PUT contacts/") and counted.calls[call] == outbox.retried  # one per attempt
    assert counted.sleeps == [] and counted.client.http.retries == 0
    sandbox.options.drop_rate = 0.0
    outbox.resume()
    outbox.start()
    assert await outbox.drain(20)
    await outbox.stop()
    await counted.client.aclose()


async def test_a_write_whose_answer_is_lost_is_sent_once_and_the_outbox_reconciles(sandbox) -> None:
    tables = sandbox.state.tables
    action = next(a for a in tables["actions"].values() if not a["done"] and a["status"] != "queued")
    counted = Counted(sandbox)
    action_model = await counted.backend.get_action(action["id"])
    counted.calls.clear()
    outbox, _events = make_outbox(counted, base_delay=0.01)
    command = MarkDone(contact_id=action["contact_id"], action=action_model)
    assert not command.idempotent
    sandbox.options.lose_rate = 1.0  # the server applies each request and its answer is lost
    await outbox.enqueue(command)
    outbox.start()
    await until(lambda: outbox.retried >= 3)  # the first attempt, then reconciles whose answers are lost too
    sandbox.options.lose_rate = 0.0
    await outbox.wake()
    assert await outbox.drain(20)
    await outbox.stop()

    mark = f"PUT actions/{action['id']}/mark_as_done"
    assert counted.calls[mark] == 1  # sent by the first attempt only: the later ones asked the server
    assert counted.calls[f"GET actions/{action['id']}"] == outbox.retried  # one read per later attempt
    assert outbox.reconciled == 1 and outbox.sent_count == 1 and counted.client.http.retries == 0
    assert tables["actions"][action["id"]]["done"]
    change = outbox.store.changes([State.DONE])[0]
    assert change.subject == f"contact:{action['contact_id']}"
    await counted.client.aclose()


async def test_reads_outside_the_outbox_keep_their_http_retries(sandbox) -> None:
    sandbox.options.drop_rate = 1.0
    counted = Counted(sandbox)
    with pytest.raises(Offline):
        await counted.backend.get_action(next(iter(sandbox.state.tables["actions"])))
    assert counted.requests == APP_POLICY.attempts and len(counted.sleeps) == APP_POLICY.attempts - 1
    await counted.client.aclose()

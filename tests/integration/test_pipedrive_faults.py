"""The fault test of issue 11: hundreds of mixed lead changes through the outbox against a sandbox with a
small burst window, the 403 block armed, server errors and lost answers. Every change ends applied
exactly once (the leads end as the changes say, one lead per create), crmtui never draws a 429 nor the
block's 403 page (its governor keeps within the window), and the sandbox's token ledger equals the
spec's costs of the requests crmtui sent.

Time is simulated, not slept: the sandbox's clock is frozen and the client's governor runs on it, its
waits moving it on; so the test runs in seconds and the same way on a loaded machine.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections import Counter

import httpx
import pytest

from crmtui.backends.pipedrive.adapter import PipedriveBackend
from crmtui.backends.pipedrive.client import PipedriveClient
from crmtui.backends.pipedrive.costs import cost_of
from crmtui.backends.pipedrive.governor import RateGovernor
from crmtui.domain.leads import LeadDraft
from crmtui.service.compose import compose
from crmtui.service.lead_commands import CreateLead, UpdateLead
from crmtui.service.outbox import Outbox
from crmtui.service.commands import new_local_id
from tests.support.waits import HANG_GUARD

CHANGES = 240
BURST = 6


def simulated_governor(sandbox) -> RateGovernor:
    clock = sandbox.state.clock

    async def sleep(seconds: float) -> None:
        sandbox.advance(max(seconds, 0.0))  # waiting is moving the shared clock on
        await asyncio.sleep(0)

    return RateGovernor(clock=clock.seconds, sleep=sleep)


@pytest.fixture
def faulty(pipedrive_sandbox):
    limits = pipedrive_sandbox.limits
    limits.burst = BURST
    limits.escalate_after = 3  # the block is armed, and quick to trip
    return pipedrive_sandbox


async def test_hundreds_of_changes_end_applied_once_within_the_limits(faulty) -> None:
    spent_by_requests = 0
    statuses: Counter[int] = Counter()

    async def on_request(request: httpx.Request) -> None:
        nonlocal spent_by_requests
        spent_by_requests += cost_of(request.method, request.url.path)  # every request sent, answered or not

    async def on_response(response: httpx.Response) -> None:
        nonlocal spent_by_requests
        statuses[response.status_code] += 1
        if response.status_code >= 500:  # the sandbox's chaos fails a request before it is counted
            spent_by_requests -= cost_of(response.request.method, response.request.url.path)

    hooks = {"request": [on_request], "response": [on_response]}
    clock = faulty.state.clock

    def client() -> PipedriveClient:
        return PipedriveClient(faulty.api_token, base_url=faulty.base_url, governor=simulated_governor(faulty), event_hooks=hooks)

    backend = PipedriveBackend(client())
    before = faulty.limits.spent(clock.seconds())
    session = compose(backend, outbox=Outbox(backend, base_delay=0.01, max_delay=0.05), local_copy=False)
    await session.connect()
    inbox = session.leads
    inbox.everyone = True
    await inbox.load()

    rng = random.Random(11)
    leads = [lead for lead in inbox.items[:40]]
    labels = [label.id for label in inbox.labels()]
    expected: dict[str, dict[str, object]] = {lead.id: {} for lead in leads}
    current = {lead.id: {"was_seen": lead.was_seen, "label_ids": sorted(lead.label_ids), "title": lead.title,
                         "expected_close_date": lead.expected_close_date.isoformat() if lead.expected_close_date else None}
               for lead in leads}
    made: list[str] = []
    # Server errors before the server acts, and writes applied whose answers are lost. (Connections
    # dropped before the server acts are left to the offline tests: here they would look, from the
    # client, like lost answers, which are charged, so the ledger could not be told from them.)
    faulty.options.fail_rate = 0.05
    faulty.options.lose_rate = 0.05
    for n in range(CHANGES):
        if n % 40 == 39:
            title = f"Fault test lead {n}"
            made.append(title)
            draft = LeadDraft(title=title, organization_id="1", owner_id=session.account.user.id)
            await inbox.run(CreateLead(lead_id=new_local_id(), draft=draft, label=title), record=False)
            continue
        lead = rng.choice(leads)
        field = rng.choice(["was_seen", "label_ids", "title", "expected_close_date"])
        if field == "was_seen":
            value: object = not current[lead.id]["was_seen"]
        elif field == "label_ids":
            value = sorted(rng.sample(labels, rng.randint(0, 2)))
        elif field == "title":
            value = f"{lead.title.split(' #')[0]} #{n}"
        else:
            value = (dt.date(2026, 3, 10) + dt.timedelta(days=rng.randint(-20, 90))).isoformat()
        command = UpdateLead(lead_id=lead.id, fields={field: value}, before={field: current[lead.id][field]}, label=f"change {n}")
        current[lead.id][field] = value
        expected[lead.id][field] = value
        await inbox.run(command, record=False)

    assert await session.settled(HANG_GUARD)
    faulty.options.fail_rate = faulty.options.lose_rate = 0.0
    assert session.outbox.pending == 0 and not session.outbox.review(), session.outbox.review()

    docs = faulty.state.tables["leads"]
    for lead_id, fields in expected.items():
        for field, value in fields.items():
            actual = docs[lead_id][field]
            assert (sorted(actual) if field == "label_ids" else actual) == value, (lead_id, field)
    for title in made:
        assert sum(1 for doc in docs.values() if doc["title"] == title) == 1, title  # once, lost answers or not

    assert statuses[403] == 0  # never the block
    assert sum(n for status, n in statuses.items() if status >= 500) > 0  # the chaos did happen
    assert statuses[429] == 0  # nor a 429: the governor keeps within the window
    spent = faulty.limits.spent(clock.seconds()) - before
    assert spent == spent_by_requests  # the sandbox charged what the spec says of the requests sent
    await session.close()

"""Every read of the client and the adapter against mutated and malformed answers of the real sandbox.

A `MutatingProxy` on loopback sits between the client and the sandbox and rewrites answers: JSON-level
(values of other types, huge numbers, deep nesting, unicode digits, nulls, dropped keys, duplicate or
missing ids, empty lists, wild paging metadata, data null/string) and raw-level (truncated bodies, bad
gzip, wrong content types, 204/empty bodies, HTML pages, error statuses inside a 200, broken HTTP,
stalled and trickled answers). Every call must end, within its deadline, in data or a typed
`BackendError`, without an unbounded allocation.

The suite runs one seeded round (every operation once, half with a JSON-level, half with a raw-level
mutation); CRMTUI_FUZZ_CASES and CRMTUI_FUZZ_SEED run more; `python -m tests.support.fuzz_cli` counts outcomes.
"""

from __future__ import annotations

import asyncio
import json
import os
import tracemalloc
from dataclasses import replace

import pytest

from crmtui.backends.http import RetryPolicy
from crmtui.backends.onepagecrm.adapter import OnePageCRMBackend
from crmtui.backends.onepagecrm.client import OnePageCRMClient
from crmtui.sandbox.onepagecrm.server import SandboxHandle
from tests.support.fuzz import JSON_LEVEL, READS, run_fuzz
from tests.support.mutating import Answer, MutatingProxy, Plan

CASES = int(os.environ.get("CRMTUI_FUZZ_CASES") or len(READS))
SEED = int(os.environ.get("CRMTUI_FUZZ_SEED") or 20260310)
SIZE_MUTATIONS = {*JSON_LEVEL, "bad-encoding", "huge-length"}
"""Mutations that could make a call allocate without bound; only these calls are traced (tracing costs time)."""
CALL_DEADLINE = 15.0
"""A call still running after this many seconds counts as a hang (the client's own deadline is 0.5 s)."""


async def test_every_read_ends_in_data_or_a_typed_error(sandbox: SandboxHandle) -> None:
    report = await run_fuzz(
        sandbox, cases=CASES, seed=SEED, deadline=CALL_DEADLINE, client_deadline=0.5, memory_limit=200 << 20,
        trace_memory=lambda case: case.mutation in SIZE_MUTATIONS,
    )
    assert report.calls == CASES
    assert not report.bad, report.summary()
    assert report.outcomes["ok"] and sum(report.outcomes.values()) - report.outcomes["ok"]  # both kinds happened


def paging_claims(max_page: int, total: int):
    """Every listing answer claims `max_page` pages and `total` records, whatever it holds."""

    def mutate(answer: Answer, rng) -> Answer:
        tree = json.loads(answer.body)
        if isinstance(tree.get("data"), dict) and "max_page" in tree["data"]:
            tree["data"].update(max_page=max_page, total_count=total)
        return replace(answer, body=json.dumps(tree).encode())

    return mutate


@pytest.mark.parametrize(("max_page", "total"), [(12_345, None), (10**18, None), (10**18, 10**18)])
async def test_wild_paging_claims_of_a_real_server_cost_at_most_one_window(sandbox: SandboxHandle, max_page: int, total) -> None:
    proxy = MutatingProxy(sandbox.host, sandbox.port)
    await proxy.start()
    api = OnePageCRMClient(sandbox.user_id, sandbox.api_key, base_url=proxy.base_url, retry=RetryPolicy(attempts=1))
    try:
        honest = await api.action_stream_all()
        honest_requests = proxy.served
        proxy.plan = Plan(paging_claims(max_page, total if total is not None else len(honest)), target=None)
        tracemalloc.start()
        try:
            entries = await asyncio.wait_for(OnePageCRMBackend(api).action_stream_all(), CALL_DEADLINE)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    finally:
        await api.aclose()
        await proxy.stop()
    assert sorted(e.contact.id for e in entries) == sorted(item.contact.id for item in honest)
    assert proxy.served <= honest_requests + api.max_concurrency
    assert peak < 100 << 20

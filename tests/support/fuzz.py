"""Fuzz every read of the OnePageCRM client and backend adapter through a `MutatingProxy`.

Each case is reproducible from (seed, index): it takes the next read operation, draws a mutation
and which answer of the call it rewrites (the first, the second, or every one). A call must end in
data or a typed `BackendError` within `deadline` seconds; anything else is counted against it.

The suite runs a round in-process (tests/integration/test_fuzz_answers.py); `tests.support.fuzz_cli`
counts many cases in worker processes, for measurements.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import random
import time
import tracemalloc
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from crmtui.backends.errors import BackendError
from crmtui.backends.http import RetryPolicy
from crmtui.backends.onepagecrm.adapter import OnePageCRMBackend
from crmtui.backends.onepagecrm.client import OnePageCRMClient
from crmtui.sandbox.onepagecrm.server import SandboxHandle

from .mutating import MutatingProxy, Plan
from .mutations import json_mutations, raw_mutations

Op = Callable[[OnePageCRMClient, OnePageCRMBackend, dict[str, str]], Awaitable[Any]]
SINCE = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)

CLIENT_READS: dict[str, Op] = {
    "bootstrap": lambda api, be, ids: api.bootstrap(),
    "users": lambda api, be, ids: api.users(),
    "get_user": lambda api, be, ids: api.get_user(ids["user"]),
    "statuses": lambda api, be, ids: api.statuses(),
    "lead_sources": lambda api, be, ids: api.lead_sources(),
    "predefined_actions": lambda api, be, ids: api.predefined_actions(),
    "call_results": lambda api, be, ids: api.call_results(),
    "custom_fields": lambda api, be, ids: api.custom_fields(),
    "filters": lambda api, be, ids: api.filters(),
    "action_stream": lambda api, be, ids: api.action_stream(),
    "action_stream_all": lambda api, be, ids: api.action_stream_all(),
    "team_stream": lambda api, be, ids: api.team_stream(),
    "team_stream_all": lambda api, be, ids: api.team_stream_all(),
    "team_stream_counts": lambda api, be, ids: api.team_stream_counts(),
    "list_contacts": lambda api, be, ids: api.list_contacts(),
    "list_contacts_all": lambda api, be, ids: api.list_contacts_all(),
    "get_contact": lambda api, be, ids: api.get_contact(ids["contact"]),
    "get_company": lambda api, be, ids: api.get_company(ids["company"]),
    "list_actions": lambda api, be, ids: api.list_actions(),
    "list_actions_all": lambda api, be, ids: api.list_actions_all(),
    "contact_actions": lambda api, be, ids: api.contact_actions(ids["contact"]),
    "contact_actions_all": lambda api, be, ids: api.contact_actions_all(ids["contact"]),
    "get_action": lambda api, be, ids: api.get_action(ids["action"]),
    "pipelines_all": lambda api, be, ids: api.pipelines_all(),
    "get_pipeline": lambda api, be, ids: api.get_pipeline(ids["pipeline"]),
    "list_deals": lambda api, be, ids: api.list_deals(),
    "deals_all": lambda api, be, ids: api.deals_all(),
    "get_deal": lambda api, be, ids: api.get_deal(ids["deal"]),
    "notes_all": lambda api, be, ids: api.notes_all(contact_id=ids["contact"]),
    "calls_all": lambda api, be, ids: api.calls_all(),
    "meetings_all": lambda api, be, ids: api.meetings_all(),
    "notifications": lambda api, be, ids: api.notifications(),
    "notifications_all": lambda api, be, ids: api.notifications_all(),
    "get_notification": lambda api, be, ids: api.get_notification(ids["notification"]),
}

ADAPTER_READS: dict[str, Op] = {
    "be.connect": lambda api, be, ids: be.connect(),
    "be.changed_contact_ids": lambda api, be, ids: be.changed_contact_ids(SINCE),
    "be.stream_size": lambda api, be, ids: be.stream_size(),
    "be.action_stream": lambda api, be, ids: be.action_stream(),
    "be.action_stream_all": lambda api, be, ids: be.action_stream_all(on_first_page=lambda entries: None),
    "be.action_stream_all_other": lambda api, be, ids: be.action_stream_all(user_id=ids["other_user"]),
    "be.stream_entry": lambda api, be, ids: be.stream_entry(ids["contact"]),
    "be.contact_entry_other": lambda api, be, ids: be.contact_entry(ids["contact"], user_id=ids["other_user"]),
    "be.team_counts": lambda api, be, ids: be.team_counts(),
    "be.team_stream_all": lambda api, be, ids: be.team_stream_all(),
    "be.team_stream_entry": lambda api, be, ids: be.team_stream_entry(ids["contact"]),
    "be.contact_actions": lambda api, be, ids: be.contact_actions(ids["contact"]),
    "be.get_action": lambda api, be, ids: be.get_action(ids["action"]),
    "be.get_contact": lambda api, be, ids: be.get_contact(ids["contact"]),
    "be.pipelines": lambda api, be, ids: be.pipelines(),
    "be.deals": lambda api, be, ids: be.deals(),
    "be.get_deal": lambda api, be, ids: be.get_deal(ids["deal"]),
    "be.notes": lambda api, be, ids: be.notes(ids["contact"]),
    "be.calls": lambda api, be, ids: be.calls(ids["contact"]),
    "be.meetings": lambda api, be, ids: be.meetings(ids["contact"]),
    "be.notifications": lambda api, be, ids: be.notifications(),
    "be.unread_notifications": lambda api, be, ids: be.unread_notifications(),
}

READS = {**CLIENT_READS, **ADAPTER_READS}
JSON_LEVEL = json_mutations()
RAW_LEVEL = raw_mutations()
MUTATIONS = {**JSON_LEVEL, **RAW_LEVEL}
SLOW = {"stall", "trickle"}
"""Mutations that only end by the client giving up: drawn less often, they cost a client deadline each."""


def sample_ids(handle: SandboxHandle) -> dict[str, str]:
    tables = handle.state.tables
    contact = next(a["contact_id"] for a in tables["actions"].values() if a["assignee_id"] == handle.user_id)
    first = lambda kind: next(iter(tables[kind]))  # noqa: E731
    return {
        "user": handle.user_id,
        "other_user": handle.users[1].user_id,
        "contact": contact,
        "company": first("companies"),
        "action": first("actions"),
        "pipeline": first("pipelines"),
        "deal": first("deals"),
        "notification": first("notifications"),
    }


@dataclass
class Case:
    index: int
    op: str
    mutation: str
    target: int | None
    seed: int

    def __str__(self) -> str:
        return f"#{self.index} {self.op} <- {self.mutation} (answer {'every' if self.target is None else self.target})"


def make_case(seed: int, index: int) -> Case:
    """Case `index`: the operations in turn (every one once per len(READS) cases), each round giving
    half of them a JSON-level mutation and the other half a raw one (swapped in the next round)."""
    rng = random.Random(f"{seed}:{index}")
    ops = sorted(READS)
    number, round_ = index % len(ops), index // len(ops)
    family = JSON_LEVEL if (number + round_) % 2 == 0 else RAW_LEVEL
    names = sorted(family)
    weights = [0.2 if name in SLOW else 1.0 for name in names]
    mutation = rng.choices(names, weights)[0]
    target = rng.choices([0, 1, None], [0.6, 0.2, 0.2])[0]
    return Case(index, ops[number], mutation, target, rng.randrange(1 << 30))


@dataclass
class Report:
    calls: int = 0
    outcomes: Counter = field(default_factory=Counter)
    """ok, typed:<BackendError subclass>, crash:<exception type>, hang, memory."""
    failures: list[tuple[str, str, str, str]] = field(default_factory=list)
    """(case, mutation, outcome, detail) of every call that did not end in data or a typed error."""
    peak_bytes: int = 0
    slowest: float = 0.0

    def add(self, case: Case | str, outcome: str, detail: str, peak: int, seconds: float) -> None:
        self.calls += 1
        self.outcomes[outcome] += 1
        self.peak_bytes = max(self.peak_bytes, peak)
        self.slowest = max(self.slowest, seconds)
        if not (outcome == "ok" or outcome.startswith("typed:")):
            mutation = str(case).split(" <- ", 1)[-1].split(" ", 1)[0]
            self.failures.append((str(case), mutation, outcome, detail[:200]))

    @property
    def bad(self) -> Counter:
        return Counter({k: v for k, v in self.outcomes.items() if not (k == "ok" or k.startswith("typed:"))})

    def summary(self, limit: int = 40) -> str:
        bad = self.bad
        typed = sum(v for k, v in self.outcomes.items() if k.startswith("typed:"))
        lines = [
            f"calls: {self.calls}; ok: {self.outcomes['ok']}; typed errors: {typed}; "
            f"untyped/hang/memory: {sum(bad.values())}; peak traced memory per call: {self.peak_bytes / 1e6:.1f} MB; "
            f"slowest call: {self.slowest:.2f} s",
            "  " + ", ".join(f"{k}={v}" for k, v in sorted(self.outcomes.items())),
        ]
        by_mutation = Counter((mutation, outcome) for _, mutation, outcome, _ in self.failures)
        if by_mutation:
            lines.append("  by mutation: " + ", ".join(f"{m}->{o}={n}" for (m, o), n in sorted(by_mutation.items())))
        lines += [f"  {case}: {outcome} {detail}" for case, _, outcome, detail in self.failures[:limit]]
        return "\n".join(lines)


def _client(base_url: str, handle: SandboxHandle, client_deadline: float) -> OnePageCRMClient:
    import httpx

    kw: dict[str, Any] = {}
    if "deadline" in inspect.signature(OnePageCRMClient).parameters:
        kw["deadline"] = client_deadline
    return OnePageCRMClient(
        handle.user_id, handle.api_key, base_url=base_url,
        retry=RetryPolicy(attempts=2, base_delay=0.001, max_delay=0.01, budget=1.0),
        timeout=httpx.Timeout(connect=2.0, read=client_deadline, write=2.0, pool=2.0),
        **kw,
    )


async def run_fuzz(
    handle: SandboxHandle,
    *,
    cases: int,
    seed: int,
    first: int = 0,
    deadline: float = 20.0,
    client_deadline: float = 2.0,
    memory_limit: int = 300 << 20,
    trace_memory: bool | Callable[[Case], bool] = True,
    only: Callable[[Case], bool] | None = None,
    on_case: Callable[[Case, str, str, int, float], None] | None = None,
    on_start: Callable[[Case], None] | None = None,
) -> Report:
    """Run cases `first`..`first + cases - 1`; a call that takes longer than `deadline` s is a hang."""
    proxy = MutatingProxy(handle.host, handle.port)
    await proxy.start()
    ids = sample_ids(handle)
    report = Report()
    api = _client(proxy.base_url, handle, client_deadline)
    traced = trace_memory if callable(trace_memory) else (lambda case: bool(trace_memory))
    try:
        for index in range(first, first + cases):
            case = make_case(seed, index)
            if only is not None and not only(case):
                continue
            if on_start is not None:
                on_start(case)
            proxy.plan = Plan(MUTATIONS[case.mutation], target=case.target, seed=case.seed)
            backend = OnePageCRMBackend(api)
            before = set(asyncio.all_tasks())
            peak = 0
            tracing = traced(case)
            if tracing:
                tracemalloc.start()
            started = time.monotonic()
            outcome, detail = await _one(READS[case.op](api, backend, ids), deadline)
            seconds = time.monotonic() - started
            if tracing:
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
                if peak > memory_limit and (outcome == "ok" or outcome.startswith("typed:")):
                    outcome, detail = "memory", f"{peak / 1e6:.0f} MB"
            report.add(case, outcome, detail, peak, seconds)
            if on_case is not None:
                on_case(case, outcome, detail, peak, seconds)
            if not (outcome == "ok" or outcome.startswith("typed:")):
                await _cancel_new_tasks(before, proxy)
                await api.aclose()
                api = _client(proxy.base_url, handle, client_deadline)
    finally:
        if tracemalloc.is_tracing():
            tracemalloc.stop()
        await api.aclose()
        await proxy.stop()
    return report


async def _one(call: Awaitable[Any], deadline: float) -> tuple[str, str]:
    try:
        await asyncio.wait_for(call, deadline)
    except BackendError as exc:
        return f"typed:{type(exc).__name__}", ""
    except TimeoutError:  # asyncio.TimeoutError is TimeoutError since 3.11
        return "hang", f"no end within {deadline:g} s"
    except BaseException as exc:  # counting what escapes is the point
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        return f"crash:{type(exc).__name__}", str(exc)[:160]
    return "ok", ""


async def _cancel_new_tasks(before: set[asyncio.Task], proxy: MutatingProxy) -> None:
    """Tasks a broken call left behind (pages still in flight) must not leak into the next case."""
    current = asyncio.current_task()
    stray = [t for t in asyncio.all_tasks() if t not in before and t is not current and t not in proxy._connections]
    for task in stray:
        task.cancel()
    await asyncio.gather(*stray, return_exceptions=True)

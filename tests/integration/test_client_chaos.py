"""OnePageCRMClient against a misbehaving sandbox: 5xx, throttling, dropped connections, latency, outages.

The sandbox decides a request's fate (drop, throttle, fail) before handling it, so a request that
got one of those answers was never applied. That makes the state after a chaos run exactly
predictable: a write that raised did not happen, a write that returned happened once (only the
successful attempt reached the handlers). The one case where a failed write may still have been
applied is a timeout while the server is working; `test_a_post_that_times_out_is_not_repeated`
covers it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from crmtui.backends.errors import BackendError, Offline, RateLimited, ServerError
from crmtui.backends.http import RetryPolicy
from crmtui.backends.onepagecrm import wire
from crmtui.backends.onepagecrm.client import OnePageCRMClient
from crmtui.sandbox.onepagecrm.server import SandboxHandle, SandboxOptions, start_sandbox
from tests.support.waits import HANG_GUARD
from tests.support.server_edits import edit_contact

TODAY = dt.date(2026, 3, 10)
FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05, budget=5)
CHAOS_ERRORS = (ServerError, RateLimited, Offline)


class Attempts:
    """An event hook counting the requests a client really sent (retries included)."""

    def __init__(self) -> None:
        self.urls: list[tuple[str, str]] = []

    async def __call__(self, request: httpx.Request) -> None:
        self.urls.append((request.method, request.url.path))

    def hooks(self, spec_recorder=None) -> dict[str, list[Any]]:
        hooks: dict[str, list[Any]] = {"request": [self], "response": []}
        if spec_recorder is not None:
            hooks["request"] += spec_recorder.hooks["request"]
            hooks["response"] += spec_recorder.hooks["response"]
        return hooks

    def __len__(self) -> int:
        return len(self.urls)


def fast_client(handle: SandboxHandle, attempts: Attempts, spec_recorder=None, **kw: Any) -> OnePageCRMClient:
    return OnePageCRMClient(
        handle.user_id, handle.api_key, base_url=handle.base_url, retry=kw.pop("retry", FAST),
        event_hooks=attempts.hooks(spec_recorder), **kw,
    )


def set_chaos(handle: SandboxHandle, *, fail: float = 0.0, throttle: float = 0.0, drop: float = 0.0, latency: float = 0.0) -> None:
    handle.options.fail_rate = fail
    handle.options.throttle_rate = throttle
    handle.options.drop_rate = drop
    handle.options.latency_ms = latency


# -- a mixed batch under chaos -----------------------------------------------------------------------


async def test_mixed_calls_under_chaos_end_typed_and_leave_consistent_state(
    sandbox: SandboxHandle, client: OnePageCRMClient, spec_recorder
) -> None:
    me = sandbox.user_id
    stream = await client.action_stream_all()  # chaos off: pick distinct targets for every write
    promotable = [
        e for e in stream
        if e.next_action is None and any(a.assignee_id == me and a.status == wire.ActionStatus.QUEUED for a in e.queued_actions)
    ][:4]
    with_next = [e for e in stream if e.next_action is not None and e.contact.owner_id == me][:8]
    used = {e.contact.id for e in promotable + with_next}
    rest = [e for e in stream if e.contact.id not in used and not e.contact.starred]
    assert len(promotable) >= 2 and len(with_next) == 8 and len(rest) >= 60
    pool = iter(rest)

    def take(n: int) -> list[wire.StreamItem]:
        return [next(pool) for _ in range(n)]

    note_targets, action_targets, star_targets, title_targets, deal_targets = take(16), take(12), take(8), take(8), take(6)
    original_titles = {e.contact.id: e.contact.job_title for e in title_targets}
    queued_ids = {
        e.contact.id: next(a.id for a in e.queued_actions if a.assignee_id == me and a.status == wire.ActionStatus.QUEUED)
        for e in promotable
    }
    statuses = await client.statuses()

    # (kind, key, coroutine factory): every write has its own target, so outcomes are independent.
    ops: list[tuple[str, str, Callable[[OnePageCRMClient], Awaitable[Any]]]] = []
    for i, e in enumerate(note_targets):
        ops.append(("note", f"chaos note {i}", lambda c, cid=e.contact.id, i=i: c.create_note({"contact_id": cid, "text": f"chaos note {i}"})))
    for i, e in enumerate(action_targets):
        ops.append(("action", f"chaos action {i}", lambda c, cid=e.contact.id, i=i: c.create_action(
            {"contact_id": cid, "text": f"chaos action {i}", "status": "queued"})))
    for e in star_targets:
        ops.append(("star", e.contact.id, lambda c, cid=e.contact.id: c.star_contact(cid)))
    for i, e in enumerate(title_targets):
        ops.append(("title", e.contact.id, lambda c, cid=e.contact.id, i=i: edit_contact(c, cid, {"job_title": f"Chaos title {i}"})))
    for e in with_next:
        ops.append(("done", e.next_action.id, lambda c, aid=e.next_action.id: c.mark_action_done(aid)))
    for i, e in enumerate(deal_targets):
        ops.append(("deal", f"chaos deal {i}", lambda c, cid=e.contact.id, i=i: c.create_deal(
            {"contact_id": cid, "name": f"chaos deal {i}", "amount": 100})))
    for aid in queued_ids.values():
        ops.append(("promote", aid, lambda c, aid=aid: c.promote_action(aid)))
    readers = [
        lambda c: c.bootstrap(),
        lambda c: c.action_stream(per_page=20),
        lambda c: c.action_stream_all(),  # several pages: one failing page fails the whole listing
        lambda c: c.get_contact(stream[0].contact.id),
        lambda c: c.list_deals(status="pending"),
        lambda c: c.notifications(),
        lambda c: c.statuses(),
        lambda c: c.team_stream_counts(),
        lambda c: c.list_contacts(per_page=50, status_id=statuses[0].id),
        lambda c: c.pipelines_all(),
    ]
    for i in range(30):
        ops.append(("read", str(i), readers[i % len(readers)]))

    sandbox.options.retry_after = 0
    set_chaos(sandbox, fail=0.3, throttle=0.2, drop=0.1, latency=2)
    attempts = Attempts()
    mark = spec_recorder.mark()
    gate = asyncio.Semaphore(8)
    async with fast_client(sandbox, attempts, spec_recorder) as chaotic:

        async def run(factory: Callable[[OnePageCRMClient], Awaitable[Any]]) -> Any:
            async with gate:
                try:
                    return await factory(chaotic)
                except BaseException as exc:  # noqa: BLE001 - the type is what this test checks
                    return exc

        outcomes = await asyncio.gather(*(run(factory) for _kind, _key, factory in ops))
        retries = chaotic.http.retries
    set_chaos(sandbox)

    strays = [(kind, key, repr(o)) for (kind, key, _), o in zip(ops, outcomes) if isinstance(o, BaseException) and not isinstance(o, CHAOS_ERRORS)]
    assert strays == [], "only ServerError, RateLimited or Offline may come out of a chaos run"
    assert all(o.user_message for o in outcomes if isinstance(o, BackendError))
    failed = [o for o in outcomes if isinstance(o, BackendError)]
    assert failed and len(failed) < len(ops), "chaos should make some calls fail and let others through"
    assert retries > 0 and len(attempts) > len(ops)
    assert spec_recorder.request_problems(since=mark) == []

    ok = {(kind, key): not isinstance(o, BaseException) for (kind, key, _), o in zip(ops, outcomes)}
    result = {(kind, key): o for (kind, key, _), o in zip(ops, outcomes)}
    write_results = [success for (kind, _key), success in ok.items() if kind != "read"]
    assert any(write_results) and not all(write_results), "some writes should fail and some succeed"

    # Chaos off: the state shows exactly the writes that succeeded, once each.
    notes = Counter(n.text for n in await client.notes_all() if n.text.startswith("chaos note "))
    for i in range(len(note_targets)):
        key = f"chaos note {i}"
        assert notes[key] == (1 if ok[("note", key)] else 0), key
    actions = Counter(a.text for a in await client.list_actions_all(done=False) if a.text.startswith("chaos action "))
    for i in range(len(action_targets)):
        key = f"chaos action {i}"
        assert actions[key] == (1 if ok[("action", key)] else 0), key
        if ok[("action", key)]:
            created = result[("action", key)]
            assert (await client.get_action(created.id)).text == key
    deals = Counter(d.name for d in await client.deals_all() if d.name.startswith("chaos deal "))
    for i in range(len(deal_targets)):
        key = f"chaos deal {i}"
        assert deals[key] == (1 if ok[("deal", key)] else 0), key
    for e in star_targets:
        assert (await client.get_contact(e.contact.id)).contact.starred is ok[("star", e.contact.id)]
    for i, e in enumerate(title_targets):
        title = (await client.get_contact(e.contact.id)).contact.job_title
        assert title == (f"Chaos title {i}" if ok[("title", e.contact.id)] else original_titles[e.contact.id])
    for e in with_next:
        assert (await client.get_action(e.next_action.id)).done is ok[("done", e.next_action.id)]
    for cid, aid in queued_ids.items():
        action = await client.get_action(aid)
        expected = wire.ActionStatus.ASAP if ok[("promote", aid)] else wire.ActionStatus.QUEUED
        assert action.status == expected
        entry = await client.get_contact(cid)
        assert (entry.next_action is not None and entry.next_action.id == aid) is ok[("promote", aid)]
    # The stream is still whole and in order.
    after = await client.action_stream_all()
    assert len({e.contact.id for e in after}) == len(after) == len(stream)


# -- throttling, outages, timeouts -------------------------------------------------------------------


async def test_constant_throttling_ends_in_rate_limited_after_the_policy_attempts(sandbox: SandboxHandle, client) -> None:
    cid = (await client.action_stream(per_page=1)).items[0].contact.id
    sandbox.options.retry_after = 0
    set_chaos(sandbox, throttle=1.0)
    attempts = Attempts()
    async with fast_client(sandbox, attempts) as api:
        with pytest.raises(RateLimited) as read:
            await api.statuses()
        assert len(attempts) == FAST.attempts
        assert {path for _m, path in attempts.urls} == {"/api/v3/statuses"}
        assert read.value.status in (403, 429) and "Throttled" in read.value.user_message

        # Throttled requests were never acted on, so even a POST is retried, and nothing is created.
        attempts.urls.clear()
        with pytest.raises(RateLimited):
            await api.create_note({"contact_id": cid, "text": "throttled note"})
        assert attempts.urls == [("POST", "/api/v3/notes")] * FAST.attempts

        # A long Retry-After that does not fit the policy's budget ends the call at once.
        sandbox.options.retry_after = 30
        waits: list[float] = []  # what the client waited between tries (it sleeps for real, and says so here)
        sleep = api.http._sleep

        async def waited(seconds: float) -> None:
            waits.append(seconds)
            await sleep(seconds)

        api.http._sleep = waited
        seen: set[int | None] = set()
        for _ in range(6):
            attempts.urls.clear()
            with pytest.raises(RateLimited) as slow:
                await api.get_contact(cid)
            seen.add(slow.value.status)
            if slow.value.status == 429:
                assert slow.value.retry_after == 30
        assert sum(waits) < 3, waits  # short backoffs after a 403 at most: never the 30 s asked for
        assert 429 in seen
    set_chaos(sandbox)
    assert [n.text for n in await client.notes_all(contact_id=cid) if n.text == "throttled note"] == []


async def test_a_stopped_sandbox_makes_calls_offline() -> None:
    handle = start_sandbox(SandboxOptions(today=TODAY, contacts=30))
    stopped = False
    try:
        attempts = Attempts()
        async with fast_client(handle, attempts) as api:
            assert (await api.bootstrap()).user_id == handle.user_id  # a live keep-alive connection
            handle.stop()
            stopped = True
            with pytest.raises(Offline):
                await api.get_contact(handle.users[0].user_id)
        attempts = Attempts()
        async with fast_client(handle, attempts) as api:
            with pytest.raises(Offline) as read:
                await api.action_stream()
            assert "could not connect" in read.value.user_message
            assert len(attempts) == FAST.attempts
            # A refused connection never reached the server, so a POST is retried too.
            attempts.urls.clear()
            with pytest.raises(Offline):
                await api.create_note({"contact_id": "x", "text": "nobody home"})
            assert attempts.urls == [("POST", "/api/v3/notes")] * FAST.attempts
    finally:
        if not stopped:
            handle.stop()


async def test_slow_answers_with_a_short_read_timeout_end_offline(sandbox: SandboxHandle) -> None:
    held = sandbox.gate.hold()  # the server answers nothing: only the client's own read timeout ends a try
    attempts = Attempts()
    timeout = httpx.Timeout(connect=2.0, read=0.05, write=2.0, pool=2.0)
    async with fast_client(sandbox, attempts, timeout=timeout) as api:
        with pytest.raises(Offline) as slow:
            await asyncio.wait_for(api.bootstrap(), HANG_GUARD)
        assert "did not answer in time" in slow.value.user_message
        assert isinstance(slow.value.__cause__, httpx.ReadTimeout)
        assert len(attempts) == FAST.attempts and api.http.retries == FAST.attempts - 1
    # every try reached the server and was given up on while the server still held it (stopping the
    # sandbox drops them, unanswered)
    await held.parked(FAST.attempts)


async def test_a_post_that_times_out_is_not_repeated(sandbox: SandboxHandle, client: OnePageCRMClient) -> None:
    """A timed-out POST may have been applied (here it was: the sandbox holds its answer back).

    The client must not send it again, or the note would be created twice.
    """
    cid = (await client.action_stream(per_page=1)).items[0].contact.id
    held = sandbox.gate.hold("POST", "/api/v3/notes", stage="answer")  # applied; the answer never comes
    attempts = Attempts()
    timeout = httpx.Timeout(connect=2.0, read=0.05, write=2.0, pool=2.0)
    async with fast_client(sandbox, attempts, timeout=timeout) as api:
        with pytest.raises(Offline):
            await asyncio.wait_for(api.create_note({"contact_id": cid, "text": "slow note"}), HANG_GUARD)
        assert attempts.urls == [("POST", "/api/v3/notes")]
    await held.parked(1)  # handled: the note exists, its answer is still held
    found = [n for n in await client.notes_all(contact_id=cid) if n.text == "slow note"]
    assert len(found) == 1

"""The sandbox's gate: tests hold requests on their way, see them parked, and let them go.

Everything here goes over real loopback HTTP (httpx in threads or asyncio), as the app's requests do.
"""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest

from crmtui.sandbox.onepagecrm.server import SandboxHandle
from tests.support.waits import HANG_GUARD


def client(sandbox: SandboxHandle) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=sandbox.base_url, auth=(sandbox.user_id, sandbox.api_key), timeout=HANG_GUARD)


def a_contact(sandbox: SandboxHandle) -> str:
    return next(iter(sandbox.state.tables["contacts"]))


def starred(sandbox: SandboxHandle, contact_id: str) -> bool:
    return bool(sandbox.state.tables["contacts"][contact_id].get("starred"))


async def test_a_held_write_is_parked_unapplied_until_released(sandbox) -> None:
    cid = a_contact(sandbox)
    assert not starred(sandbox, cid)
    async with client(sandbox) as api:
        with sandbox.gate.hold("PUT", "/api/v3/contacts/*/star") as held:
            star = asyncio.create_task(api.put(f"/contacts/{cid}/star"))
            [parked] = await held.parked(1)
            assert (parked.method, parked.path, parked.stage) == ("PUT", f"/api/v3/contacts/{cid}/star", "request")
            assert not star.done() and not starred(sandbox, cid)  # held before it was handled
            for _ in range(20):  # what the hold does not match goes on, however long the star waits
                assert (await api.get("/bootstrap")).status_code == 200
            assert not star.done() and not starred(sandbox, cid) and held.count == 1
        assert (await star).status_code == 200  # leaving the block released it
        assert starred(sandbox, cid)
        assert sandbox.gate.requests == [] and held.requests == []


async def test_an_answer_held_after_the_write_was_applied(sandbox) -> None:
    cid = a_contact(sandbox)
    async with client(sandbox) as api:
        held = sandbox.gate.hold("PUT", stage="answer")
        star = asyncio.create_task(api.put(f"/contacts/{cid}/star"))
        [parked] = await held.parked(1)
        assert parked.stage == "answer"
        assert starred(sandbox, cid) and not star.done()  # applied; the answer is still on its way
        held.release()
        assert (await star).json()["data"]["contact"]["starred"] is True


async def test_release_one_lets_the_oldest_go_and_keeps_holding(sandbox) -> None:
    ids = list(sandbox.state.tables["contacts"])[:3]
    async with client(sandbox) as api:
        held = sandbox.gate.hold("PUT", "/api/v3/contacts/*/star")
        first = asyncio.create_task(api.put(f"/contacts/{ids[0]}/star"))
        await held.parked(1)
        second = asyncio.create_task(api.put(f"/contacts/{ids[1]}/star"))
        await held.parked(2)
        held.release(1)
        assert (await first).status_code == 200
        for _ in range(20):
            assert (await api.get("/bootstrap")).status_code == 200
        assert starred(sandbox, ids[0]) and not starred(sandbox, ids[1]) and not second.done()
        third = asyncio.create_task(api.put(f"/contacts/{ids[2]}/star"))
        parked = await held.parked(2)  # still holding: the third waits behind the second
        assert [p.path.split("/")[-2] for p in parked] == ids[1:]
        sandbox.gate.release()
        assert [(await t).status_code for t in (second, third)] == [200, 200]
        assert all(starred(sandbox, c) for c in ids)


async def test_a_hold_by_query_and_with_a_limit(sandbox) -> None:
    async with client(sandbox) as api:
        held = sandbox.gate.hold("GET", "/api/v3/contacts", query={"page": "2"}, limit=1)
        assert (await api.get("/contacts", params={"page": 1})).status_code == 200
        page2 = asyncio.create_task(api.get("/contacts", params={"page": 2, "per_page": 10}))
        [parked] = await held.parked(1)
        assert parked.query == {"page": "2", "per_page": "10"}
        assert (await api.get("/contacts", params={"page": 2})).status_code == 200  # past the limit: not held
        assert not page2.done()
        held.release()
        assert (await page2).status_code == 200


def test_wait_parked_from_a_thread_and_a_body_to_look_at(sandbox) -> None:
    held = sandbox.gate.hold("POST")
    answers: list[int] = []

    def post() -> None:
        with httpx.Client(base_url=sandbox.base_url, auth=(sandbox.user_id, sandbox.api_key), timeout=HANG_GUARD) as api:
            answers.append(api.post("/contacts", json={"last_name": "Parked"}).status_code)

    sender = threading.Thread(target=post)
    sender.start()
    [parked] = held.wait_parked(1)
    assert b'"Parked"' in parked.body and answers == []
    held.release()
    sender.join(HANG_GUARD)
    assert answers == [201]


async def test_a_wait_for_what_never_comes_ends_with_what_is_parked(sandbox) -> None:
    held = sandbox.gate.hold("DELETE")
    with pytest.raises(TimeoutError, match=r"1 parked by <Hold DELETE \*.*parked now: none"):
        await held.parked(1, timeout=0.05)  # nothing is sent: the guard ends the wait


@pytest.mark.parametrize("stage", ["request", "answer"])
async def test_stopping_lets_parked_requests_go_without_answering_or_applying(sandbox, stage) -> None:
    cid = a_contact(sandbox)
    async with client(sandbox) as api:
        held = sandbox.gate.hold("PUT", stage=stage)
        star = asyncio.create_task(api.put(f"/contacts/{cid}/star"))
        await held.parked(1)
        waiting = asyncio.create_task(held.parked(2))  # a test still waiting when the sandbox stops
        await asyncio.to_thread(sandbox.stop)  # returns at once: a parked request is not waited for
        with pytest.raises(httpx.TransportError):
            await star
        with pytest.raises(RuntimeError, match="stopped"):
            await waiting
        assert starred(sandbox, cid) is (stage == "answer")  # a request held unhandled is never applied
        assert not sandbox.gate.hold().active  # a stopped sandbox holds nothing


async def test_stopping_does_not_wait_out_latency(sandbox) -> None:
    cid = a_contact(sandbox)
    sandbox.options.latency_ms = 3_600_000  # an hour: only a stop that cuts it short lets this test end
    async with client(sandbox) as api:
        star = asyncio.create_task(api.put(f"/contacts/{cid}/star"))
        await until(lambda: starred(sandbox, cid))  # applied: its answer waits out the latency now
        stopped = threading.Event()
        threading.Thread(target=lambda: (sandbox.stop(), stopped.set()), daemon=True).start()
        assert await asyncio.to_thread(stopped.wait, HANG_GUARD), "stopping waited for a slow request"
        with pytest.raises(httpx.TransportError):
            await star  # the answer never comes


async def until(condition) -> None:
    """Wait for `condition()`, checking between other tasks' turns (the hang guard ends a wait in vain)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + HANG_GUARD
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.01)

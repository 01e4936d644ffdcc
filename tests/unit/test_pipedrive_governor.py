"""The Pipedrive rate governor on an injected clock: its `sleep` moves the clock, so nothing waits."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from crmtui.backends.errors import Blocked, BudgetExhausted, RateLimited
from crmtui.backends.pipedrive.governor import BLOCK_SECONDS, BREAKER_SECONDS, RateGovernor, budget_for

START = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.timezone.utc).timestamp()
UTC = dt.timezone.utc


class FakeClock:
    def __init__(self, now: float = START) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.slept.append(seconds)
        self.now += seconds


def governor(clock: FakeClock, **kw: object) -> RateGovernor:
    return RateGovernor(clock=clock, sleep=clock.sleep, **kw)  # type: ignore[arg-type]


def answer(status: int = 200, *, headers: dict[str, str] | None = None, body: bytes = b'{"success": true, "data": null}',
           content_type: str = "application/json") -> httpx.Response:
    return httpx.Response(status, headers={"content-type": content_type, **(headers or {})}, content=body)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def send(gov: RateGovernor, method: str, path: str, response: httpx.Response | None = None) -> None:
    """Acquire, and the answer comes at once (a window counts a request from its answer)."""
    ticket = await gov.acquire(method, path)
    gov.observe(response or answer(), ticket)


def test_the_burst_window_waits_for_the_oldest_request_to_leave() -> None:
    clock = FakeClock()
    gov = governor(clock, window_limit=3)

    async def go() -> None:
        for _ in range(3):
            await send(gov, "GET", "leads/abc")
        assert clock.slept == []
        await send(gov, "GET", "leads/abc")
        assert clock.slept == [pytest.approx(2.0)]
        clock.now += 0.5
        await send(gov, "GET", "leads/abc")  # the first three left the window at START+2: room
        assert len(clock.slept) == 1

    run(go())
    state = gov.state()
    assert state.window_used == 2 and state.window_limit == 3


def test_requests_on_their_way_hold_the_window_until_answered_and_count_from_the_answer() -> None:
    clock = FakeClock()
    gov = governor(clock, window_limit=2)

    async def go() -> None:
        first = await gov.acquire("GET", "users")
        second = await gov.acquire("GET", "users")
        third = asyncio.ensure_future(gov.acquire("GET", "users"))
        for _ in range(3):
            await asyncio.sleep(0)  # lets the third run: it must wait for an answer, not for time
        assert not third.done() and clock.slept == []
        clock.now += 5  # a slow trip: the server counted the first request late, not at its sending
        gov.observe(answer(), first)
        await asyncio.sleep(0)
        assert clock.slept == [pytest.approx(2.0)]  # two seconds from the answer, not from the sending
        await third
        gov.forget(second)

    run(go())


def test_the_window_size_comes_from_the_servers_header_and_a_lower_remaining_fills_it() -> None:
    clock = FakeClock()
    gov = governor(clock)
    assert gov.state().window_limit == 20
    gov.observe(answer(headers={"x-ratelimit-limit": "5", "x-ratelimit-remaining": "1"}))
    state = gov.state()
    assert state.window_limit == 5 and state.window_used == 4  # another client used the token meanwhile

    async def go() -> None:
        await send(gov, "GET", "users")
        await send(gov, "GET", "users")

    run(go())
    assert clock.slept == [pytest.approx(2.0)]


def test_searches_have_their_own_window_of_ten() -> None:
    clock = FakeClock()
    gov = governor(clock, window_limit=100)

    async def go() -> None:
        for _ in range(10):
            await send(gov, "GET", "leads/search")
        await send(gov, "GET", "leads")  # not a search: no wait
        assert clock.slept == []
        await send(gov, "GET", "itemSearch")
        assert clock.slept == [pytest.approx(2.0)]

    run(go())
    assert gov.state().search_window_used == 1


def test_a_search_answer_does_not_size_the_general_window() -> None:
    clock = FakeClock()
    gov = governor(clock)
    search = httpx.Request("GET", "https://acme.pipedrive.com/api/v1/leads/search?term=ab")
    gov.observe(httpx.Response(200, headers={"x-ratelimit-limit": "10", "x-ratelimit-remaining": "9"}, request=search))
    assert gov.state().window_limit == 20
    listing = httpx.Request("GET", "https://acme.pipedrive.com/api/v1/leads")
    gov.observe(httpx.Response(200, headers={"x-ratelimit-limit": "40", "x-ratelimit-remaining": "39"}, request=listing))
    assert gov.state().window_limit == 40


def test_the_ledger_charges_each_operations_token_cost_and_refunds_a_429() -> None:
    clock = FakeClock()
    gov = governor(clock, budget=1_000)

    async def go() -> None:
        for method, path in [("GET", "users/me"), ("GET", "leads"), ("GET", "leads/archived"), ("PATCH", "leads/x"),
                             ("DELETE", "leads/x"), ("GET", "leads/search")]:
            await send(gov, method, path)
        ticket = await gov.acquire("GET", "leads")
        gov.observe(answer(429, body=b'{"success": false, "error": "Request over limit"}'), ticket)

    run(go())
    assert gov.state().spent_today == 2 + 20 + 40 + 10 + 6 + 40
    assert gov.gauge_text(UTC) == "API 118/1,000 · 7/20 per 2s"  # the refused one still counts in the window


def test_a_spent_budget_refuses_without_sending_until_the_next_day() -> None:
    clock = FakeClock()
    gov = governor(clock, budget=30)

    async def go() -> None:
        await send(gov, "GET", "leads")  # 20
        with pytest.raises(BudgetExhausted) as caught:
            await send(gov, "GET", "leads")  # would be 40 > 30
        assert caught.value.until == dt.datetime(2026, 3, 11, tzinfo=UTC)
        assert "next day" in caught.value.user_message and not isinstance(caught.value, Blocked)
        with pytest.raises(BudgetExhausted):
            await send(gov, "GET", "users/me")  # even a cheap one, until midnight
        assert gov.gauge_text(UTC) == "API budget spent until 00:00"
        clock.now = dt.datetime(2026, 3, 11, 0, 0, 1, tzinfo=UTC).timestamp()
        await send(gov, "GET", "leads")

    run(go())
    assert gov.state().spent_today == 20 and clock.slept == []


def test_a_budget_429_is_learned_when_the_plan_is_unknown() -> None:
    clock = FakeClock()
    gov = governor(clock)

    async def go() -> None:
        ticket = await gov.acquire("GET", "leads")
        gov.observe(answer(429, body=b'{"success": false, "error_info": "Daily token budget exhausted"}'), ticket)
        with pytest.raises(BudgetExhausted):
            await send(gov, "GET", "users/me")

    run(go())
    assert gov.state().exhausted_until == dt.datetime(2026, 3, 11, tzinfo=UTC)


def test_a_429_waits_retry_after_or_backs_off_and_three_trip_the_breaker() -> None:
    clock = FakeClock()
    gov = governor(clock)

    async def go() -> None:
        gov.observe(answer(429, headers={"Retry-After": "3"}))
        await send(gov, "GET", "leads")
        assert clock.slept == [pytest.approx(3.0)]
        gov.observe(answer(429))  # no Retry-After: the backoff (2 s first)
        await send(gov, "GET", "leads")
        assert clock.slept[-1] == pytest.approx(2.0)
        gov.observe(answer(429))  # the third within 10 s: the breaker
        await send(gov, "GET", "leads")
        assert clock.slept[-1] == pytest.approx(BREAKER_SECONDS)

    run(go())


def test_an_html_403_blocks_every_governor_on_the_same_file_without_sending(tmp_path: Path) -> None:
    clock = FakeClock()
    shared = tmp_path / "profile" / "pipedrive-limits.json"
    first, second = governor(clock, state_file=shared), governor(clock, state_file=shared)
    first.observe(answer(403, body=b"<html>This error is produced by Cloudflare.</html>", content_type="text/html"))
    assert json.loads(shared.read_text())["blocked_until"] == START + BLOCK_SECONDS

    async def go() -> None:
        for gov in (first, second):
            with pytest.raises(Blocked) as caught:
                await send(gov, "GET", "leads")
            assert caught.value.until == dt.datetime.fromtimestamp(START + BLOCK_SECONDS, UTC)
            assert isinstance(caught.value, RateLimited) and caught.value.retry_after == BLOCK_SECONDS
            assert "blocked this API token" in caught.value.user_message
        assert second.gauge_text(UTC) == "API blocked until 12:15"
        clock.now = START + BLOCK_SECONDS
        await send(second, "GET", "leads")

    run(go())
    assert clock.slept == []
    assert second.state().blocked_until is None


def test_a_json_403_is_no_block() -> None:
    clock = FakeClock()
    gov = governor(clock)
    gov.observe(answer(403, body=b'{"success": false, "error": "You do not have permissions to do this."}'))
    run(send(gov, "GET", "leads"))
    assert gov.state().blocked_until is None


def test_the_budget_from_plan_and_seats() -> None:
    assert budget_for("growth", 5) == 300_000
    assert budget_for("Lite", 1) == 30_000
    assert budget_for(None, 5) is None and budget_for("growth", None) is None and budget_for("nonsense", 3) is None


def test_a_damaged_state_file_is_no_block(tmp_path: Path) -> None:
    shared = tmp_path / "pipedrive-limits.json"
    shared.write_text("{not json")
    clock = FakeClock()
    gov = governor(clock, state_file=shared)
    run(send(gov, "GET", "leads"))
    assert json.loads(shared.read_text())["spent"] == 20


def test_a_request_that_never_left_gives_back_its_tokens_and_its_place() -> None:
    """Found offline in tmux: the gauge climbed while every connection was refused."""
    clock = FakeClock()
    gov = governor(clock)

    async def go() -> None:
        ticket = await gov.acquire("GET", "leads")
        assert gov.state().spent_today == 20 and gov.state().window_used == 1
        gov.forget(ticket, sent=False)  # connection refused: nothing reached the server
        assert gov.state().spent_today == 0 and gov.state().window_used == 0
        ticket = await gov.acquire("GET", "leads")
        gov.forget(ticket)  # no answer, but it may have reached the server: it keeps its charge
        assert gov.state().spent_today == 20 and gov.state().window_used == 1

    run(go())

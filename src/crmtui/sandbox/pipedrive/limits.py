"""Pipedrive's limits, counted on the sandbox clock: the burst window, the daily token budget, the block.

- Burst: a rolling 2-second window per token; a request over `burst` answers 429 (Retry-After only
  on a seeded share of them, as the real header is undocumented). Every answer carries
  `x-ratelimit-limit`, `x-ratelimit-remaining` and `x-ratelimit-reset` (seconds until a slot frees).
- Budget: each request is charged its operation's `x-token-cost` (costs.py) into the day's ledger,
  one per company (every token shares it); over budget answers 429 until the sandbox day ends.
- Block: a token that keeps sending while 429'd (more than `escalate_after` 429s within
  `escalate_window` seconds) gets Cloudflare's 403 HTML page for `block_seconds`.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import threading
from collections import deque
from dataclasses import dataclass, field

WINDOW_SECONDS = 2.0


@dataclass
class Verdict:
    """What the limits say about one request: pass (status None) or refuse, and the headers to send."""

    status: int | None = None
    reason: str = ""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Token:
    sent: deque[float] = field(default_factory=deque)
    refused: deque[float] = field(default_factory=deque)
    blocked_until: float = 0.0


class Limits:
    def __init__(
        self, *, burst: int, daily_budget: int, escalate_after: int, escalate_window: float, block_seconds: float,
        retry_after_share: float, seed: int,
    ) -> None:
        self.burst = burst
        self.daily_budget = daily_budget
        self.escalate_after = escalate_after
        self.escalate_window = escalate_window
        self.block_seconds = block_seconds
        self.retry_after_share = retry_after_share
        self._rng = random.Random(seed ^ 0x429)
        self._tokens: dict[str, _Token] = {}
        self._spent: dict[dt.date, int] = {}
        self._lock = threading.Lock()

    def spent(self, day: dt.date) -> int:
        with self._lock:
            return self._spent.get(day, 0)

    def admit(self, token: str, now: float, cost: int) -> Verdict:
        """Count one request from `token` at `now` (sandbox seconds) costing `cost` tokens."""
        day = dt.datetime.fromtimestamp(now, dt.timezone.utc).date()
        with self._lock:
            state = self._tokens.setdefault(token, _Token())
            while state.sent and state.sent[0] <= now - WINDOW_SECONDS:
                state.sent.popleft()
            while state.refused and state.refused[0] <= now - self.escalate_window:
                state.refused.popleft()
            if now < state.blocked_until:
                return Verdict(403, "blocked", self._headers(state, now))
            if len(state.sent) >= self.burst:
                return self._refuse(state, now, "burst")
            if self._spent.get(day, 0) + cost > self.daily_budget:
                return self._refuse(state, now, "budget")
            state.sent.append(now)
            self._spent[day] = self._spent.get(day, 0) + cost
            return Verdict(None, "", self._headers(state, now))

    def _refuse(self, state: _Token, now: float, reason: str) -> Verdict:
        state.refused.append(now)
        if len(state.refused) > self.escalate_after:
            state.blocked_until = now + self.block_seconds
            state.refused.clear()
            return Verdict(403, "blocked", self._headers(state, now))
        headers = self._headers(state, now)
        if self.retry_after_share > 0 and self._rng.random() < self.retry_after_share:
            if reason == "budget":
                midnight = dt.datetime.combine(
                    dt.datetime.fromtimestamp(now, dt.timezone.utc).date() + dt.timedelta(days=1), dt.time(0), tzinfo=dt.timezone.utc
                )
                headers["Retry-After"] = str(max(1, math.ceil(midnight.timestamp() - now)))
            else:
                headers["Retry-After"] = headers["x-ratelimit-reset"]
        return Verdict(429, reason, headers)

    def idle_headers(self) -> dict[str, str]:
        return {"x-ratelimit-limit": str(self.burst), "x-ratelimit-remaining": str(self.burst), "x-ratelimit-reset": "0"}

    def _headers(self, state: _Token, now: float) -> dict[str, str]:
        reset = math.ceil(state.sent[0] + WINDOW_SECONDS - now) if state.sent else 0
        return {
            "x-ratelimit-limit": str(self.burst),
            "x-ratelimit-remaining": str(max(0, self.burst - len(state.sent))),
            "x-ratelimit-reset": str(max(0, reset)),
        }

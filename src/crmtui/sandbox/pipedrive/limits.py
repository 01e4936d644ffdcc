"""Pipedrive's limits, counted on the sandbox clock: the burst window, the daily token budget, the block.

- Burst: a rolling 2-second window per token; a request over `burst` answers 429 (Retry-After only
  on a seeded share of them, as the real header is undocumented). Every answer carries
  `x-ratelimit-limit`, `x-ratelimit-remaining` and `x-ratelimit-reset` (seconds until a slot frees).
  The plan sets `burst` (API token: Lite 20, Growth 40, Premium 100, Ultimate 120).
- Search: the search routes (/itemSearch*, /leads/search) have their own window of `search_burst`
  (10) per 2 s per token on every plan, on top of the general one; their answers report that window.
- Budget: each request is charged its operation's `x-token-cost` (costs.py) into the day's ledger,
  one per company (every token shares it); over budget answers 429 until the sandbox day ends. The
  day is the UTC date, or with `day_seconds` a span of that many seconds from the sandbox's start
  (so "midnight" comes in tests). Budget = 30,000 x plan multiplier (1/2/5/7) x seats.
- Writes: POST/PUT/PATCH answers carry `x-daily-requests-left`, the token's writes left in the day
  (`daily_writes`, counted per token; informative only, as the real header is).
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
BASE_BUDGET = 30_000
"""Tokens a day per seat on the cheapest plan (Pipedrive's rate-limiting doc)."""
PLANS: dict[str, tuple[int, int]] = {"lite": (1, 20), "growth": (2, 40), "premium": (5, 100), "ultimate": (7, 120)}
"""plan -> (budget multiplier, API-token burst per 2 s)."""
SEARCH_BURST = 10
DAILY_WRITES = 10_000


def plan_budget(plan: str, seats: int) -> int:
    return BASE_BUDGET * PLANS[plan][0] * max(1, seats)


@dataclass
class Verdict:
    """What the limits say about one request: pass (status None) or refuse, and the headers to send."""

    status: int | None = None
    reason: str = ""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Token:
    sent: deque[float] = field(default_factory=deque)
    searched: deque[float] = field(default_factory=deque)
    writes: dict[int, int] = field(default_factory=dict)
    refused: deque[float] = field(default_factory=deque)
    blocked_until: float = 0.0


class Limits:
    def __init__(
        self, *, burst: int, daily_budget: int, escalate_after: int, escalate_window: float, block_seconds: float,
        retry_after_share: float, seed: int, search_burst: int = SEARCH_BURST, day_seconds: float | None = None,
        origin: float = 0.0, daily_writes: int = DAILY_WRITES,
    ) -> None:
        self.burst = burst
        self.search_burst = search_burst
        self.day_seconds = day_seconds
        self.origin = origin
        """With `day_seconds`, day 0 starts here (the sandbox's start, on its clock)."""
        self.daily_writes = daily_writes
        self.daily_budget = daily_budget
        self.escalate_after = escalate_after
        self.escalate_window = escalate_window
        self.block_seconds = block_seconds
        self.retry_after_share = retry_after_share
        self._rng = random.Random(seed ^ 0x429)
        self._tokens: dict[str, _Token] = {}
        self._spent: dict[int, int] = {}
        self._lock = threading.Lock()

    def day(self, now: float) -> int:
        """The budget's day at `now`: the UTC date's ordinal, or the number of `day_seconds` spans since the start."""
        if self.day_seconds:
            return math.floor((now - self.origin) / self.day_seconds)
        return dt.datetime.fromtimestamp(now, dt.timezone.utc).date().toordinal()

    def day_ends(self, now: float) -> float:
        """When the day of `now` ends (the budget and the daily writes start again)."""
        if self.day_seconds:
            return self.origin + (self.day(now) + 1) * self.day_seconds
        tomorrow = dt.date.fromordinal(self.day(now) + 1)
        return dt.datetime.combine(tomorrow, dt.time(0), tzinfo=dt.timezone.utc).timestamp()

    def spent(self, now: float) -> int:
        """Tokens spent in the day of `now`."""
        with self._lock:
            return self._spent.get(self.day(now), 0)

    def admit(self, token: str, now: float, cost: int, *, search: bool = False, write: bool = False) -> Verdict:
        """Count one request from `token` at `now` (sandbox seconds) costing `cost` tokens.

        `search`: a search route (its own window too); `write`: POST/PUT/PATCH (x-daily-requests-left)."""
        day = self.day(now)
        with self._lock:
            state = self._tokens.setdefault(token, _Token())
            for sent in (state.sent, state.searched):
                while sent and sent[0] <= now - WINDOW_SECONDS:
                    sent.popleft()
            while state.refused and state.refused[0] <= now - self.escalate_window:
                state.refused.popleft()
            if now < state.blocked_until:
                return Verdict(403, "blocked", self._headers(state, now, search))
            if len(state.sent) >= self.burst or (search and len(state.searched) >= self.search_burst):
                return self._refuse(state, now, "burst", search)
            if self._spent.get(day, 0) + cost > self.daily_budget:
                return self._refuse(state, now, "budget", search)
            state.sent.append(now)
            if search:
                state.searched.append(now)
            self._spent[day] = self._spent.get(day, 0) + cost
            headers = self._headers(state, now, search)
            if write:
                state.writes = {day: state.writes.get(day, 0) + 1}
                headers["x-daily-requests-left"] = str(max(0, self.daily_writes - state.writes[day]))
            return Verdict(None, "", headers)

    def _refuse(self, state: _Token, now: float, reason: str, search: bool) -> Verdict:
        state.refused.append(now)
        if len(state.refused) > self.escalate_after:
            state.blocked_until = now + self.block_seconds
            state.refused.clear()
            return Verdict(403, "blocked", self._headers(state, now, search))
        headers = self._headers(state, now, search)
        if self.retry_after_share > 0 and self._rng.random() < self.retry_after_share:
            if reason == "budget":
                headers["Retry-After"] = str(max(1, math.ceil(self.day_ends(now) - now)))
            else:
                headers["Retry-After"] = headers["x-ratelimit-reset"]
        return Verdict(429, reason, headers)

    def idle_headers(self) -> dict[str, str]:
        return {"x-ratelimit-limit": str(self.burst), "x-ratelimit-remaining": str(self.burst), "x-ratelimit-reset": "0"}

    def _headers(self, state: _Token, now: float, search: bool = False) -> dict[str, str]:
        """The window that binds: the search one on search routes (when it is the tighter), else the general one."""
        limit, sent = self.burst, state.sent
        if search and self.search_burst - len(state.searched) <= self.burst - len(state.sent):
            limit, sent = self.search_burst, state.searched
        reset = math.ceil(sent[0] + WINDOW_SECONDS - now) if sent else 0
        return {
            "x-ratelimit-limit": str(limit),
            "x-ratelimit-remaining": str(max(0, limit - len(sent))),
            "x-ratelimit-reset": str(max(0, reset)),
        }

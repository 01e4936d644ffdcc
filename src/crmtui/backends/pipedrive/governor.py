"""Pipedrive's limits, obeyed before the server has to say so: one governor per API token.

Before each request (`acquire`) and after each answer (`observe`):

- **Burst window**: at most `window_limit` requests in any rolling 2 seconds (20 until an answer's
  `x-ratelimit-limit` says otherwise; an answer's `x-ratelimit-remaining` lower than what this
  process counted means another client uses the token, and the window is filled to match). A
  request that would overflow it waits for the oldest one to leave the window.
- **Search window**: /itemSearch* and /leads/search also count in their own 10-per-2-seconds window.
- **Daily token ledger**: every request is charged its operation's `x-token-cost` (costs.py) on
  the day it is sent (the server's day: UTC unless told otherwise). With a known budget (the plan and
  seats of the profile, or learned from the server's refusal) a request that would pass it raises
  `BudgetExhausted` without being sent. A 429 is refunded (the server did not serve it).
- **429**: the next request waits for Retry-After when the answer had one, else a growing backoff
  (2, 4, 8 … 30 s). Three 429s within 10 seconds trip a short breaker (`breaker_seconds`): nothing
  is sent meanwhile, so crmtui never keeps sending through 429s, which is what gets a token blocked.
- **Block**: a 403 that is not JSON (Cloudflare's HTML page) means Pipedrive blocks the token's
  traffic. `blocked_until = now + 15 min` goes to a small JSON file beside the profile's data
  (`state_file`; in memory when None), which every crmtui process on the profile reads before each
  request: until then `acquire` raises `Blocked`, and nothing is sent.

The clock (`clock`, POSIX seconds) and `sleep` are injectable: tests run the governor on the
sandbox's frozen clock and make `sleep` move that clock, so nothing really waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from crmtui.backends.errors import Blocked, BudgetExhausted
from crmtui.backends.pipedrive.costs import cost_of, is_search

WINDOW_SECONDS = 2.0
DEFAULT_WINDOW_LIMIT = 20
"""Requests per 2 s for an API token on the cheapest plan, until the server's header says."""
SEARCH_WINDOW_LIMIT = 10
BLOCK_SECONDS = 15 * 60.0
"""How long a Cloudflare block is taken to last (Pipedrive does not say; 15 minutes, as peers do)."""
BREAKER_429S = 3
BREAKER_SPAN = 10.0
BREAKER_SECONDS = 10.0
BACKOFF_FIRST = 2.0
BACKOFF_MAX = 30.0
BASE_BUDGET = 30_000
PLAN_MULTIPLIERS = {"lite": 1, "essential": 1, "growth": 2, "advanced": 2, "premium": 5, "professional": 5,
                    "ultimate": 7, "power": 7, "enterprise": 7}
"""Pipedrive's daily budget: 30,000 tokens × the plan's multiplier × seats (its rate-limiting doc)."""
SERVER = "Pipedrive"


def budget_for(plan: str | None, seats: int | None) -> int | None:
    """The company's daily token budget by its plan and seats; None when either is unknown."""
    if not plan or not seats or seats < 1:
        return None
    multiplier = PLAN_MULTIPLIERS.get(plan.strip().lower())
    return BASE_BUDGET * multiplier * seats if multiplier else None


def _utc(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc)


@dataclass(frozen=True)
class GovernorState:
    """What the header's gauge shows."""

    spent_today: int
    budget: int | None
    window_used: int
    window_limit: int
    search_window_used: int
    search_window_limit: int
    blocked_until: dt.datetime | None
    exhausted_until: dt.datetime | None

    def gauge_text(self, tz: dt.tzinfo | None = None) -> str:
        """`API 1,240/30,000 · 3/20 per 2s`, or `API blocked until 12:41` (times in `tz`, else local)."""
        if self.blocked_until is not None:
            return f"API blocked until {self.blocked_until.astimezone(tz):%H:%M}"
        if self.exhausted_until is not None:
            return f"API budget spent until {self.exhausted_until.astimezone(tz):%H:%M}"
        spent = f"{self.spent_today:,}/{self.budget:,}" if self.budget else f"{self.spent_today:,} today"
        return f"API {spent} · {self.window_used}/{self.window_limit} per 2s"


class _SharedFile:
    """The profile's small JSON file every crmtui process reads: the block, the exhausted budget, the
    day's ledger. Written whole to a temporary file and renamed, so a reader never sees half of it.
    Two processes charging at the same moment may each miss the other's last charge: the ledger is a
    gauge and a guard with a margin, not an invoice."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._memory: dict[str, Any] = {}

    def read(self) -> dict[str, Any]:
        if self.path is None:
            return dict(self._memory)
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeDecodeError):
            return {}
        return data if isinstance(data, dict) else {}

    def update(self, **changes: Any) -> dict[str, Any]:
        data = {**self.read(), **changes}
        if self.path is None:
            self._memory = data
            return data
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(data), encoding="utf-8")
            os.replace(tmp, self.path)
        return data


class _Window:
    """A rolling 2-second window of requests, each counted from when its answer came (the server
    counted it at some moment before that; a request still on its way has not left the window at
    all). Counting from the answer, not the sending, keeps the window right however long a request
    travels: the server's count is never ahead of this one."""

    def __init__(self) -> None:
        self._entries: dict[int, float | None] = {}
        """ticket -> when its answer came; None while the request is on its way."""

    def prune(self, now: float) -> None:
        gone = [t for t, at in self._entries.items() if at is not None and at <= now - WINDOW_SECONDS]
        for ticket in gone:
            del self._entries[ticket]

    def used(self, now: float) -> int:
        self.prune(now)
        return len(self._entries)

    def drop(self, ticket: int) -> None:
        """A request that never left: it takes no place in the window."""
        self._entries.pop(ticket, None)

    def add(self, ticket: int, at: float | None) -> None:
        self._entries[ticket] = at

    def answered(self, ticket: int, at: float) -> None:
        if ticket in self._entries:
            self._entries[ticket] = at

    def wait(self, limit: int, now: float) -> float | None:
        """Seconds until there is room for one more (0: now; None: not before an answer comes)."""
        self.prune(now)
        leaving = len(self._entries) - max(1, limit) + 1
        if leaving <= 0:
            return 0.0
        times = sorted(at for at in self._entries.values() if at is not None)
        if len(times) < leaving:
            return None
        return max(times[leaving - 1] + WINDOW_SECONDS - now, 1e-3)


def _number(data: dict[str, Any], key: str) -> float:
    value = data.get(key)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


class RateGovernor:
    """The pre-send governor of one Pipedrive API token (see the module's docstring)."""

    def __init__(
        self,
        *,
        budget: int | None = None,
        state_file: Path | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        window_limit: int = DEFAULT_WINDOW_LIMIT,
        search_limit: int = SEARCH_WINDOW_LIMIT,
        day_zone: dt.tzinfo = dt.timezone.utc,
    ) -> None:
        self.budget = budget
        """Tokens a day for the company: from the plan and seats, or learned; None when unknown."""
        self.window_limit = window_limit
        self.search_limit = search_limit
        self.day_zone = day_zone
        """The server's zone, whose midnight starts a new budget day (Pipedrive does not name it: UTC)."""
        self._file = _SharedFile(state_file)
        self._clock = clock
        self._sleep = sleep
        self._sent = _Window()
        self._searches = _Window()
        self._answered = asyncio.Event()
        self._refusals: deque[float] = deque()
        self._pause_until = 0.0
        self._backoff = 0.0
        self._lock = asyncio.Lock()
        self._charged: dict[int, tuple[str, int]] = {}
        """ticket -> (day, cost) of requests on their way, to refund a 429."""
        self._tickets = 0

    # -- the day ---------------------------------------------------------------------------------

    def _day(self, now: float) -> dt.date:
        return _utc(now).astimezone(self.day_zone).date()

    def _next_day(self, now: float) -> float:
        day = self._day(now) + dt.timedelta(days=1)
        return dt.datetime.combine(day, dt.time(0), tzinfo=self.day_zone).timestamp()

    def _spent(self, data: dict[str, Any], now: float) -> int:
        return int(_number(data, "spent")) if data.get("day") == self._day(now).isoformat() else 0

    # -- before a request -----------------------------------------------------------------------

    def check(self, now: float | None = None) -> None:
        """Raise Blocked or BudgetExhausted when nothing may be sent now (any process's record)."""
        now = self._clock() if now is None else now
        data = self._file.read()
        blocked = _number(data, "blocked_until")
        if now < blocked:
            raise Blocked(_utc(blocked), server=SERVER, now=_utc(now))
        exhausted = _number(data, "exhausted_until")
        if now < exhausted:
            raise BudgetExhausted(_utc(exhausted), server=SERVER, budget=self._budget(data), now=_utc(now))

    def _budget(self, data: dict[str, Any]) -> int | None:
        if self.budget is not None:
            return self.budget
        learned = int(_number(data, "learned_budget"))
        return learned or None

    async def acquire(self, method: str, path: str) -> int:
        """Wait until (method, path) may be sent, then count it; raises Blocked or BudgetExhausted
        (without waiting) when nothing may be sent before the block ends or the day turns.

        Returns a ticket for `observe` (or `forget`) of the request's answer."""
        cost = cost_of(method, path)
        search = is_search(path)
        async with self._lock:
            while True:
                now = self._clock()
                self.check(now)
                wait: float | None = self._pause_until - now
                if wait is not None and wait <= 0:
                    wait = self._sent.wait(self.window_limit, now)
                if wait is not None and wait <= 0 and search:
                    wait = self._searches.wait(self.search_limit, now)
                if wait is None:  # the window is full of requests on their way: wait for an answer
                    self._answered.clear()
                    await self._answered.wait()
                    continue
                if wait <= 0:
                    break
                await self._sleep(wait)
            data = self._file.read()
            spent = self._spent(data, now)
            budget = self._budget(data)
            if budget is not None and spent + cost > budget:
                until = self._next_day(now)
                self._file.update(exhausted_until=until)
                raise BudgetExhausted(_utc(until), server=SERVER, budget=budget, now=_utc(now))
            day = self._day(now).isoformat()
            self._file.update(day=day, spent=spent + cost)
            self._tickets += 1
            ticket = self._tickets
            self._sent.add(ticket, None)
            if search:
                self._searches.add(ticket, None)
            self._charged[ticket] = (day, cost)
            return ticket

    def _settle(self, ticket: int | None, now: float) -> None:
        if ticket is not None:
            self._sent.answered(ticket, now)
            self._searches.answered(ticket, now)
        self._answered.set()

    # -- after an answer --------------------------------------------------------------------------

    def forget(self, ticket: int, *, sent: bool = True) -> None:
        """The request got no answer: it counts as answered now (it may have reached the server), and
        keeps its charge; one that certainly never left (`sent` False: the connection was refused)
        gives its place in the window and its tokens back (offline, the gauge must not climb)."""
        charged = self._charged.pop(ticket, None)
        if sent:
            self._settle(ticket, self._clock())
            return
        if charged is not None:
            self._refund(*charged)
        self._sent.drop(ticket)
        self._searches.drop(ticket)
        self._answered.set()

    def observe(self, response: httpx.Response, ticket: int | None = None) -> None:
        """Learn from an answer: the window's size and use, a 429's wait, a block, a spent budget."""
        charged = self._charged.pop(ticket, None) if ticket is not None else None
        now = self._clock()
        self._settle(ticket, now)
        headers = response.headers
        # A search's answer may report the search window instead (the tighter one binds): only
        # other answers size the general window.
        limit = None if _was_search(response) else _int_header(headers.get("x-ratelimit-limit"))
        if limit is not None and limit > 0:
            self.window_limit = limit
            remaining = _int_header(headers.get("x-ratelimit-remaining"))
            if remaining is not None:
                for _ in range(max(0, min(limit, limit - remaining) - self._sent.used(now))):
                    self._tickets += 1
                    self._sent.add(self._tickets, now)  # another client of this token used the rest
        status = response.status_code
        if status == 403 and not _is_json(response):
            self._file.update(blocked_until=now + BLOCK_SECONDS)
            return
        if status != 429:
            if 200 <= status < 300:
                self._backoff = 0.0
            return
        if charged is not None:
            self._refund(*charged)
        if _says_budget(response):
            data = self._file.read()
            changes: dict[str, Any] = {"exhausted_until": self._next_day(now)}
            if self.budget is None and not _number(data, "learned_budget"):
                changes["learned_budget"] = max(1, self._spent(data, now))
            self._file.update(**changes)
            return
        retry_after = _retry_after(headers.get("retry-after"))
        if retry_after is None:
            self._backoff = min(BACKOFF_MAX, self._backoff * 2 if self._backoff else BACKOFF_FIRST)
            retry_after = self._backoff
        self._pause_until = max(self._pause_until, now + retry_after)
        self._refusals.append(now)
        while self._refusals and self._refusals[0] <= now - BREAKER_SPAN:
            self._refusals.popleft()
        if len(self._refusals) >= BREAKER_429S:
            self._pause_until = max(self._pause_until, now + BREAKER_SECONDS)
            self._refusals.clear()

    def _refund(self, day: str, cost: int) -> None:
        data = self._file.read()
        if data.get("day") == day:
            self._file.update(spent=max(0, int(_number(data, "spent")) - cost))

    # -- the gauge --------------------------------------------------------------------------------

    def state(self) -> GovernorState:
        now = self._clock()
        data = self._file.read()
        blocked = _number(data, "blocked_until")
        exhausted = _number(data, "exhausted_until")
        return GovernorState(
            spent_today=self._spent(data, now),
            budget=self._budget(data),
            window_used=self._sent.used(now),
            window_limit=self.window_limit,
            search_window_used=self._searches.used(now),
            search_window_limit=self.search_limit,
            blocked_until=_utc(blocked) if now < blocked else None,
            exhausted_until=_utc(exhausted) if now < exhausted else None,
        )

    def gauge_text(self, tz: dt.tzinfo | None = None) -> str:
        return self.state().gauge_text(tz)


def _int_header(value: str | None) -> int | None:
    try:
        return int(float(value)) if value else None
    except ValueError:
        return None


def _retry_after(value: str | None) -> float | None:
    try:
        seconds = float(value) if value else None
    except ValueError:
        return None  # an HTTP date: the backoff instead (its clock may not be ours)
    return min(max(0.0, seconds), BLOCK_SECONDS) if seconds is not None and seconds == seconds else None


def _was_search(response: httpx.Response) -> bool:
    try:
        return is_search(response.request.url.path)
    except RuntimeError:  # an answer made without a request (tests): not a search
        return False


def _is_json(response: httpx.Response) -> bool:
    media = str(response.headers.get("content-type", "")).split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def _says_budget(response: httpx.Response) -> bool:
    """A 429 about the daily budget rather than the window (the body is undocumented: by its words)."""
    if not _is_json(response):
        return False
    text = response.text.lower()
    return "budget" in text or "daily" in text

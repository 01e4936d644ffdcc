"""A hold/release gate for a sandbox's requests: park requests on their way, see them parked, let them go.

Tests used to slow the whole server down (latency) to keep a request "on its way" while they looked
at the app, and a busy machine could take longer to look than the latency lasted. A held request
stays parked until the test releases it, however slow the machine:

    with sandbox.gate.hold("PUT", "/api/v3/actions/*") as held:
        await pilot.press("d")
        await held.parked(1)          # the request has reached the server and waits there
        ...                           # look at the app while it is on its way
    # leaving the block releases it (or held.release() / held.release(1), one at a time)

A hold parks a request before it is handled (`stage="request"`: nothing applied yet), or after it
was handled and before its answer is sent (`stage="answer"`: a write applied, its answer not yet
seen). Stopping the sandbox closes the gate: whatever is parked is let go at once (its connection is
dropped, the server being gone) and nothing is held any more.

Waits are event-driven (no polling): `await hold.parked(n)` from asyncio code (the event loop keeps
running meanwhile, so an app under test keeps working), `hold.wait_parked(n)` from a thread. Each
wait has a hang guard (`RequestGate.timeout`, seconds), not a schedule.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Self

STAGES = ("request", "answer")


@dataclass
class ParkedRequest:
    """A request waiting at the gate."""

    method: str
    path: str
    """The path as sent, without the query string (e.g. /api/v3/actions/abc/mark_as_done)."""
    query: dict[str, str]
    body: bytes
    stage: str
    _go: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)

    def __str__(self) -> str:
        return f"{self.method} {self.path}" + (" (answer)" if self.stage == "answer" else "")


class Hold:
    """One rule of the gate: which requests it parks, and those it holds now."""

    def __init__(
        self, gate: RequestGate, method: str | None, path: str, query: Mapping[str, str] | None, stage: str,
        limit: int | None,
    ) -> None:
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}, not {stage!r}")
        self._gate = gate
        self.method = method.upper() if method else None
        self.path = path
        self.query = dict(query or {})
        self.stage = stage
        self.limit = limit
        self.requests: list[ParkedRequest] = []
        """The requests parked here now, oldest first."""
        self.count = 0
        """How many requests this hold has parked in all (released ones included)."""
        self.active = True

    def __repr__(self) -> str:
        return f"<Hold {self.method or '*'} {self.path} {self.stage}: {len(self.requests)} parked of {self.count}>"

    def matches(self, method: str, path: str, query: Mapping[str, str], stage: str) -> bool:
        return (
            self.active
            and stage == self.stage
            and (self.limit is None or self.count < self.limit)
            and (self.method is None or self.method == method.upper())
            and fnmatchcase(path, self.path)
            and all(query.get(key) == value for key, value in self.query.items())
        )

    async def parked(self, n: int = 1, timeout: float | None = None) -> list[ParkedRequest]:
        """Wait until at least `n` requests are parked here at once; returns them, oldest first."""
        await self._gate._wait_async(lambda: len(self.requests) >= n, timeout, f"{n} parked by {self!r}")
        return list(self.requests)

    def wait_parked(self, n: int = 1, timeout: float | None = None) -> list[ParkedRequest]:
        """As `parked`, blocking the calling thread (not for use on an event loop's thread)."""
        self._gate._wait_sync(lambda: len(self.requests) >= n, timeout, f"{n} parked by {self!r}")
        return list(self.requests)

    def release(self, n: int | None = None) -> None:
        """Let the `n` oldest parked requests go on; None: all of them, and hold no more."""
        self._gate._release(self, n)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class RequestGate:
    """Where a sandbox's handler threads wait while a test holds their requests."""

    def __init__(self, timeout: float = 120.0) -> None:
        self.timeout = timeout
        """Seconds any wait lasts at most: a guard against a hang, not a schedule."""
        self._cond = threading.Condition()
        self._holds: list[Hold] = []
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future, Callable[[], bool]]] = []
        self._closed = False

    # -- for tests -----------------------------------------------------------------------------------
    def hold(
        self, method: str | None = None, path: str = "*", *, query: Mapping[str, str] | None = None,
        stage: str = "request", limit: int | None = None,
    ) -> Hold:
        """Park the requests that match from now on until released.

        `method`: GET, POST, ... (None: any); `path`: a glob matched against the path as sent
        (`*` matches across slashes); `query`: items the query string must have; `limit`: park at
        most this many (later ones pass). The oldest active hold that matches takes a request.
        """
        held = Hold(self, method, path, query, stage, limit)
        with self._cond:
            if self._closed:
                held.active = False  # a stopped sandbox holds nothing
            else:
                self._holds.append(held)
        return held

    @property
    def requests(self) -> list[ParkedRequest]:
        """Every request parked now, by any hold."""
        with self._cond:
            return [r for h in self._holds for r in h.requests]

    async def parked(self, n: int = 1, timeout: float | None = None) -> list[ParkedRequest]:
        """Wait until at least `n` requests are parked at once, by any holds."""
        await self._wait_async(lambda: self._parked_count() >= n, timeout, f"{n} parked requests")
        return self.requests

    def release(self) -> None:
        """Let every parked request go on and hold nothing more."""
        with self._cond:
            holds = list(self._holds)
        for held in holds:
            held.release()

    def close(self) -> None:
        """The sandbox stops: release everything, hold nothing from now on, end every wait."""
        with self._cond:
            self._closed = True
        self.release()
        with self._cond:
            waiters, self._waiters = self._waiters, []
        for loop, future, _ in waiters:
            loop.call_soon_threadsafe(_fail, future, "the sandbox stopped")

    # -- for the server's handler threads --------------------------------------------------------------
    def enter(self, method: str, path: str, query: Mapping[str, str], body: bytes, stage: str) -> bool:
        """Pass the gate at `stage`, parked while a hold has the request; False if the gate closed meanwhile."""
        with self._cond:
            if self._closed:
                return False
            held = next((h for h in self._holds if h.matches(method, path, query, stage)), None)
            if held is None:
                return True
            request = ParkedRequest(method.upper(), path, dict(query), body, stage)
            held.requests.append(request)
            held.count += 1
            self._changed()
        request._go.wait()  # set by release or close, never by time
        with self._cond:
            return not self._closed

    # -- plumbing ------------------------------------------------------------------------------------------
    def _parked_count(self) -> int:
        return sum(len(h.requests) for h in self._holds)

    def _release(self, held: Hold, n: int | None) -> None:
        with self._cond:
            going = held.requests if n is None else held.requests[:n]
            held.requests = [] if n is None else held.requests[n:]
            if n is None:
                held.active = False
                if held in self._holds:
                    self._holds.remove(held)
            self._changed()
        for request in going:
            request._go.set()

    def _changed(self) -> None:
        """Wake the waits whose condition holds now (called with the lock held)."""
        self._cond.notify_all()
        ready = [w for w in self._waiters if w[2]()]
        for waiter in ready:
            self._waiters.remove(waiter)
            loop, future, _ = waiter
            loop.call_soon_threadsafe(_resolve, future)

    async def _wait_async(self, condition: Callable[[], bool], timeout: float | None, what: str) -> None:
        loop = asyncio.get_running_loop()
        with self._cond:
            if condition():
                return
            if self._closed:
                raise RuntimeError(f"the sandbox stopped while waiting for {what}")
            future: asyncio.Future = loop.create_future()
            waiter = (loop, future, condition)
            self._waiters.append(waiter)
        limit = self.timeout if timeout is None else timeout
        try:
            await asyncio.wait_for(future, limit)
        except TimeoutError:
            raise TimeoutError(f"waited {limit:g} s for {what}; parked now: {self._describe()}") from None
        finally:
            with self._cond:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    def _wait_sync(self, condition: Callable[[], bool], timeout: float | None, what: str) -> None:
        limit = self.timeout if timeout is None else timeout
        with self._cond:
            if not self._cond.wait_for(lambda: condition() or self._closed, limit):
                raise TimeoutError(f"waited {limit:g} s for {what}; parked now: {self._describe_locked()}")
            if not condition():
                raise RuntimeError(f"the sandbox stopped while waiting for {what}")

    def _describe(self) -> str:
        with self._cond:
            return self._describe_locked()

    def _describe_locked(self) -> str:
        parked = [str(r) for h in self._holds for r in h.requests]
        return ", ".join(parked) or "none"


def _resolve(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


def _fail(future: asyncio.Future, message: str) -> None:
    if not future.done():
        future.set_exception(RuntimeError(message))

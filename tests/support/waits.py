"""How long the tests wait for a condition before calling it a hang.

Tests wait for conditions (a worker finished, a request reached the server, text on a screen), never
for a fixed time; the limit below only turns a hang into a failure with a message. It is generous on
purpose: a busy machine (two cores, other test runs beside this one) may take many times longer
than an idle one, and that must not fail a test. Set CRMTUI_TEST_HANG_GUARD (seconds) to change it,
e.g. lower while debugging a hang.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, not {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{name} must be positive, not {raw!r}")
    return value


HANG_GUARD = _seconds("CRMTUI_TEST_HANG_GUARD", 120.0)
"""Seconds any condition wait in the tests lasts at most."""


async def until(condition: Callable[[], object], what: str = "a condition", guard: float | None = None) -> None:
    """Let other tasks run until `condition()` holds (checked every few milliseconds).

    For asyncio tests without a Pilot (UI tests use tests/ui/conftest.py's `wait_for`). The guard
    (default HANG_GUARD) only turns a hang into a failure.
    """
    loop = asyncio.get_running_loop()
    limit = HANG_GUARD if guard is None else guard
    deadline = loop.time() + limit
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {limit:g} s waiting for {what}")
        await asyncio.sleep(0.01)


def wait_until(condition: Callable[[], object], what: str = "a condition", guard: float | None = None) -> None:
    """As `until`, for code outside an event loop (checked every 50 ms)."""
    limit = HANG_GUARD if guard is None else guard
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {limit:g} s waiting for {what}")
        time.sleep(0.05)

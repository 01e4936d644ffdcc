"""Textual's Pilot waits, made safe for a busy machine (installed by tests/ui/conftest.py).

Every `pilot.press(...)` and `pilot.pause()` ends in `Pilot._wait_for_screen`: it queues a callback
on the app and on every widget of the current screen, then waits until all of them have run it,
for at most 30 s, and raises WaitForScreenTimeout after that (seen in CI). 30 s is a fixed time: a
press may set off a lot of work on the app's one event loop (a stream of 300 contacts re-read and
re-drawn, a screen composed, the footer's keys rebuilt) and on a machine running other test
processes beside this one the loop gets a small share of a core; the work is not stuck, only slow.
Here the limit is the tests' hang guard (tests.support.waits.HANG_GUARD).

A widget whose message loop has already ended (closed) will never run a callback queued on it, so
it is not waited for (Textual's count would never reach zero). Widgets being removed still run what
was queued before their removal, and are waited for as before.

On a real hang the error names the widgets that had not run their callback, and their state.
"""

from __future__ import annotations

import asyncio

from textual.pilot import Pilot, WaitForScreenTimeout

from tests.support.waits import HANG_GUARD

RECHECK = 0.5
"""Seconds between looks for widgets closed while waited for (not a schedule: the wait ends as soon
as the last callback runs)."""


def _gone(node) -> bool:
    """The node will never run a callback queued on it: its message loop is over."""
    return bool(node._closed)


def _describe(node) -> str:
    state = [f"queued={node._message_queue.qsize()}"]
    if not node.is_running:
        state.append("not running")
    if node._closing or getattr(node, "_pruning", False):
        state.append("being removed")
    return f"{node!r} ({', '.join(state)})"


async def wait_for_screen(self: Pilot, timeout: float | None = None) -> bool:
    """Pilot._wait_for_screen with the hang guard for a limit, and not waiting on closed widgets.

    Returns True when every widget ran its callback (or was closed), False if the app raised.
    """
    try:
        screen = self.app.screen
    except Exception:  # noqa: BLE001 - as Textual's own wait: no screen (the app ended) is "not ready"
        return False
    nodes = [self.app, *screen.walk_children(with_self=True)]
    pending: dict[int, object] = {}
    all_ran = asyncio.Event()

    def ran(node) -> None:
        pending.pop(id(node), None)
        if not pending:
            all_ran.set()

    for node in nodes:
        if node.call_later(ran, node):
            pending[id(node)] = node
    if not pending:
        return True

    loop = asyncio.get_running_loop()
    # Callers inside Textual pass their own (fixed) limits; never wait less than the hang guard.
    deadline = loop.time() + max(HANG_GUARD, timeout or 0)
    failed = asyncio.ensure_future(self.app._exception_event.wait())
    try:
        while True:
            for node in list(pending.values()):
                if _gone(node):
                    ran(node)
            if all_ran.is_set() or not pending:
                return True
            left = deadline - loop.time()
            if left <= 0:
                stuck = "\n  ".join(_describe(node) for node in pending.values())
                raise WaitForScreenTimeout(
                    f"Waited {HANG_GUARD:g} s for widgets to process pending messages; not done:\n  {stuck}"
                )
            waiting = asyncio.ensure_future(all_ran.wait())
            done, _ = await asyncio.wait({waiting, failed}, timeout=min(RECHECK, left), return_when=asyncio.FIRST_COMPLETED)
            waiting.cancel()
            if failed in done:
                return not pending
    finally:
        failed.cancel()


def install(monkeypatch) -> None:
    monkeypatch.setattr(Pilot, "_wait_for_screen", wait_for_screen)

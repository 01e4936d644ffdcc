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

After a key press Textual also sleeps in `wait_for_idle`: 20 ms slices until the *process* used
less than 1 ms of CPU in one (so the sandbox's server thread, answering the app, counts as the app
being busy), at least twice per key. That is a guess from time, and most of a UI test's wall time.
Here a press ends when it is done instead: the app and every widget of the screen have run all the
messages queued on them, including those the press set off, and the screen has run the callbacks
waiting for its next refresh (`settle`, rounds of the wait above until nothing is left); the idle
guess left before it only uses this thread's CPU in 5 ms slices.

Each App parses the same CSS (every widget's DEFAULT_CSS and styles/) again; `shared_css` keeps the
parsed rules for the whole test process (rules are not changed after parsing; the key has the theme's
variables, so a theme change still parses anew).
"""

from __future__ import annotations

import asyncio
import time

import textual.app
import textual.pilot
from textual.css.stylesheet import Stylesheet
from textual.message_pump import MessagePump

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


SETTLE_ROUNDS = 50
"""Rounds of waiting after which a screen that keeps itself busy (a spinner's timer) counts as settled."""


_handling = 0
"""Messages being handled right now, on any node (a handler may await: the queue is empty meanwhile)."""


def counting(original):
    async def dispatch(self, message) -> None:
        global _handling
        _handling += 1
        try:
            await original(self, message)
        finally:
            _handling -= 1

    return dispatch


def _queued(node) -> bool:
    """The node has messages queued, or callbacks waiting for its next idle."""
    return bool(node._message_queue.qsize() or node._pending_message or node._next_callbacks) and not _gone(node)


NUDGE = 0.05
"""Seconds between prompts to a screen whose after-refresh callbacks have not run (not a schedule:
the wait ends as soon as they have)."""


async def after_refresh(self: Pilot, screen) -> bool:
    """Wait until the screen has run the callbacks queued to run after its next refresh.

    `call_after_refresh` (the footer rebuilding its keys, a list scrolling to its cursor) does not
    queue a message: the callback waits in the screen's own list until the screen's update timer
    has repainted, a frame later. Ours goes at the end of that list, so it runs after all of them.
    Returns False if the app raised meanwhile.
    """
    ran = asyncio.Event()
    screen._invoke_later(ran.set, screen)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + HANG_GUARD
    failed = asyncio.ensure_future(self.app._exception_event.wait())
    try:
        while not ran.is_set():
            if _gone(screen):
                return True
            left = deadline - loop.time()
            if left <= 0:
                raise WaitForScreenTimeout(f"Waited {HANG_GUARD:g} s for {screen!r} to refresh")
            waiting = asyncio.ensure_future(ran.wait())
            done, _ = await asyncio.wait({waiting, failed}, timeout=min(NUDGE, left), return_when=asyncio.FIRST_COMPLETED)
            waiting.cancel()
            if failed in done:
                return False
            # The list runs on the screen's next idle, or on its update timer when it has something
            # to repaint; a screen that lost its place or had its timer paused by a layout pass gets
            # neither until a message comes. Prompting idle brings that message.
            screen.check_idle()
        return True
    finally:
        failed.cancel()


async def settle(self: Pilot, timeout: float | None = None) -> bool:
    """`wait_for_screen` until the app and every widget of the screen have nothing left to handle,
    and the screen has run what was waiting for its next refresh."""
    for _ in range(SETTLE_ROUNDS):
        if not await wait_for_screen(self, timeout):
            return False
        await asyncio.sleep(0)
        try:
            screen = self.app.screen
            nodes = [self.app, *screen.walk_children(with_self=True)]
        except Exception:  # noqa: BLE001 - no screen: the app has ended
            return False
        if screen._callbacks:
            if not await after_refresh(self, screen):
                return False
            continue  # what those callbacks did (a footer rebuilt) may have queued more
        if not _handling and not any(_queued(node) for node in nodes):
            return True
    return True


IDLE_SLICE = 0.005
IDLE_CPU = 0.0005


async def wait_for_idle(min_sleep: float = 0.0, max_sleep: float = 1.0) -> None:
    """Textual's wait_for_idle measured on this thread (the app's), in 5 ms slices."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while True:
        cpu = time.thread_time()
        await asyncio.sleep(IDLE_SLICE)
        elapsed = loop.time() - start
        if elapsed >= max_sleep or (elapsed > min_sleep and time.thread_time() - cpu < IDLE_CPU):
            return


_PARSED: dict[tuple, list] = {}


def shared_css(original):
    def parse_rules(self, css, read_from, is_default_rules=False, tie_breaker=0, scope=""):
        key = (css, read_from, is_default_rules, tie_breaker, scope, tuple(sorted(self._variables.items())))
        rules = _PARSED.get(key)
        if rules is None:
            rules = original(self, css, read_from, is_default_rules, tie_breaker, scope)
            _PARSED[key] = rules
        return rules

    return parse_rules


def install(monkeypatch) -> None:
    monkeypatch.setattr(Pilot, "_wait_for_screen", settle)
    monkeypatch.setattr(MessagePump, "_dispatch_message", counting(MessagePump._dispatch_message))
    monkeypatch.setattr(textual.app, "wait_for_idle", wait_for_idle)
    monkeypatch.setattr(textual.pilot, "wait_for_idle", wait_for_idle)
    monkeypatch.setattr(Stylesheet, "_parse_rules", shared_css(Stylesheet._parse_rules))

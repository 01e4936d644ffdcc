"""The app's side of taking keys in the order they were typed (the text boxes' side is
`crmtui.ui.widgets.inputs`).

Over SSH a burst of keys arrives at once, and a fast typist makes bursts too: "n" and "Call Ann", or
Enter on a row and "d" for the contact it opens. Textual routes each key to the widget focused when the
app takes it, and runs a screen's bindings only once the key has come back up from that widget: by
then the app has routed the keys behind it to the list, and a dialog that "n" opens has not focused
its first field yet. The words were dropped.

`KeyOrder` makes two changes, both in the app's own loop, in the order the keys came:

- a key for a widget that takes keys only through bindings (a list, a board, a button, a table; not
  a text box, nor a widget with key handlers of its own such as an open Select's type-to-find) runs
  its binding as the app takes it: the same bindings in the same order (the focused widget's first, up
  to the screen's and the app's) as the app would run once the key came back up;
- the keys behind such a key wait for what its binding asked for next: a message it posted (Enter on
  a row: the row's `Selected`, which the screen answers by opening the contact) on its way up to the
  screen, a callback of the app's (a widget's focus() moves the focus in one), and a screen shown for
  the first time, until it has mounted and focused its first field; they are then taken in the order
  typed, where the focus then is;
- Esc and the key typed after it, when they arrive as one key (`crmtui.ui.escape_keys`), are taken
  as the two keys where the focus leaves keys to the bindings.

A key for a text box goes to it as Textual sends it; the box acts on it in its turn, and the keys it
hands on (those typed after Enter, those that reached it after the focus left) come back here ahead
of the keys the app takes after them (`take_in_turn`).
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections import deque
from collections.abc import Sequence
from typing import Any
from weakref import WeakSet

from textual import events, messages
from textual.app import App
from textual.screen import Screen
from textual.widget import Widget

from crmtui.ui.escape_keys import as_typed

SCREEN_HOLD = 2.0
"""Seconds at most that keys wait (a safety net: what they wait for takes milliseconds; a screen whose
mount failed, or a widget removed with the news on its way, never says so)."""

Held = events.Key | events.Paste

_TEXTUAL = (Widget, Screen)
"""Textual's own classes, whose key handling the app's walk does itself (Screen's `_key_escape`)."""


@functools.cache
def by_bindings_only(cls: type) -> bool:
    """Whether a widget of class `cls` takes keys only through bindings: no key handler of its own
    (`_on_key`, `on_key`, `key_*`, `_key_*`, `@on(events.Key)`) below Textual's Widget and Screen,
    and it does not type."""
    if getattr(cls, "TYPES_KEYS", False):
        return False
    for klass in cls.__mro__:
        if klass in _TEXTUAL or not issubclass(klass, Widget):
            continue
        names = vars(klass)
        if "_on_key" in names or "on_key" in names or any(name.startswith(("key_", "_key_")) for name in names):
            return False
        if events.Key in names.get("_decorated_handlers", {}):
            return False
    return True


def _up_to_screen(widget: Widget) -> list[Widget] | None:
    """`widget` and its parents up to its screen, when every one of them leaves keys to the bindings
    (None: one has key handlers of its own, or the widget is not on a screen)."""
    path: list[Widget] = []
    node: Any = widget
    while isinstance(node, Widget):
        if not by_bindings_only(type(node)):
            return None
        path.append(node)
        if isinstance(node, Screen):
            return path
        node = node.parent
    return None


_NEWS = ("Highlighted", "Changed")
"""How Textual and crmtui name a message that says what changed (a cursor moved: `RowList.Highlighted`,
`OptionList.OptionHighlighted`; a box ticked) rather than asks for something (`Selected`, `Pressed`,
`Submitted`): nothing answers one by showing a screen or moving the focus, so the keys behind a
cursor step need not follow it up (a burst of steps would pay a turn of every widget on the way)."""


_REPAINTS = (messages.Prompt, messages.Update, messages.Layout, messages.UpdateScroll, messages.ScrollToRegion)
"""Textual's own messages for a widget's repaint and scroll, which a cursor step posts too."""


def _acts(widget: Widget, before: int) -> bool:
    """Whether the messages posted to `widget` since its queue held `before` ask for something."""
    waiting: deque[Any] = widget._message_queue.values  # Textual's own queue: its messages, in order
    if len(waiting) <= before:
        return False
    posted: list[object] = list(waiting)[before:]
    return not all(
        isinstance(message, _REPAINTS) or type(message).__name__.endswith(_NEWS) for message in posted if message is not None
    )


class KeyOrder:
    """The keys an app takes, in the order typed (see the module's text). The app calls `take` for
    each key and paste it has not forwarded yet; False: the app handles it as Textual does."""

    def __init__(self, app: App[Any]) -> None:
        self._app = app
        self._held: deque[Held] | None = None
        self._front = 0
        """How many keys at the front of `_held` a text box handed on (ahead of the app's own)."""
        self._since = 0.0
        self._hold_id = 0
        self._settled: WeakSet[Screen[Any]] = WeakSet()
        self._waiting: asyncio.Task[None] | None = None

    @property
    def holding(self) -> bool:
        return self._held is not None

    async def take(self, event: Held) -> bool:
        app = self._app
        if self._held is not None:
            self._held.append(event)
            return True
        if not app._screen_stack:
            return False
        screen = app.screen
        if screen not in self._settled:
            self._hold(event)
            return True
        if not isinstance(event, events.Key):
            return False
        if event.key == "escape" and screen.maximized is not None:
            return False  # Textual's own: escape restores a maximized widget
        focused = app.focused
        path = _up_to_screen(focused or screen)
        if path is None:
            return False
        typed = as_typed(event)
        if typed is not None:
            # Esc and the key typed after it, read together, where no box takes the keys itself: both
            # keys, in turn (`crmtui.ui.escape_keys`; in a text box the key stays as Textual read it).
            await self._take_in_order(deque(typed))
            return True
        app.app_focus = True
        if focused is not None:
            screen._clear_tooltip()
        if event.key == "escape":
            screen.clear_selection()  # as Textual's screen does with escape on its way up
        # Textual's own walks of the bindings, as its key handling would run them once the key came
        # back up: the priority ones, then from the focused widget up.
        queued = [len(widget._message_queue.values) for widget in path]
        if await app._check_bindings(event.key, priority=True) or await app._check_bindings(event.key):
            # What the binding asked for next comes before the keys typed after it: a message it
            # posted on its way up (from the first widget of the path that has one waiting), then
            # the app's own callbacks.
            posted = next((n for n, widget in enumerate(path) if _acts(widget, queued[n])), len(path))
            self._hold(via=path[posted:])
            return True
        return False  # no binding takes it: on its way as Textual sends it (a handler added later may want it)

    async def take_in_turn(self, keys: Sequence[Held]) -> None:
        """Keys a text box hands on, in order (typed after Enter, or reaching it after the focus
        left): typed before any key the app takes after them, and before those it holds."""
        if self._held is not None:
            for key in keys:
                self._held.insert(self._front, key)
                self._front += 1
            return
        await self._take_in_order(deque(keys))

    def _hold(self, *first: Held, via: list[Widget] | None = None) -> None:
        self._held = deque(first)
        self._front = 0
        self._since = time.monotonic()
        self._hold_id += 1
        self._pass_along(list(via or ()), self._hold_id)

    def _pass_along(self, path: list[Widget], hold_id: int) -> None:
        """The release, behind what waits in each widget of `path` in turn (a message goes up the
        same way), then behind the app's callbacks."""
        if hold_id != self._hold_id:
            return
        while path:
            if path[0].call_later(self._pass_along, path[1:], hold_id):
                return
            path = path[1:]  # closing: nothing more comes from it
        self._app.call_later(self._release, hold_id)

    async def _release(self, hold_id: int) -> None:
        """Take the held keys in order once what was asked before them is done, and the screen now
        shown has mounted (its fields made, its on_mount run) and had a turn of the app after it
        (its first field's focus comes as a callback)."""
        if hold_id != self._hold_id:
            return
        app = self._app
        if not app._screen_stack:  # the app is closing
            self._held = None
            return
        screen = app.screen
        if screen not in self._settled:
            if screen.is_mounted:
                self._settled.add(screen)
                app.call_later(self._release, hold_id)
            else:
                self._waiting = asyncio.create_task(self._settle(screen, hold_id), name="keys wait for the screen")
            return
        await self._take_held()

    async def _take_held(self) -> None:
        held, self._held = self._held or deque(), None
        self._hold_id += 1
        await self._take_in_order(held)

    async def _take_in_order(self, keys: deque[Held]) -> None:
        """Take `keys` one by one, until one holds those behind it again (they go first then)."""
        while keys:
            await self._app.on_event(keys.popleft())
            if self._again(keys):
                return

    def _again(self, rest: deque[Held]) -> bool:
        """Whether the key just taken holds the keys behind it again (the rest of these go first)."""
        if self._held is None:
            return False
        self._held.extendleft(reversed(rest))
        self._front += len(rest)
        return True

    async def _settle(self, screen: Screen[Any], hold_id: int) -> None:
        try:
            await asyncio.wait_for(screen._mounted_event.wait(), SCREEN_HOLD)
        except TimeoutError:
            self._settled.add(screen)  # its mount failed or hangs: the keys go where the focus is
        self._app.call_later(self._release, hold_id)

    def unstick(self) -> None:
        """Called now and then (the app's clock tick): keys held longer than SCREEN_HOLD are taken,
        in order, where the focus is (what they waited for will not come)."""
        if self._held is not None and time.monotonic() - self._since > SCREEN_HOLD:
            self._app.call_later(self._take_stuck, self._hold_id)

    async def _take_stuck(self, hold_id: int) -> None:
        if hold_id == self._hold_id and self._held is not None and self._app._screen_stack:
            self._settled.add(self._app.screen)
            await self._take_held()

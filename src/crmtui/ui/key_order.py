"""The app's side of taking keys in the order they were typed (the text boxes' side is
`crmtui.ui.widgets.inputs`).

Over SSH a burst of keys arrives at once, and a fast typist makes bursts too: "n" and "Call Ann", or
Enter on a row and "d" for the contact it opens. Textual routes each key to the widget focused when the
app takes it, and runs a screen's bindings only once the key has come back up from that widget: by
then the app has routed the keys behind it to the list, and a dialog that "n" opens has not focused
its first field yet. The words were dropped.

`KeyOrder` makes two changes, both in the app's own loop, in the order the keys came:

- a key for a widget that takes keys only through bindings (a list, a board, a button; not a text
  box, nor a widget with key handlers of its own such as Textual's DataTable and Select) runs its
  binding as the app takes it: the same bindings in the same order (the focused widget's first, up to
  the screen's and the app's) as the app would run once the key came back up;
- the keys behind such a key wait for what its binding asked the app to do next: a widget's focus()
  moves the focus in a callback, and a screen shown for the first time mounts and focuses its first
  field; they are then taken in the order typed, where the focus then is.

A key for a text box goes to it as Textual sends it; the box acts on it in its turn.
"""

from __future__ import annotations

import asyncio
import functools
from collections import deque
from typing import Any
from weakref import WeakSet

from textual import events
from textual.app import App
from textual.screen import Screen
from textual.widget import Widget

SCREEN_HOLD = 2.0
"""Seconds at most that keys wait for a new screen to mount and focus its first field (a safety net:
a screen mounts in milliseconds; one whose mount failed never says so)."""


@functools.cache
def by_bindings_only(cls: type) -> bool:
    """Whether a widget of class `cls` takes keys only through bindings: no key handler of its own
    (`_on_key`, `on_key`, `key_*`, `@on(events.Key)`) below Textual's Widget, and it does not type."""
    if getattr(cls, "TYPES_KEYS", False):
        return False
    for klass in cls.__mro__:
        if klass is Widget or not issubclass(klass, Widget):
            continue
        names = vars(klass)
        if "_on_key" in names or "on_key" in names or any(name.startswith("key_") for name in names):
            return False
        if events.Key in names.get("_decorated_handlers", {}):
            return False
    return True


def takes_keys_by_bindings(widget: Widget) -> bool:
    """Whether every widget a key for `widget` bubbles through before the app (itself, its parents,
    its screen) leaves it to the bindings."""
    node: Any = widget
    while isinstance(node, Widget):
        if not by_bindings_only(type(node)):
            return False
        if isinstance(node, Screen):
            return True
        node = node.parent
    return False


class KeyOrder:
    """The keys an app takes, in the order typed (see the module's text). The app calls `take` for
    each key and paste it has not forwarded yet; False: the app handles it as Textual does."""

    def __init__(self, app: App[Any]) -> None:
        self._app = app
        self._held: deque[events.Key | events.Paste] | None = None
        self._settled: WeakSet[Screen[Any]] = WeakSet()
        self._waiting: asyncio.Task[None] | None = None

    @property
    def holding(self) -> bool:
        return self._held is not None

    async def take(self, event: events.Key | events.Paste) -> bool:
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
        if not takes_keys_by_bindings(focused or screen):
            return False
        app.app_focus = True
        if focused is not None:
            screen._clear_tooltip()
        # Textual's own walks of the bindings, as its key handling would run them once the key came
        # back up: the priority ones, then from the focused widget up. A key none takes goes on as before.
        if await app._check_bindings(event.key, priority=True) or await app._check_bindings(event.key):
            # What the binding asked the app to do next (a widget's focus() moves the focus in a
            # callback; a dialog mounts) comes before the keys typed after it.
            self._hold()
            return True
        return False

    def _hold(self, *events_: events.Key | events.Paste) -> None:
        self._held = deque(events_)
        self._app.call_later(self._release)

    async def _release(self) -> None:
        """Take the held keys in order once the app has done what was asked before them, and the
        screen now shown has mounted (its fields made, its on_mount run) and had a turn of the app
        after it (its first field's focus comes as a callback)."""
        app = self._app
        if not app._screen_stack:  # the app is closing
            self._held = None
            return
        screen = app.screen
        if screen not in self._settled:
            if screen.is_mounted:
                self._settled.add(screen)
                app.call_later(self._release)
            else:
                self._waiting = asyncio.create_task(self._settle(screen), name="keys wait for the screen")
            return
        held, self._held = self._held or deque(), None
        while held:
            await app.on_event(held.popleft())
            if self._held_again(held):
                return

    def _held_again(self, rest: deque[events.Key | events.Paste]) -> bool:
        """Whether the key just taken holds the keys behind it again (they keep their order)."""
        if self._held is None:
            return False
        self._held.extend(rest)
        return True

    async def _settle(self, screen: Screen[Any]) -> None:
        try:
            await asyncio.wait_for(screen._mounted_event.wait(), SCREEN_HOLD)
        except TimeoutError:
            self._settled.add(screen)  # its mount failed or hangs: the keys go where the focus is
        self._app.call_later(self._release)

"""How a view tells whoever follows it that something changed (the UI turns it into a Textual message).

A listener's exception is not swallowed: it reaches whoever made the change (in the app, Textual
shows it as a crash with crash.log), so a bug in a view never vanishes into a log nobody reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

A = TypeVar("A")


class Signal(Generic[A]):
    """A list of listeners called in order with one value."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[A], None]] = []

    def subscribe(self, listener: Callable[[A], None]) -> Callable[[], None]:
        """Call `listener(value)` on every emit; returns the function that stops it."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def emit(self, value: A) -> None:
        for listener in list(self._listeners):
            listener(value)

    def __len__(self) -> int:
        return len(self._listeners)

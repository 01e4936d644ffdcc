"""Service views reach the UI as Textual messages: a burst of changes becomes one message.

`follow(node, signal, handler)` subscribes to a view's `Signal`; each change posts (at most one
waiting) `ServiceChanged` message to `node`, which calls `handler` with everything that changed
since the last call (the union of the keys; None when anything may have changed). The handler runs
in the node's message loop like any other message handler: an exception in it is a crash shown to
the person (one line and crash.log), never a line in a log nobody reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from textual.message import Message
from textual.message_pump import MessagePump

from crmtui.service.outbox import OutboxEvent
from crmtui.service.signals import Signal

K = TypeVar("K")
Changed = frozenset[K] | None


class ServiceChanged(Message, bubble=False):
    """Something a node follows changed; `deliver()` runs its handler with what changed."""

    def __init__(self, follower: _Follower[Any]) -> None:
        super().__init__()
        self.follower = follower

    def deliver(self) -> None:
        self.follower.deliver()


class _Follower(Generic[K]):
    def __init__(self, node: MessagePump, handler: Callable[[Changed[K]], None]) -> None:
        self.node = node
        self.handler = handler
        self.waiting = False
        self.changed: Changed[K] = frozenset()

    def heard(self, changed: Changed[K]) -> None:
        if changed is None or self.changed is None:
            self.changed = None
        else:
            self.changed = self.changed | changed
        if not self.waiting:
            self.waiting = True
            self.node.post_message(ServiceChanged(self))

    def deliver(self) -> None:
        changed, self.changed, self.waiting = self.changed, frozenset(), False
        self.handler(changed)


def follow(node: MessagePump, signal: Signal[Changed[K]], handler: Callable[[Changed[K]], None]) -> Callable[[], None]:
    """Call `handler(changed)` in `node`'s message loop after the view changes; returns the unfollow."""
    return signal.subscribe(follower(node, handler))


def follower(node: MessagePump, handler: Callable[[Changed[K]], None]) -> Callable[[Changed[K]], None]:
    """The listener `follow` subscribes: call it with what changed, `handler` runs once per burst in `node`."""
    return _Follower(node, handler).heard


class OutboxHeard(Message, bubble=False):
    """An outbox event (sent, refused, retrying…) on its way to the app's message loop."""

    def __init__(self, event: OutboxEvent) -> None:
        super().__init__()
        self.event = event


class FollowsServices:
    """Mixed into a screen that follows service views: delivers their `ServiceChanged` messages."""

    def on_service_changed(self, message: ServiceChanged) -> None:
        message.stop()
        message.deliver()

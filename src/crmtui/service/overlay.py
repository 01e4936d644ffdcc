"""The one overlay engine: what the server last said, with the changes still on their way laid over it.

Every view (the action stream, a team member's stream, a contact and its history, the pipeline
board, the notifications) shows records as the server last said plus the changes of the outbox
that the server has not confirmed yet. `Overlay` does that once, for any key (a contact id, a deal
id, a history section) and any record type:

- it keeps the server's copy of each record that has changes on their way (`server`), and shows
  that copy with the unsettled commands applied in order (`shown`);
- when the server confirms a change (`SENT`), the change's effect, with the server's answer, is
  folded into the copy (`confirm`): no re-read is needed to show it;
- when the server refuses one, it simply drops out of what is shown (the record goes back);
- reads are stamped (`mark`): a record read before the last outbox event about it is stale (the
  read may predate the change), so `take` keeps what is shown instead;
- a command may change other records of the view besides its own (`also`: a company's new name
  shows on each of its contacts): it is laid over those too, and settles with them.

The engine knows nothing of the view's order or its listeners; the views do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Generic, TypeVar

from crmtui.service.commands import Command
from crmtui.service.outbox import CONFLICT, DISCARDED, FAILED, QUEUED, SENT, Outbox, OutboxEvent

K = TypeVar("K")
T = TypeVar("T")

SHOWN_CHANGES = (QUEUED, SENT, FAILED, CONFLICT, DISCARDED)
"""Outbox events after which a record shows differently."""
SETTLING = (SENT, FAILED, CONFLICT, DISCARDED)
"""Outbox events after which a record may have nothing left on its way."""


class Overlay(Generic[K, T]):
    """Server copies under unsettled changes, for the records of one view.

    `key(command)` says which record of this view a command changes (None: not this view's);
    `predict(record, command)` returns the record as the command will leave it (a new object);
    `confirm(record, command)` the same once the server has confirmed it (default: `predict`),
    using what the server answered (real ids, server-made fields); `also(command)` the other
    records of this view the command changes (default: none).
    """

    def __init__(
        self,
        outbox: Outbox,
        *,
        key: Callable[[Command], K | None],
        predict: Callable[[T, Command], T],
        confirm: Callable[[T, Command], T] | None = None,
        also: Callable[[Command], Iterable[K]] | None = None,
    ) -> None:
        self.outbox = outbox
        self._key = key
        self._also = also
        self._predict = predict
        self._confirm = confirm or predict
        self.server: dict[K, T] = {}
        """The server's copy of each record that has changes overlaid on it."""
        self._events = 0
        self._touched: dict[K, int] = {}

    # -- which commands --------------------------------------------------------------------------
    def key_of(self, command: Command) -> K | None:
        return self._key(command)

    def also_of(self, command: Command) -> set[K]:
        """The other records of this view the command changes (none unless its own key is this view's)."""
        if self._also is None or self._key(command) is None:
            return set()
        return set(self._also(command))

    def _keys(self, command: Command) -> set[K]:
        key = self._key(command)
        if key is None:
            return set()
        return {key, *self._also(command)} if self._also is not None else {key}

    def pending(self, key: K) -> list[Command]:
        """The unsettled commands on `key`, oldest first."""
        return [c for c in self.outbox.unsettled() if key in self._keys(c)]

    def busy(self) -> set[K]:
        """Keys with a change on its way."""
        return {k for c in self.outbox.unsettled() for k in self._keys(c)}

    def is_busy(self, key: K) -> bool:
        return any(key in self._keys(c) for c in self.outbox.unsettled())

    # -- stale reads -----------------------------------------------------------------------------
    def mark(self) -> int:
        """Stamp a read as it starts; pass the stamp to `take`/`take_all` when it comes back."""
        return self._events

    def stale(self, key: K, started: int | None) -> bool:
        """Whether a change of `key` reached the outbox or the server after a read stamped `started`."""
        return started is not None and self._touched.get(key, 0) > started

    def newer(self, started: int | None) -> set[K]:
        """Keys a change happened to after a read stamped `started`."""
        if started is None:
            return set()
        return {k for k, at in self._touched.items() if at > started}

    def heard_since(self, started: int) -> bool:
        """Whether any change of this view was heard after `started`."""
        return self._events != started

    # -- showing ---------------------------------------------------------------------------------
    def apply(self, record: T, commands: Iterable[Command]) -> T:
        """`record` with `commands` applied in order (local ids the server has answered for replaced:
        the copy holds the server's records once their creation is confirmed)."""
        for command in commands:
            record = self._predict(record, self.outbox.with_server_ids(command))
        return record

    def shown(self, key: K, current: T) -> T:
        """What to show for `key`: its server copy (`current` becomes it when there is none yet)
        with the changes on their way applied; the server copy itself once nothing is left."""
        pending = self.pending(key)
        if not pending:
            return self.server.pop(key, current)
        base = self.server.setdefault(key, current)
        return self.apply(base, pending)

    def take(self, key: K, fresh: T, started: int | None = None) -> tuple[bool, T]:
        """A record read from the server: (False, fresh) when the read is stale, else (True, what to show)."""
        if self.stale(key, started):
            return False, fresh
        if self.is_busy(key):
            self.server[key] = fresh
            return True, self.shown(key, fresh)
        self.server.pop(key, None)
        return True, fresh

    def take_all(
        self, fresh: Mapping[K, T], current: Mapping[K, T], started: int | None, *, absent: Callable[[], T] | None = None
    ) -> dict[K, T]:
        """A whole listing read from the server; returns what to show, by key.

        A record a change happened to after the read started keeps what is shown (the read may
        predate the change; the re-read after it follows). Records with changes on their way keep
        the copy those changes were made on until they settle. `absent()` (e.g. None) is the value
        that means "not in this listing": a shown record that left the listing while a change on
        it is on its way gets it as its server copy. Keys shown as None are left out.
        """
        newer = self.newer(started)
        listed = dict(fresh)
        for key in newer:
            if key not in self.server:
                if key in current:
                    listed[key] = current[key]
                else:
                    listed.pop(key, None)
        busy = self.busy()
        for key in list(self.server):
            if key not in busy and key not in newer:
                del self.server[key]  # confirmed, and now read with the rest
        for key in busy | (newer & set(self.server)):
            if key in self.server:
                continue  # keeps the copy the changes on their way were made on
            if key in listed:
                self.server[key] = listed[key]
            elif key in current and absent is not None:
                self.server[key] = absent()
        shown = {k: v for k, v in listed.items() if k not in self.server}
        for key in list(self.server):
            value = self.shown(key, self.server[key])
            if value is not None:
                shown[key] = value
        return shown

    def forget(self, keys: Sequence[K] | None = None) -> None:
        """Drop the server copies (of `keys`, default all): the view starts over."""
        if keys is None:
            self.server.clear()
            return
        for key in keys:
            self.server.pop(key, None)

    # -- the outbox ------------------------------------------------------------------------------
    def hear(self, event: OutboxEvent) -> K | None:
        """Take in an outbox event; returns the key it is about (None: not this view's).

        A confirmed change becomes part of the server's copy, with the server's answer.
        """
        key = self._key(event.command)
        if key is None:
            return None
        self._events += 1
        for each in self._keys(event.command):
            self._touched[each] = self._events
            if event.kind == SENT and each in self.server:
                self.server[each] = self._confirm(self.server[each], self.outbox.with_server_ids(event.command))
        return key

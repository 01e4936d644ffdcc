"""The signed-in user's notifications: newest first, marked read through the outbox.

A mark is written to the outbox and shows at once; the list is the server's with the marks still
on their way overlaid, so a reload that races a mark never flickers the row back to unread, and a
mark the server refuses simply drops out (the row is unread again).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Iterable

from crmtui.backends.errors import BackendError, NotFound
from crmtui.domain.formatting import contact_name
from crmtui.domain.models import Notification
from crmtui.service.errors import CommandRefused
from crmtui.service.notification_commands import NOTIFICATIONS, MarkAllRead, MarkRead
from crmtui.service.commands import Command
from crmtui.service.outbox import SENT, OutboxEvent
from crmtui.service.overlay import SHOWN_CHANGES, Overlay
from crmtui.service.session import Session, stamp
from crmtui.service.signals import Signal
from crmtui.service.features import contacts_api, notifications_api

Listener = Callable[[list[Notification]], None]

TYPE_LABELS = {
    "assigned_action": "Action assigned",
    "action_with_time": "Timed action",
    "contact_assigned": "Contact assigned",
    "note": "Note",
    "call": "Call",
    "meeting": "Meeting",
    "email": "Email",
    "link": "Link",
}
"""Known notification types in words; any other type is shown as the server names it."""

NAME_LOOKUPS = 4
"""Contacts fetched at once when naming the contacts notifications are about."""

_OLDEST = dt.datetime.min.replace(tzinfo=dt.timezone.utc)


def type_label(kind: str) -> str:
    return TYPE_LABELS.get(kind, kind or "—")


def detail(notification: Notification, contact_name: str = "") -> str:
    """What the notification says beyond its type: the detail when the text only repeats the headline.

    A detail that is only the contact's name (shown beside it already) gives way to the headline.
    """
    n = notification
    combined = " ".join(p for p in (n.title, n.body) if p)
    said = (n.body or n.title) if n.title and n.text == combined else n.text
    if contact_name and said.strip() == contact_name and n.title:
        return n.title
    return said


def full_text(notification: Notification) -> str:
    """Everything the notification says: "Action assigned to you: Call back" for a headline and its detail."""
    n = notification
    if n.title and n.body and n.text == f"{n.title} {n.body}":
        return f"{n.title}: {n.body}"
    return n.text


ALL = "all"
"""The one key of the inbox's overlay: marks change the whole list."""


def _marks(command: Command) -> str | None:
    return ALL if command.section == NOTIFICATIONS else None


def _mark_read(items: list[Notification], command: Command) -> list[Notification]:
    if isinstance(command, MarkAllRead):
        ids = set(command.notification_ids)
    elif isinstance(command, MarkRead):
        ids = {command.notification_id}
    else:
        return items
    return [n.model_copy(update={"read": True}) if not n.read and n.id in ids else n for n in items]


def _created(n: Notification) -> dt.datetime:
    if n.created_at is None:
        return _OLDEST
    return n.created_at if n.created_at.tzinfo else n.created_at.replace(tzinfo=dt.timezone.utc)


class Inbox:
    """Notifications of the signed-in user, through the app's session backend."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.items: list[Notification] = []
        """As shown: the server's list with the marks on their way applied."""
        self.loaded = False
        self._names: dict[str, str] = {}
        self.overlay: Overlay[str, list[Notification]] = Overlay(session.outbox, key=_marks, predict=_mark_read)
        """The server's list (one key, ALL) while marks are on their way; a mark the server
        confirmed is part of it (the same change as predicted: the row is read)."""
        self._server: list[Notification] = []
        self.changes: Signal[frozenset[str] | None] = Signal()
        """Emitted after the list shown changes."""
        self._unsubscribe = session.outbox.subscribe(self._on_outbox)

    def detach(self) -> None:
        self._unsubscribe()

    # -- listeners -----------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        return self.changes.subscribe(lambda _changed: listener(self.items))

    def _changed(self) -> None:
        self.changes.emit(None)

    # -- reading -------------------------------------------------------------------------------
    @property
    def unread(self) -> int:
        return sum(1 for n in self.items if not n.read)

    def find(self, notification_id: str) -> Notification | None:
        return next((n for n in self.items if n.id == notification_id), None)

    async def load(self) -> list[Notification]:
        started = self.overlay.mark()
        items = await notifications_api(self.session.backend).notifications()
        if self.overlay.stale(ALL, started) and self.loaded:
            # A mark settled while the list was read: the list may predate it; keep the marks shown.
            marked = {n.id for n in self._server if n.read}
            items = [n.model_copy(update={"read": True}) if n.id in marked and not n.read else n for n in items]
        self.show_server_list(items)
        return self.items

    def show_server_list(self, items: list[Notification]) -> None:
        items.sort(key=lambda n: (_created(n), n.id), reverse=True)
        self._server = items
        self.loaded = True
        self._overlay()
        self._changed()

    def _overlay(self) -> None:
        _taken, self.items = self.overlay.take(ALL, self._server)

    def _on_outbox(self, event: OutboxEvent) -> None:
        if self.overlay.hear(event) is None:
            return
        if event.kind == SENT:  # confirmed: the server's list has it now
            self._server = _mark_read(self._server, event.command)
        if event.kind in SHOWN_CHANGES:
            self._overlay()
            self._changed()

    # -- marking read --------------------------------------------------------------------------
    async def _send(self, command: MarkRead | MarkAllRead) -> None:
        stamp(command, self.session._clock())
        self.session.outbox.start()
        await self.session.outbox.enqueue(command)

    async def mark_read(self, notification_id: str) -> bool:
        """Mark one read; False when it already was (nothing is sent)."""
        found = self.find(notification_id)
        if found is None:
            raise CommandRefused("That notification is no longer there; press r to refresh")
        if found.read:
            return False
        label = f"Read: {type_label(found.type)}" + (f" ({found.by})" if found.by else "")
        await self._send(MarkRead(contact_id="", notification_id=notification_id, label=label))
        return True

    async def mark_all_read(self) -> int:
        """Mark every notification read; how many were unread (0: nothing is sent)."""
        unread = [n.id for n in self.items if not n.read]
        if not unread:
            return 0
        await self._send(MarkAllRead(contact_id="", notification_ids=unread, label=f"Mark {len(unread)} notifications read"))
        return len(unread)

    # -- the contacts they are about -----------------------------------------------------------
    def contact_name(self, contact_id: str) -> str | None:
        """The contact's name when known (from the loaded stream or an earlier lookup)."""
        if not contact_id:
            return None
        name = self._names.get(contact_id)
        if name is None:
            entry = self.session.entry(contact_id)
            if entry is not None:
                name = self._names[contact_id] = contact_name(entry.contact)
        return name

    async def load_names(self, contact_ids: Iterable[str]) -> bool:
        """Look up the names of contacts not known yet; True when any name was added."""
        wanted = list(dict.fromkeys(cid for cid in contact_ids if cid and self.contact_name(cid) is None))
        if not wanted:
            return False
        gate = asyncio.Semaphore(NAME_LOOKUPS)

        async def one(contact_id: str) -> None:
            async with gate:
                try:
                    contact = await contacts_api(self.session.backend).get_contact(contact_id)
                except NotFound:
                    self._names[contact_id] = "(deleted contact)"
                    return
            self._names[contact_id] = contact_name(contact)

        results = await asyncio.gather(*(one(cid) for cid in wanted), return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        added = len(errors) < len(wanted)
        if added:
            self._changed()
        for error in errors:
            if not isinstance(error, BackendError):
                raise error
        return added

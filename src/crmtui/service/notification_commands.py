"""Marking notifications read: one, or all of them. Both are safe to send twice."""

from __future__ import annotations

from typing import ClassVar, Literal

from crmtui.backends.base import Backend
from crmtui.backends.errors import NotFound
from crmtui.domain.subjects import subject
from crmtui.service.commands import Command
from crmtui.service.features import notifications_api

NOTIFICATIONS = "notifications"
NOTIFICATION = "notification"


async def mark_read(backend: Backend, notification_id: str) -> None:
    try:
        await notifications_api(backend).mark_notification_read(notification_id)
    except NotFound:
        return  # deleted meanwhile: nothing is left unread


class MarkRead(Command):
    kind: Literal["mark_notification_read"] = "mark_notification_read"
    notification_id: str

    section: ClassVar[str] = NOTIFICATIONS

    @property
    def subject(self) -> str:
        return subject(NOTIFICATION, self.notification_id)

    async def execute(self, backend: Backend) -> None:
        await mark_read(backend, self.notification_id)


class MarkAllRead(Command):
    """Mark read what was unread when the person asked: not what arrived since (it may be sent hours later)."""

    kind: Literal["mark_all_notifications_read"] = "mark_all_notifications_read"
    notification_ids: list[str] = []
    """The unread ones when it was asked (what the screen shows read at once)."""

    section: ClassVar[str] = NOTIFICATIONS

    @property
    def subject(self) -> str:
        return subject(NOTIFICATIONS, "all")

    async def execute(self, backend: Backend) -> None:
        asked = set(self.notification_ids)
        unread = {n.id for n in await notifications_api(backend).notifications() if not n.read}
        if unread <= asked:
            await notifications_api(backend).mark_all_notifications_read()  # one request: nothing new would be swept up
            return
        for notification_id in sorted(unread & asked):
            await mark_read(backend, notification_id)

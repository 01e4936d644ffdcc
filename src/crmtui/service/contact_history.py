"""History commands of the contact detail screen: add or delete a note, call, meeting or deal.

Each adds or removes one item of a section of the contact's history; `ContactSession` shows the
predicted list at once, puts the old one back on failure, and undoes a creation by deleting what was
created (and a deletion by creating it again).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, ClassVar, Literal

from crmtui.backends.base import Backend
from crmtui.backends.errors import NotFound
from crmtui.domain.models import Call, Deal, DealStatus, Meeting, Note, StreamEntry
from crmtui.service.commands import Command, made_after, new_local_id
from crmtui.service.errors import CommandRefused
from crmtui.service.features import deals_api, history_api


class HistoryCommand(Command):
    """Adds or removes one item of a history section ("notes", "calls", "meetings", "deals")."""

    section: ClassVar[str] = ""
    changes_contact: ClassVar[bool] = False
    """Whether the contact's own fields change too (a deal changes its pending total)."""

    def predict(self, items: list[Any], now: dt.datetime) -> list[Any]:
        return items

    def settle(self, items: list[Any]) -> list[Any]:
        """The list once the server has answered (the local item replaced by the created one)."""
        return items


class _Create(HistoryCommand):
    created: Any = None
    local_id: str = ""
    made_at: dt.datetime | None = None
    """When the person made it (the local item shows this time until the server's arrives)."""

    idempotent: ClassVar[bool] = False

    def stamp(self, now: dt.datetime) -> None:
        if not self.local_id:
            self.local_id = new_local_id()
        if self.made_at is None:
            self.made_at = now

    def _local(self, local_id: str, now: dt.datetime) -> Any:
        raise NotImplementedError

    def predict(self, items: list[Any], now: dt.datetime) -> list[Any]:
        if any(getattr(i, "id", None) == self.local_id for i in items):
            return items
        return [self._local(self.local_id, self.made_at or now), *items]

    def settle(self, items: list[Any]) -> list[Any]:
        if self.created is None:
            return items
        if not any(getattr(i, "id", None) == self.local_id for i in items):
            return [self.created, *[i for i in items if getattr(i, "id", None) != self.created.id]]
        return [self.created if getattr(i, "id", None) == self.local_id else i for i in items]

    def _created(self) -> Any:
        if self.created is not None:
            return self.created
        if self.local_id:
            # Not sent yet (or its answer not seen here): the outbox sends the delete with the real id.
            return self._local(self.local_id, self.made_at or dt.datetime.now(dt.timezone.utc))
        raise CommandRefused("It was never saved, so there is nothing to undo")

    def made_ids(self) -> dict[str, str]:
        return {self.local_id: self.created.id} if self.created is not None and self.local_id else {}

    def result(self) -> dict[str, Any]:
        return {"created": self.created.id} if self.created is not None else {}

    def _matches(self, item: Any) -> bool:
        raise NotImplementedError

    async def _listing(self, backend: Backend) -> list[Any]:
        raise NotImplementedError

    async def reconcile(self, backend: Backend, since: dt.datetime | None, claimed: set[str]) -> bool:
        for item in await self._listing(backend):
            if item.id not in claimed and self._matches(item) and made_after(getattr(item, "created_at", None), since):
                self.created = item
                return True
        return False


class _Delete(HistoryCommand):
    item: Any

    def predict(self, items: list[Any], now: dt.datetime) -> list[Any]:
        return [i for i in items if i.id != self.item.id]

    async def _delete(self, backend: Backend) -> None:
        raise NotImplementedError

    async def execute(self, backend: Backend) -> None:
        try:
            await self._delete(backend)
        except NotFound:
            return  # already gone: what the delete was for


class AddNote(_Create):
    kind: Literal["add_note"] = "add_note"
    section: ClassVar[str] = "notes"
    text: str
    created: Note | None = None

    def check(self, entries: Sequence[StreamEntry]) -> None:
        if not self.text.strip():
            raise CommandRefused("The note needs some text")

    def _local(self, local_id: str, now: dt.datetime) -> Note:
        return Note(id=local_id, contact_id=self.contact_id, text=self.text, date=now.date(), created_at=now)

    async def execute(self, backend: Backend) -> None:
        self.created = await history_api(backend).create_note(self.contact_id, self.text)

    async def _listing(self, backend: Backend) -> list[Any]:
        return await history_api(backend).notes(self.contact_id)

    def _matches(self, item: Note) -> bool:
        return item.text == self.text

    def inverse(self) -> Command:
        return DeleteNote(contact_id=self.contact_id, item=self._created(), label="Delete note")


class DeleteNote(_Delete):
    kind: Literal["delete_note"] = "delete_note"
    section: ClassVar[str] = "notes"
    item: Note

    async def _delete(self, backend: Backend) -> None:
        await history_api(backend).delete_note(self.item.id)

    def inverse(self) -> Command:
        return AddNote(contact_id=self.contact_id, text=self.item.text, label="Note")


class LogCall(_Create):
    kind: Literal["log_call"] = "log_call"
    section: ClassVar[str] = "calls"
    text: str = ""
    call_result: str = ""
    phone_number: str = ""
    created: Call | None = None

    def _local(self, local_id: str, now: dt.datetime) -> Call:
        return Call(
            id=local_id, contact_id=self.contact_id, text=self.text, call_result=self.call_result,
            phone_number=self.phone_number, call_time=now, created_at=now,
        )

    async def execute(self, backend: Backend) -> None:
        self.created = await history_api(backend).create_call(
            self.contact_id, self.text, self.call_result, phone_number=self.phone_number
        )

    async def _listing(self, backend: Backend) -> list[Any]:
        return await history_api(backend).calls(self.contact_id)

    def _matches(self, item: Call) -> bool:
        return item.text == self.text and item.call_result == self.call_result

    def inverse(self) -> Command:
        return DeleteCall(contact_id=self.contact_id, item=self._created(), label="Delete call")


class DeleteCall(_Delete):
    kind: Literal["delete_call"] = "delete_call"
    section: ClassVar[str] = "calls"
    item: Call

    async def _delete(self, backend: Backend) -> None:
        await history_api(backend).delete_call(self.item.id)

    def inverse(self) -> Command:
        c = self.item
        return LogCall(contact_id=self.contact_id, text=c.text, call_result=c.call_result, phone_number=c.phone_number, label="Call")


class AddMeeting(_Create):
    kind: Literal["add_meeting"] = "add_meeting"
    section: ClassVar[str] = "meetings"
    text: str = ""
    when: dt.datetime
    place: str = ""
    created: Meeting | None = None

    def check(self, entries: Sequence[StreamEntry]) -> None:
        if len(self.place) > 100:
            raise CommandRefused("The place is limited to 100 characters")

    def _local(self, local_id: str, now: dt.datetime) -> Meeting:
        return Meeting(id=local_id, contact_id=self.contact_id, text=self.text, place=self.place, meeting_time=self.when, created_at=now)

    async def execute(self, backend: Backend) -> None:
        self.created = await history_api(backend).create_meeting(self.contact_id, self.text, self.when, self.place)

    async def _listing(self, backend: Backend) -> list[Any]:
        return await history_api(backend).meetings(self.contact_id)

    def _matches(self, item: Meeting) -> bool:
        return item.text == self.text and item.place == self.place

    def inverse(self) -> Command:
        return DeleteMeeting(contact_id=self.contact_id, item=self._created(), label="Delete meeting")


class DeleteMeeting(_Delete):
    kind: Literal["delete_meeting"] = "delete_meeting"
    section: ClassVar[str] = "meetings"
    item: Meeting

    async def _delete(self, backend: Backend) -> None:
        await history_api(backend).delete_meeting(self.item.id)

    def inverse(self) -> Command:
        m = self.item
        when = m.meeting_time or dt.datetime.now(dt.timezone.utc)
        return AddMeeting(contact_id=self.contact_id, text=m.text, when=when, place=m.place, label="Meeting")


class AddDeal(_Create):
    kind: Literal["add_deal"] = "add_deal"
    section: ClassVar[str] = "deals"
    changes_contact: ClassVar[bool] = True
    name: str
    amount: float = 0.0
    months: int = 1
    pipeline_id: str = ""
    stage: int | None = None
    expected_close_date: dt.date | None = None
    status: DealStatus = DealStatus.PENDING
    """Won or lost when a deleted closed deal is made again (undo)."""
    close_date: dt.date | None = None
    text: str = ""
    created: Deal | None = None

    def check(self, entries: Sequence[StreamEntry]) -> None:
        if not self.name.strip():
            raise CommandRefused("The deal needs a name")
        if len(self.name) > 60:
            raise CommandRefused("Deal names are limited to 60 characters")
        if self.amount < 0 or self.months < 1:
            raise CommandRefused("The amount cannot be negative and a deal lasts at least one month")

    def _local(self, local_id: str, now: dt.datetime) -> Deal:
        return Deal(
            id=local_id, contact_id=self.contact_id, pipeline_id=self.pipeline_id, name=self.name, stage=self.stage,
            status=self.status, amount=self.amount, months=self.months, total_amount=self.amount * self.months,
            expected_close_date=self.expected_close_date, close_date=self.close_date, text=self.text,
        )

    async def execute(self, backend: Backend) -> None:
        fields: dict[str, Any] = {"amount": self.amount, "months": self.months, "status": self.status.value}
        if self.status is not DealStatus.PENDING and self.close_date is not None:
            fields["close_date"] = self.close_date
        if self.text:
            fields["text"] = self.text
        if self.pipeline_id:
            fields["pipeline_id"] = self.pipeline_id
        if self.stage is not None:
            fields["stage"] = self.stage
        if self.expected_close_date is not None:
            fields["expected_close_date"] = self.expected_close_date
        self.created = await deals_api(backend).create_deal(self.contact_id, self.name, **fields)

    async def _listing(self, backend: Backend) -> list[Any]:
        return await deals_api(backend).deals(contact_id=self.contact_id)

    def _matches(self, item: Deal) -> bool:
        return item.name == self.name and abs(item.amount - self.amount) < 0.005

    def inverse(self) -> Command:
        return DeleteDeal(contact_id=self.contact_id, item=self._created(), label=f"Delete deal: {self.name}")


class DeleteDeal(_Delete):
    kind: Literal["delete_deal"] = "delete_deal"
    section: ClassVar[str] = "deals"
    changes_contact: ClassVar[bool] = True
    item: Deal

    async def _delete(self, backend: Backend) -> None:
        await deals_api(backend).delete_deal(self.item.id)

    def inverse(self) -> Command:
        d = self.item
        return AddDeal(
            contact_id=self.contact_id, name=d.name, amount=d.amount, months=d.months, pipeline_id=d.pipeline_id,
            stage=d.stage, expected_close_date=d.expected_close_date, label=f"Deal: {d.name}",
            status=d.status if d.status in (DealStatus.WON, DealStatus.LOST) else DealStatus.PENDING,
            close_date=d.close_date, text=d.text,
        )

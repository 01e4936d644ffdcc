"""Edits of the contact's history: change the text of a note, the result or notes of a call, the
time, place or text of a meeting.

Each sends only what the person changed (the client keeps the rest), is shown at once in its section
(`predict`), is checked against a colleague's change made meanwhile (the item's `modified_at`, then
the fields changed) and is undone by its inverse: the same fields set back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Literal

from pydantic import field_serializer

from crmtui.backends.base import Backend
from crmtui.backends.errors import NotFound
from crmtui.domain.models import Call, Meeting, Note, StreamEntry
from crmtui.service.commands import Command, FieldChanges, changed_since, clashes, is_local_id
from crmtui.service.contact_history import HistoryCommand
from crmtui.service.errors import CommandRefused
from crmtui.service.features import history_api


class NoteChanges(FieldChanges):
    text: str | None = None


class CallChanges(FieldChanges):
    text: str | None = None
    call_result: str | None = None
    phone_number: str | None = None


class MeetingChanges(FieldChanges):
    text: str | None = None
    place: str | None = None
    meeting_time: dt.datetime | None = None


class _Update(HistoryCommand):
    """Set some fields of one item of a section; `previous` holds what they were when read."""

    item_id: str
    changes: Any
    previous: Any
    read_at: dt.datetime | None = None
    """The item's modified_at when the person read it."""
    updated: Any = None
    """The item as the server answered."""

    @field_serializer("changes", "previous", check_fields=False)
    def _only_set_fields(self, value: FieldChanges, info: Any) -> dict[str, Any]:
        # Keep "unset" apart from "set to None" across an outbox round trip.
        return value.model_dump(mode=info.mode, exclude_unset=True)

    def check(self, entries: Sequence[StreamEntry]) -> None:
        if not self.changes.model_fields_set:
            raise CommandRefused("Nothing was changed")

    def predict(self, items: list[Any], now: dt.datetime) -> list[Any]:
        return [i.model_copy(update=self.changes.as_kwargs()) if i.id == self.item_id else i for i in items]

    def settle(self, items: list[Any]) -> list[Any]:
        if self.updated is None:
            return items
        return [self.updated if i.id == self.item_id else i for i in items]

    async def _get(self, backend: Backend) -> Any:
        raise NotImplementedError

    async def conflict(self, backend: Backend) -> str | None:
        if is_local_id(self.item_id):
            return None
        try:
            server = await self._get(backend)
        except NotFound:
            return None  # gone: sending says so
        if not changed_since(server.modified_at, self.read_at):
            return None
        fields = {
            name: (getattr(self.previous, name, None), getattr(self.changes, name), getattr(server, name))
            for name in self.changes.model_fields_set
        }
        return clashes(fields)

    def inverse(self) -> Command:
        return self.model_copy(update={
            "changes": self.previous, "previous": self.changes, "read_at": None, "updated": None,
            "label": f"Undo: {self.describe()}",
        })


class UpdateNote(_Update):
    kind: Literal["update_note"] = "update_note"
    section: ClassVar[str] = "notes"
    changes: NoteChanges
    previous: NoteChanges
    updated: Note | None = None

    def check(self, entries: Sequence[StreamEntry]) -> None:
        super().check(entries)
        if "text" in self.changes.model_fields_set and not (self.changes.text or "").strip():
            raise CommandRefused("The note needs some text")

    async def _get(self, backend: Backend) -> Note:
        return await history_api(backend).get_note(self.item_id)

    async def execute(self, backend: Backend) -> None:
        self.updated = await history_api(backend).update_note(self.item_id, text=self.changes.text or "")


class UpdateCall(_Update):
    kind: Literal["update_call"] = "update_call"
    section: ClassVar[str] = "calls"
    changes: CallChanges
    previous: CallChanges
    updated: Call | None = None

    async def _get(self, backend: Backend) -> Call:
        return await history_api(backend).get_call(self.item_id)

    async def execute(self, backend: Backend) -> None:
        self.updated = await history_api(backend).update_call(self.item_id, **self.changes.as_kwargs())


class UpdateMeeting(_Update):
    kind: Literal["update_meeting"] = "update_meeting"
    section: ClassVar[str] = "meetings"
    changes: MeetingChanges
    previous: MeetingChanges
    updated: Meeting | None = None

    def check(self, entries: Sequence[StreamEntry]) -> None:
        super().check(entries)
        if len(self.changes.place or "") > 100:
            raise CommandRefused("The place is limited to 100 characters")
        if "meeting_time" in self.changes.model_fields_set and self.changes.meeting_time is None:
            raise CommandRefused("The meeting needs a date and time")

    async def _get(self, backend: Backend) -> Meeting:
        return await history_api(backend).get_meeting(self.item_id)

    async def execute(self, backend: Backend) -> None:
        self.updated = await history_api(backend).update_meeting(self.item_id, **self.changes.as_kwargs())


UPDATES: dict[type, tuple[Callable[..., Command], type[FieldChanges]]] = {
    Note: (UpdateNote, NoteChanges),
    Call: (UpdateCall, CallChanges),
    Meeting: (UpdateMeeting, MeetingChanges),
}
"""For each kind of history item: the command that edits it and the changes it takes."""

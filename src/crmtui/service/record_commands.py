"""Changes to records (Crust): a new record, an edit, a delete, each through the outbox.

An edit on Crust replaces the whole record (a field left out is lost), so an edit carries the record
as the person read it (`read`: every value and its `updatedAt`) and the fields they changed
(`changes`). Before it is sent the outbox asks `conflict`: the server's copy now, and when its
`updatedAt` moved since `read`, a clash only on a field both sides changed, differently (the
pending-changes screen offers "mine" or "theirs"). Sending reads the server's copy again and sends
it whole with the changed fields on top (`merge_record`), so sending it twice (a lost answer) ends
as once and a field someone else changed meanwhile is kept.

Making a record is not idempotent (a second POST makes a second one): after a lost answer
`reconcile` looks among the module's newest records for one made since the first attempt with the
same values. Deleting is soft on the server, with no way back through the API: undo makes the
record again (under a new id; said so).

Values are stored as the domain's RecordValue (JSON in the outbox file).
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal

from crmtui.backends.base import Backend
from crmtui.backends.errors import NotFound
from crmtui.domain.records import Record, RecordValue, merge_record
from crmtui.domain.subjects import subject
from crmtui.service.commands import Command, MakesOne, made_after
from crmtui.service.errors import CommandRefused
from crmtui.service.features import records_api

RECORDS = "records"
"""The section of record changes (the records screen follows them)."""
RECORD = "record"
"""The subject kind of a record: `record:<id>` (Crust's ids are unique across modules)."""
RECONCILE_WINDOW = 20
"""The newest records of the module looked through after a create whose answer was lost."""
RECONCILE_ORDER = "createdAt DESC,id DESC"


class RecordCommand(Command):
    contact_id: str = ""
    module_id: str
    record_id: str

    section: ClassVar[str] = RECORDS

    @property
    def subject(self) -> str:
        return subject(RECORD, self.record_id)

    def predict(self, record: Record | None) -> Record | None:
        """The record as this change leaves it (None: gone, or not known here)."""
        return record


def _with(values: dict[str, RecordValue], changes: dict[str, RecordValue]) -> dict[str, RecordValue]:
    merged = {name: value.model_copy(deep=True) for name, value in values.items()}
    merged.update({name: value.model_copy(deep=True) for name, value in changes.items()})
    return merged


class UpdateRecord(RecordCommand):
    """Change some fields of a record (sent as the whole record, the server's copy with these on top)."""

    kind: Literal["crust_update_record"] = "crust_update_record"
    read: Record
    """The record as the person read it (every value, and its updatedAt: the guard)."""
    changes: dict[str, RecordValue]
    updated: Record | None = None
    """The record as the server answered the edit."""

    answered: ClassVar[bool] = True

    def predict(self, record: Record | None) -> Record | None:
        if record is None:
            return None
        if self.updated is not None:  # the server's answer: the whole record as sent (others' changes in it)
            values = _with({**record.values, **self.updated.values}, self.changes)
            return record.model_copy(update={"values": values, "updated_at": self.updated.updated_at})
        return record.model_copy(update={"values": _with(record.values, self.changes)})

    async def conflict(self, backend: Backend) -> str | None:
        try:
            fresh = await records_api(backend).record(self.module_id, self.record_id)
        except NotFound:
            return "the record was deleted on the server"
        if self.read.updated_at is not None and fresh.updated_at == self.read.updated_at:
            return None  # nobody wrote it since it was read
        merged = merge_record(self.read.values, self.changes, fresh.values)
        return merged.describe() or None

    async def execute(self, backend: Backend) -> None:
        api = records_api(backend)
        server = await api.record(self.module_id, self.record_id)
        # The conflict check (or the person's "mine") has settled every clash: mine on top, field by field.
        merged = merge_record(server.values, self.changes, server.values)
        self.updated = await api.replace_record(self.module_id, self.record_id, merged.values)

    def inverse(self) -> Command:
        before = {name: self.read.values.get(name, RecordValue()) for name in self.changes}
        after = self.read.model_copy(update={"values": _with(self.read.values, self.changes), "updated_at": None})
        return UpdateRecord(
            module_id=self.module_id, record_id=self.record_id, read=after, changes=before, label=f"Undo: {self.describe()}"
        )


class DeleteRecord(RecordCommand):
    """Delete a record (soft on the server, but no API brings it back: undo makes it again)."""

    kind: Literal["crust_delete_record"] = "crust_delete_record"
    snapshot: Record
    """The record as it was (what undo makes again)."""
    title: str = ""

    removes: ClassVar[bool] = True

    def predict(self, record: Record | None) -> Record | None:
        return None

    async def execute(self, backend: Backend) -> None:
        await records_api(backend).delete_record(self.module_id, self.record_id)  # answered OK even when gone

    def inverse(self) -> Command:
        from crmtui.service.commands import new_local_id

        return CreateRecord(
            module_id=self.module_id, record_id=new_local_id(), values=dict(self.snapshot.values),
            label=f"Undo delete (made again): {self.title or self.record_id}",
        )


class CreateRecord(MakesOne, RecordCommand):
    """A record made on this machine: shown at once under a local id (`record_id`), which gives way
    to the server's once made; changes made to it meanwhile carry the local id until then."""

    kind: Literal["crust_create_record"] = "crust_create_record"
    made_field: ClassVar[str] = "record_id"
    values: dict[str, RecordValue]
    owner_id: str = ""
    made_at: dt.datetime | None = None
    created: Record | None = None
    """The record as the server made it (its answer, or the one `reconcile` found)."""

    def stamp(self, now: dt.datetime) -> None:
        if self.made_at is None:
            self.made_at = now

    def predict(self, record: Record | None) -> Record | None:
        if self.created is not None:
            return self.created
        return Record(
            id=self.record_id, module_id=self.module_id, owner_id=self.owner_id,
            values={n: v.model_copy(deep=True) for n, v in self.values.items()},
            created_at=self.made_at, updated_at=self.made_at,
        )

    async def execute(self, backend: Backend) -> None:
        self.created = await records_api(backend).create_record(self.module_id, dict(self.values))

    def _same(self, record: Record) -> bool:
        for name, value in self.values.items():
            theirs = record.values.get(name, RecordValue())
            if theirs.value != value.value:
                return False
            if value.related and theirs.related and sorted(theirs.related) != sorted(value.related):
                return False
        return True

    async def reconcile(self, backend: Backend, since: dt.datetime | None, claimed: set[str]) -> bool:
        """An attempt whose answer was lost: a record of the module made since then with these values is it."""
        # Newest first, and among records stamped in the same second (a backlog sent at once) the
        # newest id first: Sonyflake ids grow with time, and the server's order among equal times is
        # not the order they were made in. No space after the comma: the server skips such a chunk.
        page = await records_api(backend).records(self.module_id, sort=RECONCILE_ORDER, per_page=RECONCILE_WINDOW)
        for record in page.items:
            if record.id in claimed or not made_after(record.created_at, since):
                continue
            if self._same(record):
                self.created = record
                return True
        return False

    def inverse(self) -> Command:
        raise CommandRefused("A new record is taken back by deleting it (Delete on the list)")

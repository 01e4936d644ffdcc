"""Triage commands: optimistic local prediction, server execution, and an inverse for undo.

Every command is a pydantic model with a `kind`, so the outbox stores `model_dump(mode="json")`
and rebuilds it with `command_registry.command_from_dict` (the one place that knows every kind;
no module defining commands imports it). `apply_locally` never mutates its input: it returns the
predicted new state of the one affected stream entry (None when the contact is not loaded).

For the outbox a command also says whether sending it twice is harmless (`idempotent`); if not,
`reconcile` asks the server whether an attempt whose answer was lost already made the change.
`conflict` tells whether the record changed on the server since the user read it. The outbox
keys a command by its `subject` (`contact:<id>`): what it is about.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
import uuid
from typing import Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, field_serializer

from crmtui.backends.base import Backend
from crmtui.backends.errors import NotFound
from crmtui.domain.models import Action, ActionStatus, StreamEntry
from crmtui.domain.subjects import contact_subject
from crmtui.domain.stream import SWAPPABLE_NEXT, conflicting_actions
from crmtui.service.errors import CommandRefused
from crmtui.service.features import contacts_api, stream_api

NO_SWAP_CONFLICT = "No conflict: the queued action is not dated before the next action"
ALREADY_HAS_NEXT = "Contact already has a next action"
_DATED_STATUSES = (ActionStatus.DATE, ActionStatus.DATE_TIME, ActionStatus.QUEUED_WITH_DATE)


def find_entry(entries: Sequence[StreamEntry], contact_id: str) -> StreamEntry | None:
    for entry in entries:
        if entry.contact.id == contact_id:
            return entry
    return None


def find_action(entry: StreamEntry, action_id: str) -> Action | None:
    for action in [entry.next_action, *entry.queued_actions, *entry.conflicts]:
        if action is not None and action.id == action_id:
            return action
    return None


async def server_action(backend: Backend, action_id: str) -> Action | None:
    """The action as the server has it now (None when it is gone)."""
    try:
        return await stream_api(backend).get_action(action_id)
    except NotFound:
        return None


def same_value(a: object, b: object) -> bool:
    """Equal as a person would read them: None and "" alike, enums by value, instants by time."""
    a = getattr(a, "value", a)
    b = getattr(b, "value", b)
    if a in (None, "") and b in (None, ""):
        return True
    return a == b


def shown(value: object) -> str:
    value = getattr(value, "value", value)
    if value in (None, ""):
        return "(none)"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return f"“{value}”" if isinstance(value, str) else str(value)


def clashes(fields: dict[str, tuple[object, object, object]]) -> str | None:
    """`fields`: name -> (read, mine, server's now). A clash is a field someone else changed differently."""
    found = [
        f"{name.replace('_', ' ')} is {shown(theirs)} on the server (you read {shown(read)}, you set {shown(mine)})"
        for name, (read, mine, theirs) in fields.items()
        if not same_value(theirs, read) and not same_value(theirs, mine)
    ]
    return "; ".join(found) or None


def changed_since(server_modified: dt.datetime | None, read_modified: dt.datetime | None) -> bool:
    """Whether modified_at says the record changed since it was read (unknown: assume it may have)."""
    if server_modified is None or read_modified is None:
        return True
    return server_modified > read_modified


def _without(entry: StreamEntry, action_id: str) -> StreamEntry:
    if entry.next_action is not None and entry.next_action.id == action_id:
        entry.next_action = None
    entry.queued_actions = [a for a in entry.queued_actions if a.id != action_id]
    return entry


def _settle(entry: StreamEntry) -> StreamEntry:
    entry.conflicts = conflicting_actions(entry.next_action, entry.queued_actions)
    return entry


LOCAL_PREFIX = "local-"
"""Ids made on this machine for records the server has not created yet."""


def new_local_id() -> str:
    return f"{LOCAL_PREFIX}{uuid.uuid4().hex[:16]}"


def is_local_id(value: object) -> bool:
    return isinstance(value, str) and value.startswith(LOCAL_PREFIX)


def made_after(moment: dt.datetime | None, since: dt.datetime | None) -> bool:
    """Whether a record the server stamped `moment` can be the one an attempt after `since` made."""
    if since is None:
        return True
    if moment is None:
        return False
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
    return aware >= since


class Command(BaseModel):
    # defer_build: a command class's validator is built when the first such command is made or
    # read back, not at import (about 100 ms of a start for the ~60 command classes, issue 13).
    model_config = ConfigDict(extra="forbid", defer_build=True)

    kind: str
    """Names the class in the outbox file; each concrete command fixes it with a `Literal`."""
    contact_id: str
    """The contact the change is about ('' for changes about no contact: notifications)."""
    label: str = ""

    idempotent: ClassVar[bool] = True
    """Sending it again after an attempt with an unknown outcome leaves the server as sending it once.

    The outbox is the one layer that repeats a change: it asks `reconcile` first when this is False.
    """
    answered: ClassVar[bool] = False
    """Whether the server's answer to this command tells all it changed, so that, once confirmed,
    the prediction (with what the answer brought: real ids, server fields) is shown as the server's
    copy without reading the contact again."""
    removes: ClassVar[bool] = False
    """Whether the command deletes the record it is about: every view stops showing it at once."""
    creates: ClassVar[bool] = False
    """Whether the command makes the record it is about (a new contact): its prediction needs no
    record to start from, and the record's local id gives way to the server's once it is confirmed."""
    section: ClassVar[str] = "stream"
    """What the command changes: the contact's stream entry, a history section, a deal, notifications."""

    @property
    def subject(self) -> str:
        """What the change is about, as the outbox keys it: `contact:<id>` (see `crmtui.domain.subjects`)."""
        return contact_subject(self.contact_id) if self.contact_id else ""

    # -- the outbox's questions ------------------------------------------------------------------
    async def reconcile(self, backend: Backend, since: dt.datetime | None, claimed: set[str]) -> bool:
        """After an attempt whose answer was lost: True when the server already has the change.

        Only asked of commands that are not idempotent. `since` is the server's clock before the
        first attempt; `claimed` are ids of records earlier changes of this kind already matched.
        """
        return False

    async def conflict(self, backend: Backend) -> str | None:
        """What changed on the server since the user read the record, when that clashes with this change."""
        return None

    def made_ids(self) -> dict[str, str]:
        """Local ids this command stood for, and the server's ids it got once sent."""
        return {}

    def makes(self) -> set[str]:
        """Local ids this command names because it makes their record (not waiting for another's)."""
        return set()

    def result(self) -> dict[str, Any]:
        """What to remember of a sent command (the id of what it created)."""
        return {}

    def also_shows_on(self) -> frozenset[str]:
        """Other contacts this change shows on at once, beside its own (a company's new name on every
        contact of the company): each view overlays it on their rows too (`Overlay`'s `also`)."""
        return frozenset()

    def stamp(self, now: dt.datetime) -> None:
        """Take what a new command must carry from the moment it is made (a local id, the time)."""

    def describe(self) -> str:
        return self.label or self.kind.replace("_", " ")

    def check(self, entries: Sequence[StreamEntry]) -> None:
        """Raise CommandRefused with a user-facing reason when the command cannot succeed."""

    def apply_locally(self, entries: Sequence[StreamEntry]) -> StreamEntry | None:
        entry = find_entry(entries, self.contact_id)
        if entry is None:
            return None
        return _settle(self._predict(entry.model_copy(deep=True)))

    def _predict(self, entry: StreamEntry) -> StreamEntry:
        return entry

    async def execute(self, backend: Backend) -> None:
        raise NotImplementedError

    def inverse(self) -> Command:
        raise NotImplementedError



class MakesOne:
    """Mixed (before the command's base) into a command that makes one record under a local id, held
    in its field named `made_field`; `created` is the record the server made (with its `id`)."""

    made_field: ClassVar[str]

    idempotent: ClassVar[bool] = False
    """A second attempt would make a second record (`reconcile` looks for the first after a lost answer)."""
    answered: ClassVar[bool] = True
    creates: ClassVar[bool] = True

    def _made(self) -> tuple[str, str | None]:
        """(The local id, the server's id once the record is made.)"""
        created = getattr(self, "created", None)
        return getattr(self, self.made_field), created.id if created is not None else None

    def made_ids(self) -> dict[str, str]:
        local, made = self._made()
        return {local: made} if made is not None else {}

    def makes(self) -> set[str]:
        return {self._made()[0]}

    def result(self) -> dict[str, Any]:
        made = self._made()[1]
        return {"created": made} if made is not None else {}

class MarkDone(Command):
    kind: Literal["mark_done"] = "mark_done"
    action: Action

    idempotent: ClassVar[bool] = False
    answered: ClassVar[bool] = True

    def _predict(self, entry: StreamEntry) -> StreamEntry:
        return _without(entry, self.action.id)

    async def execute(self, backend: Backend) -> None:
        await stream_api(backend).mark_done(self.action.id)

    async def reconcile(self, backend: Backend, since: dt.datetime | None, claimed: set[str]) -> bool:
        found = await server_action(backend, self.action.id)
        return found is not None and found.done

    def inverse(self) -> Command:
        return UndoDone(contact_id=self.contact_id, action=self.action, label=f"Undo done: {self.action.text}")


class UndoDone(Command):
    kind: Literal["undo_done"] = "undo_done"
    action: Action

    def _predict(self, entry: StreamEntry) -> StreamEntry:
        restored = self.action.model_copy(update={"done": False, "done_at": None})
        entry = _without(entry, restored.id)
        if entry.next_action is None and not restored.is_queued:
            entry.next_action = restored
        else:
            entry.queued_actions = [restored, *entry.queued_actions]
        return entry

    idempotent: ClassVar[bool] = False

    async def execute(self, backend: Backend) -> None:
        await stream_api(backend).undo_done(self.action.id)

    async def reconcile(self, backend: Backend, since: dt.datetime | None, claimed: set[str]) -> bool:
        found = await server_action(backend, self.action.id)
        return found is not None and not found.done

    def inverse(self) -> Command:
        return MarkDone(contact_id=self.contact_id, action=self.action, label=f"Done: {self.action.text}")


class AddAction(Command):
    kind: Literal["add_action"] = "add_action"
    text: str
    status: ActionStatus
    date: dt.date | None = None
    exact_time: dt.datetime | None = None
    assignee_id: str | None = None
    stream_user_id: str | None = None
    local_id: str = ""
    created: Action | None = None

    idempotent: ClassVar[bool] = False
    answered: ClassVar[bool] = True

    def stamp(self, now: dt.datetime) -> None:
        if not self.local_id:
            self.local_id = new_local_id()

    def check(self, entries: Sequence[StreamEntry]) -> None:
        if not self.text.strip():
            raise CommandRefused("The action needs some text")
        if len(self.text) > 140:
            raise CommandRefused("Action text is limited to 140 characters")
        if self.status in _DATED_STATUSES and self.date is None:
            raise CommandRefused("Pick a date for a dated action")
        if self.status is ActionStatus.DATE_TIME and self.exact_time is None:
            raise CommandRefused("Pick a time for a timed action")
        if self.status in (ActionStatus.DONE, ActionStatus.UNKNOWN):
            raise CommandRefused(f"Cannot create an action with status {self.status.value!r}")

    def _predict(self, entry: StreamEntry) -> StreamEntry:
        assignee = self.assignee_id or self.stream_user_id or ""
        if self.stream_user_id and assignee != self.stream_user_id:
            return entry  # someone else's action does not show in this user's stream
        action = self.created or Action(  # the server's answer once confirmed: its id and fields
            id=self.local_id,
            contact_id=self.contact_id,
            assignee_id=assignee,
            text=self.text,
            status=self.status,
            raw_status=self.status.value,
            date=self.date,
            exact_time=self.exact_time,
        )
        if entry.next_action is None and action.status not in (ActionStatus.QUEUED, ActionStatus.QUEUED_WITH_DATE):
            entry.next_action = action
        elif action.status in (ActionStatus.QUEUED, ActionStatus.QUEUED_WITH_DATE):
            entry.queued_actions = [*entry.queued_actions, action]
        else:
            queued_status = ActionStatus.QUEUED_WITH_DATE if action.date else ActionStatus.QUEUED
            entry.queued_actions = [*entry.queued_actions, action.model_copy(update={"status": queued_status})]
        return entry

    async def execute(self, backend: Backend) -> None:
        self.created = await stream_api(backend).create_action(
            self.contact_id,
            self.text,
            self.status,
            date=self.date,
            exact_time=self.exact_time,
            assignee_id=self.assignee_id,
        )

    async def reconcile(self, backend: Backend, since: dt.datetime | None, claimed: set[str]) -> bool:
        for action in await stream_api(backend).contact_actions(self.contact_id):
            if action.id in claimed or action.text != self.text or not made_after(action.created_at, since):
                continue
            if self.assignee_id and action.assignee_id != self.assignee_id:
                continue
            self.created = action
            return True
        return False

    def made_ids(self) -> dict[str, str]:
        return {self.local_id: self.created.id} if self.created is not None and self.local_id else {}

    def result(self) -> dict[str, Any]:
        return {"created": self.created.id} if self.created is not None else {}

    def inverse(self) -> Command:
        action = self.created
        if action is None:
            if not self.local_id:
                raise CommandRefused("The action was never created, so there is nothing to undo")
            # Not sent yet (or its answer not seen here): the outbox sends the delete with the real id.
            action = Action(id=self.local_id, contact_id=self.contact_id, text=self.text, status=self.status)
        return DeleteAction(contact_id=self.contact_id, action=action, label=f"Delete: {self.text}")


class DeleteAction(Command):
    kind: Literal["delete_action"] = "delete_action"
    action: Action

    answered: ClassVar[bool] = True

    def _predict(self, entry: StreamEntry) -> StreamEntry:
        return _without(entry, self.action.id)

    async def execute(self, backend: Backend) -> None:
        try:
            await stream_api(backend).delete_action(self.action.id)
        except NotFound:
            return  # already gone: what the delete was for

    def inverse(self) -> Command:
        a = self.action
        return AddAction(
            contact_id=self.contact_id,
            text=a.text,
            status=a.status,
            date=a.date,
            exact_time=a.exact_time,
            assignee_id=a.assignee_id or None,
            local_id=new_local_id(),
            label=f"Re-add: {a.text}",
        )


class FieldChanges(BaseModel):
    """Fields of a record to change; only the fields explicitly set are sent (None clears one)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    def as_kwargs(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}

    @classmethod
    def snapshot(cls, record: BaseModel, fields: set[str]) -> Self:
        """The record's current values of `fields` (what an undo goes back to)."""
        return cls(**{name: getattr(record, name) for name in fields})


class ActionChanges(FieldChanges):
    """Fields of an action to change."""

    text: str | None = None
    status: ActionStatus | None = None
    date: dt.date | None = None
    exact_time: dt.datetime | None = None
    assignee_id: str | None = None


class EditAction(Command):
    kind: Literal["edit_action"] = "edit_action"
    action_id: str
    changes: ActionChanges
    previous: ActionChanges
    stream_user_id: str | None = None
    read_at: dt.datetime | None = None
    """The action's modified_at when the user read it."""

    @field_serializer("changes", "previous")
    def _only_set_fields(self, value: ActionChanges, info: Any) -> dict[str, Any]:
        # Keep "unset" distinct from "set to None" across an outbox round trip.
        return value.model_dump(mode=info.mode, exclude_unset=True)

    def check(self, entries: Sequence[StreamEntry]) -> None:
        if not self.changes.model_fields_set:
            raise CommandRefused("Nothing to change")
        if "text" in self.changes.model_fields_set and not (self.changes.text or "").strip():
            raise CommandRefused("The action needs some text")
        if "assignee_id" in self.changes.model_fields_set and not self.changes.assignee_id:
            raise CommandRefused("Pick someone to assign the action to")

    def _predict(self, entry: StreamEntry) -> StreamEntry:
        current = find_action(entry, self.action_id)
        if current is None:
            return entry
        updated = current.model_copy(update=self.changes.as_kwargs())
        if self.stream_user_id and updated.assignee_id and updated.assignee_id != self.stream_user_id:
            return _without(entry, self.action_id)
        if entry.next_action is not None and entry.next_action.id == self.action_id:
            entry.next_action = updated
        else:
            entry.queued_actions = [updated if a.id == self.action_id else a for a in entry.queued_actions]
        return entry

    async def execute(self, backend: Backend) -> None:
        await stream_api(backend).update_action(self.action_id, **self.changes.as_kwargs())

    async def conflict(self, backend: Backend) -> str | None:
        if is_local_id(self.action_id):
            return None
        server = await server_action(backend, self.action_id)
        if server is None or not changed_since(server.modified_at, self.read_at):
            return None  # gone: sending says so; unchanged: nothing to clash with
        fields = {
            name: (getattr(self.previous, name, None), getattr(self.changes, name), getattr(server, name))
            for name in self.changes.model_fields_set
        }
        return clashes(fields)

    def inverse(self) -> Command:
        return EditAction(
            contact_id=self.contact_id,
            action_id=self.action_id,
            changes=self.previous,
            previous=self.changes,
            stream_user_id=self.stream_user_id,
            label=f"Undo: {self.describe()}",
        )


class Promote(Command):
    kind: Literal["promote"] = "promote"
    action: Action

    def check(self, entries: Sequence[StreamEntry]) -> None:
        entry = find_entry(entries, self.contact_id)
        if entry is None:
            return  # not loaded: the server decides
        if entry.next_action is not None and not entry.next_action.done:
            raise CommandRefused(ALREADY_HAS_NEXT)
        if not any(a.id == self.action.id for a in entry.queued_actions):
            raise CommandRefused("Only a queued action can be promoted")

    def _predict(self, entry: StreamEntry) -> StreamEntry:
        entry = _without(entry, self.action.id)
        # A queued action keeps its date when promoted; an undated one becomes ASAP.
        status = ActionStatus.DATE if self.action.date is not None else ActionStatus.ASAP
        entry.next_action = self.action.model_copy(update={"status": status, "position": None})
        return entry

    idempotent: ClassVar[bool] = False

    async def execute(self, backend: Backend) -> None:
        await stream_api(backend).promote(self.action.id)

    async def reconcile(self, backend: Backend, since: dt.datetime | None, claimed: set[str]) -> bool:
        found = await server_action(backend, self.action.id)
        return found is not None and not found.is_queued

    def inverse(self) -> Command:
        return RevertPromotion(contact_id=self.contact_id, action=self.action, label=f"Unpromote: {self.action.text}")


class RevertPromotion(Command):
    kind: Literal["revert_promotion"] = "revert_promotion"
    action: Action

    def _predict(self, entry: StreamEntry) -> StreamEntry:
        entry = _without(entry, self.action.id)
        entry.queued_actions = [self.action, *entry.queued_actions]
        return entry

    idempotent: ClassVar[bool] = False

    async def execute(self, backend: Backend) -> None:
        await stream_api(backend).revert_promotion(self.action.id)

    async def reconcile(self, backend: Backend, since: dt.datetime | None, claimed: set[str]) -> bool:
        found = await server_action(backend, self.action.id)
        return found is not None and found.is_queued

    def inverse(self) -> Command:
        return Promote(contact_id=self.contact_id, action=self.action, label=f"Promote: {self.action.text}")


class Swap(Command):
    """Bring a queued dated action forward in place of a later-dated next action."""

    kind: Literal["swap"] = "swap"
    action: Action  # the queued action coming forward
    next_action: Action | None = None  # the next action it replaces (filled by `check`)

    def check(self, entries: Sequence[StreamEntry]) -> None:
        entry = find_entry(entries, self.contact_id)
        if entry is None:
            return
        if entry.next_action is None or entry.next_action.done:
            raise CommandRefused("Contact has no next action to swap with; promote the queued action instead")
        queued = next((a for a in entry.queued_actions if a.id == self.action.id), None)
        if queued is None or entry.next_action.status not in SWAPPABLE_NEXT:
            raise CommandRefused(NO_SWAP_CONFLICT)
        if queued not in conflicting_actions(entry.next_action, entry.queued_actions):
            raise CommandRefused(NO_SWAP_CONFLICT)
        self.next_action = entry.next_action.model_copy()

    def _predict(self, entry: StreamEntry) -> StreamEntry:
        old_next = entry.next_action
        entry = _without(entry, self.action.id)
        entry.next_action = self.action.model_copy(update={"status": ActionStatus.DATE, "position": None})
        if old_next is not None:
            demoted = old_next.model_copy(update={"status": ActionStatus.QUEUED_WITH_DATE})
            entry.queued_actions = [demoted, *entry.queued_actions]
        return entry

    idempotent: ClassVar[bool] = False

    async def execute(self, backend: Backend) -> None:
        await stream_api(backend).swap(self.action.id)

    async def reconcile(self, backend: Backend, since: dt.datetime | None, claimed: set[str]) -> bool:
        found = await server_action(backend, self.action.id)
        return found is not None and not found.is_queued

    def inverse(self) -> Command:
        if self.next_action is None:
            raise CommandRefused("This swap cannot be undone")
        return Unswap(contact_id=self.contact_id, promoted=self.action, demoted=self.next_action, label="Undo swap")


class Unswap(Command):
    """Undo a swap: re-queue the promoted action and restore the previous next action."""

    kind: Literal["unswap"] = "unswap"
    promoted: Action
    demoted: Action

    def _predict(self, entry: StreamEntry) -> StreamEntry:
        entry = _without(_without(entry, self.promoted.id), self.demoted.id)
        entry.next_action = self.demoted
        entry.queued_actions = [self.promoted, *entry.queued_actions]
        return entry

    async def execute(self, backend: Backend) -> None:
        await stream_api(backend).update_action(self.promoted.id, status=ActionStatus.QUEUED_WITH_DATE, date=self.promoted.date)
        changes: dict[str, Any] = {"status": self.demoted.status, "date": self.demoted.date}
        if self.demoted.exact_time is not None:
            changes["exact_time"] = self.demoted.exact_time
        await stream_api(backend).update_action(self.demoted.id, **changes)

    def inverse(self) -> Command:
        return Swap(contact_id=self.contact_id, action=self.promoted, next_action=self.demoted, label="Swap")


class ToggleStar(Command):
    kind: Literal["toggle_star"] = "toggle_star"
    starred: bool

    answered: ClassVar[bool] = True

    def _predict(self, entry: StreamEntry) -> StreamEntry:
        entry.contact.starred = self.starred
        return entry

    async def execute(self, backend: Backend) -> None:
        await contacts_api(backend).set_starred(self.contact_id, self.starred)

    def inverse(self) -> Command:
        return ToggleStar(
            contact_id=self.contact_id, starred=not self.starred, label="Unstar" if self.starred else "Star"
        )

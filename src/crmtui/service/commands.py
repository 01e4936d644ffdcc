"""Triage commands: optimistic local prediction, server execution, and an inverse for undo.

Every command is a pydantic model with a `kind`, so an outbox can store `model_dump(mode="json")`
and rebuild it with `command_from_dict`. `apply_locally` never mutates its input: it returns the
predicted new state of the one affected stream entry (None when the contact is not loaded).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_serializer

from crmtui.backends.base import Backend
from crmtui.domain.models import Action, ActionStatus, StreamEntry
from crmtui.domain.stream import SWAPPABLE_NEXT, conflicting_actions
from crmtui.service.errors import CommandRefused

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


def _without(entry: StreamEntry, action_id: str) -> StreamEntry:
    if entry.next_action is not None and entry.next_action.id == action_id:
        entry.next_action = None
    entry.queued_actions = [a for a in entry.queued_actions if a.id != action_id]
    return entry


def _settle(entry: StreamEntry) -> StreamEntry:
    entry.conflicts = conflicting_actions(entry.next_action, entry.queued_actions)
    return entry


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str
    contact_id: str
    label: str = ""

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


class MarkDone(Command):
    kind: Literal["mark_done"] = "mark_done"
    action: Action

    def _predict(self, entry: StreamEntry) -> StreamEntry:
        return _without(entry, self.action.id)

    async def execute(self, backend: Backend) -> None:
        await backend.mark_done(self.action.id)

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

    async def execute(self, backend: Backend) -> None:
        await backend.undo_done(self.action.id)

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
    local_id: str = "local-action"
    created: Action | None = None

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
        action = Action(
            id=self.local_id,
            contact_id=self.contact_id,
            assignee_id=assignee,
            text=self.text,
            status=self.status,
            raw_status=self.status.value,
            date=self.date,
            exact_time=self.exact_time,
        )
        if entry.next_action is None and self.status not in (ActionStatus.QUEUED, ActionStatus.QUEUED_WITH_DATE):
            entry.next_action = action
        else:
            queued_status = ActionStatus.QUEUED_WITH_DATE if self.date else ActionStatus.QUEUED
            entry.queued_actions = [*entry.queued_actions, action.model_copy(update={"status": queued_status})]
        return entry

    async def execute(self, backend: Backend) -> None:
        self.created = await backend.create_action(
            self.contact_id,
            self.text,
            self.status,
            date=self.date,
            exact_time=self.exact_time,
            assignee_id=self.assignee_id,
        )

    def inverse(self) -> Command:
        if self.created is None:
            raise CommandRefused("The action was never created, so there is nothing to undo")
        return DeleteAction(contact_id=self.contact_id, action=self.created, label=f"Delete: {self.text}")


class DeleteAction(Command):
    kind: Literal["delete_action"] = "delete_action"
    action: Action

    def _predict(self, entry: StreamEntry) -> StreamEntry:
        return _without(entry, self.action.id)

    async def execute(self, backend: Backend) -> None:
        await backend.delete_action(self.action.id)

    def inverse(self) -> Command:
        a = self.action
        return AddAction(
            contact_id=self.contact_id,
            text=a.text,
            status=a.status,
            date=a.date,
            exact_time=a.exact_time,
            assignee_id=a.assignee_id or None,
            label=f"Re-add: {a.text}",
        )


class ActionChanges(BaseModel):
    """Fields of an action to change; only the fields explicitly set are sent."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = None
    status: ActionStatus | None = None
    date: dt.date | None = None
    exact_time: dt.datetime | None = None
    assignee_id: str | None = None

    def as_kwargs(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}

    @classmethod
    def snapshot(cls, action: Action, fields: set[str]) -> ActionChanges:
        return cls(**{name: getattr(action, name) for name in fields})


class EditAction(Command):
    kind: Literal["edit_action"] = "edit_action"
    action_id: str
    changes: ActionChanges
    previous: ActionChanges
    stream_user_id: str | None = None

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
        await backend.update_action(self.action_id, **self.changes.as_kwargs())

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

    async def execute(self, backend: Backend) -> None:
        await backend.promote(self.action.id)

    def inverse(self) -> Command:
        return RevertPromotion(contact_id=self.contact_id, action=self.action, label=f"Unpromote: {self.action.text}")


class RevertPromotion(Command):
    kind: Literal["revert_promotion"] = "revert_promotion"
    action: Action

    def _predict(self, entry: StreamEntry) -> StreamEntry:
        entry = _without(entry, self.action.id)
        entry.queued_actions = [self.action, *entry.queued_actions]
        return entry

    async def execute(self, backend: Backend) -> None:
        await backend.revert_promotion(self.action.id)

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

    async def execute(self, backend: Backend) -> None:
        await backend.swap(self.action.id)

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
        await backend.update_action(self.promoted.id, status=ActionStatus.QUEUED_WITH_DATE, date=self.promoted.date)
        changes: dict[str, Any] = {"status": self.demoted.status, "date": self.demoted.date}
        if self.demoted.exact_time is not None:
            changes["exact_time"] = self.demoted.exact_time
        await backend.update_action(self.demoted.id, **changes)

    def inverse(self) -> Command:
        return Swap(contact_id=self.contact_id, action=self.promoted, next_action=self.demoted, label="Swap")


class ToggleStar(Command):
    kind: Literal["toggle_star"] = "toggle_star"
    starred: bool

    def _predict(self, entry: StreamEntry) -> StreamEntry:
        entry.contact.starred = self.starred
        return entry

    async def execute(self, backend: Backend) -> None:
        await backend.set_starred(self.contact_id, self.starred)

    def inverse(self) -> Command:
        return ToggleStar(
            contact_id=self.contact_id, starred=not self.starred, label="Unstar" if self.starred else "Star"
        )


AnyCommand = Annotated[
    Union[MarkDone, UndoDone, AddAction, DeleteAction, EditAction, Promote, RevertPromotion, Swap, Unswap, ToggleStar],
    Field(discriminator="kind"),
]
_ADAPTER: TypeAdapter[Any] = TypeAdapter(AnyCommand)


def command_from_dict(data: dict[str, Any]) -> Command:
    """Rebuild a command stored with `command.model_dump(mode="json")`."""
    return _ADAPTER.validate_python(data)

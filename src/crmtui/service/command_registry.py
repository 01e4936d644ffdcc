"""Every kind of change the outbox can hold, in one place, and how a stored one is read back.

The outbox writes a command as `model_dump(mode="json")`; its `kind` says which class it is. This
module imports every module that defines commands and lists their classes in one pydantic
discriminated union on `kind`, so a stored command is validated straight into its own class. The
modules defining commands never import this one (nor does anything they import): adding a kind
means adding its class to `StoredCommand` below, and a test fails when a command class is missing.

A stored command of a kind this version does not know (written by a newer crmtui, or damaged)
raises `UnknownKind`, a ValueError: the outbox keeps such a change for review and never sends it.

The union and its validator are built the first time a stored command is read (or `StoredCommand`
or `COMMAND_KINDS` is asked for): a start whose outbox is empty imports no command module of the
screens it does not show, and builds no validator for them, before its first paint.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Union, get_args

if TYPE_CHECKING:
    from pydantic import TypeAdapter

    from crmtui.service.commands import Command

    StoredCommand: Any
    """Any command the outbox can send, told apart by its `kind`."""
    COMMAND_KINDS: Mapping[str, type[Command]]
    """Each kind of command by the name the outbox file stores."""


@functools.cache
def _registry() -> tuple[Any, TypeAdapter[Command], Mapping[str, type[Command]]]:
    """The union of every command class, its validator and the classes by kind (built once)."""
    from pydantic import Field, TypeAdapter

    from crmtui.service.commands import (
        AddAction,
        DeleteAction,
        EditAction,
        MarkDone,
        Promote,
        RevertPromotion,
        Swap,
        ToggleStar,
        UndoDone,
        Unswap,
    )
    from crmtui.service.contact_commands import (
        AddContact,
        AddTag,
        DeleteContact,
        EditContact,
        ForceCloseSalesCycle,
        ChangeOwner,
        ChangeStatus,
        CloseSalesCycle,
        RemoveTag,
        ReopenSalesCycle,
        RestoreContact,
    )
    from crmtui.service.contact_history import (
        AddDeal,
        AddMeeting,
        AddNote,
        DeleteCall,
        DeleteDeal,
        DeleteMeeting,
        DeleteNote,
        LogCall,
    )
    from crmtui.service.company_commands import EditCompany
    from crmtui.service.deal_commands import UpdateDeal
    from crmtui.service.file_commands import DeleteFile, RenameFile, UploadFile
    from crmtui.service.filter_commands import CreateFilter, DeleteFilters, UpdateFilter
    from crmtui.service.goal_commands import CreateGoal, DeleteGoal, UpdateGoal
    from crmtui.service.history_edits import UpdateCall, UpdateMeeting, UpdateNote
    from crmtui.service.lead_commands import CreateLead, DeleteLead, UpdateLead
    from crmtui.service.module_commands import CreateModule, DeleteModule, UpdateModule
    from crmtui.service.notification_commands import MarkAllRead, MarkRead
    from crmtui.service.record_commands import CreateRecord, DeleteRecord, UpdateRecord
    from crmtui.service.team_commands import AddMembers, CreateTeam, RemoveMembers, UpdateTeam

    stored = Annotated[
        Union[  # noqa: UP007 - a Union of classes reads better as a list, one family a line
            MarkDone, UndoDone, AddAction, DeleteAction, EditAction, Promote, RevertPromotion, Swap, Unswap, ToggleStar,
            AddContact, EditContact, DeleteContact, RestoreContact, ChangeStatus, ChangeOwner, AddTag, RemoveTag, CloseSalesCycle, ForceCloseSalesCycle, ReopenSalesCycle,
            AddNote, DeleteNote, LogCall, DeleteCall, AddMeeting, DeleteMeeting, AddDeal, DeleteDeal,
            UpdateNote, UpdateCall, UpdateMeeting,
            UpdateDeal,
            EditCompany,
            MarkRead, MarkAllRead,
            UpdateLead, DeleteLead, CreateLead,
            UploadFile, RenameFile, DeleteFile,
            CreateGoal, UpdateGoal, DeleteGoal,
            CreateFilter, UpdateFilter, DeleteFilters,
            CreateTeam, UpdateTeam, AddMembers, RemoveMembers,
            CreateRecord, UpdateRecord, DeleteRecord,
            CreateModule, UpdateModule, DeleteModule,
        ],
        Field(discriminator="kind"),
    ]
    # Any command the outbox can send, told apart by its `kind`.
    kinds: Mapping[str, type[Command]] = {cls.model_fields["kind"].default: cls for cls in get_args(get_args(stored)[0])}
    adapter: TypeAdapter[Command] = TypeAdapter(stored)
    return stored, adapter, kinds


def __getattr__(name: str) -> Any:
    """`StoredCommand` (any command the outbox can send, told apart by its `kind`) and
    `COMMAND_KINDS` (each kind of command by the name the outbox file stores), built when first asked for."""
    if name == "StoredCommand":
        return _registry()[0]
    if name == "COMMAND_KINDS":
        return _registry()[2]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class UnknownKind(ValueError):
    """A stored command of a kind this crmtui does not know (a newer version's, or a damaged one)."""


def command_from_dict(data: Mapping[str, Any]) -> Command:
    """Rebuild a command stored with `command.model_dump(mode="json")`.

    Raises UnknownKind for a kind not in `StoredCommand`, and pydantic's ValidationError (a
    ValueError too) when the fields do not fit the kind's class.
    """
    _stored, adapter, kinds = _registry()
    kind = data.get("kind") if isinstance(data, Mapping) else None
    if not isinstance(kind, str) or kind not in kinds:
        raise UnknownKind(f"unknown kind of change: {kind!r}")
    return adapter.validate_python(data)


__all__ = ["COMMAND_KINDS", "StoredCommand", "UnknownKind", "command_from_dict"]

"""Every kind of change the outbox can hold, in one place, and how a stored one is read back.

The outbox writes a command as `model_dump(mode="json")`; its `kind` says which class it is. This
module imports every module that defines commands and lists their classes in one pydantic
discriminated union on `kind`, so a stored command is validated straight into its own class. The
modules defining commands never import this one (nor does anything they import): adding a kind
means adding its class to `StoredCommand` below, and a test fails when a command class is missing.

A stored command of a kind this version does not know (written by a newer crmtui, or damaged)
raises `UnknownKind`, a ValueError: the outbox keeps such a change for review and never sends it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Union, get_args

from pydantic import Field, TypeAdapter

from crmtui.service.commands import (
    AddAction,
    Command,
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

StoredCommand = Annotated[
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
"""Any command the outbox can send, told apart by its `kind`."""

_STORED: TypeAdapter[Command] = TypeAdapter(StoredCommand)

COMMAND_KINDS: Mapping[str, type[Command]] = {
    cls.model_fields["kind"].default: cls for cls in get_args(get_args(StoredCommand)[0])
}
"""Each kind of command by the name the outbox file stores."""


class UnknownKind(ValueError):
    """A stored command of a kind this crmtui does not know (a newer version's, or a damaged one)."""


def command_from_dict(data: Mapping[str, Any]) -> Command:
    """Rebuild a command stored with `command.model_dump(mode="json")`.

    Raises UnknownKind for a kind not in `StoredCommand`, and pydantic's ValidationError (a
    ValueError too) when the fields do not fit the kind's class.
    """
    kind = data.get("kind") if isinstance(data, Mapping) else None
    if not isinstance(kind, str) or kind not in COMMAND_KINDS:
        raise UnknownKind(f"unknown kind of change: {kind!r}")
    return _STORED.validate_python(data)


__all__ = ["COMMAND_KINDS", "StoredCommand", "UnknownKind", "command_from_dict"]

"""The service layer: the session object screens talk to, and the triage commands it runs."""

from crmtui.service.commands import (
    ActionChanges,
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
from crmtui.service.command_registry import command_from_dict
from crmtui.service.errors import CommandRefused, NothingToUndo
from crmtui.service.session import Session

__all__ = [
    "ActionChanges",
    "AddAction",
    "Command",
    "CommandRefused",
    "DeleteAction",
    "EditAction",
    "MarkDone",
    "NothingToUndo",
    "Promote",
    "RevertPromotion",
    "Session",
    "Swap",
    "ToggleStar",
    "UndoDone",
    "Unswap",
    "command_from_dict",
]

"""The service layer: the session object screens talk to, and the triage commands it runs.

The names below are exported lazily (PEP 562): `from crmtui.service import Session` imports the
session's module only, not every command module, so a start imports what its first paint needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crmtui.service.command_registry import command_from_dict
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
    from crmtui.service.errors import CommandRefused, NothingToUndo
    from crmtui.service.session import Session

_EXPORTS = {
    **dict.fromkeys(
        (
            "ActionChanges", "AddAction", "Command", "DeleteAction", "EditAction", "MarkDone", "Promote",
            "RevertPromotion", "Swap", "ToggleStar", "UndoDone", "Unswap",
        ),
        "crmtui.service.commands",
    ),
    "command_from_dict": "crmtui.service.command_registry",
    "CommandRefused": "crmtui.service.errors",
    "NothingToUndo": "crmtui.service.errors",
    "Session": "crmtui.service.session",
}

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


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once: later lookups find it without this hook
    return value

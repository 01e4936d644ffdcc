"""Undo: take back the newest change of a view's stack (dropped from the outbox if it has not left yet,
else its inverse is sent)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from crmtui.service.commands import Command
from crmtui.service.errors import CommandRefused, NothingToUndo
from crmtui.service.outbox import Outbox


async def undo_last(
    stack: list[Command], outbox: Outbox, send: Callable[[Command], Coroutine[Any, Any, object]]
) -> Command:
    """Take back the newest change of `stack`: dropped from the outbox if it has not left yet, else
    its inverse is sent with `send`. A refused inverse leaves the change on the stack."""
    if not stack:
        raise NothingToUndo()
    command = stack.pop()
    if await outbox.cancel(command):
        return command
    try:
        await send(command.inverse())
    except CommandRefused:
        stack.append(command)
        raise
    return command

"""Errors the service raises itself (as opposed to those a backend raises)."""

from __future__ import annotations

from crmtui.backends.errors import BackendError


class CommandRefused(BackendError):
    """A precondition failed before anything was sent to the server.

    Subclasses BackendError so a screen can show every failure the same way (`user_message`).
    """


class NothingToUndo(CommandRefused):
    def __init__(self) -> None:
        super().__init__("Nothing to undo")

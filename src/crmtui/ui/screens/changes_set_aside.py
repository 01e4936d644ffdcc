"""Screen 5's lines for set-aside outbox files, and the keys that send or discard them.

A set-aside file (`outbox.sqlite3.damaged-<time>`) shows one line per readable unsent change, or
one line saying nothing in it could be read. `r` sends all of one file's changes, in their order,
after asking (they are moved into the outbox once, then sent as any change); `x` discards the
file. Another account's changes are shown and can only be discarded.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass


from crmtui.service.outbox import Outbox
from crmtui.service.outbox_review import set_aside_summary
from crmtui.store.outbox import Change, SetAside, State
from crmtui.ui.modals.pickers import ConfirmModal
from crmtui.ui.screens.base import CrmScreen

SET_ASIDE_LABEL = ("set aside", "bold magenta")


@dataclass(frozen=True)
class Row:
    """One line of the table: a change of the outbox, or of a set-aside file (`group`)."""

    key: str
    change: Change
    group: SetAside | None = None


def set_aside_rows(found: SetAside) -> list[Row]:
    """A set-aside file's readable changes; one line saying so when none could be read."""
    if found.changes:
        return [Row(f"{found.name}#{c.id}", c, found) for c in found.changes]
    problem = found.problem or f"{found.unreadable} change(s) in it could not be read"
    placeholder = Change(
        id=0, created_at=found.made_at, kind="", subject="", label="(nothing readable)", command={},
        state=State.FAILED, problem=problem,
    )
    return [Row(f"{found.name}#0", placeholder, found)]


def set_aside_detail(what: str, found: SetAside) -> str:
    """Below the table: what the selected set-aside change is, and the keys for its file."""
    if not found.changes:
        return f"{found.name}: {found.problem or 'nothing in it could be read'}.\nx removes the file"
    summary = set_aside_summary(found)
    if found.foreign:
        return f"{what}: {summary}.\nx discards them"
    return f"{what}: {summary}.\nr sends them, in the order they were made · x discards them"


class SetAsideActions(CrmScreen[None]):
    """Mixed into the pending-changes screen, which provides `outbox` and `_run`."""

    _run: Callable[[Callable[[], Awaitable[object]], str], None]

    @property
    def outbox(self) -> Outbox:  # pragma: no cover - provided by the screen
        raise NotImplementedError

    def _send_set_aside(self, found: SetAside) -> None:
        if found.foreign:
            self.notify(
                "These changes were made on another account: they are never sent to this one (x discards them)",
                severity="warning", timeout=6,
            )
            return
        if not found.changes:
            self.notify("Nothing in that file can be read to send; x removes it", severity="warning", timeout=5)
            return
        count = len(found.changes)

        def answered(yes: bool | None) -> None:
            if yes:
                self._run(lambda: self.outbox.send_set_aside(found.path), f"Sending {count} set-aside change(s)")

        question = f"Send the {count} change(s) set aside in {found.name} to the server, in the order they were made?"
        if found.unreadable:
            question += f" {found.unreadable} more could not be read and are dropped."
        if found.owner is None:
            question += " crmtui cannot tell which account they were made on: send them only if they are yours."
        self.app.push_screen(ConfirmModal("Send the set-aside changes?", question, confirm_label="Send"), answered)

    def _discard_set_aside(self, found: SetAside) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self._run(lambda: self.outbox.discard_set_aside(found.path), f"Removed {found.name}")

        count = len(found.changes) + found.unreadable
        if count:
            question = f"Drop the {count} unsent change(s) set aside in {found.name} for good? They will not be sent."
        else:
            question = f"Remove {found.name}? Nothing in it could be read."
        self.app.push_screen(ConfirmModal("Discard the set-aside changes?", question, confirm_label="Discard"), answered)

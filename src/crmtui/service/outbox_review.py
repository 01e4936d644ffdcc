"""What the outbox's files hold that needs the person: set-aside files, unreadable changes, losses.

The sender (`outbox.Outbox`) keeps sending what it can read; this module finds the set-aside
files beside the outbox, takes their changes in when the person asks (`SetAsideReview`, mixed
into the outbox) and puts into words what needs the person's eye, on start (notifications) and on
the pending-changes screen.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from crmtui.domain.formatting import account_now
from crmtui.domain.models import Account
from crmtui.service.errors import CommandRefused
from crmtui.store.outbox import Change, Lost, OutboxStore, SetAside
from crmtui.store.outbox_files import read_set_aside, remove_file, set_aside_paths

if TYPE_CHECKING:
    from crmtui.service.outbox import Outbox

log = logging.getLogger(__name__)


def log_listener_failure(error: Exception) -> None:
    """A view's bug while following the outbox, without an app to show it (a script): logged."""
    log.error("a view failed while following the outbox", exc_info=error)


def find_set_aside(store: OutboxStore) -> list[SetAside]:
    """The set-aside files beside the outbox that hold something to review, oldest first.

    A file whose changes were taken in already (recorded in the outbox) but that is still there
    (the app stopped between the two steps) is removed now, never offered twice.
    """
    if store.path is None:
        return []
    taken = store.imported()
    found: list[SetAside] = []
    for path in set_aside_paths(store.path):
        if path.name in taken:
            try:
                remove_file(path)
            except OSError as exc:
                log.warning("could not remove %s: %s", path, exc)
            continue
        read = read_set_aside(path, store.owner)
        if read.worth_showing:
            found.append(read)
    return found


def moment_text(moment: dt.datetime | None, account: Account | None, *, day: bool = True) -> str:
    """"10 Mar 14:05" (or "14:05" without the day) in the account's time zone."""
    if moment is None:
        return "?"
    return account_now(account, moment).strftime("%d %b %H:%M" if day else "%H:%M")


def lost_text(lost: Lost, account: Account | None) -> str:
    """Changes may have been lost: how many at most, and when they were made."""
    first, last = lost.first or lost.last, lost.last or lost.first
    if first is None or last is None:
        made = ""
    elif moment_text(first, account) == moment_text(last, account):
        made = f" made {moment_text(last, account)}"
    elif account_now(account, first).date() == account_now(account, last).date():
        made = f" made {moment_text(first, account)}–{moment_text(last, account, day=False)}"
    else:
        made = f" made {moment_text(first, account)} – {moment_text(last, account)}"
    return (
        f"Up to {lost.at_most} unsent change(s){made} may have been lost: their file was emptied or"
        " replaced outside crmtui. Check those records on the server."
    )


@dataclass(frozen=True)
class Notice:
    title: str
    message: str
    severity: Literal["information", "warning", "error"]
    """As a toast's severity (Textual's SeverityLevel)."""


def start_notices(outbox: Outbox, account: Account | None) -> list[Notice]:
    """What to tell the person once the outbox is open (most serious first)."""
    store = outbox.store
    notices: list[Notice] = []
    if store.lost is not None:
        notices.append(Notice("Unsent changes may be lost", lost_text(store.lost, account), "error"))
    if store.notice:
        notices.append(Notice("Unsent changes", store.notice, "error"))
    if outbox.unreadable:
        notices.append(Notice(
            "Unsent changes",
            f"{outbox.unreadable} change(s) could not be read from the file and are not sent; 5 lists them.",
            "warning",
        ))
    mine = sum(len(f.changes) for f in outbox.set_aside if not f.foreign)
    if mine:
        notices.append(Notice(
            "Unsent changes", f"{mine} unsent change(s) were set aside from a damaged file: 5 lists them to send or discard.",
            "warning",
        ))
    return notices


def set_aside_summary(found: SetAside) -> str:
    """A few words on a set-aside file: how many changes, and why they wait."""
    count = len(found.changes)
    more = f" ({found.unreadable} more could not be read)" if found.unreadable and count else ""
    if found.foreign:
        return f"made on another account, never sent to this one; {count} change(s) in its file{more}"
    return f"set aside from a damaged file with {count} change(s){more}"


class SetAsideReview:
    """Mixed into `Outbox`: the set-aside files beside its file, and what the person does with them."""

    store: OutboxStore
    set_aside: list[SetAside]
    set_aside_error: str
    """Why the set-aside files could not be listed ('' when they could): then nothing is known of them."""
    _file_listeners: list[Callable[[], None]]
    listener_failed: Callable[[Exception], None]
    """What becomes of a view's bug while following the outbox (the sender goes on either way): the
    app shows it as the crash it is; without an app it is logged (`log_listener_failure`)."""
    _take_in: Callable[[list[Change], dict[str, str]], None]
    """The outbox puts changes just written to its file in line (or up for review)."""

    @property
    def set_aside_count(self) -> int:
        """Lines the pending-changes screen shows for set-aside files."""
        return sum(len(found.changes) or 1 for found in self.set_aside)

    def subscribe_files(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Be told when what waits for review changed without a change event (set-aside files, unreadable rows)."""
        self._file_listeners.append(listener)
        return lambda: self._file_listeners.remove(listener) if listener in self._file_listeners else None

    def _files_changed(self) -> None:
        for listener in list(self._file_listeners):
            try:
                listener()
            except Exception as exc:  # noqa: BLE001 - handed on: the sender goes on, the bug is shown
                self.listener_failed(exc)

    async def refresh_set_aside(self) -> None:
        """Read the set-aside files beside the outbox again (each from a copy: they are not changed)."""
        try:
            self.set_aside = await self.store.db.run(lambda _c: find_set_aside(self.store))
        except Exception as exc:
            log.exception("the set-aside outbox files could not be listed")
            self.set_aside_error = f"The set-aside files of unsent changes could not be read ({exc})."
        else:
            self.set_aside_error = ""
        self._files_changed()

    def _found(self, path: Path) -> SetAside:
        found = next((f for f in self.set_aside if f.path == path), None)
        if found is None:
            raise CommandRefused("That file is no longer there")
        return found

    async def send_set_aside(self, path: Path) -> int:
        """Move a set-aside file's readable unsent changes into the outbox (in their order) to be sent.

        Exactly once: they are written to the outbox and the file recorded as taken in, in one
        transaction, before the file is removed. Another account's are refused (CommandRefused).
        Returns how many were taken in.
        """
        found = self._found(path)
        if found.foreign:
            raise CommandRefused("These changes were made on another account: they are never sent to this one")
        store = self.store
        ids = await store.db.run(lambda _c: store.adopt(found))
        await store.db.run(lambda _c: store.remove_set_aside(found))
        adopted = await store.db.run(lambda _c: [store.get(i) for i in ids])
        self._take_in([change for change in adopted if change is not None], found.local_ids)
        await self.refresh_set_aside()
        return len(ids)

    async def discard_set_aside(self, path: Path) -> int:
        """Drop a set-aside file and what it holds; returns how many unsent changes went with it."""
        found = self._found(path)
        try:
            await asyncio.to_thread(remove_file, found.path)
        except OSError as exc:
            raise CommandRefused(f"The file could not be removed ({exc.strerror or exc})") from exc
        await self.refresh_set_aside()
        return len(found.changes) + found.unreadable

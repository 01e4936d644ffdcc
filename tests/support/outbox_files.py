"""Outbox files as a crash, a bad disk or a hand edit leave them, for the tests of damaged files.

Everything is written through the real OutboxStore first, then damaged with plain sqlite3 or file
operations, as it would be outside crmtui.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from crmtui.service.commands import Command
from crmtui.service.contact_history import AddNote
from crmtui.store import Change, OutboxStore, State
from crmtui.store.outbox_files import mark_path

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.timezone.utc)
STAMP = "20260310-090000"


def queue(store: OutboxStore, command: Command, *, created_at: dt.datetime = NOW) -> Change:
    """Write a command as the app does (`Outbox.enqueue`), without sending it."""
    return store.append(
        command.kind, command.model_dump(mode="json"), subject=command.subject, label=command.describe(),
        created_at=created_at,
    )


def note(store: OutboxStore, contact_id: str, text: str, *, created_at: dt.datetime = NOW) -> Change:
    return queue(store, AddNote(contact_id=contact_id, text=text, label=f"Note: {text}"), created_at=created_at)


def set_column(path: Path, change_id: int, column: str, value: object) -> None:
    """Overwrite one column of one row, as a bad disk or a hand edit would."""
    conn = sqlite3.connect(path)
    try:
        conn.execute(f"UPDATE changes SET {column}=? WHERE id=?", (value, change_id))
        conn.commit()
    finally:
        conn.close()


def make_set_aside(
    outbox: Path, owner: str | None, notes: list[tuple[str, str]], *, stamp: str = STAMP,
    states: dict[int, State] | None = None,
) -> Path:
    """A set-aside file beside `outbox` holding notes (contact id, text), as `_move_aside` leaves one.

    `states` sets the state of the n-th note (0-based); the others stay queued. `owner` None makes
    a file that does not say whose it is.
    """
    work = outbox.with_name(f"building-{stamp}.sqlite3")
    store = OutboxStore(work, owner=owner or "").open()
    made = [note(store, cid, text, created_at=NOW + dt.timedelta(minutes=i)) for i, (cid, text) in enumerate(notes)]
    for index, state in (states or {}).items():
        store.db.call(lambda c, i=made[index].id, s=state: c.execute("UPDATE changes SET state=? WHERE id=?", (s.value, i)))
    if owner is None:
        store.db.call(lambda c: c.execute("DELETE FROM meta"))
    store.close()
    mark_path(work).unlink(missing_ok=True)
    Path(f"{work}.lock").unlink(missing_ok=True)
    target = outbox.with_name(f"{outbox.name}.damaged-{stamp}")
    work.replace(target)
    return target

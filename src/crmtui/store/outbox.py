"""The outbox: every change the user made, written to disk before the screen shows it as made.

A change is a serialised service command. It moves through these states:

    queued ──send──▶ sending ──answer──▶ done
      ▲                 │ │
      └─ not applied ───┘ └─ 4xx ──▶ failed (kept for review: retry or discard)
         (refused, throttled:      conflict (changed on the server since read: the user chooses)
          certainly not applied)

`sending` is written before a request leaves and stays when the outcome is unknown (a dropped
connection, a timeout, a 5xx, the app killed mid-request), so the next attempt first asks the
server whether the change is already there. The file keeps a rollback journal and is written
with EXTRA synchronous mode (see `Database`): what `append` returned survives even a crash of the
machine, and lives in the one file.

A row that cannot be read (damaged in the file, a state this version does not know) is returned
with its `problem`, never skipped and never the reason the app cannot start. The file's schema is
checked on opening: one with other tables is set aside whole, as a damaged one is, and its
readable changes are offered for review (`outbox_files`). A mark beside the file tells when it
holds less than it did (emptied, deleted, rolled back): `lost` then says how many changes at most.

Local ids: an action, note or deal created offline gets a local id at once; when the server answers
with the real id the pair is kept here, so later queued changes that name the local id are sent
with the real one.

Each change is stored with its subject, the record it is about (`contact:<id>`; see
`crmtui.domain.subjects`). Files of schema 2 named the contact instead: opening one renames the
column and rewrites its rows in the same transaction as the version bump (`_v3_subjects`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
import time
from collections.abc import Iterable
from enum import Enum
from pathlib import Path
from typing import IO, Any

from crmtui.store.db import Database, damaged, transaction
from crmtui.store.outbox_files import (
    Lost,
    SetAside,
    current_mark,
    lost_since,
    read_mark,
    remove_file,
    take_in,
    write_mark,
)
from crmtui.store.outbox_rows import COLUMNS as _COLUMNS
from crmtui.store.outbox_rows import REVIEW, UNSETTLED, Change, State, iso, parse_row

try:
    import fcntl
except ImportError:  # not a POSIX system: one process per profile is then up to the person
    fcntl = None  # type: ignore[assignment]

UTC = dt.timezone.utc
log = logging.getLogger(__name__)

IMPORTED = "imported:"
"""meta keys naming set-aside files whose changes were moved into this outbox (never twice)."""


def _create_v1(conn: sqlite3.Connection) -> None:
    conn.execute(
        """CREATE TABLE changes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            created_at TEXT NOT NULL,
            kind TEXT NOT NULL,
            contact_id TEXT NOT NULL DEFAULT '',
            label TEXT NOT NULL DEFAULT '',
            command TEXT NOT NULL,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_try REAL NOT NULL DEFAULT 0,
            error TEXT NOT NULL DEFAULT '',
            detail TEXT NOT NULL DEFAULT '',
            result TEXT NOT NULL DEFAULT '{}',
            force INTEGER NOT NULL DEFAULT 0,
            sent_after TEXT,
            settled_at TEXT
        )"""
    )
    conn.execute("CREATE INDEX changes_state ON changes (state, id)")
    conn.execute("CREATE TABLE local_ids (local_id TEXT PRIMARY KEY, server_id TEXT NOT NULL) WITHOUT ROWID")


def _v2_owner(conn: sqlite3.Connection) -> None:
    """Which account the changes are for (a profile may be pointed at another account)."""
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID")


def _v3_subjects(conn: sqlite3.Connection) -> None:
    """Changes are keyed by subject (`contact:<id>`, later `lead:<id>`, ...), not by contact id.

    A row about no contact (marking notifications read) keeps an empty subject: the command itself
    says what it is about when it is read back.
    """
    conn.execute("ALTER TABLE changes RENAME COLUMN contact_id TO subject")
    conn.execute("UPDATE changes SET subject = 'contact:' || subject WHERE subject != ''")


MIGRATIONS = [_create_v1, _v2_owner, _v3_subjects]

__all__ = ["MIGRATIONS", "REVIEW", "UNSETTLED", "Change", "Lost", "OutboxStore", "SetAside", "State"]


class OutboxStore:
    """The outbox file of one profile. Synchronous methods; the service runs them via `db.run`."""

    def __init__(self, path: Path | None, *, owner: str = "") -> None:
        """`path` None keeps the outbox in memory (a session that must leave nothing on disk).

        `owner` names the account the changes are for: a file of another account's unsent changes
        is set aside, never sent to this one.
        """
        self.db = Database(path, MIGRATIONS, durable=True, checked=True)
        self.owner = owner
        self.set_aside: str | None = None
        """Why the file found on opening was set aside (another account's), if it was."""
        self.lost: Lost | None = None
        """The file held less than its mark says on opening: unsent changes may have been lost."""
        self._lock_file: IO[bytes] | None = None
        self._window_file: IO[bytes] | None = None

    @property
    def path(self) -> Path | None:
        return self.db.path

    @property
    def notice(self) -> str | None:
        if self.db.rebuilt:
            return f"The file of unsent changes could not be read and was set aside: {self.db.rebuilt}"
        return self.set_aside

    def open(self) -> OutboxStore:
        self.db.open()
        mark = read_mark(self.path) if self.path is not None else None
        try:
            self._check_owner()
        except sqlite3.DatabaseError as exc:
            if not damaged(exc):
                raise
            self._start_afresh(str(exc))  # damage the quick check did not see, met on the first read
        if self.path is not None:
            now = self.db.call(current_mark)
            if not self.db.rebuilt and not self.set_aside:  # else its changes are in the set-aside file
                self.lost = self.lost or lost_since(mark, now)
            write_mark(self.path, now)
        return self

    def _check_owner(self) -> None:
        if not self.owner:
            return
        found = self.db.call(lambda c: c.execute("SELECT value FROM meta WHERE key='owner'").fetchone())
        if found is not None and found[0] != self.owner:
            left = self.db.call(lambda c: c.execute("SELECT count(*) FROM changes WHERE state!='done'").fetchone()[0])
            if left:
                self._start_afresh("they were made on another account")
                self.set_aside = f"{left} unsent change(s) of another account were set aside, not sent: {self.db.rebuilt}"
                self.db.rebuilt = None
            else:
                self.db.call(lambda c: c.execute("DELETE FROM changes"))
        self.db.call(lambda c: c.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('owner', ?)", (self.owner,)))

    def _start_afresh(self, reason: str) -> None:
        """Set the file aside (kept for review) and start an empty one in its place."""
        self.db.close()
        self.db = Database(self.path, MIGRATIONS, durable=True, checked=True)
        self.db._move_aside(reason)
        self.db.open()
        self._remember()  # the mark now describes the new, empty file: its emptiness is no loss

    def _remember(self) -> None:
        """Rewrite the mark after a write that added or settled a change (cheap: no sync of its own)."""
        if self.path is not None:
            write_mark(self.path, self.db.call(current_mark))

    def close(self) -> None:
        self.release()
        self.leave()
        self.db.close()

    # -- one sender at a time ------------------------------------------------------------------------
    def claim(self) -> bool:
        """Become the one process that sends this outbox (False: another crmtui already does).

        Two crmtui on one profile would otherwise both send every change. The claim is an
        exclusive lock on a file beside the outbox; the system drops it when the process ends,
        however it ends.
        """
        if self._lock_file is not None:
            return True
        if self.path is None or fcntl is None:
            return True
        handle = open(f"{self.path}.lock", "ab")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._lock_file = handle
        return True

    def release(self) -> None:
        if self._lock_file is not None:
            try:
                fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            finally:
                self._lock_file.close()
                self._lock_file = None

    # -- every window on the profile ---------------------------------------------------------------
    def join(self) -> None:
        """Say that this process has the profile open (a shared lock on a file beside the outbox).

        Every crmtui on the profile that may send holds it (not one in offline mode); `others_open`
        asks whether one besides this one does.
        """
        if self._window_file is not None or self.path is None or fcntl is None:
            return
        handle = open(f"{self.path}.windows", "ab")
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:  # another process is asking `others_open` this instant: it lets go at once
            fcntl.flock(handle, fcntl.LOCK_SH)
        self._window_file = handle

    def others_open(self) -> bool:
        """Whether another crmtui has this profile open now (it will send what is left)."""
        if self.path is None or fcntl is None:
            return False
        handle, joined = self._window_file, self._window_file is not None
        if handle is None:  # a window in offline mode asks too, without joining
            try:
                handle = open(f"{self.path}.windows", "ab")
            except OSError:
                return False
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # granted only when no one else holds it
        except OSError:
            return True
        finally:
            if joined:
                fcntl.flock(handle, fcntl.LOCK_SH)  # back to sharing (a refused upgrade may have dropped it)
            else:
                handle.close()
        return False

    def leave(self) -> None:
        if self._window_file is not None:
            try:
                fcntl.flock(self._window_file, fcntl.LOCK_UN)
            finally:
                self._window_file.close()
                self._window_file = None

    def data_version(self) -> int:
        """Changes when another connection (another crmtui) committed to the file since the last
        call: a cheap question, asked often, that reads no table."""
        return int(self.db.call(lambda c: c.execute("PRAGMA data_version").fetchone()[0]))

    def snapshot(self, known: Iterable[int]) -> list[Change]:
        """Every change not confirmed yet, and the `known` ones whatever their state (done: sent by
        another crmtui; absent: discarded there), oldest first."""
        ids = json.dumps(sorted(set(known)))
        query = (
            f"SELECT {_COLUMNS} FROM changes WHERE state IS NOT ? OR id IN (SELECT value FROM json_each(?)) ORDER BY id"
        )
        return [parse_row(r) for r in self.db.call(lambda c: c.execute(query, (State.DONE.value, ids)).fetchall())]

    # -- writing -----------------------------------------------------------------------------------
    def append(self, kind: str, command: dict[str, Any], *, subject: str = "", label: str = "",
               created_at: dt.datetime | None = None) -> Change:
        created = created_at or dt.datetime.now(UTC)
        text = json.dumps(command, separators=(",", ":"))

        def write(conn: sqlite3.Connection) -> int:
            cur = conn.execute(
                "INSERT INTO changes (created_at, kind, subject, label, command, state) VALUES (?, ?, ?, ?, ?, ?)",
                (iso(created), kind, subject, label, text, State.QUEUED.value),
            )
            assert cur.lastrowid is not None, "an INSERT gives the row an id"
            return cur.lastrowid

        change_id = self.db.call(lambda c: transaction(c, write))
        self._remember()
        return Change(change_id, created, kind, subject, label, command, State.QUEUED)

    def _update(self, change_id: int, **values: Any) -> None:
        names = ", ".join(f"{k}=?" for k in values)
        params = [v.value if isinstance(v, Enum) else v for v in values.values()]
        self.db.call(lambda c: c.execute(f"UPDATE changes SET {names} WHERE id=?", (*params, change_id)))

    def mark_sending(self, change_id: int, *, sent_after: dt.datetime | None, command: dict[str, Any] | None = None) -> bool:
        """Written before the request leaves: from now on the change may be on the server.

        `sent_after` is kept from the first attempt on (later attempts do not move it); `command`
        replaces the stored one when local ids were resolved to the server's. False when the change
        is no longer there to send (discarded meanwhile): then it must not be sent.
        """
        text = json.dumps(command, separators=(",", ":")) if command is not None else None
        return bool(
            self.db.call(
                lambda c: c.execute(
                    "UPDATE changes SET state=?, sent_after=COALESCE(sent_after, ?), command=COALESCE(?, command)"
                    " WHERE id=? AND state IN (?, ?)",
                    (State.SENDING.value, iso(sent_after), text, change_id, State.QUEUED.value, State.SENDING.value),
                ).rowcount
            )
        )

    def mark_done(
        self, change_id: int, result: dict[str, Any] | None = None, local_ids: dict[str, str] | None = None,
        *, command: dict[str, Any] | None = None,
    ) -> None:
        """The server has it; `local_ids` maps the local ids it made to the server's, in the same transaction.

        `command`: the command with the server's answer in it, for another crmtui on the profile to show.
        """
        text = json.dumps(command, separators=(",", ":")) if command is not None else None

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE changes SET state=?, result=?, error='', detail='', settled_at=?, command=COALESCE(?, command)"
                " WHERE id=?",
                (State.DONE.value, json.dumps(result or {}), iso(dt.datetime.now(UTC)), text, change_id),
            )
            conn.executemany(
                "INSERT OR REPLACE INTO local_ids (local_id, server_id) VALUES (?, ?)", list((local_ids or {}).items())
            )

        self.db.call(lambda c: transaction(c, write))
        self._remember()

    def requeue(self, change_id: int, *, error: str, delay: float, maybe_applied: bool) -> float:
        """Try again after `delay` seconds; `maybe_applied` makes it `sending`, so the server is asked first.

        Returns the time (time.time()) of the next try.
        """
        state = State.SENDING if maybe_applied else State.QUEUED
        next_try = time.time() + max(delay, 0.0)
        self.db.call(
            lambda c: c.execute(
                "UPDATE changes SET state=?, attempts=attempts+1, next_try=?, error=? WHERE id=?",
                (state.value, next_try, error, change_id),
            )
        )
        return next_try

    def mark_failed(self, change_id: int, error: str) -> None:
        self.db.call(
            lambda c: c.execute(
                "UPDATE changes SET state=?, error=?, attempts=attempts+1, settled_at=? WHERE id=?",
                (State.FAILED.value, error, iso(dt.datetime.now(UTC)), change_id),
            )
        )

    def mark_conflict(self, change_id: int, detail: str) -> None:
        self._update(change_id, state=State.CONFLICT, detail=detail, error="Changed on the server since you read it")

    def retry(self, change_id: int, *, force: bool = False) -> None:
        """Send a failed or conflicting change again (first in line); `force` skips the conflict check."""
        self.db.call(
            lambda c: c.execute(
                "UPDATE changes SET state=CASE WHEN sent_after IS NULL THEN ? ELSE ? END, next_try=0, force=?,"
                " settled_at=NULL WHERE id=? AND state IN (?, ?)",
                (State.QUEUED.value, State.SENDING.value, int(force), change_id, State.FAILED.value, State.CONFLICT.value),
            )
        )

    def wake(self) -> None:
        """Everything waiting for a retry may go now (the network is back, or the user asked)."""
        self.db.call(lambda c: c.execute("UPDATE changes SET next_try=0 WHERE state IN (?, ?)", (State.QUEUED.value, State.SENDING.value)))

    def discard(self, change_id: int, *, states: Iterable[State] | None = None) -> Change | None:
        """Drop a change the server has not confirmed; returns it (None: unknown or done).

        `states`: only while the file has it in one of these (another crmtui may have moved it on).
        """
        allowed = {s.value for s in states} if states is not None else None

        def write(conn: sqlite3.Connection) -> Change | None:
            row = conn.execute(f"SELECT {_COLUMNS} FROM changes WHERE id=?", (change_id,)).fetchone()
            if row is None or row[6] == State.DONE.value or (allowed is not None and row[6] not in allowed):
                return None
            conn.execute("DELETE FROM changes WHERE id=?", (change_id,))
            return parse_row(row)

        dropped = self.db.call(lambda c: transaction(c, write))
        self._remember()
        return dropped

    def prune(self, older_than: dt.timedelta = dt.timedelta(days=2)) -> int:
        """Forget changes the server confirmed long ago (and their local ids)."""
        cutoff = iso(dt.datetime.now(UTC) - older_than)

        def write(conn: sqlite3.Connection) -> int:
            cur = conn.execute("DELETE FROM changes WHERE state=? AND settled_at < ?", (State.DONE.value, cutoff))
            if conn.execute("SELECT count(*) FROM changes WHERE state!=?", (State.DONE.value,)).fetchone()[0] == 0:
                recent = conn.execute("SELECT count(*) FROM changes").fetchone()[0]
                if recent == 0:
                    conn.execute("DELETE FROM local_ids")
            return cur.rowcount

        return self.db.call(lambda c: transaction(c, write))

    # -- reading -----------------------------------------------------------------------------------
    def get(self, change_id: int) -> Change | None:
        row = self.db.call(lambda c: c.execute(f"SELECT {_COLUMNS} FROM changes WHERE id=?", (change_id,)).fetchone())
        return parse_row(row) if row else None

    def changes(self, states: Iterable[State] | None = None) -> list[Change]:
        """Changes in `states`, oldest first; by default every one not confirmed by the server,
        including those in a state this version does not know (returned with their `problem`)."""
        if states is None:
            query, params = f"SELECT {_COLUMNS} FROM changes WHERE state IS NOT ? ORDER BY id", [State.DONE.value]
        else:
            params = [s.value for s in states]
            query = f"SELECT {_COLUMNS} FROM changes WHERE state IN ({', '.join('?' for _ in params)}) ORDER BY id"
        return [parse_row(r) for r in self.db.call(lambda c: c.execute(query, params).fetchall())]

    def head(self) -> Change | None:
        """The oldest change still to send (the sender goes strictly in order)."""
        row = self.db.call(
            lambda c: c.execute(
                f"SELECT {_COLUMNS} FROM changes WHERE state IN (?, ?) ORDER BY id LIMIT 1",
                (State.QUEUED.value, State.SENDING.value),
            ).fetchone()
        )
        return parse_row(row) if row else None

    def counts(self) -> dict[State, int]:
        rows = self.db.call(lambda c: c.execute("SELECT state, count(*) FROM changes GROUP BY state").fetchall())
        found = {State(s): n for s, n in rows if s in State._value2member_map_}
        return {state: found.get(state, 0) for state in State}

    def server_id(self, local_id: str) -> str | None:
        row = self.db.call(lambda c: c.execute("SELECT server_id FROM local_ids WHERE local_id=?", (local_id,)).fetchone())
        return row[0] if row else None

    def local_ids(self) -> dict[str, str]:
        return dict(self.db.call(lambda c: c.execute("SELECT local_id, server_id FROM local_ids").fetchall()))

    def claimed(self, kind: str) -> set[str]:
        """Server ids already matched to changes of `kind` (so two equal notes each find their own)."""
        rows = self.db.call(
            lambda c: c.execute("SELECT result FROM changes WHERE kind=? AND state=?", (kind, State.DONE.value)).fetchall()
        )
        found: set[str] = set()
        for (text,) in rows:
            try:
                result = json.loads(text or "{}")
            except (TypeError, ValueError):
                continue  # a damaged result names nothing
            created = result.get("created") if isinstance(result, dict) else None
            if created:
                found.add(str(created))
        return found

    # -- set-aside files ------------------------------------------------------------------------------
    def imported(self) -> set[str]:
        """Names of set-aside files whose changes this outbox took in already."""
        rows = self.db.call(lambda c: c.execute("SELECT key FROM meta WHERE key LIKE ?", (f"{IMPORTED}%",)).fetchall())
        return {key[len(IMPORTED):] for (key,) in rows}

    def adopt(self, found: SetAside) -> list[int]:
        """Take a set-aside file's readable unsent changes in, after this outbox's, in their order.

        Once only: see `outbox_files.take_in`. Returns the new numbers (empty when taken in before).
        """
        ids = self.db.call(lambda c: transaction(c, lambda conn: take_in(conn, found, IMPORTED + found.name)))
        self._remember()
        return ids

    @staticmethod
    def remove_set_aside(found: SetAside) -> None:
        """Delete the file once its changes were taken in or discarded (left behind: tried again on start)."""
        try:
            remove_file(found.path)
        except OSError as exc:
            log.warning("could not remove %s: %s", found.path, exc)

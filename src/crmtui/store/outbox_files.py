"""Files beside the outbox: the mark of what it last held, and outboxes set aside.

The mark (`<outbox>.seen`) says how far the outbox had got: the highest change number it had
handed out and how many changes were still unsent, with when they were made. SQLite opens an
empty or missing file as a new, empty database, so an outbox truncated to 0 bytes, deleted, or
put back to an older copy cannot tell by itself that it lost anything; the mark, kept outside it,
can. It is rewritten after each write that adds or settles a change, without a sync of its own:
it is only ever behind the outbox (never ahead of it), so a crash can weaken the check but never
raise a false alarm.

A set-aside outbox (`<outbox>.damaged-<time>`: unreadable, wrong tables, another account's) may
still hold unsent changes. `read_set_aside` reads what it can from a copy (the file itself is never
opened, so never changed) for the person to send or discard from the pending-changes screen.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from crmtui.store.outbox_rows import UTC, Change, State, iso, moment, parse

log = logging.getLogger(__name__)

SIDE_FILES = ("-wal", "-shm", "-journal")
"""SQLite's companions of a database file: moved, copied and removed along with it."""


# -- the mark ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    last_id: int
    """The highest change number the outbox had handed out."""
    unsent: int
    """Changes not yet confirmed by the server then."""
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    """When the oldest and newest of those were made."""


@dataclass(frozen=True)
class Lost:
    """The outbox holds less than its mark says: unsent changes may have been lost."""

    at_most: int
    first: dt.datetime | None
    last: dt.datetime | None


def mark_path(outbox: Path) -> Path:
    return outbox.with_name(f"{outbox.name}.seen")


def read_mark(outbox: Path) -> Mark | None:
    """The last mark written (None: none, or unreadable: then nothing can be checked)."""
    try:
        data = json.loads(mark_path(outbox).read_text(encoding="utf-8"))
        return Mark(
            last_id=int(data["last_id"]), unsent=int(data["unsent"]),
            first=moment(data.get("first")), last=moment(data.get("last")),
        )
    except (OSError, ValueError, TypeError, KeyError):
        return None


def write_mark(outbox: Path, mark: Mark) -> None:
    """Replace the mark (atomically: a reader sees the old one or the new one, never half)."""
    target = mark_path(outbox)
    data = {
        "last_id": mark.last_id, "unsent": mark.unsent,
        "first": mark.first.isoformat() if mark.first else None,
        "last": mark.last.isoformat() if mark.last else None,
    }
    temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(data))
        os.replace(temporary, target)
    except OSError as exc:  # the check is weaker for it, nothing else: the change itself is saved
        log.warning("could not write %s: %s", target, exc)
        temporary.unlink(missing_ok=True)


def current_mark(conn: sqlite3.Connection) -> Mark:
    """What the outbox holds now (run on its connection)."""
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name='changes'").fetchone()
    unsent, first, last = conn.execute(
        "SELECT count(*), min(created_at), max(created_at) FROM changes WHERE state IS NOT ?", (State.DONE.value,)
    ).fetchone()
    return Mark(int(row[0]) if row else 0, int(unsent), _moment(first), _moment(last))


def lost_since(mark: Mark | None, now: Mark) -> Lost | None:
    """Unsent changes the mark knew of that the file cannot hold any more (None: nothing lost)."""
    if mark is None or mark.unsent == 0 or now.last_id >= mark.last_id:
        return None
    return Lost(mark.unsent, mark.first, mark.last)


def _moment(text: object) -> dt.datetime | None:
    try:
        return moment(text) if isinstance(text, str) else None
    except ValueError:
        return None


# -- set-aside outboxes -------------------------------------------------------------------------------


@dataclass
class SetAside:
    """What could be read of one set-aside outbox."""

    path: Path
    changes: list[Change] = field(default_factory=list)
    """Its readable unsent changes, in the order they were made."""
    unreadable: int = 0
    """Unsent changes in it that could not be read."""
    problem: str = ""
    """Why nothing at all could be read from it ('' when something could)."""
    owner: str | None = None
    """The account it was written for (None: it does not say)."""
    local_ids: dict[str, str] = field(default_factory=dict)
    created: list[Change] = field(default_factory=list)
    """Its changes the server confirmed that made a record: taken in with the rest, so that asking the
    server about one of them later does not take a record they made for its own."""
    foreign: bool = False
    """Another account's: shown, never sent to this one."""

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def made_at(self) -> dt.datetime:
        try:
            return dt.datetime.fromtimestamp(self.path.stat().st_mtime, UTC)
        except OSError:
            return dt.datetime.now(UTC)

    @property
    def worth_showing(self) -> bool:
        return bool(self.changes or self.unreadable or self.problem)


def set_aside_paths(outbox: Path) -> list[Path]:
    """The outbox's set-aside files, oldest first (their companions are not listed)."""
    pattern = re.compile(re.escape(outbox.name) + r"\.damaged-\d{8}-\d{6}(-\d+)?")
    found = [p for p in outbox.parent.glob(f"{outbox.name}.damaged-*") if pattern.fullmatch(p.name) and p.is_file()]
    return sorted(found, key=lambda p: p.name)  # the name carries the time it was set aside


def read_set_aside(path: Path, owner: str) -> SetAside:
    """Read a set-aside outbox from a private copy, tolerating anything short of a readable row."""
    found = SetAside(path)
    with tempfile.TemporaryDirectory(prefix="crmtui-") as folder:
        copy = Path(folder) / "outbox.sqlite3"
        try:
            shutil.copyfile(path, copy)
            for suffix in ("-wal", "-journal"):  # what a crash left to apply or to roll back
                if Path(f"{path}{suffix}").exists():
                    shutil.copyfile(f"{path}{suffix}", f"{copy}{suffix}")
        except OSError as exc:
            found.problem = f"the file could not be read ({exc.strerror or exc})"
            return found
        try:
            _read_copy(copy, found)
        except sqlite3.DatabaseError:
            found.changes.clear()
            found.problem = "nothing in the file could be read"
    found.foreign = bool(owner) and found.owner is not None and found.owner != owner
    return found


def _read_copy(copy: Path, found: SetAside) -> None:
    conn = sqlite3.connect(copy, isolation_level=None)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "meta" in tables and {"key", "value"} <= _columns(conn, "meta"):
            row = conn.execute("SELECT value FROM meta WHERE key='owner'").fetchone()
            found.owner = str(row[0]) if row and row[0] else None
        if "local_ids" in tables and {"local_id", "server_id"} <= _columns(conn, "local_ids"):
            found.local_ids = {str(a): str(b) for a, b in conn.execute("SELECT local_id, server_id FROM local_ids")}
        columns = _columns(conn, "changes") if "changes" in tables else set()
        if not {"id", "kind", "command", "state"} <= columns:
            found.problem = "it holds no changes crmtui can read"
            return
        cursor = conn.execute(f"SELECT {', '.join(sorted(columns))} FROM changes ORDER BY id")
        names = [d[0] for d in cursor.description]
        for row in cursor:
            change = parse(dict(zip(names, row)))
            if change.state is State.DONE:
                if change.result.get("created"):
                    found.created.append(change)
                continue  # on the server already
            if change.problem:
                found.unreadable += 1
            else:
                found.changes.append(change)
    finally:
        conn.close()


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def remove_file(path: Path) -> None:
    """Delete a database file and its companions (a set-aside file whose changes were taken in or discarded)."""
    for suffix in ("", *SIDE_FILES):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def take_in(conn: sqlite3.Connection, found: SetAside, key: str) -> list[int]:
    """Write a set-aside file's readable unsent changes into the outbox on `conn`, in their order,
    and record the file as taken in under meta `key` (the caller's transaction holds both, so a
    crash before the file is removed can never bring them in twice).

    A change that may have reached the server keeps `sending` and the time of its first attempt,
    so the server is asked before it is sent again. Returns the new numbers ([] when taken in before).
    """
    if conn.execute("SELECT 1 FROM meta WHERE key=?", (key,)).fetchone():
        return []
    ids: list[int] = []
    for change in found.changes:
        cur = conn.execute(
            "INSERT INTO changes (created_at, kind, subject, label, command, state, attempts, error, detail,"
            " force, sent_after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                iso(change.created_at), change.kind, change.subject, change.label,
                json.dumps(change.command, separators=(",", ":")), change.state.value, change.attempts,
                change.error, change.detail, int(change.force), iso(change.sent_after),
            ),
        )
        assert cur.lastrowid is not None, "an INSERT gives the row an id"
        ids.append(cur.lastrowid)
    conn.executemany(
        "INSERT INTO changes (created_at, kind, subject, label, command, state, result, settled_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (iso(done.created_at), done.kind, done.subject, done.label, json.dumps(done.command, separators=(",", ":")),
             State.DONE.value, json.dumps(done.result), iso(done.settled_at or dt.datetime.now(UTC)))
            for done in found.created
        ],
    )  # what they made is claimed (see OutboxStore.claimed); pruned with the other confirmed changes
    conn.executemany("INSERT OR IGNORE INTO local_ids (local_id, server_id) VALUES (?, ?)", list(found.local_ids.items()))
    conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, iso(dt.datetime.now(UTC))))
    return ids

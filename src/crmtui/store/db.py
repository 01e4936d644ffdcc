"""SQLite files crmtui keeps beside the server's data: opening, migrating, repairing.

`Database` owns one connection, used from one worker thread so disk work never runs on the
event loop (`await db.run(fn)`); synchronous `db.call(fn)` is there for scripts and tests.

A file that is not a database, is truncated or fails SQLite's quick check is moved aside (kept as
`<name>.damaged-<time>` for a bug report) and a fresh one made in its place; `rebuilt` then says
why, so the app can tell the user. The quick check reads the whole file: a file opened with
`check_later` (the cache) is checked by `check`, after the start has shown what it needs of it. A file written by a newer crmtui (a schema version this one
does not know) is treated the same way rather than misread, and so is one whose version is right
but whose tables are not the ones its migrations make (`checked`): a hand-edited or half-written
file would otherwise fail at the first query, on every start.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

Migration = Callable[[sqlite3.Connection], None]
"""Brings the schema from version N to N+1 (index N of the list), inside one transaction."""

DAMAGE_CODES = frozenset({"SQLITE_NOTADB", "SQLITE_CORRUPT"})
"""SQLite's answers that mean the file itself is unreadable (not "locked", "full" or "cannot open")."""


class Unreadable(sqlite3.DatabaseError):
    """The file opened, but its contents cannot be used: failed integrity check, unknown schema."""


class StoreUnavailable(Exception):
    """The file could not be opened or written (permissions, a full disk, another process's lock).

    Unlike damage, nothing is moved aside: the data in it is still good and needed.
    """


def damaged(exc: sqlite3.DatabaseError) -> bool:
    return isinstance(exc, Unreadable) or getattr(exc, "sqlite_errorname", "") in DAMAGE_CODES


class Database:
    """One SQLite file with a schema version (`PRAGMA user_version`) and its migrations."""

    def __init__(
        self, path: Path | None, migrations: Sequence[Migration], *, durable: bool = False, checked: bool = False,
        check_later: bool = False,
    ) -> None:
        self.path = Path(path) if path is not None else None
        """None: a database in memory, for a session that keeps nothing on disk."""
        self.migrations = list(migrations)
        self.durable = durable
        """A rollback journal and EXTRA synchronous writes: a change the app called saved survives a
        crash of the machine too, and lives in the one file (see `_connect_and_migrate`)."""
        self.checked = checked
        """Compare the tables and columns found with those the migrations make, on every open."""
        self.check_later = check_later
        """Leave SQLite's quick check out of opening, for `check` to run later: it reads the whole
        file (a cache of 21 MB: 14 ms in memory, 300 ms from disk), where a start needs a few pages."""
        self.rebuilt: str | None = None
        """Why the file was replaced by an empty one on opening (None: it opened as it was)."""
        self.migrated_from: int | None = None
        """The schema version found on opening when it was older than this crmtui's (None: current or new)."""
        name = self.path.stem if self.path is not None else "memory"
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"sqlite-{name}")
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._closed = False
        self._expected: dict[str, frozenset[str]] | None = None

    @property
    def version(self) -> int:
        return len(self.migrations)

    # -- opening -----------------------------------------------------------------------------------
    def open(self) -> Database:
        """Open (creating, migrating or rebuilding as needed). Safe to call more than once."""
        with self._lock:
            if self._conn is None:
                self._conn = self._open()
        return self

    def _open(self) -> sqlite3.Connection:
        if self.path is None:
            return self._connect_and_migrate()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            try:
                return self._connect_and_migrate()
            except sqlite3.DatabaseError as exc:
                if not damaged(exc):  # locked, read-only, disk full: the file is fine, it cannot be used now
                    raise
                self._move_aside(str(exc))  # not a database, truncated, malformed, or from the future
                return self._connect_and_migrate()
        except (OSError, sqlite3.Error) as exc:
            raise StoreUnavailable(f"{self.path}: {exc}") from exc

    def _connect_and_migrate(self) -> sqlite3.Connection:
        target = str(self.path) if self.path is not None else ":memory:"
        conn = sqlite3.connect(target, isolation_level=None, check_same_thread=False, timeout=10)
        try:
            if self.path is not None:
                self.path.chmod(0o600)
            if not self.check_later:
                _quick_check(conn)
            # A durable file (the outbox) keeps a rollback journal rather than WAL: with WAL, what
            # was committed since the last checkpoint lives only in the `-wal` file, and a `-wal`
            # lost after a kill (deleted, not copied along, left behind by a move) takes committed
            # changes with it, silently. With a rollback journal every commit is in the main file
            # once it returns, so "what `append` returned survives a crash" holds for the file alone.
            # EXTRA, not FULL: in DELETE mode a commit is the journal's deletion, and only EXTRA syncs
            # the folder after it, so a power cut right after a commit cannot roll it back. It costs
            # a few syncs per write, per change a person makes.
            # Switching an existing WAL file checkpoints it first, so nothing in its -wal is lost.
            # The cache is a copy, written often and in bulk: WAL and NORMAL sync suit it.
            self._journal(conn, "DELETE" if self.durable else "WAL")
            conn.execute(f"PRAGMA synchronous={'EXTRA' if self.durable else 'NORMAL'}")
            conn.execute("PRAGMA foreign_keys=ON")
            found = conn.execute("PRAGMA user_version").fetchone()[0]
            if found > self.version:
                raise Unreadable(f"schema version {found} is newer than this crmtui's ({self.version})")
            if found < self.version:
                if found > 0:
                    self.migrated_from = found
                conn.execute("BEGIN IMMEDIATE")
                try:
                    for migrate in self.migrations[found:]:
                        migrate(conn)
                    conn.execute(f"PRAGMA user_version={self.version}")
                    conn.execute("COMMIT")
                except BaseException as exc:
                    conn.execute("ROLLBACK")
                    if isinstance(exc, sqlite3.OperationalError) and getattr(exc, "sqlite_errorname", "") == "SQLITE_ERROR":
                        # "no such table", "duplicate column": the file is not what its version says
                        raise Unreadable(f"it could not be brought up to date ({exc})") from exc
                    raise
            if self.checked:
                mismatch = _mismatch(_schema(conn), self.expected_schema())
                if mismatch:
                    raise Unreadable(f"its tables are not the ones crmtui writes ({mismatch})")
        except BaseException:
            conn.close()
            raise
        return conn

    @staticmethod
    def _journal(conn: sqlite3.Connection, mode: str) -> None:
        """Set the journal mode; while another process holds the file in WAL mode (an older crmtui
        still running) it cannot change: keep WAL for this run rather than not open at all."""
        conn.execute("PRAGMA busy_timeout=0")
        try:
            conn.execute(f"PRAGMA journal_mode={mode}")
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorname", "") not in ("SQLITE_BUSY", "SQLITE_LOCKED"):
                raise
        finally:
            conn.execute("PRAGMA busy_timeout=10000")  # as `timeout=10` on connecting

    def expected_schema(self) -> dict[str, frozenset[str]]:
        """The tables and columns the migrations make: run once on an empty database in memory."""
        if self._expected is None:
            conn = sqlite3.connect(":memory:", isolation_level=None)
            try:
                for migrate in self.migrations:
                    migrate(conn)
                self._expected = _schema(conn)
            finally:
                conn.close()
        return self._expected

    def _move_aside(self, reason: str) -> None:
        assert self.path is not None
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        kept = self.path.with_name(f"{self.path.name}.damaged-{stamp}")
        n = 1
        while any(Path(f"{kept}{suffix}").exists() for suffix in ("", "-wal", "-journal")):
            n += 1  # set aside twice in one second: never overwrite the first
            kept = self.path.with_name(f"{self.path.name}.damaged-{stamp}-{n}")
        for suffix in ("", "-wal", "-shm", "-journal"):
            part = Path(f"{self.path}{suffix}")
            if part.exists():
                try:
                    part.replace(Path(f"{kept}{suffix}"))
                except OSError:
                    part.unlink(missing_ok=True)
        self.rebuilt = f"{reason} (the old file is kept as {kept.name})"

    def check(self) -> bool:
        """SQLite's quick check, where opening left it out (`check_later`): a damaged file is moved
        aside and a fresh one made in its place, as opening does (`rebuilt` says why); True then."""
        with self._lock:
            if self._closed or self.path is None:
                return False
            conn = self.conn  # (opened here when it is not yet)
            try:
                _quick_check(conn)
                return False
            except sqlite3.DatabaseError as exc:
                if not damaged(exc):
                    raise StoreUnavailable(f"{self.path}: {exc}") from exc
                reason = str(exc)
            self._conn = None
            conn.close()
            self._move_aside(reason)
            self._conn = self._open()
            return True

    # -- running -----------------------------------------------------------------------------------
    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            self.open()
        assert self._conn is not None
        return self._conn

    def call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(connection)` here and now, serialised with the worker thread."""
        with self._lock:
            if self._closed:
                raise RuntimeError(f"{self.path or 'the database'} is closed")
            if self._conn is None:
                self._conn = self._open()
            return fn(self._conn)

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(connection)` on the database's own thread, off the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self.call, fn)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._conn is not None:
                try:
                    self._conn.close()
                finally:
                    self._conn = None
        self._executor.shutdown(wait=False)


def _quick_check(conn: sqlite3.Connection) -> None:
    """Raise `Unreadable` when SQLite's quick check finds the file damaged (it reads all of it)."""
    check = conn.execute("PRAGMA quick_check").fetchone()
    if not check or check[0] != "ok":
        raise Unreadable(f"integrity check failed: {check[0] if check else 'no answer'}")


def _schema(conn: sqlite3.Connection) -> dict[str, frozenset[str]]:
    names = [
        row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
    ]
    quoted = {name: '"' + name.replace('"', '""') + '"' for name in names}
    return {name: frozenset(row[1] for row in conn.execute(f"PRAGMA table_info({quoted[name]})")) for name in names}


def _mismatch(found: dict[str, frozenset[str]], expected: dict[str, frozenset[str]]) -> str:
    """What differs, in a few words ('' when every expected table has exactly its columns)."""
    missing = sorted(name for name in expected if name not in found)
    if missing:
        return "no table " + ", ".join(missing)
    for name, columns in sorted(expected.items()):
        if found[name] != columns:
            return f"table {name} has other columns"
    return ""


def transaction(conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
    """`fn` inside BEGIN IMMEDIATE ... COMMIT (rolled back on any exception)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = fn(conn)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result

"""SQLite write-through for the sandbox: one table per kind of record, each row a JSON document.

The in-memory state is the source of truth while serving; every write request also lands here inside
one transaction, so a sandbox started again on the same file carries on where it stopped.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

SCHEMA_VERSION = 1

KINDS = (
    "users",
    "contacts",
    "companies",
    "actions",
    "deals",
    "pipelines",
    "notes",
    "calls",
    "meetings",
    "notifications",
    "statuses",
    "lead_sources",
    "custom_fields",
    "deal_fields",
    "company_fields",
    "predefined_actions",
    "filters",
    "deleted_contacts",
)


def _private_file(path: Path) -> None:
    """Make `path` (and its folder) readable by the user only: it holds the sandbox users' API keys.

    SQLite gives the -wal and -shm files it makes beside it the same mode.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    os.chmod(path, 0o600)  # a file made by an older crmtui was 0644
    for suffix in ("-wal", "-shm"):
        part = Path(f"{path}{suffix}")
        if part.exists():
            os.chmod(part, 0o600)


class Store:
    """A JSON document store on SQLite. Not thread-safe by itself: the state's lock guards it."""

    def __init__(self, path: Path | None, kinds: Iterable[str] = KINDS) -> None:
        self.path = path
        self.kinds = tuple(kinds)
        """The tables this store holds (the OnePageCRM sandbox's by default; another sandbox passes its own)."""
        target = ":memory:" if path is None else str(path)
        if path is not None:
            _private_file(path)
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        if path is not None:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        for kind in self.kinds:
            self._db.execute(f"CREATE TABLE IF NOT EXISTS {kind} (id TEXT PRIMARY KEY, doc TEXT NOT NULL)")
        self._in_tx = False

    # -- meta -------------------------------------------------------------------------------------

    def get_meta(self, key: str) -> Any:
        """The JSON value stored under `key` (None when absent)."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def set_meta(self, key: str, value: object) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )

    def is_seeded(self) -> bool:
        return self.get_meta("schema_version") == SCHEMA_VERSION and self.get_meta("seeded") is True

    # -- documents --------------------------------------------------------------------------------

    def load(self, kind: str) -> dict[str, dict]:
        return {row[0]: json.loads(row[1]) for row in self._db.execute(f"SELECT id, doc FROM {kind}")}

    def put(self, kind: str, doc: dict) -> None:
        self._db.execute(
            f"INSERT INTO {kind} (id, doc) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc",
            (doc["id"], json.dumps(doc, separators=(",", ":"))),
        )

    def delete(self, kind: str, doc_id: str) -> None:
        self._db.execute(f"DELETE FROM {kind} WHERE id = ?", (doc_id,))

    def put_many(self, kind: str, docs: Iterable[dict]) -> None:
        self._db.executemany(
            f"INSERT INTO {kind} (id, doc) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc",
            ((d["id"], json.dumps(d, separators=(",", ":"))) for d in docs),
        )

    def wipe(self) -> None:
        with self.transaction():
            self._db.execute("DELETE FROM meta")
            for kind in self.kinds:
                self._db.execute(f"DELETE FROM {kind}")

    # -- transactions -----------------------------------------------------------------------------

    def begin(self) -> None:
        if not self._in_tx:
            self._db.execute("BEGIN")
            self._in_tx = True

    def commit(self) -> None:
        if self._in_tx:
            self._db.execute("COMMIT")
            self._in_tx = False

    def rollback(self) -> None:
        if self._in_tx:
            self._db.execute("ROLLBACK")
            self._in_tx = False

    def transaction(self) -> _Transaction:
        return _Transaction(self)

    def close(self) -> None:
        try:
            self.commit()
        finally:
            self._db.close()


class _Transaction:
    def __init__(self, store: Store) -> None:
        self.store = store

    def __enter__(self) -> Store:
        self.store.begin()
        return self.store

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.store.commit()
        else:
            self.store.rollback()

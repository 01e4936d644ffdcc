"""The local cache: the last known API data of one profile, so the app paints before the network.

It holds API data only (domain models as JSON), never credentials. Two shapes:

- lists replaced whole (a contact's notes, the pipelines, the notifications): one row each;
- keyed collections updated piece by piece (a stream: one row per contact), so an incremental
  refresh or a single re-read contact rewrites only what changed.

Each stored collection has a sync record: when it was fetched (the client's clock, for "updated 3
min ago") and the server's time then (where the next incremental refresh starts).

The schema is versioned; a cache from an older crmtui is dropped and refilled by a full sync
(`needs_full_sync`), and a damaged file, or one whose tables are not the ones this version makes,
is rebuilt (`notice` says so).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from crmtui.store.db import Database, StoreUnavailable, transaction

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
UTC = dt.timezone.utc


def _create_v1(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID")
    conn.execute(
        "CREATE TABLE rows (kind TEXT NOT NULL, scope TEXT NOT NULL, id TEXT NOT NULL, data BLOB NOT NULL,"
        " PRIMARY KEY (kind, scope, id)) WITHOUT ROWID"
    )
    conn.execute(
        "CREATE TABLE synced (kind TEXT NOT NULL, scope TEXT NOT NULL, synced_at TEXT NOT NULL,"
        " server_time TEXT, PRIMARY KEY (kind, scope)) WITHOUT ROWID"
    )


def _v2_row_order(conn: sqlite3.Connection) -> None:
    """Rows keep the order the server gave (a stream: most urgent first), so a start can read the
    first screenful before the rest. A cache is a copy: the old rows go, a full sync refills them."""
    conn.execute("DROP TABLE rows")
    conn.execute("DELETE FROM synced")
    conn.execute(
        "CREATE TABLE rows (kind TEXT NOT NULL, scope TEXT NOT NULL, id TEXT NOT NULL, pos INTEGER NOT NULL DEFAULT 0,"
        " data BLOB NOT NULL, PRIMARY KEY (kind, scope, id)) WITHOUT ROWID"
    )
    conn.execute("CREATE INDEX rows_order ON rows (kind, scope, pos)")


def _v3_packed_rows(conn: sqlite3.Connection) -> None:
    """Rows compressed (as `_pack` did until stored rows went back to plain JSON), in a rowid table. In v2's WITHOUT ROWID table a row over about
    1 kB (most stream rows: 2 kB of JSON) spilled into an overflow page of its own, 4 kB for each
    row: 39 MB for 17 MB of JSON at 20,000 contacts. A rowid table keeps rows up to 4 kB in its
    pages. The old rows go, a full sync refills them."""
    conn.execute("DROP TABLE rows")
    conn.execute("DELETE FROM synced")
    conn.execute(
        "CREATE TABLE rows (kind TEXT NOT NULL, scope TEXT NOT NULL, id TEXT NOT NULL, pos INTEGER NOT NULL DEFAULT 0,"
        " data BLOB NOT NULL, PRIMARY KEY (kind, scope, id))"
    )
    conn.execute("CREATE INDEX rows_order ON rows (kind, scope, pos)")


def _v4_shared_parts(conn: sqlite3.Connection) -> None:
    """A row may hold its shared part by reference (`ref`: see `SHARED`). Rows stored before hold
    theirs in full (ref ''), and are read as they are."""
    conn.execute("ALTER TABLE rows ADD COLUMN ref TEXT NOT NULL DEFAULT ''")


MIGRATIONS = [_create_v1, _v2_row_order, _v3_packed_rows, _v4_shared_parts]
"""Schema versions of the cache. A cache is only a copy: a new version may drop and recreate."""


@dataclass(frozen=True)
class SyncRecord:
    synced_at: dt.datetime
    """When the collection was last fetched, by the client's clock."""
    server_time: dt.datetime | None
    """The server's clock when that fetch started: where an incremental refresh starts from."""


def identity(base_url: str, user_id: str) -> str:
    """Which account a cache belongs to, without keeping the user id or address in clear."""
    return hashlib.sha256(f"{base_url.rstrip('/')}\n{user_id}".encode()).hexdigest()[:32]


def _iso(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat()


def _moment(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _pack(item: BaseModel, exclude: set[str] | None = None) -> bytes:
    """One stored row of a keyed collection: the model's JSON, as it is.

    Rows were zlib-compressed (schema v3, level 1: a stream row's 1.5 kB of JSON in 0.8 kB), but
    inflating each row is a C call per row: 60-100 ms of a warm start's reading of 8,174 stream
    rows, a tenth of the start, for a file of 12 MB instead of 21 MB at 20,000 contacts (a rowid
    table keeps rows up to 4 kB in its own pages: no overflow page per row). Rows stored compressed
    are still read (`_unpack`), and a crmtui that stored them reads these. Whole lists
    (`put_list`: one row each) stay compressed: one call inflates a whole list.
    """
    return item.model_dump_json(exclude=exclude).encode()


SHARED = "company"
"""A field of a keyed collection's rows whose value many rows hold a copy of (the stream's contacts of
one company: 8,174 rows, 4,709 companies at 20,000 contacts; a third of a row's JSON). It is stored
once per collection (kind `<kind>/company`, id: its own), each row naming it (`ref`), and the rows
read back share one copy: a warm start decodes ~30% less, and holds one copy of each company."""


def _shared_kind(kind: str) -> str:
    return f"{kind}/{SHARED}"


def _shared_part(item: BaseModel) -> tuple[BaseModel, str] | None:
    """The row's shared part and its id, when it has one with an id (else the row is stored whole)."""
    if SHARED not in type(item).model_fields:
        return None
    part = getattr(item, SHARED)
    ref = getattr(part, "id", None)
    return (part, ref) if isinstance(part, BaseModel) and isinstance(ref, str) and ref else None


def _row(item: BaseModel) -> tuple[bytes, str, BaseModel | None]:
    """One item as its stored row: its data, and the ref and shared part it names ('' and None: none)."""
    found = _shared_part(item)
    if found is None:
        return _pack(item), "", None
    part, ref = found
    return _pack(item, {SHARED}), ref, part


def _packed(
    kind: str, scope: str, items: Iterable[tuple[str, BaseModel]], parts: dict[str, BaseModel]
) -> Iterator[tuple[str, str, str, int, bytes, str]]:
    """The rows of a whole collection to insert (kind, scope, key, position, data, ref), made one at a
    time as they are written (not all held at once beside the models: the JSON of 8,000 stream rows
    is 12 MB); the shared parts they name are collected in `parts` (ref -> part), for `_parts`."""
    pos = 0
    for key, item in items:
        if not key:
            continue
        data, ref, part = _row(item)
        if part is not None:
            parts.setdefault(ref, part)
        yield kind, scope, key, pos, data, ref
        pos += 1


def _parts(kind: str, scope: str, parts: dict[str, BaseModel]) -> Iterator[tuple[str, str, str, bytes]]:
    """The shared parts collected by `_packed`, to insert (kind, scope, ref, data)."""
    for ref, part in parts.items():
        yield _shared_kind(kind), scope, ref, _pack(part)


def _split(items: Iterable[tuple[str, BaseModel]]) -> tuple[list[tuple[str, bytes, str]], dict[str, bytes]]:
    """Rows to store (key, data, ref) and the shared parts they name (ref -> data)."""
    rows: list[tuple[str, bytes, str]] = []
    shared: dict[str, bytes] = {}
    for key, item in items:
        if not key:
            continue
        data, ref, part = _row(item)
        if part is not None and ref not in shared:
            shared[ref] = _pack(part)
        rows.append((key, data, ref))
    return rows, shared


def _unpack(data: bytes) -> bytes:
    """A stored row's JSON (a row of plain JSON, as a hand-made file may hold, is taken as it is)."""
    raw = bytes(data)
    if raw[:1] in (b"{", b"["):
        return raw
    try:
        return zlib.decompress(raw)
    except zlib.error:
        return b"null"  # unreadable: fails validation, as any damaged row does


_adapters: dict[type, TypeAdapter[Any]] = {}

DECODE_BATCH = 500
"""Rows of a collection decoded at once (`Cache.get_rows`)."""


def _shared_adapter(model: type[BaseModel]) -> TypeAdapter[list[Any]]:
    """Reads a list of `model`'s shared parts (the field's own type: `Company | None`)."""
    annotation = model.model_fields[SHARED].annotation
    adapter = _adapters.get(annotation)  # type: ignore[arg-type]  # a type as a key
    if adapter is None:
        adapter = _adapters[annotation] = TypeAdapter(list[annotation])  # type: ignore[index, valid-type]
    return adapter


def _list_adapter(model: type[M]) -> TypeAdapter[list[M]]:
    adapter = _adapters.get(model)
    if adapter is None:
        adapter = _adapters[model] = TypeAdapter(list[model])  # type: ignore[valid-type]  # a class in a variable
    return adapter


class Cache:
    """One profile's cache file. Methods are synchronous; call them through `Database.run`."""

    def __init__(self, path: Path | None, *, owner: str) -> None:
        # Wrong tables: rebuilt, as a damaged file is. SQLite's quick check reads the whole file: it
        # is left to `check`, once a start has drawn what it reads (a few pages of it).
        self.db = Database(path, MIGRATIONS, checked=True, check_later=True)
        self.owner = owner
        self.notice: str | None = None
        """A message for the user about the cache itself (rebuilt after damage), once."""
        self.needs_full_sync = False
        """True after the cache was emptied (new schema, other account, rebuilt): refresh everything."""

    @property
    def path(self) -> Path | None:
        return self.db.path

    def open(self) -> Cache:
        """Open the file, rebuilding a damaged one and emptying one of another account or schema."""
        self.db.open()
        if self.db.rebuilt:
            self._rebuilt()
        if self.db.migrated_from is not None:
            self.needs_full_sync = True
        try:
            owner = self.db.call(lambda c: _get_meta(c, "owner"))
        except sqlite3.Error as exc:  # the schema was checked: whatever this is, start without a cache
            self.db.close()
            raise StoreUnavailable(f"{self.path}: {exc}") from exc
        if owner != self.owner:
            if owner is not None:
                self.needs_full_sync = True
            self.db.call(lambda c: transaction(c, self._reset))
        return self

    def check(self) -> bool:
        """SQLite's quick check of the file, which `open` leaves out (it reads all of it: 14 ms at
        20,000 contacts with the file in memory, 300 ms from disk, before a start's first rows). A
        damaged file is set aside and replaced by an empty one, as `open` does (`notice` says so, a
        full sync follows); True then."""
        if not self.db.check():
            return False
        self._rebuilt()
        self.db.call(lambda c: transaction(c, self._reset))
        return True

    def _rebuilt(self) -> None:
        """The file was damaged and replaced by an empty one: said once, and everything read again."""
        self.notice = f"The local cache was damaged and has been rebuilt: {self.db.rebuilt}"
        self.needs_full_sync = True

    def _reset(self, conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM rows")
        conn.execute("DELETE FROM synced")
        conn.execute("DELETE FROM meta")
        conn.execute("INSERT INTO meta (key, value) VALUES ('owner', ?)", (self.owner,))

    def clear(self) -> None:
        """Forget everything (a full resync on demand starts from nothing)."""
        self.db.call(lambda c: transaction(c, self._reset))

    def close(self) -> None:
        self.db.close()

    async def run(self, fn: Callable[[], T]) -> T:
        """Run `fn()` (a method of this cache, or a lambda using them) off the event loop."""
        return await self.db.run(lambda _conn: fn())

    # -- sync records --------------------------------------------------------------------------------
    def synced(self, kind: str, scope: str = "") -> SyncRecord | None:
        row = self.db.call(
            lambda c: c.execute("SELECT synced_at, server_time FROM synced WHERE kind=? AND scope=?", (kind, scope)).fetchone()
        )
        if row is None:
            return None
        synced_at = _moment(row[0])
        return SyncRecord(synced_at, _moment(row[1])) if synced_at else None

    @staticmethod
    def _mark(conn: sqlite3.Connection, kind: str, scope: str, synced_at: dt.datetime, server_time: dt.datetime | None) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO synced (kind, scope, synced_at, server_time) VALUES (?, ?, ?, ?)",
            (kind, scope, _iso(synced_at), _iso(server_time)),
        )

    def last_synced(self) -> dt.datetime | None:
        """The latest fetch of anything: how fresh the cache is as a whole."""
        row = self.db.call(lambda c: c.execute("SELECT max(synced_at) FROM synced").fetchone())
        return _moment(row[0]) if row else None

    # -- whole lists ---------------------------------------------------------------------------------
    def put_list(
        self, kind: str, scope: str, items: Sequence[BaseModel], *, synced_at: dt.datetime,
        server_time: dt.datetime | None = None,
    ) -> None:
        data = zlib.compress(b"[" + b",".join(item.model_dump_json().encode() for item in items) + b"]", 1)

        def write(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT OR REPLACE INTO rows (kind, scope, id, pos, data) VALUES (?, ?, '', 0, ?)", (kind, scope, data))
            self._mark(conn, kind, scope, synced_at, server_time)

        self.db.call(lambda c: transaction(c, write))

    def get_list(self, kind: str, model: type[M], scope: str = "") -> list[M] | None:
        """The stored list, or None when never stored (or unreadable: then it is dropped)."""
        row = self.db.call(
            lambda c: c.execute("SELECT data FROM rows WHERE kind=? AND scope=? AND id=''", (kind, scope)).fetchone()
        )
        if row is None:
            return None
        try:
            return _list_adapter(model).validate_json(_unpack(row[0]))
        except ValidationError:
            self.drop(kind, scope)
            return None

    # -- one item --------------------------------------------------------------------------------------
    def put_one(self, kind: str, scope: str, item: BaseModel, *, synced_at: dt.datetime,
                server_time: dt.datetime | None = None) -> None:
        self.put_list(kind, scope, [item], synced_at=synced_at, server_time=server_time)

    def get_one(self, kind: str, model: type[M], scope: str = "") -> M | None:
        items = self.get_list(kind, model, scope)
        return items[0] if items else None

    # -- keyed collections -----------------------------------------------------------------------------
    def put_rows(
        self, kind: str, scope: str, items: Mapping[str, BaseModel], *, synced_at: dt.datetime,
        server_time: dt.datetime | None = None,
    ) -> None:
        """Replace the whole collection (kept in the order of `items`)."""

        def write(conn: sqlite3.Connection) -> None:
            parts: dict[str, BaseModel] = {}
            conn.execute("DELETE FROM rows WHERE kind IN (?, ?) AND scope=?", (kind, _shared_kind(kind), scope))
            conn.executemany(
                "INSERT OR REPLACE INTO rows (kind, scope, id, pos, data, ref) VALUES (?, ?, ?, ?, ?, ?)",
                _packed(kind, scope, items.items(), parts),
            )
            conn.executemany("INSERT OR REPLACE INTO rows (kind, scope, id, pos, data) VALUES (?, ?, ?, 0, ?)", _parts(kind, scope, parts))
            self._mark(conn, kind, scope, synced_at, server_time)

        self.db.call(lambda c: transaction(c, write))

    def merge_rows(
        self, kind: str, scope: str, upserts: Mapping[str, BaseModel], removals: Iterable[str] = (), *,
        synced_at: dt.datetime | None = None, server_time: dt.datetime | None = None,
    ) -> None:
        """Change part of a collection; with `synced_at`, it also counts as a (incremental) sync.

        A changed row keeps its place; a new one goes first (a change is usually what matters now).
        """
        payload, shared = _split(upserts.items())
        parts = [(_shared_kind(kind), scope, ref, data) for ref, data in shared.items()]
        gone = [(kind, scope, key) for key in removals if key not in upserts]

        def write(conn: sqlite3.Connection) -> None:
            if conn.execute("SELECT 1 FROM synced WHERE kind=? AND scope=?", (kind, scope)).fetchone() is None:
                if synced_at is None:
                    return  # never fully fetched: a piece alone would pass for the whole
            first = conn.execute("SELECT min(pos) FROM rows WHERE kind=? AND scope=?", (kind, scope)).fetchone()[0] or 0
            for key, data, ref in payload:
                updated = conn.execute(
                    "UPDATE rows SET data=?, ref=? WHERE kind=? AND scope=? AND id=?", (data, ref, kind, scope, key)
                ).rowcount
                if not updated:
                    first -= 1
                    conn.execute(
                        "INSERT INTO rows (kind, scope, id, pos, data, ref) VALUES (?, ?, ?, ?, ?, ?)",
                        (kind, scope, key, first, data, ref),
                    )
            # The latest copy of a shared part is every row's that names it (a company is one company).
            conn.executemany("INSERT OR REPLACE INTO rows (kind, scope, id, pos, data) VALUES (?, ?, ?, 0, ?)", parts)
            conn.executemany("DELETE FROM rows WHERE kind=? AND scope=? AND id=?", gone)
            if synced_at is not None:
                self._mark(conn, kind, scope, synced_at, server_time)

        self.db.call(lambda c: transaction(c, write))

    def get_rows(self, kind: str, model: type[M], scope: str = "", *, limit: int | None = None) -> list[M] | None:
        """The collection in its stored order (the first `limit` only, when given); None when never fetched whole."""
        query = "SELECT data, ref FROM rows WHERE kind=? AND scope=? AND id!='' ORDER BY pos"
        params: tuple[str | int, ...] = (kind, scope)
        if limit is not None:
            query += " LIMIT ?"
            params = (kind, scope, limit)
        adapter = _list_adapter(model)

        def read(conn: sqlite3.Connection) -> tuple[list[M], list[str]] | None:
            if conn.execute("SELECT 1 FROM synced WHERE kind=? AND scope=?", (kind, scope)).fetchone() is None:
                return None
            found: list[M] = []
            refs: list[str] = []
            rows = conn.execute(query, params)
            try:
                # A batch at a time, fetched and decoded: the JSON of one batch in memory beside the
                # models, not the whole collection's (12 MB at 8,000 stream rows, at the peak).
                while batch := rows.fetchmany(DECODE_BATCH):
                    found += adapter.validate_json(b"[" + b",".join([_unpack(data) for data, _ref in batch]) + b"]")
                    refs += [ref for _data, ref in batch]
            except ValidationError:
                found.clear()  # the error's frames hold this list while the rows are salvaged
                raise
            finally:
                rows.close()
            return found, refs

        try:
            read_back = self.db.call(read)
        except ValidationError:
            return self._salvage(kind, scope, model, self.db.call(lambda c: c.execute(query, params).fetchall()))
        if read_back is None:
            return None
        found, refs = read_back
        if not self._attach(kind, scope, model, found, refs):
            self.drop(kind, scope)  # a row's shared part is missing or bad: shown without it, a full sync next
        return found

    def _shared(self, kind: str, scope: str, model: type[BaseModel], refs: set[str]) -> dict[str, Any]:
        """The shared parts named `refs` (those that are stored and readable), each read once."""
        if not refs:
            return {}
        shared_kind = _shared_kind(kind)

        def read(conn: sqlite3.Connection) -> list[tuple[str, bytes]]:
            if len(refs) > DECODE_BATCH:  # most of the collection's: all of them in one pass
                found = conn.execute("SELECT id, data FROM rows WHERE kind=? AND scope=?", (shared_kind, scope)).fetchall()
                return [(ref, data) for ref, data in found if ref in refs]
            marks = ",".join("?" * len(refs))
            query = f"SELECT id, data FROM rows WHERE kind=? AND scope=? AND id IN ({marks})"
            return conn.execute(query, (shared_kind, scope, *refs)).fetchall()

        stored = self.db.call(read)
        adapter = _shared_adapter(model)
        parts: dict[str, Any] = {}
        try:
            for at in range(0, len(stored), DECODE_BATCH):
                batch = stored[at:at + DECODE_BATCH]
                values = adapter.validate_json(b"[" + b",".join([_unpack(data) for _ref, data in batch]) + b"]")
                parts.update(zip([ref for ref, _data in batch], values))
        except ValidationError:
            for ref, data in stored:  # one by one: the bad ones left out
                try:
                    parts[ref] = adapter.validate_json(b"[" + _unpack(data) + b"]")[0]
                except ValidationError:
                    continue
        return parts

    def _attach(self, kind: str, scope: str, model: type[BaseModel], items: Sequence[BaseModel], refs: Sequence[str]) -> bool:
        """Give each row the shared part its `ref` names (one copy for all its rows); False when one is missing."""
        wanted = {ref for ref in refs if ref}
        if not wanted:
            return True
        parts = self._shared(kind, scope, model, wanted)
        for item, ref in zip(items, refs):
            if ref:
                vars(item)[SHARED] = parts.get(ref)  # as validation sets a field (no copy, nothing checked again)
        return all(parts.get(ref) is not None for ref in wanted)  # an unreadable one reads as null

    def _salvage(self, kind: str, scope: str, model: type[M], rows: list[tuple[bytes, str]]) -> list[M] | None:
        """Rows one by one when the batch failed: bad rows are dropped and the collection marked stale."""
        good: list[M] = []
        refs: list[str] = []
        for raw, ref in rows:
            try:
                good.append(model.model_validate_json(_unpack(raw)))
                refs.append(ref)
            except ValidationError:
                continue
        self._attach(kind, scope, model, good, refs)
        self.drop(kind, scope)  # partial: the next start does a full sync of it
        return good

    def get_row(self, kind: str, model: type[M], key: str, scope: str = "") -> M | None:
        row = self.db.call(
            lambda c: c.execute("SELECT data, ref FROM rows WHERE kind=? AND scope=? AND id=?", (kind, scope, key)).fetchone()
        )
        if row is None:
            return None
        try:
            item = model.model_validate_json(_unpack(row[0]))
        except ValidationError:
            return None
        return item if self._attach(kind, scope, model, [item], [row[1]]) else None

    def drop(self, kind: str, scope: str | None = None) -> None:
        """Forget a collection (every scope of `kind` when scope is None)."""

        def write(conn: sqlite3.Connection) -> None:
            if scope is None:
                conn.execute("DELETE FROM rows WHERE kind IN (?, ?)", (kind, _shared_kind(kind)))
                conn.execute("DELETE FROM synced WHERE kind=?", (kind,))
            else:
                conn.execute("DELETE FROM rows WHERE kind IN (?, ?) AND scope=?", (kind, _shared_kind(kind), scope))
                conn.execute("DELETE FROM synced WHERE kind=? AND scope=?", (kind, scope))

        self.db.call(lambda c: transaction(c, write))

    # -- small values ------------------------------------------------------------------------------------
    def get_meta(self, key: str) -> Any:
        raw = self.db.call(lambda c: _get_meta(c, key))
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return None

    def set_meta(self, key: str, value: Any) -> None:
        text = json.dumps(value)
        self.db.call(lambda c: c.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, text)))


def _get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
    return row[0] if row else None

"""The Pipedrive sandbox's state: wire-shaped documents per table, a clock tests can move, a lock.

Documents are kept in Pipedrive's JSON shape; keys starting with "_" are sandbox bookkeeping (a
user's token, a filter's conditions on the list) and never leave the server. Every write goes
through `write()`, which holds the lock and wraps the SQLite write-through in one transaction.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from crmtui.sandbox.onepagecrm.persist import Store

UTC = dt.timezone.utc
KINDS = (
    "users", "persons", "organizations", "leads", "lead_labels", "filters", "lead_fields", "files", "goals", "events", "teams",
    "activities",
)
SCHEMA_VERSION = 3
"""3: activities (a file of version 2 has none: seeded afresh)."""
BACKEND = "pipedrive"
"""Kept in the file's meta table, so a file of the OnePageCRM sandbox is refused, not mixed."""


class ApiError(Exception):
    """An error answer in Pipedrive's envelope: {success: false, error, error_info, data: null, additional_data: null}."""

    def __init__(self, status: int, error: str, error_info: str = "", **extra: object) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.error_info = error_info
        self.extra = extra

    def body(self) -> dict:
        return {
            "success": False, "error": self.error, **self.extra, "error_info": self.error_info,
            "data": None, "additional_data": None,
        }


def invalid(info: str) -> ApiError:
    """A Joi-style validation error, as the real API answers a bad body or parameter."""
    return ApiError(400, "provided dataset is not valid", info)


def not_found(what: str) -> ApiError:
    return ApiError(404, f"requested {what} not found", "Object was not found.")


class Clock:
    """The sandbox's clock: real time shifted by an offset (`--today`), or frozen; tests move it."""

    FROZEN_TIME = dt.time(9, 0)
    """A frozen clock on a given day stands at this time of day: what it counts up to (goal results,
    the day's budget) must not depend on when the tests run."""

    def __init__(self, today: dt.date | None = None, *, frozen: bool = False) -> None:
        real = dt.datetime.now(UTC)
        start = real if today is None else dt.datetime.combine(today, real.time().replace(tzinfo=None), tzinfo=UTC)
        self._offset = start - real
        if frozen and today is not None:
            start = dt.datetime.combine(today, self.FROZEN_TIME, tzinfo=UTC)
        self._frozen_at: dt.datetime | None = start if frozen else None
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        with self._lock:
            if self._frozen_at is not None:
                return self._frozen_at
            return dt.datetime.now(UTC) + self._offset

    def seconds(self) -> float:
        """Now as a POSIX timestamp (what the rate limits count with)."""
        return self.now().timestamp()

    def advance(self, seconds: float) -> None:
        with self._lock:
            step = dt.timedelta(seconds=seconds)
            if self._frozen_at is not None:
                self._frozen_at += step
            else:
                self._offset += step


def iso_ms(moment: dt.datetime) -> str:
    """Leads' and labels' timestamps: `2020-10-14T11:30:36.551Z`."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def plain(moment: dt.datetime) -> str:
    """Users', filters' and persons' timestamps: `2019-01-22 08:55:59` (UTC, no zone)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def public(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if not k.startswith("_")}


def is_admin(user: dict) -> bool:
    return any(grant.get("app") == "sales" and grant.get("admin") for grant in user.get("access") or [])


class PipedriveState:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self.lock = threading.RLock()
        self.tables: dict[str, dict[str, dict]] = {kind: {} for kind in KINDS}
        self.tokens: dict[str, dict] = {}
        self.base_url = ""
        """The API's base URL as served (files' `url`), set once the server listens."""
        self.max_file_bytes = 1024 * 1024
        self.download_host: str | None = None
        """With --redirect-downloads: the file host's base URL; downloads answer 302 to a ticket there."""
        self.tickets: dict[str, tuple[str, float]] = {}
        """Download tickets on the file host: key -> (file id, expiry on the sandbox clock); memory only."""

    @classmethod
    def open(cls, path: Path | None, clock: Clock) -> PipedriveState:
        return cls(Store(path, KINDS), clock)

    def is_seeded(self) -> bool:
        return self.store.get_meta("schema_version") == SCHEMA_VERSION and self.store.get_meta("seeded") is True

    def foreign(self) -> bool:
        """The file holds another sandbox's data (OnePageCRM's): never read, seeded over or mixed."""
        return self.store.get_meta("schema_version") is not None and self.store.get_meta("backend") != BACKEND

    def seed(self, tables: dict[str, dict[str, dict]]) -> None:
        self.store.wipe()
        with self.store.transaction():
            for kind, docs in tables.items():
                self.store.put_many(kind, docs.values())
            self.store.set_meta("schema_version", SCHEMA_VERSION)
            self.store.set_meta("backend", BACKEND)
            self.store.set_meta("seeded", True)
        self.load(tables)

    def load(self, tables: dict[str, dict[str, dict]] | None = None) -> None:
        with self.lock:
            source = tables if tables is not None else {kind: self.store.load(kind) for kind in KINDS}
            self.tables = {kind: dict(source.get(kind, {})) for kind in KINDS}
            self.tokens = {u["_api_token"]: u for u in self.tables["users"].values()}

    # -- records ----------------------------------------------------------------------------------

    def now_ms(self) -> str:
        return iso_ms(self.clock.now())

    @staticmethod
    def new_uuid() -> str:
        return str(uuid.uuid4())

    def next_int_id(self, kind: str) -> str:
        return str(max((int(k) for k in self.tables[kind]), default=0) + 1)

    def save(self, kind: str, doc: dict) -> dict:
        self.tables[kind][str(doc["id"])] = doc
        self.store.put(kind, doc)  # an integer id lands as text in the id column, the key it is loaded by
        return doc

    def remove(self, kind: str, doc_id: str) -> None:
        self.tables[kind].pop(doc_id, None)
        self.store.delete(kind, doc_id)

    def users(self) -> list[dict]:
        return sorted(self.tables["users"].values(), key=lambda u: u["id"])

    @contextmanager
    def write(self) -> Iterator[PipedriveState]:
        """Hold the lock for one write request; all of it reaches SQLite or none of it does."""
        with self.lock:
            self.store.begin()
            try:
                yield self
            except ApiError:
                self.store.rollback()  # routes validate before they change anything
                raise
            except BaseException:
                self.store.rollback()
                self.load()
                raise
            else:
                self.store.commit()

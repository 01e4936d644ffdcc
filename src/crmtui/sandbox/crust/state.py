"""The Crust sandbox's state: documents per table, Sonyflake-like ids, a clock tests can move, a lock.

Documents are the sandbox's own rows (close to the real server's MySQL tables), not the wire shape:
routes.py renders them. A record (`contents`) keeps what the real server keeps apart:

- `columns`: the `crm_content_column` rows, name -> value; an edit upserts the columns it sends and
  leaves the others, so reads still show fields an edit did not send;
- `json`: the `json` copy of the fields last sent (sorting reads it), exactly as sent;
- `links`: the `crm_content_links` rows, name -> related ids; an edit drops those of fields it did not send;
- `userID` and `createdAt`, which an edit zeroes (`"0"`, the zero time), as the real REPLACE does.

Every write goes through `write()`, which holds the lock and wraps the SQLite write-through in one
transaction.
"""

from __future__ import annotations

import datetime as dt
import threading

from crmtui.sandbox.common import Clock, SeededState
from crmtui.sandbox.onepagecrm.persist import Store

UTC = dt.timezone.utc
KINDS = ("users", "modules", "contents", "pages", "workflows", "jobs")
SCHEMA_VERSION = 2
"""2: workflows and jobs, the list pages (a file of version 1 is seeded afresh)."""
BACKEND = "crust"
"""Kept in the file's meta table, so another sandbox's file is refused, not mixed."""

SONYFLAKE_EPOCH = dt.datetime(2014, 9, 1, tzinfo=UTC)
"""Sonyflake's default start time: ids count 10 ms units from it."""
MACHINE_ID = 0x2A17
ZERO_TIME = "0001-01-01T00:00:00Z"
"""Go's zero time.Time as JSON: what `createdAt` reads after an edit (the REPLACE zeroes it)."""

__all__ = ["Clock", "CrustError", "CrustState", "ZERO_TIME", "go_time", "db_time"]


class CrustError(Exception):
    """An error answer: HTTP 200 with {"error": {"message": ...}}, worded as the real server words it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


NO_ROWS = "sql: no rows in result set"


def no_rows() -> CrustError:
    return CrustError(NO_ROWS)


def go_time(moment: dt.datetime) -> str:
    """A time.Time as Go's JSON writes it (RFC 3339, nanoseconds with trailing zeros cut, Z for UTC):
    what the server answers for a moment it has just made (`createdAt` of a create, `updatedAt` of an edit)."""
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += "." + f"{moment.microsecond:06d}".rstrip("0")
    return text + "Z"


def db_time(stored: str | None) -> str | None:
    """A stored moment as read back from MySQL's DATETIME: whole seconds (rounded), UTC."""
    if stored is None:
        return None
    if stored == ZERO_TIME:
        return ZERO_TIME
    moment = dt.datetime.fromisoformat(stored.replace("Z", "+00:00")).astimezone(UTC)
    if moment.microsecond >= 500_000:
        moment += dt.timedelta(seconds=1)
    return moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


class Sonyflake:
    """Ids like the real server's (sony/sonyflake): 39 bits of 10 ms since 2014-09-01, 8 bits of sequence,
    16 bits of machine id. Time-ordered, and far above 2**53, so a float would round them visibly."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._elapsed = 0
        self._sequence = 0

    @staticmethod
    def at(moment: dt.datetime, sequence: int = 0) -> int:
        elapsed = int((moment - SONYFLAKE_EPOCH).total_seconds() * 100)
        return (elapsed << 24) | ((sequence & 0xFF) << 16) | MACHINE_ID

    @staticmethod
    def moment(flake: int) -> dt.datetime:
        return SONYFLAKE_EPOCH + dt.timedelta(milliseconds=(flake >> 24) * 10)

    def after(self, flake: int) -> None:
        """Never hand out an id at or below `flake` (one loaded from the file, or seeded)."""
        with self._lock:
            elapsed, sequence = flake >> 24, (flake >> 16) & 0xFF
            if (elapsed, sequence) > (self._elapsed, self._sequence):
                self._elapsed, self._sequence = elapsed, sequence

    def next(self) -> str:
        with self._lock:
            now = int((self.clock.now() - SONYFLAKE_EPOCH).total_seconds() * 100)
            if now > self._elapsed:
                self._elapsed, self._sequence = now, 0
            else:  # the same 10 ms (or a frozen clock): the next sequence number, then the next unit
                self._sequence += 1
                if self._sequence > 0xFF:
                    self._elapsed, self._sequence = self._elapsed + 1, 0
            return str((self._elapsed << 24) | (self._sequence << 16) | MACHINE_ID)


class CrustState(SeededState):
    KINDS = KINDS
    BACKEND = BACKEND
    SCHEMA_VERSION = SCHEMA_VERSION
    ERROR = CrustError
    KEEP_ON_ERROR = True
    """The real server answers some errors after writing (a CrustError after a change keeps the change)."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.ids = Sonyflake(clock)
        self.secret = b""
        """The HS256 key tokens are signed with (kept in the file, so a printed token outlives a restart)."""
        super().__init__(store, clock)

    def loaded(self) -> None:
        self.secret = str(self.store.get_meta("jwt_secret") or "").encode()
        for kind in self.KINDS:
            for key in self.tables[kind]:
                self.ids.after(int(key))

    # -- rows -------------------------------------------------------------------------------------

    def now(self) -> dt.datetime:
        return self.clock.now()

    def users(self) -> list[dict]:
        return sorted(self.tables["users"].values(), key=lambda u: int(u["id"]))

    def modules(self) -> list[dict]:
        """`SELECT * FROM crm_module ORDER BY id ASC`."""
        return sorted(self.tables["modules"].values(), key=lambda m: int(m["id"]))

    def module(self, module_id: int) -> dict:
        found = self.tables["modules"].get(str(module_id))
        if found is None:
            raise no_rows()
        return found

    def record_page(self, module_id: int) -> dict:
        """`SELECT * FROM crm_page WHERE module_id=?`: the module's record page, or no rows."""
        for page in sorted(self.tables["pages"].values(), key=lambda p: int(p["id"])):
            if module_id and page["moduleID"] == str(module_id):
                return page
        raise no_rows()

    def content(self, content_id: int) -> dict:
        """`SELECT * FROM crm_content WHERE id=? and deleted_at IS NULL` (whatever the module)."""
        found = self.tables["contents"].get(str(content_id))
        if found is None or found.get("deletedAt"):
            raise no_rows()
        return found

    def user(self, user_id: str) -> dict:
        found = self.tables["users"].get(user_id)
        if found is None:
            raise no_rows()
        return found


FIELD_KINDS = [
    ("bool", "Boolean value (yes / no)"), ("email", "E-mail input"), ("enum", "Single option picker"), ("hidden", "Hidden value"),
    ("stamp", "Date/time input"), ("text", "Text input"), ("textarea", "Text input (multi-line)"), ("related", "Related content"),
    ("related_multi", "Related content (multiple)"),
]
"""The server's `crm_field` table (type, name): what `GET /field/` lists, ordered by name."""

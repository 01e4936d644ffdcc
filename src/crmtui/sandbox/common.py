"""What the sandboxes share besides their HTTP plumbing (crmtui.sandbox.http_server): the clock tests
move, the chaos dice, the SQLite-backed tables of a seeded state, and the command line's value types.

Sandbox code only: an import-linter contract keeps every sandbox apart from the client it imitates.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Self

from crmtui.sandbox.onepagecrm.persist import Store

UTC = dt.timezone.utc


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


@dataclass
class SandboxOptionsBase:
    """The options every sandbox takes (the shared command-line options of crmtui.sandbox.onepagecrm.cli)."""

    host: str = "127.0.0.1"
    port: int = 0
    data: Path | None = None
    """The SQLite file the data is kept in; None: in memory."""
    seed: int = 42
    today: dt.date | None = None
    latency_ms: float = 0.0
    """Every answer (and every chaos failure) takes this long."""
    fail_rate: float = 0.0
    """Share of requests answered with a server's or proxy's 5xx, not handled."""
    drop_rate: float = 0.0
    """Share of connections closed without an answer, not handled."""
    lose_rate: float = 0.0
    """Share of requests handled (writes applied) whose answer is then lost (the connection dropped)."""
    reset: bool = False
    """Throw away the data in `data` and seed again."""


Fate = str | Callable[[random.Random], str]


class Chaos:
    """A request's fate, decided before it is handled from the sandbox's own seeded generator (so a
    run with the same seed fails the same requests, and a write is never applied and then reported
    failed). Each sandbox names its fates and the order they are tried in."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.lock = threading.Lock()

    def decide(self, *odds: tuple[float, Fate]) -> str | None:
        """The first fate whose share comes up (a share of 0 draws nothing), or None: handled as asked.
        A callable fate picks its variant (a status code, a message) with the same generator."""
        with self.lock:
            for share, fate in odds:
                if share > 0 and self.rng.random() < share:
                    return fate if isinstance(fate, str) else fate(self.rng)
        return None


class ForeignDataError(ValueError):
    """The --data file belongs to another sandbox."""


class SeededState:
    """A sandbox's documents per table, written through to SQLite (`Store`), behind one lock.

    Subclasses name their tables (`KINDS`), their backend and schema version (kept in the file's meta
    table, so another sandbox's file is refused, not mixed), the error their routes raise
    (`ERROR`) and whether such an error keeps what was written before it (`KEEP_ON_ERROR`)."""

    KINDS: ClassVar[tuple[str, ...]] = ()
    BACKEND: ClassVar[str] = ""
    SCHEMA_VERSION: ClassVar[int] = 1
    ERROR: ClassVar[type[Exception]] = Exception
    KEEP_ON_ERROR: ClassVar[bool] = False
    """False: routes validate before they change anything, so an ERROR rolls the transaction back;
    True: the real server answers some errors after writing, and the write stays."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self.lock = threading.RLock()
        self.tables: dict[str, dict[str, dict]] = {kind: {} for kind in self.KINDS}

    @classmethod
    def open(cls, path: Path | None, clock: Clock) -> Self:
        return cls(Store(path, cls.KINDS), clock)

    def is_seeded(self) -> bool:
        return self.store.get_meta("schema_version") == self.SCHEMA_VERSION and self.store.get_meta("seeded") is True

    def foreign(self) -> bool:
        """The file holds another sandbox's data: never read, seeded over or mixed."""
        return self.store.get_meta("schema_version") is not None and self.store.get_meta("backend") != self.BACKEND

    def seed(self, tables: dict[str, dict[str, dict]], meta: Mapping[str, Any] | None = None) -> None:
        """Replace the file's data with freshly seeded tables (and the sandbox's own `meta` values)."""
        self.store.wipe()
        with self.store.transaction():
            for kind, docs in tables.items():
                self.store.put_many(kind, docs.values())
            self.store.set_meta("schema_version", self.SCHEMA_VERSION)
            self.store.set_meta("backend", self.BACKEND)
            for key, value in (meta or {}).items():
                self.store.set_meta(key, value)
            self.store.set_meta("seeded", True)
        self.load(tables)

    def load(self, tables: dict[str, dict[str, dict]] | None = None) -> None:
        """Take `tables` (just seeded) or what the file holds, then `loaded()` rebuilds what derives from them."""
        with self.lock:
            source = tables if tables is not None else {kind: self.store.load(kind) for kind in self.KINDS}
            self.tables = {kind: dict(source.get(kind, {})) for kind in self.KINDS}
            self.loaded()

    def loaded(self) -> None:
        """Rebuild the indexes of the tables just loaded (tokens, id counters)."""

    def save(self, kind: str, doc: dict) -> dict:
        self.tables[kind][str(doc["id"])] = doc
        self.store.put(kind, doc)  # an integer id lands as text in the id column, the key it is loaded by
        return doc

    def remove(self, kind: str, doc_id: str) -> None:
        self.tables[kind].pop(doc_id, None)
        self.store.delete(kind, doc_id)

    @contextmanager
    def write(self) -> Iterator[Self]:
        """Hold the lock for one write request; all of it reaches SQLite or none of it does."""
        with self.lock:
            self.store.begin()
            try:
                yield self
            except self.ERROR:
                if self.KEEP_ON_ERROR:
                    self.store.commit()
                else:
                    self.store.rollback()
                raise
            except BaseException:
                self.store.rollback()
                self.load()
                raise
            else:
                self.store.commit()


def open_seeded(state: SeededState, name: str, data: Path | None, reset: bool, seed: Callable[[], None]) -> None:
    """Load `state` from its file, or `seed()` it (a fresh file, in memory, or `reset`); a file of
    another sandbox is closed and refused."""
    if state.foreign():
        state.store.close()
        raise ForeignDataError(f"{data} holds another sandbox's data, not {name}'s; pick another --data file")
    if state.is_seeded() and not reset:
        state.load()
    else:
        seed()


def share(text: str) -> float:
    """A command-line share of requests: a number from 0 to 1."""
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


def iso_date(text: str) -> dt.date:
    """A command-line day: YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None

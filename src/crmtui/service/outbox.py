"""The outbox's sender: every change, durable first, then sent in order by one background task.

`Outbox.enqueue` writes the command to the outbox file and returns; only then does the view show
the change as made. The sender takes the oldest unsettled change and:

1. puts local ids it names (an action created offline) in terms of the server's ids; a change
   that names a record whose creation failed fails too, saying so;
2. if an earlier attempt may have reached the server (`sending`) and the command is not
   idempotent, asks the server whether the change is already there (`Command.reconcile`), so a
   create whose answer was lost is never made twice;
3. unless the person chose "mine wins", checks that the record was not changed on the server
   since it was read (`Command.conflict`); a clash waits for the person's choice;
4. marks it `sending` on disk, sends it, and marks it done with what the server made.

Throttling, 5xx, malformed answers and a dropped network keep the change and retry it with
exponential backoff (jittered, honouring Retry-After); the sender goes strictly in order, so a
later change never overtakes an earlier one. This is the one layer that repeats a change: each
attempt runs inside `one_try()`, so the client sends each of its requests once (no HTTP-level
retry of a write whose outcome is unknown, no client backoff to wait out before this one). A 4xx is final: the change is kept for review with
the server's reason. Wrong credentials pause the sender until the next start or a retry.

Views (the stream, the contact, the board, the inbox) listen to the events and overlay the
unsettled changes on what the server last said; see `Session`.

Several crmtui on one profile (two SSH sessions) share the file. One of them holds the claim (a lock
beside the file) and sends every change in it; each follows what the others write (`_follow_others`:
a `PRAGMA data_version` every POLL_SECONDS, the file read only when it changed) and hears their
changes as its own events: made there (QUEUED), sent there (SENT, with the server's answer the
sender stored), refused or discarded there. When the sender quits, the next to try takes the claim.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from crmtui.backends.base import Backend, one_try
from crmtui.backends.errors import (
    AuthError,
    BackendError,
    MalformedResponse,
    Offline,
    RateLimited,
    ServerError,
)
from crmtui.domain.subjects import is_subject
from crmtui.service.command_registry import command_from_dict
from crmtui.service.commands import Command
from crmtui.service.errors import CommandRefused
from crmtui.service.outbox_review import SetAsideReview, log_listener_failure
from crmtui.store.db import StoreUnavailable, damaged
from crmtui.store.outbox import UNSETTLED, Change, OutboxStore, SetAside, State

log = logging.getLogger(__name__)

CLOCK_MARGIN = dt.timedelta(seconds=60)
"""How far before an attempt a record it created may be stamped (the server's clock read from its
answers in whole seconds, a step of this machine's clock between that reading and the attempt)."""

ANOTHER_SENDER = "the other crmtui window on this profile sends it"
"""Said of a change waiting here while another crmtui on the profile is the one sending."""

POLL_SECONDS = 0.5
"""How often each crmtui on a profile looks whether another one wrote to the outbox file (a change
made, sent, discarded there) and, while another one sends, whether it may take over. Each look is
one `PRAGMA data_version`, which reads no table; the file is read only when it did change."""

SENT = "sent"
QUEUED = "queued"
RETRYING = "retrying"
FAILED = "failed"
CONFLICT = "conflict"
DISCARDED = "discarded"
PAUSED = "paused"


@dataclass
class OutboxEvent:
    """Something happened to a change: queued, sent, retrying, failed, conflict, discarded, paused."""

    kind: str
    change: Change
    command: Command
    error: BackendError | None = None


Listener = Callable[[OutboxEvent], None]


class DependencyFailed(BackendError):
    """The change names a record whose creation did not go through."""


LOCAL_ID = re.compile(r"local-[0-9a-f]{16}")
"""How `new_local_id` ids look: nothing a person types (a tag "local-leads") is taken for one."""


def _substitute(value: Any, ids: dict[str, str], missing: set[str], *, key: str = "") -> Any:
    """`value` with local ids replaced by the server's; local ids with no server id go in `missing`."""
    if isinstance(value, dict):
        return {k: _substitute(v, ids, missing, key=k) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, ids, missing, key=key) for v in value]
    if key != "local_id" and isinstance(value, str) and (value in ids or LOCAL_ID.fullmatch(value)):
        if value in ids:
            return ids[value]
        missing.add(value)
    return value


NOT_THIS_VERSION = "it was made by another version of crmtui and cannot be read here"


def _readable(change: Change) -> Command | None:
    """The change's command, or None when it cannot be read (kept for review, never sent).

    Damaged in the file (`change.problem` says how), or of a kind this version does not know.
    """
    if change.problem:
        return None
    try:
        return command_from_dict(change.command)
    except (ValueError, TypeError) as exc:
        log.warning("outbox change %s cannot be read: %s", change.id, exc)
        change.problem = NOT_THIS_VERSION
        return None


C = TypeVar("C", bound=Command)


class Outbox(SetAsideReview):
    """The durable queue of one session's changes and the task that sends them."""

    def __init__(
        self,
        backend: Backend,
        store: OutboxStore | None = None,
        *,
        base_delay: float = 1.0,
        max_delay: float = 300.0,
        rng: random.Random | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.backend = backend
        self.listener_failed: Callable[[Exception], None] = log_listener_failure
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        """When a change is made, by the app's clock (shown in the pending-changes list)."""
        self.store = store or OutboxStore(None)
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._rng = rng or random.Random()
        self._unsettled: list[tuple[Change, Command]] = []
        self._review: list[tuple[Change, Command | None]] = []
        self._ids: dict[str, str] = {}
        self._with_ids: dict[int, tuple[Command, int, Command]] = {}
        """with_server_ids' answers: id(command) -> (command, len(self._ids) then, answer)."""
        self._listeners: list[Listener] = []
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self._follower: asyncio.Task[None] | None = None
        self._opened = False
        self._opening: asyncio.Future[None] | None = None
        self._gate = asyncio.Lock()
        """Held from picking a change to marking it `sending`, and by cancel/discard: a change taken
        back is never sent, a change on its way is never taken back."""
        self.paused = False
        self.pause_reason = ""
        self.held = ""
        """Why nothing may be sent at all this run (offline mode); `resume` does not lift it."""
        self.claimed = True
        """Whether this process is the one sending this outbox (another crmtui on the profile may be)."""
        self._known: set[int] = set()
        """Every change this process has had in its lists (so a late read of the file never brings
        back one that was settled here meanwhile)."""
        self._sync_lock = asyncio.Lock()
        """Held from writing a change to the file to putting it in the lists, and while the lists
        are brought up to date with the file: the two never see each other half done."""
        self._version: int | None = None
        self.sent_elsewhere = 0
        """Changes of these lists another crmtui on the profile sent."""
        self.sending: Change | None = None
        self.last_error: BackendError | None = None
        """The last reason a change had to wait (cleared when one goes through)."""
        self.offline_since: dt.datetime | None = None
        self.sent_count = 0
        """Changes the server confirmed since the app started (for the header and tests)."""
        self.retried = 0
        """Attempts that failed for a passing reason and were scheduled again."""
        self.reconciled = 0
        """Changes an attempt with a lost answer had already made (found on the server, not repeated)."""
        self.open_error = ""
        """Why the outbox could not be opened at all ('' when it could)."""
        self.set_aside: list[SetAside] = []
        """Set-aside outbox files with changes to review (see `SetAsideReview`)."""
        self.set_aside_error = ""
        self._file_listeners: list[Callable[[], None]] = []

    # -- lifecycle ---------------------------------------------------------------------------------
    async def open(self) -> Outbox:
        """Read what the last run left (unsent, failed, conflicting changes) from disk (once)."""
        if self._opened:
            return self
        if self._opening is None:  # callers racing to open share one read
            self._opening = asyncio.ensure_future(self._open())
        await asyncio.shield(self._opening)
        return self

    async def _open(self) -> None:
        try:
            changes = await self.store.db.run(lambda _c: self._read())
        except Exception as exc:
            self.open_error = str(exc)
            if isinstance(exc, StoreUnavailable):
                raise
            log.exception("the outbox could not be read")
            raise StoreUnavailable(f"{self.store.path}: {exc}") from exc
        for change in changes:
            self._known.add(change.id)
            command = _readable(change)
            if change.unsettled and command is not None:
                self._unsettled.append((change, command))
            else:
                self._review.append((change, command))
        self._opened = True
        if self._unsettled:
            self._idle.clear()
        await self.refresh_set_aside()

    def _read(self) -> list[Change]:
        """Open the file and read what the last run left (on the file's thread)."""
        store = self.store
        store.open()
        if not self.held:  # a window in offline mode sends nothing: it must not be the one another counts on
            store.join()
        try:
            store.prune()
            changes = store.changes()
            self._ids = store.local_ids()
            self._version = store.data_version() if store.path is not None else None
            self._with_ids.clear()
        except sqlite3.DatabaseError as exc:
            if not damaged(exc):
                raise
            store._start_afresh(str(exc))  # damaged where the quick check did not look: set aside
            changes, self._ids = [], {}
            self._with_ids.clear()
        return changes

    def start(self) -> None:
        """Start the sender, and the look-out for other crmtui on the profile (needs a running event
        loop); idempotent."""
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._run())
        if self.store.path is not None and (self._follower is None or self._follower.done()):
            self._follower = asyncio.ensure_future(self._follow_others())

    async def stop(self) -> None:
        tasks = [t for t in (self._task, self._follower) if t is not None]
        self._task = self._follower = None
        for task in tasks:
            task.cancel()
            try:
                await task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - stopping must not fail
                pass
        self.store.release()  # another crmtui on the profile may send from now on
        self.claimed = False

    def close(self) -> None:
        self.store.close()

    def pause(self, reason: str) -> None:
        self.paused, self.pause_reason = True, reason

    def hold(self, reason: str) -> None:
        """Send nothing this run (offline mode): unlike a pause, retrying does not lift it."""
        self.held = reason
        self.pause(reason)
        self.store.leave()  # not one of the windows that send what another leaves behind

    def resume(self) -> None:
        if self.held:
            return
        self.paused, self.pause_reason = False, ""
        self._wake.set()

    # -- listeners ---------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _emit(self, kind: str, change: Change, command: Command, error: BackendError | None = None) -> None:
        event = OutboxEvent(kind, change, command, error)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception as exc:  # noqa: BLE001 - handed on: the sender goes on, the bug is shown
                self.listener_failed(exc)

    # -- reading -----------------------------------------------------------------------------------
    @property
    def opened(self) -> bool:
        """The file has been read: what waits is known."""
        return self._opened

    def unsettled(self, subject: str | None = None, section: str | None = None) -> list[Command]:
        """Commands still to be confirmed by the server, oldest first (optionally of one subject/section)."""
        return [
            command for _change, command in self._unsettled
            if (subject is None or command.subject == subject)
            and (section is None or command.section == section)
        ]

    def unsettled_changes(self) -> list[tuple[Change, Command]]:
        return list(self._unsettled)

    def review(self) -> list[tuple[Change, Command | None]]:
        """Failed and conflicting changes, waiting for the person's choice."""
        return list(self._review)

    def busy(self, subject: str) -> bool:
        """Whether changes of `subject` (`contact:<id>`, ...) are still on their way to the server."""
        if not is_subject(subject):
            raise ValueError(f"{subject!r} is not a subject such as contact:<id> (contact_subject makes one of a contact id)")
        return any(command.subject == subject for _c, command in self._unsettled)

    def busy_subjects(self) -> set[str]:
        return {command.subject for _c, command in self._unsettled}

    @property
    def pending(self) -> int:
        return len(self._unsettled)

    @property
    def quiet(self) -> bool:
        """Nothing is being sent and nothing is due now (all sent, paused, or waiting out a backoff)."""
        if self.sending is not None:
            return False
        if not self._unsettled or self.paused or not self.claimed:
            return True
        return self._unsettled[0][0].next_try > time.time()

    @property
    def failed(self) -> int:
        return sum(1 for change, _ in self._review if change.state is State.FAILED and not change.problem)

    @property
    def conflicts(self) -> int:
        return sum(1 for change, _ in self._review if change.state is State.CONFLICT and not change.problem)

    @property
    def unreadable(self) -> int:
        """Changes in the file that cannot be read: kept for review, never sent."""
        return sum(1 for change, _ in self._review if change.problem)

    @property
    def to_review(self) -> int:
        """Everything that waits for the person: refused, in conflict, unreadable, set aside."""
        return len(self._review) + self.set_aside_count

    def change_of(self, command: Command) -> Change | None:
        for change, known in [*self._unsettled, *self._review]:
            if known is command:
                return change
        return None

    # -- writing -----------------------------------------------------------------------------------
    async def enqueue(self, command: Command) -> Change:
        """Write the change to disk; when this returns it survives a crash and will be sent."""
        if not self._opened:
            await self.open()
        data = command.model_dump(mode="json")
        made = self.clock()
        async with self._sync_lock:
            try:
                change = await self.store.db.run(
                    lambda _c: self.store.append(
                        command.kind, data, subject=command.subject, label=command.describe(), created_at=made
                    )
                )
            except (OSError, sqlite3.Error, StoreUnavailable) as exc:
                # Not written, so not shown either: say so rather than show a change that could be lost.
                raise CommandRefused(f"The change could not be saved on this machine ({exc}); nothing was changed") from exc
            self._known.add(change.id)
            self._unsettled.append((change, command))
        self._idle.clear()
        self._emit(QUEUED, change, command)
        self._wake.set()
        return change

    async def cancel(self, command: Command) -> bool:
        """Take back a change that has not left yet, or waits for a choice; True when taken back.

        Undo of a change still queued, or in conflict, drops it rather than sending its inverse.
        """
        async with self._gate:
            change = self.change_of(command)
            if change is None or change.state not in (State.QUEUED, State.CONFLICT) or change is self.sending:
                return False
            async with self._sync_lock:  # as the file has it: another crmtui may be sending it
                removed = await self.store.db.run(
                    lambda _c: self.store.discard(change.id, states=(State.QUEUED, State.CONFLICT))
                )
                if removed is None:
                    return False
                self._unsettled = [(c, k) for c, k in self._unsettled if c.id != change.id]
                self._review = [(c, k) for c, k in self._review if c.id != change.id]
            self._idle_check()
        self._emit(DISCARDED, change, command)
        return True

    async def discard(self, change_id: int) -> bool:
        """Drop a failed, conflicting or not yet sent change for good."""
        async with self._gate:
            found = next(
                (pair for pair in [*self._review, *self._unsettled] if pair[0].id == change_id and pair[0] is not self.sending),
                None,
            )
            if found is None:
                return False
            change, command = found
            # A change another crmtui is sending may be on the server already: not taken back here.
            states = None if self.claimed else (State.QUEUED, State.FAILED, State.CONFLICT)
            async with self._sync_lock:
                removed = await self.store.db.run(lambda _c: self.store.discard(change_id, states=states))
                if removed is None:
                    return False
                self._review = [pair for pair in self._review if pair[0] is not change]
                self._unsettled = [pair for pair in self._unsettled if pair[0] is not change]
            self._idle_check()
        if command is not None:
            self._emit(DISCARDED, change, command)
        else:
            self._files_changed()
        return True

    async def retry(self, change_id: int, *, force: bool = False) -> bool:
        """Send a failed or conflicting change again (`force`: even though the record changed)."""
        for change, command in list(self._review):
            if change.id != change_id or command is None:
                continue
            async with self._sync_lock:
                if (change, command) not in self._review:
                    return False  # settled by another crmtui meanwhile
                await self.store.db.run(lambda _c: self.store.retry(change_id, force=force))
                self._review.remove((change, command))
                fresh = await self.store.db.run(lambda _c: self.store.get(change_id))
                if fresh is None:
                    return False
                # Back in line by its original place: the sender goes in id order.
                self._unsettled.append((fresh, command))
                self._unsettled.sort(key=lambda pair: pair[0].id)
            self._idle.clear()
            self.resume()
            self._emit(QUEUED, fresh, command)
            return True
        return False

    async def wake(self) -> None:
        """Send what waits for a retry now (the network is back, or the person asked)."""
        if not self._unsettled:
            return
        await self.store.db.run(lambda _c: self.store.wake())
        for change, _command in self._unsettled:
            change.next_try = 0.0
        self._wake.set()

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait until nothing is left to send (failed and conflicting changes do not count)."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def _idle_check(self) -> None:
        if not self._unsettled:
            self._idle.set()

    def _take_in(self, changes: list[Change], local_ids: dict[str, str]) -> None:
        """Changes just written to the file (set-aside ones taken in): in line by their place, or to review.

        `local_ids` are the server's ids of records their file had created: changes naming them resolve.
        """
        for local_id, server_id in local_ids.items():
            self._ids.setdefault(local_id, server_id)
        for change in changes:
            if change.id in self._known:
                continue  # the file was read meanwhile (another crmtui wrote to it): taken in already
            self._known.add(change.id)
            command = _readable(change)
            if change.unsettled and command is not None:
                self._unsettled.append((change, command))
                self._idle.clear()
                self._emit(QUEUED, change, command)
            else:
                self._review.append((change, command))
        self._unsettled.sort(key=lambda pair: pair[0].id)
        self._wake.set()

    # -- the sender --------------------------------------------------------------------------------
    async def _run(self) -> None:
        if not self._opened:
            await self.open()
        while not await self._claim():  # noqa: ASYNC110 - the lock is another process's: no event to wait on
            await asyncio.sleep(POLL_SECONDS)  # the other crmtui may quit: then this one sends
        while True:
            self._wake.clear()
            if self.paused or not self._unsettled:
                await self._wake.wait()
                continue
            change, command = self._unsettled[0]
            wait = change.next_try - time.time()
            if wait > 0:
                try:
                    await asyncio.wait_for(self._wake.wait(), wait)
                except TimeoutError:
                    pass
                continue
            try:
                with one_try():  # the requests of an attempt go once: this loop is their retry layer
                    await self._attempt(change, command)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the outbox could not record the outcome of change %s", change.id)
                self.sending = None
                await asyncio.sleep(self.max_delay / 10)

    async def _follow_others(self) -> None:
        """Keep the lists as the file has them while other crmtui on the profile write to it: their
        changes show here (and are sent from here by the sender), and so does what they sent.

        A task of its own, beside the sender's: a request held up for a minute must not hide what
        the other windows do meanwhile. It changes the lists only under `_sync_lock`, never the change
        being sent (`sending`), and never brings back a change settled here (`_known`).
        """
        if not self._opened:
            await self.open()
        while True:  # another process writes the file: no event to wait on
            await asyncio.sleep(POLL_SECONDS)
            await self._follow()

    async def _claim(self) -> bool:
        """Only one crmtui process sends a profile's outbox; the others follow what it does.

        A crmtui in offline mode never takes it: it would keep an online one from sending.
        """
        # On the loop, not the file's thread: a non-blocking lock call, and a stop() that cancels
        # this task must never leave a claim taken behind its back.
        claimed = not self.held and self.store.claim()
        if claimed and not self.claimed:
            await self._follow(force=True)  # the other process may have sent (or added) changes meanwhile
        self.claimed = claimed
        return claimed

    async def _follow(self, *, force: bool = False) -> None:
        """Bring the lists up to date with the file when another crmtui on the profile wrote to it."""
        if self.store.path is None:
            return
        try:
            version = await self.store.db.run(lambda _c: self.store.data_version())
            if version == self._version and not force:
                return
            self._version = version
            await self._sync()
        except (sqlite3.Error, OSError, StoreUnavailable) as exc:
            log.warning("could not read what other crmtui windows wrote to the outbox: %s", exc)

    async def _sync(self) -> None:
        async with self._sync_lock:
            known = [change.id for change, _command in (*self._unsettled, *self._review)]
            rows, ids = await self.store.db.run(lambda _c: (self.store.snapshot(known), self.store.local_ids()))
            events = self._merge(rows, ids)
        for kind, change, command, error in events:
            self._emit(kind, change, command, error)
        self._files_changed()  # the counts (an unreadable change of another window comes with no event)

    def _merge(
        self, rows: list[Change], ids: dict[str, str]
    ) -> list[tuple[str, Change, Command, BackendError | None]]:
        """Take the file as it is now (another crmtui made, sent, refused or discarded changes)."""
        for local_id, server_id in ids.items():
            self._ids.setdefault(local_id, server_id)
        found = {row.id: row for row in rows}
        events: list[tuple[str, Change, Command, BackendError | None]] = []
        unsettled: list[tuple[Change, Command]] = []
        review: list[tuple[Change, Command | None]] = []
        resync = False
        for change, command in [*self._unsettled, *self._review]:
            row = found.get(change.id)
            if change is self.sending:
                resync = True  # what the file says of it is taken once it is no longer being sent
            if change is self.sending or change.problem or (row is not None and row.problem):
                if change.unsettled and command is not None:
                    unsettled.append((change, command))
                else:
                    review.append((change, command))
                continue
            if row is None:  # discarded in another window
                if command is not None:
                    events.append((DISCARDED, change, command, None))
                continue
            was_unsettled = change.unsettled
            for name in ("state", "attempts", "next_try", "error", "detail", "force", "sent_after", "result"):
                setattr(change, name, getattr(row, name))
            if change.state is State.DONE:
                if command is not None:
                    _take_answer(command, row.command)
                    self.sent_elsewhere += 1
                    events.append((SENT, change, command, None))
                continue
            if command is not None and change.unsettled:
                unsettled.append((change, command))
                if not was_unsettled:
                    events.append((QUEUED, change, command, None))  # sent again from another window
            else:
                review.append((change, command))
                if was_unsettled and command is not None:
                    kind = CONFLICT if change.state is State.CONFLICT else FAILED
                    events.append((kind, change, command, BackendError(change.error) if kind == FAILED else None))
        for row in rows:
            if row.id in self._known or row.state is State.DONE:
                continue
            self._known.add(row.id)  # made in another window: shown and sent here too
            command = _readable(row)
            if row.unsettled and command is not None:
                unsettled.append((row, command))
                events.append((QUEUED, row, command, None))
            else:
                review.append((row, command))
        unsettled.sort(key=lambda pair: pair[0].id)
        review.sort(key=lambda pair: pair[0].id)
        self._unsettled, self._review = unsettled, review
        if resync:
            self._version = None  # the next look reads the file again, whether or not it changed
        if unsettled:
            self._idle.clear()
            self._wake.set()
        self._idle_check()
        return events

    def leaving_note(self) -> str:
        """What becomes of the changes left unsent when this crmtui quits ('' when none are)."""
        try:
            counts = self.store.counts()
        except (sqlite3.Error, StoreUnavailable) as exc:
            log.warning("could not count the unsent changes: %s", exc)
            return ""
        left = counts[State.QUEUED] + counts[State.SENDING]
        if not left:
            return ""
        what = "1 change not sent yet" if left == 1 else f"{left} changes not sent yet"
        if self.store.others_open():
            return f"{what}: the other crmtui window on this profile sends {'it' if left == 1 else 'them'}"
        return f"{what}: {'it is' if left == 1 else 'they are'} sent the next time crmtui starts"

    def _backoff(self, attempts: int, retry_after: float | None) -> float:
        backoff = min(self.max_delay, self.base_delay * (2 ** min(attempts, 20)))
        delay = self._rng.uniform(backoff / 2, backoff)
        return max(delay, retry_after or 0.0)

    def server_id(self, record_id: str) -> str:
        """The server's id of a record made on this machine (`record_id` itself when it has none yet
        or is the server's already)."""
        return self._ids.get(record_id, record_id)

    def resolved(self, command: Command, kind: type[C]) -> C | None:
        """The command with the server's ids (`with_server_ids`) when it is a `kind`, else None."""
        if not isinstance(command, kind):
            return None
        resolved = self.with_server_ids(command)
        return resolved if isinstance(resolved, kind) else None

    def with_server_ids(self, command: Command) -> Command:
        """The command with the local ids the server has given ids for replaced (others kept)."""
        if not self._ids:
            return command
        known = self._with_ids.get(id(command))  # every view redraw asks again for each change shown
        if known is not None and known[0] is command and known[1] == len(self._ids):  # ids are only added
            return known[2]
        data = command.model_dump(mode="json")
        resolved = _substitute(data, self._ids, set())
        answer = command if resolved == data else command_from_dict(resolved)
        if len(self._with_ids) >= 4096:
            self._with_ids.clear()
        self._with_ids[id(command)] = (command, len(self._ids), answer)
        return answer

    def _resolved(self, command: Command) -> Command:
        """The command as it is sent: local ids replaced by the server's."""
        data = command.model_dump(mode="json")
        missing: set[str] = set()
        sendable = _substitute(data, self._ids, missing)
        missing -= command.makes()
        if missing:
            creator = next(
                (c.label or k.describe() for c, k in self._review if k is not None and (k.makes() & missing or getattr(k, "local_id", None) in missing)), ""
            )
            what = f" (“{creator}”)" if creator else ""
            raise DependencyFailed(f"It depends on a record whose creation did not go through{what}")
        return command if sendable == data else command_from_dict(sendable)

    async def _attempt(self, change: Change, command: Command) -> None:
        async with self._gate:
            if not self._unsettled or self._unsettled[0][0] is not change:
                return  # taken back (undo, discard) while it waited its turn
            self.sending = change
        was_sending = change.state is State.SENDING
        reached_server = gone = False
        try:
            sendable = self._resolved(command)
            if was_sending and not command.idempotent:
                claimed = await self.store.db.run(lambda _c: self.store.claimed(command.kind))
                if await sendable.reconcile(self.backend, change.sent_after, claimed):
                    self.reconciled += 1
                    await self._done(change, command, sendable)
                    return
            if not change.force:
                detail = await sendable.conflict(self.backend)
                if detail:
                    await self._conflict(change, command, detail)
                    return
            # By the server's clock (never this machine's: they may disagree by minutes or months),
            # so the records this attempt may create are stamped after it, whatever happens next.
            sent_after = await self.backend.server_time() - CLOCK_MARGIN
            stored = sendable.model_dump(mode="json") if sendable is not command else None
            still_there = await self.store.db.run(
                lambda _c: self.store.mark_sending(change.id, sent_after=sent_after, command=stored)
            )
            if not still_there:  # taken back or discarded in another window while it was being checked:
                gone = True  # it must not leave, and the file (not this list) says what became of it
                return
            change.state = State.SENDING
            change.sent_after = change.sent_after or sent_after
            reached_server = True
            await sendable.execute(self.backend)
        except asyncio.CancelledError:
            raise
        except BackendError as exc:
            await self._failed_attempt(change, command, exc, maybe_applied=was_sending or (reached_server and _may_have_applied(exc)))
        except Exception as exc:
            log.exception("sending change %s failed unexpectedly", change.id)
            await self._final(change, command, BackendError(f"Unexpected error while sending: {exc}"))
        else:
            await self._done(change, command, sendable)
        finally:
            self.sending = None
            if gone:
                await self._follow(force=True)  # drops it (DISCARDED) instead of trying it again at once

    async def _done(self, change: Change, command: Command, sendable: Command) -> None:
        if sendable is not command:
            for name in ANSWER_FIELDS:
                if name in type(sendable).model_fields and getattr(sendable, name, None) is not None:
                    setattr(command, name, getattr(sendable, name))
        made = command.made_ids()
        result = command.result()
        answered = command.model_dump(mode="json")  # what the server made, for another crmtui on the profile
        await self.store.db.run(lambda _c: self.store.mark_done(change.id, result, made, command=answered))
        self._ids.update(made)
        change.state, change.result, change.error = State.DONE, result, ""
        self._unsettled = [(c, k) for c, k in self._unsettled if c.id != change.id]
        self.last_error = None
        self.offline_since = None
        self.sent_count += 1
        self._idle_check()
        self._emit(SENT, change, command)

    async def _conflict(self, change: Change, command: Command, detail: str) -> None:
        await self.store.db.run(lambda _c: self.store.mark_conflict(change.id, detail))
        change.state, change.detail = State.CONFLICT, detail
        change.error = "Changed on the server since you read it"
        self._unsettled = [(c, k) for c, k in self._unsettled if c.id != change.id]
        self._review.append((change, command))
        self._idle_check()
        self._emit(CONFLICT, change, command)

    async def _final(self, change: Change, command: Command, error: BackendError) -> None:
        await self.store.db.run(lambda _c: self.store.mark_failed(change.id, error.user_message))
        change.state, change.error = State.FAILED, error.user_message
        self._unsettled = [(c, k) for c, k in self._unsettled if c.id != change.id]
        self._review.append((change, command))
        self._idle_check()
        self._emit(FAILED, change, command, error)

    async def _failed_attempt(self, change: Change, command: Command, error: BackendError, *, maybe_applied: bool) -> None:
        if not _transient(error):
            await self._final(change, command, error)
            return
        retry_after = error.retry_after if isinstance(error, RateLimited) else None
        delay = self._backoff(change.attempts, retry_after)
        if isinstance(error, AuthError):
            self.pause("Sign-in refused: your changes are kept and sent once you sign in again")
        next_try = await self.store.db.run(
            lambda _c: self.store.requeue(change.id, error=error.user_message, delay=delay, maybe_applied=maybe_applied)
        )
        change.state = State.SENDING if maybe_applied else State.QUEUED
        change.attempts += 1
        change.next_try = next_try
        change.error = error.user_message
        self.retried += 1
        self.last_error = error
        if isinstance(error, Offline) and self.offline_since is None:
            self.offline_since = self.clock()
        self._emit(PAUSED if isinstance(error, AuthError) else RETRYING, change, command, error)


ANSWER_FIELDS = ("created", "next_action", "updated")
"""What a command learns from the server's answer (the record made, the next action, the record after)."""


def _take_answer(command: Command, sent: dict[str, Any]) -> None:
    """Put the server's answer, as another crmtui stored it with the sent change, into `command`."""
    try:
        answered = command_from_dict(sent)
    except (ValueError, TypeError):
        return  # the answer stays unknown: the views read the record again
    for name in ANSWER_FIELDS:
        if name in type(answered).model_fields and getattr(answered, name, None) is not None:
            setattr(command, name, getattr(answered, name))


def _transient(error: BackendError) -> bool:
    """Worth trying again later: the server could not or would not answer now."""
    if isinstance(error, (Offline, RateLimited, ServerError, MalformedResponse, AuthError)):
        return True
    return error.status is not None and error.status >= 500


def _may_have_applied(error: BackendError) -> bool:
    """Whether a failed request may still have changed the server."""
    if isinstance(error, (RateLimited, AuthError)):
        return False  # refused before anything was done
    if isinstance(error, Offline):
        return bool(getattr(error, "maybe_sent", True))
    return True


__all__ = [
    "CONFLICT", "DISCARDED", "FAILED", "PAUSED", "QUEUED", "RETRYING", "SENT", "UNSETTLED",
    "DependencyFailed", "Outbox", "OutboxEvent",
]

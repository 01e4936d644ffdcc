"""The one object screens talk to: account, ordered stream, triage commands with undo."""

from __future__ import annotations

import asyncio
import bisect
import functools
import datetime as dt
import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from crmtui.backends.base import Backend, ProgressCallback
from crmtui.backends.errors import BackendError
from crmtui.domain.capabilities import Capability
from crmtui.domain.formatting import account_now, zone
from crmtui.domain.models import Account, Action, ActionStatus, Contact, Deal, DealStatus, StreamEntry
from crmtui.domain.stream import conflicting_actions, in_stream, sort_key
from crmtui.service.commands import (
    ALREADY_HAS_NEXT,
    NO_SWAP_CONFLICT,
    ActionChanges,
    AddAction,
    Command,
    EditAction,
    MarkDone,
    Promote,
    Swap,
    ToggleStar,
    find_action,
    find_entry,
    is_local_id,
    new_local_id,
)
from crmtui.service.contact_commands import AddContact, DeleteContact
from crmtui.service.errors import CommandRefused
from crmtui.service.outbox import DISCARDED, FAILED, SENT, Outbox, OutboxEvent
from crmtui.service.overlay import SETTLING, SHOWN_CHANGES, Overlay
from crmtui.service.local_copy import LocalCopy
from crmtui.service.signals import Signal
from crmtui.service.undo import undo_last
from crmtui.service.stream_filters import StreamFilters
from crmtui.service.features import contacts_api, deals_api, notifications_api, stream_api
from crmtui.service.heap import large_read

if TYPE_CHECKING:
    from crmtui.service.leads import LeadsInbox
    from crmtui.service.modules import ModulesBrowser
    from crmtui.service.records import RecordsBrowser

log = logging.getLogger(__name__)

ContactRef = Contact | StreamEntry | str
ActionRef = Action | str
Listener = Callable[[list[StreamEntry]], None]
Changed = frozenset[str] | None
"""Which contacts changed in the stream (None: the whole stream, e.g. a new load)."""
UNDO_DEPTH = 50
STREAM = "stream"


def _contact_id(ref: ContactRef) -> str:
    if isinstance(ref, StreamEntry):
        return ref.contact.id
    if isinstance(ref, Contact):
        return ref.id
    return ref


def stamp(command: Command, now: dt.datetime) -> Command:
    """Give a new command what it must carry from the moment it is made: its local id and time."""
    command.stamp(now)
    return command


class Session:
    """Holds the account and the current user's stream; runs commands through the outbox.

    A command first passes its precondition check (CommandRefused, nothing written), then is
    written to the outbox (durable), and only then shown: every view overlays the changes still
    on their way on what the server last said about the contact. When the server confirms one,
    its effect is folded into that copy and, once the contact has nothing left on its way, the
    contact is re-read so local ids and server-computed fields (dates of promoted actions) are
    exact. When the server refuses one, it drops out of the overlay (the row goes back) and the
    change waits in the outbox for the person's review.
    """

    def __init__(
        self,
        backend: Backend,
        *,
        clock: Callable[[], dt.datetime] | None = None,
        outbox: Outbox | None = None,
        rereads: set[asyncio.Task[object]] | None = None,
    ) -> None:
        """`rereads`: shared by the views of one app (a view made from another passes its set), so
        `settled` and `rereading` see every view's re-reads after changes."""
        self.backend = backend
        self.rereads: set[asyncio.Task[object]] = rereads if rereads is not None else set()
        self.account: Account | None = None
        self.entries: list[StreamEntry] = []
        self.stream_user_id: str | None = None
        self.undo_stack: list[Command] = []
        self.outbox = outbox if outbox is not None else Outbox(backend)
        self._clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self.local: LocalCopy | None = None
        """The local copy reads fall back on (set by the composition root, `service.compose`)."""
        self.offline = False
        """crmtui --offline: reads never use the network; changes wait in the (held) outbox."""
        self.changes: Signal[Changed] = Signal()
        """Emitted after every change of `entries`, with the contacts that changed."""
        self._pending_deals: dict[str, list[Deal]] = {}
        self.overlay: Overlay[str, StreamEntry | None] = Overlay(
            self.outbox, key=self._key, predict=self._predict_one, confirm=self._confirm_one, also=self._also
        )
        """The server's copy of the contacts with changes on their way (None: not in the stream)."""
        self._order: list[tuple[Any, ...]] = []
        """The sort key of each entry, in the order of `entries` (kept so one row moves without a sort)."""
        self._order_of: dict[str, tuple[Any, ...]] = {}
        self._order_day: dt.date | None = None
        self._order_user: str | None = None
        self._order_for: list[StreamEntry] | None = None
        """The list `_order` was made for (`_place` changes it in place; any other change makes a new one)."""
        self.full_sorts = 0
        """How often the whole stream was sorted (a measure of work: bench/triage_cost.py)."""
        self._unanswered: set[str] = set()
        """Contacts a confirmed change left in a state its answer does not fully tell (re-read once settled)."""
        self._tasks: set[asyncio.Task[object]] = set()
        self.renamed: dict[str, str] = {}
        """Contacts made on this machine: local id -> the server's id, once the server has them (a
        view's cursor on the local row follows it to the server's)."""
        self.filters = StreamFilters(self)
        """The stream's filter (the screen shows what it keeps; the stream itself stays whole)."""
        self._unsubscribe_outbox = self.outbox.subscribe(self._on_outbox)

    # -- lifecycle -------------------------------------------------------------------------------
    async def connect(self) -> Account:
        self.account = await self.backend.connect()
        if self.stream_user_id is None:
            self.stream_user_id = self.account.user.id
        return self.account

    async def close(self) -> None:
        self.detach()
        for task in list(self._tasks):
            task.cancel()
        await self.outbox.stop()
        await self.backend.close()

    def detach(self) -> None:
        """Stop following the outbox (a view that closes; re-reads already started finish)."""
        self._unsubscribe_outbox()

    async def __aenter__(self) -> Session:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def supports(self, capability: Capability) -> bool:
        return capability in self.backend.capabilities

    def rate_gauge(self) -> str | None:
        """The backend's API budget and rate window in words (None: the backend has no such limits)."""
        if not self.supports(Capability.RATE_BUDGET):
            return None
        backend: Any = self.backend
        governor = getattr(getattr(backend, "inner", backend), "governor", None)
        if governor is None:
            return None
        text = governor.gauge_text(zone(self.account.time_zone if self.account else None))
        return str(text)

    @functools.cached_property
    def leads(self) -> LeadsInbox:
        """The leads inbox (backends with leads: Pipedrive), made when first asked for."""
        from crmtui.service.leads import LeadsInbox

        return LeadsInbox(self)

    @functools.cached_property
    def records(self) -> RecordsBrowser:
        """The records of one module at a time (backends with records: Crust), made when first asked for."""
        from crmtui.service.records import RecordsBrowser

        return RecordsBrowser(self)

    @functools.cached_property
    def modules(self) -> ModulesBrowser:
        """Every module with its fields, for the modules screen (Crust), made when first asked for."""
        from crmtui.service.modules import ModulesBrowser

        return ModulesBrowser(self)

    @property
    def user_id(self) -> str | None:
        return self.account.user.id if self.account else None

    # -- time --------------------------------------------------------------------------------------
    @property
    def clock(self) -> Callable[[], dt.datetime]:
        """The clock changes are stamped with (frozen in tests, shifted in the demo)."""
        return self._clock

    def now(self) -> dt.datetime:
        return account_now(self.account, self._clock())

    def today(self) -> dt.date:
        return self.now().date()

    # -- listeners ---------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(entries)` after every change; returns an unsubscribe function."""
        return self.changes.subscribe(lambda _changed: listener(self.entries))

    def _changed(self, contacts: Changed = None) -> None:
        self.changes.emit(contacts)

    # -- stream ------------------------------------------------------------------------------------
    @property
    def order_user_id(self) -> str | None:
        """Whose queued actions count as "queued for me" in the order of this stream."""
        return self.stream_user_id

    def order_key(self, entry: StreamEntry) -> tuple[Any, ...]:
        return sort_key(entry, self.today(), user_id=self.order_user_id, now=self.now())

    def sort(self) -> None:
        """Sort the whole stream (a new load, or a new day: everything may move)."""
        self.full_sorts += 1
        now = self.now()  # once, not per row (the account's zone each time: a tenth of a second at 8,000 rows)
        today, user_id = now.date(), self.order_user_id
        keyed = sorted(((sort_key(e, today, user_id=user_id, now=now), e) for e in self.entries), key=lambda pair: pair[0])
        self.entries = [e for _k, e in keyed]
        self._order = [k for k, _e in keyed]
        self._order_of = {key[-1]: key for key in self._order}  # a key ends with its contact's id (`sort_key`): no row read again
        self._order_day, self._order_user, self._order_for = today, user_id, self.entries

    def _in_order(self) -> bool:
        return self._order_day == self.today() and len(self._order) == len(self.entries)

    def order_keys(self, today: dt.date, user_id: str | None) -> list[tuple[Any, ...]] | None:
        """The sort key of each entry, in the order of `entries`, when they were worked out for
        `today` and `user_id` (a view shows the stream in this order: it need not work them out
        again); None when they were not, or `entries` changed since."""
        if (
            self._order_for is not self.entries or len(self._order) != len(self.entries)
            or self._order_day != today or self._order_user != user_id
        ):
            return None
        return self._order

    def _place(self, contact_id: str, new: StreamEntry | None) -> None:
        """Put the contact's row where the order wants it (None: take it out), without a sort."""
        if not self._in_order():
            self.entries = [e for e in self.entries if e.contact.id != contact_id] + ([new] if new else [])
            self.sort()
            return
        old = self._order_of.pop(contact_id, None)
        if old is not None:
            at = bisect.bisect_left(self._order, old)
            if at < len(self.entries) and self.entries[at].contact.id == contact_id:
                del self.entries[at], self._order[at]
            else:  # not where its key says: the list was changed behind the order's back
                self.entries = [e for e in self.entries if e.contact.id != contact_id] + ([new] if new else [])
                self.sort()
                return
        if new is not None:
            key = self.order_key(new)
            at = bisect.bisect_left(self._order, key)
            self.entries.insert(at, new)
            self._order.insert(at, key)
            self._order_of[contact_id] = key

    async def load_stream(
        self, *, user_id: str | None = None, search: str | None = None, on_progress: ProgressCallback | None = None
    ) -> list[StreamEntry]:
        """(Re)load the whole stream for `user_id` (default: the logged-in user).

        On a first load (or another user's stream) the most urgent page is shown as soon as it
        arrives, while the rest loads; a refresh replaces the list once, when all of it is in.
        Contacts with changes on their way keep showing them.
        """
        if self.account is None:
            await self.connect()
        if user_id is not None and user_id != self.stream_user_id:
            self.stream_user_id = user_id
            self.entries = []
            self.overlay.forget()
        first_page = self._show_first_page if not self.entries else None
        started = self.overlay.mark()
        with large_read():  # the collector off while thousands of rows are made (see service/heap.py)
            entries = await stream_api(self.backend).action_stream_all(
                user_id=self.stream_user_id, search=search, on_progress=on_progress, on_first_page=first_page
            )
            if self.entries and self.local is not None and self.local.stale:
                # Offline: the cache's copy is as old as the last fetch, older than what is shown (changes
                # confirmed since are in it): keep what is shown rather than take those changes back.
                return self.entries
            self.show_server_stream(entries, started=started)
        await self.filters.refresh()  # a saved filter's members may have changed too
        return self.entries

    refresh = load_stream

    async def search_stream(self, query: str) -> list[StreamEntry]:
        """The server's matches for `query` in the stream shown (the loaded stream is left as it is)."""
        return await stream_api(self.backend).action_stream_all(user_id=self.stream_user_id, search=query)

    def show_server_stream(self, entries: list[StreamEntry], *, started: int | None = None) -> None:
        """Take a whole stream from the server (or the cache), keeping changes on their way overlaid.

        A contact a change reached the outbox or the server for after the read started keeps what
        is shown: the read may predate that change (a re-read of the contact follows it anyway).
        """
        fresh = {e.contact.id: e for e in entries}
        current = {e.contact.id: e for e in self.entries}
        shown = self.overlay.take_all(fresh, current, started, absent=lambda: None)
        for key in self.overlay.busy() - shown.keys():
            if any(c.creates for c in self.overlay.pending(key)):  # made here, not on the server yet
                shown[key] = self.overlay.shown(key, None)
        self.entries = [e for e in shown.values() if e is not None]
        self._pending_deals.clear()  # amounts may have changed on the server too
        self.sort()
        self._changed()

    def _show_first_page(self, entries: list[StreamEntry]) -> None:
        if not self.entries:
            self.show_server_stream(entries)

    def entry(self, contact: ContactRef) -> StreamEntry | None:
        """The contact's row: found by its sort key while the list is in order (every outbox event
        asks, so this must not walk thousands of rows), else by looking through the list."""
        contact_id = _contact_id(contact)
        if self._in_order():
            key = self._order_of.get(contact_id)
            if key is None:
                return None  # in order, every row has its key: not in this stream
            at = bisect.bisect_left(self._order, key)
            while at < len(self.entries) and self._order[at] == key:  # equal keys: look among them
                if self.entries[at].contact.id == contact_id:
                    return self.entries[at]
                at += 1
        return find_entry(self.entries, contact_id)

    def server_copy(self, contact_id: str) -> StreamEntry | None:
        """The contact as the server last said, without the changes on their way."""
        if contact_id in self.overlay.server:
            return self.overlay.server[contact_id]
        return self.entry(contact_id)

    def _put(self, contact_id: str, new: StreamEntry | None) -> None:
        """Show `new` for the contact (None: not in this stream) and tell the followers."""
        if self.entry(contact_id) == new:
            return
        self._place(contact_id, new)
        self._changed(frozenset((contact_id,)))

    def replace_entry(self, contact_id: str, new: StreamEntry | None) -> None:
        """Take the server's copy of a contact another view just read (None: not in this stream)."""
        if contact_id in self.overlay.server:
            self.overlay.server[contact_id] = new
            self._show(contact_id)
            return
        self._put(contact_id, new)

    async def refresh_entry(self, contact: ContactRef) -> StreamEntry | None:
        contact_id = _contact_id(contact)
        started = self.overlay.mark()
        fresh = await stream_api(self.backend).stream_entry(contact_id, user_id=self.stream_user_id)
        if fresh is not None:
            fresh.conflicts = fresh.conflicts or conflicting_actions(fresh.next_action, fresh.queued_actions)
        self._take_fresh(contact_id, fresh, started)
        return self.entry(contact_id)

    def _take_fresh(self, contact_id: str, fresh: StreamEntry | None, started: int | None = None) -> None:
        """A contact re-read from the server: the new copy under whatever is still on its way.

        A copy read before the last outbox event about the contact is dropped: it may not have
        the change yet, and the re-read that follows that event will have it.
        """
        taken, shown = self.overlay.take(contact_id, fresh, started)
        if taken:
            self._put(contact_id, shown)

    # -- the overlay of changes on their way ---------------------------------------------------------
    def _key(self, command: Command) -> str | None:
        """The contact a command changes, by the server's id once the server has made it."""
        return self.outbox.server_id(command.contact_id) if command.section == STREAM else None

    def _also(self, command: Command) -> frozenset[str]:
        """Other contacts a command shows on (each of a company's contacts, for a new company name)."""
        return command.also_shows_on() if command.section == STREAM else frozenset()

    def _own(self, command: Command) -> Command:
        """The command as this view predicts it (whose stream decides where an action shows)."""
        if "stream_user_id" in type(command).model_fields and getattr(command, "stream_user_id", None) != self.stream_user_id:
            return command.model_copy(update={"stream_user_id": self.stream_user_id})
        return command

    def _predict_one(self, entry: StreamEntry | None, command: Command) -> StreamEntry | None:
        if command.removes:
            return None
        if entry is None:
            return command.apply_locally([]) if command.creates else None
        predicted = self._own(command).apply_locally([entry])
        return predicted if predicted is not None else entry

    def _confirm_one(self, entry: StreamEntry | None, command: Command) -> StreamEntry | None:
        """Confirmed by the server: part of its copy, which leaves this stream when the change took
        the contact out of it (someone else's contact with no open action of this user left)."""
        confirmed = self._predict_one(entry, command)
        if command.creates:
            return confirmed  # the changes made with it (its first next action) say where it belongs
        if confirmed is not None and not in_stream(confirmed, self.stream_user_id):
            return None if self.drops_outsiders else confirmed.model_copy(update={"in_stream": False})
        return confirmed

    rereads_answered = False
    """Whether a contact is read again after changes whose answers told all (the stream: no)."""

    shows_new = True
    """A contact made on this machine shows in this view (a list of contacts: yes; one contact's view: no)."""

    drops_outsiders = True
    """A stream shows only its members; the contact's own view shows it either way."""

    def _show(self, contact_id: str) -> None:
        """Show the contact as the server's copy plus the changes on their way."""
        self._put(contact_id, self.overlay.shown(contact_id, self.entry(contact_id)))

    def _holds(self, contact_id: str) -> bool:
        return contact_id in self.overlay.server or self.entry(contact_id) is not None

    def _on_outbox(self, event: OutboxEvent) -> None:
        command = event.command
        if command.creates and event.kind == SENT and self._made(event):
            return
        cid = self.overlay.hear(event)
        if cid is None:
            return
        if event.kind in SHOWN_CHANGES:
            for other in self.overlay.also_of(command) - {cid}:
                if self._holds(other):
                    self._show(other)
        if command.creates and event.kind in SHOWN_CHANGES and self.shows_new:
            self._show(cid)  # a new contact: shown from the moment it is made
            return
        if not self._holds(cid):
            if event.kind == SENT and self.entries and not self.overlay.is_busy(cid):
                self._after_settled(cid, event)  # it may have entered this stream (made from a contact's page)
            return
        if event.kind in SHOWN_CHANGES:
            self._show(cid)
        if event.kind in (FAILED, DISCARDED):
            self._forget_undo(command)
        if event.kind == SENT and not command.answered:
            self._unanswered.add(cid)
        if event.kind in SETTLING and not self.overlay.is_busy(cid):
            if event.kind != SENT or cid in self._unanswered or self.rereads_answered:
                self._after_settled(cid, event)
            elif self.local is not None:
                # No re-read: what is shown is the server's copy now. The cache keeps it too, or the
                # next start would show the change undone until the first refresh.
                self.local.keep_confirmed(self.stream_user_id, cid, self.entry(cid))
            self._unanswered.discard(cid)

    def _made(self, event: OutboxEvent) -> bool:
        """The server made a contact this machine made: its row takes the server's id, where it is,
        in one change (a view's cursor on it follows it: `renamed`). False: not this view's row."""
        local = event.command.contact_id
        real = self.outbox.server_id(local)
        if real == local or not self._holds(local):
            return False
        self.overlay.server.pop(local, None)
        self.overlay.server[real] = None  # hearing the confirmation makes it the server's copy
        self.overlay.hear(event)
        new = self.overlay.shown(real, None)
        self.renamed[local] = real
        if self.entry(local) is not None:
            self._place(local, None)
        if new is not None:
            self._place(real, new)
        self._changed(frozenset((local, real)))
        return True

    def _after_settled(self, contact_id: str, event: OutboxEvent) -> None:
        """The contact has nothing left on its way: re-read it so ids and server-made fields are exact."""
        self._spawn(self._quiet_refresh(contact_id))

    async def _quiet_refresh(self, contact_id: str) -> None:
        try:
            await self.refresh_entry(contact_id)
        except BackendError:
            return  # the confirmed prediction stays until the next refresh

    def _spawn(self, coro: Coroutine[Any, Any, object]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self.rereads.add(task)
        task.add_done_callback(self.rereads.discard)

    def rereading(self) -> bool:
        """Whether a view of this app is still re-reading something after a change settled."""
        return any(not t.done() for t in self.rereads)

    async def settled(self, timeout: float | None = 30) -> bool:
        """Wait until every change is sent (or set aside) and every view's re-reads after them are done."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            left = None if deadline is None else max(deadline - loop.time(), 0)
            if not await self.outbox.drain(left):
                return False
            tasks = [t for t in self.rereads if not t.done()]
            if not tasks:
                return True
            await asyncio.wait(tasks, timeout=None if deadline is None else max(deadline - loop.time(), 0.01))
            if deadline is not None and loop.time() >= deadline:
                return False

    def _forget_undo(self, command: Command) -> None:
        if command in self.undo_stack:
            self.undo_stack.remove(command)

    # -- around the stream -----------------------------------------------------------------------
    def cached_pending_deals(self, contact_id: str) -> list[Deal] | None:
        """The contact's pending deals if already fetched since the last full load, else None."""
        return self._pending_deals.get(contact_id)

    async def pending_deals(self, contact_id: str) -> list[Deal]:
        """The contact's pending deals (fetched once per full load of the stream)."""
        cached = self._pending_deals.get(contact_id)
        if cached is None:
            deals = await deals_api(self.backend).deals(contact_id=contact_id)
            cached = [d for d in deals if d.status is DealStatus.PENDING]
            self._pending_deals[contact_id] = cached
        return cached

    def known_companies(self) -> list[str]:
        """The companies of the contacts loaded, by name (what a form completes at once)."""
        return sorted({e.contact.company_name for e in self.entries if e.contact.company_name}, key=str.casefold)

    async def companies(self) -> list[str]:
        """Every company of the account, by name (the server's list, or the cache's offline)."""
        return sorted({c.name for c in await contacts_api(self.backend).companies() if c.name}, key=str.casefold)

    def known_tags(self) -> list[str]:
        """The tags in use on the contacts loaded."""
        return sorted({t for e in self.entries for t in e.contact.tags}, key=str.casefold)

    async def unread_notifications(self) -> int:
        """Unread notifications of the signed-in user (0 when the backend has none)."""
        if not self.supports(Capability.NOTIFICATIONS):
            return 0
        return await notifications_api(self.backend).unread_notifications()

    # -- the command pipeline ----------------------------------------------------------------------
    async def queue(self, command: Command) -> None:
        """Stamp the command with the session's clock and write it to the outbox, started if it was
        not (a view that checks its own changes: leads, files, goals, filters, teams)."""
        command.stamp(self._clock())
        self.outbox.start()
        await self.outbox.enqueue(command)

    async def run(self, command: Command, *, record: bool = True) -> StreamEntry | None:
        """Check, write to the outbox, show. Returns the contact as now shown.

        Raises CommandRefused when the command cannot succeed (nothing is written then). The
        server's verdict comes later, through the outbox's events.
        """
        command.check(self.entries)
        stamp(command, self._clock())
        self.outbox.start()
        await self.outbox.enqueue(command)  # durable before anything shows it as made
        if record:
            self.undo_stack.append(command)
            del self.undo_stack[:-UNDO_DEPTH]
        return self.entry(command.contact_id)

    @property
    def can_undo(self) -> bool:
        return bool(self.undo_stack)

    async def undo(self) -> Command:
        """Undo the last change: take it back if it has not left yet, else send its inverse."""
        return await undo_last(self.undo_stack, self.outbox, lambda inverse: self.run(inverse, record=False))

    # -- triage commands ---------------------------------------------------------------------------
    def _require_entry(self, contact: ContactRef) -> StreamEntry:
        entry = self.entry(contact)
        if entry is None:
            raise CommandRefused("That contact is not in the loaded stream; refresh and try again")
        return entry

    def _action(self, contact: ContactRef, action: ActionRef) -> Action:
        if isinstance(action, Action):
            return action
        found = find_action(self._require_entry(contact), action)
        if found is None:
            raise CommandRefused("That action is no longer on this contact; refresh and try again")
        return found

    async def mark_done(self, contact: ContactRef, action: ActionRef | None = None) -> StreamEntry | None:
        """Complete the contact's next action (or the given one). Undo uses undo_completion."""
        if action is None:
            next_action = self._require_entry(contact).next_action
            if next_action is None:
                raise CommandRefused("Contact has no next action to mark as done")
            action = next_action
        target = self._action(contact, action)
        return await self.run(MarkDone(contact_id=_contact_id(contact), action=target, label=f"Done: {target.text}"))

    async def add_action(
        self,
        contact: ContactRef,
        text: str,
        status: ActionStatus = ActionStatus.ASAP,
        date: dt.date | None = None,
        exact_time: dt.datetime | None = None,
        *,
        assignee_id: str | None = None,
    ) -> StreamEntry | None:
        status = self._queued_if_taken(contact, status, date, assignee_id)
        fields = ActionChanges(text=text, status=status, date=date, exact_time=exact_time, assignee_id=assignee_id)
        return await self.run(self._new_action(_contact_id(contact), fields))

    def _new_action(self, contact_id: str, fields: ActionChanges) -> AddAction:
        text = fields.text or ""
        return AddAction(
            contact_id=contact_id, text=text, status=fields.status or ActionStatus.ASAP, date=fields.date,
            exact_time=fields.exact_time, assignee_id=fields.assignee_id, stream_user_id=self.stream_user_id,
            label=f"Add: {text}",
        )

    async def add_contact(self, contact: Contact, first_action: ActionChanges) -> StreamEntry | None:
        """Make a new contact with its first next action: shown at once, sent in that order.

        Both changes are checked before either is written (CommandRefused: nothing is). Returns the
        new row (under its local id until the server has made the contact; see `renamed`).
        """
        local = new_local_id()
        made = AddContact(contact_id=local, contact=contact.model_copy(update={"id": local}), label=f"New contact: {contact.name}")
        first = self._new_action(local, first_action)
        made.check(self.entries)
        first.check(self.entries)
        await self.run(made, record=False)
        await self.run(first, record=False)
        return self.entry(local)

    async def delete_contact(self, contact: ContactRef) -> Command:
        """Delete the contact (the row goes at once); `u` brings it back with the API's undo."""
        contact_id = _contact_id(contact)
        if is_local_id(self.outbox.server_id(contact_id)):
            raise CommandRefused("The contact is not on the server yet: wait until it is sent, then delete it")
        entry = self.entry(contact_id) or self.server_copy(contact_id)
        name = entry.contact.name if entry is not None else "the contact"
        command = DeleteContact(contact_id=self.outbox.server_id(contact_id), entry=entry, label=f"Delete {name}")
        await self.run(command)
        return command

    def _queued_if_taken(
        self, contact: ContactRef, status: ActionStatus, date: dt.date | None, assignee_id: str | None
    ) -> ActionStatus:
        """A second next action for the same person goes in as a queued one (the API refuses it otherwise)."""
        entry = self.entry(contact)
        current = entry.next_action if entry is not None else None
        if current is None or current.done or status in (ActionStatus.QUEUED, ActionStatus.QUEUED_WITH_DATE):
            return status
        if assignee_id and current.assignee_id and assignee_id != current.assignee_id:
            return status  # someone else's next action does not block this one
        return ActionStatus.QUEUED_WITH_DATE if date is not None else ActionStatus.QUEUED

    async def edit_action(self, contact: ContactRef, action: ActionRef, **changes: object) -> StreamEntry | None:
        """Change text/status/date/exact_time/assignee_id of an action."""
        target = self._action(contact, action)
        new = ActionChanges.model_validate(changes)
        previous = ActionChanges.snapshot(target, set(new.model_fields_set))
        command = EditAction(
            contact_id=_contact_id(contact),
            action_id=target.id,
            changes=new,
            previous=previous,
            stream_user_id=self.stream_user_id,
            read_at=target.modified_at,
            label=f"Edit: {target.text}",
        )
        return await self.run(command)

    async def reassign(self, contact: ContactRef, action: ActionRef, user_id: str) -> StreamEntry | None:
        target = self._action(contact, action)
        if target.assignee_id == user_id:
            raise CommandRefused("The action is already assigned to that user")
        name = self.account.user_name(user_id) if self.account else user_id
        command = EditAction(
            contact_id=_contact_id(contact),
            action_id=target.id,
            changes=ActionChanges(assignee_id=user_id),
            previous=ActionChanges(assignee_id=target.assignee_id),
            stream_user_id=self.stream_user_id,
            read_at=target.modified_at,
            label=f"Reassign to {name}: {target.text}",
        )
        return await self.run(command)

    async def promote(self, contact: ContactRef, action: ActionRef | None = None) -> StreamEntry | None:
        """Make a queued action (default: the first) the contact's next action."""
        entry = self._require_entry(contact)
        if entry.next_action is not None and not entry.next_action.done:
            raise CommandRefused(ALREADY_HAS_NEXT)
        if action is None:
            if not entry.queued_actions:
                raise CommandRefused("Contact has no queued action to promote")
            action = entry.queued_actions[0]
        target = self._action(contact, action)
        command = Promote(contact_id=entry.contact.id, action=target, label=f"Promote: {target.text}")
        return await self.run(command)

    async def swap(self, contact: ContactRef, action: ActionRef | None = None) -> StreamEntry | None:
        """Swap the next action with an earlier-dated queued action (default: the earliest)."""
        entry = self._require_entry(contact)
        if action is None:
            candidates = entry.conflicts or conflicting_actions(entry.next_action, entry.queued_actions)
            if not candidates:
                if entry.next_action is None:
                    raise CommandRefused("Contact has no next action to swap with; promote the queued action instead")
                if not any(not a.done for a in entry.queued_actions):
                    raise CommandRefused("Nothing to swap: the contact has no queued action")
                raise CommandRefused(NO_SWAP_CONFLICT)
            action = min(candidates, key=lambda a: a.date or dt.date.max)
        target = self._action(contact, action)
        return await self.run(Swap(contact_id=entry.contact.id, action=target, label=f"Swap in: {target.text}"))

    async def toggle_star(self, contact: ContactRef) -> StreamEntry | None:
        entry = self.entry(contact)
        if entry is not None:
            starred = entry.contact.starred
        elif isinstance(contact, Contact):
            starred = contact.starred
        else:
            starred = (await contacts_api(self.backend).get_contact(_contact_id(contact))).starred
        label = "Unstar" if starred else "Star"
        return await self.run(ToggleStar(contact_id=_contact_id(contact), starred=not starred, label=label))

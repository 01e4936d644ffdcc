"""The leads inbox (Pipedrive): the signed-in user's open leads, most urgent first, with the changes
on their way laid over the server's copy, and the lead verbs (archive, seen, owner, labels, edit,
delete), each a change through the outbox (offline, exactly once, conflict-checked, undoable).

Reads go through the session's backend, which has the local cache in front: offline, the inbox is
the last one fetched. When the backend has activities (an optional capability), the inbox is ordered
by each lead's next activity; only the next activities not known yet are read, after each load: a
few one by one (2 tokens each), more with the list of everyone's open activities (20 tokens a page
of 500), all of them again when the whole list is read. A server that turns out to have no
activities (404, 403, 410) leaves the inbox ordered by expected close date, with no error shown. Person and organization names are looked up for the rows on screen only (a
lead carries ids; every lookup costs a request of the company's daily budget) and kept.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from crmtui.backends.base import ProgressCallback
from crmtui.backends.errors import BackendError, NotFound, PermissionDenied
from crmtui.domain.activities import Activity
from crmtui.domain.capabilities import Capability
from crmtui.domain.leads import (
    Activities,
    Lead,
    LeadDraft,
    LeadLabel,
    LeadSection,
    lead_section,
    lead_sort_key,
    next_activity,
)
from crmtui.domain.stream_filter import SavedFilter
from crmtui.service.commands import Command, new_local_id
from crmtui.service.errors import CommandRefused
from crmtui.service.features import activities_api, leads_api
from crmtui.service.find_match import Narrower, fold
from crmtui.service.lead_commands import LEADS, CreateLead, DeleteLead, LeadCommand, UpdateLead, fields_of, wire_value
from crmtui.service.outbox import SENT, OutboxEvent
from crmtui.service.overlay import SHOWN_CHANGES, Overlay
from crmtui.service.signals import Signal
from crmtui.service.undo import undo_last

if TYPE_CHECKING:
    from crmtui.service.session import Session

FILTER_MEMORY = "lead_filter"
"""The view.json key of the saved filter the inbox shows (per profile, as the stream's filter)."""
FULL_EVERY = dt.timedelta(hours=12)
"""How long a refresh reads only what changed before the whole list is read again (deletions show then)."""
CHANGE_MARGIN = dt.timedelta(minutes=2)
"""Leads changed this long before the newest change known are read again (stamps of one second, clocks of servers)."""
_OLDEST = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
NAME_LOOKUPS = 2
"""Name lookups at a time (each is a request of the burst window)."""
UNDO_DEPTH = 50
ACTIVITIES_BY_ID = 5
"""Up to this many next activities not known yet are read one by one (2 tokens each); more are read
with the list of everyone's open activities (20 tokens a page of up to 500)."""

Changed = frozenset[str] | None


def _key(command: Command) -> str | None:
    return command.lead_id if isinstance(command, LeadCommand) and command.section == LEADS else None


def _predict(lead: Lead | None, command: Command) -> Lead | None:
    if not isinstance(command, LeadCommand) or (lead is None and not command.creates):
        return lead
    return command.predict(lead)


class LeadsInbox:
    """The leads of one scope (mine or everyone's; open or archived), as shown."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.items: list[Lead] = []
        """As shown: the server's leads with the changes on their way, in inbox order."""
        self.loaded = False
        self.archived = False
        """Show the archived leads instead of the open ones."""
        self.whose: str | None = None
        """Whose leads: None the signed-in user's, EVERYONE everyone's the token may see, else a user id."""
        self.filter: SavedFilter | None = self._remembered_filter()
        """A saved filter of leads the inbox shows instead (it wins over the owner, as on the server)."""
        self._server: dict[str, Lead] = {}
        self.overlay: Overlay[str, Lead | None] = Overlay(session.outbox, key=self._lead_key, predict=_predict)
        self.changes: Signal[Changed] = Signal()
        """Emitted after the leads shown change, with the lead ids that changed (None: any)."""
        self.names: dict[str, str] = {}
        """"person:<id>" / "organization:<id>" -> name, as looked up."""
        self._narrower: Narrower[Lead] = Narrower()
        self._names_seen = 0
        """How many of `names` the narrower's texts were made with."""
        self._lookups: dict[str, asyncio.Task[bool]] = {}
        """Name lookups on their way, by key (shared by whoever asks meanwhile)."""
        self._name_gate = asyncio.Semaphore(NAME_LOOKUPS)
        self.undo_stack: list[Command] = []
        self.activities: dict[str, Activity] = {}
        """Activities known, by id: the leads' next ones, as last read."""
        self._asked: set[str] = set()
        """Next activities asked for and not found (done or deleted meanwhile): not asked again until a whole read."""
        self._activities_at: dt.datetime | None = None
        """When the next activities were last all read again (None: not yet, or R asked for it)."""
        self._no_activities = False
        """The server answered that it has no activities (404, 403, 410): by close date from then on."""
        self._whole: tuple[tuple[bool, str | None, str | None], dt.datetime] | None = None
        """The scope of the list last read whole from the server, and when."""
        self._unsubscribe = session.outbox.subscribe(self._on_outbox)

    def detach(self) -> None:
        self._unsubscribe()

    def _lead_key(self, command: Command) -> str | None:
        """The lead a change is about, by the server's id once the server has made it."""
        key = _key(command)
        return self.session.outbox.server_id(key) if key is not None else None

    # -- reading -------------------------------------------------------------------------------
    @property
    def today(self) -> dt.date:
        return self.session.today()

    @property
    def now(self) -> dt.datetime:
        """Now in the account's time zone (a timed activity past it is overdue)."""
        return self.session.now()

    @property
    def me(self) -> str | None:
        account = self.session.account
        return account.user.id if account is not None else None

    @property
    def scope_label(self) -> str:
        if self.filter is not None:
            name = f"Filter: {self.filter.name or self.filter.id}"
            return f"{name} · archived" if self.archived else name
        member = self.member
        account = self.session.account
        named = f"{account.user_name(member) if account else member}'s leads" if member else "My leads"
        whose = "Everyone's leads" if self.everyone else named
        return f"{whose} · archived" if self.archived else whose

    EVERYONE = "*"

    @property
    def everyone(self) -> bool:
        """Everyone's leads the token may see, not only one user's."""
        return self.whose == self.EVERYONE

    @everyone.setter
    def everyone(self, value: bool) -> None:
        self.whose = self.EVERYONE if value else None

    @property
    def member(self) -> str | None:
        """The colleague whose leads the list is (None: the signed-in user's, or everyone's)."""
        return self.whose if self.whose not in (None, self.EVERYONE, self.me) else None

    def show_member(self, user_id: str | None) -> None:
        """Show `user_id`'s open leads (None, or the signed-in user: mine), without a saved filter; the
        caller loads. What was shown is dropped at once: it is not theirs."""
        if self.filter is not None:
            self.choose_filter(None)
        self.whose = user_id if user_id and user_id != self.me else None
        self.archived = False
        self._server = {}
        self.loaded = False
        self._rebuild()
        self.changes.emit(None)

    def find(self, lead_id: str) -> Lead | None:
        return next((lead for lead in self.items if lead.id == lead_id), None)

    @property
    def by_activity(self) -> bool:
        """Whether the inbox is ordered by next activity (else by expected close date)."""
        return self.session.supports(Capability.ACTIVITIES) and not self._no_activities

    def known_activities(self) -> Activities | None:
        """The activities the order goes by; None when it goes by expected close date."""
        return self.activities if self.by_activity else None

    def section(self, lead: Lead) -> LeadSection:
        now = self.now
        return lead_section(lead, now.date(), self.known_activities(), now)

    def next_activity(self, lead: Lead) -> Activity | None:
        """The lead's next activity, when known (None: it has none, or it is not read yet)."""
        return next_activity(lead, self.known_activities())

    async def load_activities(self, leads: Iterable[Lead], *, fresh: bool = False) -> bool:
        """Read the next activities of `leads` not known yet (`fresh`: all of them again); True when
        any was read. Failing reads leave what is known (offline: the cache's); a server without
        activities turns the order to expected close date for the session, without an error."""
        if not self.by_activity:
            return False
        wanted = list(dict.fromkeys(lead.next_activity_id for lead in leads if lead.next_activity_id))
        if not fresh:
            wanted = [i for i in wanted if i not in self.activities and i not in self._asked]
        if not wanted:
            return False
        try:
            found, everyones = await self._read_activities(wanted)
        except BackendError as exc:
            if isinstance(exc, (NotFound, PermissionDenied)) or exc.status == 410:
                self._no_activities = True
                self._rebuild()
                self.changes.emit(None)
            return False
        if fresh:
            if everyones:  # every open activity: what is not among them is done or deleted
                self.activities = {}
            self._asked = set()
            local = self.session.local
            if local is None or not local.stale:
                self._activities_at = self.session.clock()
        for activity in found:
            self.activities[activity.id] = activity
        self._asked.update(i for i in wanted if i not in self.activities)
        return True

    async def _read_activities(self, wanted: list[str]) -> tuple[list[Activity], bool]:
        """The activities `wanted`, the cheap way: a few by id, more with the list of everyone's open
        activities (a page of 500 costs what one by id does ten times). Also: whether that list was read."""
        api = activities_api(self.session.backend)
        if len(wanted) <= ACTIVITIES_BY_ID:
            return await api.activities(tuple(wanted)), False
        return await api.open_activities(), True

    def _activities_due(self) -> bool:
        """Whether the next activities known are to be read again (an activity can be moved to
        another day without its lead changing): at the first whole read, then every FULL_EVERY, and on R."""
        read = self._activities_at
        return read is None or self.session.clock() - read > FULL_EVERY

    async def activity_of(self, lead: Lead) -> Activity | None:
        """The lead's next activity, read by its id when it is not known yet (a lead the inbox does not hold)."""
        if lead.next_activity_id and lead.next_activity_id not in self.activities:
            if await self.load_activities([lead]):
                self._rebuild()
                self.changes.emit(None)
        return self.next_activity(lead)

    def labels(self) -> list[LeadLabel]:
        account = self.session.account
        return list(account.lead_labels) if account is not None else []

    async def load(
        self, *, on_progress: ProgressCallback | None = None, on_first_page: Callable[[list[Lead]], None] | None = None
    ) -> list[Lead]:
        """The scope's leads from the server (the cache when it cannot be reached)."""
        started = self.overlay.mark()
        chosen = self.filter
        scope = (self.archived, self._owner_scope(), chosen.id if chosen else None)
        changed = await self._changed_only(scope)
        if changed is not None:
            if not self.archived:
                await self.load_activities(changed)
            self.show_server(changed, started=started)
            return self.items
        if on_first_page is None and not self.loaded:
            def on_first_page(page: list[Lead]) -> None:
                # A large inbox shows its first page while the rest pages in (the list is not shown yet).
                if not self.loaded:
                    self.show_server(page, started=started)
                    self.loaded = False  # not the whole list: an empty result must not read as "no leads"

        leads = await leads_api(self.session.backend).leads_all(
            archived=self.archived, owner_id=self._owner_scope(), filter_id=chosen.id if chosen else None,
            on_progress=on_progress, on_first_page=on_first_page,
        )
        if chosen is not self.filter:
            return self.items  # another filter was chosen meanwhile: its own load shows it
        local = self.session.local
        if local is None or not local.stale:
            self._whole = (scope, self.session.clock())
        if not self.archived:  # an archived lead's section needs none (its detail reads its own)
            await self.load_activities(leads, fresh=self._activities_due())
        self.show_server(leads, started=started)
        return self.items

    def start_scope(self, me: str) -> tuple[str | None, str | None]:
        """(owner, saved filter) of the list a start paints from the cache before any request: the
        remembered filter's leads when there is one (never `me`'s under the filter's name), else `me`'s."""
        return (None, self.filter.id) if self.filter is not None else (me, None)

    def clear_shown(self) -> None:
        """Show nothing until the next load (the scope changed: the list shown is another's)."""
        self._server = {}
        self.items = []
        self.loaded = False
        self.changes.emit(None)

    def read_whole_next(self) -> None:
        """The next load reads the whole list, not only what changed (R: resync), and every next activity."""
        self._whole = None
        self._activities_at = None

    async def _changed_only(self, scope: tuple[bool, str | None, str | None]) -> list[Lead] | None:
        """A refresh of the list read whole a while ago: only the leads changed since (newest first,
        one page of each list, whoever's they are now), laid over it. None: read the whole list (never
        read whole in this scope, a filter's list, or the last whole read is older than FULL_EVERY:
        a deleted lead shows no change and leaves the list only then).

        What an unchanged inbox costs: two requests (GET /leads and /leads/archived, one page each),
        however many leads it holds, instead of one request per 500 leads.
        """
        whole = self._whole
        if whole is None or whole[0] != scope or scope[2] is not None:
            return None
        if self.session.clock() - whole[1] > FULL_EVERY:
            return None
        stamps = [lead.update_time for lead in self._server.values() if lead.update_time is not None]
        if not stamps:
            return None
        since = max(stamps) - CHANGE_MARGIN

        def older(page: list[Lead]) -> bool:
            return bool(page) and (page[-1].update_time or _OLDEST) < since

        api = leads_api(self.session.backend)
        changed: list[Lead] = []
        for archived in (False, True):
            changed += await api.leads_all(archived=archived, owner_id=None, sort="update_time DESC", stop=older)
        merged = dict(self._server)
        copy = self.session.local
        for lead in changed:
            if (lead.update_time or _OLDEST) < since:
                continue
            keep = self._in_scope(lead)
            if keep:
                merged[lead.id] = lead
            else:
                merged.pop(lead.id, None)
            if copy is not None:
                copy.keep_lead(scope[1], scope[0], lead.id, lead if keep else None)
        return list(merged.values())

    def _owner_scope(self) -> str | None:
        """Whose leads the list is (None: everyone's, or a filter's, which wins over the owner)."""
        return None if self.everyone or self.filter is not None else self.member or self.me

    # -- saved filters -----------------------------------------------------------------------------
    def _memory(self) -> Any:
        return self.session.filters.memory

    def _remembered_filter(self) -> SavedFilter | None:
        memory = self._memory()
        raw = memory.get(FILTER_MEMORY) if memory is not None else None
        try:
            return SavedFilter.model_validate(raw) if isinstance(raw, dict) else None
        except ValueError:
            return None  # a damaged view.json: no filter, never a failed start

    async def saved_filters(self) -> list[SavedFilter]:
        """The account's saved filters of leads (the cached list offline)."""
        return await leads_api(self.session.backend).lead_filters()

    def choose_filter(self, chosen: SavedFilter | None) -> None:
        """Show `chosen`'s leads (None: the owner's scope again) and remember it for this profile; the
        caller loads. What was shown is dropped at once: it is not the filter's."""
        self.filter = chosen
        memory = self._memory()
        if memory is not None:
            memory.set(FILTER_MEMORY, chosen.model_dump(mode="json", include={"id", "name"}) if chosen else None)
        self._server = {}
        self.loaded = False
        self._rebuild()
        self.changes.emit(None)

    def show_server(self, leads: Iterable[Lead], *, started: int | None = None) -> None:
        """The server's leads of the scope: shown with the changes still on their way over them."""
        fresh = {lead.id: lead for lead in leads}
        for lead_id in self.overlay.newer(started) if started is not None else set():
            # Read before the last change about it was heard: what is shown already holds that change.
            if lead_id in self._server:
                fresh[lead_id] = self._server[lead_id]
        for lead_id, lead in fresh.items():
            if self.overlay.is_busy(lead_id):
                self.overlay.server[lead_id] = lead  # the changes on their way apply to this copy now
        self._server = fresh
        self.loaded = True
        self._rebuild()
        self.changes.emit(None)

    def _in_scope(self, lead: Lead) -> bool:
        if lead.is_archived != self.archived:
            return False
        return self.everyone or self.filter is not None or lead.owner_id == (self.member or self.me)

    def _rebuild(self) -> None:
        shown: list[Lead] = []
        for lead_id, lead in self._server.items():
            current = self.overlay.shown(lead_id, lead)
            if current is not None and self._in_scope(current):
                shown.append(current)
        for lead_id in self.overlay.busy() - self._server.keys():
            if any(c.creates for c in self.overlay.pending(lead_id)):  # made here, not on the server yet
                made = self.overlay.shown(lead_id, None)
                if made is not None and self._in_scope(made):
                    shown.append(made)
        now, activities = self.now, self.known_activities()
        shown.sort(key=lambda lead: lead_sort_key(lead, now.date(), activities, now))
        self.items = shown

    def _on_outbox(self, event: OutboxEvent) -> None:
        command = event.command
        if command.creates and event.kind == SENT and isinstance(command, LeadCommand) and _key(command) is not None:
            # Made on the server: the local id gives way to the server's, the answer is the server's copy.
            local = command.lead_id
            self.overlay.server.pop(local, None)
            made = command.predict(None)
            real = self.session.outbox.server_id(local)
            if made is not None and real != local:
                self._server[real] = made
        lead_id = self.overlay.hear(event)
        if lead_id is None:
            return
        if event.kind == SENT and lead_id in self._server:
            confirmed = _predict(self._server[lead_id], event.command)
            if confirmed is None:
                del self._server[lead_id]
            else:
                self._server[lead_id] = confirmed
            copy = self.session.local
            if copy is not None and not self.overlay.is_busy(lead_id):
                # What is shown is the server's copy now; the local copy keeps it too, or the next
                # start would show the change undone until the first refresh.
                kept = confirmed if confirmed is not None and self._in_scope(confirmed) else None
                if self.filter is None:  # a filter's list: its next load says who is in it
                    copy.keep_lead(self._owner_scope(), self.archived, lead_id, kept)
        if event.kind in SHOWN_CHANGES:
            self._rebuild()
            self.changes.emit(frozenset({lead_id}))

    # -- narrowing (/) ----------------------------------------------------------------------------
    def matches(self, lead: Lead, query: str) -> bool:
        """Whether every word of `query` is in the lead's title, person, organization or labels
        (case and accents ignored: "zoe" finds "Zoë")."""
        words = fold(query).split()
        if not words:
            return True
        text = fold(self._search_text({label.id: label.name for label in self.labels()})(lead))
        return all(word in text for word in words)

    def _search_text(self, labels: dict[str, str]) -> Callable[[Lead], str]:
        return lambda lead: " ".join([lead.title, self.who(lead), *(labels.get(i, "") for i in lead.label_ids)])

    def narrow(self, query: str) -> list[Lead]:
        """The leads shown that `matches` `query`, in order: each lead's text folded once (again when its
        names or the labels change), a query typed on from the last one narrowed from its matches."""
        labels = {label.id: label.name for label in self.labels()}
        if len(self.names) < self._names_seen:  # never so far: names are only ever added
            self._narrower, self._names_seen = Narrower(), 0
        if len(self.names) != self._names_seen:  # names came in: their leads' texts made again
            came = set(list(self.names)[self._names_seen :])
            self._names_seen = len(self.names)
            self._narrower.forget(
                lead
                for lead in self.items
                if f"person:{lead.person_id}" in came or f"organization:{lead.organization_id}" in came
            )
        return self._narrower.narrow(self.items, query, self._search_text(labels), context=tuple(labels.items()))

    async def search_server(self, term: str) -> list[Lead]:
        """The server's search of leads for `term` (title, notes, custom fields; scored, best first)."""
        exact = len(term.strip()) < 2
        return await leads_api(self.session.backend).search_leads(term.strip(), exact=exact)

    # -- names ---------------------------------------------------------------------------------
    def who(self, lead: Lead) -> str:
        """"Person · Organization" as far as known (ids until their names are looked up)."""
        person = self.names.get(f"person:{lead.person_id}", "") if lead.person_id else ""
        org = self.names.get(f"organization:{lead.organization_id}", "") if lead.organization_id else ""
        return " · ".join(n for n in (person or lead.person_name, org or lead.organization_name) if n)

    def _unnamed(self, leads: Iterable[Lead]) -> list[str]:
        wanted: list[str] = []
        for lead in leads:
            for kind, item_id in (("person", lead.person_id), ("organization", lead.organization_id)):
                key = f"{kind}:{item_id}"
                if item_id and key not in self.names and key not in wanted:
                    wanted.append(key)
        return wanted

    def names_wanted(self, leads: Iterable[Lead]) -> bool:
        """Whether any person or organization of `leads` has no name here yet (`load_names` would ask)."""
        return bool(self._unnamed(leads))

    async def load_names(self, leads: Iterable[Lead]) -> bool:
        """Look up the person and organization names of `leads` not known yet; True when any was added.

        A lookup already on its way is shared, not sent again, and goes on when the caller stops
        waiting (the rows scrolled away): each costs a request of the company's budget, paid once.
        """
        wanted = self._unnamed(leads)
        if not wanted:
            return False
        tasks = [self._lookups.get(key) or self._look_up(key) for key in wanted]
        results = await asyncio.gather(*(asyncio.shield(task) for task in tasks), return_exceptions=True)
        return any(result is True for result in results)

    def _look_up(self, key: str) -> asyncio.Task[bool]:
        kind, _, item_id = key.partition(":")
        api = leads_api(self.session.backend)

        async def one() -> bool:
            async with self._name_gate:
                try:
                    name = await (api.person_name(item_id) if kind == "person" else api.organization_name(item_id))
                except NotFound:
                    name = f"(deleted {kind})"
                except BackendError:
                    return False  # offline or throttled: the id stays until the next look
            self.names[key] = name
            self.changes.emit(None)
            return True

        task = asyncio.ensure_future(one())
        self._lookups[key] = task
        task.add_done_callback(lambda _t: self._lookups.pop(key, None))
        return task

    async def permitted_users(self, lead_id: str) -> list[str] | None:
        """The ids of the users who may see the lead (the server's answer, or offline the last one kept);
        None when neither is to be had (offline and never asked, or the lead not on the server yet)."""
        try:
            return await leads_api(self.session.backend).permitted_users(lead_id)
        except BackendError:
            return None

    # -- changes -------------------------------------------------------------------------------
    def _require(self, lead_id: str) -> Lead:
        found = self.find(lead_id)
        if found is None:
            raise CommandRefused("That lead is no longer in the list; press r to refresh")
        return found

    async def run(self, command: Command, *, record: bool = True) -> None:
        """Write the change to the outbox (durable before it shows), then show it."""
        if isinstance(command, UpdateLead):
            command.check_fields()
        elif isinstance(command, CreateLead):
            command.check_draft()
        await self.session.queue(command)
        if record:
            self.undo_stack.append(command)
            del self.undo_stack[:-UNDO_DEPTH]

    async def update(self, lead_id: str, label: str, **fields: Any) -> UpdateLead | None:
        """Set `fields` of the lead; only those that differ are sent (None when none does: nothing is sent)."""
        lead = self._require(lead_id)
        before = fields_of(lead, frozenset(fields))
        wanted = {name: wire_value(name, value) for name, value in fields.items()}
        wanted = {name: value for name, value in wanted.items() if value != before[name]}
        before = {name: before[name] for name in wanted}
        if not wanted:
            return None
        command = UpdateLead(
            lead_id=lead_id, fields=wanted, before=before, read_update_time=lead.update_time, label=f"{label}: {lead.title}"
        )
        await self.run(command)
        return command

    async def toggle_archived(self, lead_id: str) -> bool:
        """Archive an open lead, or bring an archived one back; True when it is now archived."""
        lead = self._require(lead_id)
        archive = not lead.is_archived
        await self.update(lead_id, "Archive" if archive else "Unarchive", is_archived=archive)
        return archive

    async def toggle_seen(self, lead_id: str) -> bool:
        lead = self._require(lead_id)
        seen = not lead.was_seen
        await self.update(lead_id, "Seen" if seen else "Unseen", was_seen=seen)
        return seen

    async def set_owner(self, lead_id: str, owner_id: str) -> UpdateLead | None:
        return await self.update(lead_id, "Owner", owner_id=owner_id)

    async def set_labels(self, lead_id: str, label_ids: list[str]) -> UpdateLead | None:
        return await self.update(lead_id, "Labels", label_ids=sorted(label_ids))

    async def create(self, draft: LeadDraft) -> Lead | None:
        """Make a lead (mine unless the draft names an owner): shown at once under a local id, which
        gives way to the server's once it is made. Returns the lead as shown."""
        if not draft.owner_id and self.me:
            draft = draft.model_copy(update={"owner_id": self.me})
        command = CreateLead(lead_id=new_local_id(), draft=draft, label=f"New lead: {draft.title}")
        await self.run(command, record=False)  # taken back by deleting it (Pipedrive cannot undo that)
        return self.find(self.session.outbox.server_id(command.lead_id))

    def known(self, kind: str) -> list[tuple[str, str]]:
        """(name, id) of the persons or organizations (`kind`) whose names were looked up, by name."""
        prefix = f"{kind}:"
        found = [
            (name, key[len(prefix):]) for key, name in self.names.items() if key.startswith(prefix) and not name.startswith("(deleted")
        ]
        return sorted(found, key=lambda pair: (pair[0].casefold(), pair[1]))

    async def delete(self, lead_id: str) -> None:
        lead = self._require(lead_id)
        await self.run(DeleteLead(lead_id=lead_id, title=lead.title, label=f"Delete lead: {lead.title}"), record=False)

    @property
    def can_undo(self) -> bool:
        return bool(self.undo_stack)

    async def undo(self) -> Command:
        return await undo_last(self.undo_stack, self.session.outbox, lambda inverse: self.run(inverse, record=False))

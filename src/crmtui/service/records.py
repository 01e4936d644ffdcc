"""The records of one Crust module at a time, as shown: the server's copy (the local cache's first) with
the changes on their way laid over it, in the order the person chose, and the record verbs (new,
edit, delete, undo), each a change through the outbox (offline, exactly once, conflict-checked).

The module shown is remembered per profile (view.json). A module's records are read whole (0-based
pages of 100, the first one shown while the rest page in); the server's query (`query`) narrows
what is read, the screen's `/` narrows what is shown. Records linked from a field (an opportunity's
account) are named by the linked module's label field (`options.labelField`), once that module's
records are read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from crmtui.backends.base import ProgressCallback
from crmtui.domain.record_values import CREATED, LINK_KINDS, linked_module, problems, record_title, searchable_text, sort_key, title_fields
from crmtui.domain.records import Module, Record, RecordValue
from crmtui.service.commands import Command, new_local_id
from crmtui.service.errors import CommandRefused
from crmtui.service.features import modules_api, records_api
from crmtui.service.find_match import Narrower, fold
from crmtui.service.module_commands import ModuleCommand
from crmtui.service.outbox import SENT, OutboxEvent
from crmtui.service.overlay import SHOWN_CHANGES, Overlay
from crmtui.service.record_commands import RECORDS, CreateRecord, DeleteRecord, RecordCommand, UpdateRecord
from crmtui.service.signals import Signal
from crmtui.service.undo import undo_last

if TYPE_CHECKING:
    from crmtui.service.local_copy import LocalCopy
    from crmtui.service.session import Session

MODULE_MEMORY = "crust_module"
"""The view.json key of the module the records screen shows (per profile)."""
UNDO_DEPTH = 50

Changed = frozenset[str] | None


def _predict(record: Record | None, command: Command) -> Record | None:
    if not isinstance(command, RecordCommand) or (record is None and not command.creates):
        return record
    return command.predict(record)


class RecordsBrowser:
    """One module's records, as shown."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.modules: list[Module] = []
        self.module: Module | None = None
        self.sort_field = CREATED
        """The field the records are ordered by (createdAt: when they were made)."""
        self.descending = True
        self.query = ""
        """The server's query (what the records read must contain); "" reads them all."""
        self.items: list[Record] = []
        """As shown: the server's records with the changes on their way, in order."""
        self.loaded = False
        self.partial = False
        """Only the cache's first screenful of the list is shown (`paint_cached(first=True)`): the
        whole cached list is to be read next (`paint_cached()`)."""
        self.total = 0
        """How many records the server holds for the query (as the whole list read said)."""
        self.names: dict[str, str] = {}
        """Record id -> its name (records of every module read so far), for link fields."""
        self._narrower: Narrower[Record] = Narrower()
        self._names_changed = 0
        """Counts the changes of `names` (what `/` reads of a link field)."""
        self.undo_stack: list[Command] = []
        self._painting: asyncio.Future[bool] | None = None
        """The cached whole list's read under way (shared by whoever asks meanwhile)."""
        self._server: dict[str, Record] = {}
        self._named_modules: set[str] = set()
        self._by_module: dict[str, dict[str, None]] = {}
        """Module id -> the ids of its records read so far, in the order first read (the choices of a link
        field; a dict: a set kept in order)."""
        self.overlay: Overlay[str, Record | None] = Overlay(session.outbox, key=self._record_key, predict=_predict)
        self.changes: Signal[Changed] = Signal()
        """Emitted after the records shown change, with the record ids that changed (None: any)."""
        self._unsubscribe = session.outbox.subscribe(self._on_outbox)

    def detach(self) -> None:
        self._unsubscribe()

    def _record_key(self, command: Command) -> str | None:
        if not isinstance(command, RecordCommand) or command.section != RECORDS:
            return None
        if self.module is None or command.module_id != self.module.id:
            return None
        return self.session.outbox.server_id(command.record_id)

    # -- modules -------------------------------------------------------------------------------
    def _memory(self) -> Any:
        return self.session.filters.memory

    def remembered_module(self) -> str | None:
        memory = self._memory()
        raw = memory.get(MODULE_MEMORY) if memory is not None else None
        return raw if isinstance(raw, str) and raw else None

    async def load_modules(self) -> list[Module]:
        """The server's modules (the cached list offline); the one shown stays, else the remembered
        one, else the first."""
        self.modules = sorted(await modules_api(self.session.backend).modules(), key=lambda m: m.name.casefold())
        wanted = self.module.id if self.module is not None else self.remembered_module()
        found = next((m for m in self.modules if m.id == wanted), None) or (self.modules[0] if self.modules else None)
        if found is not None and (self.module is None or found.id != self.module.id):
            self._switch(found)
        elif found is not None:
            self.module = found  # its fields as the server has them now
        return self.modules

    def choose_module(self, module_id: str) -> Module:
        """Show `module_id`'s records (remembered for this profile); the caller loads."""
        found = next((m for m in self.modules if m.id == module_id), None)
        if found is None:
            raise CommandRefused("No such module")
        self._switch(found)
        memory = self._memory()
        if memory is not None:
            memory.set(MODULE_MEMORY, found.id)
        return found

    def step_module(self, step: int) -> Module | None:
        """The previous (-1) or next (+1) module, chosen (None: there are no modules)."""
        if not self.modules:
            return None
        at = next((n for n, m in enumerate(self.modules) if self.module is not None and m.id == self.module.id), 0)
        return self.choose_module(self.modules[(at + step) % len(self.modules)].id)

    def _switch(self, module: Module) -> None:
        self.module = module
        self.sort_field, self.descending, self.query = CREATED, True, ""
        self._server = {}
        self.items = []
        self.loaded = False
        self.total = 0
        self.changes.emit(None)

    def module_by_id(self, module_id: str) -> Module | None:
        return next((m for m in self.modules if m.id == module_id), None)

    # -- order ---------------------------------------------------------------------------------
    @property
    def sort(self) -> str:
        """The order as the server reads it ("createdAt DESC", "closeDate ASC")."""
        return f"{self.sort_field} {'DESC' if self.descending else 'ASC'}"

    def sort_by(self, name: str) -> None:
        """Order by `name`; the same field again turns the order round. The caller loads."""
        if name == self.sort_field:
            self.descending = not self.descending
        else:
            self.sort_field, self.descending = name, name == CREATED
        self._rebuild()
        self.changes.emit(None)

    def sort_label(self) -> str:
        if self.sort_field == CREATED:
            what = "newest" if self.descending else "oldest"
            return f"{what} first"
        field = self.module.field(self.sort_field) if self.module is not None else None
        return f"by {field.title if field else self.sort_field} {'↓' if self.descending else '↑'}"

    # -- reading -------------------------------------------------------------------------------
    def find(self, record_id: str) -> Record | None:
        return next((r for r in self.items if r.id == record_id), None)

    def title(self, record: Record) -> str:
        module = self.module_by_id(record.module_id) or self.module
        return record_title(module, record)

    async def paint_cached(self, *, first: bool = False) -> bool:
        """The module's records as last read (no network), shown at once; False when none are kept.
        `first`: their first screenful when one is kept (the list is not `loaded` then: a second call
        reads the whole list), else the whole list."""
        local = self.session.local
        if local is None or self.loaded:
            return False
        if not first:  # the whole list: one read, shared by whoever asks while it is under way
            if self._painting is None or self._painting.done():
                self._painting = asyncio.ensure_future(self._paint_cached(local, first=False))
            return await asyncio.shield(self._painting)
        return await self._paint_cached(local, first=True)

    async def _paint_cached(self, local: LocalCopy, *, first: bool) -> bool:
        if self.module is None:
            modules = await local.cached_modules()
            if not modules or self.module is not None:
                return False
            self.modules = sorted(modules, key=lambda m: m.name.casefold())
            wanted = self.remembered_module()
            self._switch(next((m for m in self.modules if m.id == wanted), self.modules[0]))
        module = self.module
        assert module is not None
        head = await local.cached_records(module.id, sort=self.sort, query=self.query, first=True) if first else None
        found = head if head is not None else await local.cached_records(module.id, sort=self.sort, query=self.query)
        if found is None or module is not self.module or self.loaded:
            return False
        self.show_server(found)
        if head is not None:
            self.loaded, self.partial = False, True  # a screenful, not the whole list yet
        return True

    async def load(
        self, *, on_progress: ProgressCallback | None = None, on_first_page: Callable[[list[Record]], None] | None = None
    ) -> list[Record]:
        """The module's records from the server (the cache when it cannot be reached)."""
        if self.module is None:
            await self.load_modules()
        module = self.module
        if module is None:
            self.loaded = True
            self.changes.emit(None)
            return []
        started = self.overlay.mark()
        sort, query = self.sort, self.query
        if on_first_page is None and not self.loaded:
            def on_first_page(page: list[Record]) -> None:
                if not self.loaded and module is self.module:
                    self.show_server(page, started=started)
                    self.loaded = False  # not the whole list yet

        records = await records_api(self.session.backend).records_all(
            module.id, query=query, sort=sort, on_progress=on_progress, on_first_page=on_first_page
        )
        if module is not self.module or (sort, query) != (self.sort, self.query):
            return self.items  # another module or order was asked for meanwhile: its own load shows it
        self.show_server(records, started=started)
        return self.items

    def show_server(self, records: Iterable[Record], *, started: int | None = None) -> None:
        fresh = {record.id: record for record in records}
        for record_id in self.overlay.newer(started) if started is not None else set():
            if record_id in self._server:
                fresh[record_id] = self._server[record_id]
        for record_id, record in fresh.items():
            if self.overlay.is_busy(record_id):
                self.overlay.server[record_id] = record
        self._server = fresh
        self.total = len(fresh)
        self.loaded, self.partial = True, False
        self._learn_names(fresh.values())
        self._rebuild()
        self.changes.emit(None)

    def _learn_names(self, records: Iterable[Record]) -> None:
        account = self.session.account
        learning = account is not None  # until the signed-in user has a name
        titled: dict[str, list[str]] = {}  # module id -> its title fields: looked up once, not per record
        names, by_module, changed = self.names, self._by_module, 0
        for record in records:
            if learning and account is not None and record.owner_name and record.owner_id == account.user.id:
                learning = not account.learn_name(record.owner_id, record.owner_name)  # no request: the user by name
            fields = titled.get(record.module_id)
            if fields is None:
                module = self.module_by_id(record.module_id)
                fields = titled[record.module_id] = title_fields(module) if module is not None else []
            title = record_title(None, record, fields)
            if names.get(record.id) != title:
                names[record.id] = title
                changed += 1
            by_module.setdefault(record.module_id, {})[record.id] = None  # a list's `in` was 3 s at 20,000
        self._names_changed += changed

    async def load_names(self) -> bool:
        """Read the records of the modules the shown module links to (once each), to name its links;
        True when any was read. A module that cannot be read leaves the ids shown."""
        module = self.module
        if module is None:
            return False
        wanted = []
        for field in module.fields:
            target = linked_module(field) if field.kind in LINK_KINDS else ""
            if target and target not in self._named_modules and target not in wanted:
                wanted.append(target)
        read = False
        for target in wanted:
            try:
                records = await records_api(self.session.backend).records_all(target, sort="createdAt DESC")
            except Exception:  # noqa: BLE001 - names are a nicety: ids stay when they cannot be read
                continue
            self._named_modules.add(target)
            self._learn_names(records)
            read = True
        if read:
            self.changes.emit(None)
        return read

    def linked_choices(self, field_name: str) -> list[tuple[str, str]]:
        """(name, id) of the records a link field may name (those of its module read so far), by name."""
        module = self.module
        field = module.field(field_name) if module is not None else None
        target = linked_module(field) if field is not None else ""
        if not target:
            return []
        ids = [r.id for r in self.items] if module is not None and target == module.id else list(self._by_module.get(target, {}))
        return sorted(((self.names.get(i, f"#{i}"), i) for i in ids), key=lambda p: (p[0].casefold(), p[1]))

    def _rebuild(self) -> None:
        shown: list[Record] = []
        for record_id, record in self._server.items():
            current = self.overlay.shown(record_id, record)
            if current is not None:
                shown.append(current)
        for record_id in self.overlay.busy() - self._server.keys():
            if any(c.creates for c in self.overlay.pending(record_id)):
                made = self.overlay.shown(record_id, None)
                if made is not None:
                    shown.append(made)
        module, names = self.module, self.names

        field = self.sort_field
        keyed = sorted(((sort_key(module, field, r, names), r) for r in shown), key=lambda pair: pair[0])
        if self.descending:  # empty values stay last (a key's first item says empty)
            keyed = [p for p in reversed(keyed) if not p[0][0]] + [p for p in keyed if p[0][0]]
        self.items = [record for _key, record in keyed]

    def _module_sent(self, command: ModuleCommand) -> None:
        """A module change the server confirmed: the modules (and the shown one's columns) follow it."""
        module_id = self.session.outbox.server_id(command.module_id)
        old = self.module_by_id(module_id)
        now = command.predict(old)
        others = [m for m in self.modules if m.id != module_id]
        self.modules = sorted([*others, now] if now is not None else others, key=lambda m: m.name.casefold())
        if self.module is None or self.module.id != module_id:
            if self.module is None and self.modules:
                self._switch(self.modules[0])
            return
        if now is None and self.modules:
            self._switch(self.modules[0])  # the shown module is gone: the next one shows (the screen loads it)
        elif now is None:
            self._gone()
        else:
            self.module = now
            self._rebuild()
            self.changes.emit(None)

    def _gone(self) -> None:
        self.module = None
        self._server, self.items, self.total = {}, [], 0
        self.loaded = True
        self.changes.emit(None)

    def _on_outbox(self, event: OutboxEvent) -> None:
        command = event.command
        if isinstance(command, ModuleCommand):
            if event.kind == SENT:
                self._module_sent(command)
            return
        if command.creates and event.kind == SENT and isinstance(command, RecordCommand) and self._record_key(command) is not None:
            local = command.record_id
            self.overlay.server.pop(local, None)
            made = command.predict(None)
            real = self.session.outbox.server_id(local)
            if made is not None and real != local:
                self._server[real] = made
        record_id = self.overlay.hear(event)
        if record_id is None:
            return
        if event.kind == SENT and record_id in self._server:
            confirmed = _predict(self._server[record_id], event.command)
            if confirmed is None:
                del self._server[record_id]
            else:
                self._server[record_id] = confirmed
                self._learn_names([confirmed])
        if event.kind in SHOWN_CHANGES:
            self._rebuild()
            self.changes.emit(frozenset({record_id}))

    # -- narrowing (/) ---------------------------------------------------------------------------
    def matches(self, record: Record, query: str) -> bool:
        """Whether every word of `query` is in one of the record's values (linked records by name;
        case and accents ignored)."""
        words = fold(query).split()
        if not words:
            return True
        text = fold(self._search_text()(record))
        return all(word in text for word in words)

    def _search_text(self) -> Callable[[Record], str]:
        """A record's values as shown, in one line (the module's fields looked up once, not per value)."""
        fields = {f.name: f for f in reversed(self.module.fields)} if self.module is not None else {}  # the first of a name wins
        names = self.names
        return lambda record: " ".join(searchable_text(fields.get(name), value, names) for name, value in record.values.items())

    def narrow(self, query: str) -> list[Record]:
        """The records shown that `matches` `query`, in order: each record's text folded once (again when
        the module or the names of linked records change), a query typed on from the last one narrowed
        from its matches."""
        return self._narrower.narrow(self.items, query, self._search_text(), context=(self.module, self._names_changed))

    # -- changes -------------------------------------------------------------------------------
    def _require(self, record_id: str) -> Record:
        found = self.find(record_id)
        if found is None:
            raise CommandRefused("That record is no longer in the list; press r to refresh")
        return found

    def check(self, values: dict[str, RecordValue]) -> None:
        """Refuse, with the first problem in words, values the module's fields do not allow."""
        module = self.module
        found = problems(module, values) if module is not None else {}
        if found:
            raise CommandRefused(next(iter(found.values())))

    async def run(self, command: Command, *, record: bool = True) -> None:
        """Write the change to the outbox (durable before it shows), then show it."""
        await self.session.queue(command)
        if record:
            self.undo_stack.append(command)
            del self.undo_stack[:-UNDO_DEPTH]

    async def create(self, values: dict[str, RecordValue]) -> Record | None:
        """Make a record in the module shown: shown at once under a local id. Returns it as shown."""
        module = self.module
        if module is None:
            raise CommandRefused("No module is shown")
        values = {n: v for n, v in values.items() if v.value or v.related}
        self.check(values)
        me = self.session.account.user.id if self.session.account is not None else ""
        command = CreateRecord(
            module_id=module.id, record_id=new_local_id(), values=values, owner_id=me,
            label=f"New {module.name}: {record_title(module, Record(id='', module_id=module.id, values=values))}",
        )
        await self.run(command, record=False)  # taken back by deleting it
        return self.find(self.session.outbox.server_id(command.record_id))

    async def update(self, record_id: str, changes: dict[str, RecordValue]) -> UpdateRecord | None:
        """Set the fields in `changes` that differ; None when none does (nothing is sent)."""
        record = self._require(record_id)
        wanted = {
            n: v for n, v in changes.items()
            if (record.values.get(n) or RecordValue()).value != v.value
            or sorted((record.values.get(n) or RecordValue()).related) != sorted(v.related)
        }
        if not wanted:
            return None
        self.check({**record.values, **wanted})
        assert self.module is not None
        command = UpdateRecord(
            module_id=self.module.id, record_id=record_id, read=record, changes=wanted,
            label=f"Edit {self.module.name}: {self.title(record)}",
        )
        await self.run(command)
        return command

    async def delete(self, record_id: str) -> None:
        record = self._require(record_id)
        assert self.module is not None
        title = self.title(record)
        await self.run(DeleteRecord(
            module_id=self.module.id, record_id=record_id, snapshot=record, title=title,
            label=f"Delete {self.module.name}: {title}",
        ))

    @property
    def can_undo(self) -> bool:
        return bool(self.undo_stack)

    async def undo(self) -> Command:
        return await undo_last(self.undo_stack, self.session.outbox, lambda inverse: self.run(inverse, record=False))

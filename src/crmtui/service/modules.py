"""Crust's modules as shown on the modules screen: the server's list (the cache's offline) with the
module changes on their way laid over it, each module's record count where it is cheap to know (one
small page per module: the server counts the query), and the module verbs (new, edit, delete, undo),
each a change through the outbox.

The records screen reads its modules through the same outbox: once a module change is confirmed, its
columns follow (`RecordsBrowser` hears the change too).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from crmtui.backends.errors import BackendError
from crmtui.domain.module_edits import field_problems
from crmtui.domain.records import Module, ModuleField
from crmtui.service.commands import Command, is_local_id, new_local_id
from crmtui.service.errors import CommandRefused
from crmtui.service.features import modules_api, records_api
from crmtui.service.module_commands import MODULES, CreateModule, DeleteModule, ModuleCommand, UpdateModule
from crmtui.service.outbox import SENT, OutboxEvent
from crmtui.service.overlay import SHOWN_CHANGES, Overlay
from crmtui.service.signals import Signal
from crmtui.service.undo import undo_last

if TYPE_CHECKING:
    from crmtui.service.session import Session

UNDO_DEPTH = 50
COUNT_PAGE = 10
"""The smallest page the server serves: a module's record count costs one such read."""


def _predict(module: Module | None, command: Command) -> Module | None:
    if not isinstance(command, ModuleCommand) or (module is None and not command.creates):
        return module
    return command.predict(module)


class ModulesBrowser:
    """Every module, as shown."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.items: list[Module] = []
        """As shown: the server's modules with the changes on their way, by name."""
        self.loaded = False
        self.counts: dict[str, int] = {}
        """Module id -> how many records it holds (modules whose records cannot be listed left out)."""
        self.kinds: list[str] = []
        """The kinds of field the server offers (its `/field/` list; empty until read)."""
        self.undo_stack: list[Command] = []
        self._server: dict[str, Module] = {}
        self.overlay: Overlay[str, Module | None] = Overlay(session.outbox, key=self._key, predict=_predict)
        self.changes: Signal[frozenset[str] | None] = Signal()
        """Emitted after the modules shown change (always None: any of them)."""
        self._unsubscribe = session.outbox.subscribe(self._on_outbox)

    def detach(self) -> None:
        self._unsubscribe()

    def _key(self, command: Command) -> str | None:
        if not isinstance(command, ModuleCommand) or command.section != MODULES:
            return None
        return self.session.outbox.server_id(command.module_id)

    # -- reading -------------------------------------------------------------------------------
    def find(self, module_id: str) -> Module | None:
        return next((m for m in self.items if m.id == module_id), None)

    def names(self) -> dict[str, str]:
        """Module id -> name (the modules shown), for the module a link field names."""
        return {m.id: m.name for m in self.items}

    async def load(self) -> list[Module]:
        started = self.overlay.mark()
        found = await modules_api(self.session.backend).modules()
        self.show_server(found, started=started)
        if not self.kinds:
            try:
                self.kinds = [k.kind for k in await modules_api(self.session.backend).field_kinds()]
            except BackendError:
                pass  # the form offers its own list
        return self.items

    async def load_counts(self) -> bool:
        """Each module's record count (one small page each); True when any was read. A module whose
        records cannot be listed (a failure, an error as 200) has no count."""
        read = False
        for module in list(self.items):
            if is_local_id(module.id):
                continue
            try:
                page = await records_api(self.session.backend).records(module.id, per_page=COUNT_PAGE)
            except BackendError:
                self.counts.pop(module.id, None)
                continue
            self.counts[module.id] = page.total
            read = True
        if read:
            self.changes.emit(None)
        return read

    def show_server(self, modules: Sequence[Module], *, started: int | None = None) -> None:
        fresh = {m.id: m for m in modules}
        for module_id in self.overlay.newer(started) if started is not None else set():
            if module_id in self._server:
                fresh[module_id] = self._server[module_id]
        for module_id, module in fresh.items():
            if self.overlay.is_busy(module_id):
                self.overlay.server[module_id] = module
        self._server = fresh
        self.loaded = True
        self._rebuild()
        self.changes.emit(None)

    def _rebuild(self) -> None:
        shown: list[Module] = []
        for module_id, module in self._server.items():
            current = self.overlay.shown(module_id, module)
            if current is not None:
                shown.append(current)
        for module_id in self.overlay.busy() - self._server.keys():
            if any(c.creates for c in self.overlay.pending(module_id)):
                made = self.overlay.shown(module_id, None)
                if made is not None:
                    shown.append(made)
        self.items = sorted(shown, key=lambda m: (m.name.casefold(), m.id))

    def _on_outbox(self, event: OutboxEvent) -> None:
        command = event.command
        if not isinstance(command, ModuleCommand):
            return
        if command.creates and event.kind == SENT:
            local = command.module_id
            self.overlay.server.pop(local, None)
            made = command.predict(None)
            real = self.session.outbox.server_id(local)
            if made is not None and real != local:
                self._server[real] = made
        module_id = self.overlay.hear(event)
        if module_id is None:
            return
        if event.kind == SENT and module_id in self._server:
            confirmed = _predict(self._server[module_id], command)
            if confirmed is None:
                del self._server[module_id]
                self.counts.pop(module_id, None)
            else:
                self._server[module_id] = confirmed
        if event.kind in SHOWN_CHANGES:
            self._rebuild()
            self.changes.emit(None)

    # -- changes -------------------------------------------------------------------------------
    @staticmethod
    def check(name: str, fields: Sequence[ModuleField]) -> None:
        found = field_problems(name, fields)
        if found:
            raise CommandRefused(found[0][1])

    async def run(self, command: Command, *, record: bool = True) -> None:
        await self.session.queue(command)
        if record:
            self.undo_stack.append(command)
            del self.undo_stack[:-UNDO_DEPTH]

    async def create(self, name: str, fields: Sequence[ModuleField]) -> Module | None:
        """Make a module: shown at once under a local id. Returns it as shown."""
        name = name.strip()
        self.check(name, fields)
        command = CreateModule(module_id=new_local_id(), name=name, fields=list(fields), label=f"New module: {name}")
        await self.run(command, record=False)  # taken back by deleting it
        return self.find(self.session.outbox.server_id(command.module_id))

    async def update(self, module_id: str, name: str, fields: Sequence[ModuleField]) -> UpdateModule | None:
        """Send the module's new name and fields; None when nothing differs (nothing is sent)."""
        module = self.find(module_id)
        if module is None:
            raise CommandRefused("That module is no longer in the list; press r to refresh")
        name = name.strip()
        if name == module.name and [f.model_dump() for f in fields] == [f.model_dump() for f in module.fields]:
            return None
        self.check(name, fields)
        command = UpdateModule(module_id=module_id, read=module, name=name, fields=list(fields), label=f"Edit module: {name}")
        await self.run(command)
        return command

    async def delete(self, module_id: str) -> None:
        module = self.find(module_id)
        if module is None:
            raise CommandRefused("That module is no longer in the list; press r to refresh")
        await self.run(DeleteModule(module_id=module_id, snapshot=module, label=f"Delete module: {module.name}"))

    @property
    def can_undo(self) -> bool:
        return bool(self.undo_stack)

    async def undo(self) -> Command:
        return await undo_last(self.undo_stack, self.session.outbox, lambda inverse: self.run(inverse, record=False))

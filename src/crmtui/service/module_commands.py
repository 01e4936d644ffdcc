"""Changes to modules (Crust): a new module, an edit of its name and fields, a delete, each through the outbox.

An edit sends the module's name and every field (the server replaces the list), so sending it twice
is once. Before it goes the outbox asks `conflict`: when the module's `updatedAt` moved since it was
read and the server's definition is neither what was read nor what is sent, someone else changed it
meanwhile and sending would undo their change: a conflict for the pending-changes screen, saying
which fields differ.

Making a module is not idempotent: after a lost answer `reconcile` looks for a module made since the
first attempt with the same name and fields. Deleting answers OK whether or not there was one; the
module's records stay in the server's database but no route reads them any more. Undo of a delete
makes the module again under a new id, without its records (said so).
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal

from crmtui.backends.base import Backend
from crmtui.backends.errors import NotFound
from crmtui.domain.records import Module, ModuleField
from crmtui.domain.subjects import subject
from crmtui.service.commands import Command, MakesOne, made_after
from crmtui.service.errors import CommandRefused
from crmtui.service.features import modules_api

MODULES = "modules"
"""The section of module changes (the modules screen and the records screen's columns follow them)."""
MODULE = "module"
"""The subject kind of a module: `module:<id>`."""


def _same_definition(module: Module, name: str, fields: list[ModuleField]) -> bool:
    return module.name == name and [f.model_dump() for f in module.fields] == [f.model_dump() for f in fields]


class ModuleCommand(Command):
    contact_id: str = ""
    module_id: str

    section: ClassVar[str] = MODULES

    @property
    def subject(self) -> str:
        return subject(MODULE, self.module_id)

    def predict(self, module: Module | None) -> Module | None:
        """The module as this change leaves it (None: gone)."""
        return module


class CreateModule(MakesOne, ModuleCommand):
    """A module made on this machine: shown at once under a local id until the server's comes."""

    kind: Literal["crust_create_module"] = "crust_create_module"
    made_field: ClassVar[str] = "module_id"
    name: str
    fields: list[ModuleField]
    made_at: dt.datetime | None = None
    created: Module | None = None

    def stamp(self, now: dt.datetime) -> None:
        if self.made_at is None:
            self.made_at = now

    def predict(self, module: Module | None) -> Module | None:
        if self.created is not None:
            return self.created
        return Module(id=self.module_id, name=self.name, fields=[f.model_copy() for f in self.fields], created_at=self.made_at)

    async def execute(self, backend: Backend) -> None:
        self.created = await modules_api(backend).create_module(self.name, list(self.fields))

    async def reconcile(self, backend: Backend, since: dt.datetime | None, claimed: set[str]) -> bool:
        """An attempt whose answer was lost: a module made since then with this name and these fields is it."""
        for module in await modules_api(backend).modules():
            if module.id in claimed or not made_after(module.created_at, since):
                continue
            if _same_definition(module, self.name, list(self.fields)):
                self.created = module
                return True
        return False

    def inverse(self) -> Command:
        raise CommandRefused("A new module is taken back by deleting it (Delete on the list)")


class UpdateModule(ModuleCommand):
    """Replace a module's name and fields (every field sent: one left out is gone)."""

    kind: Literal["crust_update_module"] = "crust_update_module"
    read: Module
    """The module as the person read it (its updatedAt: the guard)."""
    name: str
    fields: list[ModuleField]
    updated: Module | None = None

    answered: ClassVar[bool] = True

    def predict(self, module: Module | None) -> Module | None:
        if module is None:
            return None
        if self.updated is not None:
            return self.updated
        return module.model_copy(update={"name": self.name, "fields": [f.model_copy() for f in self.fields]})

    async def conflict(self, backend: Backend) -> str | None:
        try:
            fresh = await modules_api(backend).module(self.module_id)
        except NotFound:
            return "the module was deleted on the server"
        if self.read.updated_at is not None and fresh.updated_at == self.read.updated_at:
            return None
        fields = list(self.fields)
        if _same_definition(fresh, self.name, fields) or _same_definition(fresh, self.read.name, list(self.read.fields)):
            return None  # this very change (its answer lost), or nobody changed the definition
        mine = {f.name: f for f in self.read.fields}
        theirs = {f.name: f for f in fresh.fields}
        said = []
        if fresh.name != self.read.name:
            said.append(f"the module is named “{fresh.name}” on the server now")
        added = [n for n in theirs if n not in mine]
        removed = [n for n in mine if n not in theirs]
        changed = [n for n in mine if n in theirs and mine[n] != theirs[n]]
        if added:
            said.append(f"fields added there: {', '.join(added)}")
        if removed:
            said.append(f"fields removed there: {', '.join(removed)}")
        if changed:
            said.append(f"fields changed there: {', '.join(changed)}")
        return "; ".join(said) or "the module's fields were changed on the server since you read them"

    async def execute(self, backend: Backend) -> None:
        self.updated = await modules_api(backend).update_module(self.module_id, self.name, list(self.fields))

    def inverse(self) -> Command:
        after = self.read.model_copy(update={"name": self.name, "fields": list(self.fields), "updated_at": None})
        return UpdateModule(
            module_id=self.module_id, read=after, name=self.read.name, fields=list(self.read.fields),
            label=f"Undo: {self.describe()}",
        )


class DeleteModule(ModuleCommand):
    """Delete a module (its records stay in the database, unread by any route; undo makes it again)."""

    kind: Literal["crust_delete_module"] = "crust_delete_module"
    snapshot: Module

    removes: ClassVar[bool] = True

    def predict(self, module: Module | None) -> Module | None:
        return None

    async def execute(self, backend: Backend) -> None:
        await modules_api(backend).delete_module(self.module_id)  # answered OK even when gone

    def inverse(self) -> Command:
        from crmtui.service.commands import new_local_id

        return CreateModule(
            module_id=new_local_id(), name=self.snapshot.name, fields=list(self.snapshot.fields),
            label=f"Undo delete (made again under a new id, without its records): {self.snapshot.name}",
        )

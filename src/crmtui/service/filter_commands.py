"""Changes to saved filters (Pipedrive): a new filter, an edit (name and conditions), a delete of one or many.

An edit sends the whole conditions (PUT replaces them), so sending it twice leaves the filter as
once; its inverse puts back what was read (`before_*`), and its conflict check reads the filter again
and refuses when someone else changed it since it was read (its `update_time`). Making a filter is not
idempotent (a second POST makes a second one), so after a lost answer `reconcile` looks among the
account's filters of that type, newest first, for one of the same name that was not there when it
was asked for (`known_ids`) nor made before the first attempt. A delete cannot be undone (Pipedrive
has no undelete for filters): the screen asks first and says so. Several marked filters go in one
bulk delete.

A filter made here is shown at once under a local id (`filter_id`), which gives way to the server's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Literal

from crmtui.backends.base import Backend
from crmtui.backends.errors import NotFound
from crmtui.domain.filters import FILTER_TYPE_TITLES, Filter, FilterConditions
from crmtui.domain.subjects import subject
from crmtui.service.commands import Command, MakesOne, is_local_id, made_after
from crmtui.service.errors import CommandRefused
from crmtui.service.features import filters_api

FILTERS = "filters"
"""The section of filter changes (the filters screen follows them)."""
FILTER = "filter"
"""The subject kind of a filter: `filter:<id>`."""


def check_filter(name: str | None, conditions: FilterConditions | None) -> None:
    """Refuse, with the reason, what the server would refuse."""
    if name is not None and not name.strip():
        raise CommandRefused("A filter needs a name")
    if conditions is not None:
        try:
            conditions.check()
        except ValueError as exc:
            raise CommandRefused(str(exc)) from None


def _stamp(moment: dt.datetime | None) -> str:
    return moment.isoformat() if moment is not None else ""


class FilterCommand(Command):
    contact_id: str = ""
    filter_id: str

    section: ClassVar[str] = FILTERS

    @property
    def subject(self) -> str:
        return subject(FILTER, self.filter_id)

    def predict_filters(self, filters: list[Filter]) -> list[Filter]:
        """The filters as this change leaves them."""
        return filters


class CreateFilter(MakesOne, FilterCommand):
    """A filter made here (POST /filters)."""

    kind: Literal["pipedrive_create_filter"] = "pipedrive_create_filter"
    made_field: ClassVar[str] = "filter_id"
    name: str
    type: str = "leads"
    conditions: FilterConditions
    owner_id: str = ""
    known_ids: list[str] = []
    """Filters the list held when it was asked for (none of them can be the one it made)."""
    created: Filter | None = None

    def check_draft(self) -> None:
        if not is_local_id(self.filter_id):
            raise CommandRefused("A new filter needs a local id")
        if self.type not in FILTER_TYPE_TITLES:
            raise CommandRefused(f"A filter's type is one of {', '.join(FILTER_TYPE_TITLES)}")
        check_filter(self.name, self.conditions)

    def shown(self) -> Filter:
        if self.created is not None:
            return self.created
        return Filter(id=self.filter_id, name=self.name, type=self.type, owner_id=self.owner_id, visible_to="1",
                      conditions=self.conditions)

    def predict_filters(self, filters: list[Filter]) -> list[Filter]:
        mine = self.shown()
        return [*(f for f in filters if f.id not in (mine.id, self.filter_id)), mine]

    async def execute(self, backend: Backend) -> None:
        self.created = await filters_api(backend).create_filter(self.name, self.type, self.conditions)

    async def reconcile(self, backend: Backend, since: dt.datetime | None, claimed: set[str]) -> bool:
        """An attempt whose answer was lost: the newest filter of this name and type that was not there
        before (nor made before the first attempt) is it."""
        floor = since.replace(microsecond=0) if since is not None else None  # the server stamps whole seconds
        found = [
            f for f in await filters_api(backend).filters(type=self.type)
            if f.id not in claimed and f.id not in self.known_ids and f.name == self.name and made_after(f.add_time, floor)
        ]
        if not found:
            return False
        newest = max(found, key=lambda f: (f.add_time or dt.datetime.min.replace(tzinfo=dt.timezone.utc), int(f.id) if f.id.isdigit() else 0))
        self.created = newest.model_copy(update={"conditions": self.conditions})
        return True

    def describe(self) -> str:
        return self.label or f"New filter: {self.name}"

    def inverse(self) -> Command:
        raise CommandRefused("A new filter is taken back by deleting it (Delete on the filters screen)")


class UpdateFilter(FilterCommand):
    """Set a filter's conditions, and its name when it changes (PUT /filters/{id})."""

    kind: Literal["pipedrive_update_filter"] = "pipedrive_update_filter"
    conditions: FilterConditions
    name: str | None = None
    before_conditions: FilterConditions | None = None
    before_name: str | None = None
    read_update_time: str = ""
    """The filter's update time when it was read ('' unknown: no conflict check)."""
    updated: Filter | None = None

    answered: ClassVar[bool] = True

    def check_fields(self) -> None:
        check_filter(self.name, self.conditions)

    def predict_filters(self, filters: list[Filter]) -> list[Filter]:
        if self.updated is not None:
            return [self.updated if f.id == self.updated.id else f for f in filters]
        changes: dict[str, Any] = {"conditions": self.conditions}
        if self.name is not None:
            changes["name"] = self.name
        return [f.model_copy(update=changes) if f.id == self.filter_id else f for f in filters]

    async def execute(self, backend: Backend) -> None:
        self.updated = await filters_api(backend).update_filter(self.filter_id, self.conditions, name=self.name)

    async def conflict(self, backend: Backend) -> str | None:
        if not self.read_update_time:
            return None
        try:
            fresh = await filters_api(backend).filter(self.filter_id)
        except NotFound:
            return None  # the update itself tells
        if fresh.update_time is None or _stamp(fresh.update_time) == self.read_update_time:
            return None
        if fresh.conditions == self.conditions and (self.name is None or fresh.name == self.name):
            return None  # the server already holds what this sets
        return "Someone changed this filter on the server since you read it"

    def describe(self) -> str:
        return self.label or "Edit filter"

    def inverse(self) -> Command:
        if self.before_conditions is None:
            raise CommandRefused("What the filter held before is not known")
        return UpdateFilter(
            filter_id=self.filter_id, conditions=self.before_conditions, name=self.before_name,
            before_conditions=self.conditions, before_name=self.name, label=f"Undo: {self.describe()}",
        )


class DeleteFilters(FilterCommand):
    """Delete one filter (DELETE /filters/{id}) or several at once (bulk); Pipedrive has no undelete."""

    kind: Literal["pipedrive_delete_filters"] = "pipedrive_delete_filters"
    filter_ids: list[str]
    names: list[str] = []

    removes: ClassVar[bool] = True

    def predict_filters(self, filters: list[Filter]) -> list[Filter]:
        gone = set(self.filter_ids)
        return [f for f in filters if f.id not in gone]

    async def execute(self, backend: Backend) -> None:
        try:
            await filters_api(backend).delete_filters(list(self.filter_ids))
        except NotFound:
            return  # already gone (the bulk delete answers 404 only when none was there): what was asked is so

    def describe(self) -> str:
        if self.label:
            return self.label
        if len(self.names) == 1:
            return f"Delete filter: {self.names[0]}"
        return f"Delete {len(self.filter_ids)} filters"

    def inverse(self) -> Command:
        raise CommandRefused("A deleted filter cannot be brought back (Pipedrive has no undelete)")

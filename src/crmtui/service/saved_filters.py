"""The saved filters (Pipedrive), as shown: the account's filters by type (leads first) with the filter
changes on their way laid over them, each filter's conditions (read one filter at a time, when it
is looked at: the list leaves them out), and the operators per field type from /filters/helpers.

New filters, edits and deletes go through the outbox (offline, exactly once); a delete cannot be
undone. Offline, the cache answers with the last filters, conditions and operators known.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmtui.backends.errors import BackendError
from crmtui.domain.filters import Filter, FilterConditions, FilterHelpers, order_filters
from crmtui.service.commands import Command, is_local_id, new_local_id
from crmtui.service.errors import CommandRefused
from crmtui.service.features import filters_api
from crmtui.service.filter_commands import FILTERS, CreateFilter, DeleteFilters, FilterCommand, UpdateFilter
from crmtui.service.outbox import SENT, OutboxEvent
from crmtui.service.signals import Signal

if TYPE_CHECKING:
    from crmtui.service.session import Session


class FiltersBoard:
    """The filters screen's data."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.server: list[Filter] = []
        self.items: list[Filter] = []
        """As shown: the server's filters with the changes on their way, leads first."""
        self.loaded = False
        self.helpers: FilterHelpers | None = None
        self.details: dict[str, Filter] = {}
        """Filters read one by one (with their conditions), by id."""
        self.unread: dict[str, BackendError] = {}
        self._asking: set[str] = set()
        self.marked: set[str] = set()
        self.changes: Signal[frozenset[str] | None] = Signal()
        self._unsubscribe = session.outbox.subscribe(self._on_outbox)

    def detach(self) -> None:
        self._unsubscribe()

    # -- the outbox ------------------------------------------------------------------------------
    def _mine(self, command: Command) -> FilterCommand | None:
        return self.session.outbox.resolved(command, FilterCommand)

    def _rebuild(self) -> None:
        items = list(self.server)
        for command in self.session.outbox.unsettled(section=FILTERS):
            mine = self._mine(command)
            if mine is not None:
                items = mine.predict_filters(items)
        self.items = order_filters(items)
        shown = {f.id for f in self.items}
        self.marked &= shown
        self.changes.emit(None)

    def _on_outbox(self, event: OutboxEvent) -> None:
        mine = self._mine(event.command)
        if mine is None:
            return
        if event.kind == SENT:
            self.server = mine.predict_filters(self.server)
            for saved in mine.predict_filters(list(self.details.values())):
                if saved.conditions is not None:
                    self.details[saved.id] = saved
            if isinstance(mine, DeleteFilters):
                for gone in mine.filter_ids:
                    self.details.pop(gone, None)
        self._rebuild()

    def pending(self, filter_id: str) -> bool:
        """Whether a change of the filter is still on its way."""
        real = self.session.outbox.server_id(filter_id)
        for command in self.session.outbox.unsettled(section=FILTERS):
            mine = self._mine(command)
            if mine is None:
                continue
            ids = set(mine.filter_ids) if isinstance(mine, DeleteFilters) else {mine.filter_id}
            if ids & {filter_id, real}:
                return True
        return False

    def find(self, filter_id: str) -> Filter | None:
        real = self.session.outbox.server_id(filter_id)
        return next((f for f in self.items if f.id in (filter_id, real)), None)

    # -- reading ---------------------------------------------------------------------------------
    async def load(self) -> None:
        """Read the filters (every type) and the operators again; conditions are read again when looked at."""
        api = filters_api(self.session.backend)
        self.server = await api.filters()
        self.loaded = True
        self.details.clear()
        self.unread.clear()
        self._rebuild()
        try:
            self.helpers = await api.helpers()
        except BackendError:
            if self.helpers is None:
                raise

    def conditions_of(self, saved: Filter) -> FilterConditions | None:
        """The filter's conditions as known now (None: not read yet)."""
        if saved.conditions is not None:
            return saved.conditions
        found = self.details.get(saved.id)
        return found.conditions if found is not None else None

    def needs_detail(self, saved: Filter) -> bool:
        return (
            self.conditions_of(saved) is None and not is_local_id(saved.id) and saved.id not in self.unread
            and saved.id not in self._asking
        )

    async def read_detail(self, filter_id: str) -> Filter | None:
        """Read one filter with its conditions (2 tokens; never twice at once)."""
        if filter_id in self._asking or is_local_id(filter_id):
            return None
        self._asking.add(filter_id)
        try:
            found = await filters_api(self.session.backend).filter(filter_id)
        except BackendError as exc:
            self.unread[filter_id] = exc
            raise
        finally:
            self._asking.discard(filter_id)
        self.details[filter_id] = found
        self.changes.emit(frozenset({filter_id}))
        return found

    # -- marks -----------------------------------------------------------------------------------
    def toggle_mark(self, filter_id: str) -> bool:
        if filter_id in self.marked:
            self.marked.discard(filter_id)
            return False
        self.marked.add(filter_id)
        return True

    # -- changes ---------------------------------------------------------------------------------
    async def run(self, command: Command) -> None:
        if isinstance(command, CreateFilter):
            command.check_draft()
        elif isinstance(command, UpdateFilter):
            command.check_fields()
        await self.session.queue(command)

    async def create(self, name: str, conditions: FilterConditions, type: str = "leads") -> Filter | None:
        """Make a filter: shown at once under a local id."""
        account = self.session.account
        me = account.user.id if account is not None else ""
        command = CreateFilter(
            filter_id=new_local_id(), name=name.strip(), type=type, conditions=conditions, owner_id=me,
            known_ids=[f.id for f in self.server], label=f"New filter: {name.strip()}",
        )
        await self.run(command)
        return self.find(command.filter_id)

    async def edit(self, filter_id: str, name: str, conditions: FilterConditions) -> UpdateFilter | None:
        """Set the filter's conditions (and its name when it changed); None when nothing changed."""
        saved = self.find(filter_id)
        if saved is None:
            raise CommandRefused("That filter is no longer in the list; press r to refresh")
        before = self.conditions_of(saved)
        new_name = name.strip() if name.strip() != saved.name else None
        if new_name is None and before == conditions:
            return None
        command = UpdateFilter(
            filter_id=saved.id, conditions=conditions, name=new_name, before_conditions=before,
            before_name=saved.name if new_name is not None else None,
            read_update_time=saved.update_time.isoformat() if saved.update_time is not None else "",
            label=f"Edit filter: {saved.label}",
        )
        await self.run(command)
        return command

    async def delete(self, filter_ids: list[str]) -> DeleteFilters:
        """Delete the filters (one request however many)."""
        found = [f for f in (self.find(i) for i in filter_ids) if f is not None]
        if not found:
            raise CommandRefused("Those filters are no longer in the list; press r to refresh")
        names = [f.label for f in found]
        label = f"Delete filter: {names[0]}" if len(found) == 1 else f"Delete {len(found)} filters"
        command = DeleteFilters(filter_id=found[0].id, filter_ids=[f.id for f in found], names=names, label=label)
        await self.run(command)
        self.marked.clear()
        return command


__all__ = ["FiltersBoard"]

"""The pages (Crust), as the pages screen shows them: the tree, a page's blocks, the records of a
record-list block and the module names its charts and lists name.

Reads only: the tree and pages come through the cache (the last ones known show offline); a record
list's records are one page of the server's answer (its `perPage`, `presort` and `prefilter`), as the
web app shows it; a chart block's chart is the charts family's (cached per module and query, so a
chart seen before draws offline).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmtui.backends.base import need
from crmtui.backends.errors import BackendError
from crmtui.domain.charts import ChartData, query_of_definition
from crmtui.domain.pages import Page, PageBlock
from crmtui.domain.record_values import LINK_KINDS, linked_ids, linked_module, record_title
from crmtui.domain.records import Module, Record, RecordsPage

if TYPE_CHECKING:
    from crmtui.service.session import Session

DEFAULT_SORT = "createdAt DESC"


class PagesView:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.modules: dict[str, Module] = {}
        """The modules by id, once read (names for the blocks, titles for a list's columns)."""
        self.names: dict[str, str] = {}
        """Record id -> its title, for the records the lists' link fields name (read once per module)."""
        self._named: set[str] = set()

    async def tree(self) -> list[Page]:
        return await need(self.session.backend.features.pages, "pages").tree()

    async def page(self, page_id: str) -> Page:
        return await need(self.session.backend.features.pages, "pages").page(page_id)

    async def load_modules(self) -> dict[str, Module]:
        """The modules by id (read once; the pages screen works without them: ids then)."""
        if not self.modules:
            found = await need(self.session.backend.features.modules, "modules").modules()
            self.modules = {m.id: m for m in found}
        return self.modules

    def module_name(self, module_id: str) -> str:
        module = self.modules.get(module_id)
        return module.name if module is not None and module.name else ""

    async def load_link_names(self, block: PageBlock) -> None:
        """Name the records a record-list block's link fields point to: the linked modules' records,
        read once each (through the cache). A module that cannot be read leaves its ids shown."""
        module = self.modules.get(block.module_id)
        if module is None:
            return
        for name in block.fields:
            field = module.field(name)
            target = linked_module(field) if field is not None and field.kind in LINK_KINDS else ""
            if not target or target in self._named:
                continue
            try:
                found = await need(self.session.backend.features.records, "records").records_all(target, sort=DEFAULT_SORT)
            except BackendError:
                continue
            self._named.add(target)
            self.names.update({r.id: record_title(self.modules.get(target), r) for r in found})

    def cell(self, block: PageBlock, record: Record, name: str) -> str:
        """A record's value in a record-list block: a link field's records by their titles when known."""
        module = self.modules.get(block.module_id)
        field = module.field(name) if module is not None else None
        value = record.values.get(name)
        if value is None:
            return ""
        if field is not None and field.kind in LINK_KINDS:
            ids = linked_ids(value)
            if ids:
                return ", ".join(self.names.get(i, f"#{i}") for i in ids)
        return value.value

    async def block_records(self, block: PageBlock) -> RecordsPage:
        """The first page of a record-list block's records, as the block asks for them."""
        sort = block.option("presort") or DEFAULT_SORT
        records = need(self.session.backend.features.records, "records")
        return await records.records(
            block.module_id, query=block.option("prefilter"), page=0, per_page=block.per_page, sort=sort
        )

    async def block_chart(self, block: PageBlock) -> ChartData:
        """A chart block's chart as the server computes it (its definition as the chart API's query)."""
        charts = need(self.session.backend.features.charts, "charts")
        return await charts.chart(block.module_id, query_of_definition(block.chart))

"""The pages (Crust), as the pages screen shows them: the tree, a page's blocks, the records of a
record-list block and the module names its charts and lists name.

Reads only: the tree and pages come through the cache (the last ones known show offline); a record
list's records are one page of the server's answer (its `perPage`, `presort` and `prefilter`), as the
web app shows it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmtui.backends.base import need
from crmtui.domain.pages import Page, PageBlock
from crmtui.domain.records import Module, RecordsPage

if TYPE_CHECKING:
    from crmtui.service.session import Session

DEFAULT_SORT = "createdAt DESC"


class PagesView:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.modules: dict[str, Module] = {}
        """The modules by id, once read (names for the blocks, titles for a list's columns)."""

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

    async def block_records(self, block: PageBlock) -> RecordsPage:
        """The first page of a record-list block's records, as the block asks for them."""
        sort = block.option("presort") or DEFAULT_SORT
        records = need(self.session.backend.features.records, "records")
        return await records.records(
            block.module_id, query=block.option("prefilter"), page=0, per_page=block.per_page, sort=sort
        )

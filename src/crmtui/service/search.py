"""The global search (screen 6 on Pipedrive): one query at a time, its pages, its hits by kind.

Each search is a request of the server's search window and the company's daily budget, so nothing
is asked while typing: the screen asks on Enter, and a page more only when the person wants it.
An answer for a query that is no longer the current one is dropped (`generation`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmtui.domain.search import SearchHit, SearchPage, term_problem
from crmtui.service.features import search_api

if TYPE_CHECKING:
    from crmtui.service.session import Session

PAGE = 50
"""Hits asked for per request (a request costs the same whatever its size)."""


class GlobalSearch:
    """The current query's hits (every page read so far) and the related records."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.term = ""
        self.exact = False
        self.hits: list[SearchHit] = []
        self.related: list[SearchHit] = []
        self.next_start: int | None = None
        """Where the next page starts (None: every page is read)."""
        self.searched = False
        """A query was answered (an empty answer means "nothing found", not "not asked")."""
        self.generation = 0

    @property
    def cost_hint(self) -> str:
        """What one search costs, in words ("each search: 40 tokens · 10 searches per 2 s"); "" when unknown."""
        backend: Any = self.session.backend
        inner = getattr(backend, "inner", backend)
        hint = getattr(inner, "search_cost_hint", "")
        return hint if isinstance(hint, str) else ""

    def problem(self, term: str, *, exact: bool) -> str | None:
        return term_problem(term, exact=exact)

    async def search(self, term: str, *, exact: bool = False) -> SearchPage | None:
        """Ask the server for `term`'s first page; None when a newer query was asked meanwhile."""
        self.generation += 1
        generation = self.generation
        term = term.strip()
        page = await search_api(self.session.backend).search(term, exact=exact, related=True, limit=PAGE)
        if generation != self.generation:
            return None
        self.term, self.exact, self.searched = term, exact, True
        self.hits, self.related, self.next_start = list(page.hits), list(page.related), page.next_start
        return page

    async def more(self) -> SearchPage | None:
        """The next page of the current query (None: none left, or the query changed meanwhile)."""
        start = self.next_start
        if start is None or not self.term:
            return None
        generation = self.generation
        page = await search_api(self.session.backend).search(
            self.term, exact=self.exact, related=True, start=start, limit=PAGE
        )
        if generation != self.generation:
            return None
        known = {(h.kind, h.id) for h in self.hits}
        self.hits += [h for h in page.hits if (h.kind, h.id) not in known]
        seen = known | {(h.kind, h.id) for h in self.related}
        self.related += [h for h in page.related if (h.kind, h.id) not in seen]
        self.next_start = page.next_start
        return page

    def clear(self) -> None:
        self.generation += 1
        self.term, self.hits, self.related, self.next_start, self.searched = "", [], [], None, False

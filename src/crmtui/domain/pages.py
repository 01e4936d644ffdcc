"""Pages (Crust CRM): a tree of pages, each a grid of blocks (record lists, charts, text, calendars...).

A page's blocks sit on a grid (`x`, `y`, `width`, `height`); a terminal reads them one under the other,
in reading order: top to bottom, then left to right (`reading_order`). The block kinds are the web
app's (later Corteza names them): `RecordList` (options: moduleID, fields, presort, prefilter,
perPage), `Chart` (options: the chart's definition, the parameters of the chart API), `Content`
(options: body, HTML), `Record`, `Calendar`; a kind this app does not draw is named, never dropped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from crmtui.domain.text import Line, Paragraph, inert_line, inert_text

RECORD_LIST = "RecordList"
CHART = "Chart"
CONTENT = "Content"
CHART_PARAMETERS = ("kind", "xAxis", "xMin", "xMax", "yAxis", "groupBy", "sum", "count")
"""A Chart block's definition, as the chart API takes it (besides moduleID, name and description)."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=False, extra="ignore", defer_build=True)


class PageBlock(_Model):
    kind: Line = ""
    title: Line = ""
    description: Paragraph = ""
    options: dict[str, Any] = Field(default_factory=dict)
    """As the server keeps them (raw JSON): read through the helpers below, drawn inert."""
    x: int = 0
    y: int = 0
    width: int = 0
    height: int = 0

    def option(self, name: str) -> str:
        """An option as text ("" when absent or not text: a number's digits)."""
        value = self.options.get(name)
        if isinstance(value, bool) or value is None:
            return ""
        if isinstance(value, (str, int)):
            return inert_line(str(value)).strip()
        return ""

    @property
    def module_id(self) -> str:
        return self.option("moduleID")

    @property
    def fields(self) -> list[str]:
        """A record list's columns (field names), in their order."""
        raw = self.options.get("fields")
        if not isinstance(raw, list):
            return []
        names = [f if isinstance(f, str) else f.get("name") if isinstance(f, Mapping) else None for f in raw]
        return [inert_line(n) for n in names if isinstance(n, str) and n.strip()]

    @property
    def per_page(self) -> int:
        raw = self.options.get("perPage")
        return raw if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0 else 20

    @property
    def chart(self) -> dict[str, str]:
        """A Chart block's definition: the chart API's parameters that are set (name and module too)."""
        out = {"moduleID": self.module_id, "name": self.option("name") or self.title}
        out.update({p: self.option(p) for p in ("description", *CHART_PARAMETERS) if self.option(p)})
        return out

    def body_text(self) -> str:
        """A Content block's body as plain text (its HTML's tags dropped, entities read, made inert)."""
        raw = self.options.get("body")
        if not isinstance(raw, str):
            return ""
        text = re.sub(r"<\s*(br|/p|/h\d|/li|/div)\s*/?\s*>", "\n", raw, flags=re.IGNORECASE)
        text = html.unescape(re.sub(r"<[^>]*>", "", text))
        return inert_text("\n".join(line.strip() for line in text.splitlines() if line.strip()))


def chart_summary(block: PageBlock, module_name: str = "") -> str:
    """A Chart block's definition in words: "pie of Opportunity · x state · group by state · count state"."""
    chart = block.chart
    what = chart.get("kind", "chart")
    parts = [f"{what} of {module_name or 'module ' + (chart['moduleID'] or '?')}"]
    for key, said in (("xAxis", "x"), ("yAxis", "y"), ("groupBy", "group by"), ("sum", "sum"), ("count", "count")):
        if chart.get(key):
            parts.append(f"{said} {chart[key]}")
    if chart.get("xMin") or chart.get("xMax"):
        parts.append(f"from {chart.get('xMin') or '…'} to {chart.get('xMax') or '…'}")
    return " · ".join(parts)


class Page(_Model):
    id: str
    parent_id: str = ""
    """The page above it ("" at the top)."""
    module_id: str = ""
    """A record page's module ("" for the pages of the tree)."""
    title: Line = ""
    description: Paragraph = ""
    visible: bool = True
    blocks: list[PageBlock] = Field(default_factory=list)
    children: list[Page] = Field(default_factory=list)

    def reading_order(self) -> list[PageBlock]:
        return reading_order(self.blocks)


def reading_order(blocks: Sequence[PageBlock]) -> list[PageBlock]:
    """Top to bottom, then left to right (the order a person reads the web app's grid); ties keep their order."""
    return sorted(blocks, key=lambda b: (b.y, b.x))


@dataclass(frozen=True)
class TreeRow:
    """One line of the page tree as shown: the page, how deep, whether it has children and is open."""

    page: Page
    depth: int
    has_children: bool
    expanded: bool


def tree_rows(pages: Sequence[Page], expanded: set[str] | frozenset[str], depth: int = 0) -> Iterator[TreeRow]:
    """The tree's lines, depth first, a closed page's children left out."""
    for page in pages:
        is_open = page.id in expanded
        yield TreeRow(page, depth, bool(page.children), is_open and bool(page.children))
        if is_open:
            yield from tree_rows(page.children, expanded, depth + 1)


def find_page(pages: Sequence[Page], page_id: str) -> Page | None:
    for page in pages:
        if page.id == page_id:
            return page
        found = find_page(page.children, page_id)
        if found is not None:
            return found
    return None


def parents_of(pages: Sequence[Page], page_id: str) -> list[str]:
    """The ids of the pages above `page_id`, top first (empty when at the top or not there)."""
    for page in pages:
        if page.id == page_id:
            return []
        below = parents_of(page.children, page_id)
        if below or find_page(page.children, page_id) is not None:
            return [page.id, *below]
    return []

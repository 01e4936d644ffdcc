"""Top-level screen 4 on Crust: the page tree, and the page under the cursor with its blocks.

The tree is the server's (`/page/tree`: pages with no module, nested), indented, each page with
children opened and closed with Enter or Space (→ opens, ← closes). The page under the cursor shows
beside it (below, when narrow), its blocks in reading order (top to bottom, then left to right):
- a record list: the module's records in a list, its first page as the block asks for them (its
  columns, `presort`, `prefilter`, `perPage`); Enter on a record opens its detail;
- a chart: named, with its definition in words, and drawn as the Charts screen draws it (compact;
  the cached chart offline; why not, in one line, when the server cannot compute it). Enter on it
  opens it on the Charts screen (`CrmApp.open_chart(module_id, definition)`: the block's options
  are the parameters of the chart API);
- a content block: its text (the HTML's tags dropped);
- any other kind: named with its kind and title (drawn by the web app only).
"""

from __future__ import annotations

from collections.abc import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from crmtui.backends.errors import BackendError
from crmtui.domain.charts import ChartData
from crmtui.domain.pages import CHART, CONTENT, RECORD_LIST, Page, PageBlock, TreeRow, chart_summary, find_page, tree_rows
from crmtui.domain.records import Record
from crmtui.domain.text import inert_line
from crmtui.service.pages import PagesView
from crmtui.ui.cells import fit
from crmtui.ui.failures import failure_title
from crmtui.ui.screens.base import CrmScreen
from crmtui.ui.widgets.chart_bars import amount
from crmtui.ui.widgets.chart_plot import ChartBars, LinePlot
from crmtui.ui.widgets.footer import KeyFooter
from crmtui.ui.widgets.header import AppHeader
from crmtui.ui.widgets.row_list import TITLES, Cell, Column, Header, RowList

WIDE = 110
"""From this width the page shows beside the tree, not below it."""
MAX_LIST_ROWS = 10
"""A record list block shows at most this many rows at once (it scrolls)."""
MAX_CHART_ROWS = 6
"""A chart block draws at most this many bars (the Charts screen has them all)."""
LINE_HEIGHT = 10
"""A chart block's line chart is this many rows high (readable at 80x24 below the tree)."""


class ChartBlock(Vertical, can_focus=True):
    """A chart block: its name and definition, then the chart drawn as on the Charts screen (compact:
    at most `MAX_CHART_ROWS` bars, a line `LINE_HEIGHT` rows high), or why it could not be; Enter
    asks to open it on the Charts screen."""

    BINDINGS = [Binding("enter", "open_chart", "Open chart", tooltip="Open this chart on the Charts screen (3)")]

    class Opened(Message):
        def __init__(self, block: PageBlock) -> None:
            super().__init__()
            self.block = block

    def __init__(self, block: PageBlock, text: str) -> None:
        super().__init__(classes="page-block chart-block")
        self.block = block
        self.heading = text
        self.data: ChartData | None = None
        self.failure = ""

    def compose(self) -> ComposeResult:
        yield Static(self.heading, markup=False, classes="chart-heading")
        yield Static("  Drawing the chart…", markup=False, classes="page-note chart-note")

    async def draw(self, data: ChartData) -> None:
        """The chart as the server computed it (the cached one offline)."""
        self.data = data
        note = self.query_one(".chart-note", Static)
        if not data.categories:
            note.update("  No records in this chart · Enter opens it on the Charts screen (3)")
            return
        if data.kind == "line":
            plot = LinePlot(classes="block-line")
            plot.styles.height = LINE_HEIGHT
            await self.mount(plot, before=note)
            plot.draw(data, self.size.width or 80)
        else:
            await self.mount(ChartBars(data, max_rows=MAX_CHART_ROWS, classes="block-bars"), before=note)
        total = f" · total {amount(data.total())}" if data.kind != "line" else ""
        note.update(f"  {len(data.categories)} group{'s' if len(data.categories) != 1 else ''}{total} · Enter opens it on the Charts screen (3)")

    def failed(self, exc: BackendError) -> None:
        """The server could not compute it (or was not reached with nothing cached): why, in one line."""
        self.failure = " ".join(exc.user_message.split())
        self.query_one(".chart-note", Static).update(f"  Not drawn: {self.failure}")

    def action_open_chart(self) -> None:
        self.post_message(self.Opened(self.block))


def _tree_cell(row: TreeRow) -> Cell:
    mark = ("▾ " if row.expanded else "▸ ") if row.has_children else "  "
    return ("  " * row.depth + mark + (row.page.title or "(untitled)"), "" if row.page.visible else "dim")


def _value(view: PagesView, block: PageBlock, name: str) -> Callable[[Record], Cell]:
    return lambda record: (inert_line(view.cell(block, record, name)), "")


class BlockRecords(RowList[Record]):
    """A record-list block's records: its header line is the columns' titles, laid out at the width
    the rows are drawn at (known only when drawn)."""

    def header_label(self, header: Header) -> str:
        if header.role != TITLES:
            return super().header_label(header)
        width = self.scrollable_content_region.width
        return "".join(fit(column.title, size) + " " for column, size in self.column_widths(width))


class PagesScreen(CrmScreen[None]):
    """The page tree and the page under the cursor."""

    FOOTER_ORDER = ("open_close", "switch", "refresh")
    BINDINGS = [
        Binding("space", "open_close", "Open/close", tooltip="Show or hide the page's children"),
        Binding("right,l", "expand", "Open", show=False),
        Binding("left,h", "collapse", "Close", show=False),
        Binding("tab", "switch", "Tree/page", tooltip="Move between the tree and the page's blocks"),
        Binding("r", "refresh", "Refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view: PagesView | None = None
        self.pages: list[Page] = []
        self.expanded: set[str] = set()
        self.shown: str | None = None
        """The id of the page on the right (None: none yet)."""
        self.load_failed = False

    @property
    def pages_view(self) -> PagesView:
        if self.view is None:
            self.view = PagesView(self.app.session)
        return self.view

    def compose(self) -> ComposeResult:
        yield AppHeader(id="header")
        with Horizontal(id="pages-body"):
            yield RowList[TreeRow](
                [Column("Pages", _tree_cell, share=1, min_width=10, priority=9)], key=lambda r: r.page.id, id="pages-tree"
            )
            yield VerticalScroll(id="page-view")
        yield KeyFooter()

    @property
    def page_tree(self) -> RowList[TreeRow]:
        return self.query_one("#pages-tree", RowList)

    def _title(self, page: Page | None = None) -> None:
        self.query_one(AppHeader).title = f"Pages · {page.title or '(untitled)'}" if page is not None else "Pages"

    def on_mount(self) -> None:
        self._title()
        self.page_tree.empty_text = "Loading pages…"
        self.page_tree.focus()
        self.load()

    def on_resize(self) -> None:
        self.query_one("#pages-body").set_class(self.size.width >= WIDE, "-wide")

    # -- the tree ----------------------------------------------------------------------------------
    @work(exclusive=True, group="pages-load", exit_on_error=False)
    async def load(self) -> None:
        view = self.pages_view
        try:
            self.pages = await view.tree()
        except BackendError as exc:
            self.load_failed = True
            self.page_tree.empty_text = f"Not loaded (r retries): {exc.user_message}"
            self.page_tree.refresh()
            self.notify(exc.user_message, title=failure_title(exc), severity="error", timeout=6)
            return
        self.load_failed = False
        try:
            await view.load_modules()
        except BackendError:
            pass  # the blocks name their module by id then
        self.page_tree.empty_text = "No pages on this server"
        self._show_tree()
        selected = self.page_tree.selected
        if selected is not None:
            self.show_page(selected.page.id)
        else:
            await self._fill([Static("No pages on this server.", classes="page-note", markup=False)])

    def _show_tree(self) -> None:
        self.page_tree.set_rows([("Pages", "", list(tree_rows(self.pages, self.expanded)))])

    def _toggle(self, open_it: bool | None) -> None:
        row = self.page_tree.selected
        if row is None or not row.has_children:
            return
        page_id = row.page.id
        wanted = (page_id not in self.expanded) if open_it is None else open_it
        if wanted:
            self.expanded.add(page_id)
        else:
            self.expanded.discard(page_id)
        self._show_tree()

    def action_open_close(self) -> None:
        self._toggle(None)

    def action_expand(self) -> None:
        self._toggle(True)

    def action_collapse(self) -> None:
        self._toggle(False)

    def action_switch(self) -> None:
        if self.page_tree.has_focus:
            blocks = [w for w in self.query_one("#page-view").query("*") if w.can_focus]
            if blocks:
                blocks[0].focus()
        else:
            self.page_tree.focus()

    def action_refresh(self) -> None:
        self.shown = None
        self.load()

    @on(RowList.Highlighted)
    def _highlighted(self, event: RowList.Highlighted) -> None:
        if isinstance(event.item, TreeRow) and event.item.page.id != self.shown:
            self.show_page(event.item.page.id)

    @on(RowList.Selected)
    def _selected(self, event: RowList.Selected) -> None:
        if isinstance(event.item, TreeRow) and event.item.has_children:
            self._toggle(None)
        elif isinstance(event.item, Record):
            event.stop()
            self._open_record(event.item)

    # -- the page ----------------------------------------------------------------------------------
    async def _fill(self, widgets: list[Widget]) -> None:
        body = self.query_one("#page-view", VerticalScroll)
        await body.remove_children()
        await body.mount_all(widgets)
        body.scroll_home(animate=False)

    def show_page(self, page_id: str) -> None:
        self.shown = page_id
        page = find_page(self.pages, page_id)
        if page is not None:
            self.run_worker(self._show(page), group="page-show", exclusive=True, exit_on_error=False)

    async def _show(self, page: Page) -> None:
        self._title(page)
        view = self.pages_view
        widgets: list[Widget] = [Static(page.title or "(untitled)", classes="page-title", markup=False)]
        if page.description:
            widgets.append(Static(page.description, classes="page-note", markup=False))
        lists: list[tuple[PageBlock, BlockRecords, Static]] = []
        charts: list[ChartBlock] = []
        blocks = page.reading_order()
        if not blocks:
            widgets.append(Static("This page has no blocks.", classes="page-note", markup=False))
        for block in blocks:
            title = block.title or "(untitled)"
            module = view.module_name(block.module_id) if block.module_id else ""
            if block.kind == RECORD_LIST:
                about = [module or f"module {block.module_id or '?'}"]
                if block.option("prefilter"):
                    about.append(f"matching “{block.option('prefilter')}”")
                if block.option("presort"):
                    about.append(f"by {block.option('presort')}")
                heading = Static(f"☰ {title} · records of {', '.join(about)}", classes="page-block block-title", markup=False)
                records = BlockRecords(self._record_columns(block), key=lambda r: r.id, classes="block-records")
                records.empty_text = "Loading records…"
                records.styles.height = 2
                note = Static("", classes="page-note", markup=False)
                widgets += [heading, records, note]
                lists.append((block, records, note))
            elif block.kind == CHART:
                text = f"▥ {title} · chart: {chart_summary(block, module)}"
                if block.chart.get("description"):
                    text += f"\n  {block.chart['description']}"
                chart = ChartBlock(block, text)
                widgets.append(chart)
                charts.append(chart)
            elif block.kind == CONTENT:
                body = block.body_text()
                widgets.append(Static(f"¶ {title}" + (f"\n{body}" if body else ""), classes="page-block content-block", markup=False))
            else:
                widgets.append(
                    Static(
                        f"◇ {title} · a {block.kind or 'block'} block (shown in the web app only)",
                        classes="page-block other-block", markup=False,
                    )
                )
        await self._fill(widgets)
        for chart in charts:
            try:
                data = await view.block_chart(chart.block)
            except BackendError as exc:
                chart.failed(exc)
                continue
            await chart.draw(data)
        for block, records, note in lists:
            try:
                await view.load_link_names(block)
                answer = await view.block_records(block)
            except BackendError as exc:
                records.empty_text = f"Not loaded: {exc.user_message}"
                records.refresh()
                continue
            records.empty_text = "No records"
            records.set_rows([("", TITLES, answer.items)] if answer.items else [])
            records.styles.height = min(len(answer.items), MAX_LIST_ROWS) + 1 if answer.items else 1
            if answer.total > len(answer.items):
                note.update(f"  {len(answer.items)} of {answer.total:,} records")

    def _record_columns(self, block: PageBlock) -> list[Column[Record]]:
        module = self.pages_view.modules.get(block.module_id)
        names = block.fields or ([f.name for f in module.fields if f.is_visible][:4] if module is not None else [])
        columns: list[Column[Record]] = []
        for n, name in enumerate(names):
            field = module.field(name) if module is not None else None
            columns.append(Column(field.title if field is not None else name, _value(self.pages_view, block, name), share=1, min_width=8, priority=len(names) - n))
        return columns

    @on(ChartBlock.Opened)
    def _open_chart(self, event: ChartBlock.Opened) -> None:
        """Enter on a chart block: the Charts screen (3) on its chart."""
        block = event.block
        self.app.open_chart(block.module_id, dict(block.chart))

    def _open_record(self, record: Record) -> None:
        """Enter on a record of a record-list block: its detail, as the Records screen opens it."""
        from crmtui.ui.screens.record_detail import RecordDetailScreen

        names = self.app.session.records.names
        for record_id, name in self.pages_view.names.items():
            names.setdefault(record_id, name)  # the linked records this page has named already
        self.app.push_screen(RecordDetailScreen(record))

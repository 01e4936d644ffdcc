"""Top-level screen 3 on Crust: charts of a module's records, as the server computes them.

`m` picks the module, `d` the field the records are grouped by, `s` what is measured (how many
records, or the sum of a number field), `k` the kind (bar, pie, donut, line), `u` a date field's
grouping (day, week, month, year). Bars, pies and donuts are labelled horizontal bars with each value
and its share of the total; a line is drawn with plotext (textual-plotext). `t` shows the same data as
a table, `c` copies it as CSV (OSC 52: the local clipboard over SSH too), Enter on a bar or a row lists
the records behind it. `w` keeps the chart for this profile and `o` reopens one kept.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from crmtui.backends.errors import BackendError
from crmtui.domain.charts import ChartDefinition, describe
from crmtui.domain.records import Module, Record
from crmtui.domain.text import inert_line
from crmtui.service.charts import ChartsView
from crmtui.ui.failures import failure_title
from crmtui.ui.inert import plain
from crmtui.ui.modals.contact_pickers import Choice, ChoiceModal
from crmtui.ui.modals.pickers import OptionsModal
from crmtui.ui.screens.loading import LoadsWhenConnected
from crmtui.ui.widgets.chart_bars import amount, bar_lines, table_lines
from crmtui.ui.widgets.chart_plot import LinePlot
from crmtui.ui.widgets.footer import KeyFooter
from crmtui.ui.widgets.header import AppHeader

SUM_PREFIX = "sum:"
COUNT_CHOICE = "count"


class ChartRows(OptionList):
    """The chart's bars (or table rows), one per group; j/k move as in every list of the app."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "first", "First", show=False),
        Binding("G", "last", "Last", show=False),
    ]


def record_summary(record: Record, module: Module | None, width: int = 70) -> str:
    """A record in one line: its first few values, in the module's field order."""
    names = [f.name for f in module.fields if f.is_visible] if module is not None else list(record.values)
    parts = [inert_line(record.text(n)) for n in names if record.text(n) and not record.values[n].related][:4]
    text = " · ".join(parts) or f"record {record.id}"
    return text if len(text) <= width else text[: width - 1] + "…"


class RecordsBehindModal(OptionsModal[None]):
    """The records behind one bar: one line each; Esc closes."""

    def __init__(self, title: str, records: list[Record], module: Module | None) -> None:
        super().__init__()
        self.heading = title
        self.records = records
        self.module = module

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker-dialog", id="chart-records-dialog"):
            yield Label(plain(self.heading), classes="dialog-title")
            options = [Option(plain(record_summary(r, self.module)), id=r.id) for r in self.records]
            if not options:
                options = [Option("No records (the chart may be older than the list)", disabled=True)]
            yield OptionList(*options, id="chart-records")
            yield Static("Esc close", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()


class ChartsScreen(LoadsWhenConnected):
    """A chart of one module's records, with its table, its CSV and the records behind each bar."""

    FOOTER_ORDER = ("module", "dimension", "measure", "kind", "table", "copy", "save", "open", "unit", "refresh")
    BINDINGS = [
        Binding("m", "module", "Module", tooltip="The module whose records are charted"),
        Binding("d", "dimension", "By", tooltip="The field the records are grouped by"),
        Binding("s", "measure", "Measure", tooltip="Count the records, or sum a number field"),
        Binding("K", "kind", "Kind", key_display="K", tooltip="Bar, pie, donut or line"),
        Binding("u", "unit", "Unit", tooltip="A date field by day, week, month or year"),
        Binding("t", "table", "Table", tooltip="The chart's data as a table / as the chart"),
        Binding("c", "copy", "Copy CSV", tooltip="Copy the chart's data as CSV (OSC 52)"),
        Binding("w", "save", "Keep", tooltip="Keep this chart for this profile"),
        Binding("o", "open", "Open", tooltip="Open a chart kept before"),
        Binding("r", "refresh", "Refresh", tooltip="Ask the server for the chart again"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.table = False
        self.view: ChartsView | None = None

    @property
    def charts(self) -> ChartsView:
        if self.view is None:
            self.view = ChartsView(self.app.session)
        return self.view

    def compose(self) -> ComposeResult:
        yield AppHeader(id="header")
        yield Static("", id="chart-bar", markup=False)
        yield Static("", id="chart-head", markup=False)
        yield ChartRows(id="chart-rows")
        yield LinePlot(id="chart-line")
        yield KeyFooter()

    @property
    def rows(self) -> ChartRows:
        return self.query_one("#chart-rows", ChartRows)

    @property
    def plot(self) -> LinePlot:
        return self.query_one("#chart-line", LinePlot)

    # -- lifecycle -----------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.plot.display = False
        self.query_one("#chart-head").display = False
        self.rows.focus()
        self._reload_when_online()
        self._load_when_connected()

    def on_resize(self) -> None:
        self._show()

    def _loaded(self) -> bool:
        return self.charts.data is not None

    # -- loading -------------------------------------------------------------------------------
    @work(exclusive=True, group="charts-load", exit_on_error=False)
    async def load(self) -> None:
        self._say("Loading the chart…")
        try:
            if not self.charts.modules:
                await self.charts.load_modules()
            await self.charts.load_chart()
        except BackendError as exc:
            self._failed(exc)
            return
        self.load_error = None
        self._show()

    # -- showing -------------------------------------------------------------------------------
    def _say(self, text: str) -> None:
        self.query_one("#chart-bar", Static).update(text)

    def _what(self) -> str:
        charts = self.charts
        module = charts.module
        return describe(charts.query, module.name if module is not None else "")

    def _show(self) -> None:
        if not self.is_mounted:
            return
        charts = self.charts
        data = charts.data
        header = self.query_one(AppHeader)
        header.title = f"Charts · {charts.module.name}" if charts.module is not None else "Charts"
        if self.load_error is not None:
            self._say(f"Not loaded (r retries): {self.load_error.user_message}")
        elif data is None:
            self._say("Loading the chart…" if charts.module is not None or not charts.modules else "No modules to chart")
        else:
            total = f" · total {amount(data.total())}" if data.kind != "line" else ""
            groups = f"{len(data.categories)} group{'s' if len(data.categories) != 1 else ''}"
            self._say(f"{self._what()} · {groups}{total}")
        rows, plot, head = self.rows, self.plot, self.query_one("#chart-head", Static)
        width = max((self.size.width or 80) - 2, 40)
        line = data is not None and data.kind == "line" and not self.table
        plot.display = line
        rows.display = not line
        head.display = self.table and data is not None
        highlighted = rows.highlighted
        rows.clear_options()
        if data is None:
            rows.add_option(Option(Content.styled("…", "italic $text-muted"), disabled=True))
            return
        if not data.categories:
            rows.add_option(Option(Content.styled("No records in this chart (d, s or o another)", "italic $text-muted"), disabled=True))
            plot.display, rows.display = False, True
            return
        if line:
            self._draw_line()
            return
        if self.table:
            heading, lines = table_lines(data, width)
            head.update(heading)
            rows.add_options([Option(text, id=str(n)) for n, text in enumerate(lines)])
        else:
            rows.add_options([Option(text, id=str(n)) for n, text in enumerate(bar_lines(data, width))])
        rows.highlighted = min(highlighted or 0, rows.option_count - 1)

    def _draw_line(self) -> None:
        data = self.charts.data
        assert data is not None
        self.plot.draw(data, self.size.width or 80)

    def show_chart(self, definition: ChartDefinition) -> None:
        """A chart asked for elsewhere (Enter on a page's chart block): drawn here as the server computes it."""
        self.table = False
        if not self.charts.want(definition):
            self.notify(f"The module of “{definition.title}” is gone", severity="warning", timeout=4)
            return
        if self.is_mounted:  # else on_mount reads it
            self._reload()

    # -- keys ----------------------------------------------------------------------------------
    def _reload(self) -> None:
        self.charts.data = None
        self._show()
        self.load()

    def action_refresh(self) -> None:
        self.load()

    def action_module(self) -> None:
        charts = self.charts
        if not charts.modules:
            self.notify("No modules yet (r reads them)", severity="warning", timeout=3)
            return

        def chosen(module_id: str | None) -> None:
            if module_id and (charts.module is None or module_id != charts.module.id):
                charts.choose_module(module_id)
                self._reload()

        choices = [Choice(m.id, m.name or m.id) for m in charts.modules]
        self.app.push_screen(ChoiceModal("Chart the records of", choices, current=charts.module.id if charts.module else None), chosen)

    def action_dimension(self) -> None:
        charts = self.charts
        fields = charts.dimension_fields()
        if not fields:
            return

        def chosen(name: str | None) -> None:
            if name and name != charts.query.dimension:
                charts.set_dimension(name)
                self._reload()

        choices = [Choice(name, f"{title} ({name})") for name, title in fields]
        self.app.push_screen(ChoiceModal("Group the records by", choices, current=charts.query.dimension), chosen)

    def action_measure(self) -> None:
        charts = self.charts
        choices = [Choice(COUNT_CHOICE, "Count of records")]
        choices += [Choice(SUM_PREFIX + name, f"Sum of {title} ({name})") for name, title in charts.sum_fields()]
        query = charts.query
        current = COUNT_CHOICE if query.metric == "count" else SUM_PREFIX + query.sum_field

        def chosen(value: str | None) -> None:
            if value and value != current:
                charts.set_metric(None if value == COUNT_CHOICE else value.removeprefix(SUM_PREFIX))
                self._reload()

        self.app.push_screen(ChoiceModal("Measure each group by", choices, current=current), chosen)

    def action_kind(self) -> None:
        kind = self.charts.next_kind()
        self.notify(f"Drawn as a {kind} chart", timeout=2)
        self._reload()

    def action_unit(self) -> None:
        if not self.charts.is_date():
            self.notify("Only a date field groups by day, week, month or year", severity="warning", timeout=3)
            return
        self.charts.next_unit()
        self._reload()

    def action_table(self) -> None:
        self.table = not self.table
        self._show()
        self.rows.focus()

    def action_copy(self) -> None:
        data = self.charts.data
        if data is None or not data.categories:
            self.notify("No chart data to copy", severity="warning", timeout=3)
            return
        self.app.copy_to_clipboard(data.csv())  # OSC 52: reaches the local clipboard over SSH too
        self.notify(f"Copied the chart as CSV ({len(data.categories)} rows)", timeout=3)

    def action_save(self) -> None:
        kept = self.charts.save_current()
        if kept is None:
            self.notify("No chart to keep", severity="warning", timeout=3)
        else:
            self.notify(f"Kept “{kept.title}” (o opens it)", timeout=3)

    def action_open(self) -> None:
        charts = self.charts
        saved = charts.saved()
        if not saved:
            self.notify("No charts kept yet (w keeps the one shown)", severity="warning", timeout=3)
            return

        def chosen(index: str | None) -> None:
            if index is None:
                return
            definition: ChartDefinition = saved[int(index)]
            if not charts.open(definition):
                self.notify(f"The module of “{definition.title}” is gone", severity="warning", timeout=4)
                return
            self._reload()

        choices = [Choice(str(n), d.title) for n, d in enumerate(saved)]
        self.app.push_screen(ChoiceModal("Open a kept chart", choices), chosen)

    @on(OptionList.OptionSelected, "#chart-rows")
    def _drill(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        data = self.charts.data
        if data is None or event.option.id is None:
            return
        label = data.categories[int(event.option.id)]
        self.show_records(label)

    @work(group="charts-drill", exit_on_error=False)
    async def show_records(self, label: str) -> None:
        charts = self.charts
        try:
            records = await charts.records_behind(label)
        except BackendError as exc:
            self.notify(exc.user_message, title=failure_title(exc), severity="error", timeout=6)
            return
        field = charts.module.field(charts.query.dimension) if charts.module is not None else None
        title = f"{field.title if field else charts.query.dimension} = {label or '(none)'} · {len(records)} record{'s' if len(records) != 1 else ''}"
        self.app.push_screen(RecordsBehindModal(title, records, charts.module))

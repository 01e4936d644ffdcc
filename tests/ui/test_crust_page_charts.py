"""Pilot tests of what a Crust page shows of its charts and records (screen 4) and where Enter takes
them: a chart block drawn as the Charts screen draws it (the cached one offline, why not in one line),
Enter on it opens the Charts screen on that chart, Enter on a listed record opens its detail; the
pages and jobs screens title the header like the others."""

from __future__ import annotations

from textual.widgets import Static

from crmtui.backends.registry import Connection, create_backend
from crmtui.ui.app import CrmApp
from crmtui.ui.modals.record_form import RecordFormModal
from crmtui.ui.screens.charts import ChartsScreen
from crmtui.ui.screens.jobs import JobsScreen
from crmtui.ui.screens.pages import ChartBlock, PagesScreen
from crmtui.ui.screens.record_detail import RecordDetailScreen
from crmtui.ui.widgets.chart_plot import ChartBars, LinePlot
from crmtui.ui.widgets.header import AppHeader

from .conftest import loaded, wait_for
from .test_crust_pages_jobs import open_pages, records_shown
from .test_crust_shell import crust_app

SMALL = (80, 24)


def chart_blocks(screen: PagesScreen) -> dict[str, ChartBlock]:
    return {b.block.title: b for b in screen.query(ChartBlock).results(ChartBlock)}


def drawn(screen: PagesScreen) -> bool:
    blocks = chart_blocks(screen)
    return bool(blocks) and all(b.data is not None or b.failure for b in blocks.values())


def note(block: ChartBlock) -> str:
    return str(block.query_one(".chart-note", Static).render())


def header_title(app: CrmApp) -> str:
    return app.screen.query_one(AppHeader).title


def cached_crust_app(sandbox, cache_path, *, offline: bool = False) -> CrmApp:
    from crmtui.service.compose import compose
    from crmtui.service.outbox import Outbox
    from crmtui.store import Cache, identity

    from .conftest import frozen_clock

    backend = create_backend(Connection(backend="crust", base_url=sandbox.base_url, user_id="", api_key=sandbox.token))
    cache = Cache(cache_path, owner=identity(sandbox.base_url, sandbox.user_id)).open()
    outbox = Outbox(backend, base_delay=0.05, max_delay=0.5)
    session = compose(backend, cache=cache, outbox=outbox, offline=offline, clock=frozen_clock)
    return CrmApp(session, refresh_seconds=0, cursor_blink=False)


async def test_a_pages_charts_are_drawn_at_80x24(crust_sandbox) -> None:
    app = crust_app(crust_sandbox)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_pages(pilot)
        await wait_for(pilot, lambda: drawn(screen), what="the Sales page's charts")
        assert header_title(app) == "Pages · Sales"
        blocks = chart_blocks(screen)
        line, pie = blocks["Value by close month"], blocks["Opportunities by state"]
        assert line.data is not None and line.data.kind == "line" and len(line.query(LinePlot)) == 1
        assert line.query_one(LinePlot).size.height <= 10
        assert pie.data is not None and pie.data.kind == "pie"
        bars = pie.query_one(ChartBars)
        text = str(bars.render())
        lines = text.splitlines()
        assert len(lines) == len(pie.data.categories) <= 6
        assert all(line.rstrip().endswith("%") and len(line) <= 78 for line in lines)  # label, bar, value, share
        assert lines[0].startswith(pie.data.categories[0])
        total = sum(pie.data.values)
        assert f"total {total:,.0f}" in note(pie) and "Enter opens it" in note(pie)


async def test_a_chart_the_server_cannot_compute_says_why_in_one_line(crust_sandbox) -> None:
    page = next(p for p in crust_sandbox.state.tables["pages"].values() if p["title"] == "Sales")
    block = next(b for b in page["blocks"] if b["title"] == "Opportunities by state")
    block["options"]["kind"] = "scatter"  # the real server has no chart-scatter.json
    app = crust_app(crust_sandbox)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_pages(pilot)
        await wait_for(pilot, lambda: drawn(screen), what="the Sales page's charts")
        refused = chart_blocks(screen)["Opportunities by state"]
        assert refused.data is None and not refused.query(ChartBars)
        said = note(refused)
        assert said.startswith("  Not drawn: ") and "chart-scatter" in said and "\n" not in said
        assert refused.query_one(".chart-note").size.height == 1
        assert chart_blocks(screen)["Value by close month"].data is not None  # the others still drawn


async def test_a_pages_charts_draw_offline_from_the_cache(crust_sandbox, tmp_path) -> None:
    cache = tmp_path / "cache.sqlite3"
    app = cached_crust_app(crust_sandbox, cache)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_pages(pilot)
        await wait_for(pilot, lambda: drawn(screen), what="the charts online")
        online = {title: b.data for title, b in chart_blocks(screen).items()}
    again = cached_crust_app(crust_sandbox, cache, offline=True)
    crust_sandbox.stop()  # nothing answers now
    async with again.run_test(size=SMALL) as pilot:
        screen = await open_pages(pilot)
        await wait_for(pilot, lambda: drawn(screen), what="the charts from the cache")
        assert {title: b.data for title, b in chart_blocks(screen).items()} == online
        assert all(not b.failure for b in chart_blocks(screen).values())


async def test_enter_on_a_chart_block_opens_that_chart_on_the_charts_screen(crust_sandbox) -> None:
    app = crust_app(crust_sandbox)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_pages(pilot)
        await pilot.press("j")  # Marketing: "Leads per country" first
        await wait_for(pilot, lambda: header_title(app) == "Pages · Marketing" and drawn(screen), what="Marketing")
        await pilot.press("tab")
        assert isinstance(app.focused, ChartBlock) and app.focused.block.title == "Leads per country"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ChartsScreen), what="the charts screen")
        charts = app.screen
        assert isinstance(charts, ChartsScreen)
        await wait_for(pilot, lambda: charts.charts.data is not None, what="the chart")
        view = charts.charts
        assert view.module is not None and view.module.name == "Lead"
        assert (view.query.kind, view.query.dimension, view.query.metric) == ("bar", "country", "count")
        assert view.query.name == "Leads per country"
        assert view.data is not None and view.data.categories
        assert header_title(app) == "Charts · Lead"

        await pilot.press("4")  # back to the page; another chart opens on the same charts screen
        await wait_for(pilot, lambda: isinstance(app.screen, PagesScreen), what="the pages screen")
        chart_blocks(screen)["Follow-ups per week"].focus()
        await pilot.pause()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ChartsScreen) and view.data is not None and view.data.kind == "line",
                       what="the line chart")
        assert (view.query.dimension, view.query.unit) == ("followUp", "week")


async def test_enter_on_a_listed_record_opens_its_detail(crust_sandbox) -> None:
    app = crust_app(crust_sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_pages(pilot)
        await wait_for(pilot, lambda: any(rl.items for rl in records_shown(screen)), what="the record list's records")
        listing = records_shown(screen)[0]
        listing.focus()
        await pilot.press("j")
        chosen = listing.selected
        assert chosen is not None
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RecordDetailScreen), what="the record's detail")
        detail = app.screen
        assert isinstance(detail, RecordDetailScreen) and detail.record.id == chosen.id
        facts = str(detail.query_one("#record-facts", Static).render())
        assert chosen.text("name") in facts and chosen.id in facts and "(deleted)" not in facts
        assert header_title(app).startswith("Opportunity · ")
        records = app.session.records
        await pilot.press("e")  # editable here as on the records screen: it switches to the record's module
        await wait_for(pilot, lambda: isinstance(app.screen, RecordFormModal), what="the edit form")
        assert records.module is not None and records.module.id == chosen.module_id and records.find(chosen.id) is not None
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is detail, what="the detail again")
        await pilot.press("escape")
        assert app.screen is screen


async def test_the_pages_and_jobs_screens_title_the_header(crust_sandbox) -> None:
    app = crust_app(crust_sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_pages(pilot)
        await wait_for(pilot, lambda: header_title(app) == "Pages · Sales", what="the page's title")
        assert "Pages · Sales" in str(app.screen.query_one(AppHeader).render())
        await pilot.press("6")
        await wait_for(pilot, lambda: isinstance(app.screen, JobsScreen), what="the jobs screen")
        await wait_for(pilot, lambda: header_title(app).startswith("Workflows and jobs"), what="the jobs title")
        await loaded(pilot)
        assert "Workflows and jobs" in str(app.screen.query_one(AppHeader).render())

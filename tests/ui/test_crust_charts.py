"""The charts screen on Crust (key 3) over loopback against the Crust sandbox (its clock frozen).

A module's chart loads as labelled bars (value and share on each line), `t` shows it as a table, `c`
copies its data as CSV through the app's OSC 52 copy, Enter on a bar lists the records behind it, the
pickers change what is charted, and `w`/`o` keep a chart in the profile's charts.json and reopen it.
"""

from __future__ import annotations

import json

from crmtui.backends.registry import Connection, create_backend
from crmtui.store.view_state import ViewState
from crmtui.ui.screens.charts import ChartsScreen, RecordsBehindModal

from .conftest import loaded, on_backend, settled, wait_for


def crust_app(sandbox):
    backend = create_backend(Connection(backend="crust", base_url=sandbox.base_url, user_id="", api_key=sandbox.token))
    return on_backend(backend)


async def open_charts(pilot) -> ChartsScreen:
    await loaded(pilot)
    await pilot.press("3")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ChartsScreen), what="the charts screen")
    screen = pilot.app.screen
    assert isinstance(screen, ChartsScreen)
    await wait_for(pilot, lambda: screen.charts.data is not None, what="the chart")
    await settled(pilot)
    return screen


def shown(screen: ChartsScreen) -> list[str]:
    rows = screen.rows
    return [str(rows.get_option_at_index(n).prompt) for n in range(rows.option_count)]


async def test_a_chart_as_bars_then_a_table_then_copied_as_csv(crust_sandbox) -> None:
    app = crust_app(crust_sandbox)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_charts(pilot)
        data = screen.charts.data
        assert data is not None and screen.charts.module is not None
        assert screen.charts.module.name == "Account" and data.kind == "bar" and data.categories
        lines = shown(screen)
        assert len(lines) == len(data.categories)
        top = max(range(len(data.values)), key=lambda n: data.values[n])
        assert lines[top].startswith(data.categories[top][:10]) and "█" in lines[top] and lines[top].rstrip().endswith("%")

        await pilot.press("t")
        await settled(pilot)
        assert screen.table and screen.query_one("#chart-head").display
        assert len(shown(screen)) == len(data.categories) and "█" not in "".join(shown(screen))

        await pilot.press("c")
        await settled(pilot)
        assert app.clipboard == data.csv()
        assert app.clipboard.splitlines()[0] == f"{data.dimension},Count,share"


async def test_enter_on_a_bar_lists_the_records_behind_it(crust_sandbox) -> None:
    app = crust_app(crust_sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_charts(pilot)
        data = screen.charts.data
        assert data is not None
        screen.rows.highlighted = 1
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RecordsBehindModal), what="the records behind the bar")
        modal = app.screen
        assert isinstance(modal, RecordsBehindModal)
        assert len(modal.records) == data.values[1] > 0
        field = screen.charts.query.dimension
        assert {r.text(field) for r in modal.records} == {data.categories[1]}
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, what="back on the chart")


async def test_pickers_change_the_chart_and_a_kept_chart_reopens(crust_sandbox, tmp_path) -> None:
    app = crust_app(crust_sandbox)
    app.session.filters.memory = ViewState(tmp_path / "view.json")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_charts(pilot)
        charts = screen.charts
        await pilot.press("m")
        await settled(pilot)
        modules = [m.name for m in charts.modules]
        for _ in range(modules.index("Opportunity")):
            await pilot.press("j")
        await pilot.press("enter")
        await wait_for(pilot, lambda: charts.module is not None and charts.module.name == "Opportunity" and charts.data is not None,
                       what="the opportunities' chart")
        await pilot.press("s")
        await settled(pilot)
        await pilot.press("j", "enter")  # the first number field: value
        await wait_for(pilot, lambda: charts.query.metric == "sum" and charts.data is not None, what="the sums")
        assert charts.query.sum_field == "value"
        await pilot.press("K")  # pie
        await wait_for(pilot, lambda: charts.data is not None and charts.data.kind == "pie", what="the pie")
        assert all(line.rstrip().endswith("%") for line in shown(screen))
        await pilot.press("w")
        await settled(pilot)
        kept = json.loads((tmp_path / "charts.json").read_text())["charts"]
        assert kept[0]["module_name"] == "Opportunity" and kept[0]["query"]["kind"] == "pie"

        await pilot.press("m")
        await settled(pilot)
        await pilot.press("home", "enter")  # back to the first module
        await wait_for(pilot, lambda: charts.module is not None and charts.module.name != "Opportunity" and charts.data is not None,
                       what="another module")
        await pilot.press("o")
        await settled(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: charts.module is not None and charts.module.name == "Opportunity"
                       and charts.data is not None and charts.data.kind == "pie", what="the kept chart")
        assert charts.query.sum_field == "value"


async def test_a_line_chart_is_drawn_with_plotext(crust_sandbox) -> None:
    app = crust_app(crust_sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_charts(pilot)
        charts = screen.charts
        charts.module = next(m for m in charts.modules if m.name == "Opportunity")
        charts.set_dimension("closeDate")
        charts.query = charts.query.model_copy(update={"kind": "line"})
        screen._reload()
        await wait_for(pilot, lambda: charts.data is not None, what="the line")
        await settled(pilot)
        assert charts.data is not None and charts.data.kind == "line" and charts.data.categories[0].endswith("-01")
        assert screen.plot.display and not screen.rows.display
        await pilot.press("t")
        await settled(pilot)
        assert screen.rows.display and len(shown(screen)) == len(charts.data.categories)

"""Snapshots of Crust's Charts screen (3) at 80x24 and 160x45 on the seeded sandbox (its clock frozen):
the four kinds the server draws (bar, pie and donut as labelled bars with values and shares, a line
drawn by plotext) and a table view."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from crmtui.domain.charts import ChartQuery
from crmtui.ui.screens.charts import ChartsScreen

from .conftest import loaded, settled, wait_for
from .test_crust_shell import crust_app
from .test_snapshots import SIZES

CHARTS = {
    "bar": ChartQuery(kind="bar", dimension="state"),
    "pie": ChartQuery(kind="pie", dimension="country"),
    "donut": ChartQuery(kind="donut", dimension="state", metric="sum", sum_field="value"),
    "line": ChartQuery(kind="line", dimension="closeDate", unit="month", metric="sum", sum_field="value",
                       x_min="1/1/2026", x_max="31/12/2026"),
}


def shot(name: str, *, table: bool = False):
    async def run_before(pilot: Pilot) -> None:
        await loaded(pilot)
        await pilot.press("3")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ChartsScreen), what="the charts screen")
        screen = pilot.app.screen
        assert isinstance(screen, ChartsScreen)
        charts = screen.charts
        await wait_for(pilot, lambda: charts.data is not None, what="the first chart")
        charts.module = next(m for m in charts.modules if m.name == "Opportunity")
        charts.query = CHARTS[name]
        screen.table = table
        screen._reload()
        await wait_for(pilot, lambda: charts.data is not None and charts.data.kind == CHARTS[name].kind, what=f"the {name} chart")
        await settled(pilot)
        pilot.app.clear_notifications()  # the start's notices: not what these shots are of
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("kind", list(CHARTS))
@pytest.mark.parametrize("size", SIZES)
def test_chart_kinds(snap_compare, crust_sandbox, size, kind) -> None:
    """3: Opportunity's records counted by state (bar), by country (pie), value summed by state (donut),
    value summed by close month in 2026 (line)."""
    assert snap_compare(crust_app(crust_sandbox), terminal_size=size, run_before=shot(kind))


@pytest.mark.parametrize("size", SIZES)
def test_chart_table(snap_compare, crust_sandbox, size) -> None:
    """3, t: the donut's data as a table (group, sum, share)."""
    assert snap_compare(crust_app(crust_sandbox), terminal_size=size, run_before=shot("donut", table=True))

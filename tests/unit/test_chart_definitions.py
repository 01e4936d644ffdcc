"""A page's chart block keeps its chart as the chart API's parameters; the app asks for it as a query."""

from __future__ import annotations

from crmtui.domain.charts import ChartQuery, query_of_definition


def test_grouped_by_groupby_else_along_xaxis_with_its_unit() -> None:
    pie = query_of_definition({"kind": "pie", "xAxis": "state", "groupBy": "state", "count": "state", "name": "By state"})
    assert pie == ChartQuery(kind="pie", dimension="state", metric="count", name="By state")
    line = query_of_definition({"kind": "line", "xAxis": "followUp:week", "count": "followUp"})
    assert (line.dimension, line.unit, line.axis, line.metric) == ("followUp", "week", "followUp:week", "count")
    grouped = query_of_definition({"kind": "bar", "xAxis": "closeDate:month", "groupBy": "country", "count": "id"})
    assert (grouped.dimension, grouped.unit) == ("country", "")


def test_sum_of_sum_else_of_yaxis_else_a_count_and_the_range_kept() -> None:
    summed = query_of_definition({"kind": "donut", "groupBy": "state", "sum": "value", "yAxis": "other"})
    assert (summed.metric, summed.sum_field) == ("sum", "value")
    by_y = query_of_definition({"kind": "line", "xAxis": "closeDate:month", "yAxis": "value", "xMin": "1/1/2026", "xMax": "31/12/2026"})
    assert (by_y.metric, by_y.sum_field, by_y.x_min, by_y.x_max) == ("sum", "value", "1/1/2026", "31/12/2026")
    counted = query_of_definition({"kind": "bar", "xAxis": "country", "yAxis": "value", "count": "id"})
    assert (counted.metric, counted.sum_field) == ("count", "")
    assert query_of_definition({}).kind == "bar"

"""Crust chart answers as docs/module-chart.md writes them (the real server's canned bodies) made into
ChartData: both shapes, placeholder fields, float-rounded meta ids never read, D/M/YYYY ranges; the
CSV and the drill-down's group test."""

from __future__ import annotations

import datetime as dt

from crmtui.backends.crust import wire
from crmtui.backends.crust.adapter import map_chart
from crmtui.domain.charts import ChartQuery, in_group

LINE = {
    "kind": "line",
    "data": [["Close date", "2018-01-01", "2018-01-02", "2018-01-03", "2018-01-04"], ["Opportunity value", 30, 200, 100, 400]],
    "fields": {
        "Close date": {"kind": "datetime", "min": "1/1/2018", "max": "31/12/2018"},
        "Opportunity value": {"name": "(Field name)", "kind": "(Field kind)"},
    },
    "meta": {"name": "Line chart", "description": "Description for the chart", "kind": "line", "module": 62511111111111110,
             "x": 62522222222222220, "xmin": "1/1/2018", "xmax": "31/12/2018", "y": 62533333333333336},
}
DONUT = {
    "kind": "donut",
    "data": [["Open", 120000], ["Won", 1000000], ["Lost", 30000]],
    "fields": {"type": {"kind": "string"}},
    "meta": {"name": "Donut chart", "description": "", "kind": "donut", "module": 62511111111111110, "sum": 62555555555555550},
}


def test_the_docs_line_sample_reads_as_columns_with_its_range() -> None:
    chart = map_chart(wire.Chart.model_validate(LINE), ChartQuery(kind="line", dimension="closeDate"))
    assert chart.kind == "line" and chart.title == "Line chart" and chart.dimension == "Close date"
    assert chart.categories == ["2018-01-01", "2018-01-02", "2018-01-03", "2018-01-04"]
    assert [(s.label, s.values) for s in chart.series] == [("Opportunity value", [30.0, 200.0, 100.0, 400.0])]
    assert chart.x_kind == "datetime" and chart.x_range == (dt.date(2018, 1, 1), dt.date(2018, 12, 31))
    assert "62511111111111110" not in chart.model_dump_json()  # meta ids are never taken in
    assert chart.csv().splitlines() == [
        "Close date,Opportunity value", "2018-01-01,30", "2018-01-02,200", "2018-01-03,100", "2018-01-04,400",
    ]


def test_the_docs_donut_sample_reads_as_pairs_with_shares() -> None:
    chart = map_chart(wire.Chart.model_validate(DONUT), ChartQuery(kind="donut", dimension="type", metric="sum", sum_field="value"))
    assert chart.categories == ["Open", "Won", "Lost"] and chart.values == [120000.0, 1000000.0, 30000.0]
    assert chart.series[0].label == "value"
    shares = chart.shares()
    assert [round(s * 100, 1) for s in shares if s is not None] == [10.4, 87.0, 2.6]
    assert chart.csv().splitlines()[1:] == ["Open,120000,10.4%", "Won,1000000,87.0%", "Lost,30000,2.6%"]


def test_a_damaged_answer_reads_as_an_empty_chart() -> None:
    chart = map_chart(wire.Chart.model_validate({"kind": "bar", "data": "nope", "fields": [], "meta": None}), ChartQuery())
    assert chart.categories == [] and chart.values == [] and chart.shares() == []
    broken = map_chart(wire.Chart.model_validate({"kind": "pie", "data": [["A", "x"], ["B"], ["C", 2]]}), ChartQuery(kind="pie"))
    assert broken.categories == ["A", "C"] and broken.values == [0.0, 2.0]


def test_a_record_is_in_a_group_by_its_bucket() -> None:
    assert in_group("2026-03-18T10:00:00Z", "2026-03-16", "stamp", "week")
    assert not in_group("2026-03-15", "2026-03-16", "stamp", "week")
    assert in_group("2026-03-31", "2026-03-01", "stamp", "month") and in_group("2026-12-31", "2026-01-01", "stamp", "year")
    assert in_group("2026-03-18", "2026-03-18", "stamp") and not in_group("", "2026-03-18", "stamp")
    assert in_group("1500.0", "1500", "number") and not in_group("15", "1500", "number")
    assert in_group("Won", "Won", "enum") and not in_group("won", "Won", "enum")

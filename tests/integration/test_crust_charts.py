"""The charts family (Crust's `GET /module/{moduleID}/chart`) against the Crust sandbox over loopback.

The sandbox computes each chart from its records, so every answer is checked against the records
themselves, read through the records family: a bar's value is the count (or the sum) of the records
in its group, which is also what the screen's drill-down finds (`in_group`). The clock is frozen."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import httpx
import pytest

from crmtui.backends.crust.adapter import CrustBackend
from crmtui.backends.crust.client import CrustClient
from crmtui.backends.errors import Unsupported
from crmtui.domain.charts import ChartQuery, in_group
from crmtui.domain.records import Record
from crmtui.service.cached import CachedBackend, flush_cache_writes
from crmtui.store import Cache, identity


@pytest.fixture
async def crust(crust_sandbox):
    client = CrustClient(crust_sandbox.token, base_url=crust_sandbox.base_url)
    backend = CrustBackend(client, crust_sandbox.token)
    await backend.connect()
    yield backend
    await backend.close()


async def module_records(backend: CrustBackend, name: str) -> tuple[str, list[Record]]:
    module = next(m for m in await backend.modules() if m.name == name)
    return module.id, await backend.records_all(module.id)


async def test_a_bar_chart_counts_the_records_of_each_group(crust) -> None:
    module, records = await module_records(crust, "Opportunity")
    chart = await crust.chart(module, ChartQuery(kind="bar", dimension="country"))
    expected = Counter(r.text("country") for r in records if r.text("country"))
    assert chart.kind == "bar" and chart.dimension == "Country"
    assert dict(zip(chart.categories, chart.values)) == {k: float(v) for k, v in expected.items()}
    assert chart.series[0].label == "Count"
    for label, value in zip(chart.categories, chart.values):  # what Enter on a bar lists
        assert sum(in_group(r.text("country"), label, "enum") for r in records) == value
    assert abs(sum(s for s in chart.shares() if s is not None) - 1.0) < 1e-9


async def test_a_line_sums_a_number_field_by_month_within_a_range(crust) -> None:
    module, records = await module_records(crust, "Opportunity")
    query = ChartQuery(kind="line", dimension="closeDate", unit="month", metric="sum", sum_field="value",
                       x_min="1/1/2026", x_max="31/12/2026")
    chart = await crust.chart(module, query)
    sums: dict[str, float] = defaultdict(float)
    for r in records:
        day = r.text("closeDate")[:10]
        if day and "2026-01-01" <= day <= "2026-12-31":
            sums[day[:7] + "-01"] += float(r.text("value") or 0)
    assert chart.kind == "line" and chart.x_kind == "datetime"
    assert chart.x_range == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert chart.categories == sorted(sums)
    assert [s.label for s in chart.series] == ["Value"]
    assert chart.series[0].values == pytest.approx([sums[k] for k in chart.categories])
    for label, value in zip(chart.categories, chart.series[0].values):
        behind = [r for r in records if in_group(r.text("closeDate"), label, "stamp", "month")]
        assert sum(float(r.text("value") or 0) for r in behind) == pytest.approx(value)


async def test_pie_and_donut_come_as_pairs_and_their_csv_has_shares(crust) -> None:
    module, records = await module_records(crust, "Lead")
    for kind in ("pie", "donut"):
        chart = await crust.chart(module, ChartQuery(kind=kind, dimension="status"))
        assert chart.kind == kind and sum(chart.values) == sum(1 for r in records if r.text("status"))
        lines = chart.csv().splitlines()
        assert lines[0] == "Status,Count,share"
        assert len(lines) == len(chart.categories) + 1
        assert all(line.endswith("%") for line in lines[1:])


async def test_every_parameter_the_spec_requires_is_sent_and_ids_are_never_read_from_meta(crust_sandbox) -> None:
    sent: list[httpx.Request] = []

    async def keep(request: httpx.Request) -> None:
        sent.append(request)

    client = CrustClient(crust_sandbox.token, base_url=crust_sandbox.base_url, event_hooks={"request": [keep]})
    backend = CrustBackend(client, crust_sandbox.token)
    try:
        module, _ = await module_records(backend, "Account")
        chart = await backend.chart(module, ChartQuery(kind="bar", dimension="industry", metric="sum", sum_field="employees"))
        assert chart.series[0].label == "Employees"
        asked = next(r for r in sent if r.url.path.endswith("/chart"))
        assert {"name", "description", "xAxis", "yAxis", "groupBy", "sum", "count", "kind"} <= set(asked.url.params)
        assert asked.url.params["sum"] == "employees" and asked.url.params["count"] == ""
        assert "jwt" not in str(asked.url)
    finally:
        await backend.close()


async def test_a_kind_the_server_cannot_draw_is_unsupported(crust) -> None:
    module, _ = await module_records(crust, "Lead")
    with pytest.raises(Unsupported):
        await crust.chart(module, ChartQuery(kind="gauge", dimension="status"))


async def test_a_chart_read_once_is_shown_offline_from_the_cache(crust_sandbox, tmp_path) -> None:
    client = CrustClient(crust_sandbox.token, base_url=crust_sandbox.base_url)
    inner = CrustBackend(client, crust_sandbox.token)
    cache = Cache(tmp_path / "cache.sqlite3", owner=identity(crust_sandbox.base_url, crust_sandbox.user_id)).open()
    local = CachedBackend(inner, cache)
    try:
        await local.connect()
        charts = local.features.charts
        assert charts is not None
        module, _ = await module_records(inner, "Lead")
        query = ChartQuery(kind="bar", dimension="source")
        online = await charts.chart(module, query)
        await flush_cache_writes()
        local.offline = True
        assert await charts.chart(module, query) == online
    finally:
        await local.close()
        cache.close()

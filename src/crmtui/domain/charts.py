"""Charts of a module's records (Crust's `GET /module/{moduleID}/chart`), in domain terms.

A chart groups a module's records by one field (its dimension: a date field by day, week, month or
year) and measures each group: how many records (count) or the total of a number field (sum). The
server answers two shapes (docs/module-chart.md): bar, pie and donut as `[label, value]` pairs, a
line as columns; both become one `ChartData` here: the group labels (`categories`) and one series of
values per measure.

The answer's `meta` ids are JSON numbers rounded to float64 on the server: they name nothing and are
never read. A chart definition (`ChartDefinition`) is kept locally per profile (the API of the spec's
date saves no charts), so the screen can list and reopen them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from crmtui.domain.text import Line

KINDS: tuple[str, ...] = ("bar", "pie", "donut", "line")
"""The kinds the server draws (others answer an error at the spec's date)."""
UNITS: tuple[str, ...] = ("day", "week", "month", "year")
"""How a date dimension is grouped."""
DATE_KINDS = frozenset({"stamp", "date", "datetime"})
NUMBER_KINDS = frozenset({"number"})
COUNT = "count"
SUM = "sum"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=False, extra="ignore", defer_build=True)


class ChartQuery(_Model):
    """What to ask the server for: the parameters of `GET /module/{moduleID}/chart`, by field name."""

    kind: str = "bar"
    dimension: str = ""
    """The field the records are grouped by (its name)."""
    unit: str = ""
    """A date dimension's grouping: day, week, month or year ("" for other fields: the server's day)."""
    metric: str = COUNT
    """count (records in each group) or sum (of `sum_field`)."""
    sum_field: str = ""
    x_min: str = ""
    x_max: str = ""
    """The range of the dimension kept (inclusive): D/M/YYYY for a date, a number, or text; "" for none."""
    name: Line = ""
    description: Line = ""

    @property
    def axis(self) -> str:
        """The dimension as the server reads it (`closeDate:month`)."""
        return f"{self.dimension}:{self.unit}" if self.unit else self.dimension

    def key(self) -> str:
        """A stable text of the query (the cache's key)."""
        return "|".join((self.kind, self.axis, self.metric, self.sum_field, self.x_min, self.x_max))


class ChartSeries(_Model):
    label: str = ""
    values: list[float | None] = Field(default_factory=list)


class ChartData(_Model):
    """A chart as the server computed it: a label per group and one series of values per measure."""

    kind: str
    title: str = ""
    description: str = ""
    dimension: str = ""
    """The dimension's name for people (the line's first column, or the field's key)."""
    categories: list[str] = Field(default_factory=list)
    series: list[ChartSeries] = Field(default_factory=list)
    x_kind: str = "string"
    """datetime, number or string: what the group labels are."""
    x_range: tuple[dt.date | None, dt.date | None] = (None, None)

    @property
    def values(self) -> list[float]:
        """The first series' values (a missing one as 0): what bars, pies and donuts draw."""
        first = self.series[0].values if self.series else []
        return [v if v is not None and math.isfinite(v) else 0.0 for v in first] + [0.0] * (len(self.categories) - len(first))

    def total(self) -> float:
        return sum(self.values)

    def shares(self) -> list[float | None]:
        """Each group's share of the total (None for all when the total is 0)."""
        total = self.total()
        return [v / total if total else None for v in self.values]

    def rows(self) -> list[tuple[str, list[float | None]]]:
        """(label, one value per series) per group, in the server's order."""
        return [(label, [s.values[n] if n < len(s.values) else None for s in self.series]) for n, label in enumerate(self.categories)]

    def csv(self) -> str:
        """The chart's data as CSV: the dimension and one column per series (a bar/pie/donut's share too)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        single = self.kind != "line" and len(self.series) == 1
        writer.writerow([self.dimension or "group", *(s.label or f"series {n + 1}" for n, s in enumerate(self.series)),
                         *(["share"] if single else [])])
        shares = self.shares()
        for n, (label, values) in enumerate(self.rows()):
            cells = [number_text(v) for v in values]
            if single:
                share = shares[n]
                cells.append("" if share is None else f"{share * 100:.1f}%")
            writer.writerow([label, *cells])
        return out.getvalue()


class ChartDefinition(_Model):
    """A chart kept per profile to reopen: which module, and the query."""

    module_id: str
    module_name: Line = ""
    query: ChartQuery

    @property
    def title(self) -> str:
        return self.query.name or describe(self.query, self.module_name)


def describe(query: ChartQuery, module_name: str = "") -> str:
    """A chart's name for people when it has none: "Opportunity: sum of value by closeDate (month), bar"."""
    what = "count" if query.metric == COUNT else f"sum of {query.sum_field}"
    by = query.dimension + (f" ({query.unit})" if query.unit else "")
    head = f"{module_name}: " if module_name else ""
    return f"{head}{what} by {by}, {query.kind}"


def number_text(value: float | None) -> str:
    """A value as the table and the CSV write it: whole numbers without a point, others to 2 places."""
    if value is None or not math.isfinite(value):
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def bucket_of(day: dt.date, unit: str) -> dt.date:
    """The first day of the group `day` falls in (weeks from Monday)."""
    if unit == "week":
        return day - dt.timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "year":
        return day.replace(month=1, day=1)
    return day


def in_group(value: str, label: str, field_kind: str, unit: str = "") -> bool:
    """Whether a record's `value` of the dimension falls in the group named `label` (drill-down)."""
    if not value.strip():
        return False
    if field_kind in DATE_KINDS:
        day, first = _day(value), _day(label)
        return day is not None and first is not None and bucket_of(day, unit or "day") == first
    if field_kind in NUMBER_KINDS:
        try:
            return math.isclose(float(value), float(label))
        except ValueError:
            return False
    return value == label


def parse_d_m_y(text: str) -> dt.date | None:
    """A date as the chart API writes ranges (D/M/YYYY; ISO read too); None when it is none."""
    text = text.strip()
    try:
        if "/" in text:
            day, month, year = (int(part) for part in text.split("/"))
            return dt.date(year, month, day)
        return dt.date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def query_of_definition(definition: Mapping[str, str]) -> ChartQuery:
    """A chart definition as a page's Chart block keeps it (the chart API's parameters: kind, xAxis,
    groupBy, yAxis, sum, count, xMin, xMax, name, description) as a query: grouped by `groupBy` when
    given, else along `xAxis` (`closeDate:month`: the field and its unit); the sum of `sum` (else of
    `yAxis`) when given, else a count."""
    axis = (definition.get("groupBy") or definition.get("xAxis") or "").strip()
    dimension, _, unit = axis.partition(":")
    summed = (definition.get("sum") or "").strip()
    if not summed and not (definition.get("count") or "").strip():
        summed = (definition.get("yAxis") or "").strip()
    return ChartQuery(
        kind=(definition.get("kind") or "bar").strip(), dimension=dimension.strip(), unit=unit.strip(),
        metric=SUM if summed else COUNT, sum_field=summed,
        x_min=(definition.get("xMin") or "").strip(), x_max=(definition.get("xMax") or "").strip(),
        name=definition.get("name") or "", description=definition.get("description") or "",
    )

"""`GET /module/{moduleID}/chart`: a chart of a module's records, computed, in the shapes of the spec's
docs (docs/module-chart.md), where the real server at the spec's commit answers the same canned file
per kind whatever was asked (and an error for a kind it has no file for).

Parameters (all strings, as the spec has them; fields are named by their `name`):
- `kind`: line, bar, pie or donut; any other kind answers the real server's error,
  "Error when reading /chart-<kind>.json: file does not exist".
- `xAxis`: the field the chart is drawn along; `groupBy` (when given) the field records are grouped
  by instead. A date field (stamp) groups by day unless the field name carries a unit:
  `closeDate:week` (weeks from Monday), `:month`, `:year`; a bucket is named by its first day
  (`2018-01-01`), as the docs' x values are.
- `count`: how many records in each group have a value in that field (not a field, `id` say: how
  many records); `sum` (a number
  field): their total; neither: the total of `yAxis`. A line chart draws each of count and sum it
  is given as a series of its own.
- `xMin`, `xMax`: the range of the dimension kept, inclusive: D/M/YYYY (`1/1/2018`, as the docs
  write them; YYYY-MM-DD is read too) for a date field, numbers for a number field, text otherwise.
- `name`, `description`: echoed in `meta`.

The answer (`{"response": ...}`): `kind`; `data`, `[[label, value], ...]` for bar, pie and donut and
columns for a line (`[[x label, x1, x2, ...], [series label, y1, y2, ...], ...]`); `fields`, keyed as
the docs key them; `meta` with the ids as the real server writes them there: JSON numbers, so
rounded to float64 (`62511111111111110`; fields have no id on this server: see `field_id`). Records
without a value in the dimension are left out. Groups are ordered by date or number, an enum's by
its options, others by name.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

from crmtui.sandbox.crust.routes import Request, route
from crmtui.sandbox.crust.state import CrustError

KINDS = ("line", "bar", "pie", "donut")
UNITS = ("day", "week", "month", "year")
DATE_KINDS = ("stamp", "date", "datetime")
NUMBER_KINDS = ("number",)


def float_id(value: int) -> int:
    """An id as Go writes it in a float64 JSON number: rounded to 53 bits, printed in full
    (62511111111111111 becomes 62511111111111110, the shortest digits padded with zeros)."""
    return int(Decimal(repr(float(value))))


def field_id(module_id: int, place: int) -> int:
    """A field's stand-in id (fields have none on this server, only their module and place): the module's
    Sonyflake id with the place as its sequence number, so ids stay apart once rounded to float64."""
    return (module_id & ~(0xFF << 16)) | ((place & 0xFF) << 16)


def go_number(value: float) -> int | float:
    """A float64 as Go's JSON writes it: no `.0` on whole numbers."""
    return int(value) if float(value).is_integer() and abs(value) < 1e21 else value


def d_m_y(day: dt.date) -> str:
    return f"{day.day}/{day.month}/{day.year}"


def _parse_day(text: str, what: str) -> dt.date:
    text = text.strip()
    try:
        if "/" in text:
            day, month, year = (int(part) for part in text.split("/"))
            return dt.date(year, month, day)
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise CrustError(f'parsing {what} "{text}": not a date (D/M/YYYY)') from None


def _value_day(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _number(value: str) -> float | None:
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _bucket(day: dt.date, unit: str) -> dt.date:
    if unit == "week":
        return day - dt.timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "year":
        return day.replace(month=1, day=1)
    return day


class _Field:
    def __init__(self, module: dict, spec: str, role: str) -> None:
        name, _, unit = spec.partition(":")
        places = {f.get("name"): n for n, f in enumerate(module["fields"] or [], start=1)}
        if name not in places:
            raise CrustError(f"Unknown field {name!r} for the chart's {role} (module {module['name']})")
        self.name = name
        self.place = places[name]
        self.field = (module["fields"] or [])[self.place - 1]
        self.kind = str(self.field.get("kind", ""))
        self.label = str(self.field.get("label") or name)
        self.id = float_id(field_id(int(module["id"]), self.place))
        if unit and (self.kind not in DATE_KINDS or unit not in UNITS):
            raise CrustError(f"Cannot group {name} ({self.kind}) by {unit!r}: a date field groups by day, week, month or year")
        self.unit = unit or "day"

    @property
    def is_date(self) -> bool:
        return self.kind in DATE_KINDS

    @property
    def is_number(self) -> bool:
        return self.kind in NUMBER_KINDS

    def key(self, value: str) -> Any:
        """The group a value falls in (None: left out)."""
        if not value.strip():
            return None
        if self.is_date:
            day = _value_day(value)
            return None if day is None else _bucket(day, self.unit)
        if self.is_number:
            return _number(value)
        return value

    def bound(self, text: str, what: str) -> Any:
        if self.is_date:
            return _parse_day(text, what)
        if self.is_number:
            number = _number(text)
            if number is None:
                raise CrustError(f'parsing {what} "{text}": not a number')
            return number
        return text

    def order(self, keys: list[Any]) -> list[Any]:
        options = (self.field.get("options") or {}).get("options") if isinstance(self.field.get("options"), dict) else None
        if self.kind == "enum" and isinstance(options, list):
            place = {str(o): n for n, o in enumerate(options)}
            return sorted(keys, key=lambda k: (place.get(k, len(place)), k))
        return sorted(keys)

    def label_of(self, key: Any) -> Any:
        if isinstance(key, dt.date):
            return key.isoformat()
        if isinstance(key, float):
            return go_number(key)
        return key

    def fields_kind(self) -> str:
        return "datetime" if self.is_date else "number" if self.is_number else "string"


def _has_field(module: dict, spec: str) -> bool:
    return any(f.get("name") == spec.partition(":")[0] for f in module["fields"] or [])


@route("GET", "/module/{moduleID}/chart")
def module_chart(req: Request) -> Any:
    q = req.query
    kind = q.get("kind", "")
    if kind not in KINDS:
        raise CrustError(f"Error when reading /chart-{kind}.json: file does not exist")
    state = req.state
    with state.lock:
        module = state.module(req.path_id("moduleID"))
        if not q.get("xAxis") and not q.get("groupBy"):
            raise CrustError("A chart needs xAxis or groupBy: the field its records are drawn along")
        x = _Field(module, q["xAxis"], "xAxis") if q.get("xAxis") else None
        group = _Field(module, q["groupBy"], "groupBy") if q.get("groupBy") else None
        dimension = group or x
        assert dimension is not None
        count_name = q.get("count", "")
        count = _Field(module, count_name, "count") if count_name and _has_field(module, count_name) else None
        total = _Field(module, q["sum"], "sum") if q.get("sum") else None
        y = _Field(module, q["yAxis"], "yAxis") if q.get("yAxis") else None
        if total is not None and not total.is_number:
            raise CrustError(f"Cannot sum {total.name}: a {total.kind} field, not a number")
        metrics: list[tuple[str, _Field | None]] = [("count", count)] if count_name else []
        metrics += [("sum", total)] if total else []
        if not metrics:
            if y is None:
                raise CrustError("A chart needs count, sum or yAxis: what it measures")
            if not y.is_number:
                raise CrustError(f"Cannot add up {y.name}: a {y.kind} field, not a number")
            metrics = [("sum", y)]
        low = dimension.bound(q["xMin"], "xMin") if q.get("xMin") else None
        high = dimension.bound(q["xMax"], "xMax") if q.get("xMax") else None

        groups: dict[Any, list[float]] = {}
        for row in sorted(state.tables["contents"].values(), key=lambda r: int(r["id"])):
            if row["moduleID"] != module["id"] or row.get("deletedAt"):
                continue
            key = dimension.key(row["columns"].get(dimension.name, ""))
            if key is None or (low is not None and key < low) or (high is not None and key > high):
                continue
            sums = groups.setdefault(key, [0.0] * len(metrics))
            for n, (how, metric) in enumerate(metrics):
                value = row["columns"].get(metric.name, "") if metric is not None else "1"
                if how == "count":
                    sums[n] += 1 if value.strip() else 0
                else:
                    sums[n] += _number(value) or 0.0
        keys = dimension.order(list(groups))

    meta: dict[str, Any] = {"name": q.get("name", ""), "description": q.get("description", ""), "kind": kind,
                            "module": float_id(int(module["id"])), "x": (x or dimension).id}
    if q.get("xMin"):
        meta["xmin"] = q["xMin"]
    if q.get("xMax"):
        meta["xmax"] = q["xMax"]
    if y is not None:
        meta["y"] = y.id
    if group is not None:
        meta["groupby"] = group.id
    if total is not None:
        meta["sum"] = total.id
    if count_name:
        meta["count"] = count.id if count is not None else float_id(int(count_name)) if count_name.isdigit() else 0

    def series_label(how: str, metric: _Field | None) -> str:
        if how == "count":
            return "Count" if metric is None else f"Count of {metric.label}"
        assert metric is not None
        return metric.label

    if kind == "line":
        data: list[list[Any]] = [[dimension.label, *(dimension.label_of(k) for k in keys)]]
        data += [[series_label(how, metric), *(go_number(groups[k][n]) for k in keys)] for n, (how, metric) in enumerate(metrics)]
        x_field: dict[str, Any] = {"kind": dimension.fields_kind()}
        if dimension.is_date and (low is not None or keys):
            x_field["min"] = d_m_y(low if low is not None else min(keys))
            x_field["max"] = d_m_y(high if high is not None else max(keys))
        fields: dict[str, Any] = {dimension.label: x_field}
        for how, metric in metrics:
            fields[series_label(how, metric)] = {"name": metric.name if metric else count_name,
                                                  "kind": "number" if how == "count" or metric is None else metric.kind}
    else:
        data = [[str(dimension.label_of(k)), go_number(groups[k][0])] for k in keys]
        fields = {dimension.name: {"kind": dimension.fields_kind()}}
    return {"kind": kind, "data": data, "fields": fields, "meta": meta}

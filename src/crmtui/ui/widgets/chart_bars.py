"""Bar, pie and donut charts as labelled horizontal bars: one line per group with its label, a bar of
eighth blocks, its value and its share of the total. Pie and donut bars are the group's share of the
whole (a circle is unreadable in 80 columns and over SSH); a bar chart's longest bar is its largest
value. Every number is written out, so nothing depends on colour. Pure: deterministic for snapshots.
"""

from __future__ import annotations

import math

from rich.cells import cell_len
from textual.content import Content

from crmtui.domain.charts import ChartData
from crmtui.domain.text import inert_line

EIGHTHS = " ▏▎▍▌▋▊▉"
FULL = "█"
MAX_LABEL = 22
MIN_BAR = 8


def amount(value: float | None) -> str:
    """A value for people: thousands grouped, whole numbers without a point."""
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def percent(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.1f}%"


def bar_text(fraction: float, width: int) -> str:
    """`fraction` (0..1) of `width` cells in eighth blocks, padded to `width`."""
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    full, rest = divmod(eighths, 8)
    text = FULL * full + (EIGHTHS[rest] if rest else "")
    if not text and fraction > 0:
        text = EIGHTHS[1]  # never an empty bar for a value above nothing
    return text.ljust(width)


def fit(text: str, width: int) -> str:
    """`text` cut to `width` cells with an ellipsis, padded to `width`."""
    if cell_len(text) <= width:
        return text + " " * (width - cell_len(text))
    out = ""
    for char in text:
        if cell_len(out + char) > width - 1:
            break
        out += char
    return out + "…" + " " * (width - 1 - cell_len(out))


class BarLayout:
    """The column widths of one chart's bar lines at a width."""

    def __init__(self, chart: ChartData, width: int) -> None:
        labels = [inert_line(c) or "(none)" for c in chart.categories]
        self.labels = labels
        self.label_width = min(MAX_LABEL, max((cell_len(label) for label in labels), default=4))
        self.value_width = max((len(amount(v)) for v in chart.values), default=1)
        self.share_width = 6
        self.bar_width = max(MIN_BAR, width - self.label_width - self.value_width - self.share_width - 4)


def bar_lines(chart: ChartData, width: int) -> list[Content]:
    """One line per group: `label  ████▍   value  share`."""
    layout = BarLayout(chart, width)
    values, shares = chart.values, chart.shares()
    whole = chart.kind in ("pie", "donut")
    top = max(values, default=0.0)
    lines: list[Content] = []
    for n, label in enumerate(layout.labels):
        value, share = values[n], shares[n]
        fraction = (share or 0.0) if whole else (value / top if top > 0 else 0.0)
        lines.append(Content.assemble(
            (fit(label, layout.label_width), "bold"), " ",
            (bar_text(fraction, layout.bar_width), "$accent"), " ",
            amount(value).rjust(layout.value_width), " ",
            (percent(share).rjust(layout.share_width), "$text-muted"),
        ))
    return lines


def table_lines(chart: ChartData, width: int) -> tuple[str, list[str]]:
    """The chart as a table: (heading, one line per group): the label, each series' value, and the
    share of the total for a chart of one series."""
    labels = [inert_line(c) or "(none)" for c in chart.categories]
    rows = chart.rows()
    single = len(chart.series) == 1
    shares = chart.shares() if single else []
    titles = [inert_line(s.label) or f"series {n + 1}" for n, s in enumerate(chart.series)]
    widths = [max(len(t), *(len(amount(values[i])) for _, values in rows)) if rows else len(t) for i, t in enumerate(titles)]
    share_width = 6 if single else 0
    used = sum(w + 2 for w in widths) + (share_width + 2 if single else 0)
    label_width = max(8, min(max((cell_len(x) for x in labels), default=8), width - used - 1))
    heading = fit(inert_line(chart.dimension) or "group", label_width) + "".join(
        "  " + t.rjust(w)[:w] for t, w in zip(titles, widths)
    ) + ("  " + "share".rjust(share_width) if single else "")
    lines = []
    for n, (label, values) in enumerate(zip(labels, (v for _, v in rows))):
        cells = "".join("  " + amount(v).rjust(w) for v, w in zip(values, widths))
        lines.append(fit(label, label_width) + cells + ("  " + percent(shares[n]).rjust(share_width) if single else ""))
    return heading, lines


def line_points(chart: ChartData) -> list[tuple[str, list[float]]]:
    """Each series of a line chart as (label, values) with a missing value as 0 (plotext draws numbers)."""
    return [(s.label, [v if v is not None else 0.0 for v in s.values[: len(chart.categories)]]) for s in chart.series]

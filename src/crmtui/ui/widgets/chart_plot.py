"""The chart drawings the Charts screen (3) and a page's chart blocks (4) share: a line chart drawn with
plotext (textual-plotext), and bar, pie and donut charts as the labelled bars of `chart_bars`, drawn at
the width the widget is given (so a page's block and the Charts screen agree line for line)."""

from __future__ import annotations

import math

from textual.content import Content
from textual.widget import Widget
from textual_plotext import PlotextPlot

from crmtui.domain.charts import ChartData
from crmtui.domain.text import inert_line
from crmtui.ui.widgets.chart_bars import bar_lines, line_points


class LinePlot(PlotextPlot):
    """A line chart: one braille line per series, the groups' labels as ticks (as many as fit)."""

    _data: ChartData | None = None
    _fallback_width = 80

    def draw(self, data: ChartData, fallback_width: int = 80) -> None:
        """Draw `data`; drawn again at each new size (the ticks that fit depend on the width, and the
        first draw may come before the layout has given the widget its width)."""
        self._data, self._fallback_width = data, fallback_width
        self._draw_now(data)

    def on_resize(self) -> None:
        if self._data is not None:
            self._draw_now(self._data)

    def _draw_now(self, data: ChartData) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        xs = [float(n) for n in range(1, len(data.categories) + 1)]
        for label, values in line_points(data):
            plt.plot(xs, values, label=inert_line(label), marker="braille")
        # Only as many tick labels as fit side by side: plotext drops overlapping ones, not always the same.
        longest = max((len(c) for c in data.categories), default=1)
        room = max(20, (self.size.width or self._fallback_width) - 12)
        step = max(1, math.ceil(len(xs) / max(1, room // (longest + 4))))
        plt.xticks(xs[::step], [inert_line(c) for c in data.categories[::step]])
        plt.xlabel(inert_line(data.dimension))
        self.refresh()


class ChartBars(Widget):
    """A bar, pie or donut chart as labelled bars (no cursor): at most `max_rows` groups, then a line
    saying how many more there are."""

    DEFAULT_CSS = "ChartBars { height: auto; }"

    def __init__(self, data: ChartData, *, max_rows: int = 0, more_hint: str = "", classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self.data = data
        self.max_rows = max_rows
        self.more_hint = more_hint
        shown = len(data.categories) if not max_rows else min(max_rows, len(data.categories))
        self.styles.height = shown + (1 if shown < len(data.categories) else 0)

    def render(self) -> Content:
        data = self.data
        lines = bar_lines(data, max(self.size.width, 40))
        left = len(lines) - self.max_rows if self.max_rows else 0
        if left > 0:
            lines = lines[: self.max_rows]
            lines.append(Content.styled(f"… {left} more group{'s' if left != 1 else ''}{self.more_hint}", "italic $text-muted"))
        return Content("\n").join(lines)

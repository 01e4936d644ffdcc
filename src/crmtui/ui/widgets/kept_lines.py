"""Textual's line cache for a widget, keeping what a frame that changes a few lines need not redo.

At every frame Textual asks each widget on the screen for all its lines (`Widget.render_lines`), not
only for those that changed: its `StylesCache` gives back the lines it holds, each put through the
app's line filters again, and styles (padding, border, background) each line that changed. A cursor
step changes two rows of the list and a dozen lines of the pane beside it, and the frame went
through every line of every widget of the body (~260 lines) and styled each changed line anew.

`KeptStylesCache` draws the same lines, and also keeps:

- each line as the filters left it, and the whole list of lines of the last frame: a widget none of
  whose lines changed gives back that list as it is;
- the styled line made of each content line (by the content line's identity): a line the widget drew
  before (the list row the cursor left, a heading of the pane that moved up) is not styled again, and
  being the same object as before, what Textual works out from it afterwards (its filtered copy, its
  cuts, its terminal text) is cached on it already.

A styled content line depends only on the content line and on what `_key` holds (sizes, padding,
backgrounds, filters): borders, padding and tint are alike on every content line. Anything else
(a crop of part of the widget's width, a border title) goes Textual's own way. A change of styles
repaints the widget whole, which clears this cache with the rest (`clear`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from textual._styles_cache import StylesCache
from textual.geometry import Region, Size, Spacing
from textual.strip import Strip
from textual.widget import Widget

STYLED_KEPT = 512
"""Styled lines kept by their content line (beyond this, the lot is dropped and kept anew)."""


class KeptStylesCache(StylesCache):
    """A `StylesCache` that keeps each frame's filtered lines and the styled line of each content line."""

    def __init__(self) -> None:
        super().__init__()
        self._filtered: dict[int, Strip] = {}
        """Each line as last handed out, through the filters (valid under `_key`)."""
        self._styled: dict[int, tuple[Strip, Strip]] = {}
        """id(content line) -> the content line and its styled line (valid under `_key`)."""
        self._key: tuple[Any, ...] | None = None
        self._last: tuple[Region, list[Strip]] | None = None
        """The last frame's crop and lines, while none of them changed."""
        self._widget_key: tuple[Any, ...] | None = None
        """The widget's backgrounds and line filters at the last frame (`render_widget`)."""

    def clear(self) -> None:
        super().clear()
        self._filtered.clear()
        self._styled.clear()  # the widget's styles may have changed: borders, colours
        self._last = None

    def set_dirty(self, *regions: Region) -> None:
        super().set_dirty(*regions)
        if self._dirty_lines:
            self._last = None

    def render_widget(self, widget: Widget, crop: Region) -> list[Strip]:
        """As Textual's; a widget none of whose lines changed since the last frame, on the same
        backgrounds and filters, gets that frame's lines without its styles being read again (what
        the frame asks of every widget it does not repaint, ~20 style reads each)."""
        last = self._last
        key = (widget.background_colors, widget.get_line_filters())
        if (
            last is not None and not self._dirty_lines and last[0] == crop and key == self._widget_key
            and not (widget.auto_links and widget.hover_style._link_id)
        ):
            return last[1]
        self._widget_key = key
        return super().render_widget(widget, crop)

    def render(  # Textual's signature
        self,
        styles: Any,
        size: Size,
        base_background: Any,
        background: Any,
        render_content_line: Callable[[int], Strip],
        filters: Sequence[Any],
        border_title: Any,
        border_subtitle: Any,
        content_size: Size | None = None,
        padding: Spacing | None = None,
        crop: Region | None = None,
        opacity: float = 1.0,
        ansi_theme: Any = None,
        native_ansi: bool = False,
    ) -> list[Strip]:
        width = size.width
        if crop is None:
            crop = size.region
        if crop.x != 0 or crop.width != width or border_title is not None or border_subtitle is not None or ansi_theme is None:
            self._filtered.clear()
            self._last = None
            return super().render(
                styles, size, base_background, background, render_content_line, filters, border_title,
                border_subtitle, content_size=content_size, padding=padding, crop=crop, opacity=opacity,
                ansi_theme=ansi_theme, native_ansi=native_ansi,
            )
        if content_size is None:
            content_size = size
        if padding is None:
            padding = styles.padding
        if width != self._width:
            self.clear()
            self._width = width
        key = (size, content_size, padding, base_background, background, tuple(filters), opacity, ansi_theme, native_ansi)
        if key != self._key:
            self._filtered.clear()
            self._styled.clear()
            self._last = None
            self._key = key
        last = self._last
        if last is not None and last[0] == crop and not self._dirty_lines:
            return last[1]
        top = styles.gutter.top
        content_height = content_size.height
        cache, dirty, filtered, styled = self._cache, self._dirty_lines, self._filtered, self._styled
        lines: list[Strip] = []
        for y in crop.line_range:
            if y in dirty or y not in cache:
                content_y = y - top
                if 0 <= content_y < content_height:
                    content = render_content_line(content_y)
                    kept = styled.get(id(content))
                    if kept is not None and kept[0] is content:
                        strip = kept[1]
                    else:
                        strip = self.render_line(
                            styles, y, size, content_size, padding, base_background, background,
                            _given(content), border_title, border_subtitle, opacity, ansi_theme, native_ansi,
                        )
                        if len(styled) >= STYLED_KEPT:
                            styled.clear()
                        styled[id(content)] = (content, strip)
                else:
                    strip = self.render_line(
                        styles, y, size, content_size, padding, base_background, background, render_content_line,
                        border_title, border_subtitle, opacity, ansi_theme, native_ansi,
                    )
                cache[y] = strip
                for line_filter in filters:
                    strip = strip.apply_filter(line_filter, background)
                filtered[y] = strip
            else:
                drawn = filtered.get(y)
                if drawn is None:
                    drawn = cache[y]
                    for line_filter in filters:
                        drawn = drawn.apply_filter(line_filter, background)
                    filtered[y] = drawn
                strip = drawn
            lines.append(strip)
        dirty.difference_update(crop.line_range)
        self._last = (crop, lines)
        return lines


def _given(content: Strip) -> Callable[[int], Strip]:
    """A content-line callback that gives `content` (already drawn: drawing it again could differ)."""
    return lambda _y: content


def keep_lines(*widgets: Widget) -> None:
    """Give each widget a `KeptStylesCache` (before it is first drawn)."""
    for widget in widgets:
        widget._styles_cache = KeptStylesCache()


def kept(widgets: Iterable[Widget]) -> int:
    """How many of `widgets` keep their lines (a test's measure)."""
    return sum(isinstance(widget._styles_cache, KeptStylesCache) for widget in widgets)

"""A virtual list of any kind of row, drawn from a column spec: only the rows on screen are rendered.

The rows (contacts of the action stream, leads, files, teams; records later) come in order with their
section; the list puts a header line
before each section, keeps the cursor on the same item when the rows change (by its key), and draws
each visible line on demand from `Column`s: a title, a width rule (fixed, or a share of what is left
with a minimum) and a function giving the cell's text and colour role for an item (or several such
parts, each in its own colour: labels as chips). A column whose minimum does not fit is dropped, last
columns first, so the list reads at 80 columns and uses 200.

Until the person moves the cursor it stays on the first row when the rows change (a refresh that
moves the first item must not drag the view after it), as the action stream's list does.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Self, TypeVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar
from textual.strip import Strip

from crmtui.ui.cells import fit, fit_parts
from crmtui.ui.widgets.kept_lines import KeptStylesCache, keep_lines
from crmtui.ui.label_colours import LABEL_COLOURS, label_css

T = TypeVar("T")

TITLES = "titles"
"""A section's role when its header line is the columns' titles (no count after it)."""

Part = tuple[str, str]
"""Text and its colour role ("" for the row's own, else a `row-list--<role>` class)."""

Cell = Part | list[Part]
"""A cell: one part, or several drawn side by side each in its own colour (labels as chips), fitted
to the column's width as a whole."""

@dataclass(frozen=True)
class Column(Generic[T]):
    """One column: `cell(item)` gives its text and role; `width` cells, or a `share` of the room left
    (at least `min_width`); `right` aligns numbers; `priority`: higher ones are dropped last when narrow."""

    title: str
    cell: Callable[[T], Cell]
    width: int = 0
    share: int = 0
    min_width: int = 0
    right: bool = False
    priority: int = 0
    on_cursor: str | None = None
    """The role the cell takes on the cursor row instead of its own (None: its own): a red date on the
    cursor's blue is hard to read."""


@dataclass(frozen=True)
class Header:
    """A section's header line: its title and how many rows it has; `tag` says which section it is to
    the list that made it (the action stream's `Section`)."""

    title: str
    count: int
    role: str = ""
    tag: object = None


def layout(columns: Sequence[Column[T]], width: int) -> list[tuple[Column[T], int]]:
    """Each shown column with its width at `width` (one space between columns)."""
    shown = list(columns)
    while shown:
        fixed = sum(c.width for c in shown if not c.share)
        flexible = [c for c in shown if c.share]
        room = width - fixed - len(shown)
        if room >= sum(c.min_width for c in flexible):
            break
        drop = min(shown, key=lambda c: (c.priority, -shown.index(c)))
        shown.remove(drop)
    if not shown:
        return []
    flexible = [c for c in shown if c.share]
    room = max(width - sum(c.width for c in shown if not c.share) - len(shown), 0)
    shares = sum(c.share for c in flexible) or 1
    widths: dict[int, int] = {}
    left = room
    for column in flexible:
        widths[id(column)] = max(column.min_width, room * column.share // shares)
        left -= widths[id(column)]
    if flexible and left > 0:
        widths[id(flexible[0])] += left  # what rounding left goes to the first flexible column
    return [(c, widths.get(id(c), c.width)) for c in shown]


class RowList(ScrollView, Generic[T], can_focus=True):
    """Items in sections, one line each, drawn from `columns`."""

    ROLE_PREFIX: ClassVar[str] = "row-list--"
    """The component classes the roles name (a list with its own colours has its own)."""

    PLAIN_ON_CURSOR: ClassVar[tuple[str, ...]] = ("dim", "label-")
    """Roles (by prefix) drawn in the cursor's own colours on the cursor row."""

    BINDINGS = [
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("home,g", "first", "First", show=False),
        Binding("end,G", "last", "Last", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("enter", "select", "Open", show=False),
    ]

    COMPONENT_CLASSES = {
        "row-list--header", "row-list--cursor", "row-list--urgent", "row-list--today", "row-list--attention",
        "row-list--future", "row-list--dim", "row-list--strong", "row-list--empty", "row-list--closed",
        *(f"row-list--label-{colour}" for colour in LABEL_COLOURS),
    }

    DEFAULT_CSS = """
    RowList { overflow-x: hidden; }
    RowList > .row-list--header { text-style: bold; color: $text-muted; background: $boost; }
    RowList > .row-list--cursor { background: $block-cursor-background; color: $block-cursor-foreground; }
    RowList:blur > .row-list--cursor { background: $block-cursor-blurred-background; }
    RowList > .row-list--urgent { color: $error; }
    RowList > .row-list--today { color: $success; }
    RowList > .row-list--attention { color: $warning; }
    RowList > .row-list--future { color: $text-muted; }
    RowList > .row-list--closed { color: $text-disabled; }
    RowList > .row-list--dim { color: $text-muted; }
    RowList > .row-list--strong { text-style: bold; }
    RowList > .row-list--empty { color: $text-muted; text-style: italic; }
    """ + label_css("RowList", "row-list--label-")  # labels in Pipedrive's colours, on dark and light themes

    cursor: reactive[int] = reactive(0, always_update=True, init=False, repaint=False)
    """The row under the cursor; its watcher repaints the two rows involved, not the whole list."""
    empty_text: reactive[str] = reactive("Loading…", repaint=False)
    """What an empty list says ("Loading stream… 1,200 / 8,174"): drawn only while the list has no rows
    (a sync's progress changes it a hundred times while the first page's rows are shown)."""

    def watch_empty_text(self) -> None:
        if not self._rows:
            self.refresh()

    class Highlighted(Message):
        def __init__(self, item: object | None) -> None:
            super().__init__()
            self.item = item

    class Selected(Message):
        def __init__(self, item: object) -> None:
            super().__init__()
            self.item = item

    def __init__(
        self,
        columns: Sequence[Column[T]],
        *,
        key: Callable[[T], Hashable],
        bold: Callable[[T], bool] | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        keep_lines(self)  # a cursor step redraws two rows, not the whole list
        self.columns = list(columns)
        self._item_key = key
        self._bold = bold
        self._rows: list[T | Header] = []
        self._items: list[T] | None = []
        self._cache: LRUCache[tuple[int, int, bool, int], Strip] = LRUCache(1024)
        self._chosen = False
        """Whether the person has put the cursor where it is (moved it, opened or acted on an item)."""
        self._placing = False
        """The rows are placing the cursor (not the person)."""
        self._last_highlighted: Hashable | None = None
        self.on_highlight: Callable[[Any], None] | None = None
        """Called at once when the cursor reaches another item, before the Highlighted message: a
        screen's pane beside the list then changes in the frame that moves the cursor (through the
        message alone, the pane's change came a frame later: two frames written per cursor step)."""
        self._painted: dict[int, tuple[tuple[int, int], Strip]] = {}
        """Each screen line's strip as last painted, with the scroll offset and width then."""
        self._fresh: dict[int, tuple[tuple[int, int, int], Strip]] = {}
        """Lines `_repaint_changed` rendered to compare and then asked to repaint, with the scroll offset,
        width and cursor then: the paint draws them as they are unless any of those moved since."""
        self._painted_styles: object = None
        """What the list's styles were at its last whole repaint (`refresh`)."""
        self._styles_now: dict[tuple[str, bool], Style] = {}
        """The list's own style ("", False) and each role's (`_style`; colour only: `_fg`) since its
        styles last changed: Textual drops its own copy of them at every refresh, a cursor step's too,
        and a row's roles worked out again were half the cost of drawing it."""

    # -- data ----------------------------------------------------------------------------------
    @property
    def items(self) -> list[T]:
        """The items shown, in order."""
        if self._items is None:
            self._items = [r for r in self._rows if not isinstance(r, Header)]
        return self._items

    @property
    def selected(self) -> T | None:
        if 0 <= self.cursor < len(self._rows):
            row = self._rows[self.cursor]
            if not isinstance(row, Header):
                return row
        return None

    def set_rows(self, sections: Sequence[tuple[str, str, Sequence[T]]]) -> None:
        """Show `sections`: (title, colour role, items) each, in order; empty sections are left out.
        The cursor stays on its item wherever it went (on the first row until the person moves it)."""
        rows: list[T | Header] = []
        items: list[T] = []
        for title, role, members in sections:
            if not members:
                continue
            rows.append(Header(title, len(members), role))
            rows.extend(members)
            items.extend(members)
        self._show(rows, self.kept_key(), items)

    def kept_key(self) -> Hashable | None:
        """The key of the item the cursor should stay on when the rows change (None: on the first row
        while the person has not moved the cursor, `_at_top`)."""
        selected = self.selected
        return None if selected is None or self._at_top() else self._item_key(selected)

    def _at_top(self) -> bool:
        """Whether the cursor is on the first item where the list put it, not the person: then it stays
        on the first row when the rows change. On start the cache paints the list and the server's copy
        follows; a first item that changed since must not drag the cursor, and the view, after it."""
        return not self._chosen and bool(self._rows) and self.cursor == self._item_row(0, 1)

    def _show(self, rows: list[T | Header], keep: Hashable | None, items: list[T] | None = None) -> None:
        """Show `rows` (headers and items), the cursor on the item keyed `keep`, else on the row it was
        on (the nearest item there: the one that took the place of an item gone)."""
        old_cursor = self.cursor
        self._rows = rows
        self._rows_changed()
        self._items = items
        self._place(self.row_of_key(keep) if keep is not None else None, old_cursor)

    def _place(self, target: int | None, old_cursor: int) -> None:
        """Put the cursor on row `target` (None: the nearest item to where it was, `old_cursor`) as the
        list's doing, not the person's."""
        if target is None:
            target = self._item_row(min(old_cursor, max(len(self._rows) - 1, 0)), 1)
        self._placing = True
        self.cursor = target
        self._placing = False
        self._repaint_changed()

    def _repaint_changed(self) -> None:
        """Repaint the lines on screen that would now be drawn differently from how they were painted
        (`_painted`): Textual writes every repainted line to the terminal, and new data (names looked
        up, a change from the server) mostly leaves the rows on screen as they were."""
        top = self.scroll_offset.y
        width = self.scrollable_content_region.width
        for y in range(self.scrollable_content_region.height):
            painted = self._painted.get(y)
            if painted is None or painted[0] != (top, width):
                self._refresh_row(top + y)
                continue
            line = self._line(y, keep=False)
            if painted[1] != line:
                self._fresh[y] = ((top, width, self.cursor), line)  # the paint uses it: one render a line
                self._refresh_row(top + y)
            else:
                self._keep_painted(top + y, width, painted[1])

    def _rows_changed(self) -> None:
        """The rows were changed in place: draw them again."""
        self._items = None
        self._cache.clear()
        self._fresh.clear()
        size = Size(self.scrollable_content_region.width, len(self._rows))
        if self.is_mounted and size != self.virtual_size and size.width == self.virtual_size.width:
            # Only the number of rows changed: no layout, which repaints the whole list (~4 KB over SSH
            # at the end of a large sync, or when a triaged contact leaves); the caller repaints the
            # lines that changed, and the scrollbar follows (one that appears or goes lays out itself).
            self.set_reactive(RowList.virtual_size, size)
            self._scroll_update(size)
        else:
            self.virtual_size = size

    def row_of_key(self, key: Hashable) -> int | None:
        """The row of the item keyed `key` (None: not shown)."""
        return next((i for i, r in enumerate(self._rows) if not isinstance(r, Header) and self._item_key(r) == key), None)

    def select_key(self, key: Hashable) -> bool:
        row = self.row_of_key(key)
        if row is None:
            return False
        self.cursor = row
        return True

    def keep_row(self, row: int) -> None:
        """Put the cursor back on `row` (the nearest item there): after a change moved its item away."""
        self.cursor = self._item_row(min(row, max(len(self._rows) - 1, 0)), 1)

    def move_past(self, key: Hashable) -> None:
        """Put the cursor on the item after the one keyed `key` (the one before, when it is the last)."""
        row = self.row_of_key(key)
        if row is None:
            return
        after = self._item_row(row + 1, 1)
        if after != row:
            self.cursor = after
            return
        before = self._item_row(row - 1, -1)
        if before != row:
            self.cursor = before

    def visible_items(self, margin: int = 0) -> list[T]:
        """The items on screen, and `margin` rows above and below."""
        top = max(self.scroll_offset.y - margin, 0)
        bottom = self.scroll_offset.y + self.scrollable_content_region.height + margin
        return [r for r in self._rows[top:bottom] if not isinstance(r, Header)]

    def redraw(self) -> None:
        """Draw again (what the cells show changed, not the rows: names looked up, the day turned):
        only the lines on screen that come out different are repainted (and so sent to the terminal)."""
        self._cache.clear()
        self._fresh.clear()
        self._repaint_changed()

    def _item_row(self, index: int, step: int) -> int:
        rows = self._rows
        if not rows:
            return 0
        index = max(0, min(index, len(rows) - 1))
        for direction in (step, -step):
            i = index
            while 0 <= i < len(rows):
                if not isinstance(rows[i], Header):
                    return i
                i += direction
        return index

    # -- cursor --------------------------------------------------------------------------------
    def watch_cursor(self, old: int, new: int) -> None:
        if not self._placing:
            self._chosen = True
        # Only the two rows the cursor left and reached: Textual writes every line of a refreshed
        # region to the terminal (over SSH, the whole list per key). A scroll repaints the rest;
        # placing the cursor after the rows changed repaints what changed (`_place`).
        if not self._placing:
            self._refresh_rows(old, new)
        if self._rows:
            top = new - 1 if new > 0 and isinstance(self._rows[new - 1], Header) else new
            if top == 0:
                self.scroll_to(y=0, animate=False, force=True, immediate=True)
            else:
                self.scroll_to_region(Region(0, top, 1, new - top + 1), animate=False, force=True, immediate=True)
        item = self.selected
        key = None if item is None else (self._item_key(item), id(item))
        if key != self._last_highlighted:
            self._last_highlighted = key
            if self.on_highlight is not None:
                self.on_highlight(item)  # a pane beside the list drawn in the same frame as the cursor
            self.post_message(self.Highlighted(item))

    def _refresh_row(self, row: int) -> None:
        """Repaint one row's text, not the scrollbar beside it."""
        self._refresh_rows(row)

    def _refresh_rows(self, *rows: int) -> None:
        """Repaint these rows' text, not the scrollbar beside them (in one refresh: each also drops the
        widget's caches)."""
        top, width = self.scroll_offset.y, self.scrollable_content_region.width
        self.refresh(*(Region(0, row - top, width, 1) for row in rows))

    def action_cursor_down(self) -> None:
        nxt = self.cursor + 1
        while nxt < len(self._rows) and isinstance(self._rows[nxt], Header):
            nxt += 1
        if nxt < len(self._rows):
            self.cursor = nxt

    def action_cursor_up(self) -> None:
        prev = self.cursor - 1
        while prev >= 0 and isinstance(self._rows[prev], Header):
            prev -= 1
        if prev >= 0:
            self.cursor = prev
        else:
            self.scroll_to(y=0, animate=False)

    def action_first(self) -> None:
        self.cursor = self._item_row(0, 1)
        self.scroll_to(y=0, animate=False)

    def action_last(self) -> None:
        self.cursor = self._item_row(len(self._rows) - 1, -1)

    def action_page_down(self) -> None:
        self.cursor = self._item_row(self.cursor + max(self.scrollable_content_region.height - 1, 1), 1)

    def action_page_up(self) -> None:
        self.cursor = self._item_row(self.cursor - max(self.scrollable_content_region.height - 1, 1), -1)

    def action_select(self) -> None:
        self._chosen = True
        item = self.selected
        if item is not None:
            self.post_message(self.Selected(item))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        index = offset.y + self.scroll_offset.y
        if 0 <= index < len(self._rows) and not isinstance(self._rows[index], Header):
            if index == self.cursor and event.chain >= 2:
                self.action_select()
            self.cursor = index

    # -- rendering -----------------------------------------------------------------------------
    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()
        self._fresh.clear()
        self._styles_now.clear()

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False) -> Self:
        """As Textual's, except that a whole repaint asked of a list whose styles are as they were at its
        last one (a screen saying its loading text changed, the end of a sync) repaints only the lines on
        screen that come out different from how they were painted: Textual writes every line of a
        repainted widget to the terminal, ~4 KB for a list's 42 lines at 94 columns."""
        if not regions:
            self._styles_now.clear()  # a whole repaint: the styles may be why (component classes, Textual's own)
        if regions or layout or recompose or not repaint or not self._painted or not self.is_mounted:
            return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)
        styles = self._style_rules()
        if styles != self._painted_styles:  # focus, theme, classes: the scrollbar and the padding too
            self._painted_styles = styles
            return super().refresh()
        self._cache.clear()
        self._fresh.clear()
        self._repaint_changed()
        return self

    def _style_rules(self) -> object:
        """The list's own and its roles' style rules, to tell whether they changed."""
        return (
            self.has_focus,
            self.styles.get_rules(),
            {name: styles.get_rules() for name, styles in self._component_styles.items()},
        )

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        """As Textual's, without the mark it leaves to repaint the whole list when its size changed: the
        layout that changed it repaints it then, and the mark stayed, to repaint the whole list once more
        at its next repaint: the first cursor step after the start (~4-16 KB over SSH)."""
        pending = set(self._repaint_regions)
        resized = super()._size_updated(size, virtual_size, container_size, layout)
        self._repaint_regions.clear()
        self._repaint_regions.update(pending)
        return resized

    @property
    def vertical_scrollbar(self) -> ScrollBar:
        """Textual's, keeping its lines too (`keep_lines`): a cursor step that does not scroll leaves it as it was."""
        bar = super().vertical_scrollbar
        if not isinstance(bar._styles_cache, KeptStylesCache):
            keep_lines(bar)
        return bar

    def on_resize(self, event: events.Resize) -> None:
        self._cache.clear()
        self._fresh.clear()
        self.virtual_size = Size(self.scrollable_content_region.width, len(self._rows))

    @property
    def _base(self) -> Style:
        """The list's own style (`rich_style`, kept until its styles change: `_styles_now`)."""
        style = self._styles_now.get(("", False))
        if style is None:
            style = self._styles_now[("", False)] = self.rich_style
        return style

    def _style(self, name: str) -> Style:
        style = self._styles_now.get((name, False))
        if style is None:
            style = self._styles_now[(name, False)] = self.get_component_rich_style(self.ROLE_PREFIX + name)
        return style

    def _fg(self, name: str) -> Style:
        """Only the colour and text style of a role, so the row's (cursor) background shows; a role
        that sets no colour (bold alone) keeps the row's."""
        fg = self._styles_now.get((name, True))
        if fg is None:
            style = self._style(name)
            own = self.get_component_rich_style(self.ROLE_PREFIX + name, partial=True)
            fg = Style(color=style.color if own.color is not None else None, bold=style.bold, italic=style.italic)
            self._styles_now[(name, True)] = fg
        return fg

    def _part_style(self, line: Style, role: str, selected: bool) -> Style:
        """The row's style with `role`'s colour; the cursor row keeps its own for dim text and labels
        (a label's colour may be the cursor's: blue on blue)."""
        if not role or (selected and role.startswith(self.PLAIN_ON_CURSOR)):
            return line
        return line + self._fg(role)

    def render_line(self, y: int) -> Strip:
        """Line `y` on screen, as Textual paints it (and so as the terminal has it, `_painted`)."""
        if self._painted_styles is None:
            self._painted_styles = self._style_rules()  # as the first paint draws them
        top, width = self.scroll_offset.y, self.scrollable_content_region.width
        fresh = self._fresh.pop(y, None)
        if fresh is not None and fresh[0] == (top, width, self.cursor):
            strip = fresh[1]
            self._keep_painted(top + y, width, strip)
        else:
            strip = self._line(y)
        self._painted[y] = ((top, width), strip)
        return strip

    def _keep_painted(self, index: int, width: int, strip: Strip) -> None:
        """Keep row `index` as it is painted: a cursor step that leaves it later does not draw it again
        (and, the same line as the one on screen, Textual's styling of it is kept too: `KeptStylesCache`)."""
        if index < len(self._rows):
            self._cache[(index, id(self._rows[index]), index == self.cursor, width)] = strip

    def _line(self, y: int, keep: bool = True) -> Strip:
        """Line `y` on screen as it would be drawn now (`keep`: cached for the next paint; not when only
        compared, as what the cells read may still change before the paint)."""
        width = self.scrollable_content_region.width
        index = self.scroll_offset.y + y
        if not self._rows:
            if y == 1:
                return Strip([Segment(fit("  " + self.empty_text, width), self._style("empty"))], width)
            return Strip.blank(width, self._base)
        if index >= len(self._rows):
            return Strip.blank(width, self._base)
        row = self._rows[index]
        selected = index == self.cursor
        key = (index, id(row), selected, width)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._render_row(row, width, selected)
            if keep:
                self._cache[key] = cached
        return cached

    def header_label(self, header: Header) -> str:
        """The text of a section's header line."""
        return f" {header.title}" if header.role == TITLES else f" {header.title} · {header.count:,}"

    def column_widths(self, width: int) -> list[tuple[Column[T], int]]:
        """The columns shown at `width` with their widths (a list whose widths follow its rows' text
        measures them here)."""
        return layout(self.columns, width)

    def _render_row(self, row: T | Header, width: int, selected: bool) -> Strip:
        base = self._base
        if isinstance(row, Header):
            return Strip([Segment(fit(self.header_label(row), width), base + self._style("header"))], width)
        line = base + self._style("cursor") if selected else base
        if self._bold is not None and self._bold(row):
            line += Style(bold=True)
        segments: list[Segment] = []
        for column, cells in self.column_widths(width):
            value = column.cell(row)
            cursor_role = column.on_cursor if selected else None
            if isinstance(value, list):
                for text, role in fit_parts(value, cells, right=column.right):
                    role = role if cursor_role is None else cursor_role
                    segments.append(Segment(text, self._part_style(line, role, selected)))
                segments.append(Segment(" ", line))
                continue
            text, role = value
            shown = fit(text.rjust(cells) if column.right else text, cells)
            role = role if cursor_role is None else cursor_role
            segments.append(Segment(shown + " ", self._part_style(line, role, selected)))
        strip = Strip(segments)
        return strip.adjust_cell_length(width, line)

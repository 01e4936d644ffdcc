"""The pipeline board: columns of deal cards side by side, drawn line by line.

One widget for the whole board, so a column of hundreds of deals costs no more than the cards on
screen. Columns share the width (at least MIN_WIDTH cells each); when they do not all fit, the
board shows a window of them that follows the selected column (◀ ▶ in the titles say more are
off screen). Each column scrolls by itself to keep its selected card in view.
"""

from __future__ import annotations

import datetime as dt

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from crmtui.domain.models import Account, Deal
from crmtui.service.pipeline_board import Board
from crmtui.ui.cells import fit
from crmtui.ui.widgets.deal_card import Line, card_lines, card_role, header_lines, more_text, sums_level

MIN_WIDTH = 26
"""Narrower cards lose the owner and cut names: wide terminals scroll sideways rather than cramp."""
GAP = 1
HEADER = 2
CARD = 3
PITCH = CARD + 1  # a blank line between cards


class PipelineBoard(Widget, can_focus=True):
    """Shows a `Board`; the screen moves the selection and acts on `selected_deal`.

    Styled in styles/pipeline.tcss through the component classes below.
    """

    COMPONENT_CLASSES = {
        "pipeline-board--title",
        "pipeline-board--title-selected",
        "pipeline-board--stats",
        "pipeline-board--card",
        "pipeline-board--cursor",
        "pipeline-board--name",
        "pipeline-board--dim",
        "pipeline-board--amount",
        "pipeline-board--overdue",
        "pipeline-board--edge-open",
        "pipeline-board--edge-overdue",
        "pipeline-board--edge-won",
        "pipeline-board--edge-lost",
        "pipeline-board--empty",
    }

    empty_text: reactive[str] = reactive("Loading deals…")
    """Shown before the first board arrives."""

    class Selected(Message):
        """A card was double-clicked (Enter is the screen's binding)."""

        def __init__(self, deal: Deal) -> None:
            super().__init__()
            self.deal = deal

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.board: Board | None = None
        self.column = 0
        self.left = 0
        """The first column on screen."""
        self.closed_days: int | None = None
        self._rows: list[int] = []
        self._offsets: list[int] = []
        self._selected_id: str | None = None
        self._account: Account | None = None
        self._today = dt.date.today()
        self._cache: LRUCache[tuple[int, str, int, dt.date], list[Line]] = LRUCache(512)

    # -- data ----------------------------------------------------------------------------------
    def set_board(self, board: Board, account: Account | None, today: dt.date, *, closed_days: int | None) -> None:
        """Show `board`, keeping the selected deal selected wherever it went (else the same place)."""
        same = self.board is not None and self.board.pipeline.id == board.pipeline.id
        self.board, self._account, self._today, self.closed_days = board, account, today, closed_days
        count = len(board.columns)
        if not same or len(self._rows) != count:
            self._rows, self._offsets, self.left = [0] * count, [0] * count, 0
            self.column = 0 if not same else min(self.column, count - 1)
        found = board.column_index(self._selected_id) if self._selected_id and same else None
        if found is not None:
            self.column, self._rows[found[0]] = found
        self._cache.clear()
        self._settle()

    def clear(self) -> None:
        """Show `empty_text` until the next board."""
        self.board = None
        self._cache.clear()
        self.refresh()

    def watch_empty_text(self) -> None:
        self.refresh()

    @property
    def selected_deal(self) -> Deal | None:
        if self.board is None or not self.board.columns:
            return None
        deals = self.board.columns[self.column].deals
        row = self._rows[self.column]
        return deals[row] if 0 <= row < len(deals) else None

    def select(self, deal_id: str) -> bool:
        found = self.board.column_index(deal_id) if self.board is not None else None
        if found is None:
            return False
        self.column, self._rows[found[0]] = found
        self._settle()
        return True

    # -- moving --------------------------------------------------------------------------------
    def move_column(self, step: int) -> None:
        if self.board is not None and self.board.columns:
            self.column = max(0, min(self.column + step, len(self.board.columns) - 1))
            self._settle()

    def move_row(self, step: int) -> None:
        if self.board is not None and self.board.columns:
            last = len(self.board.columns[self.column].deals) - 1
            self._rows[self.column] = max(0, min(self._rows[self.column] + step, last))
            self._settle()

    def page(self, direction: int) -> None:
        self.move_row(direction * max(self._card_room(self.column) // PITCH, 1))

    def _card_room(self, c: int) -> int:
        """Lines for cards in column `c`; a column that does not fit keeps its last line for "↓ 3 more"."""
        room = max(self.size.height - HEADER, 1)
        deals = len(self.board.columns[c].deals) if self.board is not None else 0
        return max(room - 1, 1) if deals * PITCH - 1 > room else room

    def _settle(self) -> None:
        """Clamp the selection, scroll it into view (both ways) and redraw."""
        board = self.board
        if board is not None and board.columns:
            self.column = max(0, min(self.column, len(board.columns) - 1))
            for c, column in enumerate(board.columns):
                self._rows[c] = max(0, min(self._rows[c], len(column.deals) - 1))
            deal = self.selected_deal
            self._selected_id = deal.id if deal is not None else None
        # Without a size (hidden, or covered while the screen lays out) one column would seem to fit
        # and the window would jump to the selected column: scroll once there is one (on_resize).
        if board is not None and board.columns and self.size.width > 0 and self.size.height > 0:
            fit_count = self._fit_count()
            if self.column < self.left:
                self.left = self.column
            elif self.column >= self.left + fit_count:
                self.left = self.column - fit_count + 1
            self.left = max(0, min(self.left, len(board.columns) - fit_count))
            c, room = self.column, self._card_room(self.column)
            top, bottom = self._rows[c] * PITCH, self._rows[c] * PITCH + CARD
            if top < self._offsets[c]:
                self._offsets[c] = top
            elif bottom > self._offsets[c] + room:
                self._offsets[c] = bottom - room
        self.refresh()

    # -- layout --------------------------------------------------------------------------------
    def _fit_count(self) -> int:
        count = len(self.board.columns) if self.board is not None else 0
        return max(1, min(count, (self.size.width + GAP) // (MIN_WIDTH + GAP)))

    def visible_columns(self) -> list[tuple[int, int, int]]:
        """(column index, x, width) of each column on screen."""
        if self.board is None or not self.board.columns:
            return []
        count = len(self.board.columns)
        shown = self._fit_count()
        # `left` was settled for the width of the time; the widget may have been resized since (the
        # Resize event comes after a first draw at the new size): never draw past the last column.
        left = max(0, min(self.left, count - shown))
        room = self.size.width - GAP * (shown - 1)
        base, extra = divmod(max(room, shown), shown)
        out, x = [], 0
        for i in range(shown):
            width = base + (1 if i < extra else 0)
            out.append((left + i, x, width))
            x += width + GAP
        return out

    def on_resize(self, event: events.Resize) -> None:
        self._cache.clear()
        self._settle()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()

    # -- mouse ---------------------------------------------------------------------------------
    def _hit(self, x: int, y: int) -> tuple[int, int | None] | None:
        board = self.board
        if board is None:
            return None
        for c, left, width in self.visible_columns():
            if left <= x < left + width:
                if y < HEADER:
                    return c, None
                line = self._offsets[c] + y - HEADER
                row, part = divmod(line, PITCH)
                on_card = part < CARD and row < len(board.columns[c].deals)
                return c, row if on_card else None
        return None

    def on_click(self, event: events.Click) -> None:
        hit = self._hit(event.x, event.y)
        if hit is None:
            return
        column, row = hit
        again = column == self.column and row is not None and row == self._rows[column]
        self.column = column
        if row is not None:
            self._rows[column] = row
        self._settle()
        deal = self.selected_deal
        if again and event.chain >= 2 and deal is not None:
            self.post_message(self.Selected(deal))

    def _scroll(self, event: events.MouseEvent, lines: int) -> None:
        hit = self._hit(event.x, event.y)
        if hit is None or self.board is None:
            return
        c = hit[0]
        total = len(self.board.columns[c].deals) * PITCH - 1
        self._offsets[c] = max(0, min(self._offsets[c] + lines, total - self._card_room(c)))
        self.refresh()
        event.stop()

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self._scroll(event, 2)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self._scroll(event, -2)

    # -- drawing -------------------------------------------------------------------------------
    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"pipeline-board--{name}")

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        columns = self.visible_columns()
        if not columns:
            text = fit("  " + self.empty_text, width) if y == HEADER else " " * width
            return Strip([Segment(text, base + self._style("empty") if y == HEADER else base)], width)
        segments: list[Segment] = []
        level = self._sums_level(columns) if y == 1 else 0
        for i, (c, _, w) in enumerate(columns):
            if i:
                segments.append(Segment(" " * GAP, base))
            first, last = i == 0 and c > 0, i == len(columns) - 1
            segments.extend(self._cell(c, y, w, more_left=first, more_right=last, level=level))
        return Strip(segments).adjust_cell_length(width, base)

    def _sums_level(self, columns: list[tuple[int, int, int]]) -> int:
        """One form of the sums for every column on screen, the longest that fits them all."""
        assert self.board is not None
        return max(sums_level(self.board.columns[c], w, self._account) for c, _, w in columns)

    def _cell(
        self, c: int, y: int, width: int, *, more_left: bool, more_right: bool, level: int = 0
    ) -> list[Segment]:
        board = self.board
        assert board is not None
        column = board.columns[c]
        base = self.rich_style
        if y < HEADER:
            right = more_right and c < len(board.columns) - 1
            header = header_lines(
                column, width, self._account, closed_days=self.closed_days, more_left=more_left, more_right=right,
                level=level,
            )
            role = "title-selected" if c == self.column else "title"
            style = base + self._style(role) if y == 0 else base + self._style("stats")
            return [Segment(text, style) for text, _ in header[y]]
        line = self._offsets[c] + y - HEADER
        row, part = divmod(line, PITCH)
        if not column.deals:
            text = fit("  no deals", width) if line == 0 else " " * width
            return [Segment(text, base + self._style("empty"))]
        room = self._card_room(c)
        if y - HEADER == room:  # the line under the cards of a column that does not fit
            more = more_text(self._offsets[c], len(column.deals), room, pitch=PITCH, card=CARD)
            return [Segment(fit(more, width), base + self._style("empty"))]
        if row >= len(column.deals) or part >= CARD:
            return [Segment(" " * width, base)]
        deal = column.deals[row]
        selected = c == self.column and row == self._rows[c]
        key = (id(deal), deal.id, width, self._today)
        lines = self._cache.get(key)
        if lines is None:
            lines = card_lines(deal, width, self._account, self._today)
            self._cache[key] = lines
        back = base + self._style("cursor" if selected else "card")
        edge = back + self._fg("edge-" + card_role(deal, self._today))
        out = [Segment("▌", edge)]
        for text, role in lines[part]:
            out.append(Segment(text, back if selected and role == "dim" else back + self._fg(role)))
        return out

    def _fg(self, name: str) -> Style:
        """Only the colour and weight of a component class, so the card's (or cursor's) background shows."""
        style = self._style(name)
        return Style(color=style.color, bold=style.bold, italic=style.italic)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return container.height

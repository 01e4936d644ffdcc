"""The contact preview: details, next and queued actions, pending deals of one stream entry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable

from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.cache import LRUCache
from textual.style import Style as VisualStyle
from textual.widget import Widget
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from os.path import commonprefix
from textual.visual import Visual, visualize

from crmtui.domain.formatting import contact_name, format_date, format_due, format_money
from crmtui.domain.models import Account, Action, Deal, DealStatus, StreamEntry
from crmtui.ui.rows import ROLE_BY_URGENCY
from crmtui.ui.widgets.kept_lines import keep_lines
from crmtui.domain.stream import urgency

_ROLE_COLOURS = {
    "urgent": "red",
    "today": "dark_orange",
    "future": "grey50",
    "waiting": "cyan",
    "queued": "blue",
    "closed": "grey50",
    "none": "red",
}


def _heading(text: str) -> Text:
    return Text(text, style="bold underline")


def _action_line(action: Action, account: Account, today: dt.date, now: dt.datetime | None) -> Text:
    role = ROLE_BY_URGENCY[urgency(action, today, now)]
    line = Text("  ")
    line.append(format_due(action, account, today, now) or "-", style=_ROLE_COLOURS.get(role, ""))
    line.append("  ")
    line.append(action.text)
    if action.assignee_id and action.assignee_id != account.user.id:
        line.append(f"  ({account.user_name(action.assignee_id)})", style="italic")
    return line


def render_preview(
    entry: StreamEntry | None,
    account: Account | None,
    today: dt.date,
    now: dt.datetime | None,
    deals: list[Deal] | None = None,
) -> RenderableType:
    """The preview as a Rich renderable (plain Text pieces, so names never parse as markup).

    `deals` are the contact's pending deals when fetched; None while they are not (yet) known.
    """
    if entry is None or account is None:
        return Text("No contact selected", style="italic")
    c = entry.contact
    parts: list[RenderableType] = []
    title = Text(("★ " if c.starred else "") + contact_name(c), style="bold")
    parts.append(title)
    sub = " · ".join(p for p in (c.job_title, c.company_name) if p)
    if sub:
        parts.append(Text(sub, style="italic"))
    # One Text a line (not one for all, split by newlines: drawn the same), so that the lines two
    # contacts share ("Status: General", "Tags: smb") are drawn once for both (`PreviewLines`).
    details: list[str] = []
    for phone in c.phones:
        details.append(f"☎ {phone.value}" + (f" ({phone.type})" if phone.type else ""))
    details.extend(f"✉ {email.value}" for email in c.emails)
    if c.status:
        details.append(f"Status: {c.status}")
    if c.lead_source:
        details.append(f"Lead source: {c.lead_source}")
    if c.owner_id:
        details.append(f"Owner: {account.user_name(c.owner_id)}")
    if c.tags:
        details.append("Tags: " + ", ".join(c.shown_tags))
    details.extend(f"⌂ {address.one_line()}" for address in c.addresses if address.one_line())
    text = Text("\n".join(details))
    text.rstrip()
    if text.plain:
        parts.extend(text.split("\n"))

    parts.append(Text(""))
    parts.append(_heading("Next action"))
    if entry.next_action is not None and not entry.next_action.done:
        parts.append(_action_line(entry.next_action, account, today, now))
    else:
        parts.append(Text("  none — press n to add one", style="bold red"))
    if entry.conflicts:
        parts.append(Text("  ⚠ conflict: a queued action is due earlier (press s to swap)", style="bold yellow"))

    queued = [a for a in entry.queued_actions if not a.done]
    if queued:
        parts.append(Text(""))
        parts.append(_heading(f"Queued ({len(queued)})"))
        parts.extend(_action_line(a, account, today, now) for a in queued)

    known = deals if deals is not None else (entry.deals or None)
    pending = [d for d in known or [] if d.status is DealStatus.PENDING]
    parts.append(Text(""))
    parts.append(_heading("Pending deals"))
    if known is None and c.pending_deal:
        parts.append(Text("  " + format_money(c.total_pending, account.currency_symbol) + "  loading…", style="italic"))
    elif pending:
        for deal in pending:
            line = Text("  ")
            line.append(format_money(deal.total_amount or deal.amount, account.currency_symbol), style="bold")
            line.append(f"  {deal.name or deal.text}")
            if deal.stage is not None:
                line.append(f"  {deal.stage}%", style="italic")
            if deal.expected_close_date is not None:
                line.append(f"  close {format_date(deal.expected_close_date, account.date_format)}", style="italic")
            parts.append(line)
    elif c.total_pending:
        parts.append(Text("  " + format_money(c.total_pending, account.currency_symbol)))
    else:
        parts.append(Text("  none", style="italic"))
    if c.sales_closed:
        parts.append(Text(""))
        parts.append(Text("Sales cycle closed" + (f": {c.sales_closed_comment}" if c.sales_closed_comment else "")))
    if c.background:
        parts.append(Text(""))
        parts.append(_heading("Background"))
        parts.append(Text(c.background))
    return Group(*parts)


def _cells(strip: Strip) -> list[tuple[str, Style | None]]:
    cells: list[tuple[str, Style | None]] = []
    for text, style, _control in strip:
        for char in text:
            cells.append((char, style))
            if cell_len(char) == 2:
                cells.append(("", style))  # the right half of a wide character
    return cells


def _runs(strip: Strip) -> list[tuple[int, int, Style | None]]:
    """[start, end) and style of each segment of a line of one-cell characters."""
    runs, x = [], 0
    for text, style, _control in strip:
        if text:
            runs.append((x, x + len(text), style))
            x += len(text)
    return runs


def _same_style_from_start(old: list[tuple[int, int, Style | None]], new: list[tuple[int, int, Style | None]], limit: int) -> int:
    """How many leading cells (at most `limit`) have the same style in both lines' runs."""
    i = j = x = 0
    while x < limit and i < len(old) and j < len(new):
        if old[i][2] != new[j][2]:
            return x
        x = min(old[i][1], new[j][1])
        i += old[i][1] == x
        j += new[j][1] == x
    return min(x, limit)


def _same_style_from_end(
    old: list[tuple[int, int, Style | None]], new: list[tuple[int, int, Style | None]], limit: int
) -> int:
    """How many trailing cells (at most `limit`) have the same style in both lines' runs."""
    old_len, new_len = (old[-1][1] if old else 0), (new[-1][1] if new else 0)
    i, j, back = len(old) - 1, len(new) - 1, 0
    while back < limit and i >= 0 and j >= 0:
        if old[i][2] != new[j][2]:
            return back
        back = min(old_len - old[i][0], new_len - new[j][0])
        i -= old_len - old[i][0] == back
        j -= new_len - new[j][0] == back
    return min(back, limit)


def changed_cells(before: Strip, after: Strip) -> tuple[int, int]:
    """The columns [start, end) where two lines differ (what must be written to turn one into the other)."""
    old_text, new_text = before.text, after.text
    if len(old_text) == before.cell_length and len(new_text) == after.cell_length:
        # One cell per character (the usual preview line): the first and last difference in text or
        # style, found by string and segment comparisons rather than cell by cell (each cursor step
        # compares every line of the pane).
        old_runs, new_runs = _runs(before), _runs(after)
        shorter = min(len(old_text), len(new_text))
        head = len(commonprefix((old_text, new_text)))  # noqa: RUF071 - characters, not paths
        start = _same_style_from_start(old_runs, new_runs, head)
        if start == len(old_text) == len(new_text):
            return start, start + 1  # the same cells, cut into other segments
        tail = len(commonprefix((old_text[::-1], new_text[::-1])))  # noqa: RUF071
        tail = _same_style_from_end(old_runs, new_runs, min(tail, shorter - start))
        return start, max(max(len(old_text), len(new_text)) - tail, start + 1)
    return changed_by_cell(before, after)


def changed_by_cell(before: Strip, after: Strip) -> tuple[int, int]:
    """`changed_cells` cell by cell: any line (wide characters too), and the measure of the fast way."""
    old, new = _cells(before), _cells(after)
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    end_old, end_new = len(old), len(new)
    while end_old > start and end_new > start and old[end_old - 1] == new[end_new - 1]:
        end_old -= 1
        end_new -= 1
    end = max(end_old, end_new)
    if start > 0 and any(start < len(cells) and cells[start][0] == "" for cells in (old, new)):
        start -= 1  # never from the right half of a wide character
    return start, max(end, start + 1)


def _part_key(part: RenderableType) -> Hashable | None:
    """What a part of the preview is drawn from, to find it drawn already (None: not known)."""
    if isinstance(part, str):
        return part
    if type(part) is Text:
        return (
            part.plain, tuple(part.spans), part.style, part.justify, part.overflow, part.no_wrap, part.end, part.tab_size,
        )
    return None


class PreviewLines(ScrollView, can_focus=False):
    """The preview's lines, scrolled when they are more than the pane holds.

    Textual writes every line of a refreshed region to the terminal, from the left edge of the
    widget to the end of what changed; over SSH, redrawing the whole pane for each cursor step cost
    more than the rest of the screen. `show` renders the new preview to lines and refreshes only the
    cells that differ from those on screen (a heading, a blank line or a date the next contact shares
    is not sent again), and the widget's size never changes, so no layout is redone either. It is its
    own widget inside the pane so that a changed line starts at the text, not at the pane's border.
    """

    DEFAULT_CSS = """
    PreviewLines { height: 1fr; overflow-x: hidden; overflow-y: auto; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        keep_lines(self)  # a step redraws the lines that changed, each drawn before not styled again
        self.content: RenderableType = Text("")
        """What the pane shows (the tests read its text)."""
        self._lines: list[Strip] = []
        self._lines_width = -1
        """The width `_lines` were rendered at (-1: not rendered yet)."""
        self._drawn: LRUCache[tuple[Hashable, int, VisualStyle], list[Strip]] = LRUCache(256)
        """The lines of each part drawn lately, by its text and styles, width and the pane's style."""

    def show(self, content: RenderableType, scroll_home: bool) -> None:
        self.content = content
        old, old_width = self._lines, self._lines_width
        self._render_lines()
        if scroll_home:
            self.scroll_home(animate=False)
        if self._lines_width != old_width:
            self.refresh()
            return
        top = round(self.scroll_y)
        blank = self._blank(self._lines_width)
        changed: list[Region] = []
        for y in range(top, top + self.scrollable_content_region.height):
            before = old[y] if y < len(old) else blank
            after = self._lines[y] if y < len(self._lines) else blank
            if before != after:
                start, end = changed_cells(before, after)
                changed.append(Region(start, y - top, end - start, 1))
        if changed:
            self.refresh(*changed)  # at once: each refresh also drops the widget's caches

    def _render_lines(self) -> None:
        width = self.scrollable_content_region.width
        if width <= 0 or not self.is_mounted:
            self._lines, self._lines_width = [], -1
            return
        # Each part of a Group (a Text a line or paragraph) is drawn on its own, as the Group draws it,
        # and kept: the headings, blank lines and details two contacts share are not drawn again.
        content = self.content
        parts = content.renderables if isinstance(content, Group) else [content]
        style = self.visual_style
        lines: list[Strip] = []
        for part in parts:
            key = _part_key(part)
            drawn = None if key is None else self._drawn.get((key, width, style))
            if drawn is None:
                grouped = isinstance(content, Group)
                drawn = (self._draw_line(part, width) if grouped else None) or self._draw(
                    Group(part) if grouped else part, width  # as in the Group
                )
                if key is not None:
                    self._drawn[(key, width, style)] = drawn
            lines.extend(drawn)
        self._lines = lines
        self._lines_width = width
        # At least the pane's height: a shorter preview than the last one changes no size (a changed
        # virtual size is a layout, and a layout repaints the whole pane).
        self.virtual_size = Size(width, max(len(self._lines), self.scrollable_content_region.height))

    def _draw(self, content: RenderableType, width: int) -> list[Strip]:
        visual = visualize(self, content, markup=False)
        # Each line the pane's whole width: a line shorter than the one it replaces must overwrite the
        # rest of it (a changed line is written only where it differs from the one on screen).
        fill = Style(bgcolor=self.visual_style.rich_style.bgcolor)  # as Textual pads a short line
        return [line.extend_cell_length(width, fill) for line in Visual.to_strips(self, visual, width, None, self.visual_style)]

    def _draw_line(self, part: RenderableType, width: int) -> list[Strip] | None:
        """`_draw` of a one-line Text that fits the width (most of the preview's lines), without Rich's
        console and wrapping (two thirds of a cursor step's drawing); None for any other part.

        Wrapping such a line leaves it as it is, and Rich renders the wrapped lines joined by newlines,
        the line's own style becoming a span (`Text.__rich_console__`): that is rendered here, and the
        pane's style put under it as Textual does (`_Styled`). A test holds it to `_draw`.
        """
        if type(part) is not Text or self.text_selection is not None:
            return None
        plain = part.plain
        if not plain or "\n" in plain or "\t" in plain or part.justify not in (None, "default") or cell_len(plain) > width:
            return None
        if any(isinstance(style, Style) and style.meta for style in (part.style, *(span.style for span in part.spans))):
            return None  # links: Textual styles them
        base = self.visual_style.rich_style
        joined = Text("\n").join([part]) if part.style else part  # no style: the same Text
        segments = [
            Segment(text, base + style if base else style) for text, style, _control in joined.render(self.app.console) if text
        ]
        fill = Style(bgcolor=base.bgcolor)
        return [Strip(segments).extend_cell_length(width, fill)]

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._lines_width = -1  # a theme change: the lines' colours
        self._drawn.clear()

    def on_resize(self, _event: events.Resize) -> None:
        self._render_lines()  # now, so that the scrollbar follows the new height
        self._refresh_scrollbars()
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if width != self._lines_width:  # resized, restyled, or a scrollbar came or went
            self._render_lines()
        index = round(self.scroll_y) + y
        if index < len(self._lines):
            return self._lines[index]
        return self._blank(width)

    def _blank(self, width: int) -> Strip:
        """A line below the text: as a Static's own empty lines are drawn (a clipped pane, in place of
        one), else as a scrolling container's empty room is: the background alone."""
        style = self.visual_style.rich_style
        return Strip.blank(width, style if self.has_class("-clip") else Style(bgcolor=style.bgcolor))


class LinePane(Widget, can_focus=False):
    """A pane of text whose changes repaint only the cells that changed (`PreviewLines` inside it).

    Its border and padding belong to the pane, outside the lines, so a changed line is written from
    the start of its text; `overflow-y: hidden` on the pane's lines (`-clip`) cuts off what does not
    fit instead of scrolling it, as a Static of fixed height does.
    """

    DEFAULT_CSS = """
    LinePane > PreviewLines.-clip { overflow-y: hidden; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None, clip: bool = False, lines_id: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        keep_lines(self)  # its border and padding: the same lines every frame
        self._clip = clip
        self._lines_id = lines_id

    def compose(self) -> ComposeResult:
        yield PreviewLines(id=self._lines_id, classes="-clip" if self._clip else None)

    @property
    def content(self) -> RenderableType:
        """What the pane shows."""
        return self.query_one(PreviewLines).content

    def update(self, content: RenderableType, scroll_home: bool = False) -> None:
        self.query_one(PreviewLines).show(content, scroll_home)


class ContactPreview(LinePane):
    """A scrollable panel showing one stream entry."""

    DEFAULT_CSS = """
    ContactPreview { padding: 0 0 0 1; }
    ContactPreview > PreviewLines { padding: 0 1 0 0; }
    """

    contact_id: str | None = None
    """The contact shown."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, lines_id="preview-body")

    def show(
        self,
        entry: StreamEntry | None,
        account: Account | None,
        today: dt.date,
        now: dt.datetime | None,
        deals: list[Deal] | None = None,
    ) -> None:
        contact_id = entry.contact.id if entry is not None else None
        # Same contact (deals arrived, a refresh): keep the scroll.
        self.update(render_preview(entry, account, today, now, deals), scroll_home=contact_id != self.contact_id)
        self.contact_id = contact_id

"""Notifications as a virtual list: one line each, only the rows on screen are drawn."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rich.segment import Segment
from rich.text import Text
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from crmtui.domain.formatting import account_now, format_date, format_time, short_date_format
from crmtui.domain.models import Account, Notification
from crmtui.service.notifications import detail, full_text, type_label
from crmtui.ui.cells import fit

UNREAD_MARK = "●"


@dataclass(frozen=True)
class NotificationColumns:
    type: int
    by: int
    when: int
    contact: int
    text: int


def columns_for(width: int) -> NotificationColumns:
    """Column widths for a list `width` cells wide (2 for the unread mark, 1 between columns)."""
    wide = width >= 120
    kind, by, when = (17, 18, 17) if wide else (16, 13, 9)
    contact = 26 if wide else 16
    text = max(width - 2 - kind - by - when - contact - 4, 0)
    if text < 10:  # very narrow: the contact column gives way first
        contact = max(contact - (10 - text), 0)
        text = max(width - 2 - kind - by - when - contact - 4, 0)
    return NotificationColumns(kind, by, when, contact, text)


def when_text(value: dt.datetime | None, account: Account | None, now: dt.datetime, *, compact: bool) -> str:
    """"12m ago", "3h ago", "Yesterday", "02/03" (compact); "Today 08:48", "02/03/2026 14:10" (wide)."""
    if value is None:
        return ""
    aware = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    local, current = account_now(account, aware), account_now(account, now)
    date_format = account.date_format if account else None
    days = (current.date() - local.date()).days
    if compact:
        seconds = max((current - local).total_seconds(), 0)
        if seconds < 60:
            return "just now"
        if seconds < 3600:
            return f"{int(seconds // 60)}m ago"
        if days == 0:
            return f"{int(seconds // 3600)}h ago"
        if days == 1:
            return "Yesterday"
        fmt = short_date_format(date_format) if local.year == current.year else date_format
        return format_date(local.date(), fmt)
    time = format_time(aware, account.time_zone if account else "UTC", ampm=bool(account and account.time_with_ampm))
    if days == 0:
        return f"Today {time}"
    if days == 1:
        return f"Yesterday {time}"
    return f"{format_date(local.date(), date_format)} {time}"


def describe(n: Notification | None, contact: str, account: Account | None, now: dt.datetime) -> Text:
    """The highlighted notification in full, under the list: what, who, when; about whom, and its text."""
    if n is None:
        return Text("")
    line = Text()
    line.append(type_label(n.type), style="bold")
    if n.by:
        line.append(f" by {n.by}")
    when = when_text(n.created_at, account, now, compact=False)
    if when:
        line.append(f" · {when}")
    line.append("\n")
    line.append(contact or ("No contact" if not n.contact_id else "…"), style="bold")
    line.append(": " + (full_text(n) or "(no text)"))
    return line


def heading(width: int) -> str:
    cols = columns_for(width)
    parts = [("Type", cols.type), ("By", cols.by), ("When", cols.when), ("Contact", cols.contact), ("", cols.text)]
    return "  " + " ".join(fit(text, size) for text, size in parts if size)


class NotificationList(ScrollView, can_focus=True):
    """Newest first; unread rows bold with a dot."""

    BINDINGS = [
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("home,g", "first", "First", show=False),
        Binding("end,G", "last", "Last", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
    ]

    COMPONENT_CLASSES = {
        "notification-list--cursor",
        "notification-list--unread",
        "notification-list--mark",
        "notification-list--dim",
        "notification-list--empty",
    }

    DEFAULT_CSS = """
    NotificationList { overflow-x: hidden; }
    NotificationList > .notification-list--cursor { background: $block-cursor-background; color: $block-cursor-foreground; }
    NotificationList:blur > .notification-list--cursor { background: $block-cursor-blurred-background; }
    NotificationList > .notification-list--unread { text-style: bold; }
    NotificationList > .notification-list--mark { color: $accent; text-style: bold; }
    NotificationList > .notification-list--dim { color: $text-muted; }
    NotificationList > .notification-list--empty { color: $text-muted; text-style: italic; }
    """

    cursor: reactive[int] = reactive(0, always_update=True, init=False)
    """Index of the highlighted notification."""

    empty_text: reactive[str] = reactive("Loading notifications…")

    class Highlighted(Message):
        def __init__(self, notification: Notification | None) -> None:
            super().__init__()
            self.notification = notification

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.items: list[Notification] = []
        self._names: dict[str, str] = {}
        self._account: Account | None = None
        self._now = dt.datetime.now(dt.timezone.utc)

    # -- data ----------------------------------------------------------------------------------
    def set_items(self, items: list[Notification], names: dict[str, str], account: Account | None, now: dt.datetime) -> None:
        """Show `items`; the cursor stays on the same notification when it is still there."""
        selected = self.selected
        self.items = list(items)
        self._names, self._account, self._now = names, account, now
        self.virtual_size = Size(self.scrollable_content_region.width, len(self.items))
        index = next((i for i, n in enumerate(self.items) if selected is not None and n.id == selected.id), None)
        self.cursor = index if index is not None else min(self.cursor, max(len(self.items) - 1, 0))
        self.refresh()

    @property
    def selected(self) -> Notification | None:
        return self.items[self.cursor] if 0 <= self.cursor < len(self.items) else None

    def visible_range(self, margin: int = 0) -> range:
        top = max(int(self.scroll_offset.y) - margin, 0)
        return range(top, min(top + self.scrollable_content_region.height + 2 * margin, len(self.items)))

    # -- cursor --------------------------------------------------------------------------------
    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh()
        if self.items:
            self.scroll_to_region(Region(0, new, 1, 1), animate=False, force=True, immediate=True)
        self.post_message(self.Highlighted(self.selected))

    def _move(self, index: int) -> None:
        if self.items:
            self.cursor = max(0, min(index, len(self.items) - 1))

    def action_cursor_down(self) -> None:
        self._move(self.cursor + 1)

    def action_cursor_up(self) -> None:
        self._move(self.cursor - 1)

    def action_first(self) -> None:
        self._move(0)

    def action_last(self) -> None:
        self._move(len(self.items) - 1)

    def action_page_down(self) -> None:
        self._move(self.cursor + max(self.scrollable_content_region.height - 1, 1))

    def action_page_up(self) -> None:
        self._move(self.cursor - max(self.scrollable_content_region.height - 1, 1))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is not None:
            self._move(offset.y + int(self.scroll_offset.y))

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, len(self.items))

    # -- drawing -------------------------------------------------------------------------------
    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"notification-list--{name}")

    def _fg(self, name: str) -> Style:
        style = self._style(name)
        return Style(color=style.color, bold=style.bold, italic=style.italic)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = int(self.scroll_offset.y) + y
        if not self.items:
            if y == 1:
                return Strip([Segment(fit("  " + self.empty_text, width), self._style("empty"))], width)
            return Strip.blank(width, self.rich_style)
        if index >= len(self.items):
            return Strip.blank(width, self.rich_style)
        return self._render_row(self.items[index], width, index == self.cursor)

    def _render_row(self, n: Notification, width: int, selected: bool) -> Strip:
        cols = columns_for(width)
        line = self.rich_style + self._style("cursor") if selected else self.rich_style
        text = line + self._fg("unread") if not n.read else line
        dim = text if selected else text + self._fg("dim")
        when = when_text(n.created_at, self._account, self._now, compact=cols.when < 12)
        contact = self._names.get(n.contact_id, "") if n.contact_id else "—"
        segments = [
            Segment(f"{UNREAD_MARK} " if not n.read else "  ", line + self._fg("mark")),
            Segment(fit(type_label(n.type), cols.type) + " ", text),
            Segment(fit(n.by, cols.by) + " ", dim),
            Segment(fit(when, cols.when) + " ", dim),
        ]
        if cols.contact:
            segments.append(Segment(fit(contact, cols.contact) + " ", text))
        if cols.text:
            segments.append(Segment(fit(detail(n, contact), cols.text), dim))
        return Strip(segments).adjust_cell_length(width, line)

"""The action stream as a virtual list: only the rows on screen are ever rendered.

A ScrollView with `render_line` (Textual's Line API). The list keeps a flat sequence of rows
(section headers and entries) and draws each visible line on demand, with an LRU cache of strips,
so 20,000 contacts cost a list build, not 20,000 widgets.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from crmtui.domain.models import Account, StreamEntry
from crmtui.ui.cells import fit
from crmtui.domain.stream import Section, sort_entries, sort_key
from crmtui.ui.rows import (
    CONFLICT_MARK,
    DUE_WIDE,
    Columns,
    SECTION_LABELS,
    STAR_OFF,
    STAR_ON,
    Natural,
    columns_for,
    haystack,
    natural_widths,
    row_text,
    wider,
)


@dataclass(frozen=True)
class _Header:
    section: Section
    count: int


class StreamList(ScrollView, can_focus=True):
    """Contacts of the action stream, grouped by section, one line each."""

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
        "stream-list--header",
        "stream-list--cursor",
        "stream-list--urgent",
        "stream-list--today",
        "stream-list--future",
        "stream-list--waiting",
        "stream-list--queued",
        "stream-list--closed",
        "stream-list--none",
        "stream-list--star",
        "stream-list--conflict",
        "stream-list--dim",
        "stream-list--empty",
    }

    DEFAULT_CSS = """
    StreamList { overflow-x: hidden; }
    StreamList > .stream-list--header { text-style: bold; color: $text-muted; background: $boost; }
    StreamList > .stream-list--cursor { background: $block-cursor-background; color: $block-cursor-foreground; }
    StreamList:blur > .stream-list--cursor { background: $block-cursor-blurred-background; }
    StreamList > .stream-list--urgent { color: $error; }
    StreamList > .stream-list--today { color: $warning; }
    StreamList > .stream-list--future { color: $text-muted; }
    StreamList > .stream-list--waiting { color: $text-secondary; }
    StreamList > .stream-list--queued { color: $text-primary; }
    StreamList > .stream-list--closed { color: $text-disabled; }
    StreamList > .stream-list--none { color: $error; text-style: bold; }
    StreamList > .stream-list--star { color: $warning; }
    StreamList > .stream-list--conflict { color: $warning; text-style: bold; }
    StreamList > .stream-list--dim { color: $text-muted; }
    StreamList > .stream-list--empty { color: $text-muted; text-style: italic; }
    """

    cursor: reactive[int] = reactive(0, always_update=True, init=False)
    """Index into the flat row list (never a header while there are entries)."""

    empty_text: reactive[str] = reactive("Loading…")
    """Shown when there are no rows."""

    class Highlighted(Message):
        """The cursor moved to another contact (or to none)."""

        def __init__(self, entry: StreamEntry | None) -> None:
            super().__init__()
            self.entry = entry

    class Selected(Message):
        """Enter was pressed on a contact."""

        def __init__(self, entry: StreamEntry) -> None:
            super().__init__()
            self.entry = entry

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._entries: list[StreamEntry] = []
        self._rows: list[StreamEntry | _Header] = []
        self._row_keys: list[tuple[Any, ...]] | None = None
        """The stream-order key of each row (a header's is its section alone, before its rows);
        None while a filter or search results are shown (then a change rebuilds the rows)."""
        self._key_of: dict[str, tuple[Any, ...]] = {}
        self.rebuilds = 0
        """Full rebuilds of the rows (a measure of work: bench/triage_cost.py)."""
        self._filter = ""
        self._natural = Natural()
        """The widest text of each column among the rows (measured on each rebuild)."""
        self._keep: Callable[[StreamEntry], bool] | None = None
        """The stream filter's test (None: every row), beside the typed text filter."""
        self._extra: list[StreamEntry] = []
        self._haystacks: dict[int, str] = {}
        self._cache: LRUCache[tuple[int, int, bool, int, dt.date, dt.datetime | None], Strip] = LRUCache(1024)
        self._account: Account | None = None
        self._today = dt.date.today()
        self._now: dt.datetime | None = None
        self._user_id: str | None = None
        self._last_highlighted: str | None = None
        self._chosen = False
        """Whether the person has put the cursor where it is (moved it, opened or acted on a contact)."""
        self._placing = False
        """The rows are placing the cursor (not the person)."""

    # -- data ----------------------------------------------------------------------------------
    def set_context(self, account: Account | None, today: dt.date, now: dt.datetime | None, user_id: str | None) -> None:
        self._account, self._today, self._now, self._user_id = account, today, now, user_id

    def set_entries(self, entries: list[StreamEntry]) -> None:
        """Show `entries` (already in stream order), the cursor on the same contact wherever it went
        (but a cursor on the first contact stays on the first row: `_at_top`).

        When that contact has left the list, the cursor keeps its row: on the contact that followed.
        """
        self._entries = list(entries)
        self._haystacks = {}
        self._rebuild(keep_top=True)

    PATCH_LIMIT = 64
    """More changed contacts than this at once: rebuilding the rows is as cheap as moving them."""

    def update_entries(
        self, entries: list[StreamEntry], changed: frozenset[str] | None, renamed: Mapping[str, str] | None = None
    ) -> None:
        """Show `entries` (in stream order) when only the contacts `changed` (None: any) differ from
        the rows shown: their rows move to their place, the rest stay, the cursor stays on its contact
        or on the first row (`_at_top`) (`renamed`: a contact made here that now has the server's id, old -> new)."""
        if changed is None or self._row_keys is None or len(changed) > self.PATCH_LIMIT:
            self.set_entries(entries)
            return
        self._entries = list(entries)
        new = {e.contact.id: e for e in entries if e.contact.id in changed}
        selected = self.selected_entry
        selected_id = selected.contact.id if selected is not None else None
        if selected_id is not None and renamed and selected_id in renamed and renamed[selected_id] in changed:
            selected_id = renamed[selected_id]
        old_cursor = self.cursor
        at_top = self._at_top()
        self._placing = True
        for contact_id in changed:
            self._take_row(contact_id)
            if contact_id in new:
                self._put_row(new[contact_id])
        self._cache.clear()
        self.virtual_size = Size(self.scrollable_content_region.width, len(self._rows))
        target = self._row_of(selected_id) if selected_id is not None and not at_top else None
        self.cursor = target if target is not None else self._entry_row(min(old_cursor, max(len(self._rows) - 1, 0)), 1)
        self._placing = False
        self.refresh()

    def _at_top(self) -> bool:
        """Whether the cursor is on the first contact where the list put it, not the person: then it
        stays on the first row when the rows change. On start the cache paints the list and the server's
        copy follows; a first contact that changed since must not drag the cursor, and the view, after
        it to its new place."""
        return not self._chosen and bool(self._rows) and self.cursor == self._entry_row(0, 1)

    def _key(self, entry: StreamEntry) -> tuple[Any, ...]:
        return sort_key(entry, self._today, user_id=self._user_id, now=self._now)

    def _row_of(self, contact_id: str) -> int | None:
        key = self._key_of.get(contact_id)
        if key is None or self._row_keys is None:
            return None
        at = bisect.bisect_left(self._row_keys, key)
        return at if at < len(self._rows) and self._row_keys[at] == key else None

    def _take_row(self, contact_id: str) -> None:
        at = self._row_of(contact_id)
        if at is None or self._row_keys is None:
            return
        key = self._key_of.pop(contact_id)
        del self._rows[at], self._row_keys[at]
        head = bisect.bisect_left(self._row_keys, key[:1])
        header = self._rows[head]
        assert isinstance(header, _Header), "a row's section header comes before it"
        if header.count > 1:
            self._rows[head] = _Header(header.section, header.count - 1)
        else:
            del self._rows[head], self._row_keys[head]

    def _put_row(self, entry: StreamEntry) -> None:
        assert self._row_keys is not None
        self._natural = wider(self._natural, natural_widths([entry], self._account))
        key = self._key(entry)
        head = bisect.bisect_left(self._row_keys, key[:1])
        if head < len(self._rows) and self._row_keys[head] == key[:1]:
            header = self._rows[head]
            assert isinstance(header, _Header)
            self._rows[head] = _Header(header.section, header.count + 1)
        else:
            self._rows.insert(head, _Header(Section(key[0]), 1))
            self._row_keys.insert(head, key[:1])
        at = bisect.bisect_left(self._row_keys, key)
        self._rows.insert(at, entry)
        self._row_keys.insert(at, key)
        self._key_of[entry.contact.id] = key

    def set_filter(self, text: str, extra: list[StreamEntry] | None = None) -> None:
        """Show only entries whose text contains `text`; `extra` adds server search results."""
        self._filter = text.strip().casefold()
        self._extra = list(extra or []) if self._filter else []
        self._rebuild()

    def set_keep(self, keep: Callable[[StreamEntry], bool] | None) -> None:
        """Show only the entries `keep` lets through (the stream filter; None: all), and rebuild."""
        self._keep = keep
        self._rebuild()

    @property
    def filtered(self) -> bool:
        """Whether a stream filter narrows the rows (the text filter aside)."""
        return self._keep is not None

    @property
    def filter_text(self) -> str:
        return self._filter

    @property
    def entries(self) -> list[StreamEntry]:
        """The entries currently shown (after filtering), in order."""
        return [r for r in self._rows if isinstance(r, StreamEntry)]

    @property
    def selected_entry(self) -> StreamEntry | None:
        if 0 <= self.cursor < len(self._rows):
            row = self._rows[self.cursor]
            if isinstance(row, StreamEntry):
                return row
        return None

    def _matches(self, entry: StreamEntry) -> bool:
        key = id(entry)
        text = self._haystacks.get(key)
        if text is None:
            text = self._haystacks[key] = haystack(entry)
        return all(word in text for word in self._filter.split())

    def _rebuild(self, keep_top: bool = False) -> None:
        """The rows again, the cursor on its contact (`keep_top`: new data, and a cursor on the first
        contact stays on the first row; a changed filter keeps the contact, wherever it is)."""
        self.rebuilds += 1
        selected = self.selected_entry
        selected_id = selected.contact.id if selected is not None and not (keep_top and self._at_top()) else None
        old_cursor = self.cursor
        shown = [e for e in self._entries if self._matches(e)] if self._filter else self._entries
        if self._keep is not None:
            keep = self._keep
            shown = [e for e in shown if keep(e)]
        if self._extra:
            have = {e.contact.id for e in shown}
            added = [e for e in self._extra if e.contact.id not in have]
            if added:  # server matches go where the stream's order puts them, not at the end
                shown = sort_entries(shown + added, self._today, user_id=self._user_id, now=self._now)
        rows: list[StreamEntry | _Header] = []
        self._natural = natural_widths(shown, self._account)
        keys = [self._key(e) for e in shown]
        counts: dict[int, int] = {}
        for key in keys:
            counts[key[0]] = counts.get(key[0], 0) + 1
        row_keys: list[tuple[Any, ...]] = []
        current: int | None = None
        for entry, key in zip(shown, keys):
            if key[0] != current:
                rows.append(_Header(Section(key[0]), counts[key[0]]))
                row_keys.append(key[:1])
                current = key[0]
            rows.append(entry)
            row_keys.append(key)
        self._rows = rows
        patchable = not self._filter and not self._extra and self._keep is None and all(a <= b for a, b in zip(row_keys, row_keys[1:]))
        self._row_keys = row_keys if patchable else None
        self._key_of = {e.contact.id: k for e, k in zip(shown, keys)} if patchable else {}
        self._cache.clear()
        self.virtual_size = Size(self.scrollable_content_region.width, len(rows))
        target = None
        if selected_id is not None:
            target = next(
                (i for i, r in enumerate(rows) if isinstance(r, StreamEntry) and r.contact.id == selected_id), None
            )
        if target is None:
            target = self._entry_row(min(old_cursor, max(len(rows) - 1, 0)), 1)
        self._placing = True
        self.cursor = target
        self._placing = False
        self.refresh()

    def _entry_row(self, index: int, step: int) -> int:
        """The nearest entry row from `index` in direction `step` (then the other way)."""
        rows = self._rows
        if not rows:
            return 0
        index = max(0, min(index, len(rows) - 1))
        for direction in (step, -step):
            i = index
            while 0 <= i < len(rows):
                if isinstance(rows[i], StreamEntry):
                    return i
                i += direction
        return index

    # -- cursor --------------------------------------------------------------------------------
    def watch_cursor(self, old: int, new: int) -> None:
        if not self._placing:
            self._chosen = True
        self.refresh()
        if self._rows:
            # Bring the section header into view too when the cursor lands on a section's first row.
            top = new - 1 if new > 0 and isinstance(self._rows[new - 1], _Header) else new
            if top == 0:
                self.scroll_to(y=0, animate=False, force=True, immediate=True)
            else:
                self.scroll_to_region(Region(0, top, 1, new - top + 1), animate=False, force=True, immediate=True)
        entry = self.selected_entry
        key = None if entry is None else f"{entry.contact.id}:{id(entry)}"
        if key != self._last_highlighted:
            self._last_highlighted = key
            self.post_message(self.Highlighted(entry))

    def row_of_contact(self, contact_id: str) -> int | None:
        """The row the contact is on (None: not shown)."""
        found = self._row_of(contact_id)
        if found is not None:
            return found
        return next((i for i, r in enumerate(self._rows) if isinstance(r, StreamEntry) and r.contact.id == contact_id), None)

    def _last_section(self) -> tuple[int, _Header] | None:
        """The last section's header and its row (sections come in order: no next action is last)."""
        for at in range(len(self._rows) - 1, -1, -1):
            row = self._rows[at]
            if isinstance(row, _Header):
                return at, row
        return None

    def no_action_count(self) -> int:
        """How many rows shown have no next action (their section is always the last)."""
        last = self._last_section()
        return last[1].count if last is not None and last[1].section is Section.NO_ACTION else 0

    def jump_to_no_action(self) -> bool:
        """Put the cursor on the first row without a next action; False: there is none shown."""
        last = self._last_section()
        if last is None or last[1].section is not Section.NO_ACTION:
            return False
        self.cursor = last[0] + 1
        return True

    def keep_row(self, row: int) -> None:
        """Put the cursor back on `row` (the nearest contact there): after a change moved its contact away."""
        self.cursor = self._entry_row(min(row, max(len(self._rows) - 1, 0)), 1)

    def select_contact(self, contact_id: str) -> bool:
        for i, row in enumerate(self._rows):
            if isinstance(row, StreamEntry) and row.contact.id == contact_id:
                self.cursor = i
                return True
        return False

    def move_past(self, contact_id: str) -> None:
        """Put the cursor on the contact after `contact_id` (the one before, when it is the last)."""
        ids = [e.contact.id for e in self.entries]
        if contact_id not in ids:
            return
        index = ids.index(contact_id)
        neighbour = ids[index + 1] if index + 1 < len(ids) else ids[index - 1] if index > 0 else None
        if neighbour is not None:
            self.select_contact(neighbour)

    def action_cursor_down(self) -> None:
        nxt = self.cursor + 1
        while nxt < len(self._rows) and not isinstance(self._rows[nxt], StreamEntry):
            nxt += 1
        if nxt < len(self._rows):
            self.cursor = nxt

    def action_cursor_up(self) -> None:
        prev = self.cursor - 1
        while prev >= 0 and not isinstance(self._rows[prev], StreamEntry):
            prev -= 1
        if prev >= 0:
            self.cursor = prev
        else:
            self.scroll_to(y=0, animate=False)

    def action_first(self) -> None:
        self.cursor = self._entry_row(0, 1)
        self.scroll_to(y=0, animate=False)

    def action_last(self) -> None:
        self.cursor = self._entry_row(len(self._rows) - 1, -1)

    def action_page_down(self) -> None:
        self.cursor = self._entry_row(self.cursor + max(self.scrollable_content_region.height - 1, 1), 1)

    def action_page_up(self) -> None:
        self.cursor = self._entry_row(self.cursor - max(self.scrollable_content_region.height - 1, 1), -1)

    def action_select(self) -> None:
        self._chosen = True
        entry = self.selected_entry
        if entry is not None:
            self.post_message(self.Selected(entry))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        index = offset.y + self.scroll_offset.y
        if 0 <= index < len(self._rows) and isinstance(self._rows[index], StreamEntry):
            if index == self.cursor and event.chain >= 2:
                self.action_select()
            self.cursor = index

    # -- rendering -----------------------------------------------------------------------------
    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()

    def on_resize(self, event: events.Resize) -> None:
        self._cache.clear()
        self.virtual_size = Size(self.scrollable_content_region.width, len(self._rows))

    def columns(self, width: int) -> Columns:
        """The row's column widths at `width`, fitted to the rows' text."""
        return columns_for(width, self._natural)

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"stream-list--{name}")

    def _fg(self, name: str) -> Style:
        """Only the colour and text style of a component class, so the row's (cursor) background shows."""
        style = self._style(name)
        return Style(color=style.color, bold=style.bold, italic=style.italic)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = self.scroll_offset.y + y
        base = self.rich_style
        if not self._rows:
            if y == 1:
                return Strip([Segment(fit("  " + self.empty_text, width), self._style("empty"))], width)
            return Strip.blank(width, base)
        if index >= len(self._rows):
            return Strip.blank(width, base)
        row = self._rows[index]
        selected = index == self.cursor
        key = (index, id(row), selected, width, self._today, self._now)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._render_row(row, width, selected)
            self._cache[key] = cached
        return cached

    def _render_row(self, row: StreamEntry | _Header, width: int, selected: bool) -> Strip:
        base = self.rich_style
        if isinstance(row, _Header):
            label = f" {SECTION_LABELS[row.section]} · {row.count}"
            return Strip([Segment(fit(label, width), base + self._style("header"))], width)
        cols = self.columns(width)
        cells = row_text(row, self._account, self._today, self._now, compact=cols.due < DUE_WIDE)
        line = base + self._style("cursor") if selected else base
        flag = line + self._fg(cells.role)
        dim = line + self._fg("dim")
        segments = [
            Segment("▌ ", flag),
            Segment(STAR_ON if cells.starred else STAR_OFF, line + self._fg("star") if cells.starred else dim),
            Segment(" ", line),
            Segment(fit(cells.name, cols.name) + " ", line + Style(bold=True)),
        ]
        if cols.company:
            segments.append(Segment(fit(cells.company, cols.company) + " ", dim))
        action_style = flag if cells.role == "none" else line
        segments.append(Segment(fit(cells.action, cols.action) + " ", action_style))
        # On the cursor row the due text takes the cursor's colours: red on blue is hard to read.
        segments.append(Segment(fit(cells.due, cols.due) + " ", line + Style(bold=True) if selected else flag))
        if cols.value:
            segments.append(Segment(fit(cells.value.rjust(cols.value), cols.value) + " ", line))
        segments.append(Segment(CONFLICT_MARK if cells.conflict else " ", line + self._fg("conflict")))
        strip = Strip(segments)
        return strip.adjust_cell_length(width, line)

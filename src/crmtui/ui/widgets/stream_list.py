"""The action stream on the virtual list (`RowList`): contacts by section, drawn from a column spec.

Only the rows on screen are ever rendered, so 20,000 contacts cost a list build, not 20,000 widgets.
What the stream adds to the list: its sections in the stream's order, rows that move one by one when a
few contacts change (a sorted key per row: no full rebuild for a triage key), the typed text filter
and the stream filter, and columns whose widths follow the text of the rows shown.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Hashable, Mapping
from typing import Any, cast

from crmtui.domain.models import Account, StreamEntry
from crmtui.domain.stream import Section, sort_entries, sort_key
from crmtui.ui.rows import (
    CONFLICT_MARK,
    DUE_WIDE,
    Columns,
    SECTION_LABELS,
    STAR_OFF,
    STAR_ON,
    Natural,
    RowText,
    columns_for,
    haystack,
    natural_widths,
    row_text,
    wider,
)
from crmtui.ui.widgets.row_list import Cell, Column, Header, RowList


def section_header(section: Section, count: int) -> Header:
    return Header(SECTION_LABELS[section], count, tag=section)


class StreamList(RowList[StreamEntry]):
    """Contacts of the action stream, grouped by section, one line each."""

    ROLE_PREFIX = "stream-list--"
    PLAIN_ON_CURSOR = ()  # the company stays dim on the cursor row

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
        "stream-list--strong",
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
    StreamList > .stream-list--strong { text-style: bold; }
    StreamList > .stream-list--empty { color: $text-muted; text-style: italic; }
    """

    class Highlighted(RowList.Highlighted):
        """The cursor moved to another contact (or to none)."""

        @property
        def entry(self) -> StreamEntry | None:
            return cast("StreamEntry | None", self.item)

    class Selected(RowList.Selected):
        """Enter was pressed on a contact."""

        @property
        def entry(self) -> StreamEntry:
            return cast(StreamEntry, self.item)

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        self.flag = Column[StreamEntry]("", lambda e: ("▌", self._text(e).role), width=1)
        self.star = Column[StreamEntry]("", self._star, width=1)
        self.name_column = Column[StreamEntry]("Name", lambda e: (self._text(e).name, "strong"))
        self.company = Column[StreamEntry]("Company", lambda e: (self._text(e).company, "dim"))
        self.action = Column[StreamEntry]("Next action", self._action)
        # On the cursor row the due text takes the cursor's colours: red on blue is hard to read.
        self.due = Column[StreamEntry]("Due", lambda e: (self._text(e).due, self._text(e).role), on_cursor="strong")
        self.value = Column[StreamEntry]("Value", lambda e: (self._text(e).value, ""), right=True)
        self.conflict = Column[StreamEntry]("", lambda e: [(CONFLICT_MARK if self._text(e).conflict else " ", "conflict")], width=1)
        columns = [self.flag, self.star, self.name_column, self.company, self.action, self.due, self.value, self.conflict]
        super().__init__(columns, key=lambda e: e.contact.id, name=name, id=id, classes=classes)
        self._entries: list[StreamEntry] = []
        self._entry_keys: list[tuple[Any, ...]] | None = None
        """The sort key of each of `_entries` when the caller gave them (None: worked out here)."""
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
        self._account: Account | None = None
        self._today = dt.date.today()
        self._now: dt.datetime | None = None
        self._user_id: str | None = None
        self._compact = False
        """Whether the due column is too narrow for dates written out (set with the widths)."""
        self._shown: tuple[StreamEntry, bool, RowText] | None = None
        """The text of the row being drawn (its columns all read it)."""

    # -- data ----------------------------------------------------------------------------------
    def set_context(self, account: Account | None, today: dt.date, now: dt.datetime | None, user_id: str | None) -> None:
        if (account, today, now) != (self._account, self._today, self._now):
            self._cache.clear()  # the rows' text depends on the day and the account
            self._shown = None
        if (today, user_id) != (self._today, self._user_id):
            self._entry_keys = None  # worked out for another day or user
        self._account, self._today, self._now, self._user_id = account, today, now, user_id

    def set_entries(self, entries: list[StreamEntry], keys: list[tuple[Any, ...]] | None = None) -> None:
        """Show `entries` (already in stream order), the cursor on the same contact wherever it went
        (but a cursor on the first contact stays on the first row: `_at_top`).

        When that contact has left the list, the cursor keeps its row: on the contact that followed.
        `keys`: each entry's sort key for this list's context, when the caller has them (the session
        sorted by them): not worked out again (a tenth of the list's build at 8,000 rows).
        """
        self._entries = list(entries)
        self._entry_keys = list(keys) if keys is not None and len(keys) == len(entries) else None
        self._haystacks = {}
        self._rebuild(keep_top=True)

    PATCH_LIMIT = 64
    """More changed contacts than this at once: rebuilding the rows is as cheap as moving them."""

    def update_entries(
        self, entries: list[StreamEntry], changed: frozenset[str] | None, renamed: Mapping[str, str] | None = None,
        keys: list[tuple[Any, ...]] | None = None,
    ) -> None:
        """Show `entries` (in stream order) when only the contacts `changed` (None: any) differ from
        the rows shown: their rows move to their place, the rest stay, the cursor stays on its contact
        or on the first row (`_at_top`) (`renamed`: a contact made here that now has the server's id, old -> new;
        `keys`: as for `set_entries`)."""
        if changed is None or self._row_keys is None or len(changed) > self.PATCH_LIMIT:
            self.set_entries(entries, keys)
            return
        self._entries = list(entries)
        self._entry_keys = list(keys) if keys is not None and len(keys) == len(entries) else None
        new = {e.contact.id: e for e in entries if e.contact.id in changed}
        selected = self.selected
        selected_id = selected.contact.id if selected is not None else None
        if selected_id is not None and renamed and selected_id in renamed and renamed[selected_id] in changed:
            selected_id = renamed[selected_id]
        old_cursor = self.cursor
        at_top = self._at_top()
        for contact_id in changed:
            self._take_row(contact_id)
            if contact_id in new:
                self._put_row(new[contact_id])
        self._rows_changed()
        self._place(self._row_of(selected_id) if selected_id is not None and not at_top else None, old_cursor)

    def _sort_key(self, entry: StreamEntry) -> tuple[Any, ...]:
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
        assert isinstance(header, Header), "a row's section header comes before it"
        if header.count > 1:
            self._rows[head] = section_header(Section(key[0]), header.count - 1)
        else:
            del self._rows[head], self._row_keys[head]

    def _put_row(self, entry: StreamEntry) -> None:
        assert self._row_keys is not None
        self._natural = wider(self._natural, natural_widths([entry], self._account))
        key = self._sort_key(entry)
        head = bisect.bisect_left(self._row_keys, key[:1])
        if head < len(self._rows) and self._row_keys[head] == key[:1]:
            header = self._rows[head]
            assert isinstance(header, Header)
            self._rows[head] = section_header(Section(key[0]), header.count + 1)
        else:
            self._rows.insert(head, section_header(Section(key[0]), 1))
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
        return self.items

    @property
    def selected_entry(self) -> StreamEntry | None:
        return self.selected

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
        selected = self.selected
        selected_id = selected.contact.id if selected is not None and not (keep_top and self._at_top()) else None
        shown = [e for e in self._entries if self._matches(e)] if self._filter else self._entries
        if self._keep is not None:
            keep = self._keep
            shown = [e for e in shown if keep(e)]
        if self._extra:
            have = {e.contact.id for e in shown}
            added = [e for e in self._extra if e.contact.id not in have]
            if added:  # server matches go where the stream's order puts them, not at the end
                shown = sort_entries(shown + added, self._today, user_id=self._user_id, now=self._now)
        rows: list[StreamEntry | Header] = []
        self._natural = natural_widths(shown, self._account)
        given = self._entry_keys
        keys = given if given is not None and shown is self._entries else [self._sort_key(e) for e in shown]
        counts: dict[int, int] = {}
        for key in keys:
            counts[key[0]] = counts.get(key[0], 0) + 1
        row_keys: list[tuple[Any, ...]] = []
        current: int | None = None
        for entry, key in zip(shown, keys):
            if key[0] != current:
                rows.append(section_header(Section(key[0]), counts[key[0]]))
                row_keys.append(key[:1])
                current = key[0]
            rows.append(entry)
            row_keys.append(key)
        patchable = not self._filter and not self._extra and self._keep is None and all(a <= b for a, b in zip(row_keys, row_keys[1:]))
        self._row_keys = row_keys if patchable else None
        self._key_of = {e.contact.id: k for e, k in zip(shown, keys)} if patchable else {}
        self._show(rows, selected_id, list(shown))

    def row_of_key(self, key: Hashable) -> int | None:
        found = self._row_of(key) if isinstance(key, str) else None
        return found if found is not None else super().row_of_key(key)

    def row_of_contact(self, contact_id: str) -> int | None:
        """The row the contact is on (None: not shown)."""
        return self.row_of_key(contact_id)

    def _last_section(self) -> tuple[int, Header] | None:
        """The last section's header and its row (sections come in order: no next action is last)."""
        for at in range(len(self._rows) - 1, -1, -1):
            row = self._rows[at]
            if isinstance(row, Header):
                return at, row
        return None

    def no_action_count(self) -> int:
        """How many rows shown have no next action (their section is always the last)."""
        last = self._last_section()
        return last[1].count if last is not None and last[1].tag is Section.NO_ACTION else 0

    def jump_to_no_action(self) -> bool:
        """Put the cursor on the first row without a next action; False: there is none shown."""
        last = self._last_section()
        if last is None or last[1].tag is not Section.NO_ACTION:
            return False
        self.cursor = last[0] + 1
        # The section from its header down, as far as the screen goes: not one row at the bottom edge.
        self.scroll_to(y=last[0], animate=False, force=True, immediate=True)
        return True

    def select_contact(self, contact_id: str) -> bool:
        return self.select_key(contact_id)

    # -- columns -------------------------------------------------------------------------------
    def widths(self, width: int) -> Columns:
        """The row's column widths at `width`, fitted to the rows' text."""
        return columns_for(width, self._natural)

    def column_widths(self, width: int) -> list[tuple[Column[StreamEntry], int]]:
        cols = self.widths(width)
        self._compact = cols.due < DUE_WIDE
        shown = [(self.flag, 1), (self.star, 1), (self.name_column, cols.name)]
        if cols.company:
            shown.append((self.company, cols.company))
        shown += [(self.action, cols.action), (self.due, cols.due)]
        if cols.value:
            shown.append((self.value, cols.value))
        shown.append((self.conflict, 1))
        return shown

    def _text(self, entry: StreamEntry) -> RowText:
        """The text of `entry`'s row (worked out once for all its columns)."""
        shown = self._shown
        if shown is None or shown[0] is not entry or shown[1] != self._compact:
            text = row_text(entry, self._account, self._today, self._now, compact=self._compact)
            self._shown = shown = (entry, self._compact, text)
        return shown[2]

    def _star(self, entry: StreamEntry) -> Cell:
        return [(STAR_ON, "star")] if self._text(entry).starred else [(STAR_OFF, "dim")]

    def _action(self, entry: StreamEntry) -> Cell:
        text = self._text(entry)
        return (text.action, text.role if text.role == "none" else "")

"""The action stream screen: the list, a preview pane on wide terminals, a filter and triage keys."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, ProgressBar
from textual.worker import Worker

from crmtui.backends.errors import BackendError
from crmtui.domain.models import StreamEntry
from crmtui.domain.stream_filter import StreamFilter
from crmtui.ui.follow import follow
from crmtui.ui.screens.triage import TriageMixin
from crmtui.ui.widgets.footer import KeyFooter
from crmtui.ui.widgets.header import AppHeader
from crmtui.ui.widgets.inputs import TextInput
from crmtui.ui.widgets.kept_lines import keep_lines
from crmtui.ui.widgets.preview import ContactPreview
from crmtui.ui.widgets.progress import StillProgressBar
from crmtui.ui.widgets.stream_list import StreamList

DEALS_DELAY = 0.15
"""Seconds the cursor must rest on a contact before its deals are fetched for the preview."""

WIDE = 120
"""From this many columns the preview sits beside the list; narrower terminals open it with Enter."""


class ActionStreamScreen(TriageMixin):
    """Top-level screen 1: the current user's action stream."""

    FOOTER_ORDER = ("done", "add", "edit", "undo", "clear_filter", "filter", "reassign", "select", "find", "new_contact", "star", "swap", "promote", "refresh", "resync")
    BINDINGS = [
        Binding("d", "done", "Done"),
        Binding("n", "add", "Add"),
        Binding("e", "edit", "Edit"),
        Binding("a", "reassign", "Assign"),
        Binding("p", "promote", "Promote"),
        Binding("s", "swap", "Swap"),
        Binding("u", "undo", "Undo"),
        Binding("asterisk", "star", "Star", show=False),  # the ★ column says it; listed in help
        Binding("slash", "filter", "Filter", priority=True),
        # While a filter is on, "esc Clear" takes the footer's "/ Filter" place: both with "? Help
        # q Quit" do not fit 80 columns. / still changes the filter (this binding, not in the footer).
        Binding("slash", "filter('again')", "Filter", show=False, priority=True, tooltip="Change the filter"),
        Binding("r", "refresh", "Refresh", show=False),  # also refreshes by itself; listed in help
        Binding("R", "resync", "Full resync", show=False, tooltip="Fetch the whole stream again, not only what changed"),
        Binding("escape", "clear_filter", "Clear", tooltip="Clear the typed filter, then the stream filter"),
        Binding("F", "filter_stream", "Filter by", tooltip="Filter by a saved filter, tag, status, lead source, starred, waiting"),
        Binding("exclamation_mark", "no_action", "No action", show=False, tooltip="Jump to the first contact without a next action"),
    ]

    def __init__(self) -> None:
        super().__init__()
        keep_lines(self)
        self._unsubscribe: Callable[[], None] | None = None
        self._unfilter: Callable[[], None] | None = None
        self._deals_wanted: str | None = None
        """The contact whose pending deals the preview waits for (`load_deals`)."""
        self._deals_since = 0.0
        """When the cursor reached it (the event loop's clock)."""
        self._deals_worker: Worker[None] | None = None

    def compose(self) -> ComposeResult:
        # Wide or narrow from the start: set on the first resize, the class restyled every widget again.
        self.set_class(self.app.size.width >= WIDE, "-wide")
        header, body, footer = AppHeader(id="header"), Horizontal(id="stream-body"), KeyFooter()
        keep_lines(header, body, footer)  # a cursor step draws none of their lines again
        yield header
        with body:
            yield StreamList(id="stream-list")
            yield ContactPreview(id="stream-preview")
        bar = StillProgressBar(id="sync-progress", show_eta=False)
        box = TextInput(placeholder="Filter: type to narrow, Enter also searches the server, Esc clears", id="filter")
        bar.display = box.display = False  # hidden from the start: hidden once mounted, they were laid out again
        yield bar
        yield box
        yield footer

    @property
    def stream_list(self) -> StreamList:
        return self.query_one("#stream-list", StreamList)

    def selected_entry(self) -> StreamEntry | None:
        return self.stream_list.selected_entry

    def _move_past(self, contact_id: str) -> None:
        self.stream_list.move_past(contact_id)

    def _hold_place(self, contact_id: str) -> int | None:
        return self.stream_list.row_of_contact(contact_id)

    def _keep_place(self, place: int | None) -> None:
        if place is not None:  # after the stream's change message the worker's change set off
            self.call_later(self.stream_list.keep_row, place)

    def _show_new(self, contact_id: str) -> None:
        # After the stream's change message the worker's add set off, so the row is there by then.
        self.call_later(self.stream_list.select_contact, contact_id)

    # -- lifecycle -----------------------------------------------------------------------------
    def on_mount(self) -> None:
        self._unsubscribe = follow(self, self.session.changes, self._stream_changed)
        self._unfilter = follow(self, self.session.filters.changes, self._stream_filter_changed)
        self._apply_stream_filter()
        self.stream_list.focus()
        self.stream_list.on_highlight = self._highlight_now
        self.watch(self.app, "load_progress", self._progress_changed, init=False)
        if self.session.account is not None:
            self._stream_changed(None)

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._unfilter is not None:
            self._unfilter()

    def on_resize(self, event: events.Resize) -> None:
        was_wide = self.is_wide
        self.set_class(event.size.width >= WIDE, "-wide")
        if self.is_wide and not was_wide and self.session.account is not None:
            self._show_preview(self.selected_entry())  # the pane appeared: fill it

    @property
    def is_wide(self) -> bool:
        return self.has_class("-wide")

    def _stream_changed(self, changed: frozenset[str] | None) -> None:
        """The stream changed: only the rows of `changed` contacts move (None: all may have)."""
        session = self.session
        lst = self.stream_list
        today, user_id = session.today(), session.stream_user_id
        lst.set_context(session.account, today, session.now(), user_id)
        lst.empty_text = self._empty_text()
        lst.update_entries(session.entries, changed, session.renamed, keys=session.order_keys(today, user_id))
        self._update_title()
        self._show_preview(lst.selected_entry)

    def _empty_text(self) -> str:
        filters = self.session.filters
        if self.stream_list.filter_text:
            return "No contacts match the filter"
        if filters.active is not None:
            if filters.note.startswith("cannot"):
                return f"The filter {filters.describe()}; Esc clears it"
            if filters.loading and filters.members is None:
                return f"Asking the server who is in {filters.active.describe()}…"
            return f"No contacts in this stream match {filters.active.describe()} (Esc clears it)"
        return "No contacts in this stream"

    def _update_title(self) -> None:
        total = len(self.session.entries)
        lst = self.stream_list
        title = f"Action stream · {total:,}"
        done, expected = self.app.load_progress
        syncing = bool(expected) and done < expected
        if syncing:  # rows painted mid-sync are not the whole stream yet
            title = "Action stream · syncing…"  # the counts: the header's "loading N/M" and the bar
        elif self.app.stream_partly_read:
            title, syncing = "Action stream", True  # the cache's first screenful: no count until the rest is read
        filters = self.session.filters
        if filters.active is not None:  # the filter first: at 80 columns the end of the title may not show
            title = f"Filter: {filters.describe()} · {len(lst.entries):,} of {total:,}"
        if lst.filter_text:
            title = f"{title} · {len(lst.entries):,} match" if filters.active is not None else f"Action stream · {len(lst.entries):,} of {total:,} match"
        missing = lst.no_action_count()
        if missing and not syncing:
            title += f" · {missing:,} without next action" if self.size.width >= 100 else f" · {missing:,} no action"
        self.query_one("#header", AppHeader).title = title
        self.refresh_bindings()  # "esc Clear" and "/ Filter" trade places with the filter

    def _progress_changed(self, progress: tuple[int, int]) -> None:
        done, total = progress
        self.stream_list.empty_text = f"Loading stream… {done:,} / {total:,}" if total else "Loading stream…"
        bar = self.query_one("#sync-progress", ProgressBar)
        syncing = bool(total) and done < total
        bar.display = syncing  # a whole-stream fetch (the first of an account, or a resync): how far
        if syncing:
            bar.update(total=total, progress=done)
        self._update_title()

    # -- preview -------------------------------------------------------------------------------
    def _show_preview(self, entry: StreamEntry | None) -> None:
        session = self.session
        deals = session.cached_pending_deals(entry.contact.id) if entry is not None else None
        preview = self.query_one("#stream-preview", ContactPreview)
        preview.show(entry, session.account, session.today(), session.now(), deals)
        wanted = entry is not None and deals is None and entry.contact.pending_deal and self.is_wide
        self._want_deals(entry.contact.id if wanted and entry is not None else None)

    def _want_deals(self, contact_id: str | None) -> None:
        """Fetch `contact_id`'s pending deals once the cursor rests on it (None: none wanted now): the
        worker fetching them is fed the latest contact while the cursor moves, not started per step."""
        self._deals_wanted = contact_id
        if contact_id is None:
            return
        self._deals_since = asyncio.get_running_loop().time()
        if self._deals_worker is None or self._deals_worker.is_finished:
            self._deals_worker = self.load_deals()

    @work(group="preview-deals", exit_on_error=False)
    async def load_deals(self) -> None:
        """Fetch the previewed contact's pending deals once the cursor has rested on it DEALS_DELAY s
        (holding j/k should not send a request per row, nor start a worker per row)."""
        loop = asyncio.get_running_loop()
        while (contact_id := self._deals_wanted) is not None:
            rest = self._deals_since + DEALS_DELAY - loop.time()
            if rest > 0:  # moved on meanwhile: wait for the cursor to rest
                await asyncio.sleep(rest)
                continue
            try:
                await self.session.pending_deals(contact_id)  # cached: _show_preview reads them
            except BackendError:
                pass  # the preview keeps showing the contact's pending total
            else:
                entry = self.selected_entry()
                if entry is not None and entry.contact.id == contact_id and self.is_wide:
                    self._show_preview(entry)  # with the deals (and none wanted any more)
            if self._deals_wanted == contact_id:
                self._deals_wanted = None

    def _highlight_now(self, entry: StreamEntry | None) -> None:
        """The cursor reached another contact: the preview follows in the same frame."""
        self._show_preview(entry)

    @on(StreamList.Selected)
    def _selected(self, event: StreamList.Selected) -> None:
        self.app.open_contact(event.entry.contact.id)  # Esc comes back here

    # -- filter --------------------------------------------------------------------------------
    def action_filter(self, _again: str = "") -> None:
        self.open_text_box(self.query_one("#filter", Input), "slash", "/")  # the keys typed behind "/" belong in it
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        filtering = bool(self.stream_list.filter_text) or self.query_one("#filter", Input).display
        if action == "clear_filter":  # in the footer (and active) only while there is a filter
            return filtering or self.session.filters.active is not None
        if action == "filter" and not parameters:  # the footer's "/ Filter": only while there is none
            return not filtering
        return True

    def action_clear_filter(self) -> None:
        """Esc: the typed filter goes first; with none, the stream filter."""
        box = self.query_one("#filter", Input)
        if not box.display and not self.stream_list.filter_text:
            if self.session.filters.active is not None:
                self.session.filters.clear()
                self.notify("Filter cleared: the whole stream", timeout=3)
            return
        box.value = ""
        box.display = False
        self.stream_list.set_filter("")
        self._update_title()
        self.set_focus(self.stream_list)

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.stream_list.empty_text = "No contacts match the filter"
        self.stream_list.set_filter(event.value)
        self._update_title()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        query = event.value.strip()
        self.set_focus(self.stream_list)
        if query:
            self.search_server(query)

    @work(exclusive=True, group="search", exit_on_error=False)
    async def search_server(self, query: str) -> None:
        """Ask the server for matches that are not in the loaded stream and add them to the view."""
        try:
            found = await self.session.search_stream(query)
        except BackendError as exc:
            self.notify(exc.user_message, title="Search failed", severity="error")
            return
        if self.stream_list.filter_text != query.casefold():
            return  # the filter changed while the server answered
        loaded = {e.contact.id for e in self.session.entries}
        extra = [e for e in found if e.contact.id not in loaded]
        self.stream_list.set_filter(query, extra=extra)
        self._update_title()
        self.notify(f"{len(extra)} more from the server" if extra else "No more matches on the server", timeout=3)

    # -- the stream filter (F) ------------------------------------------------------------------
    def action_filter_stream(self) -> None:
        from crmtui.ui.modals.stream_filter import CLEAR, FilterPickerModal  # when F opens it, not at start

        session = self.session
        modal = FilterPickerModal(
            session.account, session.known_tags(), current=session.filters.active, load_saved=session.filters.saved
        )

        def after(choice: StreamFilter | str | None) -> None:
            if choice == CLEAR:
                session.filters.clear()
            elif isinstance(choice, StreamFilter):
                self.choose_filter(choice)

        self.app.push_screen(modal, after)

    @work(exclusive=True, group="stream-filter", exit_on_error=False)
    async def choose_filter(self, choice: StreamFilter) -> None:
        await self.session.filters.choose(choice)

    def _stream_filter_changed(self, _changed: frozenset[str] | None) -> None:
        self._apply_stream_filter()

    def _apply_stream_filter(self) -> None:
        filters = self.session.filters
        lst = self.stream_list
        lst.set_keep(filters.keeps if filters.active is not None else None)
        lst.empty_text = self._empty_text()
        self._update_title()
        self._show_preview(lst.selected_entry)

    # -- contacts without a next action (!) -----------------------------------------------------
    def action_no_action(self) -> None:
        if not self.stream_list.jump_to_no_action():
            shown = "match the filter" if self.stream_list.filtered or self.stream_list.filter_text else "are in the stream"
            self.notify(f"Every contact that {shown} has a next action", timeout=3)
        self.stream_list.focus()

    # -- refresh -------------------------------------------------------------------------------
    def action_refresh(self) -> None:
        self.app.refresh_stream()

    def action_resync(self) -> None:
        self.app.resync()

"""Top-level screen 1 on Crust: the records of one module at a time.

The columns are the module's first visible fields (widths by kind; the last ones dropped when the
terminal is narrow). `m` picks the module (remembered per profile), `[` / `]` the previous / next
one; `s` orders by any field (the same field again turns the order round); `/` narrows the list as
you type and Enter asks the server for the words (its query reads every value); Esc clears. Enter
opens the record; `n` makes one and `e` edits it with a form made from the fields' kinds; `Delete`
deletes it (asks first); `u` takes back the last edit or delete. Every change goes through the
outbox and shows at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, ProgressBar

from crmtui.backends.errors import BackendError
from crmtui.domain.record_values import CREATED, LINK_KINDS, number_width, shown_value
from crmtui.domain.records import Module, ModuleField, Record
from crmtui.service.errors import CommandRefused
from crmtui.service.records import RecordsBrowser
from crmtui.ui.failures import failure_title
from crmtui.ui.follow import FollowsServices, follow
from crmtui.ui.modals.contact_pickers import Choice, ChoiceModal
from crmtui.ui.modals.pickers import ConfirmModal
from crmtui.ui.reconnect import load_failed, reload_when_online
from crmtui.ui.screens.base import CrmScreen
from crmtui.ui.widgets.footer import KeyFooter
from crmtui.ui.widgets.header import AppHeader
from crmtui.ui.widgets.inputs import TextInput
from textual.strip import Strip

from crmtui.ui.widgets.progress import StillProgressBar
from crmtui.ui.widgets.row_list import TITLES, Cell, Column, Header, RowList

if TYPE_CHECKING:  # the form is imported when n or e opens it: a start need not import every field's widget
    from crmtui.ui.modals.record_form import RecordFormModal, RecordFormResult

MAX_COLUMNS = 7
"""The module's first visible fields shown as columns (the record's detail has them all)."""
BOOL_TITLE = 12
"""A yes/no column is its title's width (its cells are a ✓), up to so many cells."""
SKIPPED_KINDS = frozenset({"textarea", "hidden"})
"""Kinds never made a column (long text: the detail shows it)."""


def field_column(field: ModuleField, place: int, names: Callable[[], dict[str, str]]) -> Column[Record]:
    """A column for `field`: its width by kind; earlier fields are dropped later when narrow."""
    priority = max(9 - place, 1)

    def cell(record: Record) -> Cell:
        value = record.values.get(field.name)
        text = shown_value(field, value, names() if field.kind in LINK_KINDS else None)
        if field.kind == "bool":
            return ("✓" if text == "yes" else "", "today")
        role = "" if place == 0 else "dim" if field.kind in LINK_KINDS else ""
        return (text, role)

    title = field.title
    kind = field.kind
    if kind == "bool":  # a ✓ under its title, cut short only when long
        shown = title if len(title) <= BOOL_TITLE else title[:BOOL_TITLE - 1] + "…"
        return Column(shown, cell, width=max(1, len(shown)), priority=priority)
    if kind == "number":  # room for tens of millions with the decimals the field shows ("12,500,000.00")
        return Column(title, cell, width=max(min(len(title), 14), number_width(field)), right=True, priority=priority)
    if kind in ("stamp", "date", "datetime"):
        return Column(title, cell, width=16, priority=priority)
    if kind == "enum":
        return Column(title, cell, share=2, min_width=9, priority=priority)
    if kind in LINK_KINDS:
        return Column(title, cell, share=3, min_width=12, priority=priority)
    if kind == "email":
        return Column(title, cell, share=3, min_width=14, priority=priority)
    return Column(title, cell, share=4 if place == 0 else 3, min_width=16 if place == 0 else 10, priority=priority)


def record_columns(module: Module | None, names: Callable[[], dict[str, str]]) -> list[Column[Record]]:
    if module is None:
        return [Column("Record", lambda record: (f"#{record.id}", ""), share=1, min_width=10, priority=9)]
    fields = [f for f in module.fields if f.is_visible and f.kind not in SKIPPED_KINDS][:MAX_COLUMNS]
    return [field_column(field, n, names) for n, field in enumerate(fields)]


class RecordRows(RowList[Record]):
    """The records list: its section line is the columns' titles, laid out at the width drawn (the
    scrollbar takes its room once the rows come), the ordering column's with its arrow."""

    sort_title: tuple[str, str] = ("", "")
    """(The title of the column the list is ordered by, its arrow.)"""

    def _render_row(self, row: Record | Header, width: int, selected: bool) -> Strip:
        if isinstance(row, Header) and row.role == TITLES:
            row = Header(self.titles(width), row.count, row.role, row.tag)
        return super()._render_row(row, width, selected)

    def titles(self, width: int) -> str:
        # The section line starts a cell in: the first title one cell shorter keeps the others over their columns.
        sorted_by, arrow = self.sort_title
        parts = []
        for i, (column, size) in enumerate(self.column_widths(width)):
            title = f"{column.title}{arrow}" if sorted_by and column.title == sorted_by else column.title
            parts.append(title.rjust(size) if column.right else title.ljust(size - (i == 0)))
        return " ".join(parts).rstrip()


class RecordsScreen(FollowsServices, CrmScreen[None]):
    """One module's records."""

    FOOTER_ORDER = ("new", "edit", "delete", "undo", "module", "sort", "narrow", "refresh")
    CHANGES_GROUP = "record-changes"
    BINDINGS = [
        Binding("n", "new", "New", tooltip="A new record of this module"),
        Binding("e", "edit", "Edit", tooltip="Edit the record under the cursor"),
        Binding("delete", "delete", "Delete", tooltip="Delete the record (asks first)"),
        Binding("u", "undo", "Undo"),
        Binding("enter", "open", "Open", show=False),
        Binding("m", "module", "Module", tooltip="Show another module's records"),
        Binding("left_square_bracket", "step(-1)", "Prev module", show=False),
        Binding("right_square_bracket", "step(1)", "Next module", show=False),
        Binding("s", "sort", "Sort", tooltip="Order by any field (the same one again: the other way round)"),
        Binding("slash", "narrow", "Find", priority=True, tooltip="Type to narrow the list; Enter asks the server"),
        Binding("r", "refresh", "Refresh", tooltip="Read the module's records again"),
        Binding("escape", "clear", "Clear", tooltip="Clear the typed words and the server's query"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.load_failed = False
        self._unfollow: Callable[[], None] | None = None
        self.narrowing = ""
        """What `/` typed: only the records matching it show."""
        self._columns_of: tuple[str, tuple[str, ...]] | None = None
        """The module (and its fields) the columns were made for."""

    @property
    def records(self) -> RecordsBrowser:
        return self.app.session.records

    def compose(self) -> ComposeResult:
        yield AppHeader(id="header")
        yield RecordRows(record_columns(None, lambda: {}), key=lambda record: record.id, id="records-list")
        yield StillProgressBar(id="records-progress", show_eta=False, show_percentage=False)
        yield TextInput(placeholder="Find: type to narrow, Enter asks the server, Esc clears", id="records-narrow")
        yield KeyFooter()

    @property
    def record_list(self) -> RecordRows:
        return self.query_one("#records-list", RecordRows)

    # -- lifecycle -----------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.query_one("#records-progress", ProgressBar).display = False
        self.query_one("#records-narrow", Input).display = False
        self.watch(self.app, "load_progress", self._progress_changed, init=False)
        self._unfollow = follow(self, self.records.changes, lambda _changed: self._show())
        reload_when_online(self, lambda: self.load_failed, self.load)
        self.record_list.focus()
        self._show()
        if self.app.connected and not self.records.loaded and not self.records.partial:  # else the app's start loads it
            self.load()

    def on_unmount(self) -> None:
        if self._unfollow is not None:
            self._unfollow()

    def on_screen_resume(self) -> None:
        # A module deleted on the modules screen (2) switches to another, not read yet: read it now.
        if self.app.connected and not self.records.loaded and not self.load_failed and not self.records.partial:
            self.load()

    def on_resize(self) -> None:
        self._title()

    def _progress_changed(self, progress: tuple[int, int]) -> None:
        done, total = progress
        bar = self.query_one("#records-progress", ProgressBar)
        bar.display = done > 0 and total > done
        if done:
            bar.update(total=total or None, progress=done)
            self.record_list.empty_text = f"Loading records… {done:,}" + (f" of {total:,}" if total else "")
            self.record_list.refresh()

    # -- showing -------------------------------------------------------------------------------
    def _show(self) -> None:
        records = self.records
        module = records.module
        lst = self.record_list
        key = (module.id, tuple(f.model_dump_json() for f in module.fields)) if module is not None else None
        if key != self._columns_of:
            lst.columns = record_columns(module, lambda: records.names)
            self._columns_of = key
        shown = self._shown()
        field = module.field(records.sort_field) if module is not None else None
        lst.sort_title = (field.title, "↓" if records.descending else "↑") if field is not None else ("", "")
        lst.set_rows([("", TITLES, shown)])
        if self.narrowing:
            lst.empty_text = f"No records match “{self.narrowing}” (Enter asks the server, Esc clears)"
        elif records.query and records.loaded:
            lst.empty_text = f"The server found no records with “{records.query}” (Esc clears)"
        elif records.loaded and module is None:
            lst.empty_text = "This server has no modules"
        elif records.loaded:
            lst.empty_text = f"No {module.name if module else ''} records yet (n makes one)"
        elif not self.load_failed:
            lst.empty_text = "Loading records…"
        lst.redraw()
        self._title()

    def _title(self) -> None:
        records = self.records
        module = records.module
        name = module.name if module is not None else "Records"
        count = f" · {len(records.items):,} records" if records.loaded else ""
        if self.narrowing and records.loaded:
            count = f" · “{self.narrowing}” {len(self._shown()):,} of {len(records.items):,}"
        query = f" · server: “{records.query}”" if records.query else ""
        order = f" · {records.sort_label()}" if self.size.width >= 100 else ""
        self.query_one(AppHeader).title = f"{name}{count}{query}{order}"

    def _shown(self) -> list[Record]:
        records = self.records
        if not self.narrowing:
            return records.items
        return records.narrow(self.narrowing)

    # -- loading -------------------------------------------------------------------------------
    @work(exclusive=True, group="records-load", exit_on_error=False)
    async def load(self) -> None:
        records = self.records
        try:
            await records.paint_cached()
            await records.load_modules()
            await records.load(on_progress=lambda done, total: self._progress_changed((done, total)))
        except BackendError as exc:
            self._progress_changed((0, 0))
            self.load_failed = True
            load_failed(self, [exc])
            self.record_list.empty_text = f"Not loaded (r retries): {exc.user_message}"
            self.record_list.refresh()
            self.notify(exc.user_message, title=failure_title(exc), severity="error", timeout=6)
            return
        self._progress_changed((0, 0))
        self.load_failed = False
        self._show()
        self.load_names()

    @work(exclusive=True, group="records-names", exit_on_error=False)
    async def load_names(self) -> None:
        if await self.records.load_names():
            self.record_list.redraw()

    def action_refresh(self) -> None:
        self.app.refresh_stream()  # the app's refresh: the header says when, offline is noticed

    # -- modules and order ---------------------------------------------------------------------
    def action_module(self) -> None:
        records = self.records
        if not records.modules:
            self.notify("No modules read yet", severity="warning", timeout=3)
            return
        choices = [Choice(m.id, m.name) for m in records.modules]

        def chosen(module_id: str | None) -> None:
            if module_id and (records.module is None or module_id != records.module.id):
                self._switch(lambda: records.choose_module(module_id))

        current = records.module.id if records.module else None
        self.app.push_screen(ChoiceModal("Module", choices, current=current), chosen)

    def action_step(self, step: int) -> None:
        self._switch(lambda: self.records.step_module(step))

    def _switch(self, choose: Callable[[], object]) -> None:
        self._clear_narrowing()
        try:
            choose()
        except CommandRefused as exc:
            self.notify(str(exc), severity="warning", timeout=3)
            return
        module = self.records.module
        if module is not None:
            self.notify(f"Module: {module.name}", timeout=2)
        self.load()

    def action_sort(self) -> None:
        records = self.records
        module = records.module
        if module is None:
            return
        fields = [f for f in module.fields if f.kind not in SKIPPED_KINDS]
        choices = [Choice(CREATED, "When made (createdAt)"), *(Choice(f.name, f.title) for f in fields)]

        def chosen(name: str | None) -> None:
            if name:
                records.sort_by(name)
                self.notify(f"Order: {records.sort_label()}", timeout=2)
                self.load()

        hint = "Enter pick (the current one again: the other way round) · Esc cancel"
        self.app.push_screen(ChoiceModal("Order by", choices, current=records.sort_field, hint=hint), chosen)

    # -- narrowing (/) and the server's query ----------------------------------------------------
    def action_narrow(self) -> None:
        self.open_text_box(self.query_one("#records-narrow", Input), "slash", "/")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear":
            box = self.query_one("#records-narrow", Input)
            return bool(self.narrowing) or box.display or bool(self.records.query)
        return True

    def _clear_narrowing(self) -> None:
        box = self.query_one("#records-narrow", Input)
        box.value = ""
        box.display = False
        self.narrowing = ""

    def action_clear(self) -> None:
        box = self.query_one("#records-narrow", Input)
        if box.display or self.narrowing:
            self._clear_narrowing()
            self._show()
            self.set_focus(self.record_list)
        elif self.records.query:
            self.records.query = ""
            self.notify("Server query cleared", timeout=2)
            self.load()
        self.refresh_bindings()

    @on(Input.Changed, "#records-narrow")
    def _narrow_changed(self, event: Input.Changed) -> None:
        self.narrowing = event.value.strip()
        self._show()
        self.refresh_bindings()

    @on(Input.Submitted, "#records-narrow")
    def _narrow_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        words = self.narrowing
        self._clear_narrowing()
        self.set_focus(self.record_list)
        if words:
            self.records.query = words
            self.notify(f"Asking the server for “{words}”", timeout=2)
            self.load()
        self.refresh_bindings()

    # -- opening and changes -----------------------------------------------------------------------
    def _selected(self) -> Record | None:
        record = self.record_list.selected
        if record is None:
            self.notify("No record selected", severity="warning", timeout=2)
        return record

    def action_open(self) -> None:
        record = self.record_list.selected
        if record is not None:
            from crmtui.ui.screens.record_detail import RecordDetailScreen

            self.app.push_screen(RecordDetailScreen(record))

    @on(RowList.Selected)
    def _chosen(self, event: RowList.Selected) -> None:
        event.stop()
        self.action_open()

    def form(self, record: Record | None) -> RecordFormModal | None:
        records = self.records
        module = records.module
        if module is None:
            self.notify("No module is shown", severity="warning", timeout=3)
            return None
        from crmtui.ui.modals.record_form import RecordFormModal

        session = self.app.session
        return RecordFormModal(
            module, session.account, session.today(), record=record, choices=records.linked_choices, names=records.names
        )

    def action_new(self) -> None:
        form = self.form(None)
        if form is None:
            return

        def chosen(result: RecordFormResult | None) -> None:
            if result is not None:
                self._create(result)

        self.app.push_screen(form, chosen)

    @work(group="record-changes", exit_on_error=False)
    async def _create(self, result: RecordFormResult) -> None:
        try:
            made = await self.records.create(result.values)
        except CommandRefused as exc:
            self.notify(str(exc), title="Not made", severity="warning", timeout=5)
            return
        if made is not None:
            self.call_later(self.record_list.select_key, made.id)
            self.notify(f"“{self.records.title(made)}” added", timeout=3)

    def action_edit(self) -> None:
        record = self._selected()
        form = self.form(record) if record is not None else None
        if record is None or form is None:
            return
        edit_record(self, self.records, record, form)

    def action_delete(self) -> None:
        record = self._selected()
        if record is not None:
            delete_record(self, self.records, record)

    def action_undo(self) -> None:
        self._undo_last(self.records.undo)


def edit_record(screen: CrmScreen[None], records: RecordsBrowser, record: Record, form: RecordFormModal) -> None:
    """Open `form` on `record` and queue what it changed (shared by the list and the detail)."""

    def chosen(result: RecordFormResult | None) -> None:
        if result is None:
            return
        if not result.values:
            screen.notify("Nothing was changed", timeout=2)
            return
        record_id = screen.app.session.outbox.server_id(record.id)

        async def save() -> None:
            try:
                await records.update(record_id, result.values)
            except CommandRefused as exc:
                screen.notify(str(exc), title="Not saved", severity="warning", timeout=5)
                return
            screen.notify(f"“{records.title(record)}” saved (u undoes)", timeout=3)

        screen.run_worker(save(), group="record-changes", exit_on_error=False)

    screen.app.push_screen(form, chosen)


def delete_record(screen: CrmScreen[None], records: RecordsBrowser, record: Record, then: Callable[[], None] | None = None) -> None:
    """Ask, then queue the delete (shared by the list and the detail)."""
    title = records.title(record)

    def confirmed(yes: bool | None) -> None:
        if not yes:
            return

        async def delete() -> None:
            try:
                await records.delete(screen.app.session.outbox.server_id(record.id))
            except CommandRefused as exc:
                screen.notify(str(exc), title="Not deleted", severity="warning", timeout=5)
                return
            screen.notify(f"“{title}” deleted (u makes it again, under a new id)", timeout=4)
            if then is not None:
                then()

        screen.run_worker(delete(), group="record-changes", exit_on_error=False)

    screen.app.push_screen(
        ConfirmModal(
            "Delete this record?",
            f"“{title}” is deleted from the server. Crust has no way to bring it back: undo makes it again under a new id.",
            confirm_label="Delete",
        ),
        confirmed,
    )

"""Top-level screen 7 on Pipedrive: the account's saved filters.

The filters by type (leads first), each with its owner and who may see it; the one under the cursor
shows its conditions in the pane ("All of: …", "Any of: …"), read when it is first looked at (the
list leaves them out; one filter read costs 2 tokens). `Enter` on a leads filter shows its leads on
the inbox (screen 1); `n` makes a leads filter and `e` edits one in the builder (name, then
conditions in the two groups, fields from the account's lead fields and operators from
/filters/helpers); `space` marks, `Delete` deletes the marked filters, or the one under the cursor
(asks first: Pipedrive has no undelete; several go in one request); `r` reads them again. Changes go
through the outbox and show at once. Offline, the last filters known show (the cache keeps them).
"""

from __future__ import annotations


from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static

from crmtui.backends.errors import BackendError
from crmtui.domain.filters import FILTER_TYPE_TITLES, Filter
from crmtui.domain.stream_filter import SavedFilter
from crmtui.service.commands import is_local_id
from crmtui.service.errors import CommandRefused
from crmtui.service.saved_filters import FiltersBoard
from crmtui.ui.failures import failure_title
from crmtui.ui.modals.filter_builder import ConditionWords, FilterBuilderModal, FilterBuilderResult
from crmtui.ui.modals.pickers import ConfirmModal
from crmtui.ui.screens.loading import BoardScreen
from crmtui.ui.widgets.footer import KeyFooter
from crmtui.ui.widgets.header import AppHeader
from crmtui.ui.widgets.row_list import Cell, Column, RowList

WIDE = 120
"""From this width the conditions show beside the filters, not below them."""
NO_UNDELETE = "Pipedrive cannot undo this: a deleted filter cannot be brought back."


class FiltersScreen(BoardScreen[FiltersBoard]):
    """The account's saved filters, their conditions, and the filter builder."""

    FOOTER_ORDER = ("apply", "new", "edit", "mark", "delete", "refresh")
    CHANGES_GROUP = "filter-changes"
    BINDINGS = [
        Binding("enter", "apply", "Apply", tooltip="Show this leads filter's leads on the inbox (1)"),
        Binding("n", "new", "New", tooltip="A new leads filter (the builder)"),
        Binding("e", "edit", "Edit", tooltip="Edit the filter's name and conditions (the builder)"),
        Binding("space", "mark", "Mark", tooltip="Mark the filter (Delete deletes every marked one)"),
        Binding("delete", "delete", "Delete", tooltip="Delete the marked filters, or this one (asks first; no undelete)"),
        Binding("r", "refresh", "Refresh", tooltip="Read the filters again"),
    ]

    def make_board(self) -> FiltersBoard:
        return FiltersBoard(self.app.session)

    def _columns(self) -> list[Column[Filter]]:
        def board() -> FiltersBoard:
            return self.board

        def mark(saved: Filter) -> Cell:
            return ("✓", "today") if saved.id in board().marked else ("", "")

        def name(saved: Filter) -> Cell:
            pending = " …" if board().pending(saved.id) else ""
            return (saved.label + pending, "strong" if saved.type == "leads" else "")

        return [
            Column("", mark, width=1, priority=9),
            Column("Filter", name, share=4, min_width=14, priority=9),
            Column("Owner", lambda f: (self._owner(f), "dim"), share=2, min_width=10, priority=5),
            Column("Visible to", lambda f: (f.visibility, "dim"), share=2, min_width=9, priority=3),
        ]

    def compose(self) -> ComposeResult:
        yield AppHeader(id="header")
        with Horizontal(id="filters-body"):
            yield RowList[Filter](self._columns(), key=lambda f: f.id, id="filters-list")
            with VerticalScroll(id="filter-pane"):
                yield Static("", id="filter-detail", markup=False)
        yield Static("", id="filters-note", markup=False)
        yield KeyFooter()

    @property
    def filter_list(self) -> RowList[Filter]:
        return self.query_one("#filters-list", RowList)

    # -- lifecycle -----------------------------------------------------------------------------
    def on_mount(self) -> None:
        self._follow_board()
        self.filter_list.empty_text = "Loading filters…"
        self.filter_list.focus()
        self._show()
        self._load_when_connected()

    def on_resize(self) -> None:
        self.query_one("#filters-body").set_class(self.size.width >= WIDE, "-wide")

    # -- loading -------------------------------------------------------------------------------
    @work(exclusive=True, group="filters-load", exit_on_error=False)
    async def load(self) -> None:
        await self._read_board()

    @work(group="filter-detail", exit_on_error=False)
    async def read_detail(self, filter_id: str) -> None:
        try:
            await self.board.read_detail(filter_id)
        except BackendError as exc:
            self.notify(exc.user_message, title=failure_title(exc), severity="error", timeout=6)
        self._detail()
        self.app.update_gauge()

    # -- showing -------------------------------------------------------------------------------
    def _owner(self, saved: Filter) -> str:
        account = self.app.session.account
        if not saved.owner_id:
            return ""
        return account.user_name(saved.owner_id) if account is not None else saved.owner_id

    def _show(self) -> None:
        board = self.board
        sections = []
        for kind, title in FILTER_TYPE_TITLES.items():
            rows = [f for f in board.items if f.type == kind]
            if rows:
                sections.append((title, "today" if kind == "leads" else "dim", rows))
        others = [f for f in board.items if f.type not in FILTER_TYPE_TITLES]
        if others:
            sections.append(("Other", "dim", others))
        self.filter_list.set_rows(sections)
        if board.loaded and not board.items:
            self.filter_list.empty_text = "No saved filters (n: a new one)"
        elif self.load_error is not None and not board.items:
            self.filter_list.empty_text = "Filters not loaded (r retries)"
        count = f" · {len(board.items)}" if board.loaded else ""
        self.query_one(AppHeader).title = f"Filters{count}"
        marked = len(board.marked)
        note = "Enter shows a leads filter's leads on the inbox (1)"
        if marked:
            note = f"{marked} marked · Delete deletes them (asks first) · space unmarks"
        if self.load_error is not None:
            note = f"Not loaded (r retries): {self.load_error.user_message}"
        self.query_one("#filters-note", Static).update(note)
        self._detail()
        self.refresh_bindings()
        self.app.update_gauge()

    def _detail(self) -> None:
        pane = self.query_one("#filter-detail", Static)
        saved = self.filter_list.selected
        account = self.app.session.account
        if saved is None or account is None:
            pane.update("")
            return
        board = self.board
        visible = f" · visible to {saved.visibility}" if saved.visibility else ""
        owner = self._owner(saved)
        lines = [saved.label, f"{saved.type_title} filter" + (f" · by {owner}" if owner else "") + visible]
        if board.pending(saved.id):
            lines.append("Saving… (on its way to Pipedrive)")
        conditions = board.conditions_of(saved)
        if conditions is None:
            error = board.unread.get(saved.id)
            lines.append("")
            lines.append(f"Conditions not read: {error.user_message}" if error is not None else "Reading its conditions…")
            if board.needs_detail(saved) and self.load_error is None:
                self.read_detail(saved.id)
        else:
            words = ConditionWords(account, board.helpers)
            for title, rows in (("All of:", conditions.all_of), ("Any of:", conditions.any_of)):
                lines.append("")
                lines.append(title if rows else f"{title} (none)")
                lines += [f"  • {words.describe(c)}" for c in rows]
        if saved.type != "leads":
            lines += ["", f"{saved.type_title} filters are shown here only: Enter applies leads filters."]
        pane.update("\n".join(lines))

    @on(RowList.Highlighted)
    def _highlighted(self, event: RowList.Highlighted) -> None:
        event.stop()
        self._detail()

    # -- keys ----------------------------------------------------------------------------------
    def selected(self) -> Filter | None:
        saved = self.filter_list.selected
        if saved is None:
            self.notify("No filter selected", severity="warning", timeout=2)
        return saved

    @on(RowList.Selected)
    def _chosen(self, event: RowList.Selected) -> None:
        event.stop()
        self.action_apply()

    def action_apply(self) -> None:
        saved = self.selected()
        if saved is None:
            return
        if saved.type != "leads":
            self.notify(f"Only leads filters apply to the inbox (this one is of {saved.type_title.lower()})", severity="warning", timeout=4)
            return
        real = self.app.session.outbox.server_id(saved.id)
        if is_local_id(real) or self.board.pending(saved.id):
            self.notify("This filter is still on its way to Pipedrive: apply it once it is saved", severity="warning", timeout=4)
            return
        self._apply(SavedFilter(id=real, name=saved.name))

    @work(group="filters-apply", exit_on_error=False)
    async def _apply(self, chosen: SavedFilter) -> None:
        from crmtui.ui.screens.leads import LeadsScreen  # the inbox: imported when used, as the app does

        app = self.app
        app.session.leads.choose_filter(chosen)
        await app.switch_mode("leads")
        screen = app.screen
        if isinstance(screen, LeadsScreen):
            screen.load()
        app.notify(f"Filter: {chosen.name} (Esc on the inbox clears it)", timeout=4)

    def action_refresh(self) -> None:
        self.load()

    def action_mark(self) -> None:
        saved = self.selected()
        if saved is None:
            return
        self.board.toggle_mark(saved.id)
        self.filter_list.redraw()
        self._show()
        self.filter_list.action_cursor_down()

    def action_new(self) -> None:
        account = self.app.session.account
        if account is None:
            return

        def built(result: FilterBuilderResult | None) -> None:
            if result is not None:
                self._change("made", self.board.create(result.name, result.conditions), f"Filter “{result.name}” added")

        self.app.push_screen(FilterBuilderModal(account, self.board.helpers), built)

    def action_edit(self) -> None:
        saved = self.selected()
        account = self.app.session.account
        if saved is None or account is None:
            return
        if saved.type != "leads":
            self.notify(f"Only leads filters are edited here (this one is of {saved.type_title.lower()})", severity="warning", timeout=4)
            return
        conditions = self.board.conditions_of(saved)
        if conditions is None:
            self.notify("Its conditions are not read yet: a moment (r reads again)", severity="warning", timeout=4)
            return

        def built(result: FilterBuilderResult | None) -> None:
            if result is None:
                return
            self._change(
                "saved", self._edit(saved.id, result), f"Filter “{result.name}” saved",
            )

        self.app.push_screen(FilterBuilderModal(account, self.board.helpers, saved, conditions), built)

    async def _edit(self, filter_id: str, result: FilterBuilderResult) -> None:
        if await self.board.edit(filter_id, result.name, result.conditions) is None:
            raise CommandRefused("Nothing changed")

    def action_delete(self) -> None:
        board = self.board
        marked = [f for f in board.items if f.id in board.marked]
        if not marked:
            saved = self.selected()
            if saved is None:
                return
            marked = [saved]
        ids = [f.id for f in marked]
        if len(marked) == 1:
            title, message = "Delete filter?", f"Delete “{marked[0].label}”? {NO_UNDELETE}"
            done = f"Filter “{marked[0].label}” deleted"
        else:
            names = ", ".join(f"“{f.label}”" for f in marked[:5]) + (" …" if len(marked) > 5 else "")
            title, message = f"Delete {len(marked)} filters?", f"Delete {names}? {NO_UNDELETE}"
            done = f"{len(marked)} filters deleted"

        def answered(yes: bool | None) -> None:
            if yes:
                self._change("deleted", board.delete(ids), done)

        self.app.push_screen(ConfirmModal(title, message, confirm_label="Delete"), answered)

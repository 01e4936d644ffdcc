"""Top-level screen 3 on Pipedrive: goals. Each goal with its title, assignee, what it counts, its
interval and period, and its progress in that period as a bar with a pace tick (where it should be
by today): green when on track, red when behind.

`[`/`]` step every goal a period back or on (each in its own interval), `o` shows everyone's goals
or mine, `n` makes a goal, `e` edits the one under the cursor, `Delete` deletes it (asks first:
Pipedrive has no undelete), `t` shows the same as a table, `r` reads goals and progress again.
Offline, the last goals and progress known show (the cache keeps them).
"""

from __future__ import annotations


from rich.cells import cell_len
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from crmtui.backends.errors import BackendError
from crmtui.domain.goals import Goal, period_label
from crmtui.service.goals import GoalsBoard
from crmtui.ui.modals.goal_form import GoalFormModal, GoalFormResult
from crmtui.ui.modals.pickers import ConfirmModal
from crmtui.ui.screens.loading import BoardScreen
from crmtui.ui.widgets.footer import KeyFooter
from crmtui.ui.widgets.goal_bar import amount, goal_bar, outcome_text
from crmtui.ui.widgets.header import AppHeader
from crmtui.ui.widgets.row_list import Cell, Column, RowList, layout

MIN_BAR = 10
MAX_BAR = 60


class GoalList(OptionList):
    """The goals, two lines each; j/k move as in every list of the app."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "first", "First", show=False),
        Binding("G", "last", "Last", show=False),
    ]


def percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.0f}%"


class GoalsScreen(BoardScreen[GoalsBoard]):
    """Goals with their progress per period."""

    FOOTER_ORDER = ("step(-1)", "step(1)", "everyone", "new", "edit", "table", "refresh", "delete")
    CHANGES_GROUP = "goal-changes"
    BINDINGS = [
        Binding("left_square_bracket", "step(-1)", "Previous", key_display="[", tooltip="Every goal's previous period"),
        Binding("right_square_bracket", "step(1)", "Next", key_display="]", tooltip="Every goal's next period"),
        Binding("o", "everyone", "Everyone", tooltip="Everyone's goals / mine"),
        Binding("n", "new", "New", tooltip="A new goal"),
        Binding("e", "edit", "Edit", tooltip="Edit the goal's title, target, interval, start and end"),
        Binding("t", "table", "Table", tooltip="The goals as a table / as bars"),
        Binding("r", "refresh", "Refresh", tooltip="Read the goals and their progress again"),
        Binding("delete", "delete", "Delete", tooltip="Delete the goal (asks first; Pipedrive has no undelete)"),
        Binding("full_stop", "today", "Today", show=False, key_display=".", tooltip="Back to the periods holding today"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.table = False

    def make_board(self) -> GoalsBoard:
        return GoalsBoard(self.app.session)

    def compose(self) -> ComposeResult:
        yield AppHeader(id="header")
        yield Static("", id="goals-bar", markup=False)
        yield GoalList(id="goals-list")
        yield RowList[Goal](self._columns(), key=lambda goal: goal.id, id="goals-table")
        yield KeyFooter()

    @property
    def goal_list(self) -> GoalList:
        return self.query_one("#goals-list", GoalList)

    @property
    def goal_table(self) -> RowList[Goal]:
        return self.query_one("#goals-table", RowList)

    # -- lifecycle -----------------------------------------------------------------------------
    def on_mount(self) -> None:
        self._follow_board()
        self.goal_table.display = False
        self.goal_list.focus()
        self._load_when_connected()

    def on_resize(self) -> None:
        self._show()

    # -- loading -------------------------------------------------------------------------------
    @work(exclusive=True, group="goals-load", exit_on_error=False)
    async def load(self) -> None:
        self._say("Loading goals…")
        await self._read_board()

    @work(group="goals-progress", exit_on_error=False)  # never cancelled half-paid; reads never overlap (GoalsBoard)
    async def load_progress(self) -> None:
        try:
            await self.board.load_progress()
        except BackendError as exc:
            self._failed(exc)
            return
        self._show()

    # -- showing -------------------------------------------------------------------------------
    def _say(self, text: str) -> None:
        self.query_one("#goals-bar", Static).update(text)

    def _when(self) -> str:
        steps = self.board.steps
        if steps == 0:
            return "the periods holding today"  # the status line says it first: capitalised there
        way = "back" if steps < 0 else "ahead"
        return f"{abs(steps)} period{'s' if abs(steps) != 1 else ''} {way} (. back to today)"

    def _show(self) -> None:
        board = self.board
        whose = "Everyone's goals" if board.everyone else "My goals"
        self.query_one(AppHeader).title = whose + (f" · {len(board.items)}" if board.loaded else "")
        when = self._when()
        other = "mine" if board.everyone else "everyone's"
        status = f"{when[0].upper()}{when[1:]} · [ ] period · o {other} · t {'bars' if self.table else 'table'}"
        if self.load_error is not None:
            status = f"Not loaded (r retries): {self.load_error.user_message}"
        self._say(status)
        if self.table:
            self._show_table()
        else:
            self._show_bars()
        if board.loaded and board.missing() and self.load_error is None:
            self.load_progress()
        self.refresh_bindings()
        self.app.update_gauge()

    def _assignee(self, goal: Goal) -> str:
        account = self.app.session.account
        if goal.assignee_type == "company":
            return "Company"
        if goal.assignee_type == "team":
            return f"Team {goal.assignee_id}"
        return account.user_name(goal.assignee_id) if account is not None else goal.assignee_id

    def _status(self, goal: Goal) -> tuple[str, str]:
        """(what the progress says, its style) beside the bar."""
        board = self.board
        if board.period(goal) is None:
            return ("not running in this period", "$text-muted")
        error = board.error_of(goal)
        if error is not None:
            return (f"not loaded: {error.user_message}", "$error")
        track = board.on_track(goal)
        if track is None:
            return ("loading…" if self.load_error is None else "not loaded", "$text-muted")
        share = board.share(goal) or 0.0
        span, today = board.period(goal), board.today()
        if share >= 1:
            return ("reached", "bold $success")
        if span is not None and today < span.start:
            return ("not started", "$text-muted")
        if span is not None and today > span.end:
            return ("missed", "$error")
        return ("on track", "$success") if track else ("behind", "$error")

    def _option(self, goal: Goal, width: int, label_width: int, text_width: int) -> Content:
        board = self.board
        span = board.period(goal)
        period = period_label(span or board.calendar_period(goal), goal.interval)
        meta = f" · {self._assignee(goal)} · {goal.type_title.lower()} · {goal.interval}"
        saving = "  saving…" if board.pending(goal.id) else ""
        first = Content.assemble((goal.label, "bold"), (meta, "$text-muted"), (saving, "italic $warning"))  # plain text: never markup
        share, pace = board.share(goal), board.pace(goal)
        status, style = self._status(goal)
        outcome = outcome_text(goal, share)
        after = f" {outcome}" + (f" · pace {percent(pace)}" if span is not None else "")
        bar_width = max(MIN_BAR, min(MAX_BAR, width - 2 - label_width - 1 - 2 - text_width))
        second = Content.assemble(
            "  ", (period.ljust(label_width), "$text-muted"), " ",
            goal_bar(share if span is not None else None, pace, bar_width, board.on_track(goal)),
            after, " · ", (status, style),
        )
        return Content.assemble(first.truncate(width, ellipsis=True), "\n", second.truncate(width, ellipsis=True), "\n")

    def _show_bars(self) -> None:
        board = self.board
        lst = self.goal_list
        lst.display = True
        self.goal_table.display = False
        width = max((lst.scrollable_content_region.width or self.size.width) - 1, 40)
        items = board.items
        labels = [period_label(board.period(g) or board.calendar_period(g), g.interval) for g in items]
        label_width = max((cell_len(text) for text in labels), default=8)
        texts = [f" {outcome_text(g, board.share(g))} · pace 100% · " for g in items]
        text_width = max((cell_len(t) for t in texts), default=20) + 8
        highlighted = lst.highlighted
        current = lst.get_option_at_index(highlighted).id if highlighted is not None and highlighted < lst.option_count else None
        lst.clear_options()
        if not items:
            if board.loaded:
                empty = "No active goals of everyone's" if board.everyone else "No goals of yours (o: everyone's; n: a new one)"
            else:
                empty = "Loading goals…" if self.load_error is None else "Goals not loaded (r retries)"
            lst.add_option(Option(Content.styled(empty, "italic $text-muted"), disabled=True))
            return
        lst.add_options([Option(self._option(g, width, label_width, text_width), id=g.id) for g in items])
        ids = [g.id for g in items]
        if current is not None:
            real = self.app.session.outbox.server_id(current)
            for key in (current, real):
                if key in ids:
                    lst.highlighted = ids.index(key)
                    break
            else:
                lst.highlighted = min(highlighted or 0, len(ids) - 1)
        else:
            lst.highlighted = 0

    def _columns(self) -> list[Column[Goal]]:
        def board() -> GoalsBoard:
            return self.board

        def period(goal: Goal) -> Cell:
            span = board().period(goal)
            return (period_label(span or board().calendar_period(goal), goal.interval), "" if span else "dim")

        def progress(goal: Goal) -> Cell:
            found = board().progress_of(goal)
            return (amount(found.progress) if found is not None else "", "")

        def share(goal: Goal) -> Cell:
            track = board().on_track(goal)
            role = "dim" if track is None else "today" if track else "urgent"
            return (percent(board().share(goal)), role)

        return [
            Column("Goal", lambda g: (g.label, "strong"), share=4, min_width=14, priority=9),
            Column("For", lambda g: (self._assignee(g), "dim"), share=2, min_width=8, priority=3),
            Column("Interval", lambda g: (g.interval, "dim"), width=9, priority=2),
            Column("Period", period, width=16, priority=8),
            Column("Progress", progress, width=9, right=True, priority=7),
            Column("Target", lambda g: (amount(g.target), ""), width=9, right=True, priority=7),
            Column("Share", share, width=6, right=True, priority=8),
            Column("Pace", lambda g: (percent(board().pace(g)), "dim"), width=5, right=True, priority=6),
        ]

    def _show_table(self) -> None:
        board = self.board
        table = self.goal_table
        self.goal_list.display = False
        table.display = True
        width = max(table.scrollable_content_region.width or self.size.width, 40)
        shown = layout(table.columns, width)
        # The section line starts a cell in: the first title one cell shorter keeps the others over their columns.
        titles = " ".join(
            column.title.rjust(size) if column.right else column.title.ljust(size - (i == 0))
            for i, (column, size) in enumerate(shown)
        )
        table.set_rows([(titles.rstrip(), "", board.items)])
        if board.loaded and not board.items:
            table.empty_text = "No goals"
        table.redraw()

    # -- keys ----------------------------------------------------------------------------------
    def selected(self) -> Goal | None:
        if self.table:
            goal = self.goal_table.selected
        else:
            lst = self.goal_list
            index = lst.highlighted
            option = lst.get_option_at_index(index) if index is not None and index < lst.option_count else None
            goal = self.board.find(option.id) if option is not None and option.id else None
        if goal is None:
            self.notify("No goal selected", severity="warning", timeout=2)
        return goal

    def action_step(self, steps: int) -> None:
        self.board.step(steps)

    def action_today(self) -> None:
        self.board.to_today()

    def action_everyone(self) -> None:
        self.board.everyone = not self.board.everyone
        self.board.items = []
        self.board.loaded = False
        self.load()

    def action_table(self) -> None:
        self.table = not self.table
        self._show()
        (self.goal_table if self.table else self.goal_list).focus()

    def action_refresh(self) -> None:
        self.load()

    def action_new(self) -> None:
        account = self.app.session.account
        if account is None:
            return

        def chosen(result: GoalFormResult | None) -> None:
            if result is not None:
                title = result.draft.title or result.draft.type
                self._change("made", self.board.create(result.draft), f"Goal “{title}” added")

        self.app.push_screen(GoalFormModal(account, self.board.today()), chosen)

    def action_edit(self) -> None:
        goal = self.selected()
        account = self.app.session.account
        if goal is None or account is None:
            return

        def chosen(result: GoalFormResult | None) -> None:
            if result is not None and result.changes:
                self._change("saved", self.board.edit(goal.id, **result.changes), f"Goal “{goal.label}” saved")

        self.app.push_screen(GoalFormModal(account, self.board.today(), goal), chosen)

    def action_delete(self) -> None:
        goal = self.selected()
        if goal is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._change("deleted", self.board.delete(goal.id), f"Goal “{goal.label}” deleted")

        self.app.push_screen(
            ConfirmModal(
                "Delete goal?", f"Delete “{goal.label}”? Pipedrive cannot undo this: a deleted goal cannot be brought back.",
                confirm_label="Delete",
            ),
            answered,
        )

    @on(OptionList.OptionSelected, "#goals-list")
    def _opened(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_edit()

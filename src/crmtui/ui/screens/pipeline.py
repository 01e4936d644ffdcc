"""Top-level screen 3: the deal pipeline board.

One column per stage of the pipeline (with its probability), then won (when the pipeline has a
won column) and lost. Won and lost show deals closed in the last CLOSED_DAYS days, most recent
first, so the board stays about what is in play; `c` shows every closed deal, and the column's
sums say how many older ones are left out. Moves are optimistic: the card moves at once, the
server call runs in a worker, and a refusal puts the card back with the server's message.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from crmtui.backends.errors import BackendError
from crmtui.service.pipeline import PipelineService
from crmtui.service.pipeline_board import CLOSED_DAYS, Board
from crmtui.ui.modals.deal_choice import DealChoiceModal
from crmtui.ui.follow import FollowsServices, follow
from crmtui.ui.screens.pipeline_changes import DealChangesMixin
from crmtui.ui.reconnect import load_failed, reload_when_online
from crmtui.ui.widgets.footer import KeyFooter
from crmtui.ui.widgets.header import AppHeader
from crmtui.ui.widgets.pipeline_board import PipelineBoard
from crmtui.ui.widgets.pipeline_bar import pipeline_bar

EVERYONE = "*"
STALE_SECONDS = 60.0
"""Coming back to the board (from another screen) reloads its deals when they are older than this."""
MOVE = Binding.Group("Move")


class PipelineScreen(FollowsServices, DealChangesMixin):
    """Deals of one pipeline as a board; every key acts on the selected card."""

    FOOTER_ORDER = (
        "move(-1)", "won", "lost", "edit", "open_contact", "undo", "owner", "clear_owner", "pick_pipeline", "cycle(1)",
        "cycle(-1)", "toggle_closed", "find", "refresh",
    )
    BINDINGS = [
        Binding(
            "H,shift+left", "move(-1)", "Move", key_display="H", group=MOVE,
            tooltip="Move the deal a stage back (reopens a won or lost deal)",
        ),
        Binding(
            "L,shift+right", "move(1)", "Move", key_display="L", group=MOVE,
            tooltip="Move the deal a stage on (from the last stage: won?)",
        ),
        Binding("w", "won", "Won", tooltip="Mark the deal won (asks first)"),
        Binding("u", "undo", "Undo", show=False, tooltip="Undo the last change on the board"),
        Binding("x", "lost", "Lost", tooltip="Mark the deal lost (asks first)"),
        Binding("e", "edit", "Edit", tooltip="Edit name, amount, months, close date, stage"),
        Binding("enter", "open_contact", "Contact", tooltip="Open the deal's contact"),
        Binding("o", "owner", "Owner", tooltip="Show one person's deals, or everyone's"),
        Binding("p", "pick_pipeline", "Pipeline", tooltip="Pick another pipeline"),
        Binding("]", "cycle(1)", "Next pipeline", show=False),
        Binding("[", "cycle(-1)", "Previous pipeline", show=False),
        Binding("c", "toggle_closed", "Closed", show=False, tooltip=f"Won and lost: last {CLOSED_DAYS} days, or all"),
        Binding("r", "refresh", "Refresh", show=False),
        # The bar says whose deals show; in the footer it would push "q Quit" off 80 columns.
        Binding("escape", "clear_owner", "Everyone", show=False, tooltip="Clear the owner filter (everyone's deals)"),
        Binding("h,left", "column(-1)", "Column left", show=False),
        Binding("l,right", "column(1)", "Column right", show=False),
        Binding("k,up", "row(-1)", "Card up", show=False),
        Binding("j,down", "row(1)", "Card down", show=False),
        Binding("g,home", "row(-100000)", "First card", show=False),
        Binding("G,end", "row(100000)", "Last card", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.service: PipelineService | None = None
        self.pipeline_id: str | None = None
        self.owner_id: str | None = None
        self.show_all_closed = False
        self.load_error: BackendError | None = None
        """Why the last load failed (None: it did not): loaded again once the connection is back."""
        self.loading_text = ""
        """What the bar says while deals load ("" when they are not). Not `loading`: that is Textual's
        own reactive, which would cover the whole screen (header, footer, keys) with a spinner."""
        self.loaded_at: float | None = None
        """time.monotonic() of the last complete load of the shown pipeline's deals."""
        self._unsubscribe: Callable[[], None] | None = None

    def compose(self) -> ComposeResult:
        yield AppHeader(id="header")
        yield Static("", id="pipeline-bar", markup=False)
        yield PipelineBoard(id="pipeline-board")
        yield KeyFooter()

    # -- lifecycle -----------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.service = PipelineService(self.session)
        self._unsubscribe = follow(self, self.service.changes, lambda _deals: self._show())
        self.query_one("#header", AppHeader).title = "Pipeline"
        self.board.focus()
        reload_when_online(self, lambda: self.load_error is not None, self.load)
        if self.session.account is not None:
            self.load()
        else:  # opened before the app finished connecting
            self.watch(self.app, "account_label", self._connected, init=False)

    def _connected(self, label: str) -> None:
        if label and self.service is not None and not self.service.pipelines:
            self.load()

    def on_screen_resume(self) -> None:
        stale = self.loaded_at is not None and time.monotonic() - self.loaded_at > STALE_SECONDS
        if stale and self.pipeline_id is not None:
            self.load(self.pipeline_id, pipelines=False)  # the selection stays on its deal

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self.service is not None:
            self.service.detach()

    def on_resize(self) -> None:
        self._show_bar()

    # -- loading -------------------------------------------------------------------------------
    def _progress(self, done: int, total: int) -> None:
        self.loading_text = f"Loading deals… {done:,} / {total:,}" if total else "Loading deals…"
        self.board.empty_text = self.loading_text
        self._show_bar()

    @work(exclusive=True, group="pipeline-load", exit_on_error=False)
    async def load(self, pipeline_id: str | None = None, *, pipelines: bool = True) -> None:
        """(Re)load the pipelines, then every deal of the one shown (all pages)."""
        service = self.service
        assert service is not None
        self._progress(0, 0)
        try:
            if pipelines or not service.pipelines:
                await service.load_pipelines()
            if not service.pipelines:
                self.loading_text = ""
                self.board.empty_text = "This account has no pipelines"
                self._show_bar()
                return
            wanted = pipeline_id or self.pipeline_id
            chosen = service.pipeline(wanted) or next((p for p in service.pipelines if p.default), service.pipelines[0])
            self.pipeline_id = chosen.id
            self._show()  # a pipeline seen before shows at once while it reloads
            await service.load_deals(chosen.id, on_progress=self._progress)
        except BackendError as exc:
            self.load_error = exc
            load_failed(self, [exc])
            self.loading_text = ""
            self.board.empty_text = f"Could not load deals: {exc.user_message} (r retries)"
            self._show_bar()
            self.notify(exc.user_message, title="Loading deals failed", severity="error", timeout=8)
            return
        self.load_error = None
        self.loading_text = ""
        self.loaded_at = time.monotonic()
        self._show()

    # -- drawing -------------------------------------------------------------------------------
    def current_board(self) -> Board | None:
        service = self.service
        if service is None or self.pipeline_id is None or not service.loaded(self.pipeline_id):
            return None
        since = None if self.show_all_closed else service.today() - dt.timedelta(days=CLOSED_DAYS)
        return service.board(self.pipeline_id, owner_id=self.owner_id, closed_since=since)

    def _show(self) -> None:
        board = self.current_board()
        if board is not None:
            days = None if self.show_all_closed else CLOSED_DAYS
            self.board.set_board(board, self.session.account, self.session.today(), closed_days=days)
        elif self.board.board is not None and self.board.board.pipeline.id != self.pipeline_id:
            self.board.clear()  # another pipeline's deals are on their way
        self._show_bar()

    def _show_bar(self) -> None:
        service = self.service
        pipeline = service.pipeline(self.pipeline_id) if service is not None else None
        header = self.query_one("#header", AppHeader)
        header.title = f"Pipeline · {pipeline.name}" if pipeline is not None else "Pipeline"
        account = self.session.account
        owner = account.user_name(self.owner_id) if account is not None and self.owner_id else ""
        bar = self.query_one("#pipeline-bar", Static)
        bar.update(
            pipeline_bar(
                service.pipelines if service is not None else [],
                pipeline,
                self.board.board if self.board.board is not None and pipeline is not None else None,
                owner=owner,
                loading=self.loading_text,
                symbol=account.currency_symbol if account is not None else "$",
                closed_days=None if self.show_all_closed else CLOSED_DAYS,
                width=max(self.size.width, 20),
            )
        )
        self.refresh_bindings()

    # -- navigation ----------------------------------------------------------------------------
    def action_column(self, step: int) -> None:
        self.board.move_column(step)

    def action_row(self, step: int) -> None:
        self.board.move_row(step)

    def action_page(self, direction: int) -> None:
        self.board.page(direction)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear_owner":
            return self.owner_id is not None
        if action in ("pick_pipeline", "cycle"):
            return self.service is not None and len(self.service.pipelines) > 1
        return True

    # -- filters and pipelines -----------------------------------------------------------------
    def action_owner(self) -> None:
        account = self.session.account
        if account is None:
            return
        choices = [(EVERYONE, "Everyone")]
        for user in [account.user, *account.team]:
            if all(key != user.id for key, _ in choices):
                choices.append((user.id, user.name + ("  (me)" if user.id == account.user.id else "")))

        def picked(key: str | None) -> None:
            if key is not None:
                self.owner_id = None if key == EVERYONE else key
                self._show()

        self.app.push_screen(DealChoiceModal("Show the deals of", choices, current=self.owner_id or EVERYONE), picked)

    def action_clear_owner(self) -> None:
        if self.owner_id is not None:
            self.owner_id = None
            self._show()

    def action_pick_pipeline(self) -> None:
        service = self.service
        if service is None or not service.pipelines:
            return
        choices = [(p.id, p.name) for p in service.pipelines]

        def picked(key: str | None) -> None:
            if key is not None and key != self.pipeline_id:
                self.switch_pipeline(key)

        self.app.push_screen(DealChoiceModal("Pipeline", choices, current=self.pipeline_id), picked)

    def action_cycle(self, step: int) -> None:
        service = self.service
        if service is None or len(service.pipelines) < 2:
            return
        ids = [p.id for p in service.pipelines]
        index = ids.index(self.pipeline_id) if self.pipeline_id in ids else 0
        self.switch_pipeline(ids[(index + step) % len(ids)])

    def switch_pipeline(self, pipeline_id: str) -> None:
        self.pipeline_id = pipeline_id
        self._show()
        self.load(pipeline_id, pipelines=False)

    def action_toggle_closed(self) -> None:
        self.show_all_closed = not self.show_all_closed
        self._show()
        recent = f"Won and lost: closed in the last {CLOSED_DAYS} days"
        self.notify("Won and lost: every closed deal" if self.show_all_closed else recent, timeout=3)

    def action_refresh(self) -> None:
        self.load()

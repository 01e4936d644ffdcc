"""The crmtui Textual app: modes for top-level screens, header state, loading and refresh."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import Screen

from crmtui.backends.base import Backend
from crmtui.backends.errors import BackendError
from crmtui.domain.capabilities import Capability
from crmtui.service import Session
from crmtui.ui.commands import CrmCommands
from crmtui.ui.modals.next_action import NextActionModal
from crmtui.ui.modals.pickers import ConfirmModal, TeamPickerModal
from crmtui.ui.screens.connection_error import ConnectionErrorScreen
from crmtui.ui.screens.help import HelpScreen, HelpSections, binding_rows
from crmtui.ui.screens.contact import ContactDetailScreen
from crmtui.ui.screens.notifications import NotificationsScreen
from crmtui.ui.screens.pipeline import PipelineScreen
from crmtui.ui.screens.stream import ActionStreamScreen
from crmtui.ui.screens.team import TeamStreamScreen
from crmtui.ui.styles import stylesheets
from crmtui.ui.widgets.stream_list import StreamList

Clock = Callable[[], dt.datetime]



@dataclass(frozen=True)
class TopLevel:
    """A top-level screen: its mode name, number key, title, class and the capability it needs."""

    mode: str
    key: str
    title: str
    screen: type[Screen]
    needs: Capability


# Fixed numbers, so muscle memory holds across backends; a screen the backend cannot feed is left out.
TOP_LEVEL: tuple[TopLevel, ...] = (
    TopLevel("stream", "1", "Action stream", ActionStreamScreen, Capability.ACTION_STREAM),
    TopLevel("team", "2", "Team stream", TeamStreamScreen, Capability.TEAM_STREAM),
    TopLevel("pipeline", "3", "Pipeline", PipelineScreen, Capability.PIPELINES),
    TopLevel("notifications", "4", "Notifications", NotificationsScreen, Capability.NOTIFICATIONS),
)


class CrmApp(App[int]):
    """Keyboard-driven CRM client over one backend."""

    TITLE = "crmtui"
    CSS_PATH = stylesheets()
    COMMANDS = App.COMMANDS | {CrmCommands}
    BINDINGS = [
        *(Binding(top.key, f"go('{top.mode}')", top.title, show=False) for top in TOP_LEVEL),
        Binding("question_mark", "help", "Help"),
        Binding("t", "change_theme", "Theme", show=False),
        Binding("ctrl+p", "command_palette", "Commands", show=False),
        Binding("q", "quit", "Quit"),
    ]

    account_label: reactive[str] = reactive("")
    """Signed-in user's name, shown in the header."""
    sync_status: reactive[str] = reactive("connecting…")
    """"loading 200/900", "updated 12s ago"."""
    sync_error: reactive[str] = reactive("")
    """The last sync failure, shown in red until the next successful refresh."""
    load_progress: reactive[tuple[int, int]] = reactive((0, 0))
    """(fetched, total) while the stream loads; the stream screen shows it while empty."""
    pending_changes: reactive[int] = reactive(0)
    """Changes shown on screen whose server call has not finished yet ("saving…" in the header)."""
    unread_count: reactive[int] = reactive(0)
    """Unread notifications, polled with every refresh (and set by the notifications screen)."""
    unread_seconds: float = 30
    """How often the unread count is polled on its own, so it stays current when refresh is off or slow."""
    _unread_sets = 0

    def __init__(
        self,
        backend: Backend,
        *,
        theme: str | None = None,
        on_theme_change: Callable[[str], None] | None = None,
        refresh_seconds: float = 60,
        clock: Clock | None = None,
        cursor_blink: bool = True,
    ) -> None:
        super().__init__()
        self.cursor_blink = cursor_blink
        self.clock: Clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self.session = Session(backend, clock=self.clock)
        self.refresh_seconds = refresh_seconds
        self._on_theme_change = on_theme_change
        self._initial_theme = theme
        self.last_synced: dt.datetime | None = None
        self.connected = False
        self._loading = False
        capabilities = getattr(backend, "capabilities", frozenset())
        self.top_level = [top for top in TOP_LEVEL if top.needs in capabilities]
        """The top-level screens this backend supports, in key order."""
        self.mode_titles = {top.mode: top.title for top in self.top_level}
        for top in self.top_level:
            self.add_mode(top.mode, top.screen)

    # -- startup -------------------------------------------------------------------------------
    def on_mount(self) -> None:
        if self._initial_theme and self._initial_theme in self.available_themes:
            self.theme = self._initial_theme
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self.switch_mode(self.top_level[0].mode)
        self.set_interval(1, self._tick)
        if self.refresh_seconds and self.refresh_seconds > 0:
            self.set_interval(self.refresh_seconds, self._periodic_refresh)
        if self.unread_seconds and self.unread_seconds > 0:
            self.set_interval(self.unread_seconds, self._periodic_unread)
        self.load_stream(initial=True)

    def _theme_changed(self, theme) -> None:
        if self._on_theme_change is not None:
            self._on_theme_change(theme.name)

    # -- navigation ----------------------------------------------------------------------------
    def action_go(self, mode: str) -> None:
        """Number keys: switch to a top-level screen (a screen the backend lacks says so)."""
        if mode not in self.mode_titles:
            self.notify("This CRM has no such screen", severity="warning", timeout=3)
            return
        if self.current_mode != mode:
            self.switch_mode(mode)

    def open_contact(self, contact_id: str) -> None:
        """Enter on a contact anywhere: its detail screen; Esc comes back to where it was opened."""
        self.push_screen(ContactDetailScreen(contact_id))

    def set_unread(self, count: int) -> None:
        """Hook for the notifications screen: the header shows this count."""
        self._unread_sets += 1  # a poll already on its way predates this: it must not undo it
        self.unread_count = count

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Show a toast; its text is always plain.

        Messages carry contact names, action texts and server messages: read as markup, "[draft]"
        vanished and a stray "[/x]" raised MarkupError while drawing the toast, ending the app.
        Screens' notify passes markup=True by default, so the flag is ignored here.
        """
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    # -- loading -------------------------------------------------------------------------------
    def _progress(self, done: int, total: int) -> None:
        self.sync_status = f"loading {done:,}/{total:,}" if total else "loading…"
        self.load_progress = (done, total)

    @work(exclusive=True, group="load", exit_on_error=False)
    async def load_stream(self, *, initial: bool = False) -> None:
        """Connect if needed, then (re)load the stream. Keeps the cursor on the same contact."""
        session = self.session
        self.sync_status = "connecting…" if session.account is None else "refreshing…"
        self._loading = True
        try:
            if session.account is None:
                account = await session.connect()
                self.account_label = account.label
            await session.load_stream(on_progress=self._progress)
        except BackendError as exc:
            self._loading = False
            self._sync_failed(exc, initial=not self.connected)
            return
        self._loading = False
        self.connected = True
        self.sync_error = ""
        self.last_synced = self.clock()
        self._tick()
        self.poll_unread()
        if isinstance(self.screen, ConnectionErrorScreen):
            self.pop_screen()

    @work(exclusive=True, group="unread", exit_on_error=False)
    async def poll_unread(self) -> None:
        """Keep the header's unread count current (after every successful refresh and every `unread_seconds`)."""
        sets = self._unread_sets
        try:
            count = await self.session.unread_notifications()
            if sets == self._unread_sets and not self.pending_changes:
                self.unread_count = count  # else it may predate a change shown already; the next poll tells
        except BackendError:
            pass  # the header keeps the last count; a failing server already shows as a sync error

    def _sync_failed(self, exc: BackendError, *, initial: bool) -> None:
        if initial:
            self.sync_status = "not connected"
            if isinstance(self.screen, ConnectionErrorScreen):
                self.screen.show_error(exc)
            else:
                self.push_screen(ConnectionErrorScreen(exc))
            return
        self.sync_error = exc.user_message
        self.notify(exc.user_message, title="Refresh failed", severity="error", timeout=6)

    def refresh_stream(self) -> None:
        self.load_stream(initial=not self.connected)

    def action_retry_connect(self) -> None:
        self.load_stream(initial=True)

    def _periodic_refresh(self) -> None:
        if self.connected:
            self.load_stream()

    def _periodic_unread(self) -> None:
        if self.connected:
            self.poll_unread()

    def _tick(self) -> None:
        if self.last_synced is None or self._loading:
            return
        seconds = max(int((self.clock() - self.last_synced).total_seconds()), 0)
        if seconds < 60:
            ago = f"{seconds}s"
        elif seconds < 3600:
            ago = f"{seconds // 60}m"
        else:
            ago = f"{seconds // 3600}h"
        self.sync_status = f"updated {ago} ago"

    # -- help ----------------------------------------------------------------------------------
    def help_sections(self) -> HelpSections:
        screens = [(top.title, binding_rows(top.screen.BINDINGS)) for top in self.top_level]
        numbers = {top.key for top in TOP_LEVEL}
        everywhere = [(top.key, top.title) for top in self.top_level]
        everywhere += [row for row in binding_rows(type(self).BINDINGS) if row[0] not in numbers]
        return [
            ("Everywhere", everywhere),
            *screens,
            ("Contact detail", binding_rows(ContactDetailScreen.BINDINGS)),
            ("Moving in the list", binding_rows(StreamList.BINDINGS)),
            ("Filter (/)", [("type", "narrow the list as you type"), ("Enter", "also search the server"), ("Esc", "clear the filter")]),
            ("Next-action modal", binding_rows(NextActionModal.BINDINGS) + [("Enter", "save (due today unless set)"), ("Tab", "next field")]),
            ("Pickers and confirmations", binding_rows(TeamPickerModal.BINDINGS) + binding_rows(ConfirmModal.BINDINGS)),
            ("Connection error", binding_rows(ConnectionErrorScreen.BINDINGS)),
        ]

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.help_sections()))

    async def action_quit(self) -> None:
        self.exit(0)

    async def on_unmount(self) -> None:
        try:
            await self.session.close()
        except Exception:  # closing must never turn a clean exit into a traceback
            pass


def run_app(
    backend: Backend,
    *,
    theme: str | None = None,
    on_theme_change: Callable[[str], None] | None = None,
    refresh_seconds: float = 60,
    clock: Clock | None = None,
) -> int:
    """Run the UI until the user quits; returns the exit code (1, with one line on stderr, after a bug)."""
    from crmtui.ui.crash import run_guarded

    app = CrmApp(backend, theme=theme, on_theme_change=on_theme_change, refresh_seconds=refresh_seconds, clock=clock)
    return run_guarded(app)

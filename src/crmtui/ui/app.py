"""The crmtui Textual app: modes for top-level screens, header state, loading and refresh."""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import RenderableType
from textual import events, work
from textual._compositor import LayoutUpdate
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.driver import Driver
from textual.filter import LineFilter
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import AwaitMount
from textual.theme import Theme

from crmtui.backends.errors import BackendError, Offline, TooSlow
from crmtui.domain.capabilities import Capability
from crmtui.domain.formatting import contact_name
from crmtui.domain.text import inert_line, inert_text
from crmtui.service.commands import is_local_id
from crmtui.service.heap import resume_collector
from crmtui.service.outbox import CONFLICT, FAILED, PAUSED, RETRYING, SENT, OutboxEvent
from crmtui.service.notification_commands import NOTIFICATIONS
from crmtui.store.db import StoreUnavailable
from crmtui.ui.follow import OutboxHeard
from crmtui.ui.failures import failure_title, refresh_failure
from crmtui.ui.inert import DropControlCharacters
from crmtui.ui.key_order import KeyOrder
from crmtui.ui.styles import ParsedOnce, first_stylesheets, stylesheets

if TYPE_CHECKING:
    from crmtui.service.directory import ContactDirectory
    from textual.command import Provider

    from crmtui.domain.models import Account
    from crmtui.service.session import Session

    from crmtui.ui.screens.help import HelpSections

# What the first paint does not need (the help, the dialogs, the palette's commands, the connection
# error screen) is imported where it is first used: a start shows the cached rows sooner.

Clock = Callable[[], dt.datetime]
FIRST_ROWS = 200
"""Rows of the cached stream read before the first paint (more than a tall terminal shows)."""
RECONNECT_SECONDS = 5.0
"""While offline, how often the app tries the server (a stream refresh) to notice it is back."""



@dataclass(frozen=True)
class TopLevel:
    """A top-level screen: its mode name, number key, title, class and the capability it needs.

    The class is named ("module:Class") and imported the first time it is needed, so a start pays
    only for the action stream's code; the others load when their key is first pressed.
    """

    mode: str
    key: str
    title: str
    path: str
    needs: Capability | None
    """The capability the backend must have (None: every backend)."""

    @property
    def screen(self) -> type[Screen[None]]:
        module, _, name = self.path.partition(":")
        screen: type[Screen[None]] = getattr(importlib.import_module(module), name)
        return screen

    def make(self) -> Screen[None]:
        return self.screen()


# Fixed numbers, so muscle memory holds across backends; a screen the backend cannot feed is left out.
TOP_LEVEL: tuple[TopLevel, ...] = (
    TopLevel("stream", "1", "Action stream", "crmtui.ui.screens.stream:ActionStreamScreen", Capability.ACTION_STREAM),
    TopLevel("leads", "1", "Leads", "crmtui.ui.screens.leads:LeadsScreen", Capability.LEADS),
    TopLevel("records", "1", "Records", "crmtui.ui.screens.records:RecordsScreen", Capability.RECORDS),
    TopLevel("team", "2", "Team stream", "crmtui.ui.screens.team:TeamStreamScreen", Capability.TEAM_STREAM),
    TopLevel("teams", "2", "Teams", "crmtui.ui.screens.teams:TeamsScreen", Capability.TEAMS),
    TopLevel("modules", "2", "Modules", "crmtui.ui.screens.modules:ModulesScreen", Capability.MODULES),
    TopLevel("pipeline", "3", "Pipeline", "crmtui.ui.screens.pipeline:PipelineScreen", Capability.PIPELINES),
    TopLevel("goals", "3", "Goals", "crmtui.ui.screens.goals:GoalsScreen", Capability.GOALS),
    TopLevel("charts", "3", "Charts", "crmtui.ui.screens.charts:ChartsScreen", Capability.CHARTS),
    TopLevel(
        "notifications", "4", "Notifications", "crmtui.ui.screens.notifications:NotificationsScreen",
        Capability.NOTIFICATIONS,
    ),
    TopLevel("files", "4", "Files", "crmtui.ui.screens.files:FilesScreen", Capability.FILES),
    TopLevel("pages", "4", "Pages", "crmtui.ui.screens.pages:PagesScreen", Capability.PAGES),
    TopLevel("changes", "5", "Pending changes", "crmtui.ui.screens.changes:ChangesScreen", None),
    TopLevel("search", "6", "Search", "crmtui.ui.screens.search:SearchScreen", Capability.SEARCH),
    TopLevel("jobs", "6", "Workflows and jobs", "crmtui.ui.screens.jobs:JobsScreen", Capability.JOBS),
    TopLevel("filters", "7", "Filters", "crmtui.ui.screens.filters:FiltersScreen", Capability.SAVED_FILTERS),
)


UNSCREENED = frozenset({Capability.MODULES})
"""Capabilities a backend may serve that have a screen only on some backends: at start the app says which have none there (none today: Crust's modules have screen 2)."""


def crm_commands() -> type[Provider]:
    """The palette's commands (Textual takes a callable in COMMANDS: imported when the palette opens)."""
    from crmtui.ui.commands import CrmCommands

    return CrmCommands


def contact_commands() -> type[Provider]:
    from crmtui.ui.commands import ContactCommands

    return ContactCommands


def connection_error_screen() -> type[Screen[None]]:
    from crmtui.ui.screens.connection_error import ConnectionErrorScreen

    return ConnectionErrorScreen


def contact_screen() -> type[Screen[None]]:
    from crmtui.ui.screens.contact import ContactDetailScreen

    return ContactDetailScreen


def sync_age(seconds: int) -> str:
    """How long ago the last sync was, in words that change at most once a minute: the header is
    repainted only when its text changes, and over SSH a clock ticking seconds costs bytes every second."""
    if seconds < 60:
        return "updated just now"
    if seconds < 3600:
        return f"updated {seconds // 60}m ago"
    return f"updated {seconds // 3600}h ago"


class CrmApp(App[int]):
    """Keyboard-driven CRM client over one backend."""

    _directory: ContactDirectory | None = None
    """The directory of every contact, once its reading started (`_sync_directory`)."""

    TITLE = "crmtui"
    COMMANDS = App.COMMANDS | {crm_commands, contact_commands}
    BINDINGS = [
        *(Binding(top.key, f"go('{top.mode}')", top.title, show=False) for top in TOP_LEVEL),
        Binding("question_mark", "help", "Help"),
        Binding("t", "change_theme", "Theme", show=False),
        Binding("f", "find", "Find", show=False, tooltip="Find any contact of the account"),
        Binding("ctrl+p", "command_palette", "Commands", show=False),
        Binding("q", "quit", "Quit"),
    ]

    # repaint=False: the header and the screens that show these watch them and repaint what they draw;
    # Textual's default repaints the whole screen on any change (~17 KB over SSH for a gauge tick).
    account_label: reactive[str] = reactive("", repaint=False)
    """Signed-in user's name, shown in the header."""
    sync_status: reactive[str] = reactive("connecting…", repaint=False)
    """"loading 200/900", "updated just now", "updated 3m ago"."""
    sync_error: reactive[str] = reactive("", repaint=False)
    """The last sync failure, shown in red until the next successful refresh."""
    load_progress: reactive[tuple[int, int]] = reactive((0, 0), repaint=False)
    """(fetched, total) while the stream loads; the stream screen shows it while empty."""
    pending_changes: reactive[int] = reactive(0, repaint=False)
    """Changes shown as made that the server has not confirmed yet ("saving…" in the header)."""
    review_changes: reactive[int] = reactive(0, repaint=False)
    """Changes the server refused or that clash with a change made there (screen 5)."""
    offline_since: reactive[dt.datetime | None] = reactive(None, repaint=False)
    """When the server stopped answering (None: it answers)."""
    _answered_once = False
    """Whether the server has answered in this run (the first answer sends what waits at once)."""
    rate_gauge: reactive[str] = reactive("", repaint=False)
    """The API budget and rate window, for backends that have them ("API 1,240/30,000 · 3/20 per 2s")."""
    unread_count: reactive[int | None] = reactive(None, repaint=False)
    """Unread notifications, polled with every refresh (and set by the notifications screen); None
    until the server has told (the header shows "?", never a 0 nobody counted)."""
    unread_seconds: float = 30
    """How often the unread count is polled on its own, so it stays current when refresh is off or slow."""
    _unread_sets = 0
    _reconnect_tried = 0.0
    _rest_of_stream: Account | None = None
    """The account whose cached stream was painted only in part (its first screenful) at the start."""
    _first_screen: AwaitMount | None = None
    """The start's first screen being mounted (until a wait for its first frame has seen it mounted)."""
    _first_switch = False
    """The start's switch to its first screen is under way (`delay_update`)."""
    _after_first_frame: list[Callable[[], None]] | None
    """What waits for the start's first frame (None once it is drawn)."""

    def __init__(
        self,
        session: Session,
        *,
        theme: str | None = None,
        on_theme_change: Callable[[str], None] | None = None,
        refresh_seconds: float = 60,
        clock: Clock | None = None,
        cursor_blink: bool = True,
        unencrypted: bool = False,
    ) -> None:
        """`session`: the finished service from the composition root (`crmtui.service.compose`)."""
        capabilities = session.backend.capabilities
        top_level = [top for top in TOP_LEVEL if top.needs is None or top.needs in capabilities]
        # The first screen's stylesheets only: the others are read once its first rows are drawn.
        super().__init__(css_path=first_stylesheets(top_level[0].mode))
        self._styles = ParsedOnce(variables=self.get_css_variables())
        self.stylesheet = self._styles  # each source parsed once per theme
        self._all_styles = False
        self.unencrypted = unencrypted
        """The person allowed plain http to another machine: the header warns on every screen."""
        self._drop_controls = DropControlCharacters()
        self._key_order = KeyOrder(self)
        self.offline_mode = session.offline
        """crmtui --offline (the composition root's): the cache only; changes wait in the outbox."""
        self.cursor_blink = cursor_blink
        self.clock: Clock = clock or session.clock
        self.session = session
        self.session.outbox.clock = self.clock
        self._after_first_frame = []
        # Through the message loop: a bug in what the app does with an event is a crash the person
        # sees (one line and crash.log), not a line in a log nobody reads.
        self.session.outbox.subscribe(self._heard)
        self.session.outbox.listener_failed = self._view_failed
        self.cache_notice: str | None = None
        """Said once on start: the cache was damaged and rebuilt."""
        self.refresh_seconds = refresh_seconds
        self._on_theme_change = on_theme_change
        self._initial_theme = theme
        self.last_synced: dt.datetime | None = None
        self.connected = False
        self._said_connected = False
        self._loading = False
        self.top_level = top_level
        """The top-level screens this backend supports, in key order."""
        self.mode_titles = {top.mode: top.title for top in self.top_level}
        for top in self.top_level:
            self.add_mode(top.mode, top.make)

    def get_driver_class(self) -> type[Driver]:
        """Textual's driver for this terminal; on Linux and macOS one that reads Esc and the key typed
        after it as two keys when they arrive together (`crmtui.ui.escape_keys`)."""
        driver = super().get_driver_class()
        if driver.__name__ == "LinuxDriver" and driver.__module__ == "textual.drivers.linux_driver":
            from crmtui.ui.escape_keys import crm_driver

            return crm_driver()
        return driver

    async def on_event(self, event: events.Event) -> None:
        """Keys and pastes are taken in the order typed (`crmtui.ui.key_order`)."""
        if isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded and await self._key_order.take(event):
            return
        await super().on_event(event)

    async def take_in_turn(self, keys: list[events.Key]) -> None:
        """Keys a text box hands on, ahead of those the app takes after them (`crmtui.ui.key_order`)."""
        await self._key_order.take_in_turn(keys)

    # -- startup -------------------------------------------------------------------------------
    async def on_mount(self) -> None:
        if self._initial_theme and self._initial_theme in self.available_themes:
            self.theme = self._initial_theme
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        await self._paint_first()  # the first screen is composed with its cached rows: its first frame shows them
        self._first_switch = True
        try:
            self._first_screen = self.switch_mode(self.top_level[0].mode)
        finally:
            self._first_switch = False
        self.set_interval(1, self._tick)
        if self.refresh_seconds and self.refresh_seconds > 0:
            self.set_interval(self.refresh_seconds, self._periodic_refresh)
        if self.unread_seconds and self.unread_seconds > 0:
            self.set_interval(self.unread_seconds, self._periodic_unread)
        self.load_stream(initial=True)
        self.start_outbox()
        if self.unencrypted:
            self.notify(
                "Plain http: your API key and your data cross the network unencrypted (--allow-insecure-http).",
                title="Unencrypted connection", severity="warning", timeout=10,
            )

    @work(group="outbox", exit_on_error=False)
    async def start_outbox(self) -> None:
        """Read what the last run left unsent from disk and start sending it."""
        outbox = self.session.outbox
        try:
            await outbox.open()
        except Exception as exc:  # noqa: BLE001 - an unreadable outbox must not stop the app
            self.notify(f"The unsent changes could not be read: {exc}", title="Outbox", severity="error", timeout=30)
            return
        from crmtui.service.outbox_review import start_notices

        for notice in start_notices(outbox, self.session.account):  # losses, set-aside files, unreadable rows
            timeout = 30 if notice.severity == "error" else 15
            self.notify(notice.message, title=notice.title, severity=notice.severity, timeout=timeout)
        outbox.subscribe_files(self._count_changes)
        self._count_changes()
        if outbox.pending:
            self.notify(f"{outbox.pending} change(s) from last time are being sent", timeout=4)
        outbox.start()

    # -- the outbox ------------------------------------------------------------------------------
    def _count_changes(self) -> None:
        outbox = self.session.outbox
        self.pending_changes = outbox.pending
        self.review_changes = outbox.to_review

    def _view_failed(self, error: Exception) -> None:
        """A service view failed while following the outbox: a bug, shown as one (crash line and crash.log)."""
        self.call_later(self._raise, error)

    def _raise(self, error: Exception) -> None:
        raise error

    def _heard(self, event: OutboxEvent) -> None:
        self.post_message(OutboxHeard(event))

    def on_outbox_heard(self, message: OutboxHeard) -> None:
        self._outbox_event(message.event)

    def _outbox_event(self, event: OutboxEvent) -> None:
        self._count_changes()
        self.update_gauge()
        change, error = event.change, event.error
        label = change.label or event.command.describe()
        entry = self.session.entry(change.contact_id) if change.contact_id else None
        if entry is not None:
            label = f"{label} ({contact_name(entry.contact)})"
        if event.kind == FAILED and error is not None:
            self.notify(
                f"{error.user_message} — “{label}” was not saved and is shown as it was; 5 lists it to retry or discard.",
                title=failure_title(error), severity="error", timeout=10,
            )
        elif event.kind == CONFLICT:
            self.notify(
                f"“{label}”: {change.detail}. Press 5 to keep yours or the server's.",
                title="Changed on the server meanwhile", severity="warning", timeout=12,
            )
        elif event.kind == PAUSED and error is not None:
            self.notify(self.session.outbox.pause_reason, title=failure_title(error), severity="error", timeout=10)
        elif event.kind == RETRYING and isinstance(error, Offline):
            self._went_offline()
        elif event.kind == SENT and self.offline_since is not None:
            self._back_online()
            if not self._loading:
                self.load_stream()  # the data shown is as old as the outage: catch up now, not at the next tick

    def went_offline(self) -> None:
        """The server could not be reached (a screen's load, a refresh): offline from now, tried
        every RECONNECT_SECONDS until it answers (then screens that failed load again)."""
        self._went_offline()

    def _went_offline(self) -> None:
        if self.offline_mode:
            return  # the header says "offline mode"; nothing to warn about
        if self.offline_since is None:
            self.offline_since = self.clock()
            self._reconnect_tried = time.monotonic()  # the first try to reconnect a while from now
            self.notify(
                "No connection: you are working on the last known data; your changes are kept and sent when it is back.",
                title="Offline", severity="warning", timeout=6,
            )

    def _back_online(self) -> None:
        if self.session.local is not None:
            self.session.local.mark_online()
        # The server answers: what waits for a retry goes now, after an outage and also on the first
        # answer of a run (changes left by an earlier run keep that run's wait, as long as 40 s after a
        # restart, although the server is there now).
        first = not self._answered_once
        self._answered_once = True
        if self.offline_since is not None or first:
            self.offline_since = None
            self.run_worker(self.session.outbox.wake(), group="outbox-wake", exit_on_error=False)

    def _theme_changed(self, theme: Theme) -> None:
        if self._on_theme_change is not None:
            self._on_theme_change(theme.name)

    # -- navigation ----------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A number key means the screen of that number this backend has (1: the action stream on
        OnePageCRM, the leads on Pipedrive); with none, the first binding of the key says so."""
        if action == "find":  # find anyone: contacts (OnePageCRM)
            return self.session.supports(Capability.CONTACT_DETAIL)
        if action == "go" and parameters:
            mode = str(parameters[0])
            if mode in self.mode_titles:
                return True
            key = next((top.key for top in TOP_LEVEL if top.mode == mode), None)
            same_key = [top.mode for top in TOP_LEVEL if top.key == key]
            if any(other in self.mode_titles for other in same_key):
                return False
            return same_key[:1] == [mode]
        return True

    def screens_text(self) -> str:
        """The top-level screens this backend has, by their keys ("5 Pending changes, ...")."""
        return ", ".join(f"{top.key} {top.title}" for top in self.top_level)

    def action_go(self, mode: str) -> None:
        """Number keys: switch to a top-level screen (a screen the backend lacks says so, with those it has)."""
        if mode not in self.mode_titles:
            key = next((top.key for top in TOP_LEVEL if top.mode == mode), "")
            self.notify(
                f"This CRM has no such screen (key {key}). Its screens: {self.screens_text()}", severity="warning", timeout=5
            )
            return
        needs = next((top.needs for top in self.top_level if top.mode == mode), None)
        if needs is not None and not self.session.supports(needs):  # the server turned out not to serve it
            key = next((top.key for top in self.top_level if top.mode == mode), "")
            self.notify(
                f"This server does not implement {self.mode_titles[mode].lower()} (it answered \"Not implemented\"): "
                f"key {key} has nothing to show", severity="warning", timeout=5,
            )
            return
        if self.current_mode != mode:
            self.switch_mode(mode)

    def open_contact(self, contact_id: str) -> None:
        """Enter on a contact anywhere: its detail screen; Esc comes back to where it was opened.

        A contact made here opens once the server has made it (its page reads the server)."""
        contact_id = self.session.renamed.get(contact_id, contact_id)
        if is_local_id(contact_id):
            where = "when the connection is back" if self.offline_since is not None or self.offline_mode else "in a moment"
            self.notify(f"This contact is not on the server yet: its page opens once it is sent ({where})", timeout=5)
            return
        self.push_screen(contact_screen()(contact_id))

    def open_chart(self, module_id: str, definition: Mapping[str, str]) -> None:
        """Enter on a page's chart block: the Charts screen (3) on that chart (the block's definition,
        the chart API's parameters); 4 goes back to the page."""
        from crmtui.domain.charts import ChartDefinition, query_of_definition
        from crmtui.ui.screens.charts import ChartsScreen  # here: loaded when first used, as TOP_LEVEL does

        if "charts" not in self.mode_titles:
            self.notify("This CRM has no charts screen", severity="warning", timeout=4)
            return
        self.action_go("charts")
        if isinstance(self.screen, ChartsScreen):
            self.screen.show_chart(ChartDefinition(module_id=module_id, query=query_of_definition(definition)))

    def action_find(self) -> None:
        """f: find anyone, loaded here or not (the finder opens the contact picked)."""
        from crmtui.service.find import finder_for
        from crmtui.ui.modals.find_contact import FindContactModal

        if not isinstance(self.screen, FindContactModal):
            self.push_screen(FindContactModal(finder_for(self.session)))

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
        Screens' notify passes markup=True by default, so the flag is ignored here. Control
        characters (an exception's text, a server's reason) are shown, not obeyed.
        """
        super().notify(inert_text(message), title=inert_line(title), severity=severity, timeout=timeout, markup=False)

    def get_line_filters(self) -> Sequence[LineFilter]:
        """Textual's filters, then the guard that no control character of drawn text reaches the terminal."""
        return [*super().get_line_filters(), self._drop_controls]

    def copy_to_clipboard(self, text: str) -> None:
        """Copy `text` (OSC 52): what is pasted later is what was shown, never a hidden escape sequence."""
        super().copy_to_clipboard(inert_text(text))

    # -- loading -------------------------------------------------------------------------------
    def _progress(self, done: int, total: int) -> None:
        if total and total >= done:
            self.sync_status = f"loading {done:,}/{total:,}"
        else:  # offset paging (Pipedrive) tells no total: how many so far
            self.sync_status = f"loading {done:,}…" if done else "loading…"
        self.load_progress = (done, total)

    @work(exclusive=True, group="load", exit_on_error=False)
    async def load_stream(self, *, initial: bool = False) -> None:
        """Show the cached stream at once (on start), then connect and refresh it from the server.

        Keeps the cursor on the same contact. Offline with a cache, the cached stream stays and the
        header says since when; with nothing cached, the connection error screen explains.
        """
        session = self.session
        local = session.local
        self._loading = True
        try:
            try:
                await session.outbox.open()  # what is still unsent shows over what the server says
                if initial and not self.connected:  # nothing painted yet (or the start's paint failed): say why now
                    await self._paint_from_cache()
                    await self._cached_rows_drawn()
                elif initial:  # painted before the screen was composed (on_mount)
                    # On the terminal before the rest is decoded (it holds the GIL) or the backend's
                    # client is built and connects (its imports hold the loop), and so is the rest.
                    await self._drawn()
                    if self._partly_painted():
                        await self._paint_rest()
                        await self._drawn()
            finally:
                if initial:
                    resume_collector()  # the first rows are drawn
                    # The other screens' stylesheets once what was just shown is drawn (a screen
                    # opened before that reads them first: `_load_screen_css`).
                    self.call_after_refresh(self.read_all_styles)
                    self._first_frame_drawn()
            if initial and local is not None and await local.check():  # (it reads the whole file: after the rows)
                self._say_cache_notice()
            self._say_loading()
            if session.account is None or not self.connected:
                account = await session.connect()
                self.account_label = account.label
                self._say_once_connected(account)
            await self._load_first_screen()
        except StoreUnavailable as exc:
            self._loading = False
            self.sync_status = "local files unavailable"
            self.notify(
                f"crmtui cannot use its local files ({exc}); changes cannot be kept safely. Check the disk and restart.",
                title="Local files", severity="error", timeout=30,
            )
            return
        except BackendError as exc:
            self._loading = False
            self.load_progress = (0, 0)
            if self.connected and isinstance(exc, Offline) and not isinstance(exc, TooSlow):
                self._went_offline()
                self.sync_status = "offline"  # the stream shown stays; the header says since when
                return
            self._sync_failed(exc, initial=not self.connected)
            return
        except Exception as exc:  # noqa: BLE001 - last resort: say so (r retries) rather than sit at "connecting…"
            self._loading = False
            self.load_progress = (0, 0)
            self._sync_failed(exc, initial=not self.connected)
            return
        self._loading = False
        self.load_progress = (0, 0)
        self.connected = True
        if local is not None and local.stale:
            slow = local.offline_error
            if isinstance(slow, TooSlow):
                self._sync_failed(slow, initial=False)  # the cached stream stays; the header says why
            else:
                self._went_offline()
            self.last_synced = await local.last_synced() or self.last_synced
        else:
            self._back_online()
            self.sync_error = ""
            self.last_synced = self.clock()
        self._tick()
        self.poll_unread()  # offline, the last count known
        self._sync_directory()
        if isinstance(self.screen, connection_error_screen()):
            self.pop_screen()

    def _sync_directory(self) -> None:
        """Every contact of the account kept here for find anyone (a backend with a directory): read in
        the background once the first screen is loaded, brought up to date at each refresh (offline, it
        waits for the next). An app that refreshes nothing (refresh_seconds 0: the tests') reads none."""
        if not self.refresh_seconds or self.refresh_seconds <= 0:
            return
        from crmtui.service.directory import directory_for

        directory = directory_for(self.session)
        if directory is not None:
            self._directory = directory
            directory.start()

    async def _load_first_screen(self) -> None:
        """Load what the first screen shows: the action stream, or (a backend without one) the leads, or
        (Crust) the records of the module shown, with the names of the records its fields link to."""
        session = self.session
        if session.supports(Capability.ACTION_STREAM):
            await session.load_stream(on_progress=self._progress)
        elif session.supports(Capability.LEADS):
            await session.leads.load(on_progress=self._progress)
        elif session.supports(Capability.RECORDS):
            await session.records.load_modules()
            await session.records.load(on_progress=self._progress)
            await session.records.load_names()

    def _say_loading(self) -> None:
        """The header while the server is asked (after the cached rows are painted, before they are
        drawn: a frame in between must not say "updated" of rows still being refreshed)."""
        session = self.session
        if self.offline_since is None or session.account is None:  # trying the server while offline: still "offline"
            self.sync_status = "offline mode" if self.offline_mode else "connecting…" if session.account is None else "refreshing…"

    async def _paint_from_cache(self, *, first: bool = False) -> None:
        """The last known account and stream, before any network call (when there is a cache).
        `first`: the stream's or a module's records' first screenful only (`_paint_rest` reads the rest)."""
        local = self.session.local
        if local is None:
            return
        self._say_cache_notice()
        account = await local.cached_account()
        if account is None:
            return
        session = self.session
        if Capability.RECORDS in account.capabilities and Capability.ACTION_STREAM not in account.capabilities:
            # The module shown last time, as last read: its first screenful first when one is kept.
            await session.outbox.open()  # (read once: this waits for the read under way)
            if not await session.records.paint_cached(first=first):
                return
            if session.account is None:
                session.account = account
                self.account_label = account.label
            self.connected = True
            self.last_synced = await local.last_synced()
            self._say_loading()
            return
        if Capability.LEADS in account.capabilities and Capability.ACTION_STREAM not in account.capabilities:
            # The list the inbox shows first: a remembered saved filter's own (none kept: nothing
            # painted until its leads come), never the user's leads under the filter's name.
            owner_id, filter_id = session.leads.start_scope(account.user.id)
            leads = await local.cached_leads(owner_id, filter_id=filter_id)
            if leads is None:
                return
            cached, synced_at = leads
            if session.account is None:
                session.account = account
                self.account_label = account.label
            await session.outbox.open()
            session.leads.show_server(cached)
            self.connected = True
            self.last_synced = synced_at
            self._say_loading()
            return
        # The most urgent screenful first (a large stream takes a second to read whole), then all.
        if await self._paint_stream(account, FIRST_ROWS) and not first:
            await self._drawn()  # the first screenful drawn before the rest is read (its decoding holds the GIL)
            await self._paint_rest()

    def _say_cache_notice(self) -> None:
        """Once: the cache file was damaged and has been rebuilt (found on opening it, or by its check)."""
        local = self.session.local
        notice = local.notice if local is not None else None
        if notice and self.cache_notice is None:
            self.cache_notice = notice
            self.notify(notice, title="Local cache", severity="warning", timeout=12)

    async def _paint_stream(self, account: Account, limit: int | None) -> bool:
        """The cached stream's first `limit` rows (None: all) shown; True when there are more to read."""
        local = self.session.local
        assert local is not None
        found = await local.cached_stream(account.user.id, limit=limit)
        if found is None:
            return False
        entries, synced_at = found
        session = self.session
        if session.account is None:
            session.account = account
            session.stream_user_id = session.stream_user_id or account.user.id
            self.account_label = account.label
        await session.outbox.open()
        session.show_server_stream(entries)
        self.connected = True  # there is something to work on: no error screen if the network is gone
        self.last_synced = synced_at
        self._say_loading()
        more = limit is not None and len(entries) >= limit
        self._rest_of_stream = account if more else None
        return more

    @property
    def stream_partly_read(self) -> bool:
        """Only the cached stream's first screenful is shown yet (the start reads the rest next)."""
        return self._rest_of_stream is not None

    def _partly_painted(self) -> bool:
        """Only the first screenful of the cached stream or records is shown (`_paint_rest` reads the rest)."""
        session = self.session
        return self._rest_of_stream is not None or (session.supports(Capability.RECORDS) and session.records.partial)

    async def _paint_rest(self) -> None:
        """The rest of the cached stream or records, after their first screenful (nothing if the
        server's came first)."""
        account, self._rest_of_stream = self._rest_of_stream, None
        if account is not None and self.session.local is not None:
            await self._paint_stream(account, None)
        if self.session.supports(Capability.RECORDS) and self.session.records.partial:
            await self.session.records.paint_cached()

    async def _paint_first(self) -> None:
        """Before the first screen is composed: what is unsent, then the cache's account and first
        screenful, so that the screen's first frame shows rows. A failure here is left to the start's
        load, which tries again and says what went wrong."""
        # The outbox's file is read on its own thread while the cache's rows are read on theirs; the
        # rows are shown once both are in (what is unsent shows over what the cache kept).
        opening = asyncio.ensure_future(self.session.outbox.open())
        try:
            await self._paint_from_cache(first=True)
            await opening
        except Exception:  # noqa: BLE001 - load_stream reads again and reports it
            self.connected = False
            self._rest_of_stream = None

    def _display(self, screen: Screen[Any], renderable: RenderableType | None) -> None:
        """Each frame on the terminal once, and whole when it must be (Textual 8.2.8).

        Textual drops what it draws during a batch of updates (a start's first layout) while its
        compositor counts it as on the terminal: the parts that did not change again (the key bar,
        the preview pane's border) stayed off it, and the first frame came without them. The next
        frame after such a batch is drawn whole instead.

        A screen shown (the start's, one a dialog uncovers) is laid out, drawn from the layout, and
        then asked to repaint whole: a second whole frame, the same as the first (30 KB at 160x45,
        at every warm start). A whole frame on the terminal is that repaint done.
        """
        if renderable is not None:
            if self._batch_count:
                screen._compositor._dirty_regions.add(screen.size.region)  # the next frame: the whole screen
            elif isinstance(renderable, LayoutUpdate) and renderable.region == screen.size.region:
                screen._repaint_required = False
        super()._display(screen, renderable)

    def delay_update(self, delay: float = 0.05) -> None:
        """Textual holds the screen back for `delay` when a mode is switched to, to mask the switch;
        the start's first screen has nothing before it to mask: its first frame is not held back."""
        if not self._first_switch:
            super().delay_update(delay)

    def _load_screen_css(self, screen: Screen[Any]) -> None:
        """Textual (8.2.8) reads a screen's own stylesheets here as it is shown: any screen but the
        first (a key typed ahead of the start, a dialog) reads every stylesheet first, as its rules
        are there."""
        if not self._all_styles and type(screen) is not Screen and not isinstance(screen, self.top_level[0].screen):
            self.read_all_styles()
        super()._load_screen_css(screen)

    def read_all_styles(self) -> None:
        """Every stylesheet (the start read the first screen's): the other screens' and the
        dialogs' rules, in the order they would have had, had all been read at the start."""
        if self._all_styles:
            return
        self._all_styles = True
        every = stylesheets()
        self._styles.read_in_order(every)
        self.css_path = [Path(path) for path in every]
        self.refresh_css(animate=False)

    async def _cached_rows_drawn(self) -> None:
        """Rows from the cache are shown: on the terminal before the backend's client is built and connects."""
        if self.connected:
            await self._drawn()

    def after_first_frame(self, callback: Callable[[], None]) -> None:
        """Run `callback` once the start's first frame is drawn (at once after that): work the first
        rows need not wait for, such as building the backend's client, comes after them."""
        if self._after_first_frame is None:
            callback()
        else:
            self._after_first_frame.append(callback)

    def _first_frame_drawn(self) -> None:
        callbacks, self._after_first_frame = self._after_first_frame or [], None
        for callback in callbacks:
            callback()

    async def _drawn(self) -> None:
        """Wait until the screen has been drawn with what was just shown."""
        mounting, self._first_screen = self._first_screen, None
        if mounting is not None:
            # Until the start's screen is mounted, Textual runs a callback "after the refresh" at
            # once (nothing to lay out yet): the first frame would come after what waits for it.
            await mounting
        drawn = asyncio.Event()
        self.call_after_refresh(drawn.set)
        await drawn.wait()

    def resync(self) -> None:
        """R: fetch the whole stream again, not only what changed (the cache is replaced once it is in)."""
        if self.offline_mode or self.offline_since is not None:
            self.notify("Offline: a full resync needs a connection; the data shown stays", severity="warning", timeout=4)
            return
        if self.session.local is not None:
            self.session.local.request_full_sync()
        if self.session.supports(Capability.LEADS):
            self.session.leads.read_whole_next()
        whole = "stream" if self.session.supports(Capability.ACTION_STREAM) else "list"
        self.notify(f"Fetching the whole {whole} again", timeout=3)
        self.load_stream()

    @work(exclusive=True, group="unread", exit_on_error=False)
    async def poll_unread(self) -> None:
        """Keep the header's unread count current (after every successful refresh and every `unread_seconds`)."""
        sets = self._unread_sets
        try:
            count = await self.session.unread_notifications()
            marking = self.session.outbox.unsettled(section=NOTIFICATIONS)
            if sets == self._unread_sets and not marking:
                self.unread_count = count  # else it may predate a mark shown already; the next poll tells
        except BackendError:
            pass  # the header keeps the last count; a failing server already shows as a sync error

    def _sync_failed(self, exc: BaseException, *, initial: bool) -> None:
        """The first connection failed: the connection error screen (r retries); a refresh: header and toast."""
        if initial:
            self.sync_status = "not connected"
            from crmtui.ui.screens.connection_error import ConnectionErrorScreen

            if isinstance(self.screen, ConnectionErrorScreen):
                self.screen.show_error(exc)
            else:
                self.push_screen(ConnectionErrorScreen(exc))
            return
        message = refresh_failure(exc)
        self.sync_error = message
        self.notify(message, title="Refresh failed", severity="error", timeout=6)

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

    def update_gauge(self) -> None:
        """The header's API gauge as the governor counts now (each second, and after what made requests)."""
        gauge = self.session.rate_gauge()
        if gauge is not None:
            self.rate_gauge = gauge

    def _tick(self) -> None:
        self._key_order.unstick()
        self._try_reconnect()
        self.update_gauge()
        if self.last_synced is None or self._loading:
            return
        if self.offline_mode:
            self.sync_status = "offline mode"
            return
        if self.offline_since is not None:
            self.sync_status = "offline"  # the header says since when; the clock ticking does not make it fresh
            return
        self.sync_status = sync_age(max(int((self.clock() - self.last_synced).total_seconds()), 0))

    def _try_reconnect(self) -> None:
        """Offline: refresh the stream every RECONNECT_SECONDS, so the connection's return is noticed
        (and the screens that failed meanwhile load again) without waiting for the next refresh."""
        if self.offline_since is None or self.offline_mode or not self.connected or self._loading:
            return
        now = time.monotonic()
        if now - self._reconnect_tried >= RECONNECT_SECONDS:
            self._reconnect_tried = now
            if self.session.local is not None:
                self.session.local.try_network()  # not the cache's grace after a failure: ask the server
            self.load_stream()

    def _say_once_connected(self, account: Any) -> None:
        """After sign-in: a credential that runs out within a day, and (a backend whose own screens are
        not here yet) which screens there are and what is still missing, rather than an empty screen."""
        if self._said_connected:
            return
        self._said_connected = True
        expires = account.credential_expires
        if expires is not None and expires - self.clock() <= dt.timedelta(days=1):
            left = expires - self.clock()
            when = (
                "has expired: sign in again with a new one (crmtui login)" if left.total_seconds() <= 0
                else f"expires at {expires.astimezone():%Y-%m-%d %H:%M}: sign in again with a new one (crmtui login) before then"
            )
            self.notify(
                f"The sign-in token {when}",
                title="Token", severity="warning" if left.total_seconds() > 0 else "error", timeout=30,
            )
        served = {top.needs for top in self.top_level if top.needs is not None}
        unscreened = sorted(c.value for c in self.session.backend.capabilities if c in UNSCREENED and c not in served)
        if unscreened:
            self.notify(
                f"On this CRM crmtui has these screens: {self.screens_text()}. The server's "
                f"{' and '.join(unscreened)} have no screen here yet.",
                title="Screens", timeout=20,
            )

    # -- help ----------------------------------------------------------------------------------
    def help_sections(self, screen: Screen[Any] | None = None) -> HelpSections:
        """Every key by where it works: `screen`'s own first (the screen `?` was pressed on; the
        current one by default) with the keys of the widgets on it, then the keys that work
        everywhere (but those the screen binds itself), then the other screens' and the dialogs'.
        One row per key in a section, each section once."""
        from crmtui.ui.modals.next_action import NextActionModal
        from crmtui.ui.modals.pickers import ConfirmModal, TeamPickerModal
        from crmtui.ui.screens.help import binding_rows, class_bindings, node_bindings, without_keys
        from crmtui.ui.widgets.stream_list import StreamList

        screen = self.screen if screen is None else screen
        places: list[tuple[str, type[Screen[Any]]]] = [(top.title, top.screen) for top in self.top_level]
        places += [("Contact detail", contact_screen()), ("Connection error", connection_error_screen())]
        numbers = {top.key for top in TOP_LEVEL}
        everywhere = [(top.key, top.title) for top in self.top_level]
        everywhere += [row for row in binding_rows(type(self).BINDINGS) if row[0] not in numbers]
        sections: list[tuple[str, Sequence[tuple[str, str]]]] = [
            *((title, binding_rows(class_bindings(cls))) for title, cls in places),
            ("Moving in the list", binding_rows(StreamList.BINDINGS)),
            ("Filter (/)", [("type", "narrow the list as you type"), ("Enter", "also search the server"), ("Esc", "clear the filter")]),
            ("Stream filter (F)", [("j k ↑ ↓", "move"), ("Enter", "apply: a saved filter, starred, waiting, a tag, status or lead source"), ("Esc", "cancel; on the stream, Esc clears the typed filter, then this one")]),
            ("Next-action form", NextActionModal.help_rows()),
            ("New-contact form (C)", [("Enter / ctrl+s", "save"), ("Tab", "next field"), ("→", "accept the suggested company or tag"), ("Esc", "cancel (asks first when something is typed)")]),
            ("Find anyone (f)", [("type", "name, company, email or phone: the stream's at once, then the server's"), ("↑↓ ctrl+n/p", "move (j k in the list)"), ("Enter", "open the contact"), ("Esc", "close")]),
            ("Pickers and confirmations", binding_rows([*TeamPickerModal.BINDINGS, *ConfirmModal.BINDINGS])),
        ]
        here = next((title for title, cls in places if type(screen) is cls), None)
        if here is None:
            return [("Everywhere", everywhere), *sections]
        own = binding_rows(node_bindings(screen))
        rest = [(title, rows) for title, rows in sections if title != here and not set(rows) <= set(own)]
        return [(here, own), ("Everywhere", without_keys(everywhere, own)), *rest]

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's palette commands but Theme and Quit (the palette has them as this app's keys, t
        and q) and Keys, Textual's key panel (help, `?`, lists every key)."""
        for command in super().get_system_commands(screen):
            if command.title not in ("Theme", "Quit", "Keys"):
                yield command

    def action_help(self) -> None:
        from crmtui.ui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.help_sections(self.screen)))

    async def action_quit(self) -> None:
        self.exit(0)

    async def on_unmount(self) -> None:
        if self._directory is not None:
            self._directory.stop()
        try:
            await self.session.close()
        except Exception:  # noqa: BLE001 - closing must never turn a clean exit into a traceback
            pass


def run_app(
    session: Session,
    *,
    theme: str | None = None,
    on_theme_change: Callable[[str], None] | None = None,
    refresh_seconds: float = 60,
    clock: Clock | None = None,
    **options: Any,
) -> int:
    """Run the UI until the user quits; returns the exit code (1, with one line on stderr, after a bug).

    `session`: from the composition root (`crmtui.service.compose`); `options`: unencrypted, cursor_blink (see CrmApp).
    """
    from crmtui.ui.crash import run_guarded

    app = CrmApp(
        session, theme=theme, on_theme_change=on_theme_change, refresh_seconds=refresh_seconds, clock=clock, **options
    )
    return run_guarded(app)

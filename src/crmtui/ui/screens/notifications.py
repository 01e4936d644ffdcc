"""Top-level screen 4: notifications. What happened, who did it, when, and whether it was seen.

Enter opens the contact a notification is about and marks it read; `m` marks one read, `M` all.
Marks go to the outbox and show at once (and in the header's unread count).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from crmtui.backends.errors import BackendError
from crmtui.domain.models import Notification
from crmtui.service.errors import CommandRefused
from crmtui.service.notifications import Inbox
from crmtui.ui.screens.base import CrmScreen
from crmtui.ui.reconnect import load_failed, reload_when_online
from crmtui.ui.widgets.footer import KeyFooter
from crmtui.ui.widgets.header import AppHeader
from crmtui.ui.widgets.notification_list import NotificationList, describe, heading
from crmtui.ui.failures import failure_title
from crmtui.ui.follow import FollowsServices, follow

NAME_MARGIN = 30
"""Rows above and below the screen whose contacts are named ahead of scrolling to them."""


class NotificationsScreen(FollowsServices, CrmScreen[None]):
    """Top-level screen 4: the signed-in user's notifications, newest first."""

    FOOTER_ORDER = ("open", "mark_read", "mark_all_read", "refresh", "find")
    BINDINGS = [
        Binding("enter", "open", "Open", tooltip="Open the contact it is about (and mark it read)"),
        Binding("m,space", "mark_read", "Mark read"),
        Binding("M", "mark_all_read", "All read", tooltip="Mark all read"),
        Binding("r", "refresh", "Refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.inbox: Inbox | None = None
        self.load_failed = False
        """The last load did not answer (the count of unread is not known)."""
        self._unsubscribe: Callable[[], None] | None = None

    def compose(self) -> ComposeResult:
        yield AppHeader(id="header")
        yield Static("", id="notifications-heading")
        yield NotificationList(id="notifications-list")
        yield Static("", id="notification-detail", markup=False)
        yield KeyFooter()

    @property
    def notification_list(self) -> NotificationList:
        return self.query_one("#notifications-list", NotificationList)

    # -- lifecycle -----------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.inbox = Inbox(self.app.session)
        self._unsubscribe = follow(self, self.inbox.changes, lambda _changed: self._show())
        self.watch(self.app, "unread_count", self._unread_polled, init=False)
        reload_when_online(self, lambda: self.load_failed, self.load)
        self.notification_list.focus()
        self.query_one("#notification-detail", Static).display = False
        self._update_title()

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self.inbox is not None:
            self.inbox.detach()

    def on_screen_resume(self) -> None:
        self.load()  # on every visit (and back from a contact): the list is short to fetch

    def on_resize(self) -> None:
        self.query_one("#notifications-heading", Static).update(heading(self.notification_list.size.width))

    def _unread_polled(self, count: int | None) -> None:
        inbox = self.inbox
        if inbox is not None and inbox.loaded and count != inbox.unread and self.is_current and not self._marking():
            self.load()  # something arrived (or was read elsewhere): show it

    def _marking(self) -> bool:
        return any(w.is_running and w.group == "notification-marks" for w in self.workers)

    # -- loading -------------------------------------------------------------------------------
    @work(exclusive=True, group="notifications-load", exit_on_error=False)
    async def load(self) -> None:
        inbox = self.inbox
        assert inbox is not None
        lst = self.notification_list
        if not inbox.loaded:
            lst.empty_text = "Loading notifications…"
        try:
            await inbox.load()
        except BackendError as exc:
            self.load_failed = True
            load_failed(self, [exc])
            self._update_title()
            lst.empty_text = f"Not loaded (r retries): {exc.user_message}"
            lst.refresh()
            self.notify(exc.user_message, title="Notifications not loaded", severity="error", timeout=6)
            return
        self.load_failed = False
        lst.empty_text = "No notifications"
        self.load_names()

    @work(exclusive=True, group="notification-names", exit_on_error=False)
    async def load_names(self) -> None:
        """Name the contacts of the rows on screen and near them."""
        inbox, lst = self.inbox, self.notification_list
        if inbox is None:
            return
        wanted = [lst.items[i].contact_id for i in lst.visible_range(NAME_MARGIN)]
        try:
            await inbox.load_names(wanted)
        except BackendError:
            pass  # rows show no contact name; Enter still opens the contact

    def action_refresh(self) -> None:
        self.load()

    def _show(self) -> None:
        inbox = self.inbox
        if inbox is None:
            return
        session = self.app.session
        names = {n.contact_id: inbox.contact_name(n.contact_id) or "" for n in inbox.items if n.contact_id}
        self.notification_list.set_items(inbox.items, names, session.account, session.now())
        self._update_title()
        self._set_unread()
        self._describe()

    def _describe(self) -> None:
        selected = self.notification_list.selected
        inbox = self.inbox
        name = inbox.contact_name(selected.contact_id) or "" if inbox is not None and selected is not None else ""
        session = self.app.session
        detail = self.query_one("#notification-detail", Static)
        detail.update(describe(selected, name, session.account, session.now()))
        detail.display = selected is not None

    def _update_title(self) -> None:
        inbox = self.inbox
        title = "Notifications"
        if inbox is not None and inbox.loaded:
            title += f" · {inbox.unread:,} unread of {len(inbox.items):,}" if inbox.items else " · none"
        elif self.load_failed:
            title += " · ? unread (not loaded: r retries)"  # unknown, not "none"
        else:
            title += " · loading…"
        self.query_one("#header", AppHeader).title = title

    def _set_unread(self) -> None:
        if self.inbox is not None and self.inbox.loaded:
            self.app.set_unread(self.inbox.unread)

    @on(NotificationList.Highlighted)
    def _highlighted(self, event: NotificationList.Highlighted) -> None:
        self._describe()
        inbox, lst = self.inbox, self.notification_list
        if inbox is not None and any(inbox.contact_name(lst.items[i].contact_id) is None for i in lst.visible_range() if lst.items[i].contact_id):
            self.load_names()

    # -- keys ----------------------------------------------------------------------------------
    def _selected(self) -> Notification | None:
        selected = self.notification_list.selected
        if selected is None:
            self.notify("No notification selected", severity="warning", timeout=3)
        return selected

    def action_open(self) -> None:
        """Enter: open the contact the notification is about, and mark it read."""
        selected = self._selected()
        if selected is None:
            return
        if not selected.read:
            self._mark(lambda: self._inbox.mark_read(selected.id))
        if not selected.contact_id:
            self.notify("This notification is not about a contact", severity="warning", timeout=4)
            return
        self.app.open_contact(selected.contact_id)

    def action_mark_read(self) -> None:
        selected = self._selected()
        if selected is None:
            return
        if selected.read:
            self.notify("Already read", timeout=2)
            return
        self._mark(lambda: self._inbox.mark_read(selected.id))
        self.notification_list.action_cursor_down()  # on to the next, as when reading mail

    def action_mark_all_read(self) -> None:
        if self.inbox is None or not self.inbox.unread:
            self.notify("Nothing unread", timeout=2)
            return
        self._mark(self._inbox.mark_all_read, success="All notifications marked read")

    @property
    def _inbox(self) -> Inbox:
        assert self.inbox is not None
        return self.inbox

    def _mark(self, make: Callable[[], Awaitable[object]], *, success: str | None = None) -> None:
        """Run one mark in a worker: written to the outbox, shown (and the header updated) at once."""

        async def run() -> None:
            try:
                await make()  # the mark shows (and the header follows) before the request goes out
            except CommandRefused as exc:
                self.notify(str(exc), title="Not possible", severity="warning")
            except BackendError as exc:
                self.notify(exc.user_message, title=failure_title(exc), severity="error", timeout=8)
            else:
                if success:
                    self.notify(success, timeout=3)
            finally:
                self._set_unread()  # a poll that answered meanwhile predates the mark

        self.run_worker(run(), group="notification-marks", exit_on_error=False)

"""The app header: who is signed in, the current screen, sync state and unread notifications."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from crmtui.domain.capabilities import Capability
from textual.reactive import reactive
from textual.widget import Widget

from crmtui.domain.formatting import format_time

if TYPE_CHECKING:
    from textual import getters

    from crmtui.ui.app import CrmApp


UNKNOWN_UNREAD = "?"
"""The unread count before it is known (the first poll has not answered): not a 0 that is not one."""


class AppHeader(Widget):
    """One line; reads its state from the app's reactives so every screen's header agrees."""

    DEFAULT_CSS = """
    AppHeader { height: 1; background: $panel; color: $foreground; }
    """

    if TYPE_CHECKING:  # at run time Textual's own `app` property answers, unchanged
        app = getters.app(CrmApp)

    title: reactive[str] = reactive("")
    """The screen's title, e.g. "Action stream · 312"."""

    def on_mount(self) -> None:
        app = self.app
        for name in ("account_label", "sync_status", "sync_error", "unread_count", "pending_changes", "review_changes", "offline_since", "rate_gauge"):
            self.watch(app, name, self._redraw, init=False)

    def _redraw(self, _value: object) -> None:
        self.refresh()

    def render(self) -> Text:
        app = self.app
        session = app.session
        account = session.account
        # The account's label as it is now (a Crust user's name learned from a record they own).
        user = (account.label if account is not None and app.account_label else app.account_label) or "connecting…"
        sync = app.sync_status
        error = app.sync_error
        unread = app.unread_count
        badge = Text(" crmtui ", "bold reverse")
        if app.unencrypted:
            badge.append(" ⚠ http ", "bold white on red")  # the key crosses the network in clear: always in sight
        left = Text.assemble(badge, " ", (user, "bold"))
        if self.title:
            left.append(f"  {self.title}")
        right = Text()
        saving = app.pending_changes
        review = app.review_changes
        offline = app.offline_since
        if review:
            right.append(f"⚠ {review} to review", style="bold red")
            right.append("  ")
        if app.offline_mode:
            right.append("offline mode", style="bold yellow")
            if saving:
                right.append(f" · {saving} unsent", style="bold")
        elif offline is not None:
            since = format_time(offline, account.time_zone if account else "UTC", ampm=bool(account and account.time_with_ampm))
            right.append(f"offline since {since}", style="bold yellow")
            if saving:
                right.append(f" · {saving} unsent", style="bold")
        else:
            if saving and session.outbox.paused:
                right.append(f"{saving} unsent", style="bold yellow")  # nothing goes out: say so, not "saving"
                right.append("  ")
            elif saving:
                right.append("saving…" if saving == 1 else f"saving {saving}…", style="bold")
                right.append("  ")
            if error:
                shown = Text(f"⚠ {error}", style="bold red")  # the toast has it whole; the badge must stay
                shown.truncate(max(self.size.width // 2 - 10, 16), overflow="ellipsis")
                right.append(shown)
            else:
                right.append(sync, style="italic")
        right.append("  ")
        gauge = app.rate_gauge
        if gauge and self.size.width < 120:
            gauge = gauge.replace(" today", "").replace(" per 2s", "")  # "API 1,240/30,000 · 3/20": the title keeps its room
        if gauge:
            right.append(gauge, style="bold red" if "blocked" in gauge or "spent" in gauge else "dim")
            right.append(" ")
        if session.supports(Capability.NOTIFICATIONS):  # Pipedrive and Crust have no notifications to count
            # Not known yet (not loaded, or the server did not answer): "?", never a 0 that is not one.
            right.append(f"✉ {UNKNOWN_UNREAD if unread is None else unread}", style="bold" if unread else "dim")
            right.append(" ")
        width = self.size.width
        room = max(width - right.cell_len - 1, badge.cell_len)
        if left.cell_len > room and account is not None and account.name:
            # Narrow: drop the account name before the screen title (the user name says enough).
            left = Text.assemble(badge, " ", (account.who, "bold"))
            if self.title:
                left.append(f"  {self.title}")
        if left.cell_len > room:
            left.truncate(room, overflow="ellipsis")  # the sync state and unread count matter more
        gap = max(width - left.cell_len - right.cell_len, 1)
        line = Text.assemble(left, " " * gap, right)
        line.truncate(width, overflow="ellipsis")
        return line

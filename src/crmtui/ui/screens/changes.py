"""Top-level screen 5: the changes on their way, and those the server refused or that clash.

Every change the person made is in the outbox until the server confirms it. This screen lists
what is still there: queued and being sent (with the last reason it had to wait), refused (with
the server's reason) and conflicting (what changed on the server meanwhile). The person retries,
sends now, keeps their version or the server's, or discards.

It also lists what the outbox's files could not hand to the sender: a change that cannot be read
(damaged: discard only), and the unsent changes of set-aside outbox files, which `r` sends (all of
one file, in their order) and `x` discards; another account's are never sent. Above the list, a
line says when the file of unsent changes could not be read, or may have lost changes.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Awaitable, Callable

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from crmtui.domain.capabilities import Capability
from crmtui.domain.formatting import account_now, contact_name
from crmtui.domain.models import Account
from crmtui.service.errors import CommandRefused
from crmtui.service.outbox import ANOTHER_SENDER, Outbox
from crmtui.service.outbox_review import lost_text
from crmtui.store.outbox import Change, SetAside, State
from crmtui.ui.follow import FollowsServices, follower
from crmtui.ui.modals.pickers import ConfirmModal
from crmtui.ui.screens.changes_set_aside import SET_ASIDE_LABEL, Row, SetAsideActions, set_aside_detail, set_aside_rows
from crmtui.ui.widgets.footer import KeyFooter
from crmtui.ui.widgets.header import AppHeader

STATE_LABELS = {
    State.QUEUED: ("waiting", "bold"),
    State.SENDING: ("sending", "bold"),
    State.FAILED: ("refused", "bold red"),
    State.CONFLICT: ("conflict", "bold yellow"),
}
DAMAGED = ("damaged", "bold red")


def when(moment: dt.datetime, now: dt.datetime, account: Account | None) -> str:
    """"14:05" today, "28 Nov" before: in the account's time zone."""
    local, today = account_now(account, moment), account_now(account, now).date()
    return local.strftime("%H:%M") if local.date() == today else local.strftime("%d %b")


def status_text(change: Change, outbox: Outbox, group: SetAside | None = None) -> str:
    """What the change waits for, in words."""
    if group is not None:
        if group.foreign:
            return "another account's"
        return change.problem if not group.changes else "from a damaged file"
    if change.problem:
        return "cannot be read"
    if change.state is State.CONFLICT:
        return change.detail or change.error
    if change.state is State.FAILED:
        return change.error
    if change is outbox.sending:
        return "sending now…"
    if outbox.paused:
        return outbox.pause_reason or "paused"
    if not outbox.claimed:
        return f"{change.error}; {ANOTHER_SENDER}" if change.error else ANOTHER_SENDER
    if change.error:
        wait = change.next_try - time.time()
        again = f"; again in {int(wait) + 1}s" if wait > 0 else ""
        return f"{change.error}{again}"
    return "next in line" if change.attempts == 0 else "waiting"


class ChangesScreen(FollowsServices, SetAsideActions):
    """The outbox as a table: one row per change not yet confirmed by the server."""

    FOOTER_ORDER = ("retry", "keep_mine", "keep_theirs", "discard", "send_all")
    BINDINGS = [
        Binding("j", "cursor(1)", "Down", show=False),
        Binding("k", "cursor(-1)", "Up", show=False),
        Binding(
            "r", "retry", "Send",
            tooltip="Send the selected change again (a refused one) or now; set-aside changes: send them",
        ),
        Binding("m", "keep_mine", "Keep mine", tooltip="A conflict: apply your change over the server's"),
        Binding("t", "keep_theirs", "Keep theirs", tooltip="A conflict: drop your change and keep the server's"),
        Binding(
            "x,delete", "discard", "Discard",
            tooltip="Drop the selected change for good, or a set-aside file's changes (asks first)",
        ),
        Binding("R", "send_all", "Send all now", tooltip="Try everything that waits now, without waiting out the backoff"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._unsubscribe: list[Callable[[], None]] = []
        self._rows: list[Row] = []

    @property
    def outbox(self) -> Outbox:
        return self.app.session.outbox

    def compose(self) -> ComposeResult:
        yield AppHeader(id="header")
        yield Static("", id="changes-notice", markup=False)
        yield DataTable(id="changes-table", cursor_type="row", zebra_stripes=False)
        yield Static("", id="change-detail", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self._layout(self.size.width)
        changed = follower(self, lambda _changed: self._show())  # a burst of outbox events: one redraw
        self._unsubscribe = [self.outbox.subscribe(lambda _event: changed(None)), self.outbox.subscribe_files(self._show)]
        self.set_interval(1, self._show)  # "again in 12s" counts down
        self.query_one(DataTable).focus()
        self._show()

    def on_unmount(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()

    def on_screen_resume(self) -> None:
        self._show()

    def on_resize(self, event: events.Resize) -> None:
        self._layout(event.size.width)
        self._show()

    def _layout(self, width: int) -> None:
        """Columns that fit the terminal: the contact and the change share what the fixed ones leave."""
        table = self.query_one(DataTable)
        fixed = 3 + 6 + 9 + 6 * 2  # #, made, state, and the cells' padding
        room = max(width - fixed - 2, 30)
        # The contact a change is about: only where changes are about contacts (OnePageCRM); a lead's
        # or a record's change names it in its own words.
        contact = max(12, min(24, room // 4)) if self._about_contacts else 0
        change = max(16, min(40, room // 3))
        why = max(room - contact - change, 10)
        table.clear(columns=True)
        table.add_column("#", key="id", width=3)
        table.add_column("made", key="made", width=6)
        table.add_column("state", key="state", width=9)
        if self._about_contacts:
            table.add_column("contact", key="contact", width=contact)
        table.add_column("change", key="change", width=change)
        table.add_column("why it waits", key="why", width=why)
        self._rows = []

    def action_cursor(self, step: int) -> None:
        table = self.query_one(DataTable)
        if step > 0:
            table.action_cursor_down()
        else:
            table.action_cursor_up()

    # -- drawing ----------------------------------------------------------------------------------
    def _changes(self) -> list[Row]:
        changes = [change for change, _ in self.outbox.unsettled_changes()]
        changes += [change for change, _ in self.outbox.review()]
        rows = [Row(str(change.id), change) for change in sorted(changes, key=lambda c: c.id)]
        for found in self.outbox.set_aside:
            rows += set_aside_rows(found)
        return rows

    def _show(self) -> None:
        if not self.is_mounted:
            return
        table = self.query_one(DataTable)
        selected = self.selected_row
        now = self.app.clock()
        rows = self._changes()
        outbox = self.outbox
        if [r.key for r in rows] != [r.key for r in self._rows] or table.row_count != len(rows):
            table.clear()
            for row in rows:
                table.add_row(*self._cells(row, outbox, now), key=row.key)
        else:
            for row in rows:
                for column, cell in zip(self._columns(), self._cells(row, outbox, now)):
                    table.update_cell(row.key, column, cell)
        self._rows = rows
        if selected is not None and any(r.key == selected.key for r in rows):
            table.move_cursor(row=next(i for i, r in enumerate(rows) if r.key == selected.key))
        self._update_title()
        self._show_notice()
        self._show_detail()

    def _cells(self, row: Row, outbox: Outbox, now: dt.datetime) -> tuple[Text, ...]:
        change = row.change
        label, style = STATE_LABELS.get(change.state, (change.state.value, ""))
        if row.group is not None:
            label, style = SET_ASIDE_LABEL
        elif change.problem:
            label, style = DAMAGED
        elif change is outbox.sending:
            label, style = "sending", "bold"
        refused = change.state is State.FAILED or bool(change.problem) or (row.group is not None and row.group.foreign)
        return (
            Text(str(change.id) if row.group is None else "–", style="dim"),
            Text(when(change.created_at, now, self.app.session.account)),
            Text(label, style=style),
            *((Text(self._contact(change)),) if self._about_contacts else ()),
            Text(change.label or change.kind),
            Text(status_text(change, outbox, row.group), style="red" if refused else ""),
        )

    @property
    def _about_contacts(self) -> bool:
        return self.app.session.supports(Capability.CONTACT_DETAIL)

    def _columns(self) -> tuple[str, ...]:
        return ("id", "made", "state", *(("contact",) if self._about_contacts else ()), "change", "why")

    def _contact(self, change: Change) -> str:
        """Who the change is about: the contact's name as the app knows it."""
        if not change.contact_id:
            return ""
        entry = self.app.session.entry(change.contact_id)
        if entry is not None:
            return contact_name(entry.contact)
        return "—"  # not in the stream shown (opened from the board, a notification or a search)

    def _update_title(self) -> None:
        outbox = self.outbox
        parts = [f"{outbox.pending} to send"]
        if outbox.failed:
            parts.append(f"{outbox.failed} refused")
        if outbox.conflicts:
            parts.append(f"{outbox.conflicts} in conflict")
        if outbox.unreadable:
            parts.append(f"{outbox.unreadable} damaged")
        if outbox.set_aside_count:
            parts.append(f"{outbox.set_aside_count} set aside")
        self.query_one("#header", AppHeader).title = "Pending changes · " + ", ".join(parts)

    def _show_notice(self) -> None:
        """Above the list: the file could not be read, or may have lost changes (hidden otherwise)."""
        outbox = self.outbox
        lines = []
        if outbox.open_error:
            lines.append(
                "The file of unsent changes could not be read, so what still waits is not known: "
                f"{outbox.open_error}. Check the disk and restart crmtui."
            )
        lost = outbox.store.lost
        if lost is not None:
            lines.append(lost_text(lost, self.app.session.account))
        if outbox.set_aside_error:
            lines.append(outbox.set_aside_error)
        notice = self.query_one("#changes-notice", Static)
        notice.update("\n".join(lines))
        notice.display = bool(lines)

    def _show_detail(self) -> None:
        detail = self.query_one("#change-detail", Static)
        row = self.selected_row
        if row is None:
            outbox = self.outbox  # not read yet, unreadable, set-aside files unknown or maybe lost: not "nothing"
            known = outbox.opened and not outbox.open_error and not outbox.set_aside_error
            nothing = known and not self._rows and outbox.store.lost is None
            detail.update(
                "Nothing waits: every change you made is on the server." if nothing
                else "" if outbox.opened else "Reading the unsent changes…"
            )
            return
        change = row.change
        who = self._contact(change)
        what = f"{change.label} ({who})" if who and who != "—" else change.label
        if row.group is not None:
            text = set_aside_detail(what, row.group)
        elif change.problem:
            text = f"{what}: crmtui cannot read this change ({change.problem}), so it is not sent.\nx discards it"
        elif change.state is State.CONFLICT:
            text = f"{what}: {change.detail}\nm keeps yours (sent over the server's) · t keeps the server's · x discards"
        elif change.state is State.FAILED:
            text = f"{what}: the server refused it — {change.error}\nr sends it again · x discards it"
        else:
            tries = f"{change.attempts} failed attempt(s); " if change.attempts else ""
            text = f"{what}: {tries}{status_text(change, self.outbox)}\nR sends everything waiting now"
        detail.update(text)

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    @property
    def selected_row(self) -> Row | None:
        table = self.query_one(DataTable)
        if not self._rows or table.cursor_row is None or not 0 <= table.cursor_row < len(self._rows):
            return None
        return self._rows[table.cursor_row]

    @property
    def selected(self) -> Change | None:
        """The selected change of the outbox itself (None on a set-aside file's line)."""
        row = self.selected_row
        return row.change if row is not None and row.group is None else None

    # -- actions ----------------------------------------------------------------------------------
    def _run(self, make: Callable[[], Awaitable[object]], success: str) -> None:
        self._act(make, success)

    @work(group="outbox-actions", exit_on_error=False)
    async def _act(self, make: Callable[[], Awaitable[object]], success: str) -> None:
        try:
            done = await make()
        except CommandRefused as exc:
            self.notify(str(exc), severity="error", timeout=8)
        except Exception as exc:  # noqa: BLE001 - a disk error must reach the person as words, not a trace
            self.notify(f"That did not work: {exc}", severity="error", timeout=8)
        else:
            if done is False:
                self.notify("That change is on its way already", severity="warning", timeout=3)
            elif self.outbox.paused and success.startswith("Send"):
                self.notify(f"Kept to send later: {self.outbox.pause_reason}", severity="warning", timeout=6)
            elif success:
                self.notify(success, timeout=3)
        self._show()

    def action_retry(self) -> None:
        row = self.selected_row
        if row is None:
            return
        change = row.change
        if row.group is not None:
            self._send_set_aside(row.group)
        elif change.problem:
            self.notify("This change cannot be read, so it cannot be sent; x discards it", severity="warning", timeout=5)
        elif change.state is State.FAILED:
            self._run(lambda: self.outbox.retry(change.id), f"Sending again: {change.label}")
        elif change.state is State.CONFLICT:
            self.notify("A conflict: m keeps yours, t keeps the server's", severity="warning", timeout=4)
        else:
            self._run(self.outbox.wake, "Sending now")

    def action_send_all(self) -> None:
        outbox = self.outbox
        outbox.resume()
        if outbox.paused:
            self.notify(outbox.pause_reason, severity="warning", timeout=6)  # offline mode, another crmtui
            return
        self._run(outbox.wake, "Sending everything that waits now")

    def _conflict(self) -> Change | None:
        change = self.selected
        if change is None or change.state is not State.CONFLICT or change.problem:
            self.notify("Only a conflict has two versions to choose from", severity="warning", timeout=3)
            return None
        return change

    def action_keep_mine(self) -> None:
        change = self._conflict()
        if change is not None:
            self._run(lambda: self.outbox.retry(change.id, force=True), f"Sending yours: {change.label}")

    def action_keep_theirs(self) -> None:
        change = self._conflict()
        if change is not None:
            self._run(lambda: self.outbox.discard(change.id), "Kept the server's version")

    def action_discard(self) -> None:
        row = self.selected_row
        if row is None:
            return
        if row.group is not None:
            self._discard_set_aside(row.group)
            return
        change = row.change
        if change is self.outbox.sending:
            self.notify("It is being sent right now; try again in a moment", severity="warning", timeout=3)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._run(lambda: self.outbox.discard(change.id), f"Discarded: {change.label}")

        question = f"Drop “{change.label or change.kind}” for good? It will not be sent again."
        if change.state is State.SENDING:
            question += " An earlier attempt may have reached the server: check the record there."
        self.app.push_screen(ConfirmModal("Discard the change?", question, confirm_label="Discard"), answered)

"""Top-level screen 2: the team stream. Counters per member; any member's (or everyone's) stream.

The stream sits where the action stream's does, with the same rows, preview and triage keys; the
team picker sits above the preview (on narrow terminals it shows while it has the focus, and the
screen opens on the list, at full width: Tab shows the picker). The
stream comes from its own `TeamStream`, so the signed-in user's action stream is never disturbed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, OptionList

from crmtui.backends.errors import BackendError
from crmtui.domain.models import StreamEntry
from crmtui.service.team import TeamStream
from crmtui.ui.follow import follow
from crmtui.ui.screens.team_keys import TeamKeysMixin
from crmtui.ui.reconnect import load_failed, reload_when_online
from crmtui.ui.widgets.footer import KeyFooter
from crmtui.ui.widgets.header import AppHeader
from crmtui.ui.widgets.inputs import TextInput
from crmtui.ui.widgets.preview import ContactPreview
from crmtui.ui.widgets.team_members import TeamMemberList
from crmtui.ui.widgets.team_stream_list import TeamStreamList

WIDE = 120
"""From this many columns the team picker and the preview stay beside the list."""

BROWSE_DELAY = 0.25
"""Seconds the highlight must rest on a member before their stream loads."""


class TeamStreamScreen(TeamKeysMixin):
    """Top-level screen 2: the team's streams."""

    FOOTER_ORDER = (
        "done", "add", "edit", "reassign", "undo", "filter", "back", "members", "step_member(1)", "step_member(-1)", "select", "star",
        "find", "swap", "promote", "refresh",
    )
    BINDINGS = [
        Binding("tab", "members", "Team", tooltip="Team picker: whose stream to show (Tab again: back to the list)"),
        Binding("d", "done", "Done"),
        Binding("n", "add", "Add"),
        Binding("e", "edit", "Edit"),
        Binding("a", "reassign", "Assign", tooltip="Assign the action to a team member (they are notified)"),
        Binding("p", "promote", "Promote", show=False),
        Binding("s", "swap", "Swap", show=False),
        Binding("u", "undo", "Undo"),
        Binding("asterisk", "star", "Star", show=False),
        Binding("slash", "filter", "Filter", priority=True),
        Binding("]", "step_member(1)", "Next member", show=False),
        Binding("[", "step_member(-1)", "Previous member", show=False),
        Binding("r", "refresh", "Refresh", show=False),
        Binding("escape", "back", "Back", tooltip="Clear the filter, or leave the team picker"),
        Binding("exclamation_mark", "no_action", "No action", show=False, tooltip="Jump to the first contact without a next action"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.team: TeamStream | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        self._stale = False
        self.load_error: BackendError | None = None
        """Why the stream shown failed to load (None: it did not): loaded again once the connection is back."""

    def compose(self) -> ComposeResult:
        yield AppHeader(id="header")
        with Horizontal(id="team-body"):
            yield TeamStreamList(id="team-list")
            with Vertical(id="team-side"):
                yield TeamMemberList(id="team-members")
                yield ContactPreview(id="team-preview")
        yield TextInput(placeholder="Filter: type to narrow, Enter also searches the server, Esc clears", id="team-filter")
        yield KeyFooter()

    @property
    def stream_list(self) -> TeamStreamList:
        return self.query_one("#team-list", TeamStreamList)

    @property
    def members(self) -> TeamMemberList:
        return self.query_one("#team-members", TeamMemberList)

    def selected_entry(self) -> StreamEntry | None:
        return self.stream_list.selected_entry

    def _move_past(self, contact_id: str) -> None:
        self.stream_list.move_past(contact_id)

    # -- lifecycle -----------------------------------------------------------------------------
    def on_mount(self) -> None:
        stream = self.stream
        self._unsubscribe.append(follow(self, stream.changes, self._stream_changed))
        self._unsubscribe.append(follow(self, stream.main.changes, self._main_changed))
        self.query_one("#team-filter", Input).display = False
        self.members.border_title = "Next actions"
        self._show_members()
        if self.app.size.width >= WIDE:
            self.action_members()  # beside the list: choose whose stream
        else:
            self.stream_list.focus()  # the picker would take the rows' width; Tab shows it
        self.load_counts()
        self.load_view(stream.viewing)
        reload_when_online(self, lambda: self.load_error is not None, lambda: self.load_view(self.stream.viewing))

    def on_unmount(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        if self.team is not None:
            self.team.detach()

    def on_resize(self, event: events.Resize) -> None:
        was_wide = self.is_wide
        self.set_class(event.size.width >= WIDE, "-wide")
        if self.is_wide and not was_wide:
            self._show_preview(self.selected_entry())

    @property
    def is_wide(self) -> bool:
        return self.has_class("-wide")

    def on_screen_resume(self) -> None:
        if self._stale and self.stream.loaded:
            self._stale = False
            self.load_counts()
            self.load_view(self.stream.viewing)  # refresh in place: the cursor stays on its contact

    def _main_changed(self, _changed: frozenset[str] | None) -> None:
        if not self.is_current:
            self._stale = True  # changed elsewhere (the action stream, a contact): reload on return

    @on(events.DescendantFocus)
    def _focus_moved(self, event: events.DescendantFocus) -> None:
        self.set_class(event.widget is self.members, "-members")
        self.refresh_bindings()

    # -- the team picker -----------------------------------------------------------------------
    def _show_members(self) -> None:
        self.members.set_members(self.stream.members(), self.stream.viewing)

    def action_members(self) -> None:
        """Tab: to the team picker and back."""
        if self.members.has_focus:
            self.stream_list.focus()
            return
        self.add_class("-members")
        self.members.highlight_user(self.stream.viewing)
        self.members.focus()

    def action_step_member(self, step: int) -> None:
        rows = self.stream.members()
        ids = [m.user_id for m in rows]
        index = ids.index(self.stream.viewing) if self.stream.viewing in ids else 0
        user_id = ids[(index + step) % len(ids)]
        self.members.highlight_user(user_id)
        self.load_view(user_id)

    @on(OptionList.OptionHighlighted, "#team-members")
    def _member_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        user_id = self.members.highlighted_user
        if self.members.has_focus and (user_id != self.stream.viewing or not self.stream.loaded):
            self.load_view(user_id, delay=BROWSE_DELAY)

    @on(OptionList.OptionSelected, "#team-members")
    def _member_selected(self, event: OptionList.OptionSelected) -> None:
        user_id = self.members.highlighted_user
        if user_id != self.stream.viewing or not self.stream.loaded:
            self.load_view(user_id)
        self.stream_list.focus()

    # -- loading -------------------------------------------------------------------------------
    @work(exclusive=True, group="team-load", exit_on_error=False)
    async def load_view(self, user_id: str | None, *, delay: float = 0) -> None:
        """Show `user_id`'s stream (None: everyone's); reloading the one shown keeps it on screen."""
        if delay:
            await asyncio.sleep(delay)  # browsing the picker should not load every stream passed
        stream = self.stream
        lst = self.stream_list
        if stream.view(user_id):
            lst.set_filter("")
            self.query_one("#team-filter", Input).value = ""
        lst.empty_text = f"Loading {self._whose()} stream…"
        self._show_members()
        try:
            await stream.load_stream(on_progress=self._progress)
        except BackendError as exc:
            self.load_error = exc
            load_failed(self, [exc])
            lst.empty_text = f"Not loaded (r retries): {exc.user_message}"
            self.notify(exc.user_message, title="Team stream not loaded", severity="error", timeout=6)
            return
        self.load_error = None
        if self.stream.counts is None:
            self.load_counts()  # they failed with the stream: the picker's counters follow it back
        self._update_title()

    @work(exclusive=True, group="team-counts", exit_on_error=False)
    async def load_counts(self) -> None:
        try:
            await self.stream.load_counts()
        except BackendError:
            return  # counters show "…"; the stream load reports the problem
        self._show_members()

    def _progress(self, done: int, total: int) -> None:
        if not self.stream.entries:
            lst = self.stream_list
            lst.empty_text = f"Loading {self._whose()} stream… {done:,} / {total:,}" if total else lst.empty_text
            lst.refresh()

    def _whose(self) -> str:
        return "everyone's" if self.stream.viewing is None else f"{self.stream.viewing_name()}'s"

    def action_no_action(self) -> None:
        """!: the first contact without a next action (they stay last, as in OnePageCRM)."""
        if not self.stream_list.jump_to_no_action():
            self.notify("Every contact shown has a next action", timeout=3)
        self.stream_list.focus()

    def action_refresh(self) -> None:
        self.load_counts()
        self.load_view(self.stream.viewing)

    # -- the stream ----------------------------------------------------------------------------
    def _stream_changed(self, changed: frozenset[str] | None) -> None:
        """The stream shown changed: only the rows of `changed` contacts move (None: all may have)."""
        stream = self.stream
        lst = self.stream_list
        lst.set_context(stream.account, stream.today(), stream.now(), stream.section_user_id)
        colleague = stream.viewing is not None and not stream.viewing_self
        lst.set_whose(queued_for=stream.viewing_name() if colleague else "", show_assignee=stream.viewing is None)
        if stream.loaded:
            lst.empty_text = "No contacts match the filter" if lst.filter_text else "No contacts in this stream"
        lst.update_entries(stream.entries, changed)
        self._update_title()
        self._show_preview(lst.selected_entry)
        self._show_members()  # the counters move with every change

    def _update_title(self) -> None:
        stream = self.stream
        lst = self.stream_list
        total = len(stream.entries)
        title = f"Team · {stream.viewing_name()}"
        if stream.loaded or total:
            # "contacts": the picker's counters beside it are next actions, a different number
            title += f" · {len(lst.entries):,} of {total:,} match" if lst.filter_text else f" · {total:,} contacts"
            missing = lst.no_action_count()
            if missing:
                title += f" · {missing:,} without next action"
        self.query_one("#header", AppHeader).title = title
        self.refresh_bindings()

    def _show_preview(self, entry: StreamEntry | None) -> None:
        stream = self.stream
        deals = stream.cached_pending_deals(entry.contact.id) if entry is not None else None
        self.query_one("#team-preview", ContactPreview).show(entry, stream.account, stream.today(), stream.now(), deals)
        if entry is not None and deals is None and entry.contact.pending_deal and self.is_wide:
            self.load_deals(entry.contact.id)

    @work(exclusive=True, group="team-deals", exit_on_error=False)
    async def load_deals(self, contact_id: str) -> None:
        await asyncio.sleep(0.15)  # holding j/k should not send a request per row
        try:
            await self.stream.pending_deals(contact_id)
        except BackendError:
            return
        entry = self.selected_entry()
        if entry is not None and entry.contact.id == contact_id:
            self._show_preview(entry)

    @on(TeamStreamList.Highlighted)
    def _highlighted(self, event: TeamStreamList.Highlighted) -> None:
        self._show_preview(event.entry)

    @on(TeamStreamList.Selected)
    def _selected(self, event: TeamStreamList.Selected) -> None:
        self.app.open_contact(event.entry.contact.id)

"""Keys of the team screen that act on the stream shown: the filter, and triage where the server allows it.

A colleague's next action can be edited, reassigned and given a new action, but only its assignee
may complete, promote or swap it: those keys say so instead of failing at the server.
"""

from __future__ import annotations

from textual import on, work
from textual.widgets import Input

from crmtui.backends.errors import BackendError
from crmtui.service.errors import CommandRefused
from crmtui.service.team import TeamStream
from crmtui.ui.modals.next_action import ActionDraft
from crmtui.ui.screens.triage import TriageMixin
from crmtui.ui.widgets.team_members import TeamMemberList
from crmtui.ui.widgets.team_stream_list import TeamStreamList


class TeamKeysMixin(TriageMixin):
    """Mixed into the team screen; needs `stream_list`, `members` and `_update_title()`."""

    team: TeamStream | None = None

    @property
    def session(self) -> TeamStream:  # the triage keys act on the stream shown here
        if self.team is None:
            self.team = TeamStream(self.app.session)
        return self.team

    @property
    def stream(self) -> TeamStream:
        return self.session

    @property
    def stream_list(self) -> TeamStreamList:  # pragma: no cover - provided by the screen
        raise NotImplementedError

    @property
    def members(self) -> TeamMemberList:  # pragma: no cover - provided by the screen
        raise NotImplementedError

    def _update_title(self) -> None:  # pragma: no cover - provided by the screen
        raise NotImplementedError

    # -- filter and Esc ------------------------------------------------------------------------
    def action_filter(self) -> None:
        self.open_text_box(self.query_one("#team-filter", Input), "slash", "/")  # keys typed right behind "/" belong in it
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":  # in the footer only while there is something to go back from
            box = self.query_one("#team-filter", Input)
            return bool(self.stream_list.filter_text) or box.display or self.members.has_focus
        return True

    def action_back(self) -> None:
        """Esc: clear the filter, or leave the team picker for the list."""
        box = self.query_one("#team-filter", Input)
        if box.display or self.stream_list.filter_text:
            box.value = ""
            box.display = False
            self.stream_list.set_filter("")
            self._update_title()
        self.set_focus(self.stream_list)

    @on(Input.Changed, "#team-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.stream_list.empty_text = "No contacts match the filter"
        self.stream_list.set_filter(event.value)
        self._update_title()

    @on(Input.Submitted, "#team-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        query = event.value.strip()
        self.set_focus(self.stream_list)
        if query:
            self.search_server(query)

    @work(exclusive=True, group="team-search", exit_on_error=False)
    async def search_server(self, query: str) -> None:
        try:
            found = await self.stream.search(query)
        except BackendError as exc:
            self.notify(exc.user_message, title="Search failed", severity="error")
            return
        if self.stream_list.filter_text != query.casefold():
            return
        loaded = {e.contact.id for e in self.stream.entries}
        extra = [e for e in found if e.contact.id not in loaded]
        self.stream_list.set_filter(query, extra=extra)
        self._update_title()
        self.notify(f"{len(extra)} more from the server" if extra else "No more matches on the server", timeout=3)

    # -- triage where the server allows it -----------------------------------------------------
    def action_done(self) -> None:
        entry = self.selected_entry()
        if entry is not None:
            try:
                self.stream.require_own(entry, "complete")
            except CommandRefused as exc:
                self.notify(str(exc), title="Not possible", severity="warning")
                return
        super().action_done()

    async def _add(self, contact_id: str, draft: ActionDraft) -> None:
        # A new action on a colleague's stream is theirs (the server tells them).
        await self.stream.add_action(
            contact_id, draft.text, draft.status, draft.date, draft.exact_time, assignee_id=self.stream.viewing
        )

    def _saved_message(self, name: str, draft: ActionDraft) -> str:
        message = super()._saved_message(name, draft)
        stream = self.stream
        if stream.viewing is not None and not stream.viewing_self:
            message += f" (for {stream.viewing_name()})"
        return message

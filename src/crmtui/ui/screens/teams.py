"""Top-level screen 2 on Pipedrive: teams (Pipedrive's legacy teams) and their members.

The teams, active ones first, on one list; the members of the team under the cursor on the other,
its manager first, each with their number of open leads. Those numbers cost nothing: they come
from the leads inbox when it shows everyone's open leads, else from everyone's open leads as last
read here; otherwise the screen says how to get them (`o` on the inbox). Enter on a member opens
the inbox on their leads.

Only admins may change teams (Pipedrive's rule): for them `n` makes a team, `e` edits the one under
the cursor, `+`/`-` add or remove a member; anyone else is told so when pressing those keys, and the
key bar does not offer them. Changes go through the outbox and show at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from crmtui.backends.errors import BackendError
from crmtui.domain.teams import Team
from crmtui.service.team_commands import ADMINS_ONLY
from crmtui.service.teams import LeadCounts, TeamsView
from crmtui.ui.failures import failure_title
from crmtui.ui.follow import FollowsServices, follow
from crmtui.ui.modals.pickers import TeamPickerModal
from crmtui.ui.modals.team_form import TeamFormModal, TeamFormResult
from crmtui.ui.reconnect import load_failed, reload_when_online
from crmtui.ui.screens.base import CrmScreen
from crmtui.ui.widgets.footer import KeyFooter
from crmtui.ui.widgets.header import AppHeader
from crmtui.ui.widgets.row_list import Cell, Column, RowList

WIDE = 120
"""From this width the members show beside the teams, not below them."""
ADMIN_ACTIONS = frozenset({"new", "edit", "add_member", "remove_member"})
NO_COUNTS = "Open leads: not read yet (press 1, then o for everyone's leads, and come back)"


@dataclass(frozen=True)
class MemberRow:
    user_id: str
    name: str
    manager: bool
    leads: int | None


class TeamsScreen(FollowsServices, CrmScreen[None]):
    """The account's teams and their members."""

    FOOTER_ORDER = ("switch", "new", "edit", "add_member", "remove_member", "refresh")
    CHANGES_GROUP = "team-changes"
    BINDINGS = [
        Binding("tab", "switch", "Teams/members", tooltip="Move between the teams and the team's members"),
        Binding("n", "new", "New team", tooltip="A new team, managed by you (admins only)"),
        Binding("n", "admins_only", "New team", show=False),
        Binding("e", "edit", "Edit", tooltip="The team's name, description, active or not (admins only)"),
        Binding("e", "admins_only", "Edit", show=False),
        Binding("plus", "add_member", "Add member", tooltip="Add a user to the team (admins only)"),
        Binding("plus", "admins_only", "Add member", show=False),
        Binding("minus", "remove_member", "Remove member", tooltip="Take a user out of the team (admins only)"),
        Binding("minus", "admins_only", "Remove member", show=False),
        Binding("r", "refresh", "Refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.load_failed = False
        self.counts: LeadCounts | None = None
        self._view: TeamsView | None = None
        self._unfollow: list[Callable[[], None]] = []

    @property
    def view(self) -> TeamsView:
        if self._view is None:
            self._view = TeamsView(self.app.session)
        return self._view

    # -- layout ----------------------------------------------------------------------------------
    def _team_columns(self) -> list[Column[Team]]:
        view = self.view

        def flag(team: Team) -> Cell:
            return ("●", "today") if team.active else ("○", "closed")

        def name(team: Team) -> Cell:
            pending = " …" if view.pending(team.id) else ""
            return (team.title + pending, "" if team.active else "closed")

        return [
            Column("", flag, width=1, priority=9),
            Column("Team", name, share=3, min_width=12, priority=9),
            Column("Manager", lambda t: (view.name(t.manager_id) if t.manager_id else "", "dim"), share=2, min_width=10, priority=6),
            Column("Members", lambda t: (str(len(t.member_ids)), ""), width=7, right=True, priority=7),
            Column("About", lambda t: (t.description, "dim"), share=3, min_width=12, priority=2),
        ]

    def _member_columns(self) -> list[Column[MemberRow]]:
        return [
            Column("Member", lambda m: (m.name, "strong" if m.manager else ""), share=3, min_width=14, priority=9),
            Column("Role", lambda m: ("manager" if m.manager else "", "dim"), width=8, priority=5),
            Column(
                "Open leads", lambda m: (f"{m.leads:,}" if m.leads is not None else "–", ""), width=10, right=True,
                priority=8,
            ),
        ]

    def compose(self) -> ComposeResult:
        yield AppHeader(id="header")
        with Horizontal(id="teams-body"):
            yield RowList[Team](self._team_columns(), key=lambda t: t.id, id="teams-list")
            with Vertical(id="members-pane"):
                yield Static("", id="members-title", markup=False)
                yield RowList[MemberRow](self._member_columns(), key=lambda m: m.user_id, id="members-list")
                yield Static("", id="teams-note", markup=False)
        yield KeyFooter()

    @property
    def team_list(self) -> RowList[Team]:
        return self.query_one("#teams-list", RowList)

    @property
    def member_list(self) -> RowList[MemberRow]:
        return self.query_one("#members-list", RowList)

    # -- lifecycle -------------------------------------------------------------------------------
    def on_mount(self) -> None:
        session = self.app.session
        self._unfollow = [
            follow(self, self.view.changes, lambda _changed: self._show()),
            follow(self, session.leads.changes, lambda _changed: self._count_again()),
        ]
        reload_when_online(self, lambda: self.load_failed, self.load)
        self.team_list.empty_text = "Loading teams…"
        self.team_list.focus()
        self._show()
        self.load()

    def on_unmount(self) -> None:
        for stop in self._unfollow:
            stop()
        self.view.detach()

    def on_resize(self) -> None:
        self.query_one("#teams-body").set_class(self.size.width >= WIDE, "-wide")

    def on_screen_resume(self) -> None:
        if self.focused is None:
            self.team_list.focus()
        self.load_counts()

    def _count_again(self) -> None:
        self.load_counts()

    # -- showing ---------------------------------------------------------------------------------
    def _show(self) -> None:
        view = self.view
        active = [t for t in view.items if t.active]
        inactive = [t for t in view.items if not t.active]
        self.team_list.set_rows([("Active teams", "today", active), ("Inactive teams", "closed", inactive)])
        if view.loaded and not view.items:
            self.team_list.empty_text = "No teams in this account" + ("" if view.is_admin else f" ({ADMINS_ONLY.lower()})")
        count = f" · {len(active)} active" + (f", {len(inactive)} inactive" if inactive else "") if view.loaded else ""
        self.query_one(AppHeader).title = f"Teams{count}"
        self._members()
        self.refresh_bindings()

    def _members(self) -> None:
        view = self.view
        team = self.team_list.selected
        title = self.query_one("#members-title", Static)
        if team is None:
            title.update("")
            self.member_list.set_rows([])
            self.member_list.empty_text = ""
        else:
            counts = self.counts
            rows = [
                MemberRow(
                    user_id=uid, name=view.name(uid), manager=uid == team.manager_id,
                    leads=counts.by_owner.get(uid, 0) if counts is not None else None,
                )
                for uid in view.members(team)
            ]
            manager = f" · managed by {view.name(team.manager_id)}" if team.manager_id else ""
            state = "" if team.active else " · inactive"
            about = f"\n{team.description}" if team.description else ""
            title.update(f"{team.title}{manager} · {len(rows)} member{'s' if len(rows) != 1 else ''}{state}{about}")
            self.member_list.empty_text = "No members"
            self.member_list.set_rows([("Members", "dim", rows)])
        note = self.counts.meaning.capitalize() if self.counts is not None else NO_COUNTS
        lines = [f"{note} · Enter on a member: their leads"]
        reason = view.why_not() if view.session.account is not None else None
        if reason is not None:
            lines.append(reason)
        self.query_one("#teams-note", Static).update("\n".join(lines))

    @on(RowList.Highlighted)
    def _highlighted(self, event: RowList.Highlighted) -> None:
        if isinstance(event.item, Team) or event.item is None:
            self._members()

    @on(RowList.Selected)
    def _selected(self, event: RowList.Selected) -> None:
        if isinstance(event.item, MemberRow):
            self.open_leads(event.item)
        elif isinstance(event.item, Team):
            self.member_list.focus()

    def open_leads(self, member: MemberRow) -> None:
        """The leads inbox on this member's open leads."""
        self.app.session.leads.show_member(member.user_id)
        self.app.action_go("leads")
        self.app.refresh_stream()
        self.notify(f"{member.name}'s open leads (o: everyone's)", timeout=3)

    # -- loading ---------------------------------------------------------------------------------
    @work(exclusive=True, group="teams-load", exit_on_error=False)
    async def load(self) -> None:
        try:
            await self.view.load()
        except BackendError as exc:
            self.load_failed = True
            load_failed(self, [exc])
            self.team_list.empty_text = f"Not loaded (r retries): {exc.user_message}"
            self.team_list.refresh()
            self.notify(exc.user_message, title=failure_title(exc), severity="error", timeout=6)
            return
        self.load_failed = False
        self.app.update_gauge()
        self.load_counts()

    @work(exclusive=True, group="teams-counts", exit_on_error=False)
    async def load_counts(self) -> None:
        self.counts = await self.view.open_leads()
        self._members()

    def action_refresh(self) -> None:
        self.load()

    def action_switch(self) -> None:
        if self.member_list.has_focus:
            self.team_list.focus()
        else:
            self.member_list.focus()

    # -- changes (admins only) ---------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ADMIN_ACTIONS:
            return self.view.is_admin
        return True

    def action_admins_only(self) -> None:
        self.notify(self.view.why_not() or ADMINS_ONLY, title=ADMINS_ONLY, severity="warning", timeout=4)

    def _team(self) -> Team | None:
        team = self.team_list.selected
        if team is None:
            self.notify("No team selected", severity="warning", timeout=2)
        return team

    def action_new(self) -> None:
        def made(result: TeamFormResult | None) -> None:
            if result is not None:
                self._change("made", self.view.create(result.name, description=result.description), f"Team “{result.name}” made")

        self.app.push_screen(TeamFormModal(None), made)

    def action_edit(self) -> None:
        team = self._team()
        if team is None:
            return

        def edited(result: TeamFormResult | None) -> None:
            if result is not None:
                fields = {"name": result.name, "description": result.description, "active": result.active}
                self._change("changed", self.view.edit(team.id, **fields))

        self.app.push_screen(TeamFormModal(team), edited)

    def action_add_member(self) -> None:
        team = self._team()
        if team is None:
            return
        users = [u for u in self.view.users() if u.id not in team.member_ids]
        if not users:
            self.notify("Everyone is in this team already", timeout=3)
            return

        def chosen(user_id: str | None) -> None:
            if user_id:
                name = self.view.name(user_id)
                self._change("added", self.view.add_member(team.id, user_id), f"{name} added to {team.title}")

        self.app.push_screen(TeamPickerModal(f"Add to {team.title}", users), chosen)

    def action_remove_member(self) -> None:
        team = self._team()
        if team is None:
            return
        users = [u for u in self.view.users() if u.id in team.member_ids and u.id != team.manager_id]
        if not users:
            self.notify(f"{team.title} has no one but its manager (a team keeps its manager)", timeout=4)
            return
        current = self.member_list.selected if self.member_list.has_focus else None

        def chosen(user_id: str | None) -> None:
            if user_id:
                name = self.view.name(user_id)
                self._change("removed", self.view.remove_member(team.id, user_id), f"{name} taken out of {team.title}")

        self.app.push_screen(
            TeamPickerModal(f"Take out of {team.title}", users, current=current.user_id if current else None), chosen
        )

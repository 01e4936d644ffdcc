"""Teams (Pipedrive's legacy teams), as the teams screen shows them: the server's list with the
team changes on their way laid over it, the members of each, their open leads counted without
spending any of the API budget, and the team verbs (admins only).

Writes go through the outbox (offline, exactly once): a new team, its name and description, a
member added or removed. Pipedrive lets only admins make them; `why_not()` says so before anything
is asked for, and a change the server still refuses is kept for review with the reason.

Open leads per member come from what is already here, never from a request of their own: the
inbox when it shows everyone's open leads, else everyone's open leads as last read (the local
copy), else nothing (the screen says how to get them: `o` on the inbox).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from crmtui.domain.formatting import account_now
from crmtui.domain.models import User
from crmtui.domain.teams import Team, teams_in_order
from crmtui.service.commands import Command, new_local_id
from crmtui.service.errors import CommandRefused
from crmtui.service.features import teams_api
from crmtui.service.outbox import FAILED, SENT, OutboxEvent
from crmtui.service.signals import Signal
from crmtui.service.team_commands import (
    ADMINS_ONLY,
    TEAMS,
    AddMembers,
    CreateTeam,
    RemoveMembers,
    TeamCommand,
    UpdateTeam,
)

if TYPE_CHECKING:
    from crmtui.service.session import Session


@dataclass(frozen=True)
class LeadCounts:
    """Open leads per owner, and what the numbers are (where they come from)."""

    by_owner: dict[str, int]
    meaning: str


class TeamsView:
    """The account's teams, as shown."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.server: list[Team] = []
        self.items: list[Team] = []
        """As shown: active teams first, then inactive ones, with the changes on their way."""
        self.loaded = False
        self.changes: Signal[frozenset[str] | None] = Signal()
        """Emitted after the teams shown change (always None: any of them)."""
        self.refused: Signal[str] = Signal()
        """Emitted with the reason when the server refuses a team change (kept for review)."""
        self._unsubscribe = session.outbox.subscribe(self._on_outbox)

    def detach(self) -> None:
        self._unsubscribe()

    # -- who may change teams ------------------------------------------------------------------
    @property
    def is_admin(self) -> bool:
        account = self.session.account
        return account is not None and account.is_admin

    def why_not(self) -> str | None:
        """Why the signed-in user may not change teams (None: they may)."""
        if self.session.account is None:
            return "Not signed in yet"
        return None if self.is_admin else f"{ADMINS_ONLY} (you are not an admin of this Pipedrive account)"

    def _require_admin(self) -> None:
        reason = self.why_not()
        if reason is not None:
            raise CommandRefused(reason)

    # -- people ---------------------------------------------------------------------------------
    def users(self) -> list[User]:
        """Everyone in the account: the signed-in user first."""
        account = self.session.account
        if account is None:
            return []
        return [account.user, *(u for u in account.team if u.id != account.user.id)]

    def name(self, user_id: str) -> str:
        account = self.session.account
        return account.user_name(user_id) if account is not None else user_id

    def members(self, team: Team) -> list[str]:
        """The team's members: its manager first, then by name."""
        others = sorted((u for u in team.member_ids if u != team.manager_id), key=lambda u: self.name(u).casefold())
        return ([team.manager_id] if team.manager_id in team.member_ids else []) + others

    # -- reading ---------------------------------------------------------------------------------
    def find(self, team_id: str) -> Team | None:
        real = self.session.outbox.server_id(team_id)
        return next((t for t in self.items if t.id in (team_id, real)), None)

    def _mine(self, command: Command) -> TeamCommand | None:
        return self.session.outbox.resolved(command, TeamCommand)

    @staticmethod
    def _apply(teams: list[Team], command: TeamCommand) -> list[Team]:
        if command.creates:
            made = command.predict(None)
            if made is None:
                return teams
            return [*(t for t in teams if t.id not in (made.id, command.team_id)), made]
        return [new if t.id == command.team_id and (new := command.predict(t)) is not None else t for t in teams]

    def _rebuild(self) -> None:
        teams = list(self.server)
        for command in self.session.outbox.unsettled(section=TEAMS):
            mine = self._mine(command)
            if mine is not None:
                teams = self._apply(teams, mine)
        self.items = teams_in_order(teams)
        self.changes.emit(None)

    def _on_outbox(self, event: OutboxEvent) -> None:
        mine = self._mine(event.command)
        if mine is None:
            return
        if event.kind == SENT:
            self.server = self._apply(self.server, mine)
        elif event.kind == FAILED and event.error is not None:
            self.refused.emit(event.error.user_message)
        self._rebuild()

    def pending(self, team_id: str) -> bool:
        """Whether a change of the team is still on its way."""
        real = self.session.outbox.server_id(team_id)
        return any(
            (mine := self._mine(c)) is not None and mine.team_id in (team_id, real)
            for c in self.session.outbox.unsettled(section=TEAMS)
        )

    async def load(self) -> list[Team]:
        """The account's teams from the server (the last known when it cannot be reached)."""
        self.server = await teams_api(self.session.backend).teams()
        self.loaded = True
        self._rebuild()
        return self.items

    async def open_leads(self) -> LeadCounts | None:
        """Open leads per owner from what is here already (no request): the inbox when it holds
        everyone's open leads, else everyone's open leads as last read; None when neither is here."""
        session = self.session
        inbox = session.leads
        if inbox.loaded and inbox.everyone and not inbox.archived and inbox.filter is None:
            return LeadCounts(dict(Counter(lead.owner_id for lead in inbox.items)), "open leads, as the inbox shows them")
        local = session.local
        found = await local.cached_leads(None) if local is not None else None
        if found is None:
            return None
        leads, synced_at = found
        when = f" (read {_when(synced_at, session)})" if synced_at is not None else ""
        return LeadCounts(dict(Counter(lead.owner_id for lead in leads)), f"open leads as last read{when}")

    # -- changes ---------------------------------------------------------------------------------
    async def run(self, command: Command) -> None:
        await self.session.queue(command)

    async def create(self, name: str, *, description: str = "", manager_id: str | None = None) -> CreateTeam:
        """A new team managed by `manager_id` (default: the signed-in user), shown at once."""
        self._require_admin()
        account = self.session.account
        assert account is not None
        manager = manager_id or account.user.id
        command = CreateTeam(
            team_id=new_local_id(), name=name.strip(), description=description.strip(), manager_id=manager,
            label=f"New team: {name.strip()}",
        )
        command.check_team()
        await self.run(command)
        return command

    def _require(self, team_id: str) -> Team:
        team = self.find(team_id)
        if team is None:
            raise CommandRefused("That team is no longer in the list")
        return team

    async def edit(self, team_id: str, **fields: Any) -> UpdateTeam | None:
        """Change the team's name, description or active flag (only what differs is sent)."""
        self._require_admin()
        team = self._require(team_id)
        changed = {k: v for k, v in fields.items() if getattr(team, k, None) != v}
        if not changed:
            return None
        command = UpdateTeam(
            team_id=team.id, fields=changed, before={k: getattr(team, k, None) for k in changed},
            label=f"Edit team: {team.title}",
        )
        command.check_fields()
        await self.run(command)
        return command

    async def add_member(self, team_id: str, user_id: str) -> AddMembers | None:
        self._require_admin()
        team = self._require(team_id)
        if user_id in team.member_ids:
            return None
        command = AddMembers(team_id=team.id, users=[user_id], label=f"Add {self.name(user_id)} to {team.title}")
        await self.run(command)
        return command

    async def remove_member(self, team_id: str, user_id: str) -> RemoveMembers | None:
        self._require_admin()
        team = self._require(team_id)
        if user_id not in team.member_ids:
            return None
        if user_id == team.manager_id:
            raise CommandRefused(f"{self.name(user_id)} manages {team.title}: a team keeps its manager")
        command = RemoveMembers(team_id=team.id, users=[user_id], label=f"Remove {self.name(user_id)} from {team.title}")
        await self.run(command)
        return command


def _when(moment: dt.datetime, session: Session) -> str:
    local = account_now(session.account, moment)
    today = session.today()
    return local.strftime("%H:%M") if local.date() == today else local.strftime("%d %b %H:%M")


__all__ = ["LeadCounts", "TeamsView"]

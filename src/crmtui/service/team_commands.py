"""Changes to teams (Pipedrive's legacy teams): a new team, its name and description, a member added
or removed. Only an account's admins may make them: the teams screen says so before anything is
asked for, and a change the server still refuses (403 "You do not have permissions to do this.",
an admin made a regular user meanwhile) is kept for review with a message that says why.

A new team is shown at once under a local id (`team_id`), which gives way to the server's. Making a
team is not idempotent (a second POST makes a second team), so after an attempt whose answer was
lost `reconcile` looks for a team of the same name and manager added since the first attempt. The
other changes leave the team as sending them once, however often they are sent.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Literal

from crmtui.backends.base import Backend
from crmtui.backends.errors import NotFound, PermissionDenied
from crmtui.domain.subjects import subject
from crmtui.domain.teams import Team
from crmtui.service.commands import Command, MakesOne, made_after
from crmtui.service.errors import CommandRefused
from crmtui.service.features import teams_api

TEAMS = "teams"
"""The section of team changes (the teams screen follows them)."""
TEAM = "team"
"""The subject kind of a team: `team:<id>`."""
ADMINS_ONLY = "Only admins can change teams"
"""Why a change of a team is not made for anyone else (Pipedrive's rule)."""
EDITABLE = frozenset({"name", "description", "active"})
"""The team fields an edit may set."""
STAMP_SLACK = dt.timedelta(seconds=1)
"""A team's add_time has whole seconds: a team made in the second the attempt started counts."""


def refused_for_admins(exc: PermissionDenied) -> PermissionDenied:
    """The server's 403 with what it means here: the change is kept for review and says why."""
    return PermissionDenied(
        f"{ADMINS_ONLY}: Pipedrive refused it for this user ({exc.message})", status=exc.status, error_name=exc.error_name
    )


class TeamCommand(Command):
    contact_id: str = ""
    team_id: str

    section: ClassVar[str] = TEAMS

    @property
    def subject(self) -> str:
        return subject(TEAM, self.team_id)

    def predict(self, team: Team | None) -> Team | None:
        """The team as this change leaves it (None: not known here)."""
        return team

    async def execute(self, backend: Backend) -> None:
        try:
            await self._send(backend)
        except PermissionDenied as exc:
            raise refused_for_admins(exc) from None

    async def _send(self, backend: Backend) -> None:
        raise NotImplementedError


class CreateTeam(MakesOne, TeamCommand):
    """Make a team (POST /legacyTeams): its manager is one of its members."""

    kind: Literal["pipedrive_create_team"] = "pipedrive_create_team"
    made_field: ClassVar[str] = "team_id"
    name: str
    manager_id: str
    description: str = ""
    users: list[str] = []
    made_at: dt.datetime | None = None
    created: Team | None = None
    """The team as the server made it (its answer, or the one `reconcile` found)."""

    def stamp(self, now: dt.datetime) -> None:
        if self.made_at is None:
            self.made_at = now

    def check_team(self) -> None:
        if not self.name.strip():
            raise CommandRefused("A team needs a name")
        if not self.manager_id:
            raise CommandRefused("A team needs a manager")

    def predict(self, team: Team | None) -> Team | None:
        if self.created is not None:
            return self.created
        members = list(dict.fromkeys([self.manager_id, *self.users]))
        return Team(
            id=self.team_id, name=self.name, description=self.description, manager_id=self.manager_id,
            member_ids=members, add_time=self.made_at,
        )

    async def _send(self, backend: Backend) -> None:
        self.created = await teams_api(backend).create_team(
            self.name, self.manager_id, description=self.description, users=tuple(self.users)
        )

    async def reconcile(self, backend: Backend, since: dt.datetime | None, claimed: set[str]) -> bool:
        """An attempt whose answer was lost: a team of this name and manager added since is it."""
        after = since - STAMP_SLACK if since is not None else None
        for team in await teams_api(backend).teams():
            if team.id in claimed or not made_after(team.add_time, after):
                continue
            if team.name == self.name and team.manager_id == self.manager_id:
                self.created = team
                return True
        return False

    def describe(self) -> str:
        return self.label or f"New team: {self.name}"

    def inverse(self) -> Command:
        raise CommandRefused("Pipedrive has no way to delete a team here: make it inactive instead (e)")


class UpdateTeam(TeamCommand):
    """Set some of a team's name, description, active flag (PUT /legacyTeams/{id})."""

    kind: Literal["pipedrive_update_team"] = "pipedrive_update_team"
    fields: dict[str, Any]
    before: dict[str, Any] = {}
    updated: Team | None = None

    answered: ClassVar[bool] = True

    def check_fields(self) -> None:
        unknown = set(self.fields) - EDITABLE
        if unknown:
            raise CommandRefused(f"A team's {', '.join(sorted(unknown))} cannot be changed here")
        if "name" in self.fields and not str(self.fields["name"]).strip():
            raise CommandRefused("A team needs a name")

    def predict(self, team: Team | None) -> Team | None:
        if self.updated is not None:
            return self.updated
        if team is None:
            return None
        return team.model_copy(update=dict(self.fields))

    async def _send(self, backend: Backend) -> None:
        self.updated = await teams_api(backend).update_team(self.team_id, **self.fields)

    def describe(self) -> str:
        return self.label or "Edit team"

    def inverse(self) -> Command:
        return UpdateTeam(
            team_id=self.team_id, fields=dict(self.before), before=dict(self.fields), label=f"Undo: {self.describe()}"
        )


class AddMembers(TeamCommand):
    """Add users to a team (POST /legacyTeams/{id}/users)."""

    kind: Literal["pipedrive_add_team_members"] = "pipedrive_add_team_members"
    users: list[str]
    members: list[str] | None = None
    """The team's members as the server answered."""

    answered: ClassVar[bool] = True

    def predict(self, team: Team | None) -> Team | None:
        if team is None:
            return None
        members = self.members if self.members is not None else list(dict.fromkeys([*team.member_ids, *self.users]))
        return team.model_copy(update={"member_ids": list(members)})

    async def _send(self, backend: Backend) -> None:
        self.members = await teams_api(backend).add_users(self.team_id, tuple(self.users))

    def describe(self) -> str:
        return self.label or "Add to team"

    def inverse(self) -> Command:
        return RemoveMembers(team_id=self.team_id, users=list(self.users), label=f"Undo: {self.describe()}")


class RemoveMembers(TeamCommand):
    """Take users out of a team (DELETE /legacyTeams/{id}/users); never its manager."""

    kind: Literal["pipedrive_remove_team_members"] = "pipedrive_remove_team_members"
    users: list[str]
    members: list[str] | None = None

    answered: ClassVar[bool] = True

    def predict(self, team: Team | None) -> Team | None:
        if team is None:
            return None
        members = self.members if self.members is not None else [u for u in team.member_ids if u not in self.users]
        return team.model_copy(update={"member_ids": list(members)})

    async def _send(self, backend: Backend) -> None:
        try:
            self.members = await teams_api(backend).remove_users(self.team_id, tuple(self.users))
        except NotFound:
            raise CommandRefused("That team is gone (deleted on the server)") from None

    def describe(self) -> str:
        return self.label or "Remove from team"

    def inverse(self) -> Command:
        return AddMembers(team_id=self.team_id, users=list(self.users), label=f"Undo: {self.describe()}")

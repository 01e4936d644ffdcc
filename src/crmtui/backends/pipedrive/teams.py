"""Pipedrive's legacy teams behind the `TeamsApi` family: the client's /legacyTeams calls, mapped to `Team`.

Reading is anyone's; every write needs an admin's token (anyone else gets the API's JSON 403 "You
do not have permissions to do this.", a PermissionDenied). Ids go out as numbers, as the API takes
them; a team's `active_flag` as 0/1.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from crmtui.backends.pipedrive import wire
from crmtui.backends.pipedrive.client import PipedriveClient
from crmtui.domain.teams import Team

TEAM_WRITABLE = frozenset({"name", "description", "manager_id", "active"})
"""What `update_team` takes (PUT /legacyTeams/{id}: `active` goes as `active_flag`)."""


def map_team(team: wire.Team) -> Team:
    return Team(
        id=team.id, name=team.name, description=team.description, manager_id=team.manager_id,
        active=team.active_flag, deleted=team.deleted_flag, member_ids=list(dict.fromkeys(team.users)),
        add_time=team.add_time,
    )


def user_number(user_id: str) -> int:
    """A user id as the API takes it (an integer); ValueError for anything else."""
    text = str(user_id).strip()
    if not text.isdigit():
        raise ValueError(f"not a Pipedrive user id: {user_id!r}")
    return int(text)


def _numbers(users: Iterable[str]) -> list[int]:
    return list(dict.fromkeys(user_number(u) for u in users))


def team_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """A PUT body with exactly the fields given, in the API's types."""
    unknown = set(changes) - TEAM_WRITABLE
    if unknown:
        raise TypeError(f"not a writable team field: {', '.join(sorted(unknown))}")
    body: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "manager_id":
            body[name] = user_number(value)
        elif name == "active":
            body["active_flag"] = 1 if value else 0
        else:
            body[name] = str(value)
    return body


class PipedriveTeams:
    """The `teams` family of a Pipedrive backend."""

    def __init__(self, client: PipedriveClient) -> None:
        self.client = client

    async def teams(self) -> list[Team]:
        return [map_team(t) for t in await self.client.teams() if t.id and not t.deleted_flag]

    async def team(self, team_id: str) -> Team:
        return map_team(await self.client.team(team_id))

    async def teams_of(self, user_id: str) -> list[Team]:
        return [map_team(t) for t in await self.client.user_teams(user_id) if t.id and not t.deleted_flag]

    async def create_team(
        self, name: str, manager_id: str, *, description: str = "", users: tuple[str, ...] = ()
    ) -> Team:
        body: dict[str, Any] = {"name": name, "manager_id": user_number(manager_id)}
        if description:
            body["description"] = description
        if users:
            body["users"] = _numbers(users)
        return map_team(await self.client.create_team(body))

    async def update_team(self, team_id: str, **changes: Any) -> Team:
        return map_team(await self.client.update_team(team_id, team_changes(changes)))

    async def add_users(self, team_id: str, users: tuple[str, ...]) -> list[str]:
        return await self.client.add_team_users(team_id, _numbers(users))

    async def remove_users(self, team_id: str, users: tuple[str, ...]) -> list[str]:
        return await self.client.remove_team_users(team_id, _numbers(users))

"""Teams of users (Pipedrive's legacy teams): what a team is, as the teams screen shows it.

Backend-neutral in shape: ids are text. A team has one manager (always among its members on
Pipedrive), may be inactive (kept, but no longer in use) or deleted (hidden from the lists).
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from crmtui.domain.text import Line, Paragraph


class _Model(BaseModel):
    model_config = ConfigDict(frozen=False, extra="ignore", defer_build=True)


class Team(_Model):
    id: str
    name: Line = ""
    description: Paragraph = ""
    manager_id: str = ""
    active: bool = True
    deleted: bool = False
    member_ids: list[str] = Field(default_factory=list)
    """The users of the team, the manager included."""
    add_time: dt.datetime | None = None

    @property
    def title(self) -> str:
        return self.name or f"team {self.id}"


def teams_in_order(teams: list[Team]) -> list[Team]:
    """Active teams first, then inactive ones, each by name (deleted ones left out)."""
    return sorted((t for t in teams if not t.deleted), key=lambda t: (not t.active, t.name.casefold(), t.id))

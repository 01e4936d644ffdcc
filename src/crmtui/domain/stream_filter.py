"""Filters of the action stream, as the web app has them: a saved filter of the account, a tag, a
status, a lead source, starred contacts, or those waiting for someone.

A filter knows whether it can be told from a stream row alone (`matches`): tag, status, lead source,
starred and waiting are fields every row carries, so the loaded stream answers them exactly as the
server would (and at once, offline too, with changes on their way already counted). A saved filter's
conditions are the server's to evaluate (they may name deals, dates, fields a row does not carry):
its members come from the server (`needs_server`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from crmtui.domain.models import ActionStatus, StreamEntry
from crmtui.domain.text import Line

FilterKind = Literal["saved", "tag", "status", "lead_source", "starred", "waiting"]

KIND_WORDS: dict[str, str] = {
    "saved": "",
    "tag": "tag ",
    "status": "status ",
    "lead_source": "lead source ",
    "starred": "",
    "waiting": "",
}


class SavedFilter(BaseModel):
    """A custom filter of the account (made in the web app; the API only lists and runs them)."""

    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)

    id: str
    name: Line = ""
    conditions: list[Line] = Field(default_factory=list)


class StreamFilter(BaseModel):
    """One filter of the stream; `value` is the saved filter's id, the tag, the status or lead
    source id (empty for starred and waiting); `label` is what the header says."""

    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)

    kind: FilterKind
    value: str = ""
    label: Line = ""

    @classmethod
    def starred(cls) -> StreamFilter:
        return cls(kind="starred", label="starred")

    @classmethod
    def waiting(cls) -> StreamFilter:
        return cls(kind="waiting", label="waiting for")

    @property
    def key(self) -> str:
        """Names the filter in caches and files: one cached answer per filter, never the whole stream's."""
        return f"{self.kind}:{self.value}"

    def describe(self) -> str:
        """"tag VIP", "status Lead", "My VIPs" (a saved filter by its name), "starred"."""
        return f"{KIND_WORDS[self.kind]}{self.label or self.value}"

    @property
    def needs_server(self) -> bool:
        """Whether only the server can tell the members (a saved filter)."""
        return self.kind == "saved"

    def matches(self, entry: StreamEntry) -> bool:
        """Whether a stream row is in the filter (a saved filter: always False; ask the server)."""
        contact = entry.contact
        if self.kind == "tag":
            return self.value.casefold() in (t.casefold() for t in contact.tags)
        if self.kind == "status":
            return contact.status_id == self.value
        if self.kind == "lead_source":
            return contact.lead_source_id == self.value
        if self.kind == "starred":
            return contact.starred
        if self.kind == "waiting":
            action = entry.next_action  # the viewer's next action, as the API's `waiting` says
            return action is not None and not action.done and action.status is ActionStatus.WAITING
        return False

"""The global search's answers (Pipedrive's ItemSearch): hits of several kinds of record, scored.

A hit is what a result list shows of any record (a lead, a person, an organization, a deal...): its
kind, id, a title, a line under it, the server's score, and a few facts for a details pane. Hits are
grouped by kind in `KIND_ORDER`; the server's order (best score first) is kept inside a group.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from crmtui.domain.text import Line

MIN_TERM = 2
"""A search term needs this many characters (1 with an exact match): the API's rule."""

KIND_ORDER = ("lead", "deal", "person", "organization", "product", "project", "file", "mail_attachment")
"""The order of the result groups (leads first: what crmtui opens)."""
KIND_TITLES = {
    "lead": "Leads", "deal": "Deals", "person": "Persons", "organization": "Organizations", "product": "Products",
    "project": "Projects", "file": "Files", "mail_attachment": "Mail attachments",
}


class SearchHit(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)

    kind: str
    """lead, deal, person, organization, product, project, file, mail_attachment (or what a server sends)."""
    id: str
    title: Line = ""
    subtitle: Line = ""
    """Who or what it belongs to: a lead's person · organization, a person's organization."""
    score: float = 0.0
    related: bool = False
    """Linked to a hit rather than matching the term itself."""
    facts: list[tuple[str, Line]] = Field(default_factory=list)
    """(name, value) pairs for a details pane: emails, phones, address, owner, value."""


class SearchPage(BaseModel):
    """One page of a search: the hits (best first), the related records, and where the next page starts."""

    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)

    hits: list[SearchHit] = Field(default_factory=list)
    related: list[SearchHit] = Field(default_factory=list)
    next_start: int | None = None


def term_problem(term: str, *, exact: bool) -> str | None:
    """Why the server would refuse `term` (None: it is long enough)."""
    needed = 1 if exact else MIN_TERM
    if len(term.strip()) < needed:
        return f"type at least {needed} character{'s' if needed > 1 else ''}" + ("" if exact else " (1 with exact match)")
    return None


def kind_title(kind: str) -> str:
    return KIND_TITLES.get(kind, kind.replace("_", " ").capitalize() + "s")


def grouped(hits: list[SearchHit]) -> list[tuple[str, list[SearchHit]]]:
    """(kind, hits) in `KIND_ORDER` (unknown kinds after, by name), the hits' own order kept."""
    groups: dict[str, list[SearchHit]] = {}
    for hit in hits:
        groups.setdefault(hit.kind, []).append(hit)
    rank = {kind: i for i, kind in enumerate(KIND_ORDER)}
    return sorted(groups.items(), key=lambda item: (rank.get(item[0], len(rank)), item[0]))

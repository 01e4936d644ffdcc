"""Leads (Pipedrive's leads inbox): the lead, its labels and value, and the inbox's order.

Backend-neutral in shape (ids are text, money is an amount and a currency) but named for what
Pipedrive calls them. The inbox is a salesperson's work queue: their leads, not archived, most
urgent first. With activity data (the backend's optional activities), urgency comes from each lead's
next activity, in Pipedrive's order: overdue (a timed activity whose time has passed, earlier today
too; an all-day one from the next day), today, no activity, upcoming, in the account's time zone;
within a section the soonest activity first (day, then time), then the newest lead. Without it, from the expected close
date: overdue, today, upcoming, then leads without a date; within a section the nearest date first,
then the newest lead. The order is a pure function of the lead, today and the activities known.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from crmtui.domain.activities import Activity, Due, due_state
from crmtui.domain.text import Line, Paragraph


class _Model(BaseModel):
    model_config = ConfigDict(frozen=False, extra="ignore", defer_build=True)


class Money(_Model):
    amount: float
    currency: Line


class LeadLabel(_Model):
    id: str
    name: Line = ""
    color: Line = ""
    """The backend's colour name (Pipedrive: green, blue, red, yellow, purple, gray, brown, orange,
    dark-green, dark-blue, dark-red, dark-yellow, dark-purple, dark-gray)."""


class LeadField(_Model):
    """A field of leads as the account defines it (Pipedrive's /leadFields): custom ones are keyed by a hash."""

    key: str
    name: Line = ""
    field_type: Line = ""
    options: dict[str, str] = Field(default_factory=dict)
    """id -> label, for enum and set fields."""
    custom: bool = False


class Lead(_Model):
    id: str
    title: Line = ""
    owner_id: str = ""
    creator_id: str = ""
    label_ids: list[str] = Field(default_factory=list)
    person_id: str | None = None
    organization_id: str | None = None
    person_name: Line = ""
    """Resolved from the person's id when known (a lead carries ids only)."""
    organization_name: Line = ""
    value: Money | None = None
    """None for no value: the API's null, and the real servers' `{}`."""
    expected_close_date: dt.date | None = None
    next_activity_id: str | None = None
    is_archived: bool = False
    archive_time: dt.datetime | None = None
    was_seen: bool = True
    source_name: Line = ""
    origin: Line = ""
    channel: Line = ""
    visible_to: str = ""
    cc_email: Line = ""
    add_time: dt.datetime | None = None
    update_time: dt.datetime | None = None
    """The server's stamp of the last change: the conflict guard of every write."""
    custom: dict[str, Any] = Field(default_factory=dict)
    """Custom field key (hash) -> raw value; names and types from `LeadField`."""
    notes: Paragraph = ""

    @property
    def who(self) -> str:
        """"Person · Organization", as far as the names are known."""
        return " · ".join(n for n in (self.person_name, self.organization_name) if n)


class LeadDraft(_Model):
    """A new lead as the person typed it (a person or an organization is required by the API)."""

    title: Line
    owner_id: str = ""
    label_ids: list[str] = Field(default_factory=list)
    person_id: str | None = None
    organization_id: str | None = None
    value: Money | None = None
    expected_close_date: dt.date | None = None
    visible_to: str = ""


class LeadsPage(_Model):
    """One page of an offset-paged list: the items, and where the next page starts (None: the last)."""

    items: list[Lead]
    next_start: int | None = None


class LeadSection(int, Enum):
    """The inbox's sections. Their order depends on what orders the inbox (`sections`)."""

    OVERDUE = 0
    TODAY = 1
    UPCOMING = 2
    NO_DATE = 3
    ARCHIVED = 4
    NO_ACTIVITY = 5


BY_CLOSE_DATE = (LeadSection.OVERDUE, LeadSection.TODAY, LeadSection.UPCOMING, LeadSection.NO_DATE, LeadSection.ARCHIVED)
BY_NEXT_ACTIVITY = (LeadSection.OVERDUE, LeadSection.TODAY, LeadSection.NO_ACTIVITY, LeadSection.UPCOMING, LeadSection.ARCHIVED)
"""The sections, most urgent first: by expected close date, and by next activity (Pipedrive's order)."""

SECTION_TITLES = {
    LeadSection.OVERDUE: "Overdue",
    LeadSection.TODAY: "Closing today",
    LeadSection.UPCOMING: "Upcoming",
    LeadSection.NO_DATE: "No close date",
    LeadSection.ARCHIVED: "Archived",
    LeadSection.NO_ACTIVITY: "No activity",
}
"""The sections' titles by expected close date."""
ACTIVITY_SECTION_TITLES = {**SECTION_TITLES, LeadSection.TODAY: "Today"}
"""The sections' titles by next activity."""

Activities = Mapping[str, Activity]
"""Activities known, by id (None where the inbox has no activity data: it orders by close date)."""


def sections(activities: Activities | None) -> tuple[LeadSection, ...]:
    return BY_CLOSE_DATE if activities is None else BY_NEXT_ACTIVITY


def section_title(section: LeadSection, activities: Activities | None) -> str:
    return (SECTION_TITLES if activities is None else ACTIVITY_SECTION_TITLES)[section]


def next_activity(lead: Lead, activities: Activities | None) -> Activity | None:
    """The lead's next activity when it is known and still open."""
    if activities is None or not lead.next_activity_id:
        return None
    found = activities.get(lead.next_activity_id)
    return found if found is not None and not found.done else None


_DUE_SECTIONS = {
    Due.OVERDUE: LeadSection.OVERDUE, Due.TODAY: LeadSection.TODAY, Due.LATER: LeadSection.UPCOMING,
    Due.UNDATED: LeadSection.UPCOMING,
}


def lead_section(
    lead: Lead, today: dt.date, activities: Activities | None = None, now: dt.datetime | None = None
) -> LeadSection:
    """Its section: by its next activity when `activities` is given (None: by expected close date);
    `now` (aware, in the account's zone): a timed activity already past today is overdue (`due_state`)."""
    if lead.is_archived:
        return LeadSection.ARCHIVED
    if activities is not None:
        upcoming = next_activity(lead, activities)
        return LeadSection.NO_ACTIVITY if upcoming is None else _DUE_SECTIONS[due_state(upcoming, today, now)]
    close = lead.expected_close_date
    if close is None:
        return LeadSection.NO_DATE
    if close < today:
        return LeadSection.OVERDUE
    return LeadSection.TODAY if close == today else LeadSection.UPCOMING


_NEVER = dt.datetime.min.replace(tzinfo=dt.timezone.utc)


def lead_sort_key(
    lead: Lead, today: dt.date, activities: Activities | None = None, now: dt.datetime | None = None
) -> tuple[Any, ...]:
    """Section, then the soonest next activity (or the nearest close date), then the newest lead,
    then the id (a total order)."""
    section = lead_section(lead, today, activities, now)
    rank = sections(activities).index(section)
    added = lead.add_time or _NEVER
    if activities is not None:
        upcoming = next_activity(lead, activities)
        due: tuple[Any, ...] = upcoming.due_key(now.tzinfo if now else None)[:3] if upcoming is not None else ()
        return (rank, due, -added.timestamp(), lead.id)
    close = lead.expected_close_date.toordinal() if lead.expected_close_date else 0
    return (rank, close, -added.timestamp(), lead.id)


def sort_leads(
    leads: list[Lead], today: dt.date, activities: Activities | None = None, now: dt.datetime | None = None
) -> list[Lead]:
    return sorted(leads, key=lambda lead: lead_sort_key(lead, today, activities, now))

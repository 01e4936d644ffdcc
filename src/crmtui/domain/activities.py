"""Activities (Pipedrive's calls, meetings, tasks, deadlines, emails...): what a lead's next activity is,
for the leads inbox's order and the lead's detail.

An activity is due on a day (`due_date`), at a time of day when it has one (`due_time`, UTC as the
API keeps it; none: all day). Of a lead's open activities, the earliest is its next one: by day,
then an all-day activity before a timed one, then by time, then by id (the server's rule too).
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict

from crmtui.domain.text import Line

TYPE_NAMES = {
    "call": "Call", "meeting": "Meeting", "task": "Task", "deadline": "Deadline", "email": "Email", "lunch": "Lunch",
}
"""Pipedrive's built-in activity types (`key_string`) as people read them; an account's own types
show their key, capitalised."""


class Activity(BaseModel):
    model_config = ConfigDict(frozen=False, extra="ignore")

    id: str
    subject: Line = ""
    type: Line = ""
    """The type's key (`call`, `meeting`, ... or an account's own), kept as the server sent it."""
    due_date: dt.date | None = None
    due_time: dt.time | None = None
    """UTC; None: an all-day activity."""
    duration: Line = ""
    done: bool = False
    user_id: str = ""
    """Whom it is assigned to."""
    lead_id: str | None = None
    person_id: str | None = None
    org_id: str | None = None
    add_time: dt.datetime | None = None
    update_time: dt.datetime | None = None

    @property
    def type_name(self) -> str:
        key = self.type.strip()
        return TYPE_NAMES.get(key, key.replace("_", " ").capitalize()) or "Activity"

    @property
    def title(self) -> str:
        """The subject, or the type's name when it has none."""
        return self.subject.strip() or self.type_name

    def due_key(self) -> tuple[Any, ...]:
        """When it is due, as a sort key: day (none last), all day before a time, time, id."""
        day = self.due_date.toordinal() if self.due_date is not None else dt.date.max.toordinal()
        timed = self.due_time is not None
        minutes = self.due_time.hour * 60 + self.due_time.minute if self.due_time is not None else 0
        return (day, timed, minutes, int(self.id) if self.id.isdigit() else 0, self.id)


class Due(str, Enum):
    """Where an activity stands against today (the server's day)."""

    OVERDUE = "overdue"
    TODAY = "today"
    LATER = "later"
    UNDATED = "undated"


def due_state(activity: Activity, today: dt.date) -> Due:
    if activity.due_date is None:
        return Due.UNDATED
    if activity.due_date < today:
        return Due.OVERDUE
    return Due.TODAY if activity.due_date == today else Due.LATER


def activity_when(
    activity: Activity, today: dt.date, *, date_format: str | None = None, time_zone: str | None = None,
    ampm: bool = False, short: bool = False,
) -> str:
    """When it is due, as people say it: "today 14:30", "tomorrow", "yesterday", else the date (the
    account's format; `short`: without the year), with the time when it has one (in the account's zone)."""
    # Here, not at the top: formatting needs the models, which need the leads, which need this module.
    from crmtui.domain.formatting import format_date, format_time, short_date_format

    day = activity.due_date
    if day is None:
        return "no date"
    time = ""
    if activity.due_time is not None:
        moment = dt.datetime.combine(day, activity.due_time, tzinfo=dt.timezone.utc)
        time = format_time(moment, time_zone, ampm=ampm)
    delta = (day - today).days
    named = {0: "today", 1: "tomorrow", -1: "yesterday"}.get(delta)
    words = named or format_date(day, short_date_format(date_format) if short else date_format)
    return f"{words} {time}".strip()

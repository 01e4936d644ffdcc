"""Activities (Pipedrive's calls, meetings, tasks, deadlines, emails...): what a lead's next activity is,
for the leads inbox's order and the lead's detail.

An activity is due on a day (`due_date`), at a time of day when it has one (`due_time`, UTC as the
API keeps it; none: all day). Of a lead's open activities, the earliest is its next one: by day,
then an all-day activity before a timed one, then by time, then by id (the server's rule too).

Where it stands against now goes as in Pipedrive's web app, in the account's time zone: a timed
activity is due at its moment (on that moment's day there) and overdue once the moment has passed,
earlier today included; an all-day activity is due all its day and overdue only from the next day.
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
    model_config = ConfigDict(frozen=False, extra="ignore", defer_build=True)

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

    def moment(self) -> dt.datetime | None:
        """When a timed activity is due (aware, UTC); None for an all-day or undated one."""
        if self.due_date is None or self.due_time is None:
            return None
        return dt.datetime.combine(self.due_date, self.due_time, tzinfo=dt.timezone.utc)

    def local_due(self, tz: dt.tzinfo | None = None) -> tuple[dt.date | None, dt.time | None]:
        """Its day and time of day in the zone `tz` (None: as the API keeps them, UTC)."""
        moment = self.moment()
        if moment is None or tz is None:
            return self.due_date, self.due_time
        local = moment.astimezone(tz)
        return local.date(), local.time()

    def due_key(self, tz: dt.tzinfo | None = None) -> tuple[Any, ...]:
        """When it is due, as a sort key: day (none last), all day before a time, time, id; the day
        and time in the zone `tz` (None: UTC)."""
        day_due, time_due = self.local_due(tz)
        day = day_due.toordinal() if day_due is not None else dt.date.max.toordinal()
        minutes = time_due.hour * 60 + time_due.minute if time_due is not None else 0
        return (day, time_due is not None, minutes, int(self.id) if self.id.isdigit() else 0, self.id)


class Due(str, Enum):
    """Where an activity stands against today (the server's day)."""

    OVERDUE = "overdue"
    TODAY = "today"
    LATER = "later"
    UNDATED = "undated"


def due_state(activity: Activity, today: dt.date, now: dt.datetime | None = None) -> Due:
    """Where it stands: against `now` (aware, in the account's time zone; its day is today) when
    given: a timed activity whose moment has passed is overdue, an all-day one only from the next
    day; without `now`, against `today` by the day alone."""
    if now is not None:
        moment = activity.moment()
        if moment is not None and moment < now:
            return Due.OVERDUE
        today = now.date()
    day, _time = activity.local_due(now.tzinfo if now is not None else None)
    if day is None:
        return Due.UNDATED
    if day < today:
        return Due.OVERDUE
    return Due.TODAY if day == today else Due.LATER


def duration_text(duration: str) -> str:
    """Pipedrive's "HH:MM" duration said as "30 min", "1 h", "1 h 30 min" (a time-like "00:30" beside a
    due time reads as a second time); anything else as it came, "" for none."""
    hours, _, minutes = duration.strip().partition(":")
    if not (hours.isdigit() and minutes[:2].isdigit()):
        return duration.strip()
    h, m = int(hours), int(minutes[:2])
    if not h and not m:
        return ""
    return " ".join(part for part in (f"{h} h" if h else "", f"{m} min" if m else "") if part)

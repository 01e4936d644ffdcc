"""Parsing what people type into the date and time fields of the next-action modal."""

from __future__ import annotations

import datetime as dt
import re

from crmtui.domain.formatting import format_date, strftime_format, zone
from crmtui.domain.models import Account, QuickDate

_TIME = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*([ap]\.?m\.?)?\s*$", re.IGNORECASE)


def parse_date(text: str, account: Account, today: dt.date) -> dt.date:
    """The account's date format, ISO dates, "today", "tomorrow" or "+N" days. Raises ValueError."""
    value = text.strip().lower()
    if not value:
        raise ValueError("Enter a date")
    if value in ("today", "t"):
        return today
    if value in ("tomorrow", "tm"):
        return today + dt.timedelta(days=1)
    if re.fullmatch(r"\+\d{1,4}", value):
        return today + dt.timedelta(days=int(value[1:]))
    for fmt in (strftime_format(account.date_format), "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    example = format_date(today, account.date_format)
    raise ValueError(f"Dates look like {example} (or today, tomorrow, +3)")


def parse_time(text: str) -> dt.time:
    """"14:30", "9", "2:30pm", "2 pm". Raises ValueError."""
    match = _TIME.match(text)
    if not match:
        raise ValueError("Times look like 14:30 or 2:30pm")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    suffix = (match.group(3) or "").replace(".", "").lower()
    if suffix:
        if not 1 <= hour <= 12:
            raise ValueError("Hours with am/pm go from 1 to 12")
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if hour > 23 or minute > 59:
        raise ValueError("Times look like 14:30 or 2:30pm")
    return dt.time(hour, minute)


def exact_time(day: dt.date, clock: dt.time, account: Account) -> dt.datetime:
    """A wall-clock time on `day` in the account's zone, as an aware UTC datetime."""
    local = dt.datetime.combine(day, clock, tzinfo=zone(account.time_zone))
    return local.astimezone(dt.timezone.utc)


def quick_date_value(quick: QuickDate, today: dt.date) -> dt.date:
    period = quick.period.lower()
    if period.startswith("week"):
        return today + dt.timedelta(weeks=quick.number)
    if period.startswith("month"):
        month = today.month - 1 + quick.number
        year, month = today.year + month // 12, month % 12 + 1
        for day in range(today.day, 0, -1):
            try:
                return dt.date(year, month, day)
            except ValueError:
                continue
    return today + dt.timedelta(days=quick.number)

"""Human-facing text for dates, times, money and names, in the account's conventions.

OnePageCRM's bootstrap settings give `date_format` as a strftime-style string (e.g. "%d/%m/%Y"),
`time_zone` as an IANA name and `time_with_ampm` for 12-hour clocks.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crmtui.domain.activities import Activity
from crmtui.domain.models import Account, Action, ActionStatus, Contact, User

DEFAULT_DATE_FORMAT = "%d/%m/%Y"

# Some accounts describe formats as patterns ("dd/mm/yyyy"); map those to strftime.
_PATTERN_TOKENS = [
    ("yyyy", "%Y"),
    ("yy", "%y"),
    ("mmmm", "%B"),
    ("mmm", "%b"),
    ("mm", "%m"),
    ("dd", "%d"),
]


def strftime_format(date_format: str | None) -> str:
    """A strftime format from an account's date_format, tolerating pattern-style strings."""
    fmt = (date_format or "").strip()
    if not fmt:
        return DEFAULT_DATE_FORMAT
    if "%" in fmt:
        return fmt
    lowered = fmt.lower()
    pattern = "|".join(re.escape(token) for token, _ in _PATTERN_TOKENS)
    mapping = dict(_PATTERN_TOKENS)
    converted = re.sub(pattern, lambda m: mapping[m.group(0)], lowered)
    return converted if "%" in converted else DEFAULT_DATE_FORMAT


def zone(time_zone: str | None) -> dt.tzinfo:
    """The tzinfo for an IANA name; UTC when unknown or empty."""
    if not time_zone:
        return dt.timezone.utc
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.timezone.utc


def account_now(account: Account | None = None, now: dt.datetime | None = None) -> dt.datetime:
    """Now (or `now`) as an aware datetime in the account's time zone."""
    tz = zone(account.time_zone if account else None)
    current = now or dt.datetime.now(dt.timezone.utc)
    if current.tzinfo is None:
        current = current.replace(tzinfo=dt.timezone.utc)
    return current.astimezone(tz)


def account_today(account: Account | None = None, now: dt.datetime | None = None) -> dt.date:
    return account_now(account, now).date()


def format_date(value: dt.date, date_format: str | None = DEFAULT_DATE_FORMAT) -> str:
    fmt = strftime_format(date_format)
    try:
        return value.strftime(fmt)
    except ValueError:
        return value.strftime(DEFAULT_DATE_FORMAT)


def short_date_format(date_format: str | None) -> str:
    """The account's date format without the year: "%d/%m/%Y" -> "%d/%m", "%Y-%m-%d" -> "%m-%d"."""
    fmt = strftime_format(date_format)
    short = re.sub(r"[\s,./-]*%[Yy][\s,./-]*", lambda m: "" if m.start() == 0 or m.end() == len(fmt) else m.group(0)[0], fmt)
    return short.strip(" ,./-") or fmt


def format_time(value: dt.datetime, time_zone: str | None = "UTC", *, ampm: bool = False) -> str:
    """Clock time in the given zone: "14:05" or "2:05 PM"."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    local = value.astimezone(zone(time_zone))
    if ampm:
        hour = local.hour % 12 or 12
        return f"{hour}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"
    return f"{local.hour:02d}:{local.minute:02d}"


def format_datetime(value: dt.datetime, account: Account) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    local = value.astimezone(zone(account.time_zone))
    time = format_time(value, account.time_zone, ampm=account.time_with_ampm)
    return f"{format_date(local.date(), account.date_format)} {time}"


def relative_label(value: dt.date, today: dt.date) -> str | None:
    """"Today", "Tomorrow", "Yesterday"-style labels; "3d overdue" for the past; None when further out."""
    delta = (value - today).days
    if delta == 0:
        return "Today"
    if delta == 1:
        return "Tomorrow"
    if delta < 0:
        return f"{-delta}d overdue"
    return None


def format_due(
    action: Action | None,
    account: Account,
    today: dt.date,
    now: dt.datetime | None = None,
    *,
    compact: bool = False,
) -> str:
    """The due text shown beside an action. `compact` (narrow columns) leaves out the year of dates
    in this year and words the colour already says ("overdue" on a timed action)."""
    if action is None:
        return ""
    status = action.status
    if action.done or status is ActionStatus.DONE:
        return "Done"
    if status is ActionStatus.ASAP:
        return "ASAP"
    def day(value: dt.date) -> str:
        if compact and value.year == today.year:
            return format_date(value, short_date_format(account.date_format))
        return format_date(value, account.date_format)

    if status is ActionStatus.WAITING:
        if action.date is not None:
            return f"Waiting {day(action.date)}" if compact else f"Waiting (since {day(action.date)})"
        return "Waiting"
    if status is ActionStatus.QUEUED:
        return "Queued"
    if action.date is None:
        return "" if status is ActionStatus.UNKNOWN else "No date"
    label = relative_label(action.date, today) or day(action.date)
    if status is ActionStatus.QUEUED_WITH_DATE:
        return f"Queued {label}" if compact else f"Queued: {label}"
    if status is ActionStatus.DATE_TIME and action.exact_time is not None:
        time = format_time(action.exact_time, account.time_zone, ampm=account.time_with_ampm)
        if now is not None and action.date == today:
            current = account_now(account, now)
            exact = action.exact_time if action.exact_time.tzinfo else action.exact_time.replace(tzinfo=dt.timezone.utc)
            if exact < current and not compact:
                return f"Today {time} (overdue)"
        return f"{label} {time}"
    return label


def format_money(
    amount: float | int | None,
    symbol: str = "$",
    *,
    separator: str = ".",
    delimiter: str = ",",
    decimals: int | None = None,
) -> str:
    """"$1,234" / "$1,234.50" / "-€12.00". Whole amounts drop the cents unless `decimals` is given."""
    value = float(amount or 0)
    places = decimals if decimals is not None else (0 if value == int(value) else 2)
    text = f"{abs(value):,.{places}f}"
    text = text.replace(",", "\x00").replace(".", separator).replace("\x00", delimiter)
    sign = "-" if value < 0 and round(abs(value), places) != 0 else ""
    return f"{sign}{symbol}{text}"


def contact_name(contact: Contact) -> str:
    """"Jane Doe"; the company for a company-only contact; "(no name)" otherwise."""
    # (The two parts joined by a space, with no space where one is empty: a whole stream's names
    # are made at each rebuild of its list.)
    return f"{contact.first_name.strip()} {contact.last_name.strip()}".strip() or contact.company_name.strip() or "(no name)"


def display_name(contact: Contact, *, with_company: bool = False) -> str:
    """A contact's display name, optionally followed by " · Company"."""
    name = contact_name(contact)
    company = contact.company_name.strip()
    if with_company and company and company != name:
        return f"{name} · {company}"
    return name


def user_initials(user: User) -> str:
    letters = [p[0] for p in (user.first_name.strip(), user.last_name.strip()) if p]
    if letters:
        return "".join(letters).upper()
    return (user.email or user.id)[:2].upper()


def activity_when(
    activity: Activity, today: dt.date, *, date_format: str | None = None, time_zone: str | None = None,
    ampm: bool = False, short: bool = False,
) -> str:
    """When it is due, as people say it: "today 14:30", "tomorrow", "yesterday", else the date (the
    account's format; `short`: without the year), with the time when it has one (in the account's zone)."""
    day, _time = activity.local_due(zone(time_zone) if time_zone else None)  # a timed one's day there
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

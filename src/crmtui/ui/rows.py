"""What one action-stream row says: pure functions from domain objects to text cells.

Kept free of widgets so the list, the preview and tests share one idea of a row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from crmtui.domain.formatting import contact_name, format_due, format_money
from crmtui.domain.models import Account, Action, StreamEntry, Urgency
from crmtui.domain.stream import Section, section, urgency

SECTION_LABELS: dict[Section, str] = {
    Section.ASAP: "ASAP",
    Section.OVERDUE: "Overdue",
    Section.TODAY: "Today",
    Section.FUTURE: "Future",
    Section.WAITING: "Waiting for",
    Section.QUEUED_FOR_ME: "Queued for me",
    Section.QUEUED_FOR_TEAM: "Queued for a team member",
    Section.CLOSED_WITH_COMMENT: "Closed (with comment)",
    Section.CLOSED_WITHOUT_COMMENT: "Closed",
    Section.NO_ACTION: "No next action",
}

# Colour role of a row's flag, from its urgency: red ASAP/overdue, orange today, grey future.
ROLE_BY_URGENCY: dict[Urgency, str] = {
    Urgency.ASAP: "urgent",
    Urgency.OVERDUE: "urgent",
    Urgency.TODAY: "today",
    Urgency.FUTURE: "future",
    Urgency.WAITING: "waiting",
    Urgency.QUEUED: "queued",
    Urgency.CLOSED: "closed",
    Urgency.NONE: "none",
}

NO_ACTION_TEXT = "(no next action)"
CONFLICT_MARK = "⚠"
STAR_ON, STAR_OFF = "★", "☆"


@dataclass(frozen=True)
class RowText:
    """The cells of one stream row, plus the colour role of its flag."""

    role: str
    starred: bool
    name: str
    company: str
    action: str
    due: str
    value: str
    conflict: bool


def shown_action(entry: StreamEntry) -> Action | None:
    """The action a row shows: the next action, else the first queued one."""
    if entry.next_action is not None and not entry.next_action.done:
        return entry.next_action
    pending = [a for a in entry.queued_actions if not a.done]
    return min(pending, key=lambda a: a.position or 0) if pending else None


def row_text(
    entry: StreamEntry, account: Account | None, today: dt.date, now: dt.datetime | None, *, compact: bool = False
) -> RowText:
    action = shown_action(entry)
    value = entry.pending_value
    symbol = account.currency_symbol if account else "$"
    due = format_due(action, account, today, now, compact=compact) if (action is not None and account is not None) else ""
    if action is None and entry.contact.sales_closed:
        text = entry.contact.sales_closed_comment or "(sales closed)"
    else:
        text = action.text if action is not None else NO_ACTION_TEXT
    return RowText(
        role=ROLE_BY_URGENCY[urgency(entry, today, now)],
        starred=entry.contact.starred,
        name=contact_name(entry.contact),
        company=entry.contact.company_name if entry.contact.company_name != contact_name(entry.contact) else "",
        action=text,
        due=due,
        value=format_money(value, symbol, decimals=0) if value else "",
        conflict=entry.has_conflict,
    )


def entry_section(entry: StreamEntry, today: dt.date, user_id: str | None) -> Section:
    return section(entry, today, user_id=user_id)


def haystack(entry: StreamEntry) -> str:
    """Lower-cased text a filter matches against: name, company, action texts, tags, emails."""
    c = entry.contact
    parts = [contact_name(c), c.company_name, c.job_title, *c.tags, *(e.value for e in c.emails)]
    if entry.next_action is not None:
        parts.append(entry.next_action.text)
    parts.extend(a.text for a in entry.queued_actions)
    return " ".join(p for p in parts if p).casefold()


DUE_WIDE = 22
"""Due column width from which dates are written out in full ("Today 09:00 (overdue)")."""


@dataclass(frozen=True)
class Columns:
    """Cell widths of the row columns for a given total width."""

    name: int
    company: int
    action: int
    due: int
    value: int


def columns_for(width: int) -> Columns:
    # flag+space, star+space, conflict+space and the gaps between the five text columns
    fixed = 6 + 4
    due = DUE_WIDE if width >= 110 else 14
    value = 10 if width >= 100 else 8
    rest = max(width - fixed - due - value, 12)
    if width < 70:
        name = max(rest // 2, 8)
        return Columns(name=name, company=0, action=rest - name, due=due, value=value)
    name = max(rest * 28 // 100, 10)
    company = max(rest * 22 // 100, 8)
    return Columns(name=name, company=company, action=rest - name - company, due=due, value=value)

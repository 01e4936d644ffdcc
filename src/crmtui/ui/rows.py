"""What one action-stream row says: pure functions from domain objects to text cells.

Kept free of widgets so the list, the preview and tests share one idea of a row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
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
    """Cell widths of the row columns for a given total width (0: the column is left out)."""

    name: int
    company: int
    action: int
    due: int
    value: int


@dataclass(frozen=True)
class Natural:
    """How wide each column's text is among the rows shown (nine rows in ten fit untruncated: one
    long closing comment does not take the room of every row)."""

    name: int = 0
    company: int = 0
    action: int = 0
    value: int = 0
    longest_name: int = 0
    longest_company: int = 0
    """The longest of all: what the spare room goes to once nine in ten fit."""


def _most(lengths: list[int]) -> int:
    """The width nine in ten of `lengths` fit in."""
    if not lengths:
        return 0
    lengths.sort()
    return lengths[min(len(lengths) - 1, len(lengths) * 9 // 10)]


def natural_widths(entries: Iterable[StreamEntry], account: Account | None) -> Natural:
    """Measure the rows (plain lengths: cheap enough for a whole stream on each rebuild, 12 ms at
    8,000 rows, measured)."""
    symbol = account.currency_symbol if account else "$"
    names: list[int] = []
    companies: list[int] = []
    actions: list[int] = []
    amounts: list[float] = []
    for entry in entries:
        contact = entry.contact
        names.append(len(contact_name(contact)))
        companies.append(len(contact.company_name))
        action = entry.next_action
        if action is None or action.done:  # (`shown_action`, its usual case first)
            action = shown_action(entry) if entry.queued_actions else None
        actions.append(len(action.text if action is not None else (contact.sales_closed_comment or NO_ACTION_TEXT)))
        amount = entry.pending_value
        if amount:
            amounts.append(amount)
    # The widest amount shown is the largest or the most negative (both rounded as they are shown).
    value = max(len(format_money(amount, symbol, decimals=0)) for amount in (max(amounts), min(amounts))) if amounts else 0
    return Natural(
        name=_most(names), company=_most(companies), action=_most(actions), value=value,
        longest_name=max(names, default=0), longest_company=max(companies, default=0),
    )


def wider(a: Natural, b: Natural) -> Natural:
    """Room for the text of both (a row added to a list already measured)."""
    return Natural(
        max(a.name, b.name), max(a.company, b.company), max(a.action, b.action), max(a.value, b.value),
        max(a.longest_name, b.longest_name), max(a.longest_company, b.longest_company),
    )


NAME_MAX, COMPANY_MAX = 24, 30
"""Beyond these a name or company takes no more room from the action text."""


def columns_for(width: int, natural: Natural | None = None) -> Columns:
    """Widths for a list `width` cells wide. With the rows' `natural` widths no column is wider than
    its text needs: the room goes to the action text and the company, and the value column is left
    out when no row has a value. Without them, fixed shares."""
    due = DUE_WIDE if width >= 110 else 14
    cap = 10 if width >= 100 else 8
    if natural is None:
        value = cap
        fixed = 6 + 4  # flag+space, star+space, conflict+space and the gaps between the five text columns
        rest = max(width - fixed - due - value, 12)
        if width < 70:
            name = max(rest // 2, 8)
            return Columns(name=name, company=0, action=rest - name, due=due, value=value)
        name = max(rest * 28 // 100, 10)
        company = max(rest * 22 // 100, 8)
        return Columns(name=name, company=company, action=rest - name - company, due=due, value=value)
    value = min(natural.value, cap)
    # flag+space, star+space, conflict; a gap after the name, the action, the due date (and the value)
    room = max(width - (5 + 3 + (1 if value else 0)) - due - value, 20)
    want_name = max(min(natural.name, NAME_MAX), 4)
    want_company = min(natural.company, COMPANY_MAX)
    want_action = max(natural.action, 8)
    # The action text first, then the name, then the company (the preview and the contact page have
    # it whole); what is left widens the action column, so due dates and values line up on the right.
    name = min(want_name, 10)
    action = min(want_action, room - name)
    name = min(want_name, room - action)
    left = room - name - action
    company = min(want_company, left - 1) if left >= 9 and want_company else 0
    spare = room - name - action - company - (1 if company else 0)
    if spare > 0 and company:  # room to spare: the longest names and companies whole too
        grow = max(min(natural.longest_company, COMPANY_MAX) - company, 0)
        company, spare = company + min(grow, spare), spare - min(grow, spare)
    if spare > 0:
        name += min(max(min(natural.longest_name, NAME_MAX) - name, 0), spare)
    action = room - name - company - (1 if company else 0)
    return Columns(name=name, company=company, action=action, due=due, value=value)

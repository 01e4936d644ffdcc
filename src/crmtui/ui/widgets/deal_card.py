"""The words on the pipeline board: card lines and column headers, fitted to a width.

Each line is a list of (text, role) pieces whose lengths add up to exactly the width asked for;
the board widget turns roles into styles. No Textual here, so it is cheap to test.
"""

from __future__ import annotations

import datetime as dt

from rich.cells import cell_len

from crmtui.domain.formatting import format_date, format_money, short_date_format
from crmtui.domain.models import Account, Deal, DealStatus
from crmtui.service.pipeline_board import Column, Totals
from crmtui.ui.cells import fit

Piece = tuple[str, str]
Line = list[Piece]


def short_money(amount: float, symbol: str) -> str:
    """"€950", "€42.6k", "€1.2M": for column headers, where room is short."""
    value = abs(amount)
    sign = "-" if amount < 0 else ""
    for size, unit in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k")):
        if value >= size:
            number = f"{value / size:.1f}".rstrip("0").rstrip(".")
            return f"{sign}{symbol}{number}{unit}"
    return format_money(amount, symbol, decimals=0)


def money(amount: float, account: Account | None) -> str:
    return format_money(amount, account.currency_symbol if account else "$", decimals=0)


def day_text(day: dt.date, account: Account | None, today: dt.date) -> str:
    date_format = account.date_format if account else None
    if day.year == today.year:
        return format_date(day, short_date_format(date_format))
    return format_date(day, date_format)


def owner_text(deal: Deal, account: Account | None, *, short: bool) -> str:
    name = account.user_name(deal.owner_id) if account else deal.owner_id
    if not short:
        return name
    parts = name.split()
    return parts[0] if parts else name


def initials(name: str) -> str:
    """"Priya Shah" -> "PS": the owner when not even a first name fits."""
    return "".join(part[0] for part in name.split() if part[:1].isalpha()).upper()[:3]


def card_role(deal: Deal, today: dt.date) -> str:
    """The colour of the card's edge: won, lost, overdue (expected to close before today) or open."""
    if deal.status is DealStatus.WON:
        return "won"
    if deal.status is DealStatus.LOST:
        return "lost"
    if deal.expected_close_date is not None and deal.expected_close_date < today:
        return "overdue"
    return "open"


def card_lines(deal: Deal, width: int, account: Account | None, today: dt.date) -> list[Line]:
    """Three lines of `width` cells (after the one-cell coloured edge the widget draws).

    1: the deal's name. 2: contact · company. 3: worth (the total of a multi-month deal, with its
    months), the expected close date (the close date once won or lost) and the owner on the right.
    """
    inner = width - 1
    name = " " + (deal.name or "(no name)")
    who = " " + " · ".join(p for p in (deal.contact_name, deal.company_name) if p)
    worth = money(deal.value, account)
    months = f" ({deal.months} mo)" if deal.months > 1 else ""
    when = deal.close_date if deal.status is not DealStatus.PENDING else deal.expected_close_date
    date = day_text(when, account, today) if when is not None else ""
    date_role = "overdue" if card_role(deal, today) == "overdue" else "dim"
    owner = owner_text(deal, account, short=inner < 34)
    first = owner.split()[0] if owner else ""
    letters = initials(owner_text(deal, account, short=False)) if owner else ""
    line3: Line = [(fit(f" {worth} {date}", inner), "amount")]  # when nothing else fits
    middle = f" {date}" if date else ""  # the date's colour sets it apart; no room for more
    short = f" {deal.months}mo" if deal.months > 1 else ""
    tries = (
        (worth + months, owner), (worth + short, owner), (worth + short, first), (worth, first), (worth, letters),
        (worth, ""),
    )
    for left, right in tries:
        left = " " + left
        gap = inner - cell_len(left) - cell_len(middle) - cell_len(right)
        if gap >= (1 if right else 0):
            line3 = [(left, "amount"), (middle, date_role), (" " * gap + right, "dim")]
            break
    return [[(fit(name, inner), "name")], [(fit(who, inner), "dim")], line3]


def more_text(offset: int, count: int, room: int, *, pitch: int, card: int) -> str:
    """"  ↑ 2  ↓ 5 more": cards of a column above and below the `room` lines shown from `offset`."""
    above = sum(1 for i in range(count) if i * pitch < offset)
    below = sum(1 for i in range(count) if i * pitch + card > offset + room)
    parts = [f"↑ {above}"] if above else []
    if below:
        parts.append(f"↓ {below} more")
    return "  " + "  ".join(parts)


def header_lines(
    column: Column,
    width: int,
    account: Account | None,
    *,
    closed_days: int | None,
    more_left: bool,
    more_right: bool,
    level: int = 0,
) -> tuple[Line, Line]:
    """Title line: the stage and its probability (won/lost: the closed window), the count on the right,
    ◀ ▶ when columns are off screen. Second line: the sum and the probability-weighted sum, in the
    first form from `level` on that fits (see `sums_options`)."""
    status = column.place.status
    if status is DealStatus.PENDING:
        label = f"{column.title} {round(column.probability * 100)}%"
    else:
        label = f"{column.title} · {closed_days}d" if closed_days else f"{column.title} · all"
    left = ("◀ " if more_left else " ") + label
    right = f" {column.totals.count}" + (" ▶" if more_right else " ")
    room = width - cell_len(right)
    title = fit(left, room) + right if room > 0 else fit(left, width)
    options = sums_options(column, account)
    sums = options[sums_level(column, width, account, level)]
    return [(title, "title")], [(fit(" " + sums, width), "stats")]


def sums_options(column: Column, account: Account | None) -> list[str]:
    """The column's sums from the longest form to the shortest: "€42,600 · wtd €4,260" (won and
    lost: "€42,600 · +3 older"), then with short money, then the sum alone."""
    symbol = account.currency_symbol if account else "$"
    t: Totals = column.totals

    def full(amount: float) -> str:
        return format_money(amount, symbol, decimals=0)

    def short(amount: float) -> str:
        return short_money(amount, symbol)

    if column.place.status is DealStatus.PENDING:
        options = [f"{f(t.amount)} · wtd {f(t.weighted)}" for f in (full, short)]
    else:
        older = f" · +{column.hidden} older" if column.hidden else ""
        options = [f"{f(t.amount)}{older}" for f in (full, short)]
    return [*options, full(t.amount), short(t.amount)]


def sums_level(column: Column, width: int, account: Account | None, start: int = 0) -> int:
    """The index of the first form of the sums, from `start` on, that fits in `width` (after a space)."""
    options = sums_options(column, account)
    for index in range(min(start, len(options) - 1), len(options)):
        if cell_len(options[index]) <= width - 1:
            return index
    return len(options) - 1


def sums_text(column: Column, width: int, account: Account | None) -> str:
    return sums_options(column, account)[sums_level(column, width + 1, account)]

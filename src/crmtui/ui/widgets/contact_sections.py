"""The contact's history sections as lists: actions, deals, notes, calls, meetings.

One `SectionList` (an OptionList: a single widget drawing only the lines on screen) per section, so
a contact with hundreds of notes costs one widget, not hundreds. The `*_rows` functions turn domain
objects into options; they are pure, so tests and the screen agree on what a row says.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from rich.text import Text
from textual.binding import Binding
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from crmtui.domain.formatting import format_date, format_datetime, format_due, format_money
from crmtui.domain.models import Account, Action, Call, Deal, DealStatus, Meeting, Note, StreamEntry
from crmtui.domain.stream import action_urgency
from crmtui.ui.rows import ROLE_BY_URGENCY

ROLE_STYLES = {"urgent": "red", "today": "dark_orange", "future": "grey50", "waiting": "cyan", "queued": "blue"}
DEAL_STYLES = {DealStatus.PENDING: "", DealStatus.WON: "green", DealStatus.LOST: "grey50"}
SAVING = "  saving…"


class SectionList(OptionList):
    """A section's rows; keeps the highlighted row (by id) when its content is replaced."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "first", "First", show=False),
        Binding("G", "last", "Last", show=False),
    ]

    def show_rows(self, rows: Sequence[Option]) -> None:
        current = self.highlighted_option
        keep = current.id if current is not None else None
        self.set_options(rows)
        if keep is not None:
            try:
                self.highlighted = self.get_option_index(keep)
                return
            except Exception:  # noqa: BLE001 - the row is gone (deleted, saved under its server id)
                pass
        self.action_first()


class HistoryList(SectionList):
    """A section of notes, calls, meetings or deals: the highlighted one is edited with Enter or e
    and deleted with Delete (the screen does both: it knows the contact and the section)."""

    BINDINGS = [
        Binding("e", "screen.edit_item", "Edit", tooltip="Edit the highlighted item (Enter does too)"),
        Binding("delete", "screen.delete_item", "Delete", tooltip="Delete the highlighted item (asks first; u undoes)"),
    ]


def _header(title: str) -> Option:
    return Option(Text(title, style="bold underline"), disabled=True)


def placeholder(text: str, *, error: bool = False) -> Option:
    return Option(Text(text, style="bold red" if error else "italic"), disabled=True)


def state_rows(name: str, error: str | None, loaded: bool) -> list[Option] | None:
    """Rows for a section that is loading, failed or empty; None when it has something to show."""
    if error:
        return [placeholder(f"⚠ Could not load the {name}: {error}\n  r tries again", error=True)]
    if not loaded:
        return [placeholder(f"Loading the {name}…")]
    return None


def _who(user_id: str, account: Account) -> str:
    return "" if not user_id or user_id == account.user.id else account.user_name(user_id)


def _action_line(action: Action, account: Account, today: dt.date, now: dt.datetime | None) -> Text:
    line = Text()
    due = format_due(action, account, today, now, compact=True) or "—"
    style = ROLE_STYLES.get(ROLE_BY_URGENCY[action_urgency(action, today, now)], "")
    line.append(f"{due:<12} ", style=style)
    line.append(action.text)
    who = _who(action.assignee_id, account)
    if who:
        line.append(f"  ({who})", style="italic")
    if action.id.startswith("local-"):
        line.append(SAVING, style="dim")
    return line


def action_rows(
    entry: StreamEntry | None,
    actions: list[Action] | None,
    account: Account,
    today: dt.date,
    now: dt.datetime | None,
) -> list[Option]:
    """Next action, queued, team members' open actions and the done history, newest first."""
    rows: list[Option] = [_header("Next action")]
    if entry is None:
        return rows + [placeholder("Loading…")]
    if entry.next_action is not None and not entry.next_action.done:
        rows.append(Option(_action_line(entry.next_action, account, today, now), id=f"a:{entry.next_action.id}"))
    else:
        rows.append(placeholder("none: n adds one", error=True))
    if entry.conflicts:
        rows.append(placeholder("⚠ a queued action is due before it: s swaps it in"))
    queued = [a for a in entry.queued_actions if not a.done]
    if queued:
        rows.append(_header(f"Queued ({len(queued)})"))
        rows += [Option(_action_line(a, account, today, now), id=f"a:{a.id}") for a in queued]
    if actions is None:
        return rows + [placeholder("Loading the history…")]
    shown = {a.id for a in [entry.next_action, *queued] if a is not None}
    me = account.user.id
    team = [a for a in actions if not a.done and a.id not in shown and a.assignee_id not in ("", me)]
    if team:
        rows.append(_header(f"Team members' actions ({len(team)})"))
        rows += [Option(_action_line(a, account, today, now), id=f"a:{a.id}") for a in team]
    done = sorted((a for a in actions if a.done), key=lambda a: a.done_at or dt.datetime.min.replace(tzinfo=dt.timezone.utc), reverse=True)
    rows.append(_header(f"Done ({len(done)})"))
    if not done:
        rows.append(placeholder("nothing done yet"))
    for action in done:
        line = Text()
        line.append("✓ ", style="green")
        day = action.done_at.date() if action.done_at else action.date
        when = format_date(day, account.date_format) if day else ""
        line.append(f"{when:<10} ", style="dim")
        line.append(action.text)
        who = _who(action.assignee_id, account)
        if who:
            line.append(f"  ({who})", style="italic")
        rows.append(Option(line, id=f"a:{action.id}"))
    return rows


def deal_rows(deals: list[Deal], account: Account) -> list[Option]:
    """Pending deals first (by expected close), then won and lost (latest first)."""
    if not deals:
        return [placeholder("No deals yet: D adds one")]
    pipelines = {p.id: p for p in account.pipelines}
    order = {DealStatus.PENDING: 0, DealStatus.WON: 1, DealStatus.LOST: 2}

    def key(d: Deal) -> tuple[int, int]:
        day = d.expected_close_date if d.status is DealStatus.PENDING else d.close_date
        return (order.get(d.status, 3), (day or dt.date.max).toordinal() * (1 if d.status is DealStatus.PENDING else -1))

    rows = []
    for deal in sorted(deals, key=key):
        line = Text()
        line.append(format_money(deal.total_amount or deal.amount * deal.months, account.currency_symbol), style="bold")
        line.append(f"  {deal.name or deal.text or '(no name)'}")
        detail = []
        pipeline = pipelines.get(deal.pipeline_id)
        if deal.status is DealStatus.PENDING:
            label = next((s.label for s in pipeline.stages if s.stage == deal.stage), "") if pipeline else ""
            stage = f"{label} {deal.stage}%".strip() if deal.stage is not None else label
            detail.append(" · ".join(p for p in ((pipeline.name if pipeline else ""), stage) if p))
            if deal.expected_close_date:
                detail.append(f"close {format_date(deal.expected_close_date, account.date_format)}")
        else:
            won = pipeline.won_column_name if pipeline and deal.status is DealStatus.WON else deal.status.value.capitalize()
            detail.append(won + (f" {format_date(deal.close_date, account.date_format)}" if deal.close_date else ""))
        if deal.months > 1:
            detail.append(f"{deal.months} × {format_money(deal.amount, account.currency_symbol)}")
        line.append("\n  " + " · ".join(d for d in detail if d), style=DEAL_STYLES.get(deal.status, "") or "dim")
        if deal.id.startswith("local-"):
            line.append(SAVING, style="dim")
        rows.append(Option(line, id=f"d:{deal.id}"))
    return rows


def _history_line(when: str, bits: list[str], text: str, item_id: str, author: str) -> Text:
    line = Text()
    line.append(when, style="bold")
    for bit in [*bits, author]:
        if bit:
            line.append(f" · {bit}", style="dim")
    if item_id.startswith("local-"):
        line.append(SAVING, style="dim")
    if text:
        lines = shown_lines(text)
        line.append("\n  " + "\n  ".join(lines[:TEXT_LINES]))
        if len(lines) > TEXT_LINES:
            more = len(lines) - TEXT_LINES
            line.append(f"\n  … {more} more line{'' if more == 1 else 's'} (Enter opens it)", style="dim italic")
    return line


TEXT_LINES = 6
"""The most lines of a note (or a call's or meeting's text) a row shows; Enter shows it all."""


def shown_lines(text: str) -> list[str]:
    """The lines of a text as a row shows them: without trailing spaces, runs of blank lines as one."""
    lines: list[str] = []
    for raw in text.strip().splitlines():
        row = raw.rstrip()
        if row or (lines and lines[-1]):
            lines.append(row)
    return lines


def note_rows(notes: list[Note], account: Account) -> list[Option]:
    if not notes:
        return [placeholder("No notes yet: N adds one")]
    rows = []
    for note in notes:
        day = note.date or (note.created_at.date() if note.created_at else None)
        when = format_date(day, account.date_format) if day else ""
        rows.append(Option(_history_line(when, [], note.text, note.id, note.author), id=f"n:{note.id}"))
    return rows


def call_rows(calls: list[Call], account: Account, result_text: Callable[[str], str]) -> list[Option]:
    if not calls:
        return [placeholder("No calls yet: c logs one")]
    rows = []
    for call in sorted(calls, key=lambda c: c.call_time or c.created_at or dt.datetime.min.replace(tzinfo=dt.timezone.utc), reverse=True):
        when = format_datetime(call.call_time, account) if call.call_time else ""
        bits = [result_text(call.call_result) if call.call_result else "", call.phone_number]
        rows.append(Option(_history_line(when, bits, call.text, call.id, call.author), id=f"c:{call.id}"))
    return rows


def meeting_rows(meetings: list[Meeting], account: Account, now: dt.datetime) -> list[Option]:
    """Upcoming meetings first (soonest first), then past ones (latest first)."""
    if not meetings:
        return [placeholder("No meetings yet: m adds one")]
    far = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
    upcoming = sorted((m for m in meetings if m.meeting_time and m.meeting_time >= now), key=lambda m: m.meeting_time or far)
    past = sorted((m for m in meetings if m not in upcoming), key=lambda m: m.meeting_time or far, reverse=True)
    rows: list[Option] = []
    for title, group in (("Upcoming", upcoming), ("Past", past)):
        if group:
            rows.append(_header(f"{title} ({len(group)})"))
        for m in group:
            when = format_datetime(m.meeting_time, account) if m.meeting_time else ""
            rows.append(Option(_history_line(when, [m.place], m.text, m.id, m.author), id=f"m:{m.id}"))
    return rows

"""The contact preview: details, next and queued actions, pending deals of one stream entry."""

from __future__ import annotations

import datetime as dt

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from crmtui.domain.formatting import contact_name, format_date, format_due, format_money
from crmtui.domain.models import Account, Action, Deal, DealStatus, StreamEntry
from crmtui.ui.rows import ROLE_BY_URGENCY
from crmtui.domain.stream import urgency

_ROLE_COLOURS = {
    "urgent": "red",
    "today": "dark_orange",
    "future": "grey50",
    "waiting": "cyan",
    "queued": "blue",
    "closed": "grey50",
    "none": "red",
}


def _heading(text: str) -> Text:
    return Text(text, style="bold underline")


def _action_line(action: Action, account: Account, today: dt.date, now: dt.datetime | None) -> Text:
    role = ROLE_BY_URGENCY[urgency(action, today, now)]
    line = Text("  ")
    line.append(format_due(action, account, today, now) or "-", style=_ROLE_COLOURS.get(role, ""))
    line.append("  ")
    line.append(action.text)
    if action.assignee_id and action.assignee_id != account.user.id:
        line.append(f"  ({account.user_name(action.assignee_id)})", style="italic")
    return line


def render_preview(
    entry: StreamEntry | None,
    account: Account | None,
    today: dt.date,
    now: dt.datetime | None,
    deals: list[Deal] | None = None,
) -> RenderableType:
    """The preview as a Rich renderable (plain Text pieces, so names never parse as markup).

    `deals` are the contact's pending deals when fetched; None while they are not (yet) known.
    """
    if entry is None or account is None:
        return Text("No contact selected", style="italic")
    c = entry.contact
    parts: list[RenderableType] = []
    title = Text(("★ " if c.starred else "") + contact_name(c), style="bold")
    parts.append(title)
    sub = " · ".join(p for p in (c.job_title, c.company_name) if p)
    if sub:
        parts.append(Text(sub, style="italic"))
    details = Text()
    for phone in c.phones:
        details.append(f"☎ {phone.value}" + (f" ({phone.type})" if phone.type else "") + "\n")
    for email in c.emails:
        details.append(f"✉ {email.value}\n")
    if c.status:
        details.append(f"Status: {c.status}\n")
    if c.lead_source:
        details.append(f"Lead source: {c.lead_source}\n")
    if c.owner_id:
        details.append(f"Owner: {account.user_name(c.owner_id)}\n")
    if c.tags:
        details.append("Tags: " + ", ".join(c.shown_tags) + "\n")
    for address in c.addresses:
        if address.one_line():
            details.append(f"⌂ {address.one_line()}\n")
    details.rstrip()
    if details.plain:
        parts.append(details)

    parts.append(Text(""))
    parts.append(_heading("Next action"))
    if entry.next_action is not None and not entry.next_action.done:
        parts.append(_action_line(entry.next_action, account, today, now))
    else:
        parts.append(Text("  none — press n to add one", style="bold red"))
    if entry.conflicts:
        parts.append(Text("  ⚠ conflict: a queued action is due earlier (press s to swap)", style="bold yellow"))

    queued = [a for a in entry.queued_actions if not a.done]
    if queued:
        parts.append(Text(""))
        parts.append(_heading(f"Queued ({len(queued)})"))
        parts.extend(_action_line(a, account, today, now) for a in queued)

    known = deals if deals is not None else (entry.deals or None)
    pending = [d for d in known or [] if d.status is DealStatus.PENDING]
    parts.append(Text(""))
    parts.append(_heading("Pending deals"))
    if known is None and c.pending_deal:
        parts.append(Text("  " + format_money(c.total_pending, account.currency_symbol) + "  loading…", style="italic"))
    elif pending:
        for deal in pending:
            line = Text("  ")
            line.append(format_money(deal.total_amount or deal.amount, account.currency_symbol), style="bold")
            line.append(f"  {deal.name or deal.text}")
            if deal.stage is not None:
                line.append(f"  {deal.stage}%", style="italic")
            if deal.expected_close_date is not None:
                line.append(f"  close {format_date(deal.expected_close_date, account.date_format)}", style="italic")
            parts.append(line)
    elif c.total_pending:
        parts.append(Text("  " + format_money(c.total_pending, account.currency_symbol)))
    else:
        parts.append(Text("  none", style="italic"))
    if c.sales_closed:
        parts.append(Text(""))
        parts.append(Text("Sales cycle closed" + (f": {c.sales_closed_comment}" if c.sales_closed_comment else "")))
    if c.background:
        parts.append(Text(""))
        parts.append(_heading("Background"))
        parts.append(Text(c.background))
    return Group(*parts)


class ContactPreview(VerticalScroll, can_focus=False):
    """A scrollable panel showing one stream entry."""

    DEFAULT_CSS = """
    ContactPreview { padding: 0 1; }
    ContactPreview > Static { width: 1fr; }
    """

    contact_id: str | None = None
    """The contact shown."""

    def compose(self) -> ComposeResult:
        yield Static(id="preview-body")

    def show(
        self,
        entry: StreamEntry | None,
        account: Account | None,
        today: dt.date,
        now: dt.datetime | None,
        deals: list[Deal] | None = None,
    ) -> None:
        contact_id = entry.contact.id if entry is not None else None
        self.query_one("#preview-body", Static).update(render_preview(entry, account, today, now, deals))
        if contact_id != self.contact_id:
            self.scroll_home(animate=False)  # same contact (deals arrived, a refresh): keep the scroll
        self.contact_id = contact_id

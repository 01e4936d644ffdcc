"""What the contact detail screen says about the contact itself: a summary and the full details.

Pure functions from domain objects to Rich Text (never markup, so names and comments show as typed),
and a scrollable panel that shows them.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from crmtui.domain.formatting import contact_name, format_money
from crmtui.domain.models import Account, Contact, StreamEntry

STAR_ON, STAR_OFF = "★", "☆"


def full_name(contact: Contact) -> str:
    """"Ms Jane Doe": the title when there is one."""
    name = contact_name(contact)
    return f"{contact.title} {name}" if contact.title and name != contact.company_name else name


def _field(line: Text, label: str, value: str, style: str = "") -> None:
    if not value:
        return
    if line.plain:
        line.append(" · ", style="dim")
    if label:
        line.append(f"{label} ", style="dim")
    line.append(value, style=style)


def render_summary(entry: StreamEntry | None, account: Account | None, *, loading: str = "") -> Text:
    """Two to four lines: who (star, name, job, company), where they stand, and how to reach them."""
    if entry is None or account is None:
        return Text(loading or "Loading the contact…", style="italic")
    c = entry.contact
    text = Text()
    text.append(f"{STAR_ON if c.starred else STAR_OFF} ", style="bold yellow" if c.starred else "dim")
    text.append(full_name(c), style="bold")
    who = " · ".join(p for p in (c.job_title, c.company_name) if p and p != contact_name(c))
    if who:
        text.append(f"  {who}", style="italic")
    standing = Text()
    _field(standing, "Status", c.status, "bold")
    _field(standing, "Source", c.lead_source)
    _field(standing, "Owner", account.user_name(c.owner_id) if c.owner_id else "")
    _field(standing, "Tags", ", ".join(c.shown_tags), "bold")
    if standing.plain:
        text.append("\n")
        text.append_text(standing)
    reach = Text()
    if c.phones:
        _field(reach, "☎", c.phones[0].value)
    if c.emails:
        _field(reach, "✉", c.emails[0].value)
    more = max(len(c.phones) - 1, 0) + max(len(c.emails) - 1, 0)
    if more:
        reach.append(f" · +{more} more", style="dim")
    if reach.plain:
        text.append("\n")
        text.append_text(reach)
    if c.sales_closed:
        text.append("\n")
        text.append("Sales cycle closed", style="bold reverse")
        if c.sales_closed_comment:
            text.append(f" {c.sales_closed_comment}", style="italic")
        text.append("  (x reopens)", style="dim")
    return text


def _labelled(label: str, value: str) -> Text:
    return Text.assemble("  ", (f"{label + ':':<14} ", "dim"), value)


def _heading(title: str) -> Text:
    return Text(title, style="bold underline")


def render_details(entry: StreamEntry | None, account: Account | None) -> RenderableType:
    """Everything about the contact: phones, emails, web, addresses, custom fields, background."""
    if entry is None or account is None:
        return Text("Loading the contact…", style="italic")
    c = entry.contact
    parts: list[RenderableType] = []

    def block(title: str, lines: list[Text]) -> None:
        if lines:
            if parts:
                parts.append(Text(""))
            parts.append(_heading(title))
            parts.extend(lines)

    def typed(value: str, kind: str) -> Text:
        line = Text(f"  {value}")
        if kind:
            line.append(f"  {kind}", style="dim")
        return line

    lines = [Text.assemble("  ", (full_name(c), "bold"))]
    for label, value in (("Job title", c.job_title), ("Company", c.company_name), ("Status", c.status),
                         ("Lead source", c.lead_source), ("Owner", account.user_name(c.owner_id) if c.owner_id else ""),
                         ("Tags", ", ".join(c.shown_tags))):
        if value:
            lines.append(_labelled(label, value))
    if c.pending_deal or c.total_pending:
        lines.append(_labelled("Pending deals", format_money(c.total_pending, account.currency_symbol)))
    block("Contact", lines)
    block("Phones", [typed(p.value, p.type) for p in c.phones if p.value])
    block("Emails", [typed(e.value, e.type) for e in c.emails if e.value])
    block("Web", [Text(f"  {u}") for u in c.urls if u])
    block("Addresses", [typed(a.one_line(), a.type) for a in c.addresses if a.one_line()])
    block("Custom fields", [_labelled(name, value) for name, value in custom_fields(c, account)])
    company = entry.company
    if company is not None and (company.phone or company.url):
        block("Company", [Text(f"  {x}") for x in (company.name, company.phone, company.url) if x])
    if c.background:
        block("Background", [Text(f"  {line}") for line in c.background.splitlines() or [c.background]])
    if c.sales_closed:
        block("Sales cycle", [Text("  Closed" + (f": {c.sales_closed_comment}" if c.sales_closed_comment else ""))])
    return Group(*parts)


def custom_fields(contact: Contact, account: Account) -> list[tuple[str, str]]:
    """(name, value) of the contact's custom fields with a value, named and ordered as bootstrap defines them."""
    values = {v.field_id: v for v in contact.custom_fields if v.value}
    out = [(d.name, values.pop(d.id).value) for d in account.custom_fields if d.id in values]
    out += [(v.name or "Custom field", v.value) for v in values.values()]
    return out


class ContactDetails(VerticalScroll):
    """The full details in a scrollable panel (↑/↓, j/k scroll it when it has focus)."""

    BINDINGS = [
        Binding("j", "scroll_down", "Scroll down", show=False),
        Binding("k", "scroll_up", "Scroll up", show=False),
    ]

    DEFAULT_CSS = """
    ContactDetails { padding: 0 1; }
    ContactDetails > Static { width: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Static(Text("Loading the contact…", style="italic"), classes="details-body")

    def show(self, entry: StreamEntry | None, account: Account | None) -> None:
        self.query_one(".details-body", Static).update(render_details(entry, account))

"""`e` on the pipeline board: edit a deal's name, amount, months, expected close date and stage.

Enter (in any field) or ctrl+s saves, Esc cancels; a field that does not parse says so under the
form and nothing is sent. Returns only what changed.
"""

from __future__ import annotations

import datetime as dt
import re

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Select, Static

from crmtui.domain.formatting import format_date
from crmtui.domain.models import Account, Deal, DealStatus, Pipeline
from crmtui.service.pipeline import DealChanges
from crmtui.ui.modals.dates import parse_date
from crmtui.ui.widgets.inputs import TextInput
from crmtui.ui.modals.form import FormModal
from crmtui.ui.inert import plain

WON, LOST = "won", "lost"


def place_choices(pipeline: Pipeline) -> list[tuple[str, str]]:
    """(label, value) for the stage field: every stage with its probability, then won and lost."""
    choices = [(f"{s.label or 'Stage'} ({s.stage}%)", str(s.stage)) for s in pipeline.stages]
    choices.append((pipeline.won_column_name or "Won", WON) if pipeline.won_column_enabled else ("Won", WON))
    choices.append(("Lost", LOST))
    return choices


def place_value(deal: Deal) -> str:
    if deal.status is DealStatus.WON:
        return WON
    if deal.status is DealStatus.LOST:
        return LOST
    return str(deal.stage)


_AMOUNT = re.compile(r"^[^\d.\-]{0,3}\s*(-?\d*\.?\d+)\s*([km]?)$", re.IGNORECASE)


def parse_amount(text: str) -> float:
    """"12000", "1,250.50", "€900", "12k", "1.5m". Raises ValueError."""
    match = _AMOUNT.match(text.strip().replace(",", ""))
    if not match:
        raise ValueError("The amount must be a number, like 12000, 1,250.50 or 12k")
    value = float(match.group(1)) * {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()]
    if value < 0:
        raise ValueError("The amount cannot be negative")
    return value


def parse_months(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise ValueError("Months must be a whole number, 1 or more")
    return int(text)


class DealEditModal(FormModal[DealChanges]):
    """Edit one deal; dismisses with the changes (possibly none), or None on Esc."""

    def __init__(self, deal: Deal, pipeline: Pipeline, account: Account, today: dt.date) -> None:
        super().__init__()
        self.deal, self.pipeline, self.account, self.today = deal, pipeline, account, today

    def compose(self) -> ComposeResult:
        d = self.deal
        close = format_date(d.expected_close_date, self.account.date_format) if d.expected_close_date else ""
        amount = f"{d.amount:.2f}".removesuffix(".00")
        with Vertical(id="deal-edit-dialog", classes="dialog"):
            title = " · ".join(["Edit deal", *(p for p in (d.contact_name, d.company_name) if p)])
            yield Label(plain(title), classes="dialog-title")
            with Horizontal(classes="deal-field"):
                yield Label("Name", classes="deal-label")
                yield TextInput(d.name, id="deal-name", compact=True)
            with Horizontal(classes="deal-field"):
                yield Label("Amount", classes="deal-label")
                yield TextInput(amount, id="deal-amount", compact=True)
                yield Label("Months", classes="deal-label deal-label-inline")
                yield TextInput(str(d.months), id="deal-months", compact=True)
            with Horizontal(classes="deal-field"):
                yield Label("Closes", classes="deal-label")
                example = format_date(self.today, self.account.date_format)
                yield TextInput(close, placeholder=example, id="deal-close", compact=True)
            with Horizontal(classes="deal-field"):
                yield Label("Stage", classes="deal-label")
                choices = place_choices(self.pipeline)
                yield Select([(plain(label), value) for label, value in choices], value=place_value(d), allow_blank=False, id="deal-place", compact=True)
            yield Static("", id="deal-error", markup=False)
            yield Static("Enter save · Esc cancel · Tab next · amount is per month", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#deal-name", Input).focus()

    def _value(self, selector: str) -> str:
        return self.query_one(selector, Input).value

    def show_error(self, message: str, field: str | None = None) -> None:
        self.query_one("#deal-error", Static).update(message)

    def result(self) -> DealChanges:
        """What the form changes; raises ValueError with a message for the person."""
        d = self.deal
        name = self._value("#deal-name").strip()
        if not name:
            raise ValueError("The deal needs a name")
        amount = parse_amount(self._value("#deal-amount"))
        months = parse_months(self._value("#deal-months"))
        close_text = self._value("#deal-close")
        close = parse_date(close_text, self.account, self.today) if close_text.strip() else None
        if close is None and d.expected_close_date is not None:
            raise ValueError("Enter the expected close date")
        place = str(self.query_one("#deal-place", Select).value)
        changes = DealChanges()
        if name != d.name:
            changes.name = name
        if amount != d.amount:
            changes.amount = amount
        if months != d.months:
            changes.months = months
        if close != d.expected_close_date:
            changes.expected_close_date = close
        if place != place_value(d):
            if place in (WON, LOST):
                changes.status = DealStatus(place)
            else:
                changes.stage = int(place)
                if d.status is not DealStatus.PENDING:
                    changes.status = DealStatus.PENDING
        return changes

    @on(Input.Changed)
    def _edited(self) -> None:
        self.query_one("#deal-error", Static).update("")

"""The lead form of the leads inbox: `n` makes a lead, `e` edits the one under the cursor.

Title (needed), value (an amount and its currency, the account's by default), expected close date
(the account's date format or ISO, or today, tomorrow, +3), the person or organization (one of those
the inbox has named, or an id typed: Pipedrive needs one of the two) and the labels (Space ticks).
Enter in a one-line field (or in the labels) or ctrl+s saves; Esc asks before it throws typed text
away (as every FormModal does). Editing returns only the fields that changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Input, Label, Select, Static

from crmtui.domain.formatting import format_date
from crmtui.domain.leads import Lead, LeadDraft, LeadLabel, Money
from crmtui.domain.models import Account
from crmtui.ui.inert import plain
from crmtui.ui.modals.contact_forms import FormError, form_row
from crmtui.ui.modals.dates import parse_date
from crmtui.ui.modals.deal_edit import parse_amount
from crmtui.ui.modals.form import FieldState, FormModal
from crmtui.ui.widgets.inputs import TextInput
from crmtui.ui.widgets.boxes import TickList

CURRENCIES = ("EUR", "USD", "GBP", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "CAD", "AUD", "NZD", "JPY", "INR", "BRL", "ZAR")
"""Common currencies offered for a lead's value (the account's own comes first)."""
FALLBACK_CURRENCY = "USD"
NEEDS_WHO = "A lead needs a person or an organization (Pipedrive requires one)"


@dataclass(frozen=True)
class LeadFormResult:
    """A new lead (`draft`), or the fields an edit changed (`changes`: name -> domain value)."""

    draft: LeadDraft
    changes: dict[str, Any] = field(default_factory=dict)


class LabelTicks(TickList):
    """The labels: Space ticks one, Enter saves the form (as in its one-line fields)."""

    BINDINGS = [Binding("enter", "screen.save", "Save", show=False)]


def currency_choices(*first: str) -> list[str]:
    """The currencies offered: `first` (the account's, the lead's) then the common ones, each once."""
    return list(dict.fromkeys(c.strip().upper() for c in (*first, *CURRENCIES) if c and c.strip()))


def who_choices(known: Sequence[tuple[str, str]], current: str | None) -> list[tuple[Content, str]]:
    """(label, id) for a person or organization field: the names known, and the lead's own one by its id
    when its name is not known."""
    choices = [(plain(name), item_id) for name, item_id in known]
    if current and all(item_id != current for _name, item_id in known):
        choices.insert(0, (plain(f"#{current}"), current))
    return choices


def typed_id(text: str, what: str, widget_id: str) -> str | None:
    """An id typed in the id box ("123" or "#123"); None when empty. Raises FormError otherwise."""
    value = text.strip().removeprefix("#")
    if not value:
        return None
    if not value.isdigit():
        raise FormError(f"The {what} id is a number, like 1042", widget_id)
    return value


class LeadFormModal(FormModal[LeadFormResult]):
    """A new lead (`lead` None) or an edit of `lead`; dismisses with a LeadFormResult, or None."""

    HINT = "Enter or ctrl+s save · Esc cancel · Tab next · Space ticks a label"

    def __init__(
        self,
        account: Account,
        today: dt.date,
        labels: Sequence[LeadLabel],
        *,
        persons: Sequence[tuple[str, str]] = (),
        organizations: Sequence[tuple[str, str]] = (),
        lead: Lead | None = None,
    ) -> None:
        """`persons`/`organizations`: (name, id) of those the inbox has named (the choices offered)."""
        super().__init__()
        self.account = account
        self.today = today
        self.labels = list(labels)
        self.lead = lead
        self.persons = who_choices(persons, lead.person_id if lead else None)
        self.organizations = who_choices(organizations, lead.organization_id if lead else None)

    # -- layout --------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        lead = self.lead
        account = self.account
        value = lead.value if lead is not None else None
        currency = value.currency if value is not None else (account.default_currency or FALLBACK_CURRENCY)
        currencies = currency_choices(currency, account.default_currency)
        amount = "" if value is None else f"{value.amount:.2f}".removesuffix(".00")
        close = format_date(lead.expected_close_date, account.date_format) if lead and lead.expected_close_date else ""
        example = format_date(self.today + dt.timedelta(days=30), account.date_format)
        heading = "New lead" if lead is None else f"Edit lead · {plain(lead.title)}"
        with Vertical(classes="dialog contact-form", id="lead-form-dialog"):
            yield Label(plain(heading), classes="dialog-title")
            yield form_row("Title", TextInput(lead.title if lead else "", id="lead-title", placeholder="needed", compact=True))
            with Horizontal(classes="form-row"):
                yield Label("Value", classes="field-label")
                yield TextInput(amount, id="lead-amount", placeholder="e.g. 12000 or 12k", compact=True)
                yield Select([(c, c) for c in currencies], value=currency.upper(), allow_blank=False, id="lead-currency", compact=True)
            yield form_row("Closes", TextInput(close, id="lead-close", placeholder=f"{example} · today · +30", compact=True))
            for kind, title, choices, current in (
                ("person", "Person", self.persons, lead.person_id if lead else None),
                ("org", "Org", self.organizations, lead.organization_id if lead else None),
            ):
                with Horizontal(classes="form-row"):
                    yield Label(title, classes="field-label")
                    select: Select[str] = Select(
                        choices, prompt="(none)" if choices else "(none named yet: type an id)", id=f"lead-{kind}",
                        compact=True, value=current if current else Select.NULL,
                    )
                    yield select
                    yield Label(" or id", classes="field-label-short")
                    yield TextInput(id=f"lead-{kind}-id", placeholder="#", compact=True, classes="short")
            if self.labels:
                chosen = set(lead.label_ids) if lead else set()
                with Horizontal(classes="form-row lead-labels-row"):
                    yield Label("Labels", classes="field-label")
                    yield LabelTicks(
                        *((plain(label.name), label.id, label.id in chosen) for label in self.labels), id="lead-labels", compact=True
                    )
            yield Static("", classes="form-error", markup=False)
            yield Static(self.HINT, classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(".form-error", Static).display = False
        self.query_one("#lead-title", Input).focus()

    def field_state(self) -> FieldState:
        """The fields, with the ticked labels (a selection list's ticks are what it holds)."""
        state = super().field_state()
        found = self.query("#lead-labels")
        ticked = tuple(sorted(found.first(LabelTicks).selected)) if found else ()
        return (*state, ("lead-labels-ticked", ticked))

    # -- result --------------------------------------------------------------------------------
    def _text(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value.strip()

    def _who(self, kind: str, what: str) -> str | None:
        typed = typed_id(self._text(f"lead-{kind}-id"), what, f"lead-{kind}-id")
        if typed is not None:
            return typed
        chosen = self.query_one(f"#lead-{kind}", Select).value
        return chosen if isinstance(chosen, str) and chosen else None

    def result(self) -> LeadFormResult:
        title = self._text("lead-title")
        if not title:
            raise FormError("The lead needs a title", "lead-title")
        amount_text = self._text("lead-amount")
        value = None
        if amount_text:
            try:
                amount = parse_amount(amount_text)
            except ValueError as exc:
                raise FormError(str(exc), "lead-amount") from None
            currency = self.query_one("#lead-currency", Select).value
            value = Money(amount=amount, currency=str(currency))
        close_text = self._text("lead-close")
        close = None
        if close_text:
            try:
                close = parse_date(close_text, self.account, self.today)
            except ValueError as exc:
                raise FormError(f"Expected close: {exc}", "lead-close") from None
        person = self._who("person", "person")
        organization = self._who("org", "organization")
        if person is None and organization is None:
            raise FormError(NEEDS_WHO, "lead-person")
        found = self.query("#lead-labels")
        label_ids = sorted(found.first(LabelTicks).selected) if found else []
        draft = LeadDraft(
            title=title, owner_id=self.account.user.id if self.lead is None else self.lead.owner_id, label_ids=label_ids,
            person_id=person, organization_id=organization, value=value, expected_close_date=close,
        )
        return LeadFormResult(draft, self._changes(draft) if self.lead is not None else {})

    def _changes(self, draft: LeadDraft) -> dict[str, Any]:
        """The fields of the lead the form changed, with their new values."""
        lead = self.lead
        assert lead is not None
        changes: dict[str, Any] = {}
        if draft.title != lead.title:
            changes["title"] = draft.title
        if draft.value != lead.value:
            changes["value"] = draft.value
        if draft.expected_close_date != lead.expected_close_date:
            changes["expected_close_date"] = draft.expected_close_date
        for name in ("person_id", "organization_id"):
            if (getattr(draft, name) or None) != (getattr(lead, name) or None):
                changes[name] = getattr(draft, name)
        if sorted(draft.label_ids) != sorted(lead.label_ids):
            changes["label_ids"] = draft.label_ids
        return changes

    def show_error(self, message: str, field: str | None = None) -> None:
        error = self.query_one(".form-error", Static)
        error.update(message)
        error.display = bool(message)
        if field:
            self.query_one(f"#{field}").focus()

    @on(Input.Changed)
    @on(Select.Changed)
    def _edited(self) -> None:
        error = self.query_one(".form-error", Static)
        if error.display:
            error.update("")
            error.display = False

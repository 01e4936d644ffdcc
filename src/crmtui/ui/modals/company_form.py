"""`K` on a contact's page: its company's name, phone, website, address, description and the
account's company fields (typed as the contact form types custom fields).

Enter in a one-line field or ctrl+s saves, Esc asks before it throws typed text away. Returns the
company as edited (every field; the change sends only those that differ from how it was read).
"""

from __future__ import annotations

import datetime as dt
import re

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Label, Static, TextArea

from crmtui.domain.models import Account, Address, Company, CustomValue
from crmtui.service.company_commands import COMPANY_NAME_LIMIT
from crmtui.ui.inert import plain
from crmtui.ui.modals.contact_forms import FormError, form_row
from crmtui.ui.modals.form import FormModal
from crmtui.ui.modals.new_contact import custom_input, custom_text
from crmtui.ui.widgets.boxes import TextBox
from crmtui.ui.widgets.inputs import TextInput

PARTIAL = "Offline: the company's other fields could not be read. What you leave as it is stays as it is on the server."


def _field_id(index: int) -> str:
    return f"company-custom-{index}"


class CompanyModal(FormModal[Company]):
    """Edit one company; dismisses with the company as edited, or None."""

    HINT = "Enter or ctrl+s save · Esc cancel · Tab next field"

    def __init__(self, account: Account, today: dt.date, company: Company, *, title: str, whole: bool = True) -> None:
        """`whole`: the company was read with every field (False: only what the contact's row carried)."""
        super().__init__()
        self.account = account
        self.today = today
        self.company = company
        self.heading = title
        self.whole = whole
        self.fields = [f for f in account.company_fields if f.id]

    def compose(self) -> ComposeResult:
        c = self.company
        address = c.address
        known = {v.field_id: v.value for v in c.custom_fields}
        with VerticalScroll(classes="dialog contact-form", id="company-dialog"):
            yield Label(plain(self.heading), classes="dialog-title")
            if not self.whole:
                yield Static(PARTIAL, classes="form-note", markup=False)
            yield form_row("Name", TextInput(c.name, id="company-name", max_length=COMPANY_NAME_LIMIT, compact=True))
            yield form_row("Phone", TextInput(c.phone, id="company-phone", placeholder="+353 1 555 0100", compact=True))
            yield form_row("Website", TextInput(c.url, id="company-url", placeholder="https://example.com", compact=True))
            yield form_row("Street", TextInput(address.address.replace("\n", ", "), id="company-street", compact=True))
            with Horizontal(classes="form-row"):
                yield Label("City", classes="field-label")
                yield TextInput(address.city, id="company-city", compact=True)
                yield Label(" Zip", classes="field-label-short")
                yield TextInput(address.zip_code, id="company-zip", compact=True, classes="short")
            with Horizontal(classes="form-row"):
                yield Label("State", classes="field-label")
                yield TextInput(address.state, id="company-state", compact=True)
                yield Label(" Country", classes="field-label-short")
                yield TextInput(address.country_code, id="company-country", max_length=2, placeholder="IE", compact=True, classes="short")
            for index, field in enumerate(self.fields):
                widget = custom_input(_field_id(index), field, self.account, self.today)
                widget.value = known.get(field.id, "")
                yield form_row(plain(field.name)[:14] or "Custom", widget)
            yield Label("Description", classes="field-label")
            yield TextBox(c.description, id="company-description", compact=True, soft_wrap=True, tab_behavior="focus")
            yield Static("", classes="form-error", markup=False)
            yield Static(self.HINT, classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(".form-error", Static).display = False
        self.query_one("#company-name", Input).focus()

    def value(self, field: str) -> str:
        return self.query_one(f"#{field}", Input).value.strip()

    def result(self) -> Company:
        name = self.value("company-name")
        if not name:
            raise FormError("The company needs a name", "company-name")
        country = self.value("company-country").upper()
        if country and not re.fullmatch(r"[A-Z]{2}", country):
            raise FormError("The country is a two-letter code, e.g. IE, US, DE", "company-country")
        street = self.value("company-street")
        if street == self.company.address.address.replace("\n", ", "):
            street = self.company.address.address  # untouched: keep its line breaks
        address = self.company.address.model_copy(update={
            "address": street, "city": self.value("company-city"), "state": self.value("company-state"),
            "zip_code": self.value("company-zip"), "country_code": country,
        })
        shown = {f.id for f in self.fields}
        values = [v for v in self.company.custom_fields if v.field_id not in shown]  # fields this form does not show
        for index, field in enumerate(self.fields):
            text = self.value(_field_id(index))
            if text:
                values.append(CustomValue(field_id=field.id, name=field.name, value=custom_text(text, field, self.account, self.today, _field_id(index))))
        return self.company.model_copy(update={
            "name": name, "phone": self.value("company-phone"), "url": self.value("company-url"),
            "description": self.query_one("#company-description", TextArea).text.strip(),
            "address": address if any(getattr(address, p) for p in ("address", "city", "state", "zip_code", "country_code")) else Address(),
            "custom_fields": values,
        })

    def show_error(self, message: str, field: str | None = None) -> None:
        self.show_error_in_long_form(message, field)

"""The new-contact form: who they are, how to reach them, and their first next action.

Everything OnePageCRM asks when a contact is made, on one scrolling form: name, company (an existing
one is completed as you type, → accepts it; any other name makes a new company), job title, emails
and phones (`mobile: +353 87 …`, several separated by commas), an address, tags (completed from the
tags in use), status, lead source, owner, background, the account's custom fields with their types,
and the first next action, so nothing new lands without one. Enter in a one-line field or ctrl+s
saves; Esc asks before it throws typed text away (as every FormModal does).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.suggester import SuggestFromList, Suggester
from textual.widgets import Input, Label, Select, Static, TextArea

from crmtui.domain.formatting import format_date
from crmtui.domain.text import inert_line
from crmtui.domain.models import Account, ActionStatus, Address, Contact, CustomFieldDef, CustomValue, Email, Phone
from crmtui.service.contact_commands import COMPANY_LIMIT, EDITED, NAME_LIMIT
from crmtui.ui.inert import plain
from crmtui.ui.modals.contact_forms import FormError, form_row
from crmtui.ui.modals.dates import parse_date
from crmtui.ui.modals.form import FormModal
from crmtui.ui.modals.next_action import ActionDraft
from crmtui.ui.widgets.boxes import TextBox
from crmtui.ui.widgets.inputs import TextInput

PHONE_TYPES = ("work", "mobile", "home", "direct", "fax", "skype", "company", "other")
EMAIL_TYPES = ("work", "home", "other")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


@dataclass(frozen=True)
class ContactDraft:
    """What the form returns: the contact (no id yet), its first next action and whose it is."""

    contact: Contact
    action: ActionDraft | None = None
    """The first next action (None when the form edits a contact that exists)."""
    assignee_id: str | None = None


class LastItemSuggester(Suggester):
    """Completes the last of comma-separated items from `choices` (tags: `Hot, inb` → `Hot, Inbound`)."""

    def __init__(self, choices: Iterable[str]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.choices = sorted(set(choices), key=str.casefold)

    async def get_suggestion(self, value: str) -> str | None:
        head, comma, last = value.rpartition(",")
        typed = last.lstrip()
        if not typed:
            return None
        for choice in self.choices:
            if choice.casefold().startswith(typed.casefold()) and choice != typed:
                return f"{head}{comma}{last[: len(last) - len(typed)]}{choice}"
        return None


def typed_values(text: str, types: Sequence[str], default: str) -> list[tuple[str, str]]:
    """`mobile: +353 1, +44 2` -> [("mobile", "+353 1"), ("work", "+44 2")] (the type prefix is optional)."""
    found = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        kind, colon, rest = item.partition(":")
        if colon and kind.strip().lower() in types:
            found.append((kind.strip().lower(), rest.strip()))
        else:
            found.append((default, item))
    return [(k, v) for k, v in found if v]


def _field_id(index: int) -> str:
    return f"new-custom-{index}"


def custom_input(widget_id: str, field: CustomFieldDef, account: Account, today: dt.date) -> Input:
    """A one-line field for a custom field of the account, its placeholder saying what it takes (a
    number, a date, one or some of its choices, completed as typed)."""
    kind = field.type.lower()
    example = format_date(today, account.date_format)
    hint = {"number": "a number", "date": f"a date, e.g. {example}", "anniversary": f"a date, e.g. {example}"}.get(kind, "")
    if field.choices:
        shown = ", ".join(field.choices[:4]) + ("…" if len(field.choices) > 4 else "")
        hint = ("some of: " if kind == "multiple_choice" else "one of: ") + shown
        return TextInput(id=widget_id, placeholder=inert_line(hint), suggester=LastItemSuggester(field.choices), compact=True)
    return TextInput(id=widget_id, placeholder=hint, compact=True)


def custom_text(text: str, field: CustomFieldDef, account: Account, today: dt.date, widget_id: str) -> str:
    """What was typed for a custom field, as it is saved (a date as YYYY-MM-DD, choices checked);
    raises FormError naming `widget_id` for what the field does not take."""
    kind = field.type.lower()
    if kind == "number" and not NUMBER.match(text.replace(",", "")):
        raise FormError(f"{field.name} is a number", widget_id)
    if kind in ("date", "anniversary"):
        try:
            text = parse_date(text, account, today).isoformat()
        except ValueError as exc:
            raise FormError(f"{field.name}: {exc}", widget_id) from None
    if field.choices:
        picked = [t.strip() for t in text.split(",") if t.strip()] if kind == "multiple_choice" else [text]
        unknown = [p for p in picked if p not in field.choices]
        if unknown:
            raise FormError(f"{field.name} is one of: {', '.join(field.choices)}", widget_id)
        text = ", ".join(picked)
    return text


class NewContactModal(FormModal[ContactDraft]):
    """Ask for a new contact and its first next action. Returns a ContactDraft, or None."""

    HINT = "Enter or ctrl+s save · Esc cancel · Tab next · → takes a suggestion"

    def __init__(
        self, account: Account, today: dt.date, *, companies: Sequence[str] = (), tags: Sequence[str] = (),
        title: str = "New contact", contact: Contact | None = None,
    ) -> None:
        """`contact`: edit this one (the form starts with its fields and asks for no next action)."""
        super().__init__()
        self.account = account
        self.today = today
        self.companies = sorted(set(companies), key=str.casefold)
        self.tags = list(tags)
        self.heading = title
        self.editing = contact
        self.custom: list[CustomFieldDef] = list(account.custom_fields)

    # -- layout --------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        account = self.account
        people = [account.user, *(u for u in account.team if u.id != account.user.id)]
        team = [(plain(u.name + (" (me)" if u.id == account.user.id else "")), u.id) for u in people]
        with VerticalScroll(classes="dialog contact-form", id="new-contact-dialog"):
            yield Label(plain(self.heading), classes="dialog-title")
            yield form_row("First name", TextInput(id="new-first", max_length=NAME_LIMIT, compact=True))
            yield form_row("Last name", TextInput(id="new-last", max_length=NAME_LIMIT, placeholder="a last name or a company is needed", compact=True))
            yield form_row("Company", TextInput(
                id="new-company", max_length=COMPANY_LIMIT, placeholder="an existing one completes (→); a new name makes one",
                suggester=SuggestFromList(self.companies, case_sensitive=False), compact=True,
            ))
            yield form_row("Job title", TextInput(id="new-job", compact=True))
            yield form_row("Phones", TextInput(id="new-phones", placeholder="mobile: +353 87 555 0101, work: …", compact=True))
            yield form_row("Emails", TextInput(id="new-emails", placeholder="work: ana@example.com, home: …", compact=True))
            if self.editing is None:
                yield Label("First next action", classes="field-label section-label")
                yield form_row("Action", TextInput(id="new-action", max_length=140, placeholder="what's next? (needed)", compact=True))
                example = format_date(self.today + dt.timedelta(days=3), account.date_format)
                yield form_row("Due", TextInput(id="new-due", placeholder=f"empty: ASAP · today · +3 · {example}", compact=True))
                yield form_row("For", Select(team, value=account.user.id, allow_blank=False, id="new-assignee", compact=True))
            yield Label("More about them (optional)", classes="field-label section-label")
            yield form_row("Street", TextInput(id="new-street", compact=True))
            with Horizontal(classes="form-row"):
                yield Label("City", classes="field-label")
                yield TextInput(id="new-city", compact=True)
                yield Label(" Zip", classes="field-label-short")
                yield TextInput(id="new-zip", compact=True, classes="short")
            with Horizontal(classes="form-row"):
                yield Label("State", classes="field-label")
                yield TextInput(id="new-state", compact=True)
                yield Label(" Country", classes="field-label-short")
                yield TextInput(id="new-country", max_length=2, placeholder="IE", compact=True, classes="short")
            yield form_row("Tags", TextInput(id="new-tags", placeholder="comma separated", suggester=LastItemSuggester(self.tags), compact=True))
            statuses = [(plain(s.text), s.id) for s in account.statuses]
            if statuses:
                yield form_row("Status", Select(statuses, value=statuses[0][1], allow_blank=False, id="new-status", compact=True))
            sources = [(plain(s.text), s.id) for s in account.lead_sources]
            if sources:
                yield form_row("Source", Select(sources, prompt="(none)", id="new-source", compact=True))
            yield form_row("Owner", Select(team, value=account.user.id, allow_blank=False, id="new-owner", compact=True))
            yield Label("Background", classes="field-label")
            yield TextBox(id="new-background", compact=True, soft_wrap=True, tab_behavior="focus")
            for index, field in enumerate(self.custom):
                yield form_row(plain(field.name)[:14] or "Custom", custom_input(_field_id(index), field, self.account, self.today))
            yield Static("", classes="form-error", markup=False)
            yield Static(self.HINT, classes="dialog-hint")

    def add_companies(self, names: Iterable[str]) -> None:
        """More companies to complete (the account's, once the server has listed them)."""
        self.companies = sorted({*self.companies, *names}, key=str.casefold)
        self.query_one("#new-company", Input).suggester = SuggestFromList(self.companies, case_sensitive=False)

    def on_mount(self) -> None:
        self.query_one(".form-error", Static).display = False
        if self.editing is not None:
            self._fill(self.editing)
        self.query_one("#new-first", Input).focus()

    def _fill(self, contact: Contact) -> None:
        """Start from the contact's fields (editing)."""
        def typed(items: Sequence[Phone] | Sequence[Email]) -> str:
            return ", ".join(i.value if i.type in ("", "work") else f"{i.type}: {i.value}" for i in items)

        address = contact.addresses[0] if contact.addresses else Address()
        values = {
            "first": contact.first_name, "last": contact.last_name, "company": contact.company_name,
            "job": contact.job_title, "phones": typed(contact.phones), "emails": typed(contact.emails),
            "street": address.address, "city": address.city, "state": address.state, "zip": address.zip_code,
            "country": address.country_code, "tags": ", ".join(contact.tags),
        }
        for name, value in values.items():
            self.query_one(f"#new-{name}", Input).value = value
        by_id = {v.field_id: v.value for v in contact.custom_fields}
        for index, field in enumerate(self.custom):
            self.query_one(f"#{_field_id(index)}", Input).value = by_id.get(field.id, "")
        self.query_one("#new-background", TextArea).text = contact.background
        for select_id, value in (("new-status", contact.status_id), ("new-source", contact.lead_source_id), ("new-owner", contact.owner_id)):
            found = self.query(f"#{select_id}")
            if found and value and any(v == value for _label, v in found.first(Select)._options):
                found.first(Select).value = value

    # -- result --------------------------------------------------------------------------------
    def value(self, field: str) -> str:
        return self.query_one(f"#{field}", Input).value.strip()

    def _choice(self, field: str) -> str:
        found = self.query(f"#{field}")
        if not found:
            return ""
        chosen = found.first(Select).value
        return chosen if isinstance(chosen, str) else ""

    def result(self) -> ContactDraft:
        first, last, company = self.value("new-first"), self.value("new-last"), self.value("new-company")
        if not (last or company):
            raise FormError("A contact needs a last name or a company", "new-last")
        emails = typed_values(self.value("new-emails"), EMAIL_TYPES, "work")
        bad = next((v for _k, v in emails if not EMAIL.match(v)), None)
        if bad is not None:
            raise FormError(f"“{bad}” is not an email address", "new-emails")
        phones = typed_values(self.value("new-phones"), PHONE_TYPES, "work")
        street, city, state, zip_code = (self.value(f"new-{n}") for n in ("street", "city", "state", "zip"))
        country = self.value("new-country").upper()
        if country and not re.fullmatch(r"[A-Z]{2}", country):
            raise FormError("The country is a two-letter code, e.g. IE, US, DE", "new-country")
        addresses = [Address(address=street, city=city, state=state, zip_code=zip_code, country_code=country, type="work")] if any(
            (street, city, state, zip_code, country)
        ) else []
        tags = list(dict.fromkeys(t.strip() for t in self.value("new-tags").split(",") if t.strip()))
        known = {s.id: s.text for s in self.account.statuses}
        sources = {s.id: s.text for s in self.account.lead_sources}
        status_id, source_id = self._choice("new-status"), self._choice("new-source")
        contact = Contact(
            id="",
            first_name=first,
            last_name=last,
            company_name=company,
            job_title=self.value("new-job"),
            emails=[Email(type=k, value=v) for k, v in emails],
            phones=[Phone(type=k, value=v) for k, v in phones],
            addresses=addresses,
            tags=tags,
            status_id=status_id,
            status=known.get(status_id, ""),
            lead_source_id=source_id,
            lead_source=sources.get(source_id, ""),
            owner_id=self._choice("new-owner") or self.account.user.id,
            background=self.query_one("#new-background", TextArea).text.strip(),
            custom_fields=self._custom_values(),
        )
        if self.editing is not None:
            kept = self.editing.addresses[1:]  # the form shows the first address; the second stays
            edited = {name: getattr(contact, name) for name in (*EDITED, "owner_id")}
            return ContactDraft(self.editing.model_copy(update={**edited, "addresses": [*contact.addresses, *kept]}))
        text = self.value("new-action")
        if not text:
            raise FormError("A new contact needs its first next action: what's next?", "new-action")
        due = self.value("new-due")
        if due:
            try:
                day = parse_date(due, self.account, self.today)
            except ValueError as exc:
                raise FormError(str(exc), "new-due") from None
            action = ActionDraft(text, ActionStatus.DATE, day)
        else:
            action = ActionDraft(text, ActionStatus.ASAP)
        assignee = self._choice("new-assignee")
        return ContactDraft(contact, action, assignee if assignee and assignee != self.account.user.id else None)

    def _custom_values(self) -> list[CustomValue]:
        values = []
        for index, field in enumerate(self.custom):
            text = self.value(_field_id(index))
            if text:
                text = custom_text(text, field, self.account, self.today, _field_id(index))
                values.append(CustomValue(field_id=field.id, name=field.name, value=text))
        return values

    def show_error(self, message: str, field: str | None = None) -> None:
        self.show_error_in_long_form(message, field)

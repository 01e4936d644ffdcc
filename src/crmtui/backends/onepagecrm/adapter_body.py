"""Domain models to OnePageCRM request bodies (the other way from `adapter_map`).

A contact is sent as the spec's POST /contacts (a new one) or PUT /contacts/{id} body (an edit: the
whole record) with only what is filled in (an empty field is left out: on a POST the server's
defaults apply, the logged user as owner, the account's first status; a PUT clears it), types of phones, emails, URLs and addresses in the spec's enums, custom fields by id.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from crmtui.backends.onepagecrm.client import (
    ADDRESS_TYPES,
    CONTACT_TITLES,
    EMAIL_TYPES,
    PHONE_TYPES,
    _kind,
)
from crmtui.backends.errors import ValidationFailed
from crmtui.domain.models import Address, Company, Contact, CustomFieldDef, CustomValue

MAX_ADDRESSES = 2
"""The spec's `address_list` maxItems."""
TEXT_LIMITS = {"first_name": 25, "last_name": 25, "job_title": 1000, "company_name": 55, "background": 10240}
"""The spec's maxLength of a contact's text fields."""
COMPANY_LIMITS = {"name": 55, "description": 10240}
"""The spec's maxLength of a company's text fields."""

ADDRESS_PARTS = ("address", "city", "state", "zip_code", "country_code")

_URL_HOSTS = {
    "linkedin.com": "linkedin",
    "twitter.com": "twitter",
    "x.com": "twitter",
    "facebook.com": "facebook",
    "xing.com": "xing",
    "plus.google.com": "google_plus",
}


def url_type(value: str) -> str:
    """The spec's type of a URL the domain keeps without one: by its host, else "website"."""
    text = value.strip()
    host = (urlsplit(text if "//" in text else f"//{text}").hostname or "").removeprefix("www.")
    for known, kind in _URL_HOSTS.items():
        if host == known or host.endswith(f".{known}"):
            return kind
    return "website"


def _address(address: Address) -> dict[str, str] | None:
    parts = {name: getattr(address, name).strip() for name in ADDRESS_PARTS}
    if not any(parts.values()):
        return None
    return {**{k: v for k, v in parts.items() if v}, "type": _kind(address.type, ADDRESS_TYPES)}


def _custom_value(value: CustomValue, defs: dict[str, CustomFieldDef]) -> dict[str, Any] | None:
    """One custom field value by the field's id (a name the account knows is turned into its id);
    a multiple choice field's "a, b" (as the domain shows it) as the list of choices the API takes."""
    found = defs.get(value.field_id) or next(
        (d for d in defs.values() if value.name and d.name.casefold() == value.name.casefold()), None
    )
    field_id = value.field_id or (found.id if found is not None else "")
    text = value.value.strip()
    if not field_id or not text:
        return None
    sent: str | list[str] = text
    if found is not None and found.type == "multiple_choice":
        sent = [part.strip() for part in text.split(",") if part.strip()]
    return {"custom_field": {"id": field_id}, "value": sent}


def new_contact_body(contact: Contact, custom_fields: Sequence[CustomFieldDef] = ()) -> dict[str, Any]:
    """The POST /contacts body for `contact` (its id is not sent: the server gives one).

    The company goes by id when one was picked, else by name (the server links the contact to the
    company of that name, or makes one). `custom_fields`: the account's definitions, to send a field
    named rather than identified, and multiple choice values as lists.

    Raises ValidationFailed, sending nothing, for what the spec itself rules out (a text longer
    than its maxLength, more than two addresses): such a request is not one the API declares. The
    rest (a name or a company, email addresses, ids) is the server's to check.
    """
    body: dict[str, Any] = {"starred": contact.starred}
    for name in ("first_name", "last_name", "job_title", "background"):
        value = getattr(contact, name).strip()
        if value:
            body[name] = value
    if contact.title in CONTACT_TITLES:
        body["title"] = contact.title
    if contact.company_id:
        body["company_id"] = contact.company_id
    elif contact.company_name.strip():
        body["company_name"] = contact.company_name.strip()
    for name in ("status_id", "lead_source_id", "owner_id"):
        value = getattr(contact, name)
        if value:
            body[name] = value
    phones = [{"type": _kind(p.type, PHONE_TYPES), "value": p.value.strip()} for p in contact.phones if p.value.strip()]
    emails = [{"type": _kind(e.type, EMAIL_TYPES), "value": e.value.strip()} for e in contact.emails if e.value.strip()]
    urls = [{"type": url_type(u), "value": u.strip()} for u in contact.urls if u.strip()]
    addresses = [a for a in (_address(a) for a in contact.addresses) if a is not None]
    tags = [t for t in dict.fromkeys(t.strip() for t in contact.tags) if t]
    defs = {d.id: d for d in custom_fields if d.id}
    customs = [c for c in (_custom_value(v, defs) for v in contact.custom_fields) if c is not None]
    lists: dict[str, list[Any]] = {
        "phones": phones, "emails": emails, "urls": urls, "address_list": addresses, "tags": tags, "custom_fields": customs,
    }
    body.update({name: items for name, items in lists.items() if items})
    _check_limits(body)
    return body


def _check_limits(body: dict[str, Any]) -> None:
    errors = {
        name: f"{name} must be at most {limit} characters"
        for name, limit in TEXT_LIMITS.items()
        if len(body.get(name) or "") > limit
    }
    if len(body.get("address_list") or ()) > MAX_ADDRESSES:
        errors["address_list"] = f"address_list must have at most {MAX_ADDRESSES} addresses"
    if errors:
        raise ValidationFailed("The contact was not sent: the API does not take it as it is", errors=errors)


def company_body(company: Company, company_fields: Sequence[CustomFieldDef] = ()) -> dict[str, Any]:
    """The PUT /companies/{id} body: every writable field the company form holds, each sent as it is
    (an empty one clears it), and every company field of the account by id (an empty value clears
    it; a multiple choice one as the list of choices the API takes).

    Raises ValidationFailed, sending nothing, for what the spec rules out (no name, a text longer
    than its maxLength).
    """
    body: dict[str, Any] = {
        "name": company.name.strip(),
        "description": company.description.strip(),
        "url": company.url.strip(),
        "phone": company.phone.strip(),
        "address": {name: getattr(company.address, name).strip() for name in ADDRESS_PARTS},
    }
    defs = {d.id: d for d in company_fields if d.id}
    given = {v.field_id: v for v in company.custom_fields if v.field_id}
    fields: list[dict[str, Any]] = []
    for field_id in dict.fromkeys([*defs, *given]):
        value = given.get(field_id)
        text = value.value.strip() if value is not None else ""
        sent: str | list[str] = text
        found = defs.get(field_id)
        if found is not None and found.type == "multiple_choice":
            sent = [part.strip() for part in text.split(",") if part.strip()]
        fields.append({"company_field": {"id": field_id}, "value": sent})
    if fields:
        body["company_fields"] = fields
    errors = {name: f"{name} must be at most {limit} characters" for name, limit in COMPANY_LIMITS.items() if len(body[name]) > limit}
    if not body["name"]:
        errors["name"] = "name is required"
    if errors:
        raise ValidationFailed("The company was not sent: the API does not take it as it is", errors=errors)
    return body

"""A change of a company (OnePageCRM's organisation): its name, phone, url, address, description and
custom fields, made from the page of one of its contacts.

Like every command: checked, written to the outbox, shown at once, sent once, conflict-checked
against the company's `modified_at` field by field, undone with its inverse. A new name shows at
once on every contact of the company the views hold (`also_shows_on`), as the server renames them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Literal

from crmtui.backends.base import Backend
from crmtui.domain.models import Address, Company, CustomValue, StreamEntry
from crmtui.service.commands import Command, changed_since, clashes
from crmtui.service.errors import CommandRefused
from crmtui.service.features import contacts_api

COMPANY_NAME_LIMIT = 55
DESCRIPTION_LIMIT = 10240
COMPANY_EDITED = ("name", "phone", "url", "description", "address", "custom_fields")
"""What the company form edits, in the order a conflict names them."""


def field_texts(values: Sequence[CustomValue]) -> dict[str, str]:
    """Custom field values by field id, empty ones left out (how two lists are compared)."""
    return {v.field_id: v.value.strip() for v in values if v.field_id and v.value.strip()}


def _comparable(company: Company, name: str) -> object:
    value = getattr(company, name)
    if name == "custom_fields":
        return field_texts(value)
    if isinstance(value, Address):
        return value.model_copy(update={"type": ""})
    return value.strip() if isinstance(value, str) else value


def custom_changes(before: Company, after: Company) -> dict[str, CustomValue | None]:
    """The custom fields `after` changes from `before`, by field id (None: emptied)."""
    old, new = field_texts(before.custom_fields), field_texts(after.custom_fields)
    values = {v.field_id: v for v in after.custom_fields}
    return {fid: values[fid] if fid in new else None for fid in old.keys() | new.keys() if old.get(fid) != new.get(fid)}


def _field_name(field_id: str, *companies: Company) -> str:
    return next((v.name for c in companies for v in c.custom_fields if v.field_id == field_id and v.name), field_id)


def _readable(company: Company, name: str) -> object:
    """A field as a conflict message says it."""
    value = getattr(company, name)
    if isinstance(value, Address):
        return value.one_line() or None
    if name == "custom_fields":
        return ", ".join(f"{v.name or v.field_id}: {v.value}" for v in value if v.value.strip()) or None
    return value


class EditCompany(Command):
    """The company form's fields. Sent as the server's company with the fields changed here over it
    (PUT /companies/{id} replaces the whole record: a field this machine read long ago is not sent
    back over a colleague's newer one)."""

    kind: Literal["edit_company"] = "edit_company"
    company: Company
    """The company as the person saved it."""
    previous: Company
    """As it was read: what `u` goes back to, and what a conflict is measured from."""
    contact_ids: list[str] = []
    """The company's other contacts the views held when it was saved: they show a new name at once."""
    updated: Company | None = None
    """The company as the server answered."""

    answered: ClassVar[bool] = True

    def changed(self) -> list[str]:
        return [name for name in COMPANY_EDITED if _comparable(self.company, name) != _comparable(self.previous, name)]

    def check(self, entries: Sequence[StreamEntry]) -> None:
        if not self.company.id:
            raise CommandRefused("The contact has no company to change")
        name = self.company.name.strip()
        if not name:
            raise CommandRefused("A company needs a name")
        if len(name) > COMPANY_NAME_LIMIT:
            raise CommandRefused(f"The company name is limited to {COMPANY_NAME_LIMIT} characters")
        if len(self.company.description) > DESCRIPTION_LIMIT:
            raise CommandRefused(f"The description is limited to {DESCRIPTION_LIMIT} characters")
        if not self.changed():
            raise CommandRefused("Nothing was changed")

    def also_shows_on(self) -> frozenset[str]:
        return frozenset(self.contact_ids) - {self.contact_id}

    def apply_locally(self, entries: Sequence[StreamEntry]) -> StreamEntry | None:
        own = [e for e in entries if e.contact.id == self.contact_id]
        found = own or [e for e in entries if e.contact.company_id == self.company.id]
        if not found:
            return None
        return self._predict(found[0].model_copy(deep=True))

    def _predict(self, entry: StreamEntry) -> StreamEntry:
        if entry.contact.company_id != self.company.id:
            return entry
        shown = self.updated or self.company
        changed = self.changed()
        if "name" in changed:
            entry.contact.company_name = shown.name
        update = {name: getattr(shown, name) for name in changed}
        if self.updated is not None:
            update["modified_at"] = self.updated.modified_at
        base = entry.company if entry.company is not None and entry.company.id == shown.id else shown
        entry.company = base.model_copy(update=update)
        return entry

    async def execute(self, backend: Backend) -> None:
        api = contacts_api(backend)
        server = await api.get_company(self.company.id)
        changed = self.changed()
        mine = {name: getattr(self.company, name) for name in changed if name != "custom_fields"}
        if "custom_fields" in changed:  # field by field: a colleague's value of another field stays
            fields = custom_changes(self.previous, self.company)
            kept = [v for v in server.custom_fields if v.field_id not in fields]
            mine["custom_fields"] = kept + [v for v in fields.values() if v is not None]
        self.updated = await api.update_company(server.model_copy(update=mine))

    async def conflict(self, backend: Backend) -> str | None:
        server = await contacts_api(backend).get_company(self.company.id)
        if not changed_since(server.modified_at, self.previous.modified_at):
            return None
        found: dict[str, tuple[object, object, object]] = {}
        for name in self.changed():
            if name == "custom_fields":  # each field on its own: another field changed meanwhile is no clash
                was, now = field_texts(self.previous.custom_fields), field_texts(server.custom_fields)
                for fid, value in custom_changes(self.previous, self.company).items():
                    set_to = value.value.strip() if value is not None else None
                    if now.get(fid) not in (was.get(fid), set_to):
                        found[_field_name(fid, self.previous, self.company, server)] = (was.get(fid), set_to, now.get(fid))
                continue
            read, mine, theirs = (_comparable(c, name) for c in (self.previous, self.company, server))
            if theirs not in (read, mine):
                found[name.replace("_", " ")] = (_readable(self.previous, name), _readable(self.company, name), _readable(server, name))
        return clashes(found)

    def inverse(self) -> Command:
        back = self.company.model_copy(update={name: getattr(self.previous, name) for name in self.changed()})
        return EditCompany(
            contact_id=self.contact_id, company=back, previous=self.updated or self.company, contact_ids=self.contact_ids,
            label=f"Undo company edit: {back.name}",
        )

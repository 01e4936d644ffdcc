"""Contact changes: a new contact; status, owner, tags, sales cycle (the contact detail screen).

Beside the triage commands of `commands`, and like them: each predicts the new state of the stream
entry (so the Session's pipeline shows it at once and puts it back on failure) and has an inverse
so `u` can undo it. The history commands (note, call, meeting, deal) are in `contact_history`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import ClassVar, Literal

from crmtui.backends.base import Backend
from crmtui.backends.errors import NotFound
from crmtui.domain.models import Action, Contact, StreamEntry
from crmtui.service.commands import Command, changed_since, clashes, find_entry, is_local_id, made_after
from crmtui.service.errors import CommandRefused
from crmtui.service.features import contacts_api

OPEN_ACTIONS_REFUSAL = "You have open actions on this contact: mark them done or delete them before closing the sales cycle"
COMMENT_LIMIT = 140


NAME_LIMIT = 25
COMPANY_LIMIT = 55


# -- a new contact ---------------------------------------------------------------------------------


class AddContact(Command):
    """A contact made on this machine: shown at once under a local id, sent as POST /contacts.

    `contact_id` is the local id (`new_local_id`) the row and the changes made on it before it is
    sent (its first next action) carry; the outbox puts the server's id in their place once this
    one is confirmed (`made_ids`).
    """

    kind: Literal["add_contact"] = "add_contact"
    contact: Contact
    created: StreamEntry | None = None

    idempotent: ClassVar[bool] = False
    answered: ClassVar[bool] = True
    creates: ClassVar[bool] = True

    def check(self, entries: Sequence[StreamEntry]) -> None:
        contact = self.contact
        if not is_local_id(self.contact_id):
            raise CommandRefused("A new contact needs a local id")
        if not (contact.last_name.strip() or contact.company_name.strip()):
            raise CommandRefused("A contact needs a last name or a company")
        for name, value, limit in (
            ("first name", contact.first_name, NAME_LIMIT),
            ("last name", contact.last_name, NAME_LIMIT),
            ("company", contact.company_name, COMPANY_LIMIT),
        ):
            if len(value) > limit:
                raise CommandRefused(f"The {name} is limited to {limit} characters")

    def apply_locally(self, entries: Sequence[StreamEntry]) -> StreamEntry | None:
        contact = (self.created.contact if self.created is not None else self.contact).model_copy(
            update={"id": self.contact_id}
        )
        company = self.created.company if self.created is not None else None
        return StreamEntry(contact=contact, company=company)

    async def execute(self, backend: Backend) -> None:
        self.created = await contacts_api(backend).create_contact(self.contact)

    async def reconcile(self, backend: Backend, since: dt.datetime | None, claimed: set[str]) -> bool:
        """An attempt whose answer was lost: a contact of this name made since is this one."""
        contact = self.contact
        query = contact.emails[0].value if contact.emails else ""
        found = await contacts_api(backend).find_contacts(email=query) if query else await contacts_api(backend).find_contacts(
            search=contact.last_name or contact.company_name
        )
        for entry in found:
            made = entry.contact
            if made.id in claimed or not made_after(made.created_at, since):
                continue
            if (made.first_name, made.last_name, made.company_name) == (contact.first_name, contact.last_name, contact.company_name):
                self.created = entry
                return True
        return False

    def made_ids(self) -> dict[str, str]:
        return {self.contact_id: self.created.contact.id} if self.created is not None else {}

    def makes(self) -> set[str]:
        return {self.contact_id}

    def result(self) -> dict[str, object]:
        return {"created": self.created.contact.id} if self.created is not None else {}

    def inverse(self) -> Command:
        raise CommandRefused("A new contact is taken back by deleting it on its page")


EDITED = (
    "first_name", "last_name", "job_title", "company_id", "company_name", "phones", "emails", "addresses",
    "tags", "status_id", "status", "lead_source_id", "lead_source", "background", "custom_fields",
)
"""What the contact form edits (the owner goes by ChangeOwner, which moves their open actions along)."""


def _readable(value: object) -> object:
    """A field's value as the conflict message says it (a list of phones as their numbers)."""
    if isinstance(value, list):
        parts = [str(getattr(v, "value", None) or getattr(v, "city", None) or v) for v in value]
        return ", ".join(p for p in parts if p) or None
    return value


class EditContact(Command):
    """The contact form's fields, sent as the whole record (PUT /contacts/{id}: what it leaves empty is
    cleared; fields the form does not show go back as they were read)."""

    kind: Literal["edit_contact"] = "edit_contact"
    contact: Contact
    """The contact as the person saved it (every field, as read where the form did not change it)."""
    previous: Contact
    """As it was read: what `u` goes back to, and what a conflict is measured from."""

    answered: ClassVar[bool] = True

    def changed(self) -> list[str]:
        return [name for name in EDITED if getattr(self.contact, name) != getattr(self.previous, name)]

    def check(self, entries: Sequence[StreamEntry]) -> None:
        if not (self.contact.last_name.strip() or self.contact.company_name.strip()):
            raise CommandRefused("A contact needs a last name or a company")
        if not self.changed():
            raise CommandRefused("Nothing was changed")

    def _predict(self, entry: StreamEntry) -> StreamEntry:
        entry.contact = entry.contact.model_copy(update={name: getattr(self.contact, name) for name in self.changed()})
        if "company_name" in self.changed() and entry.company is not None:
            entry.company = entry.company.model_copy(update={"name": self.contact.company_name})
        return entry

    async def execute(self, backend: Backend) -> None:
        await contacts_api(backend).update_contact(self.contact)

    async def conflict(self, backend: Backend) -> str | None:
        server = await contacts_api(backend).get_contact(self.contact_id)
        if not changed_since(server.modified_at, self.previous.modified_at):
            return None
        return clashes({
            name: (_readable(getattr(self.previous, name)), _readable(getattr(self.contact, name)), _readable(getattr(server, name)))
            for name in self.changed() if name not in ("company_id", "status", "lead_source")
        })

    def inverse(self) -> Command:
        back = self.contact.model_copy(update={name: getattr(self.previous, name) for name in self.changed()})
        return EditContact(contact_id=self.contact_id, contact=back, previous=self.contact, label=f"Undo edit: {self.contact.name}")


class DeleteContact(Command):
    """Delete a contact (with its actions, deals, notes, calls and meetings); `u` asks the API to undo it."""

    kind: Literal["delete_contact"] = "delete_contact"
    entry: StreamEntry | None = None
    """The contact as it was shown, so that an undo shows it again before the server has answered."""

    removes: ClassVar[bool] = True
    answered: ClassVar[bool] = True
    idempotent: ClassVar[bool] = False

    async def execute(self, backend: Backend) -> None:
        await contacts_api(backend).delete_contact(self.contact_id)

    async def reconcile(self, backend: Backend, since: dt.datetime | None, claimed: set[str]) -> bool:
        try:
            await contacts_api(backend).get_contact(self.contact_id)
        except NotFound:
            return True  # gone: the attempt whose answer was lost deleted it
        return False

    def inverse(self) -> Command:
        return RestoreContact(contact_id=self.contact_id, entry=self.entry, label=f"Undo delete: {self.describe_name()}")

    def describe_name(self) -> str:
        return self.entry.contact.name if self.entry is not None else "the contact"


class RestoreContact(Command):
    """The API's undo of a deletion (DELETE /contacts/{id}?undo=true): the contact comes back with its records."""

    kind: Literal["restore_contact"] = "restore_contact"
    entry: StreamEntry | None = None

    creates: ClassVar[bool] = True
    idempotent: ClassVar[bool] = False

    def apply_locally(self, entries: Sequence[StreamEntry]) -> StreamEntry | None:
        return self.entry.model_copy(deep=True) if self.entry is not None else None

    async def execute(self, backend: Backend) -> None:
        await contacts_api(backend).restore_contact(self.contact_id)

    async def reconcile(self, backend: Backend, since: dt.datetime | None, claimed: set[str]) -> bool:
        try:
            await contacts_api(backend).get_contact(self.contact_id)
        except NotFound:
            return False
        return True

    def inverse(self) -> Command:
        return DeleteContact(contact_id=self.contact_id, entry=self.entry, label="Delete again")


# -- contact changes ---------------------------------------------------------------------------------


class ChangeStatus(Command):
    kind: Literal["change_status"] = "change_status"
    status_id: str
    status: str
    previous_id: str = ""
    previous: str = ""
    read_at: dt.datetime | None = None
    """The contact's modified_at when the user read it."""

    def check(self, entries: Sequence[StreamEntry]) -> None:
        if self.status_id == self.previous_id:
            raise CommandRefused(f"The status is already {self.status}")

    def _predict(self, entry: StreamEntry) -> StreamEntry:
        entry.contact.status_id, entry.contact.status = self.status_id, self.status
        return entry

    async def execute(self, backend: Backend) -> None:
        await contacts_api(backend).change_status(self.contact_id, self.status_id)

    async def conflict(self, backend: Backend) -> str | None:
        server = await contacts_api(backend).get_contact(self.contact_id)
        if not changed_since(server.modified_at, self.read_at):
            return None
        if server.status_id in (self.previous_id, self.status_id):
            return None
        return clashes({"status": (self.previous or self.previous_id, self.status, server.status or server.status_id)})

    def inverse(self) -> Command:
        if not self.previous_id:
            raise CommandRefused("The contact had no status before, so there is nothing to go back to")
        return ChangeStatus(
            contact_id=self.contact_id, status_id=self.previous_id, status=self.previous,
            previous_id=self.status_id, previous=self.status, label=f"Status: {self.previous}",
        )


class ChangeOwner(Command):
    kind: Literal["change_owner"] = "change_owner"
    owner_id: str
    previous_id: str = ""
    read_at: dt.datetime | None = None
    stream_user_id: str | None = None
    """Whose stream predicts it (the session sets it per view)."""

    def check(self, entries: Sequence[StreamEntry]) -> None:
        if self.owner_id == self.previous_id:
            raise CommandRefused("The contact already belongs to that user")

    def _predict(self, entry: StreamEntry) -> StreamEntry:
        entry.contact.owner_id = self.owner_id
        if self.previous_id and self.stream_user_id == self.previous_id:
            # The old owner's open actions go with the contact: they leave this person's stream.
            def moving(action: Action | None) -> bool:
                return action is not None and action.assignee_id == self.previous_id

            if moving(entry.next_action):
                entry.next_action = None
            entry.queued_actions = [a for a in entry.queued_actions if not moving(a)]
        return entry

    async def execute(self, backend: Backend) -> None:
        await contacts_api(backend).change_owner(self.contact_id, self.owner_id)

    async def conflict(self, backend: Backend) -> str | None:
        server = await contacts_api(backend).get_contact(self.contact_id)
        if not changed_since(server.modified_at, self.read_at):
            return None
        return clashes({"owner": (self.previous_id, self.owner_id, server.owner_id)})

    def inverse(self) -> Command:
        if not self.previous_id:
            raise CommandRefused("The contact had no owner before, so there is nothing to go back to")
        return ChangeOwner(contact_id=self.contact_id, owner_id=self.previous_id, previous_id=self.owner_id, label="Owner back")


class AddTag(Command):
    kind: Literal["add_tag"] = "add_tag"
    tag: str

    def check(self, entries: Sequence[StreamEntry]) -> None:
        if not self.tag.strip():
            raise CommandRefused("The tag needs a name")
        entry = find_entry(entries, self.contact_id)
        if entry is not None and self.tag in entry.contact.tags:
            raise CommandRefused(f"Already tagged “{self.tag}”")

    def _predict(self, entry: StreamEntry) -> StreamEntry:
        entry.contact.tags = sorted({*entry.contact.tags, self.tag})
        return entry

    async def execute(self, backend: Backend) -> None:
        await contacts_api(backend).add_tag(self.contact_id, self.tag)

    def inverse(self) -> Command:
        return RemoveTag(contact_id=self.contact_id, tag=self.tag, label=f"Untag: {self.tag}")


class RemoveTag(Command):
    kind: Literal["remove_tag"] = "remove_tag"
    tag: str

    def check(self, entries: Sequence[StreamEntry]) -> None:
        entry = find_entry(entries, self.contact_id)
        if entry is not None and self.tag not in entry.contact.tags:
            raise CommandRefused(f"The contact has no tag “{self.tag}”")

    def _predict(self, entry: StreamEntry) -> StreamEntry:
        entry.contact.tags = [t for t in entry.contact.tags if t != self.tag]
        return entry

    async def execute(self, backend: Backend) -> None:
        await contacts_api(backend).remove_tag(self.contact_id, self.tag)

    def inverse(self) -> Command:
        return AddTag(contact_id=self.contact_id, tag=self.tag, label=f"Tag: {self.tag}")


class _ClosingSalesCycle(Command):
    """What closing a sales cycle, plain or forced, shares: the comment, the checks, the undo."""

    comment: str = ""
    user_id: str = ""

    def check(self, entries: Sequence[StreamEntry]) -> None:
        if len(self.comment) > COMMENT_LIMIT:
            raise CommandRefused(f"The comment is limited to {COMMENT_LIMIT} characters")
        entry = find_entry(entries, self.contact_id)
        if entry is None:
            return
        if entry.contact.sales_closed:
            raise CommandRefused("The sales cycle is already closed (x reopens it)")
        if self._open_actions_refused(entry):
            raise CommandRefused(OPEN_ACTIONS_REFUSAL)

    def _open_actions_refused(self, entry: StreamEntry) -> bool:
        """The API refuses to close while the user has open actions on the contact."""
        mine = [a for a in [entry.next_action, *entry.queued_actions] if a is not None and not a.done]
        return any(a.assignee_id in ("", self.user_id) for a in mine)

    def _predict(self, entry: StreamEntry) -> StreamEntry:
        entry.contact.sales_closed, entry.contact.sales_closed_comment = True, self.comment
        return entry

    idempotent: ClassVar[bool] = False

    async def reconcile(self, backend: Backend, since: dt.datetime | None, claimed: set[str]) -> bool:
        return (await contacts_api(backend).get_contact(self.contact_id)).sales_closed

    def inverse(self) -> Command:
        return ReopenSalesCycle(contact_id=self.contact_id, comment=self.comment, user_id=self.user_id, label="Reopen sales cycle")


class CloseSalesCycle(_ClosingSalesCycle):
    """Close the sales cycle for the signed-in user; the server refuses (409) while they have open actions."""

    kind: Literal["close_sales_cycle"] = "close_sales_cycle"

    async def execute(self, backend: Backend) -> None:
        await contacts_api(backend).close_sales_cycle(self.contact_id, self.comment)


class ForceCloseSalesCycle(_ClosingSalesCycle):
    """Close the sales cycle although the user has open actions on the contact: the server deletes them first."""

    kind: Literal["force_close_sales_cycle"] = "force_close_sales_cycle"
    actions: list[Action] = []
    """The open actions of the user that go (named in the confirmation; they leave the views at once)."""

    def _open_actions_refused(self, entry: StreamEntry) -> bool:
        return False  # they are what this deletes

    def _predict(self, entry: StreamEntry) -> StreamEntry:
        gone = {a.id for a in self.actions}
        if entry.next_action is not None and entry.next_action.id in gone:
            entry.next_action = None
        entry.queued_actions = [a for a in entry.queued_actions if a.id not in gone]
        return super()._predict(entry)

    async def execute(self, backend: Backend) -> None:
        await contacts_api(backend).force_close_sales_cycle(self.contact_id, self.comment)


class ReopenSalesCycle(Command):
    kind: Literal["reopen_sales_cycle"] = "reopen_sales_cycle"
    comment: str = ""
    """The closing comment, so an undo closes it again as it was."""
    user_id: str = ""

    def check(self, entries: Sequence[StreamEntry]) -> None:
        entry = find_entry(entries, self.contact_id)
        if entry is not None and not entry.contact.sales_closed:
            raise CommandRefused("The sales cycle is open")

    def _predict(self, entry: StreamEntry) -> StreamEntry:
        entry.contact.sales_closed, entry.contact.sales_closed_comment = False, ""
        return entry

    idempotent: ClassVar[bool] = False

    async def execute(self, backend: Backend) -> None:
        await contacts_api(backend).reopen_sales_cycle(self.contact_id)

    async def reconcile(self, backend: Backend, since: dt.datetime | None, claimed: set[str]) -> bool:
        return not (await contacts_api(backend).get_contact(self.contact_id)).sales_closed

    def inverse(self) -> Command:
        return CloseSalesCycle(contact_id=self.contact_id, comment=self.comment, user_id=self.user_id, label="Close sales cycle")

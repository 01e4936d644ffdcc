"""Changes to leads (Pipedrive): one kind for every field change, and deleting a lead.

Pipedrive's PATCH /leads/{id} changes only the fields sent, so a change carries the fields it sets
(`fields`) and what they were when the person read the lead (`before`): sending it twice leaves the
lead as sending it once; its inverse sets `before` again (undo); and its conflict check re-reads
the lead and refuses only when someone else changed one of those same fields since (Pipedrive has
no compare-and-set: `update_time` says that something changed, the fields say whether it clashes).

Field values are kept as JSON (the outbox stores commands as JSON): a value is
`{"amount": 1200.0, "currency": "EUR"}` or None, a date an ISO text or None.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Literal

from crmtui.backends.base import Backend
from crmtui.backends.errors import NotFound
from crmtui.domain.leads import Lead, LeadDraft, Money
from crmtui.domain.subjects import subject
from crmtui.service.commands import Command, MakesOne, clashes, is_local_id, made_after
from crmtui.service.errors import CommandRefused
from crmtui.service.features import leads_api

LEADS = "leads"
"""The section of lead changes (the leads inbox follows them)."""
LEAD = "lead"
"""The subject kind of a lead: `lead:<uuid>`."""

EDITABLE = frozenset(
    {"title", "owner_id", "label_ids", "value", "expected_close_date", "is_archived", "was_seen", "person_id", "organization_id"}
)
"""The lead fields a change may set."""


def wire_value(name: str, value: Any) -> Any:
    """A field value as the command stores it (JSON)."""
    if isinstance(value, Money):
        return {"amount": value.amount, "currency": value.currency}
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return list(value)
    return value


def domain_value(name: str, value: Any) -> Any:
    """A stored field value as the backend takes it (Money, date)."""
    if value is None:
        return None
    if name == "value":
        return Money.model_validate(value)
    if name == "expected_close_date":
        return dt.date.fromisoformat(value) if isinstance(value, str) else value
    return value


def fields_of(lead: Lead, names: set[str] | frozenset[str]) -> dict[str, Any]:
    """The lead's current values of `names`, as a command stores them."""
    return {name: wire_value(name, getattr(lead, name)) for name in sorted(names)}


class LeadCommand(Command):
    contact_id: str = ""
    lead_id: str

    section: ClassVar[str] = LEADS

    @property
    def subject(self) -> str:
        return subject(LEAD, self.lead_id)

    def predict(self, lead: Lead | None) -> Lead | None:
        """The lead as this change leaves it (None: gone, or not known here)."""
        return lead


class UpdateLead(LeadCommand):
    """Set some fields of a lead (archive, seen, owner, labels, title, value, close date...)."""

    kind: Literal["pipedrive_update_lead"] = "pipedrive_update_lead"
    fields: dict[str, Any]
    before: dict[str, Any] = {}
    """The same fields as the person saw them (the conflict check's and undo's reference)."""
    read_update_time: dt.datetime | None = None
    """The lead's update_time when it was read."""

    answered: ClassVar[bool] = True

    def check_fields(self) -> None:
        unknown = set(self.fields) - EDITABLE
        if unknown:
            raise CommandRefused(f"These lead fields cannot be changed here: {', '.join(sorted(unknown))}")
        if "title" in self.fields and not str(self.fields["title"] or "").strip():
            raise CommandRefused("A lead needs a title")

    def predict(self, lead: Lead | None) -> Lead | None:
        if lead is None:
            return None
        changes = {name: domain_value(name, value) for name, value in self.fields.items()}
        return lead.model_copy(update=changes)

    async def execute(self, backend: Backend) -> None:
        changes = {name: domain_value(name, value) for name, value in self.fields.items()}
        await leads_api(backend).update_lead(self.lead_id, **changes)

    async def conflict(self, backend: Backend) -> str | None:
        try:
            fresh = await leads_api(backend).lead(self.lead_id)
        except NotFound:
            return "the lead was deleted on the server"
        if self.read_update_time is not None and fresh.update_time is not None and fresh.update_time <= self.read_update_time:
            return None  # unchanged since it was read
        theirs = fields_of(fresh, frozenset(self.fields))
        return clashes({name: (self.before.get(name), value, theirs.get(name)) for name, value in self.fields.items()})

    def inverse(self) -> Command:
        return UpdateLead(
            lead_id=self.lead_id, fields=dict(self.before), before=dict(self.fields), label=f"Undo: {self.describe()}"
        )


class DeleteLead(LeadCommand):
    """Delete a lead (Pipedrive has no undelete: the screen asks first and says so)."""

    kind: Literal["pipedrive_delete_lead"] = "pipedrive_delete_lead"
    title: str = ""

    removes: ClassVar[bool] = True

    def predict(self, lead: Lead | None) -> Lead | None:
        return None

    async def execute(self, backend: Backend) -> None:
        try:
            await leads_api(backend).delete_lead(self.lead_id)
        except NotFound:
            return  # already gone: what was asked is so


RECONCILE_WINDOW = 50
"""The newest leads looked through after a create whose answer was lost."""


class CreateLead(MakesOne, LeadCommand):
    """A lead made on this machine: shown at once under a local id (`lead_id`), sent as POST /leads.

    The changes made on the new lead before it is sent carry the local id; the outbox puts the
    server's id in their place once this one is confirmed (`made_ids`). Not idempotent: a second
    POST makes a second lead, so after a lost answer `reconcile` looks among the newest leads for
    one made since the first attempt with the same title, owner, person and organization.
    """

    kind: Literal["pipedrive_create_lead"] = "pipedrive_create_lead"
    made_field: ClassVar[str] = "lead_id"
    draft: LeadDraft
    made_at: dt.datetime | None = None
    """When it was made here (this machine's clock): where the new lead sorts until the server says."""
    created: Lead | None = None
    """The lead as the server made it (its answer, or the one `reconcile` found)."""

    def stamp(self, now: dt.datetime) -> None:
        if self.made_at is None:
            self.made_at = now

    def check_draft(self) -> None:
        """Refuse, with the reason, what the server would refuse."""
        if not is_local_id(self.lead_id):
            raise CommandRefused("A new lead needs a local id")
        if not self.draft.title.strip():
            raise CommandRefused("A lead needs a title")
        if not (self.draft.person_id or self.draft.organization_id):
            raise CommandRefused("A lead needs a person or an organization (Pipedrive requires one)")

    def predict(self, lead: Lead | None) -> Lead | None:
        """The new lead, as the server made it once known, else as typed (unseen, as Pipedrive makes it)."""
        if self.created is not None:
            return self.created
        d = self.draft
        return Lead(
            id=self.lead_id, title=d.title, owner_id=d.owner_id, creator_id=d.owner_id, label_ids=list(d.label_ids),
            person_id=d.person_id, organization_id=d.organization_id, value=d.value,
            expected_close_date=d.expected_close_date, visible_to=d.visible_to, was_seen=False,
            add_time=self.made_at, update_time=self.made_at,
        )

    async def execute(self, backend: Backend) -> None:
        self.created = await leads_api(backend).create_lead(self.draft)

    async def reconcile(self, backend: Backend, since: dt.datetime | None, claimed: set[str]) -> bool:
        """An attempt whose answer was lost: a lead like this one made since the first attempt is it."""
        page = await leads_api(backend).leads(sort="add_time DESC", limit=RECONCILE_WINDOW)
        d = self.draft
        wanted = (d.title, d.owner_id or None, d.person_id or None, d.organization_id or None)
        for lead in page.items:
            if lead.id in claimed or not made_after(lead.add_time, since):
                continue
            found = (lead.title, lead.owner_id if d.owner_id else None, lead.person_id or None, lead.organization_id or None)
            if found == wanted:
                self.created = lead
                return True
        return False

    def describe(self) -> str:
        return self.label or f"New lead: {self.draft.title}"

    def inverse(self) -> Command:
        raise CommandRefused("A new lead is taken back by deleting it (Delete on the inbox)")

"""Domain models: what the screens need, independent of any one CRM's JSON."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from crmtui.domain.capabilities import Capability
from crmtui.domain.leads import LeadField, LeadLabel
from crmtui.domain.text import Line, Paragraph, inert_line


class _Model(BaseModel):
    # defer_build (every domain model does so): a class's validator is built when the class is first
    # validated, not when its module is imported, so a start builds only those of the cached rows it
    # draws (issue 13: warm start).
    model_config = ConfigDict(frozen=False, extra="ignore", defer_build=True)


class _Row(_Model):
    """A model of which a large account holds tens of thousands (the stream's contacts, actions,
    companies, deals and their parts).

    Pydantic gives each instance its own set of the fields it was given (`model_fields_set`), which
    for a contact's thirty fields takes more room than its values: 56% of a stream row's memory,
    measured at 4,000 rows. These models share one set per class instead, of all their fields (so
    `model_dump(exclude_unset=True)` includes every field: nothing here uses that; assigning a field
    adds a name the set already has).
    """

    def model_post_init(self, context: Any, /) -> None:
        cls = type(self)
        shared = _ALL_FIELDS.get(cls)
        if shared is None:
            shared = _ALL_FIELDS[cls] = set(cls.model_fields)
        object.__setattr__(self, "__pydantic_fields_set__", shared)


_ALL_FIELDS: dict[type, set[str]] = {}


class ActionStatus(str, Enum):
    ASAP = "asap"
    DATE = "date"
    DATE_TIME = "date_time"
    WAITING = "waiting"
    QUEUED = "queued"
    QUEUED_WITH_DATE = "queued_with_date"
    DONE = "done"
    UNKNOWN = "unknown"


class Urgency(str, Enum):
    """The stream section a contact falls in, most urgent first; drives colour and grouping."""

    ASAP = "asap"
    OVERDUE = "overdue"
    TODAY = "today"
    FUTURE = "future"
    WAITING = "waiting"
    QUEUED = "queued"
    CLOSED = "closed"
    NONE = "none"


class User(_Model):
    id: str
    first_name: Line = ""
    last_name: Line = ""
    email: Line = ""

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email or inert_line(self.id)


class Action(_Row):
    id: str
    contact_id: str
    assignee_id: str = ""
    text: Line = ""
    status: ActionStatus = ActionStatus.UNKNOWN
    raw_status: Line = ""
    date: dt.date | None = None
    exact_time: dt.datetime | None = None
    done: bool = False
    done_at: dt.datetime | None = None
    position: int | None = None
    modified_at: dt.datetime | None = None
    created_at: dt.datetime | None = None

    @property
    def is_queued(self) -> bool:
        return self.status in (ActionStatus.QUEUED, ActionStatus.QUEUED_WITH_DATE)

    @property
    def is_dated(self) -> bool:
        return self.date is not None and self.status in (
            ActionStatus.DATE,
            ActionStatus.DATE_TIME,
            ActionStatus.QUEUED_WITH_DATE,
            ActionStatus.WAITING,
        )


class Phone(_Row):
    type: Line = ""
    value: Line = ""


class Email(_Row):
    type: Line = ""
    value: Line = ""


class Address(_Row):
    address: Paragraph = ""
    """The street part, which may take two lines (line breaks kept)."""
    city: Line = ""
    state: Line = ""
    zip_code: Line = ""
    country_code: Line = ""
    type: Line = ""

    def one_line(self) -> str:
        parts = [", ".join(self.address.splitlines()), self.city, self.state, self.zip_code, self.country_code]
        return ", ".join(p for p in parts if p)


class CustomValue(_Row):
    field_id: str = ""
    name: Line = ""
    value: Line = ""


class Contact(_Row):
    id: str
    title: Line = ""
    first_name: Line = ""
    last_name: Line = ""
    job_title: Line = ""
    company_id: str = ""
    company_name: Line = ""
    starred: bool = False
    status: Line = ""
    status_id: str = ""
    lead_source: Line = ""
    lead_source_id: str = ""
    owner_id: str = ""
    tags: list[str] = Field(default_factory=list)
    """As the server has them, control characters and all: a tag is its own id (removing one sends
    its text back), so it is made inert only where it is drawn (`shown_tags`)."""
    phones: list[Phone] = Field(default_factory=list)
    emails: list[Email] = Field(default_factory=list)
    urls: list[Line] = Field(default_factory=list)
    addresses: list[Address] = Field(default_factory=list)
    custom_fields: list[CustomValue] = Field(default_factory=list)
    background: Paragraph = ""
    pending_deal: bool = False
    total_pending: float = 0.0
    sales_closed: bool = False
    sales_closed_comment: Line = ""
    modified_at: dt.datetime | None = None
    created_at: dt.datetime | None = None

    @property
    def name(self) -> str:
        full = f"{self.first_name} {self.last_name}".strip()
        return full or self.company_name or "(no name)"

    @property
    def shown_tags(self) -> list[str]:
        """The tags as they are drawn."""
        return [inert_line(tag) for tag in self.tags]


class Company(_Row):
    id: str
    name: Line = ""
    phone: Line = ""
    url: Line = ""
    description: Paragraph = ""
    address: Address = Field(default_factory=Address)
    custom_fields: list[CustomValue] = Field(default_factory=list)
    """Its values of the account's company fields (`Account.company_fields`)."""
    modified_at: dt.datetime | None = None


class Stage(_Model):
    stage: int
    label: Line = ""

    @property
    def probability(self) -> float:
        return self.stage / 100.0


class Pipeline(_Model):
    id: str
    name: Line = ""
    default: bool = False
    stages: list[Stage] = Field(default_factory=list)
    won_column_enabled: bool = True
    won_column_name: Line = "Won"


class DealStatus(str, Enum):
    PENDING = "pending"
    WON = "won"
    LOST = "lost"
    UNKNOWN = "unknown"


class Deal(_Row):
    id: str
    contact_id: str = ""
    owner_id: str = ""
    pipeline_id: str = ""
    name: Line = ""
    text: Paragraph = ""
    stage: int | None = None
    status: DealStatus = DealStatus.UNKNOWN
    amount: float = 0.0
    months: int = 1
    total_amount: float = 0.0
    expected_close_date: dt.date | None = None
    close_date: dt.date | None = None
    modified_at: dt.datetime | None = None
    created_at: dt.datetime | None = None
    contact_name: Line = ""
    """The contact's name as the deal listing carries it (OnePageCRM's `contact_info`)."""
    company_name: Line = ""
    """The contact's company, from the same place."""

    @property
    def value(self) -> float:
        """What the deal is worth: the total over all months for a multi-month deal."""
        return self.total_amount or self.amount * max(self.months, 1)


class StreamEntry(_Row):
    """One row of the action stream: a contact with its next action for the stream's user."""

    contact: Contact
    next_action: Action | None = None
    queued_actions: list[Action] = Field(default_factory=list)
    conflicts: list[Action] = Field(default_factory=list)
    deals: list[Deal] = Field(default_factory=list)
    company: Company | None = None
    in_stream: bool = True
    """Whether the contact shows in the viewer's action stream; a contact opened from the pipeline
    board or a notification may not (see `Backend.contact_entry`)."""

    @property
    def has_conflict(self) -> bool:
        return bool(self.conflicts)

    @property
    def pending_value(self) -> float:
        if not self.deals:  # most rows (read for each row of a whole stream at each rebuild)
            return self.contact.total_pending
        pending = [d.total_amount or d.amount for d in self.deals if d.status is DealStatus.PENDING]
        return sum(pending) if pending else self.contact.total_pending


class Note(_Model):
    id: str
    contact_id: str = ""
    text: Paragraph = ""
    date: dt.date | None = None
    author: Line = ""
    created_at: dt.datetime | None = None
    modified_at: dt.datetime | None = None


class Call(_Model):
    id: str
    contact_id: str = ""
    text: Paragraph = ""
    call_result: Line = ""
    phone_number: Line = ""
    call_time: dt.datetime | None = None
    author: Line = ""
    created_at: dt.datetime | None = None
    modified_at: dt.datetime | None = None


class Meeting(_Model):
    id: str
    contact_id: str = ""
    text: Paragraph = ""
    place: Line = ""
    meeting_time: dt.datetime | None = None
    author: Line = ""
    created_at: dt.datetime | None = None
    modified_at: dt.datetime | None = None


class Notification(_Model):
    id: str
    type: Line = ""
    by: Line = ""
    read: bool = False
    user_id: str = ""
    contact_id: str = ""
    text: Paragraph = ""
    created_at: dt.datetime | None = None
    title: Line = ""
    """The short headline, when the backend has one apart from `text` (OnePageCRM's mobile_data)."""
    body: Paragraph = ""
    """The detail under the headline, e.g. the text of the assigned action."""


class QuickDate(_Model):
    """A quick date offered when setting a next action ("in 3 days", "in 1 week")."""

    number: int
    period: Line  # days | weeks | months

    @property
    def label(self) -> str:
        unit = self.period.rstrip("s")
        return f"in {self.number} {unit}{'' if self.number == 1 else 's'}"


class PredefinedAction(_Model):
    id: str
    text: Line
    days: int | None = None


class Choice(_Model):
    id: str
    text: Line


class CustomFieldDef(_Model):
    id: str
    name: Line = ""
    type: Line = ""
    choices: list[Line] = Field(default_factory=list)


class Account(_Model):
    """What the app learns once per session (OnePageCRM's /bootstrap)."""

    user: User
    name: Line = ""
    """The account (company) name, when the backend knows it."""
    team: list[User] = Field(default_factory=list)
    time_zone: Line = "UTC"
    date_format: Line = "%d/%m/%Y"
    time_with_ampm: bool = False
    currency_symbol: Line = "$"
    quick_dates: list[QuickDate] = Field(default_factory=list)
    predefined_actions: list[PredefinedAction] = Field(default_factory=list)
    statuses: list[Choice] = Field(default_factory=list)
    lead_sources: list[Choice] = Field(default_factory=list)
    call_results: list[Choice] = Field(default_factory=list)
    custom_fields: list[CustomFieldDef] = Field(default_factory=list)
    company_fields: list[CustomFieldDef] = Field(default_factory=list)
    """The account's custom fields of companies (the contacts' are `custom_fields`)."""
    pipelines: list[Pipeline] = Field(default_factory=list)
    lead_labels: list[LeadLabel] = Field(default_factory=list)
    """Pipedrive: the account's lead labels (lead sources are `lead_sources`)."""
    lead_fields: list[LeadField] = Field(default_factory=list)
    """Pipedrive: the fields of leads, custom ones with their names and options."""
    default_currency: Line = ""
    """The currency new values are in by default (Pipedrive: the user's default_currency)."""
    company_domain: Line = ""
    """Pipedrive: the company's subdomain (acme for acme.pipedrive.com), for links to the web app."""
    lead_link: str = ""
    """The web app's address of a lead, with `{id}` for the lead's id ('' when the backend has none):
    the backend knows its web app's addresses, a screen does not."""
    is_admin: bool = False
    """Whether the signed-in user administers the account (Pipedrive: only admins change teams)."""
    credential_expires: dt.datetime | None = None
    """When the credential the app signed in with runs out (Crust: the JWT's `exp`; None: never, or not known)."""
    capabilities: frozenset[Capability] = frozenset()
    """What the backend serves this account, as settled at connect (kept with the account in the local
    copy, for a start without the network); empty when not known."""

    @property
    def who(self) -> str:
        """The signed-in user for people: their name; a user known only by a long number (a Crust
        token's subject, until a record they own names them) by its last digits: "user …1975"."""
        name = self.user.name
        if name == inert_line(self.user.id) and len(name) > 8:
            return f"user …{name[-4:]}"
        return name

    @property
    def label(self) -> str:
        """"Alex Morgan · Acme Ltd": who is signed in, and where."""
        return f"{self.who} · {self.name}" if self.name else self.who

    def learn_name(self, user_id: str, name: str) -> bool:
        """A name for the signed-in user found in what the server sent (the owner of a record), when
        the account had none of its own; True when it changed the label."""
        if user_id != self.user.id or not name.strip() or self.user.name != inert_line(self.user.id):
            return False
        self.user.first_name = inert_line(name.strip())
        return True

    def people(self) -> list[User]:
        """The signed-in user first, then the rest of the team."""
        return [self.user, *(u for u in self.team if u.id != self.user.id)]

    def user_name(self, user_id: str) -> str:
        for u in [self.user, *self.team]:
            if u.id == user_id:
                return u.name
        return inert_line(user_id)


class TeamCounts(_Model):
    all: int = 0
    per_user: dict[str, int] = Field(default_factory=dict)


class StreamPage(_Model):
    entries: list[StreamEntry] = Field(default_factory=list)
    total_count: int = 0
    page: int = 1
    max_page: int = 1

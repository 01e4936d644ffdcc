"""The interface every CRM backend implements, in domain terms: a small core plus feature families.

The core (`Backend`) is what every backend has: a name, connect/close, the server's clock, its
`capabilities` and its `features`. Each feature family (`ActionStreamApi`, `TeamStreamApi`,
`ContactsApi`, `DealsApi`, `HistoryApi`, `NotificationsApi`) is its own Protocol; a backend provides
one only if it implements it (`features.<family>` is None otherwise: no stubs). Capabilities are
derived from the families present plus finer flags (`PROMOTE_SWAP`, ...), settled at `connect()`
and carried by the `Account` (so the local copy can restore them for an offline start).

The service layer asks for a family (`backend.features.contacts`); a screen never imports one.

Write methods send their request as asked: a backend never decides that a write may be repeated.
Whether repeating one is harmless is the change's to say (`Command.idempotent`), and the outbox,
which sends every change, is the one layer that repeats it. It runs each attempt inside
`one_try()`, where a backend makes each request once (reads too: the outbox retries the whole
attempt, with its own backoff), so an offline change waits out one backoff, not two.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from crmtui.backends.errors import Unsupported
from crmtui.domain.capabilities import Capability

if TYPE_CHECKING:  # annotations only: a backend's domain models load with the code that uses them
    from crmtui.domain.activities import Activity
    from crmtui.domain.charts import ChartData, ChartQuery
    from crmtui.domain.files import FileItem, FilesPage
    from crmtui.domain.directory import DirectoryPage
    from crmtui.domain.filters import Filter, FilterConditions, FilterHelpers
    from crmtui.domain.goals import Goal, GoalDraft, GoalProgress
    from crmtui.domain.jobs import Job, JobLogsPage, JobsPage, Workflow
    from crmtui.domain.leads import Lead, LeadDraft, LeadsPage
    from crmtui.domain.pages import Page
    from crmtui.domain.records import FieldKind, Module, ModuleField, Record, RecordsPage, RecordValue
    from crmtui.domain.search import SearchPage
    from crmtui.domain.teams import Team
    from crmtui.domain.models import (
        Account,
        Action,
        ActionStatus,
        Call,
        Company,
        Contact,
        Deal,
        Meeting,
        Note,
        Notification,
        Pipeline,
        StreamEntry,
        StreamPage,
        TeamCounts,
    )
    from crmtui.domain.stream_filter import SavedFilter, StreamFilter

T = TypeVar("T")

ProgressCallback = Callable[[int, int], None]
"""Called with (items fetched so far, total items) while paging."""

_ONE_TRY: contextvars.ContextVar[bool] = contextvars.ContextVar("crmtui_one_try", default=False)


@contextmanager
def one_try() -> Iterator[None]:
    """Requests made inside (by this task, and tasks it starts) are tried once, never retried.

    For a caller that is itself the retry layer of what it does: the outbox's attempts. Other
    tasks (the screens' reads) keep their retries meanwhile: the setting is per task.
    """
    token = _ONE_TRY.set(True)
    try:
        yield
    finally:
        _ONE_TRY.reset(token)


def trying_once() -> bool:
    """Whether requests made now are to be tried once (inside `one_try()`)."""
    return _ONE_TRY.get()


# -- feature families ----------------------------------------------------------------------------


class ActionStreamApi(Protocol):
    """A user's action stream (each contact with its next and queued actions) and the action writes."""

    async def changed_contact_ids(self, since: dt.datetime) -> set[str]:
        """Contacts modified since `since`, in any stream or none."""
        ...

    async def stream_size(self, *, user_id: str | None = None) -> int:
        """How many contacts `user_id`'s stream holds now."""
        ...

    async def action_stream(
        self,
        *,
        user_id: str | None = None,
        search: str | None = None,
        page: int = 1,
        per_page: int = 100,
        modified_since: dt.datetime | None = None,
    ) -> StreamPage: ...

    async def action_stream_all(
        self,
        *,
        user_id: str | None = None,
        search: str | None = None,
        modified_since: dt.datetime | None = None,
        on_progress: ProgressCallback | None = None,
        on_first_page: Callable[[list[StreamEntry]], None] | None = None,
    ) -> list[StreamEntry]: ...

    async def stream_entry(self, contact_id: str, *, user_id: str | None = None) -> StreamEntry | None: ...

    async def saved_filters(self) -> list[SavedFilter]:
        """The account's saved (custom) filters."""
        ...

    async def filtered_stream(self, where: StreamFilter, *, user_id: str | None = None) -> list[StreamEntry]:
        """The contacts of `user_id`'s stream that `where` keeps, as the server filters them."""
        ...

    async def contact_actions(self, contact_id: str) -> list[Action]: ...

    async def get_action(self, action_id: str) -> Action: ...

    async def create_action(
        self,
        contact_id: str,
        text: str,
        status: ActionStatus,
        *,
        date: dt.date | None = None,
        exact_time: dt.datetime | None = None,
        assignee_id: str | None = None,
    ) -> Action: ...

    async def update_action(self, action_id: str, **changes: Any) -> Action: ...
    async def delete_action(self, action_id: str) -> None: ...
    async def mark_done(self, action_id: str) -> Action: ...
    async def undo_done(self, action_id: str) -> Action: ...
    async def promote(self, action_id: str) -> Action: ...
    async def revert_promotion(self, action_id: str) -> Action: ...
    async def swap(self, action_id: str) -> Action: ...


class TeamStreamApi(Protocol):
    """Other users' streams and the whole account's, with the per-user counters."""

    async def team_counts(self) -> TeamCounts: ...

    async def team_stream_all(
        self,
        *,
        user_id: str | None = None,
        search: str | None = None,
        on_progress: ProgressCallback | None = None,
        on_first_page: Callable[[list[StreamEntry]], None] | None = None,
    ) -> list[StreamEntry]:
        """A team member's stream as they see it, or with `user_id` None the whole account's
        (each contact's most urgent next action of any user is its next action)."""
        ...

    async def team_stream_entry(self, contact_id: str, *, user_id: str | None = None) -> StreamEntry | None:
        """The contact as a row of `team_stream_all(user_id=...)` (None: the whole account's)."""
        ...


class ContactsApi(Protocol):
    """One contact: read it (alone, or with a user's actions), change it, make a new one; find
    contacts and companies of the whole account on the server."""

    async def get_contact(self, contact_id: str) -> Contact: ...

    async def contact_entry(self, contact_id: str, *, user_id: str | None = None) -> StreamEntry:
        """The contact with `user_id`'s next and queued actions, in their stream or not (`in_stream` says)."""
        ...

    async def set_starred(self, contact_id: str, starred: bool) -> Contact: ...
    async def add_tag(self, contact_id: str, tag: str) -> Contact: ...
    async def remove_tag(self, contact_id: str, tag: str) -> Contact: ...
    async def change_status(self, contact_id: str, status_id: str) -> Contact: ...
    async def change_owner(self, contact_id: str, owner_id: str) -> Contact: ...
    async def close_sales_cycle(self, contact_id: str, comment: str) -> Contact: ...
    async def force_close_sales_cycle(self, contact_id: str, comment: str) -> Contact:
        """Delete the user's open actions on the contact, then close its sales cycle."""
        ...

    async def reopen_sales_cycle(self, contact_id: str) -> Contact: ...

    async def create_contact(self, contact: Contact) -> StreamEntry:
        """POST /contacts with the contact's fields (its `id` is ignored): the contact as the server made it, as a stream entry (no actions yet)."""
        ...

    async def update_contact(self, contact: Contact) -> Contact:
        """Replace the contact's writable fields with `contact`'s (PUT /contacts/{id}: what it leaves
        empty is cleared): the contact as the server has it then."""
        ...

    async def delete_contact(self, contact_id: str) -> None:
        """Delete the contact with its actions, deals and history."""
        ...

    async def restore_contact(self, contact_id: str) -> None:
        """Undo the deletion of the contact (the API's undo), with what went with it."""
        ...

    async def companies(self, name: str = "") -> list[Company]:
        """The account's companies (GET /companies, all pages; `name`: the server's name filter)."""
        ...

    async def get_company(self, company_id: str) -> Company:
        """One company with every field the company form shows (its custom fields too)."""
        ...

    async def update_company(self, company: Company) -> Company:
        """Replace the company's writable fields with `company`'s (name, phone, url, address,
        description, custom fields; what it leaves empty is cleared): the company as the server has
        it then. A new name is its contacts' company name too."""
        ...

    async def find_contacts(self, *, search: str = "", email: str = "", phone: str = "") -> list[StreamEntry]:
        """Contacts of the whole account (GET /contacts, all pages) matching the server's search/email/phone parameters."""
        ...


class DealsApi(Protocol):
    """Pipelines and their deals."""

    async def pipelines(self) -> list[Pipeline]: ...

    async def deals(
        self,
        *,
        pipeline_id: str | None = None,
        contact_id: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> list[Deal]: ...

    async def get_deal(self, deal_id: str) -> Deal: ...
    async def create_deal(self, contact_id: str, name: str, **fields: Any) -> Deal: ...
    async def update_deal(self, deal_id: str, **changes: Any) -> Deal: ...
    async def delete_deal(self, deal_id: str) -> None: ...


class HistoryApi(Protocol):
    """A contact's notes, calls and meetings."""

    async def notes(self, contact_id: str) -> list[Note]: ...
    async def calls(self, contact_id: str) -> list[Call]: ...
    async def meetings(self, contact_id: str) -> list[Meeting]: ...
    async def get_note(self, note_id: str) -> Note: ...
    async def get_call(self, call_id: str) -> Call: ...
    async def get_meeting(self, meeting_id: str) -> Meeting: ...
    async def create_note(self, contact_id: str, text: str) -> Note: ...
    async def update_note(self, note_id: str, *, text: str) -> Note: ...
    async def delete_note(self, note_id: str) -> None: ...
    async def create_call(self, contact_id: str, text: str, call_result: str, *, phone_number: str = "") -> Call: ...
    async def update_call(self, call_id: str, **changes: Any) -> Call:
        """Change some of `text`, `call_result`, `phone_number`, keeping the others."""
        ...

    async def delete_call(self, call_id: str) -> None: ...
    async def create_meeting(self, contact_id: str, text: str, when: dt.datetime, place: str = "") -> Meeting: ...
    async def update_meeting(self, meeting_id: str, **changes: Any) -> Meeting:
        """Change some of `text`, `place`, `meeting_time`, keeping the others."""
        ...

    async def delete_meeting(self, meeting_id: str) -> None: ...


class NotificationsApi(Protocol):
    """The user's notifications."""

    async def notifications(self) -> list[Notification]: ...
    async def unread_notifications(self) -> int: ...
    async def mark_notification_read(self, notification_id: str) -> None: ...
    async def mark_all_notifications_read(self) -> None: ...


class LeadsApi(Protocol):
    """Leads (Pipedrive's leads inbox): offset-paged lists, one lead, and the lead writes.

    Labels, sources and lead fields come with the account (`connect`); person and organization
    names are read one id at a time (a lead carries the ids only) and are the caller's to cache.
    """

    async def leads(
        self,
        *,
        archived: bool = False,
        owner_id: str | None = None,
        filter_id: str | None = None,
        sort: str = "update_time DESC",
        start: int = 0,
        limit: int = 500,
    ) -> LeadsPage:
        """One page of leads (the archived ones only, when `archived`); `filter_id` wins over `owner_id`."""
        ...

    async def leads_all(
        self,
        *,
        archived: bool = False,
        owner_id: str | None = None,
        filter_id: str | None = None,
        sort: str = "update_time DESC",
        stop: Callable[[list[Lead]], bool] | None = None,
        on_progress: ProgressCallback | None = None,
        on_first_page: Callable[[list[Lead]], None] | None = None,
    ) -> list[Lead]:
        """Every page in turn (`stop(page)` True: no further page, for an incremental refresh that
        reads newest changes first and stops at what it already has)."""
        ...

    async def lead(self, lead_id: str) -> Lead: ...

    async def search_leads(self, term: str, *, exact: bool = False, limit: int = 100) -> list[Lead]:
        """Leads whose title, notes or custom fields match `term` (the server's search, scored)."""
        ...

    async def person_name(self, person_id: str) -> str: ...
    async def organization_name(self, organization_id: str) -> str: ...

    async def create_lead(self, draft: LeadDraft) -> Lead: ...

    async def update_lead(self, lead_id: str, **changes: Any) -> Lead:
        """Change only the fields given (PATCH); a None value unsets the field."""
        ...

    async def delete_lead(self, lead_id: str) -> None: ...

    async def permitted_users(self, lead_id: str) -> list[str]:
        """The ids of the users who may see the lead (from its `visible_to`, as the server decides)."""
        ...

    async def lead_filters(self) -> list[SavedFilter]:
        """The account's saved filters of leads (made in the web app), for `leads_all(filter_id=...)`."""
        ...


class ItemSearch(Protocol):
    """A search across kinds of record (Pipedrive's ItemSearch), scored by the server."""

    async def search(
        self,
        term: str,
        *,
        kinds: tuple[str, ...] = (),
        fields: tuple[str, ...] = (),
        exact: bool = False,
        related: bool = False,
        start: int = 0,
        limit: int = 50,
    ) -> SearchPage:
        """One page of hits for `term` (>= 2 characters, 1 with `exact`) among `kinds` (all: empty),
        looking at `fields` (all: empty); `related` adds records linked to the hits."""
        ...


class FilesApi(Protocol):
    """Files attached to records (Pipedrive's /files): offset-paged lists, a lead's files, one file,
    its bytes, and the file writes. A download follows a redirect to storage without the token."""

    async def files(self, *, start: int = 0, limit: int = 100, sort: str = "id DESC") -> FilesPage:
        """One page of every file the token may see (`sort`: `id` or `update_time`, ASC or DESC)."""
        ...

    async def files_of_lead(self, lead_id: str) -> list[FileItem]:
        """The lead's files, newest first (Pipedrive has no per-lead list: every page is scanned)."""
        ...

    async def file(self, file_id: str) -> FileItem: ...

    async def download(self, file_id: str, dest: Path, *, on_progress: ProgressCallback | None = None) -> Path:
        """Write the file's bytes to `dest` (a file path; written whole or not at all): `dest`."""
        ...

    async def upload(self, path: Path, lead_id: str, *, on_progress: ProgressCallback | None = None) -> FileItem:
        """Upload the bytes at `path` (its name is the file's) to the lead: the file as the server made it."""
        ...

    async def rename(self, file_id: str, name: str, description: str | None = None) -> FileItem:
        """Change the file's shown name (and its description when given)."""
        ...

    async def delete_file(self, file_id: str) -> None: ...


class TeamsApi(Protocol):
    """Teams of users (Pipedrive's legacy teams): the whole list, one team, a user's teams, and the
    team writes (Pipedrive lets only admins make them: anyone else gets PermissionDenied)."""

    async def teams(self) -> list[Team]:
        """Every team the account has (deleted ones left out), with their members."""
        ...

    async def team(self, team_id: str) -> Team: ...

    async def teams_of(self, user_id: str) -> list[Team]:
        """The teams `user_id` is a member of."""
        ...

    async def create_team(
        self, name: str, manager_id: str, *, description: str = "", users: tuple[str, ...] = ()
    ) -> Team:
        """A new team (its manager is one of its members): the team as the server made it."""
        ...

    async def update_team(self, team_id: str, **changes: Any) -> Team:
        """Change only the fields given: `name`, `description`, `manager_id`, `active`."""
        ...

    async def add_users(self, team_id: str, users: tuple[str, ...]) -> list[str]:
        """Add members: the team's members afterwards."""
        ...

    async def remove_users(self, team_id: str, users: tuple[str, ...]) -> list[str]:
        """Remove members (never the manager): the team's members afterwards."""
        ...


class GoalsApi(Protocol):
    """Goals with their progress per period (Pipedrive's goals): the signed-in user's or everyone's,
    one goal's progress in a period, and the goal writes. Pipedrive has no undelete for a goal."""

    async def goals(self, *, everyone: bool = False) -> list[Goal]:
        """The active goals: the user's own (made by or assigned to them), or everyone's."""
        ...

    async def results(self, goal_id: str, start: dt.date, end: dt.date) -> GoalProgress:
        """The goal's progress from `start` to `end` (both included), as the server counts it."""
        ...

    async def create_goal(self, draft: GoalDraft) -> Goal: ...

    async def update_goal(self, goal_id: str, **changes: Any) -> Goal:
        """Change only what is given: `title`, `interval`, `target` (with `metric`, `currency_id`),
        `start` (with `end`, None: open ended)."""
        ...

    async def delete_goal(self, goal_id: str) -> None: ...


class FiltersApi(Protocol):
    """Saved filters (Pipedrive's filters): the list (no conditions), one filter with its conditions,
    the operators per field type, and the filter writes. Conditions are the API's only shape: an
    "all of" group and an "any of" group, at most 16 conditions."""

    async def filters(self, *, type: str | None = None) -> list[Filter]:
        """The account's filters (of one type: leads, deals, ... when given), without conditions."""
        ...

    async def filter(self, filter_id: str) -> Filter:
        """One filter with its conditions."""
        ...

    async def helpers(self) -> FilterHelpers:
        """The operators per field type and the relative dates a condition may use."""
        ...

    async def create_filter(self, name: str, type: str, conditions: FilterConditions) -> Filter: ...

    async def update_filter(self, filter_id: str, conditions: FilterConditions, *, name: str | None = None) -> Filter:
        """Set the filter's conditions (and its name when given)."""
        ...

    async def delete_filters(self, filter_ids: list[str]) -> None:
        """Delete one filter, or several at once."""
        ...


class ActivitiesApi(Protocol):
    """Activities (Pipedrive's /activities: deprecated in v1, and optional: a server may lack them).
    What the leads inbox needs of them: the activities its leads name as next, read cheaply (a few by
    id, many with the list of everyone's open ones), and marking one done."""

    async def activities(self, activity_ids: tuple[str, ...]) -> list[Activity]:
        """These activities, one request each (a deleted one is left out)."""
        ...

    async def open_activities(
        self, *, user_id: str | None = None, on_progress: ProgressCallback | None = None
    ) -> list[Activity]:
        """Every open (not done) activity assigned to `user_id`, or (None) of every user the token may
        see, all pages."""
        ...

    async def set_activity_done(self, activity_id: str, done: bool = True) -> Activity:
        """Mark the activity done (or open again): the activity as the server has it then."""
        ...


class PagesApi(Protocol):
    """Pages (Crust's): the tree of pages, each with its blocks (record lists, charts, text...)."""

    async def tree(self) -> list[Page]:
        """The pages of the tree (no record pages), each with its children, in the server's order."""
        ...

    async def page(self, page_id: str) -> Page:
        """One page with its blocks (NotFound when it is gone)."""
        ...


class WorkflowsApi(Protocol):
    """Workflows (Crust's): named lists of tasks a job runs."""

    async def workflows(self) -> list[Workflow]: ...

    async def workflow(self, workflow_id: str) -> Workflow:
        """One workflow (NotFound when it is gone)."""
        ...


class JobsApi(Protocol):
    """Jobs (Crust's): runs of a workflow, queued, running, then ok, error or cancelled; their logs.
    Running a job is not repeatable (each run is a new job): the caller asks the person first."""

    async def jobs(self, *, status: str | None = None, page: int = 0, per_page: int = 50) -> JobsPage:
        """One page (0-based) of the jobs, newest first, only those in `status` when given."""
        ...

    async def job(self, job_id: str) -> Job:
        """One job as it is now (NotFound when there is none)."""
        ...

    async def logs(self, job_id: str, *, page: int = 0, per_page: int = 100) -> JobLogsPage:
        """One page (0-based) of the job's log, oldest first."""
        ...

    async def run(
        self, workflow_id: str, *, start_at: dt.datetime | None = None, params: dict[str, str] | None = None
    ) -> Job:
        """Start a job of the workflow now (or at `start_at`) with `params`."""
        ...

    async def cancel(self, job_id: str) -> None:
        """Cancel a queued or running job."""
        ...


class ModulesApi(Protocol):
    """Modules (Crust's): kinds of record, each with its fields, and the module writes (a module's
    edit replaces its name and fields whole)."""

    async def modules(self) -> list[Module]:
        """Every module with its fields."""
        ...

    async def module(self, module_id: str) -> Module:
        """One module (NotFound when there is none by that id)."""
        ...

    async def field_kinds(self) -> list[FieldKind]:
        """The kinds of field the server offers for a module's fields."""
        ...

    async def create_module(self, name: str, fields: list[ModuleField]) -> Module: ...

    async def update_module(self, module_id: str, name: str, fields: list[ModuleField]) -> Module:
        """Replace the module's name and fields with these (every field: what is left out is gone)."""
        ...

    async def delete_module(self, module_id: str) -> None: ...


class RecordsApi(Protocol):
    """Records of any module (Crust's): 0-based pages with the query's count, one record, and the
    record writes. An edit replaces the whole record on the server: `update_record` merges the
    person's changes onto the server's copy field by field and sends every field."""

    async def records(
        self, module_id: str, *, query: str = "", page: int = 0, per_page: int = 50, sort: str = "createdAt DESC"
    ) -> RecordsPage:
        """One page (0-based; 10 to 100 records) of the module's records whose values contain `query`,
        in `sort`'s order (`field[ ASC|DESC]`, comma-separated)."""
        ...

    async def records_all(
        self,
        module_id: str,
        *,
        query: str = "",
        sort: str = "createdAt DESC",
        on_progress: ProgressCallback | None = None,
        on_first_page: Callable[[list[Record]], None] | None = None,
    ) -> list[Record]:
        """Every page of `records(...)` in order."""
        ...

    async def record(self, module_id: str, record_id: str) -> Record:
        """One record (NotFound when it is gone)."""
        ...

    async def create_record(self, module_id: str, values: dict[str, RecordValue]) -> Record: ...

    async def replace_record(self, module_id: str, record_id: str, values: dict[str, RecordValue]) -> Record:
        """Make the record hold exactly `values` (a field left out is lost: send every field)."""
        ...

    async def update_record(self, module_id: str, record_id: str, read: Record, changes: dict[str, RecordValue]) -> Record:
        """Apply `changes` to the record the person read as `read`: read the server's copy, merge the
        changes onto it field by field and send every field. `Conflict` (sending nothing) when a
        changed field was changed differently on the server since `read`."""
        ...

    async def delete_record(self, module_id: str, record_id: str) -> None: ...


class ChartsApi(Protocol):
    """Charts of a module's records as the server computes them (Crust's `GET /module/{id}/chart`)."""

    async def chart(self, module_id: str, query: ChartQuery) -> ChartData:
        """The chart of the module's records `query` asks for (Unsupported for a kind the server cannot draw)."""
        ...


class ContactDirectoryApi(Protocol):
    """Every contact of the account, a page at a time, in small rows (the finder's directory)."""

    async def directory_page(
        self, page: int, *, per_page: int = 100, modified_since: dt.datetime | None = None
    ) -> DirectoryPage:
        """One page of every contact of the account (anyone's), oldest pages first; `modified_since`:
        only those changed since then."""
        ...


@dataclass(frozen=True)
class Features:
    """The feature families a backend provides (None: not provided). A new family is a new field
    defaulting to None, so no backend has to say what it lacks."""

    action_stream: ActionStreamApi | None = None
    team_stream: TeamStreamApi | None = None
    contacts: ContactsApi | None = None
    deals: DealsApi | None = None
    history: HistoryApi | None = None
    notifications: NotificationsApi | None = None
    leads: LeadsApi | None = None
    files: FilesApi | None = None
    search: ItemSearch | None = None
    teams: TeamsApi | None = None
    goals: GoalsApi | None = None
    filters: FiltersApi | None = None
    activities: ActivitiesApi | None = None
    pages: PagesApi | None = None
    workflows: WorkflowsApi | None = None
    jobs: JobsApi | None = None
    modules: ModulesApi | None = None
    records: RecordsApi | None = None
    charts: ChartsApi | None = None
    directory: ContactDirectoryApi | None = None

    def present(self) -> frozenset[str]:
        """The names of the families provided."""
        return frozenset(f.name for f in fields(self) if getattr(self, f.name) is not None)

    def capabilities(self) -> frozenset[Capability]:
        """What the families provided make possible (finer flags are the backend's to add)."""
        present = self.present()
        return frozenset(c for family in FAMILIES if family.name in present for c in family.capabilities)


@dataclass(frozen=True)
class Family:
    """What the rest of the code needs to know of a feature family: its Protocol, the capabilities it
    brings, the finer flags that only make sense with it, and which of its methods write."""

    name: str
    """The `Features` field."""
    protocol: type
    capabilities: frozenset[Capability]
    writes: frozenset[str]
    flags: frozenset[Capability] = frozenset()
    """Finer capabilities a backend may claim on top, only when it provides this family."""

    def methods(self) -> frozenset[str]:
        return frozenset(n for n, v in vars(self.protocol).items() if not n.startswith("_") and callable(v))

    def reads(self) -> frozenset[str]:
        return self.methods() - self.writes


FAMILIES: tuple[Family, ...] = (
    Family(
        "action_stream",
        ActionStreamApi,
        frozenset({Capability.ACTION_STREAM}),
        frozenset(
            {"create_action", "update_action", "delete_action", "mark_done", "undo_done", "promote",
             "revert_promotion", "swap"}
        ),
        frozenset({Capability.PROMOTE_SWAP, Capability.UNDO_COMPLETION}),
    ),
    Family("team_stream", TeamStreamApi, frozenset({Capability.TEAM_STREAM}), frozenset()),
    Family(
        "contacts",
        ContactsApi,
        frozenset({Capability.CONTACT_DETAIL}),
        frozenset(
            {"set_starred", "add_tag", "remove_tag", "change_status", "change_owner", "close_sales_cycle",
             "reopen_sales_cycle", "force_close_sales_cycle", "create_contact", "update_contact", "delete_contact", "restore_contact",
             "update_company"}
        ),
        frozenset({Capability.SALES_CYCLE}),
    ),
    Family(
        "deals", DealsApi, frozenset({Capability.PIPELINES}), frozenset({"create_deal", "update_deal", "delete_deal"})
    ),
    Family(
        "history",
        HistoryApi,
        frozenset({Capability.NOTES, Capability.CALLS, Capability.MEETINGS}),
        frozenset(
            {"create_note", "update_note", "delete_note", "create_call", "update_call", "delete_call", "create_meeting",
             "update_meeting", "delete_meeting"}
        ),
    ),
    Family(
        "notifications",
        NotificationsApi,
        frozenset({Capability.NOTIFICATIONS}),
        frozenset({"mark_notification_read", "mark_all_notifications_read"}),
    ),
    Family("leads", LeadsApi, frozenset({Capability.LEADS}), frozenset({"create_lead", "update_lead", "delete_lead"})),
    Family("files", FilesApi, frozenset({Capability.FILES}), frozenset({"upload", "rename", "delete_file"})),
    Family("search", ItemSearch, frozenset({Capability.SEARCH}), frozenset()),
    Family(
        "teams", TeamsApi, frozenset({Capability.TEAMS}),
        frozenset({"create_team", "update_team", "add_users", "remove_users"}),
    ),
    Family("goals", GoalsApi, frozenset({Capability.GOALS}), frozenset({"create_goal", "update_goal", "delete_goal"})),
    Family(
        "filters", FiltersApi, frozenset({Capability.SAVED_FILTERS}),
        frozenset({"create_filter", "update_filter", "delete_filters"}),
    ),
    Family("activities", ActivitiesApi, frozenset({Capability.ACTIVITIES}), frozenset({"set_activity_done"})),
    Family("pages", PagesApi, frozenset({Capability.PAGES}), frozenset()),
    Family("workflows", WorkflowsApi, frozenset({Capability.WORKFLOWS}), frozenset()),
    Family("jobs", JobsApi, frozenset({Capability.JOBS}), frozenset({"run", "cancel"})),
    Family(
        "modules", ModulesApi, frozenset({Capability.MODULES}), frozenset({"create_module", "update_module", "delete_module"}),
    ),
    Family(
        "records", RecordsApi, frozenset({Capability.RECORDS}),
        frozenset({"create_record", "replace_record", "update_record", "delete_record"}),
    ),
    Family("charts", ChartsApi, frozenset({Capability.CHARTS}), frozenset()),
    Family("directory", ContactDirectoryApi, frozenset({Capability.DIRECTORY}), frozenset()),
)
"""Every feature family, in `Features` order."""


def settled_capabilities(features: Features, flags: frozenset[Capability]) -> frozenset[Capability]:
    """The capabilities of a backend with `features` and the finer `flags` it claims: a flag counts only
    with the family it refines (no claim without the methods behind it)."""
    present = features.present()
    allowed = frozenset(f for family in FAMILIES if family.name in present for f in family.flags)
    return features.capabilities() | (flags & allowed)


def need(feature: T | None, what: str) -> T:
    """`feature`, or `Unsupported` when the backend does not provide it (`what`: the family, in words)."""
    if feature is None:
        raise Unsupported(f"This CRM has no {what}")
    return feature


# -- the core ------------------------------------------------------------------------------------


@runtime_checkable
class Backend(Protocol):
    """What every backend has. The rest is in `features`, one family at a time."""

    name: str
    address: str
    """The server's API address, as the person configured it (for messages such as "cannot reach …")."""

    @property
    def capabilities(self) -> frozenset[Capability]:
        """What this backend serves: before `connect()` what it expects to, settled by `connect()`."""
        ...

    @property
    def features(self) -> Features:
        """The feature families this backend implements."""
        ...

    async def connect(self) -> Account:
        """Sign in and learn the account; settles `capabilities` (also written to `Account.capabilities`)."""
        ...

    async def close(self) -> None: ...

    async def server_time(self) -> dt.datetime:
        """The server's clock now, by the server's own answers, never by this machine's clock (for
        `modified_since` and for matching what an attempt created); one small request when no answer
        has told it yet."""
        ...

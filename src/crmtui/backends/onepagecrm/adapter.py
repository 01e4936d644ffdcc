"""OnePageCRM behind the Backend protocol: calls the client, maps wire models to domain models.

It provides every feature family of `backends.base` (one object implements them all) and the finer
flags OnePageCRM has (promote/swap, undo of a completion, sales cycles); nothing else (no leads,
records or charts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from crmtui.backends.base import Features, ProgressCallback, settled_capabilities
from crmtui.backends.errors import MalformedResponse
from crmtui.backends.onepagecrm import adapter_map as m
from crmtui.backends.onepagecrm.adapter_body import company_body, new_contact_body
from crmtui.backends.onepagecrm.client import OnePageCRMClient
from crmtui.backends.onepagecrm.wire import Page, StreamItem
from crmtui.domain.capabilities import Capability
from crmtui.domain.directory import DirectoryPage
from crmtui.domain.stream import in_stream
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
from crmtui.domain.stream import conflicting_actions
from crmtui.domain.stream_filter import SavedFilter, StreamFilter

_ACTION_FIELDS = ("text", "status", "date", "exact_time", "assignee_id")


def _action_body(
    *,
    text: str | None = None,
    status: ActionStatus | str | None = None,
    date: dt.date | None = None,
    exact_time: dt.datetime | None = None,
    assignee_id: str | None = None,
    contact_id: str | None = None,
) -> dict[str, Any]:
    """A wire request body for an action; dates as ISO strings, exact_time as epoch seconds."""
    body: dict[str, Any] = {}
    if contact_id is not None:
        body["contact_id"] = contact_id
    if assignee_id:
        body["assignee_id"] = assignee_id
    if text is not None:
        body["text"] = text
    if status is not None:
        body["status"] = getattr(status, "value", status)
    if date is not None:
        body["date"] = date.isoformat()
    if exact_time is not None:
        aware = exact_time if exact_time.tzinfo else exact_time.replace(tzinfo=dt.timezone.utc)
        body["exact_time"] = int(aware.timestamp())
        if date is None:
            body["date"] = aware.date().isoformat()
    return body


_FLAGS = frozenset({Capability.PROMOTE_SWAP, Capability.UNDO_COMPLETION, Capability.SALES_CYCLE})
"""The finer capabilities OnePageCRM has on top of its feature families."""


class OnePageCRMBackend:
    name = "onepagecrm"

    def __init__(self, client: OnePageCRMClient) -> None:
        self.client = client
        self.address = client.base_url
        self.account: Account | None = None
        self.features = Features(
            action_stream=self, team_stream=self, contacts=self, deals=self, history=self, notifications=self,
            directory=self,
        )
        self.capabilities = settled_capabilities(self.features, _FLAGS)
        """Every OnePageCRM account has the same; `connect()` settles them all the same (and says so in
        the account)."""

    @property
    def _me(self) -> str | None:
        return self.account.user.id if self.account else getattr(self.client, "user_id", None)

    # -- session -------------------------------------------------------------------------------
    async def connect(self) -> Account:
        boot = await self.client.bootstrap()
        self.account = m.map_account(boot)
        if not self.account.pipelines:
            try:
                self.account.pipelines = await self.pipelines()
            except NotImplementedError:
                pass
        self.capabilities = settled_capabilities(self.features, _FLAGS)
        self.account.capabilities = self.capabilities
        return self.account

    async def close(self) -> None:
        await self.client.aclose()

    async def server_time(self) -> dt.datetime:
        return await self.client.server_clock()

    # -- what changed --------------------------------------------------------------------------
    async def changed_contact_ids(self, since: dt.datetime) -> set[str]:
        """Every contact of the account modified since `since` (its actions included)."""
        items = await self.client.list_contacts_all(modified_since=since)
        return {c.id for c in (self._contact(item) for item in items) if c.id}

    async def stream_size(self, *, user_id: str | None = None) -> int:
        """How many contacts the stream has now (one tiny page)."""
        params = self._stream_params(user_id, None, None)
        page = await self._stream_page(params, 1, 1)
        return int(page.total_count or len(page.items))

    # -- streams -------------------------------------------------------------------------------
    def _stream_params(self, user_id: str | None, search: str | None, modified_since: dt.datetime | None) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if search:
            params["search"] = search
        if modified_since is not None:
            params["modified_since"] = modified_since
        if user_id is not None and user_id != self._me:
            params["user_id"] = user_id
        return params

    def _viewer(self, user_id: str | None) -> str | None:
        return user_id or self._me

    async def _stream_page(self, params: dict[str, Any], page: int, per_page: int) -> Page[StreamItem]:
        if "user_id" in params:
            return await self.client.team_stream(page=page, per_page=per_page, **params)
        return await self.client.action_stream(page=page, per_page=per_page, **params)

    async def action_stream(
        self,
        *,
        user_id: str | None = None,
        search: str | None = None,
        page: int = 1,
        per_page: int = 100,
        modified_since: dt.datetime | None = None,
    ) -> StreamPage:
        params = self._stream_params(user_id, search, modified_since)
        wire = await self._stream_page(params, page, per_page)
        viewer = self._viewer(user_id)
        return StreamPage(
            entries=[m.map_stream_item(item, viewer) for item in wire.items],
            total_count=wire.total_count,
            page=wire.page,
            max_page=wire.max_page,
        )

    async def action_stream_all(
        self,
        *,
        user_id: str | None = None,
        search: str | None = None,
        modified_since: dt.datetime | None = None,
        on_progress: ProgressCallback | None = None,
        on_first_page: Callable[[list[StreamEntry]], None] | None = None,
    ) -> list[StreamEntry]:
        params = self._stream_params(user_id, search, modified_since)
        listing = "team_stream" if "user_id" in params else "action_stream"
        return await self._stream_rows(listing, self._viewer(user_id), on_progress, on_first_page, params)

    async def _stream_rows(
        self,
        listing: str,
        viewer: str | None,
        on_progress: ProgressCallback | None,
        on_first_page: Callable[[list[StreamEntry]], None] | None,
        params: dict[str, Any],
    ) -> list[StreamEntry]:
        """A whole listing of stream rows, each mapped from its JSON as its page lands."""
        first = None
        if on_first_page is not None:
            # Copies: what the first page shows meanwhile is not the rows the whole stream answers.
            first = lambda items: on_first_page([e.model_copy(deep=True) for e in items])  # noqa: E731
        items = await self.client.stream_rows_all(
            listing, m.stream_rows(viewer), m.entry_id, on_progress=on_progress, on_first=first, **params
        )
        return _deduped(items)

    async def saved_filters(self) -> list[SavedFilter]:
        found = await self.client.filters()
        return [
            SavedFilter(id=f.id, name=f.name, conditions=[c if isinstance(c, str) else " ".join(map(str, c)) for c in f.conditions])
            for f in found if f.id
        ]

    async def filtered_stream(self, where: StreamFilter, *, user_id: str | None = None) -> list[StreamEntry]:
        """The stream's contacts that `where` keeps, filtered by the server (the spec's parameters)."""
        params = self._stream_params(user_id, None, None)
        params.update(filter_query(where))
        listing = "team_stream" if "user_id" in params else "action_stream"
        return await self._stream_rows(listing, self._viewer(user_id), None, None, params)

    async def stream_entry(self, contact_id: str, *, user_id: str | None = None) -> StreamEntry | None:
        """The contact as a row of `user_id`'s stream; None when it is no longer in that stream."""
        entry = await self.contact_entry(contact_id, user_id=user_id)
        return entry if entry.in_stream else None

    async def contact_entry(self, contact_id: str, *, user_id: str | None = None) -> StreamEntry:
        """The contact with `user_id`'s actions, whether or not it is in their stream (`in_stream`)."""
        viewer = self._viewer(user_id)
        wire = await self.client.get_contact(contact_id)
        if m._get(wire, "contact") is not None and (user_id is None or user_id == self._me):
            # GET /contacts/{id} answers with the same shape as an action stream item.
            entry = m.map_stream_item(wire, viewer)
            entry.in_stream = in_stream(entry, viewer)
            return entry
        contact = m.map_contact(_unwrap_contact(wire), viewer)
        actions = [a for a in await self.contact_actions(contact_id) if not a.done]
        mine = [a for a in actions if viewer is None or a.assignee_id == viewer]
        next_candidates = [a for a in mine if not a.is_queued]
        queued = sorted(
            (a for a in mine if a.is_queued), key=lambda a: (a.position if a.position is not None else 1 << 30)
        )
        next_action = next_candidates[0] if next_candidates else None
        if len(next_candidates) > 1:
            queued = [*next_candidates[1:], *queued]
        company = None
        if contact.company_id:
            try:
                company = m.map_company(await self.client.get_company(contact.company_id))
            except (AttributeError, NotImplementedError):
                company = None
        entry = StreamEntry(
            contact=contact,
            next_action=next_action,
            queued_actions=queued,
            conflicts=conflicting_actions(next_action, queued),
            company=company,
        )
        entry.in_stream = in_stream(entry, viewer)
        return entry

    async def team_counts(self) -> TeamCounts:
        """The team_stream counters. A one-contact /team_stream page carries them; an answer
        without them falls back to bootstrap (some accounts send them there)."""
        counts: Any = await self.client.team_stream_counts()
        if m._get(counts, "all") is None and not m._list(counts, "users"):
            counts = m._get(await self.client.bootstrap(), "team_stream", {})
        per_user = {m._text(u, "user_id"): int(m._get(u, "counts", 0) or 0) for u in m._list(counts, "users")}
        return TeamCounts(all=int(m._get(counts, "all", 0) or 0), per_user=per_user)

    async def team_stream_all(
        self,
        *,
        user_id: str | None = None,
        search: str | None = None,
        on_progress: ProgressCallback | None = None,
        on_first_page: Callable[[list[StreamEntry]], None] | None = None,
    ) -> list[StreamEntry]:
        if user_id is not None:
            return await self.action_stream_all(
                user_id=user_id, search=search, on_progress=on_progress, on_first_page=on_first_page
            )
        # GET /team_stream without user_id: the whole account, seen by no one in particular.
        params: dict[str, Any] = {"search": search} if search else {}
        return await self._stream_rows("team_stream", None, on_progress, on_first_page, params)

    async def team_stream_entry(self, contact_id: str, *, user_id: str | None = None) -> StreamEntry | None:
        if user_id is not None:
            return await self.stream_entry(contact_id, user_id=user_id)
        wire = await self.client.get_contact(contact_id)
        contact = m.map_contact(_unwrap_contact(wire), None)
        actions = [a for a in await self.contact_actions(contact_id) if not a.done]
        nexts = sorted((a for a in actions if not a.is_queued), key=_urgency_key)
        next_action = nexts[0] if nexts else None
        queued = sorted((a for a in actions if a is not next_action), key=_urgency_key)
        return StreamEntry(
            contact=contact,
            next_action=next_action,
            queued_actions=queued,
            conflicts=conflicting_actions(next_action, queued),
            company=m.map_company(m._get(wire, "company")),
        )

    # -- actions -------------------------------------------------------------------------------
    async def contact_actions(self, contact_id: str) -> list[Action]:
        items = await self.client.contact_actions_all(contact_id)
        return [m.map_action(a) for a in items]

    async def create_action(
        self,
        contact_id: str,
        text: str,
        status: ActionStatus,
        *,
        date: dt.date | None = None,
        exact_time: dt.datetime | None = None,
        assignee_id: str | None = None,
    ) -> Action:
        body = _action_body(
            contact_id=contact_id,
            text=text,
            status=status,
            date=date,
            exact_time=exact_time,
            assignee_id=assignee_id or self._me,
        )
        return m.map_action(await self.client.create_action(body))

    async def update_action(self, action_id: str, **changes: Any) -> Action:
        unknown = set(changes) - set(_ACTION_FIELDS)
        if unknown:
            raise TypeError(f"unknown action fields: {sorted(unknown)}")
        return m.map_action(await self.client.update_action(action_id, _action_body(**changes)))

    async def get_action(self, action_id: str) -> Action:
        return m.map_action(await self.client.get_action(action_id))

    async def delete_action(self, action_id: str) -> None:
        await self.client.delete_action(action_id)

    async def mark_done(self, action_id: str) -> Action:
        return m.map_action(await self.client.mark_action_done(action_id))

    async def undo_done(self, action_id: str) -> Action:
        return m.map_action(await self.client.undo_action_completion(action_id))

    async def promote(self, action_id: str) -> Action:
        return m.map_action(await self.client.promote_action(action_id))

    async def revert_promotion(self, action_id: str) -> Action:
        return m.map_action(await self.client.revert_action_promotion(action_id))

    async def swap(self, action_id: str) -> Action:
        return m.map_action(await self.client.swap_action(action_id))

    # -- contacts ------------------------------------------------------------------------------
    def _contact(self, wire: Any) -> Contact:
        return m.map_contact(_unwrap_contact(wire), self._me)

    async def get_contact(self, contact_id: str) -> Contact:
        return self._contact(await self.client.get_contact(contact_id))

    async def set_starred(self, contact_id: str, starred: bool) -> Contact:
        call = self.client.star_contact if starred else self.client.unstar_contact
        return self._contact(await call(contact_id))

    async def add_tag(self, contact_id: str, tag: str) -> Contact:
        return self._contact(await self.client.assign_tag(contact_id, tag))

    async def remove_tag(self, contact_id: str, tag: str) -> Contact:
        return self._contact(await self.client.unassign_tag(contact_id, tag))

    async def change_status(self, contact_id: str, status_id: str) -> Contact:
        return self._contact(await self.client.change_status(contact_id, status_id))

    async def change_owner(self, contact_id: str, owner_id: str) -> Contact:
        return self._contact(await self.client.change_owner(contact_id, owner_id))

    async def close_sales_cycle(self, contact_id: str, comment: str) -> Contact:
        return self._contact(await self.client.close_sales_cycle(contact_id, comment))

    async def force_close_sales_cycle(self, contact_id: str, comment: str) -> Contact:
        return self._contact(await self.client.force_close_sales_cycle(contact_id, comment))

    async def reopen_sales_cycle(self, contact_id: str) -> Contact:
        return self._contact(await self.client.reopen_sales_cycle(contact_id))

    async def create_contact(self, contact: Contact) -> StreamEntry:
        """POST /contacts: the contact as the server made it (its id, company, status, owner), no actions yet."""
        defs = self.account.custom_fields if self.account is not None else []
        made = await self.client.create_contact(new_contact_body(contact, defs))
        entry = m.map_stream_item(made, self._me)
        entry.in_stream = in_stream(entry, self._me)
        return entry

    async def update_contact(self, contact: Contact) -> Contact:
        """PUT /contacts/{id} with every field the contact has (the API clears what a PUT leaves out)."""
        defs = self.account.custom_fields if self.account is not None else []
        return self._contact(await self.client.replace_contact(contact.id, new_contact_body(contact, defs)))

    async def delete_contact(self, contact_id: str) -> None:
        await self.client.delete_contact(contact_id)

    async def restore_contact(self, contact_id: str) -> None:
        await self.client.restore_contact(contact_id)

    async def get_company(self, company_id: str) -> Company:
        found = m.map_company(await self.client.get_company(company_id))
        if found is None:
            raise MalformedResponse("The server's answer about the company has no company in it")
        return found

    async def update_company(self, company: Company) -> Company:
        """PUT /companies/{id} with every field of the company form; the server renames its contacts' company too."""
        defs = self.account.company_fields if self.account is not None else []
        found = m.map_company(await self.client.replace_company(company.id, company_body(company, defs)))
        if found is None:
            raise MalformedResponse("The server's answer about the company has no company in it")
        return found

    async def companies(self, name: str = "") -> list[Company]:
        """Every company of the account (by name, as the server sorts them); `name`: its name search."""
        filters: dict[str, Any] = {"name": name.strip()} if name.strip() else {}
        items = await self.client.list_companies_all(**filters)
        return [c for c in (m.map_company(item) for item in items) if c is not None]

    async def find_contacts(self, *, search: str = "", email: str = "", phone: str = "") -> list[StreamEntry]:
        """Contacts of the whole account (anyone's) the server finds by search text, email and phone."""
        given = (("search", search), ("email", email), ("phone", phone))
        filters: dict[str, Any] = {name: value.strip() for name, value in given if value.strip()}
        entries = await self._stream_rows("contacts", self._me, None, None, {"team": True, **filters})
        for entry in entries:
            entry.in_stream = in_stream(entry, self._me)
        return entries

    async def directory_page(
        self, page: int, *, per_page: int = 100, modified_since: dt.datetime | None = None
    ) -> DirectoryPage:
        """A page of every contact of the account (GET /contacts?team=true), in small rows."""
        found = await self.client.stream_rows_page(
            "contacts", m.directory_row, m.directory_row_id, page=page, per_page=per_page, team=True,
            modified_since=modified_since,
        )
        return DirectoryPage(rows=list(found.items), total_count=found.total_count, max_page=found.max_page)

    # -- deals ---------------------------------------------------------------------------------
    async def pipelines(self) -> list[Pipeline]:
        return [m.map_pipeline(p) for p in await self.client.pipelines_all()]

    async def deals(
        self,
        *,
        pipeline_id: str | None = None,
        contact_id: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> list[Deal]:
        params: dict[str, Any] = {}
        if pipeline_id:
            params["pipeline_id"] = pipeline_id
        if contact_id:
            params["contact_id"] = contact_id
        return [m.map_deal(d) for d in await self.client.deals_all(on_progress=on_progress, **params)]

    async def create_deal(self, contact_id: str, name: str, **fields: Any) -> Deal:
        body = {"contact_id": contact_id, "name": name, **_jsonable(fields)}
        return m.map_deal(await self.client.create_deal(body))

    async def get_deal(self, deal_id: str) -> Deal:
        return m.map_deal(await self.client.get_deal(deal_id))

    async def update_deal(self, deal_id: str, **changes: Any) -> Deal:
        return m.map_deal(await self.client.update_deal(deal_id, _jsonable(changes)))

    async def delete_deal(self, deal_id: str) -> None:
        await self.client.delete_deal(deal_id)

    # -- history -------------------------------------------------------------------------------
    async def notes(self, contact_id: str) -> list[Note]:
        return [m.map_note(n) for n in await self.client.notes_all(contact_id=contact_id)]

    async def create_note(self, contact_id: str, text: str) -> Note:
        return m.map_note(await self.client.create_note({"contact_id": contact_id, "text": text}))

    async def get_note(self, note_id: str) -> Note:
        return m.map_note(await self.client.get_note(note_id))

    async def update_note(self, note_id: str, *, text: str) -> Note:
        return m.map_note(await self.client.update_note(note_id, {"text": text}))

    async def delete_note(self, note_id: str) -> None:
        await self.client.delete_note(note_id)

    async def calls(self, contact_id: str) -> list[Call]:
        return [m.map_call(c) for c in await self.client.calls_all(contact_id=contact_id)]

    async def create_call(self, contact_id: str, text: str, call_result: str, *, phone_number: str = "") -> Call:
        body = {"contact_id": contact_id, "text": text, "call_result": call_result}
        if phone_number:
            body["phone_number"] = phone_number
        return m.map_call(await self.client.create_call(body))

    async def get_call(self, call_id: str) -> Call:
        return m.map_call(await self.client.get_call(call_id))

    async def update_call(self, call_id: str, **changes: Any) -> Call:
        body = {k: v for k, v in changes.items() if k in ("text", "call_result", "phone_number")}
        return m.map_call(await self.client.update_call(call_id, body))

    async def delete_call(self, call_id: str) -> None:
        await self.client.delete_call(call_id)

    async def meetings(self, contact_id: str) -> list[Meeting]:
        return [m.map_meeting(x) for x in await self.client.meetings_all(contact_id=contact_id)]

    async def create_meeting(self, contact_id: str, text: str, when: dt.datetime, place: str = "") -> Meeting:
        aware = when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)
        body = {"contact_id": contact_id, "text": text, "meeting_time_int": int(aware.timestamp()), "place": place}
        return m.map_meeting(await self.client.create_meeting(body))

    async def get_meeting(self, meeting_id: str) -> Meeting:
        return m.map_meeting(await self.client.get_meeting(meeting_id))

    async def update_meeting(self, meeting_id: str, **changes: Any) -> Meeting:
        body: dict[str, Any] = {k: v for k, v in changes.items() if k in ("text", "place")}
        when = changes.get("meeting_time")
        if isinstance(when, dt.datetime):
            aware = when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)
            body["meeting_time_int"] = int(aware.timestamp())
        return m.map_meeting(await self.client.update_meeting(meeting_id, body))

    async def delete_meeting(self, meeting_id: str) -> None:
        await self.client.delete_meeting(meeting_id)

    # -- notifications -------------------------------------------------------------------------
    async def notifications(self) -> list[Notification]:
        return [m.map_notification(n) for n in await self.client.notifications_all()]

    async def unread_notifications(self) -> int:
        return sum(1 for n in await self.client.notifications_all() if not n.read)

    async def mark_notification_read(self, notification_id: str) -> None:
        await self.client.mark_notification_read(notification_id)

    async def mark_all_notifications_read(self) -> None:
        await self.client.mark_all_notifications_read()


def _deduped(items: list[StreamEntry]) -> list[StreamEntry]:
    """A whole stream's rows in order, each contact once (concurrent pages may overlap when data
    moves: the last copy of a contact wins, in the first one's place)."""
    entries: dict[str, StreamEntry] = {}
    for entry in items:
        entries[entry.contact.id] = entry
    return items if len(entries) == len(items) else list(entries.values())


def _urgency_key(action: Action) -> tuple[int, int, float, int, str]:
    """A contact's actions, most urgent first: ASAP, dated (by date and time), waiting, queued."""
    rank = {
        ActionStatus.ASAP: 0,
        ActionStatus.DATE: 1,
        ActionStatus.DATE_TIME: 1,
        ActionStatus.WAITING: 2,
        ActionStatus.QUEUED_WITH_DATE: 3,
    }.get(action.status, 4)
    day = action.date.toordinal() if action.date is not None and rank else 1 << 30
    when = action.exact_time.timestamp() if action.exact_time is not None and rank == 1 else float("inf")
    return (rank, day, when, action.position if action.position is not None else 1 << 30, action.text)


def _unwrap_contact(wire: Any) -> Any:
    """Contact endpoints answer {contact, next_action, ...}; accept that or a bare contact."""
    inner = m._get(wire, "contact")
    return inner if inner is not None else wire


def _jsonable(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if isinstance(value, (dt.date, dt.datetime)):
            value = value.isoformat()
        out[key] = getattr(value, "value", value)
    return out


def filter_query(where: StreamFilter) -> dict[str, Any]:
    """GET /action_stream's parameters for a stream filter (the spec's names)."""
    if where.kind == "saved":
        return {"filter_id": where.value}
    if where.kind == "tag":
        return {"tag": where.value}
    if where.kind == "status":
        return {"status_id": where.value}
    if where.kind == "lead_source":
        return {"lead_source_id": where.value}
    return {where.kind: True}  # starred, waiting

"""Pipedrive behind the Backend protocol: calls the client, maps wire models to domain models.

It provides the `leads` feature family, and RATE_BUDGET: its requests pass a rate governor whose
state the header shows as a gauge (`governor`). Activities are optional: claimed only when the
server serves /activities to the token (asked at connect, unless an answer kept with the account
is given in `checked`) and the profile does not turn them off. Writes send only what they are given (PATCH), in
the API's types (ids as numbers, dates as YYYY-MM-DD, a value as {amount, currency} or null).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from crmtui.backends.base import Features, ProgressCallback, settled_capabilities
from crmtui.backends.errors import NotFound
from crmtui.backends.pipedrive import wire
from crmtui.backends.pipedrive.activities import PipedriveActivities
from crmtui.backends.pipedrive.client import PipedriveClient
from crmtui.backends.pipedrive.files import PipedriveFiles
from crmtui.backends.pipedrive.filters import PipedriveFilters
from crmtui.backends.pipedrive.goals import PipedriveGoals
from crmtui.backends.pipedrive.teams import PipedriveTeams
from crmtui.backends.pipedrive.costs import cost_of
from crmtui.backends.pipedrive.governor import SEARCH_WINDOW_LIMIT, RateGovernor, budget_for
from crmtui.domain.capabilities import Capability
from crmtui.domain.leads import Lead, LeadDraft, LeadField, LeadLabel, LeadsPage, Money
from crmtui.domain.models import Account, Choice, User
from crmtui.domain.search import SearchHit, SearchPage
from crmtui.domain.stream_filter import SavedFilter

LEAD_WRITABLE = frozenset(
    {"title", "owner_id", "label_ids", "person_id", "organization_id", "is_archived", "value", "expected_close_date",
     "visible_to", "was_seen", "channel", "channel_id"}
)
"""What PATCH /leads/{id} takes (the spec's UpdateLeadRequest)."""
_NUMBER_IDS = frozenset({"owner_id", "person_id", "organization_id", "channel"})
_CLIENT_FLAGS = frozenset({Capability.RATE_BUDGET})
ACTIVITIES = "activities"
"""The check of /activities, named as the feature family it decides (`Features.activities`)."""
"""Capabilities of the client itself rather than of a feature family."""


def map_user(user: wire.User) -> User:
    first, last = user.first_last
    return User(id=user.id, first_name=first, last_name=last, email=user.email)


def map_lead(lead: wire.Lead) -> Lead:
    value = Money(amount=lead.value.amount, currency=lead.value.currency) if lead.value is not None else None
    return Lead(
        id=lead.id, title=lead.title, owner_id=lead.owner_id, creator_id=lead.creator_id, label_ids=list(lead.label_ids),
        person_id=lead.person_id, organization_id=lead.organization_id, value=value,
        expected_close_date=lead.expected_close_date, next_activity_id=lead.next_activity_id,
        is_archived=lead.is_archived, archive_time=lead.archive_time, was_seen=lead.was_seen,
        source_name=lead.source_name, origin=lead.origin, channel=lead.channel or "", visible_to=lead.visible_to,
        cc_email=lead.cc_email, add_time=lead.add_time, update_time=lead.update_time, custom=lead.custom_fields(),
    )


def map_search_hit(hit: wire.SearchHit) -> Lead:
    item = hit.item
    value = Money(amount=item.value, currency=item.currency) if item.value is not None and item.currency else None
    return Lead(
        id=item.id, title=item.title, owner_id=item.owner.id if item.owner else "",
        person_id=item.person.id if item.person and item.person.id else None,
        organization_id=item.organization.id if item.organization and item.organization.id else None,
        person_name=item.person.name if item.person else "",
        organization_name=item.organization.name if item.organization else "",
        value=value, is_archived=item.is_archived, visible_to=item.visible_to, notes="\n".join(item.notes),
    )


def _amount(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def map_item_hit(hit: wire.ItemHit, *, related: bool = False) -> SearchHit:
    """Any record /itemSearch found, as a result row: title, who it belongs to, and facts for a pane."""
    item = hit.item
    kind = item.type or "item"
    person = item.person.name if item.person else ""
    org = item.organization.name if item.organization else ""
    subtitle = " · ".join(n for n in ((person, org) if kind in ("lead", "deal") else (org,)) if n)
    facts: list[tuple[str, str]] = []
    if person and kind in ("lead", "deal"):
        facts.append(("Person", person))
    if org:
        facts.append(("Organization", org))
    if item.value is not None:
        facts.append(("Value", f"{_amount(item.value)} {item.currency}".strip()))
    facts += [("Email", e) for e in item.emails] + [("Phone", p) for p in item.phones]
    for name, text in (("Address", item.address), ("Code", item.code), ("Status", item.status)):
        if text:
            facts.append((name, text))
    if item.is_archived:
        facts.append(("Archived", "yes"))
    facts += [("Notes", n) for n in item.notes] + [("Custom field", c) for c in item.custom_fields]
    if item.owner is not None and item.owner.id:
        facts.append(("Owner", item.owner.id))  # an id: the screen names the user
    return SearchHit(
        kind=kind, id=item.id, title=item.title or item.name, subtitle=subtitle, score=hit.result_score or 0.0,
        related=related, facts=facts,
    )


def map_filter(saved: wire.Filter) -> SavedFilter:
    return SavedFilter(id=saved.id, name=saved.name)


def map_field(field: wire.LeadField) -> LeadField:
    return LeadField(
        key=field.key, name=field.name, field_type=field.field_type,
        options={o.id: o.label for o in field.options if o.id}, custom=wire.CUSTOM_KEY.match(field.key) is not None,
    )


def _id_value(name: str, value: Any) -> Any:
    """An id as the API takes it: a number for users, persons and organizations (text otherwise)."""
    if value is None or name not in _NUMBER_IDS:
        return value
    text = str(value).strip()
    return int(text) if text.isdigit() else text


def _money(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Money):
        return {"amount": value.amount, "currency": value.currency}
    if isinstance(value, Mapping):
        return {"amount": value.get("amount"), "currency": value.get("currency")}
    raise TypeError("a lead's value is a Money, an {amount, currency} mapping or None")


def lead_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """A PATCH body with exactly the fields given; None unsets (sent as null)."""
    unknown = set(changes) - LEAD_WRITABLE
    if unknown:
        raise TypeError(f"not a writable lead field: {', '.join(sorted(unknown))}")
    body: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "value":
            body[name] = _money(value)
        elif name == "expected_close_date" and isinstance(value, dt.date):
            body[name] = value.isoformat()
        elif name == "label_ids":
            body[name] = [str(v) for v in (value or [])]
        else:
            body[name] = _id_value(name, value)
    return body


def draft_body(draft: LeadDraft) -> dict[str, Any]:
    """A POST /leads body: only what the draft sets (the API refuses nulls on create)."""
    body: dict[str, Any] = {"title": draft.title}
    for name in ("owner_id", "person_id", "organization_id"):
        value = getattr(draft, name)
        if value:
            body[name] = _id_value(name, value)
    if draft.label_ids:
        body["label_ids"] = list(draft.label_ids)
    if draft.value is not None:
        body["value"] = _money(draft.value)
    if draft.expected_close_date is not None:
        body["expected_close_date"] = draft.expected_close_date.isoformat()
    if draft.visible_to:
        body["visible_to"] = draft.visible_to
    return body


class PipedriveBackend:
    name = "pipedrive"
    search_cost_hint = (
        f"each search: {cost_of('GET', '/itemSearch')} tokens · {SEARCH_WINDOW_LIMIT} searches per 2 s"
    )
    """What one global search costs, for the search screen."""

    def __init__(
        self, client: PipedriveClient, *, plan: str | None = None, seats: int | None = None, activities: bool = True
    ) -> None:
        """`plan` and `seats` (the profile's, when known) size the daily budget of the gauge and the guard;
        without seats, the account's active users count. `activities` False: never use /activities
        (the inbox orders by expected close date)."""
        self.client = client
        self.address = client.base_url
        self.plan = plan
        self.seats = seats
        self.account: Account | None = None
        self.features = Features(
            leads=self, search=self, files=PipedriveFiles(client), teams=PipedriveTeams(client),
            goals=PipedriveGoals(client), filters=PipedriveFilters(client),
            activities=PipedriveActivities(client) if activities else None,
        )
        self.capabilities = settled_capabilities(self.features, frozenset()) | _CLIENT_FLAGS
        self.checked: dict[str, bool] = {}
        """Optional families as connect found them (name -> served: "activities"). Given before
        connect (the answers kept with the account, while fresh), they are not asked again: the check
        of /activities costs 20 tokens of the company's day."""

    @property
    def governor(self) -> RateGovernor:
        """The token's rate governor: its `state()` and `gauge_text()` are the header's gauge."""
        return self.client.governor

    # -- session -------------------------------------------------------------------------------
    async def connect(self) -> Account:
        me = await self.client.me()
        users = await self.client.users()
        labels = await self.client.lead_labels()
        sources = await self.client.lead_sources()
        try:
            fields = await self.client.lead_fields()
        except NotFound:  # a server without /leadFields: custom fields show by their keys
            fields = []
        if self.governor.budget is None:
            seats = self.seats or sum(1 for u in users if u.active_flag) or None
            self.governor.budget = budget_for(self.plan, seats)
        activities = self.features.activities
        if isinstance(activities, PipedriveActivities):
            served = self.checked.get(ACTIVITIES)
            if served is None:
                served = await activities.available()
            self.checked[ACTIVITIES] = served
            if not served:
                self.features = dataclasses.replace(self.features, activities=None)  # no /activities here: by close date
        self.capabilities = settled_capabilities(self.features, frozenset()) | _CLIENT_FLAGS
        self.account = Account(
            user=map_user(me),
            name=me.company_name,
            team=[map_user(u) for u in users if u.id != me.id],
            time_zone=me.timezone_name or "UTC",
            lead_labels=[LeadLabel(id=label.id, name=label.name, color=label.color) for label in labels],
            lead_sources=[Choice(id=s.name, text=s.name) for s in sources if s.name],
            lead_fields=[map_field(f) for f in fields if f.key],
            default_currency=me.default_currency,
            company_domain=me.company_domain,
            lead_link=f"https://{me.company_domain or 'app'}.pipedrive.com/leads/inbox/{{id}}",
            is_admin=me.admin,
            capabilities=self.capabilities,
        )
        return self.account

    async def close(self) -> None:
        await self.client.aclose()

    async def server_time(self) -> dt.datetime:
        return await self.client.server_clock()

    # -- leads ---------------------------------------------------------------------------------
    @staticmethod
    def _filters(owner_id: str | None, filter_id: str | None, sort: str) -> dict[str, Any]:
        filters: dict[str, Any] = {"sort": sort} if sort else {}
        if filter_id:
            filters["filter_id"] = filter_id
        elif owner_id:
            filters["owner_id"] = owner_id
        return filters

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
        page = await self.client.leads(
            archived=archived, start=start, limit=limit, **self._filters(owner_id, filter_id, sort)
        )
        following = None
        if page.more and page.items:
            following = page.next_start if page.next_start is not None else start + len(page.items)
        return LeadsPage(items=[map_lead(lead) for lead in page.items], next_start=following)

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
        def wire_stop(items: list[wire.Lead]) -> bool:
            return stop is not None and stop([map_lead(lead) for lead in items])

        def first(items: Sequence[wire.Lead]) -> None:
            if on_first_page is not None:
                on_first_page([map_lead(lead) for lead in items])

        items = await self.client.leads_all(
            archived=archived, stop=wire_stop if stop is not None else None, on_progress=on_progress,
            on_first=first if on_first_page is not None else None, **self._filters(owner_id, filter_id, sort),
        )
        return [map_lead(lead) for lead in items]

    async def lead(self, lead_id: str) -> Lead:
        return map_lead(await self.client.lead(lead_id))

    async def search_leads(self, term: str, *, exact: bool = False, limit: int = 100) -> list[Lead]:
        page = await self.client.search_leads(term, exact=exact, limit=limit)
        return [map_search_hit(hit) for hit in page.items if hit.item.id]

    async def person_name(self, person_id: str) -> str:
        return (await self.client.person(person_id)).name

    async def organization_name(self, organization_id: str) -> str:
        return (await self.client.organization(organization_id)).name

    async def create_lead(self, draft: LeadDraft) -> Lead:
        return map_lead(await self.client.create_lead(draft_body(draft)))

    async def update_lead(self, lead_id: str, **changes: Any) -> Lead:
        return map_lead(await self.client.update_lead(lead_id, lead_changes(changes)))

    async def delete_lead(self, lead_id: str) -> None:
        await self.client.delete_lead(lead_id)

    async def permitted_users(self, lead_id: str) -> list[str]:
        return await self.client.permitted_users(lead_id)

    async def lead_filters(self) -> list[SavedFilter]:
        return [map_filter(f) for f in await self.client.filters("leads") if f.id and f.active_flag]

    # -- search --------------------------------------------------------------------------------
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
        page, linked = await self.client.item_search(
            term, item_types=kinds, fields=fields, exact=exact, related=related, start=start, limit=limit
        )
        following = None
        if page.more and page.items:
            following = page.next_start if page.next_start is not None else start + len(page.items)
        return SearchPage(
            hits=[map_item_hit(hit) for hit in page.items if hit.item.id],
            related=[map_item_hit(hit, related=True) for hit in linked if hit.item.id],
            next_start=following,
        )

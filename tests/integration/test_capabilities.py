"""Capabilities are honest: what a backend claims after connect, it serves; what it does not, it lacks.

For every capability claimed, the family behind it is provided and each of its reads answers against
the sandbox; for every capability a family would bring but is not claimed, the family is None. The
capabilities travel with the account, so an offline start knows them too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from crmtui.backends.base import FAMILIES, Features, settled_capabilities
from crmtui.backends.onepagecrm.adapter import OnePageCRMBackend
from crmtui.backends.onepagecrm.client import OnePageCRMClient
from crmtui.backends.http import RetryPolicy
from crmtui.backends.pipedrive.adapter import PipedriveBackend
from crmtui.backends.pipedrive.client import PipedriveClient
from crmtui.backends.pipedrive.governor import RateGovernor
from crmtui.domain.capabilities import Capability
from crmtui.domain.charts import ChartQuery
from crmtui.domain.stream_filter import StreamFilter
from crmtui.service.cached import CachedBackend, flush_cache_writes
from crmtui.store import Cache, identity

FAST = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02, budget=0.5)


def onepagecrm(sandbox, *, base_url: str | None = None) -> OnePageCRMBackend:
    client = OnePageCRMClient(sandbox.user_id, sandbox.api_key, base_url=base_url or sandbox.base_url, retry=FAST)
    return OnePageCRMBackend(client)


def pipedrive(handle) -> PipedriveBackend:
    handle.limits.burst = 100_000  # reads of every family in a row: more than one burst of the sandbox

    async def sleep(seconds: float) -> None:
        handle.advance(seconds)

    governor = RateGovernor(clock=handle.state.clock.seconds, sleep=sleep)
    return PipedriveBackend(PipedriveClient(handle.api_token, base_url=handle.base_url, governor=governor, retry=FAST))


CLIENT_FLAGS = frozenset({Capability.RATE_BUDGET})
"""Capabilities of a backend's client rather than of a family (its requests are governed: the gauge)."""

Read = Callable[[Any, dict[str, str]], Awaitable[object]]

READS: dict[str, dict[str, Read]] = {
    "action_stream": {
        "changed_contact_ids": lambda api, ids: api.changed_contact_ids(ids["since"]),
        "stream_size": lambda api, ids: api.stream_size(),
        "action_stream": lambda api, ids: api.action_stream(per_page=5),
        "action_stream_all": lambda api, ids: api.action_stream_all(),
        "stream_entry": lambda api, ids: api.stream_entry(ids["contact"]),
        "contact_actions": lambda api, ids: api.contact_actions(ids["contact"]),
        "get_action": lambda api, ids: api.get_action(ids["action"]),
        "saved_filters": lambda api, ids: api.saved_filters(),
        "filtered_stream": lambda api, ids: api.filtered_stream(StreamFilter.starred()),
    },
    "team_stream": {
        "team_counts": lambda api, ids: api.team_counts(),
        "team_stream_all": lambda api, ids: api.team_stream_all(),
        "team_stream_entry": lambda api, ids: api.team_stream_entry(ids["contact"]),
    },
    "contacts": {
        "get_contact": lambda api, ids: api.get_contact(ids["contact"]),
        "contact_entry": lambda api, ids: api.contact_entry(ids["contact"]),
        "companies": lambda api, ids: api.companies(),
        "find_contacts": lambda api, ids: api.find_contacts(search="a"),
        "get_company": lambda api, ids: api.get_company(ids["company"]),
    },
    "deals": {
        "pipelines": lambda api, ids: api.pipelines(),
        "deals": lambda api, ids: api.deals(),
        "get_deal": lambda api, ids: api.get_deal(ids["deal"]),
    },
    "history": {
        "notes": lambda api, ids: api.notes(ids["contact"]),
        "calls": lambda api, ids: api.calls(ids["contact"]),
        "meetings": lambda api, ids: api.meetings(ids["contact"]),
        "get_note": lambda api, ids: api.get_note(ids["note"]),
        "get_call": lambda api, ids: api.get_call(ids["call"]),
        "get_meeting": lambda api, ids: api.get_meeting(ids["meeting"]),
    },
    "notifications": {
        "notifications": lambda api, ids: api.notifications(),
        "unread_notifications": lambda api, ids: api.unread_notifications(),
    },
    "leads": {  # Pipedrive's: exercised on its backend
        "leads": lambda api, ids: api.leads(limit=5),
        "leads_all": lambda api, ids: api.leads_all(),
        "lead": lambda api, ids: api.lead(ids["lead"]),
        "search_leads": lambda api, ids: api.search_leads("acme"),
        "person_name": lambda api, ids: api.person_name(ids["person"]),
        "organization_name": lambda api, ids: api.organization_name(ids["organization"]),
        "lead_filters": lambda api, ids: api.lead_filters(),
        "permitted_users": lambda api, ids: api.permitted_users(ids["lead"]),
    },
    "files": {  # Pipedrive's: exercised on its backend
        "files": lambda api, ids: api.files(limit=5),
        "files_of_lead": lambda api, ids: api.files_of_lead(ids["lead"]),
        "file": lambda api, ids: api.file(ids["file"]),
        "download": lambda api, ids: api.download(ids["file"], Path(ids["dest"]) / "downloaded.bin"),
    },
    "search": {  # Pipedrive's ItemSearch
        "search": lambda api, ids: api.search("acme"),
    },
    "teams": {  # Pipedrive's legacy teams
        "teams": lambda api, ids: api.teams(),
        "team": lambda api, ids: api.team(ids["team"]),
        "teams_of": lambda api, ids: api.teams_of(ids["member"]),
    },
    "filters": {  # Pipedrive's saved filters
        "filters": lambda api, ids: api.filters(),
        "filter": lambda api, ids: api.filter(ids["filter"]),
        "helpers": lambda api, ids: api.helpers(),
    },
    "goals": {  # Pipedrive's goals
        "goals": lambda api, ids: api.goals(everyone=True),
        "results": lambda api, ids: api.results(ids["goal"], dt.date(2026, 3, 1), dt.date(2026, 3, 31)),
    },
    "activities": {  # Pipedrive's (optional) activities
        "activities": lambda api, ids: api.activities((ids["activity"],)),
        "open_activities": lambda api, ids: api.open_activities(),
    },
    "modules": {  # Crust's
        "modules": lambda api, ids: api.modules(),
        "module": lambda api, ids: api.module(ids["module"]),
        "field_kinds": lambda api, ids: api.field_kinds(),
    },
    "records": {  # Crust's
        "records": lambda api, ids: api.records(ids["module"], per_page=10),
        "records_all": lambda api, ids: api.records_all(ids["module"]),
        "record": lambda api, ids: api.record(ids["module"], ids["record"]),
    },
    "pages": {  # Crust's
        "tree": lambda api, ids: api.tree(),
        "page": lambda api, ids: api.page(ids["page"]),
    },
    "workflows": {  # Crust's (where the server implements them)
        "workflows": lambda api, ids: api.workflows(),
        "workflow": lambda api, ids: api.workflow(ids["workflow"]),
    },
    "jobs": {  # Crust's (where the server implements them)
        "jobs": lambda api, ids: api.jobs(status="ok"),
        "job": lambda api, ids: api.job(ids["job"]),
        "logs": lambda api, ids: api.logs(ids["job"]),
    },
    "charts": {  # Crust's
        "chart": lambda api, ids: api.chart(ids["module"], ChartQuery(kind="bar", dimension="country")),
    },
    "directory": {  # OnePageCRM's: every contact of the account, a page at a time
        "directory_page": lambda api, ids: api.directory_page(1, per_page=5),
    },
}


def test_every_read_of_every_family_is_exercised_here() -> None:
    assert {family.name: set(READS.get(family.name, {})) for family in FAMILIES} == {
        family.name: set(family.reads()) for family in FAMILIES
    }


async def some_ids(backend: OnePageCRMBackend) -> dict[str, str]:
    stream = await backend.action_stream_all()
    entry = next(e for e in stream if e.next_action is not None and e.contact.company_id)
    deal = (await backend.deals())[0]
    return {
        "contact": entry.contact.id,
        "action": entry.next_action.id,
        "company": entry.contact.company_id,
        "deal": deal.id,
        "note": (await backend.client.notes_all())[0].id,
        "call": (await backend.client.calls_all())[0].id,
        "meeting": (await backend.client.meetings_all())[0].id,
        "since": (await backend.server_time()).replace(year=2020),
    }


async def check_served(backend, features: Features, ids: dict[str, str]) -> None:
    claimed = backend.capabilities
    for family in FAMILIES:
        api = getattr(features, family.name)
        if family.capabilities <= claimed:
            assert api is not None, f"{family.name}: claimed {sorted(family.capabilities)} but not provided"
            for read in READS[family.name].values():
                await read(api, ids)  # answers (an error fails the test)
        else:
            assert api is None, f"{family.name}: provided but {sorted(family.capabilities - claimed)} not claimed"
            assert not (family.flags & claimed), f"{family.name}: finer flags claimed without the family"
    brought = {c for family in FAMILIES for c in family.capabilities | family.flags} | CLIENT_FLAGS
    assert claimed <= brought, f"claimed with nothing behind them: {sorted(claimed - brought)}"


async def test_onepagecrm_claims_what_it_serves_and_nothing_else(sandbox) -> None:
    backend = onepagecrm(sandbox)
    try:
        account = await backend.connect()
        assert account.capabilities == backend.capabilities
        assert not {Capability.LEADS, Capability.SEARCH, Capability.FILES, Capability.RECORDS, Capability.CHARTS} & backend.capabilities
        await check_served(backend, backend.features, await some_ids(backend))
    finally:
        await backend.close()


async def test_through_the_cache_the_same_holds(sandbox, tmp_path) -> None:
    inner = onepagecrm(sandbox)
    cache = Cache(tmp_path / "cache.sqlite3", owner=identity(sandbox.base_url, sandbox.user_id)).open()
    local = CachedBackend(inner, cache)
    try:
        await local.connect()
        assert local.capabilities == inner.capabilities
        await check_served(local, local.features, await some_ids(inner))
    finally:
        await local.close()
        cache.close()


async def pipedrive_ids(backend: PipedriveBackend) -> dict[str, str]:
    lead = next(lead for lead in await backend.leads_all() if lead.person_id and lead.organization_id)
    assert lead.person_id and lead.organization_id
    some_file = (await backend.client.files(limit=1)).items[0]
    dest = tempfile.mkdtemp(prefix="crmtui-capabilities-")  # a download's folder (the system's temp files)
    goal = (await backend.client.goals_find())[0]
    return {
        "lead": lead.id, "person": lead.person_id, "organization": lead.organization_id, "file": some_file.id, "dest": dest,
        "goal": goal.id, "filter": "1", "team": "1", "member": "12000235", "activity": "1",
    }


async def test_pipedrive_claims_leads_and_its_rate_budget_and_serves_them(pipedrive_sandbox) -> None:
    backend = pipedrive(pipedrive_sandbox)
    try:
        account = await backend.connect()
        assert account.capabilities == backend.capabilities == {
            Capability.LEADS, Capability.SEARCH, Capability.FILES, Capability.TEAMS, Capability.GOALS, Capability.SAVED_FILTERS,
            Capability.ACTIVITIES, Capability.RATE_BUDGET,
        }
        await check_served(backend, backend.features, await pipedrive_ids(backend))
    finally:
        await backend.close()


async def test_crust_claims_modules_and_records_and_serves_them(crust_sandbox) -> None:
    from crmtui.backends.crust.adapter import CrustBackend
    from crmtui.backends.crust.client import CrustClient

    token = crust_sandbox.token
    backend = CrustBackend(CrustClient(token, base_url=crust_sandbox.base_url, retry=FAST), token)
    try:
        account = await backend.connect()
        assert account.capabilities == backend.capabilities == {Capability.MODULES, Capability.RECORDS, Capability.CHARTS, Capability.PAGES, Capability.WORKFLOWS, Capability.JOBS}
        lead = next(m.id for m in await backend.modules() if m.name == "Lead")
        record = (await backend.records(lead, per_page=10)).items[0]
        ids = {"module": lead, "record": record.id, "page": (await backend.features.pages.tree())[0].id}
        ids["workflow"] = (await backend.features.workflows.workflows())[0].id
        ids["job"] = (await backend.features.jobs.jobs()).items[0].id
        await check_served(backend, backend.features, ids)
    finally:
        await backend.close()


class WithoutHistory(OnePageCRMBackend):
    """A backend that lacks one family (as a plan or a server might): it must not claim what it brings."""

    def __init__(self, client: OnePageCRMClient) -> None:
        super().__init__(client)
        self.features = dataclasses.replace(self.features, history=None)
        self.capabilities = settled_capabilities(self.features, self.capabilities)


async def test_a_backend_without_a_family_claims_none_of_it(sandbox) -> None:
    client = OnePageCRMClient(sandbox.user_id, sandbox.api_key, base_url=sandbox.base_url, retry=FAST)
    backend = WithoutHistory(client)
    try:
        await backend.connect()
        assert not {Capability.NOTES, Capability.CALLS, Capability.MEETINGS} & backend.capabilities
        await check_served(backend, backend.features, await some_ids(backend))
        assert CachedBackend(backend, None).features.history is None
    finally:
        await backend.close()


async def test_capabilities_are_kept_with_the_account_for_an_offline_start(sandbox, tmp_path) -> None:
    owner = identity(sandbox.base_url, sandbox.user_id)
    cache = Cache(tmp_path / "cache.sqlite3", owner=owner).open()
    online = CachedBackend(WithoutHistory(OnePageCRMClient(
        sandbox.user_id, sandbox.api_key, base_url=sandbox.base_url, retry=FAST)), cache)
    settled = (await online.connect()).capabilities
    await flush_cache_writes()
    await online.close()

    offline = CachedBackend(onepagecrm(sandbox), cache, offline=True)  # the cached account says what was settled
    try:
        assert (await offline.connect()).capabilities == settled
        assert offline.stale and offline.capabilities == settled
    finally:
        await offline.close()
        cache.close()

"""The global search family (ItemSearch) and saved lead filters over loopback against the Pipedrive
sandbox: hits of every kind with scores and pages, related records, the term rules, the cost of a
search; the leads inbox showing a saved filter's leads (any owner's), remembered per profile, and
served from the cache offline."""

from __future__ import annotations

import httpx
import pytest

from crmtui.backends.errors import ValidationFailed
from crmtui.domain.stream_filter import SavedFilter
from crmtui.service.cached import CachedBackend, OfflineMode, flush_cache_writes
from crmtui.service.compose import compose
from crmtui.service.leads import FILTER_MEMORY, LeadsInbox
from crmtui.service.outbox import Outbox
from crmtui.service.search import GlobalSearch
from crmtui.store.view_state import ViewState
from tests.support.pipedrive_sessions import app_backend, clock
from tests.support.waits import HANG_GUARD


@pytest.fixture
def wide(pipedrive_sandbox):
    pipedrive_sandbox.limits.burst = 100_000
    pipedrive_sandbox.limits.search_burst = 100_000  # its clock stands still: its windows never slide
    return pipedrive_sandbox


def raw_get(sandbox, path: str, **params: object) -> dict:
    with httpx.Client(base_url=sandbox.base_url, headers={"x-api-token": sandbox.api_token}, timeout=HANG_GUARD) as http:
        answer = http.get(path, params=params)
        assert answer.status_code == 200, answer.text
        return answer.json()


async def session_on(sandbox, cache, tmp_path, *, offline: bool = False):
    session = compose(
        app_backend(sandbox), cache=cache, outbox=Outbox(app_backend(sandbox), base_delay=0.01, max_delay=0.1), clock=clock,
        offline=offline,
    )
    session.filters.memory = ViewState(tmp_path / "view.json")
    await session.connect()
    return session


# -- the search family -------------------------------------------------------------------------------


async def test_a_search_finds_every_kind_scored_best_first_with_pages_and_related(wide) -> None:
    api = app_backend(wide)
    try:
        await api.connect()
        first = await api.features.search.search("acme", related=True, limit=10)
        assert len(first.hits) == 10 and first.next_start == 10
        assert [h.score for h in first.hits] == sorted((h.score for h in first.hits), reverse=True)
        assert {h.kind for h in first.hits} <= {"lead", "person", "organization"}
        assert all("acme" in h.title.casefold() for h in first.hits if h.kind == "organization")
        assert first.related and all(h.related for h in first.related)
        rest = await api.features.search.search("acme", start=first.next_start or 0, limit=500)
        assert rest.next_start is None
        everything = [(h.kind, h.id) for h in first.hits + rest.hits]
        assert len(everything) == len(set(everything))  # the pages do not overlap
        # Leads are among them, with their person and organization named.
        leads = [h for h in first.hits + rest.hits if h.kind == "lead"]
        assert leads and all(h.id.count("-") == 4 for h in leads)
        assert any(h.subtitle for h in leads)
        assert set(await ids_of_kind(wide, "acme")) == {(h.kind, h.id) for h in first.hits + rest.hits}
    finally:
        await api.close()


async def ids_of_kind(sandbox, term: str) -> list[tuple[str, str]]:
    items = raw_get(sandbox, "/itemSearch", term=term, limit=500)["data"]["items"]
    return [(item["item"]["type"], str(item["item"]["id"])) for item in items]


async def test_exact_match_and_the_term_rules(wide) -> None:
    api = app_backend(wide)
    try:
        search = api.features.search
        exact = await search.search("Acme Logistics", exact=True)
        assert [h.title for h in exact.hits] == ["Acme Logistics"]
        with pytest.raises(ValidationFailed):
            await search.search("a")  # one character needs an exact match
        assert (await search.search("a", exact=True)).hits == []  # allowed, nothing is just "a"
    finally:
        await api.close()


async def test_a_search_costs_what_the_spec_says_and_counts_in_the_search_window(wide) -> None:
    api = app_backend(wide)
    try:
        before = api.client.governor.state()
        await api.features.search.search("nova")
        after = api.client.governor.state()
        assert after.spent_today - before.spent_today == 40
        assert "40 tokens" in api.search_cost_hint and "10 searches per 2 s" in api.search_cost_hint
    finally:
        await api.close()


async def test_the_search_service_keeps_pages_and_drops_an_older_answer(wide, cache, tmp_path) -> None:
    session = await session_on(wide, cache, tmp_path)
    finder = GlobalSearch(session)
    page = await finder.search("an")
    assert page is not None and finder.hits and finder.next_start is not None
    shown = len(finder.hits)
    await finder.more()
    assert len(finder.hits) > shown
    assert finder.problem("a", exact=False) and finder.problem("a", exact=True) is None
    assert "40 tokens" in finder.cost_hint
    await session.close()


async def test_searching_offline_says_it_needs_a_connection(wide, cache, tmp_path) -> None:
    online = await session_on(wide, cache, tmp_path)
    await online.close()
    session = await session_on(wide, cache, tmp_path, offline=True)
    with pytest.raises(OfflineMode):
        await GlobalSearch(session).search("acme")
    await session.close()


# -- saved lead filters ------------------------------------------------------------------------------


async def test_the_inbox_shows_a_saved_filters_leads_of_any_owner_and_remembers_it(wide, cache, tmp_path) -> None:
    session = await session_on(wide, cache, tmp_path)
    inbox = session.leads
    await inbox.load()
    mine = {lead.id for lead in inbox.items}
    filters = await inbox.saved_filters()
    assert [f.name for f in filters] == ["My open leads", "Hot leads", "Worth over 20,000", "No value", "Acme or Nova"]
    hot = next(f for f in filters if f.name == "Hot leads")
    inbox.choose_filter(hot)
    assert inbox.items == [] and not inbox.loaded  # my leads are not the filter's
    await inbox.load()
    expected = {lead["id"] for lead in raw_get(wide, "/leads", filter_id=hot.id, limit=500)["data"]}
    assert expected and {lead.id for lead in inbox.items} == expected
    assert expected - mine  # other owners' leads too: the filter wins over the owner
    assert inbox.scope_label == "Filter: Hot leads"
    assert ViewState(tmp_path / "view.json").get(FILTER_MEMORY) == {"id": hot.id, "name": "Hot leads"}

    again = LeadsInbox(session)  # the next start
    assert again.filter == SavedFilter(id=hot.id, name="Hot leads")
    again.detach()

    inbox.choose_filter(None)
    await inbox.load()
    assert {lead.id for lead in inbox.items} == mine
    assert ViewState(tmp_path / "view.json").get(FILTER_MEMORY) is None
    await session.close()


async def test_offline_the_filters_and_a_filters_leads_come_from_the_cache(wide, cache, tmp_path) -> None:
    session = await session_on(wide, cache, tmp_path)
    filters = await session.leads.saved_filters()
    chosen = next(f for f in filters if f.name == "Acme or Nova")
    session.leads.choose_filter(chosen)
    await session.leads.load()
    fetched = {lead.id for lead in session.leads.items}
    assert fetched
    await flush_cache_writes()
    await session.close()

    offline = await session_on(wide, cache, tmp_path, offline=True)
    assert offline.leads.filter is not None and offline.leads.filter.id == chosen.id  # remembered
    assert [f.name for f in await offline.leads.saved_filters()] == [f.name for f in filters]
    await offline.leads.load()
    assert {lead.id for lead in offline.leads.items} == fetched
    assert isinstance(offline.backend, CachedBackend) and offline.backend.stale
    await offline.close()


async def test_narrowing_ignores_case_and_accents_and_reads_person_organization_and_labels(wide, cache, tmp_path) -> None:
    session = await session_on(wide, cache, tmp_path)
    inbox = session.leads
    await inbox.load()
    lead = next(lead for lead in inbox.items if lead.label_ids)
    label = next(lab for lab in inbox.labels() if lab.id == lead.label_ids[0])
    assert inbox.matches(lead, label.name.upper())
    assert inbox.matches(lead, lead.title.split()[0].casefold())
    accented = lead.model_copy(update={"title": "Zoë Ó Briain – Café"})
    assert inbox.matches(accented, "zoe cafe") and not inbox.matches(accented, "zoe tea")
    found = await inbox.search_server(lead.title.split()[0])
    assert lead.id in {f.id for f in found}
    await session.close()

"""Saved filters (F), narrowing (/) on the leads inbox and the global search screen (6), on the real
Pipedrive client and sandbox over loopback."""

from __future__ import annotations

import httpx

from crmtui.service.cached import flush_cache_writes
from crmtui.service.compose import compose
from crmtui.service.outbox import Outbox
from crmtui.store.view_state import ViewState
from crmtui.ui.app import CrmApp
from crmtui.ui.modals.lead_filter import LeadFilterModal
from crmtui.ui.screens.leads import LeadsScreen
from crmtui.ui.screens.search import SearchScreen
from crmtui.ui.widgets.header import AppHeader
from tests.support.waits import HANG_GUARD

from tests.support.pipedrive_sessions import sandbox_cache

from .conftest import NARROW, WIDE, frozen_clock, loaded, settled, wait_for
from .pipedrive_support import lead_list, leads_screen, pipedrive_backend, selected, shown_ids


def filter_leads(sandbox, filter_id: str) -> set[str]:
    with httpx.Client(base_url=sandbox.base_url, headers={"x-api-token": sandbox.api_token}, timeout=HANG_GUARD) as http:
        return {lead["id"] for lead in http.get("/leads", params={"filter_id": filter_id, "limit": 500}).json()["data"]}


def title(app: CrmApp) -> str:
    return app.screen.query_one(AppHeader).title


async def test_f_shows_a_saved_filters_leads_and_esc_clears_it(make_pipedrive_app, pipedrive) -> None:
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        await settled(pilot)
        mine = {lead.id for lead in lead_list(app).items}
        await pilot.press("F")
        await wait_for(pilot, lambda: isinstance(app.screen, LeadFilterModal), what="the filter picker")
        modal = app.screen
        assert isinstance(modal, LeadFilterModal)
        await wait_for(pilot, lambda: len(modal.saved) == 5, what="the saved filters")
        await pilot.press("down")  # the first filter is highlighted: "My open leads"; then "Hot leads"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, LeadsScreen), what="the inbox")
        await settled(pilot)
        expected = filter_leads(pipedrive, "2")
        assert {lead.id for lead in lead_list(app).items} == expected and expected - mine
        assert title(app) == f"Filter: Hot leads · {len(expected)}"
        await pilot.press("escape")
        await settled(pilot)
        assert app.session.leads.filter is None
        assert {lead.id for lead in lead_list(app).items} == mine
        assert title(app) == f"My leads · {len(mine)}"


def cached_app(sandbox, tmp_path) -> CrmApp:
    """A CrmApp on the sandbox over this profile's cache file and view.json, as `crmtui` starts."""
    backend = pipedrive_backend(sandbox)
    session = compose(
        backend, cache=sandbox_cache(tmp_path, sandbox), outbox=Outbox(backend, base_delay=0.05, max_delay=0.5),
        clock=frozen_clock,
    )
    session.filters.memory = ViewState(tmp_path / "view.json")
    return CrmApp(session, refresh_seconds=0, cursor_blink=False)


async def test_a_start_with_a_remembered_filter_paints_the_filters_cached_leads_never_mine(pipedrive, tmp_path) -> None:
    app = cached_app(pipedrive, tmp_path)
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        await settled(pilot)
        mine = shown_ids(app)
        hot = next(f for f in await app.session.leads.saved_filters() if f.name == "Hot leads")
        leads_screen(app)._choose_filter(hot)
        await settled(pilot)
        kept = shown_ids(app)
        assert kept == filter_leads(pipedrive, hot.id) and kept != mine
        await flush_cache_writes()
    app.session.backend.cache.close()  # as the command does on quitting

    again = cached_app(pipedrive, tmp_path)
    inbox = again.session.leads
    assert inbox.filter is not None and inbox.filter.id == hot.id  # remembered
    painted: list[set[str]] = []
    inbox.changes.subscribe(lambda _changed: painted.append({lead.id for lead in inbox.items}))
    # The filter's leads stay on their way from the server: what shows meanwhile is the cache's.
    with pipedrive.gate.hold("GET", "/api/v1/leads", query={"filter_id": hot.id}) as held:
        async with again.run_test(size=NARROW) as pilot:
            await held.parked(1)
            await wait_for(pilot, lambda: isinstance(again.screen, LeadsScreen), what="the inbox")
            assert shown_ids(again) == kept
            assert title(again).startswith("Filter: Hot leads")
            assert painted and all(rows <= kept for rows in painted), "another list was painted under the filter"
            held.release()
            await settled(pilot)
            assert shown_ids(again) == kept
    again.session.backend.cache.close()


async def test_slash_narrows_the_list_enter_asks_the_server_esc_clears(make_pipedrive_app, pipedrive) -> None:
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await settled(pilot)
        everything = [lead.id for lead in lead_list(app).items]
        word = next(lead.title.split()[0] for lead in lead_list(app).items)
        await pilot.press("slash", *word.lower())
        narrowed = [lead.id for lead in lead_list(app).items]
        inbox = app.session.leads
        assert narrowed and len(narrowed) < len(everything)
        assert all(word.casefold() in inbox.find(i).title.casefold() or word.casefold() in inbox.who(inbox.find(i)).casefold()
                   for i in narrowed)
        assert f"“{word.lower()}” {len(narrowed)} of {len(everything)}" in title(app)
        await pilot.press("enter")  # the server's lead search: what the list lacks joins it
        await settled(pilot)
        screen = leads_screen(app)
        async with httpx.AsyncClient(base_url=pipedrive.base_url, headers={"x-api-token": pipedrive.api_token}, timeout=HANG_GUARD) as http:
            server = (await http.get("/leads/search", params={"term": word.lower(), "limit": 100})).json()["data"]["items"]
        assert {lead.id for lead in screen.found} == {hit["item"]["id"] for hit in server} - set(everything)
        await pilot.press("escape")
        assert [lead.id for lead in lead_list(app).items] == everything and not screen.found


async def test_6_searches_every_kind_and_enter_opens_a_lead_in_the_inbox(make_pipedrive_app, pipedrive) -> None:
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await settled(pilot)
        await pilot.press("6")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen), what="the search screen")
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        status = lambda: str(screen.query_one("#search-status").render())  # noqa: E731
        assert "40 tokens" in status() and "10 searches per 2 s" in status()
        await pilot.press("a", "enter")
        assert "at least 2 characters" in status()  # not sent: the server would refuse it
        await pilot.press("c", "m", "e", "enter")
        await settled(pilot)
        kinds = {hit.kind for hit in screen.hits.values()}
        assert {"lead", "organization"} <= kinds
        headings = [str(o.prompt) for o in screen.results.options if o.disabled]
        assert headings[0].startswith("Leads (") and any(h.startswith("Organizations (") for h in headings)
        lead_hit = next(hit for hit in screen.hits.values() if hit.kind == "lead" and not hit.related)
        lead_doc = pipedrive.state.tables["leads"][lead_hit.id]
        # The cursor is on the first hit (a lead: leads come first); its details show beside.
        assert screen._selected_hit() == next(h for h in screen.hits.values())
        assert "Enter: open it in the leads inbox" in str(screen.query_one("#search-detail").render())
        while screen._selected_hit() != lead_hit:
            await pilot.press("j")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, LeadsScreen), what="the inbox")
        await settled(pilot)
        assert selected(app) is not None and selected(app).id == lead_hit.id
        if str(lead_doc["owner_id"]) != app.session.account.user.id:
            assert app.session.leads.everyone  # not mine: the scope widened to everyone's


async def test_6_says_nothing_found_and_exact_needs_one_character(make_pipedrive_app) -> None:
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        await pilot.press("6")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen), what="the search screen")
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        await pilot.press("ctrl+t", "q", "enter")  # exact: one character is enough
        await settled(pilot)
        assert screen.status == "Nothing found for “q” (exact)"
        assert screen.results.option_count == 0

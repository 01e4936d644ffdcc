"""Activities (Pipedrive's optional /activities) over loopback: the sandbox's seeded activities and
each lead's next one, the list's filters and paging, marking one done (the lead's next moves on), the
client's family and its capability, and the leads inbox ordered by next activity, reading only the
next activities it does not know yet; a server without /activities: by close date, no error."""

from __future__ import annotations

import httpx
import pytest

from crmtui.backends.pipedrive.adapter import PipedriveBackend
from crmtui.domain.capabilities import Capability
from crmtui.domain.leads import BY_NEXT_ACTIVITY, LeadSection, lead_section, lead_sort_key
from crmtui.sandbox.pipedrive.seed import next_activity_key
from crmtui.sandbox.pipedrive.server import SandboxOptions, start_sandbox
from tests.conftest import SANDBOX_TODAY
from tests.support.pipedrive_sessions import NOW, TODAY, backend_for, open_session
from tests.support.waits import HANG_GUARD


@pytest.fixture
def http(pipedrive_sandbox):
    pipedrive_sandbox.limits.burst = 100_000
    headers = {"x-api-token": pipedrive_sandbox.api_token}
    with httpx.Client(base_url=pipedrive_sandbox.base_url, headers=headers, timeout=HANG_GUARD) as client:
        yield client


@pytest.fixture
def without_activities():
    """A Pipedrive sandbox that serves no /activities (as a server without them)."""
    handle = start_sandbox(SandboxOptions(today=SANDBOX_TODAY, seed=42, frozen_clock=True, activities=False))
    handle.limits.burst = 100_000
    handle.gate.timeout = HANG_GUARD
    try:
        yield handle
    finally:
        handle.stop()


def expected_next(sandbox, lead_id: str) -> int | None:
    mine = [a for a in sandbox.state.tables["activities"].values() if a["lead_id"] == lead_id and not a["done"]]
    return min(mine, key=next_activity_key)["id"] if mine else None


# -- the sandbox ---------------------------------------------------------------------------------


def test_most_leads_have_activities_overdue_today_later_and_done_and_each_lead_its_earliest_open_one(pipedrive_sandbox) -> None:
    tables = pipedrive_sandbox.state.tables
    activities = list(tables["activities"].values())
    days = {a["due_date"] for a in activities if not a["done"]}
    today = TODAY.isoformat()
    assert any(d < today for d in days) and today in days and any(d > today for d in days)
    assert any(a["done"] for a in activities) and any(a["due_time"] == "" for a in activities)
    assert {a["type"] for a in activities} >= {"call", "meeting", "task", "email", "deadline"}
    leads = list(tables["leads"].values())
    with_some = {a["lead_id"] for a in activities}
    assert 0.6 * len(leads) < len(with_some) < len(leads)  # most leads, not all
    for lead in leads:
        assert lead["next_activity_id"] == expected_next(pipedrive_sandbox, lead["id"]), lead["id"]
    linked = next(a for a in activities if a["person_id"])
    assert tables["leads"][linked["lead_id"]]["person_id"] == linked["person_id"]


def test_the_list_filters_by_user_done_type_and_due_day_and_pages(pipedrive_sandbox, http: httpx.Client) -> None:
    table = pipedrive_sandbox.state.tables["activities"].values()
    me = pipedrive_sandbox.users[0]["id"]
    everyone_open = http.get("/activities", params={"user_id": 0, "done": 0, "limit": 500}).json()
    assert {a["id"] for a in everyone_open["data"]} == {a["id"] for a in table if not a["done"]}
    assert everyone_open["additional_data"]["pagination"]["more_items_in_collection"] is False
    mine = http.get("/activities", params={"limit": 500}).json()["data"]  # no user_id: the token's own
    assert mine and {a["user_id"] for a in mine} == {me}
    done = http.get("/activities", params={"user_id": 0, "done": 1, "type": "call,meeting", "limit": 500}).json()["data"]
    assert done and all(a["done"] and a["type"] in ("call", "meeting") for a in done)
    day = TODAY.isoformat()
    today = http.get("/activities", params={"user_id": 0, "start_date": day, "end_date": day, "limit": 500}).json()["data"]
    assert today and {a["due_date"] for a in today} == {day}

    seen: list[int] = []
    start = 0
    while True:
        page = http.get("/activities", params={"user_id": 0, "done": 0, "start": start, "limit": 100}).json()
        seen += [a["id"] for a in page["data"]]
        paging = page["additional_data"]["pagination"]
        if not paging["more_items_in_collection"]:
            break
        start = paging["next_start"]
    assert seen == [a["id"] for a in everyone_open["data"]]  # by when they are due, each once

    assert http.get("/activities", params={"done": "yes"}).status_code == 400
    assert http.get("/activities/999999").status_code == 404


def test_marking_the_next_activity_done_moves_the_leads_next_on_and_its_update_time(pipedrive_sandbox, http: httpx.Client) -> None:
    leads = pipedrive_sandbox.state.tables["leads"]
    lead = next(
        doc for doc in leads.values()
        if doc["next_activity_id"] and sum(1 for a in pipedrive_sandbox.state.tables["activities"].values()
                                           if a["lead_id"] == doc["id"] and not a["done"]) >= 2
    )
    first = lead["next_activity_id"]
    pipedrive_sandbox.advance(60)
    answer = http.put(f"/activities/{first}", json={"done": 1})
    assert answer.status_code == 200 and answer.json()["data"]["done"] is True
    assert answer.json()["data"]["marked_as_done_time"]
    after = leads[lead["id"]]
    assert after["next_activity_id"] not in (None, first)
    assert after["next_activity_id"] == expected_next(pipedrive_sandbox, lead["id"])
    assert after["update_time"] > lead["update_time"]  # a refresh of what changed sees it
    http.put(f"/activities/{first}", json={"done": 0})
    assert leads[lead["id"]]["next_activity_id"] == expected_next(pipedrive_sandbox, lead["id"])
    assert http.put(f"/activities/{first}", json={"done": 2}).status_code == 400


def test_activities_are_charged_the_specs_tokens(pipedrive_sandbox, http: httpx.Client) -> None:
    now = pipedrive_sandbox.state.clock.seconds
    some = next(iter(pipedrive_sandbox.state.tables["activities"]))
    for method, path, cost in (("GET", "/activities", 20), ("GET", f"/activities/{some}", 2), ("PUT", f"/activities/{some}", 10)):
        before = pipedrive_sandbox.limits.spent(now())
        http.request(method, path, json={"subject": "Renamed"} if method == "PUT" else None)
        assert pipedrive_sandbox.limits.spent(now()) - before == cost, path


def test_a_sandbox_without_activities_answers_404_and_no_lead_has_a_next_one(without_activities) -> None:
    headers = {"x-api-token": without_activities.api_token}
    with httpx.Client(base_url=without_activities.base_url, headers=headers, timeout=HANG_GUARD) as http:
        assert http.get("/activities").status_code == 404
        assert http.get("/activities/1").status_code == 404
    assert all(lead["next_activity_id"] is None for lead in without_activities.state.tables["leads"].values())


# -- the client's family and its capability --------------------------------------------------------------


async def test_the_backend_claims_activities_and_reads_them_by_id_and_listed(pipedrive_sandbox) -> None:
    pipedrive_sandbox.limits.burst = 100_000
    backend = backend_for(pipedrive_sandbox)
    try:
        account = await backend.connect()
        assert Capability.ACTIVITIES in account.capabilities and backend.features.activities is not None
        api = backend.features.activities
        table = pipedrive_sandbox.state.tables["activities"]
        listed = await api.open_activities()
        assert {a.id for a in listed} == {str(a["id"]) for a in table.values() if not a["done"]}
        some = sorted(table)[:3]
        read = await api.activities((*some, "999999", some[0]))  # a deleted one is left out, a repeat read once
        assert [a.id for a in read] == some
        first = read[0]
        doc = table[first.id]
        assert (first.subject, first.type, first.lead_id, first.done) == (doc["subject"], doc["type"], doc["lead_id"], doc["done"])
        assert first.due_date is not None and first.due_date.isoformat() == doc["due_date"]
        assert (first.due_time is None) == (doc["due_time"] == "")
        done = await api.set_activity_done(first.id)
        assert done.done and table[first.id]["done"] is True
    finally:
        await backend.close()


async def test_without_activities_the_backend_claims_none_and_profiles_can_turn_them_off(pipedrive_sandbox, without_activities) -> None:
    absent = backend_for(without_activities)
    try:
        account = await absent.connect()
        assert Capability.ACTIVITIES not in account.capabilities and absent.features.activities is None
    finally:
        await absent.close()
    off = PipedriveBackend(backend_for(pipedrive_sandbox).client, activities=False)
    try:
        before = pipedrive_sandbox.limits.spent(pipedrive_sandbox.state.clock.seconds())
        account = await off.connect()
        assert Capability.ACTIVITIES not in account.capabilities and off.features.activities is None
        spent = pipedrive_sandbox.limits.spent(pipedrive_sandbox.state.clock.seconds()) - before
        assert spent == 2 + 20 + 10 + 2 + 20  # me, users, labels, sources, fields: no /activities asked
    finally:
        await off.close()


# -- the inbox ---------------------------------------------------------------------------------------------


async def test_the_inbox_is_ordered_by_next_activity_in_pipedrives_sections(pipedrive_sandbox, tmp_path) -> None:
    pipedrive_sandbox.limits.burst = 100_000
    session = await open_session(pipedrive_sandbox, tmp_path, load_leads=True)
    inbox = session.leads
    assert inbox.by_activity
    known = inbox.known_activities()
    assert known is not None
    sections = [inbox.section(lead) for lead in inbox.items]
    assert LeadSection.NO_DATE not in sections and {LeadSection.OVERDUE, LeadSection.NO_ACTIVITY, LeadSection.UPCOMING} <= set(sections)
    assert sections == sorted(sections, key=BY_NEXT_ACTIVITY.index)  # overdue, today, no activity, upcoming
    assert inbox.items == sorted(inbox.items, key=lambda lead: lead_sort_key(lead, TODAY, known))
    table = pipedrive_sandbox.state.tables["activities"]
    for lead in inbox.items:
        upcoming = inbox.next_activity(lead)
        if lead.next_activity_id is None:
            assert upcoming is None and inbox.section(lead) is LeadSection.NO_ACTIVITY
        else:
            assert upcoming is not None and upcoming.subject == table[lead.next_activity_id]["subject"]
            due, at = table[lead.next_activity_id]["due_date"], table[lead.next_activity_id]["due_time"]
            passed = due == TODAY.isoformat() and at and at < NOW.strftime("%H:%M")  # the account's zone is UTC in March
            expected = (
                LeadSection.OVERDUE if due < TODAY.isoformat() or passed
                else LeadSection.TODAY if due == TODAY.isoformat() else LeadSection.UPCOMING
            )
            assert inbox.section(lead) is expected
    await session.close()


async def test_a_timed_activity_earlier_today_is_overdue_an_all_day_one_today(pipedrive_sandbox, http, tmp_path) -> None:
    """Pipedrive's web app shows an activity whose time has passed as overdue: the session's clock
    says 09:00 (the account's zone, Europe/Dublin, is UTC in March)."""
    table = pipedrive_sandbox.state.tables["activities"]
    later = [
        lead for lead in pipedrive_sandbox.state.tables["leads"].values()
        if lead["owner_id"] == pipedrive_sandbox.users[0]["id"] and not lead["is_archived"] and lead["next_activity_id"]
        and table[str(lead["next_activity_id"])]["due_date"] > TODAY.isoformat()
    ]
    early, all_day, late = later[:3]
    for lead, time in ((early, "08:00"), (all_day, ""), (late, "15:30")):
        answer = http.put(f"/activities/{lead['next_activity_id']}", json={"due_date": TODAY.isoformat(), "due_time": time})
        assert answer.status_code == 200, answer.text
    session = await open_session(pipedrive_sandbox, tmp_path, load_leads=True)
    inbox = session.leads
    sections = {lead.id: inbox.section(lead) for lead in inbox.items}
    assert sections[early["id"]] is LeadSection.OVERDUE
    assert sections[all_day["id"]] is LeadSection.TODAY and sections[late["id"]] is LeadSection.TODAY
    order = [lead.id for lead in inbox.items]
    assert order.index(early["id"]) < order.index(all_day["id"]) < order.index(late["id"])
    await session.close()


async def test_a_refresh_reads_only_the_next_activities_it_does_not_know(pipedrive_sandbox, tmp_path) -> None:
    pipedrive_sandbox.limits.burst = 100_000
    now = pipedrive_sandbox.state.clock.seconds
    session = await open_session(pipedrive_sandbox, tmp_path)
    inbox = session.leads
    before = pipedrive_sandbox.limits.spent(now())
    await inbox.load()  # the first read: a page of my leads, a page of everyone's open activities
    assert pipedrive_sandbox.limits.spent(now()) - before == 20 + 20
    before = pipedrive_sandbox.limits.spent(now())
    await inbox.load()  # nothing changed: the two pages of what changed, no activity
    assert pipedrive_sandbox.limits.spent(now()) - before == 20 + 40

    lead = next(lead for lead in inbox.items if lead.next_activity_id and inbox.section(lead) is LeadSection.OVERDUE)
    other = backend_for(pipedrive_sandbox)
    await other.connect()
    pipedrive_sandbox.advance(60)  # later changes carry later stamps
    assert other.features.activities is not None
    await other.features.activities.set_activity_done(lead.next_activity_id)  # done in the web app, say
    await other.close()
    moved = pipedrive_sandbox.state.tables["leads"][lead.id]["next_activity_id"]

    before = pipedrive_sandbox.limits.spent(now())
    await inbox.load()
    assert pipedrive_sandbox.limits.spent(now()) - before == 20 + 40 + (2 if moved else 0)  # the new next one, by id
    shown = inbox.find(lead.id)
    assert shown is not None and shown.next_activity_id == (str(moved) if moved else None)
    if moved:
        assert inbox.next_activity(shown) is not None and inbox.next_activity(shown).id == str(moved)
    else:
        assert inbox.section(shown) is LeadSection.NO_ACTIVITY
    await session.close()


async def test_everyones_inbox_reads_everyones_open_activities_and_r_reads_them_again(pipedrive_sandbox, tmp_path) -> None:
    pipedrive_sandbox.limits.burst = 100_000
    now = pipedrive_sandbox.state.clock.seconds
    session = await open_session(pipedrive_sandbox, tmp_path)
    inbox = session.leads
    inbox.everyone = True
    before = pipedrive_sandbox.limits.spent(now())
    await inbox.load()
    assert pipedrive_sandbox.limits.spent(now()) - before == 20 + 20  # a page of leads, a page of everyone's open activities
    table = pipedrive_sandbox.state.tables["activities"]
    assert set(inbox.activities) == {i for i, a in table.items() if not a["done"]}
    for lead in inbox.items:
        assert inbox.next_activity(lead) is None or inbox.next_activity(lead).id == lead.next_activity_id
    inbox.read_whole_next()  # R: the leads and every open activity again
    before = pipedrive_sandbox.limits.spent(now())
    await inbox.load()
    assert pipedrive_sandbox.limits.spent(now()) - before == 20 + 20
    await session.close()


async def test_without_activities_the_inbox_is_by_close_date_and_says_nothing(without_activities, tmp_path) -> None:
    session = await open_session(without_activities, tmp_path, load_leads=True)
    inbox = session.leads
    assert not inbox.by_activity and inbox.known_activities() is None
    assert inbox.items == sorted(inbox.items, key=lambda lead: lead_sort_key(lead, TODAY))
    assert {lead_section(lead, TODAY) for lead in inbox.items} >= {LeadSection.UPCOMING, LeadSection.NO_DATE}
    await session.close()


async def test_an_activities_route_gone_after_connect_falls_back_to_close_date_without_an_error(pipedrive_sandbox, tmp_path) -> None:
    pipedrive_sandbox.limits.burst = 100_000
    session = await open_session(pipedrive_sandbox, tmp_path)
    pipedrive_sandbox.options.activities = False  # the server drops /activities (v1's sunset, say)
    items = await session.leads.load()  # no error
    assert items and not session.leads.by_activity
    assert items == sorted(items, key=lambda lead: lead_sort_key(lead, TODAY))
    await session.close()


async def test_offline_the_next_start_orders_by_the_activities_kept_in_the_cache(pipedrive_sandbox, tmp_path) -> None:
    from crmtui.service.cached import flush_cache_writes
    from crmtui.service.compose import compose
    from tests.support.pipedrive_sessions import app_backend, clock, sandbox_cache

    pipedrive_sandbox.limits.burst = 100_000
    cache = sandbox_cache(tmp_path, pipedrive_sandbox)
    try:
        online = compose(app_backend(pipedrive_sandbox), cache=cache, clock=clock)
        await online.connect()
        await online.leads.load()
        shown = [lead.id for lead in online.leads.items]
        await flush_cache_writes()
        await online.close()

        offline = compose(app_backend(pipedrive_sandbox), cache=cache, offline=True, clock=clock)
        await offline.connect()
        inbox = offline.leads
        await inbox.load()
        assert inbox.by_activity and [lead.id for lead in inbox.items] == shown  # the same order, from the cache
        assert any(inbox.next_activity(lead) is not None for lead in inbox.items)
        await offline.close()
    finally:
        cache.close()


async def test_the_check_of_activities_is_kept_with_the_account_for_a_day_and_asked_again_when_gone(pipedrive_sandbox, tmp_path) -> None:
    """The sign-in check of /activities costs 20 tokens of the company's day: a start within a day of
    the last check reuses its answer kept with the account; a day later, or once a request has found
    /activities gone, the next start asks again."""
    import datetime as dt

    from crmtui.service.cached import flush_cache_writes
    from crmtui.service.compose import compose
    from tests.support.pipedrive_sessions import app_backend, sandbox_cache

    pipedrive_sandbox.limits.burst = 100_000
    moment = [NOW]
    cache = sandbox_cache(tmp_path, pipedrive_sandbox)

    def spent() -> int:
        return pipedrive_sandbox.limits.spent(pipedrive_sandbox.state.clock.seconds())

    async def start(*, load: bool = False) -> tuple[int, bool]:
        """A start of crmtui on the profile: what its sign-in cost, and whether it has activities."""
        session = compose(app_backend(pipedrive_sandbox), cache=cache, clock=lambda: moment[0])
        before = spent()
        account = await session.connect()
        cost = spent() - before
        if load:
            await session.leads.load()
        await flush_cache_writes()
        await session.close()
        return cost, Capability.ACTIVITIES in account.capabilities

    try:
        first, served = await start()
        assert served
        assert await start() == (first - 20, True)  # the kept answer: no /activities asked
        moment[0] = NOW + dt.timedelta(hours=23)
        assert await start() == (first - 20, True)
        moment[0] = NOW + dt.timedelta(days=1, minutes=1)  # a day since it was asked: asked again
        assert await start() == (first, True)
        assert await start() == (first - 20, True)

        pipedrive_sandbox.options.activities = False  # the server drops /activities (v1's sunset, say)
        assert await start(load=True) == (first - 20, True)  # the inbox's read finds them gone...
        assert await start() == (first, False)  # ... so the next start asks, and has none
        assert await start() == (first - 20, False)  # that answer is kept too
    finally:
        cache.close()

"""The leads inbox service over the real Pipedrive client and sandbox (loopback), with the local cache
and the outbox: changes show at once, reach the server once, survive a restart in the cache, clash
only when someone else changed the same field, and wait offline."""

from __future__ import annotations


from crmtui.domain.leads import lead_sort_key
from crmtui.service.cached import CachedBackend, flush_cache_writes
from crmtui.service.compose import compose
from crmtui.service.outbox import Outbox
from tests.support.pipedrive_sessions import TODAY, app_backend, clock
from tests.support.waits import HANG_GUARD


async def session_on(sandbox, cache):
    session = compose(app_backend(sandbox), cache=cache, outbox=Outbox(app_backend(sandbox), base_delay=0.01, max_delay=0.1), clock=clock)
    await session.connect()
    await session.leads.load()
    return session


async def test_the_inbox_holds_my_open_leads_in_order(wide_burst, cache) -> None:
    session = await session_on(wide_burst, cache)
    inbox = session.leads
    me = session.account.user.id
    expected = {lid for lid, doc in wide_burst.state.tables["leads"].items() if str(doc["owner_id"]) == me and not doc["is_archived"]}
    assert {lead.id for lead in inbox.items} == expected
    activities = inbox.known_activities()  # the sandbox has activities: by next activity
    assert activities is not None
    assert inbox.items == sorted(inbox.items, key=lambda lead: lead_sort_key(lead, TODAY, activities))
    await session.close()


async def test_an_archive_shows_at_once_reaches_the_server_once_and_the_next_start_paints_it(wide_burst, cache) -> None:
    session = await session_on(wide_burst, cache)
    inbox = session.leads
    await flush_cache_writes()
    lead = inbox.items[0]
    await inbox.toggle_archived(lead.id)
    assert inbox.find(lead.id) is None  # gone from the open leads before the server answered
    assert await session.settled(HANG_GUARD)
    assert wide_burst.state.tables["leads"][lead.id]["is_archived"] is True
    await session.close()  # waits for the cache's writes

    restarted = CachedBackend(app_backend(wide_burst), cache)
    account = await restarted.cached_account()
    assert account is not None
    painted = await restarted.cached_leads(account.user.id)
    assert painted is not None
    assert lead.id not in {item.id for item in painted[0]}  # not shown again before the first refresh
    await restarted.close()


async def test_a_change_clashes_only_when_someone_else_changed_the_same_field(wide_burst, cache) -> None:
    session = await session_on(wide_burst, cache)
    inbox = session.leads
    first, second = inbox.items[0], inbox.items[1]
    other = app_backend(wide_burst)
    await other.connect()
    await other.features.leads.update_lead(first.id, title="Renamed elsewhere")
    await other.features.leads.update_lead(second.id, title="Renamed elsewhere too")
    await other.close()

    await inbox.update(first.id, "Title", title="My new title")  # the same field: a clash
    await inbox.toggle_seen(second.id)  # another field: no clash, theirs is kept
    assert await session.settled(HANG_GUARD)
    assert wide_burst.state.tables["leads"][first.id]["title"] == "Renamed elsewhere"
    review = session.outbox.review()
    assert len(review) == 1 and "title" in (review[0][0].detail or "")
    doc = wide_burst.state.tables["leads"][second.id]
    assert doc["title"] == "Renamed elsewhere too" and doc["was_seen"] is (not second.was_seen)
    await session.close()


async def test_offline_a_change_waits_and_is_sent_once_when_the_server_is_back(wide_burst, cache) -> None:
    session = await session_on(wide_burst, cache)
    inbox = session.leads
    lead = inbox.items[0]
    wide_burst.options.drop_rate = 1.0
    await inbox.toggle_seen(lead.id)
    assert inbox.find(lead.id).was_seen is (not lead.was_seen)  # shown at once
    assert session.outbox.pending == 1
    wide_burst.options.drop_rate = 0.0
    await session.outbox.wake()
    assert await session.settled(HANG_GUARD)
    assert wide_burst.state.tables["leads"][lead.id]["was_seen"] is (not lead.was_seen)
    assert session.outbox.pending == 0 and not session.outbox.review()
    await session.close()


async def test_a_refresh_reads_only_what_changed_two_requests_however_large_the_inbox(wide_burst, cache) -> None:
    session = await session_on(wide_burst, cache)
    inbox = session.leads
    me = session.account.user.id
    clock_now = wide_burst.state.clock.seconds
    before = wide_burst.limits.spent(clock_now())
    await inbox.load()  # nothing changed
    unchanged = wide_burst.limits.spent(clock_now()) - before
    assert unchanged == 20 + 40  # GET /leads and GET /leads/archived, one page each (the spec's x-token-cost)

    other = app_backend(wide_burst)
    await other.connect()
    api = other.features.leads
    mine = [lead for lead in inbox.items]
    wide_burst.advance(5)  # later changes carry later stamps
    await api.update_lead(mine[0].id, title="Changed elsewhere")
    await api.update_lead(mine[1].id, is_archived=True)
    colleague = next(u.id for u in session.account.team if u.id != me)
    await api.update_lead(mine[2].id, owner_id=colleague)
    theirs = next(lid for lid, doc in wide_burst.state.tables["leads"].items() if str(doc["owner_id"]) != me and not doc["is_archived"])
    await api.update_lead(theirs, owner_id=me)
    await other.close()

    await inbox.load()
    shown = {lead.id: lead for lead in inbox.items}
    assert shown[mine[0].id].title == "Changed elsewhere"
    assert mine[1].id not in shown and mine[2].id not in shown and theirs in shown
    expected = {lid for lid, doc in wide_burst.state.tables["leads"].items() if str(doc["owner_id"]) == me and not doc["is_archived"]}
    assert set(shown) == expected  # the same as reading it all

    inbox.read_whole_next()  # R
    spent = wide_burst.limits.spent(clock_now())
    await inbox.load()
    # The whole list again (one page of 500 here), and every next activity again (one page of everyone's open ones).
    assert wide_burst.limits.spent(clock_now()) - spent == 20 + 20
    assert {lead.id for lead in inbox.items} == expected
    await session.close()

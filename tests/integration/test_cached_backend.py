"""The cached backend against the real sandbox: incremental refresh, offline reads, offline mode.

An incremental refresh must end with exactly what a full fetch gives, whatever happened on the
server meanwhile (contacts changed, entered, left or deleted), with far fewer requests.
"""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from crmtui.backends.errors import Offline
from crmtui.backends.http import RetryPolicy
from crmtui.backends.onepagecrm.adapter import OnePageCRMBackend
from crmtui.backends.onepagecrm.client import OnePageCRMClient
from crmtui.domain.models import ActionStatus, Contact, StreamEntry
from crmtui.service.cached import CachedBackend, flush_cache_writes
from crmtui.store import Cache, identity

FAST = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02, budget=0.5)


class Counting:
    """Counts requests and response bytes (an httpx event hook pair)."""

    def __init__(self) -> None:
        self.requests = 0
        self.bytes = 0

    async def request(self, request: httpx.Request) -> None:
        self.requests += 1

    async def response(self, response: httpx.Response) -> None:
        await response.aread()
        self.bytes += len(response.content)

    @property
    def hooks(self) -> dict:
        return {"request": [self.request], "response": [self.response]}


def inner_backend(sandbox, counter: Counting | None = None, base_url: str | None = None) -> OnePageCRMBackend:
    client = OnePageCRMClient(
        sandbox.user_id, sandbox.api_key, base_url=base_url or sandbox.base_url, retry=FAST,
        event_hooks=counter.hooks if counter else None,
    )
    return OnePageCRMBackend(client)


@pytest.fixture
def cache(tmp_path, sandbox):
    c = Cache(tmp_path / "cache.sqlite3", owner=identity(sandbox.base_url, sandbox.user_id)).open()
    yield c
    c.close()


async def full_stream(sandbox) -> dict[str, StreamEntry]:
    backend = inner_backend(sandbox)
    await backend.connect()
    entries = await backend.features.action_stream.action_stream_all()
    await backend.close()
    return {e.contact.id: e for e in entries}


def same(a: dict[str, StreamEntry], b: dict[str, StreamEntry]) -> None:
    assert set(a) == set(b)
    for cid in a:
        assert a[cid].model_dump(exclude={"contact": {"modified_at"}}) == b[cid].model_dump(exclude={"contact": {"modified_at"}}), cid


async def test_incremental_refresh_ends_with_what_a_full_fetch_gives(sandbox, cache) -> None:
    counter = Counting()
    backend = CachedBackend(inner_backend(sandbox, counter), cache)
    await backend.connect()
    counter.requests = counter.bytes = 0
    first = await backend.features.action_stream.action_stream_all()
    assert backend.last_sync["mode"] == "full"
    await flush_cache_writes()
    full_bytes = counter.bytes

    # Meanwhile, in the web app: one contact's action changes, one leaves the stream, one enters it.
    other = inner_backend(sandbox)
    await other.connect()
    changed = next(e for e in first if e.next_action is not None)
    await other.update_action(changed.next_action.id, text="Changed elsewhere")
    leaving = next(e for e in first if e.next_action is not None and not e.queued_actions and e.contact.id != changed.contact.id)
    await other.mark_done(leaving.next_action.id)
    newcomer = (await other.client.create_contact({"last_name": "Newcomer", "owner_id": sandbox.user_id})).contact.id
    await other.create_action(newcomer, "Say hello", ActionStatus.ASAP)
    await other.close()

    counter.requests = counter.bytes = 0
    again = await backend.features.action_stream.action_stream_all()
    assert backend.last_sync["mode"] == "incremental"
    fresh = await full_stream(sandbox)
    same({e.contact.id: e for e in again}, fresh)
    assert newcomer in fresh and fresh[changed.contact.id].next_action.text == "Changed elsewhere"
    assert counter.requests == 3  # what changed in the stream, which contacts changed at all, the stream's size
    assert counter.bytes < full_bytes / 3
    await flush_cache_writes()
    stored = cache.get_rows("stream", StreamEntry, sandbox.user_id)
    same({e.contact.id: e for e in stored}, fresh)  # the cache was brought up to date too
    await backend.close()


async def test_a_deleted_contact_makes_the_refresh_fall_back_to_a_full_fetch(sandbox, cache) -> None:
    backend = CachedBackend(inner_backend(sandbox), cache)
    await backend.connect()
    first = await backend.features.action_stream.action_stream_all()
    await flush_cache_writes()
    gone = first[0].contact.id
    await backend.inner.client.delete_contact(gone)  # deleted contacts are not in modified_since answers
    again = await backend.features.action_stream.action_stream_all()
    assert backend.last_sync["mode"] == "full"
    assert gone not in {e.contact.id for e in again}
    await backend.close()


async def test_offline_reads_come_from_the_cache_and_say_so(sandbox, cache) -> None:
    backend = CachedBackend(inner_backend(sandbox), cache)
    account = await backend.connect()
    stream = await backend.features.action_stream.action_stream_all()
    cid = stream[0].contact.id
    notes = await backend.features.history.notes(cid)
    await flush_cache_writes()
    await backend.close()

    dead = CachedBackend(inner_backend(sandbox, base_url="http://127.0.0.1:9/api/v3"), cache)
    assert (await dead.connect()).user.id == account.user.id
    assert dead.stale and dead.offline_since is not None
    assert [e.contact.id for e in await dead.features.action_stream.action_stream_all()] == [e.contact.id for e in stream] or \
        {e.contact.id for e in await dead.features.action_stream.action_stream_all()} == {e.contact.id for e in stream}
    assert await dead.features.history.notes(cid) == notes
    with pytest.raises(Offline, match="not in the local cache"):
        await dead.features.history.calls(cid)  # never fetched
    await dead.close()


async def test_offline_mode_never_touches_the_network(sandbox, cache) -> None:
    backend = CachedBackend(inner_backend(sandbox), cache)
    await backend.connect()
    await backend.features.action_stream.action_stream_all()
    await flush_cache_writes()
    await backend.close()

    counter = Counting()
    offline = CachedBackend(inner_backend(sandbox, counter), cache, offline=True)
    await offline.connect()
    assert await offline.features.action_stream.action_stream_all()
    with pytest.raises(Offline, match="Offline mode"):
        await offline.features.deals.pipelines()
    assert counter.requests == 0
    await offline.close()


async def test_modified_since_asks_the_server_with_its_own_clock(sandbox, cache) -> None:
    """The sandbox runs on another day than this machine: the refresh must use the server's time."""
    backend = CachedBackend(inner_backend(sandbox), cache)
    await backend.connect()
    server_now = await backend.inner.server_time()
    assert abs((server_now.date() - dt.date(2026, 3, 10)).days) <= 1
    await backend.close()


async def test_an_action_deleted_elsewhere_is_gone_after_an_incremental_refresh(sandbox, cache) -> None:
    backend = CachedBackend(inner_backend(sandbox), cache)
    await backend.connect()
    first = await backend.features.action_stream.action_stream_all()
    await flush_cache_writes()
    entry = next(e for e in first if e.next_action is not None and e.queued_actions)
    await backend.inner.delete_action(entry.next_action.id)  # in the web app
    again = {e.contact.id: e for e in await backend.features.action_stream.action_stream_all()}
    assert backend.last_sync["mode"] == "incremental"
    same(again, await full_stream(sandbox))
    await backend.close()


async def test_a_contact_re_read_here_is_kept_for_the_next_refresh(sandbox, cache) -> None:
    backend = CachedBackend(inner_backend(sandbox), cache)
    await backend.connect()
    first = await backend.features.action_stream.action_stream_all()
    entry = next(e for e in first if e.next_action is not None and not e.queued_actions)
    assert entry.contact.owner_id == sandbox.user_id  # the user's own contact: it stays in their stream
    await backend.inner.mark_done(entry.next_action.id)
    reread = await backend.features.action_stream.stream_entry(entry.contact.id)  # re-read after a change made here
    assert reread is not None and reread.contact.id == entry.contact.id and reread.in_stream
    assert reread.next_action is None and reread.queued_actions == []  # now under "No action"
    again = {e.contact.id: e for e in await backend.features.action_stream.action_stream_all()}
    same(again, await full_stream(sandbox))
    await backend.close()


async def test_companies_are_served_offline_from_the_cache_after_one_online_read(sandbox, cache) -> None:
    backend = CachedBackend(inner_backend(sandbox), cache)
    await backend.connect()
    contacts = backend.features.contacts
    made = await contacts.create_contact(Contact(id="", last_name="Cached", company_name="Cachet Couriers"))  # a write: sent
    assert made.company is not None and made.company.name == "Cachet Couriers"
    every = await contacts.companies()
    assert "Cachet Couriers" in {c.name for c in every} and not backend.stale
    searched = await contacts.companies("cou")
    assert searched and all("cou" in c.name.casefold() for c in searched)
    await flush_cache_writes()
    await backend.close()

    counter = Counting()
    offline = CachedBackend(inner_backend(sandbox, counter), cache, offline=True)
    await offline.connect()
    assert await offline.features.contacts.companies() == every and offline.stale
    assert await offline.features.contacts.companies("cou") == searched
    # A name never searched online: looked for in the whole list read before.
    assert [c.name for c in await offline.features.contacts.companies("CACHET")] == ["Cachet Couriers"]
    with pytest.raises(Offline, match="needs a connection"):
        await offline.features.contacts.find_contacts(search="Cached")  # a search of the server: never cached
    assert counter.requests == 0
    await offline.close()

    dead = CachedBackend(inner_backend(sandbox, base_url="http://127.0.0.1:9/api/v3"), cache)
    await dead.connect()
    assert await dead.features.contacts.companies() == every and dead.stale  # the server out of reach: the same
    await dead.close()


async def test_companies_never_read_are_not_made_up_offline(sandbox, cache) -> None:
    offline = CachedBackend(inner_backend(sandbox), cache, offline=True)
    with pytest.raises(Offline, match="not in the local cache"):
        await offline.features.contacts.companies()
    with pytest.raises(Offline, match="not in the local cache"):
        await offline.features.contacts.companies("acme")
    await offline.close()


async def test_an_offline_reload_keeps_changes_the_server_confirmed_since_the_cache_was_written(sandbox, cache) -> None:
    """Found trying the demo: a done confirmed by the server, then the server gone; the next reload
    (offline, so from the cache, whose stream predates the done) must not show the old action again."""
    from crmtui.service import Session
    from crmtui.service.commands import ToggleStar
    from crmtui.service.outbox import Outbox
    from tests.support.waits import HANG_GUARD

    backend = CachedBackend(inner_backend(sandbox), cache)
    session = Session(backend, outbox=Outbox(backend, base_delay=0.01, max_delay=0.1))
    session.local = backend
    await session.connect()
    await session.load_stream()
    await flush_cache_writes()  # the cache holds this stream
    entry = next(e for e in session.entries if not e.contact.starred)
    cid = entry.contact.id
    await session.run(ToggleStar(contact_id=cid, starred=True))
    assert await session.settled(HANG_GUARD)
    assert sandbox.state.tables["contacts"][cid]["starred"] is True  # the server has it

    sandbox.options.drop_rate = 1.0  # the server is out of reach
    await session.load_stream()
    assert backend.stale
    assert session.entry(cid).contact.starred  # still shown as the server has it, not as the cache had it
    await session.close()


async def test_a_confirmed_change_shown_without_a_re_read_is_what_the_next_start_paints(sandbox, cache) -> None:
    """Found by the e2e test of restarts: a star (answered in full, so never re-read) confirmed, then
    the app closed before any refresh; the next start paints the cache, which must have the star, not
    the stream as it was before it (and a cursor following that contact to its new place)."""
    from crmtui.service import Session
    from crmtui.service.commands import ToggleStar
    from crmtui.service.outbox import Outbox
    from tests.support.waits import HANG_GUARD

    backend = CachedBackend(inner_backend(sandbox), cache)
    session = Session(backend, outbox=Outbox(backend, base_delay=0.01, max_delay=0.1))
    session.local = backend
    await session.connect()
    await session.load_stream()
    await flush_cache_writes()
    cid = next(e for e in session.entries if not e.contact.starred).contact.id
    await session.run(ToggleStar(contact_id=cid, starred=True))
    assert await session.settled(HANG_GUARD)
    await session.close()  # waits for the cache's writes

    restarted = CachedBackend(inner_backend(sandbox), cache)
    assert await restarted.cached_account() is not None  # as the app starts: the account, then its stream
    painted = await restarted.cached_stream()
    assert painted is not None
    entries, _ = painted
    assert next(e for e in entries if e.contact.id == cid).contact.starred

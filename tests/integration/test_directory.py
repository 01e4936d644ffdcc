"""The directory against the sandbox over real loopback HTTP: a complete first read, kept in the cache so a
restart needs no request; a read stopped midway resumes at the page after the last one kept; a refresh
asks only for what changed (`modified_since`); a delete here drops the row at once, and a whole read
again drops what the server no longer has; offline, what is kept answers and nothing is asked.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from crmtui.service.cached import CachedBackend, flush_cache_writes
from crmtui.service.directory import ContactDirectory
from crmtui.store import Cache, identity
from tests.integration.test_capabilities import onepagecrm

CONTACTS = "/api/v3/contacts"
PER_PAGE = 7


def open_cache(sandbox, tmp_path) -> Cache:
    return Cache(tmp_path / "cache.sqlite3", owner=identity(sandbox.base_url, sandbox.user_id)).open()


async def directory(sandbox, cache: Cache, *, offline: bool = False) -> tuple[CachedBackend, ContactDirectory]:
    backend = CachedBackend(onepagecrm(sandbox), cache, offline=offline)
    await backend.connect()
    api = backend.features.directory
    assert api is not None
    found = ContactDirectory(backend, api, cache)
    found.per_page = PER_PAGE
    return backend, found


def on_server(sandbox) -> dict[str, dict]:
    return dict(sandbox.state.tables["contacts"])


async def closed(backend: CachedBackend, found: ContactDirectory) -> None:
    await found.flushed()
    await flush_cache_writes()
    await backend.close()


async def test_a_complete_read_is_kept_and_a_restart_needs_no_request(sandbox, tmp_path) -> None:
    cache = open_cache(sandbox, tmp_path)
    backend, found = await directory(sandbox, cache)
    await found.sync()
    server = on_server(sandbox)
    assert found.complete and set(found.rows) == set(server)
    pages = -(-len(server) // PER_PAGE)
    assert found.requests == pages and found.expected == len(server)
    some = next(iter(server.values()))
    row = found.rows[some["id"]]
    assert (row.first_name, row.last_name) == (some["first_name"], some["last_name"])
    await closed(backend, found)

    backend, again = await directory(sandbox, cache, offline=True)
    await again.load()
    assert again.complete and set(again.rows) == set(server) and again.requests == 0
    await closed(backend, again)
    cache.close()


async def test_a_read_stopped_midway_resumes_after_the_last_page_kept(sandbox, tmp_path) -> None:
    cache = open_cache(sandbox, tmp_path)
    backend, found = await directory(sandbox, cache)
    with sandbox.gate.hold("GET", CONTACTS, query={"page": "3"}) as held:
        task = found.start()
        await held.parked()
        found.stop()
        await asyncio.wait({task})
    assert found.state.page == 2 and not found.complete and found.kept == 2 * PER_PAGE
    await closed(backend, found)

    backend, again = await directory(sandbox, cache)
    await again.load()
    assert again.kept == 2 * PER_PAGE and again.state.page == 2
    await again.sync()
    server = on_server(sandbox)
    assert again.complete and set(again.rows) == set(server)
    assert again.requests == -(-len(server) // PER_PAGE) - 2  # pages 1 and 2 not asked again
    await closed(backend, again)
    cache.close()


async def test_a_refresh_asks_for_what_changed_and_a_delete_drops_the_row(sandbox, tmp_path) -> None:
    cache = open_cache(sandbox, tmp_path)
    backend, found = await directory(sandbox, cache)
    await found.sync()
    contacts = backend.features.contacts
    assert contacts is not None
    some = sorted(found.rows)[3]
    contact = await contacts.get_contact(some)
    await contacts.update_contact(contact.model_copy(update={"last_name": "Renamed-Directory"}))
    found.requests = 0
    await found.sync()  # a refresh: only the changed contacts' pages
    assert found.rows[some].last_name == "Renamed-Directory"
    assert found.requests < -(-len(found.rows) // PER_PAGE)

    gone = sorted(found.rows)[5]
    await contacts.delete_contact(gone)
    found.drop(gone)  # the session's own delete
    assert gone not in found.rows
    await closed(backend, found)

    backend, again = await directory(sandbox, cache, offline=True)
    await again.load()
    assert gone not in again.rows and again.rows[some].last_name == "Renamed-Directory"
    await closed(backend, again)
    cache.close()


async def test_a_whole_read_again_drops_what_the_server_no_longer_has(sandbox, tmp_path) -> None:
    cache = open_cache(sandbox, tmp_path)
    backend, found = await directory(sandbox, cache)
    await found.sync()
    contacts = backend.features.contacts
    assert contacts is not None
    gone = sorted(found.rows)[2]
    await contacts.delete_contact(gone)  # elsewhere: this directory is not told
    await found.sync()
    assert gone in found.rows  # a refresh does not see deletions
    assert found.state.full_at is not None
    found.state.full_at -= dt.timedelta(days=2)  # a whole read is due
    await found.sync()
    assert gone not in found.rows and set(found.rows) == set(on_server(sandbox))
    await closed(backend, found)
    cache.close()


async def test_offline_what_is_kept_answers_and_nothing_is_asked(sandbox, tmp_path) -> None:
    cache = open_cache(sandbox, tmp_path)
    backend, found = await directory(sandbox, cache)
    with sandbox.gate.hold("GET", CONTACTS, query={"page": "2"}) as held:
        task = found.start()
        await held.parked()
        found.stop()
        await asyncio.wait({task})
    await closed(backend, found)

    backend, offline = await directory(sandbox, cache, offline=True)
    await offline.sync()  # no connection: stops, keeps what it has
    assert offline.kept == PER_PAGE and not offline.complete and offline.requests == 0
    await closed(backend, offline)
    cache.close()


async def test_offline_the_finder_finds_someone_outside_the_stream_and_says_how_complete_it_is(sandbox, tmp_path) -> None:
    from crmtui.sandbox.onepagecrm import rules
    from crmtui.service.compose import compose
    from crmtui.service.directory import directory_for
    from crmtui.service.find import ContactFinder, ServerState
    from crmtui.ui.modals.find_contact import status_line

    cache = open_cache(sandbox, tmp_path)
    online = compose(onepagecrm(sandbox), cache=cache)
    await online.connect()
    await online.load_stream()
    kept = directory_for(online)
    assert kept is not None
    kept.per_page = PER_PAGE
    with sandbox.gate.hold("GET", CONTACTS, query={"page": "4", "team": "true"}) as held:
        task = kept.start()
        await held.parked()
        kept.stop()
        await asyncio.wait({task})
    await kept.flushed()
    await flush_cache_writes()
    members = set(rules.stream_members(sandbox.state, sandbox.user_id))
    outsider = next(row for row in kept.rows.values() if row.id not in members and row.last_name)
    await online.close()

    session = compose(onepagecrm(sandbox), cache=cache, offline=True)
    await session.connect()
    await session.load_stream()
    assert outsider.id not in {e.contact.id for e in session.entries}
    directory = directory_for(session)
    assert directory is not None
    await directory.load()
    finder = ContactFinder(session)
    result = finder.find(f"{outsider.first_name} {outsider.last_name}")
    assert outsider.id in [f.contact_id for f in result.found]
    hit = next(f for f in result.found if f.contact_id == outsider.id)
    assert not hit.loaded and hit.entry.contact.last_name == outsider.last_name
    assert result.from_directory >= 1 and result.server is ServerState.OFFLINE
    assert not result.complete and result.kept == 3 * PER_PAGE and result.expected == len(on_server(sandbox))
    assert f"{3 * PER_PAGE:,} of ~{len(on_server(sandbox)):,} contacts kept here" in status_line(result)
    assert "kept here" in status_line(finder.find(""))
    finder.close()
    await session.close()
    cache.close()


async def test_the_sessions_own_delete_drops_the_row_at_once(sandbox, tmp_path) -> None:
    from crmtui.service.compose import compose
    from crmtui.service.directory import directory_for

    cache = open_cache(sandbox, tmp_path)
    session = compose(onepagecrm(sandbox), cache=cache)
    await session.connect()
    await session.load_stream()
    directory = directory_for(session)
    assert directory is not None
    await directory.sync()
    doomed = session.entries[0].contact.id
    assert doomed in directory.rows
    await session.delete_contact(doomed)
    assert doomed not in directory.rows  # at once, before the server has answered
    await session.undo()
    assert doomed in directory.rows  # the undo brings it back
    await directory.flushed()
    await session.close()
    cache.close()

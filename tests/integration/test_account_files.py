"""Every file of the account (AccountFiles, the Files screen's service) on the real Pipedrive sandbox
over loopback: read a page of 100 at a time newest first, without a repeat or a gap when this app's
own upload or delete moves the server's offsets between pages; a refresh reads as many pages as were
read; uploads to a chosen lead, renames (undone) and deletes through the outbox; the last pages known
offline."""

from __future__ import annotations


import pytest

from crmtui.sandbox.pipedrive.files import new_file
from crmtui.service.cached import CachedBackend, flush_cache_writes
from crmtui.service.errors import CommandRefused
from crmtui.service.files import PAGE, AccountFiles
from crmtui.store import Cache, identity
from tests.support.pipedrive_sessions import backend_for, open_session
from tests.support.waits import HANG_GUARD

EXTRA = 230
"""Files added to the seed's five: three pages."""


@pytest.fixture
def many_files(pipedrive_sandbox):
    """The sandbox with EXTRA more files (on leads, persons and organizations) and a wide burst window."""
    sandbox = pipedrive_sandbox
    sandbox.limits.burst = 100_000
    add_files(sandbox, EXTRA)
    return sandbox


def add_files(sandbox, count: int) -> None:
    state = sandbox.state
    user = state.users()[0]
    leads = sorted(state.tables["leads"])
    persons = sorted(state.tables["persons"], key=int)
    with state.write():
        for i in range(count):
            links = [{"lead_id": leads[i % len(leads)]}, {"person_id": int(persons[i % len(persons)])}][i % 2]
            state.save("files", new_file(state, user, links, file_name=f"doc-{i:03d}.txt", name=f"doc-{i:03d}.txt", file_size=10 + i))


def active_ids(sandbox) -> list[str]:
    """The sandbox's files as the screen should list them all: newest (highest id) first."""
    docs = [d for d in sandbox.state.tables["files"].values() if d["active_flag"]]
    return [str(d["id"]) for d in sorted(docs, key=lambda d: -d["id"])]


async def read_all(files: AccountFiles) -> None:
    while files.more:
        assert await files.load_more()


async def test_the_files_are_read_a_page_at_a_time_newest_first(many_files, tmp_path) -> None:
    session = await open_session(many_files, tmp_path)
    files = AccountFiles(session)
    try:
        await files.load()
        every = active_ids(many_files)
        assert len(every) > 2 * PAGE
        assert [f.id for f in files.items] == every[:PAGE] and files.more
        assert await files.load_more()
        assert [f.id for f in files.items] == every[: 2 * PAGE] and files.more
        await read_all(files)
        assert [f.id for f in files.items] == every and not files.more
        assert not await files.load_more()  # nothing more to read: no request
        assert files.pages == 3
    finally:
        files.detach()
        await session.close()


async def test_a_refresh_reads_as_many_pages_as_were_read(many_files, tmp_path) -> None:
    session = await open_session(many_files, tmp_path)
    files = AccountFiles(session)
    try:
        await files.load()
        await files.load_more()
        add_files(many_files, 3)  # someone else adds files meanwhile
        await files.load()
        assert [f.id for f in files.items] == active_ids(many_files)[: 2 * PAGE] and files.pages == 2
    finally:
        files.detach()
        await session.close()


async def test_an_upload_between_pages_is_first_and_repeats_no_file(many_files, tmp_path) -> None:
    session = await open_session(many_files, tmp_path)
    files = AccountFiles(session)
    try:
        await files.load()
        lead_id = sorted(many_files.state.tables["leads"])[0]
        source = tmp_path / "fresh quote.pdf"
        source.write_bytes(b"%PDF quote")
        command = await files.upload(str(source), lead_id)
        assert files.items[0].id == command.file_id and files.pending(command.file_id)  # shown at once, first
        assert await session.settled(HANG_GUARD)
        made = session.outbox.server_id(command.file_id)
        assert files.items[0].id == made and not files.pending(made) and files.items[0].lead_id == lead_id
        await read_all(files)
        assert [f.id for f in files.items] == active_ids(many_files)  # every file once, in order
    finally:
        files.detach()
        await session.close()


async def test_a_delete_between_pages_leaves_no_gap(many_files, tmp_path) -> None:
    session = await open_session(many_files, tmp_path)
    files = AccountFiles(session)
    try:
        await files.load()
        doomed = files.items[50]
        await files.delete(doomed.id)
        assert files.find(doomed.id) is None  # gone at once
        assert await session.settled(HANG_GUARD)
        assert many_files.state.tables["files"][doomed.id]["active_flag"] is False
        await read_all(files)
        # The server's second page now starts a file earlier: the file that moved up is not skipped.
        assert [f.id for f in files.items] == active_ids(many_files)
    finally:
        files.detach()
        await session.close()


async def test_a_file_added_elsewhere_between_pages_is_not_listed_twice(many_files, tmp_path) -> None:
    session = await open_session(many_files, tmp_path)
    files = AccountFiles(session)
    try:
        await files.load()
        add_files(many_files, 2)  # the second page starts two files later than it did
        await read_all(files)
        shown = [f.id for f in files.items]
        assert len(shown) == len(set(shown)) and set(shown) <= set(active_ids(many_files))
    finally:
        files.detach()
        await session.close()


async def test_a_rename_goes_through_the_outbox_and_undo_sets_the_old_name_back(many_files, tmp_path) -> None:
    session = await open_session(many_files, tmp_path)
    files = AccountFiles(session)
    try:
        await files.load()
        item = next(f for f in files.items if not f.lead_id)  # a person's file: not only leads' files are renamed
        before = item.name
        await files.rename(item.id, "Signed contract.pdf")
        assert files.find(item.id).name == "Signed contract.pdf" and files.can_undo
        assert await session.settled(HANG_GUARD)
        assert many_files.state.tables["files"][item.id]["name"] == "Signed contract.pdf"
        assert await files.rename(item.id, "Signed contract.pdf") is None  # the same name: nothing sent
        await files.undo()
        assert files.find(item.id).name == before and not files.can_undo
        assert await session.settled(HANG_GUARD)
        assert many_files.state.tables["files"][item.id]["name"] == before
        with pytest.raises(CommandRefused, match="Nothing to undo"):
            await files.undo()
        with pytest.raises(CommandRefused, match="Choose a lead"):
            await files.upload(str(tmp_path), "")
    finally:
        files.detach()
        await session.close()


async def test_offline_the_pages_read_last_show(many_files, tmp_path) -> None:
    owner = identity(many_files.base_url, "pd")
    cache = Cache(tmp_path / "cache.sqlite3", owner=owner).open()
    online = await open_session(many_files, tmp_path, CachedBackend(backend_for(many_files), cache))
    files = AccountFiles(online)
    await files.load()
    await files.load_more()
    seen = [f.id for f in files.items]
    files.detach()
    await flush_cache_writes()
    await online.close()
    offline = await open_session(many_files, tmp_path / "offline", CachedBackend(backend_for(many_files), cache, offline=True))
    again = AccountFiles(offline)
    try:
        await again.load()
        await again.load_more()
        assert [f.id for f in again.items] == seen
        with pytest.raises(Exception, match="not in the local cache"):
            await again.load_more()  # the third page was never read
    finally:
        again.detach()
        await offline.close()
        cache.close()

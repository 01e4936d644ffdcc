"""A lead's files on the real Pipedrive sandbox over loopback: the files family (pages, a lead's files,
one file), upload and download with the bytes kept equal, a download redirected to the storage host
that never carries the token, and the file writes through the outbox: an upload copied at once and
sent exactly once after a lost answer, rename and delete."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import pytest

from crmtui.backends.pipedrive.adapter import PipedriveBackend
from crmtui.backends.pipedrive.client import PipedriveClient
from crmtui.domain.leads import Lead
from crmtui.sandbox.pipedrive.server import SandboxOptions, start_sandbox
from crmtui.service.errors import CommandRefused
from crmtui.service.file_commands import UploadFile
from crmtui.service.lead_files import UPLOADS, LeadFiles
from tests.conftest import SANDBOX_TODAY
from tests.integration.test_pipedrive_client import FAST, governor
from tests.support.pipedrive_sessions import backend_for, open_session
from tests.support.waits import HANG_GUARD, until

BYTES = bytes(range(256)) * 40 + b"\x00end"


def a_lead(sandbox) -> str:
    return next(iter(sandbox.state.tables["leads"]))


def files_on(sandbox, lead_id: str, *, name: str | None = None) -> list[dict]:
    return [
        doc for doc in sandbox.state.tables["files"].values()
        if doc["lead_id"] == lead_id and doc["active_flag"] and (name is None or doc["file_name"] == name)
    ]


def stored_bytes(doc: dict) -> bytes:
    return base64.b64decode(doc["_content"])


# -- the family ----------------------------------------------------------------------------------------


async def test_the_files_family_lists_a_leads_files_and_one_file(unlimited) -> None:
    backend = backend_for(unlimited)
    try:
        await backend.connect()
        api = backend.features.files
        assert api is not None
        table = unlimited.state.tables["files"]
        active = sorted((doc for doc in table.values() if doc["active_flag"]), key=lambda d: -d["id"])
        page = await api.files(limit=2)
        assert [f.id for f in page.items] == [str(d["id"]) for d in active[:2]]  # newest first
        assert page.next_start == 2
        on_leads = {doc["lead_id"] for doc in active if doc["lead_id"]}
        lead_id = sorted(on_leads)[0]
        mine = await api.files_of_lead(lead_id)
        assert {f.id for f in mine} == {str(d["id"]) for d in files_on(unlimited, lead_id)}
        assert all(f.lead_id == lead_id for f in mine)
        one = await api.file(mine[0].id)
        doc = table[mine[0].id]
        assert (one.file_name, one.size, one.lead_id) == (doc["file_name"], doc["file_size"], lead_id)
        deleted = next(doc for doc in table.values() if not doc["active_flag"])
        assert deleted["lead_id"] is None or str(deleted["id"]) not in {f.id for f in await api.files_of_lead(deleted["lead_id"])}
    finally:
        await backend.close()


async def test_upload_then_download_keeps_the_bytes(unlimited, tmp_path) -> None:
    backend = backend_for(unlimited)
    source = tmp_path / "quote 2026.pdf"
    source.write_bytes(BYTES)
    progress: list[tuple[int, int]] = []
    try:
        api = backend.features.files
        assert api is not None
        lead_id = a_lead(unlimited)
        made = await api.upload(source, lead_id, on_progress=lambda done, total: progress.append((done, total)))
        assert made.file_name == "quote 2026.pdf" and made.size == len(BYTES) and made.lead_id == lead_id
        assert stored_bytes(unlimited.state.tables["files"][made.id]) == BYTES
        assert progress[-1] == (len(BYTES), len(BYTES))
        dest = tmp_path / "back.pdf"
        assert await api.download(made.id, dest) == dest
        assert dest.read_bytes() == BYTES
        renamed = await api.rename(made.id, "Quote (signed).pdf")
        assert renamed.name == "Quote (signed).pdf" and renamed.file_name == "quote 2026.pdf"
        await api.delete_file(made.id)
        assert made.id not in {f.id for f in await api.files_of_lead(lead_id)}
    finally:
        await backend.close()


async def test_a_redirected_download_never_carries_the_token(tmp_path) -> None:
    # The storage host answers 401 to any request with a credential header: the bytes arriving prove none went.
    options = SandboxOptions(today=SANDBOX_TODAY, leads=20, frozen_clock=True, redirect_downloads=True, burst=100_000)
    with start_sandbox(options) as sandbox:
        requests: list[tuple[str, bool]] = []

        async def seen(request) -> None:
            carried = any(h.lower() in ("x-api-token", "authorization") for h in request.headers)
            requests.append((request.url.host + ":" + str(request.url.port), carried))

        client = PipedriveClient(
            sandbox.api_token, base_url=sandbox.base_url, governor=governor(sandbox), retry=FAST,
            event_hooks={"request": [seen]},
        )
        backend = PipedriveBackend(client)
        try:
            api = backend.features.files
            assert api is not None
            doc = next(d for d in sandbox.state.tables["files"].values() if d["active_flag"] and d.get("_content"))
            dest = tmp_path / "redirected.bin"
            await api.download(str(doc["id"]), dest)
            assert dest.read_bytes() == stored_bytes(doc)
        finally:
            await backend.close()
    api_host = sandbox.base_url.split("//", 1)[1].split("/", 1)[0]
    assert requests[0] == (api_host, True)  # the API itself gets the token
    # The event hook sees requests of the API's own client only; the storage hop is a bare client:
    # none of the API client's requests went anywhere but the API.
    assert all(host == api_host for host, _ in requests)


async def test_a_download_to_a_bad_path_says_what_is_wrong(unlimited, tmp_path) -> None:
    session = await open_session(unlimited, tmp_path, load_leads=True)
    lead_id = next(d["lead_id"] for d in unlimited.state.tables["files"].values() if d["lead_id"] and d["active_flag"])
    files = LeadFiles(session, lead_id)
    await files.load()
    item = files.items[0]
    with pytest.raises(CommandRefused, match="No folder"):
        await files.download(item.id, str(tmp_path / "no" / "such" / "folder" / "x.bin"))
    taken = tmp_path / "taken.bin"
    taken.write_bytes(b"mine")
    with pytest.raises(CommandRefused, match="already exists"):
        await files.download(item.id, str(taken))
    saved = await files.download(item.id, str(tmp_path))  # a folder: the file's own name in it
    assert saved == tmp_path / item.file_name and saved.stat().st_size == item.size
    files.detach()
    await session.close()


# -- through the outbox ----------------------------------------------------------------------------------


async def test_an_upload_is_copied_at_once_and_sent_from_the_copy(unlimited, tmp_path) -> None:
    session = await open_session(unlimited, tmp_path, load_leads=True)
    lead_id = a_lead(unlimited)
    files = LeadFiles(session, lead_id)
    await files.load()
    source = tmp_path / "notes.txt"
    source.write_bytes(BYTES)
    held = unlimited.gate.hold("POST", "/api/v1/files")
    command = await files.upload(str(source))
    copy = Path(command.stored_path)
    assert copy.parent.parent == tmp_path / "profile" / UPLOADS and await asyncio.to_thread(copy.read_bytes) == BYTES
    assert files.items[0].id == command.file_id and files.pending(command.file_id)  # shown at once
    source.write_bytes(b"changed after the upload was asked for")
    await held.parked()
    held.release()
    assert await session.settled(HANG_GUARD)
    [made] = files_on(unlimited, lead_id, name="notes.txt")
    assert stored_bytes(made) == BYTES
    assert files.items[0].id == str(made["id"]) and not files.pending(str(made["id"]))
    assert not await asyncio.to_thread(copy.exists)  # the copy goes once the server has the file
    files.detach()
    await session.close()


async def test_an_upload_survives_a_restart(unlimited, tmp_path) -> None:
    session = await open_session(unlimited, tmp_path, load_leads=True)
    session.outbox.hold("offline for the test")
    lead_id = a_lead(unlimited)
    source = tmp_path / "kept.csv"
    source.write_bytes(BYTES)
    await LeadFiles(session, lead_id).upload(str(source))
    await session.close()
    session.outbox.close()
    assert files_on(unlimited, lead_id, name="kept.csv") == []  # not sent: held
    source.unlink()  # the original is gone: the copy is what is sent
    again = await open_session(unlimited, tmp_path, load_leads=True)
    await again.outbox.open()
    again.outbox.start()
    assert await again.settled(HANG_GUARD)
    [made] = files_on(unlimited, lead_id, name="kept.csv")
    assert stored_bytes(made) == BYTES
    await again.close()


async def test_a_lost_answer_is_reconciled_without_a_second_file(unlimited, tmp_path) -> None:
    session = await open_session(unlimited, tmp_path, load_leads=True)
    lead_id = a_lead(unlimited)
    files = LeadFiles(session, lead_id)
    await files.load()
    source = tmp_path / "lost.bin"
    source.write_bytes(BYTES)
    unlimited.options.lose_rate = 1.0  # the file is made, its answer dropped
    try:
        command = await files.upload(str(source))
        await until(lambda: session.outbox.retried > 0, "the upload applied and its answer lost")
    finally:
        unlimited.options.lose_rate = 0.0
    assert await session.settled(HANG_GUARD)
    made = files_on(unlimited, lead_id, name="lost.bin")
    assert len(made) == 1 and session.outbox.reconciled >= 1
    assert session.outbox.server_id(command.file_id) == str(made[0]["id"])
    assert [f.id for f in files.items].count(str(made[0]["id"])) == 1
    files.detach()
    await session.close()


async def test_rename_and_delete_go_through_the_outbox(unlimited, tmp_path) -> None:
    session = await open_session(unlimited, tmp_path, load_leads=True)
    lead_id = next(d["lead_id"] for d in unlimited.state.tables["files"].values() if d["lead_id"] and d["active_flag"])
    files = LeadFiles(session, lead_id)
    await files.load()
    item = files.items[0]
    await files.rename(item.id, "Renamed here.pdf")
    assert files.find(item.id).name == "Renamed here.pdf"  # shown at once
    assert await session.settled(HANG_GUARD)
    assert unlimited.state.tables["files"][item.id]["name"] == "Renamed here.pdf"
    with pytest.raises(CommandRefused, match="needs a name"):
        await files.rename(item.id, "   ")
    await files.delete(item.id)
    assert files.find(item.id) is None
    assert await session.settled(HANG_GUARD)
    assert unlimited.state.tables["files"][item.id]["active_flag"] is False
    files.detach()
    await session.close()


def test_an_upload_command_round_trips_through_the_outbox_file() -> None:
    from crmtui.service.command_registry import command_from_dict

    command = UploadFile(lead_id="l1", file_id="local-0123456789abcdef", file_name="a.txt", stored_path="/x/a.txt", size=3)
    assert command_from_dict(command.model_dump(mode="json")) == command
    assert isinstance(Lead(id="x"), Lead)

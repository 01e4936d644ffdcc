"""Pipedrive's files behind the `FilesApi` family: the client's /files calls, mapped to `FileItem`.

Pipedrive has no list of one lead's files: `files_of_lead` reads every page of /files (20 tokens a
page of 100; the cache keeps the answer) and keeps the lead's. A download is written to a file
beside its destination and moved into place once whole, so a failed one leaves nothing half
written; a redirect to storage is followed without the token (`ApiHttp.download`).
"""

from __future__ import annotations

import asyncio
import mimetypes
import os
import tempfile
from pathlib import Path

from crmtui.backends.base import ProgressCallback
from crmtui.backends.pipedrive import wire
from crmtui.backends.pipedrive.client import PipedriveClient
from crmtui.domain.files import FileItem, FilesPage

NEWEST_FIRST = "id DESC"


def map_file(item: wire.File) -> FileItem:
    return FileItem(
        id=item.id, name=item.name, file_name=item.file_name, description=item.description, file_type=item.file_type,
        size=int(item.file_size or 0), user_id=item.user_id, lead_id=item.lead_id, person_id=item.person_id,
        organization_id=item.org_id, deal_id=item.deal_id, add_time=item.add_time, update_time=item.update_time,
        remote_location=item.remote_location, active=item.active_flag, lead_name=item.lead_name,
        person_name=item.person_name, organization_name=item.org_name, deal_name=item.deal_name,
    )


def write_whole(dest: Path, content: bytes) -> None:
    """Write `content` to `dest` through a temporary file beside it (renamed into place once written)."""
    handle, temp = tempfile.mkstemp(prefix=".crmtui-", suffix=".part", dir=dest.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(temp, dest)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


class PipedriveFiles:
    """The `files` family of a Pipedrive backend."""

    def __init__(self, client: PipedriveClient) -> None:
        self.client = client

    async def files(self, *, start: int = 0, limit: int = 100, sort: str = NEWEST_FIRST) -> FilesPage:
        page = await self.client.files(start=start, limit=limit, sort=sort)
        following = None
        if page.more and page.items:
            following = page.next_start if page.next_start is not None else start + len(page.items)
        return FilesPage(items=[map_file(f) for f in page.items], next_start=following)

    async def files_of_lead(self, lead_id: str) -> list[FileItem]:
        every = await self.client.files_all(sort=NEWEST_FIRST)
        return [map_file(f) for f in every if f.lead_id == lead_id and f.active_flag]

    async def file(self, file_id: str) -> FileItem:
        return map_file(await self.client.file(file_id))

    async def download(self, file_id: str, dest: Path, *, on_progress: ProgressCallback | None = None) -> Path:
        if on_progress is not None:
            on_progress(0, 0)
        content = await self.client.download_file(file_id)
        await asyncio.to_thread(write_whole, dest, content)
        if on_progress is not None:
            on_progress(len(content), len(content))
        return dest

    async def upload(self, path: Path, lead_id: str, *, on_progress: ProgressCallback | None = None) -> FileItem:
        content = await asyncio.to_thread(path.read_bytes)
        if on_progress is not None:
            on_progress(0, len(content))
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        made = await self.client.upload_file(path.name, content, lead_id=lead_id, content_type=kind)
        if on_progress is not None:
            on_progress(len(content), len(content))
        return map_file(made)

    async def rename(self, file_id: str, name: str, description: str | None = None) -> FileItem:
        return map_file(await self.client.update_file(file_id, name=name, description=description))

    async def delete_file(self, file_id: str) -> None:
        await self.client.delete_file(file_id)

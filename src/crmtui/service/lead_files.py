"""One lead's files (Pipedrive), as shown: the server's list with the file changes on their way laid
over it, and the file verbs. Uploads, renames and deletes go through the outbox (offline, exactly
once); a download needs the network and writes straight to the path asked for.

An upload copies the chosen file into the profile's data directory at once (`uploads/`): the
outbox may send it after a restart, when the original has moved or changed. The copy is removed
once the server has the file.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from crmtui.backends.base import ProgressCallback
from crmtui.backends.errors import BackendError
from crmtui.domain.files import FileItem
from crmtui.service.commands import Command, new_local_id
from crmtui.service.errors import CommandRefused
from crmtui.service.features import files_api
from crmtui.service.file_commands import FILES, DeleteFile, FileCommand, RenameFile, UploadFile, watch_upload
from crmtui.service.outbox import DISCARDED, SENT, OutboxEvent
from crmtui.service.signals import Signal

if TYPE_CHECKING:
    from crmtui.service.session import Session

UPLOADS = "uploads"
"""The folder beside the outbox that keeps the copies of files waiting to be uploaded."""
MAX_UPLOAD_BYTES = 100 * 1024 * 1024
"""Larger files are refused before anything is copied (Pipedrive's own limit is about this)."""


def uploads_dir(session: Session) -> Path:
    """Where upload copies are kept: beside the profile's outbox (a temporary folder for an outbox in memory)."""
    path = session.outbox.store.path
    if path is not None:
        return Path(path).parent / UPLOADS
    return Path(tempfile.gettempdir()) / f"crmtui-{UPLOADS}-{os.getuid() if hasattr(os, 'getuid') else 'user'}"


def default_download_dir() -> Path:
    """~/Downloads when there is one, else the current folder."""
    downloads = Path.home() / "Downloads"
    return downloads if downloads.is_dir() else Path.cwd()


def download_target(item: FileItem, text: str) -> Path:
    """Where `text` (what the person typed; empty: the default folder) says to save `item`: a folder
    gets the file's own name. Raises CommandRefused with what is wrong with the path."""
    raw = text.strip()
    place = Path(raw).expanduser() if raw else default_download_dir()
    if place.is_dir():
        name = Path(item.file_name or item.name or f"file-{item.id}").name or f"file-{item.id}"
        place = place / name
    if place.exists():
        raise CommandRefused(f"{place} already exists: give another name or folder")
    if not place.parent.is_dir():
        raise CommandRefused(f"No folder {place.parent}")
    if not os.access(place.parent, os.W_OK):
        raise CommandRefused(f"The folder {place.parent} cannot be written to")
    return place


class LeadFiles:
    """The files of one lead, as shown."""

    def __init__(self, session: Session, lead_id: str) -> None:
        self.session = session
        self.lead_id = lead_id
        self.server: list[FileItem] = []
        self.items: list[FileItem] = []
        """As shown: newest first, with the changes on their way."""
        self.loaded = False
        self.changes: Signal[frozenset[str] | None] = Signal()
        """Emitted after the files shown change (always None: any of them)."""
        self._confirmed: list[FileCommand] | None = None
        """File changes confirmed while a load was on its way (applied to what it brings)."""
        self._unsubscribe = session.outbox.subscribe(self._on_outbox)

    def detach(self) -> None:
        self._unsubscribe()

    def _mine(self, command: Command) -> FileCommand | None:
        outbox = self.session.outbox
        resolved = outbox.resolved(command, FileCommand)
        return resolved if resolved is not None and outbox.server_id(resolved.lead_id) == outbox.server_id(self.lead_id) else None

    def _rebuild(self) -> None:
        items = list(self.server)
        for command in self.session.outbox.unsettled(section=FILES):
            mine = self._mine(command)
            if mine is not None:
                items = mine.predict_files(items)
        self.items = items
        self.changes.emit(None)

    def _on_outbox(self, event: OutboxEvent) -> None:
        mine = self._mine(event.command)
        if mine is None:
            return
        if event.kind == SENT:
            self.server = mine.predict_files(self.server)
            if self._confirmed is not None:
                self._confirmed.append(mine)
        if isinstance(event.command, UploadFile) and event.kind in (SENT, DISCARDED):
            remove_copy(Path(event.command.stored_path))
        self._rebuild()

    def find(self, file_id: str) -> FileItem | None:
        real = self.session.outbox.server_id(file_id)
        return next((f for f in self.items if f.id in (file_id, real)), None)

    def pending(self, file_id: str) -> bool:
        """Whether a change of the file is still on its way (an upload not made yet, a rename...)."""
        real = self.session.outbox.server_id(file_id)
        return any(
            (mine := self._mine(c)) is not None and mine.file_id in (file_id, real)
            for c in self.session.outbox.unsettled(section=FILES)
        )

    async def load(self) -> None:
        """Read the lead's files (every page of the account's files: the API has no per-lead list)."""
        self._confirmed = []
        try:
            fresh = await files_api(self.session.backend).files_of_lead(self.session.outbox.server_id(self.lead_id))
            for command in self._confirmed:  # confirmed while the read was on its way: it may predate them
                fresh = command.predict_files(fresh)
        finally:
            self._confirmed = None
        self.server = fresh
        self.loaded = True
        self._rebuild()

    # -- changes ---------------------------------------------------------------------------------
    async def run(self, command: Command) -> None:
        await self.session.queue(command)

    async def upload(self, path_text: str, on_progress: ProgressCallback | None = None) -> UploadFile:
        """Upload the file at `path_text` to the lead: copied at once into the profile's data
        directory, then sent by the outbox. Raises CommandRefused for a path that is no file."""
        return await upload_copy(self.session, path_text, self.lead_id, on_progress)

    async def rename(self, file_id: str, name: str) -> RenameFile | None:
        item = self.find(file_id)
        if item is None:
            raise CommandRefused("That file is no longer in the list")
        if name.strip() == item.name:
            return None
        command = RenameFile(
            lead_id=self.lead_id, file_id=item.id, name=name.strip(), before=item.name, label=f"Rename file: {item.title}"
        )
        command.check_name()
        await self.run(command)
        return command

    async def delete(self, file_id: str) -> DeleteFile:
        item = self.find(file_id)
        if item is None:
            raise CommandRefused("That file is no longer in the list")
        command = DeleteFile(lead_id=self.lead_id, file_id=item.id, name=item.title, label=f"Delete file: {item.title}")
        await self.run(command)
        return command

    async def download(self, file_id: str, dest_text: str, on_progress: ProgressCallback | None = None) -> Path:
        """Save the file's bytes where `dest_text` says (a folder, a file path, or empty: ~/Downloads or
        the current folder). Needs the network; raises CommandRefused for a bad path."""
        item = self.find(file_id)
        if item is None:
            raise CommandRefused("That file is no longer in the list")
        if self.pending(item.id) and isinstance(self._upload_of(item.id), UploadFile):
            raise CommandRefused("That file is not uploaded yet")
        return await save_file(self.session, item, dest_text, on_progress)

    def _upload_of(self, file_id: str) -> UploadFile | None:
        for command in self.session.outbox.unsettled(section=FILES):
            if isinstance(command, UploadFile) and command.file_id == file_id:
                return command
        return None



async def upload_copy(session: Session, path_text: str, lead_id: str, on_progress: ProgressCallback | None) -> UploadFile:
    """Upload the file at `path_text` to the lead `lead_id`: copied at once into the profile's data
    directory (`uploads_dir`), then sent by the outbox (the copy removed when it is not written there)."""
    source, copy, size = await asyncio.to_thread(copy_in, path_text, uploads_dir(session))
    command = UploadFile(
        lead_id=lead_id, file_id=new_local_id(), file_name=source.name, stored_path=str(copy), size=size,
        label=f"Upload {source.name}",
    )
    if on_progress is not None:
        watch_upload(command.file_id, on_progress)
    try:
        await session.queue(command)
    except BaseException:
        remove_copy(copy)
        raise
    return command


async def save_file(session: Session, item: FileItem, dest_text: str, on_progress: ProgressCallback | None) -> Path:
    """Save the file's bytes where `dest_text` says (`download_target`). Needs the network; raises
    CommandRefused for a path that cannot be written."""
    target = await asyncio.to_thread(download_target, item, dest_text)
    try:
        return await files_api(session.backend).download(item.id, target, on_progress=on_progress)
    except BackendError:
        raise
    except OSError as exc:
        raise CommandRefused(f"{target} could not be written: {exc.strerror or exc}") from None

def copy_in(path_text: str, uploads: Path) -> tuple[Path, Path, int]:
    """(the file asked for, its copy in a folder of its own under `uploads`, its size)."""
    raw = path_text.strip()
    if not raw:
        raise CommandRefused("Give the path of a file to upload")
    source = Path(raw).expanduser()
    if source.is_dir():
        raise CommandRefused(f"{source} is a folder: give a file")
    if not source.is_file():
        raise CommandRefused(f"No file at {source}")
    try:
        size = source.stat().st_size
        if size > MAX_UPLOAD_BYTES:
            raise CommandRefused(f"{source.name} is over {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
        home = uploads / uuid.uuid4().hex
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        copy = home / source.name
        shutil.copyfile(source, copy)
    except OSError as exc:
        raise CommandRefused(f"{source} could not be read: {exc.strerror or exc}") from None
    return source, copy, size


def remove_copy(copy: Path) -> None:
    """Remove an upload's copy and its folder (made for it alone)."""
    try:
        copy.unlink(missing_ok=True)
        if copy.parent.name and copy.parent.parent.name == UPLOADS:
            copy.parent.rmdir()
    except OSError:
        pass


__all__ = ["LeadFiles", "copy_in", "download_target", "remove_copy", "uploads_dir"]

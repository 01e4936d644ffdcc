"""Changes to files (Pipedrive): upload a file to a lead, rename one, delete one.

An upload keeps its bytes in a copy made when it is asked for (in the profile's data directory,
`stored_path`), never only the person's path: the outbox may send it after a restart, when the
original has moved or changed. Uploading is not idempotent (a second POST makes a second file), so
after an attempt whose answer was lost `reconcile` looks among the newest files (id DESC) for one
on the same lead with the same name and size, added since the first attempt, that no other upload
has claimed. Renaming sets the name (sending it twice leaves it as once; undo sets the old name
back). Deleting cannot be undone (Pipedrive has no undelete): the screen asks first.

A file made here is shown at once under a local id (`file_id`), which gives way to the server's.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar, Literal

from crmtui.backends.base import Backend, ProgressCallback
from crmtui.backends.errors import NotFound
from crmtui.domain.files import FileItem
from crmtui.domain.subjects import subject
from crmtui.service.commands import Command, MakesOne, made_after
from crmtui.service.errors import CommandRefused
from crmtui.service.features import files_api

FILES = "files"
"""The section of file changes (a lead's files follow them)."""
FILE = "file"
"""The subject kind of a file: `file:<id>`."""
RECONCILE_WINDOW = 100
"""The newest files looked through after an upload whose answer was lost (one page of /files)."""

_progress: dict[str, ProgressCallback] = {}
"""Upload progress listeners by the upload's local file id (this process only: a screen showing it)."""


def watch_upload(file_id: str, listener: ProgressCallback) -> Callable[[], None]:
    """Call `listener(sent, total)` while the upload of `file_id` is sent; returns the way to stop."""
    _progress[file_id] = listener

    def stop() -> None:
        if _progress.get(file_id) is listener:
            del _progress[file_id]

    return stop


class FileCommand(Command):
    contact_id: str = ""
    lead_id: str
    """The lead the file belongs to (whose files show the change)."""
    file_id: str

    section: ClassVar[str] = FILES

    @property
    def subject(self) -> str:
        return subject(FILE, self.file_id)

    def predict_files(self, files: list[FileItem]) -> list[FileItem]:
        """The lead's files as this change leaves them."""
        return files


class UploadFile(MakesOne, FileCommand):
    """Upload a copy of a file to a lead (POST /files, multipart)."""

    kind: Literal["pipedrive_upload_file"] = "pipedrive_upload_file"
    made_field: ClassVar[str] = "file_id"
    file_name: str
    stored_path: str
    """The copy made when the upload was asked for: what is sent."""
    size: int = 0
    made_at: dt.datetime | None = None
    created: FileItem | None = None
    """The file as the server made it (its answer, or the one `reconcile` found)."""

    def stamp(self, now: dt.datetime) -> None:
        if self.made_at is None:
            self.made_at = now

    def shown(self) -> FileItem:
        if self.created is not None:
            return self.created
        return FileItem(
            id=self.file_id, name=self.file_name, file_name=self.file_name, size=self.size, lead_id=self.lead_id,
            add_time=self.made_at, update_time=self.made_at,
        )

    def predict_files(self, files: list[FileItem]) -> list[FileItem]:
        mine = self.shown()
        return [mine, *(f for f in files if f.id not in (mine.id, self.file_id))]

    async def execute(self, backend: Backend) -> None:
        path = Path(self.stored_path)
        if not await asyncio.to_thread(path.is_file):
            raise CommandRefused(f"The copy of “{self.file_name}” kept for the upload is gone ({path})")
        self.created = await files_api(backend).upload(path, self.lead_id, on_progress=_progress.get(self.file_id))

    async def reconcile(self, backend: Backend, since: dt.datetime | None, claimed: set[str]) -> bool:
        """An attempt whose answer was lost: a file like this one added to the lead since the first attempt is it."""
        page = await files_api(backend).files(sort="id DESC", limit=RECONCILE_WINDOW)
        for item in page.items:
            if item.id in claimed or item.lead_id != self.lead_id or not made_after(item.add_time, since):
                continue
            if item.file_name == self.file_name and (not self.size or item.size == self.size):
                self.created = item
                return True
        return False

    def describe(self) -> str:
        return self.label or f"Upload {self.file_name}"

    def inverse(self) -> Command:
        raise CommandRefused("An uploaded file is taken back by deleting it (Delete on the lead's files)")


class RenameFile(FileCommand):
    """Give a file another name (PUT /files/{id})."""

    kind: Literal["pipedrive_rename_file"] = "pipedrive_rename_file"
    name: str
    before: str = ""
    updated: FileItem | None = None

    answered: ClassVar[bool] = True

    def check_name(self) -> None:
        if not self.name.strip():
            raise CommandRefused("A file needs a name")

    def predict_files(self, files: list[FileItem]) -> list[FileItem]:
        if self.updated is not None:
            return [self.updated if f.id == self.updated.id else f for f in files]
        return [f.model_copy(update={"name": self.name}) if f.id == self.file_id else f for f in files]

    async def execute(self, backend: Backend) -> None:
        self.updated = await files_api(backend).rename(self.file_id, self.name)

    def describe(self) -> str:
        return self.label or f"Rename file: {self.name}"

    def inverse(self) -> Command:
        return RenameFile(
            lead_id=self.lead_id, file_id=self.file_id, name=self.before, before=self.name, label=f"Undo: {self.describe()}"
        )


class DeleteFile(FileCommand):
    """Delete a file (Pipedrive keeps it 30 days but has no undelete)."""

    kind: Literal["pipedrive_delete_file"] = "pipedrive_delete_file"
    name: str = ""

    removes: ClassVar[bool] = True

    def predict_files(self, files: list[FileItem]) -> list[FileItem]:
        return [f for f in files if f.id != self.file_id]

    async def execute(self, backend: Backend) -> None:
        try:
            await files_api(backend).delete_file(self.file_id)
        except NotFound:
            return  # already gone: what was asked is so

    def describe(self) -> str:
        return self.label or f"Delete file: {self.name}"

    def inverse(self) -> Command:
        raise CommandRefused("A deleted file cannot be brought back (Pipedrive has no undelete)")

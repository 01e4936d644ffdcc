"""Every file of the account (Pipedrive's /files), newest first, as shown: the pages read so far with
the file changes on their way laid over them, and the file verbs on any file.

The list is read a page at a time (the API pages by 100): `load` reads the first page (on a refresh,
as many pages as were read before), `load_more` the next one, as the person scrolls. A change this
app makes moves the server's offsets (an upload adds a file before every other, a delete takes one
out), so the next page's start follows it; a page that still repeats a file (another client added
one meanwhile) is read without the repeat.

Uploads, renames and deletes go through the outbox as a lead's files do (service/file_commands.py):
an upload is copied at once into the profile's data directory and sent from the copy; a rename can
be undone (the old name set back); a delete cannot (Pipedrive keeps a deleted file 30 days, but has
no undelete). Offline, the pages read last show (the files family is cached).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from crmtui.backends.base import ProgressCallback
from crmtui.domain.files import FileItem
from crmtui.domain.leads import Lead
from crmtui.service.commands import Command
from crmtui.service.errors import CommandRefused
from crmtui.service.features import files_api, leads_api
from crmtui.service.file_commands import FILES, DeleteFile, FileCommand, RenameFile, UploadFile
from crmtui.service.lead_files import remove_copy, save_file, upload_copy
from crmtui.service.outbox import DISCARDED, SENT, OutboxEvent
from crmtui.service.signals import Signal

if TYPE_CHECKING:
    from crmtui.service.session import Session

PAGE = 100
"""Files a page (the most /files answers at once)."""
NEWEST_FIRST = "id DESC"


class AccountFiles:
    """The account's files, newest first, as far as they have been read."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.server: list[FileItem] = []
        """The files read from the server, newest first, with this app's confirmed changes applied."""
        self.items: list[FileItem] = []
        """As shown: the server's with the changes on their way."""
        self.next_start: int | None = 0
        """Where the next page starts on the server (None: every file has been read)."""
        self.pages = 0
        """Pages read since the list was last read from its start."""
        self.loaded = False
        self.undo_stack: list[RenameFile] = []
        self.changes: Signal[frozenset[str] | None] = Signal()
        """Emitted after the files shown change (always None: any of them)."""
        self._reading = asyncio.Lock()
        self._confirmed: list[FileCommand] | None = None
        """File changes confirmed while a read was on its way (applied to what it brings)."""
        self._unsubscribe = session.outbox.subscribe(self._on_outbox)

    def detach(self) -> None:
        self._unsubscribe()

    # -- reading -------------------------------------------------------------------------------
    @property
    def more(self) -> bool:
        """Whether the server has files not read yet."""
        return self.loaded and self.next_start is not None

    @property
    def reading(self) -> bool:
        return self._reading.locked()

    async def load(self) -> None:
        """Read the list from its start again: as many pages as were read before (at least one)."""
        async with self._reading:
            pages = max(self.pages, 1)
            self._confirmed = []
            fresh: list[FileItem] = []
            start: int | None = 0
            read = 0
            try:
                while start is not None and read < pages:
                    page = await files_api(self.session.backend).files(start=start, limit=PAGE, sort=NEWEST_FIRST)
                    fresh = _joined(fresh, page.items)
                    start = page.next_start
                    read += 1
                for command in self._confirmed:  # confirmed while the read was on its way: it may predate them
                    fresh = command.predict_files(fresh)
            finally:
                self._confirmed = None
            self.server, self.next_start, self.pages, self.loaded = fresh, start, read, True
        self._rebuild()

    async def load_more(self) -> bool:
        """Read the next page (nothing when every file is read or a read is on its way): whether one was read."""
        if not self.more or self._reading.locked():
            return False
        async with self._reading:
            start = self.next_start
            if start is None:
                return False
            self._confirmed = []
            try:
                page = await files_api(self.session.backend).files(start=start, limit=PAGE, sort=NEWEST_FIRST)
                older = page.items
                for command in self._confirmed:  # a new file is already first; renames and deletes apply
                    if not isinstance(command, UploadFile):
                        older = command.predict_files(older)
            finally:
                self._confirmed = None
            self.server = _joined(self.server, older)
            self.next_start = page.next_start
            self.pages += 1
        self._rebuild()
        return True

    def find(self, file_id: str) -> FileItem | None:
        real = self.session.outbox.server_id(file_id)
        return next((f for f in self.items if f.id in (file_id, real)), None)

    def pending(self, file_id: str) -> bool:
        """Whether a change of the file is still on its way (an upload not made yet, a rename...)."""
        real = self.session.outbox.server_id(file_id)
        return any(c.file_id in (file_id, real) for c in self._unsettled())

    def uploading(self, file_id: str) -> bool:
        real = self.session.outbox.server_id(file_id)
        return any(isinstance(c, UploadFile) and c.file_id in (file_id, real) for c in self._unsettled())

    async def lead(self, lead_id: str) -> Lead:
        """The lead a file is attached to, read from the server (one not in the inbox's list)."""
        return await leads_api(self.session.backend).lead(self.session.outbox.server_id(lead_id))

    # -- the overlay ---------------------------------------------------------------------------
    def _unsettled(self) -> list[FileCommand]:
        outbox = self.session.outbox
        out: list[FileCommand] = []
        for command in outbox.unsettled(section=FILES):
            resolved = outbox.resolved(command, FileCommand)
            if resolved is not None:
                out.append(resolved)
        return out

    def _rebuild(self) -> None:
        items = [f for f in self.server if f.active]
        for command in self._unsettled():
            items = command.predict_files(items)
        self.items = items
        self.changes.emit(None)

    def _on_outbox(self, event: OutboxEvent) -> None:
        if not isinstance(event.command, FileCommand):
            return
        resolved = self.session.outbox.with_server_ids(event.command)
        assert isinstance(resolved, FileCommand)
        if event.kind == SENT:
            before = {f.id for f in self.server}
            self.server = resolved.predict_files(self.server)
            if self.next_start is not None and not self._reading.locked():
                # The server's offsets moved: a new file comes before every other, a deleted one is gone.
                if isinstance(resolved, UploadFile):
                    self.next_start += 1
                elif isinstance(resolved, DeleteFile) and resolved.file_id in before:
                    self.next_start = max(self.next_start - 1, 0)
            if self._confirmed is not None:
                self._confirmed.append(resolved)
        if isinstance(event.command, UploadFile) and event.kind in (SENT, DISCARDED):
            remove_copy(Path(event.command.stored_path))
        self._rebuild()

    # -- changes ---------------------------------------------------------------------------------
    async def run(self, command: Command) -> None:
        await self.session.queue(command)

    async def upload(self, path_text: str, lead_id: str, on_progress: ProgressCallback | None = None) -> UploadFile:
        """Upload the file at `path_text` to the lead `lead_id`: copied at once into the profile's data
        directory, then sent by the outbox. Raises CommandRefused for a path that is no file."""
        if not lead_id:
            raise CommandRefused("Choose a lead to attach the file to")
        return await upload_copy(self.session, path_text, lead_id, on_progress)

    def _existing(self, file_id: str) -> FileItem:
        item = self.find(file_id)
        if item is None:
            raise CommandRefused("That file is no longer in the list")
        return item

    async def rename(self, file_id: str, name: str) -> RenameFile | None:
        """Give the file another name (None: the name it has already); `undo` sets the old one back."""
        item = self._existing(file_id)
        if name.strip() == item.name:
            return None
        command = RenameFile(
            lead_id=item.lead_id or "", file_id=item.id, name=name.strip(), before=item.name or item.file_name,
            label=f"Rename file: {item.title}",
        )
        command.check_name()
        await self.run(command)
        self.undo_stack.append(command)
        return command

    async def delete(self, file_id: str) -> DeleteFile:
        """Delete the file (no undo: Pipedrive keeps it 30 days but has no undelete)."""
        item = self._existing(file_id)
        command = DeleteFile(lead_id=item.lead_id or "", file_id=item.id, name=item.title, label=f"Delete file: {item.title}")
        await self.run(command)
        self.undo_stack = [c for c in self.undo_stack if c.file_id != item.id]
        return command

    @property
    def can_undo(self) -> bool:
        return bool(self.undo_stack)

    async def undo(self) -> RenameFile:
        """Set the name of the last renamed file back. Raises CommandRefused when there is nothing to undo."""
        if not self.undo_stack:
            raise CommandRefused("Nothing to undo here (only a rename can be undone: Pipedrive has no undelete)")
        last = self.undo_stack[-1]
        if self.find(last.file_id) is None:
            self.undo_stack.pop()
            raise CommandRefused("That file is no longer in the list")
        command = last.inverse()
        assert isinstance(command, RenameFile)
        await self.run(command)
        self.undo_stack.pop()
        return command

    async def download(self, file_id: str, dest_text: str, on_progress: ProgressCallback | None = None) -> Path:
        """Save the file's bytes where `dest_text` says (a folder, a file path, or empty: ~/Downloads or
        the current folder). Needs the network; raises CommandRefused for a bad path."""
        item = self._existing(file_id)
        if self.uploading(item.id):
            raise CommandRefused("That file is not uploaded yet")
        return await save_file(self.session, item, dest_text, on_progress)


def _joined(first: list[FileItem], then: list[FileItem]) -> list[FileItem]:
    """`first` and then what of `then` it does not hold already (a file repeated across pages once)."""
    seen = {f.id for f in first}
    return [*first, *(f for f in then if f.id not in seen)]


__all__ = ["PAGE", "AccountFiles"]

"""What the files screen (4) and a lead's detail do alike with a file: download it (asks where), the
progress bar of a download or an upload, rename it, delete it (asks first). Each screen says where its
files come from (`files`, `file_list`), how its progress pane shows (`_show_busy`) and what its
rename and delete say (`RENAMED`, `DELETE_WARNING`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import ClassVar, Protocol

from textual import work
from textual.widgets import ProgressBar, Static

from crmtui.backends.errors import BackendError
from crmtui.domain.files import FileItem
from crmtui.service.errors import CommandRefused
from crmtui.service.file_commands import UploadFile
from crmtui.service.lead_files import default_download_dir
from crmtui.ui.failures import failure_title
from crmtui.ui.modals.pickers import ConfirmModal
from crmtui.ui.modals.text_prompt import TextPromptModal
from crmtui.ui.screens.base import CrmScreen
from crmtui.ui.widgets.row_list import RowList

Progress = Callable[[int, int], None]
"""Told (bytes done, bytes in all; 0 when not known) as a transfer goes."""


class FileService(Protocol):
    """What both screens' file services (AccountFiles, LeadFiles) answer."""

    def pending(self, file_id: str) -> bool: ...

    async def download(self, file_id: str, dest_text: str, on_progress: Progress | None = None) -> Path: ...

    async def rename(self, file_id: str, name: str) -> object: ...

    async def delete(self, file_id: str) -> object: ...


class FileActions(CrmScreen[None]):
    """Mixed into a screen that lists files (a RowList of FileItem) with a progress pane under it."""

    BUSY_ID: ClassVar[str]
    """The ids of the line saying what is under way and of its progress bar."""
    PROGRESS_ID: ClassVar[str]
    RENAMED: ClassVar[str] = "Renamed to “{name}”"
    """Said when a rename is made ({name}: the new name)."""
    DELETE_WARNING: ClassVar[str]
    """The question's text before a delete ({title}: the file's)."""

    busy = ""
    """What is under way (a download, an upload), shown over the progress bar."""

    @property
    def files(self) -> FileService:
        raise NotImplementedError

    @property
    def file_list(self) -> RowList[FileItem]:
        raise NotImplementedError

    def _show_busy(self, shown: bool) -> None:
        """Show or hide the progress pane."""
        raise NotImplementedError

    # -- progress --------------------------------------------------------------------------------
    def _progress(self, what: str) -> Progress:
        busy = self.query_one(self.BUSY_ID, Static)
        bar = self.query_one(self.PROGRESS_ID, ProgressBar)
        self.busy = what
        busy.update(what)
        self._show_busy(True)
        bar.update(total=None, progress=0)

        def step(done: int, total: int) -> None:
            bar.update(total=total or None, progress=done)

        return step

    def _done(self) -> None:
        self.busy = ""
        self._show_busy(False)

    # -- verbs -----------------------------------------------------------------------------------
    def _selected_file(self) -> FileItem | None:
        item = self.file_list.selected
        if item is None:
            self.notify("No file selected", severity="warning", timeout=2)
        return item

    def action_download(self) -> None:
        item = self._selected_file()
        if item is None:
            return
        folder = default_download_dir()

        def chosen(text: str | None) -> None:
            if text is not None:
                self._download(item, text)

        self.app.push_screen(
            TextPromptModal(
                f"Save “{item.title}” to", str(folder / (item.file_name or item.title)),
                placeholder="A folder or a file path", hint="Enter save · Esc cancel",
            ),
            chosen,
        )

    @work(group="file-download", exit_on_error=False)
    async def _download(self, item: FileItem, text: str) -> None:
        step = self._progress(f"Downloading {item.title}…")
        try:
            path = await self.files.download(item.id, text, on_progress=step)
        except CommandRefused as exc:
            self.notify(str(exc), title="Not downloaded", severity="warning", timeout=6)
            return
        except BackendError as exc:
            self.notify(exc.user_message, title=failure_title(exc), severity="error", timeout=6)
            return
        finally:
            self._done()
            self.app.update_gauge()
        self.notify(f"Saved {path}", timeout=4)

    async def _uploading(self, text: str, upload: Callable[[Progress], Awaitable[UploadFile]]) -> UploadFile | None:
        """Run `upload` (given the progress to report to) under the progress bar; None when refused or
        failed (and said)."""
        name = Path(text.strip()).name or text.strip()
        step = self._progress(f"Uploading {name}…")

        def progress(done: int, total: int) -> None:
            step(done, total)
            if total and done >= total:
                self._done()

        try:
            command = await upload(progress)
        except CommandRefused as exc:
            self._done()
            self.notify(str(exc), title="Not uploaded", severity="warning", timeout=6)
            return None
        except BackendError as exc:
            self._done()
            self.notify(exc.user_message, title=failure_title(exc), severity="error", timeout=6)
            return None
        if not self.files.pending(command.file_id):
            self._done()
        return command

    def action_rename(self) -> None:
        item = self._selected_file()
        if item is None:
            return

        def chosen(text: str | None) -> None:
            if text is not None:
                self._change("renamed", self.files.rename(item.id, text), self.RENAMED.format(name=text.strip()))

        self.app.push_screen(
            TextPromptModal(f"Rename “{item.title}”", item.name or item.file_name, placeholder="The file's name"), chosen
        )

    def _ask_delete(self) -> None:
        item = self._selected_file()
        if item is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._change("deleted", self.files.delete(item.id), f"“{item.title}” deleted")

        self.app.push_screen(
            ConfirmModal("Delete this file?", self.DELETE_WARNING.format(title=item.title), confirm_label="Delete"),
            confirmed,
        )

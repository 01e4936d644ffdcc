"""Top-level screen 4 on Pipedrive: files. Every file of the account, newest first, read a page of 100
at a time as the list is scrolled (the line above the list says "N files · more on the server" while
some are not read): its name, what it is attached to (the lead's title when the lead is in the
inbox's list, else the kind of record and its id), size, who added it and when; the file under the
cursor in full beside the list (below it when narrow).

Keys: `Enter` opens the lead the file is attached to, `d` downloads it (asks where), `A` uploads a
file (asks for its path, then a lead of the inbox, typed to narrow), `n` renames (`r` refreshes here,
as on every top-level screen), `u` undoes a rename, `Delete` deletes (asks first: Pipedrive keeps a
deleted file 30 days but has no undelete). Uploads, renames and deletes go through the outbox like
every change; a download needs the network. Offline, the pages read last show (the cache).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Static

from crmtui.backends.errors import BackendError
from crmtui.domain.files import FileItem, human_size
from crmtui.domain.formatting import account_now, format_date, format_datetime
from crmtui.domain.leads import Lead
from crmtui.service.files import AccountFiles
from crmtui.service.leads import LeadsInbox
from crmtui.ui.failures import failure_title
from crmtui.ui.follow import FollowsServices, follow
from crmtui.ui.modals.lead_picker import LeadPickerModal
from crmtui.ui.modals.text_prompt import TextPromptModal
from crmtui.ui.reconnect import load_failed
from crmtui.ui.screens.file_actions import FileActions
from crmtui.ui.screens.loading import LoadsWhenConnected
from crmtui.ui.widgets.footer import KeyFooter
from crmtui.ui.widgets.header import AppHeader
from crmtui.ui.widgets.progress import StillProgressBar
from crmtui.ui.widgets.row_list import TITLES, Cell, Column, RowList, layout

WIDE = 120
"""From this width the file's details show beside the list, not below it."""
NEAR_END = 20
"""The next page is read when the cursor comes this close to the last file read."""


class FileList(RowList[FileItem]):
    """The files; says when its width changed (the screen sets the column titles to it)."""

    class Resized(Message):
        pass

    def on_resize(self, event: events.Resize) -> None:  # RowList's own handler runs too (Textual calls each class's)
        self.post_message(self.Resized())


class FilesScreen(FollowsServices, FileActions, LoadsWhenConnected):
    """Every file of the account, newest first."""

    FOOTER_ORDER = ("open", "download", "upload", "rename", "delete", "undo", "refresh")
    CHANGES_GROUP = "files-changes"
    BUSY_ID = "#files-busy"
    PROGRESS_ID = "#files-progress"
    RENAMED = "Renamed to “{name}” (u undoes)"
    DELETE_WARNING = (
        "“{title}” is deleted from Pipedrive. Pipedrive keeps a deleted file 30 days, but has no undelete: crmtui "
        "cannot bring it back."
    )
    BINDINGS = [
        Binding("enter", "open", "Open lead", tooltip="Open the lead the file is attached to"),
        Binding("d", "download", "Download", tooltip="Save the file under the cursor (asks where)"),
        Binding("A", "upload", "Upload", tooltip="Upload a file to a lead (asks for its path, then the lead)"),
        Binding("n", "rename", "Rename", tooltip="Rename the file under the cursor"),
        Binding("delete", "delete", "Delete", tooltip="Delete the file (asks first; Pipedrive keeps it 30 days, but has no undelete)"),
        Binding("u", "undo", "Undo", tooltip="Undo the last rename"),
        Binding("r", "refresh", "Refresh", tooltip="Read the files again (as many pages as were read)"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._files: AccountFiles | None = None
        self._titles: dict[str, str] = {}
        """The inbox's leads' titles by id (what "attached to" shows)."""
        self._unfollow: list[Callable[[], None]] = []

    @property
    def files(self) -> AccountFiles:
        if self._files is None:
            self._files = AccountFiles(self.app.session)
        return self._files

    @property
    def inbox(self) -> LeadsInbox:
        return self.app.session.leads

    def compose(self) -> ComposeResult:
        yield AppHeader(id="header")
        yield Static("", id="files-bar", markup=False)
        with Horizontal(id="files-body"):
            yield FileList(self._columns(), key=lambda item: item.id, id="files-list")
            with VerticalScroll(id="file-detail-scroll"):
                yield Static("", id="file-detail")
        with Vertical(id="files-busy-pane"):
            yield Static("", id="files-busy", markup=False)
            yield StillProgressBar(id="files-progress", show_eta=False)
        yield KeyFooter()

    @property
    def file_list(self) -> FileList:
        return self.query_one("#files-list", FileList)

    def _show_busy(self, shown: bool) -> None:
        self.query_one("#files-busy-pane").display = shown

    # -- lifecycle -----------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.query_one(AppHeader).title = "Files"
        self._unfollow = [
            follow(self, self.files.changes, lambda _none: self._show()),
            follow(self, self.inbox.changes, lambda _changed: self._inbox_changed()),
        ]
        self._reload_when_online()
        self.query_one("#files-busy-pane").display = False
        self.file_list.empty_text = "Loading files…"
        self.file_list.focus()
        self._read_titles()
        self._say("Loading files…")
        self._load_when_connected()

    def _loaded(self) -> bool:
        return self.files.loaded

    def on_unmount(self) -> None:
        for stop in self._unfollow:
            stop()
        if self._files is not None:
            self._files.detach()

    def on_resize(self) -> None:
        self.query_one("#files-body").set_class(self.size.width >= WIDE, "-wide")

    @on(FileList.Resized)
    def _list_resized(self, event: FileList.Resized) -> None:
        event.stop()
        self._show()  # the column titles follow the list's width

    # -- loading -------------------------------------------------------------------------------
    @work(exclusive=True, group="files-load", exit_on_error=False)
    async def load(self) -> None:
        try:
            await self.files.load()
        except BackendError as exc:
            self._failed(exc)
            return
        self.load_error = None
        self._show()

    @work(group="files-more", exit_on_error=False)
    async def load_more(self) -> None:
        if not self.files.more or self.files.reading:
            return
        self._say(self._status() + " · reading more…")
        try:
            await self.files.load_more()
        except BackendError as exc:
            self.notify(exc.user_message, title=failure_title(exc), severity="error", timeout=6)
            load_failed(self, [exc])
        self._show()

    # -- showing -------------------------------------------------------------------------------
    def _say(self, text: str) -> None:
        self.query_one("#files-bar", Static).update(text)

    def _status(self) -> str:
        files = self.files
        count = len(files.items)
        status = f"{count:,} file{'s' if count != 1 else ''}"
        if files.more:
            status += " · more on the server"
        return status + " · newest first"

    def _show(self) -> None:
        files = self.files
        lst = self.file_list
        lst.set_rows([(self._titles_line(), TITLES, files.items)])
        if self.load_error is not None and not files.loaded:
            lst.empty_text = f"Files not loaded: {self.load_error.user_message} (r retries)"
            self._say(f"Not loaded (r retries): {self.load_error.user_message}")
        elif files.loaded:
            lst.empty_text = "No files: A uploads one"
            self._say(self._status())
        lst.redraw()
        self._show_detail(lst.selected)
        self.refresh_bindings()
        self.app.update_gauge()

    def _titles_line(self) -> str:
        """The columns' titles, over their columns (the list's section line: its count follows them)."""
        lst = self.file_list
        width = max(lst.scrollable_content_region.width or self.size.width, 40)
        # The section line starts a cell in: the first title one cell shorter keeps the others over their columns.
        return " ".join(
            column.title.rjust(size) if column.right else column.title.ljust(size - (i == 0))
            for i, (column, size) in enumerate(layout(lst.columns, width))
        ).rstrip()

    def _inbox_changed(self) -> None:
        self._read_titles()
        self.file_list.redraw()
        self._show_detail(self.file_list.selected)

    def _read_titles(self) -> None:
        self._titles = {lead.id: lead.title or "(no title)" for lead in self.inbox.items}

    def _attached(self, item: FileItem, *, whole: bool = False) -> tuple[str, str, bool]:
        """(what the file is attached to, as shown; the kind of record: "lead", "person"...; whether
        it is a lead of the inbox's list). A lead's title from the inbox first, then the names the
        server sent with the file, then the kind of record and its id (a lead's UUID cut short
        unless `whole`)."""
        names = self.inbox.names
        if item.lead_id:
            title = self._titles.get(self.app.session.outbox.server_id(item.lead_id))
            if title is not None:
                return (title, "lead", True)
            short = item.lead_id if whole or len(item.lead_id) <= 12 else item.lead_id[:8] + "…"
            return (item.lead_name or f"lead {short}", "lead", False)
        if item.deal_id:
            return (item.deal_name or f"deal {item.deal_id}", "deal", False)
        if item.person_id:
            name = item.person_name or names.get(f"person:{item.person_id}")
            return (name or f"person {item.person_id}", "person", False)
        if item.organization_id:
            name = item.organization_name or names.get(f"organization:{item.organization_id}")
            return (name or f"organization {item.organization_id}", "organization", False)
        return ("", "", False)

    def _added_by(self, item: FileItem) -> str:
        account = self.app.session.account
        if not item.user_id:
            return ""
        return account.user_name(item.user_id) if account is not None else item.user_id

    def _when(self, moment: dt.datetime | None, *, time: bool = True) -> str:
        if moment is None:
            return ""
        account = self.app.session.account
        if account is None:
            return moment.strftime("%Y-%m-%d %H:%M" if time else "%Y-%m-%d")
        if time:
            return format_datetime(moment, account)
        return format_date(account_now(account, moment).date(), account.date_format)

    def _columns(self) -> list[Column[FileItem]]:
        def state(item: FileItem) -> Cell:
            return ("↑" if self.files.uploading(item.id) else "•" if self.files.pending(item.id) else "", "attention")

        def attached(item: FileItem) -> Cell:
            text, kind, in_inbox = self._attached(item)
            named = text and not text.startswith(f"{kind} ")
            return (f"{text} ({kind})" if named and kind != "lead" else text, "" if in_inbox else "dim")

        return [
            Column("", state, width=1, priority=9),
            Column("Name", lambda item: (item.title, "strong"), share=3, min_width=12, priority=9),
            Column("Attached to", attached, share=4, min_width=12, priority=8),
            Column("Size", lambda item: (human_size(item.size), "dim"), width=8, right=True, priority=6),
            Column("Added by", lambda item: (self._added_by(item), "dim"), share=2, min_width=10, priority=5),
            Column("Date", lambda item: (self._when(item.add_time, time=False), "dim"), width=10, priority=7),
        ]

    def _show_detail(self, item: FileItem | None) -> None:
        self.query_one("#file-detail", Static).update(self.detail(item))

    def detail(self, item: FileItem | None) -> Text:
        text = Text()
        if item is None:
            text.append("No file selected" if self.files.loaded else "", style="italic")
            return text
        text.append(item.title, style="bold")
        if self.files.uploading(item.id):
            text.append("  (uploading…)", style="italic")
        elif self.files.pending(item.id):
            text.append("  (saving…)", style="italic")
        text.append("\n")
        attached, kind, in_inbox = self._attached(item, whole=True)
        named = attached and not attached.startswith(f"{kind} ")
        rows: list[tuple[str, str]] = [
            ("File name", item.file_name if item.file_name != item.title else ""),
            ("Attached to", f"{attached} ({kind}{'' if in_inbox or kind != 'lead' else ', not in the inbox'})" if named else attached),
            ("Size", f"{human_size(item.size)} ({item.size:,} bytes)"),
            ("Type", item.file_type),
            ("Added by", self._added_by(item)),
            ("Added", self._when(item.add_time)),
            ("Updated", self._when(item.update_time) if item.update_time != item.add_time else ""),
            ("Stored in", item.remote_location),
            ("Id", item.id),
        ]
        shown = [(name, value) for name, value in rows if value]
        width = max(len(name) for name, _ in shown)
        for name, value in shown:
            text.append(f"{name:<{width}}  ", style="dim")
            text.append(f"{value}\n")
        if item.description:
            text.append("\n" + item.description + "\n")
        if item.lead_id:
            text.append("\nEnter opens the lead", style="dim italic")
        text.rstrip()
        return text

    @on(RowList.Highlighted)
    def _highlighted(self, event: RowList.Highlighted) -> None:
        event.stop()
        item = event.item if isinstance(event.item, FileItem) else None
        self._show_detail(item)
        files = self.files
        if item is not None and files.more and not files.reading:
            items = self.file_list.items
            index = next((i for i in range(len(items) - 1, -1, -1) if items[i].id == item.id), 0)
            if index >= len(items) - NEAR_END:
                self.load_more()

    @on(RowList.Selected)
    def _chosen(self, event: RowList.Selected) -> None:
        """Enter on the list (the list takes the key before the screen's binding): the file's lead."""
        event.stop()
        self.action_open()

    # -- verbs -----------------------------------------------------------------------------------
    def action_open(self) -> None:
        item = self._selected_file()
        if item is None:
            return
        if not item.lead_id:
            attached, kind, _in_inbox = self._attached(item)
            named = attached and not attached.startswith(f"{kind} ")
            where = f": this one is attached to {attached}" + (f" ({kind})" if named else "") if attached else ""
            self.notify(f"Only a lead's files open a page here{where}", severity="warning", timeout=4)
            return
        self._open_lead(item.lead_id)

    @work(group="files-open", exit_on_error=False)
    async def _open_lead(self, lead_id: str) -> None:
        from crmtui.ui.screens.lead_detail import LeadDetailScreen

        lead: Lead | None = self.inbox.find(self.app.session.outbox.server_id(lead_id))
        if lead is None:  # not in the inbox's list (someone else's, archived...): read it
            try:
                lead = await self.files.lead(lead_id)
            except BackendError as exc:
                self.notify(exc.user_message, title=failure_title(exc), severity="error", timeout=6)
                return
            finally:
                self.app.update_gauge()
        self.app.push_screen(LeadDetailScreen(lead))

    def action_upload(self) -> None:
        def chosen(text: str | None) -> None:
            if text is None:
                return
            source = Path(text.strip()).expanduser()
            if not text.strip():
                self.notify("Give the path of a file to upload", title="Not uploaded", severity="warning", timeout=5)
            elif source.is_dir():
                self.notify(f"{source} is a folder: give a file", title="Not uploaded", severity="warning", timeout=5)
            elif not source.is_file():
                self.notify(f"No file at {source}", title="Not uploaded", severity="warning", timeout=5)
            else:
                self._pick_lead(text)

        self.app.push_screen(
            TextPromptModal(
                "Upload a file", str(Path.cwd()) + "/", placeholder="The file's path", hint="Enter next: the lead · Esc cancel"
            ),
            chosen,
        )

    def _pick_lead(self, path_text: str) -> None:
        name = Path(path_text.strip()).name
        selected = self.file_list.selected
        current = self.app.session.outbox.server_id(selected.lead_id) if selected is not None and selected.lead_id else None

        def chosen(lead_id: str | None) -> None:
            if lead_id:
                self._upload(path_text, lead_id)

        self.app.push_screen(
            LeadPickerModal(
                f"Attach “{name}” to which lead?", self.inbox.items, matches=self.inbox.matches,
                describe=self.inbox.who, current=current,
            ),
            chosen,
        )

    @work(group="files-changes", exit_on_error=False)
    async def _upload(self, text: str, lead_id: str) -> None:
        command = await self._uploading(text, lambda progress: self.files.upload(text, lead_id, on_progress=progress))
        if command is None:
            return
        self.file_list.select_key(command.file_id)
        title = self._titles.get(self.app.session.outbox.server_id(lead_id), "the lead")
        self.notify(f"Uploading {command.file_name} to “{title}” (kept until Pipedrive has it)", timeout=3)

    def action_delete(self) -> None:
        self._ask_delete()

    def action_undo(self) -> None:
        self._change("undone", self.files.undo(), "Rename undone")

    def action_refresh(self) -> None:
        self._say(self._status() + " · reading again…" if self.files.loaded else "Loading files…")
        self.load()

"""A lead's detail (Pipedrive), opened with Enter on the leads inbox: every field of the lead (custom
ones by their names from the account's lead fields), its labels in their colours, the person's and
organization's names, its next activity (type, subject, when: red when overdue, green today; read by
its id when the inbox does not know it; only where the backend has activities), who can see it (its
visibility and the users the server permits, by name, read once in the background when the screen
opens; offline the last answer kept, or just the visibility), and its files.

Keys: `d` download the file under the cursor (asks where: ~/Downloads or the current folder unless
told), `A` upload a file to the lead (asks for its path), `r` rename the file, `Delete` delete it
(asks first: Pipedrive has no undelete), `y` copy the lead's id, its cc email or its web link
(OSC 52), `x` archive or bring back, `s` seen / unseen, `Esc` back to the inbox. Uploads, renames
and deletes go through the outbox like every change; a download needs the network.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Static

from crmtui.backends.errors import BackendError
from crmtui.domain.activities import Activity, Due, due_state, duration_text
from crmtui.domain.files import FileItem, human_size
from crmtui.domain.formatting import activity_when, format_date, format_datetime
from crmtui.domain.leads import Lead, LeadField
from crmtui.service.lead_files import LeadFiles
from crmtui.service.leads import LeadsInbox
from crmtui.ui.follow import FollowsServices, follow
from crmtui.ui.label_colours import chip_style
from crmtui.ui.modals.contact_pickers import Choice, ChoiceModal
from crmtui.ui.modals.text_prompt import TextPromptModal
from crmtui.ui.screens.file_actions import FileActions
from crmtui.ui.widgets.footer import KeyFooter
from crmtui.ui.widgets.header import AppHeader
from crmtui.ui.widgets.progress import StillProgressBar
from crmtui.ui.widgets.row_list import Cell, Column, RowList

WIDE = 140
"""From this width the files show beside the fields, not below them."""

DUE_STYLES = {Due.OVERDUE: "bold red", Due.TODAY: "bold green"}
"""The next activity's colour when it is overdue or due today (else the text's own)."""

VISIBILITY = {"1": "Owner & followers", "3": "Entire company", "5": "Owner's visibility group", "7": "Owner's group and sub-groups"}

SHOWN_USERS = 3
"""How many permitted users are named before the rest is an ellipsis."""


def who_can_see(visible_to: str, user_ids: list[str] | None, name: Callable[[str], str]) -> str:
    """ "Entire company · 10 users: Alex Morgan, Priya Shah, Tom Byrne, …"; the visibility alone
    until the users are known."""
    words = VISIBILITY.get(visible_to, visible_to)
    if user_ids is None:
        return words
    count = f"{len(user_ids)} user{'' if len(user_ids) == 1 else 's'}"
    names = [name(user_id) for user_id in user_ids[:SHOWN_USERS]] + (["…"] if len(user_ids) > SHOWN_USERS else [])
    users = f"{count}: {', '.join(names)}" if names else count
    return " · ".join(part for part in (words, users) if part)


def money(lead: Lead) -> str:
    if lead.value is None:
        return ""
    amount = lead.value.amount
    text = f"{amount:,.0f}" if amount == int(amount) else f"{amount:,.2f}"
    return f"{text} {lead.value.currency}".strip()


def custom_value(field: LeadField, raw: Any, lead: Lead) -> str:
    """A custom field's value as people read it: options by their labels, money with its currency."""
    if raw is None or raw == "":
        return ""
    if field.field_type == "enum":
        return field.options.get(str(raw), str(raw))
    if field.field_type == "set":
        ids = raw if isinstance(raw, list) else str(raw).split(",")
        return ", ".join(field.options.get(str(i).strip(), str(i).strip()) for i in ids if str(i).strip())
    if field.field_type == "monetary":
        currency = lead.custom.get(f"{field.key}_currency") or ""
        return f"{raw} {currency}".strip()
    if field.field_type == "daterange":
        until = lead.custom.get(f"{field.key}_until")
        return f"{raw} – {until}" if until else str(raw)
    if isinstance(raw, dict):
        return str(raw.get("name") or raw.get("value") or "")
    if isinstance(raw, list):
        return ", ".join(str(v) for v in raw)
    return str(raw)


class LeadDetailScreen(FollowsServices, FileActions):
    """One lead with its files."""

    FOOTER_ORDER = ("download", "upload", "rename", "delete_file", "copy", "archive", "seen", "back")
    CHANGES_GROUP = "lead-detail-changes"
    BUSY_ID = "#file-busy"
    PROGRESS_ID = "#file-progress"
    DELETE_WARNING = "“{title}” is deleted from Pipedrive. This cannot be undone: Pipedrive has no undelete."

    BINDINGS = [
        Binding("d", "download", "Download", tooltip="Save the file under the cursor (asks where)"),
        Binding("A", "upload", "Upload", tooltip="Upload a file to the lead (asks for its path)"),
        Binding("r", "rename", "Rename", tooltip="Rename the file under the cursor"),
        Binding("delete", "delete_file", "Delete file", tooltip="Delete the file (asks first; Pipedrive has no undelete)"),
        Binding("y", "copy", "Copy", tooltip="Copy the lead's id, cc email or web link"),
        Binding("x", "archive", "Archive", tooltip="Archive the lead (or bring an archived one back)"),
        Binding("s", "seen", "Seen", tooltip="Mark seen / unseen"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, lead: Lead) -> None:
        super().__init__()
        self.lead = lead
        self.lead_id = lead.id
        self.files_loaded = False
        self.files_failed = ""
        self._unfollow: list[Callable[[], None]] = []
        self.lead_files: LeadFiles | None = None
        self.reading_activity = False
        """The lead's next activity is being read (the inbox did not know it)."""
        self.permitted: list[str] | None = None
        """The ids of the users who may see the lead, once read (None until then, or when unknown)."""

    @property
    def inbox(self) -> LeadsInbox:
        return self.app.session.leads

    @property
    def files(self) -> LeadFiles:
        if self.lead_files is None:
            self.lead_files = LeadFiles(self.app.session, self.lead_id)
        return self.lead_files

    def _columns(self) -> list[Column[FileItem]]:
        account = self.app.session.account
        files = self.files

        def added(item: FileItem) -> Cell:
            if item.add_time is None:
                return ("", "dim")
            return (format_datetime(item.add_time, account) if account else item.add_time.strftime("%Y-%m-%d %H:%M"), "dim")

        def state(item: FileItem) -> Cell:
            return ("↑" if files.pending(item.id) else "", "attention")

        return [
            Column("", state, width=1, priority=9),
            Column("File", lambda item: (item.title, ""), share=4, min_width=14, priority=9),
            Column("Size", lambda item: (human_size(item.size), "dim"), width=8, right=True, priority=6),
            Column("Added", added, width=17, priority=5),
        ]

    def compose(self) -> ComposeResult:
        yield AppHeader(id="header")
        with Horizontal(id="lead-detail-body"):
            with VerticalScroll(id="lead-facts-scroll"):
                yield Static("", id="lead-facts")
            with Vertical(id="lead-files-pane"):
                yield RowList[FileItem](self._columns(), key=lambda item: item.id, id="lead-files")
                yield Static("", id="file-busy", markup=False)
                yield StillProgressBar(id="file-progress", show_eta=False)
        yield KeyFooter()

    @property
    def file_list(self) -> RowList[FileItem]:
        return self.query_one("#lead-files", RowList)

    def _show_busy(self, shown: bool) -> None:
        self.query_one("#file-busy").display = shown
        self.query_one("#file-progress").display = shown

    # -- lifecycle -----------------------------------------------------------------------------
    def on_mount(self) -> None:
        self._unfollow = [
            follow(self, self.inbox.changes, lambda _changed: self._show_lead()),
            follow(self, self.files.changes, lambda _none: self._show_files()),
        ]
        self.query_one("#file-busy").display = False
        self.query_one("#file-progress").display = False
        self.file_list.empty_text = "Loading files…"
        self.file_list.focus()
        self._show_lead()
        self.load_names()
        self.load_permitted()
        self.load_activity()
        self.load_files()

    def on_unmount(self) -> None:
        for stop in self._unfollow:
            stop()
        if self.lead_files is not None:
            self.lead_files.detach()

    def on_resize(self) -> None:
        self.query_one("#lead-detail-body").set_class(self.size.width >= WIDE, "-wide")

    # -- showing -------------------------------------------------------------------------------
    def _current(self) -> Lead:
        found = self.inbox.find(self.app.session.outbox.server_id(self.lead_id))
        if found is not None:
            self.lead = found
            self.lead_id = found.id
        return self.lead

    def _show_lead(self) -> None:
        lead = self._current()
        self.query_one(AppHeader).title = f"Lead · {lead.title}"
        self.query_one("#lead-facts", Static).update(self.facts(lead))

    def facts(self, lead: Lead) -> Text:
        inbox = self.inbox
        account = self.app.session.account
        date_format = account.date_format if account else "%d/%m/%Y"

        def when(moment: dt.datetime | None) -> str:
            if moment is None:
                return ""
            return format_datetime(moment, account) if account else moment.strftime("%Y-%m-%d %H:%M")

        text = Text()
        text.append(lead.title or "(no title)", style="bold")
        state = [s for s in ("archived" if lead.is_archived else "", "" if lead.was_seen else "new") if s]
        if state:
            text.append(f"  ({', '.join(state)})", style="italic")
        text.append("\n")
        names = {label.id: label for label in inbox.labels()}
        chips = [names[i] for i in lead.label_ids if i in names]
        if chips:
            for chip in chips:
                text.append(f" {chip.name} ", style=chip_style(chip.color))
                text.append(" ")
            text.append("\n")
        person = inbox.names.get(f"person:{lead.person_id}", "") if lead.person_id else ""
        organization = inbox.names.get(f"organization:{lead.organization_id}", "") if lead.organization_id else ""
        rows: list[tuple[str, str]] = [
            ("Person", person or lead.person_name or (f"#{lead.person_id}" if lead.person_id else "")),
            ("Organization", organization or lead.organization_name or (f"#{lead.organization_id}" if lead.organization_id else "")),
            ("Value", money(lead) or "none"),
            ("Expected close", format_date(lead.expected_close_date, date_format) if lead.expected_close_date else "not set"),
            ("Owner", account.user_name(lead.owner_id) if account and lead.owner_id else lead.owner_id),
            ("Creator", account.user_name(lead.creator_id) if account and lead.creator_id else lead.creator_id),
            ("Source", lead.source_name),
            ("Origin", lead.origin),
            ("Channel", lead.channel),
            ("Who can see it", who_can_see(lead.visible_to, self.permitted, self._user_name)),
            ("Next activity", self._next_activity(lead) if inbox.by_activity else ""),
            ("Added", when(lead.add_time)),
            ("Updated", when(lead.update_time)),
            ("Archived", when(lead.archive_time) if lead.is_archived else ""),
            ("CC email", lead.cc_email),
        ]
        fields = {f.key: f for f in account.lead_fields} if account else {}
        for key, raw in lead.custom.items():
            field = fields.get(key)
            if field is None:
                if "_" in key:
                    continue  # a sibling (a monetary field's currency...), shown with its field
                rows.append((key[:12] + "…", custom_value(LeadField(key=key), raw, lead)))
            else:
                rows.append((field.name or key, custom_value(field, raw, lead)))
        shown = [(name, value) for name, value in rows if value]
        width = max((len(name) for name, _ in shown), default=0)
        upcoming = inbox.next_activity(lead)
        due = DUE_STYLES.get(due_state(upcoming, inbox.today, inbox.now), "") if upcoming is not None else ""
        for name, value in shown:
            text.append(f"{name:<{width}}  ", style="dim")
            text.append(f"{value}\n", style=due if name == "Next activity" else "")
        if lead.notes:
            text.append("\n" + lead.notes + "\n")
        text.rstrip()
        return text

    def _next_activity(self, lead: Lead) -> str:
        """"Call · Follow-up call · tomorrow 14:30 · 30 min"; "none" when it has none."""
        activity: Activity | None = self.inbox.next_activity(lead)
        if activity is None:
            if self.reading_activity:
                return "reading…"
            known = not lead.next_activity_id or lead.next_activity_id in self.inbox.activities
            return "none" if known else f"#{lead.next_activity_id} (not read: offline?)"
        account = self.app.session.account
        when = activity_when(
            activity, self.inbox.today, date_format=account.date_format if account else None,
            time_zone=account.time_zone if account else None, ampm=account.time_with_ampm if account else False,
        )
        parts = [activity.type_name]
        if activity.subject.strip() and activity.subject.strip() != activity.type_name:
            parts.append(activity.subject.strip())
        parts.append(when)
        if duration_text(activity.duration):
            parts.append(duration_text(activity.duration))
        return " · ".join(parts)

    def _user_name(self, user_id: str) -> str:
        account = self.app.session.account
        return account.user_name(user_id) if account else user_id

    def _show_files(self) -> None:
        files = self.files
        lst = self.file_list
        lst.set_rows([("Files", "future", files.items)])
        if files.loaded and not files.items:
            lst.empty_text = "No files: A uploads one"
        elif self.files_failed:
            lst.empty_text = f"Files not loaded: {self.files_failed}"

    @work(exclusive=True, group="lead-detail-names", exit_on_error=False)
    async def load_names(self) -> None:
        if await self.inbox.load_names([self._current()]):
            self._show_lead()
        self.app.update_gauge()

    @work(exclusive=True, group="lead-detail-permitted", exit_on_error=False)
    async def load_permitted(self) -> None:
        found = await self.inbox.permitted_users(self._current().id)
        if found is not None:
            self.permitted = found
            self._show_lead()
        self.app.update_gauge()

    @work(exclusive=True, group="lead-detail-activity", exit_on_error=False)
    async def load_activity(self) -> None:
        """The lead's next activity when the inbox does not know it (a lead it does not hold): by its id."""
        lead = self._current()
        if not self.inbox.by_activity or not lead.next_activity_id or lead.next_activity_id in self.inbox.activities:
            return
        self.reading_activity = True
        self._show_lead()
        try:
            await self.inbox.activity_of(lead)
        finally:
            self.reading_activity = False
        self._show_lead()
        self.app.update_gauge()

    @work(exclusive=True, group="lead-detail-files", exit_on_error=False)
    async def load_files(self) -> None:
        try:
            await self.files.load()
        except BackendError as exc:
            self.files_failed = exc.user_message
            self.file_list.empty_text = f"Files not loaded: {exc.user_message}"
            self.file_list.refresh()
            return
        self.files_failed = ""
        self.files_loaded = True
        self._show_files()
        self.app.update_gauge()

    # -- verbs -----------------------------------------------------------------------------------
    def action_upload(self) -> None:
        def chosen(text: str | None) -> None:
            if text is not None:
                self._upload(text)

        self.app.push_screen(
            TextPromptModal(
                f"Upload a file to “{self.lead.title}”", str(Path.cwd()) + "/", placeholder="The file's path",
                hint="Enter upload · Esc cancel",
            ),
            chosen,
        )

    @work(group="lead-detail-changes", exit_on_error=False)
    async def _upload(self, text: str) -> None:
        command = await self._uploading(text, lambda progress: self.files.upload(text, on_progress=progress))
        if command is None:
            return
        self.notify(f"Uploading {command.file_name} (kept until Pipedrive has it)", timeout=3)

    def action_delete_file(self) -> None:
        self._ask_delete()

    def web_link(self) -> str:
        """The lead in the CRM's web app ('' when the backend names no such address)."""
        account = self.app.session.account
        template = account.lead_link if account is not None else ""
        return template.replace("{id}", self.lead_id) if template else ""

    def action_copy(self) -> None:
        lead = self._current()
        choices = [Choice(lead.id, f"Id  {lead.id}")]
        if lead.cc_email:
            choices.append(Choice(lead.cc_email, f"CC email  {lead.cc_email}"))
        link = self.web_link()
        if link:
            choices.append(Choice(link, f"Web link  {link}"))

        def chosen(value: str | None) -> None:
            if value:
                self.app.copy_to_clipboard(value)  # OSC 52: reaches the local clipboard over SSH too
                self.notify(f"Copied {value}", timeout=3)

        self.app.push_screen(ChoiceModal("Copy to the clipboard", choices, hint="Enter copy · Esc cancel"), chosen)

    def action_archive(self) -> None:
        lead = self._current()
        verb = "brought back" if lead.is_archived else "archived"
        self._change(verb, self._toggle_archived(lead), f"“{lead.title}” {verb} (u undoes on the inbox)")

    async def _toggle_archived(self, lead: Lead) -> None:
        archived = await self.inbox.toggle_archived(lead.id)
        # It leaves the inbox's list (of open or of archived leads): shown here as it now is.
        self.lead = lead.model_copy(update={"is_archived": archived})
        self._show_lead()

    def action_seen(self) -> None:
        self._change("marked", self.inbox.toggle_seen(self._current().id))

    def action_back(self) -> None:
        self.app.pop_screen()

"""A record's detail (Crust), opened with Enter on the records screen: every field of its module by its
label (linked records by their names once read, yes/no, days and times), then who owns it, when it
was made and changed, and its id. `e` edits it, `Delete` deletes it (asks first), `y` copies its id,
`Esc` goes back. Changes go through the outbox and show here at once.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from crmtui.backends.errors import BackendError
from crmtui.domain.record_values import LINK_KINDS, shown_value
from crmtui.domain.records import Record
from crmtui.service.errors import CommandRefused
from crmtui.service.records import RecordsBrowser
from crmtui.ui.follow import FollowsServices, follow
from crmtui.ui.screens.base import CrmScreen
from crmtui.ui.widgets.footer import KeyFooter
from crmtui.ui.widgets.header import AppHeader


class RecordDetailScreen(FollowsServices, CrmScreen[None]):
    """One record, every field."""

    FOOTER_ORDER = ("edit", "delete", "undo", "copy", "back")
    CHANGES_GROUP = "record-changes"
    BINDINGS = [
        Binding("e", "edit", "Edit", tooltip="Edit the record"),
        Binding("delete", "delete", "Delete", tooltip="Delete the record (asks first)"),
        Binding("u", "undo", "Undo", tooltip="Take back the last edit or delete of the records screen"),
        Binding("y", "copy", "Copy id", tooltip="Copy the record's id"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, record: Record) -> None:
        super().__init__()
        self.record = record
        self.gone = False
        self._unfollow: Callable[[], None] | None = None

    @property
    def records(self) -> RecordsBrowser:
        return self.app.session.records

    def compose(self) -> ComposeResult:
        yield AppHeader(id="header")
        with VerticalScroll(id="record-facts-scroll"):
            yield Static("", id="record-facts")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._unfollow = follow(self, self.records.changes, lambda _changed: self._show())
        self.query_one("#record-facts-scroll").focus()
        self._show()

    def on_unmount(self) -> None:
        if self._unfollow is not None:
            self._unfollow()

    def _shown_module(self) -> bool:
        """Whether the record is of the module the records screen shows (a page's list opens others)."""
        module = self.records.module
        return module is not None and module.id == self.record.module_id

    def _current(self) -> Record:
        found = self.records.find(self.app.session.outbox.server_id(self.record.id))
        if found is not None:
            self.record = found
        self.gone = found is None and self.records.loaded and self._shown_module()
        return self.record

    async def _bring_module(self) -> bool:
        """Before an edit or delete of a record of another module (opened from a page): the records
        screen switches to its module and reads it, as it would to edit it there. False: the record
        is not among them (deleted meanwhile, or not read)."""
        if self._shown_module():
            return True
        records = self.records
        try:
            records.choose_module(self.record.module_id)
            await records.load()
        except (CommandRefused, BackendError) as exc:
            self.notify(getattr(exc, "user_message", str(exc)), title="Not opened for editing", severity="warning", timeout=5)
            return False
        self._current()
        self._show()
        return not self.gone

    def _show(self) -> None:
        record = self._current()
        records = self.records
        module = records.module_by_id(record.module_id) or records.module
        title = records.title(record)
        self.query_one(AppHeader).title = f"{module.name if module else 'Record'} · {title}"
        self.query_one("#record-facts", Static).update(self.facts(record))

    def facts(self, record: Record) -> Text:
        records = self.records
        module = records.module_by_id(record.module_id) or records.module
        text = Text()
        text.append(records.title(record), style="bold")
        if self.gone:
            text.append("  (deleted)", style="italic")
        text.append("\n\n")
        fields = list(module.fields) if module is not None else []
        width = max((len(f.title) for f in fields), default=8) + 2
        known = {f.name for f in fields}
        for field in fields:
            value = record.values.get(field.name)
            shown = shown_value(field, value, records.names if field.kind in LINK_KINDS else None)
            text.append(f"{field.title}:".ljust(width), style="dim" if field.is_visible else "dim italic")
            lines = (shown or "—").split(" ⏎ ") if field.kind == "textarea" else [shown or "—"]
            text.append(lines[0], style="" if shown else "dim")
            for more in lines[1:]:
                text.append("\n" + " " * width + more)
            text.append("\n")
        for name in sorted(set(record.values) - known):  # values of fields the module no longer has
            text.append(f"{name}:".ljust(width), style="dim")
            text.append(record.text(name) or "—")
            text.append("\n")
        text.append("\n")
        owner = record.owner_name or (f"#{record.owner_id}" if record.owner_id else "—")
        text.append("Owner".ljust(width), style="dim")
        text.append(owner + "\n")
        for label, moment in (("Made", record.created_at), ("Changed", record.updated_at)):
            if moment is not None and moment.year > 1:
                text.append(label.ljust(width), style="dim")
                text.append(moment.strftime("%Y-%m-%d %H:%M") + "\n")
        text.append("Id".ljust(width), style="dim")
        text.append(record.id, style="dim")
        return text

    def action_edit(self) -> None:
        if not self._shown_module():
            self.run_worker(self._then(self.action_edit), group="record-changes", exit_on_error=False)
            return
        from crmtui.ui.modals.record_form import RecordFormModal
        from crmtui.ui.screens.records import edit_record

        record = self._current()
        if self.gone:
            self.notify("This record was deleted", severity="warning", timeout=3)
            return
        records = self.records
        module = records.module_by_id(record.module_id) or records.module
        if module is None:
            return
        session = self.app.session
        form = RecordFormModal(
            module, session.account, session.today(), record=record, choices=records.linked_choices, names=records.names
        )
        edit_record(self, records, record, form)

    async def _then(self, action: Callable[[], None]) -> None:
        if await self._bring_module():
            action()

    def action_delete(self) -> None:
        if not self._shown_module():
            self.run_worker(self._then(self.action_delete), group="record-changes", exit_on_error=False)
            return
        from crmtui.ui.screens.records import delete_record

        record = self._current()
        if not self.gone:
            delete_record(self, self.records, record, then=self.action_back)

    def action_undo(self) -> None:
        self._undo_last(self.records.undo)

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.record.id)
        self.notify(f"Copied the id {self.record.id}", timeout=2)

    def action_back(self) -> None:
        self.app.pop_screen()

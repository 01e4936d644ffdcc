"""Top-level screen 2 on Crust: the modules and their fields.

The modules on one list (each with its number of records: one small read per module, where the server
lists them), the fields of the module under the cursor on the other (below when narrow, beside when
wide): name, label, kind, required, multi (a link to several records), shown, an enum's options and
the module a link field names. `n` makes a module and `e` edits the one under the cursor (its name and
fields) in a form; before anything is sent a confirmation says what changes (a removed field's values
stay in the records but no longer show). `Delete` deletes a module, asking first and saying what
happens to its records on this server. `u` takes back the last edit or delete. Every change goes
through the outbox and shows at once; the records screen's columns follow once the server has it.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from crmtui.backends.errors import BackendError
from crmtui.domain.module_edits import module_changes
from crmtui.domain.records import Module, ModuleField
from crmtui.service.commands import is_local_id
from crmtui.service.errors import CommandRefused
from crmtui.service.modules import ModulesBrowser
from crmtui.ui.failures import failure_title
from crmtui.ui.follow import FollowsServices, follow
from crmtui.ui.modals.module_form import ModuleFormModal, ModuleFormResult, TitledRows, field_columns
from crmtui.ui.modals.pickers import ConfirmModal
from crmtui.ui.reconnect import load_failed, reload_when_online
from crmtui.ui.screens.base import CrmScreen
from crmtui.ui.widgets.footer import KeyFooter
from crmtui.ui.widgets.header import AppHeader
from crmtui.ui.widgets.row_list import TITLES, Column, RowList

WIDE = 120
"""From this width the fields show beside the modules, not below them."""


def delete_message(module: Module, count: int | None) -> str:
    """What deleting `module` does on this server (a Crust server of the spec's date)."""
    held = f"Its {count:,} record{'s' * (count != 1)}" if count is not None else "Its records"
    return (
        f"The module “{module.name}” is deleted from the server for good. {held} stay in the server's "
        "database, but no screen or API route reads them any more (listing them answers “not found”). "
        "Undo makes the module again under a new id, without its records."
    )


class ModulesScreen(FollowsServices, CrmScreen[None]):
    """Every module and the fields of the one under the cursor."""

    FOOTER_ORDER = ("new", "edit", "delete", "undo", "switch", "refresh")
    CHANGES_GROUP = "module-changes"
    BINDINGS = [
        Binding("n", "new", "New", tooltip="A new module (its name and fields)"),
        Binding("e", "edit", "Edit", tooltip="The module's name and fields (asks before sending, saying what changes)"),
        Binding("delete", "delete", "Delete", tooltip="Delete the module (asks first)"),
        Binding("u", "undo", "Undo"),
        Binding("tab", "switch", "Modules/fields", tooltip="Move between the modules and the module's fields"),
        Binding("r", "refresh", "Refresh", tooltip="Read the modules again"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.load_failed = False
        self._unfollow: Callable[[], None] | None = None

    @property
    def modules(self) -> ModulesBrowser:
        return self.app.session.modules

    def _module_columns(self) -> list[Column[Module]]:
        browser = self.modules

        def name(module: Module) -> tuple[str, str]:
            pending = " …" if browser.overlay.is_busy(module.id) or is_local_id(module.id) else ""
            return (module.name + pending, "strong")

        def records(module: Module) -> tuple[str, str]:
            count = browser.counts.get(module.id)
            return (f"{count:,}" if count is not None else "–", "")

        return [
            Column("Module", name, share=3, min_width=12, priority=9),
            Column("Fields", lambda m: (str(len(m.fields)), "dim"), width=6, right=True, priority=7),
            Column("Records", records, width=8, right=True, priority=8),
            Column("Changed", lambda m: (f"{(m.updated_at or m.created_at):%Y-%m-%d}" if (m.updated_at or m.created_at) else "", "dim"), width=10, priority=3),
        ]

    def compose(self) -> ComposeResult:
        yield AppHeader(id="header")
        with Horizontal(id="modules-body"):
            yield TitledRows[Module](self._module_columns(), key=lambda m: m.id, id="modules-list")
            with Vertical(id="module-fields-pane"):
                yield Static("", id="module-fields-title", markup=False)
                yield TitledRows[ModuleField](field_columns({}), key=lambda f: f.name, id="module-fields-list")
        yield KeyFooter()

    @property
    def module_list(self) -> RowList[Module]:
        return self.query_one("#modules-list", RowList)

    @property
    def field_list(self) -> RowList[ModuleField]:
        return self.query_one("#module-fields-list", RowList)

    # -- lifecycle -------------------------------------------------------------------------------
    def on_mount(self) -> None:
        self._unfollow = follow(self, self.modules.changes, lambda _changed: self._show())
        reload_when_online(self, lambda: self.load_failed, self.load)
        self.module_list.empty_text = "Loading modules…"
        self.field_list.empty_text = ""
        self.module_list.focus()
        self._show()
        self.load()

    def on_unmount(self) -> None:
        if self._unfollow is not None:
            self._unfollow()

    def on_resize(self) -> None:
        self.query_one("#modules-body").set_class(self.size.width >= WIDE, "-wide")

    def on_screen_resume(self) -> None:
        if self.focused is None:
            self.module_list.focus()

    # -- showing ---------------------------------------------------------------------------------
    def _show(self) -> None:
        browser = self.modules
        self.module_list.set_rows([("", TITLES, browser.items)])
        if browser.loaded and not browser.items:
            self.module_list.empty_text = "This server has no modules (n makes one)"
        self.module_list.redraw()
        count = f" · {len(browser.items)}" if browser.loaded else ""
        self.query_one(AppHeader).title = f"Modules{count}"
        self._fields()

    def _fields(self) -> None:
        module = self.module_list.selected
        title = self.query_one("#module-fields-title", Static)
        names = self.modules.names()
        self.field_list.columns = field_columns(names)
        if module is None:
            title.update("")
            self.field_list.set_rows([])
        else:
            count = self.modules.counts.get(module.id)
            held = f" · {count:,} records" if count is not None else ""
            title.update(f"{module.name} · {len(module.fields)} field{'s' * (len(module.fields) != 1)}{held}")
            self.field_list.empty_text = "No fields"
            self.field_list.set_rows([("", TITLES, module.fields)])
        self.field_list.redraw()

    @on(RowList.Highlighted)
    def _highlighted(self, event: RowList.Highlighted) -> None:
        if isinstance(event.item, Module) or event.item is None:
            self._fields()

    @on(RowList.Selected)
    def _selected(self, event: RowList.Selected) -> None:
        event.stop()
        if isinstance(event.item, Module):
            self.field_list.focus()
        else:
            self.action_edit()

    def action_switch(self) -> None:
        (self.field_list if self.module_list.has_focus else self.module_list).focus()

    # -- loading ---------------------------------------------------------------------------------
    @work(exclusive=True, group="modules-load", exit_on_error=False)
    async def load(self) -> None:
        try:
            await self.modules.load()
        except BackendError as exc:
            self.load_failed = True
            load_failed(self, [exc])
            self.module_list.empty_text = f"Not loaded (r retries): {exc.user_message}"
            self.module_list.refresh()
            self.notify(exc.user_message, title=failure_title(exc), severity="error", timeout=6)
            return
        self.load_failed = False
        self.load_counts()

    @work(exclusive=True, group="modules-counts", exit_on_error=False)
    async def load_counts(self) -> None:
        await self.modules.load_counts()

    def action_refresh(self) -> None:
        self.load()

    # -- changes ---------------------------------------------------------------------------------
    def _selected_module(self) -> Module | None:
        module = self.module_list.selected
        if module is None:
            self.notify("No module selected", severity="warning", timeout=2)
        return module

    def form(self, module: Module | None, draft: ModuleFormResult | None = None) -> ModuleFormModal:
        browser = self.modules
        return ModuleFormModal(module, browser.items, browser.kinds, draft)

    def _open_form(self, module: Module | None, draft: ModuleFormResult | None = None) -> None:
        def chosen(result: ModuleFormResult | None) -> None:
            if result is not None:
                self._confirm(module, result)

        self.app.push_screen(self.form(module, draft), chosen)

    def action_new(self) -> None:
        self._open_form(None)

    def action_edit(self) -> None:
        module = self._selected_module()
        if module is None:
            return
        if is_local_id(module.id):
            self.notify("This module is not made on the server yet; edit it once it is", severity="warning", timeout=4)
            return
        self._open_form(module)

    def _confirm(self, module: Module | None, result: ModuleFormResult) -> None:
        lines = module_changes(module, result.name, result.fields, self.modules.names(), result.renames)
        if not lines:
            self.notify("Nothing was changed", timeout=2)
            return
        browser = self.modules

        def confirmed(yes: bool | None) -> None:
            if not yes:
                self._open_form(module, result)  # back to the form as it was: nothing is lost, nothing sent
                return
            if module is None:
                self._create(result)
            else:
                self._change("saved", browser.update(module.id, result.name, result.fields), f"“{result.name}” saved (u undoes)")

        heading = "Make this module?" if module is None else f"Change the module “{module.name}”?"
        message = f"This {lines[0]}." if len(lines) == 1 else "This:\n" + "\n".join(f"• {line}" for line in lines)
        self.app.push_screen(ConfirmModal(heading, message, confirm_label="Make" if module is None else "Save", cancel_label="Back to the form"), confirmed)

    @work(group="module-changes", exit_on_error=False)
    async def _create(self, result: ModuleFormResult) -> None:
        try:
            made = await self.modules.create(result.name, result.fields)
        except CommandRefused as exc:
            self.notify(str(exc), title="Not made", severity="warning", timeout=5)
            return
        if made is not None:
            self.call_later(self.module_list.select_key, made.id)
        self.notify(f"Module “{result.name}” added", timeout=3)

    def action_delete(self) -> None:
        module = self._selected_module()
        if module is None:
            return
        browser = self.modules

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._change("deleted", browser.delete(module.id), f"Module “{module.name}” deleted (u makes it again, without its records)")

        self.app.push_screen(
            ConfirmModal("Delete this module?", delete_message(module, browser.counts.get(module.id)), confirm_label="Delete"),
            confirmed,
        )

    def action_undo(self) -> None:
        self._undo_last(self.modules.undo)

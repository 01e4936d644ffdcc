"""Contact detail: everything about one contact, with every key to act on it.

Opened with Enter on a contact anywhere (`CrmApp.open_contact`); Esc or Backspace goes back to the
screen it was opened from, whose cursor has not moved. The header shows as soon as the contact is
known (at once when it comes from the loaded stream); the sections (actions, deals, notes, calls,
meetings) load concurrently and fill in as they arrive; a section that fails says so, and r retries.

Narrow terminals show the full details as one of the tabs; from 120 columns they sit on the left,
beside the tabs. Every triage key of the action stream works here on the contact.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.dom import DOMNode
from textual.widgets import Static, TabbedContent, TabPane

from crmtui.domain.formatting import contact_name
from crmtui.domain.models import StreamEntry
from crmtui.service.contact import ACTIONS, CALLS, CONTACT, DEALS, MEETINGS, NOTES, SECTIONS, ContactSession
from crmtui.ui.follow import follow
from crmtui.ui.screens.company_edits import CompanyEditsMixin
from crmtui.ui.screens.contact_item_edits import ContactItemEditsMixin
from crmtui.ui.reconnect import load_failed, reload_when_online
from crmtui.ui.widgets.footer import KeyFooter
from crmtui.ui.widgets.contact_details import ContactDetails, render_summary
from crmtui.ui.widgets.contact_sections import (
    HistoryList,
    SectionList,
    action_rows,
    call_rows,
    deal_rows,
    meeting_rows,
    note_rows,
    state_rows,
)
from crmtui.ui.widgets.header import AppHeader

WIDE = 120
"""From this many columns the details sit on the left instead of in a tab."""

TABS: list[tuple[str, str]] = [
    (ACTIONS, "Actions"),
    ("details", "Details"),
    (DEALS, "Deals"),
    (NOTES, "Notes"),
    (CALLS, "Calls"),
    (MEETINGS, "Meetings"),
]
NAMES = {DEALS: "deals", NOTES: "notes", CALLS: "calls", MEETINGS: "meetings", ACTIONS: "actions"}


class ContactDetailScreen(CompanyEditsMixin, ContactItemEditsMixin):
    """One contact: header, details and its history; triage keys and edits act on it."""

    FOOTER_ORDER = (
        "back", "done", "add", "screen.edit_item", "screen.delete_item", "edit", "undo", "note", "call", "copy", "edit_contact", "edit_company", "meeting", "deal", "status", "tag",
        "untag", "owner", "sales_cycle", "reassign", "star", "next_section", "find", "new_contact", "swap", "promote", "reload",
    )
    BINDINGS = [
        Binding("escape,backspace", "back", "Back"),
        Binding("d", "done", "Done"),
        Binding("n", "add", "Add"),
        Binding("e", "edit", "Edit", show=False),
        Binding("a", "reassign", "Assign", show=False),
        Binding("p", "promote", "Promote", show=False),
        Binding("s", "swap", "Swap", show=False),
        Binding("u", "undo", "Undo"),
        Binding("asterisk", "star", "Star", show=False),
        Binding("N", "note", "Note"),
        Binding("c", "call", "Call"),
        Binding("m", "meeting", "Meeting", show=False),
        Binding("D", "deal", "Deal", show=False),
        Binding("E", "edit_contact", "Edit contact", show=False, tooltip="Edit the contact: name, company, phones, emails, address, tags…"),
        Binding("K", "edit_company", "Edit company", show=False, tooltip="Edit the contact's company: name, phone, website, address, description…"),
        Binding("delete", "delete_contact", "Delete contact", show=False, tooltip="Delete the contact (asks first; u undoes)"),
        Binding("S", "status", "Status", show=False),
        Binding("plus", "tag", "Add a tag", show=False),
        Binding("minus", "untag", "Remove a tag", show=False),
        Binding("o", "owner", "Owner", show=False),
        Binding("x", "sales_cycle", "Close/reopen sales cycle", show=False),
        Binding("y", "copy", "Copy"),
        Binding("tab,right,l", "next_section", "Next section", show=False),
        Binding("shift+tab,left,h", "previous_section", "Previous section", show=False),
        Binding("r", "reload", "Reload (retry)", show=False),
    ]

    def __init__(self, contact_id: str) -> None:
        super().__init__()
        self.contact_id = contact_id
        self._unsubscribe: Callable[[], None] | None = None
        self._given = []
        self._drawn = False
        """Set once mounted: section changes before that have nothing to draw on."""

    @property
    def session(self) -> ContactSession:
        """Triage keys run on this contact's session (see ContactSession)."""
        return self.contact

    def compose(self) -> ComposeResult:
        self.contact = ContactSession(self.app.session, self.contact_id)
        sections = self.contact.sections
        yield AppHeader(id="header")
        yield Static(id="contact-summary")
        with Horizontal(id="contact-body"):
            yield ContactDetails(id="contact-side")
            with TabbedContent(id="contact-tabs", initial=f"tab-{ACTIONS}"):
                for key, title in TABS:
                    if key != "details" and key not in sections:
                        continue
                    with TabPane(title, id=f"tab-{key}"):
                        if key == "details":
                            yield ContactDetails(id="contact-details")
                        elif key == ACTIONS:
                            yield SectionList(id=f"list-{key}")
                        else:  # Enter or e edits the highlighted item, Delete deletes it
                            yield HistoryList(id=f"list-{key}")
        yield KeyFooter()

    # -- triage hooks ------------------------------------------------------------------------------
    def selected_entry(self) -> StreamEntry | None:
        return self.contact.current

    def _move_past(self, contact_id: str) -> None:
        """One contact: nowhere to move on to."""

    def _command_owner(self) -> DOMNode:
        """The app: Esc right after saving closes this screen, and must not cancel the save."""
        return self.app

    def _target(self, *, need_next: bool = False) -> StreamEntry | None:
        if self._ready() is None:
            return None
        return super()._target(need_next=need_next)

    # -- lifecycle ---------------------------------------------------------------------------------
    def on_mount(self) -> None:
        self._drawn = True
        self._unsubscribe = follow(self, self.contact.section_changes, self._sections_changed)
        for section in (CONTACT, *self.contact.sections):
            self._section_changed(section)
        self.call_after_refresh(self._focus_section)
        self.load()
        reload_when_online(self, lambda: bool(self.contact.errors), lambda: self.load(tuple(self.contact.errors)))

    def on_unmount(self) -> None:
        self._drawn = False
        if self._unsubscribe is not None:
            self._unsubscribe()
        self.contact.detach()

    def on_resize(self, event: events.Resize) -> None:
        wide = event.size.width >= WIDE
        self.set_class(wide, "-wide")
        tabs = self.query_one("#contact-tabs", TabbedContent)
        if wide:
            if tabs.active == "tab-details":
                tabs.active = f"tab-{ACTIONS}"
            tabs.hide_tab("tab-details")
        else:
            tabs.show_tab("tab-details")

    @work(exclusive=True, group="contact-load", exit_on_error=False)
    async def load(self, sections: tuple[str, ...] | None = None) -> None:
        """Fetch the contact and its sections concurrently; each shows as it arrives."""
        await self.contact.load(sections)
        load_failed(self, self.contact.errors.values())

    def action_reload(self) -> None:
        self.load()
        self.notify("Reloading the contact", timeout=2)

    def action_back(self) -> None:
        self.app.pop_screen()

    # -- drawing -----------------------------------------------------------------------------------
    def _sections_changed(self, sections: frozenset[str] | None) -> None:
        """Sections of the contact changed (None: any may have): draw them again, the contact first."""
        for section in SECTIONS:
            if sections is None or section in sections:
                self._section_changed(section)

    def _section_changed(self, section: str) -> None:
        if not self._drawn:
            return
        if section == CONTACT:
            self._show_contact()
            self._show_actions()
        elif section == ACTIONS:
            self._show_actions()
        else:
            self._show_history(section)

    def _show_contact(self) -> None:
        contact, entry = self.contact, self.contact.current
        error = contact.errors.get(CONTACT)
        loading = ""
        if error is not None:
            loading = f"⚠ Could not load the contact: {error.user_message}  (r tries again, Esc goes back)"
        self.query_one("#contact-summary", Static).update(render_summary(entry, contact.account, loading=loading))
        for details in self.query(ContactDetails):
            details.show(entry, contact.account)
        name = contact_name(entry.contact) if entry is not None else "…"
        self.query_one("#header", AppHeader).title = f"Contact · {name}"

    def _show_actions(self) -> None:
        contact, account = self.contact, self.contact.account
        if account is None:
            return
        error = contact.errors.get(ACTIONS)
        rows = action_rows(contact.current, contact.actions, account, contact.today(), contact.now())
        unknown = contact.errors.get(CONTACT) if contact.current is None else None
        if unknown is not None:
            rows = state_rows("contact", unknown.user_message, False) or []
        elif error is not None:
            rows += state_rows("action history", error.user_message, False) or []
        self.query_one(f"#list-{ACTIONS}", SectionList).show_rows(rows)
        entry = contact.current
        open_count = 0
        if entry is not None:
            open_count = len([a for a in [entry.next_action, *entry.queued_actions] if a is not None and not a.done])
        self._label(ACTIONS, str(open_count) if entry is not None else "…")

    def _show_history(self, section: str) -> None:
        contact, account = self.contact, self.contact.account
        if account is None or section not in contact.history:
            return
        items = contact.history[section]
        error = contact.errors.get(section)
        rows = state_rows(NAMES[section], error.user_message if error else None, items is not None)
        if rows is None and items is not None:
            if section == DEALS:
                rows = deal_rows(items, account)
            elif section == NOTES:
                rows = note_rows(items, account)
            elif section == CALLS:
                rows = call_rows(items, account, contact.call_result_text)
            else:
                rows = meeting_rows(items, account, contact.now())
        self.query_one(f"#list-{section}", SectionList).show_rows(rows or [])
        self._label(section, "⚠" if error else ("…" if items is None else str(len(items))))

    def _label(self, section: str, count: str) -> None:
        title = dict(TABS)[section]
        self.query_one("#contact-tabs", TabbedContent).get_tab(f"tab-{section}").label = f"{title} {count}"

    # -- moving between sections -------------------------------------------------------------------
    def _visible_tabs(self) -> list[str]:
        tabs = self.query_one("#contact-tabs", TabbedContent)
        return [pane.id for pane in tabs.query(TabPane) if pane.id and not (self.has_class("-wide") and pane.id == "tab-details")]

    def _step(self, delta: int) -> None:
        tabs = self.query_one("#contact-tabs", TabbedContent)
        order = self._visible_tabs()
        here = order.index(tabs.active) if tabs.active in order else 0
        tabs.active = order[(here + delta) % len(order)]
        self._focus_section()

    def action_next_section(self) -> None:
        self._step(1)

    def action_previous_section(self) -> None:
        self._step(-1)

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self.call_after_refresh(self._focus_section)

    def _focus_section(self) -> None:
        tabs = self.query_one("#contact-tabs", TabbedContent)
        pane = tabs.active_pane
        if pane is None:
            return
        target = pane.query(SectionList).first() if pane.query(SectionList) else pane.query_one(ContactDetails)
        target.focus()

    @property
    def active_section(self) -> str:
        """"actions", "details", "deals", …: the tab shown."""
        return self.query_one("#contact-tabs", TabbedContent).active.removeprefix("tab-")

"""Top-level screen 1 on Pipedrive: the leads inbox. The signed-in user's open leads, most urgent first
(by next activity, Pipedrive's order: overdue, today, no activity, upcoming; without activity data by
expected close: overdue, closing today, upcoming, no date), unseen ones in bold, triaged with
single keys: `x` archive (or bring back), `s` seen, `a` give to a colleague, `l` labels, `Delete`
delete (asks first: Pipedrive has no undelete), `u` undo; `o` everyone's leads (`O` whose: yours, everyone's or a colleague's), `X` the archived ones.

Every change goes through the outbox and shows at once; the details of the lead under the cursor
show below the list (beside it on a wide terminal). Names of persons and organizations are looked up
for the rows on screen only (each lookup costs a request of the company's API budget) and kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.console import Group
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, ProgressBar

from crmtui.backends.errors import BackendError
from crmtui.domain.formatting import activity_when, format_date
from crmtui.domain.leads import Lead, LeadSection, lead_section, section_title, sections
from crmtui.domain.stream_filter import SavedFilter
from crmtui.service.errors import CommandRefused
from crmtui.service.leads import LeadsInbox
from crmtui.ui.failures import failure_title
from crmtui.ui.follow import FollowsServices, follow
from crmtui.ui.modals.pickers import ConfirmModal, TeamPickerModal
from crmtui.ui.reconnect import load_failed, reload_when_online
from crmtui.ui.screens.base import CrmScreen
from crmtui.ui.widgets.footer import KeyFooter
from crmtui.ui.widgets.header import AppHeader
from crmtui.ui.widgets.kept_lines import keep_lines
from crmtui.ui.widgets.inputs import TextInput
from crmtui.ui.widgets.preview import LinePane
from crmtui.ui.label_colours import label_role
from crmtui.ui.widgets.progress import StillProgressBar
from crmtui.ui.widgets.row_list import Cell, Column, Part, RowList

if TYPE_CHECKING:  # the dialogs are imported when a key opens one: a start need not import their fields' widgets
    from crmtui.ui.modals.lead_form import LeadFormModal, LeadFormResult

NAME_MARGIN = 5
"""Rows above and below the screen whose names are looked up ahead of scrolling to them."""
WIDE = 140
"""From this width the details show beside the list, not below it."""
TALL = 34
"""Below this height (and narrower than WIDE) the details below the list take three lines, not nine."""

SECTION_ROLES = {
    LeadSection.OVERDUE: "urgent",
    LeadSection.TODAY: "today",
    LeadSection.UPCOMING: "future",
    LeadSection.NO_DATE: "attention",
    LeadSection.ARCHIVED: "closed",
    LeadSection.NO_ACTIVITY: "attention",
}


def money(lead: Lead) -> str:
    if lead.value is None:
        return ""
    amount = f"{lead.value.amount:,.0f}" if lead.value.amount == int(lead.value.amount) else f"{lead.value.amount:,.2f}"
    return f"{amount} {lead.value.currency}"


class LeadsScreen(FollowsServices, CrmScreen[None]):
    """The leads inbox."""

    FOOTER_ORDER = ("new", "edit", "archive", "seen", "assign", "labels", "undo", "open", "everyone", "archived", "refresh", "delete")
    CHANGES_GROUP = "lead-changes"
    BINDINGS = [
        Binding("n", "new", "New", tooltip="A new lead (owned by you)"),
        Binding("e", "edit", "Edit", tooltip="Edit the lead's title, value, close date, person or organization, labels"),
        Binding("x", "archive", "Archive", tooltip="Archive the lead (or bring an archived one back)"),
        Binding("s", "seen", "Seen", tooltip="Mark seen / unseen"),
        Binding("a", "assign", "Assign", tooltip="Give the lead to a colleague"),
        Binding("l", "labels", "Labels", tooltip="Choose the lead's labels"),
        Binding("u", "undo", "Undo"),
        Binding("enter", "open", "Details", show=False),
        Binding("o", "everyone", "Everyone", tooltip="Everyone's leads / mine"),
        Binding("O", "whose", "Whose", show=False, tooltip="Whose leads: yours, everyone's or a colleague's"),
        Binding("X", "archived", "Archived", tooltip="The archived leads / the open ones"),
        Binding("r", "refresh", "Refresh", tooltip="Read what changed since the list was read whole"),
        Binding("R", "resync", "Read all", show=False, tooltip="Read the whole list again, not only what changed"),
        Binding("delete", "delete", "Delete", tooltip="Delete the lead (asks first; Pipedrive has no undelete)"),
        Binding("slash", "narrow", "Find", priority=True, tooltip="Type to narrow the list; Enter also searches the server"),
        Binding("F", "saved_filter", "Filter", tooltip="Show the leads of a saved filter (or none)"),
        Binding("escape", "clear", "Clear", tooltip="Clear the typed words, then the saved filter"),
    ]

    def __init__(self) -> None:
        super().__init__()
        keep_lines(self)
        self.load_failed = False
        self._unfollow: Callable[[], None] | None = None
        self.narrowing = ""
        """What `/` typed: only the leads matching it show (and what the server found for it)."""
        self.found: list[Lead] = []
        """Leads the server's search found for `narrowing` that the list does not hold."""
        self._by_activity = False
        """Whether the columns were made for an inbox ordered by next activity."""

    @property
    def inbox(self) -> LeadsInbox:
        return self.app.session.leads

    def next_activity_text(self, lead: Lead, *, short: bool = True) -> str:
        """The lead's next activity in words ("tomorrow 14:30 · Demo": when first, the order it goes by,
        so a narrow cell cuts the subject); "" when it has none known."""
        activity = self.inbox.next_activity(lead)
        if activity is None:
            return ""
        account = self.app.session.account
        when = activity_when(
            activity, self.inbox.today, date_format=account.date_format if account else None,
            time_zone=account.time_zone if account else None, ampm=account.time_with_ampm if account else False, short=short,
        )
        return f"{when} · {activity.title}"

    def _columns(self) -> list[Column[Lead]]:
        inbox = self.inbox
        session = self.app.session
        self._by_activity = inbox.by_activity

        def flag(lead: Lead) -> Cell:
            return ("●" if not lead.was_seen else "▌", SECTION_ROLES[inbox.section(lead)])

        def labels(lead: Lead) -> Cell:
            """Each label a chip: its name in its colour, a space between them."""
            names = {label.id: label for label in inbox.labels()}
            parts: list[Part] = []
            for label in (names[i] for i in lead.label_ids if i in names):
                if parts:
                    parts.append((" ", ""))
                parts.append((label.name, label_role(label.color)))
            return parts

        def close(lead: Lead) -> Cell:
            if lead.expected_close_date is None:
                return ("", "")
            account = session.account
            fmt = account.date_format if account is not None else "%d/%m/%Y"
            # Coloured by the close date itself, whatever orders the inbox.
            return (format_date(lead.expected_close_date, fmt), SECTION_ROLES[lead_section(lead, inbox.today)])

        def upcoming(lead: Lead) -> Cell:
            return (self.next_activity_text(lead), SECTION_ROLES[inbox.section(lead)])

        def owner(lead: Lead) -> Cell:
            account = session.account
            return (account.user_name(lead.owner_id) if account is not None else "", "dim")

        return [
            Column("", flag, width=1, priority=9),
            Column("Lead", lambda lead: (lead.title, ""), share=5, min_width=18, priority=9),
            Column("Person · organization", lambda lead: (inbox.who(lead), "dim"), share=4, min_width=14, priority=6),
            Column("Labels", labels, share=2, min_width=8, priority=4),
            Column("Value", lambda lead: (money(lead), ""), width=12, right=True, priority=5),
            Column("Close", close, width=10, priority=7),
            # The next activity: dropped first when the row has no room (the details below name it).
            *([Column("Next activity", upcoming, share=4, min_width=16, priority=1)] if self._by_activity else []),
            *([Column("Owner", owner, share=2, min_width=10, priority=2)] if inbox.everyone or inbox.filter else []),
        ]

    def compose(self) -> ComposeResult:
        header = AppHeader(id="header")
        # Its shape from the start: set at the first resize, the classes restyled every widget again.
        body = Horizontal(id="leads-body", classes=" ".join(self._body_classes(self.app.size.width, self.app.size.height)))
        footer = KeyFooter()
        keep_lines(header, body, footer)  # a cursor step draws none of their lines again
        yield header
        with body:
            yield RowList[Lead](
                self._columns(), key=lambda lead: lead.id, bold=lambda lead: not lead.was_seen, id="leads-list"
            )
            yield LinePane(id="lead-detail", clip=True)  # a step repaints only the cells that changed
        yield StillProgressBar(id="sync-progress", show_eta=False, show_percentage=False)
        yield TextInput(placeholder="Find: type to narrow, Enter also searches the server, Esc clears", id="leads-narrow")
        yield footer

    @property
    def lead_list(self) -> RowList[Lead]:
        return self.query_one("#leads-list", RowList)

    # -- lifecycle -----------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.query_one("#sync-progress", ProgressBar).display = False
        self.watch(self.app, "load_progress", self._progress_changed, init=False)
        self._unfollow = follow(self, self.inbox.changes, lambda _changed: self._show())
        reload_when_online(self, lambda: self.load_failed, self.load)
        self.query_one("#leads-narrow", Input).display = False
        self.lead_list.focus()
        self.lead_list.on_highlight = self._highlight_now
        self._show()

    def on_unmount(self) -> None:
        if self._unfollow is not None:
            self._unfollow()

    @staticmethod
    def _body_classes(width: int, height: int) -> list[str]:
        """The pane beside the list (wide) or under it, shorter on a short terminal."""
        return ["-wide"] if width >= WIDE else ["-short"] if height < TALL else []

    def on_resize(self) -> None:
        body = self.query_one("#leads-body")
        shape = self._body_classes(self.size.width, self.size.height)
        body.set_class("-wide" in shape, "-wide")
        body.set_class("-short" in shape, "-short")
        self._title()
        self._detail(self.lead_list.selected)

    def _progress_changed(self, progress: tuple[int, int]) -> None:
        """A whole list paging in (Pipedrive tells no total): a bar that moves, and how many so far."""
        done, _total = progress
        bar = self.query_one("#sync-progress", ProgressBar)
        bar.display = done > 0
        if done:
            bar.update(total=None)
            self.lead_list.empty_text = f"Loading leads… {done:,}"
            self.lead_list.refresh()
            self.app.update_gauge()

    # -- showing -------------------------------------------------------------------------------
    def _show(self) -> None:
        inbox = self.inbox
        lst = self.lead_list
        if inbox.by_activity != self._by_activity:  # the server turned out to have no activities
            lst.columns = self._columns()
        known = inbox.known_activities()
        groups: dict[LeadSection, list[Lead]] = {}
        for lead in self._shown():
            groups.setdefault(inbox.section(lead), []).append(lead)
        rows = [(section_title(s, known), SECTION_ROLES[s], groups.get(s, [])) for s in sections(known)]
        if self.narrowing and self.found:
            rows.append(("Found by the server (not in this list)", "closed", self.found))
        lst.set_rows(rows)
        if self.narrowing:
            lst.empty_text = f"No leads match “{self.narrowing}” (Enter searches the server, Esc clears)"
        elif inbox.loaded and not inbox.items:
            if inbox.filter is not None:
                lst.empty_text = "No leads in this filter (Esc clears it)"
            else:
                lst.empty_text = "No archived leads" if inbox.archived else "No open leads: the inbox is empty"
        self._title()
        self._detail(lst.selected)
        self.app.update_gauge()  # what was shown was just read: the requests it took count
        # Names are looked up once a start's first rows are drawn: a lookup builds the backend's
        # client (its imports held the first frame back) and asks the server for what is not kept.
        self.app.after_first_frame(self._names_for_shown)

    def _names_for_shown(self) -> None:
        if self.is_attached and self.inbox.names_wanted(self.lead_list.visible_items(NAME_MARGIN)):  # a worker per step costs ~1 ms
            self.load_names()

    def _title(self) -> None:
        inbox = self.inbox
        count = f" · {len(inbox.items):,}" if inbox.loaded else ""
        if self.narrowing and inbox.loaded:
            count = f" · “{self.narrowing}” {len(self._shown()):,} of {len(inbox.items):,}"
        # Pipedrive orders its inbox by the next activity; without activity data (a server without
        # /activities) the order is by expected close date, and the title says so.
        order = f" · by {'next activity' if inbox.by_activity else 'close date'}" if self.size.width >= 100 else ""
        self.query_one(AppHeader).title = f"{inbox.scope_label}{count}{order}"

    def _shown(self) -> list[Lead]:
        inbox = self.inbox
        if not self.narrowing:
            return inbox.items
        return inbox.narrow(self.narrowing)

    def _highlight_now(self, item: object) -> None:
        """The cursor reached another lead: its pane follows in the same frame."""
        self._detail(item if isinstance(item, Lead) else None)

    @on(RowList.Highlighted)
    def _highlighted(self, _event: RowList.Highlighted) -> None:
        self.app.after_first_frame(self._names_for_shown)

    def _detail(self, lead: Lead | None) -> None:
        pane = self.query_one("#lead-detail", LinePane)
        if lead is None:
            pane.update("")
            return
        inbox = self.inbox
        account = self.app.session.account
        names = {label.id: label.name for label in inbox.labels()}
        lines = [lead.title]
        who = inbox.who(lead)
        if who:
            lines.append(who)
        facts = [
            ("Value", money(lead) or "none"),
            ("Expected close", format_date(lead.expected_close_date, account.date_format if account else "%d/%m/%Y")
             if lead.expected_close_date else "not set"),
            *([("Next activity", self.next_activity_text(lead, short=False) or "none")] if inbox.by_activity else []),
            ("Labels", ", ".join(names.get(i, "?") for i in lead.label_ids) or "none"),
            ("Owner", account.user_name(lead.owner_id) if account else lead.owner_id),
            ("Source", lead.source_name or "—"),
            ("Seen", "yes" if lead.was_seen else "no (new)"),
        ]
        if lead.is_archived:
            facts.append(("Archived", "yes"))
        if self.query_one("#leads-body").has_class("-short"):
            # A short terminal: the list keeps the room; the facts share three lines.
            lines = [" · ".join(n for n in (lead.title, who) if n)]
            half = (len(facts) + 1) // 2
            lines += [" · ".join(f"{name} {value}" for name, value in part) for part in (facts[:half], facts[half:])]
        else:
            lines += [f"{name}: {value}" for name, value in facts]
        # A line a part: the pane draws a one-line part that fits without wrapping it and keeps it
        # drawn, so the lines two leads share ("Seen: no (new)", the owner) are not drawn again.
        pane.update(Group(*(Text(line) for line in lines)))

    @work(exclusive=True, group="lead-names", exit_on_error=False)
    async def load_names(self) -> None:
        leads = self.lead_list.visible_items(NAME_MARGIN)
        if await self.inbox.load_names(leads):
            self.lead_list.redraw()
            self._detail(self.lead_list.selected)

    # -- loading -------------------------------------------------------------------------------
    @work(exclusive=True, group="leads-load", exit_on_error=False)
    async def load(self) -> None:
        lst = self.lead_list
        lst.empty_text = "Loading leads…"
        try:
            await self.inbox.load(on_progress=lambda done, _total: self._progress_changed((done, 0)))
        except BackendError as exc:
            self._progress_changed((0, 0))
            self.load_failed = True
            load_failed(self, [exc])
            lst.empty_text = f"Not loaded (r retries): {exc.user_message}"
            lst.refresh()
            self.notify(exc.user_message, title=failure_title(exc), severity="error", timeout=6)
            return
        self._progress_changed((0, 0))
        self.load_failed = False
        self.app.last_synced = self.app.clock()

    def action_refresh(self) -> None:
        self.app.refresh_stream()

    def action_resync(self) -> None:
        self.app.resync()

    def action_everyone(self) -> None:
        self.inbox.everyone = not self.inbox.everyone
        self.lead_list.columns = self._columns()  # the owner column only when the leads are not all mine
        self.notify("Everyone's leads" if self.inbox.everyone else "Your leads", timeout=2)
        self.inbox.clear_shown()  # not the other scope's leads under this one's title while it loads
        self.load()

    def action_whose(self) -> None:
        """Pick whose leads the inbox shows: yours, everyone's or one colleague's."""
        account = self.app.session.account
        if account is None:
            return
        inbox = self.inbox
        users = account.people()
        current = inbox.EVERYONE if inbox.everyone else inbox.member or account.user.id

        def chosen(whose: str | None) -> None:
            if whose is None or (whose == current and inbox.filter is None):
                return
            if whose == inbox.EVERYONE:
                inbox.show_member(None)
                inbox.everyone = True
            else:
                inbox.show_member(whose)
            self.lead_list.columns = self._columns()
            self.notify(inbox.scope_label, timeout=2)
            self.load()

        extra = [(inbox.EVERYONE, "Everyone's leads")]
        self.app.push_screen(TeamPickerModal("Whose leads", users, current=current, extra=extra, start_on_current=True), chosen)

    def action_archived(self) -> None:
        self.inbox.archived = not self.inbox.archived
        self.notify("Archived leads (X: back to the open ones)" if self.inbox.archived else "Open leads", timeout=3)
        self.inbox.clear_shown()
        self.load()

    # -- changes -------------------------------------------------------------------------------
    def _selected(self) -> Lead | None:
        lead = self.lead_list.selected
        if lead is None:
            self.notify("No lead selected", severity="warning", timeout=2)
        return lead

    def action_archive(self) -> None:
        lead = self._selected()
        if lead is not None:
            verb = "brought back" if lead.is_archived else "archived"
            self._change(verb, self.inbox.toggle_archived(lead.id), f"“{lead.title}” {verb} (u undoes)")

    def action_seen(self) -> None:
        lead = self._selected()
        if lead is not None:
            self._change("marked", self.inbox.toggle_seen(lead.id))

    def action_assign(self) -> None:
        lead = self._selected()
        account = self.app.session.account
        if lead is None or account is None:
            return
        users = account.people()

        def chosen(owner_id: str | None) -> None:
            if owner_id and owner_id != lead.owner_id:
                name = account.user_name(owner_id)
                self._change("assigned", self.inbox.set_owner(lead.id, owner_id), f"“{lead.title}” given to {name} (u undoes)")

        self.app.push_screen(TeamPickerModal(f"Give “{lead.title}” to", users, current=lead.owner_id), chosen)

    def action_labels(self) -> None:
        lead = self._selected()
        if lead is None:
            return
        labels = self.inbox.labels()
        if not labels:
            self.notify("This account has no lead labels", severity="warning", timeout=3)
            return

        def chosen(label_ids: list[str] | None) -> None:
            if label_ids is not None:
                self._change("labelled", self.inbox.set_labels(lead.id, label_ids))

        from crmtui.ui.modals.lead_labels import LabelsModal

        self.app.push_screen(LabelsModal(lead.title, labels, lead.label_ids), chosen)

    def _lead_form(self, lead: Lead | None) -> LeadFormModal | None:
        account = self.app.session.account
        if account is None:
            return None
        from crmtui.ui.modals.lead_form import LeadFormModal

        inbox = self.inbox
        return LeadFormModal(
            account, inbox.today, inbox.labels(), persons=inbox.known("person"),
            organizations=inbox.known("organization"), lead=lead,
        )

    def action_new(self) -> None:
        form = self._lead_form(None)
        if form is None:
            return

        def chosen(result: LeadFormResult | None) -> None:
            if result is not None:
                self._create(result)

        self.app.push_screen(form, chosen)

    @work(group="lead-changes", exit_on_error=False)
    async def _create(self, result: LeadFormResult) -> None:
        try:
            made = await self.inbox.create(result.draft)
        except CommandRefused as exc:
            self.notify(str(exc), title="Not made", severity="warning", timeout=5)
            return
        except BackendError as exc:
            self.notify(exc.user_message, title=failure_title(exc), severity="error", timeout=6)
            return
        if made is not None:
            self.call_later(self.lead_list.select_key, made.id)  # once the list shows it (a message queued already)
        self.notify(f"“{result.draft.title}” added", timeout=3)

    def action_edit(self) -> None:
        lead = self._selected()
        form = self._lead_form(lead) if lead is not None else None
        if lead is None or form is None:
            return

        def chosen(result: LeadFormResult | None) -> None:
            if result is None:
                return
            if not result.changes:
                self.notify("Nothing was changed", timeout=2)
                return
            lead_id = self.app.session.outbox.server_id(lead.id)  # made meanwhile: the server's id now
            self._change("saved", self.inbox.update(lead_id, "Edit lead", **result.changes), f"“{result.draft.title}” saved (u undoes)")

        self.app.push_screen(form, chosen)

    def action_open(self) -> None:
        lead = self.lead_list.selected
        if lead is not None:
            self.query_one("#lead-detail", LinePane).display = True
            self._detail(lead)
            from crmtui.ui.screens.lead_detail import LeadDetailScreen

            self.app.push_screen(LeadDetailScreen(lead))

    @on(RowList.Selected)
    def _chosen(self, event: RowList.Selected) -> None:
        """Enter on the list (the list takes the key before the screen's binding): the lead's detail."""
        event.stop()
        self.action_open()

    def action_delete(self) -> None:
        lead = self._selected()
        if lead is None:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._change("deleted", self.inbox.delete(lead.id), f"“{lead.title}” deleted")

        self.app.push_screen(
            ConfirmModal(
                "Delete this lead?",
                f"“{lead.title}” is deleted from Pipedrive. This cannot be undone: Pipedrive has no undelete.",
                confirm_label="Delete",
            ),
            confirmed,
        )

    def action_undo(self) -> None:
        self._undo_last(self.inbox.undo)

    # -- narrowing (/) and saved filters (F) -------------------------------------------------------
    def action_narrow(self) -> None:
        self.open_text_box(self.query_one("#leads-narrow", Input), "slash", "/")  # the keys typed after / land in it

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear":  # in the footer (and active) only while there is something to clear
            box = self.query_one("#leads-narrow", Input)
            return bool(self.narrowing) or box.display or self.inbox.filter is not None
        return True

    def action_clear(self) -> None:
        """Esc: the typed words go first; with none, the saved filter."""
        box = self.query_one("#leads-narrow", Input)
        if box.display or self.narrowing:
            box.value = ""
            box.display = False
            self._narrow("")
            self.set_focus(self.lead_list)
        elif self.inbox.filter is not None:
            self._choose_filter(None)
        self.refresh_bindings()

    def _narrow(self, text: str) -> None:
        self.workers.cancel_group(self, "lead-search")
        self.narrowing = text.strip()
        self.found = []
        self._show()

    @on(Input.Changed, "#leads-narrow")
    def _narrow_changed(self, event: Input.Changed) -> None:
        self._narrow(event.value)
        self.refresh_bindings()

    @on(Input.Submitted, "#leads-narrow")
    def _narrow_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.set_focus(self.lead_list)
        if self.narrowing:
            self.search_server(self.narrowing)

    @work(exclusive=True, group="lead-search", exit_on_error=False)
    async def search_server(self, term: str) -> None:
        """The server's search of leads (notes and custom fields too): what the list lacks joins it."""
        try:
            found = await self.inbox.search_server(term)
        except BackendError as exc:
            self.notify(exc.user_message, title="Search failed", severity="error", timeout=5)
            return
        finally:
            self.app.update_gauge()  # the search's tokens show now, not at the next tick
        if term != self.narrowing:
            return  # the words changed while the server answered
        inbox = self.inbox
        shown = {lead.id for lead in self._shown()}
        held = {lead.id for lead in inbox.items}
        self.found = [lead for lead in found if lead.id not in held]
        also = [lead for lead in found if lead.id in held and lead.id not in shown]
        self._show()
        words = []
        if self.found:
            words.append(f"{len(self.found)} not in this list")
        if also:
            words.append(f"{len(also)} in it match on notes or custom fields")
        self.notify(f"The server found {len(found)}" + (f": {', '.join(words)}" if words else ""), timeout=4)

    def action_saved_filter(self) -> None:
        from crmtui.ui.modals.lead_filter import NONE, LeadFilterModal

        inbox = self.inbox

        def chosen(choice: SavedFilter | str | None) -> None:
            if choice == NONE:
                if inbox.filter is not None:
                    self._choose_filter(None)
            elif isinstance(choice, SavedFilter):
                self._choose_filter(choice)

        self.app.push_screen(LeadFilterModal(current=inbox.filter, load=inbox.saved_filters), chosen)

    def _choose_filter(self, chosen: SavedFilter | None) -> None:
        self.inbox.choose_filter(chosen)
        self.lead_list.columns = self._columns()
        self.notify(f"Filter: {chosen.name}" if chosen else "Filter cleared: your leads", timeout=3)
        self.refresh_bindings()
        self.load()

    def reveal(self, lead_id: str, *, title: str = "", archived: bool = False) -> None:
        """Put the cursor on a lead (the search's Enter). When the list does not hold it, the scope
        widens to where it is (no saved filter, everyone's, open or archived) and says so."""
        if self.narrowing or self.query_one("#leads-narrow", Input).display:
            self.action_clear()  # typed words may hide it
        if self.lead_list.select_key(lead_id):
            self.lead_list.focus()
            return
        inbox = self.inbox
        inbox.everyone, inbox.archived = True, archived
        if inbox.filter is not None:
            inbox.choose_filter(None)
        self.lead_list.columns = self._columns()
        self.notify(
            f"“{title or lead_id}” is not in that list: showing everyone's {'archived' if archived else 'open'} leads",
            timeout=5,
        )
        self._load_then_select(lead_id)

    @work(exclusive=True, group="leads-load", exit_on_error=False)
    async def _load_then_select(self, lead_id: str) -> None:
        try:
            await self.inbox.load()
        except BackendError as exc:
            self.notify(exc.user_message, title=failure_title(exc), severity="error", timeout=6)
            return
        self._show()  # now, not when the inbox's news arrives: the cursor goes on the lead below
        if not self.lead_list.select_key(lead_id):
            self.notify("That lead is not among the leads this token may see", severity="warning", timeout=5)
        self.lead_list.focus()

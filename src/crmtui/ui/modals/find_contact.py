"""Find anyone (f): type a name, company, email or phone; the contacts loaded here show at once, the
server's (the whole account) join them when it answers; Enter opens the highlighted contact.

The server is asked once typing pauses (a timer on this modal's own message loop, restarted by each
keystroke), in one exclusive worker: a newer query cancels the request still on its way, and the
finder voids any answer that comes back for an older query.

A long stream is indexed in a thread the first time (or after a reload): meanwhile the line says so and
the server's answers still come; once the index is in, what is typed is answered again from it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.cells import cell_len
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.events import Resize
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from crmtui.domain.formatting import contact_name
from crmtui.service.find import SERVER_MIN_CHARS, ContactFinder, FindResult, Found, ServerState, Tier
from crmtui.ui.cells import fit
from crmtui.ui.inert import plain
from crmtui.ui.widgets.inputs import TextInput

if TYPE_CHECKING:
    from textual import getters

    from crmtui.ui.app import CrmApp

SHOWN = 100
"""Rows listed at most (type more to narrow a longer list)."""
PAUSE = 0.25
"""Seconds of no typing before the server is asked."""
GROUP = "find-server"
INDEXING = "find-index"


def status_line(result: FindResult) -> str:
    """Where the rows come from: "3 from the stream, 2 from the server", "searching the server…", offline."""
    indexing = f"indexing {result.indexing:,} contacts…" if result.indexing else ""
    if not result.query:
        return "Type a name, company, email or phone number" + (f" ({indexing})" if indexing else "") + kept_line(result)
    stream = f"{result.from_stream} from the stream"
    if result.from_directory:
        stream += f", {result.from_directory} kept here"
    here = result.from_stream + result.from_directory
    state = result.server
    if state is ServerState.ASKING:
        line = f"{stream} · searching the server…"
    elif state is ServerState.ANSWERED:
        line = f"{stream}, {result.from_server} from the server"
    elif state is ServerState.OFFLINE:
        line = f"offline: only contacts loaded here ({here})"
    elif state is ServerState.FAILED:
        line = f"the server could not search ({result.problem}): only contacts loaded here ({here})"
    elif result.complete and result.query and len(result.query) >= SERVER_MIN_CHARS:
        line = f"{stream} · every contact is kept here"
    else:
        line = f"{stream} · the server is searched from {SERVER_MIN_CHARS} characters"
    if result.total > len(result.found):
        line += f" · the first {len(result.found)} shown"
    line += kept_line(result)
    return f"{indexing} · {line}" if indexing else line


def kept_line(result: FindResult) -> str:
    """How much of the account is kept here, while the directory is being read: " · 12,300 of ~20,000 contacts kept here"."""
    if not result.kept or result.complete:
        return ""
    return f" · {result.kept:,} of ~{result.expected:,} contacts kept here"


def matched(found: Found) -> str:
    """Which field matched, when the name does not say it: the email or phone, the company, the server."""
    if found.detail:
        return f"{found.field} {found.detail}"
    if found.tier in (Tier.COMPANY_START, Tier.COMPANY_WORD, Tier.COMPANY_PART):
        return "company"
    if found.tier is Tier.SERVER:
        return "found by the server"
    return ""


def company_of(found: Found) -> str:
    contact = found.entry.contact
    return contact.company_name if contact.company_name != contact_name(contact) else ""


def note_of(found: Found) -> str:
    return " · ".join(part for part in (matched(found), "" if found.loaded else "not in your stream") if part)


def columns(found: list[Found], width: int) -> tuple[int, int, int]:
    """Name, company and note widths: as wide as the longest of each needs, the name and company within
    a share of the line, the note the rest."""
    name = min(max((cell_len(contact_name(f.entry.contact)) for f in found), default=0), width * 2 // 5)
    company = min(max((cell_len(company_of(f)) for f in found), default=0), width * 3 // 10)
    return name, company, max(width - name - company - 4, 0)


def row(found: Found, widths: tuple[int, int, int]) -> Content:
    """One line: name, company, what matched. Names are shown, never read as markup."""
    name, company, note = widths
    return Content.assemble(
        plain(fit(contact_name(found.entry.contact), name)).stylize("bold"),
        "  ",
        plain(fit(company_of(found), company)),
        "  ",
        plain(fit(note_of(found), note).rstrip()).stylize("dim"),
    )


class FoundList(OptionList):
    """The contacts found; j/k move too while the list has focus (in the query they are letters)."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]


class FindContactModal(ModalScreen[None]):
    """Find any contact of the account; Enter opens it (Esc comes back to where `f` was pressed)."""

    if TYPE_CHECKING:  # at run time Textual's own `app` property answers, unchanged
        app = getters.app(CrmApp)

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("down,ctrl+n", "move(1)", "Next contact", show=False),
        Binding("up,ctrl+p", "move(-1)", "Previous contact", show=False),
    ]

    def __init__(self, finder: ContactFinder) -> None:
        super().__init__()
        self.finder = finder
        self.result: FindResult = finder.find("")
        """What the list shows now."""
        self._pause: Timer | None = None
        self._waiting = False
        """A worker waits for the finder's index made in a thread."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog find-dialog"):
            yield Label("Find anyone", classes="dialog-title")
            yield TextInput(placeholder="name, company, email or phone", id="find-query")
            yield FoundList(id="find-results")
            yield Static(status_line(self.result), id="find-status", markup=False)
            yield Static("↑↓ move · Enter open · Esc close", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#find-query", Input).focus()
        self.call_after_refresh(self._index)

    def _index(self) -> None:
        """Index the stream once drawn, not on the first keystroke (a long one in a thread)."""
        self.finder.haystacks()
        self._when_indexed()

    def _when_indexed(self) -> None:
        """While the finder indexes in a thread: say so, and answer again once it is done."""
        if not self.finder.indexing or self._waiting:
            return
        self._waiting = True
        if not self.result.indexing:
            self.show(self.finder.again(self.result, limit=SHOWN))
        self.run_worker(self._indexed(), group=INDEXING, exit_on_error=False)

    async def _indexed(self) -> None:
        try:
            await self.finder.indexed()
        finally:
            self._waiting = False
        self.show(self.finder.again(self.result, limit=SHOWN))

    @property
    def results(self) -> FoundList:
        return self.query_one("#find-results", FoundList)

    @property
    def query_text(self) -> str:
        return self.query_one("#find-query", Input).value

    # -- typing ---------------------------------------------------------------------------------------
    @on(Input.Changed, "#find-query")
    def _typed(self, event: Input.Changed) -> None:
        if self._pause is not None:
            self._pause.stop()
            self._pause = None
        self.workers.cancel_group(self, GROUP)  # an answer for what was typed before is no use now
        result = self.finder.find(event.value, limit=SHOWN)
        self.show(result)
        self._when_indexed()
        if result.server is ServerState.ASKING:
            self._pause = self.set_timer(PAUSE, lambda: self.ask_server(event.value))

    @work(exclusive=True, group=GROUP)
    async def ask_server(self, query: str) -> None:
        result = await self.finder.ask_server(query, limit=SHOWN)
        if result is not None and query == self.query_text:
            self.show(result)

    def show(self, result: FindResult) -> None:
        """List `result`, highlighting the best match; a contact moved to stays highlighted while listed."""
        self.result = result
        lst = self.results
        moved = lst.highlighted is not None and lst.highlighted > 0
        current = lst.highlighted_option.id if moved and lst.highlighted_option is not None else None
        self._list(result, lst)
        ids = [f.contact_id for f in result.found]
        if ids:
            lst.highlighted = ids.index(current) if current in ids else 0
        self.query_one("#find-status", Static).update(status_line(result))

    def _list(self, result: FindResult, lst: FoundList) -> None:
        room = lst.scrollable_content_region.width - (0 if lst.show_vertical_scrollbar else lst.styles.scrollbar_size_vertical)
        widths = columns(result.found, max(room, 40))  # the room left once a scrollbar shows
        lst.set_options(Option(row(f, widths), id=f.contact_id) for f in result.found)

    @on(Resize)
    def _resized(self) -> None:
        self.call_after_refresh(self._redraw)

    def _redraw(self) -> None:
        lst = self.results
        highlighted = lst.highlighted
        self._list(self.result, lst)
        lst.highlighted = highlighted

    # -- moving and opening ---------------------------------------------------------------------------
    def action_move(self, step: int) -> None:
        lst = self.results
        if lst.option_count and lst.highlighted is None:
            lst.highlighted = 0
        elif step > 0:
            lst.action_cursor_down()
        else:
            lst.action_cursor_up()

    @on(Input.Submitted, "#find-query")
    def _enter(self, event: Input.Submitted) -> None:
        event.stop()
        option = self.results.highlighted_option
        if option is not None and option.id is not None:
            self.open(option.id)

    @on(OptionList.OptionSelected, "#find-results")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.open(event.option.id)

    def open(self, contact_id: str) -> None:
        app = self.app
        self.dismiss()
        app.open_contact(contact_id)

    def action_close(self) -> None:
        self.dismiss()

"""Top-level screen 6 on backends with a global search (Pipedrive's ItemSearch): a query box, the hits
grouped by kind (leads, deals, persons, organizations...) with the server's score, a page more on
demand, and the details of the hit under the cursor. Enter on a lead opens it in the leads inbox.

Each search costs the company's API budget and a place in the search window, so the server is asked
on Enter only, never while typing; the cost shows under the results.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from crmtui.backends.errors import BackendError
from crmtui.domain.search import SearchHit, grouped, kind_title
from crmtui.service.search import GlobalSearch
from crmtui.ui.cells import fit
from crmtui.ui.failures import failure_title
from crmtui.ui.inert import plain
from crmtui.ui.screens.base import CrmScreen
from crmtui.ui.widgets.footer import KeyFooter
from crmtui.ui.widgets.header import AppHeader
from crmtui.ui.widgets.inputs import TextInput

MORE = "more"
"""The option that reads the next page."""
WIDE = 140
"""From this width the details show beside the results, not below them."""


def hit_key(hit: SearchHit) -> str:
    return f"{'related:' if hit.related else ''}{hit.kind}:{hit.id}"


class HitList(OptionList):
    """The hits; j/k move too (in the query box they are letters)."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]


class SearchScreen(CrmScreen[None]):
    """Search every kind of record of the account."""

    FOOTER_ORDER = ("search", "exact", "query")
    BINDINGS = [
        Binding("ctrl+t", "exact", "Exact", tooltip="Exact match on or off (1 character is enough with it)"),
        Binding("slash", "query", "Query", tooltip="Back to the query box"),
        Binding("equals_sign", "exact", "Exact", show=False),
        Binding("escape", "leave_query", "Keys", show=False, tooltip="Leave the query box: the keys (1–7, q) work again"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._finder: GlobalSearch | None = None
        self.exact = False
        self.hits: dict[str, SearchHit] = {}
        self.status = ""

    @property
    def finder(self) -> GlobalSearch:
        if self._finder is None:
            self._finder = GlobalSearch(self.app.session)
        return self._finder

    def compose(self) -> ComposeResult:
        yield AppHeader(id="header")
        with Horizontal(id="search-bar"):
            yield TextInput(placeholder="Search leads, deals, persons, organizations… (Enter; Esc: the keys)", id="search-query")
            yield Static("", id="search-exact", markup=False)
        with Horizontal(id="search-body"):
            yield HitList(id="search-results")
            yield Static("", id="search-detail", markup=False)
        yield Static("", id="search-status", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(AppHeader).title = "Search"
        self._exact_label()
        self._say("")
        self.query_one("#search-query", Input).focus()

    def on_resize(self) -> None:
        self.query_one("#search-body").set_class(self.size.width >= WIDE, "-wide")
        self.call_after_refresh(self._list)

    @property
    def results(self) -> HitList:
        return self.query_one("#search-results", HitList)

    # -- asking ----------------------------------------------------------------------------------
    def action_exact(self) -> None:
        self.exact = not self.exact
        self._exact_label()

    def _exact_label(self) -> None:
        self.query_one("#search-exact", Static).update("[x] exact" if self.exact else "[ ] exact")

    def action_query(self) -> None:
        self.query_one("#search-query", Input).focus()

    def action_leave_query(self) -> None:
        """Esc in the query box: the focus goes to the results, where the number keys and q work
        (in the box they are typed); / comes back."""
        if self.query_one("#search-query", Input).has_focus:
            self.results.focus()
            if not self.finder.hits and not self.finder.related:
                self._say("Out of the query box: 1–7 change screen, / types a query again, q quits")

    @on(Input.Submitted, "#search-query")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        problem = self.finder.problem(event.value, exact=self.exact)
        if problem is not None:
            self._say(problem.capitalize())
            return
        self._say("Searching the server…")
        self.ask(event.value.strip(), self.exact)

    @work(exclusive=True, group="search", exit_on_error=False)
    async def ask(self, term: str, exact: bool) -> None:
        try:
            page = await self.finder.search(term, exact=exact)
        except BackendError as exc:
            self.app.update_gauge()
            self._say(f"Not searched: {exc.user_message}")
            self.notify(exc.user_message, title=failure_title(exc), severity="error", timeout=5)
            return
        self.app.update_gauge()  # the search's tokens show now, not at the next tick
        if page is None:
            return
        self._list()
        self._say(self._summary())
        if self.finder.hits or self.finder.related:
            self.results.focus()
            first = next((i for i, o in enumerate(self.results.options) if not o.disabled), None)
            self.results.highlighted = first

    @work(exclusive=True, group="search-more", exit_on_error=False)
    async def more(self) -> None:
        self._say("Reading more…")
        try:
            page = await self.finder.more()
        except BackendError as exc:
            self.app.update_gauge()
            self._say(f"No more read: {exc.user_message}")
            return
        self.app.update_gauge()
        if page is None:
            return
        self._list()
        self._say(self._summary())

    def _summary(self) -> str:
        finder = self.finder
        if not finder.hits and not finder.related:
            return f"Nothing found for “{finder.term}”" + (" (exact)" if finder.exact else "")
        counts = ", ".join(f"{len(hits)} {kind_title(kind).lower()}" for kind, hits in grouped(finder.hits))
        text = f"“{finder.term}”: {counts or 'no direct hits'}"
        if finder.related:
            text += f" · {len(finder.related)} related"
        if finder.next_start is not None:
            text += " · more on the server"
        return text

    def _say(self, text: str) -> None:
        self.status = text
        hint = self.finder.cost_hint
        line = " · ".join(part for part in (text or "Type at least 2 characters (1 with exact), then Enter", hint) if part)
        self.query_one("#search-status", Static).update(line)

    # -- listing ---------------------------------------------------------------------------------
    def _list(self) -> None:
        finder = self.finder
        lst = self.results
        kept = lst.highlighted_option.id if lst.highlighted_option is not None else None
        width = max(lst.scrollable_content_region.width - 2, 30)
        options: list[Option] = []
        self.hits = {}
        groups: dict[str, list[SearchHit]] = {}
        for kind, hits in grouped(finder.hits + finder.related):
            groups[kind] = hits
        for kind, hits in groups.items():
            options.append(Option(Content.styled(f"{kind_title(kind)} ({len(hits)})", "bold"), disabled=True))
            for hit in hits:
                key = hit_key(hit)
                self.hits[key] = hit
                options.append(Option(self._row(hit, width), id=key))
        if finder.next_start is not None:
            options.append(Option(Content.styled("  … more results (Enter)", "italic"), id=MORE))
        lst.set_options(options)
        if kept is not None:  # a redraw (a resize, a page more) keeps the cursor on its hit
            lst.highlighted = next((i for i, o in enumerate(options) if o.id == kept), None)
        self._detail()

    @staticmethod
    def _row(hit: SearchHit, width: int) -> Content:
        score = f"{'related' if hit.related else f'{hit.score:.2f}':>7}"  # one width: the titles line up
        room = max(width - cell_len(score) - 4, 10)
        title = fit(hit.title or "(no title)", min(room, max(room * 3 // 5, cell_len(hit.title))))
        rest = max(room - cell_len(title) - 2, 0)
        sub = fit(hit.subtitle, rest) if rest else ""
        pad = max(width - 2 - cell_len(title) - (2 + cell_len(sub) if sub else 0) - cell_len(score), 1)
        return Content.assemble(
            "  ", plain(title).stylize("bold"), *(("  ", plain(sub).stylize("dim")) if sub else ()), " " * pad,
            Content(score).stylize("dim"),
        )

    @on(OptionList.OptionHighlighted, "#search-results")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._detail()

    def _selected_hit(self) -> SearchHit | None:
        option = self.results.highlighted_option
        return self.hits.get(option.id or "") if option is not None else None

    def _detail(self) -> None:
        pane = self.query_one("#search-detail", Static)
        hit = self._selected_hit()
        if hit is None:
            pane.update("")
            return
        account = self.app.session.account
        lines = [hit.title or "(no title)", f"{kind_title(hit.kind)[:-1] if kind_title(hit.kind).endswith('s') else kind_title(hit.kind)} · "
                 + ("related to a hit" if hit.related else f"score {hit.score:.4g}")]
        for name, value in hit.facts:
            if name == "Owner" and account is not None:
                value = account.user_name(value) or value
            lines.append(f"{name}: {value}")
        if hit.kind == "lead":
            lines.append("Enter: open it in the leads inbox")
        pane.update("\n".join(lines))

    # -- opening ---------------------------------------------------------------------------------
    @on(OptionList.OptionSelected, "#search-results")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id == MORE:
            self.more()
            return
        hit = self.hits.get(event.option.id or "")
        if hit is None:
            return
        if hit.kind != "lead":
            self.notify(f"{hit.title}: its details are beside the results (crmtui opens leads only)", timeout=3)
            return
        self.open_lead(hit)

    @work(group="open-lead", exit_on_error=False)
    async def open_lead(self, hit: SearchHit) -> None:
        """The leads inbox, with the cursor on the lead (its scope widened when the list lacks it)."""
        from crmtui.ui.screens.leads import LeadsScreen

        app = self.app
        if "leads" not in app.mode_titles:
            self.notify("This CRM has no leads inbox", severity="warning", timeout=3)
            return
        await app.switch_mode("leads")
        screen = app.screen
        if isinstance(screen, LeadsScreen):
            screen.reveal(hit.id, title=hit.title, archived=("Archived", "yes") in hit.facts)

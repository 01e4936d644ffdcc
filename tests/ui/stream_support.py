"""Helpers for the action stream Pilot tests: notifications, rows as drawn, and the server's view.

Not a test module: the stream tests import from here. Everything talks to the real sandbox.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rich.console import Console
from textual.pilot import Pilot

from crmtui.backends.base import Backend
from crmtui.domain.models import StreamEntry
from crmtui.domain.stream import Section
from crmtui.ui.app import CrmApp
from crmtui.ui.rows import entry_section
from crmtui.ui.screens.stream import ActionStreamScreen
from crmtui.ui.widgets.preview import ContactPreview
from crmtui.ui.widgets.row_list import Header
from crmtui.ui.widgets.stream_list import StreamList

from .conftest import loaded, settled, wait_for

TODAY = dt.date(2026, 3, 10)


# -- notifications ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Note:
    message: str
    title: str
    severity: str


class Notes:
    """Records every notification the app (or a screen) shows, in order, without hiding it."""

    def __init__(self, app: CrmApp) -> None:
        self.all: list[Note] = []
        original = app.notify

        def record(message: str, *, title: str = "", severity: str = "information", **kw) -> None:
            self.all.append(Note(str(message), title, severity))
            original(message, title=title, severity=severity, **kw)

        app.notify = record  # type: ignore[method-assign]  # Screen.notify and Widget.notify call app.notify

    def messages(self) -> list[str]:
        return [n.message for n in self.all]

    def find(self, text: str) -> Note | None:
        """The last notification whose message contains `text`."""
        return next((n for n in reversed(self.all) if text in n.message), None)

    async def wait(self, pilot: Pilot, text: str) -> Note:
        await wait_for(pilot, lambda: self.find(text) is not None, what=f"a notification with {text!r}")
        found = self.find(text)
        assert found is not None
        return found


# -- the stream screen -----------------------------------------------------------------------------


def stream_screen(app: CrmApp) -> ActionStreamScreen:
    """The action stream screen, also while a modal is on top of it."""
    screen = next(s for s in app.screen_stack if isinstance(s, ActionStreamScreen))
    return screen


def stream_list(app: CrmApp) -> StreamList:
    return stream_screen(app).stream_list


def selected_id(app: CrmApp) -> str | None:
    entry = stream_list(app).selected_entry
    return entry.contact.id if entry is not None else None


def entry_of(app: CrmApp, contact_id: str) -> StreamEntry:
    """The contact's entry as the list shows it now."""
    found = next((e for e in stream_list(app).entries if e.contact.id == contact_id), None)
    assert found is not None, f"contact {contact_id} is not shown in the list"
    return found


def shown_ids(app: CrmApp) -> list[str]:
    return [e.contact.id for e in stream_list(app).entries]


def row_index(lst: StreamList, contact_id: str) -> int:
    return next(i for i, r in enumerate(lst._rows) if isinstance(r, StreamEntry) and r.contact.id == contact_id)


def section_of(app: CrmApp, contact_id: str) -> Section:
    """The section header the contact's row sits under in the list."""
    lst = stream_list(app)
    index = row_index(lst, contact_id)
    header = next(r for r in reversed(lst._rows[:index]) if isinstance(r, Header))
    assert isinstance(header.tag, Section)
    return header.tag


def visible_lines(lst: StreamList) -> list[str]:
    """The text of every line of the list as drawn on screen now."""
    return [lst.render_line(y).text for y in range(lst.scrollable_content_region.height)]


async def row_line(pilot: Pilot, contact_id: str) -> str:
    """The contact's row exactly as drawn: the cursor is put on it so it is on screen."""
    lst = stream_list(pilot.app)  # type: ignore[arg-type]
    assert lst.select_contact(contact_id), f"contact {contact_id} is not in the list"
    await pilot.pause()
    y = lst.cursor - lst.scroll_offset.y
    assert 0 <= y < lst.scrollable_content_region.height
    return lst.render_line(y).text


async def go_to(pilot: Pilot, contact_id: str) -> None:
    """Put the cursor on a contact (without keys: key navigation has its own tests)."""
    assert stream_list(pilot.app).select_contact(contact_id), f"contact {contact_id} is not in the list"  # type: ignore[arg-type]
    await pilot.pause()
    assert selected_id(pilot.app) == contact_id  # type: ignore[arg-type]


# -- choosing contacts by their state --------------------------------------------------------------


def first_entry(entries: Iterable[StreamEntry], condition: Callable[[StreamEntry], bool], what: str) -> StreamEntry:
    found = next((e for e in entries if condition(e)), None)
    assert found is not None, f"the seeded stream has no contact that is {what}"
    return found


def has_next(entry: StreamEntry) -> bool:
    return entry.next_action is not None and not entry.next_action.done


def open_queued(entry: StreamEntry) -> list:
    return [a for a in entry.queued_actions if not a.done]


def plain_with_next(app: CrmApp) -> StreamEntry:
    """The first contact with a next action, no queued action and no conflict."""
    return first_entry(
        app.session.entries,
        lambda e: has_next(e) and not open_queued(e) and not e.has_conflict,
        "with a next action and nothing queued",
    )


def with_conflict(app: CrmApp) -> StreamEntry:
    return first_entry(app.session.entries, lambda e: has_next(e) and e.has_conflict, "with a next-action conflict")


def queued_for_me(app: CrmApp) -> StreamEntry:
    """The first contact without a next action whose first queued action is the signed-in user's."""
    me = app.session.user_id
    return first_entry(
        app.session.entries,
        lambda e: not has_next(e) and bool(open_queued(e)) and open_queued(e)[0].assignee_id == me,
        "without a next action but with one of my queued actions",
    )


def without_any_action(app: CrmApp) -> StreamEntry:
    return first_entry(
        app.session.entries,
        lambda e: not has_next(e) and not open_queued(e) and not e.contact.sales_closed,
        "without any action",
    )


def section_in_app(app: CrmApp, entry: StreamEntry) -> Section:
    return entry_section(entry, app.session.today(), app.session.stream_user_id)


# -- the server, seen through a second client ------------------------------------------------------


async def server_entry(api: Backend, contact_id: str) -> StreamEntry | None:
    """The contact as the server holds it now (None when it is not in the user's stream)."""
    return await api.stream_entry(contact_id)


async def server_stream_ids(api: Backend) -> list[str]:
    """Contact ids of the signed-in user's action stream on the server, in the server's order."""
    return [e.contact.id for e in await api.action_stream_all()]


def preview_text(app: CrmApp, selector: str = "#stream-preview") -> str:
    """The plain text a contact preview shows (the pane beside the list, or the modal's)."""
    preview = app.screen.query_one(selector, ContactPreview)
    console = Console(width=max(preview.content_region.width, 40), record=True, file=io.StringIO(), color_system=None)
    console.print(preview.content)
    return console.export_text()


class Requests:
    """Records every HTTP request the app sends (method, path), through its own httpx client."""

    def __init__(self, app: CrmApp) -> None:
        self.sent: list[tuple[str, str]] = []
        self.params: list[dict[str, str]] = []
        http = app.session.backend.client.http.client  # type: ignore[attr-defined]
        http.event_hooks["request"].append(self._record)

    async def _record(self, request) -> None:
        self.sent.append((request.method, request.url.path))
        self.params.append(dict(request.url.params))

    def gets(self, path: str) -> list[dict[str, str]]:
        """The query parameters of every GET of `path` (e.g. "/api/v3/action_stream")."""
        return [q for (method, p), q in zip(self.sent, self.params) if method == "GET" and p == path]

    def writes(self) -> list[tuple[str, str]]:
        return [(method, path) for method, path in self.sent if method != "GET"]


class History:
    """What the list showed for one contact after every change of the stream (optimistic, then final)."""

    def __init__(self, app: CrmApp, contact_id: str, view: Callable[[StreamEntry | None], object]) -> None:
        self.seen: list[object] = []

        def changed(entries: list[StreamEntry]) -> None:
            value = view(next((e for e in entries if e.contact.id == contact_id), None))
            if not self.seen or self.seen[-1] != value:  # what the person saw change, not every redraw
                self.seen.append(value)

        app.session.subscribe(changed)


async def start(pilot) -> tuple[Notes, Requests]:
    """Record notifications and requests from now on, and wait until the stream is loaded and idle."""
    app = pilot.app
    notes, requests = Notes(app), Requests(app)
    await loaded(pilot)
    await settled(pilot)
    return notes, requests

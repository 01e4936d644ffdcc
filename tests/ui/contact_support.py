"""Helpers for the contact detail Pilot tests: open a contact, read what its sections show.

Not a test module: the test_contact_*.py files import from here. Everything talks to the real sandbox.
"""

from __future__ import annotations

import io

from rich.console import Console
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import Static

from crmtui.backends.base import Backend
from crmtui.domain.models import StreamEntry
from crmtui.ui.app import CrmApp
from crmtui.ui.screens.contact import ContactDetailScreen
from crmtui.ui.widgets.contact_details import ContactDetails
from crmtui.ui.widgets.contact_sections import SectionList

from .conftest import settled, wait_for


def detail(app: CrmApp) -> ContactDetailScreen:
    """The contact detail screen, also while a modal is on top of it."""
    return next(s for s in reversed(app.screen_stack) if isinstance(s, ContactDetailScreen))


async def open_contact(pilot: Pilot, contact_id: str) -> ContactDetailScreen:
    """Open a contact as the board or a notification would, and wait until every section is in."""
    app: CrmApp = pilot.app  # type: ignore[assignment]
    app.open_contact(contact_id)
    await wait_for(pilot, lambda: isinstance(app.screen, ContactDetailScreen), what="the contact detail")
    await settled(pilot)
    return detail(app)


def section_list(app: CrmApp, section: str) -> SectionList:
    return detail(app).query_one(f"#list-{section}", SectionList)


def rows(app: CrmApp, section: str) -> list[str]:
    """The plain text of every row of a section, as its list holds it."""
    out = []
    for option in section_list(app, section).options:
        prompt = option.prompt
        out.append(prompt.plain if isinstance(prompt, Text) else str(prompt))
    return out


def section_text(app: CrmApp, section: str) -> str:
    return "\n".join(rows(app, section))


def highlighted_row(app: CrmApp, section: str) -> str:
    lst = section_list(app, section)
    option = lst.highlighted_option
    assert option is not None, f"nothing highlighted in {section}"
    return option.prompt.plain if isinstance(option.prompt, Text) else str(option.prompt)


def _plain(renderable: object, width: int = 100) -> str:
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(renderable)
    return console.export_text()


def summary_text(app: CrmApp) -> str:
    """The header block under the app header: name, standing, phone and email."""
    return _plain(detail(app).query_one("#contact-summary", Static).content, width=300)


def details_text(app: CrmApp, selector: str = "#contact-details") -> str:
    """The full details (the Details tab on narrow terminals, `#contact-side` on wide ones)."""
    panel = detail(app).query_one(selector, ContactDetails)
    return _plain(panel.query_one(".details-body", Static).content)


def tab_label(app: CrmApp, section: str) -> str:
    from textual.widgets import TabbedContent

    tab = detail(app).query_one("#contact-tabs", TabbedContent).get_tab(f"tab-{section}")
    return str(tab.label)


def contact_entry(app: CrmApp) -> StreamEntry:
    entry = detail(app).contact.current
    assert entry is not None, "the contact is not loaded"
    return entry


def triage_running(app: CrmApp) -> bool:
    """A change of the contact screen is on its way (its workers belong to the app)."""
    return any(w.is_running and w.group == "triage" for w in app.workers)


async def not_in_my_stream(api: Backend, app: CrmApp) -> str:
    """A contact a team member owns, with no action of the signed-in user's: not in their stream."""
    me = app.session.user_id
    loaded = {e.contact.id for e in app.session.entries}
    others = await api.client.list_contacts_all(team=True)  # type: ignore[attr-defined]
    for item in others:
        contact = item.contact
        if contact.owner_id == me or contact.id in loaded:
            continue
        actions = await api.contact_actions(contact.id)
        if all(a.done or a.assignee_id != me for a in actions):
            return contact.id
    raise AssertionError("the seeded account has no contact outside the user's stream")

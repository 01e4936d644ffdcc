"""Editing a contact's company from the contact's page: read it whole, save the form as one change.

The change runs on the contact's session (so `u` there undoes it) and names the company's other
contacts the app's stream holds, so each of their rows shows a new name at once too.
"""

from __future__ import annotations

from crmtui.backends.errors import BackendError
from crmtui.domain.models import Company, StreamEntry
from crmtui.service.company_commands import EditCompany
from crmtui.service.contact import ContactSession
from crmtui.service.errors import CommandRefused
from crmtui.service.features import contacts_api

NO_COMPANY = "has no company: E (edit the contact) sets one"


async def read_company(session: ContactSession) -> tuple[Company, bool]:
    """The company of the session's contact with every field the form shows, and whether that is
    all of it (False: the server and the cache could not give it, so only what the contact's row
    carries; the fields not shown are kept, as a change sends only the fields it changes).

    Raises CommandRefused when the contact has no company (or is not loaded yet).
    """
    entry = session.current
    if entry is None:
        raise CommandRefused("The contact is still loading; try again in a moment")
    contact = entry.contact
    if not contact.company_id:
        raise CommandRefused(f"{contact.name} {NO_COMPANY}")
    try:
        return await contacts_api(session.backend).get_company(contact.company_id), True
    except BackendError:
        known = entry.company if entry.company is not None and entry.company.id == contact.company_id else None
        if known is None:
            known = Company(id=contact.company_id, name=contact.company_name)
        return known, False


def company_contacts(session: ContactSession, company_id: str) -> list[str]:
    """The contacts of the company the app's views hold (the stream's, and this page's)."""
    entries: list[StreamEntry] = [*session.parent.entries, *session.entries]
    return sorted({e.contact.id for e in entries if e.contact.company_id == company_id})


async def edit_company(session: ContactSession, edited: Company, previous: Company) -> StreamEntry | None:
    """Save the company form as one change (CommandRefused: nothing changed, or no name)."""
    command = EditCompany(
        contact_id=session.contact_id, company=edited, previous=previous,
        contact_ids=company_contacts(session, edited.id), label=f"Edit company: {edited.name.strip()}",
    )
    return await session.run(command)

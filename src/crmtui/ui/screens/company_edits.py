"""`K` on the contact screen: edit the contact's company (name, phone, website, address, description,
custom fields) in a form; saved as one change through the outbox, shown at once on every contact of
the company, undone with u. A contact without a company says so, and how to give it one (E).
"""

from __future__ import annotations

from textual import work

from crmtui.domain.models import Company
from crmtui.service.company import edit_company, read_company
from crmtui.service.errors import CommandRefused
from crmtui.ui.modals.company_form import CompanyModal
from crmtui.ui.screens.contact_edits import ContactEditsMixin


class CompanyEditsMixin(ContactEditsMixin):
    """Put before ContactEditsMixin in the contact screen's bases."""

    def action_edit_company(self) -> None:
        if self._ready() is None:
            return
        self._open_company_form()

    @work(exclusive=True, group="company-form", exit_on_error=False)
    async def _open_company_form(self) -> None:
        ready = self._ready()
        if ready is None:
            return
        entry, account = ready
        try:
            company, whole = await read_company(self.contact)
        except CommandRefused as exc:
            self.notify(str(exc), title="No company", severity="warning", timeout=5)
            return
        if not whole:
            self.notify("Could not read the company's other fields; what shows can be changed", severity="warning", timeout=5)
        previous = company
        name = company.name or entry.contact.company_name

        def after(edited: Company | None) -> None:
            if edited is not None:
                self.run_command(
                    lambda: edit_company(self.contact, edited, previous), success=f"Saved {edited.name} · u undoes it"
                )

        self.app.push_screen(CompanyModal(account, self.contact.today(), company, title=f"Edit company · {name}", whole=whole), after)

"""The stream list's natural column widths (`natural_widths`): what each column's text needs."""

from __future__ import annotations

from crmtui.domain.models import Action, ActionStatus, Contact, Deal, DealStatus, StreamEntry
from crmtui.ui.rows import NO_ACTION_TEXT, natural_widths


def entry(n: int, *, pending: float = 0.0, deals: tuple[Deal, ...] = (), **contact: object) -> StreamEntry:
    return StreamEntry(contact=Contact(id=f"c{n}", total_pending=pending, **contact), deals=list(deals))


def test_the_value_column_fits_the_widest_amount_shown_negative_or_rounded_up() -> None:
    """The widest value is the largest or the most negative amount, as shown: in whole units."""
    rows = [entry(1, pending=999.6), entry(2, pending=50.0), entry(3)]
    assert natural_widths(rows, None).value == len("$1,000")  # 999.6 is shown rounded: a digit more
    rows.append(entry(4, pending=-12_345.0))
    assert natural_widths(rows, None).value == len("-$12,345")
    # A pending deal's amount is the row's value, not the contact's total.
    rows.append(entry(5, pending=1.0, deals=(Deal(id="d", status=DealStatus.PENDING, amount=123_456_789.0),)))
    assert natural_widths(rows, None).value == len("$123,456,789")
    assert natural_widths([entry(6), entry(7)], None).value == 0


def test_names_actions_and_companies_are_measured_as_the_rows_show_them() -> None:
    asap = Action(id="a", contact_id="c1", text="Call back about the renewal", status=ActionStatus.ASAP)
    done = Action(id="b", contact_id="c2", text="Done long ago", status=ActionStatus.ASAP, done=True)
    queued = Action(id="q", contact_id="c3", text="Queued one", status=ActionStatus.QUEUED)
    rows = [
        StreamEntry(contact=Contact(id="c1", first_name=" Ann ", last_name=" Lee ", company_name="Acme"), next_action=asap),
        StreamEntry(contact=Contact(id="c2", company_name="Company Only Ltd"), next_action=done),
        StreamEntry(contact=Contact(id="c3", first_name="Bo"), next_action=done, queued_actions=[queued]),
        StreamEntry(contact=Contact(id="c4", sales_closed=True, sales_closed_comment="Won it")),
    ]
    natural = natural_widths(rows, None)
    assert natural.longest_name == len("Company Only Ltd")  # a company-only contact is named by it
    assert natural.longest_company == len("Company Only Ltd")
    # Nine in ten of: "Call back about the renewal", "(no next action)", "Queued one", "Won it".
    assert natural.action == len(asap.text) and len(NO_ACTION_TEXT) < len(asap.text)
    assert natural_widths(rows[1:], None).action == len(NO_ACTION_TEXT)  # a done next action is not shown

"""The stream list of the team screen: the action stream's rows, saying whose actions they are.

On a colleague's stream "Queued for me" reads "Queued for Priya Shah"; on the whole account's the
second column names the person each action is for instead of the company.
"""

from __future__ import annotations

from crmtui.domain.models import Account, StreamEntry
from crmtui.domain.stream import Section
from crmtui.ui.rows import shown_action
from crmtui.ui.widgets.row_list import Column, Header
from crmtui.ui.widgets.stream_list import StreamList


def short_name(account: Account | None, user_id: str) -> str:
    """"Sofia L." for a team member; "" when the action has no assignee."""
    if not user_id:
        return ""
    if account is None:
        return user_id
    for user in [account.user, *account.team]:
        if user.id == user_id:
            initial = f" {user.last_name[:1]}." if user.last_name else ""
            return (user.first_name + initial).strip() or user.name
    return user_id


class TeamStreamList(StreamList):
    queued_for: str = ""
    """Whose queued actions the "queued for me" section holds; empty: the signed-in user's."""
    show_assignee: bool = False
    """Name each row's action's assignee where the company goes (the whole account's stream)."""

    def set_whose(self, *, queued_for: str, show_assignee: bool) -> None:
        if (queued_for, show_assignee) != (self.queued_for, self.show_assignee):
            self.queued_for, self.show_assignee = queued_for, show_assignee
            self._cache.clear()
            self.refresh()

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.assignee = Column[StreamEntry]("For", lambda e: (self._assignee(e), "dim"))

    def header_label(self, header: Header) -> str:
        if header.tag is Section.QUEUED_FOR_ME and self.queued_for:
            return f" Queued for {self.queued_for} · {header.count:,}"
        return super().header_label(header)

    def column_widths(self, width: int) -> list[tuple[Column[StreamEntry], int]]:
        """The action stream's columns, with the action's assignee where the company goes."""
        shown = super().column_widths(width)
        cols = self.widths(width)
        if not self.show_assignee or (not cols.company and cols.name < 18):  # too narrow to say whose
            return shown
        if cols.company:
            return [(self.assignee, w) if column is self.company else (column, w) for column, w in shown]
        # Narrow lists have no company column: the name makes room.
        who = min(9, cols.name // 2)
        at = next(i for i, (column, _) in enumerate(shown) if column is self.name_column)
        return [*shown[:at], (self.name_column, cols.name - who - 1), (self.assignee, who), *shown[at + 1 :]]

    def _assignee(self, entry: StreamEntry) -> str:
        action = shown_action(entry)
        return short_name(self._account, action.assignee_id) if action is not None else ""

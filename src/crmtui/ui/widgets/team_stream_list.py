"""The stream list of the team screen: the action stream's rows, saying whose actions they are.

On a colleague's stream "Queued for me" reads "Queued for Priya Shah"; on the whole account's the
second column names the person each action is for instead of the company.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from crmtui.domain.models import Account, StreamEntry
from crmtui.domain.stream import Section
from crmtui.ui.rows import CONFLICT_MARK, DUE_WIDE, STAR_OFF, STAR_ON, row_text, shown_action
from crmtui.ui.cells import fit
from crmtui.ui.widgets.stream_list import StreamList, _Header


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

    def _render_row(self, row: StreamEntry | _Header, width: int, selected: bool) -> Strip:
        if isinstance(row, _Header):
            if row.section is Section.QUEUED_FOR_ME and self.queued_for:
                label = f" Queued for {self.queued_for} · {row.count}"
                return Strip([Segment(fit(label, width), self.rich_style + self._style("header"))], width)
            return super()._render_row(row, width, selected)
        cols = self.columns(width)
        if not self.show_assignee or (not cols.company and cols.name < 18):  # too narrow to say whose
            return super()._render_row(row, width, selected)
        return self._assignee_row(row, width, selected)

    def _assignee_row(self, row: StreamEntry, width: int, selected: bool) -> Strip:
        """The action stream's row with the action's assignee in the company column."""
        cols = self.columns(width)
        cells = row_text(row, self._account, self._today, self._now, compact=cols.due < DUE_WIDE)
        action = shown_action(row)
        who = short_name(self._account, action.assignee_id) if action is not None else ""
        line = self.rich_style + self._style("cursor") if selected else self.rich_style
        flag = line + self._fg(cells.role)
        dim = line + self._fg("dim")
        name_width, who_width = cols.name, cols.company
        if not who_width:  # narrow lists have no company column: the name makes room
            who_width = min(9, cols.name // 2)
            name_width = cols.name - who_width - 1
        segments = [
            Segment("▌ ", flag),
            Segment(STAR_ON if cells.starred else STAR_OFF, line + self._fg("star") if cells.starred else dim),
            Segment(" ", line),
            Segment(fit(cells.name, name_width) + " ", line + Style(bold=True)),
            Segment(fit(who, who_width) + " ", dim),
            Segment(fit(cells.action, cols.action) + " ", flag if cells.role == "none" else line),
            Segment(fit(cells.due, cols.due) + " ", line + Style(bold=True) if selected else flag),
        ]
        if cols.value:
            segments.append(Segment(fit(cells.value.rjust(cols.value), cols.value) + " ", line))
        segments.append(Segment(CONFLICT_MARK if cells.conflict else " ", line + self._fg("conflict")))
        return Strip(segments).adjust_cell_length(width, line)

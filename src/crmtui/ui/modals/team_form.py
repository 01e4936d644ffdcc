"""A team's name and description (and, for a team that exists, whether it is active)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from textual.widget import Widget
from textual.widgets import Checkbox

from crmtui.domain.teams import Team
from crmtui.ui.modals.contact_forms import ContactFormModal, FormError, form_row
from crmtui.ui.widgets.inputs import TextInput
from crmtui.ui.widgets.boxes import TickBox


@dataclass(frozen=True)
class TeamFormResult:
    name: str
    description: str
    active: bool = True


class TeamFormModal(ContactFormModal[TeamFormResult]):
    """A new team (`team` None) or an edit of `team`."""

    DIALOG_ID = "team-form"

    def __init__(self, team: Team | None = None) -> None:
        super().__init__(f"Edit team: {team.title}" if team is not None else "New team (you manage it)")
        self.team = team

    def fields(self) -> Iterable[Widget]:
        team = self.team
        yield form_row("Name", TextInput(team.name if team else "", placeholder="Team name", id="team-name", compact=True))
        yield form_row(
            "About",
            TextInput(team.description if team else "", placeholder="Description (optional)", id="team-about", compact=True),
        )
        if team is not None:
            yield TickBox("Active (an inactive team is kept, listed last)", team.active, id="team-active", compact=True)

    def result(self) -> TeamFormResult:
        name = self.value("team-name")
        if not name:
            raise FormError("A team needs a name", "team-name")
        active = self.query_one("#team-active", Checkbox).value if self.team is not None else True
        return TeamFormResult(name=name, description=self.value("team-about"), active=active)

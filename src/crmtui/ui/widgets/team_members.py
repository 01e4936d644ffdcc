"""The team picker beside the team stream: Everyone and each member, with their next-action counters."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from crmtui.service.team import TeamMember

EVERYONE = "everyone"
"""Option id of the whole account (a user id is never this word)."""


def option_id(user_id: str | None) -> str:
    return user_id or EVERYONE


def user_of(option: str | None) -> str | None:
    return None if option in (None, EVERYONE) else option


def _prompt(member: TeamMember, viewing: bool, name_width: int) -> Text:
    """"▸ Priya Shah      3": the stream on screen is marked; counters line up on the right."""
    count = "…" if member.count is None else f"{member.count:,}"
    name = member.name if len(member.name) <= name_width else member.name[: name_width - 1] + "…"
    line = ("▸ " if viewing else "  ") + name.ljust(name_width) + count.rjust(6)
    return Text(line, style="bold" if viewing else "", no_wrap=True, overflow="ellipsis")


NAME_WIDTH = 18
"""Room for a member's name before the counter."""


class TeamMemberList(OptionList):
    """One line per member; the counter is how many contacts have a next action of theirs."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "first", "First", show=False),
        Binding("G", "last", "Last", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: list[str] = []

    def set_members(self, members: list[TeamMember], viewing: str | None) -> None:
        """Show `members`, marking whose stream is on screen; the highlight stays where it was."""
        ids = [option_id(m.user_id) for m in members]
        prompts = [_prompt(m, m.user_id == viewing, NAME_WIDTH) for m in members]
        if ids == self._shown:
            for member_id, prompt in zip(ids, prompts):
                self.replace_option_prompt(member_id, prompt)
            return
        previous = self.highlighted_option.id if self.highlighted_option is not None else option_id(viewing)
        self.set_options(Option(prompt, id=member_id) for member_id, prompt in zip(ids, prompts))
        self._shown = ids
        self.highlighted = ids.index(previous) if previous in ids else 0

    def highlight_user(self, user_id: str | None) -> None:
        wanted = option_id(user_id)
        if wanted in self._shown:
            self.highlighted = self._shown.index(wanted)

    @property
    def highlighted_user(self) -> str | None:
        option = self.highlighted_option
        return user_of(option.id if option is not None else None)

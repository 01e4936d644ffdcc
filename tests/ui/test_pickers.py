"""The pick-one modals move with j/k like every list of the app (and arrows, Enter, Esc as before)."""

from __future__ import annotations

import pytest
from textual.app import App
from textual.screen import ModalScreen

from crmtui.domain.models import User
from crmtui.ui.modals.contact_pickers import Choice, ChoiceModal
from crmtui.ui.modals.deal_choice import DealChoiceModal
from crmtui.ui.modals.pickers import TeamPickerModal

USERS = [User(id=f"u{n}", first_name=name, last_name="Test") for n, name in enumerate(["Alex", "Priya", "Tom"])]


def team() -> ModalScreen:
    return TeamPickerModal("Assign to", USERS, current="u0")


def choice() -> ModalScreen:
    return ChoiceModal("Status", [Choice(f"s{n}", label) for n, label in enumerate(["Lead", "Prospect", "Customer"])])


def deals() -> ModalScreen:
    return DealChoiceModal("Pipeline", [("p0", "Sales"), ("p1", "Renewals"), ("p2", "Partners")])


class Host(App[None]):
    def __init__(self, modal: ModalScreen) -> None:
        super().__init__()
        self.modal = modal
        self.picked: list[str | None] = []

    def on_mount(self) -> None:
        self.push_screen(self.modal, self.picked.append)


@pytest.mark.parametrize(
    ("make", "values"),
    [(team, ["u0", "u1", "u2"]), (choice, ["s0", "s1", "s2"]), (deals, ["p0", "p1", "p2"])],
    ids=["team", "choice", "deal"],
)
@pytest.mark.parametrize(
    ("keys", "index"),
    [(("j", "j", "k", "j"), 2), (("j",), 1), (("k",), 2), (("down", "down", "k"), 1)],
    ids=["jjkj", "j", "k-wraps-as-up-does", "arrows-then-k"],
)
async def test_j_and_k_move_the_highlight_and_enter_picks(make, values, keys, index) -> None:
    app = Host(make())
    async with app.run_test() as pilot:
        await pilot.press(*keys, "enter")
        await pilot.pause()
    assert app.picked == [values[index]]

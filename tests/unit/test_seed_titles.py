"""Seeded contacts' titles agree with their first names (no "Mr Olga Zimmer")."""

from __future__ import annotations

import datetime as dt

import pytest

from crmtui.sandbox.onepagecrm.seed import FEMALE, FIRST, MALE, seed_account, title_for


def test_every_first_name_is_female_male_or_one_of_the_two_that_are_both() -> None:
    assert set(FIRST) - FEMALE - MALE == {"Dara", "Quinn"} and not FEMALE & MALE


@pytest.mark.parametrize("seed", [42, 7])
def test_seeded_titles_agree_with_first_names(seed: int) -> None:
    tables, _ = seed_account(seed, 300, dt.date(2026, 3, 10))
    contacts = list(tables["contacts"].values())
    assert {c["title"] for c in contacts} == {"Mr", "Mrs", "Ms"}
    for contact in contacts:
        first, title = contact["first_name"], contact["title"]
        if first in MALE:
            assert title == "Mr", f"{title} {first}"
        elif first in FEMALE:
            assert title in ("Mrs", "Ms"), f"{title} {first}"


def test_the_drawn_title_is_kept_when_it_fits() -> None:
    assert [title_for("Olga", t) for t in ("Mr", "Mrs", "Ms")] == ["Ms", "Mrs", "Ms"]
    assert [title_for("Ivan", t) for t in ("Mr", "Mrs", "Ms")] == ["Mr", "Mr", "Mr"]
    assert [title_for("Quinn", t) for t in ("Mr", "Mrs", "Ms")] == ["Mr", "Mrs", "Ms"]

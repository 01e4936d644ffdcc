"""Narrowing a list as you type (`/` on the leads inbox and the records list): the same items as a test
of every item, with each item's text folded once, and a query typed on looking only among the last
one's matches."""

from __future__ import annotations

import random
from dataclasses import dataclass

from crmtui.service.find_match import Narrower, fold


@dataclass(eq=False)
class Item:
    title: str
    owner: str = ""


NAMES = ["Zoë Ó Briain", "Zoe Quinn", "Acme – fleet renewal", "Nova Travel – office move", "Café Crème", "Ivan López",
         "Seán Murphy", "ANNA KOWALSKI", "Lía Chen", "renewal of the renewal"]


class Texts:
    """The text of each item (with whose name is known so far); counts the texts made."""

    def __init__(self) -> None:
        self.owners: dict[str, str] = {}
        self.made = 0

    def __call__(self, item: Item) -> str:
        self.made += 1
        return f"{item.title} {self.owners.get(item.owner, '')}"


def every(items: list[Item], query: str, texts: Texts) -> list[Item]:
    words = fold(query).split()
    return [item for item in items if all(word in fold(texts(item)) for word in words)]


def crowd(count: int) -> list[Item]:
    rng = random.Random(3)
    return [Item(f"{rng.choice(NAMES)} {n}", rng.choice(["p1", "p2", ""])) for n in range(count)]


def test_the_same_items_as_testing_each_while_typing_on_and_back() -> None:
    items, texts, narrower = crowd(300), Texts(), Narrower[Item]()
    for query in ["zoe", "zoe o b", "renewal", "acme fleet", "cafe", "lopez", "anna k", "1", "nothing"]:
        typed = [query[: n + 1] for n in range(len(query))]
        for text in typed + typed[-2::-1]:
            assert narrower.narrow(items, text, texts) == every(items, text, Texts()), text
    assert narrower.narrow(items, "  ", texts) is items


def test_each_text_is_made_once_and_a_changed_item_alone_again() -> None:
    items, texts, narrower = crowd(200), Texts(), Narrower[Item]()
    narrower.narrow(items, "zo", texts)
    narrower.narrow(items, "nova", texts)
    narrower.narrow(items, "n", texts)
    assert texts.made == 200
    changed = Item("Zwicky Wanda")
    items = [changed if n == 5 else item for n, item in enumerate(items)]  # a new list, one item new
    assert narrower.narrow(items, "zwicky", texts) == [changed]
    assert texts.made == 201


def test_a_name_learned_later_is_found_once_the_context_says_so() -> None:
    items, texts, narrower = crowd(100), Texts(), Narrower[Item]()
    assert narrower.narrow(items, "priya", texts, context=0) == []
    texts.owners["p1"] = "Priya Shah"
    found = narrower.narrow(items, "priya", texts, context=1)
    assert found == [item for item in items if item.owner == "p1"] and found


def test_typing_on_looks_only_among_the_last_matches() -> None:
    items, narrower = crowd(300), Narrower[Item]()
    texts = Texts()
    narrower.narrow(items, "zoe", texts)
    texts.owners["p2"] = "Zoe Zed"  # changed without a word: only a new context would show it
    assert all("zoe" in fold(item.title) for item in narrower.narrow(items, "zoe q", texts))

"""Find anyone at scale: the finder's index (each contact folded once, again only when it changed), the
narrowing of a query from the last keystroke's candidates, and the ranking of only the best must give
what a full ranking of every contact gives: the same contacts, in the same order, with the same counts."""

from __future__ import annotations

import random

import pytest

from crmtui.domain.models import StreamEntry
from crmtui.service.find import ContactFinder
from crmtui.service.find_match import Haystack, Query, narrows
from tests.support.waits import HANG_GUARD, until
from tests.unit.test_find_match import entry, session_with

FIRST = ["Zoë", "Zoe", "Ann", "Anna", "Quinn", "Seán", "Liam", "Ana", "Mary-Ann", "", "Ivan", "Lía"]
LAST = ["Ó Briain", "O'Brien", "Quinn", "McQuinn", "Adams", "López", "Lopez", "Murphy", "", "Anand", "Kowalski"]
COMPANY = ["Nova Travel", "Café Crème Ltd", "Acme Labs", "Quinn Partners", "", "Annex Foods", "Murphy & Sons"]


def crowd(count: int, seed: int = 7) -> list[StreamEntry]:
    rng = random.Random(seed)
    made = []
    for n in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        company = rng.choice(COMPANY)
        slug = f"{first}.{last}".lower().replace(" ", "").replace("'", "") or "info"
        emails = (f"{slug}{n % 7}@{company.split(' ')[0].lower() or 'mail'}.example",) if rng.random() < 0.8 else ()
        phones = (f"+353 8{rng.randint(3, 9)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}",) if rng.random() < 0.7 else ()
        made.append(entry(f"c{n:03d}", first, last, company, emails, phones))
    return made


QUERIES = ["zoe", "zoe o", "ann", "an", "a", "quinn", "o'b", "ó b", "lopez", "nova t", "cafe", "mcq", "+353 8", "353 85",
           "obrien", "anna.quinn", "acme", ".example", "mary ann", "lia", "e", "zz", "kowalski0@", "murphy &"]


def fresh(entries: list[StreamEntry], query: str, limit: int | None) -> tuple[int, list[tuple[str, str, str]]]:
    """The answer of a new finder asked once, ranked over every contact (no index carried over)."""
    session = session_with(entries)  # held: the finder does not keep its session alive
    result = ContactFinder(session).find(query)
    found = result.found if limit is None else result.found[:limit]
    return result.total, [(f.contact_id, f.field, f.detail) for f in found]


def answer(finder: ContactFinder, query: str, limit: int | None) -> tuple[int, list[tuple[str, str, str]]]:
    result = finder.find(query, limit=limit)
    return result.total, [(f.contact_id, f.field, f.detail) for f in result.found]


@pytest.mark.parametrize("limit", [1, 5, 100, None])
def test_typing_letter_by_letter_then_back_gives_what_a_fresh_finder_gives(limit: int | None) -> None:
    entries = crowd(250)
    session = session_with(entries)
    finder = ContactFinder(session)
    for query in QUERIES:
        typed = [query[: n + 1] for n in range(len(query))]
        for text in typed + typed[-2::-1]:  # on to the whole query, then back to its first letter
            assert answer(finder, text, limit) == fresh(entries, text, limit), (text, limit)


def test_a_limit_ranks_only_the_best_but_counts_them_all() -> None:
    session = session_with(crowd(400))
    finder = ContactFinder(session)
    every = finder.find("a")
    best = finder.find("a", limit=3)
    assert best.total == every.total > 300
    assert [f.contact_id for f in best.found] == [f.contact_id for f in every.found[:3]]


def test_a_contact_changed_after_indexing_is_found_by_its_new_name_only() -> None:
    entries = crowd(200)
    session = session_with(entries)
    finder = ContactFinder(session)
    assert finder.find("kowalski", limit=100).total > 0
    built = finder.built
    target = next(e for e in session.entries if e.contact.last_name == "Kowalski")
    renamed = entry(target.contact.id, "Wanda", "Zwicky", "Oak Foods")
    at = session.entries.index(target)
    session.entries[at] = renamed  # in place, as the session moves one row, with its signal
    session.changes.emit(frozenset({target.contact.id}))
    found = finder.find("zwicky", limit=100)
    assert [f.contact_id for f in found.found] == [target.contact.id]
    assert finder.built == built + 1  # only the changed contact was folded again
    old = finder.find(f"{target.contact.first_name} kowalski".strip(), limit=100)
    assert target.contact.id not in {f.contact_id for f in old.found}
    assert answer(finder, "w", 100) == fresh(session.entries, "w", 100)


def test_a_row_replaced_in_a_new_list_without_a_signal_is_found_by_its_new_text() -> None:
    entries = crowd(200)
    session = session_with(entries)
    finder = ContactFinder(session)
    finder.find("zo", limit=100)
    built = finder.built
    gone = session.entries[10]
    session.entries = [entry(gone.contact.id, "Xena", "Yarrow") if e is gone else e for e in session.entries]
    assert [f.contact_id for f in finder.find("yarrow", limit=100).found] == [gone.contact.id]
    assert finder.built == built + 1
    assert answer(finder, "zo", 100) == fresh(session.entries, "zo", 100)


def test_contacts_that_come_and_go_are_found_and_then_not() -> None:
    entries = crowd(120)
    session = session_with(entries)
    finder = ContactFinder(session)
    assert finder.find("quentin", limit=10).total == 0
    newcomer = entry("new", "Quentin", "Blake")
    session.entries.append(newcomer)
    session.changes.emit(frozenset({"new"}))
    assert [f.contact_id for f in finder.find("quentin", limit=10).found] == ["new"]
    session.entries.remove(newcomer)
    session.changes.emit(frozenset({"new"}))
    assert finder.find("quentin", limit=10).total == 0
    assert finder.find("quent", limit=10).total == 0  # not narrowed from a stale answer


@pytest.mark.parametrize(
    ("earlier", "later", "narrower"),
    [
        ("zo", "zoe", True),
        ("zoe", "zoe o", True),
        ("zoe ", "zoe o", True),
        ("zoe", "zo", False),  # shorter: more may match
        ("oe", "zoe", False),  # typed before what was there
        ("+353", "+353 8", True),
        ("35", "353", False),  # a phone number from here on: its contacts were not among the earlier's
        ("", "a", False),
    ],
)
def test_which_query_narrows_from_the_last(earlier: str, later: str, narrower: bool) -> None:
    assert narrows(Query.of(earlier), Query.of(later)) is narrower


def test_folding_is_made_once_per_contact_and_ignores_accents() -> None:
    hay = Haystack.of(entry("z", "Zoë", "Ó Briain", "Café Crème", ("Zoe.OBriain@Cafe.example",)))
    assert (hay.name, hay.company) == ("zoe o briain", "cafe creme")
    assert "\nbriain" in hay.name_word_heads and "\no briain" in hay.name_heads
    assert hay.email_lines == "\nzoe.obriain@cafe.example\n"


def test_a_reload_with_the_same_text_folds_nothing_and_finds_the_new_rows() -> None:
    session = session_with(crowd(150))
    finder = ContactFinder(session)
    finder.find("an", limit=100)
    built = finder.built
    session.entries = [e.model_copy(deep=True) for e in session.entries]
    session.changes.emit(None)
    found = finder.find("ann", limit=100).found  # typed on from "an": not from the rows before the reload
    assert finder.built == built
    rows = {id(e) for e in session.entries}
    assert found and all(id(f.entry) in rows for f in found)


def test_only_ascii_digits_count_in_a_phone_number() -> None:
    from crmtui.service.find_match import digits

    assert digits("+353 (87) 555-0101") == "353875550101"
    assert digits("\u0663\u0664 12 \uff11\uff12") == "12"  # Arabic-Indic and full-width digits are not compared


# -- a long list indexed in a thread: the older index answers meanwhile, the new one swapped in whole --


class Gate:
    """Holds `ContactIndex.made_from` (the fold in the thread) until `open()`; says when it was entered."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import threading

        from crmtui.service import find_match

        self.entered = threading.Event()
        self.release = threading.Event()
        self.done = threading.Event()
        self.calls = 0
        self.raised: BaseException | None = None
        made_from = find_match.ContactIndex.made_from.__func__  # type: ignore[attr-defined]

        def held(cls: type, *args: object, **kwargs: object) -> object:
            self.calls += 1
            self.entered.set()
            if not self.release.wait(HANG_GUARD):
                raise AssertionError("the gate was never opened")
            try:
                return made_from(cls, *args, **kwargs)
            except BaseException as exc:
                self.raised = exc
                raise
            finally:
                self.done.set()

        monkeypatch.setattr(find_match.ContactIndex, "made_from", classmethod(held))

    def open(self) -> None:
        self.release.set()


def threaded(session) -> ContactFinder:  # type: ignore[no-untyped-def]
    finder = ContactFinder(session)
    finder.background_from = 1  # every list is "long" here
    return finder


async def test_a_long_list_is_indexed_in_a_thread_and_then_answers_as_a_fresh_finder(monkeypatch) -> None:
    gate = Gate(monkeypatch)
    entries = crowd(300)
    session = session_with(entries)
    finder = threaded(session)
    first = finder.find("ann", limit=100)  # starts the fold; nothing indexed yet: the old (empty) index answers
    assert (first.total, first.indexing) == (0, 300)
    await until(gate.entered.is_set, "the fold in its thread")
    assert finder.find("anna", limit=100).indexing == 300  # a keystroke meanwhile does not wait for it
    gate.open()
    await finder.indexed()
    assert finder.indexing == 0 and gate.calls == 1
    for query in QUERIES:
        typed = [query[: n + 1] for n in range(len(query))]
        for text in typed:
            assert answer(finder, text, 100) == fresh(entries, text, 100), text
    assert finder.find("a", limit=100).indexing == 0


async def test_a_contact_changed_while_the_index_is_made_is_found_by_its_new_name(monkeypatch) -> None:
    gate = Gate(monkeypatch)
    session = session_with(crowd(300))
    finder = threaded(session)
    finder.haystacks()  # what the dialog does once drawn: the fold begins
    await until(gate.entered.is_set, "the fold in its thread")
    target = next(e for e in session.entries if e.contact.last_name == "Kowalski")
    renamed = entry(target.contact.id, "Wanda", "Zwicky", "Oak Foods")
    at = session.entries.index(target)
    session.entries[at] = renamed  # in place, as the session moves one row, with its signal
    session.changes.emit(frozenset({target.contact.id}))
    newcomer = entry("new", "Quentin", "Blake")
    session.entries = [*session.entries, newcomer]  # a new list, with its signal
    session.changes.emit(frozenset({"new"}))
    gate.open()
    await finder.indexed()
    assert [f.contact_id for f in finder.find("zwicky", limit=100).found] == [target.contact.id]
    assert [f.contact_id for f in finder.find("quentin", limit=100).found] == ["new"]
    assert answer(finder, "kowalski", 100) == fresh(session.entries, "kowalski", 100)
    assert target.contact.id not in {f.contact_id for f in finder.find("kowalski").found}
    assert finder.built == 300 + 2  # only the two changed contacts were folded again


async def test_a_reload_while_the_index_is_made_makes_another_from_the_new_rows(monkeypatch) -> None:
    gate = Gate(monkeypatch)
    session = session_with(crowd(300))
    finder = threaded(session)
    finder.haystacks()
    await until(gate.entered.is_set, "the fold in its thread")
    session.entries = [entry(e.contact.id, "Xena", "Yarrow") if n == 5 else e for n, e in enumerate(session.entries)][:250]
    session.changes.emit(None)  # anything may have changed
    gate.open()
    await finder.indexed()
    assert gate.calls == 2  # the snapshot's index, then the reloaded list's
    for text in ("yarrow", "an", "+353 8", "zoe o"):
        assert answer(finder, text, 100) == fresh(session.entries, text, 100), text


async def test_the_older_index_answers_while_a_reload_is_indexed_and_the_server_part_is_kept(monkeypatch) -> None:
    session = session_with(crowd(300))
    finder = threaded(session)
    finder.haystacks()
    await finder.indexed()
    gate = Gate(monkeypatch)
    before = answer(finder, "quinn", 100)
    session.entries = [e.model_copy(deep=True) for e in session.entries]
    session.changes.emit(None)
    during = finder.find("quinn", limit=100)
    assert during.indexing == 300 and (during.total, [(f.contact_id, f.field, f.detail) for f in during.found]) == before
    gate.open()
    await finder.indexed()
    again = finder.again(during, limit=100)
    assert again.indexing == 0 and (again.total, [(f.contact_id, f.field, f.detail) for f in again.found]) == before
    rows = {id(e) for e in session.entries}
    assert all(id(f.entry) in rows for f in again.found)  # the reloaded rows, not the older ones


async def test_closing_the_finder_while_it_indexes_stops_waiting_for_the_fold(monkeypatch) -> None:
    gate = Gate(monkeypatch)
    session = session_with(crowd(50))
    finder = threaded(session)
    finder.haystacks()
    await until(gate.entered.is_set, "the fold in its thread")
    finder.close()
    await finder.indexed()
    assert finder.indexing == 0
    gate.open()
    await until(gate.done.is_set, "the thread to end")
    from crmtui.service.find_match import Abandoned

    assert isinstance(gate.raised, Abandoned)  # it gave up at once (an app quitting does not wait for it)


def test_without_an_event_loop_a_long_list_is_folded_at_once() -> None:
    session = session_with(crowd(50))
    finder = threaded(session)
    assert finder.find("an", limit=100).indexing == 0
    assert answer(finder, "an", 100) == fresh(session.entries, "an", 100)


def test_an_index_made_in_runs_for_a_thread_has_the_order_of_one_made_at_once(monkeypatch) -> None:
    from crmtui.service import find_match

    monkeypatch.setattr(find_match, "_RUN", 7)  # many runs merged
    entries = crowd(500)
    whole = find_match.ContactIndex()
    whole.rebuild(entries)
    made = find_match.ContactIndex.made_from(entries, {}, share=16)
    assert [h.key for h in made.order] == [h.key for h in whole.order] and made.built == 500
    assert (made.texts, made.digits) == (whole.texts, whole.digits)
    again = find_match.ContactIndex.made_from(entries, dict(made.by_id), built=made.built, share=3)
    assert again.built == 500 and all(a is b for a, b in zip(again.order, made.order, strict=True))

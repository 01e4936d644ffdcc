"""Find anyone: how a query matches a contact and how the matches rank (no server: pure functions, and
the finder over a session whose stream is set by hand)."""

from __future__ import annotations

import pytest

from crmtui.backends.registry import Connection, create_backend
from crmtui.domain.models import Company, Contact, Email, Phone, StreamEntry
from crmtui.service.find import ContactFinder, ServerState, finder_for
from crmtui.service.find_match import Haystack, Query, Tier, fold, looks_like_email, looks_like_phone, match
from crmtui.service.session import Session


def entry(cid: str, first: str = "", last: str = "", company: str = "", emails: tuple[str, ...] = (),
          phones: tuple[str, ...] = ()) -> StreamEntry:
    contact = Contact(
        id=cid, first_name=first, last_name=last, company_name=company,
        emails=[Email(type="work", value=e) for e in emails], phones=[Phone(type="work", value=p) for p in phones],
    )
    return StreamEntry(contact=contact)


def tier(query: str, e: StreamEntry) -> Tier | None:
    hit = match(Query.of(query), Haystack.of(e))
    return hit[0] if hit is not None else None


ZOE = entry("z", "Zoë", "Ó Briain", "Café Crème Ltd", ("zoe.obriain@cafe.example",), ("+353 (87) 555-0101",))


# -- normalising ---------------------------------------------------------------------------------------


def test_fold_drops_case_and_accents_and_extra_spaces() -> None:
    assert fold("  Zoë   Ó Briain ") == "zoe o briain"
    assert fold("ÅNGSTRÖM") == "angstrom"
    assert fold("Straße") == "strasse"
    assert fold("\uff3a\uff4f\uff45") == "zoe"  # full-width letters are compatibility forms: NFKD makes them plain


@pytest.mark.parametrize(("query", "email", "phone"), [
    ("zoe@cafe.example", True, False),
    ("zoe@cafe", False, False),  # not an address yet: a search
    ("zoe", False, False),
    ("+353 (87) 555-0101", False, True),
    ("087 555", False, True),
    ("55", False, False),  # too few digits
    ("zoe 555", False, False),  # mostly letters
])
def test_what_a_query_looks_like(query: str, email: bool, phone: bool) -> None:
    assert looks_like_email(query) is email
    assert looks_like_phone(query) is phone


def test_the_server_is_asked_by_email_phone_or_search() -> None:
    assert Query.of(" zoe@cafe.example ").server_filter == {"email": "zoe@cafe.example"}
    assert Query.of("+353 87 555").server_filter == {"phone": "+353 87 555"}
    assert Query.of("Zoë").server_filter == {"search": "Zoë"}
    assert not Query.of("z").for_server and Query.of("zo").for_server


# -- matching ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "expected"), [
    ("zoe o briain", Tier.NAME_EXACT),
    ("ZOË Ó BRIAIN", Tier.NAME_EXACT),
    ("zoe", Tier.NAME_START),  # the first name
    ("o bri", Tier.NAME_START),  # the last name
    ("zoe o", Tier.NAME_START),  # the whole name
    ("bri", Tier.NAME_WORD),  # a word of the last name
    ("briain zo", Tier.NAME_WORD),  # words in another order
    ("riai", Tier.NAME_PART),
    ("cafe", Tier.COMPANY_START),
    ("cafe creme ltd", Tier.COMPANY_START),
    ("creme", Tier.COMPANY_WORD),
    ("reme", Tier.COMPANY_PART),
    ("zoe creme", Tier.NAME_AND_COMPANY),
    ("zoe.obriain@cafe.example", Tier.EMAIL_EXACT),
    ("zoe.ob", Tier.EMAIL_START),
    ("@cafe.ex", Tier.EMAIL_PART),
    ("+353 87 555 0101", Tier.PHONE),
    ("(087) 555-0101", None),  # the 0 of a national number is not in the international one
    ("87-555-0101", Tier.PHONE),
    ("5550101", Tier.PHONE),
    ("zoey", None),
    ("ann", None),
    ("", None),
])
def test_tiers(query: str, expected: Tier | None) -> None:
    assert tier(query, ZOE) == expected


def test_the_phone_shown_is_the_one_that_matched_as_the_contact_has_it() -> None:
    two = entry("t", "Tom", phones=("+353 1 234 5678", "+353 86 999 1234"))
    assert match(Query.of("086 999"), Haystack.of(two)) is None
    assert match(Query.of("86 999"), Haystack.of(two)) == (Tier.PHONE, "+353 86 999 1234")
    assert match(Query.of("zoe.obriain@cafe.example"), Haystack.of(ZOE)) == (Tier.EMAIL_EXACT, "zoe.obriain@cafe.example")


def test_a_company_only_contact_matches_by_its_company() -> None:
    acme = entry("a", company="Acme Labs")
    assert tier("acme", acme) == Tier.COMPANY_START
    assert tier("labs", acme) == Tier.COMPANY_WORD


def test_apostrophes_and_hyphens_split_words() -> None:
    assert tier("brien", entry("o", "Niall", "O'Brien")) == Tier.NAME_WORD
    assert tier("smyth", entry("s", "Ann", "Jones-Smyth")) == Tier.NAME_WORD


# -- ranking, over a session's stream --------------------------------------------------------------------


def session_with(entries: list[StreamEntry]) -> Session:
    backend = create_backend(Connection("onepagecrm", "http://127.0.0.1:9/api/v3", "u", "k"))  # never called
    session = Session(backend)
    session.entries = list(entries)
    return session


STREAM = [
    entry("1", "Ann", "Quinn", "Zenith Media", ("ann@zenith.example",)),
    entry("2", "Quinn", "Adams", "Acme Labs"),
    entry("3", "Ben", "McQuinn", "Oak Foods"),
    entry("4", "Carla", "Doyle", "Quinn Partners"),
    entry("5", "Dara", "Evans", "Pine Media", ("dara@quinnco.example",)),
    entry("6", "Emeka", "Byrne", "Fern Dental", phones=("+353 1 555 7777",)),
    entry("7", "Fiona", "Aquinnas", "Iron Studio"),
]


def test_names_before_companies_before_emails() -> None:
    session = session_with(STREAM)
    result = ContactFinder(session).find("quinn")
    names = [(f.contact_id, f.field) for f in result.found]
    assert names == [
        ("1", "name"), ("2", "name"),  # the start of a first or last name, by name: Ann Quinn, Quinn Adams
        ("3", "name"), ("7", "name"),  # inside the name: Ben McQuinn, Fiona Aquinnas
        ("4", "company"),
        ("5", "email"),
    ]
    assert result.total == result.from_stream == 6 and result.from_server == 0
    assert result.server is ServerState.ASKING


def test_ties_go_by_name_then_id() -> None:
    session = session_with([entry("b", "Zoe", "Adams"), entry("a", "Zoe", "Adams"), entry("c", "Zoë", "Aaron")])
    assert [f.contact_id for f in ContactFinder(session).find("zoe").found] == ["c", "a", "b"]


def test_a_limit_cuts_the_list_not_the_counts() -> None:
    session = session_with(STREAM)
    result = ContactFinder(session).local("quinn", limit=2)
    assert [f.contact_id for f in result.found] == ["1", "2"] and result.total == 6
    assert result.server is ServerState.NOT_ASKED


def test_short_queries_are_not_sent_and_offline_mode_says_so_at_once() -> None:
    session = session_with(STREAM)
    finder = ContactFinder(session)
    assert finder.find("q").server is ServerState.NOT_ASKED
    assert finder.find("").found == []
    session.offline = True
    assert finder.find("quinn").server is ServerState.OFFLINE


def test_haystacks_are_made_once_and_again_only_for_changed_contacts() -> None:
    session = session_with(STREAM)
    finder = ContactFinder(session)
    finder.find("qu")
    finder.find("quinn")
    assert finder.built == len(STREAM)  # the second query reused every haystack
    renamed = entry("3", "Ben", "Zoller", "Oak Foods")
    session.entries = [renamed if e.contact.id == "3" else e for e in session.entries]
    session.changes.emit(frozenset({"3"}))
    assert [f.contact_id for f in finder.find("zoller").found] == ["3"]
    assert finder.built == len(STREAM) + 1
    reloaded = [e.model_copy(deep=True) for e in session.entries]  # a new load: new rows, the same text...
    reloaded[0] = entry(reloaded[0].contact.id, "Annika", "Quinn", "Zenith Media")  # ...but for one contact
    session.entries = reloaded
    session.changes.emit(None)
    found = finder.find("quinn").found
    assert finder.built == len(STREAM) + 2  # only the one whose text changed is folded again
    assert {id(f.entry) for f in found} <= {id(e) for e in reloaded}  # the rows found are the new ones
    assert [f.contact_id for f in finder.find("annika").found] == [reloaded[0].contact.id]


def test_a_row_replaced_without_a_signal_is_not_matched_on_its_old_text() -> None:
    session = session_with(STREAM)
    finder = ContactFinder(session)
    assert [f.contact_id for f in finder.find("carla").found] == ["4"]
    session.entries = [entry("4", "Karla", "Doyle") if e.contact.id == "4" else e for e in session.entries]
    assert finder.find("carla").found == []


def test_the_company_record_counts_when_the_contact_has_no_company_name() -> None:
    linked = StreamEntry(contact=Contact(id="l", first_name="Liam"), company=Company(id="co", name="Tidal Health"))
    assert tier("tidal", linked) == Tier.COMPANY_START


def test_one_finder_per_session() -> None:
    session = session_with(STREAM)
    assert finder_for(session) is finder_for(session)
    assert finder_for(session_with(STREAM)) is not finder_for(session)

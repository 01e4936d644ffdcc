"""How a query matches a contact, and how well: the finder's (`crmtui.service.find`) rules, with no I/O.

Matching ignores case and accents (`zoe` finds `Zoë`: NFKD, combining marks dropped). Ranking, best
first: the whole name, then the start of the first or last name (or of the whole name), then the
start of words of the name, then any part of the name; the same three for the company; the query's
words spread over name and company; an email (whole, its start, any part); a phone number, whose
spaces, dashes, brackets and + are ignored (only digits are compared). Ties go by name.
"""

from __future__ import annotations

import bisect
import enum
import heapq
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from itertools import compress, islice
from operator import attrgetter
from typing import Generic, TypeVar

from crmtui.domain.directory import DirectoryRow
from crmtui.domain.models import Contact, StreamEntry

T = TypeVar("T")

SERVER_MIN_CHARS = 2
"""The server is asked from this many characters on (one letter would list most of the account)."""
PHONE_MIN_DIGITS = 3
"""A query with fewer digits is not a phone number."""


class Tier(enum.IntEnum):
    """How well a contact matches; lower is better."""

    NAME_EXACT = 0
    NAME_START = 1
    NAME_WORD = 2
    NAME_PART = 3
    COMPANY_START = 4
    COMPANY_WORD = 5
    COMPANY_PART = 6
    NAME_AND_COMPANY = 7
    EMAIL_EXACT = 8
    EMAIL_START = 9
    EMAIL_PART = 10
    PHONE = 11
    SERVER = 12
    """Found by the server on something not matched here (e.g. a field this finder does not read)."""


FIELD_OF_TIER = {
    **dict.fromkeys((Tier.NAME_EXACT, Tier.NAME_START, Tier.NAME_WORD, Tier.NAME_PART), "name"),
    **dict.fromkeys((Tier.COMPANY_START, Tier.COMPANY_WORD, Tier.COMPANY_PART), "company"),
    Tier.NAME_AND_COMPANY: "name and company",
    **dict.fromkeys((Tier.EMAIL_EXACT, Tier.EMAIL_START, Tier.EMAIL_PART), "email"),
    Tier.PHONE: "phone",
    Tier.SERVER: "server",
}


# -- normalising -------------------------------------------------------------------------------------

_WORD = re.compile(r"\w+")
_SEPARATORS = re.compile(r"[\s+()\-./]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def fold(text: str) -> str:
    """`text` without case or accents, its spaces collapsed: "  Zoë  Ó Briain" -> "zoe o briain"."""
    text = " ".join(text.split())
    if text.isascii():
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def digits(text: str) -> str:
    """The ASCII digits of `text`, in order."""
    found = "".join(filter(str.isdigit, text))
    return found if found.isascii() else "".join(ch for ch in found if ch.isascii())


def looks_like_email(query: str) -> bool:
    return bool(_EMAIL.match(query.strip()))


def looks_like_phone(query: str) -> bool:
    """Mostly digits once spaces, dashes, brackets, dots and + are left out: "+353 (87) 555-0101"."""
    bare = _SEPARATORS.sub("", query)
    found = len(digits(bare))
    return found >= PHONE_MIN_DIGITS and found * 5 >= len(bare) * 4


def _words(folded: str) -> frozenset[str]:
    """Words as typed ("o'brien") and their parts ("o", "brien")."""
    return frozenset(folded.split()) | frozenset(_WORD.findall(folded))


def heads(texts: Iterable[str]) -> str:
    """`texts` each after a line break, in one string: "\n" + a query is in it when the query starts one
    of them (a test in C, not a loop over the words)."""
    return "".join("\n" + t for t in texts)


@dataclass(frozen=True, slots=True)
class Haystack:
    """An entry's searchable text, normalised once (made again only when the entry changes)."""

    entry: StreamEntry
    contact_id: str
    sort_name: str
    """The folded name (or company, for a company-only contact): ties in a tier go by it."""
    key: tuple[str, str]
    """(sort_name, contact_id): the order of a tier, and of the finder's index."""
    name: str
    first: str
    last: str
    name_heads: str
    """The whole name, the first and the last name, each after a line break (`heads`): "\n" + a query
    is in it when the query starts one of them."""
    name_word_heads: str
    """The words of the name (as typed, "o'brien", and their parts, "o", "brien"), each after a line break."""
    company: str
    company_word_heads: str
    emails: tuple[tuple[str, str], ...]
    """(folded, as the contact has it)."""
    email_lines: str
    """The folded emails, each after a line break and the last one followed by one."""
    phones: tuple[tuple[str, str], ...]
    """(digits only, as the contact has it)."""
    text: str
    """Everything above but the phones, in one string: a query word not in it matches nothing here."""
    phone_digits: str
    row: DirectoryRow | None = None
    """The directory's row this was made from (`entry` is then a placeholder: `Found.of` makes the entry)."""

    @classmethod
    def of(cls, entry: StreamEntry) -> Haystack:
        contact = entry.contact
        return cls._made(
            entry,
            contact.id,
            contact.first_name,
            contact.last_name,
            contact.company_name or (entry.company.name if entry.company else ""),
            [e.value for e in contact.emails],
            [p.value for p in contact.phones],
        )

    @classmethod
    def of_row(cls, row: DirectoryRow) -> Haystack:
        """A directory row's haystack (a contact kept here, maybe outside the stream)."""
        return cls._made(_OUTSIDE, row.id, row.first_name, row.last_name, row.company_name, row.emails, row.phones, row)

    @classmethod
    def _made(
        cls, entry: StreamEntry, contact_id: str, first_name: str, last_name: str, company_name: str,
        email_values: list[str], phone_values: list[str], row: DirectoryRow | None = None,
    ) -> Haystack:
        name = fold(f"{first_name} {last_name}")
        first, last = fold(first_name), fold(last_name)
        company = fold(company_name)
        emails = tuple((fold(value), value) for value in email_values if value.strip())
        phones = tuple((found, value) for value in phone_values if (found := digits(value)))
        sort_name = name or company
        return cls(
            row=row,
            entry=entry,
            contact_id=contact_id,
            sort_name=sort_name,
            key=(sort_name, contact_id),
            name=name,
            first=first,
            last=last,
            name_heads=heads(s for s in (name, first, last) if s),
            name_word_heads=heads(sorted(_words(name))),
            company=company,
            company_word_heads=heads(sorted(_words(company))),
            emails=emails,
            email_lines=heads(e for e, _ in emails) + ("\n" if emails else ""),
            phones=phones,
            text="\n".join([name, company, *(e for e, _ in emails)]),
            phone_digits="\n".join(d for d, _ in phones),
        )


_OUTSIDE = StreamEntry.model_construct(contact=Contact.model_construct(id=""), in_stream=False)
"""The `entry` of a directory row's haystack (never shown: `Found.of` makes the row's own)."""


@dataclass(frozen=True)
class Query:
    """A query, normalised once for every entry it is matched against."""

    text: str
    """As typed, stripped."""
    folded: str
    words: tuple[str, ...]
    phone: str
    """Its digits when it looks like a phone number, else empty."""

    @classmethod
    def of(cls, text: str) -> Query:
        text = text.strip()
        folded = fold(text)
        return cls(text, folded, tuple(folded.split()), digits(text) if looks_like_phone(text) else "")

    @property
    def server_filter(self) -> dict[str, str]:
        """What `find_contacts` is asked: an email, a phone number, or a search."""
        if looks_like_email(self.text):
            return {"email": self.text}
        if self.phone:
            return {"phone": self.text}
        return {"search": self.text}

    @property
    def for_server(self) -> bool:
        return len(self.folded) >= SERVER_MIN_CHARS


def _starts_words(words: tuple[str, ...], word_heads: str) -> bool:
    """Every query word starts a word of the text ("quin zo" in "zoe quinlan")."""
    return all("\n" + qw in word_heads for qw in words)


def _text_tier(q: str, words: tuple[str, ...], whole: str, starts: str, word_heads: str) -> int:
    """0 exact, 1 start (of one of `starts`, see `heads`), 2 word starts, 3 part, -1 no match (of a name
    or a company)."""
    if not whole:
        return -1
    if q == whole:
        return 0
    if "\n" + q in starts:
        return 1
    if _starts_words(words, word_heads):
        return 2
    return 3 if q in whole else -1


def match(query: Query, hay: Haystack) -> tuple[Tier, str] | None:
    """How `hay` matches `query` (its best tier, and what matched as the contact has it), or None."""
    q = query.folded
    if not q:
        return None
    if query.phone and query.phone in hay.phone_digits:
        found = next(shown for d, shown in hay.phones if query.phone in d)
        return Tier.PHONE, found
    if any(word not in hay.text for word in query.words):
        return None  # the common case for a large stream: one scan of one string
    named = _text_tier(q, query.words, hay.name, hay.name_heads, hay.name_word_heads)
    if named >= 0:
        return Tier(Tier.NAME_EXACT + named), ""
    company = _text_tier(q, query.words, hay.company, "\n" + hay.company, hay.company_word_heads)
    if company >= 0:
        return Tier(Tier.COMPANY_START + max(company - 1, 0)), ""
    if len(query.words) > 1 and _starts_words(query.words, hay.name_word_heads + hay.company_word_heads):
        return Tier.NAME_AND_COMPANY, ""
    for folded, shown in hay.emails:
        if folded == q:
            return Tier.EMAIL_EXACT, shown
    for folded, shown in hay.emails:
        if folded.startswith(q):
            return Tier.EMAIL_START, shown
    for folded, shown in hay.emails:
        if q in folded:
            return Tier.EMAIL_PART, shown
    return None


# -- results -----------------------------------------------------------------------------------------


@dataclass(slots=True)
class Found:
    """One contact found (made for every match of every keystroke: a plain slotted class, quick to make)."""

    hay: Haystack
    tier: Tier
    detail: str
    """What matched as the contact has it: an email or a phone number ("" for a name or a company)."""
    loaded: bool
    """In the stream loaded here (else only the server knows it, or the directory kept here)."""
    contact_id: str
    sort_key: tuple[int, str, str]
    """Tier, then name, then id: the order of a result."""
    made: StreamEntry | None = None

    @classmethod
    def of(cls, hay: Haystack, tier: Tier, detail: str, *, loaded: bool) -> Found:
        return cls(hay, tier, detail, loaded, hay.contact_id, (tier, hay.sort_name, hay.contact_id))

    @property
    def entry(self) -> StreamEntry:
        """The contact's row: the stream's, or one made (once, when first asked: only for the rows shown)
        from the directory's row."""
        row = self.hay.row
        if row is None:
            return self.hay.entry
        if self.made is None:
            self.made = row.as_entry()
        return self.made

    @property
    def field(self) -> str:
        """Which field matched: name, company, name and company, email, phone, server."""
        return FIELD_OF_TIER[self.tier]


def rank(query: Query, hays: Iterable[Haystack], *, loaded: bool) -> list[Found]:
    """The haystacks `query` matches, unordered. Most of a large stream does not match: those are
    passed over with one substring test each, before any call."""
    if not query.folded:
        return []
    words, phone = query.words, query.phone
    one = words[0] if len(words) == 1 else None
    found: list[Found] = []
    for hay in hays:
        if not (phone and phone in hay.phone_digits):
            text = hay.text
            if one is not None:
                if one not in text:
                    continue
            elif not all(word in text for word in words):
                continue
        hit = match(query, hay)
        if hit is not None:
            found.append(Found.of(hay, hit[0], hit[1], loaded=loaded))
    return found


# -- at scale: an index kept one contact at a time, narrowing as the query grows, only the best ranked --


def same_text(a: StreamEntry, b: StreamEntry) -> bool:
    """Whether two rows of a contact have the same searchable text (what `Haystack.of` reads)."""
    one, two = a.contact, b.contact
    return (
        one.first_name == two.first_name
        and one.last_name == two.last_name
        and one.company_name == two.company_name
        and (a.company.name if a.company else "") == (b.company.name if b.company else "")
        and [e.value for e in one.emails] == [e.value for e in two.emails]
        and [p.value for p in one.phones] == [p.value for p in two.phones]
    )


class Abandoned(Exception):
    """An index made in a thread was given up before it was done (`ContactIndex.made_from`'s `stop`)."""


_RUN = 4096
"""Haystacks sorted in one call when an index is made in a thread (a few milliseconds each)."""


class ContactIndex:
    """The haystacks of a list of entries in `Haystack.key` order (the order ties go in), each made once
    and again only when its entry changes: one changed contact costs one haystack and a place found by
    bisection, not a pass over the list."""

    def __init__(self) -> None:
        self.by_id: dict[str, Haystack] = {}
        self.order: list[Haystack] = []
        self.texts: list[str] = []
        self.digits: list[str] = []
        """Each haystack's `text` and `phone_digits`, in `order`: a scan of the whole index reads only these."""
        self._keys: list[tuple[str, str]] = []
        self.built = 0
        """Haystacks made (a measure of work)."""
        self.version = 0
        """Changes with every haystack added or dropped: what was narrowed from an older version is void."""

    def __len__(self) -> int:
        return len(self.by_id)

    def _make(self, entry: StreamEntry) -> Haystack:
        self.built += 1
        return Haystack.of(entry)

    def _drop(self, hay: Haystack) -> None:
        at = bisect.bisect_left(self._keys, hay.key)
        while self.order[at] is not hay:  # equal keys (the same contact twice): look among them
            at += 1
        del self.order[at], self._keys[at], self.texts[at], self.digits[at]

    def _add(self, hay: Haystack) -> None:
        at = bisect.bisect_right(self._keys, hay.key)
        self.order.insert(at, hay)
        self._keys.insert(at, hay.key)
        self.texts.insert(at, hay.text)
        self.digits.insert(at, hay.phone_digits)

    def rebuild(self, entries: Iterable[StreamEntry]) -> None:
        """Every entry of `entries`: its haystack kept while the entry is the same object, or another
        with the same text (a reload: the new entry put in, nothing folded), made again otherwise;
        contacts no longer there are dropped. (Entries are replaced when they change, never edited in
        place: a command predicts on a copy.)"""
        old = self.by_id
        by_id: dict[str, Haystack] = {}
        made: list[Haystack] = []
        swapped: dict[int, Haystack] = {}
        for entry in entries:
            contact_id = entry.contact.id
            hay = old.get(contact_id)
            if hay is None:
                hay = self._make(entry)
                made.append(hay)
            elif hay.entry is not entry:
                if same_text(hay.entry, entry):
                    swapped[id(hay)] = hay = replace(hay, entry=entry)
                else:
                    hay = self._make(entry)
                    made.append(hay)
            by_id[contact_id] = hay
        gone = [hay for contact_id, hay in old.items() if by_id.get(contact_id) is not hay and id(hay) not in swapped]
        if not made and not gone and not swapped:
            return
        if len(made) + len(gone) <= max(64, len(by_id) // 16):
            if swapped:
                self.order = [swapped.get(id(hay), hay) for hay in self.order]
            for hay in gone:
                self._drop(hay)
            for hay in made:
                self._add(hay)
        else:
            self.order = sorted(by_id.values(), key=attrgetter("key"))
            self._keys = [hay.key for hay in self.order]
            self.texts = [hay.text for hay in self.order]
            self.digits = [hay.phone_digits for hay in self.order]
        self.by_id = by_id
        self.version += 1

    @classmethod
    def made_from(
        cls,
        entries: Iterable[StreamEntry],
        known: dict[str, Haystack],
        *,
        built: int = 0,
        share: int = 0,
        stop: Callable[[], bool] | None = None,
    ) -> ContactIndex:
        """A new index of `entries`, taking from `known` (contact id -> haystack, e.g. an older index's)
        the haystacks whose entry is the same object or has the same text: only the others are folded.
        Reads only its arguments and writes only the new index, so it may run in a thread while the
        older index answers (`built`: the older index's count, carried on). `share`: in a thread, let
        the others have the interpreter every this many entries (else the event loop's thread, back from
        each wait for I/O, waits up to the switch interval, 5 ms, for it: a keystroke takes many);
        `stop`, asked as often: True gives up (`Abandoned`), e.g. when the app quits meanwhile."""
        index = cls()
        index.built = built
        by_id = index.by_id
        for entry in _yielding(entries, share, stop):
            contact_id = entry.contact.id
            hay = known.get(contact_id)
            if hay is None or (hay.entry is not entry and not same_text(hay.entry, entry)):
                hay = index._make(entry)
            elif hay.entry is not entry:
                hay = replace(hay, entry=entry)
            by_id[contact_id] = hay
        index._order(share)
        return index

    @classmethod
    def made_from_rows(
        cls, rows: Iterable[DirectoryRow], skip: frozenset[str] | set[str], *, share: int = 0,
        stop: Callable[[], bool] | None = None,
    ) -> ContactIndex:
        """A new index of the directory's `rows` but those of `skip` (the stream's: its copy wins), made
        as `made_from` makes one (in a thread: `share`, `stop`)."""
        index = cls()
        by_id = index.by_id
        for row in _yielding(rows, share, stop):
            if row.id and row.id not in skip:
                by_id[row.id] = index._make_row(row)
        index._order(share)
        return index

    def _make_row(self, row: DirectoryRow) -> Haystack:
        self.built += 1
        return Haystack.of_row(row)

    def _order(self, share: int) -> None:
        """`order` and the lists beside it made from `by_id` (in runs when `share`: see `made_from`)."""
        index, by_id = self, self.by_id
        by_key = attrgetter("key")
        if share:  # one sort of 100,000 is one call in C that holds the interpreter for 0.1-0.4 s: in runs
            hays = list(by_id.values())
            runs = []
            for at in range(0, len(hays), _RUN):
                runs.append(sorted(hays[at : at + _RUN], key=by_key))
                time.sleep(0)
            index.order = list(heapq.merge(*runs, key=by_key))  # a Python generator: others get their turn
        else:
            index.order = sorted(by_id.values(), key=by_key)
        index._keys = [hay.key for hay in index.order]
        index.texts = [hay.text for hay in index.order]
        index.digits = [hay.phone_digits for hay in index.order]

    def pool(self) -> Pool:
        return Pool(self.order, self.texts, self.digits)

    def named(self, folded: str) -> list[Haystack]:
        """The haystacks whose whole name is `folded`, in order (found by bisection: a name sorts them)."""
        found = []
        at = bisect.bisect_left(self._keys, (folded, ""))
        while at < len(self.order) and self._keys[at][0] == folded:
            if self.order[at].name == folded:
                found.append(self.order[at])
            at += 1
        return found

    def update(self, contact_id: str, entry: StreamEntry | None) -> None:
        """One contact changed (None: it is gone)."""
        old = self.by_id.pop(contact_id, None)
        if old is not None:
            if entry is old.entry:
                self.by_id[contact_id] = old
                return
            self._drop(old)
        if entry is not None:
            hay = self.by_id[contact_id] = self._make(entry)
            self._add(hay)
        self.version += 1


def narrows(earlier: Query, later: Query) -> bool:
    """Whether every contact `later` matches was among those `earlier` matched (`candidates`), so the
    next keystroke looks only among the last one's: `later` goes on from `earlier` as typed, and a phone
    number in it contains the earlier one."""
    if not earlier.folded or not later.folded.startswith(earlier.folded):
        return False
    return not later.phone or (bool(earlier.phone) and earlier.phone in later.phone)


@dataclass(frozen=True, slots=True)
class Pool:
    """Haystacks in `Haystack.key` order with their texts and phone digits beside them, so that a scan
    reads only the strings (not every haystack)."""

    hays: list[Haystack]
    texts: list[str]
    digits: list[str]

    @classmethod
    def of(cls, hays: list[Haystack]) -> Pool:
        return cls(hays, [hay.text for hay in hays], [hay.phone_digits for hay in hays])

    def __len__(self) -> int:
        return len(self.hays)

    def where(self, keep: list[bool]) -> Pool:
        return Pool(
            list(compress(self.hays, keep)), list(compress(self.texts, keep)), list(compress(self.digits, keep))
        )


def _words_match(query: Query, pool: Pool) -> list[bool]:
    """For each of `pool`, whether a query of several words matches it by its text: all of them together
    anywhere, or each starting a word of the name or of the company."""
    whole, words = query.folded, [(word, "\n" + word) for word in query.words]
    first = words[0][0]
    maybe = [first in text for text in pool.texts]  # the quick no, in C
    if sum(maybe) < len(maybe):
        some = iter(_words_match(query, pool.where(maybe)))
        return [hit and next(some) for hit in maybe]
    keep = []
    for hay, text in zip(pool.hays, pool.texts):
        if whole in text:
            keep.append(True)
            continue
        for word, start in words:  # a word not in the text at all is the quick no
            if word not in text or (start not in hay.name_word_heads and start not in hay.company_word_heads):
                keep.append(False)
                break
        else:
            keep.append(True)
    return keep


def candidates(query: Query, pool: Pool) -> Pool:
    """The haystacks of `pool` that match `query`, in order, found with tests in C on the strings: its
    phone number among the phones; one word anywhere in the text; several words together anywhere in
    the text, or each starting a word of the name or the company (as `match` has it)."""
    words, phone = query.words, query.phone
    if not words:
        return Pool([], [], [])
    first, more = words[0], words[1:]
    texts = pool.texts
    if not phone:
        return pool.where([first in text for text in texts] if not more else _words_match(query, pool))
    hits = [phone in digits for digits in pool.digits]
    if all(hits):  # a common prefix (+353): every one has it
        return pool
    if not more:
        return pool.where([hit or first in text for hit, text in zip(hits, texts)])
    if not any(first in text for text in compress(texts, [not hit for hit in hits])):
        return pool.where(hits)  # the usual case: "+353 86" is in no name, company or email
    by_words = iter(_words_match(query, pool.where([not hit for hit in hits])))  # the loop only where the phone missed
    return pool.where([hit or next(by_words) for hit in hits])


def best(
    query: Query, pool: list[Haystack], limit: int, *, loaded: bool, exact: list[Haystack] | None = None
) -> list[Found]:
    """The first `limit` of `pool` in the order of a result, best first, for a one-word query without a
    phone number (every haystack of `pool` matches it, in `Haystack.key` order: `candidates`). `exact`:
    those whose whole name is the query, when known (`ContactIndex.named`).

    The tiers are taken in turn, each by a walk that stops once `limit` are chosen, so a common letter
    over 100,000 contacts ranks about `limit` of them, not all; `match` then says the tier and detail of
    only those chosen."""
    if limit <= 0:
        return []
    q = query.folded
    head = "\n" + q
    chosen: list[Haystack] = []
    taken: set[int] = set()

    def take(tier: Iterable[Haystack]) -> bool:
        """The tier's haystacks not taken yet, in order, until `limit` are chosen (then True)."""
        for hay in tier:
            if id(hay) not in taken:
                taken.add(id(hay))
                chosen.append(hay)
                if len(chosen) == limit:
                    return True
        return False

    def found() -> list[Found]:
        hits = ((hay, match(query, hay)) for hay in chosen)
        return [Found.of(hay, hit[0], hit[1], loaded=loaded) for hay, hit in hits if hit is not None]

    if take(exact if exact is not None else (hay for hay in pool if hay.name == q)):
        return found()
    if take(hay for hay in pool if head in hay.name_heads):  # a dense tier (a common letter) ends here
        return found()
    named = [hay for hay in pool if q in hay.name]
    if take(hay for hay in named if head in hay.name_word_heads) or take(named):
        return found()
    others = [hay for hay in pool if q not in hay.name]
    at_company = [hay for hay in others if q in hay.company]
    if (
        take(hay for hay in at_company if hay.company.startswith(q))
        or take(hay for hay in at_company if head in hay.company_word_heads)
        or take(at_company)
        or take(hay for hay in others if head + "\n" in hay.email_lines)
        or take(hay for hay in others if head in hay.email_lines)
    ):
        return found()
    take(others)
    return found()


def best_of_phone(
    query: Query, pool: Pool, limit: int, *, loaded: bool
) -> tuple[list[Found], int, Callable[[], set[str]]]:
    """The first `limit` of `pool` (`candidates` of a query with a phone number) best first, how many
    match, and (when asked) which. A phone number's match is the last tier but goes before any other
    test, so the contacts matched by their text come first, ranked, then the phones' in order: only as
    many of those are taken as there is room for (a common prefix, +353, matches every contact)."""
    phone = query.phone
    hits = [phone in digits for digits in pool.digits]
    by_phone = sum(hits)
    by_text = (
        rank(query, list(compress(pool.hays, [not hit for hit in hits])), loaded=loaded) if by_phone < len(hits) else []
    )
    top = heapq.nsmallest(limit, by_text, key=attrgetter("sort_key"))
    for hay in islice(compress(pool.hays, hits), max(limit - len(top), 0)):
        hit = match(query, hay)
        if hit is not None:
            top.append(Found.of(hay, hit[0], hit[1], loaded=loaded))

    def ids() -> set[str]:
        return {f.contact_id for f in by_text} | {hay.contact_id for hay in compress(pool.hays, hits)}

    return top, len(by_text) + by_phone, ids


# -- narrowing a list as you type (the leads inbox's and the records list's /) -------------------------


@dataclass(frozen=True, slots=True)
class _Narrowed(Generic[T]):
    items: list[T]
    """The list narrowed (the same object and length means the same items)."""
    length: int
    context: object
    query: str
    """Folded, its words separated by one space."""
    found: list[T]
    texts: list[str]
    """The folded texts of `found`."""


class Narrower(Generic[T]):
    """Narrows a list to the items whose text holds every word of a query, case and accents ignored
    (`fold`). Each item's text is folded once and kept while the item is the same object and its text
    the same (`context` names what else the text is made from: when it changes, each text is made again
    and only those that differ are folded again). A query that goes on from the last one, as typed, looks
    only among the last one's matches; the same query again costs nothing."""

    def __init__(self) -> None:
        self._folded: dict[int, tuple[T, str, str]] = {}
        """id(item) -> (the item, its text, folded)."""
        self._context: object = None
        self._all: _Narrowed[T] | None = None
        """The whole list with every text, for a query that does not go on from the last one."""
        self._last: _Narrowed[T] | None = None

    def narrow(self, items: list[T], query: str, text_of: Callable[[T], str], *, context: object = None) -> list[T]:
        words = fold(query).split()
        if not words:
            return items
        folded = " ".join(words)
        last = self._last
        if last is not None and last.items is items and last.length == len(items) and last.context == context:
            if last.query == folded:
                return last.found
            if folded.startswith(last.query):
                return self._keep(last, folded, words)
        whole = self._all
        if whole is None or whole.items is not items or whole.length != len(items) or whole.context != context:
            whole = self._all = _Narrowed(items, len(items), context, "", items, self._texts(items, text_of, context))
        return self._keep(whole, folded, words)

    def forget(self, items: Iterable[T]) -> None:
        """`items`' texts changed (what they are made from, not the items): made and folded again when next
        narrowed, the others kept."""
        for item in items:
            self._folded.pop(id(item), None)
        self._all = self._last = None

    def _keep(self, pool: _Narrowed[T], folded: str, words: list[str]) -> list[T]:
        if len(words) == 1:
            keep = [folded in text for text in pool.texts]
        else:
            keep = [all(word in text for word in words) for text in pool.texts]
        found = list(compress(pool.found, keep))
        self._last = _Narrowed(pool.items, pool.length, pool.context, folded, found, list(compress(pool.texts, keep)))
        return found

    def _texts(self, items: list[T], text_of: Callable[[T], str], context: object) -> list[str]:
        check = context != self._context
        self._context = context
        known = self._folded
        texts = []
        for item in items:
            had = known.get(id(item))
            if had is None or had[0] is not item:
                text = text_of(item)
                had = known[id(item)] = (item, text, fold(text))
            elif check:
                text = text_of(item)
                if text != had[1]:
                    had = known[id(item)] = (item, text, fold(text))
            texts.append(had[2])
        if len(known) > 2 * len(items) + 64:  # items long gone: keep only those of this list
            self._folded = {id(item): known[id(item)] for item in items}
        return texts


def _yielding(items: Iterable[T], share: int, stop: Callable[[], bool] | None) -> Iterator[T]:
    """`items`, letting the other threads have the interpreter every `share` of them (0: never) and
    giving up (`Abandoned`) when `stop` says so, asked as often."""
    for n, item in enumerate(items):
        if share and not n % share:
            if stop is not None and stop():
                raise Abandoned
            time.sleep(0)
        yield item

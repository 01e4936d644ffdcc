"""How a query matches a contact, and how well: the finder's (`crmtui.service.find`) rules, with no I/O.

Matching ignores case and accents (`zoe` finds `Zoë`: NFKD, combining marks dropped). Ranking, best
first: the whole name, then the start of the first or last name (or of the whole name), then the
start of words of the name, then any part of the name; the same three for the company; the query's
words spread over name and company; an email (whole, its start, any part); a phone number, whose
spaces, dashes, brackets and + are ignored (only digits are compared). Ties go by name.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from crmtui.domain.models import StreamEntry

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
    return "".join(ch for ch in text if ch.isascii() and ch.isdigit())


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


@dataclass(frozen=True)
class Haystack:
    """An entry's searchable text, normalised once (rebuilt when the entry changes)."""

    entry: StreamEntry
    contact_id: str
    sort_name: str
    """The folded name (or company, for a company-only contact): ties in a tier go by it."""
    name: str
    first: str
    last: str
    name_words: frozenset[str]
    company: str
    company_words: frozenset[str]
    emails: tuple[tuple[str, str], ...]
    """(folded, as the contact has it)."""
    phones: tuple[tuple[str, str], ...]
    """(digits only, as the contact has it)."""
    text: str
    """Everything above but the phones, in one string: a query word not in it matches nothing here."""
    phone_digits: str

    @classmethod
    def of(cls, entry: StreamEntry) -> Haystack:
        contact = entry.contact
        name = fold(f"{contact.first_name} {contact.last_name}")
        company = fold(contact.company_name or (entry.company.name if entry.company else ""))
        emails = tuple((fold(e.value), e.value) for e in contact.emails if e.value.strip())
        phones = tuple((digits(p.value), p.value) for p in contact.phones if digits(p.value))
        return cls(
            entry=entry,
            contact_id=contact.id,
            sort_name=name or company,
            name=name,
            first=fold(contact.first_name),
            last=fold(contact.last_name),
            name_words=_words(name),
            company=company,
            company_words=_words(company),
            emails=emails,
            phones=phones,
            text="\n".join([name, company, *(e for e, _ in emails)]),
            phone_digits="\n".join(d for d, _ in phones),
        )


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


def _starts_words(words: tuple[str, ...], own_words: frozenset[str]) -> bool:
    """Every query word starts a word of the text ("quin zo" in "zoe quinlan")."""
    return all(any(w.startswith(qw) for w in own_words) for qw in words)


def _text_tier(q: str, words: tuple[str, ...], whole: str, starts: Iterable[str], own_words: frozenset[str]) -> int:
    """0 exact, 1 start, 2 word starts, 3 part, -1 no match (of a name or a company)."""
    if not whole:
        return -1
    if q == whole:
        return 0
    if any(s.startswith(q) for s in starts if s):
        return 1
    if _starts_words(words, own_words):
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
    named = _text_tier(q, query.words, hay.name, (hay.name, hay.first, hay.last), hay.name_words)
    if named >= 0:
        return Tier(Tier.NAME_EXACT + named), ""
    company = _text_tier(q, query.words, hay.company, (hay.company,), hay.company_words)
    if company >= 0:
        return Tier(Tier.COMPANY_START + max(company - 1, 0)), ""
    if len(query.words) > 1 and _starts_words(query.words, hay.name_words | hay.company_words):
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

    entry: StreamEntry
    tier: Tier
    detail: str
    """What matched as the contact has it: an email or a phone number ("" for a name or a company)."""
    loaded: bool
    """In the stream loaded here (else only the server knows it)."""
    contact_id: str
    sort_key: tuple[int, str, str]
    """Tier, then name, then id: the order of a result."""

    @classmethod
    def of(cls, hay: Haystack, tier: Tier, detail: str, *, loaded: bool) -> Found:
        return cls(hay.entry, tier, detail, loaded, hay.contact_id, (tier, hay.sort_name, hay.contact_id))

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

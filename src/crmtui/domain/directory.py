"""The account's directory: every contact, kept small, for finding anyone offline (`f`).

A directory row holds only what the finder searches and shows (names, company, emails, phones), so
100,000 of them stay small in the cache and in memory; the contact itself is opened from the server
(or the cache) when picked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crmtui.domain.models import Contact, Email, Phone, StreamEntry, _Row


class DirectoryRow(_Row):
    """One contact of the account, as the finder needs it."""

    id: str
    first_name: str = ""
    last_name: str = ""
    company_name: str = ""
    emails: list[str] = []
    phones: list[str] = []

    @classmethod
    def of(cls, contact: Contact) -> DirectoryRow:
        return cls(
            id=contact.id,
            first_name=contact.first_name,
            last_name=contact.last_name,
            company_name=contact.company_name,
            emails=[e.value for e in contact.emails if e.value.strip()],
            phones=[p.value for p in contact.phones if p.value.strip()],
        )

    def as_entry(self) -> StreamEntry:
        """The row as a stream row of a contact outside the stream (what a finder's result shows)."""
        contact = Contact(
            id=self.id,
            first_name=self.first_name,
            last_name=self.last_name,
            company_name=self.company_name,
            emails=[Email(value=value) for value in self.emails],
            phones=[Phone(value=value) for value in self.phones],
        )
        return StreamEntry(contact=contact, in_stream=False)


@dataclass
class DirectoryPage:
    """One page of the whole account's contacts (`ContactDirectoryApi.directory_page`)."""

    rows: list[DirectoryRow] = field(default_factory=list)
    total_count: int = 0
    """Contacts the listing holds in all (as the server counted them for this page)."""
    max_page: int = 0

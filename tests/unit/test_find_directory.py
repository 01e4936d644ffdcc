"""The finder over the stream and the directory (every contact kept here): a contact outside the stream
is found from the directory, one in both shows once (the stream's copy), one that leaves the stream is
found in the directory; the server is asked only while the directory is incomplete."""

from __future__ import annotations

from crmtui.backends.registry import Connection, create_backend
from crmtui.domain.directory import DirectoryRow
from crmtui.domain.models import Contact, Email, StreamEntry
from crmtui.service.directory import ContactDirectory
from crmtui.service.find import ContactFinder, ServerState
from crmtui.service.session import Session


def entry(contact_id: str, first: str, last: str) -> StreamEntry:
    return StreamEntry(contact=Contact(id=contact_id, first_name=first, last_name=last, emails=[Email(value=f"{first}@x.ie")]))


def finder_with(stream: list[StreamEntry], kept: list[StreamEntry]) -> tuple[Session, ContactFinder, ContactDirectory]:
    session = Session(create_backend(Connection("onepagecrm", "http://127.0.0.1:9/api/v3", "u", "k")))  # never asked
    session.entries = stream
    api = session.backend.features.directory
    assert api is not None
    directory = ContactDirectory(session.backend, api, None)
    directory.rows = {e.contact.id: DirectoryRow.of(e.contact) for e in kept}
    directory.version += 1
    finder = ContactFinder(session)
    finder._directory = directory
    return session, finder, directory


def test_outside_the_stream_from_the_directory_and_the_streams_copy_once() -> None:
    anna, bríd, cara = entry("a", "Anna", "Quinlan"), entry("b", "Bríd", "Quinlan"), entry("c", "Cara", "Quinlan")
    _session, finder, directory = finder_with([anna, bríd], [anna, bríd, cara])
    result = finder.find("quinlan", limit=100)
    assert sorted(f.contact_id for f in result.found) == ["a", "b", "c"]
    by_id = {f.contact_id: f for f in result.found}
    assert by_id["a"].loaded and by_id["a"].entry is anna  # the stream's copy
    assert not by_id["c"].loaded and by_id["c"].entry.contact.first_name == "Cara" and not by_id["c"].entry.in_stream
    assert (result.from_stream, result.from_directory, result.total) == (2, 1, 3)
    assert finder.find("brid", limit=100).found[0].contact_id == "b"  # accents ignored
    assert result.server is ServerState.ASKING and not result.complete  # incomplete: the server still asked
    directory.state.complete = True
    assert finder.find("quinlan", limit=100).server is ServerState.NOT_ASKED


def test_a_contact_that_leaves_the_stream_is_found_in_the_directory() -> None:
    anna, bríd = entry("a", "Anna", "Quinlan"), entry("b", "Bríd", "Quinlan")
    session, finder, _directory = finder_with([anna, bríd], [anna, bríd])
    assert [f.loaded for f in finder.find("brid", limit=100).found] == [True]
    session.entries = [anna]
    session.changes.emit(frozenset({"b"}))
    found = finder.find("brid", limit=100).found
    assert [(f.contact_id, f.loaded) for f in found] == [("b", False)]

"""Damaged and set-aside outbox files against the real sandbox: sent exactly once, or never.

The files are written by the real OutboxStore, then damaged as a bad disk or a hand edit would;
the session sends through the real client to the sandbox on loopback.
"""

from __future__ import annotations

import random
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from crmtui.backends.http import RetryPolicy
from crmtui.backends.onepagecrm.adapter import OnePageCRMBackend
from crmtui.backends.onepagecrm.client import OnePageCRMClient
from crmtui.service import Session
from crmtui.service.contact_history import AddNote
from crmtui.service.errors import CommandRefused
from crmtui.service.outbox import Outbox
from crmtui.store import OutboxStore, State, identity
from tests.support.outbox_files import NOW, make_set_aside, note, set_column
from tests.support.waits import HANG_GUARD

FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, budget=1.0)


def owner_of(sandbox) -> str:
    return identity(sandbox.base_url, sandbox.user_id)


async def open_session(sandbox, spec_recorder, path: Path) -> Session:
    client = OnePageCRMClient(
        sandbox.user_id, sandbox.api_key, base_url=sandbox.base_url, retry=FAST, event_hooks=spec_recorder.hooks
    )
    backend = OnePageCRMBackend(client)
    store = OutboxStore(path, owner=owner_of(sandbox))
    outbox = Outbox(backend, store, base_delay=0.01, max_delay=0.2, rng=random.Random(7))
    session = Session(backend, clock=lambda: NOW, outbox=outbox)
    await session.connect()
    await outbox.open()
    outbox.start()
    return session


async def send_the_set_aside_file(session: Session) -> None:
    """`r` on screen 5: the one set-aside file's changes are taken in; wait until they are sent."""
    [found] = session.outbox.set_aside
    await session.outbox.send_set_aside(found.path)
    assert await session.settled(HANG_GUARD)


def notes_on_server(sandbox, prefix: str) -> Counter[str]:
    return Counter(n["text"] for n in sandbox.state.tables["notes"].values() if n["text"].startswith(prefix))


@pytest.fixture
def contact_id(sandbox) -> str:
    return next(iter(sandbox.state.tables["contacts"]))


async def test_a_damaged_outbox_sends_the_good_change_once_and_keeps_the_bad_one_for_review(
    sandbox, spec_recorder, tmp_path, contact_id,
) -> None:
    path = tmp_path / "outbox.sqlite3"
    store = OutboxStore(path, owner=owner_of(sandbox)).open()
    note(store, contact_id, "files: good")
    bad = note(store, contact_id, "files: bad")
    store.close()
    set_column(path, bad.id, "command", '{"kind": "add_note", "text": "files: bad"')  # cut short

    session = await open_session(sandbox, spec_recorder, path)
    outbox = session.outbox
    assert await session.settled(HANG_GUARD)
    assert notes_on_server(sandbox, "files:") == Counter({"files: good": 1})
    [(kept, command)] = outbox.review()
    assert command is None and kept.id == bad.id and "content is damaged" in kept.problem
    assert outbox.unreadable == 1 and outbox.failed == 0 and outbox.to_review == 1
    await session.close()

    again = await open_session(sandbox, spec_recorder, path)  # the next start: not sent again, still shown
    assert await again.settled(HANG_GUARD)
    assert notes_on_server(sandbox, "files:") == Counter({"files: good": 1})
    assert [c.id for c, _ in again.outbox.review()] == [bad.id]
    assert await again.outbox.discard(bad.id)
    assert again.outbox.to_review == 0
    await again.close()


async def test_an_outbox_with_other_tables_does_not_stop_the_session(sandbox, spec_recorder, tmp_path, contact_id) -> None:
    path = tmp_path / "outbox.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE changes (id INTEGER PRIMARY KEY, command TEXT)")
    conn.execute("PRAGMA user_version=2")
    conn.commit()
    conn.close()
    session = await open_session(sandbox, spec_recorder, path)
    assert session.outbox.store.notice and "set aside" in session.outbox.store.notice
    await session.run(AddNote(contact_id=contact_id, text="files: after"))
    assert await session.settled(HANG_GUARD)
    assert notes_on_server(sandbox, "files:") == Counter({"files: after": 1})
    [found] = session.outbox.set_aside  # offered for review, though nothing in it can be read
    assert found.problem and not found.changes
    await session.close()


async def test_set_aside_changes_are_sent_once_in_order_when_the_person_asks(sandbox, spec_recorder, tmp_path, contact_id) -> None:
    path = tmp_path / "outbox.sqlite3"
    kept = make_set_aside(path, owner_of(sandbox), [(contact_id, "files: first"), (contact_id, "files: second")])
    session = await open_session(sandbox, spec_recorder, path)
    outbox = session.outbox
    assert await session.settled(HANG_GUARD)
    assert notes_on_server(sandbox, "files:") == Counter()  # nothing goes out before the person asks
    [found] = outbox.set_aside
    assert [c.command["text"] for c in found.changes] == ["files: first", "files: second"] and not found.foreign
    assert outbox.to_review == 2

    assert await outbox.send_set_aside(found.path) == 2
    assert await session.settled(HANG_GUARD)
    assert notes_on_server(sandbox, "files:") == Counter({"files: first": 1, "files: second": 1})
    made = [n["text"] for n in sandbox.state.tables["notes"].values() if n["text"].startswith("files:")]
    assert made == ["files: first", "files: second"]  # in their order (the sandbox keeps creation order)
    assert not kept.exists() and outbox.set_aside == [] and outbox.to_review == 0
    await session.close()

    again = await open_session(sandbox, spec_recorder, path)
    assert await again.settled(HANG_GUARD) and again.outbox.set_aside == []
    assert notes_on_server(sandbox, "files:") == Counter({"files: first": 1, "files: second": 1})
    await again.close()


async def test_a_set_aside_change_that_may_have_reached_the_server_is_not_made_twice(
    sandbox, spec_recorder, tmp_path, contact_id,
) -> None:
    path = tmp_path / "outbox.sqlite3"
    kept = make_set_aside(path, owner_of(sandbox), [(contact_id, "files: on its way")], states={0: State.SENDING})
    set_column(kept, 1, "sent_after", "2000-01-01T00:00:00+00:00")
    session = await open_session(sandbox, spec_recorder, path)
    await session.backend.client.create_note({"contact_id": contact_id, "text": "files: on its way"})  # it had arrived
    await send_the_set_aside_file(session)
    assert notes_on_server(sandbox, "files:") == Counter({"files: on its way": 1})
    assert session.outbox.reconciled == 1
    await session.close()


async def test_a_set_aside_change_does_not_take_a_record_an_earlier_change_of_its_file_made(
    sandbox, spec_recorder, tmp_path, contact_id,
) -> None:
    """Two equal notes in a set-aside file: the first was sent, the second's answer was lost. The
    first one's note on the server is not the second's: the second is sent."""
    path = tmp_path / "outbox.sqlite3"
    kept = make_set_aside(
        path, owner_of(sandbox), [(contact_id, "files: twice"), (contact_id, "files: twice")],
        states={0: State.DONE, 1: State.SENDING},
    )
    session = await open_session(sandbox, spec_recorder, path)
    made = await session.backend.client.create_note({"contact_id": contact_id, "text": "files: twice"})  # the first
    set_column(kept, 1, "result", f'{{"created": "{made.id}"}}')
    set_column(kept, 2, "sent_after", "2000-01-01T00:00:00+00:00")
    await session.outbox.refresh_set_aside()
    await send_the_set_aside_file(session)
    assert notes_on_server(sandbox, "files:") == Counter({"files: twice": 2})
    assert session.outbox.reconciled == 0
    await session.close()


async def test_another_accounts_set_aside_changes_are_never_sent_only_discarded(
    sandbox, spec_recorder, tmp_path, contact_id,
) -> None:
    path = tmp_path / "outbox.sqlite3"
    kept = make_set_aside(path, "someone-else", [(contact_id, "files: not yours")])
    session = await open_session(sandbox, spec_recorder, path)
    outbox = session.outbox
    [found] = outbox.set_aside
    assert found.foreign
    with pytest.raises(CommandRefused, match="another account"):
        await outbox.send_set_aside(found.path)
    assert kept.exists() and outbox.pending == 0
    assert await outbox.discard_set_aside(found.path) == 1
    assert not kept.exists() and outbox.set_aside == []
    assert await session.settled(HANG_GUARD)
    assert notes_on_server(sandbox, "files:") == Counter()
    await session.close()

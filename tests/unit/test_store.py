"""The SQLite files: cache collections, the outbox's states, schema versions, damaged files."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import stat

import pytest

from crmtui.domain.models import Action, Contact, Note, StreamEntry
from crmtui.store import Cache, OutboxStore, State, identity
from crmtui.store.db import Database

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.timezone.utc)
OWNER = identity("https://example.test/api/v3", "user-1")


def entry(cid: str, text: str = "Call") -> StreamEntry:
    return StreamEntry(
        contact=Contact(id=cid, first_name=cid.title()),
        next_action=Action(id=f"a-{cid}", contact_id=cid, text=text),
    )


@pytest.fixture
def cache(tmp_path):
    c = Cache(tmp_path / "cache.sqlite3", owner=OWNER).open()
    yield c
    c.close()


# -- the cache ------------------------------------------------------------------------------------


def test_a_collection_is_unknown_until_fetched_whole_then_kept_with_its_sync_record(cache: Cache) -> None:
    assert cache.get_rows("stream", StreamEntry, "me") is None
    cache.merge_rows("stream", "me", {"x": entry("x")})  # a piece alone never passes for the whole
    assert cache.get_rows("stream", StreamEntry, "me") is None
    cache.put_rows("stream", "me", {"a": entry("a"), "b": entry("b")}, synced_at=NOW, server_time=NOW)
    assert sorted(e.contact.id for e in cache.get_rows("stream", StreamEntry, "me")) == ["a", "b"]
    record = cache.synced("stream", "me")
    assert record is not None and record.synced_at == NOW and record.server_time == NOW
    assert cache.get_rows("stream", StreamEntry, "someone else") is None


def test_merging_changes_part_of_a_collection(cache: Cache) -> None:
    cache.put_rows("stream", "me", {"a": entry("a"), "b": entry("b")}, synced_at=NOW)
    later = NOW + dt.timedelta(minutes=5)
    cache.merge_rows("stream", "me", {"b": entry("b", "Changed"), "c": entry("c")}, ["a"], synced_at=later, server_time=later)
    rows = {e.contact.id: e for e in cache.get_rows("stream", StreamEntry, "me")}
    assert sorted(rows) == ["b", "c"] and rows["b"].next_action.text == "Changed"
    assert cache.synced("stream", "me").synced_at == later
    assert cache.get_row("stream", StreamEntry, "c", "me").contact.id == "c"


def test_lists_and_single_items_round_trip(cache: Cache) -> None:
    notes = [Note(id="n1", text="Hello"), Note(id="n2", text="World")]
    cache.put_list("notes", "contact-1", notes, synced_at=NOW)
    assert cache.get_list("notes", Note, "contact-1") == notes
    cache.put_list("notes", "contact-1", [], synced_at=NOW)
    assert cache.get_list("notes", Note, "contact-1") == []  # empty is not unknown
    cache.put_one("contact", "c1", Contact(id="c1", first_name="Ann"), synced_at=NOW)
    assert cache.get_one("contact", Contact, "c1").first_name == "Ann"
    assert cache.last_synced() == NOW


def test_an_unreadable_row_is_dropped_and_the_rest_kept(cache: Cache) -> None:
    cache.put_rows("stream", "me", {"a": entry("a"), "b": entry("b")}, synced_at=NOW)
    cache.db.call(lambda c: c.execute("UPDATE rows SET data=? WHERE id='a'", (b'{"contact": 5}',)))
    found = cache.get_rows("stream", StreamEntry, "me")
    assert [e.contact.id for e in found] == ["b"]
    assert cache.synced("stream", "me") is None  # marked for a full fetch next time


def test_a_cache_of_another_account_is_emptied(tmp_path) -> None:
    path = tmp_path / "cache.sqlite3"
    first = Cache(path, owner=OWNER).open()
    first.put_rows("stream", "me", {"a": entry("a")}, synced_at=NOW)
    first.close()
    other = Cache(path, owner=identity("https://example.test/api/v3", "user-2")).open()
    assert other.get_rows("stream", StreamEntry, "me") is None and other.needs_full_sync
    other.close()


def test_files_are_private(tmp_path) -> None:
    c = Cache(tmp_path / "sub" / "cache.sqlite3", owner=OWNER).open()
    c.close()
    assert stat.S_IMODE(os.stat(tmp_path / "sub" / "cache.sqlite3").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "sub").st_mode) == 0o700


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.write_bytes(b"this is not a database at all" * 100),
        lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 3]),
        lambda p: p.write_bytes(p.read_bytes()[:100] + b"\x00" * 8000 + p.read_bytes()[8100:]),
    ],
    ids=["garbage", "truncated", "zeroed pages"],
)
def test_a_damaged_cache_is_set_aside_and_rebuilt_with_a_notice(tmp_path, damage) -> None:
    path = tmp_path / "cache.sqlite3"
    c = Cache(path, owner=OWNER).open()
    c.put_rows("stream", "me", {f"c{i}": entry(f"c{i}", "x" * 500) for i in range(60)}, synced_at=NOW)
    c.db.call(lambda conn: conn.execute("PRAGMA wal_checkpoint(TRUNCATE)"))
    c.close()
    damage(path)
    again = Cache(path, owner=OWNER).open()
    assert again.notice and "damaged" in again.notice and again.needs_full_sync
    assert again.get_rows("stream", StreamEntry, "me") is None
    again.put_rows("stream", "me", {"a": entry("a")}, synced_at=NOW)  # works as a fresh cache
    assert len(again.get_rows("stream", StreamEntry, "me")) == 1
    again.close()
    assert list(tmp_path.glob("cache.sqlite3.damaged-*")), "the damaged file is kept for a bug report"


def test_damage_inside_the_cache_is_left_to_its_check_which_sets_it_aside(tmp_path) -> None:
    """Opening reads a few pages of the cache (a start's first rows need no more); SQLite's quick
    check, which reads all of it, is `check`'s: it finds damaged pages and rebuilds the file."""
    path = tmp_path / "cache.sqlite3"
    c = Cache(path, owner=OWNER).open()
    c.put_rows("stream", "me", {f"c{i}": entry(f"c{i}", "x" * 500) for i in range(200)}, synced_at=NOW)
    c.db.call(lambda conn: conn.execute("PRAGMA wal_checkpoint(TRUNCATE)"))
    c.close()
    data = bytearray(path.read_bytes())
    page = sqlite3.connect(path).execute("PRAGMA page_size").fetchone()[0]
    middle = len(data) // page // 2
    data[middle * page:(middle + 2) * page] = bytes(2 * page)  # two pages of rows zeroed
    path.write_bytes(bytes(data))
    again = Cache(path, owner=OWNER).open()
    assert again.notice is None and not again.needs_full_sync  # opened as it is: not read whole
    assert again.check() is True
    assert again.notice and "damaged" in again.notice and again.needs_full_sync
    assert again.get_rows("stream", StreamEntry, "me") is None
    again.put_rows("stream", "me", {"a": entry("a")}, synced_at=NOW)  # works as a fresh cache
    assert len(again.get_rows("stream", StreamEntry, "me") or []) == 1
    assert again.check() is False  # a sound file: nothing to do
    again.close()
    assert list(tmp_path.glob("cache.sqlite3.damaged-*")), "the damaged file is kept for a bug report"


def test_a_schema_from_a_newer_crmtui_is_not_misread(tmp_path) -> None:
    path = tmp_path / "cache.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version=99")
    conn.close()
    c = Cache(path, owner=OWNER).open()
    assert c.notice and "newer" in c.notice
    c.close()


def test_migrations_run_in_order_once(tmp_path) -> None:
    ran: list[int] = []
    steps = [lambda c: ran.append(1) or c.execute("CREATE TABLE t (x)"), lambda c: ran.append(2) or c.execute("ALTER TABLE t ADD y")]
    db = Database(tmp_path / "m.sqlite3", steps[:1]).open()
    db.close()
    db = Database(tmp_path / "m.sqlite3", steps).open()
    assert ran == [1, 2] and db.migrated_from == 1
    assert db.call(lambda c: c.execute("PRAGMA user_version").fetchone()[0]) == 2
    db.close()


# -- the outbox -------------------------------------------------------------------------------------


@pytest.fixture
def outbox(tmp_path):
    store = OutboxStore(tmp_path / "outbox.sqlite3").open()
    yield store
    store.close()


def test_changes_come_out_in_order_and_survive_reopening(tmp_path) -> None:
    path = tmp_path / "outbox.sqlite3"
    store = OutboxStore(path).open()
    first = store.append("toggle_star", {"kind": "toggle_star", "contact_id": "c1", "starred": True}, subject="contact:c1", label="Star")
    second = store.append("add_note", {"kind": "add_note", "contact_id": "c1", "text": "Hi"}, subject="contact:c1", label="Note")
    store.close()
    again = OutboxStore(path).open()
    assert [c.id for c in again.changes()] == [first.id, second.id]
    assert again.head().id == first.id and again.head().command["starred"] is True
    assert again.counts()[State.QUEUED] == 2
    again.close()


def test_a_change_moves_through_its_states(outbox: OutboxStore) -> None:
    change = outbox.append("add_note", {"kind": "add_note"}, subject="contact:c1")
    outbox.mark_sending(change.id, sent_after=NOW)
    outbox.mark_sending(change.id, sent_after=NOW + dt.timedelta(hours=1))  # the first attempt's time stays
    got = outbox.get(change.id)
    assert got.state is State.SENDING and got.sent_after == NOW
    outbox.requeue(change.id, error="Offline", delay=30, maybe_applied=True)
    got = outbox.get(change.id)
    assert got.state is State.SENDING and got.attempts == 1 and got.error == "Offline" and got.next_try > 0
    outbox.mark_done(change.id, {"created": "n-9"}, {"local-1": "n-9"})
    assert outbox.get(change.id).state is State.DONE and outbox.head() is None
    assert outbox.server_id("local-1") == "n-9" and outbox.claimed("add_note") == {"n-9"}


def test_refused_and_conflicting_changes_wait_for_review_then_retry_first_in_line(outbox: OutboxStore) -> None:
    a = outbox.append("edit_action", {"kind": "edit_action"})
    b = outbox.append("toggle_star", {"kind": "toggle_star"})
    outbox.mark_failed(a.id, "Not found")
    assert outbox.head().id == b.id
    outbox.mark_conflict(b.id, "text is “X” on the server")
    assert outbox.head() is None
    assert {c.state for c in outbox.changes()} == {State.FAILED, State.CONFLICT}
    outbox.retry(b.id, force=True)
    assert outbox.head().id == b.id and outbox.head().force
    outbox.retry(a.id)
    assert outbox.head().id == a.id  # its original place: in order again


def test_discard_drops_anything_but_a_confirmed_change(outbox: OutboxStore) -> None:
    a = outbox.append("toggle_star", {"kind": "toggle_star"})
    b = outbox.append("toggle_star", {"kind": "toggle_star"})
    outbox.mark_done(b.id)
    assert outbox.discard(a.id).id == a.id and outbox.discard(b.id) is None
    assert outbox.get(a.id) is None and outbox.get(b.id) is not None


def test_pruning_forgets_old_confirmed_changes_only(outbox: OutboxStore) -> None:
    old = outbox.append("toggle_star", {"kind": "toggle_star"})
    outbox.mark_done(old.id)
    waiting = outbox.append("toggle_star", {"kind": "toggle_star"})
    outbox.db.call(lambda c: c.execute("UPDATE changes SET settled_at='2000-01-01T00:00:00+00:00' WHERE id=?", (old.id,)))
    assert outbox.prune() == 1
    assert outbox.get(old.id) is None and outbox.get(waiting.id) is not None


def test_a_damaged_outbox_is_set_aside_with_a_notice(tmp_path) -> None:
    path = tmp_path / "outbox.sqlite3"
    path.write_bytes(b"garbage" * 1000)
    store = OutboxStore(path).open()
    assert store.notice and "set aside" in store.notice
    assert store.changes() == []
    store.close()

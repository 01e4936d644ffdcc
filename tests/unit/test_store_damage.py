"""Damaged local files: nothing stuck, nothing lost without a word, nothing taken in twice.

The outbox keeps what it can read and returns the rest with the reason; a file with the right
version but other tables is set aside (the outbox) or rebuilt (the cache); a file emptied or put
back to an older copy says how many unsent changes may have been lost; set-aside files are read
from a copy, never changed, and taken in once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from crmtui.domain.models import StreamEntry
from crmtui.service.outbox_review import find_set_aside, lost_text
from crmtui.store import Cache, OutboxStore, State, identity
from crmtui.store.outbox import MIGRATIONS
from crmtui.store.outbox_files import read_set_aside, set_aside_paths
from tests.support.outbox_files import NOW, make_set_aside, note, set_column
from tests.support.waits import HANG_GUARD

OWNER = identity("https://example.test/api/v3", "user-1")
OTHER = identity("https://example.test/api/v3", "user-2")
ROOT = Path(__file__).resolve().parents[2]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- a row that cannot be read -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("command", "{not json", "content"),
        ("command", "[1, 2]", "content"),
        ("created_at", "yesterday-ish", "date"),
        ("state", "parked", "parked"),
        ("attempts", "many", "attempts"),
        ("sent_after", "soon", "earlier attempt"),
    ],
)
def test_an_unreadable_row_is_returned_with_its_reason_and_the_others_are_read(tmp_path, column, value, reason) -> None:
    path = tmp_path / "outbox.sqlite3"
    store = OutboxStore(path, owner=OWNER).open()
    good = note(store, "c1", "Readable")
    bad = note(store, "c2", "Damaged")
    later = note(store, "c3", "Also readable")
    store.close()
    set_column(path, bad.id, column, value)

    store = OutboxStore(path, owner=OWNER).open()
    found = {c.id: c for c in store.changes()}
    assert set(found) == {good.id, bad.id, later.id}  # an unknown state is not invisible either
    assert not found[good.id].problem and found[good.id].command["text"] == "Readable"
    assert not found[later.id].problem
    assert reason in found[bad.id].problem
    assert found[bad.id].label == bad.label and found[bad.id].contact_id == "c2"  # for the person to recognise it
    assert store.discard(bad.id) is not None and store.get(bad.id) is None  # discardable
    store.close()


def test_a_damaged_result_of_a_confirmed_change_does_not_stop_the_outbox(tmp_path) -> None:
    path = tmp_path / "outbox.sqlite3"
    store = OutboxStore(path, owner=OWNER).open()
    done = note(store, "c1", "Sent")
    store.mark_done(done.id, {"created": "n-1"})
    store.close()
    set_column(path, done.id, "result", "{broken")
    store = OutboxStore(path, owner=OWNER).open()
    assert store.claimed("add_note") == set() and store.changes() == []
    store.close()


# -- the right version, other tables ---------------------------------------------------------------------


def foreign_tables(path: Path, version: int, *statements: str) -> None:
    conn = sqlite3.connect(path)
    for statement in statements:
        conn.execute(statement)
    conn.execute(f"PRAGMA user_version={version}")
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    "statements",
    [
        ("CREATE TABLE something_else (x)",),
        ("CREATE TABLE changes (id INTEGER PRIMARY KEY, command TEXT)", "CREATE TABLE meta (key, value)"),
    ],
    ids=["no changes table", "other columns"],
)
def test_an_outbox_with_its_version_but_other_tables_is_set_aside_and_a_new_one_works(tmp_path, statements) -> None:
    path = tmp_path / "outbox.sqlite3"
    foreign_tables(path, len(MIGRATIONS), *statements)
    store = OutboxStore(path, owner=OWNER).open()
    assert store.notice and "set aside" in store.notice and "tables" in store.notice
    assert store.changes() == []
    made = note(store, "c1", "After")
    assert [c.id for c in store.changes()] == [made.id]
    store.close()
    assert len(set_aside_paths(path)) == 1


@pytest.mark.parametrize(
    ("version", "statements"),
    [
        (2, ("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",)),  # no rows, no synced
        (2, ("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)", "CREATE TABLE rows (kind, id)",
             "CREATE TABLE synced (kind, scope)")),
        (1, ("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",)),  # its migration fails
    ],
    ids=["missing tables", "other columns", "an older version with missing tables"],
)
def test_a_cache_with_other_tables_is_rebuilt_with_a_notice(tmp_path, version, statements) -> None:
    path = tmp_path / "cache.sqlite3"
    foreign_tables(path, version, *statements)
    cache = Cache(path, owner=OWNER).open()
    assert cache.notice and "rebuilt" in cache.notice and cache.needs_full_sync
    assert cache.synced("stream", "me") is None
    cache.put_rows("stream", "me", {}, synced_at=NOW)
    assert cache.get_rows("stream", StreamEntry, "me") == []
    cache.close()
    again = Cache(path, owner=OWNER).open()
    assert again.notice is None  # said once: the rebuilt file is a good one
    again.close()


# -- changes lost outside crmtui ------------------------------------------------------------------------


def three_unsent(path: Path) -> None:
    store = OutboxStore(path, owner=OWNER).open()
    sent = note(store, "c0", "Sent", created_at=NOW - dt.timedelta(hours=1))
    store.mark_done(sent.id)
    for i in range(3):
        note(store, f"c{i}", f"Unsent {i}", created_at=NOW + dt.timedelta(minutes=i))
    store.close()


@pytest.mark.parametrize(
    "damage",
    [lambda p: p.write_bytes(b""), lambda p: p.unlink()],
    ids=["truncated to 0 bytes", "deleted"],
)
def test_an_emptied_outbox_says_how_many_unsent_changes_may_be_lost_and_when(tmp_path, damage) -> None:
    path = tmp_path / "outbox.sqlite3"
    three_unsent(path)
    damage(path)
    store = OutboxStore(path, owner=OWNER).open()
    assert store.lost is not None and store.lost.at_most == 3
    assert store.lost.first == NOW and store.lost.last == NOW + dt.timedelta(minutes=2)
    text = lost_text(store.lost, None)
    assert "Up to 3" in text and "09:00" in text and "09:02" in text
    store.close()
    again = OutboxStore(path, owner=OWNER).open()
    assert again.lost is None  # said on the start that found it; the mark now matches the file
    again.close()


def test_an_outbox_put_back_to_an_older_copy_is_noticed(tmp_path) -> None:
    path = tmp_path / "outbox.sqlite3"
    store = OutboxStore(path, owner=OWNER).open()
    note(store, "c1", "First")
    store.close()
    older = path.read_bytes()
    store = OutboxStore(path, owner=OWNER).open()
    note(store, "c1", "Second")
    store.close()
    path.write_bytes(older)
    store = OutboxStore(path, owner=OWNER).open()
    assert store.lost is not None and store.lost.at_most == 2  # at most: the mark counted both
    store.close()


def test_nothing_is_said_lost_when_nothing_was_unsent_or_the_file_was_set_aside(tmp_path) -> None:
    path = tmp_path / "outbox.sqlite3"
    store = OutboxStore(path, owner=OWNER).open()
    store.mark_done(note(store, "c1", "Sent").id)
    store.close()
    path.write_bytes(b"")
    assert OutboxStore(path, owner=OWNER).open().lost is None  # only confirmed changes were there
    three_unsent(path)
    path.write_bytes(b"not a database " * 500)
    store = OutboxStore(path, owner=OWNER).open()
    assert store.lost is None and store.notice  # set aside, not lost: its changes are offered for review
    store.close()


def test_a_kill_then_a_removed_wal_loses_no_change_append_returned(tmp_path) -> None:
    """The outbox keeps no write-ahead log: what a commit wrote is in the main file itself."""
    path = tmp_path / "outbox.sqlite3"
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        from crmtui.store import OutboxStore
        from tests.support.outbox_files import note
        store = OutboxStore({str(path)!r}, owner={OWNER!r}).open()
        for i in range(5):
            note(store, "c1", f"note {{i}}")
        print("appended", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH", ""))))}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=HANG_GUARD)
    assert done.returncode == -signal.SIGKILL and "appended" in done.stdout, done.stderr
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    store = OutboxStore(path, owner=OWNER).open()
    assert [c.command["text"] for c in store.changes()] == [f"note {i}" for i in range(5)]
    assert store.lost is None
    assert store.db.call(lambda c: c.execute("PRAGMA journal_mode").fetchone()[0]) == "delete"
    store.close()


# -- set-aside files -------------------------------------------------------------------------------------


def test_a_set_aside_file_is_read_from_a_copy_and_left_as_it_was(tmp_path) -> None:
    outbox = tmp_path / "outbox.sqlite3"
    kept = make_set_aside(
        outbox, OTHER, [("c1", "One"), ("c2", "Two"), ("c3", "Sent"), ("c4", "Damaged")], states={2: State.DONE},
    )
    set_column(kept, 4, "command", "{broken")
    before = (digest(kept), kept.stat().st_mtime_ns, sorted(p.name for p in tmp_path.iterdir()))
    found = read_set_aside(kept, OWNER)
    assert [c.command["text"] for c in found.changes] == ["One", "Two"]
    assert found.unreadable == 1 and found.foreign and found.owner == OTHER
    assert (digest(kept), kept.stat().st_mtime_ns, sorted(p.name for p in tmp_path.iterdir())) == before
    assert not read_set_aside(kept, OTHER).foreign


def test_a_set_aside_file_that_is_not_a_database_says_so(tmp_path) -> None:
    outbox = tmp_path / "outbox.sqlite3"
    kept = outbox.with_name("outbox.sqlite3.damaged-20260310-090000")
    kept.write_bytes(b"garbage" * 1000)
    found = read_set_aside(kept, OWNER)
    assert found.changes == [] and found.problem and found.worth_showing


def test_set_aside_changes_are_taken_in_once_in_their_order_keeping_what_was_on_its_way(tmp_path) -> None:
    outbox = tmp_path / "outbox.sqlite3"
    store = OutboxStore(outbox, owner=OWNER).open()
    mine = note(store, "c9", "Made since")
    kept = make_set_aside(outbox, OWNER, [("c1", "One"), ("c2", "Two")], states={0: State.SENDING})
    conn = sqlite3.connect(kept)
    conn.execute("INSERT INTO local_ids VALUES ('local-00000000000000aa', 'n-7')")  # made by a change sent from it
    conn.commit()
    conn.close()
    [found] = find_set_aside(store)
    ids = store.adopt(found)
    assert store.adopt(found) == []  # recorded in the same transaction: never twice
    changes = store.changes()
    assert [c.command["text"] for c in changes] == ["Made since", "One", "Two"]
    assert [c.id for c in changes][1:] == ids and changes[0].id == mine.id
    assert changes[1].state is State.SENDING  # may be on the server: it is asked before sending again
    assert store.server_id("local-00000000000000aa") == "n-7"  # later changes naming it still resolve
    assert kept.exists()  # stopped before the file was removed...
    assert find_set_aside(store) == [] and not kept.exists()  # ...it is not offered again, and goes
    store.close()


def test_an_outbox_left_in_wal_mode_by_an_older_crmtui_keeps_what_its_wal_held(tmp_path) -> None:
    """An older crmtui kept a -wal: opening it (the -wal still there) folds it into the file for good."""
    path = tmp_path / "outbox.sqlite3"
    store = OutboxStore(path, owner=OWNER).open()
    first = note(store, "c1", "In the file")
    store.close()
    conn = sqlite3.connect(path, isolation_level=None)
    assert conn.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute(
        "INSERT INTO changes (created_at, kind, subject, label, command, state)"
        " SELECT created_at, kind, subject, label, replace(command, 'In the file', 'In the wal'), state FROM changes"
    )
    killed = tmp_path / "killed"
    killed.mkdir()
    for suffix in ("", "-wal"):  # the files as a kill leaves them: the second change only in the -wal
        Path(f"{killed / 'outbox.sqlite3'}{suffix}").write_bytes(Path(f"{path}{suffix}").read_bytes())
    conn.close()
    again = OutboxStore(killed / "outbox.sqlite3", owner=OWNER).open()
    assert [c.command["text"] for c in again.changes()] == ["In the file", "In the wal"] and first.id == 1
    assert again.db.call(lambda c: c.execute("PRAGMA journal_mode").fetchone()[0]) == "delete"
    again.close()
    assert not Path(f"{killed / 'outbox.sqlite3'}-wal").exists()  # from now on, all in the one file


def test_forgetting_an_accounts_files_forgets_the_mark_and_set_aside_copies(tmp_path, monkeypatch) -> None:
    from crmtui.service.local import local_files

    monkeypatch.setenv("CRMTUI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CRMTUI_CACHE_DIR", str(tmp_path / "cache"))
    files = local_files("http://127.0.0.1:1/api/v3", "user-1", demo=True)
    store = files.outbox_store().open()
    note(store, "c1", "Old demo change")
    store.close()
    make_set_aside(files.outbox_path, files.owner, [("c1", "Older demo change")])
    files.forget()
    assert sorted(p.name for p in files.outbox_path.parent.iterdir()) == []
    fresh = files.outbox_store().open()
    assert fresh.lost is None and find_set_aside(fresh) == []  # the reseeded demo starts clean, without alarm
    fresh.close()


def test_the_outbox_commits_survive_a_power_cut(tmp_path) -> None:
    """A rollback journal (a lost -wal cannot take commits) with EXTRA sync: the folder is synced
    after the journal's deletion, which is the commit; FULL would leave it to the file system."""
    store = OutboxStore(tmp_path / "outbox.sqlite3").open()
    try:
        mode = store.db.call(lambda c: c.execute("PRAGMA journal_mode").fetchone()[0])
        sync = store.db.call(lambda c: c.execute("PRAGMA synchronous").fetchone()[0])
    finally:
        store.close()
    assert (mode, sync) == ("delete", 3)  # 3: EXTRA


def test_words_read_from_the_outbox_file_are_drawn_not_obeyed(tmp_path) -> None:
    """A hand-edited or hostile outbox file: its labels and reasons show ␛ where ESC was."""
    path = tmp_path / "outbox.sqlite3"
    store = OutboxStore(path).open()
    change = note(store, "c1", "hello")
    store.close()
    set_column(path, change.id, "label", "Note\x1b]0;PWNED\x07")
    set_column(path, change.id, "error", "refused\x1b[2J")
    store = OutboxStore(path).open()
    try:
        [read] = store.changes()
    finally:
        store.close()
    assert (read.label, read.error) == ("Note␛]0;PWNED␇", "refused␛[2J")

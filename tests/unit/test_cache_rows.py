"""The cache's rows as stored since schema v3: compressed, in a rowid table; a v2 file is emptied cleanly."""

from __future__ import annotations

import datetime as dt
import sqlite3

from crmtui.domain.models import Action, Contact, StreamEntry
from crmtui.store import Cache, identity
from crmtui.store.cache import MIGRATIONS

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.timezone.utc)
OWNER = identity("https://example.test/api/v3", "user-1")


def entry(cid: str) -> StreamEntry:
    return StreamEntry(
        contact=Contact(id=cid, first_name=cid.title(), background="Met at the fair. " * 100),  # ~2 kB of JSON
        next_action=Action(id=f"a-{cid}", contact_id=cid, text="Call back"),
    )


def v2_file(path) -> None:
    """A cache as crmtui's schema v2 left it: plain JSON rows in a WITHOUT ROWID table."""
    old = Cache(path, owner=OWNER)
    old.db.migrations = MIGRATIONS[:2]
    old.open()
    row = entry("c1").model_dump_json().encode()
    old.db.call(lambda c: c.execute("INSERT INTO rows (kind, scope, id, pos, data) VALUES ('stream', 'me', 'c1', 0, ?)", (row,)))
    old.db.call(lambda c: c.execute("INSERT INTO synced (kind, scope, synced_at) VALUES ('stream', 'me', ?)", (NOW.isoformat(),)))
    old.db.call(lambda c: c.commit())
    old.close()


def test_a_v2_cache_is_emptied_and_refilled_by_a_full_sync(tmp_path) -> None:
    path = tmp_path / "cache.sqlite3"
    v2_file(path)
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 2
    cache = Cache(path, owner=OWNER).open()
    assert cache.needs_full_sync and cache.notice is None  # a new format, not damage
    assert cache.get_rows("stream", StreamEntry, "me") is None
    cache.put_rows("stream", "me", {"c2": entry("c2")}, synced_at=NOW)
    assert [e.contact.id for e in cache.get_rows("stream", StreamEntry, "me") or []] == ["c2"]
    cache.close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) == 3


def test_rows_are_stored_compressed_and_read_back_whole(tmp_path) -> None:
    path = tmp_path / "cache.sqlite3"
    cache = Cache(path, owner=OWNER).open()
    rows = {f"c{i}": entry(f"c{i}") for i in range(300)}
    cache.put_rows("stream", "me", rows, synced_at=NOW)
    cache.merge_rows("stream", "me", {"c5": entry("c5").model_copy(update={"in_stream": False})})
    assert cache.get_rows("stream", StreamEntry, "me") == [
        r.model_copy(update={"in_stream": False}) if k == "c5" else r for k, r in rows.items()
    ]
    assert cache.get_row("stream", StreamEntry, "c7", "me") == rows["c7"]
    cache.put_list("notes", "c1", [rows["c1"]], synced_at=NOW)
    assert cache.get_list("notes", StreamEntry, "c1") == [rows["c1"]]
    cache.close()
    conn = sqlite3.connect(path)
    stored = conn.execute("SELECT sum(length(data)) FROM rows WHERE kind='stream'").fetchone()[0]
    json_size = sum(len(r.model_dump_json()) for r in rows.values())
    assert stored < json_size / 4
    # Each row in the table's own pages, not an overflow page each (v2's 4 kB a row).
    assert path.stat().st_size < json_size / 2


def test_a_plain_json_row_is_still_read_and_a_garbled_one_dropped(tmp_path) -> None:
    cache = Cache(tmp_path / "cache.sqlite3", owner=OWNER).open()
    cache.put_rows("stream", "me", {"c1": entry("c1"), "c2": entry("c2")}, synced_at=NOW)
    plain = entry("c1").model_dump_json().encode()
    cache.db.call(lambda c: c.execute("UPDATE rows SET data=? WHERE id='c1'", (plain,)))
    cache.db.call(lambda c: c.execute("UPDATE rows SET data=? WHERE id='c2'", (b"x\x9cgarbled",)))
    assert [e.contact.id for e in cache.get_rows("stream", StreamEntry, "me") or []] == ["c1"]
    assert cache.get_rows("stream", StreamEntry, "me") is None  # the salvage marked it for a full sync
    cache.close()


def test_a_collection_is_decoded_a_batch_at_a_time_and_a_bad_row_in_a_later_batch_salvaged(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("crmtui.store.cache.DECODE_BATCH", 7)
    cache = Cache(tmp_path / "cache.sqlite3", owner=OWNER).open()
    rows = {f"c{i}": entry(f"c{i}") for i in range(30)}
    cache.put_rows("stream", "me", rows, synced_at=NOW)
    assert cache.get_rows("stream", StreamEntry, "me") == list(rows.values())  # every batch, in order
    assert cache.get_rows("stream", StreamEntry, "me", limit=10) == list(rows.values())[:10]
    cache.db.call(lambda c: c.execute("UPDATE rows SET data=? WHERE id='c23'", (b'{"contact": 5}',)))
    assert [e.contact.id for e in cache.get_rows("stream", StreamEntry, "me") or []] == [k for k in rows if k != "c23"]
    assert cache.get_rows("stream", StreamEntry, "me") is None  # the salvage marked it for a full sync
    cache.close()

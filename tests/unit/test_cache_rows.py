"""The cache's rows as stored since schema v3: in a rowid table (compressed until rows went back to plain
JSON: rows stored compressed are still read); a v2 file is emptied cleanly; since v4 a stream row's
company is stored once for all its rows."""

from __future__ import annotations

import datetime as dt
import sqlite3
import zlib

from crmtui.domain.models import Action, Address, Company, Contact, CustomValue, StreamEntry
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
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) == 4


def test_rows_are_stored_as_plain_json_in_the_tables_own_pages_and_read_back_whole(tmp_path) -> None:
    path = tmp_path / "cache.sqlite3"
    cache = Cache(path, owner=OWNER).open()

    def row(cid: str) -> StreamEntry:  # 1.6 kB of JSON, as a stream row's (1.5 kB on average at 20,000 contacts)
        e = entry(cid)
        return e.model_copy(update={"contact": e.contact.model_copy(update={"background": "Met at the fair. " * 60})})

    rows = {f"c{i}": row(f"c{i}") for i in range(300)}
    cache.put_rows("stream", "me", rows, synced_at=NOW)
    cache.merge_rows("stream", "me", {"c5": row("c5").model_copy(update={"in_stream": False})})
    assert cache.get_rows("stream", StreamEntry, "me") == [
        r.model_copy(update={"in_stream": False}) if k == "c5" else r for k, r in rows.items()
    ]
    assert cache.get_row("stream", StreamEntry, "c7", "me") == rows["c7"]
    cache.put_list("notes", "c1", [rows["c1"]], synced_at=NOW)
    assert cache.get_list("notes", StreamEntry, "c1") == [rows["c1"]]
    cache.close()
    conn = sqlite3.connect(path)
    # A keyed row is its JSON as it is: a warm start reads it without inflating it first.
    assert conn.execute("SELECT data FROM rows WHERE kind='stream' AND id='c7'").fetchone()[0] == rows["c7"].model_dump_json().encode()
    # A whole list is one row: compressed (one call inflates all of it).
    assert zlib.decompress(conn.execute("SELECT data FROM rows WHERE kind='notes'").fetchone()[0]).startswith(b"[{")
    json_size = sum(len(r.model_dump_json()) for r in rows.values())
    # Rows two to a page of the table, not an overflow page each (v2's 4 kB a row: 2.5 times the JSON).
    assert path.stat().st_size < json_size * 1.4


def test_rows_stored_compressed_are_still_read_and_a_garbled_one_dropped(tmp_path) -> None:
    cache = Cache(tmp_path / "cache.sqlite3", owner=OWNER).open()
    cache.put_rows("stream", "me", {"c1": entry("c1"), "c2": entry("c2"), "c3": entry("c3")}, synced_at=NOW)
    packed = zlib.compress(entry("c1").model_dump_json().encode(), 1)  # as schema v3 and v4 stored rows
    cache.db.call(lambda c: c.execute("UPDATE rows SET data=? WHERE id='c1'", (packed,)))
    cache.db.call(lambda c: c.execute("UPDATE rows SET data=? WHERE id='c2'", (b"x\x9cgarbled",)))
    assert [e.contact.id for e in cache.get_rows("stream", StreamEntry, "me") or []] == ["c1", "c3"]
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


def company(cid: str, name: str = "") -> Company:
    return Company(
        id=cid, name=name or f"Company {cid}", address=Address(city="Cork"),
        custom_fields=[CustomValue(field_id="f1", name="Size", value="Small")],
    )


def with_company(cid: str, co: Company | None) -> StreamEntry:
    return entry(cid).model_copy(update={"company": co, "contact": entry(cid).contact.model_copy(update={"company_id": co.id if co else ""})})


def stored_kinds(cache: Cache) -> dict[str, int]:
    return dict(cache.db.call(lambda c: c.execute("SELECT kind, count(*) FROM rows GROUP BY kind").fetchall()))


def test_a_company_is_stored_once_for_all_its_rows_and_read_back_shared(tmp_path) -> None:
    cache = Cache(tmp_path / "cache.sqlite3", owner=OWNER).open()
    companies = [company("k0"), company("k1"), company("k2")]
    rows = {f"c{i}": with_company(f"c{i}", companies[i % 3] if i % 4 else None) for i in range(12)}
    cache.put_rows("stream", "me", rows, synced_at=NOW)
    assert stored_kinds(cache) == {"stream": 12, "stream/company": 3}
    read = cache.get_rows("stream", StreamEntry, "me") or []
    assert read == list(rows.values())  # every field, the companies' included
    by_company: dict[str, set[int]] = {}
    for e in read:
        if e.company is not None:
            by_company.setdefault(e.company.id, set()).add(id(e.company))
    assert len(by_company) == 3 and all(len(copies) == 1 for copies in by_company.values())  # one copy each
    assert cache.get_rows("stream", StreamEntry, "me", limit=3) == list(rows.values())[:3]
    assert cache.get_row("stream", StreamEntry, "c1", "me") == rows["c1"]
    # A change to one contact brings its company's latest copy: every row of that company has it.
    renamed = company("k1", "Renamed Ltd")
    cache.merge_rows("stream", "me", {"c1": with_company("c1", renamed)})
    after = {e.contact.id: e for e in cache.get_rows("stream", StreamEntry, "me") or []}
    assert [cid for cid, e in after.items() if e.company is not None and e.company.name == "Renamed Ltd"] == ["c1", "c7", "c10"]
    assert after["c4"].company is None and after["c2"].company == companies[2]
    cache.drop("stream", "me")
    assert stored_kinds(cache) == {}
    cache.close()


def test_a_row_whose_company_is_missing_is_shown_without_it_and_the_stream_refetched(tmp_path) -> None:
    cache = Cache(tmp_path / "cache.sqlite3", owner=OWNER).open()
    cache.put_rows("stream", "me", {"c1": with_company("c1", company("k1")), "c2": with_company("c2", company("k2"))}, synced_at=NOW)
    cache.db.call(lambda c: c.execute("DELETE FROM rows WHERE kind='stream/company' AND id='k2'"))
    read = cache.get_rows("stream", StreamEntry, "me") or []
    assert [(e.contact.id, e.company.id if e.company else None) for e in read] == [("c1", "k1"), ("c2", None)]
    assert cache.get_rows("stream", StreamEntry, "me") is None  # marked for a full sync
    # A garbled company reads as null: the same.
    cache.put_rows("stream", "me", {"c1": with_company("c1", company("k1")), "c2": with_company("c2", company("k2"))}, synced_at=NOW)
    cache.db.call(lambda c: c.execute("UPDATE rows SET data=? WHERE kind='stream/company' AND id='k1'", (b"x\x9cgarbled",)))
    read = cache.get_rows("stream", StreamEntry, "me") or []
    assert [(e.contact.id, e.company.id if e.company else None) for e in read] == [("c1", None), ("c2", "k2")]
    assert cache.get_rows("stream", StreamEntry, "me") is None
    cache.close()


def test_a_v3_cache_keeps_its_rows_whole_and_stores_companies_once_from_the_next_write(tmp_path) -> None:
    path = tmp_path / "cache.sqlite3"
    old = Cache(path, owner=OWNER)
    old.db.migrations = MIGRATIONS[:3]
    old.open()
    rows = {"c1": with_company("c1", company("k1")), "c2": with_company("c2", company("k1"))}
    # as v3 wrote them: every row whole
    whole = [(key, pos, zlib.compress(row.model_dump_json().encode(), 1)) for pos, (key, row) in enumerate(rows.items())]
    old.db.call(lambda c: c.executemany("INSERT INTO rows (kind, scope, id, pos, data) VALUES ('stream', 'me', ?, ?, ?)", whole))
    old.db.call(lambda c: c.execute("INSERT INTO synced (kind, scope, synced_at) VALUES ('stream', 'me', ?)", (NOW.isoformat(),)))
    old.close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 3
    cache = Cache(path, owner=OWNER).open()
    assert cache.needs_full_sync and cache.notice is None  # a new format, not damage
    assert cache.get_rows("stream", StreamEntry, "me") == list(rows.values())
    cache.put_rows("stream", "me", rows, synced_at=NOW)
    assert stored_kinds(cache) == {"stream": 2, "stream/company": 1}
    assert cache.get_rows("stream", StreamEntry, "me") == list(rows.values())
    cache.close()

"""The directory kept in the cache: read back whole in the cache's thread; a damaged row is left out
(no traceback) and the read starts again from the first page."""

from __future__ import annotations

import datetime as dt

from crmtui.backends.registry import Connection, create_backend
from crmtui.domain.directory import DirectoryRow
from crmtui.service.directory import KIND, META, ContactDirectory
from crmtui.store import Cache

NOW = dt.datetime(2026, 3, 10, tzinfo=dt.timezone.utc)


def kept(tmp_path) -> tuple[Cache, ContactDirectory]:
    cache = Cache(tmp_path / "cache.sqlite3", owner="test").open()
    backend = create_backend(Connection("onepagecrm", "http://127.0.0.1:9/api/v3", "u", "k"))  # never asked
    assert backend.features.directory is not None
    return cache, ContactDirectory(backend, backend.features.directory, cache)


def put(cache: Cache) -> None:
    rows = {f"c{n}": DirectoryRow(id=f"c{n}", first_name=f"Ann{n}", emails=[f"a{n}@x.ie"]) for n in range(5)}
    cache.put_rows(KIND, "", rows, synced_at=NOW)
    cache.set_meta(META, {"page": 3, "complete": True, "total": 5, "started": NOW.isoformat(), "full_at": NOW.isoformat()})


async def test_the_rows_and_progress_are_read_back(tmp_path) -> None:
    cache, directory = kept(tmp_path)
    put(cache)
    await directory.load()
    assert directory.complete and directory.kept == 5 and directory.rows["c2"].emails == ["a2@x.ie"]
    assert directory.state.page == 3 and directory.state.started == NOW
    cache.close()


async def test_a_damaged_row_is_left_out_and_the_read_starts_again(tmp_path) -> None:
    cache, directory = kept(tmp_path)
    put(cache)
    cache.db.call(lambda c: c.execute("UPDATE rows SET data=? WHERE kind=? AND id='c3'", (b'{"id": 7}', KIND)))
    await directory.load()
    assert set(directory.rows) == {"c0", "c1", "c2", "c4"}
    assert not directory.complete and directory.state.page == 0  # from the first page again
    cache.close()

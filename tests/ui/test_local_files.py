"""The app over damaged local files: it starts, sends what it can, and says what it could not keep.

Real files in a temporary folder, damaged as a bad disk, a kill or a hand edit leaves them; the
sandbox is real. Before these fixes an unreadable outbox row left the app at "connecting…" with
screen 5 saying nothing waits, and a cache with the right version but other tables stopped every
start.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from crmtui.store import OutboxStore
from crmtui.ui.screens.changes import ChangesScreen

from .conftest import NARROW, WIDE, loaded, wait_for
from .local_files_support import (
    cells,
    detail,
    files_app,
    header_text,
    notice,
    owner,
    server_notes,
    stream_contacts,
    table,
)
from .stream_support import Notes
from tests.support.outbox_files import NOW, note, set_column


async def test_an_unreadable_change_does_not_stop_the_start_the_rest_is_sent_and_it_waits_for_review(sandbox, tmp_path) -> None:
    path = tmp_path / "outbox.sqlite3"
    [cid] = stream_contacts(sandbox, 1)
    store = OutboxStore(path, owner=owner(sandbox)).open()
    note(store, cid, "ui: good")
    bad = note(store, cid, "ui: bad")
    store.close()
    set_column(path, bad.id, "created_at", "last tuesday")
    app = files_app(sandbox, path)
    notes = Notes(app)
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)  # not stuck at "connecting…"
        assert app.connected and app.session.entries
        await notes.wait(pilot, "could not be read from the file")
        await wait_for(pilot, lambda: server_notes(sandbox, "ui:") == ["ui: good"], what="the readable change to be sent")
        await wait_for(pilot, lambda: app.pending_changes == 0, what="the header to count it sent")
        assert "1 to review" in header_text(app)

        await pilot.press("5")
        assert isinstance(app.screen, ChangesScreen)
        assert table(app).row_count == 1 and cells(app, 0)[2] == "damaged"
        assert "cannot read this change" in detail(app) and "date is damaged" in detail(app)
        assert "Nothing waits" not in detail(app)
        await pilot.press("r")
        await notes.wait(pilot, "cannot be sent")
        await pilot.press("x")
        await pilot.press("enter")  # confirm
        await wait_for(pilot, lambda: table(app).row_count == 0, what="the discard")
        assert "Nothing waits" in detail(app) and "to review" not in header_text(app)
    assert server_notes(sandbox, "ui:") == ["ui: good"]


async def test_an_emptied_outbox_is_reported_on_start_and_on_screen_5(sandbox, tmp_path) -> None:
    path = tmp_path / "outbox.sqlite3"
    [cid] = stream_contacts(sandbox, 1)
    store = OutboxStore(path, owner=owner(sandbox)).open()
    note(store, cid, "ui: lost 1")
    note(store, cid, "ui: lost 2", created_at=NOW + dt.timedelta(minutes=5))
    store.close()
    path.write_bytes(b"")  # truncated outside crmtui
    app = files_app(sandbox, path)
    notes = Notes(app)
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        found = await notes.wait(pilot, "may have been lost")
        assert found.severity == "error" and "Up to 2" in found.message
        await pilot.press("5")
        assert "Up to 2 unsent change(s)" in notice(app) and "09:00" in notice(app) and "09:05" in notice(app)
        assert "Nothing waits" not in detail(app)


async def test_when_the_outbox_cannot_be_opened_screen_5_does_not_say_nothing_waits(sandbox, tmp_path) -> None:
    path = tmp_path / "outbox.sqlite3"
    path.mkdir()  # not a file SQLite can open: what waits in it is unknown
    app = files_app(sandbox, path)
    notes = Notes(app)
    async with app.run_test(size=NARROW) as pilot:
        await notes.wait(pilot, "could not be read")
        await pilot.press("5")
        await wait_for(pilot, lambda: isinstance(app.screen, ChangesScreen), what="screen 5")
        assert "Nothing waits" not in detail(app)
        assert "could not be read" in notice(app)


async def test_a_cache_with_other_tables_is_rebuilt_and_the_app_says_so_once(sandbox, tmp_path) -> None:
    cache = tmp_path / "cache.sqlite3"
    conn = sqlite3.connect(cache)
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.execute("PRAGMA user_version=2")
    conn.commit()
    conn.close()
    for start in ("first", "second"):
        app = files_app(sandbox, tmp_path / "outbox.sqlite3", cache)
        notes = Notes(app)
        async with app.run_test(size=NARROW) as pilot:
            await loaded(pilot)
            assert app.session.entries
            said = [n for n in notes.all if n.title == "Local cache"]
            if start == "first":
                assert len(said) == 1 and "rebuilt" in said[0].message
                assert app.session.backend.last_sync["mode"] == "full"
            else:
                assert said == []
        app.session.backend.cache.close()

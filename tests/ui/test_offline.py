"""Start from the cache, work offline, never lose a change: the app over a cache and an outbox.

The sandbox is real; "offline" is the sandbox dropping every connection (or an address nothing
listens on), and the cache and outbox are real files in a temporary folder.
"""

from __future__ import annotations

import re

import httpx
import pytest
from textual.widgets import DataTable, ProgressBar

from crmtui.backends.http import RetryPolicy
from crmtui.backends.onepagecrm.adapter import OnePageCRMBackend
from crmtui.backends.onepagecrm.client import OnePageCRMClient
from crmtui.service.cached import flush_cache_writes
from crmtui.service.outbox import Outbox
from crmtui.store import Cache, OutboxStore, identity
from crmtui.service.compose import compose
from crmtui.ui.app import CrmApp
from crmtui.ui.screens.changes import ChangesScreen
from crmtui.ui.screens.connection_error import ConnectionErrorScreen
from crmtui.ui.widgets.header import AppHeader

from .conftest import NARROW, WIDE, frozen_clock, loaded, wait_for
from .stream_support import Notes, go_to, row_line, stream_list

FAST = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02, budget=0.5)
DEAD = "http://127.0.0.1:9/api/v3"  # nothing listens there


class Files:
    def __init__(self, tmp_path, sandbox) -> None:
        self.cache = tmp_path / "cache.sqlite3"
        self.outbox = tmp_path / "outbox.sqlite3"
        self.owner = identity("demo", sandbox.user_id)


@pytest.fixture
def files(tmp_path, sandbox) -> Files:
    return Files(tmp_path, sandbox)


def cached_app(sandbox, files: Files, *, base_url: str | None = None, offline: bool = False, requests: list | None = None) -> CrmApp:
    hooks = {"request": [lambda r: _count(requests, r)]} if requests is not None else None
    client = OnePageCRMClient(sandbox.user_id, sandbox.api_key, base_url=base_url or sandbox.base_url, retry=FAST, event_hooks=hooks)
    inner = OnePageCRMBackend(client)
    cache = Cache(files.cache, owner=files.owner).open()
    outbox = Outbox(inner, OutboxStore(files.outbox), base_delay=0.05, max_delay=0.3)
    session = compose(inner, cache=cache, outbox=outbox, offline=offline, clock=frozen_clock)
    return CrmApp(session, refresh_seconds=0, cursor_blink=False)


async def _count(requests: list | None, request: httpx.Request) -> None:
    if requests is not None:
        requests.append(request.url.path)


def header_text(app: CrmApp) -> str:
    return str(app.screen.query_one(AppHeader).render())


async def warm_up(sandbox, files: Files) -> list[str]:
    """Run the app once online so the cache holds the account and stream; returns the stream's ids."""
    app = cached_app(sandbox, files)
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        ids = [e.contact.id for e in app.session.entries]
        await flush_cache_writes()
    app.session.backend.cache.close()  # as the command does on quitting
    return ids


async def test_a_warm_start_paints_the_cached_stream_before_any_request(sandbox, files) -> None:
    ids = await warm_up(sandbox, files)
    requests: list[str] = []
    at_first_paint: list[int] = []
    app = cached_app(sandbox, files, requests=requests)
    app.session.subscribe(lambda entries: at_first_paint.append(len(requests)) if entries and not at_first_paint else None)
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        assert at_first_paint == [0]  # the rows were on screen before the first request left
        assert [e.contact.id for e in app.session.entries] == ids
        assert app.session.backend.last_sync["mode"] == "incremental"  # then only what changed was fetched
        assert not any(path.endswith("/bootstrap") for path in requests[1:])


@pytest.mark.parametrize("first_rows", [3, 200], ids=["first-screenful-then-the-rest", "all-at-once"])
async def test_a_warm_start_composes_the_stream_screen_with_its_cached_rows(sandbox, files, monkeypatch, first_rows) -> None:
    """The cache's first screenful is read before the first screen is composed, so its first frame
    shows rows (not an empty list then rows); the rest of the stream follows, in order."""
    import crmtui.ui.app as app_module
    from crmtui.ui.screens.stream import ActionStreamScreen

    ids = await warm_up(sandbox, files)
    assert len(ids) > 3
    monkeypatch.setattr(app_module, "FIRST_ROWS", first_rows)
    at_mount: list[list[str]] = []
    mount = ActionStreamScreen.on_mount

    titles: list[str] = []

    def mounted(screen: ActionStreamScreen) -> None:
        mount(screen)
        at_mount.append([e.contact.id for e in screen.stream_list.entries])
        titles.append(str(screen.query_one(AppHeader).title))

    monkeypatch.setattr(ActionStreamScreen, "on_mount", mounted)
    app = cached_app(sandbox, files)
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        expected = ids[:first_rows]
        assert at_mount and len(at_mount[0]) == len(expected) and set(at_mount[0]) <= set(ids)
        assert [e.contact.id for e in app.session.entries] == ids
        whole = f"Action stream · {len(ids):,}"
        if first_rows < len(ids):  # no count for a part: the whole stream's, once read
            assert titles[0] == "Action stream", titles
            await wait_for(pilot, lambda: header_text(app).find(whole) >= 0, what="the whole stream's count")
        else:
            assert titles[0].startswith(whole), titles


async def test_with_no_network_the_cached_stream_stays_and_the_header_says_since_when(sandbox, files) -> None:
    ids = await warm_up(sandbox, files)
    app = cached_app(sandbox, files, base_url=DEAD)
    notes = Notes(app)
    async with app.run_test(size=NARROW) as pilot:
        await wait_for(pilot, lambda: app.offline_since is not None, what="the app to notice it is offline")
        assert not isinstance(app.screen, ConnectionErrorScreen)
        assert [e.contact.id for e in app.session.entries] == ids
        assert "offline since" in header_text(app)
        assert notes.find("last known data")


async def test_changes_made_offline_are_kept_listed_and_sent_when_the_network_is_back(sandbox, files) -> None:
    await warm_up(sandbox, files)
    app = cached_app(sandbox, files)
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        entry = app.session.entries[0]
        cid, was = entry.contact.id, entry.contact.starred
        went = app.session.backend.last_sync
        sandbox.options.drop_rate = 1.0  # the network goes
        try:
            await go_to(pilot, cid)
            await pilot.press("asterisk")
            await wait_for(pilot, lambda: app.offline_since is not None, what="offline")
            assert (await row_line(pilot, cid)).startswith("▌ ★" if not was else "▌ ☆")  # shown as made
            assert app.pending_changes == 1 and "1 unsent" in header_text(app)
            await pilot.press("5")
            assert isinstance(app.screen, ChangesScreen)
            table = app.screen.query_one(DataTable)
            assert table.row_count == 1 and str(table.get_row_at(0)[4]) == ("Unstar" if was else "Star")
            assert sandbox.state.tables["contacts"][cid].get("starred", False) is was
        finally:
            sandbox.options.drop_rate = 0.0
        await pilot.press("R")  # send now
        await wait_for(pilot, lambda: app.pending_changes == 0, what="the change to go")
        assert sandbox.state.tables["contacts"][cid].get("starred", False) is (not was)
        backend = app.session.backend
        await wait_for(
            pilot, lambda: backend.last_sync is not went and backend.last_sync.get("mode") == "incremental",
            what="the stream to catch up once the server is back",  # periodic refreshes are off in these tests
        )
        assert app.offline_since is None and "updated" in header_text(app)
        await wait_for(pilot, lambda: app.screen.query_one(DataTable).row_count == 0, what="the list to empty")


async def test_a_refused_change_is_listed_with_the_servers_reason_and_can_be_discarded(sandbox, files) -> None:
    app = cached_app(sandbox, files)
    notes = Notes(app)
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        entry = next(e for e in app.session.entries if e.next_action is not None)
        await app.session.backend.inner.delete_action(entry.next_action.id)  # gone behind the app's back
        await go_to(pilot, entry.contact.id)
        await pilot.press("d", "escape")
        note = await notes.wait(pilot, "was not saved")
        assert note.severity == "error" and "not found" in note.message.lower()
        assert app.review_changes == 1 and "1 to review" in header_text(app)
        await pilot.press("5")
        table = app.screen.query_one(DataTable)
        assert "refused" in str(table.get_row_at(0)[2])
        await pilot.press("x")
        await pilot.press("enter")  # confirm
        await wait_for(pilot, lambda: app.review_changes == 0, what="the discard")
        assert table.row_count == 0


async def test_a_conflict_offers_mine_or_theirs(sandbox, files) -> None:
    app = cached_app(sandbox, files)
    notes = Notes(app)
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        entry = next(e for e in app.session.entries if e.next_action is not None)
        app.session.outbox.pause("offline for the test")
        await app.session.edit_action(entry.contact.id, entry.next_action, text="Mine")
        await app.session.backend.inner.update_action(entry.next_action.id, text="Theirs")
        app.session.outbox.resume()
        note = await notes.wait(pilot, "Press 5")
        assert note.title == "Changed on the server meanwhile" and "Theirs" in note.message
        await pilot.press("5")
        assert "conflict" in str(app.screen.query_one(DataTable).get_row_at(0)[2])
        await pilot.press("m")  # keep mine
        await wait_for(pilot, lambda: app.review_changes == 0 and app.pending_changes == 0, what="mine to be sent")
        assert sandbox.state.tables["actions"][entry.next_action.id]["text"] == "Mine"


async def test_offline_mode_works_from_the_cache_and_sends_nothing(sandbox, files) -> None:
    ids = await warm_up(sandbox, files)
    requests: list[str] = []
    app = cached_app(sandbox, files, offline=True, requests=requests)
    async with app.run_test(size=NARROW) as pilot:
        await wait_for(pilot, lambda: bool(app.session.entries), what="the cached stream")
        await wait_for(pilot, lambda: not any(w.is_running for w in app.workers), what="the start to finish")
        assert [e.contact.id for e in app.session.entries] == ids
        await go_to(pilot, ids[0])
        await pilot.press("asterisk")
        await wait_for(pilot, lambda: app.pending_changes == 1, what="the change to be kept")
        assert "offline mode" in header_text(app) and requests == []
    store = OutboxStore(files.outbox).open()
    assert len(store.changes()) == 1  # sent on the next online start
    store.close()


def _garbage(path) -> None:
    path.write_bytes(b"\x00garbage" * 4000)


def _pages_inside(path) -> None:
    """Two pages in the middle zeroed, the header and the tables intact: found by the check that
    follows the first rows, not on opening."""
    data = bytearray(path.read_bytes())
    page = 4096
    middle = len(data) // page // 2
    data[middle * page:(middle + 2) * page] = bytes(2 * page)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [_garbage, _pages_inside], ids=["garbage", "pages-inside"])
async def test_a_damaged_cache_is_rebuilt_and_the_app_says_so(sandbox, files, damage) -> None:
    ids = await warm_up(sandbox, files)
    damage(files.cache)
    app = cached_app(sandbox, files)
    notes = Notes(app)
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        note = await notes.wait(pilot, "damaged")
        assert note.title == "Local cache" and "rebuilt" in note.message
        assert [e.contact.id for e in app.session.entries] == ids
        assert app.session.backend.last_sync["mode"] == "full"
    assert list(files.cache.parent.glob("cache.sqlite3.damaged-*"))  # kept for a bug report


async def test_the_cache_file_is_checked_once_the_start_has_shown_its_rows(sandbox, files, monkeypatch) -> None:
    """SQLite's quick check reads the whole cache file (300 ms from disk at 20,000 contacts, before
    any row): a start shows the cached stream first, then checks the file, before asking the server."""
    ids = await warm_up(sandbox, files)
    requests: list[str] = []
    shown_at_check: list[tuple[int, int]] = []
    check = Cache.check

    def checked(cache: Cache) -> bool:
        shown_at_check.append((len(app.session.entries), len(requests)))
        return check(cache)

    monkeypatch.setattr(Cache, "check", checked)
    app = cached_app(sandbox, files, requests=requests)
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
    assert shown_at_check == [(len(ids), 0)]


async def test_the_first_sync_shows_a_progress_bar_with_counts(sandbox, files) -> None:
    # the stream's first page arrives; the second stays on its way until released
    held = sandbox.gate.hold("GET", "/api/v3/action_stream", query={"page": "2"})
    app = cached_app(sandbox, files)
    seen: list[str] = []
    async with app.run_test(size=NARROW) as pilot:
        screen = app.screen
        bar = screen.query_one("#sync-progress", ProgressBar)
        await wait_for(pilot, lambda: bar.display, what="the progress bar")
        seen.append(f"{screen.query_one(AppHeader).title} | {app.sync_status}")
        assert bar.total and bar.progress < bar.total
        await held.parked(1)
        await wait_for(pilot, lambda: bool(app.session.entries), what="rows painted mid-sync")
        assert bar.display and bar.progress < bar.total
        # rows already on screen are not the whole stream: the header still says so
        seen.append(f"{screen.query_one(AppHeader).title} | {app.sync_status}")
        held.release()
        await loaded(pilot)
        assert not bar.display
    assert all(re.fullmatch(r"Action stream · syncing… \| loading [\d,]+/[\d,]+", line) for line in seen), seen


async def test_full_resync_on_demand(sandbox, files) -> None:
    await warm_up(sandbox, files)
    app = cached_app(sandbox, files)
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        assert app.session.backend.last_sync["mode"] == "incremental"
        await pilot.press("R")
        await wait_for(pilot, lambda: app.session.backend.last_sync["mode"] == "full" and not app._loading, what="the resync")
        assert stream_list(app).entries


async def test_a_change_left_waiting_by_an_earlier_run_goes_as_soon_as_the_server_answers(sandbox, files) -> None:
    """A change an earlier run could not send waits out that run's retry delay; the next run sends it on
    its first answer from the server, not when the old delay ends (a restart is when people look)."""
    await warm_up(sandbox, files)
    app = cached_app(sandbox, files)
    app.session.outbox.base_delay = app.session.outbox.max_delay = 3600.0  # its next try an hour away
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        entry = app.session.entries[0]
        cid, was = entry.contact.id, entry.contact.starred
        sandbox.options.drop_rate = 1.0  # the network goes
        await go_to(pilot, cid)
        await pilot.press("asterisk")
        await wait_for(pilot, lambda: app.offline_since is not None, what="offline")
        await flush_cache_writes()
    app.session.backend.cache.close()
    assert sandbox.state.tables["contacts"][cid].get("starred", False) is was  # not sent
    sandbox.options.drop_rate = 0.0
    again = cached_app(sandbox, files)
    again.session.outbox.base_delay = again.session.outbox.max_delay = 3600.0
    async with again.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        await wait_for(
            pilot, lambda: sandbox.state.tables["contacts"][cid].get("starred", False) is (not was),
            what="the waiting change to go on the first answer",
        )


async def test_a_warm_start_s_first_frame_is_the_whole_screen_and_not_drawn_again(sandbox, files, monkeypatch) -> None:
    """Textual drops what it draws during its start's batch of updates, though its compositor counts
    it as drawn: the first frame on the terminal lacked the parts that did not change again (the key
    bar, the preview pane's border), and a second whole frame followed. The first frame on the
    terminal is the whole screen, rows and key bar, and no whole frame repeats it at the start."""
    from textual._compositor import LayoutUpdate

    from crmtui.ui.screens.stream import ActionStreamScreen

    await warm_up(sandbox, files)
    frames: list[str] = []
    display = CrmApp._display

    def displayed(app: CrmApp, screen, renderable) -> None:
        if renderable is not None and isinstance(screen, ActionStreamScreen) and not app._batch_count:
            whole = isinstance(renderable, LayoutUpdate) and renderable.region == screen.size.region
            frames.append("whole" if whole else "part")
        display(app, screen, renderable)

    monkeypatch.setattr(CrmApp, "_display", displayed)
    app = cached_app(sandbox, files)
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await pilot.pause()
        assert frames[0] == "whole", frames
        assert frames.count("whole") == 1, frames

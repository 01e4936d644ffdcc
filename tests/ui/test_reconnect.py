"""After an outage: screens that failed to load load again by themselves, and an unknown count says so.

"The network goes" is the sandbox dropping every connection (`drop_rate = 1.0`) with the client
trying once; "it is back" is `drop_rate = 0.0`. While offline the app tries the server every
RECONNECT_SECONDS (0 here: on every tick) and the screens follow its `offline_since` back to None.
"""

from __future__ import annotations

import pytest

from crmtui.backends.http import RetryPolicy
from crmtui.ui import app as app_module
from crmtui.ui.app import CrmApp
from crmtui.ui.screens.contact import ContactDetailScreen
from crmtui.ui.screens.notifications import NotificationsScreen
from crmtui.ui.screens.pipeline import PipelineScreen
from crmtui.ui.screens.team import TeamStreamScreen
from crmtui.ui.widgets.header import AppHeader

from .conftest import NARROW, loaded, settled, wait_for


@pytest.fixture(autouse=True)
def reconnect_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app_module, "RECONNECT_SECONDS", 0.0)


def network_gone(app: CrmApp, sandbox) -> None:
    app.session.backend.client.http.retry = RetryPolicy(attempts=1)  # type: ignore[attr-defined]
    sandbox.options.drop_rate = 1.0


def header(app: CrmApp) -> str:
    return str(app.screen.query_one(AppHeader).render())


async def test_a_pipeline_that_failed_in_an_outage_loads_by_itself_when_the_connection_returns(sandbox, make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        await settled(pilot)
        network_gone(app, sandbox)
        await pilot.press("3")
        screen = app.screen
        assert isinstance(screen, PipelineScreen)
        await wait_for(pilot, lambda: screen.load_error is not None, what="the board to fail to load")
        assert app.offline_since is not None  # the screen told the app: it now tries the server
        assert "Could not load deals" in screen.board.empty_text
        sandbox.options.drop_rate = 0.0
        await wait_for(pilot, lambda: screen.current_board() is not None, what="the board to load by itself")
        assert screen.load_error is None and app.offline_since is None


async def test_notifications_that_failed_load_by_itself_and_their_count_is_never_a_false_zero(sandbox, make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        await settled(pilot)
        network_gone(app, sandbox)
        await pilot.press("4")
        screen = app.screen
        assert isinstance(screen, NotificationsScreen)
        await wait_for(pilot, lambda: screen.load_failed, what="the notifications to fail to load")
        assert "Notifications · ? unread" in header(app)  # not "none", not 0
        sandbox.options.drop_rate = 0.0
        await wait_for(pilot, lambda: screen.inbox is not None and screen.inbox.loaded, what="the list to load by itself")
        await settled(pilot)
        assert not screen.load_failed and "Notifications · 6 unread of 15" in header(app)


async def test_contact_sections_that_failed_load_by_themselves(sandbox, make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        await settled(pilot)
        network_gone(app, sandbox)
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, ContactDetailScreen)
        await wait_for(pilot, lambda: bool(screen.contact.errors), what="the contact's sections to fail")
        failed = set(screen.contact.errors)
        sandbox.options.drop_rate = 0.0
        await wait_for(pilot, lambda: not screen.contact.errors, what="the sections to load by themselves")
        assert failed and app.offline_since is None


async def test_a_team_stream_that_failed_loads_by_itself(sandbox, make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        await settled(pilot)
        network_gone(app, sandbox)
        await pilot.press("2")
        screen = app.screen
        assert isinstance(screen, TeamStreamScreen)
        await wait_for(pilot, lambda: screen.load_error is not None, what="the team stream to fail")
        sandbox.options.drop_rate = 0.0
        await wait_for(
            pilot, lambda: screen.load_error is None and bool(screen.stream.entries), what="the team stream to load by itself"
        )


async def test_the_unread_count_shows_as_unknown_until_the_server_tells_it(sandbox, make_app) -> None:
    held = sandbox.gate.hold("GET", "/api/v3/notifications*")
    app: CrmApp = make_app()
    try:
        async with app.run_test(size=NARROW) as pilot:
            await loaded(pilot)
            await held.parked(1)
            assert app.unread_count is None
            assert "✉ ?" in header(app) and "✉ 0" not in header(app)
            held.release()
            await wait_for(pilot, lambda: app.unread_count == 6, what="the count")
            await pilot.pause()
            assert "✉ 6" in header(app)
    finally:
        held.release()
        sandbox.gate.release()


async def test_with_a_local_cache_the_return_is_noticed_without_waiting_out_its_grace(sandbox, tmp_path, monkeypatch) -> None:
    """A read that failed makes the cache answer for a while without asking the server; the app's
    tries to reconnect ask it anyway (so the screens come back within seconds, not that while)."""
    from crmtui.service import cached

    from .local_files_support import files_app

    monkeypatch.setattr(cached, "OFFLINE_GRACE", 1e6)  # were the grace waited out, the test would hang
    app = files_app(sandbox, tmp_path / "outbox.sqlite3", tmp_path / "cache.sqlite3")
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        await settled(pilot)
        sandbox.options.drop_rate = 1.0
        await pilot.press("4")
        screen = app.screen
        assert isinstance(screen, NotificationsScreen)
        await wait_for(pilot, lambda: screen.load_failed, what="the notifications to fail to load")
        sandbox.options.drop_rate = 0.0
        await wait_for(pilot, lambda: screen.inbox is not None and screen.inbox.loaded, what="the list to load by itself")
        assert app.offline_since is None

"""The app shell on the real sandbox: loading, header, help, palette, themes, modes, errors, quit."""

from __future__ import annotations

import datetime as dt

import pytest
from textual.command import CommandList, CommandPalette

from crmtui.backends.errors import MalformedResponse, NotFound, PermissionDenied
from crmtui.backends.registry import Connection, create_backend
from crmtui.connection_help import explain

from crmtui.service.compose import compose
from crmtui.ui.app import CrmApp
from crmtui.ui.screens.connection_error import ConnectionErrorScreen, describe_error
from crmtui.ui.screens.help import HelpScreen
from crmtui.ui.screens.stream import ActionStreamScreen
from crmtui.ui.widgets.header import AppHeader
from crmtui.ui.widgets.stream_list import StreamList

from .conftest import NARROW, NOW, WIDE, frozen_clock, loaded, settled, wait_for


async def test_loads_stream_in_session_order_and_shows_header(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        assert isinstance(app.screen, ActionStreamScreen)
        account = app.session.account
        assert account is not None and app.account_label == f"{account.user.name} · {account.name}"
        assert account.name == "Sandbox Trading Ltd"
        await settled(pilot)
        assert app.unread_count == 6  # the seeded account has six unread notifications
        assert app.sync_status == "updated just now"
        shown = app.screen.query_one(StreamList).entries
        assert [e.contact.id for e in shown] == [e.contact.id for e in app.session.entries]
        assert len(shown) > 50


async def test_header_counts_minutes_since_sync(make_app) -> None:
    now = [NOW]
    app: CrmApp = make_app(clock=lambda: now[0])
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        now[0] = now[0] + dt.timedelta(seconds=42)
        app._tick()
        assert app.sync_status == "updated just now"  # seconds are not shown: the header repaints once a minute
        now[0] = now[0] + dt.timedelta(seconds=83)
        app._tick()
        assert app.sync_status == "updated 2m ago"
        app.set_unread(3)
        await pilot.pause()
        assert app.unread_count == 3


async def test_help_lists_bindings_by_screen_and_closes(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        titles = [title for title, _ in app.screen.sections]
        assert titles[:2] == ["Action stream", "Everywhere"] and "Next-action form" in titles  # this screen's first
        stream_keys = dict(app.help_sections(app.screen_stack[-2])[0][1])
        for key in ("d", "n", "e", "a", "p", "s", "u", "*", "/", "r"):
            assert key in stream_keys
        await pilot.press("escape")
        assert isinstance(app.screen, ActionStreamScreen)


async def test_command_palette_runs_screen_commands(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), what="the palette")
        await pilot.press(*"Help")
        palette = app.screen

        def found() -> bool:  # the search for what was typed has finished and found something
            searching = any(not w.is_finished for w in app.workers if w.node is palette)
            return not searching and palette.query_one(CommandList).option_count > 0

        await wait_for(pilot, found, what="the palette's matches")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help from the palette")


async def test_theme_from_start_and_changes_are_persisted(make_app) -> None:
    saved: list[str] = []
    app: CrmApp = make_app(theme="nord", on_theme_change=saved.append)
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        assert app.theme == "nord"
        app.theme = "gruvbox"
        await wait_for(pilot, lambda: saved and saved[-1] == "gruvbox", what="theme persistence")


async def test_number_key_switches_mode_and_q_quits(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        await pilot.press("1")
        assert app.current_mode == "stream"
        await pilot.press("q")
        await pilot.pause()
    assert app.return_value == 0


async def test_offline_on_start_shows_error_then_retry_and_quit(sandbox, make_app) -> None:
    app: CrmApp = make_app()
    sandbox.stop()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        assert isinstance(app.screen, ConnectionErrorScreen)
        text = str(app.screen.query_one("#error-title").render())
        assert "Cannot reach the server" in text
        assert str(app.screen.query_one("#error-address").render()) == f"Server: {sandbox.base_url}"
        await pilot.press("r")
        await settled(pilot)
        assert isinstance(app.screen, ConnectionErrorScreen)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_value == 1


async def test_wrong_api_key_shows_sign_in_failed(make_app) -> None:
    app: CrmApp = make_app(api_key="not-the-key")
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        assert isinstance(app.screen, ConnectionErrorScreen)
        assert "Sign-in failed" in str(app.screen.query_one("#error-title").render())


async def test_a_wrong_base_url_says_there_is_no_api_there_not_that_something_was_deleted(sandbox) -> None:
    wrong = sandbox.base_url.replace("/api/v3", "/crm/api/v3")
    backend = create_backend(Connection("onepagecrm", wrong, sandbox.user_id, sandbox.api_key))
    app = CrmApp(compose(backend, local_copy=False, clock=frozen_clock), refresh_seconds=0, cursor_blink=False)
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        assert isinstance(app.screen, ConnectionErrorScreen)
        title = str(app.screen.query_one("#error-title").render())
        message = str(app.screen.query_one("#error-message").render())
        hint = str(app.screen.query_one("#error-hint").render())
        assert title == "No CRM API at this address"
        assert f"No OnePageCRM API at {wrong}" in message and "check --base-url" in message
        assert "deleted" not in message + hint and "--base-url" in hint
        await pilot.press("r")  # retrying says the same
        await settled(pilot)
        assert str(app.screen.query_one("#error-title").render()) == title


@pytest.mark.parametrize(
    ("error", "title", "says"),
    [
        (NotFound("No such endpoint: /x/bootstrap", status=404), "No CRM API at this address",
         "No OnePageCRM API at http://crm.example/api/v3 (the server answered 404); check --base-url."),
        (MalformedResponse("not JSON"), "The server sent something unexpected",
         "http://crm.example/api/v3 did not answer like the OnePageCRM API (not JSON); check --base-url."),
        (PermissionDenied("API access is off for this account", status=403), "This account may not use the API",
         "This account may not use the API at http://crm.example/api/v3: API access is off for this account."),
    ],
)
def test_first_connection_errors_get_the_explanation_crmtui_login_gives(error, title, says) -> None:
    assert describe_error(error, "http://crm.example/api/v3")[:2] == (title, says)
    assert says.lower() == explain(error, "http://crm.example/api/v3").lower() + "."  # crmtui login's sentence


async def test_retry_recovers_once_the_server_answers(sandbox, make_app) -> None:
    sandbox.options.throttle_rate = 1.0
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        assert isinstance(app.screen, ConnectionErrorScreen)
        sandbox.options.throttle_rate = 0.0
        await pilot.press("r")
        await wait_for(pilot, lambda: app.connected, what="reconnect")
        await settled(pilot)
        assert isinstance(app.screen, ActionStreamScreen)
        assert app.screen.query_one(StreamList).entries


def count_ticks(app: CrmApp) -> list[int]:
    """Count the header clock's ticks (the app's one-second interval calls `_tick`, looked up on mount)."""
    ticks = [0]
    tick = app._tick

    def counted() -> None:
        tick()
        ticks[0] += 1

    app._tick = counted  # type: ignore[method-assign]
    return ticks


async def test_refresh_failure_after_start_shows_in_header(sandbox, make_app) -> None:
    app: CrmApp = make_app()
    ticks = count_ticks(app)
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        sandbox.stop()
        await pilot.press("r")
        await settled(pilot)
        seen = ticks[0]
        # the header's clock ticks once a second: after its next tick it must not say "updated just now"
        await wait_for(pilot, lambda: ticks[0] > seen, what="the header's clock to tick")
        assert isinstance(app.screen, ActionStreamScreen)
        assert app.offline_since is not None and app.sync_status == "offline"
        assert "offline since 09:00" in str(app.screen.query_one("#header").render())
        assert app.screen.query_one(StreamList).entries  # the loaded stream stays usable


async def test_plain_http_to_another_machine_is_shown_on_every_screen(make_app) -> None:
    """--allow-insecure-http: the person chose it, and the header keeps saying so."""
    app = make_app(unencrypted=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        for key in ("1", "2", "3", "4", "5"):
            await pilot.press(key)
            await pilot.pause()
            header = app.screen.query_one(AppHeader).render().plain
            assert header.startswith(" crmtui  ⚠ http "), header
        app.sync_error = "The server is too slow: no complete answer within 60 s (crm.example.com:443)"
        await pilot.pause()
        header = app.screen.query_one(AppHeader).render().plain
        assert header.startswith(" crmtui  ⚠ http ") and "⚠ The server is too slow" in header, header  # both in sight
    plain = make_app()
    async with plain.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        assert "⚠ http" not in plain.screen.query_one(AppHeader).render().plain

"""The app in front of a broken or hostile server: it never sits at "connecting…", never trades the
stream on screen for an empty one, and says what is wrong.

The server is the real sandbox behind a `MutatingProxy` (loopback) that rewrites its answers; the
cache and outbox are real files in a temporary folder.
"""

from __future__ import annotations

import json
from dataclasses import replace

import httpx
import pytest

from crmtui.backends.http import RetryPolicy
from crmtui.backends.onepagecrm.adapter import OnePageCRMBackend
from crmtui.backends.onepagecrm.client import OnePageCRMClient
from crmtui.service.cached import flush_cache_writes
from crmtui.service.outbox import Outbox
from crmtui.store import Cache, OutboxStore, identity
from crmtui.service.compose import compose
from crmtui.ui.app import CrmApp
from crmtui.ui.screens.connection_error import ConnectionErrorScreen
from crmtui.ui.widgets.header import AppHeader
from tests.support.mutating import Answer, MutatingProxy, Plan
from tests.support.mutations import raw_mutations

from .conftest import WIDE, frozen_clock, loaded, wait_for
from .stream_support import Notes

FAST = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02, budget=0.5)


@pytest.fixture
async def proxy(sandbox):
    proxy = MutatingProxy(sandbox.host, sandbox.port)
    await proxy.start()
    yield proxy
    await proxy.stop()


def app_on(sandbox, base_url: str, tmp_path=None, *, deadline: float = 60.0, backend_class=OnePageCRMBackend) -> CrmApp:
    client = OnePageCRMClient(sandbox.user_id, sandbox.api_key, base_url=base_url, retry=FAST, deadline=deadline)
    inner = backend_class(client)
    if tmp_path is None:
        session = compose(inner, outbox=Outbox(inner, base_delay=0.05, max_delay=0.3), local_copy=False, clock=frozen_clock)
    else:
        owner = identity("demo", sandbox.user_id)
        cache = Cache(tmp_path / "cache.sqlite3", owner=owner).open()
        outbox = Outbox(inner, OutboxStore(tmp_path / "outbox.sqlite3"), base_delay=0.05, max_delay=0.3)
        session = compose(inner, cache=cache, outbox=outbox, clock=frozen_clock)
    return CrmApp(session, refresh_seconds=0, cursor_blink=False)


async def warm_up(sandbox, tmp_path) -> list[str]:
    """One run online, so the cache holds the account and the stream; returns the stream's ids."""
    app = app_on(sandbox, sandbox.base_url, tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        ids = [e.contact.id for e in app.session.entries]
        await flush_cache_writes()
    app.session.backend.cache.close()
    return ids


def header(app: CrmApp) -> str:
    return str(app.screen.query_one(AppHeader).render())


def listings_broken(answer: Answer, rng) -> Answer:
    """Every listing answers `data: null` (bootstrap and single records still answer)."""
    tree = json.loads(answer.body)
    data = tree.get("data") if isinstance(tree, dict) else None
    if isinstance(data, dict) and ("contacts" in data or "notifications" in data) and "user_id" not in data:
        tree["data"] = None
    return replace(answer, body=json.dumps(tree).encode())


async def test_a_malformed_listing_keeps_the_warm_stream_on_screen_and_the_header_says_so(sandbox, proxy, tmp_path) -> None:
    ids = await warm_up(sandbox, tmp_path)
    assert len(ids) > 100
    proxy.plan = Plan(listings_broken, target=None)
    app = app_on(sandbox, proxy.base_url, tmp_path)
    notes = Notes(app)
    async with app.run_test(size=WIDE) as pilot:
        await wait_for(pilot, lambda: bool(app.sync_error), what="the refresh to fail")
        assert [e.contact.id for e in app.session.entries] == ids  # not "0 · updated 6s ago"
        assert "lacks the contacts list" in app.sync_error and "⚠" in header(app)
        assert notes.find("lacks the contacts list") and not isinstance(app.screen, ConnectionErrorScreen)


async def test_a_trickling_server_on_start_says_too_slow_and_r_retries(sandbox, proxy) -> None:
    proxy.plan = Plan(raw_mutations()["trickle"], target=None)
    app = app_on(sandbox, proxy.base_url, deadline=0.5)
    async with app.run_test(size=WIDE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ConnectionErrorScreen), what="the connection error screen")
        assert str(app.screen.query_one("#error-title").render()) == "The server is too slow"
        assert "no complete answer within 0.5 s" in str(app.screen.query_one("#error-message").render())
        proxy.plan = None  # the server is back to its usual pace: so is the deadline (a busy test machine is slow)
        app.session.backend.client.http.deadline = 60.0
        await pilot.press("r")
        await wait_for(pilot, lambda: app.connected and bool(app.session.entries), what="the retry to connect")
        assert not isinstance(app.screen, ConnectionErrorScreen)


async def test_a_too_slow_refresh_keeps_the_cached_stream_and_says_the_server_is_too_slow(sandbox, proxy, tmp_path) -> None:
    ids = await warm_up(sandbox, tmp_path)
    proxy.plan = Plan(raw_mutations()["trickle"], target=None)
    app = app_on(sandbox, proxy.base_url, tmp_path, deadline=0.5)
    async with app.run_test(size=WIDE) as pilot:
        await wait_for(pilot, lambda: bool(app.sync_error), what="the refresh to fail")
        assert [e.contact.id for e in app.session.entries] == ids
        assert app.sync_error.startswith("The server is too slow") and "too slow" in header(app)
        assert not isinstance(app.screen, ConnectionErrorScreen)


class BrokenBackend(OnePageCRMBackend):
    """A backend with a bug: its stream read raises something that is not a BackendError."""

    async def action_stream_all(self, **kw):
        raise RuntimeError("a bug, not the network")


async def test_an_unexpected_error_while_loading_is_shown_never_connecting_forever(sandbox) -> None:
    app = app_on(sandbox, sandbox.base_url, backend_class=BrokenBackend)
    async with app.run_test(size=WIDE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ConnectionErrorScreen), what="the connection error screen")
        assert str(app.screen.query_one("#error-title").render()) == "Could not load your CRM"
        message = str(app.screen.query_one("#error-message").render())
        assert "RuntimeError" in message and "Traceback" not in message
        assert app.sync_status != "connecting…"


async def test_an_unexpected_error_on_a_later_refresh_shows_in_the_header(sandbox) -> None:
    app = app_on(sandbox, sandbox.base_url)
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        shown = [e.contact.id for e in app.session.entries]

        async def broken(**kw):
            raise httpx.StreamConsumed()  # anything at all

        app.session.backend.action_stream_all = broken
        app.refresh_stream()
        await wait_for(pilot, lambda: bool(app.sync_error), what="the refresh to fail")
        assert "Unexpected problem while refreshing (StreamConsumed)" in app.sync_error
        assert [e.contact.id for e in app.session.entries] == shown

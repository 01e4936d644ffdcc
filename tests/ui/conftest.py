"""UI fixtures: the real sandbox, a CrmApp on it with a frozen clock and no cursor blink."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable

import pytest
from textual.pilot import Pilot

from crmtui.backends.base import Backend
from crmtui.backends.registry import Connection, create_backend
from crmtui.sandbox.onepagecrm.server import SandboxHandle
from crmtui.service.compose import compose
from crmtui.service.outbox import Outbox
from crmtui.ui.app import CrmApp
from crmtui.ui.screens.connection_error import ConnectionErrorScreen
from tests.support import pilot as pilot_waits
from tests.support.waits import HANG_GUARD

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.timezone.utc)
NARROW = (80, 24)
WIDE = (160, 45)
POLL = 0.005
"""Seconds between looks at a condition being waited for (not a schedule: each look is cheap)."""


def frozen_clock() -> dt.datetime:
    return NOW


def backend_for(sandbox: SandboxHandle, *, api_key: str | None = None):
    return create_backend(
        Connection(
            backend="onepagecrm",
            base_url=sandbox.base_url,
            user_id=sandbox.user_id,
            api_key=sandbox.api_key if api_key is None else api_key,
        )
    )


AppFactory = Callable[..., CrmApp]


@pytest.fixture(autouse=True)
def patient_pilot(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pilot's waits after each key press and pause: a hang guard, not 30 s (tests/support/pilot.py)."""
    pilot_waits.install(monkeypatch)


@pytest.fixture
def make_app(sandbox: SandboxHandle) -> AppFactory:
    """Build a CrmApp on the sandbox: frozen clock, no periodic refresh, no cursor blink."""

    def make(**kwargs) -> CrmApp:
        api_key = kwargs.pop("api_key", None)
        return on_backend(backend_for(sandbox, api_key=api_key), **kwargs)

    return make


@pytest.fixture
async def api(sandbox: SandboxHandle) -> AsyncIterator[Backend]:
    """A second client on the sandbox, to change or check the server behind the app's back."""
    backend = backend_for(sandbox)
    await backend.connect()
    yield backend
    await backend.close()


async def wait_for(pilot: Pilot, condition: Callable[[], bool], timeout: float | None = None, what: str = "condition") -> None:
    """Let the app run until `condition()` holds (workers finish, messages settle).

    `timeout` (default: the hang guard, tests/support/waits.py) only turns a hang into a failure: a
    test never relies on a condition failing to hold within some time.
    """
    loop = asyncio.get_running_loop()
    limit = HANG_GUARD if timeout is None else timeout
    deadline = loop.time() + limit
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {limit:g} s waiting for {what}")
        await asyncio.sleep(POLL)  # the app runs meanwhile (same loop); the check itself is cheap
    await pilot.pause()


async def loaded(pilot: Pilot) -> None:
    """Wait until the app has connected and shown the stream (or the connection error screen)."""
    app = pilot.app
    await wait_for(
        pilot,
        lambda: (app.connected and not app.sync_status.startswith(("loading", "refreshing")))
        or isinstance(app.screen, ConnectionErrorScreen),
        what="the stream to load",
    )


async def settled(pilot: Pilot) -> None:
    """Wait until no worker runs, no key waits for a screen to show, the outbox has sent what it can
    now, and the views re-read after it."""
    app = pilot.app

    def quiet() -> bool:
        outbox = app.session.outbox  # type: ignore[attr-defined]
        return (
            not any(w.is_running for w in app.workers) and not app._key_order.holding  # type: ignore[attr-defined]
            and outbox.quiet and not app.session.rereading()  # type: ignore[attr-defined]
        )

    await wait_for(pilot, quiet, what="workers, the outbox and re-reads to finish")
    await wait_for(pilot, quiet, what="workers, the outbox and re-reads to finish")  # and what they started


async def retried(pilot: Pilot) -> None:
    """Wait until the outbox has had to try a change again (the server failed, throttled or was gone)."""
    await wait_for(pilot, lambda: pilot.app.session.outbox.retried > 0, what="a failed attempt")  # type: ignore[attr-defined]


async def all_sent(pilot: Pilot) -> None:
    """Wait until every change shown has reached the server, then until the app is idle."""
    await wait_for(pilot, lambda: pilot.app.pending_changes == 0, what="the changes to go")  # type: ignore[attr-defined]
    await settled(pilot)


def snapshot_app(sandbox: SandboxHandle, **kwargs) -> CrmApp:
    return on_backend(backend_for(sandbox), **kwargs)


def on_backend(backend, **kwargs) -> CrmApp:
    """A CrmApp on the bare backend (no cache): frozen clock, no periodic refresh, no cursor blink.

    `outbox` (default: one in memory with short backoff) and `offline` go to the composition root.
    """
    clock = kwargs.setdefault("clock", frozen_clock)
    kwargs.setdefault("refresh_seconds", 0)
    kwargs.setdefault("cursor_blink", False)
    outbox = kwargs.pop("outbox", None) or Outbox(backend, base_delay=0.05, max_delay=0.5)
    session = compose(backend, outbox=outbox, local_copy=False, offline=kwargs.pop("offline", False), clock=clock)
    return CrmApp(session, **kwargs)


# -- the Pipedrive sandbox (tests/ui/pipedrive_support.py) -------------------------------------------


@pytest.fixture
def pipedrive():
    """The Pipedrive sandbox for screen tests: seeded, its clock frozen, a wide burst window."""
    from .pipedrive_support import pipedrive_sandbox_for_ui

    yield from pipedrive_sandbox_for_ui()


@pytest.fixture
def make_pipedrive_app(pipedrive) -> AppFactory:
    """Build a CrmApp on the Pipedrive sandbox: frozen clock, no periodic refresh, no cursor blink."""
    from .pipedrive_support import pipedrive_app_factory

    return pipedrive_app_factory(pipedrive)

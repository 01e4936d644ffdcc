"""A Pipedrive session on the sandbox for the service tests over loopback: PipedriveBackend on the
sandbox's clock with fast retries, a session whose outbox keeps its file in the test's folder, and the
moment it thinks it is (NOW); the backend as the app makes it (`app_backend`) with its local cache."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

from crmtui.backends.base import Backend
from crmtui.backends.pipedrive.adapter import PipedriveBackend
from crmtui.backends.pipedrive.client import PipedriveClient
from crmtui.backends.registry import Connection, create_backend
from crmtui.service.outbox import Outbox
from crmtui.service.session import Session
from crmtui.store import Cache, identity
from crmtui.store.outbox import OutboxStore
from tests.integration.test_pipedrive_client import FAST, governor

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.timezone.utc)
TODAY = NOW.date()


def clock() -> dt.datetime:
    """The session's clock: NOW, standing still."""
    return NOW


def backend_for(sandbox: Any, token: str | None = None) -> PipedriveBackend:
    """The sandbox's PipedriveBackend (as the user of `token`, the sandbox's own by default)."""
    client = PipedriveClient(token or sandbox.api_token, base_url=sandbox.base_url, governor=governor(sandbox), retry=FAST)
    return PipedriveBackend(client)


async def open_session(sandbox: Any, tmp_path: Path, backend: Backend | None = None, *, load_leads: bool = False) -> Session:
    """A connected session on `backend` (the sandbox's by default) with its outbox under `tmp_path`;
    the inbox's leads read too when `load_leads`."""
    outbox = Outbox(
        backend or backend_for(sandbox), OutboxStore(tmp_path / "profile" / "outbox.sqlite3"), base_delay=0.01,
        max_delay=0.2, rng=random.Random(7),
    )
    session = Session(outbox.backend, clock=lambda: NOW, outbox=outbox)
    await session.connect()
    if load_leads:
        await session.leads.load()
    return session


def app_backend(sandbox: Any, token: str | None = None) -> Backend:
    """The sandbox's backend as the app makes it (the registry: its own clock and retries)."""
    return create_backend(
        Connection(backend="pipedrive", base_url=sandbox.base_url, user_id="", api_key=token or sandbox.api_token)
    )


def sandbox_cache(tmp_path: Path, sandbox: Any) -> Cache:
    """The local cache of the sandbox's account, opened (close it)."""
    return Cache(tmp_path / "cache.sqlite3", owner=identity("pipedrive:" + sandbox.base_url, "")).open()

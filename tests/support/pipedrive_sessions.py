"""A Pipedrive session on the sandbox for the service tests over loopback: PipedriveBackend on the
sandbox's clock with fast retries, a session whose outbox keeps its file in the test's folder, and the
moment it thinks it is (NOW)."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

from crmtui.backends.base import Backend
from crmtui.backends.pipedrive.adapter import PipedriveBackend
from crmtui.backends.pipedrive.client import PipedriveClient
from crmtui.service.outbox import Outbox
from crmtui.service.session import Session
from crmtui.store.outbox import OutboxStore
from tests.integration.test_pipedrive_client import FAST, governor

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.timezone.utc)


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

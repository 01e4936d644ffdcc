"""The app over real cache and outbox files in a temporary folder, for the damaged-file tests.

Not a test module. The outbox belongs to the sandbox user's account (`OWNER`), as `crmtui`
builds it; the sandbox is real.
"""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Static

from crmtui.backends.http import RetryPolicy
from crmtui.backends.onepagecrm.adapter import OnePageCRMBackend
from crmtui.backends.onepagecrm.client import OnePageCRMClient
from crmtui.sandbox.onepagecrm.server import SandboxHandle

from crmtui.service.outbox import Outbox
from crmtui.store import Cache, OutboxStore, identity
from crmtui.service.compose import compose
from crmtui.ui.app import CrmApp
from crmtui.ui.widgets.header import AppHeader

from .conftest import frozen_clock

FAST = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02, budget=0.5)


def owner(sandbox: SandboxHandle) -> str:
    return identity(sandbox.base_url, sandbox.user_id)


def files_app(sandbox: SandboxHandle, outbox: Path, cache: Path | None = None) -> CrmApp:
    """A CrmApp whose outbox (and cache, when given) are the files at these paths."""
    client = OnePageCRMClient(sandbox.user_id, sandbox.api_key, base_url=sandbox.base_url, retry=FAST)
    inner = OnePageCRMBackend(client)
    sender = Outbox(inner, OutboxStore(outbox, owner=owner(sandbox)), base_delay=0.05, max_delay=0.3)
    local = Cache(cache, owner=owner(sandbox)).open() if cache else None
    session = compose(inner, cache=local, outbox=sender, local_copy=cache is not None, clock=frozen_clock)
    return CrmApp(session, refresh_seconds=0, cursor_blink=False)


def header_text(app: CrmApp) -> str:
    return str(app.screen.query_one(AppHeader).render())


def table(app: CrmApp) -> DataTable:
    return app.screen.query_one("#changes-table", DataTable)


def cells(app: CrmApp, row: int) -> list[str]:
    return [str(cell) for cell in table(app).get_row_at(row)]


def detail(app: CrmApp) -> str:
    return str(app.screen.query_one("#change-detail", Static).render())


def notice(app: CrmApp) -> str:
    """The line above the list ('' while it is hidden)."""
    widget = app.screen.query_one("#changes-notice", Static)
    return str(widget.render()) if widget.display else ""


def server_notes(sandbox: SandboxHandle, prefix: str) -> list[str]:
    return sorted(n["text"] for n in sandbox.state.tables["notes"].values() if n["text"].startswith(prefix))


def stream_contacts(sandbox: SandboxHandle, count: int) -> list[str]:
    """Contacts in the user's stream (an open action of theirs), in a fixed order: rows show their names."""
    mine = {
        a["contact_id"] for a in sandbox.state.tables["actions"].values()
        if a["assignee_id"] == sandbox.user_id and not a["done"]
    }
    return sorted(mine)[:count]

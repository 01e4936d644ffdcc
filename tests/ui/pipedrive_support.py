"""The Pipedrive sandbox for UI tests, and a CrmApp on it (frozen clocks, no periodic refresh, no cursor blink).

The sandbox's clock stands still at 2026-03-10 (the app's frozen clock is on the same day), and its
burst window is wide: these tests are about the screens; the limits have their own tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import cast

from textual.pilot import Pilot

from crmtui.backends.registry import Connection, create_backend
from crmtui.domain.leads import Lead
from crmtui.sandbox.pipedrive.server import SandboxHandle, SandboxOptions, start_sandbox
from crmtui.ui.app import CrmApp
from crmtui.ui.screens.leads import LeadsScreen
from crmtui.ui.widgets.row_list import RowList
from tests.conftest import SANDBOX_TODAY
from tests.support.waits import HANG_GUARD


SANDBOX_LEADS = 300


def pipedrive_sandbox_for_ui() -> Iterator[SandboxHandle]:
    handle = start_sandbox(
        SandboxOptions(seed=42, leads=SANDBOX_LEADS, today=SANDBOX_TODAY, frozen_clock=True, burst=100_000)
    )
    handle.gate.timeout = HANG_GUARD
    try:
        yield handle
    finally:
        handle.stop()


def pipedrive_backend(sandbox: SandboxHandle, token: str | None = None):
    return create_backend(
        Connection(backend="pipedrive", base_url=sandbox.base_url, user_id="", api_key=token or sandbox.api_token)
    )


def pipedrive_app_factory(pipedrive: SandboxHandle) -> Callable[..., CrmApp]:
    from .conftest import on_backend

    def make(**kwargs: object) -> CrmApp:
        return on_backend(pipedrive_backend(pipedrive), **kwargs)

    return make


def leads_screen(app: CrmApp) -> LeadsScreen:
    screen = app.screen
    assert isinstance(screen, LeadsScreen), screen
    return screen


def lead_list(app: CrmApp) -> RowList[Lead]:
    return leads_screen(app).lead_list


def selected(app: CrmApp) -> Lead | None:
    return lead_list(app).selected


def shown_ids(app: CrmApp) -> set[str]:
    """The ids of the leads the inbox lists."""
    return {item.id for item in lead_list(app).items}


async def inbox_lead(pilot: Pilot[object]) -> Lead:
    """The lead under the cursor once the inbox has loaded and every change has settled."""
    from .conftest import loaded, settled

    await loaded(pilot)
    await settled(pilot)
    lead = selected(cast(CrmApp, pilot.app))
    assert lead is not None
    return lead

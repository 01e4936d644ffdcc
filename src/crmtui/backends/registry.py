"""Which Backend to build for a Connection."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from crmtui.backends.base import Backend


@dataclass(frozen=True)
class Connection:
    """Where and as whom to connect. The API key is kept out of repr so it never reaches logs."""

    backend: str
    base_url: str
    user_id: str
    api_key: str = field(repr=False)
    """OnePageCRM's API key, Pipedrive's API token, Crust's JWT."""
    allow_insecure_http: bool = False
    """The person chose to send the credentials over plain http to another machine."""
    plan: str | None = None
    """Pipedrive: the plan (sets the rate window and daily budget; None: learned from the server)."""
    seats: int | None = None
    state_dir: str | None = None
    """Where a backend keeps what every process on the profile must share (Pipedrive: a rate-limit block)."""


PIPEDRIVE_STATE_FILE = "pipedrive-limits.json"
"""The Pipedrive rate governor's file in `state_dir`: the block, the exhausted budget, the day's ledger."""


def create_backend(connection: Connection) -> Backend:
    if connection.backend == "onepagecrm":
        from crmtui.backends.onepagecrm.adapter import OnePageCRMBackend
        from crmtui.backends.onepagecrm.client import OnePageCRMClient

        client = OnePageCRMClient(
            connection.user_id, connection.api_key, base_url=connection.base_url,
            allow_insecure_http=connection.allow_insecure_http,
        )
        return OnePageCRMBackend(client)
    if connection.backend == "pipedrive":
        from crmtui.backends.pipedrive.adapter import PipedriveBackend
        from crmtui.backends.pipedrive.client import PipedriveClient

        state_file = Path(connection.state_dir) / PIPEDRIVE_STATE_FILE if connection.state_dir else None
        pipedrive = PipedriveClient(
            connection.api_key, base_url=connection.base_url, state_file=state_file,
            allow_insecure_http=connection.allow_insecure_http,
        )
        return PipedriveBackend(pipedrive, plan=connection.plan, seats=connection.seats)
    if connection.backend == "crust":
        from crmtui.backends.crust.adapter import CrustBackend
        from crmtui.backends.crust.client import CrustClient

        crust = CrustClient(
            connection.api_key, base_url=connection.base_url, allow_insecure_http=connection.allow_insecure_http
        )
        return CrustBackend(crust, connection.api_key)
    raise ValueError(f"unknown backend {connection.backend!r}")

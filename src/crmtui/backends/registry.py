"""Which Backend to build for a Connection."""

from __future__ import annotations

from dataclasses import dataclass, field

from crmtui.backends.base import Backend


@dataclass(frozen=True)
class Connection:
    """Where and as whom to connect. The API key is kept out of repr so it never reaches logs."""

    backend: str
    base_url: str
    user_id: str
    api_key: str = field(repr=False)
    allow_insecure_http: bool = False
    """The person chose to send the credentials over plain http to another machine."""


def create_backend(connection: Connection) -> Backend:
    if connection.backend == "onepagecrm":
        from crmtui.backends.onepagecrm.adapter import OnePageCRMBackend
        from crmtui.backends.onepagecrm.client import OnePageCRMClient

        client = OnePageCRMClient(
            connection.user_id, connection.api_key, base_url=connection.base_url,
            allow_insecure_http=connection.allow_insecure_http,
        )
        return OnePageCRMBackend(client)
    raise ValueError(f"unknown backend {connection.backend!r}")

"""Which Backend to build for a Connection, now (`create_backend`) or when first used (`deferred_backend`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from crmtui.domain.capabilities import Capability

if TYPE_CHECKING:  # the backends' modules (httpx, the wire models) load when a backend is built
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


BEFORE_CONNECT: dict[str, frozenset[Capability]] = {
    "onepagecrm": frozenset({
        Capability.ACTION_STREAM, Capability.CALLS, Capability.CONTACT_DETAIL, Capability.DIRECTORY, Capability.MEETINGS,
        Capability.NOTES, Capability.NOTIFICATIONS, Capability.PIPELINES, Capability.PROMOTE_SWAP, Capability.SALES_CYCLE,
        Capability.TEAM_STREAM, Capability.UNDO_COMPLETION,
    }),
    "pipedrive": frozenset({
        Capability.ACTIVITIES, Capability.FILES, Capability.GOALS, Capability.LEADS, Capability.RATE_BUDGET,
        Capability.SAVED_FILTERS, Capability.SEARCH, Capability.TEAMS,
    }),
    "crust": frozenset({
        Capability.CHARTS, Capability.JOBS, Capability.MODULES, Capability.PAGES, Capability.RECORDS, Capability.WORKFLOWS,
    }),
}
"""Each backend's capabilities before it connects (a unit test holds them to the backends' own): what
the app needs to choose its screens, known without importing the backend."""


class DeferredBackend:
    """The Backend for a connection, built the first time anything but its name, address and
    capabilities is asked of it: a start paints the cached rows before importing the HTTP client
    (httpx) and the backend's wire models, which only a request needs. Until then it has no rate
    governor (the header's API gauge comes with the first request)."""

    def __init__(self, connection: Connection) -> None:
        if connection.backend not in BEFORE_CONNECT:
            raise ValueError(f"unknown backend {connection.backend!r}")
        self._connection = connection
        self._built: Backend | None = None
        self.name = connection.backend
        self.address = connection.base_url.rstrip("/")

    @property
    def built(self) -> Backend:
        if self._built is None:
            self._built = create_backend(self._connection)
        return self._built

    @property
    def capabilities(self) -> frozenset[Capability]:
        return self._built.capabilities if self._built is not None else BEFORE_CONNECT[self.name]

    @property
    def governor(self) -> object | None:
        return getattr(self._built, "governor", None)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_built", "_connection"):  # copy, pickle and repr probe these
            raise AttributeError(name)
        return getattr(self.built, name)


def deferred_backend(connection: Connection) -> Backend:
    """`create_backend(connection)` when first used (see DeferredBackend). The address is checked
    now, as building the client would: plain http to another machine is refused before the app starts."""
    from crmtui.backends.address import check_address

    check_address(connection.base_url, allow_insecure_http=connection.allow_insecure_http)
    return cast("Backend", DeferredBackend(connection))

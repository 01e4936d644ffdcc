"""Connection keeps its API key out of repr; create_backend picks the backend by name."""

from __future__ import annotations

import pytest

from crmtui.backends.base import Backend
from crmtui.backends.registry import Connection, create_backend
from crmtui.domain.capabilities import Capability


def test_api_key_not_in_repr() -> None:
    conn = Connection(backend="onepagecrm", base_url="http://127.0.0.1:1/api/v3", user_id="u1", api_key="s3cret-key")
    assert "s3cret-key" not in repr(conn) and "s3cret-key" not in str(conn)
    assert "u1" in repr(conn)


def test_unknown_backend_refused() -> None:
    with pytest.raises(ValueError, match="unknown backend"):
        create_backend(Connection(backend="nope", base_url="", user_id="", api_key=""))


async def test_onepagecrm_backend_satisfies_protocol() -> None:
    backend = create_backend(Connection(backend="onepagecrm", base_url="http://127.0.0.1:1/api/v3", user_id="u",
                                        api_key="k"))
    try:
        assert isinstance(backend, Backend)
        assert backend.name == "onepagecrm"
        assert backend.capabilities == frozenset(Capability) - {
            Capability.LEADS, Capability.RECORDS, Capability.CHARTS, Capability.RATE_BUDGET, Capability.SEARCH, Capability.FILES,
            Capability.TEAMS, Capability.GOALS, Capability.SAVED_FILTERS, Capability.ACTIVITIES, Capability.MODULES,
            Capability.PAGES, Capability.WORKFLOWS, Capability.JOBS,
        }
    finally:
        await backend.close()


async def test_crust_backend_satisfies_protocol_and_keeps_the_token_out_of_reprs() -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI1NTIwNDM3NTYzODgzNjI3NzUifQ.c2ln"
    connection = Connection(backend="crust", base_url="http://127.0.0.1:1", user_id="552043756388362775", api_key=token)
    backend = create_backend(connection)
    try:
        assert isinstance(backend, Backend)
        assert backend.name == "crust"
        assert backend.capabilities == {  # before connect: workflows and jobs until the server says "Not implemented"
            Capability.MODULES, Capability.RECORDS, Capability.CHARTS, Capability.PAGES, Capability.WORKFLOWS, Capability.JOBS,
        }
        assert token not in repr(connection) and token not in repr(backend.client)  # type: ignore[attr-defined]
    finally:
        await backend.close()

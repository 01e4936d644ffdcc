"""A lead's permitted users on the Pipedrive sandbox over loopback: the leads family's
`permitted_users` follows the lead's `visible_to` (1: owner and admins, 5: the owner's teams too,
3 and 7: everyone), an unknown lead is NotFound, and the cached family answers offline with the last
answer kept for that lead (nothing for a lead never asked about)."""

from __future__ import annotations

import pytest

from crmtui.backends.errors import NotFound
from crmtui.domain.leads import LeadDraft
from crmtui.service.cached import CachedBackend, flush_cache_writes
from crmtui.store import Cache, identity
from tests.support.pipedrive_sessions import backend_for

ALEX, PRIYA, TOM, SOFIA, ERIN = "12000001", "12000118", "12000235", "12000352", "12000820"
"""Alex is the account's admin; Priya, Tom and Sofia are the Closers; Erin was on a deleted team."""


async def test_who_may_see_a_lead_follows_its_visibility(unlimited) -> None:
    backend = backend_for(unlimited)
    try:
        await backend.connect()
        api = backend.features.leads
        assert api is not None
        made = await api.create_lead(LeadDraft(title="Visibility", organization_id="1", owner_id=TOM, visible_to="1"))
        assert await api.permitted_users(made.id) == [ALEX, TOM]
        await api.update_lead(made.id, visible_to="5")
        assert await api.permitted_users(made.id) == [ALEX, PRIYA, TOM, SOFIA]
        everyone = sorted(str(u["id"]) for u in unlimited.state.users())
        for visible in ("3", "7"):
            await api.update_lead(made.id, visible_to=visible)
            assert await api.permitted_users(made.id) == everyone
        await api.update_lead(made.id, visible_to="5", owner_id=ERIN)
        assert await api.permitted_users(made.id) == [ALEX, ERIN]  # a deleted team shares nothing
        with pytest.raises(NotFound):
            await api.permitted_users("00000000-0000-4000-8000-000000000000")
    finally:
        await backend.close()


async def test_offline_the_last_answer_for_the_lead_is_kept(unlimited, tmp_path) -> None:
    cache = Cache(tmp_path / "cache.sqlite3", owner=identity(unlimited.base_url, "pd")).open()
    lead, other = list(unlimited.state.tables["leads"])[:2]
    online = CachedBackend(backend_for(unlimited), cache)
    try:
        await online.connect()
        api = online.features.leads
        assert api is not None
        answer = await api.permitted_users(lead)
        assert answer
        await flush_cache_writes()
    finally:
        await online.close()
    offline = CachedBackend(backend_for(unlimited), cache, offline=True)
    try:
        api = offline.features.leads
        assert api is not None
        assert await api.permitted_users(lead) == answer
        with pytest.raises(Exception, match="not in the local cache"):
            await api.permitted_users(other)
    finally:
        await offline.close()
        cache.close()

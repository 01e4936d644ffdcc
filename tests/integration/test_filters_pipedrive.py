"""Saved filters on the real Pipedrive sandbox over loopback: the filters family (the list by type,
one filter with its conditions, the operators of /filters/helpers, create, edit, delete one and in
bulk), the server's refusals shown clearly, a filter made here really filtering the leads, the cache
answering offline with the last filters known, and the writes through the outbox: a new filter made
once after a lost answer, an edit, a bulk delete."""

from __future__ import annotations


import pytest

from crmtui.backends.errors import ValidationFailed
from crmtui.domain.filters import FilterCondition, FilterConditions
from crmtui.service.cached import CachedBackend, flush_cache_writes
from crmtui.service.errors import CommandRefused
from crmtui.service.saved_filters import FiltersBoard
from crmtui.store import Cache, identity
from tests.support.pipedrive_sessions import backend_for, open_session
from tests.support.waits import HANG_GUARD, until



def docs(sandbox) -> dict[str, dict]:
    return dict(sandbox.state.tables["filters"])


def cond(field: str, op: str, value: object) -> FilterCondition:
    return FilterCondition(field_id=field, operator=op, value=value)


# -- the family ----------------------------------------------------------------------------------------


async def test_list_detail_helpers_and_every_write(unlimited) -> None:
    backend = backend_for(unlimited)
    try:
        await backend.connect()
        api = backend.features.filters
        assert api is not None
        listed = await api.filters()
        assert {f.name for f in listed} == {d["name"] for d in docs(unlimited).values()}
        assert all(f.conditions is None for f in listed)  # the list leaves them out
        leads = await api.filters(type="leads")
        assert {f.type for f in leads} == {"leads"} and "Big deals" not in {f.name for f in leads}
        acme = next(f for f in leads if f.name == "Acme or Nova")
        detail = await api.filter(acme.id)
        assert detail.conditions is not None and not detail.conditions.all_of
        assert [c.value for c in detail.conditions.any_of] == ["Acme", "Nova"]
        assert detail.owner_id == (backend.account.user.id if backend.account else "") and detail.visibility == "everyone"
        helpers = await api.helpers()
        assert ("IS NULL", "is empty") in helpers.operators_for("monetary") and ("=", "is") in helpers.operators_for("enum")

        conditions = FilterConditions(all_of=[cond("value", ">", 20000)], any_of=[cond("title", "LIKE '%$%'", "Acme"), cond("title", "LIKE '%$%'", "Nova")])
        made = await api.create_filter("Big Acme or Nova", "leads", conditions)
        assert made.name == "Big Acme or Nova" and made.conditions == conditions
        assert docs(unlimited)[made.id]["_conditions"] == conditions.to_wire()
        # It really filters: the inbox's filter scope shows exactly the leads it holds.
        shown = await backend.leads_all(filter_id=made.id)
        expected = {
            lead["id"] for lead in unlimited.state.tables["leads"].values()
            if not lead["is_archived"] and (lead.get("value") or {}).get("amount", 0) > 20000
            and ("Acme" in lead["title"] or "Nova" in lead["title"])
        }
        assert {lead.id for lead in shown} == expected

        narrower = FilterConditions(all_of=[cond("value", ">", 50000)])
        edited = await api.update_filter(made.id, narrower, name="Huge")
        assert (edited.name, edited.conditions) == ("Huge", narrower)
        renamed_only = await api.update_filter(made.id, narrower)
        assert renamed_only.name == "Huge"

        await api.delete_filters([made.id])
        assert made.id not in docs(unlimited)
        two = [await api.create_filter(f"Temp {n}", "leads", narrower) for n in range(2)]

        async def one_by_one(filter_id: str) -> None:
            raise AssertionError("several filters go in one bulk request")

        backend.client.delete_filter = one_by_one  # type: ignore[method-assign]
        await api.delete_filters([f.id for f in two])
        assert not {f.id for f in two} & set(docs(unlimited))
    finally:
        await backend.close()


async def test_the_servers_refusals_say_why(unlimited) -> None:
    backend = backend_for(unlimited)
    try:
        await backend.connect()
        api = backend.features.filters
        assert api is not None
        too_many = FilterConditions(all_of=[cond("value", ">", n) for n in range(17)])
        with pytest.raises(ValidationFailed, match="at most 16 conditions, not 17"):
            await api.create_filter("Too many", "leads", too_many)
        bad_date = FilterConditions(all_of=[cond("expected_close_date", "=", "next tuesday")])
        with pytest.raises(ValidationFailed, match="takes a date"):
            await api.create_filter("Bad date", "leads", bad_date)
        with pytest.raises(ValidationFailed, match="not a known operator"):
            await api.create_filter("Bad op", "leads", FilterConditions(all_of=[cond("value", "~~", 1)]))
        assert not {"Too many", "Bad date", "Bad op"} & {d["name"] for d in docs(unlimited).values()}
    finally:
        await backend.close()


async def test_the_cache_answers_offline_with_the_last_filters(unlimited, tmp_path) -> None:
    owner = identity(unlimited.base_url, "pd")
    cache = Cache(tmp_path / "cache.sqlite3", owner=owner).open()
    online = CachedBackend(backend_for(unlimited), cache)
    try:
        await online.connect()
        api = online.features.filters
        assert api is not None
        listed = await api.filters()
        one = await api.filter(listed[0].id)
        helpers = await api.helpers()
        await flush_cache_writes()
    finally:
        await online.close()
    offline = CachedBackend(backend_for(unlimited), cache, offline=True)
    try:
        api = offline.features.filters
        assert api is not None
        assert await api.filters() == listed
        assert await api.filter(listed[0].id) == one
        assert await api.helpers() == helpers
        with pytest.raises(Exception, match="not in the local cache"):
            await api.filters(type="deals")  # never read: nothing to show
    finally:
        await offline.close()
        cache.close()


# -- through the outbox ----------------------------------------------------------------------------------


async def test_a_new_filter_is_shown_at_once_and_made_once_after_a_lost_answer(unlimited, tmp_path) -> None:
    session = await open_session(unlimited, tmp_path)
    board = FiltersBoard(session)
    await board.load()
    before = len(docs(unlimited))
    conditions = FilterConditions(all_of=[cond("owner_id", "=", int(session.account.user.id))])
    unlimited.options.lose_rate = 1.0  # the filter is made, its answer dropped
    try:
        shown = await board.create("Mine again", conditions)
        assert shown is not None and shown.name == "Mine again" and board.pending(shown.id)
        assert board.items[0].type == "leads"
        await until(lambda: session.outbox.retried > 0, "the filter made and its answer lost")
    finally:
        unlimited.options.lose_rate = 0.0
    assert await session.settled(HANG_GUARD)
    made = [doc for doc in docs(unlimited).values() if doc["name"] == "Mine again"]
    assert len(made) == 1 and len(docs(unlimited)) == before + 1 and session.outbox.reconciled >= 1
    assert made[0]["_conditions"] == conditions.to_wire()
    real = str(made[0]["id"])
    assert [f.id for f in board.items].count(real) == 1 and not board.pending(real)
    board.detach()
    await session.close()


async def test_an_edit_and_a_bulk_delete_through_the_outbox(unlimited, tmp_path) -> None:
    session = await open_session(unlimited, tmp_path)
    board = FiltersBoard(session)
    await board.load()
    hot = next(f for f in board.items if f.name == "Hot leads")
    await board.read_detail(hot.id)
    current = board.conditions_of(hot)
    assert current is not None
    assert await board.edit(hot.id, "Hot leads", current) is None  # nothing changed: nothing sent
    wider = FilterConditions(all_of=current.all_of, any_of=[cond("value", ">", 1000)])
    with pytest.raises(CommandRefused, match="at most 16"):
        await board.edit(hot.id, "Hot", FilterConditions(all_of=[cond("value", ">", n) for n in range(17)]))
    await board.edit(hot.id, "Hot and worth it", wider)
    shown = board.find(hot.id)
    assert shown is not None and shown.name == "Hot and worth it" and board.conditions_of(shown) == wider
    assert await session.settled(HANG_GUARD)
    doc = docs(unlimited)[hot.id]
    assert doc["name"] == "Hot and worth it" and doc["_conditions"] == wider.to_wire()

    gone = [f.id for f in board.items if f.name in ("No value", "Big deals")]
    for filter_id in gone:
        board.toggle_mark(filter_id)
    await board.delete(sorted(board.marked))
    assert not {f.id for f in board.items} & set(gone) and not board.marked  # gone from the screen at once
    assert await session.settled(HANG_GUARD)
    assert not set(gone) & set(docs(unlimited))
    board.detach()
    await session.close()

"""The records service (Crust) through the outbox, on the Crust sandbox over loopback: a new record,
an edit and a delete each reach the server exactly once and show at once; an edit sends the whole
record with someone else's change of another field kept, and clashes only on the same field; an
error that comes as HTTP 200 is kept for review, never taken as done; a create whose answer was lost
is reconciled without a second record. The sandbox's clock is frozen; nothing sleeps."""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any

import pytest

from crmtui.backends.crust.adapter import CrustBackend
from crmtui.backends.crust.client import CrustClient
from crmtui.domain.records import RecordValue
from crmtui.service.commands import is_local_id
from crmtui.service.errors import CommandRefused
from crmtui.service.outbox import Outbox
from crmtui.service.session import Session
from crmtui.store.outbox import OutboxStore, State
from tests.support.waits import HANG_GUARD, until

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.timezone.utc)


class Writes:
    """The record writes the client sent (method, path, JSON body); headers are never kept (the token)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, Any]] = []

    async def on_request(self, request: Any) -> None:
        if request.method in ("POST", "DELETE") and "/content" in request.url.path:
            body = json.loads(request.content) if request.content else None
            self.sent.append((request.method, request.url.path, body))


def backend(sandbox, writes: Writes | None = None) -> CrustBackend:
    hooks = {"request": [writes.on_request]} if writes is not None else None
    return CrustBackend(CrustClient(sandbox.token, base_url=sandbox.base_url, event_hooks=hooks), sandbox.token)


async def open_module(sandbox, name: str, writes: Writes | None = None) -> Session:
    crust = backend(sandbox, writes)
    outbox = Outbox(crust, OutboxStore(None), base_delay=0.01, max_delay=0.2, rng=random.Random(7))
    session = Session(crust, clock=lambda: NOW, outbox=outbox)
    await session.connect()
    records = session.records
    await records.load_modules()
    records.choose_module(next(m.id for m in records.modules if m.name == name))
    await records.load()
    return session


def rows(sandbox, module_id: str) -> list[dict]:
    return [r for r in sandbox.state.tables["contents"].values() if r["moduleID"] == module_id and not r.get("deletedAt")]


def v(text: str, *related: str) -> RecordValue:
    return RecordValue(value=text, related=list(related))


async def test_a_new_record_shows_at_once_then_under_the_servers_id_made_once(crust_sandbox) -> None:
    writes = Writes()
    session = await open_module(crust_sandbox, "Lead", writes)
    records = session.records
    mid = records.module.id
    before = len(records.items)
    held = crust_sandbox.gate.hold("POST", f"/module/{mid}/content")
    shown = await records.create({"lastName": v("Hopper"), "company": v("Navy"), "status": v("New"), "firstName": v("Grace")})
    assert shown is not None and is_local_id(shown.id) and records.items[0].id == shown.id  # newest first, at once
    assert records.title(shown) == "Grace Hopper" and len(records.items) == before + 1
    await held.parked()
    held.release()
    assert await session.settled(HANG_GUARD)
    made = [r for r in rows(crust_sandbox, mid) if r["columns"].get("lastName") == "Hopper"]
    assert len(made) == 1 and records.find(shown.id) is None
    assert records.find(made[0]["id"]) is not None and len(records.items) == before + 1
    assert [m for m, _p, _b in writes.sent] == ["POST"]
    await session.close()


async def test_values_the_module_does_not_allow_are_refused_before_anything_is_sent(crust_sandbox) -> None:
    writes = Writes()
    session = await open_module(crust_sandbox, "Lead", writes)
    records = session.records
    with pytest.raises(CommandRefused, match="Last name is required"):
        await records.create({"company": v("Navy"), "status": v("New")})
    with pytest.raises(CommandRefused, match="not an e-mail address"):
        await records.create({"lastName": v("Hopper"), "company": v("Navy"), "status": v("New"), "email": v("grace@")})
    with pytest.raises(CommandRefused, match="longer than 64"):
        await records.update(records.items[0].id, {"lastName": v("x" * 65)})
    assert await session.settled(HANG_GUARD)
    assert writes.sent == [] and session.outbox.pending == 0
    await session.close()


async def test_an_edit_sends_the_whole_record_once_and_keeps_another_persons_change(crust_sandbox) -> None:
    writes = Writes()
    session = await open_module(crust_sandbox, "Opportunity", writes)
    records = session.records
    read = next(r for r in records.items if r.values.get("contacts") and r.values["contacts"].related)
    other = backend(crust_sandbox)
    crust_sandbox.advance(30)
    await other.update_record(read.module_id, read.id, read, {"state": v("Negotiation")})  # someone else, another field
    crust_sandbox.advance(30)
    held = crust_sandbox.gate.hold("POST", f"/module/{read.module_id}/content/{read.id}")
    await records.update(read.id, {"probability": v("42")})
    assert records.find(read.id).text("probability") == "42"  # at once
    await held.parked()
    held.release()
    assert await session.settled(HANG_GUARD)
    [edit] = [body for method, path, body in writes.sent if path.endswith(read.id)]
    assert {c["name"] for c in edit["fields"]} == set(read.values)  # every field sent
    row = crust_sandbox.state.tables["contents"][read.id]
    assert row["columns"]["probability"] == "42" and row["columns"]["state"] == "Negotiation"
    assert row["links"]["contacts"] == read.values["contacts"].related
    assert session.outbox.review() == [] and records.find(read.id).text("probability") == "42"
    await other.close()
    await session.close()


async def test_the_same_field_changed_on_both_sides_is_a_conflict_for_the_person(crust_sandbox) -> None:
    session = await open_module(crust_sandbox, "Opportunity")
    records = session.records
    read = records.items[0]
    other = backend(crust_sandbox)
    crust_sandbox.advance(30)
    await other.update_record(read.module_id, read.id, read, {"probability": v("77")})
    crust_sandbox.advance(30)
    await records.update(read.id, {"probability": v("11")})
    assert await session.settled(HANG_GUARD)
    [(change, _command)] = session.outbox.review()
    assert change.state is State.CONFLICT and "probability is '77' on the server" in change.detail
    assert crust_sandbox.state.tables["contents"][read.id]["columns"]["probability"] == "77"  # nothing sent
    assert records.find(read.id).text("probability") == read.text("probability")  # shown as read again, not as mine
    await session.outbox.retry(change.id, force=True)  # the person keeps theirs
    assert await session.settled(HANG_GUARD)
    assert crust_sandbox.state.tables["contents"][read.id]["columns"]["probability"] == "11"
    await other.close()
    await session.close()


async def test_a_delete_goes_once_and_undo_makes_the_record_again(crust_sandbox) -> None:
    writes = Writes()
    session = await open_module(crust_sandbox, "Account", writes)
    records = session.records
    gone = records.items[0]
    await records.delete(gone.id)
    assert records.find(gone.id) is None  # at once
    assert await session.settled(HANG_GUARD)
    assert crust_sandbox.state.tables["contents"][gone.id].get("deletedAt")
    assert [m for m, _p, _b in writes.sent] == ["DELETE"]
    await records.undo()
    assert await session.settled(HANG_GUARD)
    again = [r for r in rows(crust_sandbox, gone.module_id) if r["columns"].get("name") == gone.text("name")]
    assert len(again) == 1 and again[0]["id"] != gone.id and records.find(again[0]["id"]) is not None
    await session.close()


async def test_an_error_as_200_refusal_is_kept_for_review_never_done(crust_sandbox) -> None:
    session = await open_module(crust_sandbox, "Case")
    records = session.records
    module = records.module
    await session.backend.delete_module(module.id)  # the server now answers "sql: no rows in result set", HTTP 200
    shown = await records.create({"subject": v("Printer on fire"), "status": v("New")})
    assert shown is not None
    assert await session.settled(HANG_GUARD)
    [(change, _command)] = session.outbox.review()
    assert change.state is State.FAILED and "Not found" in change.error
    assert session.outbox.sent_count == 0 and records.find(shown.id) is None  # not taken as done: the row went back
    await session.close()


async def test_database_errors_as_200_are_tried_again_and_the_edit_lands_once(crust_sandbox) -> None:
    writes = Writes()
    session = await open_module(crust_sandbox, "Lead", writes)
    records = session.records
    target = records.items[3]
    crust_sandbox.options.error_rate = 1.0
    try:
        await records.update(target.id, {"company": v("Errors Ltd")})
        await until(lambda: session.outbox.retried > 0, "an attempt answered with a database error")
    finally:
        crust_sandbox.options.error_rate = 0.0
    assert await session.settled(HANG_GUARD)
    assert crust_sandbox.state.tables["contents"][target.id]["columns"]["company"] == "Errors Ltd"
    assert session.outbox.review() == [] and len([w for w in writes.sent if w[1].endswith(target.id)]) == 1
    await session.close()


async def test_a_create_whose_answer_was_lost_is_reconciled_without_a_second_record(crust_sandbox) -> None:
    session = await open_module(crust_sandbox, "Lead")
    records = session.records
    mid = records.module.id
    crust_sandbox.options.lose_rate = 1.0  # the record is made, its answer dropped
    try:
        shown = await records.create({"lastName": v("Lovelace"), "company": v("Engines"), "status": v("New")})
        assert shown is not None
        await until(lambda: session.outbox.retried > 0, "the POST applied and its answer lost")
    finally:
        crust_sandbox.options.lose_rate = 0.0
    assert await session.settled(HANG_GUARD)
    made = [r for r in rows(crust_sandbox, mid) if r["columns"].get("lastName") == "Lovelace"]
    assert len(made) == 1 and session.outbox.reconciled >= 1
    assert records.find(made[0]["id"]) is not None and records.find(shown.id) is None
    await session.close()


async def test_the_module_shown_is_remembered(crust_sandbox, tmp_path) -> None:
    from crmtui.store.view_state import ViewState

    session = await open_module(crust_sandbox, "Case")
    session.filters.memory = ViewState(tmp_path / "view.json")
    records = session.records
    chosen = records.step_module(+1)
    await session.close()
    again = await open_module(crust_sandbox, "Case")
    again.filters.memory = ViewState(tmp_path / "view.json")
    fresh = type(again.records)(again)
    await fresh.load_modules()
    assert chosen is not None and fresh.module is not None and fresh.module.id == chosen.id
    fresh.detach()
    await again.close()


async def test_an_edit_whose_answer_was_lost_ends_applied_once_with_no_field_lost(crust_sandbox) -> None:
    import httpx

    class LoseFirstEdit(httpx.AsyncHTTPTransport):
        """Loopback, but the answer of the first record edit is lost after the server applied it."""

        lost = 0

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await super().handle_async_request(request)
            if request.method == "POST" and "/content/" in request.url.path and not self.lost:
                self.lost += 1
                await response.aread()
                await response.aclose()
                raise httpx.ReadError("connection dropped before the answer", request=request)
            return response

    transport = LoseFirstEdit()
    crust = CrustBackend(CrustClient(crust_sandbox.token, base_url=crust_sandbox.base_url, transport=transport), crust_sandbox.token)
    outbox = Outbox(crust, OutboxStore(None), base_delay=0.01, max_delay=0.2, rng=random.Random(7))
    session = Session(crust, clock=lambda: NOW, outbox=outbox)
    await session.connect()
    records = session.records
    await records.load_modules()
    records.choose_module(next(m.id for m in records.modules if m.name == "Opportunity"))
    await records.load()
    read = next(r for r in records.items if r.values.get("contacts") and r.values["contacts"].related)
    crust_sandbox.advance(30)
    await records.update(read.id, {"probability": v("42"), "state": v("Negotiation")})
    assert await session.settled(HANG_GUARD)
    assert transport.lost == 1 and outbox.retried >= 1 and outbox.review() == []
    row = crust_sandbox.state.tables["contents"][read.id]
    assert row["columns"]["probability"] == "42" and row["columns"]["state"] == "Negotiation"
    assert {c["name"] for c in row["json"]} == set(read.values)  # no field lost
    assert row["links"]["contacts"] == read.values["contacts"].related
    assert records.find(read.id).text("probability") == "42"
    await session.close()

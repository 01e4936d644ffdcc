"""The modules service (Crust) through the outbox, on the Crust sandbox over loopback: a new module, an
edit of its fields and a delete each reach the server exactly once and show at once; the records
browser's module (its columns) follows a confirmed edit; an edit whose module someone else changed
meanwhile is a conflict, not an overwrite; a create whose answer was lost is reconciled without a
second module. The sandbox's clock is frozen; nothing sleeps."""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any

from crmtui.backends.crust.adapter import CrustBackend
from crmtui.backends.crust.client import CrustClient
from crmtui.domain.records import ModuleField
from crmtui.service.commands import is_local_id
from crmtui.service.outbox import Outbox
from crmtui.service.session import Session
from crmtui.store.outbox import OutboxStore, State
from tests.support.waits import HANG_GUARD, until

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.timezone.utc)


class Writes:
    """The module writes the client sent (method, path, JSON body); headers are never kept (the token)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, Any]] = []

    async def on_request(self, request: Any) -> None:
        path = request.url.path
        if request.method in ("POST", "DELETE") and "/module/" in path and "/content" not in path and "/chart" not in path:
            self.sent.append((request.method, path, json.loads(request.content) if request.content else None))


async def open_session(sandbox, writes: Writes | None = None) -> Session:
    hooks = {"request": [writes.on_request]} if writes is not None else None
    crust = CrustBackend(CrustClient(sandbox.token, base_url=sandbox.base_url, event_hooks=hooks), sandbox.token)
    outbox = Outbox(crust, OutboxStore(None), base_delay=0.01, max_delay=0.2, rng=random.Random(7))
    session = Session(crust, clock=lambda: NOW, outbox=outbox)
    await session.connect()
    await session.modules.load()
    return session


def stored(sandbox, name: str) -> list[dict]:
    return [m for m in sandbox.state.tables["modules"].values() if m["name"] == name]


FIELDS = [
    ModuleField(name="title", kind="text", label="Title", is_required=True),
    ModuleField(name="level", kind="enum", label="Level", options={"options": ["Low", "High"]}),
]


async def test_a_new_module_shows_at_once_then_is_made_once(crust_sandbox) -> None:
    writes = Writes()
    session = await open_session(crust_sandbox, writes)
    modules = session.modules
    held = crust_sandbox.gate.hold("POST", "/module/")
    shown = await modules.create("Ticket", FIELDS)
    assert shown is not None and is_local_id(shown.id) and modules.find(shown.id) is not None  # at once
    await held.parked()
    held.release()
    assert await session.settled(HANG_GUARD)
    [made] = stored(crust_sandbox, "Ticket")
    assert [f["name"] for f in made["fields"]] == ["title", "level"]
    assert made["fields"][1]["options"] == {"options": ["Low", "High"]}
    assert [m for m, _p, _b in writes.sent] == ["POST"]
    assert modules.find(shown.id) is None and modules.find(made["id"]) is not None  # under the server's id
    await session.close()


async def test_an_edit_is_sent_once_whole_and_the_records_columns_follow(crust_sandbox) -> None:
    writes = Writes()
    session = await open_session(crust_sandbox, writes)
    records = session.records
    await records.load_modules()
    case = next(m for m in records.modules if m.name == "Case")
    records.choose_module(case.id)
    modules = session.modules
    module = modules.find(case.id)
    assert module is not None
    fields = [f for f in module.fields if f.name != "subject"]
    fields.append(ModuleField(name="severity", kind="enum", label="Severity", options={"options": ["S1", "S2"]}))
    fields[0] = fields[0].model_copy(update={"label": "Linked account", "is_required": True})
    await modules.update(case.id, "Support case", fields)
    assert modules.find(case.id).name == "Support case"  # at once
    assert await session.settled(HANG_GUARD)
    assert [(m, p) for m, p, _b in writes.sent] == [("POST", f"/module/{case.id}")]
    [row] = stored(crust_sandbox, "Support case")
    assert [f["name"] for f in row["fields"]] == [f.name for f in fields]  # every field sent, "subject" gone
    assert records.module is not None and records.module.name == "Support case"  # the records screen's module follows
    assert records.module.field("severity") is not None and records.module.field("subject") is None
    assert records.module.field(fields[0].name).label == "Linked account"
    await session.close()


async def test_a_delete_is_sent_once_and_undo_makes_it_again(crust_sandbox) -> None:
    writes = Writes()
    session = await open_session(crust_sandbox, writes)
    modules = session.modules
    case = next(m for m in modules.items if m.name == "Case")
    await modules.delete(case.id)
    assert modules.find(case.id) is None  # at once
    assert await session.settled(HANG_GUARD)
    assert case.id not in crust_sandbox.state.tables["modules"]
    assert [(m, p) for m, p, _b in writes.sent] == [("DELETE", f"/module/{case.id}")]
    await modules.undo()
    assert await session.settled(HANG_GUARD)
    [again] = stored(crust_sandbox, "Case")
    assert again["id"] != case.id and [f["name"] for f in again["fields"]] == [f.name for f in case.fields]
    await session.close()


async def test_an_edit_of_a_module_changed_meanwhile_is_a_conflict(crust_sandbox) -> None:
    session = await open_session(crust_sandbox)
    modules = session.modules
    case = next(m for m in modules.items if m.name == "Case")
    other = await open_session(crust_sandbox)
    crust_sandbox.advance(60)  # their edit gets a later updatedAt
    theirs = [*case.fields, ModuleField(name="sla", kind="text", label="SLA")]
    await other.backend.features.modules.update_module(case.id, case.name, theirs)
    await other.close()
    await modules.update(case.id, case.name, [f for f in case.fields if f.name != "subject"])
    assert await session.settled(HANG_GUARD)
    [(change, _command)] = session.outbox.review()
    assert change.state is State.CONFLICT and change.detail == "fields added there: sla"
    [row] = stored(crust_sandbox, "Case")
    assert "sla" in [f["name"] for f in row["fields"]]  # their field not overwritten
    await session.close()


async def test_a_create_whose_answer_was_lost_is_reconciled_without_a_second_module(crust_sandbox) -> None:
    session = await open_session(crust_sandbox)
    crust_sandbox.options.lose_rate = 1.0  # the module is made, its answer dropped
    try:
        await session.modules.create("Ticket", FIELDS)
        await until(lambda: session.outbox.retried > 0, "the POST applied and its answer lost")
    finally:
        crust_sandbox.options.lose_rate = 0.0
    assert await session.settled(HANG_GUARD)
    assert len(stored(crust_sandbox, "Ticket")) == 1 and session.outbox.review() == []
    await session.close()

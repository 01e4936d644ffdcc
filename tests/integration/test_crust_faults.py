"""The fault tests of issue 12 (Crust): hundreds of mixed record changes through the outbox against a
sandbox that answers a share of requests with a database error as HTTP 200, loses answers after
applying the write and drops connections before handling; each change ends applied exactly once and
no field is lost (an edit replaces the whole record on this server, so a field the person did not
touch, or one someone else changed meanwhile, must come through every edit as it was).

The sandbox's clock is frozen (so records made in one flush share their `createdAt`, as records made
within a second do on the real server's DATETIME column) and moved only by the test; nothing sleeps.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter

import httpx

from crmtui.backends.crust.adapter import CrustBackend
from crmtui.backends.crust.client import CrustClient
from crmtui.backends.http import RetryPolicy
from crmtui.domain.records import RecordValue
from crmtui.service.outbox import Outbox
from crmtui.service.session import Session
from crmtui.store.outbox import OutboxStore
from tests.support.waits import HANG_GUARD, until

CHANGES = 240
MINE = ("name", "value", "state", "probability", "description", "country", "contacts")
"""The Opportunity fields the person changes."""
THEIRS = "closeDate"
"""The field someone else changes meanwhile (the person never does: no clash is wanted here)."""
LINKS = ("account", "contacts")


class Seen:
    """What came back: errors as HTTP 200 by message (the token never kept)."""

    def __init__(self) -> None:
        self.errors: Counter[str] = Counter()

    async def on_response(self, response: httpx.Response) -> None:
        await response.aread()
        try:
            body = json.loads(response.content)
        except ValueError:
            return
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            self.errors[str(body["error"].get("message", ""))] += 1


def v(text: str, *related: str) -> RecordValue:
    return RecordValue(value=text, related=list(related))


def row_values(row: dict) -> dict[str, RecordValue]:
    """A sandbox row as the values it holds: columns, with the links of link fields."""
    return {
        name: RecordValue(value=value, related=list(row["links"].get(name, [])) if name in LINKS else [])
        for name, value in row["columns"].items()
    }


def live(sandbox, module_id: str) -> list[dict]:
    return [r for r in sandbox.state.tables["contents"].values() if r["moduleID"] == module_id and not r.get("deletedAt")]


async def test_hundreds_of_record_changes_under_chaos_end_applied_once_with_no_field_lost(crust_sandbox) -> None:
    sandbox = crust_sandbox
    seen = Seen()
    quick = RetryPolicy(attempts=3, base_delay=0.005, max_delay=0.02, budget=1.0)  # the client's own retries of reads
    crust = CrustBackend(
        CrustClient(sandbox.token, base_url=sandbox.base_url, retry=quick, event_hooks={"response": [seen.on_response]}),
        sandbox.token,
    )
    outbox = Outbox(crust, OutboxStore(None), base_delay=0.005, max_delay=0.02, rng=random.Random(5))
    session = Session(crust, clock=sandbox.state.clock.now, outbox=outbox)
    await session.connect()
    records = session.records
    await records.load_modules()
    module = next(m for m in records.modules if m.name == "Opportunity")
    records.choose_module(module.id)
    await records.load()
    other = CrustBackend(CrustClient(sandbox.token, base_url=sandbox.base_url), sandbox.token)

    rng = random.Random(12)
    contacts_module = next(m for m in records.modules if m.name == "Contact")
    contact_ids = [r["id"] for r in live(sandbox, contacts_module.id)]
    states = next(f for f in module.fields if f.name == "state").options["options"]
    countries = next(f for f in module.fields if f.name == "country").options["options"]
    account = next(r for r in live(sandbox, module.id))["links"]["account"][0]

    targets = [r.id for r in records.items[:30]]
    rows = sandbox.state.tables["contents"]
    expected: dict[str, dict[str, RecordValue]] = {rid: row_values(rows[rid]) for rid in targets}
    fields_before = {rid: {c["name"] for c in rows[rid]["json"]} for rid in targets}
    deleted: set[str] = set()
    made: dict[str, dict[str, RecordValue]] = {}  # by name: what each new record must hold
    made_ids: dict[str, str] = {}  # name -> the id the person's list gave it (local until made)
    unseen: set[str] = set()  # changed by someone else and not edited here since: the list has not seen it
    sandbox.options.error_rate = 0.08
    sandbox.options.lose_rate = 0.06
    sandbox.options.drop_rate = 0.03

    def value_for(field: str, n: int) -> RecordValue:
        if field == "name":
            return v(f"Deal {n}")
        if field == "value":
            return v(str(rng.choice([900, 4200, 12500, 77000])))
        if field == "state":
            return v(rng.choice(states))
        if field == "probability":
            return v(str(rng.choice([5, 25, 60, 95])))
        if field == "description":
            return v(f"Scope, take {n}.")
        if field == "country":
            return v(rng.choice(countries))
        linked = sorted(rng.sample(contact_ids, rng.randint(1, 3)), key=int)
        return v(",".join(linked), *linked)

    for n in range(CHANGES):
        if n % 160 == 159:  # someone else edits some records meanwhile, while the outbox is quiet
            assert await session.settled(HANG_GUARD)
            sandbox.advance(60)
            error, lose, drop = sandbox.options.error_rate, sandbox.options.lose_rate, sandbox.options.drop_rate
            sandbox.options.error_rate = sandbox.options.lose_rate = sandbox.options.drop_rate = 0.0
            for rid in rng.sample(sorted(set(targets) - deleted), 5):
                changed = v((dt.date(2026, 3, 10) + dt.timedelta(days=n)).isoformat())
                await other.update_record(module.id, rid, await other.record(module.id, rid), {THEIRS: changed})
                expected[rid][THEIRS] = changed
                unseen.add(rid)
            sandbox.options.error_rate, sandbox.options.lose_rate, sandbox.options.drop_rate = error, lose, drop
            sandbox.advance(60)
            continue
        roll = rng.random()
        if roll < 0.15:  # a new record
            name = f"Fault opportunity {n}"
            values = {"name": v(name), "account": v(account, account), "state": v(rng.choice(states)), "value": v(str(n * 100))}
            shown = await records.create(values)
            assert shown is not None
            made[name], made_ids[name] = values, shown.id
            continue
        if roll < 0.25 and made:  # an edit of a record made here, perhaps not yet on the server
            name = rng.choice(sorted(made))
            rid = session.outbox.server_id(made_ids[name])
            field = rng.choice(("value", "state", "description"))
            value = value_for(field, n)
            await records.update(rid, {field: value})
            made[name][field] = value
            continue
        alive = sorted(set(targets) - deleted)
        if roll < 0.29 and len(alive) > 20:
            rid = rng.choice(alive)
            await records.delete(rid)
            deleted.add(rid)
            continue
        rid = rng.choice(alive)
        field = rng.choice(MINE)
        value = value_for(field, n)
        await records.update(rid, {field: value})
        expected[rid][field] = value
        unseen.discard(rid)  # the edit's answer is the whole record as now on the server

    assert await session.settled(HANG_GUARD)
    sandbox.options.error_rate = sandbox.options.lose_rate = sandbox.options.drop_rate = 0.0
    assert outbox.pending == 0 and outbox.review() == [], [(c.label, c.state, c.error, c.detail) for c, _k in outbox.review()]

    def same(a: RecordValue | None, b: RecordValue) -> bool:
        a = a or RecordValue()
        return a.value == b.value and sorted(a.related) == sorted(b.related)

    for rid in targets:
        row = rows[rid]
        if rid in deleted:
            assert row.get("deletedAt"), f"{rid} was deleted, then brought back"
            continue
        assert not row.get("deletedAt")
        held = row_values(row)
        lost = {name: (held.get(name), want) for name, want in expected[rid].items() if not same(held.get(name), want)}
        assert not lost, (rid, lost)
        assert {c["name"] for c in row["json"]} >= fields_before[rid], rid  # every field was sent with each edit
        shown = records.find(rid)
        assert shown is not None
        wrong = {n: shown.text(n) for n, want in expected[rid].items() if shown.text(n) != want.value}
        assert wrong == ({THEIRS: shown.text(THEIRS)} if rid in unseen else {}), rid  # the list shows it as it is

    made_rows = Counter(r["columns"].get("name") for r in live(sandbox, module.id))
    for name, values in made.items():
        assert made_rows[name] == 1, f"{name!r} made {made_rows[name]} times"
        [row] = [r for r in live(sandbox, module.id) if r["columns"].get("name") == name]
        held = row_values(row)
        assert all(same(held.get(field), want) for field, want in values.items()), (name, held, values)

    database_errors = sum(n for message, n in seen.errors.items() if message.startswith(("Error 1", "dial tcp", "invalid connection")))
    assert database_errors > 0 and outbox.retried > 0 and outbox.reconciled > 0  # the chaos did happen
    await other.close()
    await session.close()


async def test_a_lost_create_among_many_made_in_the_same_second_is_found_not_made_again(crust_sandbox) -> None:
    """An offline backlog sends its new records within a second: they share `createdAt`, and the server's
    order among equal times is not the order they were made in. The one whose answer was lost is still
    found among them (the newest by id), not made a second time."""
    sandbox = crust_sandbox
    crust = CrustBackend(CrustClient(sandbox.token, base_url=sandbox.base_url), sandbox.token)
    outbox = Outbox(crust, OutboxStore(None), base_delay=0.01, max_delay=0.05, rng=random.Random(5))
    session = Session(crust, clock=sandbox.state.clock.now, outbox=outbox)
    await session.connect()
    records = session.records
    await records.load_modules()
    module = next(m for m in records.modules if m.name == "Case")
    records.choose_module(module.id)
    await records.load()
    for n in range(30):
        await records.create({"subject": v(f"Backlog case {n}"), "status": v("New")})
    assert await session.settled(HANG_GUARD)
    sandbox.options.lose_rate = 1.0  # the next one is made, its answer lost
    try:
        await records.create({"subject": v("The lost one"), "status": v("New")})
        await until(lambda: outbox.retried > 0, "the POST applied and its answer lost")
    finally:
        sandbox.options.lose_rate = 0.0
    assert await session.settled(HANG_GUARD)
    made = Counter(r["columns"].get("subject") for r in live(sandbox, module.id))
    assert made["The lost one"] == 1 and outbox.reconciled == 1
    assert all(made[f"Backlog case {n}"] == 1 for n in range(30))
    await session.close()


async def test_a_token_expiring_mid_outbox_pauses_it_and_a_new_sign_in_sends_the_rest_once(crust_sandbox, tmp_path) -> None:
    """The token runs out while edits are on their way: the one refused is not taken as done (the
    refusal comes as HTTP 200), the outbox pauses with every change kept, and a crmtui started with a
    new token on the same outbox file sends the rest, each once, every field kept."""
    sandbox = crust_sandbox
    path = tmp_path / "outbox.sqlite3"

    async def start(token: str) -> Session:
        crust = CrustBackend(CrustClient(token, base_url=sandbox.base_url), token)
        outbox = Outbox(crust, OutboxStore(path), base_delay=0.005, max_delay=0.02, rng=random.Random(5))
        session = Session(crust, clock=sandbox.state.clock.now, outbox=outbox)
        await session.connect()
        await outbox.open()
        outbox.start()
        return session

    session = await start(sandbox.issue_token(minutes=5))
    records = session.records
    await records.load_modules()
    module = next(m for m in records.modules if m.name == "Opportunity")
    records.choose_module(module.id)
    await records.load()
    targets = records.items[:10]
    rows = sandbox.state.tables["contents"]
    before = {r.id: (dict(rows[r.id]["columns"]), dict(rows[r.id]["links"])) for r in targets}
    edits = sandbox.gate.hold("POST", f"/module/{module.id}/content/*")
    for n, record in enumerate(targets):
        await records.update(record.id, {"description": v(f"Expiry edit {n}")})
    for _ in range(3):
        await edits.parked(1)
        edits.release(1)
    await edits.parked(1)  # the fourth waits at the server's door while the token runs out
    sandbox.advance(6 * 60)
    edits.release()
    await until(lambda: session.outbox.paused, "the outbox paused by the refused token")
    assert session.outbox.pending == 7 and session.outbox.failed == 0 and session.outbox.review() == []
    assert [rows[r.id]["columns"].get("description") for r in targets[:4]] == [f"Expiry edit {n}" for n in range(3)] + [
        before[targets[3].id][0].get("description")
    ]  # the refused one was not applied, nor taken as done
    await session.close()

    again = await start(sandbox.issue_token())
    assert await again.settled(HANG_GUARD)
    assert again.outbox.pending == 0 and again.outbox.review() == []
    for n, record in enumerate(targets):
        columns, links = before[record.id]
        assert rows[record.id]["columns"] == {**columns, "description": f"Expiry edit {n}"}, n
        assert rows[record.id]["links"] == links, n
    await again.close()

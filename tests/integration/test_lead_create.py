"""New leads and lead edits through the outbox, on the real Pipedrive sandbox and PipedriveBackend over
loopback: a new lead shows at once under a local id and takes the server's id once made; a lost answer
is reconciled without a second lead; an edit sends only the fields changed, and a clash with someone
else's change of the same field is a conflict."""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any

import pytest

from crmtui.backends.pipedrive.adapter import PipedriveBackend
from crmtui.backends.pipedrive.client import PipedriveClient
from crmtui.domain.leads import LeadDraft, Money
from crmtui.service.commands import is_local_id
from crmtui.service.errors import CommandRefused
from crmtui.service.lead_commands import CreateLead
from crmtui.service.outbox import CONFLICT, Outbox
from crmtui.service.session import Session
from crmtui.store.outbox import OutboxStore
from tests.integration.test_pipedrive_client import FAST, governor
from tests.support.waits import HANG_GUARD, until

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.timezone.utc)


class Writes:
    """The lead writes the client sent, with their JSON bodies (headers are never kept: they hold the token)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, Any]] = []

    @property
    def hooks(self) -> dict[str, list[Any]]:
        return {"request": [self.on_request]}

    async def on_request(self, request: Any) -> None:
        if request.method in ("POST", "PATCH", "DELETE"):
            body = json.loads(request.content) if request.content else None
            self.sent.append((request.method, request.url.path, body))


async def open_inbox(sandbox, writes: Writes | None = None) -> Session:
    client = PipedriveClient(
        sandbox.api_token, base_url=sandbox.base_url, governor=governor(sandbox), retry=FAST,
        event_hooks=writes.hooks if writes else None,
    )
    backend = PipedriveBackend(client)
    outbox = Outbox(backend, OutboxStore(None), base_delay=0.01, max_delay=0.2, rng=random.Random(7))
    session = Session(backend, clock=lambda: NOW, outbox=outbox)
    await session.connect()
    await session.leads.load()
    return session


def a_person(sandbox) -> str:
    return next(iter(sandbox.state.tables["persons"]))


def leads_titled(sandbox, title: str) -> list[dict]:
    return [doc for doc in sandbox.state.tables["leads"].values() if doc["title"] == title]


def draft(sandbox, title: str = "Harbour cranes, phase 2") -> LeadDraft:
    return LeadDraft(
        title=title, person_id=a_person(sandbox), value=Money(amount=18000, currency="EUR"),
        expected_close_date=dt.date(2026, 4, 30), label_ids=[next(iter(sandbox.state.tables["lead_labels"]))],
    )


async def test_a_new_lead_shows_at_once_under_a_local_id_then_under_the_servers(unlimited) -> None:
    session = await open_inbox(unlimited)
    inbox = session.leads
    before = len(inbox.items)
    held = unlimited.gate.hold("POST", "/api/v1/leads")
    shown = await inbox.create(draft(unlimited))
    assert shown is not None and is_local_id(shown.id)  # before the server has answered
    assert shown.title == "Harbour cranes, phase 2" and shown.owner_id == session.account.user.id
    assert shown.value == Money(amount=18000, currency="EUR") and shown.expected_close_date == dt.date(2026, 4, 30)
    assert len(inbox.items) == before + 1 and inbox.find(shown.id) is not None
    await held.parked()
    held.release()
    assert await session.settled(HANG_GUARD)

    [made] = leads_titled(unlimited, "Harbour cranes, phase 2")
    assert inbox.find(shown.id) is None  # the local id gave way to the server's
    row = inbox.find(made["id"])
    assert row is not None and row.title == "Harbour cranes, phase 2" and not is_local_id(row.id)
    assert len(inbox.items) == before + 1
    assert str(made["owner_id"]) == session.account.user.id and str(made["person_id"]) == a_person(unlimited)
    assert made["value"] == {"amount": 18000, "currency": "EUR"} and made["expected_close_date"] == "2026-04-30"
    await session.close()


async def test_an_edit_made_before_the_new_lead_is_sent_goes_to_the_servers_lead(unlimited) -> None:
    session = await open_inbox(unlimited)
    inbox = session.leads
    held = unlimited.gate.hold("POST", "/api/v1/leads")
    shown = await inbox.create(draft(unlimited))
    assert shown is not None
    await inbox.update(shown.id, "Title", title="Harbour cranes, phase 3")
    assert inbox.find(shown.id).title == "Harbour cranes, phase 3"  # the edit shows on the lead not made yet
    await held.parked()
    held.release()
    assert await session.settled(HANG_GUARD)
    [made] = leads_titled(unlimited, "Harbour cranes, phase 3")
    assert inbox.find(made["id"]).title == "Harbour cranes, phase 3" and len(leads_titled(unlimited, "Harbour cranes, phase 2")) == 0
    await session.close()


async def test_a_lost_answer_is_reconciled_without_a_second_lead(unlimited) -> None:
    session = await open_inbox(unlimited)
    inbox = session.leads
    unlimited.options.lose_rate = 1.0  # the lead is made, its answer dropped
    try:
        shown = await inbox.create(draft(unlimited, "Lost answer lead"))
        assert shown is not None
        # Wait until the POST was applied and tried again (its answer lost each time).
        await until(lambda: session.outbox.retried > 0, "the POST applied and its answer lost")
    finally:
        unlimited.options.lose_rate = 0.0
    assert await session.settled(HANG_GUARD)
    made = leads_titled(unlimited, "Lost answer lead")
    assert len(made) == 1 and session.outbox.reconciled >= 1
    assert inbox.find(made[0]["id"]) is not None and inbox.find(shown.id) is None
    await session.close()


async def test_reconcile_does_not_take_a_lead_another_change_already_claimed(unlimited) -> None:
    session = await open_inbox(unlimited)
    backend = session.backend
    since = await backend.server_time() - dt.timedelta(seconds=5)
    first = await backend.features.leads.create_lead(draft(unlimited, "Twice the same"))
    command = CreateLead(lead_id="local-0123456789abcdef", draft=draft(unlimited, "Twice the same").model_copy(
        update={"owner_id": session.account.user.id}
    ))
    assert await command.reconcile(backend, since, {first.id}) is False  # matched by an earlier change: not this one's
    assert await command.reconcile(backend, since, set()) is True and command.made_ids() == {command.lead_id: first.id}
    later = CreateLead(lead_id="local-0123456789abcdee", draft=command.draft)
    assert await later.reconcile(backend, since + dt.timedelta(days=1), set()) is False  # made before the attempt
    await session.close()


async def test_a_lead_needs_a_title_and_a_person_or_an_organization_before_it_is_sent(unlimited) -> None:
    session = await open_inbox(unlimited)
    inbox = session.leads
    before = len(inbox.items)
    with pytest.raises(CommandRefused, match="person or an organization"):
        await inbox.create(LeadDraft(title="Nobody's lead"))
    with pytest.raises(CommandRefused, match="title"):
        await inbox.create(LeadDraft(title="  ", person_id=a_person(unlimited)))
    assert len(inbox.items) == before and not session.outbox.unsettled()
    await session.close()


async def test_an_edit_sends_only_the_fields_changed(unlimited) -> None:
    writes = Writes()
    session = await open_inbox(unlimited, writes)
    inbox = session.leads
    lead = inbox.items[0]
    new_value = Money(amount=4321.5, currency="USD")
    await inbox.update(lead.id, "Edit lead", title=lead.title, value=new_value, expected_close_date=lead.expected_close_date)
    assert await session.settled(HANG_GUARD)
    assert writes.sent == [("PATCH", f"/api/v1/leads/{lead.id}", {"value": {"amount": 4321.5, "currency": "USD"}})]
    assert unlimited.state.tables["leads"][lead.id]["value"] == {"amount": 4321.5, "currency": "USD"}
    assert inbox.find(lead.id).value == new_value
    await session.close()


async def test_an_edit_clashing_with_someone_elses_change_of_the_same_field_is_a_conflict(unlimited) -> None:
    session = await open_inbox(unlimited)
    inbox = session.leads
    lead = inbox.items[0]
    conflicts = []
    session.outbox.subscribe(lambda event: conflicts.append(event) if event.kind == CONFLICT else None)
    held = unlimited.gate.hold("GET", f"/api/v1/leads/{lead.id}")  # the conflict check's read
    await inbox.update(lead.id, "Edit lead", title="Mine")
    await held.parked()
    other = PipedriveBackend(PipedriveClient(unlimited.api_token, base_url=unlimited.base_url, retry=FAST))
    unlimited.advance(5)
    await other.update_lead(lead.id, title="Theirs")
    await other.close()
    held.release()
    assert await session.settled(HANG_GUARD)
    assert len(conflicts) == 1 and "title" in conflicts[0].change.detail
    assert unlimited.state.tables["leads"][lead.id]["title"] == "Theirs"
    await session.close()

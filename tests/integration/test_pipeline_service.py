"""The pipeline service against the real sandbox: loading, changes through the outbox, reverting on refusal.

Requests go through the spec-checked `client` fixture, so every deal request must match the
official OnePageCRM spec (when the spec is present).
"""

from __future__ import annotations

import datetime as dt

import pytest

from crmtui.backends.errors import NotFound, ServerError
from crmtui.backends.onepagecrm.adapter import OnePageCRMBackend
from crmtui.domain.models import DealStatus
from crmtui.service import CommandRefused, Session
from crmtui.service.outbox import FAILED, RETRYING, Outbox
from crmtui.service.pipeline import DealChanges, PipelineService
from crmtui.service.pipeline_board import Place
from crmtui.store import State
from tests.support.waits import HANG_GUARD, until

TODAY = dt.date(2026, 3, 10)


def clock() -> dt.datetime:
    return dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
async def service(client):
    backend = OnePageCRMBackend(client)
    session = Session(backend, clock=clock, outbox=Outbox(backend, base_delay=0.05, max_delay=0.5))
    await session.connect()
    svc = PipelineService(session)
    await svc.load_pipelines()
    yield svc
    await session.outbox.stop()


async def settle(service: PipelineService) -> None:
    assert await service.session.settled(HANG_GUARD), "the outbox did not drain"


def sales_id(service: PipelineService) -> str:
    return service.pipelines[0].id


async def loaded(service: PipelineService) -> str:
    pid = sales_id(service)
    await service.load_deals(pid)
    return pid


async def test_pipelines_default_first_with_their_stages(service: PipelineService) -> None:
    names = [p.name for p in service.pipelines]
    assert names == ["Sales", "Renewals"] and service.pipelines[0].default
    assert [s.stage for s in service.pipelines[0].stages] == [10, 25, 50, 75, 90]
    assert [s.stage for s in service.pipelines[1].stages] == [20, 60, 90]
    assert service.pipelines[1].won_column_name == "Renewed"


async def test_deals_of_one_pipeline_with_contact_and_company(service: PipelineService, sandbox) -> None:
    pid = await loaded(service)
    deals = service.deals(pid)
    table = sandbox.state.tables["deals"]
    assert sorted(d.id for d in deals) == sorted(k for k, v in table.items() if v["pipeline_id"] == pid)
    for deal in deals:
        info = table[deal.id]["contact_info"]
        assert (deal.contact_name, deal.company_name) == (info["contact_name"], info["company"])
        assert deal.contact_name and deal.company_name
    assert not service.loaded(service.pipelines[1].id)


async def test_all_pages_load_with_progress(service: PipelineService, sandbox) -> None:
    pid = sales_id(service)
    contact_id = next(iter(sandbox.state.tables["contacts"]))
    for n in range(3):  # through the API, so the deals are as the server makes them
        await service.backend.create_deal(contact_id, f"Made {n}", pipeline_id=pid, stage=10, amount=10)
    state = sandbox.state
    template = next(d for d in state.tables["deals"].values() if d["name"] == "Made 0")
    with state.write():  # and many more straight into the sandbox, quickly
        for n in range(120):
            state.save("deals", {**template, "id": state.new_id(), "name": f"Bulk {n}"})
    seen: list[tuple[int, int]] = []
    deals = await service.load_deals(pid, on_progress=lambda done, total: seen.append((done, total)))
    assert len(deals) >= 165
    assert seen[-1] == (len(deals), len(deals)) and len(seen) >= 2


async def test_move_changes_stage_at_once_then_on_the_server(service: PipelineService, sandbox) -> None:
    pid = await loaded(service)
    deal = next(d for d in service.deals(pid) if d.status is DealStatus.PENDING and d.stage == 25)
    heard: list[int | None] = []
    service.subscribe(lambda: heard.append(service.deal(deal.id).stage))
    shown = await service.move(deal.id, Place(DealStatus.PENDING, 50))
    assert heard == [50] and shown.stage == 50 and service.in_flight(deal.id)  # at once
    await settle(service)
    assert heard == [50, 50] and not service.in_flight(deal.id)  # then as the server answered
    assert sandbox.state.tables["deals"][deal.id]["stage"] == 50


async def test_won_then_reopened(service: PipelineService, sandbox) -> None:
    pid = await loaded(service)
    deal = next(d for d in service.deals(pid) if d.status is DealStatus.PENDING and d.stage == 75)
    await service.move(deal.id, Place(DealStatus.WON))
    await settle(service)
    stored = sandbox.state.tables["deals"][deal.id]
    assert stored["status"] == "won" and stored["close_date"] == TODAY.isoformat()
    assert service.deal(deal.id).close_date == TODAY
    step = service.step(deal.id, -1)
    assert step.target == Place(DealStatus.PENDING, 75)  # the server kept the stage it had
    await service.move(deal.id, step.target)
    await settle(service)
    assert (stored := sandbox.state.tables["deals"][deal.id])["status"] == "pending" and stored["stage"] == 75


async def test_edit_recomputes_the_total_locally_and_on_the_server(service: PipelineService, sandbox) -> None:
    pid = await loaded(service)
    deal = next(d for d in service.deals(pid) if d.status is DealStatus.PENDING)
    changes = DealChanges(amount=250, months=12, name="Renamed", expected_close_date=dt.date(2026, 5, 1))
    heard: list[float] = []
    service.subscribe(lambda: heard.append(service.deal(deal.id).value))
    await service.edit(deal.id, changes)
    assert heard[0] == 3000  # the prediction already had the new total
    await settle(service)
    stored = sandbox.state.tables["deals"][deal.id]
    assert (stored["amount"], stored["months"], stored["total_amount"], stored["name"]) == (250, 12, 3000, "Renamed")
    assert stored["expected_close_date"] == "2026-05-01"


async def test_a_refused_change_reverts_and_is_kept_for_review(service: PipelineService, client) -> None:
    pid = await loaded(service)
    deal = next(d for d in service.deals(pid) if d.status is DealStatus.PENDING and d.stage == 10)
    await client.delete_deal(deal.id)
    heard: list[int | None] = []
    failures = []
    service.subscribe(lambda: heard.append(service.deal(deal.id).stage))
    service.session.outbox.subscribe(lambda e: failures.append(e.error) if e.kind == FAILED else None)
    await service.move(deal.id, Place(DealStatus.PENDING, 25))
    await settle(service)
    assert heard == [25, 10]
    assert service.deal(deal.id).stage == 10 and not service.in_flight(deal.id)
    assert len(failures) == 1 and isinstance(failures[0], NotFound) and failures[0].user_message
    [(change, command)] = service.session.outbox.review()
    assert change.state is State.FAILED and command.deal_id == deal.id


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        (DealChanges(stage=33), "Pick one of the stages"),
        (DealChanges(name="  "), "needs a name"),
        (DealChanges(amount=-1), "cannot be negative"),
        (DealChanges(months=0), "at least one month"),
        (DealChanges(), "Nothing changed"),
    ],
)
async def test_changes_that_cannot_succeed_are_refused_before_sending(service: PipelineService, changes, reason) -> None:
    pid = await loaded(service)
    deal = next(d for d in service.deals(pid) if d.status is DealStatus.PENDING)
    heard: list[object] = []
    service.subscribe(lambda: heard.append(1))
    with pytest.raises(CommandRefused, match=reason):
        await service.edit(deal.id, changes)
    assert heard == [] and service.deal(deal.id) == deal


async def test_unknown_deal_is_refused(service: PipelineService) -> None:
    await loaded(service)
    with pytest.raises(CommandRefused):
        await service.move("nope", Place(DealStatus.WON))


async def test_changes_reach_the_server_in_order_and_a_reload_keeps_one_in_flight(service: PipelineService, sandbox) -> None:
    pid = await loaded(service)
    deal = next(d for d in service.deals(pid) if d.status is DealStatus.PENDING and d.stage == 10)
    held = sandbox.gate.hold("PUT", "/api/v3/deals/*")  # the first write waits at the server until released
    for stage in (25, 50, 75):
        await service.move(deal.id, Place(DealStatus.PENDING, stage))
    assert service.deal(deal.id).stage == 75 and service.in_flight(deal.id)
    await held.parked(1)
    await service.load_deals(pid)  # a refresh while the changes are on their way
    assert sandbox.state.tables["deals"][deal.id]["stage"] == 10  # the refresh read the server's old stage
    assert service.deal(deal.id).stage == 75 and service.in_flight(deal.id)
    held.release()
    await settle(service)
    assert not service.in_flight(deal.id)
    assert sandbox.state.tables["deals"][deal.id]["stage"] == 75 == service.deal(deal.id).stage


async def test_a_server_error_keeps_the_change_on_the_board_until_it_goes_through(service: PipelineService, sandbox) -> None:
    pid = await loaded(service)
    deal = next(d for d in service.deals(pid) if d.status is DealStatus.PENDING and d.stage == 10)
    await service.move(deal.id, Place(DealStatus.PENDING, 25))
    await settle(service)
    retries = []
    service.session.outbox.subscribe(lambda e: retries.append(e.error) if e.kind == RETRYING else None)
    sandbox.options.fail_rate = 1.0
    try:
        await service.move(deal.id, Place(DealStatus.LOST))
        await until(lambda: retries, "a failed attempt")
        assert isinstance(retries[0], ServerError)
        current = service.deal(deal.id)
        assert current.status is DealStatus.LOST and service.in_flight(deal.id)  # still shown as made
        assert sandbox.state.tables["deals"][deal.id]["status"] == "pending"
    finally:
        sandbox.options.fail_rate = 0.0
    await settle(service)
    assert sandbox.state.tables["deals"][deal.id]["status"] == "lost"
    assert service.deal(deal.id).status is DealStatus.LOST and not service.in_flight(deal.id)

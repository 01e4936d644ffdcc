"""Deals for the pipeline board: loading them, and changes shown at once through the outbox.

A change (a move to another stage, won, lost, an edit) is written to the outbox and listeners hear
of it at once; the outbox sends changes one at a time in the order they were made, each with
absolute values, so pressing L three times quickly sends three stages in order. The board shows
each deal as the server last said plus the changes still on their way; when the server answers,
its deal becomes the new copy, and a refused change simply drops out (the card goes back).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from crmtui.backends.base import ProgressCallback
from crmtui.domain.models import Deal, DealStatus, Pipeline
from crmtui.service.deal_commands import DEAL, DealChanges, UpdateDeal
from crmtui.service.errors import CommandRefused
from crmtui.service.outbox import CONFLICT, DISCARDED, FAILED, QUEUED, SENT, OutboxEvent
from crmtui.service.pipeline_board import Board, Place, Step, build_board, step
from crmtui.service.session import Session, stamp

Listener = Callable[[], None]

__all__ = ["DealChanges", "PipelineService"]


class PipelineService:
    """The pipelines of the account and the deals of the ones loaded so far."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.pipelines: list[Pipeline] = []
        self._deals: dict[str, dict[str, Deal]] = {}
        self._confirmed: dict[str, Deal] = {}
        """The server's copy of each deal that has changes overlaid on it."""
        self._listeners: list[Listener] = []
        self._events = 0
        self._touched: dict[str, int] = {}
        """The count of outbox events at the last one about each deal (a read started before it is stale)."""
        self._unsubscribe = session.outbox.subscribe(self._on_outbox)

    def detach(self) -> None:
        self._unsubscribe()

    @property
    def backend(self):
        return self.session.backend

    def today(self) -> dt.date:
        return self.session.today()

    # -- listeners ---------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()

    # -- loading -----------------------------------------------------------------------------------
    async def load_pipelines(self) -> list[Pipeline]:
        """Every pipeline of the account, the default one first."""
        pipelines = await self.backend.pipelines()
        pipelines.sort(key=lambda p: not p.default)  # stable: the server's order otherwise
        self.pipelines = pipelines
        return pipelines

    async def load_deals(self, pipeline_id: str, *, on_progress: ProgressCallback | None = None) -> list[Deal]:
        """All deals of the pipeline (every page); deals with a change on its way keep the prediction."""
        started = self._events
        fetched = await self.backend.deals(pipeline_id=pipeline_id, on_progress=on_progress)
        deals: dict[str, Deal] = {}
        for deal in fetched:
            if not deal.pipeline_id:
                deal.pipeline_id = pipeline_id
            deals[deal.id] = deal
        for deal_id, at in self._touched.items():
            if at > started:  # changed (here) after the read started: the read may predate it
                mine = self._confirmed.get(deal_id) or self.deal(deal_id)
                if mine is not None and mine.pipeline_id == pipeline_id:
                    deals[deal_id] = mine
        self._deals[pipeline_id] = deals
        busy = self._busy()
        for deal_id in list(self._confirmed):
            if deal_id not in busy:
                del self._confirmed[deal_id]  # confirmed and now re-read with the rest
        for deal_id in busy:
            if deal_id in deals and deal_id not in self._confirmed:
                self._confirmed[deal_id] = deals[deal_id]
            if deal_id in self._confirmed:
                self._overlay(deal_id)
        self._changed()
        return self.deals(pipeline_id)

    def loaded(self, pipeline_id: str) -> bool:
        return pipeline_id in self._deals

    def pipeline(self, pipeline_id: str | None) -> Pipeline | None:
        return next((p for p in self.pipelines if p.id == pipeline_id), None)

    def deals(self, pipeline_id: str) -> list[Deal]:
        return list(self._deals.get(pipeline_id, {}).values())

    def deal(self, deal_id: str) -> Deal | None:
        for deals in self._deals.values():
            if deal_id in deals:
                return deals[deal_id]
        return None

    def board(self, pipeline_id: str, *, owner_id: str | None = None, closed_since: dt.date | None = None) -> Board:
        pipeline = self.pipeline(pipeline_id)
        if pipeline is None:
            raise KeyError(pipeline_id)
        return build_board(pipeline, self.deals(pipeline_id), owner_id=owner_id, closed_since=closed_since)

    def in_flight(self, deal_id: str) -> bool:
        return deal_id in self._busy()

    def _pending(self, deal_id: str) -> list[UpdateDeal]:
        return [c for c in self.session.outbox.unsettled(section=DEAL) if isinstance(c, UpdateDeal) and c.deal_id == deal_id]

    def _busy(self) -> set[str]:
        return {c.deal_id for c in self.session.outbox.unsettled(section=DEAL) if isinstance(c, UpdateDeal)}

    def _overlay(self, deal_id: str) -> None:
        """Show the deal as the server's copy plus the changes on their way."""
        pending = self._pending(deal_id)
        if deal_id not in self._confirmed:
            current = self.deal(deal_id)
            if not pending or current is None:
                return
            self._confirmed[deal_id] = current
        shown = self._confirmed[deal_id]
        if pending:
            for command in pending:
                shown = command.apply_to(shown)
        else:
            del self._confirmed[deal_id]
        self._put(shown)

    def _on_outbox(self, event: OutboxEvent) -> None:
        command = event.command
        if not isinstance(command, UpdateDeal):
            return
        deal_id = command.deal_id
        self._events += 1
        self._touched[deal_id] = self._events
        if self.deal(deal_id) is None and deal_id not in self._confirmed:
            return
        if event.kind == SENT and deal_id in self._confirmed:
            fresh = command.updated or command.apply_to(self._confirmed[deal_id])
            if not fresh.pipeline_id:
                fresh.pipeline_id = self._confirmed[deal_id].pipeline_id
            self._confirmed[deal_id] = fresh
        if event.kind in (QUEUED, SENT, FAILED, CONFLICT, DISCARDED):
            self._overlay(deal_id)
            self._changed()

    # -- changes -----------------------------------------------------------------------------------
    def _require(self, deal_id: str) -> tuple[Deal, Pipeline]:
        deal = self.deal(deal_id)
        pipeline = self.pipeline(deal.pipeline_id) if deal is not None else None
        if deal is None or pipeline is None:
            raise CommandRefused("That deal is no longer on the board; refresh and try again")
        return deal, pipeline

    def step(self, deal_id: str, direction: int) -> Step:
        """Where H (-1) or L (+1) takes the deal; see `pipeline_board.step`."""
        deal, pipeline = self._require(deal_id)
        return step(pipeline, deal, direction)

    async def move(self, deal_id: str, place: Place) -> Deal:
        """To a stage (reopening a closed deal), or won, or lost."""
        deal, _ = self._require(deal_id)
        if place.status is DealStatus.PENDING:
            changes = DealChanges(stage=place.stage)
            if deal.status is not DealStatus.PENDING:
                changes.status = DealStatus.PENDING
        else:
            changes = DealChanges(status=place.status)
        return await self.edit(deal_id, changes)

    async def edit(self, deal_id: str, changes: DealChanges) -> Deal:
        """Queue a change of the deal; returns the deal as now shown."""
        deal, pipeline = self._require(deal_id)
        fields = changes.as_kwargs()
        if not fields:
            raise CommandRefused("Nothing changed")
        if "name" in fields and not (changes.name or "").strip():
            raise CommandRefused("The deal needs a name")
        if changes.amount is not None and changes.amount < 0:
            raise CommandRefused("The amount cannot be negative")
        if changes.months is not None and changes.months < 1:
            raise CommandRefused("A deal runs for at least one month")
        status = changes.status or deal.status
        stage = changes.stage if "stage" in fields else deal.stage
        if status is DealStatus.PENDING and stage not in [s.stage for s in pipeline.stages]:
            raise CommandRefused(f"Pick one of the stages of {pipeline.name}")
        body = changes.model_copy()
        if changes.status in (DealStatus.WON, DealStatus.LOST) and deal.status is not changes.status:
            body.close_date = self.today()
        command = UpdateDeal(
            contact_id=deal.contact_id,
            deal_id=deal_id,
            pipeline_id=deal.pipeline_id,
            changes=body,
            previous=DealChanges.snapshot(deal, set(body.model_fields_set)),
            read_at=deal.modified_at,
            label=_label(deal, body, pipeline),
        )
        stamp(command, self.session._clock())
        self.session.outbox.start()
        await self.session.outbox.enqueue(command)
        return self.deal(deal_id) or deal

    def _put(self, deal: Deal) -> None:
        for deals in self._deals.values():
            deals.pop(deal.id, None)
        self._deals.setdefault(deal.pipeline_id, {})[deal.id] = deal


def _label(deal: Deal, changes: DealChanges, pipeline: Pipeline) -> str:
    """"Acme licences → 75%" — what the change does, for the pending-changes list."""
    fields = changes.model_fields_set
    if changes.status in (DealStatus.WON, DealStatus.LOST):
        return f"{deal.name} → {changes.status.value}"
    if "stage" in fields:
        label = next((s.label for s in pipeline.stages if s.stage == changes.stage), "")
        return f"{deal.name} → {label or f'{changes.stage}%'}"
    return f"Edit deal: {deal.name}"

"""Deals for the pipeline board: loading them, and changes shown at once that revert on failure.

A change (a move to another stage, won, lost, an edit) is predicted locally and listeners hear of
it at once; then it goes to the server. Server calls run one at a time in the order they were
made, each sending absolute values, so pressing L three times quickly sends three stages in order.
When a call fails, the deal goes back to what the server last confirmed - unless a later change
of the same deal is still on its way, which will settle it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict

from crmtui.backends.base import ProgressCallback
from crmtui.backends.errors import BackendError
from crmtui.domain.models import Deal, DealStatus, Pipeline
from crmtui.service.errors import CommandRefused
from crmtui.service.pipeline_board import Board, Place, Step, build_board, step
from crmtui.service.session import Session

Listener = Callable[[], None]


class DealChanges(BaseModel):
    """Fields of a deal to change; only the fields explicitly set are sent."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    amount: float | None = None
    months: int | None = None
    expected_close_date: dt.date | None = None
    status: DealStatus | None = None
    stage: int | None = None

    def as_kwargs(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class PipelineService:
    """The pipelines of the account and the deals of the ones loaded so far."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.pipelines: list[Pipeline] = []
        self._deals: dict[str, dict[str, Deal]] = {}
        self._confirmed: dict[str, Deal] = {}
        self._in_flight: Counter[str] = Counter()
        self._lock = asyncio.Lock()
        self._listeners: list[Listener] = []

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
        fetched = await self.backend.deals(pipeline_id=pipeline_id, on_progress=on_progress)
        deals: dict[str, Deal] = {}
        for deal in fetched:
            if not deal.pipeline_id:
                deal.pipeline_id = pipeline_id
            deals[deal.id] = deal
        for deal_id, count in self._in_flight.items():
            local = self.deal(deal_id)
            if count and local is not None and local.pipeline_id == pipeline_id:
                deals[deal_id] = local
        self._deals[pipeline_id] = deals
        self._changed()
        return list(deals.values())

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
        return self._in_flight[deal_id] > 0

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
        body = dict(fields)
        if changes.status in (DealStatus.WON, DealStatus.LOST) and deal.status is not changes.status:
            body["close_date"] = self.today()
        predicted = deal.model_copy(update=body)
        predicted.total_amount = predicted.amount * max(predicted.months, 1)
        if predicted.status is DealStatus.PENDING:
            predicted.close_date = None
        return await self._apply(deal, predicted, body)

    async def _apply(self, before: Deal, predicted: Deal, body: dict[str, Any]) -> Deal:
        deal_id = before.id
        self._confirmed.setdefault(deal_id, before)
        self._put(predicted)
        self._in_flight[deal_id] += 1
        self._changed()
        try:
            async with self._lock:
                fresh = await self.backend.update_deal(deal_id, **body)
        except BackendError:
            self._settle(deal_id, None)
            raise
        if not fresh.pipeline_id:
            fresh.pipeline_id = before.pipeline_id
        self._settle(deal_id, fresh)
        return fresh

    def _settle(self, deal_id: str, fresh: Deal | None) -> None:
        """One call finished: `fresh` is the server's deal, None when the call failed."""
        self._in_flight[deal_id] -= 1
        if fresh is not None:
            self._confirmed[deal_id] = fresh
        if self._in_flight[deal_id] <= 0:
            del self._in_flight[deal_id]
            self._put(self._confirmed.pop(deal_id))
        self._changed()

    def _put(self, deal: Deal) -> None:
        for deals in self._deals.values():
            deals.pop(deal.id, None)
        self._deals.setdefault(deal.pipeline_id, {})[deal.id] = deal

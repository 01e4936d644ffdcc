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

from crmtui.backends.base import Backend, ProgressCallback
from crmtui.domain.models import Deal, DealStatus, Pipeline
from crmtui.service.deal_commands import DealChanges, UpdateDeal, deal_update
from crmtui.service.errors import CommandRefused
from crmtui.service.commands import Command
from crmtui.service.outbox import OutboxEvent
from crmtui.service.overlay import SHOWN_CHANGES, Overlay
from crmtui.service.pipeline_board import Board, Place, Step, build_board, step
from crmtui.service.session import UNDO_DEPTH, Session, stamp
from crmtui.service.undo import undo_last
from crmtui.service.signals import Signal
from crmtui.service.features import deals_api

Listener = Callable[[], None]

__all__ = ["DealChanges", "PipelineService"]


class PipelineService:
    """The pipelines of the account and the deals of the ones loaded so far."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.undo_stack: list[Command] = []
        """The board's changes, newest last: u takes back the last one."""
        self.pipelines: list[Pipeline] = []
        self._deals: dict[str, dict[str, Deal]] = {}
        self.overlay: Overlay[str, Deal] = Overlay(session.outbox, key=_deal_key, predict=_apply, confirm=_confirm)
        """The server's copy of each deal that has changes overlaid on it."""
        self.changes: Signal[frozenset[str] | None] = Signal()
        """Emitted after the deals shown change, with the deals that did (None: any may have)."""
        self._unsubscribe = session.outbox.subscribe(self._on_outbox)

    def detach(self) -> None:
        self._unsubscribe()

    @property
    def backend(self) -> Backend:
        return self.session.backend

    def today(self) -> dt.date:
        return self.session.today()

    # -- listeners ---------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        return self.changes.subscribe(lambda _deals: listener())

    def _changed(self, deals: frozenset[str] | None = None) -> None:
        self.changes.emit(deals)

    # -- loading -----------------------------------------------------------------------------------
    async def load_pipelines(self) -> list[Pipeline]:
        """Every pipeline of the account, the default one first."""
        pipelines = await deals_api(self.backend).pipelines()
        pipelines.sort(key=lambda p: not p.default)  # stable: the server's order otherwise
        self.pipelines = pipelines
        return pipelines

    async def load_deals(self, pipeline_id: str, *, on_progress: ProgressCallback | None = None) -> list[Deal]:
        """All deals of the pipeline (every page); deals with a change on its way keep the prediction."""
        started = self.overlay.mark()
        fetched = await deals_api(self.backend).deals(pipeline_id=pipeline_id, on_progress=on_progress)
        deals: dict[str, Deal] = {}
        for deal in fetched:
            if not deal.pipeline_id:
                deal.pipeline_id = pipeline_id
            deals[deal.id] = deal
        current = self._deals.get(pipeline_id, {})
        shown = self.overlay.take_all(deals, current, started)
        self._deals[pipeline_id] = {k: v for k, v in shown.items() if v.pipeline_id == pipeline_id or k in deals}
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
        return self.overlay.is_busy(deal_id)

    def _on_outbox(self, event: OutboxEvent) -> None:
        deal_id = self.overlay.hear(event)
        if deal_id is None:
            return
        current = self.deal(deal_id)
        if current is None and deal_id not in self.overlay.server:
            return
        if event.kind in SHOWN_CHANGES:
            self._put(self.overlay.shown(deal_id, current or self.overlay.server[deal_id]))
            self._changed(frozenset((deal_id,)))

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
        command = deal_update(deal, pipeline, changes, self.today())
        await self._send(command)
        self.undo_stack.append(command)
        del self.undo_stack[:-UNDO_DEPTH]
        return self.deal(deal_id) or deal

    async def _send(self, command: Command) -> None:
        stamp(command, self.session._clock())
        self.session.outbox.start()
        await self.session.outbox.enqueue(command)

    async def undo(self) -> Command:
        """Take back the board's last change: unsent, it is dropped; sent, its inverse goes."""
        return await undo_last(self.undo_stack, self.session.outbox, self._send)

    def _put(self, deal: Deal) -> None:
        for deals in self._deals.values():
            deals.pop(deal.id, None)
        self._deals.setdefault(deal.pipeline_id, {})[deal.id] = deal


def _deal_key(command: Command) -> str | None:
    return command.deal_id if isinstance(command, UpdateDeal) else None


def _apply(deal: Deal, command: Command) -> Deal:
    return command.apply_to(deal) if isinstance(command, UpdateDeal) else deal


def _confirm(deal: Deal, command: Command) -> Deal:
    """Confirmed: the server's answer (the deal as it now is), or the change applied when there was none."""
    if not isinstance(command, UpdateDeal):
        return deal
    fresh = command.updated or command.apply_to(deal)
    if not fresh.pipeline_id:
        fresh.pipeline_id = deal.pipeline_id
    return fresh

"""Changes of a deal on the pipeline board: a move to another stage, won, lost, an edit.

Each sends absolute values (the stage, the status, the amount), so sending one twice leaves the
deal as sending it once; pressing L three times quickly queues three stages, sent in order.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Literal

from pydantic import field_serializer

from crmtui.backends.base import Backend
from crmtui.domain.models import Deal, DealStatus, Pipeline
from crmtui.service.commands import Command, FieldChanges, changed_since, clashes
from crmtui.service.errors import CommandRefused
from crmtui.service.features import deals_api

DEAL = "deal"


class DealChanges(FieldChanges):
    """Fields of a deal to change."""

    name: str | None = None
    amount: float | None = None
    months: int | None = None
    expected_close_date: dt.date | None = None
    status: DealStatus | None = None
    stage: int | None = None
    close_date: dt.date | None = None


class UpdateDeal(Command):
    """Set some fields of a deal (a stage move is `stage`, won/lost is `status` with a close date)."""

    kind: Literal["update_deal"] = "update_deal"
    deal_id: str
    pipeline_id: str = ""
    changes: DealChanges
    previous: DealChanges
    read_at: dt.datetime | None = None
    """The deal's modified_at when the person read it."""
    updated: Deal | None = None
    """The deal as the server answered."""

    section: ClassVar[str] = DEAL
    changes_contact: ClassVar[bool] = True
    """The contact's pending total follows the deal (a contact screen re-reads the contact after it)."""

    @field_serializer("changes", "previous")
    def _only_set_fields(self, value: DealChanges, info: Any) -> dict[str, Any]:
        return value.model_dump(mode=info.mode, exclude_unset=True)

    def apply_to(self, deal: Deal) -> Deal:
        """The deal as it will be once the server has the change."""
        predicted = deal.model_copy(update=self.changes.as_kwargs())
        predicted.total_amount = predicted.amount * max(predicted.months, 1)
        if predicted.status is DealStatus.PENDING:
            predicted.close_date = None
        return predicted

    async def execute(self, backend: Backend) -> None:
        self.updated = await deals_api(backend).update_deal(self.deal_id, **self.changes.as_kwargs())

    async def conflict(self, backend: Backend) -> str | None:
        server = await deals_api(backend).get_deal(self.deal_id)
        if not changed_since(server.modified_at, self.read_at):
            return None
        fields = {
            name: (getattr(self.previous, name, None), getattr(self.changes, name), getattr(server, name))
            for name in self.changes.model_fields_set
            if name != "close_date"  # follows the status; the server sets its own
        }
        return clashes(fields)

    def inverse(self) -> Command:
        return UpdateDeal(
            contact_id=self.contact_id, deal_id=self.deal_id, pipeline_id=self.pipeline_id,
            changes=self.previous, previous=self.changes, label=f"Undo: {self.describe()}",
        )


def deal_update(deal: Deal, pipeline: Pipeline, changes: DealChanges, today: dt.date) -> UpdateDeal:
    """The change of `deal` (of `pipeline`) to `changes`, checked; raises CommandRefused with the reason.

    The pipeline board and the contact screen both edit deals through this (won or lost closes the
    deal today)."""
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
        body.close_date = today
    return UpdateDeal(
        contact_id=deal.contact_id,
        deal_id=deal.id,
        pipeline_id=deal.pipeline_id,
        changes=body,
        previous=DealChanges.snapshot(deal, set(body.model_fields_set)),
        read_at=deal.modified_at,
        label=deal_label(deal, body, pipeline),
    )


def deal_label(deal: Deal, changes: DealChanges, pipeline: Pipeline) -> str:
    """"Acme licences → 75%" — what the change does, for the pending-changes list."""
    fields = changes.model_fields_set
    if changes.status in (DealStatus.WON, DealStatus.LOST):
        return f"{deal.name} → {changes.status.value}"
    if "stage" in fields:
        label = next((s.label for s in pipeline.stages if s.stage == changes.stage), "")
        return f"{deal.name} → {label or f'{changes.stage}%'}"
    return f"Edit deal: {deal.name}"

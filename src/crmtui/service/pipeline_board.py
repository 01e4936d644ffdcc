"""The deal pipeline board as plain data: one column per stage, then won and lost, with totals.

Pure functions, no I/O: the pipeline service feeds them the loaded deals and the screen draws the
result. A deal's worth is its total over all months (`Deal.value`); its weight is that worth times
its probability (the stage for a pending deal, 100% once won, 0% once lost).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from crmtui.domain.models import Deal, DealStatus, Pipeline

CLOSED_DAYS = 30
"""Won and lost columns show deals closed in this many days unless the person asks for all."""


@dataclass(frozen=True)
class Place:
    """Where a deal sits on the board: a stage of a pending deal, or won, or lost."""

    status: DealStatus
    stage: int | None = None

    @property
    def key(self) -> str:
        return str(self.stage) if self.status is DealStatus.PENDING else self.status.value


@dataclass(frozen=True)
class Totals:
    count: int = 0
    amount: float = 0.0
    weighted: float = 0.0


@dataclass
class Column:
    place: Place
    title: str
    probability: float
    """0.0-1.0: the stage's probability; 1.0 for won, 0.0 for lost."""
    deals: list[Deal] = field(default_factory=list)
    totals: Totals = field(default_factory=Totals)
    hidden: int = 0
    """Closed deals left out because they closed before the window (won and lost columns)."""

    @property
    def key(self) -> str:
        return self.place.key


@dataclass
class Board:
    pipeline: Pipeline
    columns: list[Column]
    open_totals: Totals
    """Pending deals of the pipeline (after the owner filter): the pipeline's worth."""
    won_totals: Totals
    """Won deals shown on the board (in the closed window, after the owner filter)."""

    def column_index(self, deal_id: str) -> tuple[int, int] | None:
        """(column, row) of the deal on the board, or None when it is not shown."""
        for c, column in enumerate(self.columns):
            for r, deal in enumerate(column.deals):
                if deal.id == deal_id:
                    return c, r
        return None


def probability(deal: Deal) -> float:
    if deal.status is DealStatus.WON:
        return 1.0
    if deal.status is DealStatus.PENDING and deal.stage is not None:
        return max(0, min(deal.stage, 100)) / 100.0
    return 0.0


def totals(deals: Iterable[Deal]) -> Totals:
    count, amount, weighted = 0, 0.0, 0.0
    for deal in deals:
        count += 1
        amount += deal.value
        weighted += deal.value * probability(deal)
    return Totals(count, amount, weighted)


def stage_of(pipeline: Pipeline, stage: int | None) -> int | None:
    """The pipeline's stage a pending deal belongs to: its own, else the nearest one."""
    stages = [s.stage for s in pipeline.stages]
    if not stages:
        return None
    if stage in stages:
        return stage
    if stage is None:
        return stages[0]
    return min(stages, key=lambda s: (abs(s - stage), s))


def place_of(pipeline: Pipeline, deal: Deal) -> Place | None:
    if deal.status is DealStatus.PENDING:
        stage = stage_of(pipeline, deal.stage)
        return Place(DealStatus.PENDING, stage) if stage is not None else None
    if deal.status in (DealStatus.WON, DealStatus.LOST):
        return Place(deal.status)
    return None


def _open_order(deal: Deal) -> tuple[dt.date, str, str]:
    return (deal.expected_close_date or dt.date.max, deal.name.casefold(), deal.id)


def _closed_order(deal: Deal) -> tuple[int, str, str]:
    # Most recently closed first; undated ones last.
    return (-(deal.close_date or dt.date.min).toordinal(), deal.name.casefold(), deal.id)


def build_board(
    pipeline: Pipeline,
    deals: Iterable[Deal],
    *,
    owner_id: str | None = None,
    closed_since: dt.date | None = None,
) -> Board:
    """The board of `pipeline` for `deals` (of any pipeline: others are skipped).

    `owner_id` keeps one person's deals; `closed_since` keeps won and lost deals closed on or after
    that day (a closed deal without a close date is always kept).
    """
    columns = [
        Column(Place(DealStatus.PENDING, s.stage), s.label or f"Stage {s.stage}", s.probability)
        for s in pipeline.stages
    ]
    if pipeline.won_column_enabled:
        columns.append(Column(Place(DealStatus.WON), pipeline.won_column_name or "Won", 1.0))
    columns.append(Column(Place(DealStatus.LOST), "Lost", 0.0))
    by_key = {c.key: c for c in columns}
    pending: list[Deal] = []
    for deal in deals:
        if deal.pipeline_id and deal.pipeline_id != pipeline.id:
            continue
        if owner_id and deal.owner_id != owner_id:
            continue
        place = place_of(pipeline, deal)
        column = by_key.get(place.key) if place is not None else None
        if column is None:
            continue
        if deal.status is DealStatus.PENDING:
            pending.append(deal)
        elif closed_since is not None and deal.close_date is not None and deal.close_date < closed_since:
            column.hidden += 1
            continue
        column.deals.append(deal)
    for column in columns:
        column.deals.sort(key=_open_order if column.place.status is DealStatus.PENDING else _closed_order)
        column.totals = totals(column.deals)
    won = by_key.get(DealStatus.WON.value)
    return Board(pipeline, columns, totals(pending), won.totals if won is not None else Totals())


# -- moving a deal one column -------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """What H/L mean for a deal: go to `target`, ask first (`confirm`), or say why not (`reason`)."""

    target: Place | None = None
    confirm: bool = False
    reason: str = ""


def step(pipeline: Pipeline, deal: Deal, direction: int) -> Step:
    """One stage back (direction -1) or forward (+1).

    Forward from the last stage is a win, but a win deserves a question (a second L too many
    should not close a deal). Back from won or lost reopens the deal as pending: at the stage it
    had when it closed when that is one of the pipeline's, else at the last stage for a won deal
    (it got that far) and the first for a lost one. Forward from won or lost goes nowhere.
    """
    stages = [s.stage for s in pipeline.stages]
    if not stages:
        return Step(reason="This pipeline has no stages")
    if deal.status in (DealStatus.WON, DealStatus.LOST):
        if direction > 0:
            word = "won" if deal.status is DealStatus.WON else "lost"
            return Step(reason=f"The deal is {word}: H moves it back into the pipeline")
        if deal.stage in stages:
            stage = deal.stage
        else:
            stage = stages[-1] if deal.status is DealStatus.WON else stages[0]
        return Step(Place(DealStatus.PENDING, stage))
    current = stage_of(pipeline, deal.stage)
    index = stages.index(current) if current in stages else 0
    if direction < 0:
        if index == 0:
            return Step(reason="The deal is at the first stage already")
        return Step(Place(DealStatus.PENDING, stages[index - 1]))
    if index + 1 < len(stages):
        return Step(Place(DealStatus.PENDING, stages[index + 1]))
    return Step(Place(DealStatus.WON), confirm=True)

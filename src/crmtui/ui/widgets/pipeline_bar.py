"""The line above the board: the pipelines (the shown one marked), the pipeline's totals, the filter."""

from __future__ import annotations

from rich.text import Text

from crmtui.domain.formatting import format_money
from crmtui.domain.models import Pipeline
from crmtui.service.pipeline_board import Board


def pipeline_bar(
    pipelines: list[Pipeline],
    shown: Pipeline | None,
    board: Board | None,
    *,
    owner: str,
    loading: str,
    symbol: str,
    closed_days: int | None,
    width: int,
) -> Text:
    """The most that fits in `width`: tabs for every pipeline when there is room, else the shown one.

    Totals are of the open (pending) deals: count, sum and probability-weighted sum; won deals in
    the closed window come after, when there is room.
    """

    def cash(amount: float) -> str:
        return format_money(amount, symbol, decimals=0)

    totals: list[tuple[str, str]] = []
    won = ""
    if board is not None and shown is not None and board.pipeline.id == shown.id:
        t = board.open_totals
        totals = [(f"{t.count} open", "bold"), (cash(t.amount), "bold"), (f"weighted {cash(t.weighted)}", "")]
        if board.won_totals.count:
            since = f" in {closed_days} days" if closed_days else ""
            won = f"won{since} {cash(board.won_totals.amount)}"
    status = [(loading, "italic")] if loading else []
    who = [(f"owner: {owner}", "bold")] if owner else []

    def tabs(every: bool) -> Text:
        text = Text(" ")
        if shown is None:
            return text
        if every and len(pipelines) > 1:
            for i, p in enumerate(pipelines):
                if i:
                    text.append(" │ ", style="dim")
                text.append(f" {p.name} ", style="bold reverse" if p.id == shown.id else "dim")
            return text
        text.append(f" {shown.name} ", style="bold reverse")
        if len(pipelines) > 1:
            index = next((i for i, p in enumerate(pipelines) if p.id == shown.id), 0)
            text.append(f" {index + 1}/{len(pipelines)}", style="dim")
        return text

    def line(every: bool, parts: list[tuple[str, str]]) -> Text:
        text = tabs(every)
        for words, style in parts:
            text.append(" · " if len(text) > 1 else "", style="dim")
            text.append(words, style=style)
        return text

    extra = [(won, "")] if won else []
    for every, parts in (
        (True, status + totals + who + extra),
        (True, status + totals + who),
        (False, status + totals + who + extra),
        (False, status + totals + who),
        (False, status + totals),
    ):
        text = line(every, parts)
        if text.cell_len <= width:
            return text
    text = line(False, status + totals)
    text.truncate(width, overflow="ellipsis")
    return text

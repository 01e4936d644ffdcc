"""A goal's progress as a bar with a pace tick: `▕████████▌··┃··▏ 68% of 50 deals`.

The bar fills in eighths of a cell up to the target (more than the target fills it whole); the tick
stands where the progress should be by today (the pace). Green when on track, red when behind,
muted while unknown. Pure text: the same on every run, readable at 80 columns.
"""

from __future__ import annotations

from textual.content import Content

from crmtui.domain.goals import Goal

EIGHTHS = " ▏▎▍▌▋▊▉"
FULL = "█"
REST = "·"
TICK = "┃"
ON_TRACK = "$success"
BEHIND = "$error"
UNKNOWN = "$text-muted"
TICK_STYLE = "bold $warning"


def bar_cells(share: float | None, pace: float | None, width: int) -> list[tuple[str, bool]]:
    """`width` cells of the bar: (character, is the pace tick)."""
    width = max(1, width)
    filled = 0.0 if share is None else max(0.0, min(1.0, share)) * width
    full = int(filled)
    eighths = round((filled - full) * 8)
    if eighths == 8:
        full, eighths = full + 1, 0
    cells = [FULL] * min(full, width)
    if len(cells) < width and eighths:
        cells.append(EIGHTHS[eighths])
    cells += [REST] * (width - len(cells))
    tick = None if pace is None else min(width - 1, int(max(0.0, min(1.0, pace)) * width))
    return [(TICK if i == tick else c, i == tick) for i, c in enumerate(cells)]


def amount(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def outcome_text(goal: Goal, share: float | None) -> str:
    """`68% of 50 deals`, `12% of 250,000`, `… of 5 deals` while unknown."""
    unit = goal.unit()
    target = f"{amount(goal.target)}{' ' + unit if unit else ''}"
    percent = "…" if share is None else f"{share * 100:.0f}%"
    return f"{percent} of {target}"


def goal_bar(share: float | None, pace: float | None, width: int, on_track: bool | None) -> Content:
    """The bar between its ends (`width` cells inside)."""
    colour = UNKNOWN if on_track is None else ON_TRACK if on_track else BEHIND
    parts: list[tuple[str, str] | str] = [("▕", "$text-muted")]
    run = ""
    for char, tick in bar_cells(share, pace, width):
        if tick:
            if run:
                parts.append((run, colour))
                run = ""
            parts.append((char, TICK_STYLE))
        else:
            run += char
    if run:
        parts.append((run, colour))
    parts.append(("▏", "$text-muted"))
    return Content.assemble(*parts)

"""Text cut or padded to a number of terminal cells, for the line-drawn lists and boards."""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size


def fit(text: str, width: int) -> str:
    """`text` padded or cut to exactly `width` cells, with an ellipsis when cut; newlines become spaces."""
    if width <= 0:
        return ""
    text = text.replace("\n", " ")
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"

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


def fit_parts(parts: list[tuple[str, str]], width: int, *, right: bool = False) -> list[tuple[str, str]]:
    """Coloured parts ((text, role) each) padded or cut to exactly `width` cells as a whole, as `fit`
    does: cut with an ellipsis in the role of the part it falls in; the padding has the row's role ("")
    and goes before the parts when `right`."""
    if width <= 0:
        return []
    parts = [(text.replace("\n", " "), role) for text, role in parts if text]
    total = sum(cell_len(text) for text, _ in parts)
    if total <= width:
        pad = [(" " * (width - total), "")] if total < width else []
        return pad + parts if right else parts + pad
    out: list[tuple[str, str]] = []
    room = width - 1
    for text, role in parts:
        size = cell_len(text)
        if size < room:
            out.append((text, role))
            room -= size
            continue
        # The ellipsis goes where the cut falls, in that part's colour (a wide character split in two
        # becomes a space: set_cell_size keeps the count exact).
        out.append((set_cell_size(text, room) + "…", role))
        break
    return out

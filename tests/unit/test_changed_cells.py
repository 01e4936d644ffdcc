"""The preview writes only the cells that differ: the fast comparison (strings and segments) finds the
same columns as the comparison cell by cell, for any pair of lines."""

from __future__ import annotations

import random

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from crmtui.ui.widgets.preview import changed_by_cell, changed_cells

STYLES = [None, Style(bold=True), Style(italic=True), Style(color="red"), Style(bgcolor="blue")]


def random_line(rng: random.Random, width: int) -> Strip:
    segments = []
    length = rng.randint(0, width)
    while length > 0:
        n = rng.randint(1, min(length, 8))
        segments.append(Segment("".join(rng.choice("ab c") for _ in range(n)), rng.choice(STYLES)))
        length -= n
    line = Strip(segments)
    return line.extend_cell_length(width, Style(bgcolor="black")) if rng.random() < 0.5 else line


def test_the_fast_way_finds_the_columns_the_cell_by_cell_way_does() -> None:
    rng = random.Random(13)
    for _ in range(20_000):
        width = rng.randint(1, 24)
        before = random_line(rng, width)
        after = random_line(rng, width) if rng.random() < 0.6 else Strip([*before, Segment("", None)])
        if rng.random() < 0.3:  # the same text, other styles or segments
            after = Strip([Segment(seg.text, rng.choice(STYLES)) for seg in before])
        assert changed_cells(before, after) == changed_by_cell(before, after), (list(before), list(after))


def test_a_shorter_line_is_written_to_the_end_of_the_longer_one() -> None:
    before = Strip([Segment("✉ someone@example.com", None)])
    after = Strip([Segment("Status: General", None)])
    assert changed_cells(before, after) == (0, len("✉ someone@example.com"))

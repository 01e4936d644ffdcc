"""Cells of several parts in the row list (labels as chips): fitted to the column as a whole, each
part drawn in its own colour, and the one-part cells of every other list drawn as before."""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from textual.app import App, ComposeResult

from crmtui.ui.cells import fit_parts
from crmtui.ui.label_colours import LABEL_COLOURS, label_role
from crmtui.ui.widgets.row_list import Cell, Column, RowList

from .conftest import wait_for


@dataclass(frozen=True)
class Row:
    key: str
    title: str
    labels: tuple[tuple[str, str], ...]


def chips(row: Row) -> Cell:
    parts: list[tuple[str, str]] = []
    for name, colour in row.labels:
        if parts:
            parts.append((" ", ""))
        parts.append((name, label_role(colour)))
    return parts


COLUMNS = [
    Column("Title", lambda row: (row.title, ""), width=6),
    Column("Labels", chips, width=14),
]
ROWS = [
    Row("a", "First", (("Hot", "red"), ("Warm", "orange"))),
    Row("b", "Second", (("Hot", "red"), ("Cold", "blue"))),
]


class ListApp(App[None]):
    def compose(self) -> ComposeResult:
        yield RowList(COLUMNS, key=lambda row: row.key)

    def on_mount(self) -> None:
        self.query_one(RowList).set_rows([("Leads", "", ROWS)])


def test_parts_are_fitted_as_a_whole_with_the_ellipsis_where_the_cut_falls() -> None:
    parts = [("Hot", "label-red"), (" ", ""), ("Warm", "label-orange")]
    assert fit_parts(parts, 10) == [*parts, ("  ", "")]
    assert fit_parts(parts, 10, right=True) == [("  ", ""), *parts]
    assert fit_parts(parts, 8) == parts
    assert fit_parts(parts, 6) == [("Hot", "label-red"), (" ", ""), ("W…", "label-orange")]
    assert fit_parts(parts, 4) == [("Hot…", "label-red")]
    assert fit_parts(parts, 1) == [("…", "label-red")]
    assert fit_parts(parts, 0) == []
    assert fit_parts([], 3) == [("   ", "")]


def test_wide_characters_keep_the_width_exact() -> None:
    parts = [("漢字", "label-red"), (" ", ""), ("Warm", "label-blue")]
    for width in range(1, 10):
        fitted = fit_parts(parts, width)
        assert sum(cell_len(text) for text, _ in fitted) == width, (width, fitted)
    assert fit_parts(parts, 3) == [("漢…", "label-red")]
    assert fit_parts(parts, 2) == [(" …", "label-red")]  # half a wide character becomes a space


def test_every_pipedrive_colour_has_its_class_and_an_unknown_one_the_rows_own() -> None:
    for colour in LABEL_COLOURS:
        assert f"row-list--label-{colour}" in RowList.COMPONENT_CLASSES
    assert label_role("dark-green") == "label-dark-green"
    assert label_role("chartreuse") == ""


async def test_a_row_with_two_labels_draws_each_in_its_own_colour() -> None:
    reds: set[object] = set()
    for theme in ("textual-dark", "textual-light"):
        app = ListApp()
        app.theme = theme
        async with app.run_test(size=(40, 6)) as pilot:
            rows = app.query_one(RowList)
            await wait_for(pilot, lambda rows=rows: len(rows.items) == 2, what="the rows")
            # Line 0 is the section header, line 1 the cursor's row, line 2 a row as it is drawn.
            line = rows.render_line(2)
            assert line.text.rstrip() == "Second Hot Cold"
            styles = {seg.text.strip(): seg.style for seg in line if seg.text.strip()}
            hot, cold = styles["Hot"], styles["Cold"]
            assert hot is not None and cold is not None and hot.color is not None and cold.color is not None
            assert hot.color != cold.color
            assert hot.color == rows.get_component_rich_style("row-list--label-red").color
            assert cold.color == rows.get_component_rich_style("row-list--label-blue").color
            assert styles["Second"].color != hot.color
            assert app.current_theme.name == theme
            reds.add(hot.color)
            # The cursor's row keeps its own colours (a label's colour may be the cursor's).
            cursor = rows.render_line(1)
            assert cursor.text.rstrip() == "First  Hot Warm"
            assert len({seg.style for seg in cursor if seg.text.strip()}) == 1
    assert len(reds) == 2  # a lighter red on the dark theme, a deeper one on the light theme


async def test_cells_of_one_part_draw_as_before() -> None:
    app = ListApp()
    async with app.run_test(size=(40, 6)) as pilot:
        rows = app.query_one(RowList)
        await wait_for(pilot, lambda: len(rows.items) == 2, what="the rows")
        segments = list(rows.render_line(2))
        # One segment a column, its text padded to the column's width and a space after it.
        assert segments[0].text == "Second "

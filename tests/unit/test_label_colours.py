"""Pipedrive's lead label colours in one place (crmtui.ui.label_colours): every colour the spec lets
a label have draws in its own tone on the list and as its own chip on the lead detail, and the row
list's label classes are the table's."""

from __future__ import annotations

from typing import Any

from crmtui.ui.label_colours import LABEL_COLOURS, UNKNOWN_CHIP, chip_style, label_css, label_role
from crmtui.ui.widgets.row_list import RowList
from tests.support.pipedrive_spec import load_pipedrive_validator


def label_colour_enums(node: Any) -> list[set[str]]:
    """The enums of every `color` property of the spec that lists lead label colours."""
    found: list[set[str]] = []
    if isinstance(node, dict):
        colour = node.get("color")
        if isinstance(colour, dict) and "dark-gray" in (colour.get("enum") or []):
            found.append(set(colour["enum"]))
        for value in node.values():
            found += label_colour_enums(value)
    elif isinstance(node, list):
        for value in node:
            found += label_colour_enums(value)
    return found


def test_every_colour_the_spec_allows_a_label_has_a_tone_and_a_chip() -> None:
    enums = label_colour_enums(load_pipedrive_validator().raw)
    assert enums, "the spec names no lead label colours"
    allowed = set().union(*enums)
    assert "pink" in allowed
    for colour in allowed:
        assert label_role(colour) == f"label-{colour}"
        assert chip_style(colour) != f"black on {UNKNOWN_CHIP}", colour  # the lead detail drew pink as grey


def test_an_unknown_colour_draws_in_the_rows_own_colour_and_a_grey_chip() -> None:
    assert label_role("teal") == ""
    assert chip_style("teal") == f"black on {UNKNOWN_CHIP}"


def test_the_row_lists_label_classes_and_tones_are_the_tables() -> None:
    for colour in LABEL_COLOURS:
        assert f"row-list--label-{colour}" in RowList.COMPONENT_CLASSES
    css = " ".join(RowList.DEFAULT_CSS.split())
    for rule in label_css("RowList", "row-list--label-").splitlines():
        assert rule in css, rule

"""Pipedrive's lead label colours, in one place: the tone a label's name is drawn in on a list
(lighter on dark themes, deeper on light ones) and the colour of its chip on the lead detail (dark
text on it). A colour this table does not know draws in the row's own colour, or as a grey chip."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LabelColour:
    on_dark: str
    """The label's name on a dark theme."""
    on_light: str
    """... on a light theme."""
    chip: str
    """A chip's background (a terminal colour name; the text on it is black)."""


LABEL_COLOURS: dict[str, LabelColour] = {
    "green": LabelColour("#7EE08A", "#1A6E2C", "green"),
    "blue": LabelColour("#7FB8FF", "#1F5FBF", "blue"),
    "red": LabelColour("#FF7A7A", "#B3261E", "red"),
    "yellow": LabelColour("#F5E06A", "#7A6200", "yellow"),
    "purple": LabelColour("#C99BFF", "#7A3DB8", "magenta"),
    "gray": LabelColour("#B0B0B0", "#5E5E5E", "grey62"),
    "brown": LabelColour("#C8946A", "#7A4A26", "orange4"),
    "orange": LabelColour("#FFA94D", "#9A4700", "dark_orange"),
    "pink": LabelColour("#FF8FCF", "#B0307A", "pink1"),
    "dark-green": LabelColour("#4CAF50", "#14501F", "dark_green"),
    "dark-blue": LabelColour("#5C8FE6", "#123A80", "dark_blue"),
    "dark-red": LabelColour("#EE6670", "#7A1A14", "dark_red"),
    "dark-yellow": LabelColour("#C9B037", "#5C4A00", "gold3"),
    "dark-purple": LabelColour("#A77BE0", "#512580", "dark_magenta"),
    "dark-gray": LabelColour("#8C8C8C", "#3A3A3A", "grey35"),
}
"""Every colour Pipedrive gives a lead label (the spec's ten and the web app's dark tones)."""

UNKNOWN_CHIP = "grey50"


def label_role(colour: str) -> str:
    """The list role drawing a label of `colour` ("": the row's own colour for one not known)."""
    return f"label-{colour}" if colour in LABEL_COLOURS else ""


def chip_style(colour: str) -> str:
    """The Rich style of a label's chip."""
    known = LABEL_COLOURS.get(colour)
    return f"black on {known.chip if known else UNKNOWN_CHIP}"


def label_css(widget: str, prefix: str) -> str:
    """The rules colouring `widget`'s label component classes (`<prefix><colour>`) on both themes."""
    dark = [f"{widget} > .{prefix}{name} {{ color: {tone.on_dark}; }}" for name, tone in LABEL_COLOURS.items()]
    light = [f"{widget}:light > .{prefix}{name} {{ color: {tone.on_light}; }}" for name, tone in LABEL_COLOURS.items()]
    return "\n".join(dark + light)

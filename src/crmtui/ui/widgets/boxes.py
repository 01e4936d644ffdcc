"""The dialogs' fields other than the one-line input: a text area for several lines and ticks and
radio buttons whose marks say their state without colour. Each takes no control character, as
`crmtui.ui.widgets.inputs.TextInput` does (a paste can carry hidden escape sequences)."""

from __future__ import annotations

import re

from rich.segment import Segment
from textual import events
from textual.content import Content
from textual.strip import Strip
from textual.widgets import Checkbox, RadioButton, SelectionList, TextArea
from textual.widgets.option_list import OptionDoesNotExist
from textual.widgets.text_area import Edit, EditResult

from crmtui.ui.widgets.inputs import bound_key_in_turn

_LINE_BREAKS = re.compile("\r\n|\r")
_CONTROL_BUT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def writable(text: str) -> str:
    """`text` as a person could have typed it over several lines: line breaks kept (as \\n), a tab is
    a space, other control characters are gone."""
    return _CONTROL_BUT_NEWLINE.sub("", _LINE_BREAKS.sub("\n", text).replace("\t", " "))


class TextBox(TextArea):
    """A soft-wrapped text area for several lines (a note), taking no control characters but the
    line break; follows the app's cursor-blink setting like TextInput."""

    TYPES_KEYS = True
    """As TextInput's: keys are typed here, or act in their turn (`bound_key_in_turn`)."""

    def on_mount(self) -> None:
        self.cursor_blink = bool(getattr(self.app, "cursor_blink", True))

    async def _on_key(self, event: events.Key) -> None:
        """Bound keys act in their turn among the typed ones (see `bound_key_in_turn`); enter, and tab
        when it indents, are typed text here, as the text area has them."""
        if event.key == "enter" or (event.key == "tab" and self.tab_behavior == "indent"):
            return
        await bound_key_in_turn(self, event)

    def edit(self, edit: Edit) -> EditResult:
        """Every way text gets in (typing, paste, insert, undo) comes through here."""
        edit.text = writable(edit.text)
        return super().edit(edit)


class TickBox(Checkbox):
    """A checkbox whose mark says its state without colour: `X` ticked, blank when not (Textual's
    draws an X either way and tells them apart by colour alone, which a terminal without colour, or
    a person who does not see it, loses)."""

    def render(self) -> Content:
        self.BUTTON_INNER = "X" if self.value else " "
        return super().render()


class RadioChoice(RadioButton):
    """A radio button whose mark says its state without colour: `●` chosen, `○` not (Textual's draws
    `●` for every choice of a set and tells the chosen one by colour alone)."""

    def render(self) -> Content:
        self.BUTTON_INNER = "●" if self.value else "○"
        return super().render()


class TickList(SelectionList[str]):
    """A list of ticks whose marks say their state without colour, as `TickBox`'s: `X` ticked, blank
    not (Textual's draws an X on every line)."""

    def render_line(self, y: int) -> Strip:
        line = super().render_line(y)
        try:
            option = self.get_option_at_index(round(self.scroll_offset.y) + y)
        except OptionDoesNotExist:
            return line
        if option.value in self.selected:
            return line
        segments = list(line)
        if len(segments) > 1 and segments[1].text == "X":  # the mark between the box's two sides
            segments[1] = Segment(" ", segments[1].style)
            return Strip(segments, line.cell_length)
        return line

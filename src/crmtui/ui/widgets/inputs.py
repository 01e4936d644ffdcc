"""An Input that follows the app's cursor-blink setting (tests switch blinking off) and takes no
control characters: a paste from a web page can carry hidden escape sequences, which would go to
the server in a note or an action and reach every other client that draws it.

The dialogs' other fields (a text area, ticks and radio buttons) are in `crmtui.ui.widgets.boxes`:
the first screen has only this one, and a start need not import Textual's text area and toggles."""

from __future__ import annotations

import re

from textual.widgets import Input

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_SPACES = re.compile("\r\n|[\t\n\r]")


def typeable(text: str) -> str:
    """`text` as a person could have typed it on one line: a tab or a line break is a space (words
    stay apart), other control characters are gone."""
    return _CONTROL.sub("", _SPACES.sub(" ", text))


class TextInput(Input):
    def on_mount(self) -> None:
        self.cursor_blink = bool(getattr(self.app, "cursor_blink", True))

    def replace(self, text: str, start: int, end: int) -> None:
        """Every way text gets in (typing, paste, insert) comes through here."""
        super().replace(typeable(text), start, end)

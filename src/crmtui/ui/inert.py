"""The last guard between the app and the terminal: no character in drawn text is a command.

Text from a server or a file is made inert (control characters shown as ␛, ␇, ...) when it
becomes a domain model or an error (`crmtui.domain.text`). Text can still reach a widget by other
ways: a paste into an input, an exception's message, a future screen that forgets. Textual writes
a segment's text to the terminal as it is, so this line filter, run on every line the app draws,
drops whatever control characters are left. They take no cells in Textual's layout (Rich counts
them as zero wide), so dropping them keeps every line exactly as wide as it was laid out.
"""

from __future__ import annotations

import re

from rich.segment import Segment
from textual.color import Color
from textual.content import Content
from textual.filter import LineFilter

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


class DropControlCharacters(LineFilter):
    """Remove C0, DEL and C1 characters from the text of every segment drawn."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        if all(segment.text.isprintable() or not _CONTROL.search(segment.text) for segment in segments):
            return segments  # nearly always: no copy
        return [
            Segment(_CONTROL.sub("", segment.text), segment.style, segment.control)
            if segment.control is None
            else segment
            for segment in segments
        ]


def plain(text: str) -> Content:
    """`text` (a name, a stage, a saved action: someone else's words) as it is, never read as Textual
    markup: a name like "Ann [/x]" raised MarkupError in a dialog's title and ended the app, and
    "[@click=app.quit]…" would have been a link to an action."""
    return Content(text)

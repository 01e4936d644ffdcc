"""Esc and the key typed after it, read together from the terminal: two keys (crmtui.ui.escape_keys).

The parser is fed the bytes a terminal sends, in one read, then the end of input (which flushes an ESC
still waiting for more, as the escape delay does in a running app).
"""

from __future__ import annotations

import pytest
from textual._xterm_parser import XTermParser

from crmtui.ui.escape_keys import EscapeFirstParser

ESC = "\x1b"


def keys(parser_class: type[XTermParser], data: str) -> list[str]:
    parser = parser_class()
    events = list(parser.feed(data)) + list(parser.feed(""))
    return [getattr(event, "key", type(event).__name__) for event in events]


@pytest.mark.parametrize(
    ("data", "textual_reads", "crmtui_reads"),
    [
        (ESC + "3", ["pound_sign"], ["escape", "3"]),  # macOS's Option+3 character
        (ESC + "1", ["inverted_exclamation_mark"], ["escape", "1"]),
        (ESC + "j", ["alt+j"], ["escape", "j"]),
        (ESC + "J", ["alt+shift+j"], ["escape", "J"]),
        (ESC + "/", ["slash"], ["escape", "slash"]),  # the Esc lost
        (ESC + "\r", ["enter"], ["escape", "enter"]),
        (ESC + " ", ["space"], ["escape", "space"]),
        (ESC + "-", ["en_dash"], ["escape", "minus"]),
        (ESC + "3j" + ESC + "d", ["pound_sign", "j", "alt+d"], ["escape", "3", "j", "escape", "d"]),
        ("x" + ESC + "n", ["x", "alt+n"], ["x", "escape", "n"]),
        (ESC + "O", ["alt+shift+o"], ["escape", "O"]),  # could have begun a function key's sequence; none came
        (ESC + "[", ["left_square_bracket"], ["escape", "left_square_bracket"]),
    ],
)
def test_esc_and_a_key_read_together_are_both_keys(data: str, textual_reads: list[str], crmtui_reads: list[str]) -> None:
    assert keys(XTermParser, data) == textual_reads
    assert keys(EscapeFirstParser, data) == crmtui_reads


@pytest.mark.parametrize(
    ("data", "read"),
    [
        (ESC, ["escape"]),
        (ESC + ESC, ["escape", "escape"]),
        (ESC + "b", ["ctrl+left"]),  # macOS Option+Left: a word left in a text box
        (ESC + "f", ["ctrl+right"]),
        (ESC + "\x7f", ["ctrl+w"]),  # Alt+Backspace: delete a word
        (ESC + "\t", ["shift+tab"]),
        (ESC + "[A", ["up"]),  # the terminal's own sequences: arrows, SS3 function keys, mouse
        (ESC + "OB", ["down"]),
        (ESC + "OP", ["f1"]),
        (ESC + "[1;5C", ["ctrl+right"]),
        (ESC + "[<0;10;5M", ["MouseDown"]),
        (ESC + "[A3", ["up", "3"]),
        ("ab", ["a", "b"]),
        ("£", ["pound_sign"]),  # typed as itself (a UK keyboard's Shift+3) it stays a character
    ],
)
def test_what_textual_reads_otherwise_is_read_the_same(data: str, read: list[str]) -> None:
    assert keys(EscapeFirstParser, data) == read == keys(XTermParser, data)

"""Esc and the key typed after it, read together from the terminal (crmtui.ui.escape_keys).

crmtui's parser reads every byte string as Textual's does, and marks a key read from ESC and another
key with that other key (`as_typed`), for the app to take as Esc and that key where the focus
leaves keys to the bindings. The parser is fed the bytes a terminal sends, in one read, then the end
of input (which flushes an ESC still waiting for more, as the escape delay does in a running app).
"""

from __future__ import annotations

import pytest
from textual._xterm_parser import XTermParser
from textual.drivers import linux_driver

from crmtui.ui.escape_keys import EscapeFirstParser, as_typed, crm_driver

ESC = "\x1b"


def read(parser_class: type[XTermParser], data: str) -> list:
    parser = parser_class()
    return list(parser.feed(data)) + list(parser.feed(""))


def names(events: list) -> list[str]:
    return [getattr(event, "key", type(event).__name__) for event in events]


def marks(events: list) -> list[str | None]:
    """For each key, the key said to follow an Esc (None: not read from ESC and a key)."""
    return [typed[1].key if (typed := as_typed(event)) is not None else None for event in events if hasattr(event, "key")]


@pytest.mark.parametrize(
    ("data", "textual_reads", "typed_after_esc"),
    [
        (ESC + "3", ["pound_sign"], ["3"]),  # macOS's Option+3 character
        (ESC + "1", ["inverted_exclamation_mark"], ["1"]),
        (ESC + "j", ["alt+j"], ["j"]),
        (ESC + "J", ["alt+shift+j"], ["J"]),
        (ESC + "/", ["slash"], ["slash"]),  # Textual lost the Esc
        (ESC + "\r", ["enter"], ["enter"]),
        (ESC + " ", ["space"], ["space"]),
        (ESC + "-", ["en_dash"], ["minus"]),
        (ESC + "é", ["alt+é"], ["é"]),
        (ESC + "3j" + ESC + "d", ["pound_sign", "j", "alt+d"], ["3", None, "d"]),
        ("x" + ESC + "n", ["x", "alt+n"], [None, "n"]),
    ],
)
def test_a_key_read_from_esc_and_a_key_says_which_key_followed(data: str, textual_reads: list[str], typed_after_esc: list) -> None:
    assert names(read(XTermParser, data)) == textual_reads
    crmtui = read(EscapeFirstParser, data)
    assert names(crmtui) == textual_reads  # read as Textual reads it: a text box types what it typed
    assert marks(crmtui) == typed_after_esc


@pytest.mark.parametrize(
    ("data", "textual_reads"),
    [
        (ESC, ["escape"]),
        (ESC + ESC, ["escape", "escape"]),
        (ESC + "b", ["ctrl+left"]),  # macOS Option+Left: a word left in a text box
        (ESC + "f", ["ctrl+right"]),
        (ESC + "\x7f", ["ctrl+w"]),  # Alt+Backspace: delete a word
        (ESC + "\t", ["shift+tab"]),
        (ESC + "[A", ["up"]),  # the terminal's own sequences: arrows, SS3 function keys, mouse, focus
        (ESC + "OB", ["down"]),
        (ESC + "OP", ["f1"]),
        (ESC + "[1;5C", ["ctrl+right"]),
        (ESC + "[<0;10;5M", ["MouseDown"]),
        (ESC + "[I", ["AppFocus"]),
        (ESC + "[A3", ["up", "3"]),
        # A reply Textual cannot read comes back as its characters: none of them said to follow an Esc.
        (ESC + "[?62;22c", ["left_square_bracket", "question_mark", "6", "2", "semicolon", "2", "2", "c"]),
        (ESC + "]11;rgb:0/0/0" + ESC + "\\", None),
        (ESC + "O", ["alt+shift+o"]),  # might have begun a function key's sequence
        ("ab", ["a", "b"]),
        ("£", ["pound_sign"]),  # typed as itself (a UK keyboard's Shift+3)
    ],
)
def test_what_is_not_esc_and_a_key_is_read_as_textual_reads_it_unmarked(data: str, textual_reads: list[str] | None) -> None:
    textual = read(XTermParser, data)
    if textual_reads is not None:
        assert names(textual) == textual_reads
    crmtui = read(EscapeFirstParser, data)
    assert names(crmtui) == names(textual)
    assert set(marks(crmtui)) <= {None}


def test_the_driver_replaces_the_parser_textual_s_linux_driver_makes() -> None:
    """The name the driver makes its parser from is there (a Textual upgrade that renames it fails
    here, not silently in a terminal)."""
    assert linux_driver.XTermParser in (XTermParser, EscapeFirstParser)
    driver = crm_driver()
    assert issubclass(driver, linux_driver.LinuxDriver) and driver is crm_driver()

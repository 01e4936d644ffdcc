"""Esc and the key typed after it, when both arrive in one read: two keys, not one.

A terminal sends Esc as one byte (ESC), and Alt (Meta) and a key as that byte and the key. Textual
tells the two apart by time: an ESC with nothing behind it in the same read is Esc; ESC and a key read
together are one key. Over SSH, keys typed a few milliseconds apart often arrive in one read (and
tmux's `send-keys` always sends them so), and then Textual read Esc followed by:

- a letter as alt+letter, which no screen binds: both keys lost (Esc then `j` on a dialog);
- a digit as the character macOS types for Option and that digit (Esc `3` is "£"): the dialog stays
  open and the Pipeline is not shown;
- `/`, Enter, space and the other punctuation as that key alone: the Esc lost.

crmtui binds no Alt+key, so its parser (`EscapeFirstParser`) reads ESC and a printable character (or
Enter) in one read as Esc and that key, in that order. Kept as Textual reads them: ESC with Tab (shift+tab),
ESC with Backspace (delete a word), and ESC `b` / ESC `f`, which macOS terminals send for Option+Left
and Option+Right (a word left and right in a text box). ESC followed by `[`, `O`, `P`, `]`, `^`, `_`
or a backslash starts one of the terminal's own sequences (arrows, function keys, mouse, its
reports): the parser waits for the rest, as Textual's does, and reads Esc and that key only when no
sequence comes of it.

`CrmDriver` is Textual's Linux driver reading its input with that parser; the app uses it where it
would use Textual's (`CrmApp.get_driver_class`).
"""

from __future__ import annotations

from collections.abc import Iterable

from textual import events
from textual._xterm_parser import XTermParser
from textual.drivers import linux_driver
from textual.drivers.linux_driver import LinuxDriver

ESC = "\x1b"
SEQUENCE_STARTS = frozenset("[O]P^_\\")
"""After ESC: the start of a terminal's sequence (CSI, SS3, OSC, DCS, PM, APC, ST), never a key."""
TEXTUAL_KEEPS = frozenset("bf")
"""After ESC: macOS's Option+Left and Option+Right, which Textual reads as a word left and right."""


def a_key(character: str) -> bool:
    """Whether `character` is a key of its own: printable, or Enter."""
    return character == "\r" or (len(character) == 1 and " " <= character <= "~")


def escape_first(character: str) -> bool:
    """Whether ESC followed by `character` in one read is Esc and then that key, at once."""
    return a_key(character) and character not in SEQUENCE_STARTS and character not in TEXTUAL_KEEPS


class EscapeFirstParser(XTermParser):
    """Textual's parser, but ESC and a printable character read together are Esc, then that key."""

    def _sequence_to_key_events(self, sequence: str, alt: bool = False) -> Iterable[events.Key]:
        if len(sequence) == 2 and sequence[0] == ESC and escape_first(sequence[1]):
            # ESC and a key in one read (Textual: a macOS Option character, or nothing yet).
            yield events.Key("escape", ESC)
            yield from super()._sequence_to_key_events(sequence[1])
            return
        if alt and a_key(sequence):
            # ESC and this key, held in case a sequence followed, and none did (Textual: alt+key).
            yield events.Key("escape", ESC)
            yield from super()._sequence_to_key_events(sequence)
            return
        yield from super()._sequence_to_key_events(sequence, alt)


class CrmDriver(LinuxDriver):
    """Textual's Linux driver with `EscapeFirstParser` reading the keys."""

    def run_input_thread(self) -> None:
        # The driver makes its parser from its module's name for it, when this thread starts.
        setattr(linux_driver, "XTermParser", EscapeFirstParser)  # noqa: B010 - mypy refuses a class assigned to a class's name
        super().run_input_thread()

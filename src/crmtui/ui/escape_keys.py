"""Esc and the key typed after it, when both arrive in one read.

A terminal sends Esc as one byte (ESC), and Alt (Meta) and a key as that byte and the key. Textual
tells the two apart by time: an ESC with nothing behind it in the same read is Esc; ESC and a key read
together are one key. Over SSH, keys typed a few milliseconds apart often arrive in one read (and
tmux's `send-keys` always sends them so), and then Textual read Esc followed by:

- a letter as alt+letter, which no screen binds: both keys lost (Esc then `j` on a contact);
- a digit as the character macOS types for Option and that digit (Esc `3` is "£"): the contact
  stays open and the Pipeline is not shown;
- `/`, Enter, space and the other punctuation as that key alone: the Esc lost.

The bytes cannot tell Esc-then-`y` from Alt+`y`, so where the keys go decides. crmtui binds no Alt
key: where the focus leaves keys to the bindings (a list, the board, a button), ESC and a key read
together are Esc and then that key (`crmtui.ui.key_order`). In a text box they stay what Textual
reads, as typing there always was: Alt+`y` types "y", and never cancels the form with Esc and then
answers its "Discard what you typed?" with the y.

`EscapeFirstParser` is Textual's parser; the key it reads from ESC and a printable character (or
Enter) says which key followed the ESC (`as_typed`). Not marked, read only as Textual reads
them: ESC `b` and ESC `f` (macOS terminals' Option+Left and Option+Right, a word left and right in a
text box), ESC with Tab or Backspace, and ESC followed by `[`, `O`, `P`, `]`, `^`, `_` or a backslash,
which start the terminal's own sequences (arrows, function keys, mouse, its replies) and, when one
cannot be read, come back as its characters. `crm_driver()` is Textual's Linux driver reading its
input with that parser; the app uses it where it would use Textual's (`CrmApp.get_driver_class`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable

from textual import events
from textual._xterm_parser import XTermParser
from textual.driver import Driver

log = logging.getLogger(__name__)

ESC = "\x1b"
SEQUENCE_STARTS = frozenset("[O]P^_\\")
"""After ESC: the start of a terminal's sequence (CSI, SS3, OSC, DCS, PM, APC, ST), never a key."""
TEXTUAL_KEEPS = frozenset("bf")
"""After ESC: macOS's Option+Left and Option+Right, which Textual reads as a word left and right."""
_AFTER_ESCAPE = "crmtui_after_escape"
"""The attribute of a key read from ESC and another key: that other key, as read alone."""


def escape_first(character: str) -> bool:
    """Whether ESC followed by `character` in one read may be Esc and then that key."""
    if character == "\r":  # Enter
        return True
    return (
        len(character) == 1
        and character.isprintable()
        and character not in SEQUENCE_STARTS
        and character not in TEXTUAL_KEEPS
    )


def as_typed(key: events.Key) -> tuple[events.Key, events.Key] | None:
    """Esc and the key typed after it, when `key` is what Textual read from ESC and that key arriving
    together (None for any other key)."""
    follows = getattr(key, _AFTER_ESCAPE, None)
    return (events.Key("escape", ESC), follows) if isinstance(follows, events.Key) else None


class EscapeFirstParser(XTermParser):
    """Textual's parser; a key read from ESC and a printable character says which key that was."""

    def _sequence_to_key_events(self, sequence: str, alt: bool = False) -> Iterable[events.Key]:
        if len(sequence) == 2 and sequence[0] == ESC and escape_first(sequence[1]):
            # ESC and a key in one read, which Textual maps to a character (Esc 3 is "£").
            follows = sequence[1]
        elif alt and escape_first(sequence):
            # ESC and a key in one read, held in case a sequence followed (Textual: alt+key).
            follows = sequence
        else:
            yield from super()._sequence_to_key_events(sequence, alt)
            return
        read = list(super()._sequence_to_key_events(sequence, alt))
        alone = list(super()._sequence_to_key_events(follows)) if read else []
        for key in read:
            if len(alone) == 1:
                setattr(key, _AFTER_ESCAPE, alone[0])
            yield key


@functools.cache
def crm_driver() -> type[Driver]:
    """Textual's Linux driver with `EscapeFirstParser` reading the keys (imported when asked: the
    Linux driver needs a POSIX terminal)."""
    from textual.drivers import linux_driver

    class CrmDriver(linux_driver.LinuxDriver):
        def run_input_thread(self) -> None:
            # The driver makes its parser from its module's name for it, when this thread starts.
            if getattr(linux_driver, "XTermParser", None) in (XTermParser, EscapeFirstParser):
                setattr(linux_driver, "XTermParser", EscapeFirstParser)  # noqa: B010 - mypy refuses a class assigned to a class's name
            else:  # a Textual that reads its keys otherwise: Esc bursts as Textual reads them
                log.warning("Textual's Linux driver has no XTermParser to replace; Esc and a key read together stay one key")
            super().run_input_thread()

    return CrmDriver

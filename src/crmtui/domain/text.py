"""Text from a server or a file, made inert before it can reach a terminal.

A contact's name, a note or a server's error message is written by someone else: a colleague, an
integration, a web form. Drawn as it is, `Alice\\x1b]0;PWNED\\x1b\\\\` retitles the window,
`\\x1b]52;c;...` fills the clipboard and `\\x1b[2J` clears the screen; Rich removes only a few
control characters. So every such text is passed through `inert_line` (one line: a name, a tag, an
action) or `inert_text` (a paragraph: a note, a background) on its way into a domain model or an
error, and control characters are shown, not obeyed: ESC as ␛, other C0 characters as their
Unicode control pictures (␀ … ␟), DEL as ␡, and the 8-bit C1 controls as ␛ and their 7-bit
letter (U+009B, CSI, becomes ␛[). Printable text, including every script and emoji, is kept as it
is. Both functions are idempotent, so text that went through one of them may go through again.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
"""C0 controls (tab and newline included), DEL, C1 controls and the Unicode line separators."""


def _picture(char: str) -> str:
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: ␀ ... ␟ (ESC is ␛)
    if code == 0x7F:
        return "\u2421"  # ␡
    if code <= 0x9F:
        return "\u241b" + chr(code - 0x40)  # C1: ESC + its 7-bit letter
    return "\u2424"  # U+2028 / U+2029: ␤


_LINE = {"\t": " ", "\n": "\u2424"}
"""In one line, a tab is a space and a line break shows as ␤ (a CRLF pair as one ␤, a lone CR as ␍)."""
_PARAGRAPH = {"\t": "    ", "\n": "\n", "\r": "\n", "\u2028": "\n", "\u2029": "\n"}
"""In a paragraph, line breaks stay line breaks; a tab becomes spaces (it has no width to a terminal)."""


def _line_char(match: re.Match[str]) -> str:
    char = match.group()
    return _LINE.get(char) or _picture(char)


def _paragraph_char(match: re.Match[str]) -> str:
    char = match.group()
    return _PARAGRAPH.get(char) or _picture(char)


def inert_line(text: str) -> str:
    """`text` as one line that a terminal draws and never obeys."""
    if text.isprintable():  # the usual case, in C: no copy
        return text
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    return _UNSAFE.sub(_line_char, text)


def inert_text(text: str) -> str:
    """`text` as lines that a terminal draws and never obeys (line breaks kept)."""
    if text.isprintable():
        return text
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    return _UNSAFE.sub(_paragraph_char, text)


def is_inert(text: str) -> bool:
    """True when no character of `text` would be obeyed by a terminal (line breaks allowed)."""
    return _UNSAFE.search(text.replace("\n", "")) is None


Line = Annotated[str, AfterValidator(inert_line)]
"""A domain model's one-line text from outside (a name, a tag, an action's text)."""
Paragraph = Annotated[str, AfterValidator(inert_text)]
"""A domain model's multi-line text from outside (a note, a background, a comment)."""

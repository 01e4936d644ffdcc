"""Control characters from a server or a file are shown (␛, ␇, ...), never passed to the terminal."""

from __future__ import annotations

import pytest
from rich.segment import Segment
from rich.style import Style
from textual.color import Color

from crmtui.backends.errors import BackendError, ValidationFailed
from crmtui.domain.models import Account, Action, Contact, Note, StreamEntry, User
from crmtui.domain.text import inert_line, inert_text, is_inert
from crmtui.ui.inert import DropControlCharacters

HOSTILE = [
    ("Alice\x1b]0;PWNED\x1b\\", "Alice␛]0;PWNED␛\\"),
    ("Bob\x1b]52;c;Y3VybA==\x07", "Bob␛]52;c;Y3VybA==␇"),
    ("\x1b[2J", "␛[2J"),
    ("x\x9b31m", "x␛[31m"),  # 8-bit CSI
    ("a\x00b\x7fc", "a␀b␡c"),
    ("bell\x07", "bell␇"),
]


@pytest.mark.parametrize(("raw", "shown"), HOSTILE)
def test_control_characters_become_visible(raw: str, shown: str) -> None:
    assert inert_line(raw) == shown
    assert inert_text(raw) == shown
    assert is_inert(shown) and not is_inert(raw)


@pytest.mark.parametrize("text", ["", "Zoë Ó Briain", "日本語 👍🏽", "Ω ≠ ∞", "a\u00a0b"])
def test_printable_text_is_kept_as_it_is(text: str) -> None:
    assert inert_line(text) == text
    assert inert_text(text) == text


def test_line_breaks_and_tabs() -> None:
    assert inert_line("one\r\ntwo\nthree\tfour") == "one␤two␤three four"
    assert inert_text("one\r\ntwo\rthree\tfour") == "one\ntwo\nthree    four"
    assert inert_line("a\u2028b") == "a␤b"


@pytest.mark.parametrize(("raw", "_shown"), HOSTILE)
def test_idempotent(raw: str, _shown: str) -> None:
    for inert in (inert_line, inert_text):
        once = inert(raw)
        assert inert(once) == once


def test_domain_models_hold_inert_text_whatever_the_backend() -> None:
    contact = Contact(id="c1", first_name="Alice\x1b]0;PWNED\x1b\\", tags=["\x1b[31mred"], background="a\n\x1b[2Jb")
    assert contact.name == "Alice␛]0;PWNED␛\\"
    assert contact.tags == ["\x1b[31mred"]  # a tag is its own id: kept, to be removed by it
    assert contact.shown_tags == ["␛[31mred"]
    assert contact.background == "a\n␛[2Jb"
    action = Action(id="a1", contact_id="c1", text="Call\x1b[2J")
    entry = StreamEntry(contact=contact, next_action=action)
    assert entry.next_action is not None and entry.next_action.text == "Call␛[2J"
    assert Note(id="n1", text="x\x07").text == "x␇"
    # Re-read from the cache (JSON): the same, so nothing is drawn twice differently.
    again = StreamEntry.model_validate_json(entry.model_dump_json())
    assert again == entry


def test_ids_are_kept_but_never_shown_raw() -> None:
    user = User(id="u\x1b[2J")
    assert user.id == "u\x1b[2J"  # an id goes back to the server as it came
    assert user.name == "u␛[2J"
    account = Account(user=User(id="me", first_name="Me"))
    assert account.user_name("someone\x07") == "someone␇"


def test_errors_quote_the_server_inertly() -> None:
    error = ValidationFailed("Bad\x1b]0;x\x07", errors={"text\x1b": "too \x1b[2J long"}, error_name="e\x1b")
    assert error.message == "Bad␛]0;x␇"
    assert str(error) == "Bad␛]0;x␇"
    assert error.errors == {"text␛": "too ␛[2J long"}
    assert error.error_name == "e␛"
    assert is_inert(error.user_message)
    assert BackendError("plain").user_message == "plain"


def test_the_line_filter_drops_what_is_left_and_keeps_the_width() -> None:
    style = Style(bold=True)
    clean = [Segment("Hello ", style), Segment("world", None)]
    guard = DropControlCharacters()
    assert guard.apply(clean, Color(0, 0, 0)) is clean  # nothing to do: no copy
    dirty = [Segment("A\x1b]0;T\x07B", style), Segment("\x9b2J", None), Segment("ok", None)]
    out = guard.apply(dirty, Color(0, 0, 0))
    assert [s.text for s in out] == ["A]0;TB", "2J", "ok"]
    assert [s.style for s in out] == [style, None, None]
    assert sum(s.cell_length for s in out) == sum(s.cell_length for s in dirty)


def test_a_street_address_on_two_lines() -> None:
    from crmtui.domain.models import Address

    address = Address(address="12 Main St\r\nApt 4", city="Cork")
    assert address.address == "12 Main St\nApt 4"
    assert address.one_line() == "12 Main St, Apt 4, Cork"

"""An Input that follows the app's cursor-blink setting (tests switch blinking off), takes no
control characters (a paste from a web page can carry hidden escape sequences, which would go to
the server in a note or an action and reach every other client that draws it) and takes the keys
typed into it in the order they were typed (`bound_key_in_turn`, `TextInput.action_submit`).

The dialogs' other fields (a text area, ticks and radio buttons) are in `crmtui.ui.widgets.boxes`:
the first screen has only this one, and a start need not import Textual's text area and toggles."""

from __future__ import annotations

import asyncio
import re

from textual import events, on
from textual.app import App
from textual.message import Message
from textual.message_pump import MessagePump
from textual.validation import ValidationResult
from textual.widget import Widget
from textual.widgets import Input

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_SPACES = re.compile("\r\n|[\t\n\r]")


def typeable(text: str) -> str:
    """`text` as a person could have typed it on one line: a tab or a line break is a space (words
    stay apart), other control characters are gone."""
    return _CONTROL.sub("", _SPACES.sub(" ", text))


async def bound_key_in_turn(widget: Widget, event: events.Key) -> None:
    """Take the keys typed into `widget` in the order they were typed: a key some binding takes (the
    box's own: backspace, delete, the arrows, enter; or its screen's: escape, tab) acts here, in its
    turn, and a key that reaches the box after the focus has left it goes where the focus now is.

    Textual types a printable key as soon as it reaches a text widget, but a bound key acts only once
    it has bubbled back up to the app, through a queue per widget on the way; the keys typed after
    it in the same burst (a fast typist, an SSH link that delivers a burst at once) are typed first.
    "ann", then backspace three times and "noah", left "annn". The app would run the same bindings in
    the same order (the focused widget's first, up to the screen's) when the key came up; running
    them now keeps the order. A key no binding takes goes on up as before. And the app routes each key
    to the widget focused when it takes it: the "j" behind an escape that closes a filter was already
    on its way to the filter when escape moved the focus to the list.
    """
    app = widget.app
    focused = app.focused
    if focused is not widget:
        event.stop()
        event.prevent_default()
        await _take_now(app, focused, event)
        return
    if event.is_printable:
        return
    if await app._check_bindings(event.key):  # Textual's own walk of the bindings
        event.stop()
        event.prevent_default()


async def _take_now(app: App[object], focused: Widget | None, event: events.Key) -> None:
    """What the app does with a key it takes, for the widget now focused, done now and in order: its
    priority bindings; for a widget that does not type, the bindings from it up to the screen (the
    app would look them up only once the key came back up, by which time a later key may have moved
    the focus again); else the key goes to that widget.

    crmtui's app takes it as one it had just taken, ahead of those it takes after it or holds
    (`crmtui.ui.key_order`): a key behind it may have opened a dialog meanwhile."""
    take_in_turn = getattr(app, "take_in_turn", None)
    if take_in_turn is not None:
        await take_in_turn([events.Key(event.key, event.character)])
        return
    if await app._check_bindings(event.key, priority=True):
        return
    target = focused or app.screen
    if not getattr(target, "TYPES_KEYS", False) and await app._check_bindings(event.key):
        return
    key = events.Key(event.key, event.character)
    key._set_forwarded()  # the app has taken it: when it comes back up, its bindings, not taken anew
    target.post_message(key)


class _SubmitNow(Message, bubble=False):
    """Enter's submission, queued behind the news of what was typed before it (`TextInput.action_submit`)."""


SUBMIT_HOLD = 2.0
"""Seconds at most that the keys typed after Enter wait for the screen to act on it (a safety net:
it acts within a few messages; a box removed meanwhile never hears back)."""


class _Submitted(Input.Submitted):
    """Input.Submitted that says when the screen has had it: a handler stopped it, or it went on from
    the screen to the app."""

    def __init__(self, box: Input, value: str, validation_result: ValidationResult | None, handled: asyncio.Event) -> None:
        super().__init__(box, value, validation_result)
        self._handled = handled

    def stop(self, stop: bool = True) -> _Submitted:
        super().stop(stop)
        if stop:
            self._handled.set()  # the handler carries on first: the box's task resumes after it
        return self

    def _bubble_to(self, widget: MessagePump) -> None:
        super()._bubble_to(widget)
        if isinstance(widget, App):
            self._handled.set()


_Submitted.handler_name = Input.Submitted.handler_name  # on_input_submitted, as Input's own


class TextInput(Input):
    TYPES_KEYS = True
    """A key that reaches this box is typed, or acts through a binding in its turn (`bound_key_in_turn`)."""

    def on_mount(self) -> None:
        self.cursor_blink = bool(getattr(self.app, "cursor_blink", True))

    _held: list[events.Key] | None = None
    """The keys typed after Enter, until the screen has acted on it (None: none held)."""

    async def _on_key(self, event: events.Key) -> None:
        if self._held is not None:
            event.stop()
            event.prevent_default()
            self._held.append(events.Key(event.key, event.character))
            return
        await bound_key_in_turn(self, event)

    async def action_submit(self) -> None:
        """Enter, as Input's, with the keys typed after it taken once the screen has acted on it (a
        filter hands the focus to the list, a form saves and closes), where the focus then is.

        Without this, "/fern", Enter and "j" in one burst (a fast typist; an SSH link delivers what
        arrives together) left "fernj" in the box: the screen heard of the Enter only after the box
        had typed the j. The news of what was typed before Enter (`Changed`) is still in this box's
        queue, behind the keys: the submission goes behind it (`_SubmitNow`), and the keys that come
        meanwhile are held."""
        self._held = []
        self.post_message(_SubmitNow())

    @on(_SubmitNow)
    async def _submit_now(self, _message: _SubmitNow) -> None:
        validation_result = self.validate(self.value) if "submitted" in self.validate_on else None
        handled = asyncio.Event()
        submitted = _Submitted(self, self.value, validation_result, handled)
        parent = self.parent
        if parent is None:
            self.post_message(submitted)
        else:
            # Straight to the parent, as this box's queue would pass it on (it has no handler for it):
            # that queue waits here, the keys typed after Enter in it.
            parent.post_message(submitted)
            try:
                await asyncio.wait_for(handled.wait(), SUBMIT_HOLD)
            except TimeoutError:
                pass
        held, self._held = self._held or [], None
        for key in held:  # in the order typed, before the keys still queued behind this
            await self.on_event(key)

    def replace(self, text: str, start: int, end: int) -> None:
        """Every way text gets in (typing, paste, insert) comes through here."""
        super().replace(typeable(text), start, end)

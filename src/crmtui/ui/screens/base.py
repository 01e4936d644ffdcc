"""The base of crmtui's screens: a Screen that knows it runs inside CrmApp."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, ClassVar, TypeVar

from textual import events
from textual.screen import Screen
from textual.widgets import Input
from textual.worker import Worker

from crmtui.backends.errors import BackendError
from crmtui.service.commands import Command
from crmtui.service.errors import CommandRefused, NothingToUndo
from crmtui.ui.failures import failure_title

if TYPE_CHECKING:
    from textual import getters

    from crmtui.ui.app import CrmApp

ResultT = TypeVar("ResultT")


class CrmScreen(Screen[ResultT]):
    """A screen of CrmApp: `self.app` is typed as the CrmApp it runs in (Textual types it App[Any])."""

    FOOTER_ORDER: ClassVar[tuple[str, ...]] = ()
    """The actions of the keys most used here, most used first: the footer shows them in this order,
    as many as fit, then the screen's other shown keys (`KeyFooter`); help lists every key."""

    CHANGES_GROUP: ClassVar[str] = "changes"
    """The worker group `_change` runs its changes in."""

    if TYPE_CHECKING:  # at run time Textual's own `app` property answers, unchanged
        app = getters.app(CrmApp)

    def open_text_box(self, box: Input, key: str, character: str) -> None:
        """Show and focus `box` for the key (`key`, `character`) that opens it, bound with priority.

        Textual routes each key to the widget focused when the app takes it, and a screen's own
        binding acts only once the key has come back up from that widget: the keys typed in the same
        burst as "/" (a fast typist, an SSH link that delivers a burst at once) were already on their
        way to the list, and lost. A priority binding acts as the app takes the key, so the box has
        the focus for the next. In a text box, the key is text: it goes to the box as typed."""
        focused = self.focused
        if isinstance(focused, Input):
            focused.post_message(events.Key(key, character))
            return
        box.display = True
        self.set_focus(box)

    def _change(self, what: str, change: Awaitable[object], done: str = "") -> Worker[None]:
        """Run a change (written to the outbox, shown at once) in a worker; say `done`, or why it was
        refused ("Not <what>") or failed."""
        return self.run_worker(self._run_change(what, change, done), name="_change", group=self.CHANGES_GROUP, exit_on_error=False)

    async def _run_change(self, what: str, change: Awaitable[object], done: str) -> None:
        try:
            await change
        except CommandRefused as exc:
            self.notify(str(exc), title=f"Not {what}", severity="warning", timeout=5)
            return
        except BackendError as exc:
            self.notify(exc.user_message, title=failure_title(exc), severity="error", timeout=6)
            return
        if done:
            self.notify(done, timeout=3)

    def _undo_last(self, undo: Callable[[], Awaitable[Command]]) -> Worker[None]:
        """Undo the last change (`undo`: a service's, answering the command that undid it) in a worker
        of the screen's changes group; say what was undone, that there was nothing, or why not."""

        async def run() -> None:
            try:
                command = await undo()
            except NothingToUndo:
                self.notify("Nothing to undo", timeout=2)
                return
            except CommandRefused as exc:
                self.notify(str(exc), title="Not undone", severity="warning", timeout=5)
                return
            self.notify(f"Undone: {command.describe()}", timeout=3)

        return self.run_worker(run(), name="_undo", group=self.CHANGES_GROUP, exit_on_error=False)

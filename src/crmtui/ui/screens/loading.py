"""What the files, goals and filters screens do alike to read what they show: read it when opened if
the app is connected, else once it connects; read again when the connection comes back after a read
that failed; a failed read kept (`load_error`), shown and said. The goals and saved-filters screens
each show one board of the service (BoardScreen): made when first asked for, followed while the
screen is mounted, read the same way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

from crmtui.backends.errors import BackendError
from crmtui.service.signals import Signal
from crmtui.ui.failures import failure_title
from crmtui.ui.follow import FollowsServices, follow
from crmtui.ui.reconnect import load_failed, reload_when_online
from crmtui.ui.screens.base import CrmScreen


class LoadsWhenConnected(CrmScreen[None]):
    """Mixed into a screen with a `load` worker, a `_show` and a service that says when it has `_loaded`."""

    load_error: BackendError | None = None
    """Why the last read failed (None once one succeeds)."""

    def load(self) -> object:
        raise NotImplementedError

    def _show(self) -> None:
        raise NotImplementedError

    def _loaded(self) -> bool:
        """Whether what the screen shows has been read."""
        raise NotImplementedError

    def _reload_when_online(self) -> None:
        reload_when_online(self, lambda: self.load_error is not None, self.load)

    def _load_when_connected(self) -> None:
        if self.app.session.account is not None:
            self.load()
        else:  # opened before the app finished connecting
            self.watch(self.app, "account_label", self._connected, init=False)

    def _connected(self, label: str) -> None:
        if label and not self._loaded():
            self.load()

    def _failed(self, exc: BackendError) -> None:
        self.load_error = exc
        load_failed(self, [exc])
        self._show()
        self.notify(exc.user_message, title=failure_title(exc), severity="error", timeout=6)


class Board(Protocol):
    """A view of the service a screen shows whole (GoalsBoard, FiltersBoard)."""

    loaded: bool
    changes: Signal[Any]

    async def load(self) -> object: ...

    def detach(self) -> None: ...


B = TypeVar("B", bound=Board)


class BoardScreen(FollowsServices, LoadsWhenConnected, Generic[B]):
    """A screen showing one board: `make_board` makes it when first asked for; `_follow_board` (from
    `on_mount`) shows each of its changes; `_read_board` is the body of the screen's `load` worker."""

    def __init__(self) -> None:
        super().__init__()
        self._board: B | None = None
        self._unfollow: Callable[[], None] | None = None

    def make_board(self) -> B:
        raise NotImplementedError

    @property
    def board(self) -> B:
        if self._board is None:
            self._board = self.make_board()
        return self._board

    def _loaded(self) -> bool:
        return self.board.loaded

    def _follow_board(self) -> None:
        self._unfollow = follow(self, self.board.changes, lambda _changed: self._show())
        self._reload_when_online()

    def on_unmount(self) -> None:
        if self._unfollow is not None:
            self._unfollow()
        if self._board is not None:
            self._board.detach()

    async def _read_board(self) -> None:
        """Read the board and show it (or keep and say why it could not be read)."""
        try:
            await self.board.load()
        except BackendError as exc:
            self._failed(exc)
            return
        self.load_error = None
        self._show()

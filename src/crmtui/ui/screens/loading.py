"""What the files, goals and filters screens do alike to read what they show: read it when opened if
the app is connected, else once it connects; read again when the connection comes back after a read
that failed; a failed read kept (`load_error`), shown and said."""

from __future__ import annotations

from crmtui.backends.errors import BackendError
from crmtui.ui.failures import failure_title
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

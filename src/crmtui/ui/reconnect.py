"""Screens that failed to load during an outage load again by themselves once the connection is back.

The signal is the app's `offline_since` going back to None: what the action stream's refresh and the
outbox's first sent change after an outage set off (`CrmApp._back_online`). A screen whose load failed
because the server could not be reached also tells the app it is offline, so that return is noticed
(the app tries the server every few seconds while offline).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, cast

from textual.screen import Screen

from crmtui.backends.errors import BackendError, Offline, TooSlow

if TYPE_CHECKING:
    from crmtui.ui.app import CrmApp


def reload_when_online(screen: Screen[Any], failed: Callable[[], bool], reload: Callable[[], object]) -> None:
    """Call `reload()` when the connection returns while `failed()` (what the screen shows did not load)."""

    def connection_changed(since: object) -> None:
        if since is None and failed():
            reload()

    screen.watch(screen.app, "offline_since", connection_changed, init=False)


def load_failed(screen: Screen[Any], errors: Iterable[BaseException]) -> None:
    """A load failed: when the server could not be reached, the app is offline from now (and says so)."""
    if any(isinstance(e, Offline) and not isinstance(e, TooSlow) for e in errors if isinstance(e, BackendError)):
        cast("CrmApp", screen.app).went_offline()

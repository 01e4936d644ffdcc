"""How a change that did not reach the server is announced, the same on every screen."""

from __future__ import annotations

from crmtui.backends.errors import BackendError, Offline, RateLimited


def failure_title(error: BackendError) -> str:
    """The notification title for a change put back after `error`."""
    if isinstance(error, RateLimited):
        return "Throttled by the server"
    if isinstance(error, Offline):
        return "Could not reach the server"
    return "The server refused"

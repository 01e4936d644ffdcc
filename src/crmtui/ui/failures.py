"""How a failure to reach or use the server is announced, the same on every screen."""

from __future__ import annotations

from crmtui.backends.errors import BackendError, Offline, RateLimited, TooSlow


def failure_title(error: BackendError) -> str:
    """The notification title for a change put back after `error`."""
    if isinstance(error, RateLimited):
        return "Throttled by the server"
    if isinstance(error, TooSlow):
        return "The server is too slow"
    if isinstance(error, Offline):
        return "Could not reach the server"
    return "The server refused"


def refresh_failure(error: BaseException) -> str:
    """One line for the header and the toast when a refresh fails; the data shown stays."""
    if isinstance(error, BackendError):
        return error.user_message
    return f"Unexpected problem while refreshing ({type(error).__name__}); the data shown stays"

"""Typed errors every backend raises. Screens show `user_message`; nothing else leaks.

A message often quotes the server (its error text, a field's complaint), so it is made inert on
the way in: whatever shows or logs an error draws it, never obeys it.
"""

from __future__ import annotations

from crmtui.domain.text import inert_line, inert_text


class BackendError(Exception):
    """Base of every error a backend raises. `user_message` is safe to show to a person."""

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_name: str | None = None,
        errors: dict[str, str] | None = None,
    ) -> None:
        message = inert_text(message)
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_name = inert_line(error_name) if error_name is not None else None
        self.errors: dict[str, str] = {inert_line(str(k)): inert_line(str(v)) for k, v in (errors or {}).items()}

    @property
    def user_message(self) -> str:
        if self.errors:
            detail = "; ".join(f"{k}: {v}" for k, v in self.errors.items())
            return f"{self.message} ({detail})"
        return self.message


class AuthError(BackendError):
    """401: wrong user id or API key."""


class PermissionDenied(BackendError):
    """403 with a JSON body: the user may not do this."""


class RateLimited(BackendError):
    """429, or 403 with a plain-text body (OnePageCRM's throttling)."""

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status: int | None = None,
        error_name: str | None = None,
        errors: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, status=status, error_name=error_name, errors=errors)
        self.retry_after = retry_after


class NotFound(BackendError):
    """404."""


class Conflict(BackendError):
    """409: server state does not allow the operation (e.g. promote with a next action)."""


class ValidationFailed(BackendError):
    """400/422 with field errors."""


class ServerError(BackendError):
    """5xx."""

    retryable = True


class Offline(BackendError):
    """Could not reach the server: connect error, timeout, dropped connection."""

    retryable = True
    maybe_sent = True
    """False when the request certainly never reached the server (the connection was refused)."""


class MalformedResponse(BackendError):
    """The server answered something that does not parse as the API promises."""


class TooSlow(Offline):
    """The server did not finish answering within the request's deadline (headers or body trickled in).

    An Offline: the request may have reached the server, and the answer is lost.
    """


class ListingTooLarge(MalformedResponse):
    """A listing claims or sends more pages or records than a client reads."""


class Unsupported(BackendError):
    """The backend does not provide what was asked (a feature family it lacks). Never retried."""

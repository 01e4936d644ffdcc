"""Typed errors every backend raises. Screens show `user_message`; nothing else leaks.

A message often quotes the server (its error text, a field's complaint), so it is made inert on
the way in: whatever shows or logs an error draws it, never obeys it.
"""

from __future__ import annotations

import datetime as dt

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


class TokenExpired(AuthError):
    """The credential was right but has run out (Crust: the JWT's `exp` passed): sign in again."""


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


def _clock_text(moment: dt.datetime, now: dt.datetime) -> str:
    """"12:41" in this machine's zone (the person's), with the day when it is not today."""
    local = moment.astimezone()
    today = now.astimezone(local.tzinfo).date()
    return local.strftime("%H:%M") if local.date() == today else local.strftime("%Y-%m-%d %H:%M")


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


class Blocked(RateLimited):
    """The server blocks this credential until `until` (Pipedrive: Cloudflare's 403 page after too
    many requests). Nothing is sent before then, by any process on the profile; never retried sooner."""

    def __init__(
        self, until: dt.datetime, *, server: str = "The server", now: dt.datetime | None = None, status: int | None = None
    ) -> None:
        self.until = _aware(until)
        now = _aware(now) if now is not None else dt.datetime.now(dt.timezone.utc)
        wait = max(0.0, (self.until - now).total_seconds())
        super().__init__(
            f"{server} has blocked this API token after too many requests; crmtui sends nothing until "
            f"{_clock_text(self.until, now)}",
            retry_after=wait,
            status=status,
        )


class BudgetExhausted(RateLimited):
    """The account's daily API budget is spent: nothing is sent until the server's next day (`until`)."""

    def __init__(
        self,
        until: dt.datetime,
        *,
        server: str = "The server",
        budget: int | None = None,
        now: dt.datetime | None = None,
        status: int | None = None,
    ) -> None:
        self.until = _aware(until)
        self.budget = budget
        now = _aware(now) if now is not None else dt.datetime.now(dt.timezone.utc)
        wait = max(0.0, (self.until - now).total_seconds())
        spent = f" ({budget:,} tokens)" if budget else ""
        super().__init__(
            f"{server}'s daily API budget for this company is spent{spent}; crmtui sends nothing until the "
            f"server's next day ({_clock_text(self.until, now)})",
            retry_after=wait,
            status=status,
        )

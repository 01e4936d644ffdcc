"""What a failed connection to the CRM means, in one sentence a person can act on.

Shared by `crmtui login` (after "crmtui login: ") and the app's connection error screen, so both
say the same thing about the same failure.
"""

from __future__ import annotations

from crmtui.backends.errors import (
    AuthError,
    BackendError,
    MalformedResponse,
    NotFound,
    Offline,
    PermissionDenied,
    RateLimited,
    ServerError,
    TooSlow,
)

API_KEY_HELP = "OnePageCRM: Apps > Configuration > API (the user id and API key are shown there)"


def explain(error: BackendError, base_url: str) -> str:
    """One sentence (starting in lower case) for each way checking the credentials can fail; every
    one names the address, so a person with several servers (or a typo in one) sees which it was."""
    if isinstance(error, AuthError):
        return f"wrong user id or API key: the server at {base_url} refused them (check " + API_KEY_HELP + ")"
    if isinstance(error, RateLimited):
        wait = f" in {error.retry_after:g} s" if error.retry_after else " in a minute"
        return f"the server at {base_url} is throttling requests; try again{wait}"
    if isinstance(error, PermissionDenied):
        return f"this account may not use the API at {base_url}: {error.user_message}"
    if isinstance(error, TooSlow):
        return f"the server at {base_url} is too slow (no complete answer in time); check your network, then try again"
    if isinstance(error, Offline):
        return f"cannot reach {base_url}: {error.user_message} (check the address and your network)"
    if isinstance(error, NotFound):
        return f"no OnePageCRM API at {base_url} (the server answered 404); check --base-url"
    if isinstance(error, ServerError):
        return f"the server at {base_url} failed ({error.user_message}); try again later"
    if isinstance(error, MalformedResponse):
        return f"{base_url} did not answer like the OnePageCRM API ({error.user_message}); check --base-url"
    return f"{base_url} answered: {error.user_message}"

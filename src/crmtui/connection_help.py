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


def explain(error: BackendError, base_url: str, *, api: str = "OnePageCRM API", token_help: str | None = None) -> str:
    """One sentence (starting in lower case) for each way checking the credentials can fail; every
    one names the address, so a person with several servers (or a typo in one) sees which it was.
    `api` names the API the address should be; `token_help` where a token comes from (a backend
    signed in with one token, not OnePageCRM's user id and API key)."""
    if isinstance(error, AuthError):
        if token_help is not None:  # the server's own words: expired, bad signature, unauthorized
            return f"the server at {base_url} refused the token: {error.user_message} (check {token_help})"
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
        return f"no {api} at {base_url} (the server answered 404); check --base-url"
    if isinstance(error, ServerError):
        return f"the server at {base_url} failed ({error.user_message}); try again later"
    if isinstance(error, MalformedResponse):
        return f"{base_url} did not answer like the {api} ({error.user_message}); check --base-url"
    return f"{base_url} answered: {error.user_message}"

"""What a Crust JWT says about itself, read without verifying it (the server holds the key; it decides).

The client needs two claims: `sub`, the signed-in user's id (a string of digits: the CRM API has no
"me" endpoint), and `exp`, when the token runs out (the real server's tokens last 3600 minutes), so
that the person is warned a day ahead rather than refused mid-edit. Nothing here prints or logs a token.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import math
from dataclasses import dataclass
from typing import Any

WARN_AHEAD = dt.timedelta(days=1)
"""How long before its expiry a token is worth a warning."""


class NotAToken(ValueError):
    """The text is not a JWT (three base64url segments whose middle one is a JSON object)."""


@dataclass(frozen=True)
class TokenFacts:
    subject: str
    """The user id the token names ('' when it names none)."""
    expires: dt.datetime | None
    """When it runs out (None: it says no expiry)."""

    def expired(self, now: dt.datetime) -> bool:
        return self.expires is not None and now >= self.expires

    def expires_soon(self, now: dt.datetime, ahead: dt.timedelta = WARN_AHEAD) -> bool:
        """Runs out within `ahead` of `now` (or already has)."""
        return self.expires is not None and now + ahead >= self.expires

    def warning(self, now: dt.datetime) -> str | None:
        """A line for the person when the token runs out within a day (None: not soon, or never)."""
        if self.expires is None or not self.expires_soon(now):
            return None
        if self.expired(now):
            return "The Crust token has expired: run `crmtui login --backend crust` with a new one"
        left = self.expires - now
        hours = left.total_seconds() / 3600
        span = f"{math.ceil(hours)} hour(s)" if hours >= 1 else f"{max(1, math.ceil(left.total_seconds() / 60))} minute(s)"
        when = self.expires.astimezone().strftime("%Y-%m-%d %H:%M")
        return f"The Crust token expires in {span} ({when}): run `crmtui login --backend crust` with a new one before then"


def _segment(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise NotAToken("not a JWT: a part is not base64url") from None


def read_token(token: str) -> TokenFacts:
    """The subject and expiry a JWT claims (not verified: only the server can)."""
    parts = token.strip().split(".")
    if len(parts) != 3 or not all(parts[:2]):
        raise NotAToken("not a JWT: it has not three dot-separated parts")
    try:
        claims: Any = json.loads(_segment(parts[1]))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise NotAToken("not a JWT: its claims are not JSON") from None
    if not isinstance(claims, dict):
        raise NotAToken("not a JWT: its claims are not a JSON object")
    sub = claims.get("sub")
    subject = sub if isinstance(sub, str) else str(sub) if isinstance(sub, int) and not isinstance(sub, bool) else ""
    exp = claims.get("exp")
    expires = None
    if isinstance(exp, (int, float)) and not isinstance(exp, bool) and math.isfinite(exp):
        try:
            expires = dt.datetime.fromtimestamp(exp, dt.timezone.utc)
        except (OverflowError, OSError, ValueError):
            expires = None
    return TokenFacts(subject=subject.strip(), expires=expires)

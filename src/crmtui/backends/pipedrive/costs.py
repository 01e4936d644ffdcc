"""What each Pipedrive operation the client sends costs from the company's daily token budget.

The spec's `x-token-cost` of every operation crmtui uses, checked in (the spec is not shipped with
crmtui); tests/contract/test_pipedrive_client_costs.py compares this table with the spec. A request
costs the same whatever its `limit` (Pipedrive's rate-limiting doc), so paging with the largest
limit is the cheap way to read a list.
"""

from __future__ import annotations

import re
from functools import cache

TOKEN_COSTS: dict[tuple[str, str], int] = {
    ("GET", "/users/me"): 2,
    ("GET", "/users"): 20,
    ("GET", "/leads"): 20,
    ("POST", "/leads"): 10,
    ("GET", "/leads/archived"): 40,
    ("GET", "/leads/search"): 40,
    ("GET", "/itemSearch"): 40,
    ("GET", "/leads/{id}"): 2,
    ("PATCH", "/leads/{id}"): 10,
    ("DELETE", "/leads/{id}"): 6,
    ("GET", "/leads/{id}/permittedUsers"): 10,
    ("GET", "/leadLabels"): 10,
    ("GET", "/leadSources"): 2,
    ("GET", "/leadFields"): 20,
    ("GET", "/persons/{id}"): 2,
    ("GET", "/organizations/{id}"): 2,
    ("GET", "/filters"): 20,
    ("GET", "/filters/{id}"): 2,
    ("GET", "/filters/helpers"): 20,
    ("POST", "/filters"): 10,
    ("PUT", "/filters/{id}"): 10,
    ("DELETE", "/filters/{id}"): 6,
    ("DELETE", "/filters"): 10,
    ("POST", "/files"): 10,
    ("GET", "/files/{id}/download"): 20,
    ("GET", "/goals/find"): 20,
    ("GET", "/goals/{id}/results"): 20,
    ("POST", "/goals"): 10,
    ("PUT", "/goals/{id}"): 10,
    ("DELETE", "/goals/{id}"): 6,
    ("GET", "/legacyTeams"): 20,
    ("POST", "/legacyTeams"): 10,
    ("GET", "/legacyTeams/{id}"): 2,
    ("PUT", "/legacyTeams/{id}"): 10,
    ("GET", "/legacyTeams/{id}/users"): 20,
    ("POST", "/legacyTeams/{id}/users"): 10,
    ("DELETE", "/legacyTeams/{id}/users"): 10,
    ("GET", "/legacyTeams/user/{id}"): 20,
    ("GET", "/activities"): 20,
    ("GET", "/activities/{id}"): 2,
    ("PUT", "/activities/{id}"): 10,
}
"""(method, path template as in the spec) -> tokens charged per request."""

UNKNOWN_COST = 20
"""Charged for an operation missing from the table: as much as a listing, so a gap errs on the safe side."""

SEARCH_PATHS = re.compile(r"/(itemSearch(/field)?|leads/search)$")
"""Operations counted in the separate search window (10 requests per 2 seconds on every plan)."""


@cache
def _patterns() -> tuple[tuple[str, re.Pattern[str], str], ...]:
    out = []
    for method, template in TOKEN_COSTS:
        regex = re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)) + "$")
        out.append((method, regex, template))
    # Literal paths first, so /leads/search is not read as /leads/{id}.
    out.sort(key=lambda item: "{" in item[2])
    return tuple(out)


def normalise(path: str) -> str:
    """A request path as the table has it: one leading slash, no query, no trailing slash, no /api/v1."""
    path = "/" + path.split("?", 1)[0].strip("/")
    for prefix in ("/api/v1", "/v1"):
        if path.startswith(prefix + "/"):
            path = path[len(prefix) :]
    return path


def operation(method: str, path: str) -> str | None:
    """The path template of (method, path) in the table, or None."""
    method = method.upper()
    path = normalise(path)
    for candidate, regex, template in _patterns():
        if candidate == method and regex.match(path):
            return template
    return None


def cost_of(method: str, path: str) -> int:
    template = operation(method, path)
    return TOKEN_COSTS[(method.upper(), template)] if template is not None else UNKNOWN_COST


def is_search(path: str) -> bool:
    """Whether a path (relative to the API, or a whole URL's path under any prefix) is a search."""
    return SEARCH_PATHS.search(normalise(path)) is not None

"""What each operation of the sandbox costs from the daily token budget (the spec's `x-token-cost`).

The spec is not shipped with crmtui, so the costs of the operations the sandbox serves are kept
here; tests/contract/test_pipedrive_costs.py checks this table against the spec's `x-token-cost`.
"""

from __future__ import annotations

TOKEN_COSTS: dict[tuple[str, str], int] = {
    ("GET", "/users/me"): 2,
    ("GET", "/users"): 20,
    ("GET", "/leads"): 20,
    ("POST", "/leads"): 10,
    ("GET", "/leads/archived"): 40,
    ("GET", "/leads/search"): 40,
    ("GET", "/leads/{id}"): 2,
    ("PATCH", "/leads/{id}"): 10,
    ("DELETE", "/leads/{id}"): 6,
    ("GET", "/leads/{id}/permittedUsers"): 10,
    ("GET", "/leadLabels"): 10,
    ("POST", "/leadLabels"): 10,
    ("PATCH", "/leadLabels/{id}"): 10,
    ("DELETE", "/leadLabels/{id}"): 6,
    ("GET", "/leadSources"): 2,
    ("GET", "/leadFields"): 20,
    ("GET", "/persons/{id}"): 2,
    ("GET", "/organizations/{id}"): 2,
    ("GET", "/itemSearch"): 40,
    ("GET", "/itemSearch/field"): 40,
    ("GET", "/files"): 20,
    ("POST", "/files"): 10,
    ("POST", "/files/remote"): 10,
    ("POST", "/files/remoteLink"): 10,
    ("GET", "/files/{id}"): 2,
    ("PUT", "/files/{id}"): 10,
    ("DELETE", "/files/{id}"): 6,
    ("GET", "/files/{id}/download"): 20,
    ("POST", "/goals"): 10,
    ("GET", "/goals/find"): 20,
    ("PUT", "/goals/{id}"): 10,
    ("DELETE", "/goals/{id}"): 6,
    ("GET", "/goals/{id}/results"): 20,
    ("GET", "/legacyTeams"): 20,
    ("POST", "/legacyTeams"): 10,
    ("GET", "/legacyTeams/{id}"): 2,
    ("PUT", "/legacyTeams/{id}"): 10,
    ("GET", "/legacyTeams/{id}/users"): 20,
    ("POST", "/legacyTeams/{id}/users"): 10,
    ("DELETE", "/legacyTeams/{id}/users"): 10,
    ("GET", "/legacyTeams/user/{id}"): 20,
    ("GET", "/filters"): 20,
    ("POST", "/filters"): 10,
    ("DELETE", "/filters"): 10,
    ("GET", "/filters/helpers"): 20,
    ("GET", "/filters/{id}"): 2,
    ("PUT", "/filters/{id}"): 10,
    ("DELETE", "/filters/{id}"): 6,
    ("GET", "/activities"): 20,
    ("GET", "/activities/{id}"): 2,
    ("PUT", "/activities/{id}"): 10,
}
"""(method, path template as in the spec) -> tokens charged per request, whatever its `limit`."""

UNKNOWN_COST = 10
"""Charged for a request that matches no route (a 404 still reaches the API)."""

"""Check the Pipedrive sandbox's answers against the official Pipedrive v1 spec (../shared/specs).

The spec's server is `https://api.pipedrive.com/v1`; the sandbox serves `/api/v1` (the company-domain
form), so paths are mapped before they are matched. `require_pipedrive_spec()` skips the calling
test with a clear reason when the spec is absent, as the OnePageCRM contract tests do.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from tests.support.openapi import SpecValidator, specs_dir

SPEC_FILENAME = "pipedrive-v1.yaml"


def pipedrive_spec_path() -> Path:
    return specs_dir() / SPEC_FILENAME


def require_pipedrive_spec() -> Path:
    import pytest

    path = pipedrive_spec_path()
    if not path.is_file():
        pytest.skip(f"official Pipedrive spec not found at {path}; contract tests need ../shared/specs")
    return path


def load_pipedrive_validator() -> SpecValidator:
    return SpecValidator.load(require_pipedrive_spec())


def spec_url(url: str) -> str:
    """The sandbox's /api/v1/... as the spec's /v1/..."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.replace("/api/v1", "/v1", 1)))


def without_empty_values(body: Any) -> tuple[Any, int]:
    """The body with each lead's `value: {}` (the real API's deliberate deviation) read as null, and how many there were."""
    body = copy.deepcopy(body)
    data = body.get("data") if isinstance(body, dict) else None
    leads = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
    count = 0
    for lead in leads:
        if isinstance(lead, dict) and lead.get("value") == {}:
            lead["value"] = None
            count += 1
    return body, count


def response_problems(validator: SpecValidator, response: httpx.Response, *, tolerate_empty_values: bool = True) -> list[str]:
    """What in `response` (status, content type, body) the spec does not allow."""
    request = response.request
    raw = response.content
    if tolerate_empty_values and "json" in response.headers.get("content-type", ""):
        raw = json.dumps(without_empty_values(response.json())[0]).encode()
    return validator.validate_response(
        request.method, spec_url(str(request.url)), response.status_code, response.headers.get("content-type"), raw,
        require_envelope=False,
    )


def request_problems(validator: SpecValidator, response: httpx.Response) -> list[str]:
    """What in the request that got `response` the spec does not allow (api_token is the spec's own security)."""
    request = response.request
    url = httpx.URL(str(request.url))
    url = url.copy_remove_param("api_token")
    return validator.validate_request(request.method, spec_url(str(url)), request.content, request.headers.get("content-type"))

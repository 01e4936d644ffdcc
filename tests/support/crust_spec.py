"""Check requests against the Crust CRM API spec (../shared/specs/crust/spec.json: the real server's
titpetric/spec file at crust-server 73728bcf), and answers against the JSON Schemas written from the
server's Go types (tests/support/crust_schemas.py: the spec has no response types at all).

`require_crust_spec()` skips the calling test with a clear reason when the spec is absent, as the
OnePageCRM and Pipedrive contract tests do.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx

from tests.support.openapi import specs_dir

AUTH_PARAMS = frozenset({"jwt"})
"""Where the server also reads a token (jwtauth), though the spec lists no authentication."""


def crust_spec_path() -> Path:
    return specs_dir() / "crust" / "spec.json"


def require_crust_spec() -> Path:
    import pytest

    path = crust_spec_path()
    if not path.is_file():
        pytest.skip(f"Crust CRM spec not found at {path}; contract tests need ../shared/specs/crust")
    return path


@dataclass(frozen=True)
class Operation:
    group: str
    name: str
    method: str
    template: str
    """The full path as the server routes it: the group's path and the api's (`/module/`, `/module/{moduleID}/content`)."""
    path_params: frozenset[str]
    get_params: frozenset[str]
    post_params: frozenset[str]
    required: frozenset[str]

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.template

    def regex(self) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.template)) + "$")


def load_operations(path: Path | None = None) -> list[Operation]:
    groups = json.loads((path or require_crust_spec()).read_text())
    out: list[Operation] = []
    for group in groups:
        for api in group["apis"]:
            params = api.get("parameters") or {}

            def names(where: str, params: dict = params) -> frozenset[str]:
                return frozenset(p["name"] for p in params.get(where) or [])

            required = frozenset(p["name"] for where in ("get", "post") for p in params.get(where) or [] if p.get("required"))
            template = group["path"] + api["path"]
            in_path = frozenset(n for n in names("path") if "{" + n + "}" in template)
            # Job.logs lists page and perPage as PATH parameters with no place in its path: they are read as query ones.
            out.append(Operation(
                group["entrypoint"], api["name"], api["method"].upper(), template,
                in_path, names("get") | (names("path") - in_path), names("post"), required,
            ))
    return out


def find_operation(operations: list[Operation], method: str, path: str) -> Operation | None:
    """The operation a request is for (a collection also answers without its trailing slash)."""
    candidates = [path, path + "/"] if path.count("/") == 1 else [path]
    for candidate in candidates:
        found = [op for op in operations if op.method == method and op.regex().match(candidate)]
        if found:  # a static segment first, as chi routes (`/page/tree` before `/page/{pageID}`)
            return min(found, key=lambda op: len(op.path_params))
    return None


def request_problems(operations: list[Operation], request: httpx.Request) -> list[str]:
    """What in `request` spec.json does not allow: an unknown method and path, query or body
    parameters it does not name, a JSON body not sent as exactly `application/json`."""
    url = urlsplit(str(request.url))
    operation = find_operation(operations, request.method, url.path)
    if operation is None:
        return [f"{request.method} {url.path}: no such operation in spec.json"]
    problems: list[str] = []
    for name, _ in parse_qsl(url.query, keep_blank_values=True):
        if name not in operation.get_params | AUTH_PARAMS:
            problems.append(f"{request.method} {operation.template}: query parameter {name!r} is not in the spec")
    body = request.content
    if body:
        content_type = request.headers.get("content-type", "")
        if content_type != "application/json":
            problems.append(f"{request.method} {operation.template}: body sent as {content_type!r}, not exactly application/json")
        else:
            sent = json.loads(body)
            allowed = {p.lower() for p in operation.post_params}
            for key in sent if isinstance(sent, dict) else []:
                if key.lower() not in allowed:
                    problems.append(f"{request.method} {operation.template}: body parameter {key!r} is not in the spec")
    return problems

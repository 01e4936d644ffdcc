"""Validate HTTP requests and responses against the official OnePageCRM OpenAPI 3.0 spec.

The spec lives outside the repository (../shared/specs, or $CRMTUI_SPECS_DIR). Tests that need it
call `require_spec()`, which skips them with a clear reason when it is absent.

    validator = SpecValidator.load()
    problems = validator.validate_request("GET", url, b"", None)
    problems += validator.validate_response("GET", url, 200, "application/json", body)
    assert_conforms(problems)

Every check returns a list of human-readable problem strings; an empty list means "conforms".
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import yaml
from jsonschema import Draft202012Validator

from .openapi_schema import FORMAT_CHECKER, REQUEST_BASE, RESPONSE_BASE, build_registry

SPEC_FILENAME = "onepagecrm-v3.yaml"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
MAX_ERRORS_PER_CHECK = 15
SUCCESS_ENVELOPE = ("status", "message", "timestamp", "data")
ERROR_ENVELOPE = ("status", "message", "error_name", "error_message", "errors")


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def specs_dir() -> Path:
    override = os.environ.get("CRMTUI_SPECS_DIR")
    return Path(override) if override else repo_root().parent / "shared" / "specs"


def spec_path() -> Path:
    return specs_dir() / SPEC_FILENAME


def spec_available() -> bool:
    return spec_path().is_file()


def require_spec() -> Path:
    """Skip the calling test when the official spec is not present; return its path otherwise."""
    import pytest

    path = spec_path()
    if not path.is_file():
        pytest.skip(f"official OnePageCRM spec not found at {path}; contract tests need ../shared/specs")
    return path


def assert_conforms(problems: Iterable[str], context: str = "") -> None:
    problems = list(problems)
    if problems:
        head = f"{context}: " if context else ""
        raise AssertionError(head + f"{len(problems)} spec problem(s):\n  " + "\n  ".join(problems))


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def _media(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _describe(error: Any) -> str:
    where = error.json_path if error.json_path != "$" else "(root)"
    message = error.message if len(error.message) <= 300 else error.message[:300] + "..."
    return f"{where}: {message}"


# since/until/modified_since/unmodified_since declare `format: date-time` with a date as example, so
# the converter drops the contradicted format and the schema alone would admit any string; their
# descriptions say what the API takes: "date must be in format `YYYY-MM-DD` or UNIX timestamp".
_DATE_OR_UNIX_TEXT = re.compile(r"YYYY-MM-DD`?\s+or\s+UNIX timestamp", re.IGNORECASE)
_DATE_OR_UNIX = re.compile(r"^(\d{4}-\d{2}-\d{2}|\d+)$")


def _described_form_problems(param: dict[str, Any], raw: str, label: str) -> list[str]:
    """Check a parameter whose description (not its schema) fixes the form of its value."""
    if not _DATE_OR_UNIX_TEXT.search(str(param.get("description") or "")):
        return []
    if _DATE_OR_UNIX.match(raw) and (raw.isdigit() or FORMAT_CHECKER.conforms(raw, "date")):
        return []
    return [f"{label}: must be a date (YYYY-MM-DD) or a UNIX timestamp, as the parameter's description says"]


# Custom, company and deal field values: the spec types `value` as a string, but real answers carry
# numbers (number fields) and lists of strings (multiple choice), and OnePageCRM's own Java client
# sends them back in that shape; flattening a list to "a, b" would corrupt the value. So a number or
# a list of strings is accepted there, in requests and responses; anything else is still a problem.
_FIELD_VALUE_PATH = re.compile(r"(^|\.)(custom_fields|company_fields|deal_fields)\[\d+\]\.value$")


def _typed_field_value(error: Any) -> bool:
    if error.validator != "type" or not _FIELD_VALUE_PATH.search(error.json_path):
        return False
    value = error.instance
    if isinstance(value, bool):
        return False
    return isinstance(value, (int, float)) or (isinstance(value, list) and all(isinstance(v, str) for v in value))


@dataclass(frozen=True)
class Operation:
    template: str
    method: str
    pointer: str  # JSON pointer of the operation object inside the document
    spec: dict[str, Any]
    parameters: tuple[dict[str, Any], ...]

    def params(self, location: str) -> dict[str, dict[str, Any]]:
        return {p["name"]: p for p in self.parameters if p.get("in") == location}


class SpecValidator:
    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.registry = build_registry(raw)
        servers = raw.get("servers") or [{"url": "/"}]
        self.base_path = urlsplit(servers[0]["url"]).path.rstrip("/")
        self._templates = [(t, self._split(t)) for t in raw["paths"]]
        self._validators: dict[str, Draft202012Validator] = {}

    @classmethod
    def load(cls, path: Path | None = None) -> SpecValidator:
        return _load_cached(str(path or spec_path()))

    # --- spec navigation --------------------------------------------------------------------

    def deref(self, node: Any) -> Any:
        """Follow non-schema `$ref`s (parameters, responses, request bodies) in the raw document."""
        seen = 0
        while isinstance(node, dict) and "$ref" in node:
            node = self.pointer(node["$ref"].lstrip("#"))
            seen += 1
            if seen > 20:
                raise ValueError("reference cycle")
        return node

    def pointer(self, pointer: str) -> Any:
        node: Any = self.raw
        for token in pointer.strip("/").split("/") if pointer.strip("/") else []:
            token = token.replace("~1", "/").replace("~0", "~")
            node = node[int(token)] if isinstance(node, list) else node[token]
        return node

    @staticmethod
    def _split(path: str) -> list[str]:
        return [seg for seg in path.strip("/").split("/") if seg]

    def _relative_path(self, url: str) -> tuple[str | None, str]:
        """Strip the server base path and the optional `.json` suffix; None when outside the API."""
        path = urlsplit(url).path
        if self.base_path:
            if path == self.base_path or not path.startswith(self.base_path + "/"):
                return None, path
            path = path[len(self.base_path) :]
        if path.endswith(".json"):
            path = path[: -len(".json")]
        return path, urlsplit(url).path

    def match(self, method: str, url: str) -> tuple[Operation | None, dict[str, str], list[str]]:
        """Find the operation for (method, url): (operation, path params, problems)."""
        rel, full = self._relative_path(url)
        if rel is None:
            return None, {}, [f"{method} {full}: not under the API base path {self.base_path!r}"]
        segments = [unquote(s) for s in self._split(rel)]
        candidates: list[tuple[int, str, dict[str, str]]] = []
        for template, parts in self._templates:
            if len(parts) != len(segments):
                continue
            params: dict[str, str] = {}
            literal = 0
            for part, seg in zip(parts, segments, strict=True):
                if part.startswith("{") and part.endswith("}"):
                    params[part[1:-1]] = seg
                elif part == seg:
                    literal += 1
                else:
                    break
            else:
                candidates.append((literal, template, params))
        if not candidates:
            return None, {}, [f"{method} {rel}: no path in the spec matches"]
        candidates.sort(key=lambda c: -c[0])
        m = method.lower()
        for _, template, params in candidates:
            item = self.raw["paths"][template]
            if m in item:
                op_spec = item[m]
                shared = [self.deref(p) for p in item.get("parameters", [])]
                own = [self.deref(p) for p in op_spec.get("parameters", [])]
                merged = {(p["in"], p["name"]): p for p in [*shared, *own]}
                escaped = template.replace("~", "~0").replace("/", "~1")
                op = Operation(template, m, f"/paths/{escaped}/{m}", op_spec, tuple(merged.values()))
                return op, params, []
        allowed = sorted({k.upper() for _, t, _ in candidates for k in self.raw["paths"][t] if k in HTTP_METHODS})
        return None, {}, [f"{method} {rel}: method not in the spec for {candidates[0][1]} (has {', '.join(allowed)})"]

    # --- schema validation ------------------------------------------------------------------

    def _validator(self, base: str, pointer: str) -> Draft202012Validator:
        key = base + "#" + pointer
        if key not in self._validators:
            self._validators[key] = Draft202012Validator(
                {"$ref": key}, registry=self.registry, format_checker=FORMAT_CHECKER
            )
        return self._validators[key]

    def _schema_problems(self, base: str, pointer: str, instance: Any, label: str) -> list[str]:
        validator = self._validator(base, pointer)
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
        errors = [e for e in errors if not _typed_field_value(e)]
        problems = [f"{label} {_describe(e)}" for e in errors[:MAX_ERRORS_PER_CHECK]]
        if len(errors) > MAX_ERRORS_PER_CHECK:
            problems.append(f"{label} ... and {len(errors) - MAX_ERRORS_PER_CHECK} more")
        return problems

    @staticmethod
    def _coerce(raw: str, schema: dict[str, Any]) -> Any:
        """Interpret a query/path string by its schema type; return the raw string if it cannot."""
        kind = schema.get("type")
        if kind == "integer" and re.fullmatch(r"-?\d+", raw):
            return int(raw)
        if kind == "number" and re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", raw):
            return float(raw)
        if kind == "boolean" and raw in ("true", "false"):
            return raw == "true"
        return raw

    def _param_problems(self, op: Operation, location: str, values: dict[str, str], label: str) -> list[str]:
        problems: list[str] = []
        declared = op.params(location)
        for name, raw in values.items():
            param = declared.get(name)
            if param is None:
                problems.append(f"{label}: {location} parameter {name!r} is not declared for this operation")
                continue
            index = op.parameters.index(param)
            pointer = self._param_schema_pointer(op, param, index)
            value = self._coerce(raw, self.deref(param).get("schema", {}))
            problems += self._schema_problems(RESPONSE_BASE, pointer, value, f"{label}: {location} {name}={raw!r}")
            problems += _described_form_problems(self.deref(param), raw, f"{label}: {location} {name}={raw!r}")
        for name, param in declared.items():
            if param.get("required") and name not in values:
                problems.append(f"{label}: required {location} parameter {name!r} is missing")
        return problems

    def _param_schema_pointer(self, op: Operation, param: dict[str, Any], index: int) -> str:
        """JSON pointer to a parameter's schema (following the `$ref` it was declared with)."""
        item = self.raw["paths"][op.template]
        for container, prefix in ((op.spec, op.pointer), (item, op.pointer.rsplit("/", 1)[0])):
            for i, entry in enumerate(container.get("parameters", [])):
                if self.deref(entry) is param:
                    if "$ref" in entry:
                        ref = entry["$ref"].lstrip("#")
                        while "$ref" in self.pointer(ref):
                            ref = self.pointer(ref)["$ref"].lstrip("#")
                        return ref + "/schema"
                    return f"{prefix}/parameters/{i}/schema"
        raise LookupError(f"parameter {param.get('name')} not found (index {index})")

    # --- public API -------------------------------------------------------------------------

    def validate_request(
        self, method: str, url: str, body: bytes | None = None, content_type: str | None = None
    ) -> list[str]:
        op, path_params, problems = self.match(method, url)
        if op is None:
            return problems
        label = f"{method.upper()} {op.template}"
        problems += self._param_problems(op, "path", path_params, label)
        query = parse_qsl(urlsplit(url).query, keep_blank_values=True)
        names = [name for name, _ in query]
        for name in sorted({n for n in names if names.count(n) > 1}):
            problems.append(f"{label}: query parameter {name!r} repeated (the spec declares no array parameters)")
        problems += self._param_problems(op, "query", dict(query), label)
        problems += self._body_problems(op, body or b"", content_type, label)
        return problems

    def _body_problems(self, op: Operation, body: bytes, content_type: str | None, label: str) -> list[str]:
        request_body = self.deref(op.spec.get("requestBody")) if op.spec.get("requestBody") else None
        if not body:
            if request_body and request_body.get("required"):
                return [f"{label}: request body is required but none was sent"]
            return []
        if request_body is None:
            return [f"{label}: sends a {len(body)}-byte body but the operation declares no request body"]
        content = request_body.get("content", {})
        media = _media(content_type)
        if media not in content:
            return [f"{label}: request content type {media or '(none)'!r} not declared (has {sorted(content)})"]
        if not _is_json(media):
            return []
        try:
            instance = json.loads(body)
        except ValueError as exc:
            return [f"{label}: request body is not valid JSON ({exc})"]
        raw_ref = op.spec["requestBody"]
        base_pointer = raw_ref["$ref"].lstrip("#") if "$ref" in raw_ref else f"{op.pointer}/requestBody"
        escaped = media.replace("~", "~0").replace("/", "~1")
        return self._schema_problems(REQUEST_BASE, f"{base_pointer}/content/{escaped}/schema", instance, f"{label} body")

    def response_pointer(self, op: Operation, status: int, *, allow_undeclared_4xx: bool) -> str | None:
        responses = op.spec.get("responses", {})
        for key in (str(status), f"{str(status)[0]}XX", "default"):
            if key in responses:
                node = responses[key]
                if "$ref" in node:
                    return node["$ref"].lstrip("#")
                return f"{op.pointer}/responses/{key}"
        if allow_undeclared_4xx and 400 <= status < 500 and "400" in self.raw["components"].get("responses", {}):
            # The spec's 400 response says "the example below is the format for all responses in the 4XX range".
            return "/components/responses/400"
        return None

    def validate_response(
        self,
        method: str,
        url: str,
        status: int,
        content_type: str | None,
        body: bytes | None,
        *,
        allow_undeclared_4xx: bool = False,
        require_envelope: bool = True,
    ) -> list[str]:
        op, _, problems = self.match(method, url)
        if op is None:
            return problems
        label = f"{method.upper()} {op.template} -> {status}"
        pointer = self.response_pointer(op, status, allow_undeclared_4xx=allow_undeclared_4xx)
        if pointer is None:
            declared = ", ".join(str(k) for k in op.spec.get("responses", {}))
            return [f"{label}: status {status} is not declared for this operation (declared: {declared})"]
        content = self.deref(self.pointer(pointer)).get("content") or {}
        json_media = [m for m in content if _is_json(m)]
        if not content:
            return []  # the spec documents no body for this response: anything goes
        if not json_media:
            if _media(content_type) not in content:
                return [f"{label}: content type {_media(content_type)!r} not declared (has {sorted(content)})"]
            return []
        if not _is_json(content_type):
            return [f"{label}: spec declares a JSON body but got content type {_media(content_type) or '(none)'!r}"]
        try:
            instance = json.loads(body or b"")
        except ValueError as exc:
            return [f"{label}: body is not valid JSON ({exc})"]
        media = json_media[0]
        escaped = media.replace("~", "~0").replace("/", "~1")
        schema_pointer = f"{pointer}/content/{escaped}/schema"
        problems = self._schema_problems(RESPONSE_BASE, schema_pointer, instance, f"{label} body")
        if require_envelope and isinstance(instance, dict):
            declared = self.deref(self.pointer(schema_pointer)).get("properties", {})
            envelope = SUCCESS_ENVELOPE if status < 400 else ERROR_ENVELOPE
            missing = [key for key in envelope if key in declared and key not in instance]
            if missing:
                problems.append(f"{label} body: envelope field(s) missing: {', '.join(missing)}")
        return problems


@functools.lru_cache(maxsize=4)
def _load_cached(path: str) -> SpecValidator:
    with open(path, encoding="utf-8") as fh:
        raw = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return SpecValidator(_string_keys(raw))


def _string_keys(node: Any) -> Any:
    """YAML reads `200:` as an int; JSON pointers and JSON Schema need string keys."""
    if isinstance(node, dict):
        return {str(k): _string_keys(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_string_keys(v) for v in node]
    return node

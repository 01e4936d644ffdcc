"""Reading request bodies the way the real Crust server's generated `Fill()` methods and Go's
encoding/json do, with the error messages they give.

- A body is decoded as JSON only when `Content-Type`, lower-cased, is exactly `application/json`
  (`application/json; charset=utf-8` is a form to it: its JSON is never read). The decoder reads the
  first JSON value and ignores what follows; an empty body is no error.
- Object keys match struct fields case-insensitively (an exact match first); later keys win.
- Type mismatches: "json: cannot unmarshal number into Go struct field ModuleCreate.Name of type string".
- Then the form (`r.Form`: an urlencoded POST body first, then the URL query) sets the "post"
  parameters, over what the JSON said.

Syntax errors are worded as Go words the common cases ("invalid character 'x' looking for beginning
of value", "unexpected EOF" from a decoder, "unexpected end of JSON input" from json.Unmarshal);
rarer ones come out close to Go's, not always exactly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from crmtui.sandbox.crust.state import CrustError

GO_KINDS = {dict: "object", list: "array", str: "string", bool: "bool", int: "number", float: "number"}


class GoJsonError(ValueError):
    """A JSON error, its message worded as Go's encoding/json words it."""


def go_kind(value: Any) -> str:
    return "null" if value is None else GO_KINDS.get(type(value), "number")


def _syntax(text: str, exc: json.JSONDecodeError, *, stream: bool) -> GoJsonError:
    rest = text[exc.pos:].lstrip()
    if not rest or exc.msg.startswith("Unterminated string"):
        return GoJsonError("unexpected EOF" if stream else "unexpected end of JSON input")
    char = rest[0]
    if exc.msg.startswith("Expecting property name"):
        return GoJsonError(f"invalid character '{char}' looking for beginning of object key string")
    if exc.msg.startswith("Expecting ':'"):
        return GoJsonError(f"invalid character '{char}' after object key")
    if exc.msg.startswith("Expecting ',' delimiter"):
        where = "object key:value pair" if _innermost(text[: exc.pos]) == "{" else "array element"
        return GoJsonError(f"invalid character '{char}' after {where}")
    return GoJsonError(f"invalid character '{char}' looking for beginning of value")


def _innermost(text: str) -> str:
    """The innermost open bracket at the end of `text` ("{" or "["), strings skipped."""
    stack: list[str] = []
    in_string = escaped = False
    for char in text:
        if in_string:
            escaped, in_string = (False, True) if escaped else (char == "\\", char != '"')
        elif char == '"':
            in_string = True
        elif char in "{[":
            stack.append(char)
        elif char in "}]" and stack:
            stack.pop()
    return stack[-1] if stack else ""


def decode_first(raw: bytes, *, stream: bool = True) -> Any:
    """The first JSON value of `raw` (Go's json.Decoder.Decode when `stream`, else json.Unmarshal,
    which also refuses anything after the value)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", "replace")
    start = len(text) - len(text.lstrip())
    if start == len(text):
        raise GoJsonError("EOF" if stream else "unexpected end of JSON input")
    try:
        value, end = json.JSONDecoder().raw_decode(text, start)
    except json.JSONDecodeError as exc:
        raise _syntax(text, exc, stream=stream) from None
    if not stream and text[end:].strip():
        char = text[end:].strip()[0]
        raise GoJsonError(f"invalid character '{char}' after top-level value")
    return value


def unmarshal(raw: bytes | str) -> Any:
    """json.Unmarshal's reading of raw JSON (any error worded as Go's)."""
    return decode_first(raw.encode() if isinstance(raw, str) else raw, stream=False)


@dataclass(frozen=True)
class GoField:
    go_name: str
    """The struct field's name in Go (used in error messages when there is no json tag)."""
    json_name: str
    kind: str
    """string, int, bool, uint64string (`json:",string"` on a uint64), raw (JSONText: any value), strings
    ([]string), ints ([]int), stringmap (map[string]string), or a list of a struct: list:<struct name>."""


def _match(obj: dict[str, Any], fields: list[GoField]) -> list[tuple[GoField, Any]]:
    """Each key of `obj` with its struct field (exact name first, else case-insensitive), in order."""
    out: list[tuple[GoField, Any]] = []
    for key, value in obj.items():
        field = next((f for f in fields if f.json_name == key), None) or next(
            (f for f in fields if f.json_name.lower() == key.lower()), None
        )
        if field is not None:
            out.append((field, value))
    return out


def decode_struct(value: Any, struct: str, fields: list[GoField], structs: dict[str, list[GoField]] | None = None,
                  *, tagged: bool = False) -> dict[str, Any]:
    """A JSON value decoded into a Go struct: {json_name: decoded value} for the keys present.
    `tagged` structs name fields by their json tag in errors (ModuleField.kind), untagged by the Go
    name (ModuleCreate.Name). The first type error is raised once the whole value is read, as Go does."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise GoJsonError(f"json: cannot unmarshal {go_kind(value)} into Go value of type {struct}")
    out: dict[str, Any] = {}
    first_error: GoJsonError | None = None
    for field, item in _match(value, fields):
        label = f"{struct.rsplit('.', 1)[-1]}.{field.json_name if tagged else field.go_name}"
        try:
            out[field.json_name] = _decode_value(item, field, label, structs or {})
        except GoJsonError as exc:
            first_error = first_error or exc
    if first_error is not None:
        raise first_error
    return out


def _decode_value(item: Any, field: GoField, label: str, structs: dict[str, list[GoField]]) -> Any:
    kind = field.kind
    if kind == "raw":
        return item
    if item is None:
        return {"string": "", "int": 0, "bool": False, "uint64string": "0"}.get(kind, None)
    if kind == "string":
        if not isinstance(item, str):
            raise GoJsonError(f"json: cannot unmarshal {go_kind(item)} into Go struct field {label} of type string")
        return item
    if kind == "int":
        if isinstance(item, bool) or not isinstance(item, (int, float)) or (isinstance(item, float) and not item.is_integer()):
            raise GoJsonError(f"json: cannot unmarshal {go_kind(item) if not isinstance(item, float) else 'number ' + repr(item)} "
                              f"into Go struct field {label} of type int")
        return int(item)
    if kind == "bool":
        if not isinstance(item, bool):
            raise GoJsonError(f"json: cannot unmarshal {go_kind(item)} into Go struct field {label} of type bool")
        return item
    if kind == "uint64string":
        if not isinstance(item, str):
            raise GoJsonError("json: invalid use of ,string struct tag, trying to unmarshal unquoted value into uint64")
        if not (item.isascii() and item.isdigit()) or int(item) >= 2**64:
            raise GoJsonError(f"json: invalid use of ,string struct tag, trying to unmarshal {json.dumps(item)} into uint64")
        return str(int(item))
    if kind == "strings":
        if not isinstance(item, list):
            raise GoJsonError(f"json: cannot unmarshal {go_kind(item)} into Go struct field {label} of type []string")
        for element in item:
            if element is not None and not isinstance(element, str):
                raise GoJsonError(f"json: cannot unmarshal {go_kind(element)} into Go struct field {label} of type string")
        return [element or "" for element in item]
    if kind == "ints":
        if not isinstance(item, list):
            raise GoJsonError(f"json: cannot unmarshal {go_kind(item)} into Go struct field {label} of type []int")
        out_ints = []
        for element in item:
            if element is None:
                out_ints.append(0)
            elif isinstance(element, bool) or not isinstance(element, (int, float)) or (isinstance(element, float) and not element.is_integer()):
                what = f"number {element!r}" if isinstance(element, float) else go_kind(element)
                raise GoJsonError(f"json: cannot unmarshal {what} into Go struct field {label} of type int")
            else:
                out_ints.append(int(element))
        return out_ints
    if kind == "stringmap":
        if not isinstance(item, dict):
            raise GoJsonError(f"json: cannot unmarshal {go_kind(item)} into Go struct field {label} of type types.JobParameterSet")
        for element in item.values():
            if element is not None and not isinstance(element, str):
                raise GoJsonError(f"json: cannot unmarshal {go_kind(element)} into Go struct field {label} of type string")
        return {key: element or "" for key, element in item.items()}
    if kind.startswith("list:"):
        struct = kind[5:]
        if not isinstance(item, list):
            raise GoJsonError(f"json: cannot unmarshal {go_kind(item)} into Go struct field {label} of type {struct}Set")
        return [decode_struct(element, f"types.{struct}", structs[struct], structs, tagged=True) if element is not None else {}
                for element in item]
    raise AssertionError(f"unknown Go kind {kind}")


@dataclass
class Body:
    """What a `Fill()` got from a request: the JSON object (None when the body was not read as JSON)
    and `r.Form` (an urlencoded body's values first, then the query's; first value of each)."""

    json: Any
    form: dict[str, str]


def fill(method: str, raw: bytes, content_type: str | None, query: list[tuple[str, str]]) -> Body:
    """Read a request the way every handler's Fill() starts: JSON only for an exact
    `application/json`, then ParseForm. Errors answer as the server's."""
    value: Any = None
    if (content_type or "").lower() == "application/json":
        try:
            value = decode_first(raw)
        except GoJsonError as exc:
            if str(exc) != "EOF":  # io.EOF: an empty body is no error
                raise CrustError(f"error parsing http request body: {exc}") from None
    form: dict[str, str] = {}
    if method in ("POST", "PUT", "PATCH"):
        media = _media_type(content_type or "")
        if media == "application/x-www-form-urlencoded":
            try:
                pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
            except UnicodeDecodeError:
                pairs = []
            for name, item in pairs:
                form.setdefault(name, item)
    for name, item in query:
        form.setdefault(name, item)
    return Body(value, form)


def _media_type(content_type: str) -> str:
    """mime.ParseMediaType's media type, or ParseForm's error for a malformed header."""
    if not content_type:
        return "application/octet-stream"
    media = content_type.split(";", 1)[0].strip().lower()
    if not media:
        raise CrustError("mime: no media type")
    if "/" not in media:
        raise CrustError("mime: expected slash after first token")
    return media

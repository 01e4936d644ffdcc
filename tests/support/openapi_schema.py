"""Turn an OpenAPI 3.0 document into something `jsonschema` (draft 2020-12) can validate with.

OpenAPI 3.0 schema objects are a dialect of JSON Schema. The differences that matter here:

- `nullable: true` widens `type` (and `enum`) to admit `null`;
- `$ref` siblings are ignored (OAS 3.0 says so), so a `$ref` node is replaced by the bare reference;
- `example`, `discriminator`, `xml`, `externalDocs`, `deprecated` are annotations, dropped;
  but when a schema's own `example` violates its `format`, the `format` is dropped too (the spec
  contradicts itself there, e.g. call results: `format: bson-id`, `example: interested`);
- `exclusiveMinimum`/`exclusiveMaximum` are booleans (draft 4 style), converted to numbers;
- a schema with `properties` but no `type` is taken to describe an object (and `items` an array):
  the spec writes almost every response envelope that way, and without this a list or a string
  would silently pass where an object is documented.

Two variants are built from the same document: the *response* variant leaves objects open
(the real server returns more fields than documented), the *request* variant closes every object
that declares `properties` (`additionalProperties: false`), so a client that sends a field the spec
does not know about is caught. `readOnly` properties are dropped from `required` in requests.

Every local `$ref` ("#/components/...") is rewritten to an absolute URI inside the document so any
sub-schema can be validated on its own through a `referencing.Registry`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from jsonschema import FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

RESPONSE_BASE = "urn:crmtui:onepagecrm-v3:response"
REQUEST_BASE = "urn:crmtui:onepagecrm-v3:request"
OPEN_REQUEST_BASE = "urn:crmtui:onepagecrm-v3:request-open"
"""The request variant with objects left open: what the branches of a closed `allOf` refer to."""

_ANNOTATIONS = {"example", "examples", "discriminator", "xml", "externalDocs", "deprecated", "writeOnly"}
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_SINGLE = ("items", "additionalProperties", "not", "contains", "propertyNames")


def _rewrite_ref(ref: str, base: str) -> str:
    return base + ref if ref.startswith("#") else ref


def convert_schema(node: Any, base: str, *, close_objects: bool, relax: bool = False) -> Any:
    """Convert one OpenAPI schema object (recursively) to draft 2020-12 (`relax`: a request's
    `readOnly` properties are not required, also where objects are left open)."""
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return {"$ref": _rewrite_ref(node["$ref"], base)}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _ANNOTATIONS or key in ("nullable", "readOnly"):
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {
                name: convert_schema(sub, base, close_objects=close_objects, relax=relax) for name, sub in value.items()
            }
        elif key == "allOf" and close_objects and isinstance(value, list):
            # Each branch closed on its own would refuse the other branches' fields: the branches stay
            # open (their references go to the open request variant) and the whole is closed below.
            out[key] = [convert_schema(sub, OPEN_REQUEST_BASE, close_objects=False, relax=True) for sub in value]
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [convert_schema(sub, base, close_objects=close_objects, relax=relax) for sub in value]
        elif key in _SCHEMA_SINGLE:
            out[key] = convert_schema(value, base, close_objects=close_objects, relax=relax)
        else:
            out[key] = value
    if "format" in out and "example" in node and not FORMAT_CHECKER.conforms(node["example"], out["format"]):
        del out["format"]  # the spec contradicts itself (e.g. call_result: bson-id, example "interested")
    if node.get("readOnly"):
        out["readOnly"] = True  # kept as an annotation; used to relax `required` in requests
    for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(out.get(bound), bool):
            if out.pop(bound) and limit in out:
                out[bound] = out.pop(limit)
    if "type" not in out:
        if "properties" in out:
            out["type"] = "object"
        elif "items" in out:
            out["type"] = "array"
    if node.get("nullable"):
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    if close_objects and "allOf" in out:
        out.setdefault("unevaluatedProperties", False)  # sees every branch's properties
    elif close_objects and "properties" in out:
        out.setdefault("additionalProperties", False)
    if (close_objects or relax) and "properties" in out:
        if isinstance(out.get("required"), list):
            out["required"] = [
                name
                for name in out["required"]
                if not (isinstance(out["properties"].get(name), dict) and out["properties"][name].get("readOnly"))
            ]
    return out


def convert_document(doc: Any, base: str, *, close_objects: bool, in_schemas: bool = False, relax: bool = False) -> Any:
    """Walk the whole document; convert every place that holds a schema object."""
    if isinstance(doc, list):
        return [convert_document(item, base, close_objects=close_objects, relax=relax) for item in doc]
    if not isinstance(doc, dict):
        return doc
    if in_schemas:
        return {name: convert_schema(sub, base, close_objects=close_objects, relax=relax) for name, sub in doc.items()}
    out: dict[Any, Any] = {}
    for key, value in doc.items():
        if key == "schema" and isinstance(value, dict):
            out[key] = convert_schema(value, base, close_objects=close_objects, relax=relax)
        elif key == "schemas" and isinstance(value, dict):
            out[key] = convert_document(value, base, close_objects=close_objects, in_schemas=True, relax=relax)
        elif key == "$ref" and isinstance(value, str):
            out[key] = _rewrite_ref(value, base)
        else:
            out[key] = convert_document(value, base, close_objects=close_objects, relax=relax)
    return out


def build_registry(raw: dict[str, Any]) -> Registry:
    """A registry holding the response variant and the request variant of the document."""
    resources = []
    for base, close, relax in ((RESPONSE_BASE, False, False), (REQUEST_BASE, True, True), (OPEN_REQUEST_BASE, False, True)):
        converted = convert_document(raw, base, close_objects=close, relax=relax)
        resources.append((base, Resource.from_contents(converted, default_specification=DRAFT202012)))
    return Registry().with_resources(resources)


# --- formats -------------------------------------------------------------------------------

FORMAT_CHECKER = FormatChecker(formats=())

_BSON_ID = re.compile(r"^[0-9a-f]{24}$")
_HEX_COLOR = re.compile(r"^#?[0-9a-fA-F]{6}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


@FORMAT_CHECKER.checks("bson-id")
def _is_bson_id(value: object) -> bool:
    return not isinstance(value, str) or bool(_BSON_ID.match(value))


@FORMAT_CHECKER.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE.match(value):
        return False
    dt.date.fromisoformat(value)
    return True


@FORMAT_CHECKER.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.match(value):
        return False
    dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


@FORMAT_CHECKER.checks("int32")
def _is_int32(value: object) -> bool:
    return not isinstance(value, int) or isinstance(value, bool) or -(2**31) <= value < 2**31


@FORMAT_CHECKER.checks("unix-timestamp")
def _is_unix_timestamp(value: object) -> bool:
    return not isinstance(value, (int, float)) or isinstance(value, bool) or value >= 0


@FORMAT_CHECKER.checks("hex-color")
def _is_hex_color(value: object) -> bool:
    return not isinstance(value, str) or bool(_HEX_COLOR.match(value))

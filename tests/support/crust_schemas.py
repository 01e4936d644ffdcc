"""JSON Schemas of the Crust CRM API's answers, written from the real server's Go types at the spec's
commit (crust-server 73728bcf: crm/types/types.go, system/types/user.go, crm/repository/content.go,
titpetric/factory/resputil), since spec.json has request parameters only (BACKENDS.md 2.2).

Go's JSON: ids are `uint64` with `,string` (decimal strings); `omitempty` pointers and `omitempty`
strings are left out when empty; a non-pointer time.Time (`createdAt`) is always there (the zero
time `0001-01-01T00:00:00Z` when unset); raw JSON (`types.JSONText`: options, blocks, a record's
fields) is any JSON. Objects are closed (`additionalProperties: false`) so a key the server never
writes is caught.
"""

from __future__ import annotations

from typing import Any

import jsonschema

ID: dict[str, Any] = {"type": "string", "pattern": "^(0|[1-9][0-9]*)$"}
TIME: dict[str, Any] = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$"}
ANY: dict[str, Any] = {}


def closed(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "object", "required": list(required), "properties": {**required, **(optional or {})}, "additionalProperties": False,
    }


USER = closed(
    {"userID": ID, "username": {"type": "string"}, "email": {"type": "string"}, "name": {"type": "string"},
     "handle": {"type": "string"}, "kind": {"type": "string"}, "organisationID": ID, "relatedUserID": ID,
     "user": {"type": "null"}, "createdAt": TIME},
    {"updatedAt": TIME, "suspendedAt": TIME, "deletedAt": TIME, "teams": {"type": "array"}},
)
PAGE = closed(
    {"pageID": ID, "selfID": ID, "moduleID": ID, "title": {"type": "string"}, "description": {"type": "string"},
     "blocks": ANY, "visible": {"type": "boolean"}},
    {"module": {"type": "object"}, "children": {"type": "array"}},
)
MODULE_FIELD = closed(
    {"moduleID": ID, "kind": {"type": "string"}, "name": {"type": "string"}, "label": {"type": "string"},
     "maxLength": {"type": "integer"}, "options": ANY, "isPrivate": {"type": "boolean"}, "isRequired": {"type": "boolean"},
     "isVisible": {"type": "boolean"}},
    {"helpText": {"type": "string", "minLength": 1}, "defaultValue": {"type": "string", "minLength": 1}},
)
MODULE = closed(
    {"moduleID": ID, "name": {"type": "string"}, "fields": {"type": ["array", "null"], "items": MODULE_FIELD}, "createdAt": TIME},
    {"page": PAGE, "updatedAt": TIME, "deletedAt": TIME},
)
CONTENT_COLUMN = closed({"name": {"type": "string"}, "value": {"type": "string"},
                         "related": {"type": ["array", "null"], "items": {"type": "string"}}})
CONTENT = closed(
    {"contentID": ID, "moduleID": ID, "userID": ID, "createdAt": TIME},
    {"user": USER, "page": PAGE, "fields": ANY, "updatedAt": TIME, "deletedAt": TIME},
)
"""A record as an edit answers it (fields as sent: any JSON)."""
READ_CONTENT = {**CONTENT, "required": [*CONTENT["required"], "fields"],
                "properties": {**CONTENT["properties"], "fields": {"type": "array", "items": CONTENT_COLUMN}}}
"""A record as reads, lists and creates answer it (fields preloaded from the columns)."""
CONTENT_LIST = closed({
    "meta": closed({"page": {"type": "integer", "minimum": 0}, "perPage": {"type": "integer", "minimum": 10, "maximum": 100},
                    "count": {"type": "integer", "minimum": 0}, "sort": {"type": "string"}},
                   {"query": {"type": "string", "minLength": 1}}),
    "contents": {"type": "array", "items": READ_CONTENT},
})
FIELD = closed({"name": {"type": "string"}, "type": {"type": "string"}}, {"template": {"type": "string", "minLength": 1}})

ERROR = closed({"error": closed({"message": {"type": "string", "minLength": 1}}, {"trace": {"type": "string"}})})
SUCCESS = closed({"success": closed({"message": {"const": "OK"}})})


def response(payload: dict[str, Any]) -> dict[str, Any]:
    return closed({"response": payload})


ANSWERS: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/field/"): response({"type": "array", "items": FIELD}),
    ("GET", "/field/{typeID}"): response(FIELD),
    ("GET", "/module/"): response({"type": "array", "items": MODULE}),
    ("POST", "/module/"): response(MODULE),
    ("GET", "/module/{moduleID}"): response({**MODULE, "required": [*MODULE["required"], "page"]}),
    ("POST", "/module/{moduleID}"): response(MODULE),
    ("DELETE", "/module/{moduleID}"): SUCCESS,
    ("GET", "/module/{moduleID}/content"): response(CONTENT_LIST),
    ("POST", "/module/{moduleID}/content"): response(READ_CONTENT),
    ("GET", "/module/{moduleID}/content/{contentID}"): response({**READ_CONTENT, "required": [*READ_CONTENT["required"], "page"]}),
    ("POST", "/module/{moduleID}/content/{contentID}"): response(CONTENT),
    ("DELETE", "/module/{moduleID}/content/{contentID}"): SUCCESS,
}
"""The schema of each operation's successful answer (an error answers ERROR, HTTP 200, on any of them)."""


def answer_problems(key: tuple[str, str], body: Any) -> list[str]:
    """What in a successful answer's body the operation's schema does not allow."""
    schema = ANSWERS.get(key)
    if schema is None:
        return [f"{key}: no answer schema"]
    validator = jsonschema.Draft202012Validator(schema)
    return [f"{key}: {'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]


def error_problems(body: Any) -> list[str]:
    return [e.message for e in jsonschema.Draft202012Validator(ERROR).iter_errors(body)]

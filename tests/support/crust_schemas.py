"""JSON Schemas of the Crust CRM API's answers, written from the real server's Go types at the spec's
commit (crust-server 73728bcf: crm/types/types.go, system/types/user.go, crm/repository/content.go,
titpetric/factory/resputil), since spec.json has request parameters only (BACKENDS.md 2.2).

Go's JSON: ids are `uint64` with `,string` (decimal strings); `omitempty` pointers and `omitempty`
strings are left out when empty; a non-pointer time.Time (`createdAt`) is always there (the zero
time `0001-01-01T00:00:00Z` when unset); raw JSON (`types.JSONText`: options, blocks, a record's
fields) is any JSON. Objects are closed (`additionalProperties: false`) so a key the server never
writes is caught. Charts follow the documented payloads (docs/module-chart.md), workflows the Go type;
jobs and their logs have no type at that commit: theirs is the sandbox's documented shape.
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

BLOCK = closed(
    {"title": {"type": "string"}, "description": {"type": "string"}, "options": ANY, "kind": {"type": "string"},
     "x": {"type": "integer"}, "y": {"type": "integer"}, "width": {"type": "integer"}, "height": {"type": "integer"}},
)
"""A page block (types.Block; pages keep blocks as raw JSON, so only the seed's are held to it)."""
LIST_PAGE = {**PAGE, "properties": {**PAGE["properties"], "module": MODULE}}
"""A page as page reads and lists answer it: its module preloaded (a MODULE without its page)."""
TREE_PAGE: dict[str, Any] = {**PAGE, "properties": {**PAGE["properties"], "children": {"type": "array", "minItems": 1,
                                                                                        "items": {"$ref": "#/$defs/tree"}}}}
"""A page of the tree: no module, children (omitempty) nested."""

FLOAT_ID: dict[str, Any] = {"type": "integer", "minimum": 0}
"""A chart `meta` id: a JSON number (float64 as Go writes it: no decimal point, no exponent below 1e21)."""
D_M_Y: dict[str, Any] = {"type": "string", "pattern": r"^\d{1,2}/\d{1,2}/\d{4}$"}
NUMBER: dict[str, Any] = {"type": "number"}
CHART_META = closed(
    {"name": {"type": "string"}, "description": {"type": "string"}, "kind": {"enum": ["line", "bar", "pie", "donut"]},
     "module": FLOAT_ID, "x": FLOAT_ID},
    {"xmin": {"type": "string"}, "xmax": {"type": "string"}, "y": FLOAT_ID, "groupby": FLOAT_ID, "sum": FLOAT_ID, "count": FLOAT_ID},
)
PAIRS_CHART = closed({
    "kind": {"enum": ["bar", "pie", "donut"]},
    "data": {"type": "array", "items": {"type": "array", "prefixItems": [{"type": "string"}, NUMBER], "minItems": 2, "maxItems": 2}},
    "fields": {"type": "object", "minProperties": 1, "maxProperties": 1,
               "additionalProperties": closed({"kind": {"enum": ["string", "number", "datetime"]}})},
    "meta": CHART_META,
})
"""docs/module-chart.md's pie, donut and bar: [label, value] pairs, the grouping field's kind."""
LINE_CHART = closed({
    "kind": {"const": "line"},
    "data": {"type": "array", "minItems": 2, "items": {"type": "array", "minItems": 1, "prefixItems": [{"type": "string"}],
                                                        "items": {"type": ["string", "number"]}}},
    "fields": {"type": "object", "minProperties": 2, "additionalProperties": {"anyOf": [
        closed({"kind": {"enum": ["string", "number", "datetime"]}}, {"min": D_M_Y, "max": D_M_Y}),
        closed({"name": {"type": "string"}, "kind": {"type": "string"}}),
    ]}},
    "meta": {**CHART_META, "properties": {**CHART_META["properties"], "kind": {"const": "line"}, "xmin": D_M_Y, "xmax": D_M_Y}},
})
"""docs/module-chart.md's line: columns, the x column's values first, then one column per series."""
CHART = {"oneOf": [PAIRS_CHART, LINE_CHART]}

WORKFLOW_TASK = closed({"name": {"type": "string"}, "body": {"type": "string"}, "fallback": {"type": "string"},
                        "retries": {"type": ["array", "null"], "items": {"type": "integer"}}, "timeout": {"type": "integer"}})
TASKS: dict[str, Any] = {"type": ["array", "null"], "items": WORKFLOW_TASK}
WORKFLOW = closed({"workflowID": ID, "name": {"type": "string"}, "tasks": TASKS, "onError": TASKS, "timeout": {"type": "integer"}})
"""types.Workflow at the spec's commit."""
JOB = closed(
    {"jobID": ID, "workflowID": ID, "userID": ID, "status": {"enum": ["ok", "error", "running", "cancelled", "queued"]},
     "startAt": TIME, "parameters": {"type": ["object", "null"], "additionalProperties": {"type": "string"}}, "createdAt": TIME},
    {"updatedAt": TIME},
)
"""A job: no Go type at the spec's commit; the sandbox's shape from the documented parameters (crmtui.sandbox.crust.jobs)."""
PAGING: dict[str, Any] = {"page": {"type": "integer", "minimum": 0}, "perPage": {"type": "integer", "minimum": 10, "maximum": 100},
                          "count": {"type": "integer", "minimum": 0}}
JOB_LIST = closed({"meta": closed(PAGING, {"status": {"enum": ["ok", "error", "running", "cancelled", "queued"]}}),
                   "jobs": {"type": "array", "items": JOB}})
JOB_LOGS = closed({"meta": closed(PAGING), "logs": {"type": "array", "items": closed(
    {"time": TIME, "level": {"enum": ["info", "error"]}, "task": {"type": "string"}, "message": {"type": "string"}})}})

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
    ("GET", "/module/{moduleID}/chart"): response(CHART),
    ("GET", "/page/"): response({"type": "array", "items": LIST_PAGE}),
    ("POST", "/page/"): response(PAGE),
    ("GET", "/page/{pageID}"): response(LIST_PAGE),
    ("GET", "/page/tree"): {**response({"type": "array", "items": {"$ref": "#/$defs/tree"}}), "$defs": {"tree": TREE_PAGE}},
    ("POST", "/page/{pageID}"): response(PAGE),
    ("POST", "/page/{selfID}/reorder"): SUCCESS,
    ("DELETE", "/page/{pageID}"): SUCCESS,
    ("GET", "/workflow/"): response({"type": "array", "items": WORKFLOW}),
    ("POST", "/workflow/"): response(WORKFLOW),
    ("GET", "/workflow/{workflowID}"): response(WORKFLOW),
    ("POST", "/workflow/{workflowID}"): response(WORKFLOW),
    ("DELETE", "/workflow/{workflowID}"): SUCCESS,
    ("GET", "/job/"): response(JOB_LIST),
    ("POST", "/job/"): response(JOB),
    ("GET", "/job/{jobID}"): response(JOB),
    ("GET", "/job/{jobID}/logs"): response(JOB_LOGS),
    ("POST", "/job/{jobID}"): response(JOB),
    ("DELETE", "/job/{jobID}"): SUCCESS,
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

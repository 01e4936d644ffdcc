"""The spec-to-JSON-Schema conversion the contract tests use: a closed request object refuses a field the
spec does not know, and an `allOf` of several parts accepts every part's fields (each part closed on its
own would refuse the others': Pipedrive's PUT /legacyTeams/{id} body is such a schema)."""

from __future__ import annotations

from jsonschema import Draft202012Validator

from tests.support.openapi_schema import REQUEST_BASE, build_registry

SPEC = {
    "components": {
        "schemas": {
            "Base": {"type": "object", "properties": {"name": {"type": "string"}, "id": {"type": "integer", "readOnly": True}},
                     "required": ["name", "id"]},
            "Both": {"allOf": [{"$ref": "#/components/schemas/Base"},
                               {"type": "object", "properties": {"description": {"type": "string"}}}]},
        }
    }
}


def validator(name: str) -> Draft202012Validator:
    registry = build_registry(SPEC)
    return Draft202012Validator({"$ref": f"{REQUEST_BASE}#/components/schemas/{name}"}, registry=registry)


def test_a_closed_request_object_refuses_an_unknown_field() -> None:
    check = validator("Base")
    assert check.is_valid({"name": "a"})  # id is read-only: not required of a request
    assert not check.is_valid({"name": "a", "colour": "red"})


def test_an_all_of_accepts_every_parts_fields_and_still_refuses_unknown_ones() -> None:
    check = validator("Both")
    assert check.is_valid({"name": "a", "description": "b"})
    assert not check.is_valid({"name": "a", "description": "b", "colour": "red"})
    assert not check.is_valid({"description": "b"})  # the parts' required fields still count

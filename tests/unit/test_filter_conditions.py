"""Saved filters' conditions: the only shape Pipedrive takes (an "all of" AND group and an "any of"
OR group inside an AND), at most 16 conditions, read back tolerantly; the operators per field type
from /filters/helpers; the list's order (leads first)."""

from __future__ import annotations

import pytest

from crmtui.backends.pipedrive import wire
from crmtui.backends.pipedrive.filters import map_helpers
from crmtui.domain.filters import (
    MAX_CONDITIONS,
    Filter,
    FilterCondition,
    FilterConditions,
    describe_condition,
    operator_type,
    order_filters,
)


def cond(field: str, op: str = "=", value: object = 1) -> FilterCondition:
    return FilterCondition(field_id=field, operator=op, value=value)


def test_the_wire_shape_is_an_and_group_and_an_or_group_inside_an_and() -> None:
    conditions = FilterConditions(all_of=[cond("owner_id", "=", 7)], any_of=[cond("title", "LIKE '%$%'", "Acme"), cond("value", "IS NULL", 5)])
    assert conditions.to_wire() == {
        "glue": "and",
        "conditions": [
            {"glue": "and", "conditions": [{"object": "lead", "field_id": "owner_id", "operator": "=", "value": 7, "extra_value": None}]},
            {"glue": "or", "conditions": [
                {"object": "lead", "field_id": "title", "operator": "LIKE '%$%'", "value": "Acme", "extra_value": None},
                {"object": "lead", "field_id": "value", "operator": "IS NULL", "value": None, "extra_value": None},  # no value for "is empty"
            ]},
        ],
    }
    assert FilterConditions().to_wire()["conditions"] == [{"glue": "and", "conditions": []}, {"glue": "or", "conditions": []}]


def test_reading_back_gives_the_same_groups() -> None:
    conditions = FilterConditions(all_of=[cond("owner_id"), cond("value", ">", 20000)], any_of=[cond("title", "=", "x")])
    assert FilterConditions.from_wire(conditions.to_wire()) == conditions


def test_other_trees_are_read_as_far_as_they_go_never_refused() -> None:
    deeper = {"glue": "and", "conditions": [
        {"glue": "and", "conditions": [{"glue": "and", "conditions": [{"field_id": 12, "operator": "=", "value": "a"}]}]},
        {"glue": "or", "conditions": [None, "junk", {"field_id": "title", "operator": "=", "value": "b"}, {"operator": "="}]},
    ]}
    read = FilterConditions.from_wire(deeper)
    assert [(c.field_id, c.value) for c in read.all_of] == [("12", "a")]
    assert [(c.field_id, c.value) for c in read.any_of] == [("title", "b")]
    assert FilterConditions.from_wire(None) == FilterConditions() == FilterConditions.from_wire([1, 2])
    flat_or = FilterConditions.from_wire({"glue": "or", "conditions": [{"field_id": "title", "operator": "=", "value": "c"}]})
    assert [c.value for c in flat_or.any_of] == ["c"] and not flat_or.all_of


def test_at_most_sixteen_conditions_and_at_least_one() -> None:
    full = FilterConditions(all_of=[cond("owner_id")] * 10, any_of=[cond("title")] * (MAX_CONDITIONS - 10))
    full.check()
    with pytest.raises(ValueError, match="at most 16 conditions \\(17 given\\)"):
        FilterConditions(all_of=full.all_of + [cond("value")], any_of=full.any_of).check()
    with pytest.raises(ValueError, match="at least one condition"):
        FilterConditions().check()


def test_a_field_type_takes_the_operators_of_its_helpers_type() -> None:
    assert operator_type("people") == "person" and operator_type("org") == "organization"
    assert operator_type("text") == "varchar" and operator_type("something new") == "varchar"
    assert operator_type("varchar", "title") == "title"
    helpers = map_helpers(wire.FilterHelpers.model_validate({
        "operators": {"enum": [{"=": "is"}, {"IS NULL": "is empty"}], "monetary": {">": "is more than"}, "varchar": {"=": "is"}, "odd": 3},
        "relative_dates": {"Relative dates": {"today": "today"}, "Deal specific": {"rotten_time": "Rotten time"}},
    }))
    assert helpers.operators_for("enum") == [("=", "is"), ("IS NULL", "is empty")]  # the enum type's list of one-entry tables
    assert helpers.operators_for("monetary") == [(">", "is more than")]
    assert helpers.operators_for("unknown") == [("=", "is")]  # as text
    assert helpers.operators["odd"] == []
    assert helpers.relative_dates == [("today", "today"), ("rotten_time", "Rotten time")]
    assert helpers.operator_label(">") == "is more than" and helpers.operator_label("??") == "??"


def test_conditions_in_words_and_the_list_leads_first() -> None:
    names = {"owner_id": "Owner", "value": "Value"}
    labels = {"=": "is", "IS NULL": "is empty"}
    words = [
        describe_condition(c, field_name=lambda f: names.get(f, f), operator_label=lambda o: labels.get(o, o), value_text=lambda c: str(c.value))
        for c in (cond("owner_id", "=", "Ada"), cond("value", "IS NULL", None))
    ]
    assert words == ["Owner is Ada", "Value is empty"]
    listed = order_filters([Filter(id="1", name="b", type="deals"), Filter(id="2", name="Z", type="leads"), Filter(id="3", name="a", type="leads"), Filter(id="4", type="weird")])
    assert [f.id for f in listed] == ["3", "2", "1", "4"]

"""Saved filters (Pipedrive's /filters): a filter, its conditions, and the operators per field type.

Pipedrive accepts exactly one shape of conditions: an AND group ("all of") and an OR group ("any
of") inside an AND, at most 16 conditions in all, each `{object, field_id, operator, value,
extra_value}`. `FilterConditions` is that shape and nothing else: what the builder edits, what is
sent, and what a filter read back is turned into (tolerantly: a deeper tree is flattened into its
groups, as far as it goes). Operators come from /filters/helpers per field type; a lead field's type
(`Account.lead_fields`) is mapped to the helpers' type by `operator_type`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from crmtui.domain.text import Line

MAX_CONDITIONS = 16
"""The most conditions a filter may hold (both groups together)."""
FILTER_TYPE_TITLES: dict[str, str] = {
    "leads": "Leads", "deals": "Deals", "people": "People", "org": "Organizations", "products": "Products",
    "activity": "Activities", "projects": "Projects",
}
"""The filter types in the order the screen lists them (leads first)."""
VISIBILITY: dict[str, str] = {"1": "owner only", "3": "owner's visibility group", "5": "owner's group and below", "7": "everyone"}
"""What a filter's `visible_to` means."""
EMPTY_OPERATORS = frozenset({"IS NULL", "IS NOT NULL"})
"""Operators that take no value."""
_TYPES: dict[str, str] = {
    "people": "person", "person": "person", "org": "organization", "organization": "organization",
    "text": "varchar", "varchar": "varchar", "varchar_auto": "varchar", "varchar_options": "varchar", "phone": "varchar",
    "address": "varchar", "enum": "enum", "set": "set", "user": "user", "monetary": "monetary", "double": "double",
    "int": "int", "date": "date", "daterange": "daterange", "time": "time", "timerange": "timerange",
    "visible_to": "visible_to", "status": "status", "title": "title",
}
"""A lead field's type -> the /filters/helpers operator table it uses."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=False, extra="ignore", defer_build=True)


def operator_type(field_type: str, key: str = "") -> str:
    """The helpers' type whose operators a field of `field_type` takes (text when unknown)."""
    if key == "title":
        return "title"
    return _TYPES.get(field_type, "varchar")


class FilterCondition(_Model):
    """One condition: the field (by key), the operator, and the value (None: none, as for "is empty")."""

    field_id: str
    operator: str
    value: Any = None
    extra_value: Any = None
    object: str = "lead"

    def to_wire(self) -> dict[str, Any]:
        value = None if self.operator in EMPTY_OPERATORS else self.value
        return {
            "object": self.object, "field_id": self.field_id, "operator": self.operator, "value": value,
            "extra_value": self.extra_value,
        }


def _leaf(node: Mapping[str, Any]) -> FilterCondition | None:
    field = node.get("field_id")
    operator = node.get("operator")
    if field is None or isinstance(field, bool) or not isinstance(operator, str):
        return None
    return FilterCondition(
        field_id=str(field), operator=operator, value=node.get("value"), extra_value=node.get("extra_value"),
        object=str(node.get("object") or "lead"),
    )


def _leaves(node: Any) -> list[FilterCondition]:
    """Every condition under `node`, however deep (a tree another tool made)."""
    if not isinstance(node, Mapping):
        return []
    if "glue" in node or "conditions" in node:
        out: list[FilterCondition] = []
        for child in node.get("conditions") or []:
            out += _leaves(child)
        return out
    leaf = _leaf(node)
    return [leaf] if leaf is not None else []


class FilterConditions(_Model):
    """All of `all_of` and any of `any_of` (an empty group holds for every record)."""

    all_of: list[FilterCondition] = Field(default_factory=list)
    any_of: list[FilterCondition] = Field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.all_of) + len(self.any_of)

    def check(self) -> None:
        """ValueError, with the reason, when Pipedrive would refuse these conditions."""
        if self.count > MAX_CONDITIONS:
            raise ValueError(f"A filter holds at most {MAX_CONDITIONS} conditions ({self.count} given)")
        if not self.count:
            raise ValueError("A filter needs at least one condition")
        for cond in (*self.all_of, *self.any_of):
            if not cond.field_id or not cond.operator:
                raise ValueError("Each condition needs a field and an operator")

    def to_wire(self) -> dict[str, Any]:
        """The only shape Pipedrive accepts: AND(AND group, OR group)."""
        return {
            "glue": "and",
            "conditions": [
                {"glue": "and", "conditions": [c.to_wire() for c in self.all_of]},
                {"glue": "or", "conditions": [c.to_wire() for c in self.any_of]},
            ],
        }

    @classmethod
    def from_wire(cls, tree: Any) -> FilterConditions:
        """Read a conditions tree: the two groups of the API's shape; any other tree is read as far as
        it goes (an OR group's conditions as "any of", the rest as "all of"), never refused."""
        if not isinstance(tree, Mapping):
            return cls()
        raw = tree.get("conditions")
        groups: list[Any] = raw if isinstance(raw, list) else []
        all_of: list[FilterCondition] = []
        any_of: list[FilterCondition] = []
        for group in groups:
            if isinstance(group, Mapping) and ("glue" in group or "conditions" in group):
                (any_of if group.get("glue") == "or" else all_of).extend(_leaves(group))
            elif isinstance(group, Mapping):
                leaf = _leaf(group)
                if leaf is not None:
                    (any_of if tree.get("glue") == "or" else all_of).append(leaf)
        return cls(all_of=all_of, any_of=any_of)


class Filter(_Model):
    """A saved filter of the account: its conditions are known once read one by one (the list omits them)."""

    id: str
    name: Line = ""
    type: str = "leads"
    owner_id: str = ""
    visible_to: str = ""
    active: bool = True
    add_time: dt.datetime | None = None
    update_time: dt.datetime | None = None
    conditions: FilterConditions | None = None

    @property
    def label(self) -> str:
        return self.name or f"Filter {self.id}"

    @property
    def type_title(self) -> str:
        return FILTER_TYPE_TITLES.get(self.type, self.type.capitalize() or "Other")

    @property
    def visibility(self) -> str:
        return VISIBILITY.get(self.visible_to, self.visible_to or "")


class FilterHelpers(_Model):
    """/filters/helpers: the operators per field type (operator, label) and the relative dates (name, label)."""

    operators: dict[str, list[tuple[str, str]]] = Field(default_factory=dict)
    relative_dates: list[tuple[str, str]] = Field(default_factory=list)

    def operators_for(self, field_type: str, key: str = "") -> list[tuple[str, str]]:
        kind = operator_type(field_type, key)
        return list(self.operators.get(kind) or self.operators.get("varchar") or [])

    def operator_label(self, operator: str) -> str:
        for table in self.operators.values():
            for op, label in table:
                if op == operator:
                    return label
        return operator


def order_filters(filters: list[Filter]) -> list[Filter]:
    """By type (leads first, as FILTER_TYPE_TITLES orders them, unknown types last), then by name."""
    rank = {name: n for n, name in enumerate(FILTER_TYPE_TITLES)}
    return sorted(filters, key=lambda f: (rank.get(f.type, len(rank)), f.type, f.label.casefold(), f.id))


def describe_condition(
    cond: FilterCondition,
    *,
    field_name: Callable[[str], str],
    operator_label: Callable[[str], str],
    value_text: Callable[[FilterCondition], str],
) -> str:
    """One condition in words: "Owner is Ada Lovelace", "Value is empty"."""
    words = f"{field_name(cond.field_id)} {operator_label(cond.operator)}"
    if cond.operator in EMPTY_OPERATORS:
        return words
    value = value_text(cond)
    return f"{words} {value}" if value else words


__all__ = [
    "EMPTY_OPERATORS", "FILTER_TYPE_TITLES", "MAX_CONDITIONS", "Filter", "FilterCondition", "FilterConditions",
    "FilterHelpers", "describe_condition", "operator_type", "order_filters",
]

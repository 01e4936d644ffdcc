"""A Crust module's definition as a person edits it: its fields checked, and what an edit changes, in words.

A module's fields are sent whole (the server replaces the list: a field left out is gone). Records
keep their values by field *name*, and the server never touches them when a module changes: a
removed field's values, or a renamed field's values under its old name, stay in the records but no
longer show. The confirmation before an edit says so, field by field (`module_changes`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from crmtui.domain.record_values import LINK_KINDS, linked_module
from crmtui.domain.records import Module, ModuleField

FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
"""A field's name: what records key its values by (letters, digits and _, a letter first)."""
MODULE_NAME_LIMIT = 64
"""The server's column for a module's name holds 64 characters."""
KINDS = ("text", "textarea", "email", "bool", "enum", "number", "stamp", "related", "related_multi", "hidden")
"""The kinds the form offers (the server's own list, `GET /field/`, adds to them when it has more)."""


def enum_options(field: ModuleField) -> list[str]:
    return field.choices if field.kind == "enum" else []


def with_options(field: ModuleField, *, choices: Sequence[str] = (), module_id: str = "") -> ModuleField:
    """`field` with its kind's options set: an enum's choices, a link's module (other options kept)."""
    options: dict[str, Any] = dict(field.options) if isinstance(field.options, dict) else {}
    if field.kind == "enum":
        options["options"] = [c for c in choices if c]
    else:
        options.pop("options", None)
    if field.kind in LINK_KINDS:
        options["moduleID"] = module_id
    else:
        options.pop("moduleID", None)
        options.pop("labelField", None)
    return field.model_copy(update={"options": options or None})


def field_problems(name: str, fields: Sequence[ModuleField]) -> list[tuple[int | None, str]]:
    """What keeps a module from being sent, in words, each with the field's place (None: the name)."""
    found: list[tuple[int | None, str]] = []
    if not name.strip():
        found.append((None, "A module needs a name"))
    elif len(name) > MODULE_NAME_LIMIT:
        found.append((None, f"A module's name holds at most {MODULE_NAME_LIMIT} characters"))
    if not fields:
        found.append((None, "A module needs at least one field (the server refuses one without)"))
    seen: set[str] = set()
    for at, field in enumerate(fields):
        if not FIELD_NAME.match(field.name):
            found.append((at, f"Field name “{field.name}”: letters, digits and _, starting with a letter"))
        elif field.name in seen:
            found.append((at, f"Two fields are named “{field.name}”"))
        seen.add(field.name)
        if field.kind == "enum" and not field.choices:
            found.append((at, f"Field “{field.name}” is a choice (enum) with no options"))
        if field.kind in LINK_KINDS and not linked_module(field):
            found.append((at, f"Field “{field.name}” links records but names no module"))
    return found


def _kind_text(field: ModuleField, names: dict[str, str]) -> str:
    if field.kind in LINK_KINDS:
        target = linked_module(field)
        return f"{field.kind} → {names.get(target, target or '?')}"
    if field.kind == "enum":
        return f"enum ({', '.join(field.choices)})"
    return field.kind


def module_changes(
    before: Module | None,
    name: str,
    fields: Sequence[ModuleField],
    names: dict[str, str] | None = None,
    renames: dict[str, str] | None = None,
) -> list[str]:
    """What sending (`name`, `fields`) does to `before` (None: a new module), one line a change;
    [] when nothing changes. `names`: module id -> name, for the module a link field names;
    `renames`: a field's old name -> its new one (the form knows which field was renamed)."""
    names = names or {}
    renames = {o: n for o, n in (renames or {}).items() if o != n}
    if before is None:
        listed = ", ".join(f"{f.name} ({_kind_text(f, names)})" for f in fields)
        return [f"makes the module “{name}” with {len(fields)} field{'s' * (len(fields) != 1)}: {listed}"]
    lines: list[str] = []
    if name != before.name:
        lines.append(f"renames the module “{before.name}” to “{name}”")
    new = {f.name: f for f in fields}
    renames = {o: n for o, n in renames.items() if n in new and before.field(o) is not None}
    old = {renames.get(f.name, f.name): f for f in before.fields}  # each field as it was, by its name now
    for field in fields:
        if field.name not in old:
            lines.append(f"adds field {field.name} ({_kind_text(field, names)})")
    for field in before.fields:
        if field.name in renames:
            lines.append(
                f"renames field {field.name} to {renames[field.name]}: the records keep their values under "
                f"{field.name}, which no longer show (they are not moved)"
            )
        elif field.name not in new:
            lines.append(f"removes field {field.name}: its values stay in the records but no longer show")
    for field in fields:
        was = old.get(field.name)
        if was is None:
            continue
        parts = []
        if field.kind != was.kind or _kind_text(field, names) != _kind_text(was, names):
            what = f"{_kind_text(was, names)} → {_kind_text(field, names)}"
            if field.kind != was.kind:
                what += " (the values stay as they are written)"
            parts.append(what)
        if field.label != was.label:
            parts.append(f"label “{was.title}” → “{field.title}”")
        if field.is_required != was.is_required:
            parts.append("now required" if field.is_required else "no longer required")
        if field.is_visible != was.is_visible:
            parts.append("shown" if field.is_visible else "hidden")
        if field.max_length != was.max_length:
            parts.append(f"at most {field.max_length} characters" if field.max_length else "no length limit")
        if parts:
            lines.append(f"changes field {field.name}: {'; '.join(parts)}")
    order_before = [renames.get(f.name, f.name) for f in before.fields if renames.get(f.name, f.name) in new]
    order_after = [f.name for f in fields if f.name in old]
    if order_before != order_after:
        lines.append("orders the fields anew")
    return lines

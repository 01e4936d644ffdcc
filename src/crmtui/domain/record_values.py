"""Reading and checking a Crust record's values by its module's fields (the server checks nothing).

A record's values are text whatever the field's kind: a bool is "1"/"0", a stamp ISO 8601 text (a date
alone when the field is `onlyDate`), a number its digits, a link field the ids of the records it names.
What a person sees is made from that text here (the names of linked records where known), and what
a form sends is checked here first: required fields, maximum lengths, e-mail addresses, numbers,
dates and an enum's options, since a Crust server takes whatever it is sent.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from crmtui.domain.records import Module, ModuleField, Record, RecordValue
from crmtui.domain.text import inert_line

LINK_KINDS = frozenset({"related", "related_multi"})
TEXT_KINDS = frozenset({"text", "email", "url"})
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
CREATED = "createdAt"
"""The sort by when records were made (the server's own column, not a field)."""
UPDATED = "updatedAt"


def option(field: ModuleField, name: str) -> Any:
    options = field.options
    return options.get(name) if isinstance(options, Mapping) else None


def linked_module(field: ModuleField) -> str:
    """The module a link field's records are of ("" when it does not say)."""
    found = option(field, "moduleID")
    return str(found) if isinstance(found, (str, int)) and not isinstance(found, bool) else ""


def only_date(field: ModuleField) -> bool:
    return bool(option(field, "onlyDate"))


def label_fields(modules: Iterable[Module]) -> dict[str, str]:
    """module id -> the field other modules' links name its records by (`options.labelField`)."""
    found: dict[str, str] = {}
    for module in modules:
        for field in module.fields:
            target, label = linked_module(field), option(field, "labelField")
            if field.kind in LINK_KINDS and target and isinstance(label, str) and label:
                found.setdefault(target, label)
    return found


def title_fields(module: Module) -> list[str]:
    """The fields a record of `module` is named by: its first visible text field (with the next one
    when the first is a first name: "Ada Lovelace")."""
    texts = [f for f in module.fields if f.kind == "text" and f.is_visible]
    if not texts:
        return []
    first = texts[0].name
    if first.casefold().startswith("first") and len(texts) > 1:
        return [first, texts[1].name]
    return [first]


def record_title(module: Module | None, record: Record, fields: list[str] | None = None) -> str:
    """What a record is called; `fields`: `module`'s title fields, when the caller looked them up once for many records."""
    names = fields if fields is not None else title_fields(module) if module is not None else []
    title = " ".join(t for t in (record.text(n).strip() for n in names) if t)
    return title or f"#{record.id}"


def linked_ids(value: RecordValue) -> list[str]:
    """The ids a link field holds (its `related`, else the ids its text names)."""
    if value.related:
        return list(value.related)
    return [part.strip() for part in value.value.split(",") if part.strip().isdigit()]


def parse_stamp(text: str) -> dt.datetime | dt.date | None:
    """A stamp's text as a moment (or a day); None when it is no ISO 8601 text."""
    text = text.strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def stamp_text(moment: dt.datetime | dt.date, *, date_only: bool) -> str:
    """A moment as a stamp field holds it: "2026-03-10" or "2026-03-10T09:30:00Z" (UTC)."""
    if date_only or not isinstance(moment, dt.datetime):
        return (moment.date() if isinstance(moment, dt.datetime) else moment).isoformat()
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
    return aware.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def shown_value(field: ModuleField | None, value: RecordValue | None, names: Mapping[str, str] | None = None) -> str:
    """A value as a person reads it: yes/no, a day and time, the names of the linked records."""
    if value is None:
        return ""
    kind = field.kind if field is not None else "text"
    text = value.value
    if kind == "bool":
        return {"1": "yes", "0": "no", "true": "yes", "false": "no"}.get(text.strip().lower(), text)
    if kind in ("stamp", "date", "datetime"):
        moment = parse_stamp(text)
        if isinstance(moment, dt.datetime):
            return moment.strftime("%Y-%m-%d %H:%M") if (moment.hour, moment.minute) != (0, 0) else moment.strftime("%Y-%m-%d")
        return moment.isoformat() if moment is not None else text
    if kind == "number":
        return shown_number(field, text)
    if kind in LINK_KINDS:
        ids = linked_ids(value)
        if not ids:
            return text
        known = names or {}
        return ", ".join(known.get(i, f"#{i}") for i in ids)
    return text.replace("\n", " ⏎ ") if kind == "textarea" else text


MAX_PRECISION = 10
"""More decimals than a number field's `precision` option may ask for (a larger one is ignored)."""


def shown_number(field: ModuleField | None, text: str) -> str:
    """A number field's value as a person reads it: "6,400,000.00", its digits grouped, with the
    decimals its `precision` option asks for, and the option's `prefix` and `suffix` ("€", " %")
    when it has them. Text that is no number is shown as it is."""
    if not _NUMBER.match(text.strip()):
        return text
    number = Decimal(text.strip())  # (the pattern lets only what Decimal reads through)
    precision = _precision(field)
    shown = f"{number:,f}" if precision is None else f"{number:,.{precision}f}"  # (None: the decimals it has)
    prefix, suffix = _affixes(field)
    return f"{prefix}{shown}{suffix}"


def number_width(field: ModuleField) -> int:
    """Cells a number field's values take up to 99,999,999 (with the decimals it shows, two when
    its options do not say, and its prefix and suffix)."""
    precision = _precision(field)
    decimals = 2 if precision is None else precision
    return 10 + (decimals + 1 if decimals else 0) + sum(map(len, _affixes(field)))


def _options(field: ModuleField | None) -> Mapping[str, Any]:
    """A field's options when they are a mapping (the server keeps what it likes there)."""
    return field.options if field is not None and isinstance(field.options, Mapping) else {}


def _affixes(field: ModuleField | None) -> tuple[str, str]:
    """A number field's `prefix` and `suffix` options, drawn never obeyed ('' for none)."""
    options = _options(field)

    def affix(name: str) -> str:
        part = options.get(name)
        return inert_line(part) if isinstance(part, str) else ""

    return affix("prefix"), affix("suffix")


def _precision(field: ModuleField | None) -> int | None:
    """The decimals a number field's `precision` option asks for (None: it does not say, or says nonsense)."""
    precision = _options(field).get("precision")
    if isinstance(precision, int) and not isinstance(precision, bool) and 0 <= precision <= MAX_PRECISION:
        return precision
    return None


def searchable_text(field: ModuleField | None, value: RecordValue, names: Mapping[str, str] | None = None) -> str:
    """What narrowing a list matches a value against: the value as shown, and a number's digits
    as stored too (6400000 finds "6,400,000.00")."""
    shown = shown_value(field, value, names)
    return f"{shown} {value.value}" if field is not None and field.kind == "number" and shown != value.value else shown


def is_empty(value: RecordValue | None) -> bool:
    return value is None or (not value.value.strip() and not value.related)


def problems(module: Module, values: Mapping[str, RecordValue]) -> dict[str, str]:
    """What is wrong with `values` for `module` (field name -> the problem in words); empty: none.

    Only the fields the module defines are checked; kinds the server made up are taken as text."""
    found: dict[str, str] = {}
    for field in module.fields:
        value = values.get(field.name)
        text = value.value.strip() if value is not None else ""
        if is_empty(value):
            if field.is_required:
                found[field.name] = f"{field.title} is required"
            continue
        if field.max_length and field.kind not in LINK_KINDS and len(text) > field.max_length:
            found[field.name] = f"{field.title} is longer than {field.max_length} characters ({len(text)})"
        elif field.kind == "email" and not _EMAIL.match(text):
            found[field.name] = f"{field.title} is not an e-mail address (like ada@example.com)"
        elif field.kind == "number" and not _NUMBER.match(text):
            found[field.name] = f"{field.title} is a number (like 1200 or 12.5)"
        elif field.kind == "bool" and text not in ("0", "1"):
            found[field.name] = f"{field.title} is yes or no"
        elif field.kind == "enum" and field.choices and text not in field.choices:
            found[field.name] = f"{field.title} is one of: {', '.join(field.choices)}"
        elif field.kind == "stamp" and parse_stamp(text) is None:
            found[field.name] = f"{field.title} is a date (2026-03-10) or a date and time"
    return found


def _number(text: str) -> float | None:
    return float(text) if _NUMBER.match(text.strip()) else None


def sort_key(module: Module | None, name: str, record: Record, names: Mapping[str, str] | None = None) -> tuple[Any, ...]:
    """Where `record` goes when sorted by `name` (a field, or createdAt / updatedAt): empty values
    last, numbers as numbers, stamps by time, text without case."""
    if name in (CREATED, UPDATED):
        moment = record.created_at if name == CREATED else record.updated_at
        return (moment is None, moment.timestamp() if moment is not None else 0.0, record.id)
    field = module.field(name) if module is not None else None
    value = record.values.get(name)
    if is_empty(value):
        return (True, 0, "", record.id)
    assert value is not None
    kind = field.kind if field is not None else "text"
    if kind == "number":
        number = _number(value.value)
        if number is not None:
            return (False, 0, number, record.id)
    if kind == "stamp":
        stamp = parse_stamp(value.value)
        if isinstance(stamp, dt.datetime):
            return (False, 1, stamp.date().isoformat() + stamp.strftime("T%H:%M:%S"), record.id)
        if stamp is not None:
            return (False, 1, stamp.isoformat(), record.id)
    return (False, 2, shown_value(field, value, names).casefold(), record.id)

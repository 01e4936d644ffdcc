"""Modules and their records (Crust CRM): records have no fixed schema; a module's fields say what they hold.

Every value is text (Crust stores strings: a bool is "1"/"0", a date ISO 8601 text), and a field that
links records (`related`, `related_multi`) carries their ids in `related` too. Ids are 64-bit numbers
kept as text everywhere: never parsed, never rounded.

An edit on Crust replaces the whole record: what is not sent is lost. So an edit is a merge, field
by field, of the person's changes onto the server's copy as it is now (`merge_record`): a field both
sides changed, differently, is a clash for the person to settle; anything else merges cleanly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from crmtui.domain.text import Line, Paragraph


class _Model(BaseModel):
    model_config = ConfigDict(frozen=False, extra="ignore", defer_build=True)


class FieldKind(_Model):
    """A kind of field the server offers (Crust's /field/: bool, email, enum, stamp, text, ...)."""

    kind: Line
    name: Line = ""


class ModuleField(_Model):
    """One field of a module, as its definition says (kinds are free text on Crust: not validated)."""

    name: Line
    kind: Line = "text"
    label: Line = ""
    help_text: Paragraph = ""
    default_value: Paragraph = ""
    max_length: int = 0
    options: Any = None
    """The kind's options as the server keeps them (an enum's `{"options": [...]}`, a number's precision)."""
    is_private: bool = False
    is_required: bool = False
    is_visible: bool = True

    @property
    def title(self) -> str:
        return self.label or self.name

    @property
    def choices(self) -> list[str]:
        """An enum's options (empty for other kinds, or when the server keeps them in another shape)."""
        raw = self.options.get("options") if isinstance(self.options, Mapping) else self.options
        return [str(o) for o in raw if isinstance(o, (str, int, float))] if isinstance(raw, list) else []


class Module(_Model):
    """A kind of record (Lead, Account, a module someone made) with its fields."""

    id: str
    name: Line = ""
    fields: list[ModuleField] = Field(default_factory=list)
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    def field(self, name: str) -> ModuleField | None:
        return next((f for f in self.fields if f.name == name), None)


class RecordValue(_Model):
    """One field's value: text, and for fields linking records the linked records' ids.

    Kept exactly as the server has it (not made inert): an edit sends the server's own values back,
    so a screen draws them inert, the model never changes them."""

    value: str = ""
    related: list[str] = Field(default_factory=list)


class Record(_Model):
    id: str
    module_id: str
    owner_id: str = ""
    owner_name: Line = ""
    values: dict[str, RecordValue] = Field(default_factory=dict)
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    def text(self, name: str) -> str:
        found = self.values.get(name)
        return found.value if found is not None else ""


class RecordsPage(_Model):
    """One page of a module's records (0-based pages) with the count of the whole query."""

    items: list[Record] = Field(default_factory=list)
    page: int = 0
    per_page: int = 50
    total: int = 0

    @property
    def next_page(self) -> int | None:
        """The following page's number, None on the last."""
        return self.page + 1 if (self.page + 1) * self.per_page < self.total and self.items else None


class RecordMerge(_Model):
    """The record to send (every field), and the fields that clash (empty: it merged cleanly)."""

    values: dict[str, RecordValue]
    clashes: dict[str, tuple[RecordValue, RecordValue, RecordValue]] = Field(default_factory=dict)
    """name -> (as read, mine, the server's now) for each field both sides changed differently."""

    def describe(self) -> str:
        """The clashes in words ("" when none)."""
        return "; ".join(
            f"{name} is {_shown(theirs)} on the server (you read {_shown(read)}, you set {_shown(mine)})"
            for name, (read, mine, theirs) in self.clashes.items()
        )


def _shown(value: RecordValue) -> str:
    return repr(value.value) if value.value or not value.related else repr(",".join(value.related))


def _same(a: RecordValue | None, b: RecordValue | None) -> bool:
    a, b = a or RecordValue(), b or RecordValue()
    return a.value == b.value and sorted(a.related) == sorted(b.related)


def merge_record(
    read: Mapping[str, RecordValue], changes: Mapping[str, RecordValue], server: Mapping[str, RecordValue]
) -> RecordMerge:
    """The person changed `changes` on a record they read as `read`; the server has `server` now.

    The answer holds every field of the server's copy with the person's changes on top, field by field
    (never a partial record: Crust drops what an edit does not send). A field is a clash only when the
    server's value differs both from what was read (someone else changed it) and from the person's
    (they did not make the same change).
    """
    values = {name: value.model_copy(deep=True) for name, value in server.items()}
    clashes: dict[str, tuple[RecordValue, RecordValue, RecordValue]] = {}
    for name, mine in changes.items():
        before, theirs = read.get(name), server.get(name)
        if not _same(theirs, before) and not _same(theirs, mine):
            clashes[name] = (before or RecordValue(), mine, theirs or RecordValue())
            continue
        values[name] = mine.model_copy(deep=True)
    return RecordMerge(values=values, clashes=clashes)

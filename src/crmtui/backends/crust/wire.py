"""Crust CRM's JSON (crust-server at 73728bcf) as pydantic models, tolerant of what real answers send.

The server's Go types say the shapes (the spec has no response types): ids are 64-bit numbers sent
as JSON strings, and stay strings here (a number is taken as its digits, never through a float);
`createdAt` is never null, so an unset one reads `0001-01-01T00:00:00Z` (None here); `updatedAt` and
`deletedAt` are left out when unset; a record's `fields` and `related` may be null; values are text
(a number or a bool from another server becomes its text). Unknown fields are kept (`model_extra`);
parsing never fails on shape.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _to_id(value: Any) -> str:
    """An id as text: strings as they are, integers by their digits; anything else is no id."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return ""  # a float has lost the id's digits already (chart meta): never an id


def _to_text(value: Any) -> str:
    if value is None or isinstance(value, (Mapping, list, tuple)):
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value)


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        return int(value)
    return 0


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return False


_FRACTION = re.compile(r"(\.\d{6})\d+")


def _to_time(value: Any) -> dt.datetime | None:
    """RFC 3339 (Go's, with nanoseconds) as an aware time; Go's zero time, or anything unreadable, is None."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = _FRACTION.sub(r"\1", value.strip())
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return None if moment.year <= 1 else moment


def _to_list(value: Any) -> Any:
    """A list of objects: null (or anything else) is none; an element that is no object is left out."""
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def _to_ids(value: Any) -> list[str]:
    return [i for i in (_to_id(v) for v in value) if i] if isinstance(value, list) else []


Id = Annotated[str, BeforeValidator(_to_id)]
Text = Annotated[str, BeforeValidator(_to_text)]
Int = Annotated[int, BeforeValidator(_to_int)]
Bool = Annotated[bool, BeforeValidator(_to_bool)]
Time = Annotated[dt.datetime | None, BeforeValidator(_to_time)]
Ids = Annotated[list[str], BeforeValidator(_to_ids)]


class Wire(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class FieldType(Wire):
    """GET /field/: a kind of field (`type`) and its name for people."""

    name: Text = ""
    type: Text = ""


class ModuleField(Wire):
    module_id: Id = Field("", alias="moduleID")
    kind: Text = ""
    name: Text = ""
    label: Text = ""
    help_text: Text = Field("", alias="helpText")
    default_value: Text = Field("", alias="defaultValue")
    max_length: Int = Field(0, alias="maxLength")
    options: Any = None
    is_private: Bool = Field(False, alias="isPrivate")
    is_required: Bool = Field(False, alias="isRequired")
    is_visible: Bool = Field(False, alias="isVisible")


class Module(Wire):
    module_id: Id = Field("", alias="moduleID")
    name: Text = ""
    fields: Annotated[list[ModuleField], BeforeValidator(_to_list)] = Field(default_factory=list)
    page: Any = None
    created_at: Time = Field(None, alias="createdAt")
    updated_at: Time = Field(None, alias="updatedAt")


class User(Wire):
    user_id: Id = Field("", alias="userID")
    username: Text = ""
    email: Text = ""
    name: Text = ""
    handle: Text = ""


def _to_user(value: Any) -> Any:
    return value if isinstance(value, Mapping) else None


class Column(Wire):
    """One field of a record: its name, its value (text), the linked records' ids (null on reads at the commit)."""

    name: Text = ""
    value: Text = ""
    related: Ids = Field(default_factory=list)


class Content(Wire):
    """A record (Go's Content)."""

    content_id: Id = Field("", alias="contentID")
    module_id: Id = Field("", alias="moduleID")
    user: Annotated[User | None, BeforeValidator(_to_user)] = None
    user_id: Id = Field("", alias="userID")
    fields: Annotated[list[Column], BeforeValidator(_to_list)] = Field(default_factory=list)
    created_at: Time = Field(None, alias="createdAt")
    updated_at: Time = Field(None, alias="updatedAt")
    deleted_at: Time = Field(None, alias="deletedAt")


class ListMeta(Wire):
    query: Text = ""
    page: Int = 0
    per_page: Int = Field(0, alias="perPage")
    count: Int = 0
    sort: Text = ""


def _to_meta(value: Any) -> Any:
    return value if isinstance(value, Mapping) else {}


class ContentList(Wire):
    """GET /module/{moduleID}/content: a page of records and the query's meta (`count`: the total)."""

    meta: Annotated[ListMeta, BeforeValidator(_to_meta)] = Field(default_factory=ListMeta)
    contents: Annotated[list[Content], BeforeValidator(_to_list)] = Field(default_factory=list)


def _to_rows(value: Any) -> Any:
    """Chart data: a list of lists (anything else in it left out)."""
    return [list(v) for v in value if isinstance(v, list)] if isinstance(value, list) else []


def _to_object(value: Any) -> Any:
    return dict(value) if isinstance(value, Mapping) else {}


class Chart(Wire):
    """GET /module/{moduleID}/chart (docs/module-chart.md): `data` is `[[label, value], ...]` for bar, pie
    and donut, columns for a line (`[[x label, x1, ...], [series label, y1, ...], ...]`); `fields` is
    keyed by names for people or field names (with placeholder values in the docs' line sample); `meta`
    holds ids as float-rounded JSON numbers: kept raw, never read as ids."""

    kind: Text = ""
    data: Annotated[list[list[Any]], BeforeValidator(_to_rows)] = Field(default_factory=list)
    fields: Annotated[dict[str, Any], BeforeValidator(_to_object)] = Field(default_factory=dict)
    meta: Annotated[dict[str, Any], BeforeValidator(_to_object)] = Field(default_factory=dict)

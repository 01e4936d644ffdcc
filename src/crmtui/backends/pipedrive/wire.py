"""Pipedrive's JSON as pydantic models, tolerant of what real answers send.

Real leads carry `value: {}` where the spec promises `{amount, currency}`, fields the spec lacks
(`archive_time`, custom fields as 40-character hash keys at the root), and times in two formats
(`2020-10-14T11:30:36.551Z` on leads and labels, `2019-01-22 08:55:59` UTC elsewhere). So: every
field has a default, ids (integers or UUIDs) become strings, `{}` and null mean "no value", a date
or time that no calendar holds is None, unknown enum values (a label's colour, `visible_to`) are
kept as text, and unknown fields are kept (`model_extra`). Parsing never fails on shape.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator


T = TypeVar("T")


def _is_obj(value: Any) -> bool:
    return type(value) is dict or isinstance(value, Mapping)


def _to_str(value: Any) -> str:
    if value.__class__ is str:
        return str(value)
    if value is None or _is_obj(value) or isinstance(value, (list, tuple)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _to_id_or_none(value: Any) -> str | None:
    """An id (integer or UUID) as text; objects with an id (`{"id": 5, "name": ...}`) give theirs."""
    if _is_obj(value):
        value = value.get("value", value.get("id"))
    text = _to_str(value).strip()
    return text or None


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return False


def _to_number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value.strip().replace(",", "") if isinstance(value, str) else value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else number


_PLAIN_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


def _to_datetime(value: Any) -> dt.datetime | None:
    """Both of Pipedrive's formats, always UTC: `2019-01-22 08:55:59` and `2020-10-14T11:30:36.551Z`."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    text = _to_str(value).strip()
    if not _PLAIN_TIME.match(text):
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace(" ", "T", 1).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def _to_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    text = _to_str(value).strip()[:10]
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _to_objects(value: Any) -> list[Any]:
    return [v for v in value if _is_obj(v)] if isinstance(value, list) else []


def _to_strs(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [text for text in (_to_str(v) for v in value) if text]


def _to_object_or_none(value: Any) -> Any:
    return value if _is_obj(value) else None


def _to_value(value: Any) -> Any:
    """A lead's value: {amount, currency} with both, or None (`{}`, null, half of one)."""
    if not _is_obj(value):
        return None
    amount = _to_number(value.get("amount"))
    currency = _to_str(value.get("currency")).strip()
    if amount is None or not currency:
        return None
    return {"amount": amount, "currency": currency}


Str = Annotated[str, BeforeValidator(_to_str)]
Id = Annotated[str, BeforeValidator(lambda v: _to_id_or_none(v) or "")]
OptId = Annotated[str | None, BeforeValidator(_to_id_or_none)]
Bool = Annotated[bool, BeforeValidator(_to_bool)]
OptFloat = Annotated[float | None, BeforeValidator(_to_number)]
OptDateTime = Annotated[dt.datetime | None, BeforeValidator(_to_datetime)]
OptDate = Annotated[dt.date | None, BeforeValidator(_to_date)]
StrList = Annotated[list[str], BeforeValidator(_to_strs)]


class Wire(BaseModel):
    """Base of every wire model: unknown fields kept, null means "use the default"."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _tolerate(cls, data: Any) -> Any:
        if not _is_obj(data):
            return {}
        if None not in data.values():
            return data
        return {key: value for key, value in data.items() if value is not None or key not in cls.model_fields}


class Money(Wire):
    amount: float
    currency: Str


OptMoney = Annotated[Money | None, BeforeValidator(_to_value)]


class User(Wire):
    id: Id = ""
    name: Str = ""
    email: Str = ""
    timezone_name: Str = ""
    default_currency: Str = ""
    locale: Str = ""
    is_admin: Bool = False
    active_flag: Bool = True
    company_name: Str = ""
    company_domain: Str = ""
    access: Annotated[list[dict[str, Any]], BeforeValidator(_to_objects)] = Field(default_factory=list)
    """Per app (`sales`, `projects`, ...): `{app, admin, permission_set_id}`."""

    @property
    def admin(self) -> bool:
        """An admin of the account: `is_admin`, or admin of the sales app in `access`."""
        return self.is_admin or any(
            _to_str(a.get("app")) == "sales" and _to_bool(a.get("admin")) for a in self.access
        )

    @property
    def first_last(self) -> tuple[str, str]:
        """The name split at its first space: Pipedrive keeps one `name`."""
        first, _, last = self.name.strip().partition(" ")
        return first, last.strip()


CUSTOM_KEY = re.compile(r"^[0-9a-f]{40}(_currency|_until|_timezone_id|_subpremise|_street_number|_route|_sublocality"
                        r"|_locality|_admin_area_level_1|_admin_area_level_2|_country|_postal_code|_formatted_address)?$")
"""A custom field's key (a 40-hex hash), or one of its siblings (a monetary field's currency, ...)."""


class Lead(Wire):
    id: Id = ""
    title: Str = ""
    owner_id: Id = ""
    creator_id: Id = ""
    label_ids: StrList = Field(default_factory=list)
    person_id: OptId = None
    organization_id: OptId = None
    value: OptMoney = None
    expected_close_date: OptDate = None
    next_activity_id: OptId = None
    is_archived: Bool = False
    archive_time: OptDateTime = None
    was_seen: Bool = True
    source_name: Str = ""
    origin: Str = ""
    channel: OptId = None
    visible_to: Str = ""
    cc_email: Str = ""
    add_time: OptDateTime = None
    update_time: OptDateTime = None

    def custom_fields(self) -> dict[str, Any]:
        """The custom fields set on this lead (hash key -> raw value), from the unknown root keys."""
        return {k: v for k, v in (self.model_extra or {}).items() if CUSTOM_KEY.match(k)}


class LeadLabel(Wire):
    id: Id = ""
    name: Str = ""
    color: Str = ""


class LeadSource(Wire):
    name: Str = ""


class FieldOption(Wire):
    id: Id = ""
    label: Str = ""


class LeadField(Wire):
    id: OptId = None
    key: Str = ""
    name: Str = ""
    field_type: Str = ""
    options: Annotated[list[FieldOption], BeforeValidator(_to_objects)] = Field(default_factory=list)
    edit_flag: Bool = False


class Named(Wire):
    """A person or organization: the id and name are all crmtui reads of them."""

    id: Id = ""
    name: Str = ""


class Filter(Wire):
    id: Id = ""
    name: Str = ""
    type: Str = ""
    active_flag: Bool = True
    user_id: OptId = None
    visible_to: Str = ""
    add_time: OptDateTime = None
    update_time: OptDateTime = None
    conditions: Annotated[dict[str, Any] | None, BeforeValidator(_to_object_or_none)] = None


def _pairs(value: Any) -> list[tuple[str, str]]:
    """{op: label} or [{op: label}, ...] (the enum type's list) as (op, label) pairs; anything else: none."""
    tables = value if isinstance(value, list) else [value]
    out: list[tuple[str, str]] = []
    for table in tables:
        if isinstance(table, dict):
            out += [(str(k), str(v) if isinstance(v, (str, int, float)) else str(k)) for k, v in table.items()]
    return out


class FilterHelpers(Wire):
    """GET /filters/helpers: operator tables per field type and relative dates (by group)."""

    operators: Annotated[dict[str, Any], BeforeValidator(lambda v: v if isinstance(v, dict) else {})] = Field(default_factory=dict)
    relative_dates: Annotated[dict[str, Any], BeforeValidator(lambda v: v if isinstance(v, dict) else {})] = Field(default_factory=dict)

    def operator_pairs(self) -> dict[str, list[tuple[str, str]]]:
        return {str(kind): _pairs(table) for kind, table in self.operators.items()}

    def relative_pairs(self) -> list[tuple[str, str]]:
        return [pair for group in self.relative_dates.values() for pair in _pairs(group)]


class SearchLead(Wire):
    """A lead as /leads/search lists it: names inline, its value as a number and a currency."""

    id: Id = ""
    title: Str = ""
    owner: Annotated[Named | None, BeforeValidator(_to_object_or_none)] = None
    person: Annotated[Named | None, BeforeValidator(_to_object_or_none)] = None
    organization: Annotated[Named | None, BeforeValidator(_to_object_or_none)] = None
    value: OptFloat = None
    currency: Str = ""
    visible_to: Str = ""
    is_archived: Bool = False
    notes: StrList = Field(default_factory=list)


class SearchHit(Wire):
    result_score: OptFloat = None
    item: Annotated[SearchLead, BeforeValidator(lambda v: v if _is_obj(v) else {})] = Field(default_factory=SearchLead)


class SearchItem(Wire):
    """Any record as /itemSearch lists it (lead, deal, person, organization, product, file...): the
    fields each kind may carry, all optional."""

    id: Id = ""
    type: Str = ""
    title: Str = ""
    name: Str = ""
    owner: Annotated[Named | None, BeforeValidator(_to_object_or_none)] = None
    person: Annotated[Named | None, BeforeValidator(_to_object_or_none)] = None
    organization: Annotated[Named | None, BeforeValidator(_to_object_or_none)] = None
    emails: StrList = Field(default_factory=list)
    phones: StrList = Field(default_factory=list)
    address: Str = ""
    code: Str = ""
    value: OptFloat = None
    currency: Str = ""
    status: Str = ""
    is_archived: Bool = False
    notes: StrList = Field(default_factory=list)
    custom_fields: StrList = Field(default_factory=list)


class ItemHit(Wire):
    result_score: OptFloat = None
    item: Annotated[SearchItem, BeforeValidator(lambda v: v if _is_obj(v) else {})] = Field(default_factory=SearchItem)


class File(Wire):
    """A file as /files answers it. Links the file lacks are null (the spec says integers); the
    examples' `file_type`, `description` and `log_id` are not in the spec's schema: all optional."""

    id: Id = ""
    user_id: Id = ""
    lead_id: OptId = None
    person_id: OptId = None
    org_id: OptId = None
    deal_id: OptId = None
    add_time: OptDateTime = None
    update_time: OptDateTime = None
    file_name: Str = ""
    file_type: Str = ""
    file_size: OptFloat = None
    active_flag: Bool = True
    name: Str = ""
    description: Str = ""
    remote_location: Str = ""
    lead_name: Str = ""
    person_name: Str = ""
    org_name: Str = ""
    deal_name: Str = ""


class Team(Wire):
    """A legacy team: `active_flag`/`deleted_flag` are 0/1 numbers; `users` are user ids (left out
    with `skip_users`); times are `YYYY-MM-DD HH:MM:SS` UTC."""

    id: Id = ""
    name: Str = ""
    description: Str = ""
    manager_id: Id = ""
    users: Annotated[list[str], BeforeValidator(lambda v: user_ids(v))] = Field(default_factory=list)
    active_flag: Bool = True
    deleted_flag: Bool = False
    add_time: OptDateTime = None
    created_by_user_id: OptId = None


def _goal_type_name(value: Any) -> str:
    """A goal type's API name; the spec's examples give display names (`Deals started`)."""
    return _to_str(value).strip().lower().replace(" ", "_")


class GoalType(Wire):
    name: Annotated[str, BeforeValidator(_goal_type_name)] = ""
    params: Annotated[dict[str, Any] | None, BeforeValidator(_to_object_or_none)] = None


class GoalAssignee(Wire):
    id: Id = ""
    type: Str = ""


class GoalDuration(Wire):
    start: OptDate = None
    end: OptDate = None


class GoalOutcome(Wire):
    """The target: an integer in the spec, `"50"` in its request docs, fractional for sums: a number."""

    target: OptFloat = None
    tracking_metric: Str = ""
    currency_id: OptId = None


_OBJECT = BeforeValidator(lambda v: v if _is_obj(v) else {})
"""An object field: anything else reads as an empty one (every field defaulted)."""


class Goal(Wire):
    """A goal as /goals answers it (`title` is in the examples, not the spec's schema: optional)."""

    id: Id = ""
    owner_id: Id = ""
    title: Str = ""
    type: Annotated[GoalType, _OBJECT] = Field(default_factory=GoalType)
    assignee: Annotated[GoalAssignee, _OBJECT] = Field(default_factory=GoalAssignee)
    interval: Str = ""
    duration: Annotated[GoalDuration, _OBJECT] = Field(default_factory=GoalDuration)
    expected_outcome: Annotated[GoalOutcome, _OBJECT] = Field(default_factory=GoalOutcome)
    is_active: Bool = True
    report_ids: StrList = Field(default_factory=list)


class GoalResults(Wire):
    """GET /goals/{id}/results: the goal and its progress in the period asked for."""

    goal: Annotated[Goal, _OBJECT] = Field(default_factory=Goal)
    progress: OptFloat = None


def _to_time(value: Any) -> dt.time | None:
    """An activity's `due_time`: `HH:MM` (or `HH:MM:SS`), UTC; "", null or nonsense: none (all day)."""
    if isinstance(value, dt.time):
        return value
    found = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", _to_str(value).strip())
    if not found:
        return None
    hour, minute, second = int(found.group(1)), int(found.group(2)), int(found.group(3) or 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return dt.time(hour, minute, second)


class Activity(Wire):
    """An activity as /activities answers it. `due_time` is "" (or null) for an all-day activity;
    `type` is any of the account's type keys (kept as text); unset links are null or absent."""

    id: Id = ""
    subject: Str = ""
    type: Str = ""
    due_date: OptDate = None
    due_time: Annotated[dt.time | None, BeforeValidator(_to_time)] = None
    duration: Str = ""
    done: Bool = False
    user_id: Id = ""
    lead_id: OptId = None
    person_id: OptId = None
    org_id: OptId = None
    active_flag: Bool = True
    add_time: OptDateTime = None
    update_time: OptDateTime = None


@dataclass
class Page(Generic[T]):
    """One page of an offset-paged list: its items and whether (and where) more follow."""

    items: list[T]
    more: bool = False
    next_start: int | None = None


def pagination(additional: Any) -> tuple[bool, int | None]:
    """(more items follow, where the next page starts) from `additional_data`: flat (leads) or
    nested under `pagination` (search, files, fields)."""
    if not _is_obj(additional):
        return False, None
    block = additional.get("pagination") if _is_obj(additional.get("pagination")) else additional
    more = _to_bool(block.get("more_items_in_collection"))
    following = _to_number(block.get("next_start"))
    return more, int(following) if following is not None and following >= 0 else None


def user_ids(data: Any) -> list[str]:
    """A list of user ids as text (a team's users): integers or `{id: ...}` objects; anything else left out."""
    if not isinstance(data, list):
        return []
    return [text for text in (_to_id_or_none(v) for v in data) if text]

"""OnePageCRM's JSON as pydantic models, tolerant of real data of any age.

Real answers do not always follow the spec: nulls where it says string or boolean, numbers sent as
strings (and strings sent as numbers), custom field values that are lists or numbers, empty
strings outside an enum, objects missing from older accounts. So every field has a default, the
field types below coerce where the meaning is clear (None -> default, "12" -> 12, 5 -> "5",
"true" -> True), enum fields keep values they do not know as plain strings, lists drop items
that are not objects, and unknown fields are kept (`model_extra`). Parsing never fails on shape;
only an answer that is not a JSON object at all is refused by the client.

IDs are strings. `auth_key` (a credential the API returns in /bootstrap) is dropped on arrival.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Annotated, Any, ClassVar, Generic, TypeVar, cast, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, GetCoreSchemaHandler, model_validator
from pydantic_core import CoreSchema

from crmtui.backends.errors import MalformedResponse

# -- lenient scalar types ----------------------------------------------------------------------


def _is_obj(value: Any) -> bool:
    """A JSON object? (`type is dict` first: ABC isinstance checks dominate parsing time otherwise)."""
    return type(value) is dict or isinstance(value, Mapping)


def _to_str(value: Any) -> str:
    if value.__class__ is str:  # the common case, first: this runs for every string field
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)):
        return ", ".join(_to_str(v) for v in value if v is not None)
    if _is_obj(value):
        return ""
    return str(value)


_TRUE = {"1", "true", "yes", "on", "t", "y"}


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        return value.strip().lower() in _TRUE
    return bool(value)


def _to_number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "")
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            return None
    else:
        return None
    return None if math.isnan(number) or math.isinf(number) else number


def _to_float(value: Any) -> float:
    number = _to_number(value)
    return 0.0 if number is None else number


def _to_int_or_none(value: Any) -> int | None:
    number = _to_number(value)
    return None if number is None else int(number)


def _to_list(value: Any) -> list[Any]:
    if type(value) is list:
        return value if None not in value else [v for v in value if v is not None]
    if value is None or isinstance(value, (str, bytes)):
        return []
    if _is_obj(value):
        return [value]
    try:
        return [v for v in value if v is not None]
    except TypeError:
        return []


def _to_objects(value: Any) -> list[Any]:
    return [v for v in _to_list(value) if _is_obj(v)]


def _to_strs(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    return [_to_str(v) for v in _to_list(value) if not _is_obj(v)]


def _to_object_or_none(value: Any) -> Any:
    return value if _is_obj(value) else None


Str = Annotated[str, BeforeValidator(_to_str)]
Id = Str
Bool = Annotated[bool, BeforeValidator(_to_bool)]
Float = Annotated[float, BeforeValidator(_to_float)]
OptFloat = Annotated[float | None, BeforeValidator(_to_number)]
OptInt = Annotated[int | None, BeforeValidator(_to_int_or_none)]
StrList = Annotated[list[str], BeforeValidator(_to_strs)]

M = TypeVar("M", bound=BaseModel)


E = TypeVar("E", bound=Enum)

# Generic aliases, so a field reads `Objects[Contact]` to type checkers and pydantic alike.
Objects = Annotated[list[M], BeforeValidator(_to_objects)]
"""A list of `M`, dropping items that are not JSON objects."""

Maybe = Annotated[M | None, BeforeValidator(_to_object_or_none)]
"""An optional `M`; anything that is not a JSON object becomes None."""


def _open(enum: type[Enum]) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        text = _to_str(value).strip()
        for candidate in (text, text.lower()):
            try:
                return enum(candidate)
            except ValueError:
                continue
        return text  # unknown (or empty): preserved as the raw string

    return convert


class _KeepUnknown:
    """Marker for `Open`: the enum comes from the annotated `E | str`, so the alias stays generic."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        enum = next(arg for arg in get_args(source) if isinstance(arg, type) and issubclass(arg, Enum))
        return BeforeValidator(_open(enum)).__get_pydantic_core_schema__(source, handler)


Open = Annotated[E | str, _KeepUnknown()]
"""An enum field that keeps unknown values (as str) instead of failing."""


class Wire(BaseModel):
    """Base of every wire model: unknown fields kept, None means "use the default"."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, coerce_numbers_to_str=True)

    WRAPPERS: ClassVar[tuple[str, ...]] = ()
    """Keys this object may come wrapped in, as list items often do: {"action": {...}}."""

    @model_validator(mode="before")
    @classmethod
    def _tolerate(cls, data: Any) -> Any:
        for key in cls.WRAPPERS:
            data = unwrap(data, key)
        if not _is_obj(data):
            return {}
        if None not in data.values():  # the usual case: nothing to drop, no copy
            return data
        return {key: value for key, value in data.items() if value is not None or key not in cls.model_fields}


def unwrap(item: Any, key: str) -> Any:
    """List items often come wrapped as {"action": {...}}; accept that or the bare object."""
    if _is_obj(item) and _is_obj(item.get(key)):
        return item[key]
    return item


# -- enums -------------------------------------------------------------------------------------


class ActionStatus(str, Enum):
    ASAP = "asap"
    DATE = "date"
    DATE_TIME = "date_time"
    WAITING = "waiting"
    QUEUED = "queued"
    QUEUED_WITH_DATE = "queued_with_date"
    DONE = "done"


class DealStatus(str, Enum):
    PENDING = "pending"
    WON = "won"
    LOST = "lost"


class NotificationType(str, Enum):
    ASSIGNED_ACTION = "assigned_action"
    ACTION_WITH_TIME = "action_with_time"
    CONTACT_ASSIGNED = "contact_assigned"
    CALL = "call"
    MEETING = "meeting"
    EMAIL = "email"
    LINK = "link"
    NOTE = "note"


class AccountType(str, Enum):
    PRO = "pro"
    TRIAL = "trial"
    FREE = "free"


# -- account -----------------------------------------------------------------------------------


class User(Wire):
    WRAPPERS = ("user",)  # GET /users answers [{"user": {...}}]
    id: Id = ""
    first_name: Str = ""
    last_name: Str = ""
    email: Str = ""
    company_name: Str = ""
    photo_url: Str = ""
    country_code: Str = ""
    account_rights: StrList = Field(default_factory=list)



class DealStage(Wire):
    stage: OptInt = None
    label: Str = ""


class Pipeline(Wire):
    WRAPPERS = ("pipeline",)
    id: Id = ""
    name: Str = ""
    type: Str = ""
    default: Bool = False
    won_column_enabled: Bool = True
    won_column_name: Str = ""
    stages: Objects[DealStage] = Field(default_factory=list)



class NextActionDate(Wire):
    number: OptInt = None
    period: Str = ""


class Reminder(Wire):
    type: Str = ""
    hour: OptInt = None


class Settings(Wire):
    time_zone: Str = ""
    date_format: Str = ""
    time_with_ampm: Bool = False
    not_working_days: Str = ""
    listing_size: OptInt = None
    currency: Str = ""
    currency_symbol: Str = ""
    separator: Str = ""
    delimiter: Str = ""
    deal_stages: Objects[DealStage] = Field(default_factory=list)
    pipelines: Objects[Pipeline] = Field(default_factory=list)
    reminder: Maybe[Reminder] = None


class Status(Wire):
    WRAPPERS = ("status",)
    id: Id = ""
    status: Str = ""
    text: Str = ""
    description: Str = ""
    color: Str = ""



class LeadSource(Wire):
    WRAPPERS = ("lead_source",)
    id: Id = ""
    text: Str = ""



class PredefinedAction(Wire):
    WRAPPERS = ("predefined_action",)
    id: Id = ""
    text: Str = ""
    days: OptInt = None



class CustomField(Wire):
    """A contact, company or deal field definition."""

    WRAPPERS = ("custom_field", "company_field", "deal_field")
    id: Id = ""
    name: Str = ""
    type: Str = ""
    position: OptInt = None
    choices: StrList = Field(default_factory=list)



class Filter(Wire):
    id: Id = ""
    name: Str = ""
    conditions: list[Any] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _unwrap(cls, data: Any) -> Any:
        data = unwrap(data, "filter")
        if _is_obj(data) and not isinstance(data.get("conditions", []), list):
            data = {**data, "conditions": []}
        return data


class CallResult(Wire):
    id: Id = ""
    text: Str = ""


def _call_results(value: Any) -> list[dict[str, str]]:
    """Call results come as {"key": "Text"} (what the API sends), ["key", ...] or [{...}]."""
    if _is_obj(value):
        return [{"id": _to_str(k), "text": _to_str(v)} for k, v in value.items()]
    out = []
    for item in _to_list(value):
        if _is_obj(item):
            item = unwrap(item, "call_result")
            key = _to_str(item.get("id") or item.get("result") or item.get("key"))
            out.append({"id": key, "text": _to_str(item.get("text")) or key})
        else:
            key = _to_str(item)
            out.append({"id": key, "text": key.replace("_", " ").capitalize()})
    return [r for r in out if r["id"]]


class TeamCount(Wire):
    user_id: Id = ""
    counts: OptInt = None


class TeamStreamCounts(Wire):
    all: OptInt = None
    users: Objects[TeamCount] = Field(default_factory=list)


class Bootstrap(Wire):
    user_id: Id = ""
    user: Maybe[User] = None
    team: Objects[User] = Field(default_factory=list)
    account_type: Open[AccountType] = ""
    settings: Settings = Field(default_factory=Settings)
    custom_fields: Objects[CustomField] = Field(default_factory=list)
    company_fields: Objects[CustomField] = Field(default_factory=list)
    deal_fields: Objects[CustomField] = Field(default_factory=list)
    filters: Objects[Filter] = Field(default_factory=list)
    call_results: Annotated[list[CallResult], BeforeValidator(_call_results)] = Field(default_factory=list)
    call_results_order: StrList = Field(default_factory=list)
    next_action_dates: Objects[NextActionDate] = Field(default_factory=list)
    predefined_actions: Objects[PredefinedAction] = Field(default_factory=list)
    contact_titles: StrList = Field(default_factory=list)
    statuses: Objects[Status] = Field(default_factory=list)
    lead_sources: Objects[LeadSource] = Field(default_factory=list)
    team_stream: Maybe[TeamStreamCounts] = None

    @model_validator(mode="before")
    @classmethod
    def _drop_secrets(cls, data: Any) -> Any:
        if _is_obj(data) and "auth_key" in data:
            data = {k: v for k, v in data.items() if k != "auth_key"}
        if _is_obj(data) and not _is_obj(data.get("settings")):
            data = {**data, "settings": {}}
        return data

    def ordered_call_results(self) -> list[CallResult]:
        rank = {key: i for i, key in enumerate(self.call_results_order)}
        return sorted(self.call_results, key=lambda r: rank.get(r.id, len(rank)))


# -- contacts ----------------------------------------------------------------------------------


class TypedValue(Wire):
    type: Str = ""
    value: Str = ""

    @model_validator(mode="before")
    @classmethod
    def _bare(cls, data: Any) -> Any:
        return {"value": data} if isinstance(data, (str, int, float)) else data


def _typed_values(value: Any) -> list[Any]:
    return [v for v in _to_list(value) if isinstance(v, (dict, str, int, float)) or isinstance(v, Mapping)]


TypedValues = Annotated[list[TypedValue], BeforeValidator(_typed_values)]


class Address(Wire):
    address: Str = ""
    city: Str = ""
    state: Str = ""
    zip_code: Str = ""
    country_code: Str = ""
    type: Str = ""


class CustomFieldRef(Wire):
    id: Id = ""
    name: Str = ""
    type: Str = ""


class CustomFieldValue(Wire):
    """A contact's value of a custom field. `value` keeps the shape the server sent: a string, a
    number (number fields) or a list of strings (multiple-choice fields)."""

    custom_field: CustomFieldRef = Field(default_factory=CustomFieldRef)
    value: Any = None

    @model_validator(mode="before")
    @classmethod
    def _ref(cls, data: Any) -> Any:
        if _is_obj(data) and not _is_obj(data.get("custom_field")):
            data = {k: v for k, v in data.items() if k != "custom_field"}
        return data

    @property
    def text(self) -> str:
        """The value as text: lists joined with ", ", numbers without a trailing .0."""
        return _to_str(self.value)


class CompanyFieldValue(Wire):
    """A company's value of a company field (`value` as the server sent it, like CustomFieldValue)."""

    company_field: CustomFieldRef = Field(default_factory=CustomFieldRef)
    value: Any = None

    @model_validator(mode="before")
    @classmethod
    def _ref(cls, data: Any) -> Any:
        if _is_obj(data) and not _is_obj(data.get("company_field")):
            data = {k: v for k, v in data.items() if k != "company_field"}
        return data

    @property
    def text(self) -> str:
        return _to_str(self.value)


class DealFieldValue(Wire):
    """A deal's value of a deal field (`value` as the server sent it, like CustomFieldValue)."""

    deal_field: CustomFieldRef = Field(default_factory=CustomFieldRef)
    value: Any = None

    @model_validator(mode="before")
    @classmethod
    def _ref(cls, data: Any) -> Any:
        if _is_obj(data) and not _is_obj(data.get("deal_field")):
            data = {k: v for k, v in data.items() if k != "deal_field"}
        return data

    @property
    def text(self) -> str:
        return _to_str(self.value)


class ClosedSale(Wire):
    user_id: Id = ""
    closed_at: Any = None
    comment: Str = ""


class Contact(Wire):
    id: Id = ""
    title: Str = ""
    first_name: Str = ""
    last_name: Str = ""
    job_title: Str = ""
    starred: Bool = False
    photo_url: Str = ""
    company_id: Id = ""
    company_name: Str = ""
    url: TypedValues = Field(default_factory=list)
    phones: TypedValues = Field(default_factory=list)
    emails: TypedValues = Field(default_factory=list)
    address_list: Objects[Address] = Field(default_factory=list)
    status: Str = ""
    status_id: Id = ""
    tags: StrList = Field(default_factory=list)
    lead_source_id: Id = ""
    lead_source: Str = ""
    background: Str = ""
    owner_id: Id = ""
    custom_fields: Objects[CustomFieldValue] = Field(default_factory=list)
    letter: Str = ""
    pending_deal: Bool = False
    total_pendings: Float = 0.0
    total_deals_count: OptInt = None
    company_size: OptInt = None
    sales_closed_for: StrList = Field(default_factory=list)
    closed_sales: Objects[ClosedSale] = Field(default_factory=list)
    created_at: Str = ""
    modified_at: Str = ""

    @model_validator(mode="before")
    @classmethod
    def _urls(cls, data: Any) -> Any:
        # Requests say `urls`, answers say `url`; accept either.
        if _is_obj(data) and "url" not in data and "urls" in data:
            data = {**data, "url": data["urls"]}
        return data


class Company(Wire):
    WRAPPERS = ("company",)
    id: Id = ""
    name: Str = ""
    description: Str = ""
    phone: Str = ""
    url: Str = ""
    address: Maybe[Address] = None
    company_fields: Objects[CompanyFieldValue] = Field(default_factory=list)
    contacts_count: OptInt = None
    pending_deals_count: OptInt = None
    total_pending_amount: Float = 0.0
    won_deals_count: OptInt = None
    total_won_amount: Float = 0.0
    created_at: Str = ""
    modified_at: Str = ""



# -- actions, deals, history -------------------------------------------------------------------


class Action(Wire):
    WRAPPERS = ("action",)
    id: Id = ""
    contact_id: Id = ""
    assignee_id: Id = ""
    text: Str = ""
    status: Open[ActionStatus] = ""
    date: Str = ""
    exact_time: OptInt = None
    position: OptInt = None
    done: Bool = False
    done_at: Str = ""
    created_at: Str = ""
    modified_at: Str = ""



class DealItem(Wire):
    """A product or service line of a deal."""

    WRAPPERS = ("deal_item",)
    id: Id = ""
    name: Str = ""
    description: Str = ""
    cost: Float = 0.0
    price: Float = 0.0
    qty: OptInt = None
    amount: Float = 0.0
    predefined_item_id: Id = ""


class Deal(Wire):
    id: Id = ""
    contact_id: Id = ""
    owner_id: Id = ""
    pipeline_id: Id = ""
    sales_pipeline_id: Id = ""
    name: Str = ""
    text: Str = ""
    stage: OptInt = None
    status: Open[DealStatus] = ""
    expected_close_date: Str = ""
    close_date: Str = ""
    date: Str = ""
    amount: Float = 0.0
    months: OptInt = None
    cost: Float = 0.0
    margin: Float = 0.0
    total_amount: Float = 0.0
    commission_base: Str = ""
    commission_type: Str = ""
    commission: OptFloat = None
    commission_percentage: OptFloat = None
    deal_fields: Objects[DealFieldValue] = Field(default_factory=list)
    has_deal_items: Bool = False
    deal_items: Objects[DealItem] = Field(default_factory=list)
    author: Str = ""
    contact_info: dict[str, Any] | None = None
    created_at: Str = ""
    modified_at: Str = ""

    @model_validator(mode="before")
    @classmethod
    def _unwrap(cls, data: Any) -> Any:
        data = unwrap(data, "deal")
        if _is_obj(data) and not isinstance(data.get("contact_info", {}), (Mapping, type(None))):
            data = {k: v for k, v in data.items() if k != "contact_info"}
        return data


class Note(Wire):
    WRAPPERS = ("note",)
    id: Id = ""
    contact_id: Id = ""
    text: Str = ""
    date: Str = ""
    linked_deal_id: Id = ""
    author: Str = ""
    created_at: Str = ""
    modified_at: Str = ""



class Call(Wire):
    WRAPPERS = ("call",)
    id: Id = ""
    contact_id: Id = ""
    text: Str = ""
    call_result: Str = ""
    call_time_int: OptInt = None
    via: Str = ""
    phone_number: Str = ""
    author: Str = ""
    created_at: Str = ""
    modified_at: Str = ""



class Meeting(Wire):
    WRAPPERS = ("meeting",)
    id: Id = ""
    contact_id: Id = ""
    text: Str = ""
    meeting_time_int: OptInt = None
    place: Str = ""
    author: Str = ""
    created_at: Str = ""
    modified_at: Str = ""



class Notification(Wire):
    id: Id = ""
    type: Open[NotificationType] = ""
    by: Str = ""
    read: Bool = False
    user_id: Id = ""
    contact_id: Id = ""
    text: Str = ""
    mobile_data: dict[str, Any] = Field(default_factory=dict)
    created_at: Str = ""
    modified_at: Str = ""

    @model_validator(mode="before")
    @classmethod
    def _unwrap(cls, data: Any) -> Any:
        data = unwrap(data, "notification")
        if _is_obj(data) and not isinstance(data.get("mobile_data", {}), (Mapping, type(None))):
            data = {k: v for k, v in data.items() if k != "mobile_data"}
        return data


# -- streams and pages -------------------------------------------------------------------------


class StreamItem(Wire):
    """One contact of /action_stream, /team_stream or /contacts, or the answer of GET /contacts/{id}."""

    contact: Contact = Field(default_factory=Contact)
    next_action: Maybe[Action] = None
    next_actions: Objects[Action] = Field(default_factory=list)
    queued_actions: Objects[Action] = Field(default_factory=list)
    next_action_conflicts: Objects[Action] = Field(default_factory=list)
    deals: Objects[Deal] = Field(default_factory=list)
    company: Maybe[Company] = None

    @model_validator(mode="before")
    @classmethod
    def _contact(cls, data: Any) -> Any:
        if _is_obj(data) and not _is_obj(data.get("contact")):
            # A bare contact (some endpoints answer that way): wrap it.
            return {"contact": data} if "id" in data else {k: v for k, v in data.items() if k != "contact"}
        return data


T = TypeVar("T", bound=BaseModel)


class Page(BaseModel, Generic[T]):
    """One page of a listing; `items` already unwrapped and parsed."""

    items: list[T] = Field(default_factory=list)
    total_count: int = 0
    page: int = 1
    per_page: int = 0
    max_page: int = 0
    extra: dict[str, Any] = Field(default_factory=dict)
    """The listing's other members of `data` (e.g. team_stream counters)."""


_PAGE_CLASSES: dict[Any, Any] = {}
"""Page[model] for each model: pydantic keeps its parametrised classes only weakly, so once the
collector had run each page of deals built its class (and validator) again, ~2-3 ms a fetch."""


def _page_class(model: type[T]) -> type[Page[T]]:
    found = _PAGE_CLASSES.get(model)
    if found is None:
        found = _PAGE_CLASSES[model] = Page[model]  # type: ignore[valid-type]  # parametrised by a class in a variable, at run time
    return cast(type[Page[T]], found)


def parse_page(
    model: type[T], data: Any, list_key: str, *, page: int = 1, build: Callable[[Any], Any] | None = None
) -> Page[T]:
    """A page from `data` of a listing answer: {list_key: [...], total_count, page, per_page, max_page}.

    `build` makes each row from its JSON object instead of `validate_row(model, row)` (the adapter's
    domain rows straight from the JSON: no wire model kept); its page is then of whatever it makes."""
    if isinstance(data, list):  # some listings answer with a bare array
        raw_items: Any = data
        data = {}
    elif _is_obj(data):
        raw_items = data.get(list_key)
    else:
        raw_items, data = [], {}
    if build is None:
        items = [validate_row(model, item) for item in _to_objects(raw_items)]
    else:
        items = [build(item) for item in _to_objects(raw_items)]
        model = cast(type[T], Any)  # the rows are the builder's: not checked again
    meta = {k: v for k, v in data.items() if k not in (list_key, "total_count", "page", "per_page", "max_page")}
    return _page_class(model)(
        items=items,
        total_count=_to_int_or_none(data.get("total_count")) or len(items),
        page=_to_int_or_none(data.get("page")) or page,
        per_page=_to_int_or_none(data.get("per_page")) or 0,
        max_page=_to_int_or_none(data.get("max_page")) or 0,
        extra=meta,
    )


def parse_listing(
    model: type[T], data: Any, list_key: str, *, page: int = 1, paged: bool, build: Callable[[Any], Any] | None = None
) -> Page[T]:
    """A listing's page, refusing shapes that would read as an empty or shorter listing.

    A paged listing's `data` is {list_key: [...], total_count, ...}; an unpaged one (users, statuses)
    may also be a bare array. Every row must be an object. `parse_page` is the lenient reader for
    nested lists; here a null, a string or a missing key means the answer is broken, not empty.
    """
    if isinstance(data, list) and not paged:
        rows: Any = data
    elif _is_obj(data) and list_key in data:
        rows = data[list_key]
    else:
        raise MalformedResponse(f"The server's answer lacks the {list_key} list")
    if not isinstance(rows, list):
        raise MalformedResponse(f"The server's {list_key} are not a list")
    junk = sum(1 for row in rows if not _is_obj(row))
    if junk:
        raise MalformedResponse(f"The server's {list_key} include {junk} row(s) that are not records")
    return parse_page(model, data, list_key, page=page, build=build)


def record_id(item: BaseModel) -> str:
    """The id a listing's row is known by (a stream row's contact id)."""
    if isinstance(item, StreamItem):
        return item.contact.id
    return getattr(item, "id", "")


# -- the fast path -------------------------------------------------------------------------------
# Validating a large listing field by field through the lenient types above costs a Python call per
# field (about 1 s per 8,000 stream rows). Most rows are clean: every value already of the type its
# field holds. `trusted` builds such a row's models directly after checking each value's type, and
# refuses (raises `_Odd`) anything else, which `parse_page` then hands to the tolerant validation:
# the same models either way (tests/unit/test_onepagecrm_fast_path.py holds the two paths to that).


class _Odd(Exception):
    """A value the fast path does not take as it is: the tolerant validation decides."""


def _exact_str(value: Any) -> Any:
    if value.__class__ is not str:
        raise _Odd
    return value


def _exact_bool(value: Any) -> Any:
    if value is not True and value is not False:
        raise _Odd
    return value


def _finite_float(value: Any) -> float:
    if value.__class__ is float:
        if value - value != 0:  # NaN or infinite
            raise _Odd
        return value
    if value.__class__ is int:
        return float(value)
    raise _Odd


def _exact_int(value: Any) -> Any:
    if value.__class__ is not int:
        raise _Odd
    return value


def _strs(value: Any) -> Any:
    if value.__class__ is not list or any(v.__class__ is not str for v in value):
        raise _Odd
    return value


def _plain_dict(value: Any) -> Any:
    if value.__class__ is not dict:
        raise _Odd
    return dict(value)  # as validation leaves it: a copy


def _objects_of(build: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def objects(value: Any) -> Any:
        if value.__class__ is not list:
            raise _Odd
        return [build(v) for v in value]

    return objects


def _enum_of(enum: type[Enum]) -> Callable[[Any], Any]:
    members = enum._value2member_map_

    def member(value: Any) -> Any:
        if value.__class__ is not str:
            raise _Odd
        found = members.get(value)
        if found is None:
            if value:
                raise _Odd  # unknown (or to be stripped, lower-cased): kept as text by the tolerant path
            return value
        return found

    return member


_SCALARS: dict[Callable[[Any], Any], Callable[[Any], Any]] = {
    _to_str: _exact_str, _to_bool: _exact_bool, _to_float: _finite_float, _to_number: _finite_float,
    _to_int_or_none: _exact_int, _to_strs: _strs,
}
_UNSUPPORTED = object()
_builders: dict[type, Any] = {}


def _model_arg(annotation: Any) -> type[Wire] | None:
    for arg in (annotation, *get_args(annotation)):
        if isinstance(arg, type) and issubclass(arg, Wire):
            return arg
    return None


def _field_check(annotation: Any, metadata: list[Any]) -> Callable[[Any], Any] | None:
    """How the fast path takes one field's value (None: this field cannot be taken fast)."""
    if any(isinstance(m, _KeepUnknown) for m in metadata):
        enum = next(arg for arg in get_args(annotation) if isinstance(arg, type) and issubclass(arg, Enum))
        return _enum_of(enum)
    befores = [m.func for m in metadata if isinstance(m, BeforeValidator)]
    if len(befores) > 1:
        return None
    if befores:
        func = befores[0]
        if func in _SCALARS:
            return _SCALARS[func]
        model = _model_arg(annotation)
        inner = _builder(model) if model is not None else None
        if inner is None:
            return None
        if func is _to_object_or_none:
            return inner
        if func in (_to_objects, _typed_values):
            return _objects_of(inner)
        return None
    if annotation is Any:
        return lambda value: value
    if annotation in (dict[str, Any], dict[str, Any] | None):
        return _plain_dict
    if isinstance(annotation, type) and issubclass(annotation, Wire):
        return _builder(annotation)
    return None


def _builder(cls: type[Wire]) -> Callable[[Any], Any] | None:
    """A function building `cls` from a clean JSON object (None: `cls` has no fast path)."""
    found = _builders.get(cls)
    if found is None:
        _builders[cls] = _UNSUPPORTED  # while being made (models do not nest themselves)
        made = _make_builder(cls)
        _builders[cls] = found = _UNSUPPORTED if made is None else made
    return None if found is _UNSUPPORTED else cast(Callable[[Any], Any], found)


def _make_builder(cls: type[Wire]) -> Callable[[Any], Any] | None:
    decorators = cls.__pydantic_decorators__
    if decorators.field_validators or decorators.validators or decorators.root_validators:
        return None
    before = []
    for name, decorator in decorators.model_validators.items():
        if decorator.info.mode != "before":
            return None
        if name != "_tolerate":
            before.append(decorator.func)
    plan = []
    for name, field in cls.model_fields.items():
        if field.alias not in (None, name):
            return None
        check = _field_check(field.annotation, field.metadata)
        if check is None:
            return None
        plan.append((name, check, field.default, cast(Callable[[], Any] | None, field.default_factory)))
    names = frozenset(cls.model_fields)
    every = set(names)  # shared by the models this builds: see below
    wrappers = cls.WRAPPERS
    new = cls.__new__
    set_attr = object.__setattr__

    def build(data: Any) -> Any:
        if data.__class__ is not dict:
            raise _Odd
        for key in wrappers:
            if key in data:
                raise _Odd
        for validator in before:
            if validator(data) is not data:  # it would change this object: the tolerant path does that
                raise _Odd
        values: dict[str, Any] = {}
        for name, check, default, factory in plan:
            value = data.get(name)
            if value is None:  # missing, or null: the default, as `_tolerate` makes it
                values[name] = factory() if factory is not None else default
            else:
                values[name] = check(value)
        extra = {k: v for k, v in data.items() if k not in names}
        model = new(cls)
        set_attr(model, "__dict__", values)
        set_attr(model, "__pydantic_extra__", extra)
        # One set of every field name for all (a set per model is larger than its values): which
        # fields the server sent is not asked of a listing's rows (`model_fields_set` is all of them).
        set_attr(model, "__pydantic_fields_set__", every)
        set_attr(model, "__pydantic_private__", None)
        return model

    return build


def trusted(model: type[T], data: Any) -> T:
    """`model` from `data` by the fast path; raises `_Odd` when the tolerant validation must decide."""
    build = _builder(model) if issubclass(model, Wire) else None
    if build is None:
        raise _Odd
    return build(data)  # type: ignore[no-any-return]


def validate_row(model: type[T], data: Any) -> T:
    """One listing row: the fast path for a clean row, the tolerant validation for the rest."""
    build = _builders.get(model)
    if build is None:
        build = _builder(model) if issubclass(model, Wire) else None
    if build is not None and build is not _UNSUPPORTED:
        try:
            return build(data)  # type: ignore[no-any-return]
        except _Odd:
            pass
    return model.model_validate(data)

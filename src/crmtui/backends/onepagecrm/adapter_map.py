"""Pure mapping from OnePageCRM wire models to domain models.

Functions read wire objects through `_get`, which accepts pydantic models and plain dicts alike, so
a field the wire model keeps only as an extra (or a raw dict from a nested object) maps the same way.
Unknown enum values become UNKNOWN with the raw value kept.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any, ParamSpec, TypeVar, cast, get_args, get_origin

from pydantic import AfterValidator, BaseModel
from pydantic.fields import FieldInfo

from crmtui.backends.errors import MalformedResponse
from crmtui.backends.onepagecrm import wire

from crmtui.domain.models import (
    Account,
    Action,
    ActionStatus,
    Address,
    Call,
    Choice,
    Company,
    Contact,
    CustomFieldDef,
    CustomValue,
    Deal,
    DealStatus,
    Email,
    Meeting,
    Note,
    Notification,
    Phone,
    Pipeline,
    PredefinedAction,
    QuickDate,
    Stage,
    StreamEntry,
    User,
)
from crmtui.domain.directory import DirectoryRow
from crmtui.domain.stream import conflicting_actions
from crmtui.domain.text import inert_line, inert_text

P = ParamSpec("P")
R = TypeVar("R")
DATA_ERRORS = (ValueError, TypeError, ArithmeticError, RecursionError, AttributeError, LookupError)
"""What odd data can make a mapping raise (pydantic's ValidationError is a ValueError)."""


def reading(what: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Map a wire object, or raise MalformedResponse: data the mapping cannot use is the server's fault."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return fn(*args, **kwargs)
            except MalformedResponse:
                raise
            except DATA_ERRORS as exc:
                raise MalformedResponse(f"The server's {what} could not be read ({type(exc).__name__})") from exc

        return guarded

    return decorate


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if obj is None:
        return default
    # Cheap type tests first: this runs for every field of every row of the stream.
    if type(obj) is dict or (not isinstance(obj, BaseModel) and isinstance(obj, Mapping)):
        value = obj.get(name, default)
    else:
        value = getattr(obj, name, None)
        if value is None:
            extra = getattr(obj, "model_extra", None) or {}
            value = extra.get(name, default)
    return default if value is None else value


def _text(obj: Any, name: str) -> str:
    value = _get(obj, name, "")
    value = getattr(value, "value", value)  # enums
    return "" if value is None else str(value)


def _list(obj: Any, name: str) -> list[Any]:
    value = _get(obj, name, None)
    if value is None:
        return []
    if isinstance(value, Mapping):
        return list(value.items())
    return list(value) if isinstance(value, Iterable) and not isinstance(value, (str, bytes)) else []


def _from_timestamp(seconds: int | float) -> dt.datetime | None:
    """A UNIX timestamp as an aware datetime; None when no datetime can hold it (year 99999, NaN, ...)."""
    try:
        return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None


def to_date(value: Any) -> dt.date | None:
    """A date from a date, a datetime, a UNIX timestamp or ISO text; None when there is no such date."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        moment = _from_timestamp(value)
        return moment.date() if moment is not None else None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def to_datetime(value: Any) -> dt.datetime | None:
    """An aware datetime (naive means UTC) from a datetime, a date, a UNIX timestamp (number or ASCII
    digits) or ISO text; None when the value names no representable moment."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), tzinfo=dt.timezone.utc)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _from_timestamp(value)
    text = str(value).strip()
    if text.isascii() and text.isdigit():  # "²³" is a digit to isdigit(), not to int()
        return _from_timestamp(int(text)) if len(text) <= 12 else None
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def action_status(raw: Any) -> ActionStatus:
    value = getattr(raw, "value", raw)
    try:
        status = ActionStatus(str(value))
    except ValueError:
        return ActionStatus.UNKNOWN
    return status


def map_user(wire: Any) -> User:
    return User(
        id=_text(wire, "id"),
        first_name=_text(wire, "first_name"),
        last_name=_text(wire, "last_name"),
        email=_text(wire, "email"),
    )


@reading("action")
def map_action(wire: Any) -> Action:
    raw = _text(wire, "status")
    done = bool(_get(wire, "done", False))
    status = action_status(raw)
    return Action(
        id=_text(wire, "id"),
        contact_id=_text(wire, "contact_id"),
        assignee_id=_text(wire, "assignee_id"),
        text=_text(wire, "text"),
        status=status,
        raw_status=raw,
        date=to_date(_get(wire, "date")),
        exact_time=to_datetime(_get(wire, "exact_time")),
        done=done or status is ActionStatus.DONE,
        done_at=to_datetime(_get(wire, "done_at")),
        position=_get(wire, "position"),
        modified_at=to_datetime(_get(wire, "modified_at")),
        created_at=to_datetime(_get(wire, "created_at")),
    )


def _typed_values(items: list[Any]) -> list[tuple[str, str]]:
    pairs = []
    for item in items:
        if isinstance(item, str):
            pairs.append(("", item))
        else:
            pairs.append((_text(item, "type"), _text(item, "value")))
    return pairs


@reading("contact")
def map_contact(wire: Any, viewer_id: str | None = None) -> Contact:
    closed_for = [str(u) for u in _list(wire, "sales_closed_for")]
    comment = ""
    for closed in _list(wire, "closed_sales"):
        if viewer_id is None or _text(closed, "user_id") == viewer_id:
            comment = _text(closed, "comment")
            break
    closed = bool(closed_for) if viewer_id is None else viewer_id in closed_for
    customs = []
    for item in _list(wire, "custom_fields"):
        field = _get(item, "custom_field", {})
        text = getattr(item, "text", None)  # wire models know how to show lists and numbers
        if text is None:
            value = _get(item, "value", "")
            text = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        customs.append(CustomValue(field_id=_text(field, "id"), name=_text(field, "name"), value=text))
    return Contact(
        id=_text(wire, "id"),
        title=_text(wire, "title"),
        first_name=_text(wire, "first_name"),
        last_name=_text(wire, "last_name"),
        job_title=_text(wire, "job_title"),
        company_id=_text(wire, "company_id"),
        company_name=_text(wire, "company_name"),
        starred=bool(_get(wire, "starred", False)),
        status=_text(wire, "status"),
        status_id=_text(wire, "status_id"),
        lead_source=_text(wire, "lead_source"),
        lead_source_id=_text(wire, "lead_source_id"),
        owner_id=_text(wire, "owner_id"),
        tags=[str(t) for t in _list(wire, "tags")],
        phones=[Phone(type=t, value=v) for t, v in _typed_values(_list(wire, "phones"))],
        emails=[Email(type=t, value=v) for t, v in _typed_values(_list(wire, "emails"))],
        urls=[v for _, v in _typed_values(_list(wire, "url") or _list(wire, "urls"))],
        addresses=[
            Address(
                address=_text(a, "address"),
                city=_text(a, "city"),
                state=_text(a, "state"),
                zip_code=_text(a, "zip_code"),
                country_code=_text(a, "country_code"),
                type=_text(a, "type"),
            )
            for a in _list(wire, "address_list")
        ],
        custom_fields=customs,
        background=_text(wire, "background"),
        pending_deal=bool(_get(wire, "pending_deal", False)),
        total_pending=float(_get(wire, "total_pendings", 0) or 0),
        sales_closed=closed,
        sales_closed_comment=comment if closed else "",
        modified_at=to_datetime(_get(wire, "modified_at")),
        created_at=to_datetime(_get(wire, "created_at")),
    )


@reading("company")
def map_company(wire: Any) -> Company | None:
    if wire is None or not _text(wire, "id"):
        return None
    address = _get(wire, "address")
    return Company(
        id=_text(wire, "id"),
        name=_text(wire, "name"),
        phone=_text(wire, "phone"),
        url=_text(wire, "url"),
        description=_text(wire, "description"),
        address=_address(address) if address is not None else Address(),
        custom_fields=_field_values(_list(wire, "company_fields"), "company_field"),
        modified_at=to_datetime(_get(wire, "modified_at")),
    )


def _address(a: Any) -> Address:
    return Address(
        address=_text(a, "address"),
        city=_text(a, "city"),
        state=_text(a, "state"),
        zip_code=_text(a, "zip_code"),
        country_code=_text(a, "country_code"),
        type=_text(a, "type"),
    )


def _field_values(items: list[Any], ref: str) -> list[CustomValue]:
    """Custom (or company) field values as text: lists joined with ", ", numbers as written."""
    values = []
    for item in items:
        field = _get(item, ref, {})
        text = getattr(item, "text", None)  # wire models know how to show lists and numbers
        if text is None:
            value = _get(item, "value", "")
            text = ", ".join(str(v) for v in value) if isinstance(value, list) else ("" if value is None else str(value))
        values.append(CustomValue(field_id=_text(field, "id"), name=_text(field, "name"), value=text))
    return values


@reading("contact")
def map_stream_item(item: Any, viewer_id: str | None = None) -> StreamEntry:
    """One element of `data.contacts` of /action_stream (contact + its actions + company).

    A listing's rows come the faster way, straight from their JSON (`stream_row`)."""
    contact = map_contact(_get(item, "contact"), viewer_id)
    next_wire = _get(item, "next_action")
    next_action: Action | None
    if next_wire is None:
        candidates = [map_action(a) for a in _list(item, "next_actions")]
        mine = [a for a in candidates if viewer_id is None or a.assignee_id == viewer_id]
        next_action = mine[0] if mine else None
    else:
        next_action = map_action(next_wire)
    if next_action is not None and not next_action.id:
        next_action = None
    queued = [map_action(a) for a in _list(item, "queued_actions")]
    wire_conflicts = [map_action(a) for a in _list(item, "next_action_conflicts") if _text(a, "id")]
    conflicts = wire_conflicts or conflicting_actions(next_action, queued)
    return StreamEntry(
        contact=contact,
        next_action=next_action,
        queued_actions=queued,
        conflicts=conflicts,
        deals=[map_deal(d) for d in _list(item, "deals")],
        company=map_company(_get(item, "company")),
    )


@reading("pipeline")
def map_pipeline(wire: Any) -> Pipeline:
    inner = _get(wire, "pipeline", None)
    if inner is not None:
        wire = inner
    return Pipeline(
        id=_text(wire, "id"),
        name=_text(wire, "name"),
        default=bool(_get(wire, "default", False)),
        stages=[Stage(stage=int(_get(s, "stage", 0)), label=_text(s, "label")) for s in _list(wire, "stages")],
        won_column_enabled=bool(_get(wire, "won_column_enabled", True)),
        won_column_name=_text(wire, "won_column_name") or "Won",
    )


def deal_status(raw: Any) -> DealStatus:
    try:
        return DealStatus(str(getattr(raw, "value", raw)))
    except ValueError:
        return DealStatus.UNKNOWN


@reading("deal")
def map_deal(wire: Any) -> Deal:
    stage = _get(wire, "stage")
    info = _get(wire, "contact_info", {})
    return Deal(
        id=_text(wire, "id"),
        contact_id=_text(wire, "contact_id"),
        owner_id=_text(wire, "owner_id"),
        pipeline_id=_text(wire, "pipeline_id") or _text(wire, "sales_pipeline_id"),
        name=_text(wire, "name"),
        text=_text(wire, "text"),
        stage=int(stage) if stage is not None else None,
        status=deal_status(_get(wire, "status", "")),
        amount=float(_get(wire, "amount", 0) or 0),
        months=int(_get(wire, "months", 1) or 1),
        total_amount=float(_get(wire, "total_amount", 0) or 0),
        expected_close_date=to_date(_get(wire, "expected_close_date")),
        close_date=to_date(_get(wire, "close_date")),
        modified_at=to_datetime(_get(wire, "modified_at")),
        created_at=to_datetime(_get(wire, "created_at")),
        contact_name=_text(info, "contact_name"),
        company_name=_text(info, "company"),
    )


@reading("note")
def map_note(wire: Any) -> Note:
    return Note(
        id=_text(wire, "id"),
        contact_id=_text(wire, "contact_id"),
        text=_text(wire, "text"),
        date=to_date(_get(wire, "date")),
        author=_text(wire, "author"),
        created_at=to_datetime(_get(wire, "created_at")),
        modified_at=to_datetime(_get(wire, "modified_at")),
    )


@reading("call")
def map_call(wire: Any) -> Call:
    return Call(
        id=_text(wire, "id"),
        contact_id=_text(wire, "contact_id"),
        text=_text(wire, "text"),
        call_result=_text(wire, "call_result"),
        phone_number=_text(wire, "phone_number"),
        call_time=to_datetime(_get(wire, "call_time_int")),
        author=_text(wire, "author"),
        created_at=to_datetime(_get(wire, "created_at")),
        modified_at=to_datetime(_get(wire, "modified_at")),
    )


@reading("meeting")
def map_meeting(wire: Any) -> Meeting:
    return Meeting(
        id=_text(wire, "id"),
        contact_id=_text(wire, "contact_id"),
        text=_text(wire, "text"),
        place=_text(wire, "place"),
        meeting_time=to_datetime(_get(wire, "meeting_time_int")),
        author=_text(wire, "author"),
        created_at=to_datetime(_get(wire, "created_at")),
        modified_at=to_datetime(_get(wire, "modified_at")),
    )


@reading("notification")
def map_notification(wire: Any) -> Notification:
    mobile = _get(wire, "mobile_data", {})
    text = _text(wire, "text") or " ".join(p for p in (_text(mobile, "title"), _text(mobile, "body")) if p)
    return Notification(
        id=_text(wire, "id"),
        type=_text(wire, "type"),
        by=_text(wire, "by"),
        read=bool(_get(wire, "read", False)),
        user_id=_text(wire, "user_id"),
        contact_id=_text(wire, "contact_id"),
        text=text,
        created_at=to_datetime(_get(wire, "created_at")),
        title=_text(mobile, "title"),
        body=_text(mobile, "body"),
    )


def _choices(items: list[Any]) -> list[Choice]:
    out = []
    for item in items:
        if isinstance(item, tuple):  # {"id": "Text"} mappings, as call_results come
            out.append(Choice(id=str(item[0]), text=str(item[1])))
        elif isinstance(item, str):
            out.append(Choice(id=item, text=item.replace("_", " ").capitalize()))
        else:
            if not _text(item, "id"):  # wrapped as {"status": {...}} / {"lead_source": {...}}
                for key in ("status", "lead_source"):
                    inner = _get(item, key)
                    if inner is not None and not isinstance(inner, str):
                        item = inner
                        break
            out.append(Choice(id=_text(item, "id"), text=_text(item, "text") or _text(item, "status")))
    return out


def _field_def(f: Any) -> CustomFieldDef:
    """A contact or company custom field's definition, as bootstrap lists it."""
    return CustomFieldDef(
        id=_text(f, "id"), name=_text(f, "name"), type=_text(f, "type"), choices=[str(c) for c in _list(f, "choices")]
    )


@reading("account")
def map_account(boot: Any, *, statuses: list[Any] | None = None, lead_sources: list[Any] | None = None) -> Account:
    user = map_user(_get(boot, "user"))
    if not user.id:
        user = user.model_copy(update={"id": _text(boot, "user_id")})
    settings = _get(boot, "settings", {})
    team = [map_user(u) for u in _list(boot, "team")]
    team = [u for u in team if u.id and u.id != user.id]
    call_results = _choices(_list(boot, "call_results"))
    order = [str(x) for x in _list(boot, "call_results_order")]
    if order:
        rank = {key: i for i, key in enumerate(order)}
        call_results.sort(key=lambda c: rank.get(c.id, len(rank)))
    return Account(
        user=user,
        name=_text(_get(boot, "user"), "company_name"),
        team=team,
        time_zone=_text(settings, "time_zone") or "UTC",
        date_format=_text(settings, "date_format") or "%d/%m/%Y",
        time_with_ampm=bool(_get(settings, "time_with_ampm", False)),
        currency_symbol=_text(settings, "currency_symbol") or "$",
        quick_dates=[
            QuickDate(number=int(_get(q, "number", 0)), period=_text(q, "period") or "days")
            for q in _list(boot, "next_action_dates")
        ],
        predefined_actions=[
            PredefinedAction(id=_text(p, "id"), text=_text(p, "text"), days=_get(p, "days"))
            for p in _list(boot, "predefined_actions")
        ],
        statuses=_choices(statuses if statuses is not None else _list(boot, "statuses")),
        lead_sources=_choices(lead_sources if lead_sources is not None else _list(boot, "lead_sources")),
        call_results=call_results,
        custom_fields=[_field_def(f) for f in _list(boot, "custom_fields")],
        company_fields=[_field_def(f) for f in _list(boot, "company_fields") if _text(f, "type") != "section_divider"],
        pipelines=[map_pipeline(p) for p in _list(settings, "pipelines")],
    )


# -- the fast path of a stream row ------------------------------------------------------------------
# A large listing's rows are mapped straight from their JSON objects as each page lands, with no wire
# model between (`stream_row`): building 8,000 rows of wire models and then reading them field by
# field cost about as much again as the mapping itself, and held every page's models until the last
# page was in. Only a clean row goes this way: every value the mapping reads already of the type its
# wire field holds (a string for a string, a list of objects for a list, a known status...). Anything
# else (a null is fine: it reads as the field's default) raises `_Odd`, and that row goes through the
# tolerant wire model and the general mapping above, which gives what this gives for a clean row
# (tests/unit/test_onepagecrm_fast_path.py holds the two to identical models over every row the
# seeded sandbox serves and over dozens of oddities).

_Odd = wire._Odd
_ACTION_VALUES = frozenset(wire.ActionStatus._value2member_map_)
_INERT = (inert_line, inert_text)
RowT = TypeVar("RowT", bound=BaseModel)


def _inert_of(field: FieldInfo) -> Callable[[Any], Any] | None:
    """How a field's value is made what validation would make it, for a value already of the field's
    type: its text made inert (a Line, a Paragraph, a list of Lines), or nothing to do (None); raises
    TypeError for a field with any other validation (the model then has no fast maker)."""
    funcs = [meta.func for meta in field.metadata if isinstance(meta, AfterValidator)]
    if len(funcs) != len(field.metadata) or any(func not in _INERT for func in funcs):
        raise TypeError("a field validated otherwise")
    if len(funcs) > 1:
        raise TypeError("a field validated twice")
    if funcs:
        return cast(Callable[[Any], Any], funcs[0])
    inner = [arg for arg in get_args(field.annotation) if get_origin(arg) is Annotated]
    if not inner:
        return None
    metadata = get_args(inner[0])[1:]
    if get_origin(field.annotation) is not list or len(metadata) != 1 or not isinstance(metadata[0], AfterValidator):
        raise TypeError("a field validated inside otherwise")
    one = metadata[0].func
    if one not in _INERT:
        raise TypeError("a field validated inside otherwise")
    return lambda values: [one(value) for value in values]


def _maker(cls: type[RowT]) -> Callable[..., RowT]:
    """`cls(**values)` for values already of their fields' types, without pydantic's validation (a
    Python call per text field, and the instance's checks): the instance validation would make, its
    text made inert as the domain's Line and Paragraph types make it. A model this cannot make so
    (a validator, a private attribute, a constraint) is made by validation, as before."""
    decorators = cls.__pydantic_decorators__
    if (decorators.field_validators or decorators.model_validators or decorators.validators
            or decorators.root_validators or cls.__private_attributes__ or cls.model_config.get("extra") == "allow"
            or cls.model_post_init.__qualname__ != "_Row.model_post_init"):
        return cls
    try:
        plan = [
            (name, _inert_of(field), field.default, field.default_factory)
            for name, field in cls.model_fields.items()
        ]
    except TypeError:
        return cls
    every = set(cls.model_fields)
    template: dict[str, Any] = {name: None if factory is not None else default for name, _, default, factory in plan}
    texts: list[tuple[str, Callable[[Any], Any]]] = [(name, inert) for name, inert, _, _ in plan if inert in _INERT]
    lists: list[tuple[str, Callable[[Any], Any]]] = [
        (name, inert) for name, inert, _, _ in plan if inert is not None and inert not in _INERT
    ]
    factories = [(name, factory) for name, _, _, factory in plan if factory is not None]
    size = len(template)
    new = cls.__new__
    set_attr = object.__setattr__

    def make(**given: Any) -> RowT:
        values = template.copy()  # every field, in the model's order
        values.update(given)
        if len(values) != size:
            raise TypeError(f"not a field of {cls.__name__}: {sorted(set(given) - every)}")
        for name, inert in texts:
            text = values[name]
            if not text.isprintable():  # printable (the usual case): no call
                values[name] = inert(text)
        for name, inert in lists:
            values[name] = inert(values[name])
        for name, factory in factories:
            if name not in given:
                values[name] = factory()  # type: ignore[call-arg]
        model = new(cls)
        set_attr(model, "__dict__", values)
        set_attr(model, "__pydantic_fields_set__", every)  # one set of all its fields, as the domain's rows share
        set_attr(model, "__pydantic_extra__", None)
        set_attr(model, "__pydantic_private__", None)
        return model

    return make


def _s(d: dict[str, Any], key: str) -> str:
    value = d.get(key)
    if value.__class__ is str:
        return value
    if value is None:
        return ""
    raise _Odd


def _b(d: dict[str, Any], key: str) -> bool:
    value = d.get(key)
    if value is True or value is False:
        return value
    if value is None:
        return False
    raise _Odd


def _n(d: dict[str, Any], key: str) -> int | None:
    value = d.get(key)
    if value is None or value.__class__ is int:
        return value
    raise _Odd


def _f(d: dict[str, Any], key: str) -> float:
    value = d.get(key)
    return 0.0 if value is None else wire._finite_float(value)


def _strs(d: dict[str, Any], key: str) -> list[str]:
    value = d.get(key)
    if value is None:
        return []
    if value.__class__ is not list or any(v.__class__ is not str for v in value):
        raise _Odd
    return value


def _objs(d: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = d.get(key)
    if value is None:
        return []
    if value.__class__ is not list or any(v.__class__ is not dict for v in value):
        raise _Odd
    return value


def _obj(d: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = d.get(key)
    if value is None or value.__class__ is dict:
        return value
    raise _Odd


_new_action = _maker(Action)
_new_address = _maker(Address)
_new_phone = _maker(Phone)
_new_email = _maker(Email)
_new_value = _maker(CustomValue)
_new_contact = _maker(Contact)
_new_company = _maker(Company)
_new_entry = _maker(StreamEntry)


def _json_action(a: dict[str, Any]) -> Action:
    if "action" in a:
        raise _Odd  # wrapped: the tolerant model unwraps it
    raw = _s(a, "status")
    if raw and raw not in _ACTION_VALUES:
        raise _Odd  # unknown, or to be stripped and lower-cased: the tolerant model decides
    status = action_status(raw)
    return _new_action(
        id=_s(a, "id"), contact_id=_s(a, "contact_id"), assignee_id=_s(a, "assignee_id"), text=_s(a, "text"),
        status=status, raw_status=raw, date=to_date(_s(a, "date")), exact_time=to_datetime(_n(a, "exact_time")),
        done=_b(a, "done") or status is ActionStatus.DONE, done_at=to_datetime(_s(a, "done_at")),
        position=_n(a, "position"), modified_at=to_datetime(_s(a, "modified_at")),
        created_at=to_datetime(_s(a, "created_at")),
    )


def _json_address(a: dict[str, Any]) -> Address:
    return _new_address(
        address=_s(a, "address"), city=_s(a, "city"), state=_s(a, "state"), zip_code=_s(a, "zip_code"),
        country_code=_s(a, "country_code"), type=_s(a, "type"),
    )


def _typed(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(_s(item, "type"), _s(item, "value")) for item in items]


def _json_values(items: list[dict[str, Any]], ref: str) -> list[CustomValue]:
    values = []
    for item in items:
        field = item.get(ref)
        if field.__class__ is not dict:
            raise _Odd  # the tolerant model drops a reference that is not an object
        values.append(_new_value(field_id=_s(field, "id"), name=_s(field, "name"), value=wire._to_str(item.get("value"))))
    return values


def _json_contact(c: dict[str, Any], viewer_id: str | None) -> Contact:
    if "urls" in c:
        raise _Odd  # requests say urls, answers url: the tolerant model takes either
    closed_for = _strs(c, "sales_closed_for")
    comment = ""
    found = False
    for sale in _objs(c, "closed_sales"):
        user, said = _s(sale, "user_id"), _s(sale, "comment")
        if not found and (viewer_id is None or user == viewer_id):
            comment, found = said, True
    closed = bool(closed_for) if viewer_id is None else viewer_id in closed_for
    return _new_contact(
        id=_s(c, "id"), title=_s(c, "title"), first_name=_s(c, "first_name"), last_name=_s(c, "last_name"),
        job_title=_s(c, "job_title"), company_id=_s(c, "company_id"), company_name=_s(c, "company_name"),
        starred=_b(c, "starred"), status=_s(c, "status"), status_id=_s(c, "status_id"),
        lead_source=_s(c, "lead_source"), lead_source_id=_s(c, "lead_source_id"), owner_id=_s(c, "owner_id"),
        tags=_strs(c, "tags"),
        phones=[_new_phone(type=kind, value=value) for kind, value in _typed(_objs(c, "phones"))],
        emails=[_new_email(type=kind, value=value) for kind, value in _typed(_objs(c, "emails"))],
        urls=[value for _, value in _typed(_objs(c, "url"))],
        addresses=[_json_address(a) for a in _objs(c, "address_list")],
        custom_fields=_json_values(_objs(c, "custom_fields"), "custom_field"),
        background=_s(c, "background"), pending_deal=_b(c, "pending_deal"), total_pending=_f(c, "total_pendings"),
        sales_closed=closed, sales_closed_comment=comment if closed else "",
        modified_at=to_datetime(_s(c, "modified_at")), created_at=to_datetime(_s(c, "created_at")),
    )


def _json_company(c: dict[str, Any] | None) -> Company | None:
    if c is None:
        return None
    if "company" in c:
        raise _Odd  # wrapped: the tolerant model unwraps it
    ident = _s(c, "id")
    if not ident:
        return None
    address = _obj(c, "address")
    return _new_company(
        id=ident, name=_s(c, "name"), phone=_s(c, "phone"), url=_s(c, "url"), description=_s(c, "description"),
        address=_json_address(address) if address is not None else _new_address(),
        custom_fields=_json_values(_objs(c, "company_fields"), "company_field"),
        modified_at=to_datetime(_s(c, "modified_at")),
    )


def _json_stream_row(row: Any, viewer_id: str | None) -> StreamEntry:
    if row.__class__ is not dict:
        raise _Odd
    contact_json = row.get("contact")
    if contact_json.__class__ is not dict:
        raise _Odd  # a bare contact, or none: the tolerant model decides
    contact = _json_contact(contact_json, viewer_id)
    next_json = _obj(row, "next_action")
    next_action: Action | None
    if next_json is None:
        mine = [a for a in map(_json_action, _objs(row, "next_actions")) if viewer_id is None or a.assignee_id == viewer_id]
        next_action = mine[0] if mine else None
    else:
        next_action = _json_action(next_json)
    if next_action is not None and not next_action.id:
        next_action = None
    queued = [_json_action(a) for a in _objs(row, "queued_actions")]
    wire_conflicts = [a for a in map(_json_action, _objs(row, "next_action_conflicts")) if a.id]
    return _new_entry(
        contact=contact,
        next_action=next_action,
        queued_actions=queued,
        conflicts=wire_conflicts or conflicting_actions(next_action, queued),
        deals=[map_deal(wire.validate_row(wire.Deal, d)) for d in _objs(row, "deals")],
        company=_json_company(_obj(row, "company")),
    )


def stream_row(row: Any, viewer_id: str | None = None) -> StreamEntry:
    """A stream row (/action_stream, /team_stream, /contacts) from its JSON object: the fast way for a
    clean row, the tolerant wire model and the general mapping for any other."""
    try:
        return _json_stream_row(row, viewer_id)
    except (_Odd, *DATA_ERRORS):
        pass  # the general mapping says what is wrong, or copes
    return map_stream_item(wire.validate_row(wire.StreamItem, row), viewer_id)


def directory_row(row: Any) -> DirectoryRow:
    """A row of the contacts listing as the directory keeps it (names, company, emails, phones): its
    contact made from the JSON for a clean row, by the tolerant wire model and the general mapping
    for any other (as `stream_row` does, without the actions, deals and company it does not keep)."""
    contact = row.get("contact") if row.__class__ is dict else None
    if contact.__class__ is dict:
        try:
            return DirectoryRow.of(_json_contact(contact, None))
        except (_Odd, *DATA_ERRORS):
            pass  # the general mapping says what is wrong, or copes
    return DirectoryRow.of(map_stream_item(wire.validate_row(wire.StreamItem, row), None).contact)


def directory_row_id(row: DirectoryRow) -> str:
    return row.id


def stream_rows(viewer_id: str | None) -> Callable[[Any], StreamEntry]:
    """`stream_row` for one viewer: what the client builds each row of a listing's pages with.

    The rows of one listing that name the same company, the same in every field, share one copy of
    it (8,174 stream rows name some 4,700 companies at 20,000 contacts), as the rows the cache reads
    back do; a company that differs between two rows (changed while the pages were read) is kept as
    each row has it."""
    companies: dict[str, Company] = {}

    def row(data: Any) -> StreamEntry:
        entry = stream_row(data, viewer_id)
        company = entry.company
        if company is not None:
            known = companies.setdefault(company.id, company)
            if known is not company and known == company:
                entry.company = known
        return entry

    return row


def entry_id(entry: StreamEntry) -> str:
    """The id a stream row is known by (its contact's)."""
    return entry.contact.id

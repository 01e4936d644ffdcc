"""The OnePageCRM API v3 client: one `httpx.AsyncClient` per session, typed answers, typed errors.

    async with OnePageCRMClient(user_id, api_key) as api:
        boot = await api.bootstrap()
        page = await api.action_stream(per_page=100)
        everything = await api.action_stream_all(on_progress=print)

Methods mirror the API's operations and answer with the wire models of `wire`; the adapter maps
those to domain models. Request bodies are plain dicts in the API's field names. Every request
this client can send is one the official spec declares (a contract test checks that).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, TypeVar, cast

import httpx
from pydantic import BaseModel
from pydantic_core import from_json

from crmtui.backends.client_base import HttpClient, path_segment, reading
from crmtui.backends.errors import (
    AuthError,
    BackendError,
    Conflict,
    MalformedResponse,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
    ValidationFailed,
)
from crmtui.backends.http import (
    DEFAULT_DEADLINE,
    DEFAULT_TIMEOUT,
    ApiHttp,
    RetryPolicy,
    parse_retry_after,
)
from crmtui.backends.onepagecrm import wire
from crmtui.backends.paging import KeyOf, ProgressCallback, check_ids, fetch_all_pages

DEFAULT_BASE_URL = "https://app.onepagecrm.com/api/v3"
MAX_PER_PAGE = 100
DEFAULT_CONCURRENCY = 6

_TIME_FILTERS = frozenset({"date_filter", "since", "until", "modified_since", "unmodified_since", "sort_by", "order"})
CONTACT_FILTERS = frozenset(
    {
        "team", "search", "phone", "url", "action_stream", "has_actions", "has_actions_for_me", "pending_deal",
        "starred", "waiting", "email", "letter", "custom_field_id", "custom_field_value", "lead_source",
        "lead_source_id", "status_id", "owner_id", "company_id", "tag", "filter_id",
    }
) | _TIME_FILTERS
STREAM_FILTERS = CONTACT_FILTERS
TEAM_STREAM_FILTERS = STREAM_FILTERS | {"user_id"}
CONTACTS_LIST_FILTERS = CONTACT_FILTERS | {"has_actions_today", "not_linked_with"}
ACTION_FILTERS = frozenset({"done", "status", "assignee_id", "contact_id", "company_id"}) | _TIME_FILTERS
CONTACT_ACTION_FILTERS = ACTION_FILTERS - {"contact_id", "company_id"}
DEAL_FILTERS = frozenset(
    {"name", "search", "status", "stage", "pipeline_id", "sales_pipeline_id", "owner_id", "contact_id", "company_id",
     "tag", "filter_id", "include_history"}
) | _TIME_FILTERS
HISTORY_FILTERS = frozenset({"contact_id", "company_id"}) | _TIME_FILTERS
COMPANY_FILTERS = frozenset({"name", "phone", "letter", "sort_by", "order"})
"""GET /companies's parameters besides page and per_page (no date filters there)."""

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")


# -- errors ------------------------------------------------------------------------------------


def _json_body(response: httpx.Response) -> Any:
    media = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        return None
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError):
        return None


def loads(content: bytes) -> Any:
    """An answer's JSON. pydantic-core's parser first: faster than the standard one, and it shares
    each short string that repeats (a status, a type, an owner's id, a date) among the rows made from
    it, which then hold one copy of each, not one per row (a cold sync of 8,000 stream rows: some
    35 MB less). What it refuses (a lone surrogate escape, a byte order mark, UTF-16...) the standard
    parser reads as before."""
    try:
        return from_json(content)
    except ValueError:
        return json.loads(content)


def error_for(response: httpx.Response) -> BackendError:
    """The typed error for a non-2xx OnePageCRM answer.

    OnePageCRM throttles with 403 and a plain-text body as well as with 429: a 403 is a
    permission error only when it carries the API's JSON error body.
    """
    return _error(response.status_code, _json_body(response), response)


def envelope_status(payload: Mapping[str, Any]) -> int | None:
    """The error status an answer's {status, message, ...} envelope carries (None: it says success).

    Success envelopes say `"status": 0`; an error envelope repeats the HTTP status, and a server (or
    a proxy in front of it) may send one with HTTP 200.
    """
    status = payload.get("status")
    if isinstance(status, str) and status.isascii() and status.strip().isdigit():
        status = int(status)
    if isinstance(status, int) and not isinstance(status, bool) and 400 <= status <= 599:
        return status
    return None


def _error(status: int, body: Any, response: httpx.Response) -> BackendError:
    fields: dict[str, str] = {}
    message = error_name = ""
    if isinstance(body, Mapping):
        message = str(body.get("error_message") or body.get("message") or "").strip()
        error_name = str(body.get("error_name") or "")
        errors = body.get("errors")
        if isinstance(errors, Mapping):
            fields = {str(k): _error_text(v) for k, v in errors.items() if v not in (None, "", [], {})}
    kw: dict[str, Any] = {"status": status, "error_name": error_name or None, "errors": fields}
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if status == 401:
        return AuthError("Sign-in refused: wrong user id or API key", **kw)
    if status == 429 or (status == 403 and not isinstance(body, Mapping)):
        text = message or response.text.strip()[:120] or "too many requests"
        return RateLimited(f"Throttled by the server ({text}); slowing down", retry_after=retry_after, **kw)
    if status == 403:
        return PermissionDenied(f"Not allowed: {message or 'the server refused this request'}", **kw)
    if status == 404:
        return NotFound(message or "Not found: it may have been deleted", **kw)
    if status == 409:
        return Conflict(message or "The server refused: the record changed meanwhile", **kw)
    if status in (400, 422):
        if fields and all(text in message for text in fields.values()) and isinstance(body, Mapping):
            # error_message only repeats the field errors, which user_message lists anyway.
            message = str(body.get("message") or "").strip()
        return ValidationFailed(message or "The server refused the data", **kw)
    if status >= 500:
        detail = f": {message}" if message else ""
        return ServerError(f"Server error {status}{detail}; try again shortly", **kw)
    return BackendError(message or f"Unexpected answer {status} from the server", **kw)


def _error_text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


# -- request encoding --------------------------------------------------------------------------


TIME_VALUES = frozenset({"since", "until", "modified_since", "unmodified_since"})
"""Filters the spec wants as `YYYY-MM-DD` or a UNIX timestamp (never an ISO date-time)."""


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
        return aware.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(getattr(value, "value", value))


def _time_param(name: str, value: Any) -> str:
    """A time filter as the spec has it: a datetime as whole UNIX seconds (naive means UTC, floored
    so the instant itself is included), a date as YYYY-MM-DD, a number as whole seconds."""
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
        return str(int(aware.timestamp() // 1))
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(int(value // 1))
    text = str(value).strip()
    if re.fullmatch(r"\d+", text):
        return text
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return dt.date.fromisoformat(text).isoformat()
        except ValueError:
            pass
    raise ValueError(f"{name} must be a date, a datetime, a UNIX timestamp or YYYY-MM-DD text, not {value!r}")


def query(filters: Mapping[str, Any], allowed: frozenset[str]) -> dict[str, str]:
    """Query parameters from keyword filters; None means "not given". Unknown names are a bug."""
    unknown = set(filters) - allowed
    if unknown:
        raise TypeError(f"unsupported filter(s): {', '.join(sorted(unknown))}")
    return {
        name: _time_param(name, value) if name in TIME_VALUES else _param(value)
        for name, value in filters.items()
        if value is not None
    }




CONTACT_WRITABLE = (
    "title", "first_name", "last_name", "job_title", "starred", "company_id", "company_name", "urls", "phones",
    "emails", "address_list", "status_id", "tags", "lead_source_id", "background", "owner_id", "custom_fields",
)
CONTACT_TITLES = ("Mr", "Mrs", "Ms")
URL_TYPES = ("website", "blog", "twitter", "linkedin", "xing", "facebook", "google_plus", "other")
PHONE_TYPES = ("work", "mobile", "home", "direct", "fax", "skype", "company", "other")
EMAIL_TYPES = ("work", "home", "other")
ADDRESS_TYPES = ("work", "home", "billing", "delivery", "other")


def _kind(value: str, allowed: tuple[str, ...]) -> str:
    """A type the spec's enum allows: the value itself (in the enum's spelling, so "Mobile" is
    "mobile"); only a type the enum lacks becomes "other" (an empty one the enum's first)."""
    if value in allowed:
        return value
    spelled = value.strip().lower().replace(" ", "_").replace("-", "_")
    if spelled in allowed:
        return spelled
    return "other" if spelled else allowed[0]


def field_value(value: Any) -> Any:
    """A custom/deal field value to send back in the shape the server gave it: text, a number or a
    list of strings (multiple choice). The spec types it as a string, but real answers carry numbers
    and lists, and flattening a list to "a, b" would turn two choices into one unknown choice."""
    if value is None:
        return ""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return value
    if isinstance(value, (list, tuple)):
        return [wire._to_str(v) for v in value if v is not None]
    return wire._to_str(value)


def contact_body(contact: wire.Contact) -> dict[str, Any]:
    """A full PUT /contacts/{id} body that keeps the contact as it is."""
    body: dict[str, Any] = {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "job_title": contact.job_title,
        "starred": contact.starred,
        "company_name": contact.company_name,
        "urls": [{"type": _kind(u.type, URL_TYPES), "value": u.value} for u in contact.url if u.value],
        "phones": [{"type": _kind(p.type, PHONE_TYPES), "value": p.value} for p in contact.phones if p.value],
        "emails": [{"type": _kind(e.type, EMAIL_TYPES), "value": e.value} for e in contact.emails if e.value],
        "address_list": [
            {
                **{k: getattr(a, k) for k in ("address", "city", "state", "zip_code", "country_code") if getattr(a, k)},
                "type": _kind(a.type, ADDRESS_TYPES),
            }
            for a in contact.address_list[:2]
        ],
        "tags": list(contact.tags),
        "background": contact.background,
        "custom_fields": [
            {"custom_field": {"id": v.custom_field.id}, "value": field_value(v.value)}
            for v in contact.custom_fields
            if v.custom_field.id
        ],
    }
    if contact.title in CONTACT_TITLES:
        body["title"] = contact.title
    for name in ("company_id", "status_id", "lead_source_id", "owner_id"):
        value = getattr(contact, name)
        if value:
            body[name] = value
    return body


DEAL_STATUSES = ("pending", "won", "lost")
CALL_VIAS = ("unknown", "skype", "jabber", "talkdesk", "phone")
"""The spec's values of a call's `via` (another is left out of a PUT rather than refused)."""
COMMISSION_BASES = ("amount", "margin")
COMMISSION_TYPES = ("none", "percentage", "absolute")
DEAL_ITEM_WRITABLE = ("name", "description", "cost", "price", "qty")


def deal_body(deal: wire.Deal) -> dict[str, Any]:
    """A full PUT /deals/{id} body that keeps the deal as it is.

    Every writable field of the spec's PUT /deals/{id} is carried: besides the plain ones, the
    commission, the deal fields (values in the shape the server sent) and the deal items, which
    the API removes unless `has_deal_items` is true.
    """
    body: dict[str, Any] = {"name": deal.name, "text": deal.text, "amount": deal.amount}
    if deal.months:
        body["months"] = deal.months
    if deal.cost:
        body["cost"] = deal.cost
    status = getattr(deal.status, "value", deal.status)
    if status in DEAL_STATUSES:
        body["status"] = status
    if deal.stage is not None:
        body["stage"] = deal.stage
    for name in ("contact_id", "owner_id", "expected_close_date", "close_date", "date"):
        value = getattr(deal, name)
        if value:
            body[name] = value
    pipeline = deal.pipeline_id or deal.sales_pipeline_id
    if pipeline:
        body["pipeline_id"] = pipeline
    if deal.commission_base in COMMISSION_BASES:
        body["commission_base"] = deal.commission_base
    if deal.commission_type in COMMISSION_TYPES:
        body["commission_type"] = deal.commission_type
    for name in ("commission", "commission_percentage"):
        value = getattr(deal, name)
        if value is not None:
            body[name] = value
    if deal.deal_fields:
        body["deal_fields"] = [
            {"deal_field": {"id": v.deal_field.id}, "value": field_value(v.value)} for v in deal.deal_fields if v.deal_field.id
        ]
    if deal.has_deal_items or deal.deal_items:
        body["has_deal_items"] = True  # "must be true to create or keep deal items"
        if deal.deal_items:  # items the answer left out are kept by has_deal_items alone
            body["deal_items"] = [_deal_item(item) for item in deal.deal_items]
    return body


def _deal_item(item: wire.DealItem) -> dict[str, Any]:
    out: dict[str, Any] = {name: getattr(item, name) for name in DEAL_ITEM_WRITABLE}
    out["qty"] = item.qty if item.qty is not None else 1
    if item.predefined_item_id:
        out["predefined_item_id"] = item.predefined_item_id
    return out




class OnePageCRMClient(HttpClient):
    """Async client for one OnePageCRM user. Use as an async context manager, or call `aclose()`."""

    def __init__(
        self,
        user_id: str,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        deadline: float = DEFAULT_DEADLINE,
        retry: RetryPolicy | None = None,
        max_concurrency: int = DEFAULT_CONCURRENCY,
        transport: httpx.AsyncBaseTransport | None = None,
        event_hooks: dict[str, list[Any]] | None = None,
        allow_insecure_http: bool = False,
    ) -> None:
        """Raises InsecureAddress for plain http to another machine unless `allow_insecure_http`."""
        self.user_id = user_id
        self.base_url = base_url.rstrip("/")
        self.max_concurrency = max(1, max_concurrency)
        self.http = ApiHttp(
            self.base_url,
            auth=httpx.BasicAuth(user_id, api_key),
            error_for=error_for,
            retry=retry or RetryPolicy(),
            timeout=timeout,
            deadline=deadline,
            headers={"Accept": "application/json", "User-Agent": "crmtui"},
            transport=transport,
            event_hooks=event_hooks,
            allow_insecure_http=allow_insecure_http,
        )

    def __repr__(self) -> str:  # never the key
        return f"OnePageCRMClient(user_id={self.user_id!r}, base_url={self.base_url!r})"

    # -- plumbing ----------------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> tuple[Any, dict[str, Any]]:
        """(data, other top-level members) of a successful answer.

        A write (any method but GET) is repeated by `ApiHttp` only when the server certainly did not
        act on it: whether repeating it would be harmless is for the change that sends it to say.
        """
        answer: tuple[Any, dict[str, Any]] = await self.http.send(
            method, path, params=params or None, json=dict(body) if body is not None else None,
            unwrap=lambda response: self._envelope(method, response),
        )
        return answer

    def _envelope(self, method: str, response: httpx.Response) -> tuple[Any, dict[str, Any]]:
        """(data, others) of a 2xx answer; a typed error when it has none, or its envelope says it failed."""
        if response.status_code == 204 or not response.content.strip():
            if method == "DELETE" or (response.status_code == 204 and method != "GET"):
                return {}, {}  # No Content: nothing to read
            raise MalformedResponse("The server answered with no content where the API sends data", status=response.status_code)
        media = response.headers.get("content-type", "").split(";", 1)[0].strip() or "no content type"
        try:
            payload = loads(response.content)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise MalformedResponse(
                f"The server's answer is not JSON ({media}); is the address an OnePageCRM API?",
                status=response.status_code,
            ) from None
        if isinstance(payload, Mapping):
            failed = envelope_status(payload)
            if failed is not None:
                raise _error(failed, payload, response)
        if not isinstance(payload, Mapping) or "data" not in payload:
            raise MalformedResponse(
                "The server's answer lacks the API's {status, data} envelope; is the address an OnePageCRM API?",
                status=response.status_code,
            )
        stamp = payload.get("timestamp")
        if isinstance(stamp, (int, float)) and not isinstance(stamp, bool):
            self.http.note_server_time(float(stamp))  # the envelope's clock, besides the Date header's
        others = {k: v for k, v in payload.items() if k not in ("status", "message", "timestamp", "data")}
        return payload["data"], others

    def server_now(self) -> dt.datetime | None:
        """The server's clock, as its answers said (None before the first answer)."""
        return self.http.server_now()

    async def server_clock(self) -> dt.datetime:
        """The server's clock now; asks the server (one small request) when no answer has told it yet."""
        now = self.http.server_now()
        if now is None:
            await self._call("GET", "statuses")
            now = self.http.server_now()
        if now is None:  # an answer without a Date header or a timestamp: nothing better to go on
            return dt.datetime.now(dt.timezone.utc)
        return now

    @staticmethod
    def _parse(model: type[M], value: Any, what: str) -> M:
        if not isinstance(value, Mapping):
            raise MalformedResponse(f"The server's {what} is not an object")
        with reading(f"The server's {what}"):
            return model.model_validate(value)

    async def _one(self, model: type[M], method: str, path: str, key: str | None, **kw: Any) -> M:
        data, _ = await self._call(method, path, **kw)
        value = data.get(key) if key is not None and isinstance(data, Mapping) else data
        return self._parse(model, value, key or "answer")

    async def _page(
        self, model: type[M], path: str, list_key: str, filters: dict[str, Any], allowed: frozenset[str],
        page: int, per_page: int, build: Callable[[Any], Any] | None = None, key: KeyOf = wire.record_id,
    ) -> wire.Page[M]:
        params = query(filters, allowed)
        params["page"] = str(max(1, page))
        params["per_page"] = str(min(MAX_PER_PAGE, max(1, per_page)))
        data, others = await self._call("GET", path, params=params)
        with reading(f"The server's {list_key}"):
            result = wire.parse_listing(model, data, list_key, page=page, paged=True, build=build)
            check_ids(result.items, key, list_key)
        result.extra.update(others)
        return result

    async def _all(
        self, model: type[M], path: str, list_key: str, filters: dict[str, Any], allowed: frozenset[str],
        on_progress: ProgressCallback | None = None,
        on_first: Callable[[Sequence[M]], None] | None = None,
    ) -> list[M]:
        return await self._every(model, path, list_key, filters, allowed, on_progress, on_first, None, wire.record_id)

    async def _every(
        self, model: type[BaseModel], path: str, list_key: str, filters: dict[str, Any], allowed: frozenset[str],
        on_progress: ProgressCallback | None, on_first: Callable[[Sequence[Any]], None] | None,
        build: Callable[[Any], Any] | None, key: KeyOf,
    ) -> list[Any]:
        """Every page's rows; each page's JSON (and, with `build`, its rows' JSON) let go as it lands."""

        async def fetch(number: int) -> wire.Page[Any]:
            return await self._page(model, path, list_key, filters, allowed, number, MAX_PER_PAGE, build, key)

        pages = await fetch_all_pages(
            fetch, per_page=MAX_PER_PAGE, concurrency=self.max_concurrency, on_progress=on_progress, on_first=on_first,
            key=key, what=list_key,
        )
        return pages.items

    async def _list(self, model: type[M], path: str, list_key: str) -> list[M]:
        """An unpaged listing (users, statuses, ...): `data` is an array, or {list_key: [...]}."""
        data, _ = await self._call("GET", path)
        with reading(f"The server's {list_key}"):
            items = wire.parse_listing(model, data, list_key, paged=False).items
            check_ids(items, wire.record_id, list_key)
        return items

    # -- account -----------------------------------------------------------------------------------

    async def bootstrap(self) -> wire.Bootstrap:
        data, others = await self._call("GET", "bootstrap")
        if not isinstance(data, Mapping):
            raise MalformedResponse("The server's bootstrap is not an object")
        # Statuses, lead sources and team counters may come beside `data` rather than in it.
        merged = {**{k: v for k, v in others.items() if isinstance(v, (list, Mapping))}, **data}
        return self._parse(wire.Bootstrap, merged, "bootstrap")

    async def users(self) -> list[wire.User]:
        return await self._list(wire.User, "users", "users")

    async def get_user(self, user_id: str) -> wire.User:
        return await self._one(wire.User, "GET", f"users/{path_segment(user_id)}", "user")

    async def statuses(self) -> list[wire.Status]:
        return await self._list(wire.Status, "statuses", "statuses")

    async def lead_sources(self) -> list[wire.LeadSource]:
        return await self._list(wire.LeadSource, "lead_sources", "lead_sources")

    async def predefined_actions(self) -> list[wire.PredefinedAction]:
        return await self._list(wire.PredefinedAction, "predefined_actions", "predefined_actions")

    async def call_results(self) -> list[wire.CallResult]:
        data, _ = await self._call("GET", "call_results")
        if not isinstance(data, (list, Mapping)):
            raise MalformedResponse("The server's call results are not a list")
        with reading("The server's call results"):
            return [wire.CallResult.model_validate(r) for r in wire._call_results(data)]

    async def custom_fields(self) -> list[wire.CustomField]:
        return await self._all(wire.CustomField, "custom_fields", "custom_fields", {}, frozenset())

    async def filters(self) -> list[wire.Filter]:
        return await self._all(wire.Filter, "filters", "filters", {}, frozenset())

    # -- streams -----------------------------------------------------------------------------------

    async def action_stream(self, *, page: int = 1, per_page: int = MAX_PER_PAGE, **filters: Any) -> wire.Page[wire.StreamItem]:
        """One page of the logged user's action stream (`team=True` for the whole account)."""
        return await self._page(wire.StreamItem, "action_stream", "contacts", filters, STREAM_FILTERS, page, per_page)

    async def action_stream_all(
        self,
        *,
        on_progress: ProgressCallback | None = None,
        on_first: Callable[[Sequence[wire.StreamItem]], None] | None = None,
        **filters: Any,
    ) -> list[wire.StreamItem]:
        """Every contact of the stream; `on_first` gets the first (most urgent) page early."""
        return await self._all(wire.StreamItem, "action_stream", "contacts", filters, STREAM_FILTERS, on_progress, on_first)

    async def team_stream(self, *, page: int = 1, per_page: int = MAX_PER_PAGE, **filters: Any) -> wire.Page[wire.StreamItem]:
        """One page of a team member's stream (`user_id=`), or the whole team's without one."""
        return await self._page(wire.StreamItem, "team_stream", "contacts", filters, TEAM_STREAM_FILTERS, page, per_page)

    async def team_stream_all(
        self,
        *,
        on_progress: ProgressCallback | None = None,
        on_first: Callable[[Sequence[wire.StreamItem]], None] | None = None,
        **filters: Any,
    ) -> list[wire.StreamItem]:
        return await self._all(wire.StreamItem, "team_stream", "contacts", filters, TEAM_STREAM_FILTERS, on_progress, on_first)

    async def stream_rows_all(
        self,
        listing: str,
        build: Callable[[Any], R],
        key: Callable[[R], Hashable],
        *,
        on_progress: ProgressCallback | None = None,
        on_first: Callable[[Sequence[R]], None] | None = None,
        **filters: Any,
    ) -> list[R]:
        """Every row of a listing of stream rows ("action_stream", "team_stream" or "contacts"), each
        made by `build` from its JSON object as its page lands (`key`: the id a row is known by), so
        that a large listing never holds more than a page of JSON or wire models: what
        `action_stream_all` and the others answer, in the caller's models."""
        items: list[R] = await self._every(
            wire.StreamItem, listing, "contacts", filters, _stream_listing(listing), on_progress, on_first, build, key
        )
        return items

    async def stream_rows_page(
        self,
        listing: str,
        build: Callable[[Any], M],
        key: Callable[[M], Hashable],
        *,
        page: int = 1,
        per_page: int = MAX_PER_PAGE,
        **filters: Any,
    ) -> wire.Page[M]:
        """One page of a listing of stream rows, each made by `build` from its JSON object (as
        `stream_rows_all` makes every page's)."""
        found = await self._page(wire.StreamItem, listing, "contacts", filters, _stream_listing(listing), page, per_page, build, key)
        return cast("wire.Page[M]", found)

    async def team_stream_counts(self) -> wire.TeamStreamCounts:
        """Per-user and whole-account counters (from one small /team_stream page)."""
        page = await self.team_stream(per_page=1)
        counts = page.extra.get("team_stream")
        return wire.TeamStreamCounts.model_validate(counts if isinstance(counts, Mapping) else {})

    # -- contacts ----------------------------------------------------------------------------------

    async def list_contacts(self, *, page: int = 1, per_page: int = MAX_PER_PAGE, **filters: Any) -> wire.Page[wire.StreamItem]:
        return await self._page(wire.StreamItem, "contacts", "contacts", filters, CONTACTS_LIST_FILTERS, page, per_page)

    async def list_contacts_all(self, *, on_progress: ProgressCallback | None = None, **filters: Any) -> list[wire.StreamItem]:
        return await self._all(wire.StreamItem, "contacts", "contacts", filters, CONTACTS_LIST_FILTERS, on_progress)

    async def get_contact(self, contact_id: str) -> wire.StreamItem:
        """The contact with its next action, queued actions, conflicts and company."""
        return await self._one(wire.StreamItem, "GET", f"contacts/{path_segment(contact_id)}", None)

    async def create_contact(self, body: Mapping[str, Any]) -> wire.StreamItem:
        """POST /contacts (201): the contact as the server made it, with its company."""
        return await self._one(wire.StreamItem, "POST", "contacts", None, body=body)

    async def replace_contact(self, contact_id: str, body: Mapping[str, Any]) -> wire.StreamItem:
        """PUT /contacts/{id}: every writable field the body leaves out is cleared."""
        return await self._one(wire.StreamItem, "PUT", f"contacts/{path_segment(contact_id)}", None, body=body)

    async def delete_contact(self, contact_id: str) -> None:
        await self._call("DELETE", f"contacts/{path_segment(contact_id)}")

    async def restore_contact(self, contact_id: str) -> None:
        """DELETE /contacts/{id}?undo=true: bring back a contact just deleted, with its records."""
        await self._call("DELETE", f"contacts/{path_segment(contact_id)}", params={"undo": "true"})

    async def _contact_op(self, contact_id: str, op: str, body: Mapping[str, Any] | None = None) -> wire.StreamItem:
        return await self._one(wire.StreamItem, "PUT", f"contacts/{path_segment(contact_id)}/{op}", None, body=body)

    async def star_contact(self, contact_id: str) -> wire.StreamItem:
        return await self._contact_op(contact_id, "star")

    async def unstar_contact(self, contact_id: str) -> wire.StreamItem:
        return await self._contact_op(contact_id, "unstar")

    async def assign_tag(self, contact_id: str, tag: str) -> wire.StreamItem:
        return await self._contact_op(contact_id, f"assign_tag/{path_segment(tag)}")

    async def unassign_tag(self, contact_id: str, tag: str) -> wire.StreamItem:
        return await self._contact_op(contact_id, f"unassign_tag/{path_segment(tag)}")

    async def change_status(self, contact_id: str, status_id: str) -> wire.StreamItem:
        return await self._contact_op(contact_id, f"change_status/{path_segment(status_id)}")

    async def change_owner(self, contact_id: str, owner_id: str) -> wire.StreamItem:
        return await self._contact_op(contact_id, f"change_owner/{path_segment(owner_id)}")

    async def close_sales_cycle(self, contact_id: str, comment: str = "") -> wire.StreamItem:
        return await self._contact_op(contact_id, "close_sales_cycle", {"comment": comment})

    async def force_close_sales_cycle(self, contact_id: str, comment: str = "") -> wire.StreamItem:
        """Delete the user's open actions on the contact, then close its sales cycle."""
        return await self._contact_op(contact_id, "force_close_sales_cycle", {"comment": comment})

    async def reopen_sales_cycle(self, contact_id: str) -> wire.StreamItem:
        return await self._contact_op(contact_id, "reopen_sales_cycle")

    async def get_company(self, company_id: str) -> wire.Company:
        return await self._one(wire.Company, "GET", f"companies/{path_segment(company_id)}", "company")

    async def replace_company(self, company_id: str, body: Mapping[str, Any]) -> wire.Company:
        """PUT /companies/{id} with the company's writable fields (name, description, url, phone,
        address, company fields): the company as the server has it then."""
        return await self._one(wire.Company, "PUT", f"companies/{path_segment(company_id)}", "company", body=body)

    async def list_companies(self, *, page: int = 1, per_page: int = MAX_PER_PAGE, **filters: Any) -> wire.Page[wire.Company]:
        """One page of the account's companies (by name unless `sort_by`); `name=` searches by name."""
        return await self._page(wire.Company, "companies", "companies", filters, COMPANY_FILTERS, page, per_page)

    async def list_companies_all(self, *, on_progress: ProgressCallback | None = None, **filters: Any) -> list[wire.Company]:
        return await self._all(wire.Company, "companies", "companies", filters, COMPANY_FILTERS, on_progress)

    # -- actions -----------------------------------------------------------------------------------

    async def list_actions(self, *, page: int = 1, per_page: int = MAX_PER_PAGE, **filters: Any) -> wire.Page[wire.Action]:
        return await self._page(wire.Action, "actions", "actions", filters, ACTION_FILTERS, page, per_page)

    async def list_actions_all(self, **filters: Any) -> list[wire.Action]:
        return await self._all(wire.Action, "actions", "actions", filters, ACTION_FILTERS)

    async def contact_actions(
        self, contact_id: str, *, page: int = 1, per_page: int = MAX_PER_PAGE, **filters: Any
    ) -> wire.Page[wire.Action]:
        path = f"contacts/{path_segment(contact_id)}/actions"
        return await self._page(wire.Action, path, "actions", filters, CONTACT_ACTION_FILTERS, page, per_page)

    async def contact_actions_all(self, contact_id: str, **filters: Any) -> list[wire.Action]:
        path = f"contacts/{path_segment(contact_id)}/actions"
        return await self._all(wire.Action, path, "actions", filters, CONTACT_ACTION_FILTERS)

    async def get_action(self, action_id: str) -> wire.Action:
        return await self._one(wire.Action, "GET", f"actions/{path_segment(action_id)}", "action")

    async def create_action(self, body: Mapping[str, Any]) -> wire.Action:
        """POST /actions; `body` has contact_id, text, status and (by status) date / exact_time."""
        return await self._one(wire.Action, "POST", "actions", "action", body=body)

    async def update_action(self, action_id: str, body: Mapping[str, Any]) -> wire.Action:
        return await self._one(wire.Action, "PUT", f"actions/{path_segment(action_id)}", "action", body=body)

    async def delete_action(self, action_id: str) -> None:
        await self._call("DELETE", f"actions/{path_segment(action_id)}")

    async def _action_op(self, action_id: str, op: str) -> wire.Action:
        path = f"actions/{path_segment(action_id)}/{op}"
        return await self._one(wire.Action, "PUT", path, "action")

    async def mark_action_done(self, action_id: str) -> wire.Action:
        return await self._action_op(action_id, "mark_as_done")

    async def undo_action_completion(self, action_id: str) -> wire.Action:
        return await self._action_op(action_id, "undo_completion")

    async def promote_action(self, action_id: str) -> wire.Action:
        return await self._action_op(action_id, "promote")

    async def revert_action_promotion(self, action_id: str) -> wire.Action:
        return await self._action_op(action_id, "revert_promotion")

    async def swap_action(self, action_id: str) -> wire.Action:
        return await self._action_op(action_id, "swap")

    async def unassign_action(self, action_id: str) -> wire.Action:
        """Take a team member's action back to the logged user."""
        return await self._action_op(action_id, "unassign")

    # -- deals and pipelines -----------------------------------------------------------------------

    async def pipelines_all(self) -> list[wire.Pipeline]:
        """Every pipeline with its stages (/pipelines takes no paging parameters)."""
        return await self._list(wire.Pipeline, "pipelines", "pipelines")

    async def get_pipeline(self, pipeline_id: str) -> wire.Pipeline:
        return await self._one(wire.Pipeline, "GET", f"pipelines/{path_segment(pipeline_id)}", "pipeline")

    async def list_deals(self, *, page: int = 1, per_page: int = MAX_PER_PAGE, **filters: Any) -> wire.Page[wire.Deal]:
        return await self._page(wire.Deal, "deals", "deals", filters, DEAL_FILTERS, page, per_page)

    async def deals_all(self, *, on_progress: ProgressCallback | None = None, **filters: Any) -> list[wire.Deal]:
        return await self._all(wire.Deal, "deals", "deals", filters, DEAL_FILTERS, on_progress)

    async def get_deal(self, deal_id: str) -> wire.Deal:
        return await self._one(wire.Deal, "GET", f"deals/{path_segment(deal_id)}", "deal")

    async def create_deal(self, body: Mapping[str, Any]) -> wire.Deal:
        return await self._one(wire.Deal, "POST", "deals", "deal", body=body)

    async def update_deal(self, deal_id: str, changes: Mapping[str, Any]) -> wire.Deal:
        """Change some fields of a deal, keeping the others.

        Like contacts, PUT /deals/{id} may replace every writable field and the spec declares no
        partial update, so this reads the deal, applies `changes` (None clears a field) and sends
        the whole deal back.
        """
        current = await self.get_deal(deal_id)
        body = {**deal_body(current), **changes}
        if body.get("status") == "pending" and "close_date" not in changes:
            body.pop("close_date", None)  # reopened: a pending deal has no close date
        return await self.replace_deal(deal_id, {k: v for k, v in body.items() if v is not None})

    async def replace_deal(self, deal_id: str, body: Mapping[str, Any]) -> wire.Deal:
        """PUT /deals/{id} with a whole deal."""
        return await self._one(wire.Deal, "PUT", f"deals/{path_segment(deal_id)}", "deal", body=body)

    async def delete_deal(self, deal_id: str) -> None:
        await self._call("DELETE", f"deals/{path_segment(deal_id)}")

    # -- notes, calls, meetings --------------------------------------------------------------------

    async def notes_all(self, **filters: Any) -> list[wire.Note]:
        return await self._all(wire.Note, "notes", "notes", filters, HISTORY_FILTERS)

    async def create_note(self, body: Mapping[str, Any]) -> wire.Note:
        return await self._one(wire.Note, "POST", "notes", "note", body=body)

    async def get_note(self, note_id: str) -> wire.Note:
        return await self._one(wire.Note, "GET", f"notes/{path_segment(note_id)}", "note")

    async def update_note(self, note_id: str, changes: Mapping[str, Any]) -> wire.Note:
        """PUT /notes/{id}: the note as it is with `changes` over it (read first, as for deals: the
        spec does not say whether a field left out of a PUT is kept or cleared)."""
        current = await self.get_note(note_id)
        body: dict[str, Any] = {"contact_id": current.contact_id, "text": current.text}
        if current.date:
            body["date"] = current.date
        if current.linked_deal_id:
            body["linked_deal_id"] = current.linked_deal_id
        return await self._one(wire.Note, "PUT", f"notes/{path_segment(note_id)}", "note", body={**body, **changes})

    async def delete_note(self, note_id: str) -> None:
        await self._call("DELETE", f"notes/{path_segment(note_id)}")

    async def calls_all(self, **filters: Any) -> list[wire.Call]:
        return await self._all(wire.Call, "calls", "calls", filters, HISTORY_FILTERS)

    async def create_call(self, body: Mapping[str, Any]) -> wire.Call:
        return await self._one(wire.Call, "POST", "calls", "call", body=body)

    async def get_call(self, call_id: str) -> wire.Call:
        return await self._one(wire.Call, "GET", f"calls/{path_segment(call_id)}", "call")

    async def update_call(self, call_id: str, changes: Mapping[str, Any]) -> wire.Call:
        """PUT /calls/{id}: the call as it is with `changes` over it (read first, as `update_note`)."""
        current = await self.get_call(call_id)
        body: dict[str, Any] = {
            "contact_id": current.contact_id, "text": current.text, "call_result": current.call_result,
            "phone_number": current.phone_number,
        }
        if current.call_time_int is not None:
            body["call_time_int"] = current.call_time_int
        if current.via in CALL_VIAS:
            body["via"] = current.via
        return await self._one(wire.Call, "PUT", f"calls/{path_segment(call_id)}", "call", body={**body, **changes})

    async def delete_call(self, call_id: str) -> None:
        await self._call("DELETE", f"calls/{path_segment(call_id)}")

    async def meetings_all(self, **filters: Any) -> list[wire.Meeting]:
        return await self._all(wire.Meeting, "meetings", "meetings", filters, HISTORY_FILTERS)

    async def create_meeting(self, body: Mapping[str, Any]) -> wire.Meeting:
        return await self._one(wire.Meeting, "POST", "meetings", "meeting", body=body)

    async def get_meeting(self, meeting_id: str) -> wire.Meeting:
        return await self._one(wire.Meeting, "GET", f"meetings/{path_segment(meeting_id)}", "meeting")

    async def update_meeting(self, meeting_id: str, changes: Mapping[str, Any]) -> wire.Meeting:
        """PUT /meetings/{id}: the meeting as it is with `changes` over it (read first, as `update_note`)."""
        current = await self.get_meeting(meeting_id)
        body: dict[str, Any] = {"contact_id": current.contact_id, "text": current.text, "place": current.place}
        if current.meeting_time_int is not None:
            body["meeting_time_int"] = current.meeting_time_int
        path = f"meetings/{path_segment(meeting_id)}"
        return await self._one(wire.Meeting, "PUT", path, "meeting", body={**body, **changes})

    async def delete_meeting(self, meeting_id: str) -> None:
        await self._call("DELETE", f"meetings/{path_segment(meeting_id)}")

    # -- notifications -----------------------------------------------------------------------------

    async def notifications(self, *, page: int = 1, per_page: int = MAX_PER_PAGE) -> wire.Page[wire.Notification]:
        return await self._page(wire.Notification, "notifications", "notifications", {}, frozenset(), page, per_page)

    async def notifications_all(self) -> list[wire.Notification]:
        return await self._all(wire.Notification, "notifications", "notifications", {}, frozenset())

    async def get_notification(self, notification_id: str) -> wire.Notification:
        return await self._one(wire.Notification, "GET", f"notifications/{path_segment(notification_id)}", "notification")

    async def mark_notification_read(self, notification_id: str) -> wire.Notification:
        path = f"notifications/{path_segment(notification_id)}/mark_as_read"
        return await self._one(wire.Notification, "POST", path, "notification")

    async def mark_all_notifications_read(self) -> None:
        await self._call("POST", "notifications/mark_all_as_read")


def _stream_listing(listing: str) -> frozenset[str]:
    """The filters a listing of stream rows takes ("action_stream", "team_stream" or "contacts")."""
    allowed = {"action_stream": STREAM_FILTERS, "team_stream": TEAM_STREAM_FILTERS, "contacts": CONTACTS_LIST_FILTERS}
    if listing not in allowed:
        raise ValueError(f"not a listing of stream rows: {listing}")
    return allowed[listing]

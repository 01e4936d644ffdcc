"""Routing and request helpers shared by the sandbox's route modules."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from crmtui.sandbox.onepagecrm.state import UTC, ApiError, SandboxState, invalid, public

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 10


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: dict
    user: dict
    state: SandboxState
    params: dict[str, str] = field(default_factory=dict)

    @property
    def user_id(self) -> str:
        return self.user["id"]

    def flag(self, name: str) -> bool | None:
        value = self.query.get(name)
        if value is None or value == "":
            return None
        return value.lower() in ("1", "true", "yes", "on")

    def page_args(self) -> tuple[int, int]:
        page = self._int("page", 1)
        per_page = self._int("per_page", DEFAULT_PER_PAGE)
        if page < 1:
            raise invalid({"page": "page must be 1 or more"})
        if per_page < 1:
            raise invalid({"per_page": "per_page must be 1 or more"})
        return page, min(per_page, MAX_PER_PAGE)

    def _int(self, name: str, default: int) -> int:
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise invalid({name: f"{name} must be a whole number"}) from None


@dataclass
class Reply:
    """What a route returns: HTTP status, the `data` member, and extra top-level members."""

    data: object
    status: int = 200
    extra: dict = field(default_factory=dict)


Handler = Callable[[Request], Reply]


class Router:
    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)
        self._routes.append((method, re.compile(f"^{regex}$"), handler))

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        def decorate(handler: Handler) -> Handler:
            self.add(method, pattern, handler)
            return handler

        return decorate

    def match(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        path_known = False
        for route_method, regex, handler in self._routes:
            found = regex.match(path)
            if found:
                path_known = True
                if route_method == method:
                    return handler, found.groupdict()
        if path_known:
            raise ApiError(400, "Method not allowed", "method_not_allowed", f"{method} is not supported on {path}")
        raise ApiError(404, "Resource not found", "resource_not_found", f"No such endpoint: {path}")


def paginate(items: list, req: Request, render: Callable[[dict], object]) -> dict:
    page, per_page = req.page_args()
    total = len(items)
    start = (page - 1) * per_page
    return {
        "total_count": total,
        "page": page,
        "per_page": per_page,
        "max_page": max(1, math.ceil(total / per_page)),
        "_items": [render(item) for item in items[start : start + per_page]],
    }


def listing(key: str, items: list, req: Request, render: Callable[[dict], object]) -> dict:
    data = paginate(items, req, render)
    data[key] = data.pop("_items")
    return {key: data[key], **{k: v for k, v in data.items() if k != key}}


def parse_since(value: str, name: str = "modified_since") -> str:
    """A YYYY-MM-DD date or a UNIX timestamp, as an ISO instant comparable with `modified_at`.

    The spec allows only those two forms for since/until/modified_since/unmodified_since; an ISO
    date-time (or anything else) is refused with a 400, as a client that sends one has a bug.
    """
    value = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            moment = dt.datetime.combine(dt.date.fromisoformat(value), dt.time(0), tzinfo=UTC)
        elif re.fullmatch(r"\d+(\.\d+)?", value):
            moment = dt.datetime.fromtimestamp(float(value), UTC)
        else:
            raise ValueError(value)
    except (ValueError, OverflowError, OSError):
        raise invalid({name: f"{name} must be a date (YYYY-MM-DD) or a UNIX timestamp"}) from None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sort_docs(items: list[dict], req: Request, allowed: tuple[str, ...]) -> list[dict]:
    """Apply `sort_by`/`order` if given (stable, so the default order breaks ties)."""
    sort_by = req.query.get("sort_by")
    order = (req.query.get("order") or "asc").lower()
    if order not in ("asc", "desc"):
        raise invalid({"order": "order must be asc or desc"})
    if not sort_by:
        return list(reversed(items)) if req.query.get("order") and order == "desc" else items
    if sort_by not in allowed:
        raise invalid({"sort_by": f"sort_by must be one of {', '.join(allowed)}"})

    def key(doc: dict) -> tuple[str, ...]:
        if sort_by == "name":
            return (str(doc.get("first_name") or doc.get("name") or "").casefold(), str(doc.get("last_name") or "").casefold())
        return (str(doc.get(sort_by) or "").casefold(),)

    return sorted(items, key=key, reverse=order == "desc")


def require(body: dict, *names: str) -> None:
    missing = {n: f"{n} is invalid or missing" for n in names if body.get(n) in (None, "")}
    if missing:
        raise invalid(missing)


def check_date(value: object, name: str) -> str:
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise invalid({name: f"{name} must be a date (YYYY-MM-DD)"}) from None


def field_values(state: SandboxState, table: str, ref_key: str, raw: object) -> list[dict]:
    """Custom or deal field values from a request (`table` custom_fields or deal_fields, each item
    {ref_key: {id or name}, value}), the value kept in the shape it came in: text, a number or a
    list of texts (multiple choice), as real answers carry them. Anything else is a 400."""
    if not isinstance(raw, list):
        raise invalid({table: f"{table} must be a list"})
    defs = state.tables[table]
    by_name = {d["name"].casefold(): d for d in defs.values()}
    what = ref_key.replace("_", " ")
    out = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        nested = item.get(ref_key)
        ref = nested if isinstance(nested, dict) else item
        found = defs.get(ref.get("id") or "") or by_name.get(str(ref.get("name") or "").casefold())
        if found is None:
            raise invalid({table: f"{what} id or name is invalid"})
        value = item.get("value")
        if value is None:
            value = ""
        elif isinstance(value, bool) or not (
            isinstance(value, (str, int, float)) or (isinstance(value, list) and all(isinstance(v, str) for v in value))
        ):
            raise invalid({table: f"a {what} value must be text, a number or a list of texts"})
        out.append({ref_key: public(found), "value": list(value) if isinstance(value, list) else value})
    return out

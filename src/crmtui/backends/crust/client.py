"""The Crust CRM API client (crust-server at 73728bcf): one `httpx.AsyncClient` per token, typed answers and errors.

    async with CrustClient(jwt, base_url="https://crm.example.com") as api:
        modules = await api.modules()
        page = await api.records(modules[0].module_id, sort="createdAt DESC")

The JWT goes in the `Authorization: Bearer` header only, never in a query string (the server would
take `?jwt=`, but URLs end up in logs). Answers are `{"response": ...}`, deletes `{"success": ...}`,
and every error comes with HTTP 200 as `{"error": {"message": ...}}`: `unwrap` turns it into the typed
error its message names (`classify`), inside `ApiHttp.send`, so no caller (the outbox included) ever
takes a refused write for a done one. Bodies are JSON sent as exactly `application/json` (the server
reads any other content type as a form, and a record's `fields` are lost). Ids stay strings.
"""

from __future__ import annotations

import json
import re
from http.cookies import CookieError, SimpleCookie
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from crmtui.backends.crust import wire
from crmtui.backends.client_base import HttpClient, path_segment, reading
from crmtui.backends.errors import (
    AuthError,
    BackendError,
    MalformedResponse,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
    TokenExpired,
    Unsupported,
    ValidationFailed,
)
from crmtui.backends.http import DEFAULT_DEADLINE, DEFAULT_TIMEOUT, ApiHttp, RetryPolicy, parse_retry_after
from crmtui.backends.paging import ProgressCallback, fetch_all_pages

MIN_PER_PAGE = 10
MAX_PER_PAGE = 100
"""The server clamps perPage to 10..100 (50 when absent or 0); the client asks within it."""
DEFAULT_SORT = "createdAt DESC"
"""What a list asks for when the caller names no order (an empty sort would be the server's `id ASC`)."""

M = TypeVar("M", bound=BaseModel)


# -- errors ------------------------------------------------------------------------------------------

_TRANSIENT = re.compile(
    r"^(Error 1205|Error 1213|Error 1040|Error 2006|Error 2013)\b|\bconnection refused\b|^invalid connection$|"
    r"\bbad connection\b|\bi/o timeout\b|\btoo many connections\b",
    re.IGNORECASE,
)
"""The database failing under the server (lock wait, deadlock, too many connections, gone away):
nothing was done, and asking again shortly may work."""
_VALIDATION = re.compile(
    r"error parsing http request body|no fields|no content|invalid ID|strconv\.Parse|mime: |"
    r"already exists|cannot unmarshal|unexpected end of JSON input|invalid character",
    re.IGNORECASE,
)


def classify(message: str) -> BackendError:
    """The typed error of the server's error message (HTTP 200 `{"error": {"message": ...}}`), by its wording.

    - "Unauthorized" (no token), "failed to authorize request: ..." (a refused token), "Malformed JWT
      claims...", "http: named cookie not present", "Password doesn't match": AuthError; "...: jwtauth:
      token is expired": TokenExpired (sign in again);
    - "sql: no rows in result set" (whatever it is prefixed with): NotFound;
    - "Not implemented: Job.list" and the like, "Error when reading /chart-<kind>.json": Unsupported;
    - a body the server could not read, a module without fields, an invalid id, a duplicate page:
      ValidationFailed;
    - the database failing (lock wait, deadlock, too many connections, connection refused): ServerError,
      retryable (the server did nothing);
    - anything else: BackendError, never retried.
    """
    text = message.strip() or "The Crust server refused the request without saying why"
    lower = text.lower()
    if "token is expired" in lower:
        return TokenExpired(f"The Crust token has expired ({text}); sign in again (crmtui login --backend crust)")
    if (
        lower == "unauthorized"
        or lower.startswith("failed to authorize request")
        or lower.startswith("malformed jwt claims")
        or "named cookie not present" in lower
    ):
        return AuthError(f"Crust refused the token ({text})")
    if "password doesn't match" in lower:
        return AuthError(f"Crust refused the sign-in ({text})")
    if "sql: no rows in result set" in lower:
        return NotFound(f"Not found on the Crust server ({text}): it may have been deleted")
    if lower.startswith("not implemented") or ("error when reading /chart-" in lower):
        return Unsupported(f"This Crust server does not implement it ({text})")
    if _TRANSIENT.search(text):
        return ServerError(f"The Crust server's database failed ({text}); try again shortly")
    if _VALIDATION.search(text):
        return ValidationFailed(f"Crust refused the data ({text})")
    return BackendError(f"The Crust server answered an error: {text}")


def _media(response: httpx.Response) -> str:
    return str(response.headers.get("content-type", "")).split(";", 1)[0].strip().lower()


def error_for(response: httpx.Response) -> BackendError:
    """The typed error of a non-2xx answer: only the router (chi's 404/405) or a proxy in front answers those."""
    status = response.status_code
    if status == 404:
        return NotFound(
            f"No such address on the server ({response.request.url.path}): is the base URL a Crust CRM API?", status=404
        )
    if status == 405:
        return BackendError("The server does not take this method here (405): is the base URL a Crust CRM API?", status=405)
    if status == 401:  # the Crust API refuses a token with HTTP 200: a 401 is something else's
        return MalformedResponse("The server answered 401, which a Crust CRM API never does: is the base URL a Crust CRM API?", status=401)
    if status == 403:
        return PermissionDenied("The server (or a proxy in front) refused the request (403)", status=403)
    if status == 413:
        return ValidationFailed("The request is too large for the server (413)", status=413)
    if status == 429:
        return RateLimited(
            "Too many requests (429); slowing down", retry_after=parse_retry_after(response.headers.get("Retry-After")), status=429
        )
    if status >= 500:
        return ServerError(f"Server error {status}; try again shortly", status=status)
    return BackendError(f"Unexpected answer {status} from the Crust server", status=status)


def unwrap(response: httpx.Response) -> Any:
    """A 2xx answer's payload: `response` of the envelope, True for `success`; the error envelope is
    raised as its typed error (`classify`), and anything else is a MalformedResponse."""
    if _media(response) != "application/json":
        raise MalformedResponse("The server did not answer JSON: is the base URL a Crust CRM API?")
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise MalformedResponse("The Crust server's answer is not valid JSON") from None
    if not isinstance(body, dict):
        raise MalformedResponse("The Crust server's answer is not its envelope")
    if "error" in body:
        error = body["error"]
        message = error.get("message") if isinstance(error, dict) else error
        raise classify(message if isinstance(message, str) else "")
    if "response" in body:
        return body["response"]
    if "success" in body:
        return True
    raise MalformedResponse("The Crust server's answer has neither response, success nor error")






def _segment(value: object) -> str:
    """An id as a path segment (surrounding spaces dropped: an id read from a form or a pasted URL)."""
    return path_segment(value, strip=True)


def clamp_per_page(per_page: int) -> int:
    return min(MAX_PER_PAGE, max(MIN_PER_PAGE, int(per_page)))


def normal_sort(sort: str) -> str:
    """A sort the server reads whole: `field[ ASC|DESC]` chunks joined by a bare comma (the server
    skips a chunk with more than one space, so "a DESC, b" would lose `b`), never empty."""
    chunks = []
    for chunk in sort.split(","):
        words = chunk.split()
        if not words:
            continue
        if len(words) > 2 or (len(words) == 2 and words[1].upper() not in ("ASC", "DESC")):
            raise ValueError(f"not a sort the server reads: {chunk.strip()!r} (field, then ASC or DESC)")
        chunks.append(" ".join([words[0], *(w.upper() for w in words[1:])]))
    return ",".join(chunks) or DEFAULT_SORT


@dataclass(frozen=True)
class RecordsPage:
    """One page of records as the listing helpers take it (0-based `page`)."""

    items: Sequence[wire.Content]
    total_count: int
    page: int
    per_page: int
    max_page: int = 0


class CrustClient(HttpClient):
    """Async client for one Crust JWT. Use as an async context manager, or call `aclose()`."""

    def __init__(
        self,
        jwt: str,
        *,
        base_url: str,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        deadline: float = DEFAULT_DEADLINE,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        event_hooks: dict[str, list[Any]] | None = None,
        allow_insecure_http: bool = False,
    ) -> None:
        """Raises InsecureAddress for plain http to another machine unless `allow_insecure_http`."""
        self.base_url = base_url.rstrip("/")
        self.http = ApiHttp(
            self.base_url,
            auth=None,
            error_for=error_for,
            retry=retry or RetryPolicy(),
            timeout=timeout,
            deadline=deadline,
            headers={"Accept": "application/json", "User-Agent": "crmtui", "Authorization": f"Bearer {jwt}"},
            transport=transport,
            event_hooks=event_hooks,
            allow_insecure_http=allow_insecure_http,
        )

    def __repr__(self) -> str:  # never the token
        return f"CrustClient(base_url={self.base_url!r})"

    # -- plumbing ----------------------------------------------------------------------------------

    async def _call(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None
    ) -> Any:
        return await self.http.send(method, path, params=params, json=body, unwrap=unwrap)

    async def _model(self, model: type[M], what: str, method: str, path: str, **kw: Any) -> M:
        payload = await self._call(method, path, **kw)
        if not isinstance(payload, dict):
            raise MalformedResponse(f"Crust's {what} is not an object")
        with reading(f"Crust's {what}"):
            return model.model_validate(payload)

    async def _models(self, model: type[M], what: str, method: str, path: str, **kw: Any) -> list[M]:
        payload = await self._call(method, path, **kw)
        if payload is False or payload is None:  # `{"response": false}`: a nil list
            return []
        if not isinstance(payload, list):
            raise MalformedResponse(f"Crust's {what} is not a list")
        with reading(f"Crust's {what}"):
            return [model.model_validate(item) for item in payload if isinstance(item, dict)]

    # -- fields and modules ------------------------------------------------------------------------

    async def field_types(self) -> list[wire.FieldType]:
        return await self._models(wire.FieldType, "field kinds", "GET", "field/")

    async def modules(self) -> list[wire.Module]:
        """Every module (the server ignores the spec's `query`: not sent)."""
        return await self._models(wire.Module, "module list", "GET", "module/")

    async def module(self, module_id: str) -> wire.Module:
        """One module with its record page (NotFound when the module has no record page: see the adapter)."""
        return await self._model(wire.Module, "module", "GET", f"module/{_segment(module_id)}")

    async def create_module(self, name: str, fields: list[dict[str, Any]]) -> wire.Module:
        return await self._model(wire.Module, "module", "POST", "module/", body={"name": name, "fields": fields})

    async def update_module(self, module_id: str, name: str, fields: list[dict[str, Any]]) -> wire.Module:
        """Replace the module's name and fields (send them all)."""
        return await self._model(
            wire.Module, "module", "POST", f"module/{_segment(module_id)}", body={"name": name, "fields": fields}
        )

    async def delete_module(self, module_id: str) -> None:
        await self._call("DELETE", f"module/{_segment(module_id)}")

    # -- records -----------------------------------------------------------------------------------

    async def records(
        self, module_id: str, *, query: str = "", page: int = 0, per_page: int = 50, sort: str = DEFAULT_SORT
    ) -> RecordsPage:
        """One page (0-based) of the module's records matching `query` (a substring of any value)."""
        params: dict[str, Any] = {"page": max(0, int(page)), "perPage": clamp_per_page(per_page), "sort": normal_sort(sort)}
        if query:
            params["query"] = query
        answer = await self._model(
            wire.ContentList, "record list", "GET", f"module/{_segment(module_id)}/content", params=params
        )
        meta = answer.meta
        return RecordsPage(
            items=answer.contents, total_count=max(meta.count, 0), page=meta.page if meta.page >= 0 else params["page"],
            per_page=meta.per_page or params["perPage"],
        )

    async def records_all(
        self,
        module_id: str,
        *,
        query: str = "",
        sort: str = DEFAULT_SORT,
        per_page: int = MAX_PER_PAGE,
        on_progress: ProgressCallback | None = None,
        on_first: Callable[[Sequence[wire.Content]], None] | None = None,
    ) -> list[wire.Content]:
        """Every record matching `query`, all pages (0-based, up to 4 in flight), in the sort's order."""
        size = clamp_per_page(per_page)

        async def fetch(page: int) -> RecordsPage:
            return await self.records(module_id, query=query, page=page, per_page=size, sort=sort)

        pages = await fetch_all_pages(
            fetch, per_page=size, concurrency=4, on_progress=on_progress, on_first=on_first, first_page=0,
            key=lambda c: c.content_id, what="record list",
        )
        return pages.items

    async def record(self, module_id: str, record_id: str) -> wire.Content:
        """One record (NotFound when deleted, and also when its module has no record page: see the adapter)."""
        return await self._model(
            wire.Content, "record", "GET", f"module/{_segment(module_id)}/content/{_segment(record_id)}"
        )

    async def create_record(self, module_id: str, fields: list[dict[str, Any]]) -> wire.Content:
        """A new record with `fields` ([{name, value, related}]): the record as the server made it."""
        return await self._model(
            wire.Content, "new record", "POST", f"module/{_segment(module_id)}/content", body={"fields": fields}
        )

    async def replace_record(self, module_id: str, record_id: str, fields: list[dict[str, Any]]) -> wire.Content:
        """Replace the record with exactly `fields` (what is not sent is lost: send every field)."""
        return await self._model(
            wire.Content, "record", "POST", f"module/{_segment(module_id)}/content/{_segment(record_id)}",
            body={"fields": fields},
        )

    async def delete_record(self, module_id: str, record_id: str) -> None:
        await self._call("DELETE", f"module/{_segment(module_id)}/content/{_segment(record_id)}")

    # -- charts ------------------------------------------------------------------------------------

    async def chart(
        self, module_id: str, *, kind: str, x_axis: str, name: str = "", description: str = "", y_axis: str = "",
        group_by: str = "", sum: str = "", count: str = "", x_min: str = "", x_max: str = "",
    ) -> wire.Chart:
        """A chart of the module's records: `kind` (line, bar, pie, donut), drawn along `x_axis` (a field's
        name; `field:month` groups a date field by month), grouped by `group_by`, measuring `count` or
        `sum` (or `y_axis`'s total), within `x_min`..`x_max`. Every parameter the spec requires is sent
        (empty when unused); the optional range only when given."""
        params: dict[str, Any] = {
            "kind": kind, "name": name, "description": description, "xAxis": x_axis, "yAxis": y_axis,
            "groupBy": group_by, "sum": sum, "count": count,
        }
        if x_min:
            params["xMin"] = x_min
        if x_max:
            params["xMax"] = x_max
        return await self._model(wire.Chart, "chart", "GET", f"module/{_segment(module_id)}/chart", params=params)


def _jwt_cookie(headers: list[str]) -> str | None:
    """The `jwt` cookie's value among Set-Cookie headers, whatever its Expires says (the server judges a
    token by its own clock: this machine's may differ)."""
    for header in headers:
        cookie: SimpleCookie = SimpleCookie()
        try:
            cookie.load(header)
        except CookieError:
            continue
        morsel = cookie.get("jwt")
        if morsel is not None and morsel.value:
            return morsel.value
    return None


async def password_login(
    system_url: str,
    username: str,
    password: str,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    allow_insecure_http: bool = False,
) -> str:
    """Sign in on the Crust system API (`POST /auth/login` with the username or e-mail and password):
    the JWT it sets as the `jwt` cookie. Only later servers read the request: at the spec's commit the
    handler never does and answers "sql: no rows in result set" (NotFound) whatever is sent."""
    http = ApiHttp(
        system_url, auth=None, error_for=error_for, retry=RetryPolicy(attempts=2, base_delay=0.2, max_delay=1.0, budget=5.0),
        headers={"Accept": "application/json", "User-Agent": "crmtui"}, transport=transport,
        allow_insecure_http=allow_insecure_http,
    )

    def with_cookie(response: httpx.Response) -> str:
        unwrap(response)  # an error as HTTP 200 is raised here, typed
        token = _jwt_cookie(response.headers.get_list("set-cookie"))
        if not token:
            raise MalformedResponse("The Crust system API signed in without setting the jwt cookie")
        return str(token)

    try:
        token: str = await http.send(
            "POST", "auth/login", json={"username": username, "password": password}, unwrap=with_cookie, safe=True
        )
    finally:
        await http.aclose()
    return token

"""The Pipedrive API v1 client: one `httpx.AsyncClient` per token, a rate governor, typed answers and errors.

    async with PipedriveClient(api_token, base_url="https://acme.pipedrive.com/api/v1") as api:
        me = await api.me()
        leads = await api.leads_all(on_progress=print)

The token goes in the `x-api-token` header, never in a query string (URLs end up in logs). Every
answer's envelope `{success, data, additional_data}` is unwrapped here; an error answer, or a
`success: false` inside a 2xx, is a typed error. Every request passes the `RateGovernor` first, so
the burst window, the search window, the daily budget and a Cloudflare block are obeyed before the
server has to say so. Methods answer with the wire models of `wire`; the adapter maps them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from crmtui.backends.client_base import HttpClient, path_segment, reading
from crmtui.backends.errors import (
    AuthError,
    BackendError,
    Blocked,
    Conflict,
    MalformedResponse,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
    ValidationFailed,
)
from crmtui.backends.http import DEFAULT_DEADLINE, DEFAULT_TIMEOUT, ApiHttp, RetryPolicy, parse_retry_after
from crmtui.backends.paging import ProgressCallback, check_ids, fetch_offset_pages
from crmtui.backends.pipedrive import wire
from crmtui.backends.pipedrive.governor import BLOCK_SECONDS, SERVER, RateGovernor

DEFAULT_BASE_URL = "https://api.pipedrive.com/v1"
MAX_LEADS_LIMIT = 500
MAX_SEARCH_LIMIT = 500
MAX_FILES_LIMIT = 100
MAX_ACTIVITIES_LIMIT = 500
LEAD_LIST_FILTERS = frozenset({"owner_id", "person_id", "organization_id", "filter_id", "sort"})
FILTER_TYPES = frozenset({"deals", "leads", "org", "people", "products", "activity", "projects"})

M = TypeVar("M", bound=BaseModel)


# -- errors ------------------------------------------------------------------------------------


def _media(response: httpx.Response) -> str:
    return str(response.headers.get("content-type", "")).split(";", 1)[0].strip().lower()


def _json_body(response: httpx.Response) -> Any:
    media = _media(response)
    if media != "application/json" and not media.endswith("+json"):
        return None
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def error_for(
    response: httpx.Response, *, blocked_until: Callable[[], dt.datetime | None] | None = None
) -> BackendError:
    """The typed error of a non-2xx Pipedrive answer.

    A 403 is a permission error only with the API's JSON body; any other 403 is Cloudflare's block
    page (Pipedrive blocks a token that keeps sending through 429s), `Blocked` until
    `blocked_until()` (the governor's record), else 15 minutes from now.
    """
    body = _json_body(response)
    if response.status_code == 403 and not isinstance(body, Mapping):
        until = blocked_until() if blocked_until is not None else None
        now = dt.datetime.now(dt.timezone.utc)
        return Blocked(until or now + dt.timedelta(seconds=BLOCK_SECONDS), server=SERVER, status=403)
    return _error(response.status_code, body, response)


def _text(value: Any) -> str:
    if value is None or isinstance(value, (Mapping, list)):
        return ""
    return str(value).strip()


def _error(status: int, body: Any, response: httpx.Response) -> BackendError:
    error = info = ""
    code: str | None = None
    if isinstance(body, Mapping):
        error, info = _text(body.get("error")), _text(body.get("error_info"))
        code = _text(body.get("code")) or None
    detail = f"{error}: {info}" if error and info and info not in error else error or info
    kw: dict[str, Any] = {"status": status, "error_name": code}
    if status == 401:
        return AuthError("Pipedrive refused the API token (wrong, revoked or for another company)", **kw)
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return RateLimited(f"Pipedrive's rate limit ({detail or 'too many requests'}); slowing down", retry_after=retry_after, **kw)
    if status in (402, 403):
        return PermissionDenied(f"Not allowed: {detail or 'Pipedrive refused this request'}", **kw)
    if status == 404:
        return NotFound(detail or "Not found: it may have been deleted", **kw)
    if status == 409:
        return Conflict(detail or "Pipedrive refused: the record changed meanwhile", **kw)
    if status in (400, 422):
        return ValidationFailed(detail or "Pipedrive refused the data", **kw)
    if status >= 500:
        return ServerError(f"Pipedrive server error {status}{': ' + detail if detail else ''}; try again shortly", **kw)
    return BackendError(detail or f"Unexpected answer {status} from Pipedrive", **kw)






def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class PipedriveClient(HttpClient):
    """Async client for one Pipedrive API token. Use as an async context manager, or call `aclose()`."""

    def __init__(
        self,
        api_token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        governor: RateGovernor | None = None,
        state_file: Path | None = None,
        budget: int | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        deadline: float = DEFAULT_DEADLINE,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        event_hooks: dict[str, list[Any]] | None = None,
        allow_insecure_http: bool = False,
    ) -> None:
        """`governor`: the token's rate governor (made here when None, with `state_file` and `budget`).
        Raises InsecureAddress for plain http to another machine unless `allow_insecure_http`."""
        self.base_url = base_url.rstrip("/")
        self.governor = governor or RateGovernor(budget=budget, state_file=state_file)
        self.http = ApiHttp(
            self.base_url,
            auth=None,
            error_for=lambda response: error_for(response, blocked_until=self._blocked_until),
            retry=retry or RetryPolicy(),
            timeout=timeout,
            deadline=deadline,
            headers={"Accept": "application/json", "User-Agent": "crmtui", "x-api-token": api_token},
            transport=transport,
            event_hooks=event_hooks,
            allow_insecure_http=allow_insecure_http,
            governor=self.governor,
        )

    def __repr__(self) -> str:  # never the token
        return f"PipedriveClient(base_url={self.base_url!r})"

    def _blocked_until(self) -> dt.datetime | None:
        return self.governor.state().blocked_until

    # -- plumbing ----------------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        form: Mapping[str, Any] | None = None,
        files: Mapping[str, Any] | None = None,
    ) -> tuple[Any, Any]:
        """(data, additional_data) of a successful answer. A write is repeated by `ApiHttp` only when
        the server certainly did not act on it. `form` is a form body (multipart with `files`)."""
        query = {k: _param(v) for k, v in (params or {}).items() if v is not None}
        answer: tuple[Any, Any] = await self.http.send(
            method, path, params=query or None, json=dict(body) if body is not None else None,
            unwrap=self._envelope, data=dict(form) if form is not None else None,
            files=dict(files) if files is not None else None,
        )
        return answer

    @staticmethod
    def _envelope(response: httpx.Response) -> tuple[Any, Any]:
        """(data, additional_data) of a 2xx answer; a typed error when it is no envelope or says it failed."""
        try:
            payload = json.loads(response.content) if response.content.strip() else None
        except (ValueError, UnicodeDecodeError, RecursionError):
            media = _media(response) or "no content type"
            raise MalformedResponse(
                f"Pipedrive's answer is not JSON ({media}); is the address a Pipedrive API?", status=response.status_code
            ) from None
        if not isinstance(payload, Mapping) or "success" not in payload:
            raise MalformedResponse(
                "The answer lacks Pipedrive's {success, data} envelope; is the address a Pipedrive API?",
                status=response.status_code,
            )
        if payload.get("success") is not True:
            # An error inside a 2xx: typed by its errorCode when it has one, else a plain refusal.
            code = payload.get("errorCode")
            if isinstance(code, int) and not isinstance(code, bool) and 400 <= code <= 599:
                raise _error(code, payload, response)
            detail = _text(payload.get("error")) or _text(payload.get("error_info"))
            raise BackendError(
                f"Pipedrive answered that the request failed{': ' + detail if detail else ''}", status=response.status_code
            )
        return payload.get("data"), payload.get("additional_data")

    def server_now(self) -> dt.datetime | None:
        """The server's clock, as its answers' Date header said (None before the first answer)."""
        return self.http.server_now()

    async def server_clock(self) -> dt.datetime:
        """The server's clock now; asks the server (GET /users/me, 2 tokens) when no answer has told it yet."""
        now = self.http.server_now()
        if now is None:
            await self._call("GET", "users/me")
            now = self.http.server_now()
        return now if now is not None else dt.datetime.now(dt.timezone.utc)

    @staticmethod
    def _one(model: type[M], data: Any, what: str) -> M:
        if not isinstance(data, Mapping):
            raise MalformedResponse(f"Pipedrive's {what} is not an object")
        with reading(f"Pipedrive's {what}"):
            return model.model_validate(data)

    @staticmethod
    def _many(model: type[M], data: Any, what: str, *, ids: bool = True) -> list[M]:
        if data is None:
            return []  # Pipedrive answers an empty list as null
        if not isinstance(data, list):
            raise MalformedResponse(f"Pipedrive's {what} are not a list")
        with reading(f"Pipedrive's {what}"):
            items = [model.model_validate(item) for item in data if isinstance(item, Mapping)]
        if ids:
            check_ids(items, lambda item: getattr(item, "id", None), what)
        return items

    # -- users -------------------------------------------------------------------------------------

    async def me(self) -> wire.User:
        data, _ = await self._call("GET", "users/me")
        return self._one(wire.User, data, "user")

    async def users(self) -> list[wire.User]:
        data, _ = await self._call("GET", "users")
        return self._many(wire.User, data, "users")

    # -- leads -------------------------------------------------------------------------------------

    async def leads(
        self, *, archived: bool = False, start: int = 0, limit: int = MAX_LEADS_LIMIT, **filters: Any
    ) -> wire.Page[wire.Lead]:
        """One page of leads (GET /leads, or /leads/archived); filters: owner_id, person_id,
        organization_id, filter_id (wins over the others on the server), sort."""
        unknown = set(filters) - LEAD_LIST_FILTERS
        if unknown:
            raise TypeError(f"unsupported filter(s): {', '.join(sorted(unknown))}")
        params = {**filters, "start": max(0, start), "limit": min(MAX_LEADS_LIMIT, max(1, limit))}
        data, additional = await self._call("GET", "leads/archived" if archived else "leads", params=params)
        items = self._many(wire.Lead, data, "leads")
        more, following = wire.pagination(additional)
        return wire.Page(items=items, more=more, next_start=following)

    async def leads_all(
        self,
        *,
        archived: bool = False,
        stop: Callable[[list[wire.Lead]], bool] | None = None,
        on_progress: ProgressCallback | None = None,
        on_first: Callable[[Sequence[wire.Lead]], None] | None = None,
        limit: int = MAX_LEADS_LIMIT,
        **filters: Any,
    ) -> list[wire.Lead]:
        """Every page in turn, one at a time (the burst window is per token); `stop(page)` True ends it."""

        async def fetch(start: int) -> wire.Page[wire.Lead]:
            page = await self.leads(archived=archived, start=start, limit=limit, **filters)
            if stop is not None and page.items and stop(page.items):
                page.more = False
            return page

        pages = await fetch_offset_pages(
            fetch, on_progress=on_progress, on_first=on_first, key=lambda lead: lead.id,
            what="archived leads" if archived else "leads",
        )
        return pages.items

    async def lead(self, lead_id: str) -> wire.Lead:
        data, _ = await self._call("GET", f"leads/{path_segment(lead_id)}")
        return self._one(wire.Lead, data, "lead")

    async def create_lead(self, body: Mapping[str, Any]) -> wire.Lead:
        data, _ = await self._call("POST", "leads", body=body)
        return self._one(wire.Lead, data, "lead")

    async def update_lead(self, lead_id: str, body: Mapping[str, Any]) -> wire.Lead:
        """PATCH: only the fields in `body` change; a null unsets one."""
        data, _ = await self._call("PATCH", f"leads/{path_segment(lead_id)}", body=body)
        return self._one(wire.Lead, data, "lead")

    async def delete_lead(self, lead_id: str) -> None:
        await self._call("DELETE", f"leads/{path_segment(lead_id)}")

    async def permitted_users(self, lead_id: str) -> list[str]:
        """GET /leads/{id}/permittedUsers: the ids of the users who may see the lead (10 tokens)."""
        data, _ = await self._call("GET", f"leads/{path_segment(lead_id)}/permittedUsers")
        return wire.user_ids(data)

    async def search_leads(
        self, term: str, *, exact: bool = False, fields: Sequence[str] = (), start: int = 0, limit: int = 100,
        person_id: str | None = None, organization_id: str | None = None,
    ) -> wire.Page[wire.SearchHit]:
        """One page of GET /leads/search (the search window: 10 per 2 s); `term` >= 2 characters (1 exact)."""
        params: dict[str, Any] = {"term": term, "start": max(0, start), "limit": min(MAX_SEARCH_LIMIT, max(1, limit))}
        if exact:
            params["exact_match"] = True
        if fields:
            params["fields"] = ",".join(fields)
        params["person_id"] = person_id
        params["organization_id"] = organization_id
        data, additional = await self._call("GET", "leads/search", params=params)
        items = data.get("items") if isinstance(data, Mapping) else None
        hits = self._many(wire.SearchHit, items, "search results", ids=False)
        more, following = wire.pagination(additional)
        return wire.Page(items=hits, more=more, next_start=following)

    async def item_search(
        self, term: str, *, item_types: Sequence[str] = (), fields: Sequence[str] = (), exact: bool = False,
        related: bool = False, start: int = 0, limit: int = 50,
    ) -> tuple[wire.Page[wire.ItemHit], list[wire.ItemHit]]:
        """One page of GET /itemSearch (the search window) and its related items: `term` >= 2
        characters (1 exact); `item_types`, `fields`: all when empty."""
        params: dict[str, Any] = {"term": term, "start": max(0, start), "limit": min(MAX_SEARCH_LIMIT, max(1, limit))}
        if item_types:
            params["item_types"] = ",".join(item_types)
        if fields:
            params["fields"] = ",".join(fields)
        if exact:
            params["exact_match"] = True
        if related:
            params["search_for_related_items"] = True
        data, additional = await self._call("GET", "itemSearch", params=params)
        block = data if isinstance(data, Mapping) else {}
        hits = self._many(wire.ItemHit, block.get("items"), "search results", ids=False)
        linked = self._many(wire.ItemHit, block.get("related_items"), "related search results", ids=False)
        more, following = wire.pagination(additional)
        return wire.Page(items=hits, more=more, next_start=following), linked

    # -- what leads refer to --------------------------------------------------------------------------

    async def lead_labels(self) -> list[wire.LeadLabel]:
        data, _ = await self._call("GET", "leadLabels")
        return self._many(wire.LeadLabel, data, "lead labels")

    async def lead_sources(self) -> list[wire.LeadSource]:
        data, _ = await self._call("GET", "leadSources")
        return self._many(wire.LeadSource, data, "lead sources", ids=False)

    async def lead_fields(self) -> list[wire.LeadField]:
        """GET /leadFields, every page (offset paging nested under additional_data.pagination)."""

        async def fetch(start: int) -> wire.Page[wire.LeadField]:
            data, additional = await self._call("GET", "leadFields", params={"start": start, "limit": MAX_LEADS_LIMIT})
            items = self._many(wire.LeadField, data, "lead fields", ids=False)
            more, following = wire.pagination(additional)
            return wire.Page(items=items, more=more, next_start=following)

        pages = await fetch_offset_pages(fetch, key=lambda field: field.key, what="lead fields")
        return pages.items

    async def person(self, person_id: str) -> wire.Named:
        data, _ = await self._call("GET", f"persons/{path_segment(person_id)}")
        return self._one(wire.Named, data, "person")

    async def organization(self, organization_id: str) -> wire.Named:
        data, _ = await self._call("GET", f"organizations/{path_segment(organization_id)}")
        return self._one(wire.Named, data, "organization")

    # -- saved filters --------------------------------------------------------------------------------

    async def filters(self, type: str | None = None) -> list[wire.Filter]:
        if type is not None and type not in FILTER_TYPES:
            raise ValueError(f"unknown filter type {type!r}")
        data, _ = await self._call("GET", "filters", params={"type": type})
        return self._many(wire.Filter, data, "filters")

    async def filter(self, filter_id: str) -> wire.Filter:
        data, _ = await self._call("GET", f"filters/{path_segment(filter_id)}")
        return self._one(wire.Filter, data, "filter")

    async def filter_helpers(self) -> wire.FilterHelpers:
        """GET /filters/helpers: the operators per field type, relative dates and address parts."""
        data, _ = await self._call("GET", "filters/helpers")
        return self._one(wire.FilterHelpers, data, "filter helpers")

    async def create_filter(self, body: Mapping[str, Any]) -> wire.Filter:
        """POST /filters (`name`, `type`, `conditions`). Not idempotent: sent once unless the server
        certainly did not get it."""
        data, _ = await self._call("POST", "filters", body=body)
        return self._one(wire.Filter, data, "filter")

    async def update_filter(self, filter_id: str, body: Mapping[str, Any]) -> wire.Filter:
        """PUT /filters/{id} (`conditions`, and `name` when it changes)."""
        data, _ = await self._call("PUT", f"filters/{path_segment(filter_id)}", body=body)
        return self._one(wire.Filter, data, "filter")

    async def delete_filter(self, filter_id: str) -> None:
        await self._call("DELETE", f"filters/{path_segment(filter_id)}")

    async def delete_filters(self, filter_ids: Sequence[str]) -> None:
        """DELETE /filters?ids=1,2,3 (bulk)."""
        ids = [str(i).strip() for i in filter_ids if str(i).strip()]
        if not ids or not all(i.isdigit() for i in ids):
            raise ValueError("filter ids are numbers")
        await self._call("DELETE", "filters", params={"ids": ",".join(ids)})

    # -- goals -------------------------------------------------------------------------------------

    @staticmethod
    def _goal_of(data: Any) -> wire.Goal:
        goal = data.get("goal") if isinstance(data, Mapping) else None
        return PipedriveClient._one(wire.Goal, goal, "goal")

    async def goals_find(self, criteria: Mapping[str, Any] | None = None) -> list[wire.Goal]:
        """GET /goals/find: the caller's goals without criteria, everyone's matching them with any
        (`period.start` and `period.end` together; `is_active`, default true, is no criterion)."""
        data, _ = await self._call("GET", "goals/find", params=dict(criteria or {}))
        goals = data.get("goals") if isinstance(data, Mapping) else None
        return self._many(wire.Goal, goals, "goals")

    async def goal_results(self, goal_id: str, start: dt.date, end: dt.date) -> wire.GoalResults:
        params = {"period.start": start.isoformat(), "period.end": end.isoformat()}
        data, _ = await self._call("GET", f"goals/{path_segment(goal_id)}/results", params=params)
        return self._one(wire.GoalResults, data, "goal's results")

    async def create_goal(self, body: Mapping[str, Any]) -> wire.Goal:
        """POST /goals. Not idempotent: sent once unless the server certainly did not get it."""
        data, _ = await self._call("POST", "goals", body=body)
        return self._goal_of(data)

    async def update_goal(self, goal_id: str, body: Mapping[str, Any]) -> wire.Goal:
        """PUT /goals/{id}: only the fields in `body` change."""
        data, _ = await self._call("PUT", f"goals/{path_segment(goal_id)}", body=body)
        return self._goal_of(data)

    async def delete_goal(self, goal_id: str) -> None:
        """DELETE /goals/{id} (no undelete)."""
        await self._call("DELETE", f"goals/{path_segment(goal_id)}")

    # -- files -------------------------------------------------------------------------------------

    async def files(self, *, start: int = 0, limit: int = MAX_FILES_LIMIT, sort: str | None = None) -> wire.Page[wire.File]:
        """One page of GET /files (limit <= 100; `sort`: `id` or `update_time`, ASC or DESC, comma separated)."""
        params = {"start": max(0, start), "limit": min(MAX_FILES_LIMIT, max(1, limit)), "sort": sort or None}
        data, additional = await self._call("GET", "files", params=params)
        items = self._many(wire.File, data, "files")
        more, following = wire.pagination(additional)
        return wire.Page(items=items, more=more, next_start=following)

    async def files_all(
        self, *, sort: str | None = None, on_progress: ProgressCallback | None = None,
    ) -> list[wire.File]:
        """Every page of GET /files in turn (20 tokens a page of 100: the only way to a lead's files)."""

        async def fetch(start: int) -> wire.Page[wire.File]:
            return await self.files(start=start, sort=sort)

        pages = await fetch_offset_pages(fetch, on_progress=on_progress, key=lambda f: f.id, what="files")
        return pages.items

    async def file(self, file_id: str) -> wire.File:
        data, _ = await self._call("GET", f"files/{path_segment(file_id)}")
        return self._one(wire.File, data, "file")

    async def upload_file(
        self, file_name: str, content: bytes, *, lead_id: str, content_type: str = "application/octet-stream"
    ) -> wire.File:
        """POST /files, multipart: the bytes as `file`, linked to the lead. Not idempotent: sent once
        unless the server certainly did not get it."""
        data, _ = await self._call(
            "POST", "files", form={"lead_id": lead_id}, files={"file": (file_name, content, content_type)}
        )
        return self._one(wire.File, data, "file")

    async def update_file(self, file_id: str, *, name: str | None = None, description: str | None = None) -> wire.File:
        """PUT /files/{id} (a form: `name`, `description`)."""
        form = {k: v for k, v in (("name", name), ("description", description)) if v is not None}
        data, _ = await self._call("PUT", f"files/{path_segment(file_id)}", form=form)
        return self._one(wire.File, data, "file")

    async def delete_file(self, file_id: str) -> None:
        """DELETE /files/{id}: Pipedrive marks it deleted (gone for good after 30 days; no undelete)."""
        await self._call("DELETE", f"files/{path_segment(file_id)}")

    # -- legacy teams (writes: admins only) ------------------------------------------------------------

    async def teams(self) -> list[wire.Team]:
        """GET /legacyTeams: every team that is not deleted, with its users (one request: no paging)."""
        data, _ = await self._call("GET", "legacyTeams")
        return self._many(wire.Team, data, "teams")

    async def team(self, team_id: str) -> wire.Team:
        data, _ = await self._call("GET", f"legacyTeams/{path_segment(team_id)}")
        return self._one(wire.Team, data, "team")

    async def user_teams(self, user_id: str) -> list[wire.Team]:
        data, _ = await self._call("GET", f"legacyTeams/user/{path_segment(user_id)}")
        return self._many(wire.Team, data, "teams")

    async def create_team(self, body: Mapping[str, Any]) -> wire.Team:
        data, _ = await self._call("POST", "legacyTeams", body=body)
        return self._one(wire.Team, data, "team")

    async def update_team(self, team_id: str, body: Mapping[str, Any]) -> wire.Team:
        """PUT: only the fields in `body` change."""
        data, _ = await self._call("PUT", f"legacyTeams/{path_segment(team_id)}", body=body)
        return self._one(wire.Team, data, "team")

    async def team_users(self, team_id: str) -> list[str]:
        data, _ = await self._call("GET", f"legacyTeams/{path_segment(team_id)}/users")
        return wire.user_ids(data)

    async def add_team_users(self, team_id: str, users: Sequence[int]) -> list[str]:
        """POST /legacyTeams/{id}/users: the team's users afterwards."""
        data, _ = await self._call("POST", f"legacyTeams/{path_segment(team_id)}/users", body={"users": list(users)})
        return wire.user_ids(data)

    async def remove_team_users(self, team_id: str, users: Sequence[int]) -> list[str]:
        """DELETE /legacyTeams/{id}/users (a JSON body on DELETE): the team's users afterwards."""
        data, _ = await self._call("DELETE", f"legacyTeams/{path_segment(team_id)}/users", body={"users": list(users)})
        return wire.user_ids(data)

    # -- activities (deprecated in v1, and optional: a server may answer 404, 403 or 410) -------------

    async def activities(
        self, *, user_id: str | None = None, done: bool | None = None, type: str | None = None,
        start_date: dt.date | None = None, end_date: dt.date | None = None, start: int = 0, limit: int = MAX_ACTIVITIES_LIMIT,
    ) -> wire.Page[wire.Activity]:
        """One page of GET /activities (20 tokens whatever its size). `user_id`: whose ("0": every
        user's; None: the token's own), `done`: only done or only open ones."""
        params: dict[str, Any] = {
            "user_id": user_id, "type": type, "done": None if done is None else int(done),
            "start_date": start_date.isoformat() if start_date else None, "end_date": end_date.isoformat() if end_date else None,
            "start": max(0, start), "limit": min(MAX_ACTIVITIES_LIMIT, max(1, limit)),
        }
        data, additional = await self._call("GET", "activities", params=params)
        items = self._many(wire.Activity, data, "activities")
        more, following = wire.pagination(additional)
        return wire.Page(items=items, more=more, next_start=following)

    async def activities_all(
        self, *, on_progress: ProgressCallback | None = None, **filters: Any,
    ) -> list[wire.Activity]:
        """Every page of GET /activities in turn (`filters` as for `activities`)."""

        async def fetch(start: int) -> wire.Page[wire.Activity]:
            return await self.activities(start=start, **filters)

        pages = await fetch_offset_pages(fetch, on_progress=on_progress, key=lambda a: a.id, what="activities")
        return pages.items

    async def activity(self, activity_id: str) -> wire.Activity:
        data, _ = await self._call("GET", f"activities/{path_segment(activity_id)}")
        return self._one(wire.Activity, data, "activity")

    async def update_activity(self, activity_id: str, body: Mapping[str, Any]) -> wire.Activity:
        """PUT /activities/{id}: only the fields in `body` change (`done` as 0 or 1)."""
        data, _ = await self._call("PUT", f"activities/{path_segment(activity_id)}", body=body)
        return self._one(wire.Activity, data, "activity")

    async def download_file(self, file_id: str) -> bytes:
        """A file's bytes (GET /files/{id}/download); a redirect to storage is followed once, without the token."""
        response = await self.http.download(f"files/{path_segment(file_id)}/download")
        return bytes(response.content)


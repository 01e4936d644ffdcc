"""The Crust sandbox's routes and what each answers, after the real server (crust-server @ 73728bcf):
fields, modules and module records (`/module/{moduleID}/content`) here; charts (charts.py), pages
(pages.py), workflows and jobs (jobs.py) and the system API's /auth (system_auth.py) in their modules.

A handler gets a Request (past auth and Fill) and returns the payload: wrapped as {"response": ...}
by the server, or `OK` ({"success": {"message": "OK"}}, not wrapped); a CrustError is the error
envelope, HTTP 200 like everything else. Answers keep the Go structs' key order and omissions.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from crmtui.sandbox.crust.godecode import Body, GoField, GoJsonError, decode_struct, go_kind, unmarshal
from crmtui.sandbox.crust.state import FIELD_KINDS, ZERO_TIME, CrustError, CrustState, db_time, go_time, no_rows

OK = {"success": {"message": "OK"}}
DEFAULT_PER_PAGE = 50
MIN_PER_PAGE = 10
MAX_PER_PAGE = 100
SORT_COLUMNS = {"moduleId": "moduleID", "userId": "userID", "createdAt": "createdAt", "updatedAt": "updatedAt", "deletedAt": "deletedAt"}
"""Sort names that are columns of the record row (case-sensitive, as the server's switch); any other
name that is not one of the module's fields sorts by id."""

MODULE_FIELD = [
    GoField("ModuleID", "moduleID", "uint64string"), GoField("Kind", "kind", "string"), GoField("Name", "name", "string"),
    GoField("Label", "label", "string"), GoField("HelpText", "helpText", "string"), GoField("Default", "defaultValue", "string"),
    GoField("MaxLength", "maxLength", "int"), GoField("Options", "options", "raw"), GoField("Private", "isPrivate", "bool"),
    GoField("Required", "isRequired", "bool"), GoField("Visible", "isVisible", "bool"),
]
CONTENT_COLUMN = [GoField("Name", "name", "string"), GoField("Value", "value", "string"), GoField("Related", "related", "strings")]
MODULE_BODY = {
    "ModuleCreate": [GoField("Name", "name", "string"), GoField("Fields", "fields", "list:ModuleField")],
    "ModuleEdit": [GoField("ModuleID", "moduleID", "uint64string"), GoField("Name", "name", "string"),
                   GoField("Fields", "fields", "list:ModuleField")],
}
CONTENT_BODY = {
    "ModuleContentCreate": [GoField("ModuleID", "moduleID", "uint64string"), GoField("Fields", "fields", "raw")],
    "ModuleContentEdit": [GoField("ModuleID", "moduleID", "uint64string"), GoField("ContentID", "contentID", "uint64string"),
                          GoField("Fields", "fields", "raw")],
}
"""The request structs' JSON-decoded fields (a path parameter is set from the path after decoding)."""
STRUCTS = {"ModuleField": MODULE_FIELD}


@dataclass
class Request:
    method: str
    params: dict[str, str]
    query: dict[str, str]
    body: Body
    user_id: int
    state: CrustState
    cookie_header: str | None = None
    login_works: bool = False
    """The sandbox's switch for a later server whose /auth/login reads its request (the real one at
    the spec's commit never does)."""
    jwt_minutes: float = 3600.0
    jobs_not_implemented: bool = False
    """Workflows and jobs answer "Not implemented: Job.list" and the like, as the real server at the spec's commit."""

    def path_id(self, name: str) -> int:
        """`parseUInt64(chi.URLParam(r, name))`: a bad number is 0, silently."""
        raw = self.params.get(name, "")
        return int(raw) if raw.isascii() and raw.isdigit() and int(raw) < 2**64 else 0

    def get_int(self, name: str) -> int:
        """`parseInt(get[name])`: strconv.Atoi, a bad number is 0."""
        raw = self.query.get(name, "")
        try:
            return int(raw.strip()) if re.fullmatch(r"[+-]?\d+", raw) else 0
        except ValueError:
            return 0


@dataclass
class Reply:
    """An answer with headers (a cookie), or with no body at all (`payload` None): the system API's auth routes."""

    payload: Any
    headers: list[tuple[str, str]]


Handler = Callable[[Request], Any]
ROUTES: list[tuple[str, str, re.Pattern[str], Handler]] = []
"""(method, template as in the spec, its regex, handler), in the order chi would try them."""
ANONYMOUS: set[tuple[str, str]] = set()
"""Routes an anonymous request reaches (the system API's /auth): the others answer "Unauthorized"."""


def route(method: str, template: str, *, anonymous: bool = False) -> Callable[[Handler], Handler]:
    regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")

    def decorate(handler: Handler) -> Handler:
        ROUTES.append((method, template, regex, handler))
        if anonymous:
            ANONYMOUS.add((method, template))
        return handler

    return decorate


def match(method: str, path: str) -> tuple[str, Handler, dict[str, str]] | str:
    """The route for (method, path), or "404" (no such path) or "405" (the path, not the method),
    as chi tells them apart. A collection answers with or without its trailing slash."""
    if path.count("/") == 1 and path != "/":
        path += "/"  # chi's Route("/module") serves "/module" as its "/"
    allowed = False
    for route_method, template, regex, handler in ROUTES:
        found = regex.match(path)
        if found:
            if route_method == method:
                return template, handler, found.groupdict()
            allowed = True
    return "405" if allowed else "404"


# -- rendering (Go's JSON of the server's types) -----------------------------------------------------


def user_json(user: dict) -> dict:
    return {
        "userID": user["id"], "username": user["username"], "email": user["email"], "name": user["name"], "handle": user["handle"],
        "kind": user["kind"], "organisationID": "0", "relatedUserID": "0", "user": None, "createdAt": db_time(user["createdAt"]),
    }


def page_json(page: dict) -> dict:
    return {
        "pageID": page["id"], "selfID": page["selfID"], "moduleID": page["moduleID"], "title": page["title"],
        "description": page["description"], "blocks": page["blocks"], "visible": page["visible"],
    }


def module_json(module: dict, page: dict | None = None, *, created: str | None = None, updated: str | None = None) -> dict:
    out: dict[str, Any] = {"moduleID": module["id"], "name": module["name"], "fields": module["fields"]}
    if page is not None:
        out["page"] = page_json(page)
    out["createdAt"] = created or db_time(module["createdAt"])
    if updated or module.get("updatedAt"):
        out["updatedAt"] = updated or db_time(module["updatedAt"])
    return out


def record_fields(state: CrustState, row: dict) -> list[dict]:
    """The `fields` preload: the record's columns ordered by `FIELD(column_name, <the module's field
    names>)` (names the module does not have first), each with its links as `related` (the real server
    leaves `related` null on reads; the sandbox answers what was written)."""
    module = state.module(int(row["moduleID"]))
    names = [f.get("name", "") for f in module["fields"]]
    if not names:
        raise CrustError("Module has no fields")
    place = {name: n + 1 for n, name in reversed(list(enumerate(names)))}
    columns = sorted(row["columns"].items(), key=lambda item: place.get(item[0], 0))
    return [{"name": name, "value": value, "related": row["links"].get(name)} for name, value in columns]


def record_json(state: CrustState, row: dict, *, preload: tuple[str, ...] = ("user", "fields"), created_now: bool = False) -> dict:
    """A record (Go's Content) with the preloads the route does: `page`, `user`, `fields`."""
    out: dict[str, Any] = {"contentID": row["id"], "moduleID": row["moduleID"]}
    page = state.record_page(int(row["moduleID"])) if "page" in preload else None
    if "user" in preload and int(row["userID"]) > 0:
        out["user"] = user_json(state.user(row["userID"]))
    out["userID"] = row["userID"]
    if page is not None:
        out["page"] = page_json(page)
    out["fields"] = record_fields(state, row) if "fields" in preload else row["json"]
    out["createdAt"] = go_time(state.now()) if created_now else db_time(row["createdAt"])
    for key in ("updatedAt", "deletedAt"):
        if row.get(key):
            out[key] = db_time(row[key])
    return out


# -- fields ----------------------------------------------------------------------------------------


@route("GET", "/field/")
def field_list(req: Request) -> Any:
    return [{"name": name, "type": kind} for kind, name in sorted(FIELD_KINDS, key=lambda k: k[1])]


@route("GET", "/field/{typeID}")
def field_type(req: Request) -> Any:
    wanted = req.params["typeID"].lower()  # MySQL's collation: case-insensitive
    for kind, name in FIELD_KINDS:
        if kind.lower() == wanted:
            return {"name": name, "type": kind}
    raise no_rows()


# -- modules ---------------------------------------------------------------------------------------


def _module_body(req: Request, struct: str) -> tuple[str, list[dict]]:
    """(name, fields) of a module create or edit: JSON (Go's decoding), then the form's `name`."""
    try:
        decoded = decode_struct(req.body.json, f"request.{struct}", MODULE_BODY[struct], STRUCTS)
    except GoJsonError as exc:
        raise CrustError(f"error parsing http request body: {exc}") from None
    name = req.body.form.get("name", decoded.get("name", ""))
    fields = [_module_field(f) for f in decoded.get("fields") or []]
    return name, fields


def _module_field(decoded: dict) -> dict:
    """A ModuleField as the server stores and answers it (Go's zero values; helpText and defaultValue omitted when empty)."""
    out: dict[str, Any] = {"moduleID": decoded.get("moduleID", "0"), "kind": decoded.get("kind", ""), "name": decoded.get("name", ""),
                           "label": decoded.get("label", "")}
    if decoded.get("helpText"):
        out["helpText"] = decoded["helpText"]
    if decoded.get("defaultValue"):
        out["defaultValue"] = decoded["defaultValue"]
    out.update({"maxLength": decoded.get("maxLength", 0), "options": decoded.get("options"), "isPrivate": decoded.get("isPrivate", False),
                "isRequired": decoded.get("isRequired", False), "isVisible": decoded.get("isVisible", False)})
    return out


@route("GET", "/module/")
def module_list(req: Request) -> Any:
    # The handler ignores `query` (the spec's search): every module, by id, without its page.
    with req.state.lock:
        return [module_json(m) for m in req.state.modules()]


@route("POST", "/module/")
def module_create(req: Request) -> Any:
    name, fields = _module_body(req, "ModuleCreate")
    if not fields:
        raise CrustError("Error creating module: no fields")
    with req.state.write() as state:
        now = state.now()
        module = state.save("modules", {"id": state.ids.next(), "name": name, "fields": fields, "createdAt": now.isoformat()})
        return module_json(module, created=go_time(now))


@route("GET", "/module/{moduleID}")
def module_read(req: Request) -> Any:
    with req.state.lock:
        module = req.state.module(req.path_id("moduleID"))
        return module_json(module, req.state.record_page(int(module["id"])))  # no record page: "sql: no rows in result set"


@route("POST", "/module/{moduleID}")
def module_edit(req: Request) -> Any:
    name, fields = _module_body(req, "ModuleEdit")
    module_id = req.path_id("moduleID")
    if module_id == 0:
        raise CrustError("Error updating module: invalid ID")
    with req.state.write() as state:
        try:
            old = state.module(module_id)
        except CrustError as exc:
            raise CrustError(f"Error while loading module for update: {exc.message}") from None
        if not fields:
            raise CrustError("Error updating module: no fields")
        now = state.now()
        module = state.save("modules", {**old, "name": name, "fields": fields, "updatedAt": now.isoformat()})
        return module_json(module, updated=go_time(now))


@route("DELETE", "/module/{moduleID}")
def module_delete(req: Request) -> Any:
    with req.state.write() as state:  # a hard delete, answered OK whether or not there was one
        state.remove("modules", str(req.path_id("moduleID")))
    return OK


# -- records ---------------------------------------------------------------------------------------


def _like(pattern: str) -> re.Pattern[str]:
    """MySQL's LIKE (%, _ and the backslash escape), case-insensitive as the column's collation."""
    out, chars = [], iter(pattern)
    for char in chars:
        if char == "\\":
            out.append(re.escape(next(chars, "\\")))
        elif char == "%":
            out.append(".*")
        elif char == "_":
            out.append(".")
        else:
            out.append(re.escape(char))
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


def _json_sort_value(sent: Any, name: str) -> str | None:
    """`JSON_UNQUOTE(JSON_EXTRACT(json, REPLACE(JSON_UNQUOTE(JSON_SEARCH(json, 'one', name)), '.name', '.value')))`:
    the first string equal to `name` in the record's json copy (MySQL's key order: name, value, related),
    then the `value` beside it when it was a `name`."""
    if not isinstance(sent, list):
        return None
    for element in sent:
        if not isinstance(element, dict):
            if element == name:
                return name
            continue
        for key in sorted(element, key=lambda k: (len(k.encode()), k.encode())):
            item = element[key]
            if item == name:
                if key != "name":
                    return name
                value = element.get("value", None) if "value" in element else None
                return None if "value" not in element else ("null" if value is None else value if isinstance(value, str) else str(value))
            if isinstance(item, list) and name in item:
                return name
    return None


def _order(sort: str, module: dict) -> list[tuple[str, bool]]:
    """The sort as the server reads it: (key, descending) per comma-separated chunk; a chunk with more
    than one space is skipped; no chunk left is an SQL syntax error."""
    field_names = {f.get("name", "") for f in module["fields"]}
    keys: list[tuple[str, bool]] = []
    for chunk in sort.split(","):
        args = chunk.split(" ")
        if len(args) > 2:
            continue
        name = args[0]
        key = f"field:{name}" if name in field_names else SORT_COLUMNS.get(name, "id")
        keys.append((key, len(args) == 2 and args[1].upper() == "DESC"))
    if not keys:
        raise CrustError(
            "Error 1064: You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version "
            "for the right syntax to use near 'LIMIT 0, 50' at line 1"
        )
    return keys


def _sort_key(row: dict, key: str) -> tuple[int, Any]:
    """NULL first (ascending), then the value: ids and user ids as numbers, times as stored, field values as strings."""
    if key.startswith("field:"):
        value = _json_sort_value(row.get("json"), key[6:])
        return (0, "") if value is None else (1, value)
    if key in ("id", "moduleID", "userID"):
        return (1, int(row[key]))
    stored = row.get(key)
    if not stored:
        return (0, "")
    return (1, "0000" if stored == ZERO_TIME else db_time(stored))


@route("GET", "/module/{moduleID}/content")
def content_list(req: Request) -> Any:
    query, sort = req.query.get("query", ""), req.query.get("sort", "")
    page, per_page = max(0, req.get_int("page")), req.get_int("perPage")
    per_page = DEFAULT_PER_PAGE if per_page <= 0 else min(MAX_PER_PAGE, max(MIN_PER_PAGE, per_page))
    state = req.state
    with state.lock:
        module_id = req.path_id("moduleID")
        module = state.module(module_id)
        order = _order(sort, module)
        like = _like("%" + query + "%")
        rows = [
            row for row in state.tables["contents"].values()
            if row["moduleID"] == str(module_id) and not row.get("deletedAt") and any(like.fullmatch(v) for v in row["columns"].values())
        ]
        rows.sort(key=lambda row: int(row["id"]))
        for key, descending in reversed(order):
            rows.sort(key=lambda row: _sort_key(row, key), reverse=descending)
        meta: dict[str, Any] = {"query": query} if query else {}
        meta.update({"page": page, "perPage": per_page, "count": len(rows), "sort": sort})
        chunk = rows[page * per_page: (page + 1) * per_page]
        return {"meta": meta, "contents": [record_json(state, row) for row in chunk]}


class _FormText(str):
    """`fields` as a form gave it: JSON text, read when the record is written."""


_MISSING = object()


def _columns(raw: Any, prefix: str) -> list[dict]:
    """The `fields` JSON of a record write read as the server reads it ([]ContentColumn), or its error."""
    try:
        if raw is _MISSING:
            raise GoJsonError("unexpected end of JSON input")
        if isinstance(raw, _FormText):
            raw = unmarshal(str(raw))
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise GoJsonError(f"json: cannot unmarshal {go_kind(raw)} into Go value of type []types.ContentColumn")
        out = []
        for element in raw:
            if element is not None and not isinstance(element, dict):
                raise GoJsonError(f"json: cannot unmarshal {go_kind(element)} into Go value of type types.ContentColumn")
            column = decode_struct(element, "types.ContentColumn", CONTENT_COLUMN, tagged=True)
            out.append({"name": column.get("name", ""), "value": column.get("value", ""), "related": column.get("related")})
        return out
    except GoJsonError as exc:
        raise CrustError(f"{prefix}: {exc}") from None


def _content_fields(req: Request, struct: str) -> Any:
    """The `fields` a record write carries: the JSON body's (any JSON value), overridden by the form's text."""
    try:
        decoded = decode_struct(req.body.json, f"request.{struct}", CONTENT_BODY[struct])
    except GoJsonError as exc:
        raise CrustError(f"error parsing http request body: {exc}") from None
    if "fields" in req.body.form:
        return _FormText(req.body.form["fields"])
    return decoded.get("fields", _MISSING)


def _write_columns(row: dict, columns: list[dict]) -> None:
    """REPLACE each sent column; the record's links become those of the sent columns only."""
    row["links"] = {}
    for column in columns:
        row["columns"][column["name"]] = column["value"]
        if column["related"]:
            row["links"].setdefault(column["name"], [])
            for related in column["related"]:
                if related not in row["links"][column["name"]]:
                    row["links"][column["name"]].append(related)


def _stored_json(raw: Any) -> Any:
    """The `json` copy the row keeps: the fields exactly as sent (text from a form, parsed)."""
    return unmarshal(str(raw)) if isinstance(raw, _FormText) else raw


@route("POST", "/module/{moduleID}/content")
def content_create(req: Request) -> Any:
    raw = _content_fields(req, "ModuleContentCreate")
    columns = _columns(raw, "No content")
    with req.state.write() as state:
        now = state.now()
        row: dict[str, Any] = {
            "id": state.ids.next(), "moduleID": str(req.path_id("moduleID")), "userID": str(req.user_id),
            "columns": {}, "json": _stored_json(raw), "links": {}, "createdAt": now.isoformat(),
        }
        _write_columns(row, columns)
        state.save("contents", row)  # saved before the preloads, which may still fail (no such module or user)
        return record_json(state, row, created_now=True)


@route("GET", "/module/{moduleID}/content/{contentID}")
def content_read(req: Request) -> Any:
    with req.state.lock:  # by id alone, whatever module the path names
        row = req.state.content(req.path_id("contentID"))
        return record_json(req.state, row, preload=("page", "user", "fields"))


@route("POST", "/module/{moduleID}/content/{contentID}")
def content_edit(req: Request) -> Any:
    """The whole row is REPLACEd from what was sent: `userID` 0, `createdAt` the zero time, `deletedAt`
    cleared, `updatedAt` now, the json copy the sent fields only, the links of unsent fields dropped;
    columns of unsent fields stay (reads still show them). No check that the record exists: an edit of
    an unknown id makes one. The answer is the row as built, fields as sent, nothing preloaded."""
    raw = _content_fields(req, "ModuleContentEdit")
    content_id = req.path_id("contentID")
    if content_id == 0:
        raise CrustError("Error when saving content, invalid ID")
    columns = _columns(raw, "Error when saving content, no content")
    with req.state.write() as state:
        now = state.now()
        old = state.tables["contents"].get(str(content_id))
        row: dict[str, Any] = {
            "id": str(content_id), "moduleID": str(req.path_id("moduleID")), "userID": "0",
            "columns": dict(old["columns"]) if old else {}, "json": _stored_json(raw), "links": {},
            "createdAt": ZERO_TIME, "updatedAt": now.isoformat(),
        }
        _write_columns(row, columns)
        state.save("contents", row)
        return {"contentID": row["id"], "moduleID": row["moduleID"], "userID": "0", "fields": row["json"],
                "createdAt": ZERO_TIME, "updatedAt": go_time(now)}


@route("DELETE", "/module/{moduleID}/content/{contentID}")
def content_delete(req: Request) -> Any:
    with req.state.write() as state:  # soft: deleted_at set on whatever row has the id, answered OK either way
        row = state.tables["contents"].get(str(req.path_id("contentID")))
        if row is not None:
            state.save("contents", {**row, "deletedAt": state.now().isoformat()})
    return OK

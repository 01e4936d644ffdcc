"""Pages (spec/page.json) as the real server at the spec's commit serves them (crm/rest/page.go,
crm/service/page.go, crm/repository/page.go):

- `GET /page/?selfID=` the pages under a parent (0: the top), by weight, each with its module when it
  has one; `GET /page/tree` the non-record pages (moduleID 0) nested through `children`, a page
  whose parent is not among them (deleted, or a record page) left out;
- `GET /page/{pageID}` one page with its module ("sql: no rows in result set" when either is missing);
- `POST /page/` creates (weight 0); with a moduleID it first looks for that module's record page: none
  is the database's "sql: no rows in result set" (so a module's first record page cannot be made
  through the API), one is "Page for module already exists";
- `POST /page/{pageID}` REPLACEs the row from what was sent (its weight back to 0, so it moves; an
  unknown id makes a page), after the same module check unless the page is that module's own;
- `POST /page/{selfID}/reorder` weighs the listed children first, in the order given (ids that are not
  children of selfID ignored), then the others (in their old order: the real server takes them in Go's
  map order, which is random); `DELETE /page/{pageID}` a hard delete, children left orphaned.

Blocks are stored and answered as sent (`types.JSONText`; none sent is `{}`). The seed's pages carry
blocks of the kinds later Corteza names: RecordList (options moduleID, fields, presort, prefilter,
perPage), Chart (options: the chart's definition, the parameters of `GET /module/{moduleID}/chart`),
Content (options body), Record (on record pages) and Calendar.
"""

from __future__ import annotations

from typing import Any

from crmtui.sandbox.crust.godecode import GoField, GoJsonError, decode_struct, unmarshal
from crmtui.sandbox.crust.routes import OK, Request, module_json, route
from crmtui.sandbox.crust.state import CrustError, CrustState, no_rows

PAGE_BODY = [
    GoField("SelfID", "SelfID", "uint64string"), GoField("ModuleID", "ModuleID", "uint64string"), GoField("Title", "Title", "string"),
    GoField("Description", "Description", "string"), GoField("Visible", "Visible", "bool"), GoField("Blocks", "Blocks", "raw"),
]
REORDER_BODY = [GoField("PageIDs", "PageIDs", "strings")]
TRUTHY = ("t", "true", "y", "yes", "1")
EMPTY_BLOCKS: dict = {}
"""What an unset `types.JSONText` answers and stores: `{}`."""


def page_json(state: CrustState, page: dict, *, module: str = "none", children: list[dict] | None = None) -> dict:
    """A page as Go writes types.Page: the module preloaded (`module="preload"`: from the module list, a
    missing one left out; "read": it must exist), children when it has some."""
    out: dict[str, Any] = {"pageID": page["id"], "selfID": page["selfID"], "moduleID": page["moduleID"]}
    if module != "none" and int(page["moduleID"]) > 0:
        if module == "read":
            out["module"] = module_json(state.module(int(page["moduleID"])))
        elif (found := state.tables["modules"].get(page["moduleID"])) is not None:
            out["module"] = module_json(found)
    out.update({"title": page["title"], "description": page["description"], "blocks": page["blocks"]})
    if children:
        out["children"] = children
    out["visible"] = page["visible"]
    return out


def _uint(text: str) -> str:
    """parseUInt64 of a form value: a bad number is 0."""
    text = text.strip()
    return str(int(text)) if text.isascii() and text.isdigit() and int(text) < 2**64 else "0"


def _body(req: Request, struct: str) -> dict[str, Any]:
    """A page create or edit: the JSON body (Go's decoding), then the form's values over it."""
    try:
        decoded = decode_struct(req.body.json, f"request.{struct}", PAGE_BODY)
    except GoJsonError as exc:
        raise CrustError(f"error parsing http request body: {exc}") from None
    form = req.body.form
    blocks: Any = decoded["Blocks"] if "Blocks" in decoded else EMPTY_BLOCKS
    if "blocks" in form:
        try:
            blocks = unmarshal(form["blocks"]) if form["blocks"] else EMPTY_BLOCKS
        except GoJsonError as exc:  # stored only once valid (JSONText.Value): the insert fails
            raise CrustError(f"sql: converting argument $7 type: {exc}") from None
    return {
        "selfID": _uint(form["selfID"]) if "selfID" in form else decoded.get("SelfID", "0"),
        "moduleID": _uint(form["moduleID"]) if "moduleID" in form else decoded.get("ModuleID", "0"),
        "title": form.get("title", decoded.get("Title", "")),
        "description": form.get("description", decoded.get("Description", "")),
        "visible": form["visible"].strip().lower() in TRUTHY if "visible" in form else decoded.get("Visible", False),
        "blocks": blocks,
    }


def _ordered(pages: list[dict]) -> list[dict]:
    return sorted(pages, key=lambda p: (p.get("weight", 0), int(p["id"])))


def _check_module_page(state: CrustState, module_id: str, page_id: str | None) -> None:
    """The services' validate(): a module's record page is looked up first (none: the lookup's error)."""
    if int(module_id) > 0:
        found = state.record_page(int(module_id))  # no rows: "sql: no rows in result set"
        if page_id is None or found["id"] != page_id:
            raise CrustError("Page for module already exists")


@route("GET", "/page/")
def page_list(req: Request) -> Any:
    self_id = _uint(req.query.get("selfID", ""))
    with req.state.lock:
        pages = [p for p in req.state.tables["pages"].values() if p["selfID"] == self_id]
        return [page_json(req.state, p, module="preload") for p in _ordered(pages)]


@route("POST", "/page/")
def page_create(req: Request) -> Any:
    body = _body(req, "PageCreate")
    with req.state.write() as state:
        _check_module_page(state, body["moduleID"], None)
        page = state.save("pages", {"id": state.ids.next(), **body, "weight": 0})
        return page_json(state, page)


@route("GET", "/page/tree")
def page_tree(req: Request) -> Any:
    """(Registered before `/page/{pageID}`: chi tries a static segment first.)"""
    with req.state.lock:
        pages = [p for p in req.state.tables["pages"].values() if p["moduleID"] == "0"]
        by_id = {p["id"]: p for p in pages}
        children: dict[str, list[dict]] = {}
        for page in sorted(pages, key=lambda p: (int(p["selfID"]), p.get("weight", 0), int(p["id"]))):
            if page["selfID"] == "0" or page["selfID"] in by_id:
                children.setdefault(page["selfID"], []).append(page)

        def render(page: dict) -> dict:
            return page_json(req.state, page, children=[render(c) for c in children.get(page["id"], [])])

        return [render(p) for p in children.get("0", [])]


@route("GET", "/page/{pageID}")
def page_read(req: Request) -> Any:
    with req.state.lock:
        page = req.state.tables["pages"].get(str(req.path_id("pageID")))
        if page is None:
            raise no_rows()
        return page_json(req.state, page, module="read")


@route("POST", "/page/{pageID}")
def page_edit(req: Request) -> Any:
    body = _body(req, "PageEdit")
    page_id = str(req.path_id("pageID"))
    if page_id == "0":
        raise CrustError("Error when savig page, invalid ID")
    with req.state.write() as state:
        _check_module_page(state, body["moduleID"], page_id)
        page = state.save("pages", {"id": page_id, **body, "weight": 0})  # REPLACE: the weight is reset
        return page_json(state, page)


@route("POST", "/page/{selfID}/reorder")
def page_reorder(req: Request) -> Any:
    try:
        decoded = decode_struct(req.body.json, "request.PageReorder", REORDER_BODY)
    except GoJsonError as exc:
        raise CrustError(f"error parsing http request body: {exc}") from None
    self_id = str(req.path_id("selfID"))
    wanted = [_uint(i) for i in decoded.get("PageIDs") or []]
    with req.state.write() as state:
        siblings = _ordered([p for p in state.tables["pages"].values() if p["selfID"] == self_id])
        ids = [p["id"] for p in siblings]
        order = [i for n, i in enumerate(wanted) if i in ids and i not in wanted[:n]]
        order += [i for i in ids if i not in order]
        for weight, page_id in enumerate(order, start=1):
            state.save("pages", {**state.tables["pages"][page_id], "weight": weight})
    return OK


@route("DELETE", "/page/{pageID}")
def page_delete(req: Request) -> Any:
    with req.state.write() as state:
        state.remove("pages", str(req.path_id("pageID")))
    return OK

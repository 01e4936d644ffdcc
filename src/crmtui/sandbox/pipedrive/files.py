"""Files: GET /files (paged, sorted), GET/PUT/DELETE /files/{id}, POST /files (multipart upload),
GET /files/{id}/download, POST /files/remote and /files/remoteLink.

Uploaded bytes are kept in the file's document (base64, never answered). Deleting is soft, as the
real API's "marks as deleted": the file leaves the list and cannot be downloaded or changed, and
its own read shows `active_flag: false`. With --redirect-downloads the download answers 302 to a
ticket on a second loopback host (server.py's file host), which serves the bytes to a request
without credentials and answers 401 to one that carries `x-api-token` or `Authorization`.
Links the sandbox does not hold (deals, products, activities) are refused, and so is a lead as the
item of a remote file, as the spec's enum says. Unset links answer null (the real API's shape; the
spec types them as non-nullable integers).
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

from crmtui.sandbox.pipedrive.routes import Binary, Request, ok, pagination, route
from crmtui.sandbox.pipedrive.state import ApiError, PipedriveState, invalid, plain, public

MAX_FILES_LIMIT = 100
FILE_SORT = ("id", "update_time")
LINKS = ("deal_id", "person_id", "org_id", "product_id", "activity_id", "lead_id")
HELD = {"person_id": "persons", "org_id": "organizations", "lead_id": "leads"}
REMOTE_TYPES = ("gdoc", "gslides", "gsheet", "gform", "gdraw")
ITEM_TYPES = {"deal": "deal_id", "organization": "org_id", "person": "person_id"}
TICKET_SECONDS = 60.0
_KINDS = {"jpg": "img", "jpeg": "img", "png": "img", "gif": "img", "pdf": "pdf", "txt": "text", "csv": "text", "doc": "doc", "docx": "doc"}


def file_type(name: str) -> str:
    return _KINDS.get(name.rsplit(".", 1)[-1].lower(), "other") if "." in name else "other"


def render_file(state: PipedriveState, doc: dict) -> dict:
    """A file as the API answers it: links with the linked records' names, its download url."""
    def name(table: str, ref: object, key: str = "name") -> str:
        found = state.tables[table].get(str(ref)) if ref else None
        return str(found[key]) if found else ""

    return {
        **public(doc),
        "person_name": name("persons", doc["person_id"]), "org_name": name("organizations", doc["org_id"]),
        "lead_name": name("leads", doc["lead_id"], "title"), "deal_name": "", "product_name": "",
        "url": f"{state.base_url}/files/{doc['id']}/download",
    }


def new_file(state: PipedriveState, user: dict, links: dict[str, Any], **fields: Any) -> dict:
    now = plain(state.clock.now())
    doc = {
        "id": int(state.next_int_id("files")), "user_id": user["id"], **{link: links.get(link) for link in LINKS},
        "log_id": None, "add_time": now, "update_time": now, "file_name": "", "file_type": "other", "file_size": 0,
        "active_flag": True, "inline_flag": False, "remote_location": "s3", "remote_id": "", "cid": "", "s3_bucket": "",
        "mail_message_id": "", "mail_template_id": "", "name": "", "description": None,
    }
    doc.update(fields)
    return doc


def _file(req: Request, *, active: bool = True) -> dict:
    raw = req.params["id"]
    doc = req.state.tables["files"].get(raw) if raw.isdigit() else None
    if doc is None or (active and not doc["active_flag"]):
        raise ApiError(404, "File not found", "Please check developers.pipedrive.com")
    return doc


def _sorted(files: list[dict], raw: str | None) -> list[dict]:
    out = sorted(files, key=lambda f: f["id"])
    if not raw:
        return out
    keys: list[tuple[str, bool]] = []
    for part in raw.split(","):
        words = part.split()
        if not words or len(words) > 2 or words[0] not in FILE_SORT or (len(words) == 2 and words[1].upper() not in ("ASC", "DESC")):
            raise invalid(f'"sort" must be a comma list of {", ".join(FILE_SORT)} with ASC or DESC')
        keys.append((words[0], len(words) == 2 and words[1].upper() == "DESC"))
    for name, desc in reversed(keys):
        out.sort(key=lambda f: f[name], reverse=desc)
    return out


@route("GET", "/files")
def files_list(req: Request) -> tuple[int, dict]:
    start = req.int_param("start", 0) or 0
    limit = req.int_param("limit", MAX_FILES_LIMIT) or MAX_FILES_LIMIT
    if start < 0 or limit < 1:
        raise invalid('"start" must be >= 0 and "limit" >= 1')
    limit = min(limit, MAX_FILES_LIMIT)
    files = _sorted([f for f in req.state.tables["files"].values() if f["active_flag"]], req.query.get("sort"))
    page = [render_file(req.state, f) for f in files[start : start + limit]]
    return ok(page, additional_data={"pagination": pagination(start, limit, len(files))})


def _links(state: PipedriveState, fields: dict[str, Any]) -> dict[str, Any]:
    """The item links of an upload: at least one, each to a record the sandbox holds."""
    out: dict[str, Any] = {}
    for link in LINKS:
        raw = fields.get(link)
        if raw in (None, ""):
            continue
        if link not in HELD:
            raise invalid(f'"{link}" {raw} does not exist')
        if link == "lead_id":
            value: Any = str(raw)
        else:
            try:
                value = int(raw)
            except (TypeError, ValueError):
                raise invalid(f'"{link}" must be a number') from None
        if str(value) not in state.tables[HELD[link]]:
            raise invalid(f'"{link}" {value} does not exist')
        out[link] = value
    if not out:
        raise invalid('one of "deal_id", "person_id", "org_id", "product_id", "activity_id" or "lead_id" is required')
    return out


@route("POST", "/files")
def files_upload(req: Request) -> tuple[int, dict]:
    upload = req.uploads.get("file")
    if upload is None:
        raise invalid('"file" is required (a multipart/form-data upload)')
    file_name, content = upload
    state = req.state
    if len(content) > state.max_file_bytes:
        raise ApiError(413, "File too large", f"The file is over {state.max_file_bytes} bytes")
    links = _links(state, req.body)
    file_name = file_name or "upload"
    with state.write():
        doc = new_file(
            state, req.user, links, file_name=file_name, name=file_name, file_type=file_type(file_name), file_size=len(content),
            remote_id=f"{secrets.token_hex(8)}_{file_name}", _content=base64.b64encode(content).decode(),
        )
        state.save("files", doc)
    return ok(render_file(state, doc))


@route("POST", "/files/remote")
def files_remote(req: Request) -> tuple[int, dict]:
    body = req.body
    for name in ("file_type", "title", "item_type", "item_id", "remote_location"):
        if not body.get(name):
            raise invalid(f'"{name}" is required')
    if body["file_type"] not in REMOTE_TYPES:
        raise invalid(f'"file_type" must be one of [{", ".join(REMOTE_TYPES)}]')
    link = _remote_link(req)
    title = str(body["title"])
    with req.state.write():
        doc = new_file(
            req.state, req.user, link, file_name=title, name=title, file_type=str(body["file_type"]),
            remote_location="googledrive", remote_id=secrets.token_urlsafe(24),
        )
        req.state.save("files", doc)
    return ok(render_file(req.state, doc))


@route("POST", "/files/remoteLink")
def files_remote_link(req: Request) -> tuple[int, dict]:
    for name in ("item_type", "item_id", "remote_id", "remote_location"):
        if not req.body.get(name):
            raise invalid(f'"{name}" is required')
    link = _remote_link(req)
    remote_id = str(req.body["remote_id"])
    with req.state.write():
        doc = new_file(req.state, req.user, link, file_name=remote_id, name=remote_id, remote_location="googledrive", remote_id=remote_id)
        req.state.save("files", doc)
    return ok(render_file(req.state, doc))


def _remote_link(req: Request) -> dict[str, Any]:
    """The item of a remote file: a deal, organization or person (not a lead, as the spec says)."""
    if req.body.get("item_type") not in ITEM_TYPES:
        raise invalid(f'"item_type" must be one of [{", ".join(ITEM_TYPES)}]')
    if req.body.get("remote_location") != "googledrive":
        raise invalid('"remote_location" must be one of [googledrive]')
    return _links(req.state, {ITEM_TYPES[req.body["item_type"]]: req.body.get("item_id")})


@route("GET", "/files/{id}")
def files_get(req: Request) -> tuple[int, dict]:
    return ok(render_file(req.state, _file(req, active=False)))


@route("PUT", "/files/{id}")
def files_update(req: Request) -> tuple[int, dict]:
    doc = _file(req)
    fields: dict[str, Any] = {}
    for name, value in req.body.items():
        if name not in ("name", "description"):
            raise invalid(f'"{name}" is not allowed')
        if not isinstance(value, str):
            raise invalid(f'"{name}" must be a string')
        fields[name] = value
    with req.state.write():
        changed = {**doc, **fields}
        if changed != doc:
            changed["update_time"] = plain(req.state.clock.now())
        req.state.save("files", changed)
    return ok(render_file(req.state, changed))


@route("DELETE", "/files/{id}")
def files_delete(req: Request) -> tuple[int, dict]:
    doc = _file(req)
    with req.state.write():
        req.state.save("files", {**doc, "active_flag": False, "update_time": plain(req.state.clock.now())})
    return ok({"id": doc["id"]})


def file_bytes(doc: dict) -> bytes | None:
    raw = doc.get("_content")
    return base64.b64decode(raw) if isinstance(raw, str) else None


def disposition(doc: dict) -> dict[str, str]:
    name = doc["file_name"].replace('"', "")
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@route("GET", "/files/{id}/download")
def files_download(req: Request) -> tuple[int, Binary]:
    doc = _file(req)
    content = file_bytes(doc)
    if content is None:
        raise ApiError(404, "File not found", "The file is kept in Google Drive; open its remote link")
    state = req.state
    if state.download_host:
        key = secrets.token_urlsafe(24)
        with state.lock:
            now = state.clock.seconds()
            state.tickets = {k: v for k, v in state.tickets.items() if v[1] > now}
            state.tickets[key] = (str(doc["id"]), now + TICKET_SECONDS)
        return 302, Binary(b"", "text/plain; charset=utf-8", {"Location": f"{state.download_host}/{key}"})
    return 200, Binary(content, "application/octet-stream", disposition(doc))

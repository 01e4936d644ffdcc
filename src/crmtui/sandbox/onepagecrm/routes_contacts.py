"""Contacts, the action stream and the team stream."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from crmtui.sandbox.onepagecrm import rules
from crmtui.sandbox.onepagecrm.api import Reply, Request, Router, field_values, listing, parse_since, require, sort_docs
from crmtui.sandbox.onepagecrm.state import SandboxState, invalid, precondition

router = Router()
CONTACT_SORTS = ("created_at", "modified_at", "first_name", "last_name", "company_name", "name")
PLAIN_FIELDS = ("title", "first_name", "last_name", "job_title", "background")  # company_size is read-only
LIST_FIELDS = ("phones", "emails", "address_list", "tags")
TITLES = ("Mr", "Mrs", "Ms")


# -- filtering shared by /contacts, /action_stream and /team_stream ----------------------------------


def _digits(text: object) -> str:
    return "".join(ch for ch in str(text or "") if ch.isascii() and ch.isdigit())


def _phone_query(text: str) -> str | None:
    """The digits of a query written as a phone number ("+353 (1) 555-0101"), None when it is not one."""
    bare = re.sub(r"[\s+().\-/]", "", text)
    return bare if bare.isascii() and bare.isdigit() else None


def _matches_phone(contact: dict, query: str) -> bool:
    """A phone number contains the query, written with or without spaces, dashes, brackets or a +."""
    digits = _phone_query(query)
    if digits is not None:
        return any(digits in _digits(p.get("value")) for p in contact.get("phones") or [])
    bare = query.replace(" ", "").casefold()
    return any(bare in str(p.get("value") or "").replace(" ", "").casefold() for p in contact.get("phones") or [])


def _matches_search(contact: dict, needle: str) -> bool:
    """The spec's search: the contact's name, its company's name or a phone number (written with
    or without spaces, dashes, brackets); beyond the spec's words, an email address too."""
    hay = [contact.get("first_name"), contact.get("last_name"), contact.get("company_name")]
    hay.append(f"{contact.get('first_name', '')} {contact.get('last_name', '')}")
    hay += [p.get("value") for p in contact.get("phones") or []]
    hay += [e.get("value") for e in contact.get("emails") or []]
    return any(needle in str(h or "").casefold() for h in hay) or (
        _phone_query(needle) is not None and _matches_phone(contact, needle)
    )


EXACT_FIELDS = ("status_id", "lead_source_id", "owner_id", "company_id")
FLAG_FIELDS = ("starred", "pending_deal")


def _filter_conditions(state: SandboxState, filter_id: str) -> list[tuple[str, str]]:
    """A saved filter's conditions, `field:value` each (tag, one of EXACT_FIELDS or FLAG_FIELDS); all must hold."""
    conditions = state.get("filters", filter_id, "Filter").get("conditions") or []
    return [tuple(str(c).split(":", 1)) for c in conditions if ":" in str(c)]  # type: ignore[misc]


def contact_filter(req: Request) -> Callable[[dict], bool] | None:
    """A predicate built from the query's filters (unknown filters are ignored, as the API does)."""
    state, q = req.state, req.query
    search = (q.get("search") or "").strip().casefold()
    phone = (q.get("phone") or "").strip()
    email = (q.get("email") or "").strip().casefold()
    tags = [q["tag"]] if q.get("tag") else []
    starred = req.flag("starred")
    pending = req.flag("pending_deal")
    waiting = req.flag("waiting")
    since = parse_since(q["modified_since"]) if q.get("modified_since") else None
    letter = (q.get("letter") or "").upper()
    exact = {k: q[k] for k in EXACT_FIELDS if q.get(k)}
    if q.get("lead_source"):  # by its text; the spec's other way to say lead_source_id
        source = next((s for s in state.tables["lead_sources"].values() if s.get("text") == q["lead_source"]), None)
        exact["lead_source_id"] = source["id"] if source else "\0none"
    if q.get("filter_id"):
        for name, value in _filter_conditions(state, q["filter_id"]):
            if name == "tag":
                tags.append(value)
            elif name in EXACT_FIELDS:
                exact[name] = value
            elif name == "starred":
                starred = value == "true"
            elif name == "pending_deal":
                pending = value == "true"

    def modified_since(contact: dict, since: str) -> bool:
        if (contact.get("modified_at") or "") >= since:
            return True
        actions = state.tables["actions"]
        return any((actions[a].get("modified_at") or "") >= since for a in state.actions_by_contact.get(contact["id"], ()))

    if not (search or phone or email or tags or exact or letter or waiting) and starred is None and pending is None and since is None:
        return None  # nothing to filter: callers skip the per-contact test

    def waits(contact: dict) -> bool:
        """The viewer has a next action on the contact, of status waiting (the spec's `waiting`)."""
        actions = state.tables["actions"]
        mine = [actions[a] for a in state.actions_by_contact.get(contact["id"], ())]
        return any(a.get("assignee_id") == req.user_id and not a.get("done") and a.get("status") == "waiting" for a in mine)

    def keep(contact: dict) -> bool:
        if any(contact.get(k) != v for k, v in exact.items()):
            return False
        if search and not _matches_search(contact, search):
            return False
        if phone and not _matches_phone(contact, phone):
            return False
        if email and not any(email == (e.get("value") or "").casefold() for e in contact.get("emails") or []):
            return False
        if tags and not all(t in (contact.get("tags") or []) for t in tags):
            return False
        if starred is not None and bool(contact.get("starred")) != starred:
            return False
        if waiting and not waits(contact):
            return False
        if pending is not None and any(d.get("status") == "pending" for d in state.contact_deals(contact["id"])) != pending:
            return False
        if letter and rules.render_contact(state, contact)["letter"] != letter:
            return False
        return since is None or modified_since(contact, since)

    return keep


def _entries(req: Request, contact_ids: list[str], viewer: str | None) -> dict:
    state = req.state
    contacts = [state.tables["contacts"][cid] for cid in contact_ids]
    keep = contact_filter(req)
    if keep is not None:
        contacts = [c for c in contacts if keep(c)]
    contacts = sort_docs(contacts, req, CONTACT_SORTS)
    return listing("contacts", contacts, req, lambda c: rules.render_entry(state, c, viewer))


def _stream(req: Request, viewer: str | None, *, counts_in_data: bool = False) -> Reply:
    with req.state.lock:
        order = rules.stream_order(req.state, viewer)
        data = _entries(req, [cid for _key, cid in order], viewer)
        counts = rules.team_counts(req.state)
    if counts_in_data:
        data["team_stream"] = counts
    return Reply(data, extra={"team_stream": counts})


@router.route("GET", "/action_stream")
def action_stream(req: Request) -> Reply:
    return _stream(req, None if req.flag("team") else req.user_id)


@router.route("GET", "/team_stream")
def team_stream(req: Request) -> Reply:
    viewer = req.query.get("user_id") or None
    if viewer is not None:
        req.state.get("users", viewer, "User")
    return _stream(req, viewer, counts_in_data=True)


def _by_name(state: SandboxState, owner: str | None) -> list[str]:
    """Ids of the owner's contacts (all when None) by last then first name; cached until the next write."""
    cache_key = ("contacts_by_name", owner, state.version)
    cached = state.cache.get(cache_key)
    if cached is None:
        contacts = state.tables["contacts"]
        ids = contacts if owner is None else state.contacts_by_owner.get(owner, ())
        cached = sorted(ids, key=lambda cid: ((contacts[cid].get("last_name") or "").casefold(), (contacts[cid].get("first_name") or "").casefold(), cid))
        state.cache[cache_key] = cached
    return cached


@router.route("GET", "/contacts")
def list_contacts(req: Request) -> Reply:
    state = req.state
    with state.lock:
        everyone = req.flag("team") or req.query.get("owner_id")
        data = _entries(req, _by_name(state, None if everyone else req.user_id), req.user_id)
    return Reply(data)


# -- single contacts ---------------------------------------------------------------------------------


def entry(req: Request, contact: dict, status: int = 200) -> Reply:
    return Reply(rules.render_entry(req.state, contact, req.user_id), status)


TEXT_LIMITS = {"first_name": 25, "last_name": 25, "job_title": 1000, "company_name": 55, "background": 10240}
"""The spec's maxLength of a contact's text fields."""
TYPED_LISTS = {
    "phones": ("work", "mobile", "home", "direct", "fax", "skype", "company", "other"),
    "emails": ("work", "home", "other"),
    "urls": ("website", "blog", "twitter", "linkedin", "xing", "facebook", "google_plus", "other"),
    "address_list": ("work", "home", "billing", "delivery", "other"),
}
"""The spec's enum of each typed list's `type`."""
MAX_ADDRESSES = 2
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
ADDRESS_PARTS = ("address", "city", "state", "zip_code", "country_code")


def _contact_errors(body: dict, *, lengths: bool) -> dict[str, str]:
    """What the API refuses in a contact's fields, by field: texts not text (or, with `lengths`,
    too long), typed lists with a type outside the spec's enum or a value that is not text, an
    email address that is not one, more than two addresses, tags that are not text.

    Lengths are checked on a new contact only: PUT keeps the sandbox's older leniency, which tests
    lean on to give a contact a long hostile name (escape sequences, markup) the UI must survive.
    """
    errors: dict[str, str] = {}
    for name in (*PLAIN_FIELDS, "company_name"):
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            errors[name] = f"{name} must be text"
        elif lengths and name in TEXT_LIMITS and len(value or "") > TEXT_LIMITS[name]:
            errors[name] = f"{name} must be at most {TEXT_LIMITS[name]} characters"
    for name, kinds in TYPED_LISTS.items():
        items = body.get(name)
        if not isinstance(items, list):
            continue  # missing, or refused as not a list by the caller
        for item in items:
            problem = _typed_item_error(name, item, kinds)
            if problem:
                errors[name] = problem
                break
    if isinstance(body.get("address_list"), list) and len(body["address_list"]) > MAX_ADDRESSES:
        errors["address_list"] = f"address_list must have at most {MAX_ADDRESSES} addresses"
    tags = body.get("tags")
    if isinstance(tags, list) and not all(isinstance(t, str) and t.strip() for t in tags):
        errors["tags"] = "tags must be non-empty texts"
    return errors


def _typed_item_error(name: str, item: object, kinds: tuple[str, ...]) -> str:
    if not isinstance(item, dict):
        return f"each of {name} must be an object"
    if item.get("type") not in (None, *kinds):
        return f"{name} type must be one of {', '.join(kinds)}"
    if name == "address_list":
        if any(item.get(part) is not None and not isinstance(item.get(part), str) for part in ADDRESS_PARTS):
            return "address parts must be text"
        return ""
    value = item.get("value")
    if not isinstance(value, str) or not value.strip():
        return f"each of {name} needs a value"
    if name == "emails" and not EMAIL.fullmatch(value.strip()):
        return f"{value.strip()} is not a valid email address"
    return ""


def apply_contact_fields(state: SandboxState, contact: dict, body: dict, *, new: bool = False) -> None:
    """Copy the writable fields from a request body; those it leaves out are cleared (`new`: the
    body makes the contact, see `_contact_errors`)."""
    errors = _contact_errors(body, lengths=new)
    if "status_id" in body and body["status_id"] not in state.tables["statuses"]:
        errors["status_id"] = "status_id is invalid"
    if body.get("lead_source_id") and body["lead_source_id"] not in state.tables["lead_sources"]:
        errors["lead_source_id"] = "lead_source_id is invalid"
    if body.get("owner_id") and body["owner_id"] not in state.tables["users"]:
        errors["owner_id"] = "owner_id is invalid"
    if body.get("company_id") and body["company_id"] not in state.tables["companies"]:
        errors["company_id"] = "company_id is invalid"
    if body.get("title") not in (None, "", *TITLES):
        errors["title"] = f"title must be one of {', '.join(TITLES)}"
    for name in (*LIST_FIELDS, "urls", "custom_fields"):
        if name in body and not isinstance(body[name], list):
            errors[name] = f"{name} must be a list"
    if not (_text(body.get("last_name")) or _text(body.get("company_name")) or body.get("company_id")):
        errors.setdefault("last_name", "last_name or company_name is required")
    if errors:
        raise invalid(errors)
    for name in PLAIN_FIELDS:
        contact[name] = body.get(name) if body.get(name) is not None else ""
    if contact.get("title") not in TITLES:
        contact["title"] = None  # no title: the spec's enum has no empty value, so leave it out
    for name in LIST_FIELDS:
        contact[name] = list(body.get(name) or [])
    contact["url"] = list(body.get("urls") or body.get("url") or [])
    contact["starred"] = bool(body.get("starred"))
    if "status_id" in body:
        contact["status_id"] = body["status_id"]
        contact["status"] = state.tables["statuses"][body["status_id"]]["text"]
    source = state.tables["lead_sources"].get(body.get("lead_source_id") or "")
    contact["lead_source_id"] = source["id"] if source else None
    contact["lead_source"] = source["text"] if source else None
    if body.get("owner_id"):
        contact["owner_id"] = body["owner_id"]
    contact["custom_fields"] = field_values(state, "custom_fields", "custom_field", body.get("custom_fields") or [])
    _link_company(state, contact, body.get("company_id"), body.get("company_name"))


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _link_company(state: SandboxState, contact: dict, company_id: str | None, company_name: str | None) -> None:
    company: dict | None
    if company_id:
        company = state.tables["companies"][company_id]
    elif company_name and company_name.strip():
        company_name = company_name.strip()
        wanted = company_name.casefold()  # "acme ltd" is the company Acme Ltd, not a second one
        company = next((c for c in state.tables["companies"].values() if (c.get("name") or "").casefold() == wanted), None)
        if company is None:
            now = state.now_iso()
            company = state.save("companies", {"id": state.new_id(), "name": company_name, "created_at": now, "modified_at": now})
    else:
        contact["company_id"], contact["company_name"] = None, ""
        return
    contact["company_id"], contact["company_name"] = company["id"], company["name"]


@router.route("POST", "/contacts")
def create_contact(req: Request) -> Reply:
    state = req.state
    with state.write():
        now = state.now_iso()
        first_status = next(iter(state.tables["statuses"]))
        contact: dict[str, Any] = {"id": state.new_id(), "owner_id": req.user_id, "status_id": first_status, "closed_sales": [], "created_at": now}
        body = dict(req.body)
        body.setdefault("status_id", first_status)
        apply_contact_fields(state, contact, body, new=True)
        state.save("contacts", contact)
        if contact["owner_id"] != req.user_id:
            state.notify(contact["owner_id"], req.user_id, "contact_assigned", contact["id"], "Contact assigned", f"{contact.get('first_name', '')} {contact.get('last_name', '')}".strip())
        return entry(req, contact, 201)


@router.route("GET", "/contacts/{contact_id}")
def get_contact(req: Request) -> Reply:
    with req.state.lock:
        return entry(req, req.state.get("contacts", req.params["contact_id"], "Contact"))


@router.route("PUT", "/contacts/{contact_id}")
def put_contact(req: Request) -> Reply:
    """Replace the contact's writable fields: what the body leaves out is cleared (the spec declares
    no partial update; the client reads the contact and sends all of it back)."""
    state = req.state
    with state.write():
        contact = dict(state.get("contacts", req.params["contact_id"], "Contact"))
        apply_contact_fields(state, contact, req.body)
        state.save("contacts", contact)
        return entry(req, contact)


CONTACT_RECORDS = ("actions", "deals", "notes", "calls", "meetings")
"""What goes (and comes back) with a deleted contact."""


@router.route("DELETE", "/contacts/{contact_id}")
def delete_contact(req: Request) -> Reply:
    """Delete a contact with its actions, deals, notes, calls and meetings; `?undo=true` brings back
    the contact deleted last under that id, with all of them (as the web app's undo does)."""
    state = req.state
    contact_id = req.params["contact_id"]
    with state.write():
        if str(req.query.get("undo", "")).lower() in ("true", "1"):
            trashed = state.get("deleted_contacts", contact_id, "Deleted contact")
            for kind in CONTACT_RECORDS:
                for doc in trashed["records"].get(kind, []):
                    state.save(kind, doc, touch=False)
            state.save("contacts", trashed["contact"])
            state.remove("deleted_contacts", contact_id)
            return Reply({})
        contact = state.get("contacts", contact_id, "Contact")
        records: dict[str, list[dict]] = {}
        for kind in CONTACT_RECORDS:
            records[kind] = [d for d in state.tables[kind].values() if d.get("contact_id") == contact_id]
            for doc in records[kind]:
                state.remove(kind, doc["id"])
        state.remove("contacts", contact_id)
        state.save("deleted_contacts", {"id": contact_id, "contact": contact, "records": records})
    return Reply({})


def _change(req: Request, change: Callable[[SandboxState, dict], object]) -> Reply:
    state = req.state
    with state.write():
        contact = dict(state.get("contacts", req.params["contact_id"], "Contact"))
        change(state, contact)
        state.save("contacts", contact)
        return entry(req, contact)


def _set_star(value: bool) -> Callable[[Request], Reply]:
    return lambda req: _change(req, lambda s, c: c.__setitem__("starred", value))


router.add("PUT", "/contacts/{contact_id}/star", _set_star(True))
router.add("PUT", "/contacts/{contact_id}/unstar", _set_star(False))


@router.route("PUT", "/contacts/{contact_id}/assign_tag/{tag_name}")
def assign_tag(req: Request) -> Reply:
    tag = unquote(req.params["tag_name"]).strip()
    if not tag:
        raise invalid({"tag_name": "tag_name is invalid or missing"})
    return _change(req, lambda s, c: c.__setitem__("tags", sorted({*(c.get("tags") or []), tag})))


@router.route("PUT", "/contacts/{contact_id}/unassign_tag/{tag_name}")
def unassign_tag(req: Request) -> Reply:
    tag = unquote(req.params["tag_name"]).strip()
    return _change(req, lambda s, c: c.__setitem__("tags", [t for t in c.get("tags") or [] if t != tag]))


@router.route("PUT", "/contacts/{contact_id}/change_status/{status_id}")
def change_status(req: Request) -> Reply:
    status = req.state.get("statuses", req.params["status_id"], "Status")
    return _change(req, lambda s, c: c.update(status_id=status["id"], status=status["text"]))


@router.route("PUT", "/contacts/{contact_id}/change_owner/{owner_id}")
def change_owner(req: Request) -> Reply:
    owner = req.state.get("users", req.params["owner_id"], "User")

    def change(state: SandboxState, contact: dict) -> None:
        previous = contact.get("owner_id")
        if previous == owner["id"]:
            return
        contact["owner_id"] = owner["id"]
        name = f"{contact.get('first_name', '')} {contact.get('last_name', '')}".strip()
        state.notify(owner["id"], req.user_id, "contact_assigned", contact["id"], "Contact assigned to you", name)
        if previous:
            _move_open_actions(state, req, contact["id"], previous, owner["id"])

    return _change(req, change)


def _move_open_actions(state: SandboxState, req: Request, contact_id: str, old: str, new: str) -> None:
    """As OnePageCRM does on a change of owner, the old owner's open actions on the contact go to the
    new owner. If the new owner already has a next action there, it stays next and the moved one is
    queued (keeping its date, so a dated one before the next action shows as a conflict); queued
    actions keep their order, after the new owner's own."""
    had_next = any(a.get("status") in rules.NEXT_STATUSES for a in state.open_actions(contact_id, new))
    moving = sorted(state.open_actions(contact_id, old), key=rules.action_key)
    for current in moving:
        action = {**current, "assignee_id": new}
        if action.get("status") in rules.NEXT_STATUSES and had_next:
            rules.queue(state, action)
        elif action.get("status") in rules.QUEUED_STATUSES:
            action["position"] = rules.next_position(state, contact_id, new)
        state.save("actions", action)
        state.notify(new, req.user_id, "assigned_action", contact_id, "Action assigned to you", action.get("text", ""))
    rules.normalise(state, contact_id, new)


@router.route("PUT", "/contacts/{contact_id}/close_sales_cycle")
def close_sales_cycle(req: Request) -> Reply:
    comment = str(req.body.get("comment") or "")
    if len(comment) > 140:
        raise invalid({"comment": "comment must be at most 140 characters"})

    def change(state: SandboxState, contact: dict) -> None:
        if state.open_actions(contact["id"], req.user_id):
            raise precondition("contact_has_actions", "Cannot close the sales cycle while you have open actions on this contact")
        closed = [c for c in contact.get("closed_sales") or [] if c.get("user_id") != req.user_id]
        closed.append({"user_id": req.user_id, "closed_at": state.timestamp(), "comment": comment})
        contact["closed_sales"] = closed

    return _change(req, change)


@router.route("PUT", "/contacts/{contact_id}/force_close_sales_cycle")
def force_close_sales_cycle(req: Request) -> Reply:
    """Close the sales cycle after deleting the user's open actions on the contact (the spec's
    "first delete any actions assigned to the contact")."""
    comment = str(req.body.get("comment") or "")
    if len(comment) > 140:
        raise invalid({"comment": "comment must be at most 140 characters"})

    def change(state: SandboxState, contact: dict) -> None:
        for action in state.open_actions(contact["id"], req.user_id):
            state.remove("actions", action["id"])
        closed = [c for c in contact.get("closed_sales") or [] if c.get("user_id") != req.user_id]
        closed.append({"user_id": req.user_id, "closed_at": state.timestamp(), "comment": comment})
        contact["closed_sales"] = closed

    return _change(req, change)


@router.route("PUT", "/contacts/{contact_id}/reopen_sales_cycle")
def reopen_sales_cycle(req: Request) -> Reply:
    return _change(req, lambda s, c: c.__setitem__("closed_sales", [x for x in c.get("closed_sales") or [] if x.get("user_id") != req.user_id]))


__all__ = ["router", "require"]

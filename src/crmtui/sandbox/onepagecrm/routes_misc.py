"""Account data (bootstrap, users, statuses, ...), deals and pipelines, notes/calls/meetings, notifications."""

from __future__ import annotations

from crmtui.sandbox.onepagecrm import rules
from crmtui.sandbox.onepagecrm.api import (
    Reply,
    Request,
    Router,
    check_date,
    field_values,
    listing,
    parse_since,
    require,
    sort_docs,
)
from crmtui.sandbox.onepagecrm.state import SandboxState, invalid, public

router = Router()


def _user(doc: dict) -> dict:
    return public(doc)


@router.route("GET", "/bootstrap")
def bootstrap(req: Request) -> Reply:
    state = req.state
    with state.lock:
        acc = state.account
        pipelines = [public(p) for p in state.tables["pipelines"].values()]
        settings = {**acc.get("settings", {}), "pipelines": [{"pipeline": p} for p in pipelines]}
        default = next((p for p in pipelines if p.get("default")), pipelines[0] if pipelines else None)
        if default:
            settings["deal_stages"] = default["stages"]
        data = {
            "user_id": req.user_id,
            "auth_key": state.api_keys[req.user_id],
            "user": _user(req.user),
            "team": [_user(u) for u in state.users() if u["id"] != req.user_id],
            "account_type": acc.get("account_type", "pro"),
            "settings": settings,
            "custom_fields": [public(f) for f in state.tables["custom_fields"].values()],
            "company_fields": sorted((public(f) for f in state.tables["company_fields"].values()), key=lambda f: f.get("position") or 0),
            "deal_fields": [public(f) for f in state.tables["deal_fields"].values()],
            "filters": [public(f) for f in state.tables["filters"].values()],
            "call_results": [c["result"] for c in acc.get("call_results", [])],
            "call_results_order": [c["result"] for c in acc.get("call_results", [])],
            "next_action_dates": acc.get("next_action_dates", []),
            "predefined_actions": [public(p) for p in state.tables["predefined_actions"].values()],
            "contact_titles": acc.get("contact_titles", []),
            # In `data`, where clients read them: the spec also lists lead_sources and statuses beside
            # `data`, but as one object each (not the lists they are), so no copy is sent there.
            "lead_sources": [public(s) for s in state.tables["lead_sources"].values()],
            "statuses": [public(s) for s in state.tables["statuses"].values()],
            "team_stream": rules.team_counts(state),
        }
        tags = sorted({t for c in state.tables["contacts"].values() for t in c.get("tags") or []})
        extra = {
            "tags": {"tags": [{"name": t} for t in tags], "system_tags": []},
            "team_stream": data["team_stream"],
        }
    return Reply(data, extra=extra)


@router.route("GET", "/users")
def users(req: Request) -> Reply:
    return Reply([{"user": _user(u)} for u in req.state.users()])


@router.route("GET", "/users/{user_id}")
def user(req: Request) -> Reply:
    return Reply({"user": _user(req.state.get("users", req.params["user_id"], "User"))})


@router.route("GET", "/statuses")
def statuses(req: Request) -> Reply:
    return Reply([{"status": public(s)} for s in req.state.tables["statuses"].values()])


@router.route("GET", "/lead_sources")
def lead_sources(req: Request) -> Reply:
    return Reply([public(s) for s in req.state.tables["lead_sources"].values()])


@router.route("GET", "/predefined_actions")
def predefined_actions(req: Request) -> Reply:
    return Reply({"predefined_actions": [{"predefined_action": public(p)} for p in req.state.tables["predefined_actions"].values()]})


@router.route("GET", "/call_results")
def call_results(req: Request) -> Reply:
    state = req.state
    with state.lock:
        calls = list(state.tables["calls"].values())
        out = []
        for result in state.account.get("call_results", []):
            used = [c for c in calls if c.get("call_result") == result["result"]]
            mine = sum(1 for c in used if c.get("_user_id", "") == req.user_id)
            out.append({"call_result": {**result, "counts": mine, "total_counts": len(used), "team_counts": []}})
    return Reply(out)


@router.route("GET", "/custom_fields")
def custom_fields(req: Request) -> Reply:
    items = sorted(req.state.tables["custom_fields"].values(), key=lambda f: f.get("position") or 0)
    return Reply(listing("custom_fields", items, req, lambda f: {"custom_field": public(f)}))


@router.route("GET", "/filters")
def filters(req: Request) -> Reply:
    return Reply(listing("filters", list(req.state.tables["filters"].values()), req, lambda f: {"filter": public(f)}))


COMPANY_SORTS = ("created_at", "modified_at", "name")


@router.route("GET", "/companies")
def companies(req: Request) -> Reply:
    """The account's companies by name (the spec's default), filtered as the spec's parameters say:
    `name` (part of the name, any case), `phone` (part of the number, digits only), `letter`."""
    state, q = req.state, req.query
    needle = (q.get("name") or "").strip().casefold()
    phone = "".join(ch for ch in q.get("phone") or "" if ch.isascii() and ch.isdigit())
    letter = (q.get("letter") or "").strip().casefold()[:1]
    with state.lock:
        items = sorted(state.tables["companies"].values(), key=lambda c: ((c.get("name") or "").casefold(), c["id"]))
        if needle:
            items = [c for c in items if needle in (c.get("name") or "").casefold()]
        if phone:
            items = [c for c in items if phone in "".join(ch for ch in c.get("phone") or "" if ch.isdigit())]
        if letter:
            items = [c for c in items if (c.get("name") or "").casefold().startswith(letter)]
        items = sort_docs(items, req, COMPANY_SORTS)
        return Reply(listing("companies", items, req, lambda c: {"company": public(c)}))


@router.route("GET", "/companies/{company_id}")
def company(req: Request) -> Reply:
    return Reply({"company": public(req.state.get("companies", req.params["company_id"], "Company"))})


# -- pipelines and deals ----------------------------------------------------------------------------


@router.route("GET", "/pipelines")
def pipelines(req: Request) -> Reply:
    items = sorted(req.state.tables["pipelines"].values(), key=lambda p: (not p.get("default"), p.get("name", "")))
    return Reply(listing("pipelines", items, req, lambda p: {"pipeline": public(p)}))


@router.route("GET", "/pipelines/{pipeline_id}")
def pipeline(req: Request) -> Reply:
    return Reply({"pipeline": public(req.state.get("pipelines", req.params["pipeline_id"], "Pipeline"))})


def _filtered(req: Request, kind: str, keys: tuple[str, ...]) -> list[dict]:
    state, q = req.state, req.query
    items = list(state.tables[kind].values())
    for key in keys:
        if q.get(key):
            items = [d for d in items if str(d.get(key)) == q[key]]
    if q.get("company_id"):
        contacts = state.tables["contacts"]
        items = [d for d in items if contacts.get(d.get("contact_id") or "", {}).get("company_id") == q["company_id"]]
    if q.get("modified_since"):
        since = parse_since(q["modified_since"])
        items = [d for d in items if (d.get("modified_at") or "") >= since]
    return items


@router.route("GET", "/deals")
def deals(req: Request) -> Reply:
    state, q = req.state, req.query
    with state.lock:
        items = _filtered(req, "deals", ("status", "stage", "pipeline_id", "owner_id", "contact_id"))
        if q.get("sales_pipeline_id"):
            items = [d for d in items if d.get("pipeline_id") == q["sales_pipeline_id"]]
        needle = (q.get("name") or q.get("search") or "").casefold()
        if needle:
            items = [d for d in items if needle in (d.get("name") or "").casefold()]
        items.sort(key=lambda d: (d.get("created_at") or "", d["id"]), reverse=True)
        items = sort_docs(items, req, ("created_at", "modified_at", "name", "amount", "date", "expected_close_date", "stage"))
        return Reply(listing("deals", items, req, lambda d: {"deal": public(d)}))


@router.route("GET", "/deals/{deal_id}")
def deal(req: Request) -> Reply:
    return Reply({"deal": public(req.state.get("deals", req.params["deal_id"], "Deal"))})


DEAL_FIELDS = ("contact_id", "owner_id", "pipeline_id", "name", "text", "stage", "status", "expected_close_date", "close_date", "date", "amount", "months", "cost")
COMMISSION_FIELDS = ("commission_base", "commission_type", "commission", "commission_percentage")
DEAL_ITEM_FIELDS = ("name", "description", "cost", "price", "qty", "predefined_item_id")


def _apply_deal(state: SandboxState, deal: dict, body: dict) -> None:
    """Apply a POST/PUT body. The plain fields a body leaves out are kept; the optional parts
    (commission, deal fields, deal items) are replaced as a whole: left out means gone, as the spec
    says of deal items ("has_deal_items" must be true to keep them). So a client that drops them on
    a read-modify-write loses them here, as it would on a real account."""
    body = dict(body)
    if body.get("sales_pipeline_id") and not body.get("pipeline_id"):
        body["pipeline_id"] = body["sales_pipeline_id"]
    merged = {**deal, **{k: body[k] for k in DEAL_FIELDS if k in body}}
    errors = _deal_extras(state, merged, body)
    if merged.get("contact_id") not in state.tables["contacts"]:
        errors["contact_id"] = "contact_id is invalid or missing"
    if merged.get("owner_id") not in state.tables["users"]:
        errors["owner_id"] = "owner_id is invalid"
    pipe = state.tables["pipelines"].get(merged.get("pipeline_id") or "")
    if pipe is None:
        errors["pipeline_id"] = "pipeline_id is invalid"
    if not str(merged.get("name") or "").strip():
        errors["name"] = "name is invalid or missing"
    elif len(str(merged["name"])) > 60:
        errors["name"] = "name must be at most 60 characters"
    if merged.get("status") not in ("pending", "won", "lost"):
        errors["status"] = "status must be pending, won or lost"
    if pipe is not None and merged.get("status") == "pending" and merged.get("stage") not in [s["stage"] for s in pipe["stages"]]:
        errors["stage"] = "stage is not a stage of the pipeline"
    try:
        merged["amount"] = float(merged.get("amount") or 0)
        merged["months"] = int(merged.get("months") or 1)
    except (TypeError, ValueError):
        errors["amount"] = "amount and months must be numbers"
    for name in ("expected_close_date", "close_date", "date"):
        if merged.get(name):
            merged[name] = check_date(merged[name], name)
    if errors:
        raise invalid(errors)
    if merged["status"] != "pending" and not merged.get("close_date"):
        merged["close_date"] = state.today().isoformat()
    merged["sales_pipeline_id"] = merged["pipeline_id"]
    merged["total_amount"] = merged["amount"] * merged["months"]
    contact = state.tables["contacts"][merged["contact_id"]]
    merged["contact_info"] = {"contact_name": f"{contact.get('first_name', '')} {contact.get('last_name', '')}".strip(), "company": contact.get("company_name") or ""}
    deal.clear()
    deal.update(merged)


def _deal_extras(state: SandboxState, merged: dict, body: dict) -> dict[str, str]:
    """Commission, deal field values and deal items from `body` into `merged`; the errors found."""
    errors: dict[str, str] = {}
    for name in COMMISSION_FIELDS:
        merged.pop(name, None)
    for name, allowed in (("commission_base", ("amount", "margin")), ("commission_type", ("none", "percentage", "absolute"))):
        if name in body:
            if body[name] in allowed:
                merged[name] = body[name]
            else:
                errors[name] = f"{name} must be one of {', '.join(allowed)}"
    for name in ("commission", "commission_percentage"):
        if name in body:
            if _is_number(body[name]):
                merged[name] = float(body[name])
            else:
                errors[name] = f"{name} must be a number"
    merged.pop("deal_fields", None)
    if body.get("deal_fields"):
        merged["deal_fields"] = field_values(state, "deal_fields", "deal_field", body["deal_fields"])
    keep_items = bool(body.get("has_deal_items"))
    items = body.get("deal_items", merged.get("deal_items")) if keep_items else []
    merged.pop("deal_items", None)
    try:
        merged["deal_items"] = [_deal_item(item, merged.get("id") or "") for item in items or []]
    except ValueError as exc:
        errors["deal_items"] = str(exc)
    merged["has_deal_items"] = bool(merged.get("deal_items"))
    if not merged["has_deal_items"]:
        merged.pop("deal_items", None)
    return errors


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _deal_item(item: object, deal_id: str) -> dict:
    if not isinstance(item, dict) or any(k not in item for k in ("name", "description", "cost", "price", "qty")):
        raise ValueError("each deal item needs name, description, cost, price and qty")
    if not str(item["name"] or "").strip():
        raise ValueError("a deal item needs a name")
    if not all(_is_number(item[k]) for k in ("cost", "price", "qty")) or int(item["qty"]) != item["qty"]:
        raise ValueError("deal item cost and price must be numbers and qty a whole number")
    out = {k: item[k] for k in DEAL_ITEM_FIELDS if item.get(k) is not None}
    out.update(id=item.get("id") or SandboxState.new_id(), deal_id=deal_id, qty=int(item["qty"]))
    out["amount"] = float(item["price"]) * out["qty"]
    return out


@router.route("POST", "/deals")
def create_deal(req: Request) -> Reply:
    state = req.state
    with state.write():
        default = next((p for p in state.tables["pipelines"].values() if p.get("default")), None)
        deal = {"id": state.new_id(), "owner_id": req.user_id, "status": "pending", "created_at": state.now_iso(), "author": state.user_name(req.user_id), "date": state.today().isoformat()}
        if default:
            deal.update(pipeline_id=default["id"], stage=default["stages"][0]["stage"])
        _apply_deal(state, deal, req.body)
        state.save("deals", deal)
        # The spec's notification types have none for deals, and GET /notifications never lists
        # "email" or "link" ones: a new deal is told as a "note" on the contact, titled as a deal.
        state.notify(deal["owner_id"], req.user_id, "note", deal["contact_id"], "Deal assigned to you", deal["name"])
        return Reply({"deal": public(deal)}, 201)


@router.route("PUT", "/deals/{deal_id}")
def update_deal(req: Request) -> Reply:
    state = req.state
    with state.write():
        deal = dict(state.get("deals", req.params["deal_id"], "Deal"))
        _apply_deal(state, deal, req.body)
        state.save("deals", deal)
        return Reply({"deal": public(deal)})



@router.route("DELETE", "/deals/{deal_id}")
def delete_deal(req: Request) -> Reply:
    with req.state.write():
        req.state.get("deals", req.params["deal_id"], "Deal")
        req.state.remove("deals", req.params["deal_id"])
    return Reply({})


# -- notes, calls, meetings -------------------------------------------------------------------------


def _check_lengths(body: dict, limits: dict[str, int]) -> None:
    """The spec's maxLength of text fields, refused with 400 as the API does."""
    errors = {
        name: f"{name} must be at most {limit} characters"
        for name, limit in limits.items()
        if len(str(body.get(name) or "")) > limit
    }
    if errors:
        raise invalid(errors)


def _activity(kind: str, single: str, time_field: str | None) -> None:
    def list_items(req: Request) -> Reply:
        with req.state.lock:
            items = _filtered(req, kind, ("contact_id",))
            items.sort(key=lambda d: (d.get(time_field) or 0, d.get("created_at") or "") if time_field else (d.get("date") or "", d.get("created_at") or ""), reverse=True)
            items = sort_docs(items, req, ("created_at", "modified_at", "date", time_field or "date"))
            return Reply(listing(kind, items, req, lambda d: {single: public(d)}))

    def get_item(req: Request) -> Reply:
        return Reply({single: public(req.state.get(kind, req.params["item_id"], single.capitalize()))})

    def create_item(req: Request) -> Reply:
        state, body = req.state, req.body
        with state.write():
            require(body, "contact_id", *(("text",) if kind == "notes" else ()))
            if body["contact_id"] not in state.tables["contacts"]:
                raise invalid({"contact_id": "contact_id is invalid"})
            _check_lengths(body, {"text": 7168, "place": 100})
            now = state.now_iso()
            doc = {"id": state.new_id(), "contact_id": body["contact_id"], "text": str(body.get("text") or ""), "author": state.user_name(req.user_id), "created_at": now, "_user_id": req.user_id}
            if kind == "notes":
                doc["date"] = check_date(body.get("date") or state.today().isoformat(), "date")
                if body.get("linked_deal_id"):
                    doc["linked_deal_id"] = body["linked_deal_id"]
            elif kind == "calls":
                doc.update(call_result=body.get("call_result") or "", call_time_int=int(body.get("call_time_int") or state.timestamp()), via=body.get("via") or "phone", phone_number=body.get("phone_number") or "")
            else:
                doc.update(meeting_time_int=int(body.get("meeting_time_int") or state.timestamp()), place=body.get("place") or "")
            state.save(kind, doc)
            for user_id in body.get("user_ids_to_notify") or []:
                state.notify(user_id, req.user_id, single, doc["contact_id"], f"New {single}", doc["text"])
            return Reply({single: public(doc)}, 201)

    def update_item(req: Request) -> Reply:
        """PUT: the fields sent replace the stored ones, the others are kept; modified_at moves on."""
        state, body = req.state, req.body
        with state.write():
            doc = dict(state.get(kind, req.params["item_id"], single.capitalize()))
            if "contact_id" in body and body["contact_id"] not in state.tables["contacts"]:
                raise invalid({"contact_id": "contact_id is invalid"})
            if kind == "notes" and "text" in body and not str(body["text"] or "").strip():
                raise invalid({"text": "text is invalid or missing"})
            _check_lengths(body, {"text": 7168, "place": 100})
            for name in ("call_time_int", "meeting_time_int"):
                if name in body and not (isinstance(body[name], int) and not isinstance(body[name], bool)):
                    raise invalid({name: f"{name} must be a unix timestamp"})
            if "via" in body and body["via"] not in ("unknown", "skype", "jabber", "talkdesk", "phone"):
                raise invalid({"via": "via must be unknown, skype, jabber, talkdesk or phone"})
            fields = {
                "notes": ("contact_id", "text", "date", "linked_deal_id"),
                "calls": ("contact_id", "text", "call_result", "call_time_int", "via", "phone_number", "recording_link"),
                "meetings": ("contact_id", "text", "meeting_time_int", "place"),
            }[kind]
            doc.update({k: body[k] for k in fields if k in body})
            if kind == "notes" and body.get("date"):
                doc["date"] = check_date(body["date"], "date")
            doc["text"] = str(doc.get("text") or "")
            state.save(kind, doc)
            return Reply({single: public(doc)})

    def contact_items(req: Request) -> Reply:
        req.state.get("contacts", req.params["contact_id"], "Contact")
        req.query["contact_id"] = req.params["contact_id"]
        return list_items(req)

    def delete_item(req: Request) -> Reply:
        with req.state.write():
            req.state.get(kind, req.params["item_id"], single.capitalize())
            req.state.remove(kind, req.params["item_id"])
        return Reply({})

    router.add("GET", f"/{kind}", list_items)
    router.add("POST", f"/{kind}", create_item)
    router.add("GET", f"/{kind}/{{item_id}}", get_item)
    router.add("PUT", f"/{kind}/{{item_id}}", update_item)
    router.add("DELETE", f"/{kind}/{{item_id}}", delete_item)
    router.add("GET", f"/contacts/{{contact_id}}/{kind}", contact_items)


_activity("notes", "note", None)
_activity("calls", "call", "call_time_int")
_activity("meetings", "meeting", "meeting_time_int")


# -- notifications ----------------------------------------------------------------------------------


@router.route("GET", "/notifications")
def notifications(req: Request) -> Reply:
    with req.state.lock:
        items = [n for n in req.state.tables["notifications"].values() if n.get("user_id") == req.user_id]
        items.sort(key=lambda n: (n.get("created_at") or "", n["id"]), reverse=True)
        return Reply(listing("notifications", items, req, lambda n: {"notification": public(n)}))


def _own_notification(req: Request) -> dict:
    found = req.state.get("notifications", req.params["notification_id"], "Notification")
    if found.get("user_id") != req.user_id:
        req.state.get("notifications", "", "Notification")
    return found


@router.route("GET", "/notifications/{notification_id}")
def notification(req: Request) -> Reply:
    return Reply({"notification": public(_own_notification(req))})


@router.route("POST", "/notifications/mark_all_as_read")
def mark_all_read(req: Request) -> Reply:
    with req.state.write():
        for n in list(req.state.tables["notifications"].values()):
            if n.get("user_id") == req.user_id and not n.get("read"):
                req.state.save("notifications", {**n, "read": True})
    return Reply({}, 201)


@router.route("POST", "/notifications/{notification_id}/mark_as_read")
def mark_read(req: Request) -> Reply:
    with req.state.write():
        found = {**_own_notification(req), "read": True}
        req.state.save("notifications", found)
    return Reply({"notification": public(found)}, 201)

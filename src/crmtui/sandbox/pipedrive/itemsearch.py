"""GET /itemSearch and GET /itemSearch/field (both deprecated in the spec, both in the search window).

/itemSearch searches leads, persons and organizations (the sandbox has no deals, products or
projects: asking for those finds nothing), scored as /leads/search is (scoring.py); `item_types`
and `fields` are comma lists; `search_for_related_items` adds the records linked to the hits.
/itemSearch/field answers the distinct values of one field that match, or with `return_item_ids`
each matching record's id with its value; its `exact_match` is case-sensitive. A lead's id there is
its UUID (the spec's schema says integer, written for deals and persons).
"""

from __future__ import annotations

from typing import Any

from crmtui.sandbox.pipedrive.routes import Request, _page, ok, pagination, route, search_fields, search_term
from crmtui.sandbox.pipedrive.scoring import ITEM_TYPES, SEARCH_FIELDS, custom_lead_values, related, render_item, search
from crmtui.sandbox.pipedrive.state import invalid

FIELD_TYPES = {"leadField": "leads", "personField": "persons", "organizationField": "organizations", "dealField": None, "productField": None, "projectField": None}
PERSON_KEYS = ("name", "first_name", "last_name", "email", "phone", "org_name")
ORGANIZATION_KEYS = ("name",)


@route("GET", "/itemSearch")
def item_search(req: Request) -> tuple[int, dict]:
    term, exact = search_term(req)
    fields = search_fields(req, SEARCH_FIELDS)
    raw = req.query.get("item_types")
    kinds = [k.strip() for k in raw.split(",") if k.strip()] if raw else list(ITEM_TYPES)
    if not kinds or not set(kinds) <= set(ITEM_TYPES):
        raise invalid(f'"item_types" must be a comma list of {", ".join(ITEM_TYPES)}')
    with_related = (req.query.get("search_for_related_items") or "").lower() in ("true", "1")
    start, limit = _page(req)
    hits = search(req.state, term, kinds, fields, exact)
    page = hits[start : start + limit]
    items = [{"result_score": score, "item": render_item(req.state, kind, doc)} for score, kind, doc in page]
    linked = related(req.state, page) if with_related else []
    related_items = [{"result_score": 0, "item": render_item(req.state, kind, doc)} for kind, doc in linked]
    return ok({"items": items, "related_items": related_items}, additional_data={"pagination": pagination(start, limit, len(hits))})


def _values(kind: str, doc: dict, key: str, custom: dict[str, Any]) -> list[str]:
    if kind == "leads":
        value = custom[key] if key in custom else doc.get(key)
    else:
        value = doc.get(key)
    if isinstance(value, list):  # persons' email and phone: [{label, value, primary}]
        return [str(v["value"]) for v in value if isinstance(v, dict) and v.get("value")]
    return [] if value is None or isinstance(value, (dict, bool)) else [str(value)]


@route("GET", "/itemSearch/field")
def item_search_field(req: Request) -> tuple[int, dict]:
    term, exact = search_term(req)
    field_type = req.query.get("field_type")
    if field_type not in FIELD_TYPES:
        raise invalid(f'"field_type" must be one of [{", ".join(FIELD_TYPES)}]')
    key = req.query.get("field_key") or ""
    table = FIELD_TYPES[field_type]
    state = req.state
    if table == "leads":
        known = {f["key"] for f in state.tables["lead_fields"].values()}
    else:
        known = set(PERSON_KEYS if table == "persons" else ORGANIZATION_KEYS if table else ())
    if table is not None and key not in known:
        raise invalid(f'"field_key" {key!r} is not a field of {field_type}')
    with_ids = (req.query.get("return_item_ids") or "").lower() in ("true", "1")
    start, limit = _page(req)
    rows: list[dict] = []
    seen: set[str] = set()
    docs = sorted(state.tables[table].values(), key=lambda d: (d["add_time"], str(d["id"]))) if table else []
    for doc in docs:
        custom = custom_lead_values(state, doc) if table == "leads" else {}
        for value in _values(table or "", doc, key, custom):
            hit = value == term if exact else term.casefold() in value.casefold()  # exact is case-sensitive here
            if not hit:
                continue
            if with_ids:
                rows.append({"id": doc["id"], key: value})
            elif value not in seen:
                seen.add(value)
                rows.append({key: value})
    return ok(rows[start : start + limit], additional_data={"pagination": pagination(start, limit, len(rows))})

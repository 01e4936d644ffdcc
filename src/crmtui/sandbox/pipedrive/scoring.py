"""Search over the sandbox's records, shared by GET /itemSearch, /itemSearch/field and /leads/search.

Scoring is a plain term frequency: the term's occurrences in the searched fields (or, with
`exact_match`, the fields equal to it, case-insensitively) over the number of words in those fields,
rounded to 4 places; 0 means no match. Records are found by the fields the caller names.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from crmtui.sandbox.pipedrive.state import PipedriveState

SEARCH_FIELDS = ("address", "code", "custom_fields", "email", "name", "notes", "phone", "title", "description")
ITEM_TYPES = ("deal", "person", "organization", "product", "lead", "file", "mail_attachment", "project")


def tf_score(term: str, texts: Iterable[str], exact: bool) -> float:
    values = [t for t in texts if t]
    needle = term.casefold()
    if exact:
        hits = sum(1 for t in values if t.casefold() == needle)
    else:
        hits = sum(t.casefold().count(needle) for t in values)
    if not hits:
        return 0.0
    words = sum(len(t.split()) for t in values)
    return round(hits / max(1, words), 4)


def custom_texts(state: PipedriveState, doc: dict) -> list[str]:
    """A lead's custom field values as text (an enum's option label), as search items list them."""
    return list(custom_lead_values(state, doc).values())


def custom_lead_values(state: PipedriveState, doc: dict) -> dict[str, str]:
    """A lead's custom field values by key, as text (an enum's option label)."""
    out: dict[str, str] = {}
    for spec in state.tables["lead_fields"].values():
        if spec["edit_flag"] and doc.get(spec["key"]) is not None:
            labels = {o["id"]: o["label"] for o in spec["options"] or []}
            out[spec["key"]] = str(labels.get(doc[spec["key"]], doc[spec["key"]]))
    return out


def searched_texts(state: PipedriveState, kind: str, doc: dict, fields: set[str]) -> list[str]:
    """The texts of `doc` (a lead, person or organization) that a search over `fields` looks at."""
    texts: list[str] = []
    if kind == "lead":
        if "title" in fields:
            texts.append(doc["title"])
        if "custom_fields" in fields:
            texts += custom_texts(state, doc)
    elif kind == "person":
        if "name" in fields:
            texts.append(doc["name"])
        if "email" in fields:
            texts += [e["value"] for e in doc.get("email") or []]
        if "phone" in fields:
            texts += [p["value"] for p in doc.get("phone") or []]
    elif kind == "organization":
        if "name" in fields:
            texts.append(doc["name"])
        if "address" in fields and doc.get("address"):
            texts.append(str(doc["address"]))
    return texts


TABLES = {"lead": "leads", "person": "persons", "organization": "organizations"}


def search(state: PipedriveState, term: str, kinds: Iterable[str], fields: set[str], exact: bool) -> list[tuple[float, str, dict]]:
    """(score, kind, record) of every match, best first (then oldest first)."""
    found: list[tuple[float, str, dict]] = []
    for kind in kinds:
        table = TABLES.get(kind)
        if table is None:
            continue  # deals, products, files... are not searched by the sandbox
        for doc in state.tables[table].values():
            score = tf_score(term, searched_texts(state, kind, doc, fields), exact)
            if score > 0:
                found.append((score, kind, doc))
    found.sort(key=lambda hit: (-hit[0], hit[2]["add_time"], str(hit[2]["id"])))
    return found


def _named(state: PipedriveState, table: str, ref: object, extra: dict[str, Any] | None = None) -> dict | None:
    doc = state.tables[table].get(str(ref)) if ref else None
    return {"id": doc["id"], "name": doc["name"], **(extra or {})} if doc else None


def render_item(state: PipedriveState, kind: str, doc: dict) -> dict:
    """A search answer's `item` for a lead, person or organization."""
    if kind == "lead":
        value = doc["value"] or {}
        item: dict[str, Any] = {
            "id": doc["id"], "type": "lead", "title": doc["title"], "owner": {"id": doc["owner_id"]},
            "phones": [], "emails": [], "custom_fields": custom_texts(state, doc), "notes": [],
            "visible_to": int(doc["visible_to"]), "is_archived": doc["is_archived"],
        }
        person = _named(state, "persons", doc["person_id"])
        org = _named(state, "organizations", doc["organization_id"])
        if person:
            item["person"] = person
        if org:
            item["organization"] = org
        if value:  # the spec types the search item's value as an integer
            item["value"] = round(value["amount"])
            item["currency"] = value["currency"]
        return item
    if kind == "person":
        item = {
            "id": doc["id"], "type": "person", "name": doc["name"], "phones": [p["value"] for p in doc.get("phone") or []],
            "emails": [e["value"] for e in doc.get("email") or []], "visible_to": int(doc["visible_to"]),
            "owner": {"id": doc["_owner_id"]}, "custom_fields": [], "notes": [],
        }
        org = _named(state, "organizations", doc.get("_org_id"), {"address": None})
        if org:
            item["organization"] = org
        return item
    return {
        "id": doc["id"], "type": "organization", "name": doc["name"], "address": doc.get("address"),
        "visible_to": int(doc["visible_to"]), "owner": {"id": doc["_owner_id"]}, "custom_fields": [], "notes": [],
    }


def related(state: PipedriveState, hits: list[tuple[float, str, dict]]) -> list[tuple[str, dict]]:
    """Records linked to the hits that are not hits themselves: a person's or organization's leads, a lead's person and organization."""
    seen = {(kind, str(doc["id"])) for _, kind, doc in hits}
    out: list[tuple[str, dict]] = []

    def add(kind: str, doc: dict | None) -> None:
        if doc is not None and (kind, str(doc["id"])) not in seen:
            seen.add((kind, str(doc["id"])))
            out.append((kind, doc))

    for _, kind, doc in hits:
        if kind == "lead":
            add("person", state.tables["persons"].get(str(doc["person_id"])) if doc["person_id"] else None)
            add("organization", state.tables["organizations"].get(str(doc["organization_id"])) if doc["organization_id"] else None)
        else:
            key = "person_id" if kind == "person" else "organization_id"
            for lead in sorted(state.tables["leads"].values(), key=lambda x: x["add_time"]):
                if lead[key] == doc["id"]:
                    add("lead", lead)
    return out

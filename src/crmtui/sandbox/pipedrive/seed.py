"""Deterministic demo data for the Pipedrive sandbox: the same seed, lead count and `today` give the same account.

Users, persons, organizations, lead labels, lead fields (two custom), saved lead filters, files on six leads (one
deleted), leads (some archived, some with custom field values at their root, some with the real API's
`value: {}` instead of the documented `{amount, currency}` or null) and their activities (most leads have
some: overdue, today, later, some done; each lead's `next_activity_id` is its earliest open one).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import random
import uuid

from crmtui.sandbox.pipedrive.state import UTC, iso_ms, plain

USERS = [
    ("Alex Morgan", True), ("Priya Shah", False), ("Tom Byrne", False), ("Sofia Lindqvist", False), ("Marcus Reed", False),
    ("Hana Ito", False), ("Diego Costa", False), ("Erin Walsh", False), ("Jonas Larsen", False), ("Mina Okafor", False),
]
FIRST = "Aoife Ben Carla Dara Emeka Fiona Gareth Hana Ivan Jia Karim Lena Maya Niall Olga Pedro Quinn Rosa Sean Tara".split()
LAST = "Adams Byrne Chen Doyle Evans Fischer Garcia Hughes Jensen Kelly Lopez Murphy Nakamura Patel Rossi Schmidt".split()
COMPANY_A = "Acme Blue Bright Cedar Delta Ember Fern Granite Harbor Iron Juniper Kestrel Lumen Maple Nova Oak".split()
COMPANY_B = "Labs Logistics Foods Solar Systems Partners Dental Studio Analytics Builders Media Robotics".split()
TOPICS = ["website redesign", "fleet renewal", "CRM rollout", "office move", "annual licences", "pilot project", "support contract", "hardware refresh", "training days", "consulting"]
LABELS = [("Hot", "red"), ("Warm", "orange"), ("Cold", "blue"), ("Partner", "purple"), ("Follow-up", "green")]
SOURCES = ["Manually created", "Deal", "Web forms", "Prospector", "Leadbooster", "Live chat", "Import", "Website visitors", "Workflow automation", "API"]
ORIGINS = {"Manually created": "ManuallyCreated", "Web forms": "WebForms", "Import": "Import", "API": "API", "Prospector": "Prospector"}
CURRENCIES = ["EUR", "EUR", "USD", "GBP"]
TIER_KEY = hashlib.sha1(b"crmtui sandbox: lead tier").hexdigest()
NOTES_KEY = hashlib.sha1(b"crmtui sandbox: call notes").hexdigest()
"""The two custom lead fields' keys: 40-hex hashes, as Pipedrive generates them."""
TIERS = [{"id": 31, "label": "Gold"}, {"id": 32, "label": "Silver"}, {"id": 33, "label": "Bronze"}]
CALL_NOTES = ["Asked for a demo", "Budget signed off in Q2", "Wants a discount", "Call back after the holidays", "Evaluating two vendors"]
STANDARD_LEAD_FIELDS = [
    ("title", "Title", "varchar"), ("owner_id", "Owner", "user"), ("label_ids", "Labels", "set"),
    ("person_id", "Person", "people"), ("organization_id", "Organization", "org"), ("value", "Value", "monetary"),
    ("expected_close_date", "Expected close date", "date"), ("source_name", "Source", "varchar"),
    ("visible_to", "Visible to", "visible_to"), ("add_time", "Lead created", "date"), ("update_time", "Update time", "date"),
]
"""(key, name, field_type) of the lead fields every account has; `label_ids`'s options are the labels."""


def lead_field(fid: int, key: str, name: str, field_type: str, added: str, *, custom: bool, options: list | None = None) -> dict:
    return {
        "id": fid, "key": key, "name": name, "order_nr": fid, "field_type": field_type, "add_time": added, "update_time": added,
        "last_updated_by_user_id": None, "created_by_user_id": None, "active_flag": True, "edit_flag": custom,
        "index_visible_flag": True, "details_visible_flag": True, "add_visible_flag": True, "important_flag": False,
        "bulk_edit_allowed": True, "searchable_flag": custom or key == "title", "filtering_allowed": True,
        "sortable_flag": True, "mandatory_flag": key == "title", "options": options,
    }


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _moment(rng: random.Random, today: dt.date, days_back: int) -> dt.datetime:
    day = today - dt.timedelta(days=rng.randint(1, days_back))
    return dt.datetime.combine(day, dt.time(rng.randint(7, 18), rng.randint(0, 59), rng.randint(0, 59), rng.randint(0, 999) * 1000), tzinfo=UTC)


def condition(field: str, operator: str, value: object) -> dict:
    return {"object": "lead", "field_id": field, "operator": operator, "value": value, "extra_value": None}


def conditions(*all_of: dict, any_of: tuple[dict, ...] = ()) -> dict:
    """Pipedrive's only working shape: an AND group and an OR group inside an AND."""
    return {"glue": "and", "conditions": [{"glue": "and", "conditions": list(all_of)}, {"glue": "or", "conditions": list(any_of)}]}


def seed_account(
    seed: int, leads: int, today: dt.date, people: int = 240, orgs: int = 120, *, activities: bool = True
) -> dict[str, dict[str, dict]]:
    """The account; `activities` False: none (a server without /activities: every `next_activity_id` null)."""
    rng = random.Random(seed)
    created = dt.datetime.combine(today - dt.timedelta(days=900), dt.time(9, 0), tzinfo=UTC)
    users: dict[str, dict] = {}
    for n, (name, admin) in enumerate(USERS):
        uid = 12_000_001 + n * 117
        first = name.split()[0].lower()
        users[str(uid)] = {
            "id": uid, "name": name, "default_currency": "EUR", "locale": "en_IE", "lang": 1,
            "email": f"{first}@sandbox.example", "phone": None, "activated": True,
            "last_login": plain(_moment(rng, today, 5)), "created": plain(created + dt.timedelta(days=n)),
            "modified": plain(created + dt.timedelta(days=n + 30)), "has_created_company": admin,
            "access": [{"app": "sales", "admin": admin, "permission_set_id": _uuid(rng)}],
            "active_flag": True, "timezone_name": "Europe/Dublin", "timezone_offset": "+00:00",
            "role_id": 1, "icon_url": None, "is_you": False, "is_deleted": False,
            "_api_token": f"{rng.getrandbits(160):040x}",
        }
    user_ids = [u["id"] for u in users.values()]
    organizations: dict[str, dict] = {}
    for oid in range(1, orgs + 1):
        name = f"{rng.choice(COMPANY_A)} {rng.choice(COMPANY_B)}"
        if any(o["name"] == name for o in organizations.values()):
            name = f"{name} {oid}"
        added = _moment(rng, today, 800)
        organizations[str(oid)] = {
            "id": oid, "company_id": 7_001, "name": name, "active_flag": True, "first_char": name[0].lower(),
            "add_time": plain(added), "update_time": plain(added), "visible_to": "3", "owner_name": "", "people_count": 0,
            "cc_email": "sandbox@pipedrivemail.com", "_owner_id": rng.choice(user_ids),
        }
    persons: dict[str, dict] = {}
    for pid in range(1, people + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        org = organizations[str(rng.randint(1, orgs))] if rng.random() < 0.8 else None
        added = _moment(rng, today, 800)
        persons[str(pid)] = {
            "id": pid, "company_id": 7_001, "active_flag": True, "name": f"{first} {last}", "first_name": first, "last_name": last,
            "first_char": first[0].lower(), "add_time": plain(added), "update_time": plain(added), "visible_to": "3",
            "phone": [{"label": "work", "value": f"+353 1 {rng.randint(200, 999)} {rng.randint(1000, 9999)}", "primary": True}],
            "email": [{"label": "work", "value": f"{first}.{last}{pid}@example.com".lower(), "primary": True}],
            "org_name": org["name"] if org else "", "owner_name": "", "cc_email": "sandbox@pipedrivemail.com",
            "_org_id": org["id"] if org else None,
        }
        if org:
            org["people_count"] += 1
    labels: dict[str, dict] = {}
    for name, color in LABELS:
        added = _moment(rng, today, 900)
        label = {"id": _uuid(rng), "name": name, "color": color, "add_time": iso_ms(added), "update_time": iso_ms(added)}
        labels[label["id"]] = label
    label_ids = list(labels)
    names = {u["id"]: u["name"] for u in users.values()}
    for doc in (*organizations.values(), *persons.values()):
        owner = doc.get("_owner_id") or rng.choice(user_ids)
        doc["_owner_id"] = owner
        doc["owner_name"] = names[owner]
    lead_docs: dict[str, dict] = {}
    for _ in range(leads):
        person = persons[str(rng.randint(1, people))] if rng.random() < 0.75 else None
        org_id = person["_org_id"] if person else rng.randint(1, orgs)
        who = person["name"] if person else organizations[str(org_id)]["name"]
        source = rng.choice(SOURCES)
        added = _moment(rng, today, 400)
        updated = min(added + dt.timedelta(days=rng.randint(0, 60), minutes=rng.randint(0, 600)), dt.datetime.combine(today, dt.time(6), tzinfo=UTC))
        updated = max(updated, added)
        roll = rng.random()
        if roll < 0.15:
            value: dict | None = {}  # the real API's shape for "no value" (BACKENDS.md 2.1); the spec says null
        elif roll < 0.25:
            value = None
        else:
            value = {"amount": float(rng.randint(5, 400) * 100), "currency": rng.choice(CURRENCIES)}
        archived = rng.random() < 0.12
        close = today + dt.timedelta(days=rng.randint(-30, 120)) if rng.random() < 0.6 else None
        lead = {
            "id": _uuid(rng), "title": f"{who} – {rng.choice(TOPICS)}", "owner_id": rng.choice(user_ids),
            "creator_id": rng.choice(user_ids), "label_ids": sorted(rng.sample(label_ids, rng.choice((0, 0, 1, 1, 1, 2)))),
            "person_id": person["id"] if person else None, "organization_id": org_id,
            "source_name": source, "origin": ORIGINS.get(source, "ManuallyCreated"), "origin_id": None,
            "channel": None, "channel_id": None, "is_archived": archived, "was_seen": rng.random() < 0.7,
            "value": value, "expected_close_date": close.isoformat() if close else None, "next_activity_id": None,
            "add_time": iso_ms(added), "update_time": iso_ms(updated), "visible_to": rng.choice(("3", "3", "1", "7")),
            "cc_email": "sandbox+lead@pipedrivemail.com",
            "archive_time": iso_ms(updated) if archived else None,
        }
        lead_docs[lead["id"]] = lead
    main = user_ids[0]
    hot = label_ids[0]
    filter_defs = [
        ("My open leads", "leads", conditions(condition("owner_id", "=", main))),
        ("Hot leads", "leads", conditions(condition("label_ids", "=", hot))),
        ("Worth over 20,000", "leads", conditions(condition("value", ">", 20000))),
        ("No value", "leads", conditions(condition("value", "IS NULL", None))),
        ("Acme or Nova", "leads", conditions(any_of=(condition("title", "LIKE '%$%'", "Acme"), condition("title", "LIKE '%$%'", "Nova")))),
        ("Big deals", "deals", conditions(condition("value", ">", 50000))),
    ]
    filters: dict[str, dict] = {}
    for fid, (name, kind, conds) in enumerate(filter_defs, start=1):
        added = _moment(rng, today, 300)
        filters[str(fid)] = {
            "id": fid, "name": name, "active_flag": True, "type": kind, "user_id": main, "add_time": plain(added),
            "update_time": plain(added), "visible_to": 7, "custom_view_id": 100 + fid, "_conditions": conds,
        }
    fields: dict[str, dict] = {}
    created_at = plain(created)
    for fid, (key, name, kind) in enumerate(STANDARD_LEAD_FIELDS, start=1):
        fields[str(fid)] = lead_field(fid, key, name, kind, created_at, custom=False)
    custom_at = plain(created + dt.timedelta(days=200))
    for fid, key, name, kind, options in ((40, TIER_KEY, "Lead tier", "enum", TIERS), (41, NOTES_KEY, "Call notes", "text", None)):
        fields[str(fid)] = {**lead_field(fid, key, name, kind, custom_at, custom=True, options=options), "created_by_user_id": main, "last_updated_by_user_id": main}
    extra = random.Random(seed ^ 0xF1E1D)  # its own stream: the leads above stay as they were
    for lead in lead_docs.values():  # custom fields sit at the lead's root, only when set
        if extra.random() < 0.3:
            lead[TIER_KEY] = extra.choice(TIERS)["id"]
        if extra.random() < 0.2:
            lead[NOTES_KEY] = extra.choice(CALL_NOTES)
    files: dict[str, dict] = {}
    # Ids in the order the files were added, as a real account's are (its "newest first" is id DESC).
    open_leads = sorted([lead for lead in lead_docs.values() if not lead["is_archived"]][:6], key=lambda lead: lead["add_time"])
    file_names = ("quote.pdf", "brief.txt", "site-photo.jpg", "requirements.csv", "notes.txt", "old-quote.pdf")
    for fid, (lead, file_name) in enumerate(zip(open_leads, file_names, strict=False), start=1):
        content = f"{file_name} for {lead['title']}\n".encode() * extra.randint(3, 40)
        attached = plain(dt.datetime.fromisoformat(lead["add_time"].replace("Z", "+00:00")) + dt.timedelta(hours=2))
        files[str(fid)] = {
            "id": fid, "user_id": lead["owner_id"], "deal_id": None, "person_id": lead["person_id"],
            "org_id": lead["organization_id"], "product_id": None, "activity_id": None, "lead_id": lead["id"], "log_id": None,
            "add_time": attached, "update_time": attached, "file_name": file_name, "file_type": {"pdf": "pdf", "jpg": "img"}.get(file_name.rsplit(".", 1)[1], "text"),
            "file_size": len(content), "active_flag": file_name != "old-quote.pdf", "inline_flag": False, "remote_location": "s3",
            "remote_id": f"{fid:04d}_{file_name}", "cid": "", "s3_bucket": "", "mail_message_id": "", "mail_template_id": "",
            "name": file_name, "description": None, "_content": base64.b64encode(content).decode(),
        }
    teams = seed_teams(user_ids, created)
    activity_docs = seed_activities(random.Random(seed ^ 0xAC71), lead_docs, users, persons, organizations, today) if activities else {}
    return {
        "users": users, "persons": persons, "organizations": organizations, "leads": lead_docs, "lead_labels": labels,
        "filters": filters, "lead_fields": fields, "files": files, "teams": teams,
        "events": seed_events(random.Random(seed ^ 0xE7E27), user_ids, today),
        "goals": seed_goals(random.Random(seed ^ 0x60A1), user_ids, today),
        "activities": activity_docs,
    }


def seed_teams(user_ids: list[int], created: dt.datetime) -> dict[str, dict]:
    """Two legacy teams and a deleted one."""
    rows = [
        (1, "Closers", "New business", user_ids[1], user_ids[1:4], 0),
        (2, "Renewals", "Existing customers", user_ids[4], user_ids[4:7], 0),
        (3, "Pilot squad", "Disbanded", user_ids[7], user_ids[7:9], 1),
    ]
    return {
        str(tid): {
            "id": tid, "name": name, "description": about, "manager_id": manager, "users": list(members),
            "active_flag": 0 if deleted else 1, "deleted_flag": deleted, "add_time": plain(created + dt.timedelta(days=10 * tid)),
            "created_by_user_id": user_ids[0],
        }
        for tid, name, about, manager, members, deleted in rows
    }


EVENT_KINDS = (("deals_started", (0, 1, 1, 2)), ("deals_won", (0, 0, 1)), ("deals_progressed", (0, 1)), ("activities_added", (0, 1, 2, 3)), ("activities_completed", (0, 1, 2)))


def seed_events(rng: random.Random, user_ids: list[int], today: dt.date) -> dict[str, dict]:
    """The goals' event log, one document per day from a year back to two months ahead (the clock reaches those later)."""
    days: dict[str, dict] = {}
    for offset in range(-365, 61):
        day = today + dt.timedelta(days=offset)
        events = []
        for kind, counts in EVENT_KINDS:
            for _ in range(rng.choice(counts)):
                at = dt.datetime.combine(day, dt.time(rng.randint(7, 19), rng.randint(0, 59), rng.randint(0, 59)))
                event: dict = {"at": at.strftime("%Y-%m-%d %H:%M:%S"), "kind": kind, "user_id": rng.choice(user_ids), "amount": 0}
                if kind.startswith("deals"):
                    event.update(amount=rng.randint(5, 400) * 100, pipeline_id=rng.choice((1, 1, 2)), stage_id=rng.randint(1, 5))
                else:
                    event["activity_type_id"] = rng.randint(1, 4)
                events.append(event)
        days[day.isoformat()] = {"id": day.isoformat(), "events": sorted(events, key=lambda e: e["at"])}
    return days


def _hex(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def seed_goals(rng: random.Random, user_ids: list[int], today: dt.date) -> dict[str, dict]:
    admin, regular = user_ids[0], user_ids[1]
    year_ago = (today - dt.timedelta(days=365)).isoformat()
    rows = [
        (admin, "Deals won", {"name": "deals_won", "params": {"pipeline_id": [1]}}, {"id": admin, "type": "person"},
         "monthly", {"start": year_ago, "end": None}, {"target": 5, "tracking_metric": "quantity"}),
        (admin, "Company revenue", {"name": "deals_won", "params": {}}, {"id": 7_001, "type": "company"},
         "quarterly", {"start": year_ago, "end": (today + dt.timedelta(days=200)).isoformat()},
         {"target": 250_000, "tracking_metric": "sum", "currency_id": 1}),
        (regular, "Calls done", {"name": "activities_completed", "params": {"activity_type_id": [1]}}, {"id": regular, "type": "person"},
         "weekly", {"start": year_ago, "end": None}, {"target": 3, "tracking_metric": "quantity"}),
        (admin, "Closers' pipeline", {"name": "deals_started", "params": {}}, {"id": 1, "type": "team"},
         "monthly", {"start": year_ago, "end": None}, {"target": 20, "tracking_metric": "quantity"}),
        (admin, "Last year's leads", {"name": "deals_started", "params": {}}, {"id": admin, "type": "person"},
         "yearly", {"start": (today - dt.timedelta(days=700)).isoformat(), "end": (today - dt.timedelta(days=340)).isoformat()},
         {"target": 100, "tracking_metric": "quantity"}),
    ]
    goals: dict[str, dict] = {}
    for owner, title, kind, assignee, interval, duration, outcome in rows:
        gid = _hex(rng)
        goals[gid] = {
            "id": gid, "owner_id": owner, "title": title, "type": kind, "assignee": assignee, "interval": interval,
            "duration": duration, "expected_outcome": outcome, "report_ids": [_hex(rng)],
        }
    return goals


ACTIVITY_SUBJECTS = {
    "call": ["Intro call", "Follow-up call", "Discovery call", "Call about pricing"],
    "meeting": ["Demo", "On-site visit", "Kick-off meeting", "Budget review"],
    "task": ["Send proposal", "Prepare quote", "Check references", ""],
    "email": ["Send case studies", "Email the brochure", "Reply about terms"],
    "deadline": ["Tender deadline", "Offer expires"],
}
"""Subjects per type; an empty one: the activity shows by its type."""


def activity_doc(
    aid: int, lead: dict, *, kind: str, subject: str, due: dt.date, due_time: str, duration: str, done: bool, user: dict,
    persons: dict[str, dict], organizations: dict[str, dict], added: dt.datetime, users: dict[str, dict],
) -> dict:
    """An activity in the real API's shape (unset links null, all-day: `due_time` "")."""
    person = persons.get(str(lead.get("person_id"))) if lead.get("person_id") else None
    org = organizations.get(str(lead.get("organization_id"))) if lead.get("organization_id") else None
    creator = users.get(str(lead["owner_id"]), user)
    return {
        "id": aid, "company_id": 7_001, "user_id": user["id"], "assigned_to_user_id": user["id"], "done": done,
        "type": kind, "subject": subject, "note": "", "due_date": due.isoformat(), "due_time": due_time,
        "duration": duration, "busy_flag": bool(due_time), "add_time": plain(added), "update_time": plain(added),
        "marked_as_done_time": plain(added + dt.timedelta(days=1)) if done else "", "active_flag": True,
        "update_user_id": creator["id"], "created_by_user_id": creator["id"], "lead_id": lead["id"], "deal_id": None,
        "person_id": person["id"] if person else None, "org_id": org["id"] if org else None,
        "person_name": person["name"] if person else "", "org_name": org["name"] if org else "", "owner_name": user["name"],
        "participants": [{"person_id": person["id"], "primary_flag": True}] if person else [], "attendees": None,
        "location": "", "public_description": "",
    }


def next_activity_key(activity: dict) -> tuple:
    """The order a lead's open activities come in: day, all day before a time, time, id."""
    return (activity["due_date"] or "9999-12-31", bool(activity["due_time"]), activity["due_time"] or "", int(activity["id"]))


def next_activity_id(activities: list[dict]) -> int | None:
    """The earliest open (not done, not deleted) activity among `activities`."""
    open_ones = [a for a in activities if not a["done"] and a.get("active_flag", True)]
    return min(open_ones, key=next_activity_key)["id"] if open_ones else None


def seed_activities(
    rng: random.Random, leads: dict[str, dict], users: dict[str, dict], persons: dict[str, dict],
    organizations: dict[str, dict], today: dt.date,
) -> dict[str, dict]:
    """About four leads in five get one to three activities, from three weeks back to a month ahead
    (most past ones done, a few future ones done early); each lead's `next_activity_id` set to match."""
    docs: dict[str, dict] = {}
    by_lead: dict[str, list[dict]] = {}
    user_list = list(users.values())
    aid = 0
    for lead in leads.values():
        if rng.random() < 0.2:
            continue
        for _ in range(rng.choice((1, 1, 2, 3))):
            aid += 1
            kind = rng.choice(("call", "call", "meeting", "task", "email", "deadline"))
            due = today + dt.timedelta(days=0 if rng.random() < 0.12 else rng.randint(-20, 30))  # a day's share due today
            due_time = "" if rng.random() < 0.3 else f"{rng.randint(8, 17):02d}:{rng.choice((0, 15, 30, 45)):02d}"
            done = rng.random() < (0.5 if due < today else 0.05)
            owner = users[str(lead["owner_id"])]
            user = owner if rng.random() < 0.85 else rng.choice(user_list)
            added = dt.datetime.fromisoformat(lead["add_time"].replace("Z", "+00:00")) + dt.timedelta(hours=rng.randint(1, 48))
            doc = activity_doc(
                aid, lead, kind=kind, subject=rng.choice(ACTIVITY_SUBJECTS[kind]), due=due, due_time=due_time,
                duration=rng.choice(("", "00:30", "01:00")) if kind in ("call", "meeting") else "", done=done, user=user,
                persons=persons, organizations=organizations, added=min(added, dt.datetime.combine(today, dt.time(6), tzinfo=UTC)),
                users=users,
            )
            docs[str(aid)] = doc
            by_lead.setdefault(lead["id"], []).append(doc)
    for lead in leads.values():
        lead["next_activity_id"] = next_activity_id(by_lead.get(lead["id"], []))
    return docs

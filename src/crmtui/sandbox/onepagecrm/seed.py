"""Deterministic demo data: the same seed, contact count and `today` give the same account.

Dates are relative to `today` so the stream always has ASAP, overdue, today, future, waiting,
queued, closed and no-action contacts, plus conflicts, completed history, deals in two pipelines,
notes, calls, meetings and notifications.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random

from crmtui.sandbox.onepagecrm.state import UTC, iso

FIRST = "Aoife Ben Carla Dara Emeka Fiona Gareth Hana Ivan Jia Karim Lena Maya Niall Olga Pedro Quinn Rosa Sean Tara Uma Victor Wanda Xavier Yusuf Zoe Ana Bruno Chloe Diego Erin Felix Grace Hugo Iris Jonas Kate Liam Mina Noah".split()
# Titles follow the first name (no "Mr Olga"); Dara and Quinn keep whichever title was drawn.
FEMALE = set("Aoife Carla Fiona Hana Jia Lena Maya Olga Rosa Tara Uma Wanda Zoe Ana Chloe Erin Grace Iris Kate Mina".split())
MALE = set("Ben Emeka Gareth Ivan Karim Niall Pedro Sean Victor Xavier Yusuf Bruno Diego Felix Hugo Jonas Liam Noah".split())
LAST = "Adams Byrne Chen Doyle Evans Fischer Garcia Hughes Ivanova Jensen Kelly Lopez Murphy Nakamura Okafor Patel Quinn Rossi Schmidt Tanaka Ueda Varga Walsh Xu Young Zimmer Brennan Costa Dubois Esposito Farrell Gallagher Horvat Ito Kowalski Larsen Moreau Novak O'Brien Price".split()
COMPANY_A = "Acme Blue Bright Cedar Delta Ember Fern Granite Harbor Iron Juniper Kestrel Lumen Maple Nova Oak Pine Quartz River Summit Tidal Urban Vertex Willow Zenith".split()
COMPANY_B = "Labs Logistics Foods Solar Systems Partners Dental Studio Analytics Builders Media Robotics Travel Health Capital".split()
CITIES = [("Dublin", "", "IE"), ("Cork", "", "IE"), ("London", "", "GB"), ("Berlin", "", "DE"), ("Boston", "MA", "US"), ("Austin", "TX", "US"), ("Toronto", "ON", "CA"), ("Lisbon", "", "PT")]
JOBS = ["CEO", "CTO", "Head of Sales", "Office Manager", "Buyer", "Founder", "Operations Lead", "Marketing Director", ""]
TAGS = ["VIP", "newsletter", "partner", "trade-show", "referral", "enterprise", "smb", "renewal"]
ACTION_TEXTS = ["Call to discuss proposal", "Send pricing sheet", "Follow up on demo", "Email contract draft", "Book onsite visit", "Check in after trial", "Confirm delivery date", "Introduce account manager", "Ask for referral", "Review quote changes", "Schedule quarterly review", "Send case study", "Chase signed order", "Prepare renewal offer"]
WAITING_TEXTS = ["Waiting for budget approval", "Waiting for signed NDA", "Waiting for their IT review"]
USERS = [("Alex", "Morgan"), ("Priya", "Shah"), ("Tom", "Byrne"), ("Sofia", "Lindqvist"), ("Marcus", "Reed")]
NOTIFICATION_NOTES = ["Budget confirmed for Q3.", "Prefers email over calls.", "Asked for references.", "Discussed roll-out timeline."]
NOTIFICATION_CALLS = ["Pricing questions", "Quick intro call", "Left a voicemail"]


def notification_text(kind: str, contact: dict, n: int) -> tuple[str, str]:
    """The title and body a seeded notification shows, worded like the ones the sandbox makes live.

    Picked by position, not drawn from the seed's random stream, so the rest of the data stays as it was.
    (`notification_facts` gives the body the data holds: the action, note or call it is about.)
    """
    name = f"{contact['first_name']} {contact['last_name']}"
    if kind == "assigned_action":
        return "Action assigned to you", ACTION_TEXTS[n % len(ACTION_TEXTS)]
    if kind == "contact_assigned":
        return "Contact assigned to you", name
    if kind == "note":
        return "New note", NOTIFICATION_NOTES[n % len(NOTIFICATION_NOTES)]
    return "New call", NOTIFICATION_CALLS[n % len(NOTIFICATION_CALLS)]


def notification_facts(t: dict[str, dict[str, dict]], kind: str, contact_id: str, me: str, names: dict[str, str]) -> tuple[str, str] | None:
    """What a notification of `kind` to `me` about the contact says, as the data has it: (who did
    it, the body), or None when the data holds no such fact on that contact.

    "Contact assigned to you": the contact is `me`'s. "Action assigned to you": an open action of
    `me`'s on it, by a colleague (the contact's owner, when that is not `me`). A new note or call:
    one a colleague wrote on it (its author). Whoever did it is never `me`.
    """
    contact = t["contacts"][contact_id]
    owner = names.get(contact.get("owner_id") or "", "")
    mine = names[me]
    if kind == "contact_assigned":
        return ("", f"{contact['first_name']} {contact['last_name']}") if contact.get("owner_id") == me else None
    if kind == "assigned_action":
        action = next(
            (a for a in t["actions"].values() if a["contact_id"] == contact_id and a["assignee_id"] == me and not a["done"]), None
        )
        return (owner if owner != mine else "", action["text"]) if action is not None else None
    table = "notes" if kind == "note" else "calls"
    item = next(
        (x for x in t[table].values() if x["contact_id"] == contact_id and x.get("author") and x["author"] != mine), None
    )
    return (item["author"], item["text"]) if item is not None else None


def title_for(first_name: str, drawn: str) -> str:
    """The drawn title ("Mr", "Mrs", "Ms"), made to agree with the first name.

    The title is still drawn (and then corrected) so that every later draw, and so the rest of the
    seeded data, stays the same for a given seed.
    """
    if first_name in MALE:
        return "Mr"
    if first_name in FEMALE and drawn == "Mr":
        return "Ms"
    return drawn


def _hex(rng: random.Random) -> str:
    return f"{rng.getrandbits(96):024x}"


def user_credentials(seed: int, index: int) -> tuple[str, str]:
    """Deterministic (user_id, api_key) of the seeded users; index 0 is the main demo user."""
    digest = hashlib.sha256(f"crmtui-sandbox:{seed}:{index}".encode()).hexdigest()
    return digest[:24], digest[24:56]


def seed_account(seed: int = 42, contacts: int = 300, today: dt.date | None = None) -> tuple[dict[str, dict[str, dict]], dict]:
    """(tables, account settings) for a fresh sandbox."""
    rng = random.Random(seed)
    today = today or dt.date.today()
    base = dt.datetime.combine(today, dt.time(9, 0), tzinfo=UTC)
    t: dict[str, dict[str, dict]] = {k: {} for k in ("users", "contacts", "companies", "actions", "deals", "pipelines", "notes", "calls", "meetings", "notifications", "statuses", "lead_sources", "custom_fields", "deal_fields", "company_fields", "predefined_actions", "filters")}

    def ago(days: float) -> str:
        return iso(base - dt.timedelta(days=days))

    def day(offset: int) -> str:
        return (today + dt.timedelta(days=offset)).isoformat()

    def add(kind: str, doc: dict) -> dict:
        doc.setdefault("id", _hex(rng))
        t[kind][doc["id"]] = doc
        return doc

    users = []
    for i, (first, last) in enumerate(USERS):
        uid, key = user_credentials(seed, i)
        users.append(add("users", {"id": uid, "first_name": first, "last_name": last, "email": f"{first.lower()}.{last.lower()}@example.com", "company_name": "Sandbox Trading Ltd", "photo_url": "", "country_code": "IE", "_api_key": key, "_order": i}))
    user_ids = [u["id"] for u in users]
    me = user_ids[0]

    statuses = [add("statuses", {"status": s, "text": s.capitalize(), "description": f"{s.capitalize()} contacts", "color": c}) for s, c in (("lead", "3399ff"), ("prospect", "f96600"), ("customer", "009900"), ("inactive", "666666"), ("general", "000000"))]
    sources = [add("lead_sources", {"text": s}) for s in ("Advertisement", "Email / Web", "Existing client", "Partner", "Seminar", "Trade show", "Web", "Word of mouth", "Other")]
    fields = [
        add("custom_fields", {"name": "Industry", "type": "select_box", "position": 1, "choices": ["Retail", "Software", "Energy", "Health", "Logistics"]}),
        add("custom_fields", {"name": "Budget", "type": "number", "position": 2, "choices": []}),
        add("custom_fields", {"name": "Renewal date", "type": "date", "position": 3, "choices": []}),
        add("custom_fields", {"name": "Account notes", "type": "single_line_text", "position": 4, "choices": []}),
    ]
    for text, days in (("Call back", 1), ("Send proposal", 3), ("Follow up email", 7), ("Check in", 14), ("Quarterly review", 90)):
        add("predefined_actions", {"text": text, "days": days})
    add("filters", {"name": "My VIPs", "conditions": ["tag:VIP"]})
    pipelines = [
        add("pipelines", {"name": "Sales", "type": "sales", "default": True, "won_column_enabled": True, "won_column_name": "Won", "stages": [{"stage": s, "label": label} for s, label in ((10, "Lead in"), (25, "Qualified"), (50, "Demo"), (75, "Proposal"), (90, "Negotiation"))]}),
        add("pipelines", {"name": "Renewals", "type": "renewals", "default": False, "won_column_enabled": True, "won_column_name": "Renewed", "stages": [{"stage": s, "label": label} for s, label in ((20, "Upcoming"), (60, "Offer sent"), (90, "Verbal yes"))]}),
    ]

    companies = []
    for i in range(max(1, contacts // 3)):
        city, state, cc = rng.choice(CITIES)
        name = f"{rng.choice(COMPANY_A)} {rng.choice(COMPANY_B)}" + ("" if i < 300 else f" {i}")
        slug = name.lower().replace(" ", "")
        created = ago(rng.uniform(60, 900))
        companies.append(add("companies", {"name": name, "phone": f"+353 1 {rng.randint(200, 999)} {rng.randint(1000, 9999)}", "url": f"https://{slug}.example.com", "description": f"{name} is a demo company.", "address": {"address": f"{rng.randint(1, 200)} Main Street", "city": city, "state": state, "zip_code": f"{rng.randint(10000, 99999)}", "country_code": cc}, "company_fields": [], "created_at": created, "modified_at": created}))

    def action(contact: dict, assignee: str, status: str, text: str, *, date: str | None = None, exact: int | None = None, position: int = 0, done_at: str | None = None) -> dict:
        created = ago(rng.uniform(1, 40))
        if status in ("asap", "queued"):
            date = None
        doc = {"contact_id": contact["id"], "assignee_id": assignee, "text": text, "status": status, "date": date, "exact_time": exact, "position": position, "done": status == "done", "done_at": done_at, "created_at": created, "modified_at": created}
        return add("actions", doc)

    scenarios = ["asap"] * 6 + ["overdue"] * 12 + ["today"] * 9 + ["future"] * 24 + ["timed"] * 5 + ["waiting"] * 6 + ["queued"] * 6 + ["team"] * 6 + ["closed_comment"] * 3 + ["closed"] * 3 + ["none"] * 12 + ["conflict"] * 4 + ["asap2"] * 2
    for i in range(contacts):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        company = rng.choice(companies)
        city, state, cc = rng.choice(CITIES)
        owner = me if i % 5 in (0, 1) else user_ids[i % len(user_ids)]
        status = rng.choice(statuses)
        source = rng.choice(sources)
        created = ago(rng.uniform(30, 700))
        contact = add("contacts", {
            "title": title_for(first, rng.choice(["Mr", "Mrs", "Ms"])), "first_name": first, "last_name": last, "job_title": rng.choice(JOBS),
            "starred": rng.random() < 0.1, "photo_url": "", "company_id": company["id"], "company_name": company["name"],
            "url": [{"type": "website", "value": company["url"]}],
            "phones": [{"type": "work", "value": f"+353 1 {rng.randint(200, 999)} {rng.randint(1000, 9999)}"}] + ([{"type": "mobile", "value": f"+353 8{rng.randint(3, 9)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"}] if rng.random() < 0.6 else []),
            "emails": [{"type": "work", "value": f"{first.lower()}.{last.lower().replace(chr(39), '')}{i}@{company['url'][8:]}"}],
            "address_list": [{"address": f"{rng.randint(1, 300)} {rng.choice(LAST)} Road", "city": city, "state": state, "zip_code": f"{rng.randint(10000, 99999)}", "country_code": cc, "type": "work"}],
            "status": status["text"], "status_id": status["id"], "tags": sorted(rng.sample(TAGS, rng.choice((0, 0, 1, 1, 2)))),
            "lead_source_id": source["id"], "lead_source": source["text"], "background": rng.choice(["", "Met at the spring expo.", "Referred by an existing client.", "Downloaded the pricing guide."]),
            "owner_id": owner,
            "custom_fields": [{"custom_field": {k: v for k, v in fields[0].items()}, "value": rng.choice(fields[0]["choices"])}, {"custom_field": dict(fields[1]), "value": str(rng.randint(1, 50) * 1000)}],
            "company_size": rng.choice([5, 10, 25, 50, 200]), "closed_sales": [], "created_at": created, "modified_at": ago(rng.uniform(1, 30)),
        })
        scenario = rng.choice(scenarios)
        text = rng.choice(ACTION_TEXTS)
        if scenario in ("asap", "asap2"):
            action(contact, owner, "asap", text)
        elif scenario == "overdue":
            action(contact, owner, "date", text, date=day(-rng.randint(1, 20)))
        elif scenario == "today":
            action(contact, owner, "date", text, date=day(0))
        elif scenario == "future":
            action(contact, owner, "date", text, date=day(rng.randint(1, 45)))
        elif scenario == "timed":
            offset = rng.randint(0, 10)
            when = dt.datetime.combine(today + dt.timedelta(days=offset), dt.time(rng.randint(8, 17), rng.choice((0, 30))), tzinfo=UTC)
            action(contact, owner, "date_time", text, date=day(offset), exact=int(when.timestamp()))
        elif scenario == "waiting":
            action(contact, owner, "waiting", rng.choice(WAITING_TEXTS), date=day(rng.randint(1, 14)))
        elif scenario == "queued":
            action(contact, owner, "queued", text, position=1)
        elif scenario == "team":
            other = rng.choice([u for u in user_ids if u != owner])
            action(contact, other, rng.choice(["date", "queued"]), text, date=day(rng.randint(0, 10)), position=1)
        elif scenario in ("closed_comment", "closed"):
            comment = rng.choice(["Went with a competitor", "No budget this year"]) if scenario == "closed_comment" else ""
            contact["closed_sales"] = [{"user_id": owner, "closed_at": int((base - dt.timedelta(days=rng.randint(3, 60))).timestamp()), "comment": comment}]
        elif scenario == "conflict":
            nxt = rng.randint(3, 20)
            action(contact, owner, "date", text, date=day(nxt))
            action(contact, owner, "queued_with_date", rng.choice(ACTION_TEXTS), date=day(nxt - rng.randint(1, 3)), position=1)
        if scenario == "asap2":
            action(contact, owner, "queued", "Second ASAP, now queued", position=1)
        elif scenario in ("asap", "overdue", "today", "future", "waiting") and rng.random() < 0.25:
            action(contact, owner, "queued", rng.choice(ACTION_TEXTS), position=1)
        for _ in range(rng.choice((0, 0, 1, 2, 3))):
            back = rng.randint(1, 120)
            action(contact, owner, "done", rng.choice(ACTION_TEXTS), date=day(-back), done_at=day(-back))
        if rng.random() < 0.3:
            pipeline = rng.choice(pipelines)
            deal_status = rng.choice(["pending", "pending", "pending", "won", "lost"])
            amount = float(rng.randint(5, 200) * 100)
            months = rng.choice([1, 1, 12])
            created_d = ago(rng.uniform(5, 200))
            add("deals", {"contact_id": contact["id"], "owner_id": owner, "pipeline_id": pipeline["id"], "sales_pipeline_id": pipeline["id"], "name": f"{company['name']} {rng.choice(['licences', 'rollout', 'renewal', 'support plan'])}", "text": "Demo deal", "stage": rng.choice(pipeline["stages"])["stage"] if deal_status == "pending" else 100 if deal_status == "won" else 0, "status": deal_status, "expected_close_date": day(rng.randint(-10, 90)), "close_date": day(-rng.randint(1, 60)) if deal_status != "pending" else None, "date": day(-rng.randint(1, 100)), "amount": amount, "months": months, "total_amount": amount * months, "author": next(f"{u['first_name']} {u['last_name']}" for u in users if u["id"] == owner), "contact_info": {"contact_name": f"{first} {last}", "company": company["name"]}, "created_at": created_d, "modified_at": created_d})
        author = next(f"{u['first_name']} {u['last_name']}" for u in users if u["id"] == owner)
        for _ in range(rng.choice((0, 0, 1, 2))):
            created_n = ago(rng.uniform(1, 200))
            add("notes", {"contact_id": contact["id"], "text": rng.choice(["Discussed roll-out timeline.", "Prefers email over calls.", "Budget confirmed for Q3.", "Asked for references."]), "date": created_n[:10], "author": author, "created_at": created_n, "modified_at": created_n})
        if rng.random() < 0.3:
            when = base - dt.timedelta(days=rng.uniform(1, 90))
            add("calls", {"contact_id": contact["id"], "text": rng.choice(["Quick intro call", "Pricing questions", "Left a voicemail"]), "call_result": rng.choice(["interested", "not_interested", "left_message", "no_answer"]), "call_time_int": int(when.timestamp()), "via": "phone", "phone_number": contact["phones"][0]["value"], "author": author, "created_at": iso(when), "modified_at": iso(when)})
        if rng.random() < 0.15:
            when = base + dt.timedelta(days=rng.uniform(-60, 30))
            add("meetings", {"contact_id": contact["id"], "text": rng.choice(["Onsite demo", "Lunch meeting", "Contract review"]), "meeting_time_int": int(when.timestamp()), "place": company["address"]["city"], "author": author, "created_at": ago(rng.uniform(1, 60)), "modified_at": ago(1)})

    contact_ids = list(t["contacts"])
    names = {u["id"]: f"{u['first_name']} {u['last_name']}" for u in users}
    for n in range(min(15, len(contact_ids))):
        by = rng.choice(user_ids[1:])
        kind = rng.choice(["assigned_action", "contact_assigned", "note", "call"])
        created = ago(n * 0.7 + 0.1)
        drawn = contact_ids.index(rng.choice(contact_ids))  # drawn as before, so every later draw stays the same
        # A notification tells a fact the data holds (no "Contact assigned to you" about someone
        # else's contact): the first contact from the drawn one on that has such a fact.
        found = next(
            ((cid, facts) for cid in contact_ids[drawn:] + contact_ids[:drawn] if (facts := notification_facts(t, kind, cid, me, names))),
            None,
        )
        if found is None:
            continue
        contact_id, (who, body) = found
        title, _ = notification_text(kind, t["contacts"][contact_id], n)
        add("notifications", {"type": kind, "by": who or names[by], "read": n >= 6, "user_id": me, "contact_id": contact_id, "created_at": created, "modified_at": created, "mobile_data": {"title": title, "body": body, "action_type": kind}})

    # Deal field definitions come last so the ids drawn above stay what they were.
    add("deal_fields", {"name": "Deal size", "type": "select_box", "position": 1, "choices": ["Small", "Medium", "Large"]})
    add("deal_fields", {"name": "Products", "type": "multiple_choice", "position": 2, "choices": ["Licences", "Support", "Training"]})
    # More saved filters (conditions as `field:value`, all of which must hold), after every id above.
    add("filters", {"name": "Hot prospects", "conditions": [f"status_id:{statuses[1]['id']}", "pending_deal:true"]})
    add("filters", {"name": "Starred from trade shows", "conditions": ["starred:true", f"lead_source_id:{sources[5]['id']}"]})
    # Company fields and their values last too; the values go by position, not by the random stream.
    company_fields = [
        add("company_fields", {"name": "Company size", "type": "select_box", "position": 1, "choices": ["Small", "Medium", "Large"]}),
        add("company_fields", {"name": "Industry", "type": "single_line_text", "position": 2, "choices": []}),
        add("company_fields", {"name": "Employees", "type": "number", "position": 3, "choices": []}),
    ]
    sectors = ["Retail", "Software", "Energy", "Health", "Logistics"]
    for i, company in enumerate(companies):
        size = company_fields[0]["choices"][i % 3]
        company["company_fields"] = [
            {"company_field": dict(company_fields[0]), "value": size},
            {"company_field": dict(company_fields[1]), "value": sectors[i % len(sectors)]},
            {"company_field": dict(company_fields[2]), "value": str((5, 40, 250)[i % 3] + i)},
        ]

    account = {
        "settings": {"reminder": {"type": "every_day", "hour": 8}, "time_zone": "UTC", "not_working_days": "weekend", "date_format": "%d/%m/%Y", "time_with_ampm": False, "listing_size": 25, "currency": "EUR", "currency_symbol": "€", "separator": ".", "delimiter": ",", "popular_countries": ["IE", "GB", "US"], "default_contact_type": "individual", "show_tidy_stream": False},
        "call_results": [{"result": k, "text": v} for k, v in (("interested", "Interested"), ("not_interested", "Not interested"), ("left_message", "Left message"), ("no_answer", "No answer"))],
        "next_action_dates": [{"number": 1, "period": "days"}, {"number": 3, "period": "days"}, {"number": 1, "period": "weeks"}, {"number": 2, "period": "weeks"}, {"number": 1, "period": "months"}],
        "contact_titles": ["Mr", "Mrs", "Ms"],
        "account_type": "pro",
        "seed": seed,
        "today": today.isoformat(),
    }
    return t, account

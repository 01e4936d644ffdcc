"""Deterministic demo data for the Crust sandbox: the same seed and `today` give the same CRM.

Users; five modules (Account, Contact, Lead, Opportunity, Case) with fields of every documented kind
(text, textarea, email, bool, enum with options, stamp, related, related_multi, hidden) and `number`
(kinds are free-form on this server); a few hundred records owned by the users, created over the past
year; record pages for three modules (Account, Lead, Opportunity): Contact and Case have none, so the
real server's failing single reads (module and record) are there to meet; a tree of list pages whose
blocks are record lists, charts (their definitions in the blocks' options), content and a calendar;
three workflows and a history of their jobs.

Values are strings, as the server keeps them: bools "1"/"0", dates "YYYY-MM-DD", moments RFC 3339,
numbers in decimal; a related field's value is the record id and its `related` the ids, a
related_multi's value the ids joined by commas. Module fields carry `"moduleID": "0"`, as the real
server stores a module created through its API (it never sets the field's module id).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from crmtui.sandbox.crust.jobs import new_job
from crmtui.sandbox.crust.state import UTC, Sonyflake

USERS = [
    ("Alex Morgan", "alex"), ("Priya Shah", "priya"), ("Tom Byrne", "tom"), ("Sofia Lindqvist", "sofia"), ("Marcus Reed", "marcus"),
]
FIRST = "Aoife Ben Carla Dara Emeka Fiona Gareth Hana Ivan Jia Karim Lena Maya Niall Olga Pedro Quinn Rosa Sean Tara".split()
LAST = "Adams Byrne Chen Doyle Evans Fischer Garcia Hughes Jensen Kelly Lopez Murphy Nakamura Patel Rossi Schmidt".split()
COMPANY_A = "Acme Blue Bright Cedar Delta Ember Fern Granite Harbor Iron Juniper Kestrel Lumen Maple Nova Oak".split()
COMPANY_B = "Labs Logistics Foods Solar Systems Partners Dental Studio Analytics Builders Media Robotics".split()
TOPICS = ["website redesign", "fleet renewal", "CRM rollout", "office move", "annual licences", "pilot project", "support contract",
          "hardware refresh", "training days", "consulting"]
COUNTRIES = ["Germany", "Ireland", "France", "Spain", "Netherlands", "Sweden", "United Kingdom", "United States", "Japan", "Brazil"]
INDUSTRIES = ["Software", "Manufacturing", "Retail", "Healthcare", "Logistics", "Energy", "Finance", "Media"]
LEAD_STATUSES = ["New", "Contacted", "Qualified", "Unqualified"]
LEAD_SOURCES = ["Web", "Referral", "Event", "Cold call", "Partner"]
OPP_STATES = ["Prospecting", "Qualification", "Proposal", "Negotiation", "Closed Won", "Closed Lost"]
CASE_STATUSES = ["New", "Working", "Escalated", "Closed"]
PRIORITIES = ["Low", "Medium", "High"]
COUNTS = {"Account": 40, "Contact": 110, "Lead": 90, "Opportunity": 80, "Case": 45}
RECORD_PAGES = ("Account", "Lead", "Opportunity")


def field(kind: str, name: str, label: str, *, options: Any = None, required: bool = False, visible: bool = True,
          private: bool = False, max_length: int = 0, help_text: str = "", default: str = "") -> dict:
    """A module field as the server answers it (Go's ModuleField: empty helpText/defaultValue left out)."""
    out: dict[str, Any] = {"moduleID": "0", "kind": kind, "name": name, "label": label}
    if help_text:
        out["helpText"] = help_text
    if default:
        out["defaultValue"] = default
    out.update({"maxLength": max_length, "options": options, "isPrivate": private, "isRequired": required, "isVisible": visible})
    return out


def enum(*choices: str) -> dict:
    return {"options": list(choices)}


def module_fields(ids: dict[str, str]) -> dict[str, list[dict]]:
    """Each module's fields; related fields name their module in `options.moduleID`."""
    def related(module: str, label_field: str) -> dict:
        return {"moduleID": ids[module], "labelField": label_field}

    return {
        "Account": [
            field("text", "name", "Account name", required=True, max_length=120),
            field("enum", "industry", "Industry", options=enum(*INDUSTRIES)),
            field("enum", "country", "Country", options=enum(*COUNTRIES)),
            field("text", "website", "Website", max_length=200),
            field("number", "employees", "Employees", options={"precision": 0}),
            field("number", "annualRevenue", "Annual revenue", options={"precision": 2}, help_text="In EUR"),
            field("bool", "isCustomer", "Customer", default="0"),
            field("textarea", "description", "Description"),
        ],
        "Contact": [
            field("text", "firstName", "First name", required=True, max_length=64),
            field("text", "lastName", "Last name", required=True, max_length=64),
            field("email", "email", "E-mail", private=True, max_length=120),
            field("text", "phone", "Phone", private=True, max_length=32),
            field("text", "title", "Job title", max_length=80),
            field("related", "account", "Account", options=related("Account", "name")),
            field("bool", "doNotCall", "Do not call", default="0"),
            field("stamp", "birthday", "Birthday", options={"onlyDate": True}, private=True, visible=False),
            field("textarea", "notes", "Notes"),
        ],
        "Lead": [
            field("text", "firstName", "First name", max_length=64),
            field("text", "lastName", "Last name", required=True, max_length=64),
            field("text", "company", "Company", required=True, max_length=120),
            field("email", "email", "E-mail", max_length=120),
            field("enum", "status", "Status", options=enum(*LEAD_STATUSES), required=True, default="New"),
            field("enum", "source", "Lead source", options=enum(*LEAD_SOURCES)),
            field("enum", "country", "Country", options=enum(*COUNTRIES)),
            field("bool", "optIn", "Marketing opt-in", default="0"),
            field("stamp", "followUp", "Follow up", help_text="When to call back"),
            field("textarea", "notes", "Notes"),
            field("hidden", "externalRef", "External reference", visible=False),
        ],
        "Opportunity": [
            field("text", "name", "Opportunity name", required=True, max_length=120),
            field("related", "account", "Account", options=related("Account", "name"), required=True),
            field("related_multi", "contacts", "Contacts", options=related("Contact", "lastName")),
            field("number", "value", "Value", options={"precision": 2}, help_text="Expected amount in EUR"),
            field("enum", "state", "State", options=enum(*OPP_STATES), required=True, default="Prospecting"),
            field("stamp", "closeDate", "Close date", options={"onlyDate": True}),
            field("enum", "country", "Country", options=enum(*COUNTRIES)),
            field("number", "probability", "Probability (%)", options={"precision": 0}),
            field("textarea", "description", "Description"),
        ],
        "Case": [
            field("text", "subject", "Subject", required=True, max_length=160),
            field("related", "account", "Account", options=related("Account", "name")),
            field("related", "contact", "Contact", options=related("Contact", "lastName")),
            field("enum", "status", "Status", options=enum(*CASE_STATUSES), required=True, default="New"),
            field("enum", "priority", "Priority", options=enum(*PRIORITIES)),
            field("bool", "escalated", "Escalated", default="0"),
            field("stamp", "openedAt", "Opened at"),
            field("textarea", "description", "Description"),
        ],
    }


def _moment(rng: random.Random, now: dt.datetime, days_back: int) -> dt.datetime:
    day = now.date() - dt.timedelta(days=rng.randint(1, days_back))
    return dt.datetime.combine(day, dt.time(rng.randint(7, 18), rng.randint(0, 59), rng.randint(0, 59)), tzinfo=UTC)


def _stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class _Ids:
    """Sonyflake ids from given moments, unique even when two moments share a 10 ms unit."""

    def __init__(self) -> None:
        self.used: set[int] = set()

    def at(self, moment: dt.datetime) -> str:
        sequence = 0
        while (flake := Sonyflake.at(moment, sequence)) in self.used:
            sequence += 1
        self.used.add(flake)
        return str(flake)


def seed_crm(seed: int, now: dt.datetime) -> dict[str, dict[str, dict]]:
    rng = random.Random(seed)
    ids = _Ids()
    start = now - dt.timedelta(days=400)
    users: dict[str, dict] = {}
    for n, (name, handle) in enumerate(USERS):
        made = start + dt.timedelta(minutes=n)
        uid = ids.at(made)
        users[uid] = {
            "id": uid, "username": handle, "email": f"{handle}@crust.example", "name": name, "handle": handle, "kind": "",
            "createdAt": _stamp(made),
        }
    user_ids = list(users)

    module_ids = {name: ids.at(start + dt.timedelta(hours=1, minutes=n)) for n, name in enumerate(COUNTS)}
    fields = module_fields(module_ids)
    modules = {
        mid: {"id": mid, "name": name, "fields": fields[name], "createdAt": _stamp(Sonyflake.moment(int(mid)))}
        for name, mid in module_ids.items()
    }
    pages: dict[str, dict] = {}
    for n, name in enumerate(RECORD_PAGES):
        pid = ids.at(start + dt.timedelta(hours=2, minutes=n))
        pages[pid] = {
            "id": pid, "selfID": "0", "moduleID": module_ids[name], "title": f"{name} record", "description": "",
            "blocks": [{"title": name, "description": "", "options": {"moduleID": module_ids[name]}, "kind": "Record",
                        "x": 0, "y": 0, "width": 12, "height": 12}],
            "visible": False, "weight": n,
        }

    contents: dict[str, dict] = {}
    made_ids: dict[str, list[str]] = {name: [] for name in COUNTS}
    for name in COUNTS:  # accounts first: contacts, opportunities and cases point at them
        for _ in range(COUNTS[name]):
            created = _moment(rng, now, 365)
            values = _values(rng, name, made_ids, now)
            cid = ids.at(created)
            row: dict[str, Any] = {
                "id": cid, "moduleID": module_ids[name], "userID": rng.choice(user_ids),
                "columns": {c["name"]: c["value"] for c in values},
                "json": values,
                "links": {c["name"]: c["related"] for c in values if c["related"]},
                "createdAt": _stamp(created),
            }
            if rng.random() < 0.35:
                row["updatedAt"] = _stamp(created + (now - created) * rng.random())
            contents[cid] = row
            made_ids[name].append(cid)
    for cid in rng.sample(made_ids["Lead"], 3):  # a few deleted leads: never listed, never read
        contents[cid]["deletedAt"] = _stamp(now - dt.timedelta(days=2))
    pages.update(list_pages(ids, module_ids, start + dt.timedelta(hours=3)))
    workflows = seed_workflows(ids, start + dt.timedelta(hours=4))
    jobs = seed_jobs(ids, workflows, user_ids[0], now)
    return {"users": users, "modules": modules, "contents": contents, "pages": pages, "workflows": workflows, "jobs": jobs}


def _block(kind: str, title: str, options: dict, x: int, y: int, width: int = 6, height: int = 6, description: str = "") -> dict:
    """A page block as later Corteza writes them (the server keeps blocks as raw JSON)."""
    return {"title": title, "description": description, "options": options, "kind": kind, "x": x, "y": y, "width": width, "height": height}


def chart_block(title: str, module_id: str, kind: str, x: int, y: int, **params: str) -> dict:
    """A Chart block: its options are the chart's definition, the parameters of `GET /module/{moduleID}/chart`."""
    definition = {"moduleID": module_id, "name": title, "description": params.pop("description", ""), "kind": kind,
                  "xAxis": "", "yAxis": "", "groupBy": "", "sum": "", "count": "", **params}
    return _block("Chart", title, definition, x, y)


def record_list(title: str, module_id: str, fields: list[str], x: int, y: int, presort: str = "", prefilter: str = "") -> dict:
    return _block("RecordList", title, {"moduleID": module_id, "fields": fields, "presort": presort, "prefilter": prefilter,
                                        "perPage": 20}, x, y, 12)


def list_pages(ids: _Ids, module: dict[str, str], at: dt.datetime) -> dict[str, dict]:
    """The page tree (pages with no module): three top pages, children under two of them, and one page
    whose parent was deleted (the server's tree leaves such orphans out)."""
    def page(n: int, title: str, parent: str, weight: int, blocks: list[dict], description: str = "") -> dict:
        pid = ids.at(at + dt.timedelta(minutes=n))
        return {"id": pid, "selfID": parent, "moduleID": "0", "title": title, "description": description, "blocks": blocks,
                "visible": True, "weight": weight}

    opp, lead, account, case = module["Opportunity"], module["Lead"], module["Account"], module["Case"]
    sales = page(0, "Sales", "0", 1, [
        _block("Content", "Welcome", {"body": "<p>This quarter's pipeline, <b>as the records say</b>.</p>"}, 0, 0, 12, 2),
        chart_block("Value by close month", opp, "line", 0, 2, xAxis="closeDate:month", yAxis="value", sum="value"),
        chart_block("Opportunities by state", opp, "pie", 6, 2, xAxis="state", groupBy="state", count="state"),
        record_list("Open opportunities", opp, ["name", "account", "value", "state", "closeDate"], 0, 8, presort="closeDate DESC"),
    ], "The sales team's overview")
    marketing = page(1, "Marketing", "0", 2, [
        chart_block("Leads per country", lead, "bar", 0, 0, xAxis="country", groupBy="country", count="id"),
        chart_block("Follow-ups per week", lead, "line", 6, 0, xAxis="followUp:week", count="followUp"),
        record_list("New leads", lead, ["firstName", "lastName", "company", "status", "country"], 0, 6, presort="createdAt DESC",
                    prefilter="New"),
        _block("Calendar", "Follow-up calendar", {"moduleID": lead, "dateField": "followUp"}, 0, 12, 12, 6),
    ])
    service = page(2, "Service", "0", 3, [
        record_list("Cases", case, ["subject", "status", "priority", "openedAt"], 0, 0, presort="openedAt DESC"),
        chart_block("Cases by priority", case, "donut", 0, 6, xAxis="priority", groupBy="priority", count="id"),
    ])
    pipeline = page(3, "Pipeline", sales["id"], 1, [
        chart_block("Opportunities per country", opp, "bar", 0, 0, xAxis="country", groupBy="country", count="id"),
        chart_block("Value by state", opp, "donut", 6, 0, xAxis="state", groupBy="state", sum="value",
                    description="Expected amounts in EUR"),
        record_list("In negotiation", opp, ["name", "value", "closeDate"], 0, 6, prefilter="Negotiation"),
    ])
    accounts = page(4, "Accounts", sales["id"], 2, [
        record_list("Accounts", account, ["name", "industry", "country", "isCustomer"], 0, 0, presort="name ASC"),
        chart_block("Accounts by industry", account, "bar", 0, 6, xAxis="industry", groupBy="industry", count="id"),
    ])
    campaigns = page(5, "Campaigns", marketing["id"], 1, [
        _block("Content", "Spring campaign", {"body": "<h2>Spring campaign</h2><p>Trade fairs in March and April.</p>"}, 0, 0, 12, 4),
    ])
    orphan = page(6, "Old reports", ids.at(at - dt.timedelta(days=30)), 1, [
        _block("Content", "Archive", {"body": "<p>Moved to the wiki.</p>"}, 0, 0, 12, 2),
    ])
    return {p["id"]: p for p in (sales, marketing, service, pipeline, accounts, campaigns, orphan)}


def _task(name: str, body: str, retries: list[int] | None = None, timeout: int = 0, fallback: str = "") -> dict:
    return {"name": name, "body": body, "fallback": fallback, "retries": retries, "timeout": timeout}


def seed_workflows(ids: _Ids, at: dt.datetime) -> dict[str, dict]:
    """Three workflows: one that succeeds, one whose first attempt of a task fails and is retried, one that fails
    (task bodies say what a task does in the sandbox: `sleep N`, `flaky`, `exit 1`; see jobs.py)."""
    flows = [
        ("Send welcome e-mails", [_task("Select new leads", "sleep 3"), _task("Send e-mails", "sleep 10", [5])], None, 0),
        ("Nightly account sync", [_task("Fetch from ERP", "flaky; sleep 4", [10, 30], timeout=60), _task("Update accounts", "sleep 6")],
         [_task("Notify admins", "sleep 1")], 600),
        ("Export to data warehouse", [_task("Extract", "sleep 2"), _task("Load", "exit 1", [5])], [_task("Notify admins", "sleep 1")], 0),
    ]
    out = {}
    for n, (name, tasks, on_error, timeout) in enumerate(flows):
        wid = ids.at(at + dt.timedelta(minutes=n))
        out[wid] = {"id": wid, "name": name, "tasks": tasks, "onError": on_error, "timeout": timeout}
    return out


def seed_jobs(ids: _Ids, workflows: dict[str, dict], user_id: str, now: dt.datetime) -> dict[str, dict]:
    """A history of runs (finished ok, failed, cancelled) and one queued for tomorrow morning."""
    welcome, sync, export = list(workflows.values())
    out = {}
    for days, workflow, cancel_after in ((6, welcome, None), (5, sync, None), (3, export, None), (2, welcome, 8.0), (1, sync, None)):
        made = now.replace(hour=2, minute=0, second=0, microsecond=0) - dt.timedelta(days=days)
        jid = ids.at(made)
        job = new_job(jid, workflow, user_id, made.timestamp(), made.timestamp(), {"source": "schedule"})
        if cancel_after is not None:
            stopped = made.timestamp() + cancel_after
            job.update(stoppedAt=stopped, final="cancelled",
                       added=[{"at": stopped, "level": "info", "task": "", "message": "Job cancelled"}])
        out[jid] = job
    tomorrow = (now + dt.timedelta(days=1)).replace(hour=6, minute=0, second=0, microsecond=0)
    jid = ids.at(now.replace(microsecond=0) - dt.timedelta(minutes=30))
    out[jid] = new_job(jid, welcome, user_id, (now - dt.timedelta(minutes=30)).timestamp(), tomorrow.timestamp(), None)
    return out


def _column(name: str, value: str, related: list[str] | None = None) -> dict:
    return {"name": name, "value": value, "related": related}


def _person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST), rng.choice(LAST)


def _company(rng: random.Random) -> str:
    return f"{rng.choice(COMPANY_A)} {rng.choice(COMPANY_B)}"


def _values(rng: random.Random, module: str, made: dict[str, list[str]], now: dt.datetime) -> list[dict]:
    out: list[dict] = []
    if module == "Account":
        company = _company(rng)
        out += [_column("name", company), _column("industry", rng.choice(INDUSTRIES)), _column("country", rng.choice(COUNTRIES))]
        if rng.random() < 0.8:
            out.append(_column("website", "https://" + company.lower().replace(" ", "-") + ".example"))
        out += [_column("employees", str(rng.choice([5, 12, 40, 85, 230, 1200, 5400]))),
                _column("annualRevenue", f"{rng.randint(2, 900) * 10_000}.00"), _column("isCustomer", rng.choice(["1", "0"]))]
        if rng.random() < 0.4:
            out.append(_column("description", f"{company}: {rng.choice(TOPICS)}.\nMain office in {rng.choice(COUNTRIES)}."))
    elif module == "Contact":
        first, last = _person(rng)
        out += [_column("firstName", first), _column("lastName", last),
                _column("email", f"{first}.{last}@example.com".lower()), _column("phone", f"+353 1 {rng.randint(200, 999)} {rng.randint(1000, 9999)}")]
        if rng.random() < 0.7:
            out.append(_column("title", rng.choice(["CEO", "CTO", "Buyer", "Office manager", "Head of IT", "Founder"])))
        account = rng.choice(made["Account"])
        out += [_column("account", account, [account]), _column("doNotCall", "1" if rng.random() < 0.1 else "0")]
        if rng.random() < 0.5:
            out.append(_column("birthday", dt.date(rng.randint(1960, 2000), rng.randint(1, 12), rng.randint(1, 28)).isoformat()))
        if rng.random() < 0.2:
            out.append(_column("notes", f"Met at the {rng.choice(TOPICS)} workshop."))
    elif module == "Lead":
        first, last = _person(rng)
        out += [_column("firstName", first), _column("lastName", last), _column("company", _company(rng))]
        if rng.random() < 0.85:
            out.append(_column("email", f"{first[0]}{last}@example.org".lower()))
        out += [_column("status", rng.choice(LEAD_STATUSES)), _column("source", rng.choice(LEAD_SOURCES)),
                _column("country", rng.choice(COUNTRIES)), _column("optIn", rng.choice(["1", "0"]))]
        if rng.random() < 0.6:
            follow = now + dt.timedelta(days=rng.randint(-20, 30), hours=rng.randint(0, 8))
            out.append(_column("followUp", _stamp(follow.replace(minute=0, second=0, microsecond=0))))
        if rng.random() < 0.3:
            out.append(_column("notes", f"Interested in {rng.choice(TOPICS)}."))
        out.append(_column("externalRef", f"WEB-{rng.randint(10000, 99999)}"))
    elif module == "Opportunity":
        account = rng.choice(made["Account"])
        contacts = sorted(rng.sample(made["Contact"], rng.randint(0, 3)), key=int)
        state = rng.choices(OPP_STATES, weights=[3, 3, 3, 2, 3, 2])[0]
        close = now.date() + dt.timedelta(days=rng.randint(-200, 160))
        out += [_column("name", f"{_company(rng)} {rng.choice(TOPICS)}"), _column("account", account, [account]),
                _column("contacts", ",".join(contacts), contacts or None),
                _column("value", str(rng.choice([1500, 4200, 9000, 12500, 30000, 48000, 75000, 120000, 1_000_000]))),
                _column("state", state), _column("closeDate", close.isoformat()), _column("country", rng.choice(COUNTRIES)),
                _column("probability", "100" if state == "Closed Won" else "0" if state == "Closed Lost" else str(rng.choice([10, 25, 50, 75, 90])))]
        if rng.random() < 0.3:
            out.append(_column("description", f"Scope: {rng.choice(TOPICS)}."))
    else:  # Case
        account = rng.choice(made["Account"])
        contact = rng.choice(made["Contact"])
        opened = _moment(rng, now, 90)
        out += [_column("subject", f"{rng.choice(['Cannot log in', 'Invoice wrong', 'Slow exports', 'Data missing', 'Feature request'])}: {rng.choice(TOPICS)}"),
                _column("account", account, [account]), _column("contact", contact, [contact]),
                _column("status", rng.choice(CASE_STATUSES)), _column("priority", rng.choice(PRIORITIES)),
                _column("escalated", "1" if rng.random() < 0.15 else "0"), _column("openedAt", _stamp(opened))]
        if rng.random() < 0.5:
            out.append(_column("description", "Reported by phone.\nSteps to reproduce attached."))
    if rng.random() < 0.05:  # an empty value now and then, as a form leaves it
        victim = rng.randrange(len(out))
        if out[victim]["related"] is None and out[victim]["name"] not in ("name", "lastName", "subject", "company"):
            out[victim] = _column(out[victim]["name"], "")
    return out


def secret_for(seed: int) -> str:
    """The sandbox's JWT key for a seed: deterministic, so a seeded file's printed token is reproducible."""
    return f"{random.Random(seed ^ 0xC0FFEE).getrandbits(256):064x}"

"""OnePageCRM's action and stream behaviour, on top of `SandboxState`.

- One next action (status asap/date/date_time/waiting) per contact per user; the user's other open
  actions on that contact are queued (queued / queued_with_date). When a write would leave two next
  actions, the more urgent one stays next and the other is queued; on a tie (e.g. a second ASAP) the
  action just written wins.
- Stream order: ASAP > overdue > today > future (date, then time; timed before whole-day) > waiting >
  queued for me > queued for a team member > closed with comment > closed without > no action.
  Within a section by the action's text, then by first name; contacts with no action by first name.
- Conflicts: queued_with_date actions of the same user dated before a date/date_time/waiting next action.
"""

from __future__ import annotations

import datetime as dt

from crmtui.sandbox.onepagecrm.state import SandboxState, public

NEXT_STATUSES = ("asap", "date", "date_time", "waiting")
QUEUED_STATUSES = ("queued", "queued_with_date")
ALL_STATUSES = (*NEXT_STATUSES, *QUEUED_STATUSES, "done")
SWAPPABLE_NEXT = ("date", "date_time", "waiting")
INF = float("inf")

ASAP, OVERDUE, TODAY, FUTURE, WAITING, QUEUED_ME, QUEUED_TEAM, CLOSED_COMMENT, CLOSED_PLAIN, NO_ACTION = range(10)


def _date_ord(action: dict) -> float:
    value = action.get("date")
    if not value:
        return INF
    try:
        return float(dt.date.fromisoformat(value).toordinal())
    except ValueError:
        return INF


def _time(action: dict) -> float:
    if action.get("status") == "date_time" and action.get("exact_time") is not None:
        return float(action["exact_time"])
    return INF


def _text(action: dict) -> str:
    return (action.get("text") or "").strip().casefold()


def action_key(action: dict) -> tuple:
    """Order of a contact's actions: ASAP, dated (date, time), waiting, queued (date, position), done."""
    status = action.get("status")
    position = float(action.get("position") or 0)
    if action.get("done") or status == "done":
        return (5, -_date_ord({"date": action.get("done_at")}), INF, position, _text(action))
    if status == "asap":
        return (0, INF, INF, position, _text(action))
    if status in ("date", "date_time"):
        return (1, _date_ord(action), _time(action), position, _text(action))
    if status == "waiting":
        return (2, _date_ord(action), INF, position, _text(action))
    if status == "queued_with_date":
        return (3, _date_ord(action), INF, position, _text(action))
    return (4, INF, INF, position, _text(action))


def next_position(state: SandboxState, contact_id: str, user_id: str) -> int:
    positions = [a.get("position") or 0 for a in state.open_actions(contact_id, user_id)]
    return max(positions, default=0) + 1


def queue(state: SandboxState, action: dict) -> None:
    """Turn a next action into a queued one, keeping its date if it has one."""
    if action.get("date") and action.get("status") != "asap":
        action["status"] = "queued_with_date"
    else:
        action["status"] = "queued"
        action.pop("date", None)
    action.pop("exact_time", None)
    action["position"] = next_position(state, action["contact_id"], action["assignee_id"])


def normalise(state: SandboxState, contact_id: str, user_id: str, preferred_id: str | None = None) -> None:
    """Leave at most one next action for (contact, user); `preferred_id` wins ties."""
    nexts = [a for a in state.open_actions(contact_id, user_id) if a.get("status") in NEXT_STATUSES]
    if len(nexts) <= 1:
        return

    def rank(action: dict) -> tuple:
        group, date, time, _position, text = action_key(action)
        return (group, date, time, 0 if action["id"] == preferred_id else 1, text)

    nexts.sort(key=rank)
    for loser in nexts[1:]:
        queue(state, loser)
        state.save("actions", loser)


# -- stream entries ---------------------------------------------------------------------------------


def entry_parts(state: SandboxState, contact: dict, viewer: str | None) -> tuple[dict | None, list, list, list]:
    """(next_action, next_actions of all users, queued_actions, conflicts) as seen by `viewer`.

    `viewer` None is the whole account: the most urgent next action of any user is the next action.
    When the viewer has no action of their own, team members' open actions are shown as queued.
    """
    actions = state.open_actions(contact["id"])
    nexts = sorted((a for a in actions if a.get("status") in NEXT_STATUSES), key=action_key)
    if viewer is None:
        nxt = nexts[0] if nexts else None
        queued = [a for a in actions if a is not nxt]
    else:
        mine = [a for a in actions if a.get("assignee_id") == viewer]
        nxt = next((a for a in nexts if a.get("assignee_id") == viewer), None)
        queued = [a for a in mine if a is not nxt] if mine else list(actions)
    queued.sort(key=action_key)
    conflicts = []
    if nxt is not None and nxt.get("status") in SWAPPABLE_NEXT and nxt.get("date"):
        conflicts = [
            q
            for q in queued
            if q.get("status") == "queued_with_date"
            and q.get("assignee_id") == nxt.get("assignee_id")
            and _date_ord(q) < _date_ord(nxt)
        ]
    return nxt, nexts, queued, conflicts


def _name_key(contact: dict) -> tuple:
    first = (contact.get("first_name") or "").strip().casefold()
    last = (contact.get("last_name") or "").strip().casefold()
    if not first and not last:
        first = (contact.get("company_name") or "").strip().casefold()
    return (first, last, contact["id"])


def closed_comment(contact: dict, viewer: str | None) -> str | None:
    """None when the sales cycle is open for the viewer, else the closing comment ("" if none)."""
    for closed in contact.get("closed_sales") or []:
        if viewer is None or closed.get("user_id") == viewer:
            return closed.get("comment") or ""
    return None


def stream_key(state: SandboxState, contact: dict, viewer: str | None, today: dt.date) -> tuple:
    nxt, _nexts, queued, _conflicts = entry_parts(state, contact, viewer)
    if nxt is not None:
        status = nxt.get("status")
        if status == "asap":
            return (ASAP, INF, INF, _text(nxt), *_name_key(contact))
        if status == "waiting":
            return (WAITING, _date_ord(nxt), INF, _text(nxt), *_name_key(contact))
        date, day = _date_ord(nxt), today.toordinal()
        if date == INF or date == day:
            section = TODAY
        else:
            section = OVERDUE if date < day else FUTURE
        return (section, date, _time(nxt), _text(nxt), *_name_key(contact))
    if queued:
        first = min(queued, key=lambda a: float(a.get("position") or 0))
        mine = viewer is None or first.get("assignee_id") == viewer
        return (QUEUED_ME if mine else QUEUED_TEAM, INF, INF, _text(first), *_name_key(contact))
    comment = closed_comment(contact, viewer)
    if comment is not None:
        return (CLOSED_COMMENT if comment.strip() else CLOSED_PLAIN, INF, INF, "", *_name_key(contact))
    return (NO_ACTION, INF, INF, "", *_name_key(contact))


def stream_members(state: SandboxState, viewer: str | None) -> list[str]:
    """Contacts in a stream: all for the account, else those the viewer owns or has open actions on."""
    if viewer is None:
        return list(state.tables["contacts"])
    ids = set(state.contacts_by_owner.get(viewer, ()))
    for action in state.tables["actions"].values():
        if action.get("assignee_id") == viewer and not action.get("done"):
            ids.add(action["contact_id"])
    return [cid for cid in ids if cid in state.tables["contacts"]]


def stream_order(state: SandboxState, viewer: str | None) -> list[tuple[tuple, str]]:
    """The stream's (key, contact_id) list in order; cached until the next write."""
    today = state.today()
    cache_key = ("stream", viewer, today, state.version)
    cached = state.cache.get(cache_key)
    if cached is None:
        contacts = state.tables["contacts"]
        cached = sorted((stream_key(state, contacts[cid], viewer, today), cid) for cid in stream_members(state, viewer))
        state.cache[cache_key] = cached
    return cached


def team_counts(state: SandboxState) -> dict:
    """Team_stream counters as the spec defines them, "the number of entries in the action stream":
    per user the length of their stream (`team_stream?user_id=`), and for the whole account the
    length of the account's (`team_stream` / `action_stream?team=true`)."""
    cache_key = ("team_counts", state.today(), state.version)
    cached = state.cache.get(cache_key)
    if cached is None:
        cached = {
            "all": len(stream_members(state, None)),
            "users": [{"user_id": u["id"], "counts": len(stream_members(state, u["id"]))} for u in state.users()],
        }
        state.cache[cache_key] = cached
    return cached


# -- rendering --------------------------------------------------------------------------------------


def render_contact(state: SandboxState, contact: dict) -> dict:
    out = public(contact)
    deals = state.contact_deals(contact["id"])
    pending = [d for d in deals if d.get("status") == "pending"]
    out["pending_deal"] = bool(pending)
    out["total_pendings"] = float(sum(d.get("total_amount") or d.get("amount") or 0 for d in pending))
    out["total_deals_count"] = len(deals)
    out["sales_closed_for"] = [c.get("user_id") for c in contact.get("closed_sales") or []]
    out.setdefault("closed_sales", [])
    name = (contact.get("last_name") or contact.get("company_name") or "").strip()
    out["letter"] = name[:1].upper() if name[:1].isalpha() else "1" if name else ""
    return out


def render_entry(state: SandboxState, contact: dict, viewer: str | None) -> dict:
    nxt, nexts, queued, conflicts = entry_parts(state, contact, viewer)
    entry: dict = {
        "contact": render_contact(state, contact),
        "next_actions": [public(a) for a in nexts],
        "queued_actions": [public(a) for a in queued],
        "next_action_conflicts": [public(a) for a in conflicts],
    }
    if nxt is not None:
        entry["next_action"] = public(nxt)
    company = state.tables["companies"].get(contact.get("company_id") or "")
    if company is not None:
        entry["company"] = public(company)
    return entry

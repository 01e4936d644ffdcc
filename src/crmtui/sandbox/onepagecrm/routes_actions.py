"""Actions: CRUD, mark_as_done / undo_completion, promote / revert_promotion, swap, unassign."""

from __future__ import annotations

from collections.abc import Callable

from crmtui.sandbox.onepagecrm import rules
from crmtui.sandbox.onepagecrm.api import Reply, Request, Router, check_date, listing, parse_since, sort_docs
from crmtui.sandbox.onepagecrm.state import SandboxState, invalid, precondition, public

router = Router()
ACTION_SORTS = ("created_at", "modified_at", "date", "text", "status")


def _validate(state: SandboxState, body: dict, current: dict | None) -> dict:
    """The action's new fields from a request body, checked; `current` is None on create."""
    merged = {**(current or {}), **{k: v for k, v in body.items() if k in ("contact_id", "assignee_id", "status", "text", "date", "exact_time", "position")}}
    errors = {}
    if not merged.get("contact_id") or merged["contact_id"] not in state.tables["contacts"]:
        errors["contact_id"] = "contact_id is invalid or missing"
    if merged.get("assignee_id") not in state.tables["users"]:
        errors["assignee_id"] = "assignee_id is invalid"
    text = merged.get("text")
    if not isinstance(text, str) or not text.strip():
        errors["text"] = "text is invalid or missing"
    elif len(text) > 140:
        errors["text"] = "text must be at most 140 characters"
    status = merged.get("status") or "date"
    if status not in rules.ALL_STATUSES or status == "done":
        errors["status"] = f"status must be one of {', '.join(s for s in rules.ALL_STATUSES if s != 'done')}"
    merged["status"] = status
    if status in ("date", "date_time", "queued_with_date"):
        merged["date"] = check_date(merged.get("date") or state.today().isoformat(), "date")
    elif status == "waiting" and merged.get("date"):
        merged["date"] = check_date(merged["date"], "date")
    elif status in ("asap", "queued"):
        merged["date"] = None
    if status == "date_time":
        try:
            merged["exact_time"] = int(merged["exact_time"])
        except (KeyError, TypeError, ValueError):
            errors["exact_time"] = "exact_time (UNIX time) is required for date_time actions"
    else:
        merged["exact_time"] = None
    if merged.get("position") is not None and not isinstance(merged["position"], int):
        errors["position"] = "position must be a whole number"
    if errors:
        raise invalid(errors)
    return merged


def _action_reply(action: dict, status: int = 200) -> Reply:
    return Reply({"action": public(action)}, status)


def _refuse_second_next(state: SandboxState, action: dict) -> None:
    """One next action per contact and user: the spec's 409 for "an assigned next action to a contact
    which already has one assigned for a user". A second one must come as a queued action."""
    if action.get("status") not in rules.NEXT_STATUSES:
        return
    others = [
        a for a in state.open_actions(action["contact_id"], action["assignee_id"])
        if a["id"] != action.get("id") and a.get("status") in rules.NEXT_STATUSES
    ]
    if others:
        raise precondition(
            "next_action_exists",
            "This contact already has a next action for that user; add this one as a queued action, or swap",
        )


def _create(req: Request, body: dict) -> Reply:
    state = req.state
    with state.write():
        body = {"assignee_id": req.user_id, **body}
        fields = _validate(state, body, None)
        _refuse_second_next(state, fields)
        now = state.now_iso()
        action = {"id": state.new_id(), **fields, "done": False, "created_at": now}
        if action["status"] in rules.QUEUED_STATUSES and not action.get("position"):
            action["position"] = rules.next_position(state, action["contact_id"], action["assignee_id"])
        state.save("actions", action)
        rules.normalise(state, action["contact_id"], action["assignee_id"], preferred_id=action["id"])
        _notify_assignee(state, req, action)
        return _action_reply(state.tables["actions"][action["id"]], 201)


def _notify_assignee(state: SandboxState, req: Request, action: dict) -> None:
    state.notify(action["assignee_id"], req.user_id, "assigned_action", action["contact_id"], "Action assigned to you", action.get("text", ""))


@router.route("POST", "/actions")
def create_action(req: Request) -> Reply:
    return _create(req, req.body)


@router.route("POST", "/contacts/{contact_id}/actions")
def create_contact_action(req: Request) -> Reply:
    req.state.get("contacts", req.params["contact_id"], "Contact")
    return _create(req, {**req.body, "contact_id": req.params["contact_id"]})


def _list(req: Request, contact_id: str | None) -> Reply:
    state, q = req.state, req.query
    with state.lock:
        if contact_id is not None:
            state.get("contacts", contact_id, "Contact")
            ids = state.actions_by_contact.get(contact_id, ())
            items = [state.tables["actions"][a] for a in ids]
        else:
            items = list(state.tables["actions"].values())
        done = req.flag("done")
        since = parse_since(q["modified_since"]) if q.get("modified_since") else None
        if q.get("contact_id"):
            items = [a for a in items if a.get("contact_id") == q["contact_id"]]
        if q.get("assignee_id"):
            items = [a for a in items if a.get("assignee_id") == q["assignee_id"]]
        if q.get("status"):
            items = [a for a in items if a.get("status") == q["status"]]
        if q.get("company_id"):
            contacts = state.tables["contacts"]
            items = [a for a in items if contacts.get(a["contact_id"], {}).get("company_id") == q["company_id"]]
        if done is not None:
            items = [a for a in items if bool(a.get("done")) == done]
        if since is not None:
            items = [a for a in items if (a.get("modified_at") or "") >= since]
        items.sort(key=lambda a: (rules.action_key(a), a["id"]))
        items = sort_docs(items, req, ACTION_SORTS)
        return Reply(listing("actions", items, req, lambda a: {"action": public(a)}))


@router.route("GET", "/actions")
def list_actions(req: Request) -> Reply:
    return _list(req, None)


@router.route("GET", "/contacts/{contact_id}/actions")
def list_contact_actions(req: Request) -> Reply:
    return _list(req, req.params["contact_id"])


@router.route("GET", "/actions/{action_id}")
def get_action(req: Request) -> Reply:
    return _action_reply(req.state.get("actions", req.params["action_id"], "Action"))


@router.route("PUT", "/actions/{action_id}")
def update_action(req: Request) -> Reply:
    state = req.state
    with state.write():
        current = state.get("actions", req.params["action_id"], "Action")
        if current.get("done"):
            raise precondition("action_completed", "A completed action cannot be edited; undo its completion first")
        fields = _validate(state, req.body, {k: v for k, v in current.items() if k != "done"})
        action = {**current, **fields}
        _refuse_second_next(state, action)
        old_key = (current["contact_id"], current["assignee_id"])
        if action["status"] in rules.QUEUED_STATUSES and current.get("status") not in rules.QUEUED_STATUSES and not req.body.get("position"):
            action["position"] = rules.next_position(state, action["contact_id"], action["assignee_id"])
        state.save("actions", action)
        rules.normalise(state, action["contact_id"], action["assignee_id"], preferred_id=action["id"])
        if old_key != (action["contact_id"], action["assignee_id"]):
            _notify_assignee(state, req, action)
        return _action_reply(state.tables["actions"][action["id"]])



@router.route("DELETE", "/actions/{action_id}")
def delete_action(req: Request) -> Reply:
    state = req.state
    with state.write():
        action = state.get("actions", req.params["action_id"], "Action")
        state.remove("actions", req.params["action_id"])
        contact = state.tables["contacts"].get(action.get("contact_id", ""))
        if contact is not None:  # the contact's actions changed: it counts as modified (modified_since)
            state.save("contacts", dict(contact))
    return Reply({})


def _mutate(req: Request, change: Callable[[SandboxState, dict], str | None]) -> Reply:
    state = req.state
    with state.write():
        action = dict(state.get("actions", req.params["action_id"], "Action"))
        preferred = change(state, action)
        state.save("actions", action)
        if not action.get("done"):
            rules.normalise(state, action["contact_id"], action["assignee_id"], preferred_id=preferred)
        return _action_reply(state.tables["actions"][action["id"]])


@router.route("PUT", "/actions/{action_id}/mark_as_done")
def mark_as_done(req: Request) -> Reply:
    def change(state: SandboxState, action: dict) -> None:
        if action.get("done"):
            return None
        action["_status_before_done"] = action.get("status")
        action.update(done=True, status="done", done_at=state.today().isoformat())
        return None

    return _mutate(req, change)


@router.route("PUT", "/actions/{action_id}/undo_completion")
def undo_completion(req: Request) -> Reply:
    def change(state: SandboxState, action: dict) -> None:
        if not action.get("done"):
            return None
        previous = action.pop("_status_before_done", None) or ("date" if action.get("date") else "asap")
        action.update(done=False, status=previous, done_at=None)
        if previous in rules.NEXT_STATUSES and any(
            a.get("status") in rules.NEXT_STATUSES for a in state.open_actions(action["contact_id"], action["assignee_id"]) if a["id"] != action["id"]
        ):
            rules.queue(state, action)  # a next action was set meanwhile: come back as queued
        return None

    return _mutate(req, change)


@router.route("PUT", "/actions/{action_id}/promote")
def promote(req: Request) -> Reply:
    def change(state: SandboxState, action: dict) -> str:
        if action.get("done") or action.get("status") not in rules.QUEUED_STATUSES:
            raise precondition("action_not_queued", "Only a queued action can be promoted")
        if action.get("assignee_id") != req.user_id:
            raise precondition("action_not_yours", "Only your own queued action can be promoted")
        if any(a.get("status") in rules.NEXT_STATUSES for a in state.open_actions(action["contact_id"], req.user_id)):
            raise precondition("next_action_exists", "This contact already has a next action for you; swap instead")
        action["_promoted_from"] = action["status"]
        action["status"] = "date" if action.get("date") else "asap"
        return action["id"]

    return _mutate(req, change)


@router.route("PUT", "/actions/{action_id}/revert_promotion")
def revert_promotion(req: Request) -> Reply:
    def change(state: SandboxState, action: dict) -> None:
        previous = action.pop("_promoted_from", None)
        if previous and not action.get("done") and action.get("status") in rules.NEXT_STATUSES:
            action["status"] = previous
            if previous == "queued":
                action["date"] = None
        return None

    return _mutate(req, change)


@router.route("PUT", "/actions/{action_id}/swap")
def swap(req: Request) -> Reply:
    state = req.state
    with state.write():
        queued = dict(state.get("actions", req.params["action_id"], "Action"))
        mine = [a for a in state.open_actions(queued["contact_id"], req.user_id) if a.get("status") in rules.NEXT_STATUSES]
        current = mine[0] if mine else None
        problem = None
        if queued.get("done") or queued.get("status") != "queued_with_date":
            problem = "The action to swap in must be a queued action with a date"
        elif queued.get("assignee_id") != req.user_id:
            problem = "Both actions must be assigned to you"
        elif current is None:
            problem = "There is no next action to swap with; promote instead"
        elif current.get("status") not in rules.SWAPPABLE_NEXT or not current.get("date"):
            problem = "The next action must be dated or waiting"
        elif str(queued.get("date")) >= str(current.get("date")):
            problem = "The queued action must be due before the next action"
        if problem:
            raise precondition("swap_not_allowed", problem)
        assert current is not None  # (no next action is a problem above)
        current = dict(current)
        queued["status"] = "date"
        queued.pop("position", None)
        current["status"] = "queued_with_date"
        current["exact_time"] = None
        current["position"] = rules.next_position(state, current["contact_id"], req.user_id)
        state.save("actions", current)
        state.save("actions", queued)
        return _action_reply(queued)


@router.route("PUT", "/actions/{action_id}/unassign")
def unassign(req: Request) -> Reply:
    assignee = req.body.get("assignee_id") or req.user_id
    if assignee not in req.state.tables["users"]:
        raise invalid({"assignee_id": "assignee_id is invalid"})

    def change(state: SandboxState, action: dict) -> str:
        if action.get("assignee_id") != assignee:
            action["assignee_id"] = assignee
            if action.get("status") in rules.QUEUED_STATUSES:
                action["position"] = rules.next_position(state, action["contact_id"], assignee)
            _notify_assignee(state, req, action)
        return action["id"]

    return _mutate(req, change)

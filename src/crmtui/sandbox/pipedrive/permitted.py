"""GET /leads/{id}/permittedUsers: the ids of the users who may see a lead, from its `visible_to`.

Pipedrive's visibility values, and the rule the sandbox follows for each (users that are not
active are never listed; the answer is sorted by id):

- 1, "owner & followers": the lead's owner and the account's admins (admins see everything; the
  sandbox has no followers on leads).
- 3, "entire company": every active user.
- 5, "owner's visibility group": the sandbox has no visibility groups, so it stands in with the
  owner's live legacy teams: the owner, the admins and every member of a team the owner is in.
- 7, "owner's visibility group and sub-groups" (the whole company on most plans): every active user.

An unknown lead answers 404 "Lead not found", as GET /leads/{id} does.
"""

from __future__ import annotations

from crmtui.sandbox.pipedrive.routes import Request, ok, route
from crmtui.sandbox.pipedrive.state import PipedriveState, is_admin, not_found


def permitted_user_ids(state: PipedriveState, lead: dict) -> list[int]:
    """The ids of the active users who may see `lead`, by the rule in the module's docstring."""
    active = [u for u in state.users() if u.get("active_flag", True) and not u.get("is_deleted")]
    visible = str(lead.get("visible_to") or "3")
    if visible in ("3", "7"):
        return [u["id"] for u in active]
    owner = lead.get("owner_id")
    allowed = {owner} | {u["id"] for u in active if is_admin(u)}
    if visible == "5":
        for team in state.tables["teams"].values():
            if not team.get("deleted_flag") and owner in team.get("users", ()):
                allowed.update(team["users"])
    return [u["id"] for u in active if u["id"] in allowed]


@route("GET", "/leads/{id}/permittedUsers")
def lead_permitted_users(req: Request) -> tuple[int, dict]:
    lead = req.state.tables["leads"].get(req.params["id"])
    if lead is None:
        raise not_found("lead")
    return ok(permitted_user_ids(req.state, lead))

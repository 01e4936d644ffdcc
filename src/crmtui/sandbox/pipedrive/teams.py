"""Legacy teams (deprecated in the spec): GET/POST /legacyTeams, GET/PUT /legacyTeams/{id},
GET/POST/DELETE /legacyTeams/{id}/users, GET /legacyTeams/user/{id}.

Writes need an admin's token; anyone else gets the API's 403 JSON "You do not have permissions to
do this.". `deleted_flag: 1` hides a team from the lists and from its users' routes (its own read
still answers, with the flag); PUT can set it back to 0. The manager is always one of the team's
users. POST and DELETE on a team's users answer its users afterwards.
"""

from __future__ import annotations

from typing import Any

from crmtui.sandbox.pipedrive.routes import Request, ok, route
from crmtui.sandbox.pipedrive.state import ApiError, PipedriveState, invalid, is_admin, plain

ORDER_BY = ("id", "name", "manager_id", "active_flag")


def forbidden() -> ApiError:
    return ApiError(403, "You do not have permissions to do this.", "Please check developers.pipedrive.com")


def not_found() -> ApiError:
    return ApiError(404, "Team not found", "Please check developers.pipedrive.com")


def _admin(req: Request) -> None:
    if not is_admin(req.user):
        raise forbidden()


def _team(req: Request, *, live: bool = False) -> dict:
    raw = req.params["id"]
    team = req.state.tables["teams"].get(raw) if raw.isdigit() else None
    if team is None or (live and team["deleted_flag"]):
        raise not_found()
    return team


def _render(team: dict, skip_users: bool) -> dict:
    out = dict(team)
    if skip_users:
        del out["users"]
    return out


def _listing(req: Request, teams: list[dict]) -> tuple[int, dict]:
    order = req.query.get("order_by") or "id"
    if order not in ORDER_BY:
        raise invalid(f'"order_by" must be one of [{", ".join(ORDER_BY)}]')
    skip = _skip_users(req)
    teams = sorted((t for t in teams if not t["deleted_flag"]), key=lambda t: (t[order], t["id"]))
    return ok([_render(t, skip) for t in teams])


def _skip_users(req: Request) -> bool:
    raw = req.query.get("skip_users") or "0"
    if raw not in ("0", "1"):
        raise invalid('"skip_users" must be one of [0, 1]')
    return raw == "1"


def _user_ids(state: PipedriveState, value: object, name: str = "users") -> list[int]:
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise invalid(f'"{name}" must be an array of user ids')
    unknown = [v for v in value if str(v) not in state.tables["users"]]
    if unknown:
        raise invalid(f'"{name}" user {unknown[0]} does not exist')
    return list(dict.fromkeys(value))


def _check(state: PipedriveState, body: dict, creating: bool) -> dict[str, Any]:
    allowed = {"name", "description", "manager_id", "users"} | (set() if creating else {"active_flag", "deleted_flag"})
    out: dict[str, Any] = {}
    for name, value in body.items():
        if name not in allowed:
            raise invalid(f'"{name}" is not allowed')
        if name == "name" and (not isinstance(value, str) or not value.strip()):
            raise invalid('"name" must be a non-empty string')
        if name == "description" and not isinstance(value, str):
            raise invalid('"description" must be a string')
        if name == "manager_id":
            if not isinstance(value, int) or isinstance(value, bool) or str(value) not in state.tables["users"]:
                raise invalid('"manager_id" must be the id of a user')
        if name == "users":
            value = _user_ids(state, value)
        if name in ("active_flag", "deleted_flag") and (value not in (0, 1) or isinstance(value, bool)):
            raise invalid(f'"{name}" must be one of [0, 1]')
        out[name] = value
    if creating:
        for name in ("name", "manager_id"):
            if name not in out:
                raise invalid(f'"{name}" is required')
    return out


@route("GET", "/legacyTeams")
def teams_list(req: Request) -> tuple[int, dict]:
    return _listing(req, list(req.state.tables["teams"].values()))


@route("POST", "/legacyTeams")
def teams_create(req: Request) -> tuple[int, dict]:
    _admin(req)
    fields = _check(req.state, req.body, True)
    state = req.state
    with state.write():
        tid = int(state.next_int_id("teams"))
        users = list(dict.fromkeys([fields["manager_id"], *fields.get("users", [])]))
        team = {
            "id": tid, "name": fields["name"], "description": fields.get("description", ""), "manager_id": fields["manager_id"],
            "users": users, "active_flag": 1, "deleted_flag": 0, "add_time": plain(state.clock.now()),
            "created_by_user_id": req.user["id"],
        }
        state.save("teams", team)
    return ok(team)


@route("GET", "/legacyTeams/{id}")
def teams_get(req: Request) -> tuple[int, dict]:
    return ok(_render(_team(req), _skip_users(req)))


@route("PUT", "/legacyTeams/{id}")
def teams_update(req: Request) -> tuple[int, dict]:
    _admin(req)
    team = _team(req)
    fields = _check(req.state, req.body, False)
    with req.state.write():
        changed = {**team, **fields}
        changed["users"] = list(dict.fromkeys([changed["manager_id"], *changed["users"]]))
        req.state.save("teams", changed)
    return ok(changed)


@route("GET", "/legacyTeams/{id}/users")
def team_users(req: Request) -> tuple[int, dict]:
    return ok(list(_team(req, live=True)["users"]))


@route("POST", "/legacyTeams/{id}/users")
def team_users_add(req: Request) -> tuple[int, dict]:
    _admin(req)
    team = _team(req, live=True)
    users = _user_ids(req.state, req.body.get("users"))
    with req.state.write():
        changed = {**team, "users": list(dict.fromkeys([*team["users"], *users]))}
        req.state.save("teams", changed)
    return ok(changed["users"])


@route("DELETE", "/legacyTeams/{id}/users")
def team_users_remove(req: Request) -> tuple[int, dict]:
    _admin(req)
    team = _team(req, live=True)
    users = _user_ids(req.state, req.body.get("users"))
    if team["manager_id"] in users:
        raise invalid('"users" may not remove the team\'s manager')
    with req.state.write():
        changed = {**team, "users": [u for u in team["users"] if u not in users]}
        req.state.save("teams", changed)
    return ok(changed["users"])


@route("GET", "/legacyTeams/user/{id}")
def user_teams(req: Request) -> tuple[int, dict]:
    raw = req.params["id"]
    if not raw.isdigit() or raw not in req.state.tables["users"]:
        raise ApiError(404, "User not found", "Please check developers.pipedrive.com")
    uid = int(raw)
    return _listing(req, [t for t in req.state.tables["teams"].values() if uid in t["users"]])

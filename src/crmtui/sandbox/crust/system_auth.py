"""The system API's `/auth` routes, served under `/system` (the real server runs the system API
apart from the CRM API; it has no `/system` path of its own, so the prefix cannot clash).

As at the spec's commit (system/rest/auth.go):
- `POST /auth/login` never reads its request (`NewAuthLogin()` without `Fill`), so it looks for a
  user with the e-mail "" and then the username "" and answers "sql: no rows in result set". With
  the sandbox's `login_works` switch (a later server) it reads `username` (or e-mail) and
  `password`, answers "Password doesn't match" or the user, and sets the `jwt` cookie.
- `GET /auth/check` answers {jwt, user} for a valid `jwt` cookie and sets it again; with no cookie
  "http: named cookie not present"; a cookie whose user is not valid gets an expired cookie and no body.
- `GET /auth/logout` sets an expired cookie, no body.
A token that is there and bad is refused before any of them, as on every route.
"""

from __future__ import annotations

import datetime as dt
from email.utils import format_datetime
from http.cookies import CookieError, SimpleCookie
from typing import Any

from crmtui.sandbox.crust import jwt
from crmtui.sandbox.crust.godecode import GoField, GoJsonError, decode_struct
from crmtui.sandbox.crust.routes import Reply, Request, route, user_json
from crmtui.sandbox.crust.state import UTC, CrustError, no_rows

PASSWORD = "crust-sandbox"
"""Every seeded user's password (for the `login_works` switch)."""
LOGIN_BODY = [GoField("Username", "username", "string"), GoField("Password", "password", "string")]


def _cookie(value: str, expires: dt.datetime) -> tuple[str, str]:
    """Go's http.Cookie{Name: "jwt", Path: "/", Expires: ...}.String()."""
    return "Set-Cookie", f"jwt={value}; Path=/; Expires={format_datetime(expires.astimezone(UTC), usegmt=True)}"


def _expired() -> tuple[str, str]:
    return _cookie("", dt.datetime(1970, 1, 1, tzinfo=UTC))


def _jwt_cookie(header: str | None) -> str | None:
    if not header:
        return None
    cookie: SimpleCookie = SimpleCookie()
    try:
        cookie.load(header)
    except CookieError:
        return None
    morsel = cookie.get("jwt")
    return None if morsel is None else morsel.value


def _find_user(req: Request, login: str) -> dict:
    users = req.state.users()
    found = next((u for u in users if u["email"] == login), None) or next((u for u in users if u["username"] == login), None)
    if found is None:
        raise no_rows()
    return found


def _signed_in(req: Request, user: dict) -> tuple[str, tuple[str, str]]:
    now = req.state.clock.now()
    token = jwt.issue(user["id"], req.state.secret, now.timestamp(), req.jwt_minutes)
    return token, _cookie(token, now + dt.timedelta(minutes=req.jwt_minutes))


@route("POST", "/system/auth/login", anonymous=True)
def login(req: Request) -> Any:
    username = password = ""
    if req.login_works:
        try:
            sent = decode_struct(req.body.json, "request.AuthLogin", LOGIN_BODY)
        except GoJsonError as exc:
            raise CrustError(f"error parsing http request body: {exc}") from None
        username = req.body.form.get("username", sent.get("username", ""))
        password = req.body.form.get("password", sent.get("password", ""))
    with req.state.lock:
        user = _find_user(req, username)
        if password != PASSWORD:
            raise CrustError("Password doesn't match")
        _, cookie = _signed_in(req, user)
        return Reply({"response": user_json(user)}, [cookie])


@route("GET", "/system/auth/check", anonymous=True)
def check(req: Request) -> Any:
    value = _jwt_cookie(req.cookie_header)
    if value is None:
        raise CrustError("http: named cookie not present")
    with req.state.lock:
        user = req.state.tables["users"].get(str(req.user_id)) if req.user_id else None
        if user is None:
            return Reply(None, [_expired()])
        _, cookie = _signed_in(req, user)
        outgoing = {"ID": user["id"], "name": user["name"], "email": user["email"], "username": user["username"],
                    "handle": user["handle"], "connections": 0}
        return Reply({"response": {"jwt": value, "user": outgoing}}, [cookie])


@route("GET", "/system/auth/logout", anonymous=True)
def logout(req: Request) -> Any:
    return Reply(None, [_expired()])

"""The Crust sandbox's behaviour over real HTTP (httpx on loopback): the seed, 0-based paging clamped to
10..100, the query filter and the sort grammar with its quirks, record writes as the real server does
them (whole-row replacement), errors as HTTP 200 worded as the real server words them, JWT auth from
header, cookie or query with expiry on the frozen clock (no sleeps: the tests move the clock with
`crust_sandbox.advance`), chi's 404/405, chaos, persistence and the command line."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest

from crmtui.sandbox.crust import jwt
from crmtui.sandbox.crust.seed import seed_crm
from crmtui.sandbox.crust.server import ForeignDataError, SandboxOptions, start_sandbox
from tests.support.waits import HANG_GUARD

KINDS = {"bool", "email", "enum", "stamp", "text", "textarea", "related", "related_multi", "hidden", "number"}
GO_NOW = "2026-03-10T09:00:00Z"
"""The frozen clock's moment as the server answers a moment it has just made."""
NO_ROWS = {"error": {"message": "sql: no rows in result set"}}


@pytest.fixture
def http(crust_sandbox):
    with httpx.Client(base_url=crust_sandbox.base_url, headers={"Authorization": f"Bearer {crust_sandbox.token}"},
                      timeout=HANG_GUARD) as client:
        yield client


@pytest.fixture
def modules(http: httpx.Client) -> dict[str, dict]:
    return {m["name"]: m for m in ok(http.get("/module/"))}


def ok(response: httpx.Response) -> object:
    """The payload of a success: HTTP 200, application/json, {"response": ...}."""
    assert response.status_code == 200 and response.headers["content-type"] == "application/json", response.text
    body = response.json()
    assert set(body) == {"response"}, body
    return body["response"]


def error(response: httpx.Response) -> str:
    """The message of an error: HTTP 200 too, {"error": {"message": ...}}."""
    assert response.status_code == 200 and response.headers["content-type"] == "application/json", response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"message"}, body
    return str(body["error"]["message"])


def records(http: httpx.Client, module_id: str, **params: object) -> list[dict]:
    out: list[dict] = []
    page = 0
    while True:
        answer = ok(http.get(f"/module/{module_id}/content", params={**params, "page": page, "perPage": 37}))
        assert isinstance(answer, dict)
        out += answer["contents"]
        if (page + 1) * 37 >= answer["meta"]["count"]:
            assert len(out) == answer["meta"]["count"]
            return out
        page += 1


def values(record: dict) -> dict[str, str]:
    return {f["name"]: f["value"] for f in record["fields"]}


# -- the seed --------------------------------------------------------------------------------------


def test_seed_has_the_promised_modules_kinds_and_ids(crust_sandbox, http: httpx.Client, modules: dict[str, dict]) -> None:
    assert list(modules) == ["Account", "Contact", "Lead", "Opportunity", "Case"]
    kinds = {f["kind"] for m in modules.values() for f in m["fields"]}
    assert kinds == KINDS
    opportunity = {f["name"]: f for f in modules["Opportunity"]["fields"]}
    assert {"value", "state", "closeDate", "country"} <= set(opportunity)
    assert opportunity["state"]["options"]["options"][-1] == "Closed Lost"
    assert opportunity["account"]["options"]["moduleID"] == modules["Account"]["moduleID"]
    total = 0
    for module in modules.values():
        assert "page" not in module  # the list never preloads the record page
        rows = records(http, module["moduleID"])
        total += len(rows)
        ids = [r["contentID"] for r in rows]
        assert len(set(ids)) == len(ids)
        for row in rows:
            assert isinstance(row["contentID"], str) and int(row["contentID"]) > 2**53
            assert int(float(row["contentID"])) != int(row["contentID"])  # a float would round it
            assert row["moduleID"] == module["moduleID"] and row["user"]["userID"] == row["userID"]
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", row["createdAt"])
            assert row["createdAt"] < GO_NOW
    assert 300 <= total <= 500
    deleted = [r for r in crust_sandbox.state.tables["contents"].values() if r.get("deletedAt")]
    assert len(deleted) == 3 and all(r["id"] not in {x["contentID"] for x in records(http, r["moduleID"])} for r in deleted)


def test_the_seed_is_deterministic() -> None:
    now = dt.datetime(2026, 3, 10, 9, tzinfo=dt.timezone.utc)
    assert seed_crm(42, now) == seed_crm(42, now)
    assert seed_crm(42, now)["contents"] != seed_crm(43, now)["contents"]


def test_related_fields_point_at_records_of_their_module(http: httpx.Client, modules: dict[str, dict]) -> None:
    accounts = {r["contentID"] for r in records(http, modules["Account"]["moduleID"])}
    contacts = {r["contentID"] for r in records(http, modules["Contact"]["moduleID"])}
    multi = 0
    for row in records(http, modules["Opportunity"]["moduleID"]):
        fields = {f["name"]: f for f in row["fields"]}
        assert fields["account"]["related"] == [fields["account"]["value"]] and fields["account"]["value"] in accounts
        linked = fields["contacts"]["related"] or []
        assert set(linked) <= contacts and fields["contacts"]["value"] == ",".join(linked)
        multi += len(linked) > 1
    assert multi > 5


def test_field_kinds(http: httpx.Client) -> None:
    kinds = ok(http.get("/field/"))
    assert isinstance(kinds, list)
    assert [k["name"] for k in kinds] == sorted(k["name"] for k in kinds)
    assert {k["type"] for k in kinds} == KINDS - {"number"}
    assert ok(http.get("/field/EMAIL")) == {"name": "E-mail input", "type": "email"}
    assert ok(http.get("/field")) == kinds  # the collection with or without its slash
    assert http.get("/field/nope").json() == NO_ROWS


# -- paging, query, sort -----------------------------------------------------------------------------


@pytest.mark.parametrize(("sent", "served"), [(None, 50), ("3", 10), ("10", 10), ("64", 64), ("500", 100), ("0", 50), ("-4", 50), ("x", 50)])
def test_per_page_is_clamped(http: httpx.Client, modules: dict[str, dict], sent: str | None, served: int) -> None:
    params = {} if sent is None else {"perPage": sent}
    answer = ok(http.get(f"/module/{modules['Contact']['moduleID']}/content", params=params))
    assert isinstance(answer, dict)
    assert answer["meta"] == {"page": 0, "perPage": served, "count": 110, "sort": ""}
    assert len(answer["contents"]) == min(served, 110)


def test_pages_are_zero_based(http: httpx.Client, modules: dict[str, dict]) -> None:
    url = f"/module/{modules['Lead']['moduleID']}/content"
    first = ok(http.get(url, params={"perPage": 10, "sort": "createdAt"}))
    negative = ok(http.get(url, params={"perPage": 10, "page": -3, "sort": "createdAt"}))
    second = ok(http.get(url, params={"perPage": 10, "page": 1, "sort": "createdAt"}))
    beyond = ok(http.get(url, params={"perPage": 10, "page": 99, "sort": "createdAt"}))
    assert isinstance(first, dict) and isinstance(negative, dict) and isinstance(second, dict) and isinstance(beyond, dict)
    assert negative["meta"]["page"] == 0 and negative["contents"] == first["contents"]
    assert second["contents"][0]["createdAt"] >= first["contents"][-1]["createdAt"]
    assert beyond["contents"] == [] and beyond["meta"]["count"] == 87  # 90 seeded, 3 deleted


def test_query_is_a_case_insensitive_substring_of_any_value(http: httpx.Client, modules: dict[str, dict]) -> None:
    everyone = records(http, modules["Contact"]["moduleID"])
    name = values(everyone[0])["lastName"]
    found = records(http, modules["Contact"]["moduleID"], query=name.upper()[1:-1])
    expected = [r for r in everyone if any(name.lower()[1:-1] in v.lower() for v in values(r).values())]
    assert found and [r["contentID"] for r in found] == [r["contentID"] for r in expected]
    answer = ok(http.get(f"/module/{modules['Contact']['moduleID']}/content", params={"query": "zzzz-none"}))
    assert answer == {"meta": {"query": "zzzz-none", "page": 0, "perPage": 50, "count": 0, "sort": ""}, "contents": []}
    # LIKE's wildcards are wildcards
    assert len(records(http, modules["Contact"]["moduleID"], query="%")) == len(everyone)


def test_sort_grammar_and_its_quirks(http: httpx.Client, modules: dict[str, dict]) -> None:
    mid = modules["Account"]["moduleID"]
    plain = records(http, mid)
    assert [int(r["contentID"]) for r in plain] == sorted(int(r["contentID"]) for r in plain)  # empty sort: id ASC, not the doc's DESC
    by_name = records(http, mid, sort="name DESC")
    assert [values(r)["name"] for r in by_name] == sorted((values(r)["name"] for r in plain), reverse=True)
    newest = records(http, mid, sort="createdAt desc")
    assert [r["createdAt"] for r in newest] == sorted((r["createdAt"] for r in plain), reverse=True)
    # a space after the comma makes three parts of " name ASC": the chunk is skipped
    assert records(http, mid, sort="country DESC, name ASC") == records(http, mid, sort="country DESC")
    assert records(http, mid, sort="country DESC,name ASC") != records(http, mid, sort="country DESC")
    assert records(http, mid, sort="nothing DESC") == list(reversed(plain))  # an unknown name sorts by id
    # field values sort as strings: "9000" after "75000"
    numbers = [values(r)["employees"] for r in records(http, mid, sort="employees")]
    assert numbers == sorted(numbers)
    message = error(http.get(f"/module/{mid}/content", params={"sort": "name  DESC"}))
    assert message.startswith("Error 1064: You have an error in your SQL syntax;")


def test_listing_an_unknown_module(http: httpx.Client) -> None:
    assert http.get("/module/123/content").json() == NO_ROWS
    assert http.get("/module/abc/content").json() == NO_ROWS  # a bad id is 0


# -- modules -----------------------------------------------------------------------------------------


def test_module_reads_need_a_record_page(http: httpx.Client, modules: dict[str, dict]) -> None:
    account = ok(http.get(f"/module/{modules['Account']['moduleID']}"))
    assert isinstance(account, dict) and account["page"]["moduleID"] == modules["Account"]["moduleID"]
    assert account["fields"] == modules["Account"]["fields"]
    for name in ("Contact", "Case"):
        assert http.get(f"/module/{modules[name]['moduleID']}").json() == NO_ROWS


def test_module_create_edit_delete(crust_sandbox, http: httpx.Client) -> None:
    fields = [{"kind": "text", "name": "title", "label": "Title", "isRequired": True, "maxLength": 80},
              {"kind": "enum", "name": "size", "label": "Size", "options": {"options": ["S", "M", "L"]}}]
    made = ok(http.post("/module/", json={"name": "Tickets", "fields": fields}))
    assert isinstance(made, dict)
    assert made["name"] == "Tickets" and made["createdAt"] == GO_NOW and "updatedAt" not in made
    assert made["fields"][0] == {"moduleID": "0", "kind": "text", "name": "title", "label": "Title", "maxLength": 80, "options": None,
                                 "isPrivate": False, "isRequired": True, "isVisible": False}
    assert int(made["moduleID"]) > 2**53
    listed = ok(http.get("/module"))
    assert isinstance(listed, list) and listed[-1]["moduleID"] == made["moduleID"]  # ids are time-ordered
    assert http.get(f"/module/{made['moduleID']}").json() == NO_ROWS  # no record page

    crust_sandbox.advance(90)
    edited = ok(http.post(f"/module/{made['moduleID']}", json={"name": "Tickets 2", "fields": fields[:1]}))
    assert isinstance(edited, dict)
    assert edited["name"] == "Tickets 2" and len(edited["fields"]) == 1
    assert edited["createdAt"] == GO_NOW and edited["updatedAt"] == "2026-03-10T09:01:30Z"

    assert error(http.post("/module/", json={"name": "Empty", "fields": []})) == "Error creating module: no fields"
    assert error(http.post(f"/module/{made['moduleID']}", json={"name": "x"})) == "Error updating module: no fields"
    assert error(http.post("/module/0", json={"name": "x", "fields": fields})) == "Error updating module: invalid ID"
    assert error(http.post("/module/77", json={"name": "x", "fields": fields})) == (
        "Error while loading module for update: sql: no rows in result set"
    )
    assert http.delete(f"/module/{made['moduleID']}").json() == {"success": {"message": "OK"}}
    assert http.delete("/module/77").json() == {"success": {"message": "OK"}}  # no check
    assert made["moduleID"] not in {m["moduleID"] for m in ok(http.get("/module/"))}  # type: ignore[union-attr]
    assert http.get(f"/module/{made['moduleID']}/content").json() == NO_ROWS


def test_json_is_read_only_under_exactly_application_json(http: httpx.Client) -> None:
    body = b'{"name": "Tickets", "fields": [{"kind": "text", "name": "t"}]}'
    for content_type in ("application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded"):
        answer = http.post("/module/", content=body, headers={"Content-Type": content_type})
        assert error(answer) == "Error creating module: no fields", content_type
    answer = http.post("/module/", content=body, headers={"Content-Type": "Application/JSON"})
    assert ok(answer)["name"] == "Tickets"  # type: ignore[index]


def test_body_errors_are_worded_as_go_words_them(http: httpx.Client, modules: dict[str, dict]) -> None:
    def sent(body: bytes, path: str = "/module/") -> str:
        return error(http.post(path, content=body, headers={"Content-Type": "application/json"}))

    assert sent(b"{nope") == "error parsing http request body: invalid character 'n' looking for beginning of object key string"
    assert sent(b"xyz") == "error parsing http request body: invalid character 'x' looking for beginning of value"
    assert sent(b'{"name": "a", ') == "error parsing http request body: unexpected EOF"
    assert sent(b'{"name": 5}') == (
        "error parsing http request body: json: cannot unmarshal number into Go struct field ModuleCreate.Name of type string"
    )
    assert sent(b'{"name": "a", "fields": [{"kind": "text", "isRequired": "yes"}]}') == (
        "error parsing http request body: json: cannot unmarshal string into Go struct field ModuleField.isRequired of type bool"
    )
    assert sent(b"") == "Error creating module: no fields"  # an empty body is no error
    assert sent(b'{"moduleID": 5}') == "Error creating module: no fields"  # ModuleCreate has no such field
    assert sent(b'{"moduleID": 5}', f"/module/{modules['Lead']['moduleID']}") == (
        "error parsing http request body: json: invalid use of ,string struct tag, trying to unmarshal unquoted value into uint64"
    )
    content = f"/module/{modules['Lead']['moduleID']}/content"
    assert sent(b"{}", content) == "No content: unexpected end of JSON input"
    assert sent(b'{"fields": {"name": "x"}}', content) == (
        "No content: json: cannot unmarshal object into Go value of type []types.ContentColumn"
    )
    assert sent(b'{"fields": [{"name": "lastName", "value": 7}]}', content) == (
        "No content: json: cannot unmarshal number into Go struct field ContentColumn.value of type string"
    )


# -- records -----------------------------------------------------------------------------------------


def test_create_and_read_a_record(crust_sandbox, http: httpx.Client, modules: dict[str, dict]) -> None:
    mid = modules["Lead"]["moduleID"]
    sent = [{"name": "notes", "value": "From the fair"}, {"name": "lastName", "value": "Quinn"}, {"name": "company", "value": "Oak Labs"},
            {"name": "legacy", "value": "kept"}]
    made = ok(http.post(f"/module/{mid}/content", json={"fields": sent}))
    assert isinstance(made, dict)
    assert made["moduleID"] == mid and made["userID"] == crust_sandbox.user_id and made["user"]["name"] == "Alex Morgan"
    assert made["createdAt"] == GO_NOW and "updatedAt" not in made and "page" not in made
    # fields come back in the module's order, names the module lacks first
    assert [f["name"] for f in made["fields"]] == ["legacy", "lastName", "company", "notes"]
    read = ok(http.get(f"/module/{mid}/content/{made['contentID']}"))
    assert isinstance(read, dict)
    assert read["page"]["moduleID"] == mid and read["fields"] == made["fields"] and read["createdAt"] == GO_NOW
    assert ok(http.get(f"/module/{modules['Case']['moduleID']}/content/{made['contentID']}")) == read  # by id alone... with Lead's page
    listed = records(http, mid, sort="createdAt DESC")
    assert listed[0]["contentID"] == made["contentID"]


def test_single_reads_fail_without_a_record_page(http: httpx.Client, modules: dict[str, dict]) -> None:
    contact = records(http, modules["Contact"]["moduleID"])[0]
    assert http.get(f"/module/{modules['Contact']['moduleID']}/content/{contact['contentID']}").json() == NO_ROWS
    assert http.get(f"/module/{modules['Contact']['moduleID']}/content/12345").json() == NO_ROWS


def test_an_edit_replaces_the_whole_row_as_the_real_server_does(crust_sandbox, http: httpx.Client, modules: dict[str, dict]) -> None:
    """Only `name` and `value` sent: the answer is the row as built (userID 0, createdAt the zero time,
    fields as sent); the json copy (what sorting reads) holds only what was sent and the links of the
    unsent `account` are gone; the columns of unsent fields stay, so reads still show their values."""
    mid = modules["Opportunity"]["moduleID"]
    before = records(http, mid)[0]
    old = {f["name"]: f for f in before["fields"]}
    crust_sandbox.advance(30)
    sent = [{"name": "name", "value": "Renamed"}, {"name": "value", "value": "99"}]
    answer = ok(http.post(f"/module/{mid}/content/{before['contentID']}", json={"fields": sent}))
    assert answer == {"contentID": before["contentID"], "moduleID": mid, "userID": "0", "fields": sent,
                      "createdAt": "0001-01-01T00:00:00Z", "updatedAt": "2026-03-10T09:00:30Z"}
    after = {r["contentID"]: r for r in records(http, mid)}[before["contentID"]]
    assert "user" not in after and after["userID"] == "0" and after["createdAt"] == "0001-01-01T00:00:00Z"
    assert after["updatedAt"] == "2026-03-10T09:00:30Z"
    fields = {f["name"]: f for f in after["fields"]}
    assert fields["name"]["value"] == "Renamed" and fields["value"]["value"] == "99"
    assert fields["account"]["value"] == old["account"]["value"] and fields["account"]["related"] is None
    assert fields["state"] == old["state"]
    # sorting by an unsent field finds nothing in the json copy: the record sorts first (NULL)
    assert records(http, mid, sort="state")[0]["contentID"] == before["contentID"]


def test_an_edit_sending_every_field_keeps_the_record(crust_sandbox, http: httpx.Client, modules: dict[str, dict]) -> None:
    mid = modules["Opportunity"]["moduleID"]
    before = records(http, mid)[3]
    sent = [{"name": f["name"], "value": f["value"], "related": f["related"]} for f in before["fields"]]
    sent[0]["value"] = "Changed"
    ok(http.post(f"/module/{mid}/content/{before['contentID']}", json={"fields": sent}))
    after = {r["contentID"]: r for r in records(http, mid)}[before["contentID"]]
    assert after["fields"] == [{**before["fields"][0], "value": "Changed"}, *before["fields"][1:]]


def test_an_edit_of_an_unknown_id_makes_a_record(http: httpx.Client, modules: dict[str, dict]) -> None:
    mid = modules["Lead"]["moduleID"]
    assert error(http.post(f"/module/{mid}/content/0", json={"fields": []})) == "Error when saving content, invalid ID"
    assert error(http.post(f"/module/{mid}/content/5", json={})) == "Error when saving content, no content: unexpected end of JSON input"
    ok(http.post(f"/module/{mid}/content/5", json={"fields": [{"name": "lastName", "value": "Ghost"}]}))
    assert "5" in {r["contentID"] for r in records(http, mid)}


def test_delete_is_soft_and_always_ok(crust_sandbox, http: httpx.Client, modules: dict[str, dict]) -> None:
    mid = modules["Account"]["moduleID"]
    victim = records(http, mid)[0]["contentID"]
    assert http.delete(f"/module/{mid}/content/{victim}").json() == {"success": {"message": "OK"}}
    assert http.get(f"/module/{mid}/content/{victim}").json() == NO_ROWS
    assert victim not in {r["contentID"] for r in records(http, mid)}
    assert crust_sandbox.state.tables["contents"][victim]["deletedAt"]
    assert http.delete(f"/module/{mid}/content/404").json() == {"success": {"message": "OK"}}


def test_a_form_carries_fields_as_json_text(http: httpx.Client, modules: dict[str, dict]) -> None:
    mid = modules["Lead"]["moduleID"]
    made = ok(http.post(f"/module/{mid}/content", data={"fields": '[{"name": "lastName", "value": "Form"}]'}))
    assert isinstance(made, dict) and values(made) == {"lastName": "Form"}
    assert error(http.post(f"/module/{mid}/content", data={"fields": "[oops"})) == (
        "No content: invalid character 'o' looking for beginning of value"
    )


# -- auth --------------------------------------------------------------------------------------------


def test_token_from_header_cookie_or_query(crust_sandbox) -> None:
    base, token = crust_sandbox.base_url, crust_sandbox.token
    with httpx.Client(base_url=base, timeout=HANG_GUARD) as anonymous:
        assert error(anonymous.get("/module/")) == "Unauthorized"
        assert isinstance(ok(anonymous.get("/module/", headers={"Authorization": f"bearer {token}"})), list)
        assert isinstance(ok(anonymous.get("/module/", headers={"Cookie": f"jwt={token}"})), list)
        assert isinstance(ok(anonymous.get("/module/", params={"jwt": token})), list)
        assert error(anonymous.get("/module/", headers={"Authorization": f"Token {token}"})) == "Unauthorized"
        # the query wins over the header
        assert error(anonymous.get("/module/", params={"jwt": "x"}, headers={"Authorization": f"Bearer {token}"})) == (
            "failed to authorize request: token contains an invalid number of segments"
        )


def test_refused_tokens_answer_as_the_real_server(crust_sandbox) -> None:
    secret, now = crust_sandbox.state.secret, crust_sandbox.state.clock.seconds()
    user = crust_sandbox.user_id
    cases = {
        jwt.encode({"sub": user, "exp": int(now) + 60}, b"another secret"): "failed to authorize request: signature is invalid",
        jwt.encode({"sub": user, "exp": int(now) - 1}, b"another secret"): "failed to authorize request: jwtauth: token is expired",
        jwt.encode({"sub": user, "exp": int(now) + 60}, secret, "HS512"): "failed to authorize request: jwtauth: algorithm mismatch",
        jwt.encode({"exp": int(now) + 60}, secret): "Malformed JWT claims",
        jwt.encode({"sub": 5, "exp": int(now) + 60}, secret): "Malformed JWT claims (sub not a string)",
        jwt.encode({"sub": "me", "exp": int(now) + 60}, secret): 'Malformed JWT claims: strconv.ParseUint: parsing "me": invalid syntax',
        jwt.encode({"sub": "0", "exp": int(now) + 60}, secret): "Unauthorized",
        "a.b": "failed to authorize request: token contains an invalid number of segments",
    }
    with httpx.Client(base_url=crust_sandbox.base_url, timeout=HANG_GUARD) as client:
        for token, message in cases.items():
            assert error(client.get("/module/", headers={"Authorization": f"Bearer {token}"})) == message
        # a token without an expiry never expires (jwt-go); one for a user who is not there still passes auth
        assert isinstance(ok(client.get("/module/", params={"jwt": jwt.encode({"sub": "99"}, secret)})), list)


def test_a_token_expires_mid_use(crust_sandbox) -> None:
    token = crust_sandbox.issue_token(minutes=1)
    with httpx.Client(base_url=crust_sandbox.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=HANG_GUARD) as client:
        assert isinstance(ok(client.get("/module/")), list)
        crust_sandbox.advance(60)
        assert isinstance(ok(client.get("/module/")), list)  # expired only once past exp
        crust_sandbox.advance(1)
        assert error(client.get("/module/")) == "failed to authorize request: jwtauth: token is expired"
        assert isinstance(ok(client.get("/module/", headers={"Authorization": f"Bearer {crust_sandbox.token}"})), list)


def test_routes_answer_before_auth(crust_sandbox) -> None:
    with httpx.Client(base_url=crust_sandbox.base_url, timeout=HANG_GUARD) as anonymous:
        for path in ("/nope", "/module/1/content/2/3", "/module/1/"):
            answer = anonymous.get(path)
            assert answer.status_code == 404 and answer.text == "404 page not found\n"
            assert answer.headers["content-type"] == "text/plain; charset=utf-8"
        for method, path in (("PUT", "/module/1"), ("PATCH", "/module/1/content/2"), ("DELETE", "/field/"), ("HEAD", "/module/")):
            answer = anonymous.request(method, path)
            assert answer.status_code == 405 and answer.content == b""


def test_workflows_and_jobs_are_not_implemented_with_the_switch(crust_sandbox, http: httpx.Client) -> None:
    assert isinstance(ok(http.get("/workflow/")), list)  # they work by default
    crust_sandbox.options.jobs_not_implemented = True
    assert error(http.get("/workflow/")) == "Not implemented: Workflow.list"
    assert error(http.post("/job/", json={"workflowID": "1"})) == "Not implemented: Job.run"
    assert error(http.get("/job/7/logs")) == "Not implemented: Job.logs"
    assert error(http.delete("/job/7")) == "Not implemented: Job.delete"


def test_password_login_fails_as_on_the_real_server(crust_sandbox) -> None:
    """At the spec's commit /auth/login never reads its request: it looks for the user "" and finds none."""
    user = crust_sandbox.users[0]
    with httpx.Client(base_url=crust_sandbox.base_url, timeout=HANG_GUARD) as client:
        answer = client.post("/system/auth/login", json={"username": user["username"], "password": crust_sandbox.password})
        assert error(answer) == "sql: no rows in result set" and "set-cookie" not in answer.headers


def test_password_login_and_check_on_a_later_server(crust_sandbox) -> None:
    crust_sandbox.options.login_works = True
    user = crust_sandbox.users[1]
    with httpx.Client(base_url=crust_sandbox.base_url, timeout=HANG_GUARD) as client:
        assert error(client.post("/system/auth/login", json={"username": user["email"], "password": "wrong"})) == "Password doesn't match"
        assert error(client.post("/system/auth/login", json={"username": "nobody", "password": "x"})) == "sql: no rows in result set"
        assert error(client.get("/system/auth/check")) == "http: named cookie not present"
        answer = client.post("/system/auth/login", data={"username": user["username"], "password": crust_sandbox.password})
        signed_in = ok(answer)
        assert isinstance(signed_in, dict) and signed_in["userID"] == user["id"] and signed_in["name"] == user["name"]
        assert re.fullmatch(r"jwt=[\w-]+\.[\w-]+\.[\w-]+; Path=/; Expires=Thu, 12 Mar 2026 21:00:00 GMT", answer.headers["set-cookie"])
        # (the cookie expires on the sandbox's frozen day, long gone for httpx's jar: sent by hand)
        token = answer.headers["set-cookie"].split(";")[0].removeprefix("jwt=")
        assert jwt.verify(token, crust_sandbox.state.secret, crust_sandbox.state.clock.seconds()) == int(user["id"])
        assert isinstance(ok(client.get("/module/", headers={"Cookie": f"jwt={token}"})), list)  # the cookie signs in
        checked = ok(client.get("/system/auth/check", headers={"Cookie": f"jwt={token}"}))
        assert checked == {"jwt": token, "user": {"ID": user["id"], "name": user["name"], "email": user["email"],
                                                  "username": user["username"], "handle": user["handle"], "connections": 0}}
        for stranger in ("0", "99"):  # anonymous, or a user who is not there: an expired cookie, no body
            cookie = f"jwt={jwt.encode({'sub': stranger}, crust_sandbox.state.secret)}"
            refused = client.get("/system/auth/check", headers={"Cookie": cookie})
            assert refused.status_code == 200 and refused.content == b"" and "01 Jan 1970" in refused.headers["set-cookie"]
        out = client.get("/system/auth/logout")
        assert out.status_code == 200 and out.content == b"" and "Expires=Thu, 01 Jan 1970 00:00:00 GMT" in out.headers["set-cookie"]
        crust_sandbox.advance(3600 * 60 + 1)
        expired = client.get("/system/auth/check", headers={"Cookie": f"jwt={token}"})
        assert error(expired) == "failed to authorize request: jwtauth: token is expired"


# -- chaos -------------------------------------------------------------------------------------------


def count(crust_sandbox) -> int:
    with crust_sandbox.state.lock:
        return len(crust_sandbox.state.tables["contents"])


def test_errors_as_200_are_decided_before_handling(crust_sandbox, http: httpx.Client, modules: dict[str, dict]) -> None:
    mid = modules["Lead"]["moduleID"]
    before = count(crust_sandbox)
    crust_sandbox.options.error_rate = 1.0
    messages = {error(http.post(f"/module/{mid}/content", json={"fields": [{"name": "lastName", "value": "x"}]})) for _ in range(12)}
    assert len(messages) > 1 and all(m.startswith(("Error 1", "dial tcp", "invalid connection")) for m in messages)
    assert count(crust_sandbox) == before  # none was applied
    crust_sandbox.options.error_rate = 0.0
    crust_sandbox.options.trace = True
    body = http.get("/module/1").json()
    assert body["error"]["message"] == "sql: no rows in result set" and "resputil" in body["error"]["trace"]


def test_lost_answers_are_applied(crust_sandbox, http: httpx.Client, modules: dict[str, dict]) -> None:
    mid = modules["Lead"]["moduleID"]
    before = count(crust_sandbox)
    crust_sandbox.options.lose_rate = 1.0
    with pytest.raises(httpx.TransportError):
        http.post(f"/module/{mid}/content", json={"fields": [{"name": "lastName", "value": "Lost"}]})
    assert count(crust_sandbox) == before + 1


def test_proxy_failures_and_drops_apply_nothing(crust_sandbox, http: httpx.Client, modules: dict[str, dict]) -> None:
    mid = modules["Lead"]["moduleID"]
    before = count(crust_sandbox)
    crust_sandbox.options.fail_rate = 1.0
    statuses = set()
    for _ in range(12):
        answer = http.post(f"/module/{mid}/content", json={"fields": [{"name": "lastName", "value": "x"}]})
        statuses.add(answer.status_code)
        assert answer.headers["content-type"] == "text/html" and b"<html>" in answer.content
    assert statuses <= {502, 503, 504} and len(statuses) > 1
    crust_sandbox.options.fail_rate = 0.0
    crust_sandbox.options.drop_rate = 1.0
    with pytest.raises(httpx.TransportError):
        http.post(f"/module/{mid}/content", json={"fields": [{"name": "lastName", "value": "x"}]})
    assert count(crust_sandbox) == before


def test_a_request_held_at_the_gate(crust_sandbox, http: httpx.Client, modules: dict[str, dict]) -> None:
    import threading

    mid = modules["Lead"]["moduleID"]
    results: list[object] = []
    with crust_sandbox.gate.hold("POST", f"/module/{mid}/content") as held:
        worker = threading.Thread(target=lambda: results.append(ok(http.post(f"/module/{mid}/content", json={"fields": []}))))
        worker.start()
        held.wait_parked(1)
        assert results == []
    worker.join(HANG_GUARD)
    assert len(results) == 1


# -- persistence and the command line -----------------------------------------------------------------


def test_data_persists_and_the_token_outlives_a_restart(tmp_path) -> None:
    data = tmp_path / "crust.sqlite3"
    options = SandboxOptions(data=data, today=dt.date(2026, 3, 10), frozen_clock=True)
    with start_sandbox(options) as first:
        token = first.token
        with httpx.Client(base_url=first.base_url, params={"jwt": token}, timeout=HANG_GUARD) as client:
            mid = next(m["moduleID"] for m in client.get("/module/").json()["response"] if m["name"] == "Case")
            made = client.post(f"/module/{mid}/content", json={"fields": [{"name": "subject", "value": "Kept"}]}).json()["response"]
    with start_sandbox(options) as second, httpx.Client(base_url=second.base_url, params={"jwt": token}, timeout=HANG_GUARD) as client:
        listed = client.get(f"/module/{mid}/content", params={"query": "Kept"}).json()["response"]
        assert [r["contentID"] for r in listed["contents"]] == [made["contentID"]]
        again = client.post(f"/module/{mid}/content", json={"fields": [{"name": "subject", "value": "Next"}]}).json()["response"]
        assert int(again["contentID"]) > int(made["contentID"])  # ids go on from the file's
    with start_sandbox(SandboxOptions(data=data, reset=True)) as third:
        assert made["contentID"] not in third.state.tables["contents"]


def test_another_sandboxs_file_is_refused(tmp_path) -> None:
    from crmtui.sandbox.pipedrive.server import SandboxOptions as PipedriveOptions
    from crmtui.sandbox.pipedrive.server import start_sandbox as start_pipedrive

    data = tmp_path / "pd.sqlite3"
    with start_pipedrive(PipedriveOptions(data=data, leads=5)):
        pass
    with pytest.raises(ForeignDataError):
        start_sandbox(SandboxOptions(data=data))


def test_cli_prints_the_start_line(tmp_path) -> None:
    import os
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "crmtui", "sandbox", "--backend", "crust", "--port", "0", "--today", "2026-03-10",
         "--data", str(tmp_path / "c.sqlite3"), "--jwt-minutes", "5"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"}, text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        found = re.fullmatch(r"crmtui crust sandbox listening on (http://127\.0\.0\.1:\d+) jwt=([\w-]+\.[\w-]+\.[\w-]+)\n", line)
        assert found, line
        base, token = found.groups()
        answer = httpx.get(f"{base}/module/", headers={"Authorization": f"Bearer {token}"}, timeout=HANG_GUARD)
        assert [m["name"] for m in answer.json()["response"]] == ["Account", "Contact", "Lead", "Opportunity", "Case"]
    finally:
        proc.terminate()
        assert proc.wait(HANG_GUARD) == 0
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    assert (tmp_path / "c.sqlite3").is_file()

"""The OnePageCRM sandbox over real loopback HTTP, with plain httpx."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from crmtui.sandbox.onepagecrm.server import SandboxOptions, start_sandbox
from tests.support.waits import HANG_GUARD

TODAY = dt.date(2026, 3, 10)


@pytest.fixture
def api(sandbox, sandbox_auth):
    with httpx.Client(base_url=sandbox.base_url, auth=sandbox_auth, timeout=HANG_GUARD) as client:
        yield client


def ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == 0 and body["message"] == "OK" and isinstance(body["timestamp"], int)
    return body["data"]


def error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status
    assert {"message", "error_name", "error_message", "errors"} <= body.keys()
    return body


def new_contact(api, **fields) -> dict:
    return ok(api.post("/contacts", json={"first_name": "Test", "last_name": "Person", **fields}), 201)["contact"]


def new_action(api, contact_id: str, **fields) -> dict:
    return ok(api.post("/actions", json={"contact_id": contact_id, "text": "Do it", **fields}), 201)["action"]


def entry(api, contact_id: str) -> dict:
    return ok(api.get(f"/contacts/{contact_id}"))


# -- auth ---------------------------------------------------------------------------------------------


def test_missing_or_wrong_auth_is_401(sandbox) -> None:
    body = error(httpx.get(f"{sandbox.base_url}/bootstrap"), 401)
    assert body["error_name"] == "authorization_data_not_found"
    error(httpx.get(f"{sandbox.base_url}/contacts", auth=(sandbox.user_id, "wrong")), 401)
    error(httpx.get(f"{sandbox.base_url}/contacts", auth=("nobody", sandbox.api_key)), 401)


def test_every_seeded_user_can_sign_in_and_bootstrap_names_them(sandbox) -> None:
    assert len(sandbox.users) == 5 and sandbox.users[0].user_id == sandbox.user_id
    for user in sandbox.users:
        data = ok(httpx.get(f"{sandbox.base_url}/bootstrap", auth=(user.user_id, user.api_key)))
        assert data["user"]["id"] == user.user_id and data["user"]["first_name"] == user.first_name
        assert len(data["team"]) == 4
        assert data["next_action_dates"] and data["predefined_actions"]


def test_seed_is_deterministic() -> None:
    with start_sandbox(SandboxOptions(today=TODAY)) as a, start_sandbox(SandboxOptions(today=TODAY)) as b:
        assert (a.user_id, a.api_key) == (b.user_id, b.api_key)
        ids_a = ok(httpx.get(f"{a.base_url}/action_stream", auth=(a.user_id, a.api_key), params={"per_page": 100}))
        ids_b = ok(httpx.get(f"{b.base_url}/action_stream", auth=(b.user_id, b.api_key), params={"per_page": 100}))
        assert [e["contact"]["id"] for e in ids_a["contacts"]] == [e["contact"]["id"] for e in ids_b["contacts"]]


# -- the action stream ----------------------------------------------------------------------------------


def _section(e: dict, me: str) -> int:
    nxt = e.get("next_action")
    if nxt:
        if nxt["status"] == "asap":
            return 0
        if nxt["status"] == "waiting":
            return 4
        day = dt.date.fromisoformat(nxt["date"])
        return 1 if day < TODAY else 2 if day == TODAY else 3
    if e["queued_actions"]:
        return 5 if e["queued_actions"][0]["assignee_id"] == me else 6
    closed = [c for c in e["contact"]["closed_sales"] if c["user_id"] == me]
    if closed:
        return 7 if closed[0]["comment"] else 8
    return 9


def all_entries(api, path: str = "/action_stream", **params) -> list[dict]:
    first = ok(api.get(path, params={**params, "per_page": 100}))
    entries = list(first["contacts"])
    for page in range(2, first["max_page"] + 1):
        entries += ok(api.get(path, params={**params, "per_page": 100, "page": page}))["contacts"]
    assert len(entries) == first["total_count"]
    return entries


def test_stream_is_in_onepagecrm_order_and_covers_every_section(api, sandbox) -> None:
    entries = all_entries(api)
    sections = [_section(e, sandbox.user_id) for e in entries]
    assert sections == sorted(sections)
    assert set(sections) == set(range(10))
    dated = [e["next_action"] for e, s in zip(entries, sections) if s in (1, 3)]
    assert [a["date"] for a in dated if dt.date.fromisoformat(a["date"]) < TODAY] == sorted(
        a["date"] for a in dated if dt.date.fromisoformat(a["date"]) < TODAY
    )
    asap = [e["next_action"]["text"].casefold() for e, s in zip(entries, sections) if s == 0]
    assert asap == sorted(asap)
    no_action = [e["contact"]["first_name"].casefold() for e, s in zip(entries, sections) if s == 9]
    assert no_action == sorted(no_action)
    for e in entries:
        mine = [a for a in e["next_actions"] if a["assignee_id"] == sandbox.user_id]
        assert len(mine) <= 1


def test_seeded_conflicts_are_reported(api) -> None:
    entries = all_entries(api)
    conflicted = [e for e in entries if e["next_action_conflicts"]]
    assert conflicted
    for e in conflicted:
        for c in e["next_action_conflicts"]:
            assert c["status"] == "queued_with_date" and c["date"] < e["next_action"]["date"]


def test_team_stream_counts_and_user_filter(api, sandbox) -> None:
    data = ok(api.get("/team_stream", params={"per_page": 5}))
    counts = data["team_stream"]
    assert [u["user_id"] for u in counts["users"]] == [u.user_id for u in sandbox.users]
    assert counts["all"] >= max(u["counts"] for u in counts["users"]) > 0
    other = sandbox.users[1].user_id
    theirs = all_entries(api, "/team_stream", user_id=other)
    assert all(
        e["contact"]["owner_id"] == other or any(a["assignee_id"] == other for a in e["next_actions"] + e["queued_actions"])
        for e in theirs
    )
    error(api.get("/team_stream", params={"user_id": "0" * 24}), 404)


def test_paging_and_max_page(api) -> None:
    first = ok(api.get("/action_stream", params={"per_page": 7, "page": 1}))
    assert first["per_page"] == 7 and len(first["contacts"]) == 7
    assert first["max_page"] == -(-first["total_count"] // 7)
    last = ok(api.get("/action_stream", params={"per_page": 7, "page": first["max_page"]}))
    assert 1 <= len(last["contacts"]) <= 7
    beyond = ok(api.get("/action_stream", params={"per_page": 7, "page": first["max_page"] + 1}))
    assert beyond["contacts"] == []
    assert ok(api.get("/action_stream", params={"per_page": 500}))["per_page"] == 100
    error(api.get("/action_stream", params={"page": "x"}), 400)
    error(api.get("/action_stream", params={"page": 0}), 400)


def test_search_and_filters(api) -> None:
    contact = new_contact(api, first_name="Zebedee", last_name="Quixote", tags=["custom-tag"], starred=True)
    found = ok(api.get("/action_stream", params={"search": "zebedee"}))["contacts"]
    assert [e["contact"]["id"] for e in found] == [contact["id"]]
    assert [e["contact"]["id"] for e in ok(api.get("/contacts", params={"tag": "custom-tag"}))["contacts"]] == [contact["id"]]
    starred = all_entries(api, starred="true")
    assert starred and all(e["contact"]["starred"] for e in starred)
    status_id = contact["status_id"]
    assert all(e["contact"]["status_id"] == status_id for e in all_entries(api, status_id=status_id))


def test_sort_by_and_order(api) -> None:
    asc = all_entries(api, "/contacts", sort_by="first_name", order="asc")
    names = [e["contact"]["first_name"].casefold() for e in asc]
    assert names == sorted(names)
    desc = all_entries(api, "/contacts", sort_by="first_name", order="desc")
    assert [e["contact"]["first_name"].casefold() for e in desc] == sorted(names, reverse=True)
    error(api.get("/contacts", params={"sort_by": "shoe_size"}), 400)


def test_modified_since_date_and_timestamp(api) -> None:
    stamp = ok(api.get("/bootstrap")) and api.get("/bootstrap").json()["timestamp"]
    contact = new_contact(api, last_name="Fresh")
    changed = all_entries(api, "/contacts", modified_since=str(stamp))
    assert [e["contact"]["id"] for e in changed] == [contact["id"]]
    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()
    assert ok(api.get("/contacts", params={"modified_since": tomorrow}))["total_count"] == 0
    assert ok(api.get("/contacts", params={"modified_since": TODAY.isoformat()}))["total_count"] >= 1
    error(api.get("/contacts", params={"modified_since": "last tuesday"}), 400)


@pytest.mark.parametrize("path", ["/contacts", "/action_stream", "/actions", "/deals"])
@pytest.mark.parametrize("value", ["2026-03-10T00:00:00Z", "2026-03-10T00:00:00", "2026-03-10T01:00:00+01:00", "1e9", "-5"])
def test_modified_since_refuses_iso_date_times(api, path: str, value: str) -> None:
    # the spec: "date must be in format YYYY-MM-DD or UNIX timestamp"
    body = error(api.get(path, params={"modified_since": value}), 400)
    assert set(body) >= {"status", "message", "error_name", "error_message", "errors"}
    assert body["error_name"] == "invalid_request_data" and "modified_since" in body["errors"]


def test_bootstrap_sends_statuses_and_lead_sources_in_data_only(api, sandbox) -> None:
    body = api.get("/bootstrap").json()
    assert "statuses" not in body and "lead_sources" not in body  # the spec types them as one object there
    data = body["data"]
    assert {s["id"] for s in data["statuses"]} == set(sandbox.state.tables["statuses"])
    assert {s["id"] for s in data["lead_sources"]} == set(sandbox.state.tables["lead_sources"])
    assert set(body) >= {"tags", "team_stream"}


def test_json_suffix_routes_the_same(api) -> None:
    plain = ok(api.get("/action_stream", params={"per_page": 3}))
    suffixed = ok(api.get("/action_stream.json", params={"per_page": 3}))
    assert [e["contact"]["id"] for e in plain["contacts"]] == [e["contact"]["id"] for e in suffixed["contacts"]]
    error(api.get("/no_such_thing"), 404)


# -- actions ---------------------------------------------------------------------------------------------


def test_a_second_next_action_is_refused_with_the_specs_409(api) -> None:
    contact = new_contact(api)
    first = new_action(api, contact["id"], status="asap", text="First")
    refused = api.post("/actions", json={"contact_id": contact["id"], "status": "asap", "text": "Second"})
    assert refused.status_code == 409 and refused.json()["error_name"] == "next_action_exists"
    dated = api.post("/actions", json={"contact_id": contact["id"], "status": "date", "date": "2026-03-12", "text": "Dated"})
    assert dated.status_code == 409
    queued = new_action(api, contact["id"], status="queued_with_date", date="2026-03-12", text="Queued")
    e = entry(api, contact["id"])
    assert e["next_action"]["id"] == first["id"] and [a["id"] for a in e["queued_actions"]] == [queued["id"]]
    assert [a["id"] for a in e["next_action_conflicts"]] == [] or e["next_action"]["status"] == "asap"
    to_next = api.put(f"/actions/{queued['id']}", json={"status": "asap"})  # a queued one cannot jump the line
    assert to_next.status_code == 409
    again = api.put(f"/actions/{first['id']}", json={"status": "date", "date": "2026-03-20", "text": "First"})
    assert again.status_code == 200  # the next action itself may change


def test_a_teammates_next_action_does_not_block_mine(api, sandbox) -> None:
    contact = new_contact(api)
    new_action(api, contact["id"], status="asap", text="Theirs", assignee_id=sandbox.users[1].user_id)
    mine = new_action(api, contact["id"], status="asap", text="Mine")
    assert entry(api, contact["id"])["next_action"]["id"] == mine["id"]


def test_done_and_undo(api) -> None:
    contact = new_contact(api)
    action = new_action(api, contact["id"], status="date", date="2026-03-11")
    done = ok(api.put(f"/actions/{action['id']}/mark_as_done"))["action"]
    assert done["done"] is True and done["status"] == "done" and done["done_at"] == TODAY.isoformat()
    assert "next_action" not in entry(api, contact["id"])
    undone = ok(api.put(f"/actions/{action['id']}/undo_completion"))["action"]
    assert undone["done"] is False and undone["status"] == "date" and "done_at" not in undone
    assert entry(api, contact["id"])["next_action"]["id"] == action["id"]


def test_promote_only_without_a_next_action(api) -> None:
    contact = new_contact(api)
    queued = new_action(api, contact["id"], status="queued", text="Later")
    promoted = ok(api.put(f"/actions/{queued['id']}/promote"))["action"]
    assert promoted["status"] == "asap"
    assert entry(api, contact["id"])["next_action"]["id"] == queued["id"]
    reverted = ok(api.put(f"/actions/{queued['id']}/revert_promotion"))["action"]
    assert reverted["status"] == "queued"
    new_action(api, contact["id"], status="date", date="2026-03-15")
    body = error(api.put(f"/actions/{queued['id']}/promote"), 409)
    assert body["error_name"] == "next_action_exists"
    error(api.put("/actions/" + "0" * 24 + "/promote"), 404)


def test_swap_resolves_a_conflict_and_refuses_otherwise(api, sandbox) -> None:
    contact = new_contact(api)
    nxt = new_action(api, contact["id"], status="date", date="2026-03-20", text="Next")
    early = new_action(api, contact["id"], status="queued_with_date", date="2026-03-12", text="Early")
    late = new_action(api, contact["id"], status="queued_with_date", date="2026-03-25", text="Late")
    e = entry(api, contact["id"])
    assert [c["id"] for c in e["next_action_conflicts"]] == [early["id"]]
    assert error(api.put(f"/actions/{late['id']}/swap"), 409)["error_name"] == "swap_not_allowed"
    swapped = ok(api.put(f"/actions/{early['id']}/swap"))["action"]
    assert swapped["status"] == "date" and swapped["date"] == "2026-03-12"
    e = entry(api, contact["id"])
    assert e["next_action"]["id"] == early["id"] and e["next_action_conflicts"] == []
    old = ok(api.get(f"/actions/{nxt['id']}"))["action"]
    assert old["status"] == "queued_with_date" and old["date"] == "2026-03-20"
    other = sandbox.users[1]
    theirs = new_action(api, contact["id"], status="queued_with_date", date="2026-03-11", assignee_id=other.user_id)
    error(api.put(f"/actions/{theirs['id']}/swap"), 409)


def test_action_validation_and_crud(api) -> None:
    contact = new_contact(api)
    body = error(api.post("/actions", json={"contact_id": contact["id"]}), 400)
    assert "text" in body["errors"]
    error(api.post("/actions", json={"contact_id": contact["id"], "text": "x", "status": "someday"}), 400)
    error(api.post("/actions", json={"contact_id": "nope", "text": "x"}), 400)
    action = new_action(api, contact["id"], status="date_time", date="2026-03-10", exact_time=1773140400)
    updated = ok(api.put(f"/actions/{action['id']}", json={"text": "Changed"}))["action"]
    assert updated["text"] == "Changed" and updated["exact_time"] == 1773140400
    listed = ok(api.get(f"/contacts/{contact['id']}/actions"))["actions"]
    assert [a["action"]["id"] for a in listed] == [action["id"]]
    ok(api.delete(f"/actions/{action['id']}"))
    error(api.get(f"/actions/{action['id']}"), 404)


def test_assigning_to_a_team_member_notifies_them(api, sandbox) -> None:
    other = sandbox.users[2]
    contact = new_contact(api)
    new_action(api, contact["id"], assignee_id=other.user_id, status="asap", text="Over to you")
    with httpx.Client(base_url=sandbox.base_url, auth=(other.user_id, other.api_key)) as theirs:
        notes = ok(theirs.get("/notifications", params={"per_page": 100}))["notifications"]
        mine = [n["notification"] for n in notes if n["notification"]["contact_id"] == contact["id"]]
        assert mine and mine[0]["type"] == "assigned_action" and mine[0]["read"] is False
        read = ok(theirs.post(f"/notifications/{mine[0]['id']}/mark_as_read"), 201)["notification"]
        assert read["read"] is True
        ok(theirs.post("/notifications/mark_all_as_read"), 201)
        assert all(n["notification"]["read"] for n in ok(theirs.get("/notifications", params={"per_page": 100}))["notifications"])


# -- contacts ---------------------------------------------------------------------------------------------


def test_contact_updates(api, sandbox) -> None:
    contact = new_contact(api, job_title="Buyer", emails=[{"type": "work", "value": "t@example.com"}])
    # only what the spec declares: no PATCH, and PUT has no partial mode (it replaces every writable field)
    for kind, doc in (("contacts", contact), ("actions", new_action(api, contact["id"])),
                      ("deals", ok(api.post("/deals", json={"contact_id": contact["id"], "name": "D"}), 201)["deal"])):
        assert error(api.patch(f"/{kind}/{doc['id']}", json={"text": "x"}), 400)["error_name"] == "method_not_allowed"
    full = ok(api.put(f"/contacts/{contact['id']}", params={"partial": "true"}, json={"last_name": "Replaced"}))["contact"]
    assert full["last_name"] == "Replaced" and full["emails"] == [] and full["first_name"] == "" and full["job_title"] == ""
    cid = contact["id"]
    assert ok(api.put(f"/contacts/{cid}/star"))["contact"]["starred"] is True
    assert ok(api.put(f"/contacts/{cid}/unstar"))["contact"]["starred"] is False
    assert "Hot lead" in ok(api.put(f"/contacts/{cid}/assign_tag/Hot%20lead"))["contact"]["tags"]
    assert "Hot lead" not in ok(api.put(f"/contacts/{cid}/unassign_tag/Hot%20lead"))["contact"]["tags"]
    status = ok(api.get("/statuses"))[2]["status"]
    assert ok(api.put(f"/contacts/{cid}/change_status/{status['id']}"))["contact"]["status"] == status["text"]
    owner = sandbox.users[3].user_id
    assert ok(api.put(f"/contacts/{cid}/change_owner/{owner}"))["contact"]["owner_id"] == owner
    error(api.put(f"/contacts/{cid}/change_owner/{'0' * 24}"), 404)
    error(api.post("/contacts", json={"first_name": "No last name"}), 400)
    ok(api.delete(f"/contacts/{cid}"))
    error(api.get(f"/contacts/{cid}"), 404)


def _notifications(sandbox, user, contact_id: str) -> list[dict]:
    with httpx.Client(base_url=sandbox.base_url, auth=(user.user_id, user.api_key)) as theirs:
        notes = ok(theirs.get("/notifications", params={"per_page": 100}))["notifications"]
    return [n["notification"] for n in notes if n["notification"]["contact_id"] == contact_id]


def _entry_for(sandbox, user, contact_id: str) -> dict:
    with httpx.Client(base_url=sandbox.base_url, auth=(user.user_id, user.api_key)) as theirs:
        return ok(theirs.get(f"/contacts/{contact_id}"))


def test_change_owner_moves_open_actions_and_queues_behind_the_new_owners_next(api, sandbox) -> None:
    me, new, bystander = sandbox.users[0], sandbox.users[1], sandbox.users[2]
    contact = new_contact(api)
    cid = contact["id"]
    mine_next = new_action(api, cid, status="date", date="2026-03-15", text="My next")
    mine_dated = new_action(api, cid, status="queued_with_date", date="2026-03-12", text="My dated queued")
    mine_queued = new_action(api, cid, status="queued", text="My queued")
    mine_done = new_action(api, cid, status="queued", text="Done already")
    ok(api.put(f"/actions/{mine_done['id']}/mark_as_done"))
    theirs_next = new_action(api, cid, status="date", date="2026-03-20", text="Their next", assignee_id=new.user_id)
    theirs_queued = new_action(api, cid, status="queued", text="Their queued", assignee_id=new.user_id)
    other = new_action(api, cid, status="asap", text="Bystander's", assignee_id=bystander.user_id)
    before = {n["id"] for n in _notifications(sandbox, new, cid)}

    changed = ok(api.put(f"/contacts/{cid}/change_owner/{new.user_id}"))["contact"]
    assert changed["owner_id"] == new.user_id

    def action(a: dict) -> dict:
        return ok(api.get(f"/actions/{a['id']}"))["action"]

    # the old owner's open actions are the new owner's now; done ones and other members' stay
    for a in (mine_next, mine_dated, mine_queued):
        assert action(a)["assignee_id"] == new.user_id, a["text"]
    assert action(mine_done)["assignee_id"] == me.user_id and action(mine_done)["done"] is True
    assert action(other)["assignee_id"] == bystander.user_id and action(other)["status"] == "asap"
    # the new owner's next action stays next; the moved one is queued with its date
    assert action(theirs_next)["status"] == "date"
    moved = action(mine_next)
    assert (moved["status"], moved["date"]) == ("queued_with_date", "2026-03-15") and "exact_time" not in moved
    assert action(mine_dated)["status"] == "queued_with_date" and action(mine_queued)["status"] == "queued"
    # queued after the new owner's own queued action
    assert action(mine_queued)["position"] > action(theirs_queued)["position"]

    seen = _entry_for(sandbox, new, cid)
    assert seen["next_action"]["id"] == theirs_next["id"]
    assert {a["id"] for a in seen["next_action_conflicts"]} == {mine_next["id"], mine_dated["id"]}
    assert {a["id"] for a in seen["queued_actions"]} == {mine_next["id"], mine_dated["id"], mine_queued["id"], theirs_queued["id"]}
    mine_now = entry(api, cid)  # the old owner has nothing open here: team members' actions show as queued
    assert "next_action" not in mine_now
    assert all(a["assignee_id"] != me.user_id for a in mine_now["queued_actions"])

    fresh = [n for n in _notifications(sandbox, new, cid) if n["id"] not in before]
    assert sorted(n["type"] for n in fresh) == ["assigned_action"] * 3 + ["contact_assigned"]
    assert {n["mobile_data"]["body"] for n in fresh if n["type"] == "assigned_action"} == {
        "My next", "My dated queued", "My queued",
    }
    # a change to the same owner moves nothing and notifies no one
    ok(api.put(f"/contacts/{cid}/change_owner/{new.user_id}"))
    assert len(_notifications(sandbox, new, cid)) == len(before) + 4


def test_change_owner_to_someone_without_a_next_action_keeps_it_next(api, sandbox) -> None:
    new = sandbox.users[3]
    contact = new_contact(api)
    nxt = new_action(api, contact["id"], status="date_time", date="2026-03-11", exact_time=1773230400, text="Call")
    queued = new_action(api, contact["id"], status="queued", text="Then this")
    ok(api.put(f"/contacts/{contact['id']}/change_owner/{new.user_id}"))
    seen = _entry_for(sandbox, new, contact["id"])
    assert seen["next_action"]["id"] == nxt["id"] and seen["next_action"]["status"] == "date_time"
    assert seen["next_action"]["exact_time"] == 1773230400 and seen["next_action"]["assignee_id"] == new.user_id
    assert [a["id"] for a in seen["queued_actions"]] == [queued["id"]] and seen["next_action_conflicts"] == []
    assert contact["id"] in [e["contact"]["id"] for e in all_entries(api, "/team_stream", user_id=new.user_id)]


def test_close_and_reopen_sales_cycle(api) -> None:
    contact = new_contact(api)
    action = new_action(api, contact["id"], status="asap")
    error(api.put(f"/contacts/{contact['id']}/close_sales_cycle", json={"comment": "Lost"}), 409)
    ok(api.delete(f"/actions/{action['id']}"))
    closed = ok(api.put(f"/contacts/{contact['id']}/close_sales_cycle", json={"comment": "Lost"}))["contact"]
    assert closed["closed_sales"][0]["comment"] == "Lost"
    reopened = ok(api.put(f"/contacts/{contact['id']}/reopen_sales_cycle"))["contact"]
    assert reopened["closed_sales"] == []


def test_deals_pipelines_and_activities(api) -> None:
    pipelines = [p["pipeline"] for p in ok(api.get("/pipelines"))["pipelines"]]
    assert len(pipelines) == 2 and pipelines[0]["default"]
    statuses = {d["deal"]["status"] for d in all_deals(api)}
    assert statuses == {"pending", "won", "lost"}
    contact = new_contact(api)
    second = pipelines[1]
    deal = ok(api.post("/deals", json={"contact_id": contact["id"], "name": "Big one", "amount": 500, "months": 12, "pipeline_id": second["id"], "stage": second["stages"][0]["stage"]}), 201)["deal"]
    assert deal["total_amount"] == 6000 and deal["status"] == "pending"
    assert entry(api, contact["id"])["contact"]["pending_deal"] is True
    won = ok(api.put(f"/deals/{deal['id']}", json={"status": "won"}))["deal"]
    assert won["status"] == "won" and won["close_date"] == TODAY.isoformat()
    error(api.post("/deals", json={"contact_id": contact["id"]}), 400)
    ok(api.delete(f"/deals/{deal['id']}"))
    note = ok(api.post("/notes", json={"contact_id": contact["id"], "text": "Hello"}), 201)["note"]
    assert ok(api.get(f"/notes/{note['id']}"))["note"]["text"] == "Hello"
    ok(api.post("/calls", json={"contact_id": contact["id"], "text": "Rang", "call_result": "interested"}), 201)
    ok(api.post("/meetings", json={"contact_id": contact["id"], "text": "Met", "place": "Cork"}), 201)
    for kind in ("notes", "calls", "meetings"):
        items = ok(api.get(f"/{kind}", params={"contact_id": contact["id"]}))[kind]
        assert len(items) == 1 and items[0][kind[:-1]]["contact_id"] == contact["id"]


def test_deal_commission_fields_and_items_are_kept_only_when_sent(api) -> None:
    boot = ok(api.get("/bootstrap"))
    fields = {f["name"]: f for f in boot["deal_fields"]}
    assert fields["Products"]["type"] == "multiple_choice" and fields["Deal size"]["type"] == "select_box"
    contact = new_contact(api)
    extras = {
        "commission_base": "margin", "commission_type": "percentage", "commission": 20, "commission_percentage": 10,
        "deal_fields": [
            {"deal_field": {"id": fields["Products"]["id"]}, "value": ["Licences", "Support"]},
            {"deal_field": {"id": fields["Deal size"]["id"]}, "value": "Large"},
        ],
        "has_deal_items": True,
        "deal_items": [{"name": "Panel", "description": "", "cost": 50, "price": 150, "qty": 2}],
    }
    deal = ok(api.post("/deals", json={"contact_id": contact["id"], "name": "Extras", **extras}), 201)["deal"]
    assert (deal["commission_type"], deal["commission"], deal["commission_percentage"]) == ("percentage", 20.0, 10.0)
    assert [(v["deal_field"]["name"], v["value"]) for v in deal["deal_fields"]] == [("Products", ["Licences", "Support"]), ("Deal size", "Large")]
    assert deal["has_deal_items"] is True and [(i["name"], i["qty"], i["amount"]) for i in deal["deal_items"]] == [("Panel", 2, 300.0)]
    # has_deal_items alone keeps the items; the other extras are replaced as a whole
    kept = ok(api.put(f"/deals/{deal['id']}", json={k: v for k, v in extras.items() if k != "deal_items"}))["deal"]
    assert kept["deal_items"] == deal["deal_items"] and kept["commission"] == 20.0
    # a PUT that leaves them out loses them, as PUT /deals/{id} does for deal items on a real account
    bare = ok(api.put(f"/deals/{deal['id']}", json={"text": "Only text"}))["deal"]
    assert bare["text"] == "Only text" and bare["name"] == "Extras" and bare["has_deal_items"] is False
    assert not {"commission", "commission_type", "commission_base", "commission_percentage", "deal_fields", "deal_items"} & set(bare)
    for bad in ({"commission_type": "lots"}, {"commission": "20"}, {"deal_fields": [{"deal_field": {"id": "nope"}, "value": "x"}]},
                {"deal_fields": [{"deal_field": {"id": fields["Products"]["id"]}, "value": {"a": 1}}]},
                {"has_deal_items": True, "deal_items": [{"name": "No price"}]}):
        error(api.put(f"/deals/{deal['id']}", json=bad), 400)


def test_custom_field_values_keep_their_shape(api) -> None:
    fields = {f["name"]: f["id"] for f in ok(api.get("/bootstrap"))["custom_fields"]}
    values = [
        {"custom_field": {"id": fields["Budget"]}, "value": 25000},
        {"custom_field": {"id": fields["Industry"]}, "value": "Energy"},
        {"custom_field": {"id": fields["Account notes"]}, "value": ["two", "parts"]},
    ]
    contact = new_contact(api, custom_fields=values)
    assert [v["value"] for v in contact["custom_fields"]] == [25000, "Energy", ["two", "parts"]]
    for bad in ({"a": 1}, True, [1, 2]):
        body = {"last_name": "Bad", "custom_fields": [{"custom_field": {"id": fields["Budget"]}, "value": bad}]}
        error(api.put(f"/contacts/{contact['id']}", json=body), 400)


def test_a_deal_for_a_team_member_notifies_them_with_a_type_the_spec_lists(api, sandbox) -> None:
    other = sandbox.users[2]
    contact = new_contact(api)
    ok(api.post("/deals", json={"contact_id": contact["id"], "name": "Yours now", "owner_id": other.user_id}), 201)
    told = _notifications(sandbox, other, contact["id"])
    assert [(n["type"], n["mobile_data"]["title"], n["mobile_data"]["body"]) for n in told] == [
        ("note", "Deal assigned to you", "Yours now"),
    ]
    # the spec's enum, less the two kinds GET /notifications never lists
    assert told[0]["type"] in {"assigned_action", "action_with_time", "contact_assigned", "call", "meeting", "note"}


def all_deals(api) -> list[dict]:
    first = ok(api.get("/deals", params={"per_page": 100}))
    deals = list(first["deals"])
    for page in range(2, first["max_page"] + 1):
        deals += ok(api.get("/deals", params={"per_page": 100, "page": page}))["deals"]
    return deals


# -- persistence and chaos ----------------------------------------------------------------------------------


def test_data_survives_restart_and_reset_reseeds(tmp_path: Path) -> None:
    data = tmp_path / "sandbox.sqlite3"
    with start_sandbox(SandboxOptions(today=TODAY, data=data, contacts=50)) as first:
        auth = (first.user_id, first.api_key)
        created = ok(httpx.post(f"{first.base_url}/contacts", auth=auth, json={"last_name": "Persistent"}), 201)
        cid = created["contact"]["id"]
        ok(httpx.post(f"{first.base_url}/actions", auth=auth, json={"contact_id": cid, "text": "Keep me", "status": "asap"}), 201)
    with start_sandbox(SandboxOptions(today=TODAY, data=data, contacts=50)) as second:
        e = ok(httpx.get(f"{second.base_url}/contacts/{cid}", auth=auth))
        assert e["contact"]["last_name"] == "Persistent" and e["next_action"]["text"] == "Keep me"
    with start_sandbox(SandboxOptions(today=TODAY, data=data, contacts=50, reset=True)) as third:
        error(httpx.get(f"{third.base_url}/contacts/{cid}", auth=auth), 404)


def test_chaos_options(sandbox, sandbox_auth) -> None:
    url = f"{sandbox.base_url}/bootstrap"
    sandbox.options.throttle_rate = 1.0
    sandbox.options.retry_after = 7
    seen = set()
    for _ in range(20):
        r = httpx.get(url, auth=sandbox_auth)
        seen.add(r.status_code)
        if r.status_code == 403:
            assert r.headers["content-type"].startswith("text/plain") and r.text == "API rate limit exceeded"
        else:
            assert r.status_code == 429 and r.headers["Retry-After"] == "7"
    assert seen == {403, 429}
    sandbox.options.throttle_rate = 0.0
    sandbox.options.fail_rate = 1.0
    codes = {httpx.get(url, auth=sandbox_auth).status_code for _ in range(20)}
    assert codes <= {500, 502, 503} and len(codes) > 1
    # A failed write is never applied.
    r = httpx.post(f"{sandbox.base_url}/contacts", auth=sandbox_auth, json={"last_name": "Ghost"})
    assert r.status_code >= 500
    sandbox.options.fail_rate = 0.0
    assert ok(httpx.get(f"{sandbox.base_url}/contacts", auth=sandbox_auth, params={"search": "Ghost"}))["total_count"] == 0
    sandbox.options.drop_rate = 1.0
    with pytest.raises(httpx.TransportError):
        httpx.get(url, auth=sandbox_auth)
    sandbox.options.drop_rate = 0.0
    sandbox.options.latency_ms = 150
    r = httpx.get(url, auth=sandbox_auth)
    assert r.status_code == 200 and r.elapsed.total_seconds() >= 0.14


def test_cli_prints_the_start_line(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "crmtui", "sandbox", "--port", "0", "--contacts", "30", "--today", "2026-03-10"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        found = re.fullmatch(r"crmtui sandbox listening on (http://127\.0\.0\.1:\d+/api/v3) user_id=(\w+) api_key=(\w+)\n", line)
        assert found, line
        base, user_id, api_key = found.groups()
        assert ok(httpx.get(f"{base}/bootstrap", auth=(user_id, api_key)))["user_id"] == user_id
    finally:
        proc.terminate()
        assert proc.wait(10) == 0
        proc.stdout.close()
        proc.stderr.close()

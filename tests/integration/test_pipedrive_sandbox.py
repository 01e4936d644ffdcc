"""The Pipedrive sandbox's behaviour over real HTTP (httpx on loopback): paging, partial updates,
filters, labels, auth, validation, persistence, and the limits on its frozen clock (no sleeps:
the tests move the clock with `pipedrive_sandbox.advance`)."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest

from crmtui.sandbox.pipedrive.server import SandboxOptions, start_sandbox
from tests.support.waits import HANG_GUARD

LEAD_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
PLAIN_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
NO_LEAD = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def http(pipedrive_sandbox):
    with httpx.Client(
        base_url=pipedrive_sandbox.base_url, headers={"x-api-token": pipedrive_sandbox.api_token}, timeout=HANG_GUARD
    ) as client:
        yield client


@pytest.fixture
def unlimited(pipedrive_sandbox):
    """Tests of behaviour (not of the limits) send more than one burst."""
    pipedrive_sandbox.limits.burst = 100_000
    return pipedrive_sandbox


def all_leads(http: httpx.Client, **params: object) -> list[dict]:
    out: list[dict] = []
    start = 0
    while True:
        page = http.get("/leads", params={**params, "start": start, "limit": 37}).json()
        out += page["data"]
        assert page["additional_data"]["start"] == start and page["additional_data"]["limit"] == 37
        if not page["additional_data"]["more_items_in_collection"]:
            return out
        start += 37


def assert_error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False and body["data"] is None and body["additional_data"] is None
    assert isinstance(body["error"], str) and isinstance(body["error_info"], str)
    return body


# -- data and paging ---------------------------------------------------------------------------------


def test_seed_has_the_promised_shapes(unlimited, http: httpx.Client) -> None:
    leads = list(unlimited.state.tables["leads"].values())
    assert len(leads) == 300
    assert len(unlimited.users) == 10
    assert len(unlimited.state.tables["persons"]) >= 200 and len(unlimited.state.tables["organizations"]) >= 100
    assert any(lead["value"] == {} for lead in leads) and any(lead["value"] is None for lead in leads)
    assert any(lead["is_archived"] for lead in leads) and any(lead["label_ids"] for lead in leads)
    assert len({lead["source_name"] for lead in leads}) > 3 and len({lead["owner_id"] for lead in leads}) == 10
    for lead in http.get("/leads", params={"limit": 500}).json()["data"]:
        assert LEAD_TIME.match(lead["add_time"]) and LEAD_TIME.match(lead["update_time"])
    for user in http.get("/users").json()["data"]:
        assert PLAIN_TIME.match(user["created"]) and PLAIN_TIME.match(user["last_login"])
    me = http.get("/users/me").json()["data"]
    assert me["id"] == unlimited.users[0]["id"] and me["is_you"] is True and "_api_token" not in me


def test_the_seed_is_deterministic(pipedrive_sandbox) -> None:
    with start_sandbox(SandboxOptions(today=dt.date(2026, 3, 10), seed=42, frozen_clock=True)) as again:
        assert again.state.tables["leads"] == pipedrive_sandbox.state.tables["leads"]
    with start_sandbox(SandboxOptions(today=dt.date(2026, 3, 10), seed=7, frozen_clock=True)) as other:
        assert other.state.tables["leads"] != pipedrive_sandbox.state.tables["leads"]


def test_paging_walks_every_open_lead_once_oldest_first(unlimited, http: httpx.Client) -> None:
    walked = all_leads(http)
    ids = [lead["id"] for lead in walked]
    assert len(ids) == len(set(ids))
    assert set(ids) == {lead["id"] for lead in unlimited.state.tables["leads"].values() if not lead["is_archived"]}
    assert [lead["add_time"] for lead in walked] == sorted(lead["add_time"] for lead in walked)
    capped = http.get("/leads", params={"limit": 900}).json()["additional_data"]
    assert capped["limit"] == 500 and capped["more_items_in_collection"] is False
    archived = http.get("/leads/archived", params={"limit": 500}).json()["data"]
    assert archived and all(lead["is_archived"] and lead["archive_time"] for lead in archived)
    every = http.get("/leads", params={"limit": 500, "archived_status": "all"}).json()["data"]
    assert len(every) == 300


def test_owner_sort_and_bad_sort(unlimited, http: httpx.Client) -> None:
    owner = unlimited.users[3]["id"]
    mine = http.get("/leads", params={"owner_id": owner, "limit": 500}).json()["data"]
    assert mine and all(lead["owner_id"] == owner for lead in mine)
    titles = [lead["title"] for lead in http.get("/leads", params={"sort": "title DESC", "limit": 500}).json()["data"]]
    assert titles == sorted(titles, reverse=True)
    assert_error(http.get("/leads", params={"sort": "colour"}), 400)


# -- writes -------------------------------------------------------------------------------------------


def test_create_read_delete(unlimited, http: httpx.Client) -> None:
    made = http.post("/leads", json={"title": "Fresh lead", "person_id": 3, "value": {"amount": 950, "currency": "usd"}})
    assert made.status_code == 201
    lead = made.json()["data"]
    assert lead["owner_id"] == unlimited.users[0]["id"] and lead["source_name"] == "API" and lead["origin"] == "API"
    assert lead["value"] == {"amount": 950, "currency": "USD"} and LEAD_TIME.match(lead["add_time"])
    assert http.get(f"/leads/{lead['id']}").json()["data"] == lead
    assert http.delete(f"/leads/{lead['id']}").json() == {"success": True, "data": {"id": lead["id"]}}
    body = assert_error(http.get(f"/leads/{lead['id']}"), 404)
    assert body["error"] == "requested lead not found"


def test_patch_changes_only_the_given_fields(unlimited, http: httpx.Client) -> None:
    before = http.get("/leads", params={"limit": 1}).json()["data"][0]
    unlimited.advance(60)
    after = http.patch(f"/leads/{before['id']}", json={"title": "Renamed", "was_seen": not before["was_seen"]}).json()["data"]
    changed = {key for key in before if before[key] != after[key]}
    assert changed == {"title", "was_seen", "update_time"}
    assert after["update_time"] > before["update_time"]
    unset = http.patch(f"/leads/{before['id']}", json={"value": None, "expected_close_date": None}).json()["data"]
    assert unset["value"] is None and unset["expected_close_date"] is None and unset["title"] == "Renamed"
    archived = http.patch(f"/leads/{before['id']}", json={"is_archived": True}).json()["data"]
    assert archived["is_archived"] and archived["archive_time"]
    assert before["id"] not in {lead["id"] for lead in all_leads(http)}
    assert_error(http.patch(f"/leads/{NO_LEAD}", json={"title": "x"}), 404)


@pytest.mark.parametrize(
    ("method", "body", "info"),
    [
        ("POST", {"organization_id": 1}, '"title" is required'),
        ("POST", {"title": "No one"}, "person_id"),
        ("POST", {"title": "x", "organization_id": "1"}, '"organization_id" must be a number'),
        ("POST", {"title": "x", "organization_id": 1, "owner_id": None}, '"owner_id" must be a number'),
        ("POST", {"title": "x", "organization_id": 1, "value": {"amount": 5}}, '"value"'),
        ("POST", {"title": "x", "organization_id": 1, "visible_to": 3}, '"visible_to"'),
        ("POST", {"title": "x", "organization_id": 99999}, "does not exist"),
        ("PATCH", {"owner_id": "me"}, '"owner_id" must be a number'),
        ("PATCH", {"label_ids": [NO_LEAD]}, "does not exist"),
        ("PATCH", {"expected_close_date": "next week"}, '"expected_close_date"'),
    ],
)
def test_validation_errors_in_the_envelope(unlimited, http: httpx.Client, method: str, body: dict, info: str) -> None:
    lead = next(iter(unlimited.state.tables["leads"].values()))
    before = dict(lead)
    path = "/leads" if method == "POST" else f"/leads/{lead['id']}"
    answer = assert_error(http.request(method, path, json=body), 400)
    assert answer["error"] == "provided dataset is not valid" and info in answer["error_info"]
    assert unlimited.state.tables["leads"][lead["id"]] == before and len(unlimited.state.tables["leads"]) == 300


# -- filters and labels ----------------------------------------------------------------------------------


def test_filters_filter(unlimited, http: httpx.Client) -> None:
    listed = http.get("/filters", params={"type": "leads"}).json()["data"]
    assert listed and all(f["type"] == "leads" and "conditions" not in f for f in listed)
    assert len(http.get("/filters").json()["data"]) > len(listed)
    open_leads = [lead for lead in unlimited.state.tables["leads"].values() if not lead["is_archived"]]
    hot = next(label["id"] for label in unlimited.state.tables["lead_labels"].values() if label["name"] == "Hot")
    expected = {
        "My open leads": lambda lead: lead["owner_id"] == unlimited.users[0]["id"],
        "Hot leads": lambda lead: hot in lead["label_ids"],
        "Worth over 20,000": lambda lead: bool(lead["value"]) and lead["value"]["amount"] > 20000,
        "No value": lambda lead: not lead["value"],
        "Acme or Nova": lambda lead: "acme" in lead["title"].lower() or "nova" in lead["title"].lower(),
    }
    assert set(expected) == {f["name"] for f in listed}
    for saved in listed:
        got = {lead["id"] for lead in all_leads(http, filter_id=saved["id"])}
        want = {lead["id"] for lead in open_leads if expected[saved["name"]](lead)}
        assert got == want and 0 < len(got) < len(open_leads), saved["name"]
    mine = next(f["id"] for f in listed if f["name"] == "My open leads")
    other = unlimited.users[1]["id"]
    wins = http.get("/leads", params={"filter_id": mine, "owner_id": other, "limit": 500}).json()["data"]
    assert wins and all(lead["owner_id"] == unlimited.users[0]["id"] for lead in wins)  # filter_id wins
    assert_error(http.get("/leads", params={"filter_id": 999}), 400)


def test_labels_crud(unlimited, http: httpx.Client) -> None:
    label = http.post("/leadLabels", json={"name": "Trade show", "color": "pink"}).json()["data"]
    assert LEAD_TIME.match(label["add_time"])
    assert label in http.get("/leadLabels").json()["data"]
    unlimited.advance(5)
    changed = http.patch(f"/leadLabels/{label['id']}", json={"color": "brown"}).json()["data"]
    assert changed["name"] == "Trade show" and changed["color"] == "brown" and changed["update_time"] > label["update_time"]
    assert_error(http.post("/leadLabels", json={"name": "No colour"}), 400)
    assert_error(http.patch(f"/leadLabels/{label['id']}", json={"color": "teal"}), 400)
    lead = http.get("/leads", params={"limit": 1}).json()["data"][0]
    tagged = http.patch(f"/leads/{lead['id']}", json={"label_ids": [label["id"]]}).json()["data"]
    assert tagged["label_ids"] == [label["id"]]
    assert http.delete(f"/leadLabels/{label['id']}").json()["data"] == {"id": label["id"]}
    assert label["id"] not in {x["id"] for x in http.get("/leadLabels").json()["data"]}
    assert http.get(f"/leads/{lead['id']}").json()["data"]["label_ids"] == []  # gone from the lead too
    assert_error(http.delete(f"/leadLabels/{label['id']}"), 404)
    sources = [s["name"] for s in http.get("/leadSources").json()["data"]]
    assert "Manually created" in sources and "API" in sources


def test_names_of_persons_and_organizations(unlimited, http: httpx.Client) -> None:
    lead = next(x for x in unlimited.state.tables["leads"].values() if x["person_id"] and x["organization_id"])
    person = http.get(f"/persons/{lead['person_id']}").json()["data"]
    org = http.get(f"/organizations/{lead['organization_id']}").json()["data"]
    assert person["id"] == lead["person_id"] and person["name"] and org["name"]
    assert not any(key.startswith("_") for key in (*person, *org))
    assert http.get("/persons/99999").status_code == 404


def test_search_finds_leads_by_title(unlimited, http: httpx.Client) -> None:
    answer = http.get("/leads/search", params={"term": "licences", "limit": 500}).json()
    titles = [item["item"]["title"] for item in answer["data"]["items"]]
    assert titles and all("licences" in t for t in titles)
    assert len(titles) == sum("licences" in lead["title"] for lead in unlimited.state.tables["leads"].values())
    assert_error(http.get("/leads/search", params={"term": "l"}), 400)


# -- auth --------------------------------------------------------------------------------------------------


def test_wrong_or_missing_token_is_401(pipedrive_sandbox) -> None:
    base = pipedrive_sandbox.base_url
    with httpx.Client(timeout=HANG_GUARD) as http:
        for response in (
            http.get(f"{base}/leads"),
            http.get(f"{base}/leads", headers={"x-api-token": "nope"}),
            http.get(f"{base}/leads", params={"api_token": "nope"}),
        ):
            body = assert_error(response, 401)
            assert body["error"] == "unauthorized access" and body["errorCode"] == 401
            assert response.headers["x-ratelimit-limit"] == "20"
        other = pipedrive_sandbox.users[2]
        me = http.get(f"{base}/users/me", params={"api_token": other["_api_token"]})
        assert me.status_code == 200 and me.json()["data"]["id"] == other["id"]


# -- limits ------------------------------------------------------------------------------------------------


def test_burst_window_then_recovery(pipedrive_sandbox, http: httpx.Client) -> None:
    remaining = []
    for _ in range(20):
        response = http.get("/leadSources")
        assert response.status_code == 200
        assert response.headers["x-ratelimit-limit"] == "20"
        remaining.append(int(response.headers["x-ratelimit-remaining"]))
    assert remaining == list(range(19, -1, -1))
    over = http.get("/leadSources")
    body = assert_error(over, 429)
    assert body["errorCode"] == 429 and over.headers["x-ratelimit-remaining"] == "0"
    assert int(over.headers["x-ratelimit-reset"]) > 0
    # another token has its own window
    other = http.get("/leadSources", headers={"x-api-token": pipedrive_sandbox.users[1]["_api_token"]})
    assert other.status_code == 200
    pipedrive_sandbox.advance(2)
    again = http.get("/leadSources")
    assert again.status_code == 200 and again.headers["x-ratelimit-remaining"] == "19"


def test_retry_after_only_sometimes(pipedrive_sandbox, http: httpx.Client) -> None:
    pipedrive_sandbox.limits.escalate_after = 1_000
    for _ in range(20):
        assert http.get("/leadSources").status_code == 200
    refused = [http.get("/leadSources") for _ in range(30)]
    assert all(r.status_code == 429 for r in refused)
    with_header = [r for r in refused if "retry-after" in r.headers]
    assert 0 < len(with_header) < len(refused)
    assert all(int(r.headers["retry-after"]) > 0 for r in with_header)


def test_daily_budget_runs_out_until_the_next_day(pipedrive_sandbox, http: httpx.Client) -> None:
    pipedrive_sandbox.limits.daily_budget = 50
    assert http.get("/leads").status_code == 200  # 20 tokens
    assert http.get("/leads").status_code == 200  # 40
    spent = assert_error(http.get("/leads"), 429)  # 60 > 50
    assert "budget" in spent["error_info"]
    assert http.get("/leadSources").status_code == 200  # 42: a cheap call still fits
    pipedrive_sandbox.advance(2)
    assert http.get("/leads").status_code == 429  # the window is not what stops it
    pipedrive_sandbox.advance(24 * 3600)
    assert http.get("/leads").status_code == 200


def test_pushing_through_429s_gets_the_cloudflare_block_until_it_ends(pipedrive_sandbox, http: httpx.Client) -> None:
    pipedrive_sandbox.limits.block_seconds = 600
    for _ in range(20):
        assert http.get("/leadSources").status_code == 200
    statuses = [http.get("/leadSources").status_code for _ in range(11)]
    assert statuses == [429] * 10 + [403]
    blocked = http.get("/leads")
    assert blocked.status_code == 403 and blocked.headers["content-type"].startswith("text/html")
    assert "This error is produced by Cloudflare" in blocked.text
    pipedrive_sandbox.advance(2)  # the burst window is over, the block is not
    assert http.get("/leadSources").status_code == 403
    pipedrive_sandbox.advance(600)
    assert http.get("/leadSources").status_code == 200


# -- persistence ---------------------------------------------------------------------------------------------


def test_data_persists_in_its_own_file(tmp_path) -> None:
    data = tmp_path / "pipedrive.sqlite3"
    options = SandboxOptions(data=data, today=dt.date(2026, 3, 10), frozen_clock=True)
    with start_sandbox(options) as first:
        with httpx.Client(base_url=first.base_url, headers={"x-api-token": first.api_token}, timeout=HANG_GUARD) as http:
            lead = http.post("/leads", json={"title": "Kept", "organization_id": 2}).json()["data"]
            label = http.post("/leadLabels", json={"name": "Kept", "color": "gray"}).json()["data"]
            http.patch(f"/leads/{lead['id']}", json={"label_ids": [label["id"]]})
    with start_sandbox(options) as second:
        assert second.state.tables["leads"][lead["id"]]["label_ids"] == [label["id"]]
        assert len(second.state.tables["leads"]) == 301
        with httpx.Client(base_url=second.base_url, headers={"x-api-token": second.api_token}, timeout=HANG_GUARD) as http:
            assert http.get(f"/leads/{lead['id']}").json()["data"]["title"] == "Kept"
    with start_sandbox(SandboxOptions(data=data, reset=True, frozen_clock=True, today=dt.date(2026, 3, 10))) as reset:
        assert lead["id"] not in reset.state.tables["leads"]


def test_a_onepagecrm_data_file_is_refused_not_mixed(tmp_path) -> None:
    from crmtui.sandbox.onepagecrm.server import SandboxOptions as OnePageOptions
    from crmtui.sandbox.onepagecrm.server import start_sandbox as start_onepage
    from crmtui.sandbox.pipedrive.server import ForeignDataError

    data = tmp_path / "demo.sqlite3"
    with start_onepage(OnePageOptions(data=data, contacts=20)) as onepage:
        contacts = dict(onepage.state.tables["contacts"])
    for reset in (False, True):
        with pytest.raises(ForeignDataError):
            start_sandbox(SandboxOptions(data=data, reset=reset))
    with start_onepage(OnePageOptions(data=data, contacts=20)) as again:
        assert again.state.tables["contacts"] == contacts


def test_cli_prints_the_start_line() -> None:
    import os
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "crmtui", "sandbox", "--backend", "pipedrive", "--port", "0", "--leads", "40", "--today", "2026-03-10"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"}, text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        found = re.fullmatch(r"crmtui pipedrive sandbox listening on (http://127\.0\.0\.1:\d+/api/v1) api_token=([0-9a-f]{40})\n", line)
        assert found, line
        base, token = found.groups()
        answer = httpx.get(f"{base}/leads", params={"limit": 500}, headers={"x-api-token": token}, timeout=HANG_GUARD)
        assert answer.status_code == 200 and 0 < len(answer.json()["data"]) <= 40
    finally:
        proc.terminate()
        assert proc.wait(HANG_GUARD) == 0
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_chaos_switches(pipedrive_sandbox, http: httpx.Client) -> None:
    pipedrive_sandbox.options.fail_rate = 1.0
    statuses = {http.get("/leadSources").status_code for _ in range(12)}
    assert statuses <= {500, 502, 503} and len(statuses) > 1
    pipedrive_sandbox.options.fail_rate = 0.0
    pipedrive_sandbox.options.drop_rate = 1.0
    with pytest.raises(httpx.TransportError):
        http.get("/leadSources")
    pipedrive_sandbox.options.drop_rate = 0.0
    assert http.get("/leadSources").status_code == 200

"""More of the Pipedrive sandbox over real HTTP (httpx on loopback): the plan's limits and the search
window, lost answers, lead fields, filters CRUD, item search, files, goals and legacy teams. The
clock is frozen; tests move it with `pipedrive_sandbox.advance` instead of sleeping."""

from __future__ import annotations

import argparse
import datetime as dt

import httpx
import pytest

from crmtui.sandbox.pipedrive.server import SandboxOptions, start_sandbox
from tests.support.waits import HANG_GUARD

TODAY = dt.date(2026, 3, 10)
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
    pipedrive_sandbox.limits.search_burst = 100_000
    return pipedrive_sandbox


def client_for(sandbox, token: str) -> httpx.Client:
    return httpx.Client(base_url=sandbox.base_url, headers={"x-api-token": token}, timeout=HANG_GUARD)


def assert_error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False and body["data"] is None
    return body


# -- limits ---------------------------------------------------------------------------------------------


def test_search_has_its_own_window_of_ten(pipedrive_sandbox, http: httpx.Client) -> None:
    for n in range(10):
        answer = http.get("/leads/search", params={"term": "renewal"})
        assert answer.status_code == 200
        assert answer.headers["x-ratelimit-limit"] == "10" and answer.headers["x-ratelimit-remaining"] == str(9 - n)
    over = assert_error(http.get("/leads/search", params={"term": "renewal"}), 429)
    assert over["errorCode"] == 429
    plain = http.get("/leadSources")  # the general window (20) still has room
    assert plain.status_code == 200 and plain.headers["x-ratelimit-limit"] == "20"
    assert plain.headers["x-ratelimit-remaining"] == str(20 - 11)
    pipedrive_sandbox.advance(2)
    assert http.get("/leads/search", params={"term": "renewal"}).status_code == 200


def test_writes_report_daily_requests_left(unlimited, http: httpx.Client) -> None:
    assert "x-daily-requests-left" not in http.get("/leadLabels").headers
    first = http.post("/leadLabels", json={"name": "One", "color": "red"})
    second = http.patch(f"/leadLabels/{first.json()['data']['id']}", json={"color": "blue"})
    lefts = [int(r.headers["x-daily-requests-left"]) for r in (first, second)]
    assert lefts[1] == lefts[0] - 1 and lefts[0] > 0
    with client_for(unlimited, unlimited.users[1]["_api_token"]) as other:  # counted per token
        assert int(other.post("/leadLabels", json={"name": "Two", "color": "red"}).headers["x-daily-requests-left"]) == lefts[0]
    assert "x-daily-requests-left" not in http.delete(f"/leadLabels/{first.json()['data']['id']}").headers


@pytest.mark.parametrize(("plan", "seats", "budget", "burst"), [("lite", None, 300_000, 20), ("growth", 3, 180_000, 40), ("ultimate", 2, 420_000, 120)])
def test_the_plan_and_seats_set_budget_and_burst(plan: str, seats: int | None, budget: int, burst: int) -> None:
    with start_sandbox(SandboxOptions(today=TODAY, leads=5, frozen_clock=True, plan=plan, seats=seats)) as sandbox:
        assert sandbox.limits.daily_budget == budget and sandbox.limits.burst == burst
        answer = httpx.get(f"{sandbox.base_url}/leadSources", headers={"x-api-token": sandbox.api_token}, timeout=HANG_GUARD)
        assert answer.headers["x-ratelimit-limit"] == str(burst)


def test_a_short_day_ends_the_budget_exhaustion() -> None:
    options = SandboxOptions(today=TODAY, leads=5, frozen_clock=True, daily_budget=45, day_seconds=60, retry_after_share=1.0)
    with start_sandbox(options) as sandbox, client_for(sandbox, sandbox.api_token) as http:
        assert http.get("/leads").status_code == 200
        assert http.get("/leads").status_code == 200
        refused = http.get("/leads")
        assert refused.status_code == 429 and refused.headers["retry-after"] == "60"
        sandbox.advance(59)
        again = http.get("/leads")
        assert again.status_code == 429 and again.headers["retry-after"] == "1"
        sandbox.advance(1)
        assert http.get("/leads").status_code == 200


def test_lost_answers_apply_the_write(unlimited, http: httpx.Client) -> None:
    unlimited.options.lose_rate = 1.0
    with pytest.raises(httpx.TransportError):
        http.post("/leadLabels", json={"name": "Applied anyway", "color": "gray"})
    unlimited.options.lose_rate = 0.0
    assert "Applied anyway" in {label["name"] for label in http.get("/leadLabels").json()["data"]}


def test_cli_options_reach_the_sandbox() -> None:
    from crmtui.sandbox.onepagecrm.cli import add_sandbox_arguments
    from crmtui.sandbox.pipedrive.cli import add_pipedrive_arguments, options_from_args

    parser = argparse.ArgumentParser()
    add_sandbox_arguments(parser)
    add_pipedrive_arguments(parser)
    args = parser.parse_args(["--backend", "pipedrive", "--plan", "premium", "--seats", "4", "--day-seconds", "30", "--lose-rate", "0.25"])
    options = options_from_args(args)
    assert (options.plan, options.seats, options.day_seconds, options.lose_rate, options.burst) == ("premium", 4, 30.0, 0.25, None)
    with pytest.raises(SystemExit):
        parser.parse_args(["--plan", "gold"])


# -- users ----------------------------------------------------------------------------------------------


def test_users_answer_for_the_tokens_user(unlimited, http: httpx.Client) -> None:
    admin = http.get("/users/me").json()["data"]
    assert admin["access"][0]["admin"] is True and admin["is_you"] is True
    with client_for(unlimited, unlimited.regular_token) as regular:
        me = regular.get("/users/me").json()["data"]
        assert me["id"] != admin["id"] and me["access"][0]["admin"] is False
        listed = regular.get("/users").json()["data"]
    assert [u["id"] for u in listed if u["is_you"]] == [me["id"]]
    assert all("_api_token" not in u for u in listed)


# -- lead fields ------------------------------------------------------------------------------------------


def test_lead_fields_standard_and_custom(unlimited, http: httpx.Client) -> None:
    from crmtui.sandbox.pipedrive.seed import NOTES_KEY, TIER_KEY

    fields = http.get("/leadFields").json()
    assert fields["additional_data"] == {"start": 0, "limit": 100, "more_items_in_collection": False}
    by_key = {f["key"]: f for f in fields["data"]}
    assert {"title", "owner_id", "label_ids", "value", "expected_close_date"} <= set(by_key)
    tier, notes = by_key[TIER_KEY], by_key[NOTES_KEY]
    assert tier["field_type"] == "enum" and [o["label"] for o in tier["options"]] == ["Gold", "Silver", "Bronze"]
    assert notes["field_type"] == "text" and notes["options"] is None and len(TIER_KEY) == 40
    labels = http.get("/leadLabels").json()["data"]
    assert [o["id"] for o in by_key["label_ids"]["options"]] == [label["id"] for label in labels]
    page = http.get("/leadFields", params={"start": 2, "limit": 3}).json()
    assert page["data"] == fields["data"][2:5] and page["additional_data"]["more_items_in_collection"] is True
    leads = http.get("/leads", params={"limit": 500}).json()["data"]
    tiered = [lead for lead in leads if TIER_KEY in lead]
    assert 0 < len(tiered) < len(leads) and all(lead[TIER_KEY] in {31, 32, 33} for lead in tiered)
    assert any(NOTES_KEY in lead for lead in leads)


def test_custom_fields_set_and_unset_on_a_lead(unlimited, http: httpx.Client) -> None:
    from crmtui.sandbox.pipedrive.seed import NOTES_KEY, TIER_KEY

    lead = next(x for x in http.get("/leads", params={"limit": 500}).json()["data"] if TIER_KEY not in x)
    set_ = http.patch(f"/leads/{lead['id']}", json={TIER_KEY: 33, NOTES_KEY: "Call Monday"}).json()["data"]
    assert set_[TIER_KEY] == 33 and set_[NOTES_KEY] == "Call Monday"
    unset = http.patch(f"/leads/{lead['id']}", json={TIER_KEY: None}).json()["data"]
    assert TIER_KEY not in unset and unset[NOTES_KEY] == "Call Monday"
    assert assert_error(http.patch(f"/leads/{lead['id']}", json={TIER_KEY: 7}), 400)["error_info"].startswith(f'"{TIER_KEY}"')
    assert_error(http.patch(f"/leads/{lead['id']}", json={NOTES_KEY: 5}), 400)
    made = http.post("/leads", json={"title": "Tiered", "organization_id": 1, TIER_KEY: 31}).json()["data"]
    assert made[TIER_KEY] == 31 and NOTES_KEY not in made


# -- filters ------------------------------------------------------------------------------------------------


def cond(field: str, operator: str, value: object, obj: str = "lead") -> dict:
    return {"object": obj, "field_id": field, "operator": operator, "value": value, "extra_value": None}


def tree(all_of: list, any_of: list | None = None) -> dict:
    return {"glue": "and", "conditions": [{"glue": "and", "conditions": all_of}, {"glue": "or", "conditions": any_of or []}]}


def test_filter_crud_and_evaluation(unlimited, http: httpx.Client) -> None:
    owner = unlimited.users[2]["id"]
    made = http.post("/filters", json={"name": "Priya's big ones", "type": "leads", "conditions": tree([cond("owner_id", "=", owner)])})
    assert made.status_code == 200, made.text
    saved = made.json()["data"]
    assert saved["conditions"]["conditions"][0]["conditions"][0]["value"] == owner and saved["user_id"] == unlimited.users[0]["id"]
    listed = {f["id"]: f for f in http.get("/filters", params={"type": "leads"}).json()["data"]}
    assert saved["id"] in listed and "conditions" not in listed[saved["id"]]
    assert http.get(f"/filters/{saved['id']}").json()["data"]["conditions"] == saved["conditions"]
    leads = http.get("/leads", params={"filter_id": saved["id"], "limit": 500}).json()["data"]
    assert leads and all(lead["owner_id"] == owner for lead in leads)
    unlimited.advance(5)
    changed = http.put(f"/filters/{saved['id']}", json={"conditions": tree([cond("owner_id", "=", owner), cond("title", "LIKE '$%'", "Acme")])}).json()["data"]
    assert changed["name"] == "Priya's big ones" and changed["update_time"] > saved["update_time"]
    narrowed = http.get("/leads", params={"filter_id": saved["id"], "limit": 500}).json()["data"]
    assert {x["id"] for x in narrowed} == {x["id"] for x in leads if x["title"].startswith("Acme")}
    assert http.delete(f"/filters/{saved['id']}").json()["data"] == {"id": saved["id"]}
    assert_error(http.get(f"/filters/{saved['id']}"), 404)
    assert_error(http.delete(f"/filters/{saved['id']}"), 404)


def test_relative_dates_in_filters(unlimited, http: httpx.Client) -> None:
    recent = tree([cond("add_time", ">=", "1_months_ago")])
    made = http.post("/filters", json={"name": "Recent", "type": "leads", "conditions": recent}).json()["data"]
    got = {x["id"] for x in http.get("/leads", params={"filter_id": made["id"], "limit": 500}).json()["data"]}
    cutoff = (TODAY - dt.timedelta(days=30)).isoformat()
    want = {x["id"] for x in unlimited.state.tables["leads"].values() if not x["is_archived"] and x["add_time"][:10] >= cutoff}
    assert got == want and 0 < len(got)


def test_bulk_delete_and_helpers(unlimited, http: httpx.Client) -> None:
    ids = [
        http.post("/filters", json={"name": f"F{n}", "type": "leads", "conditions": tree([cond("was_seen", "=", True)])}).json()["data"]["id"]
        for n in range(3)
    ]
    answer = http.delete("/filters", params={"ids": f"{ids[0]},{ids[2]},9999"}).json()
    assert answer == {"success": True, "data": {"id": [ids[0], ids[2]]}}
    assert {f["id"] for f in http.get("/filters").json()["data"]} & set(ids) == {ids[1]}
    assert_error(http.delete("/filters", params={"ids": "a,b"}), 400)
    helpers = http.get("/filters/helpers").json()["data"]
    assert helpers["operators"]["varchar"]["LIKE '%$%'"] == "contains" and "today" in helpers["relative_dates"]["Relative dates"]
    assert "postal_code" in helpers["address_field_components"]


@pytest.mark.parametrize(
    ("conditions", "info"),
    [
        ({"glue": "or", "conditions": []}, "must be"),
        ({"glue": "and", "conditions": [{"glue": "and", "conditions": []}]}, "must be"),
        ({"glue": "and", "conditions": [{"glue": "or", "conditions": []}, {"glue": "and", "conditions": []}]}, "must be"),
        (tree([cond("title", "=", f"t{n}") for n in range(17)]), "at most 16"),
        (tree([cond("title", "resembles", "x")]), "operator"),
        (tree([cond("add_time", ">", "last tuesday")]), "date"),
        (tree([tree([])]), "no deeper groups"),
    ],
)
def test_filter_validation(unlimited, http: httpx.Client, conditions: dict, info: str) -> None:
    before = dict(unlimited.state.tables["filters"])
    answer = assert_error(http.post("/filters", json={"name": "Bad", "type": "leads", "conditions": conditions}), 400)
    assert info in answer["error_info"]
    assert unlimited.state.tables["filters"] == before
    assert_error(http.put("/filters/1", json={"conditions": conditions}), 400)
    sixteen = tree([cond("title", "=", "x")] * 8, [cond("title", "=", "y")] * 8)
    assert http.post("/filters", json={"name": "Sixteen", "type": "leads", "conditions": sixteen}).status_code == 200


# -- item search ---------------------------------------------------------------------------------------------


def test_item_search_over_leads_persons_and_organizations(unlimited, http: httpx.Client) -> None:
    state = unlimited.state
    org = next(o for o in state.tables["organizations"].values() if o["name"].startswith("Acme"))
    answer = http.get("/itemSearch", params={"term": "acme", "limit": 500}).json()
    items = answer["data"]["items"]
    kinds = {item["item"]["type"] for item in items}
    assert kinds == {"lead", "organization"}  # persons' names and addresses do not say Acme
    assert org["id"] in {i["item"]["id"] for i in items if i["item"]["type"] == "organization"}
    scores = [i["result_score"] for i in items]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)
    expected_orgs = {o["id"] for o in state.tables["organizations"].values() if "acme" in o["name"].lower()}
    assert {i["item"]["id"] for i in items if i["item"]["type"] == "organization"} == expected_orgs
    only_orgs = http.get("/itemSearch", params={"term": "acme", "item_types": "organization", "limit": 500}).json()["data"]["items"]
    assert {i["item"]["type"] for i in only_orgs} == {"organization"} and len(only_orgs) == len(expected_orgs)
    # a shorter name scores higher: the term is more of it
    best = only_orgs[0]["item"]["name"]
    assert len(best.split()) == min(len(o["name"].split()) for o in state.tables["organizations"].values() if o["id"] in expected_orgs)


def test_item_search_fields_related_paging_and_terms(unlimited, http: httpx.Client) -> None:
    person = unlimited.state.tables["persons"]["7"]
    email = person["email"][0]["value"]
    by_email = http.get("/itemSearch", params={"term": email, "fields": "email"}).json()["data"]["items"]
    assert [(i["item"]["type"], i["item"]["id"]) for i in by_email] == [("person", 7)]
    assert http.get("/itemSearch", params={"term": email, "fields": "name"}).json()["data"]["items"] == []
    leads_of = [x["id"] for x in unlimited.state.tables["leads"].values() if x["person_id"] == 7]
    linked = http.get("/itemSearch", params={"term": email, "fields": "email", "search_for_related_items": "true"}).json()["data"]
    assert {i["item"]["id"] for i in linked["related_items"] if i["item"]["type"] == "lead"} == set(leads_of)
    assert all(i["result_score"] == 0 for i in linked["related_items"])
    first = http.get("/itemSearch", params={"term": "licences", "limit": 3}).json()
    assert len(first["data"]["items"]) == 3 and first["additional_data"]["pagination"]["next_start"] == 3
    second = http.get("/itemSearch", params={"term": "licences", "limit": 3, "start": 3}).json()["data"]["items"]
    assert not {i["item"]["id"] for i in second} & {i["item"]["id"] for i in first["data"]["items"]}
    assert_error(http.get("/itemSearch", params={"term": "a"}), 400)
    assert http.get("/itemSearch", params={"term": "a", "exact_match": "true"}).status_code == 200
    assert_error(http.get("/itemSearch", params={"term": "acme", "item_types": "lead,spaceship"}), 400)
    assert_error(http.get("/itemSearch", params={"term": "acme", "fields": "colour"}), 400)
    exact = http.get("/itemSearch", params={"term": person["name"], "exact_match": "true", "item_types": "person"}).json()["data"]["items"]
    assert exact and all(i["item"]["name"].casefold() == person["name"].casefold() for i in exact)


def test_leads_search_shares_the_scoring(unlimited, http: httpx.Client) -> None:
    from crmtui.sandbox.pipedrive.seed import NOTES_KEY

    via_leads = http.get("/leads/search", params={"term": "renewal", "limit": 500}).json()["data"]["items"]
    via_items = http.get("/itemSearch", params={"term": "renewal", "item_types": "lead", "limit": 500}).json()["data"]["items"]
    assert via_leads == via_items and via_leads
    noted = next(x for x in unlimited.state.tables["leads"].values() if x.get(NOTES_KEY) == "Wants a discount")
    hits = http.get("/leads/search", params={"term": "discount", "fields": "custom_fields", "limit": 500}).json()["data"]["items"]
    assert noted["id"] in {i["item"]["id"] for i in hits} and "Wants a discount" in hits[0]["item"]["custom_fields"]
    assert http.get("/leads/search", params={"term": "discount", "fields": "title"}).json()["data"]["items"] == []


def test_item_search_field_values_and_ids(unlimited, http: httpx.Client) -> None:
    from crmtui.sandbox.pipedrive.seed import NOTES_KEY

    values = http.get("/itemSearch/field", params={"term": "call", "field_type": "leadField", "field_key": NOTES_KEY, "limit": 500}).json()
    assert values["data"] == [{NOTES_KEY: "Call back after the holidays"}]
    ids = http.get(
        "/itemSearch/field", params={"term": "call", "field_type": "leadField", "field_key": NOTES_KEY, "return_item_ids": "true", "limit": 500}
    ).json()["data"]
    want = {x["id"] for x in unlimited.state.tables["leads"].values() if x.get(NOTES_KEY) == "Call back after the holidays"}
    assert {row["id"] for row in ids} == want and len(ids) == len(want) > 1
    names = http.get("/itemSearch/field", params={"term": "Acme", "field_type": "organizationField", "field_key": "name", "limit": 500}).json()["data"]
    assert names and all("acme" in row["name"].lower() for row in names) and len({r["name"] for r in names}) == len(names)
    sensitive = http.get("/itemSearch/field", params={"term": "acme labs", "field_type": "organizationField", "field_key": "name", "exact_match": "true"})
    assert sensitive.json()["data"] == []  # exact_match is case-sensitive here
    assert_error(http.get("/itemSearch/field", params={"term": "x1", "field_type": "personField", "field_key": "shoe_size"}), 400)


# -- files -----------------------------------------------------------------------------------------------------

PLAIN = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"


def test_seeded_files_list_sorted_and_paged(unlimited, http: httpx.Client) -> None:
    import re

    answer = http.get("/files").json()
    files = answer["data"]
    assert len(files) == 5 and answer["additional_data"]["pagination"]["more_items_in_collection"] is False
    assert all(f["lead_id"] in unlimited.state.tables["leads"] and f["active_flag"] for f in files)
    assert all(re.match(PLAIN, f["add_time"]) and f["lead_name"] and "_content" not in f for f in files)
    assert "old-quote.pdf" not in {f["file_name"] for f in files}  # deleted: hidden
    assert [f["id"] for f in files] == sorted(f["id"] for f in files)
    newest = http.get("/files", params={"sort": "id DESC"}).json()["data"]
    assert [f["id"] for f in newest] == sorted((f["id"] for f in files), reverse=True)
    page = http.get("/files", params={"start": 1, "limit": 2}).json()
    assert [f["id"] for f in page["data"]] == [f["id"] for f in files[1:3]]
    assert page["additional_data"]["pagination"] == {"start": 1, "limit": 2, "more_items_in_collection": True, "next_start": 3}
    assert http.get("/files", params={"limit": 500}).json()["additional_data"]["pagination"]["limit"] == 100
    assert_error(http.get("/files", params={"sort": "file_size"}), 400)


def test_upload_download_rename_delete(unlimited, http: httpx.Client) -> None:
    lead = next(iter(unlimited.state.tables["leads"].values()))
    content = bytes(range(256)) * 10
    made = http.post("/files", data={"lead_id": lead["id"]}, files={"file": ("offer.pdf", content, "application/pdf")})
    assert made.status_code == 200, made.text
    doc = made.json()["data"]
    assert (doc["file_name"], doc["file_size"], doc["lead_id"], doc["file_type"]) == ("offer.pdf", 2560, lead["id"], "pdf")
    assert doc["lead_name"] == lead["title"] and doc["url"] == f"{unlimited.base_url}/files/{doc['id']}/download"
    download = http.get(f"/files/{doc['id']}/download")
    assert download.status_code == 200 and download.content == content
    assert download.headers["content-type"] == "application/octet-stream"
    unlimited.advance(60)
    renamed = http.put(f"/files/{doc['id']}", data={"name": "Offer v2", "description": "signed"}).json()["data"]
    assert renamed["name"] == "Offer v2" and renamed["file_name"] == "offer.pdf" and renamed["update_time"] > doc["update_time"]
    assert http.delete(f"/files/{doc['id']}").json()["data"] == {"id": doc["id"]}
    assert doc["id"] not in {f["id"] for f in http.get("/files").json()["data"]}
    assert http.get(f"/files/{doc['id']}").json()["data"]["active_flag"] is False
    assert_error(http.get(f"/files/{doc['id']}/download"), 404)
    assert_error(http.delete(f"/files/{doc['id']}"), 404)
    assert_error(http.put(f"/files/{doc['id']}", data={"name": "x"}), 404)


def test_upload_validation(unlimited, http: httpx.Client) -> None:
    before = len(unlimited.state.tables["files"])
    assert_error(http.post("/files", data={"lead_id": NO_LEAD}, files={"file": ("a.txt", b"x")}), 400)
    assert_error(http.post("/files", files={"file": ("a.txt", b"x")}), 400)  # linked to nothing
    assert_error(http.post("/files", data={"deal_id": "4"}, files={"file": ("a.txt", b"x")}), 400)  # no deals here
    assert_error(http.post("/files", data={"person_id": "3"}), 400)  # no file
    unlimited.state.max_file_bytes = 100
    assert_error(http.post("/files", data={"person_id": "3"}, files={"file": ("big.bin", b"x" * 101)}), 413)
    assert len(unlimited.state.tables["files"]) == before
    ok = http.post("/files", data={"person_id": "3"}, files={"file": ("fits.bin", b"x" * 100)}).json()["data"]
    assert ok["person_name"] == unlimited.state.tables["persons"]["3"]["name"] and ok["lead_id"] is None


def test_remote_files_refuse_leads(unlimited, http: httpx.Client) -> None:
    lead = next(iter(unlimited.state.tables["leads"].values()))
    body = {"file_type": "gdoc", "title": "Plan", "item_type": "lead", "item_id": lead["id"], "remote_location": "googledrive"}
    assert "item_type" in assert_error(http.post("/files/remote", data=body), 400)["error_info"]
    made = http.post("/files/remote", data={**body, "item_type": "person", "item_id": "5"}).json()["data"]
    assert made["person_id"] == 5 and made["remote_location"] == "googledrive" and made["file_type"] == "gdoc"
    link = {"item_type": "lead", "item_id": lead["id"], "remote_id": "abc", "remote_location": "googledrive"}
    assert_error(http.post("/files/remoteLink", data=link), 400)
    linked = http.post("/files/remoteLink", data={**link, "item_type": "organization", "item_id": "2"}).json()["data"]
    assert linked["org_id"] == 2 and linked["remote_id"] == "abc"
    assert_error(http.get(f"/files/{made['id']}/download"), 404)  # its content is in Google Drive


def test_redirected_downloads_refuse_credentials() -> None:
    options = SandboxOptions(today=TODAY, leads=20, frozen_clock=True, redirect_downloads=True)
    with start_sandbox(options) as sandbox, client_for(sandbox, sandbox.api_token) as http:
        doc = http.get("/files").json()["data"][0]
        answer = http.get(f"/files/{doc['id']}/download")
        assert answer.status_code == 302
        location = answer.headers["location"]
        assert not location.startswith(sandbox.base_url.split("/api")[0])
        with httpx.Client(timeout=HANG_GUARD) as bare:
            fetched = bare.get(location)
            assert fetched.status_code == 200 and len(fetched.content) == doc["file_size"]
            assert bare.get(location, headers={"Authorization": "Bearer x"}).status_code == 401
        leaky = http.get(f"/files/{doc['id']}/download", follow_redirects=True)  # keeps x-api-token on the way
        assert leaky.status_code == 401
        sandbox.advance(61)  # tickets expire
        with httpx.Client(timeout=HANG_GUARD) as bare:
            assert bare.get(location).status_code == 404


def test_files_survive_a_restart(tmp_path) -> None:
    options = SandboxOptions(data=tmp_path / "pd.sqlite3", today=TODAY, leads=20, frozen_clock=True)
    with start_sandbox(options) as first, client_for(first, first.api_token) as http:
        made = http.post("/files", data={"org_id": "1"}, files={"file": ("kept.txt", b"kept bytes")}).json()["data"]
    with start_sandbox(options) as second, client_for(second, second.api_token) as http:
        assert http.get(f"/files/{made['id']}/download").content == b"kept bytes"


# -- goals ---------------------------------------------------------------------------------------------------


def count_events(sandbox, kind: str, start: str, end: str, users: set[int] | None = None, metric: str = "quantity", **params: object) -> int:
    now = sandbox.state.clock.now().strftime("%Y-%m-%d %H:%M:%S")
    total = 0.0
    for day, doc in sandbox.state.tables["events"].items():
        for event in doc["events"]:
            if event["kind"] != kind or event["at"] > now or not start <= day <= end:
                continue
            if users is not None and event["user_id"] not in users:
                continue
            if any(event.get(key) not in values for key, values in params.items()):  # type: ignore[operator]
                continue
            total += event["amount"] if metric == "sum" else 1
    return round(total)


def test_find_mine_by_default_everyones_with_criteria(unlimited, http: httpx.Client) -> None:
    answer = http.get("/goals/find").json()
    assert answer["statusCode"] == 20000 and answer["service"] == "statistics-goals-api"
    me = unlimited.users[0]["id"]
    mine = answer["data"]["goals"]
    assert mine and all(g["owner_id"] == me or g["assignee"] == {"id": me, "type": "person"} for g in mine)
    assert all(len(g["id"]) == 32 and g["is_active"] for g in mine)
    with client_for(unlimited, unlimited.regular_token) as regular:
        theirs = regular.get("/goals/find").json()["data"]["goals"]
        assert [g["title"] for g in theirs] == ["Calls done"]
        everyone = regular.get("/goals/find", params={"type.name": "deals_won"}).json()["data"]["goals"]
        assert {g["title"] for g in everyone} == {"Deals won", "Company revenue"}
        assert {g["title"] for g in regular.get("/goals/find", params={"assignee.type": "team"}).json()["data"]["goals"]} == {"Closers' pipeline"}
    ended = http.get("/goals/find", params={"is_active": "false"}).json()["data"]["goals"]
    assert [g["title"] for g in ended] == ["Last year's leads"]
    period = http.get("/goals/find", params={"period.start": "2026-01-01", "period.end": "2026-01-31"}).json()["data"]["goals"]
    assert len(period) == 4  # everyone's active goals that overlap January
    assert_error(http.get("/goals/find", params={"period.start": "2026-01-01"}), 400)


def test_results_are_computed_from_the_event_log_and_the_clock(unlimited, http: httpx.Client) -> None:
    goals = {g["title"]: g for g in http.get("/goals/find", params={"is_active": "true", "title": "Deals won"}).json()["data"]["goals"]}
    won = goals["Deals won"]
    me = unlimited.users[0]["id"]
    period = {"period.start": "2025-06-01", "period.end": "2026-06-30"}
    first = http.get(f"/goals/{won['id']}/results", params=period).json()["data"]
    assert first["goal"]["id"] == won["id"]
    assert first["progress"] == count_events(unlimited, "deals_won", "2025-06-01", "2026-06-30", {me}, pipeline_id=[1]) > 0
    unlimited.advance(45 * 86400)  # six more weeks of events happen
    later = http.get(f"/goals/{won['id']}/results", params=period).json()["data"]["progress"]
    assert later == count_events(unlimited, "deals_won", "2025-06-01", "2026-06-30", {me}, pipeline_id=[1]) >= first["progress"]
    revenue = next(g for g in http.get("/goals/find", params={"expected_outcome.tracking_metric": "sum"}).json()["data"]["goals"])
    money = http.get(f"/goals/{revenue['id']}/results", params=period).json()["data"]["progress"]
    assert money == count_events(unlimited, "deals_won", "2025-06-01", "2026-06-30", metric="sum") > 1000
    team = next(g for g in http.get("/goals/find", params={"assignee.type": "team"}).json()["data"]["goals"])
    members = set(unlimited.state.tables["teams"]["1"]["users"])
    assert http.get(f"/goals/{team['id']}/results", params=period).json()["data"]["progress"] == count_events(
        unlimited, "deals_started", "2025-06-01", "2026-06-30", members
    )
    assert_error(http.get(f"/goals/{won['id']}/results", params={"period.start": "2026-01-01"}), 400)
    assert_error(http.get(f"/goals/{'0' * 32}/results", params=period), 404)


def test_goal_create_update_delete(unlimited, http: httpx.Client) -> None:
    me = unlimited.users[0]["id"]
    body = {
        "title": "Meetings booked", "assignee": {"id": me, "type": "person"},
        "type": {"name": "activities_added", "params": {"activity_type_id": [2]}},
        "expected_outcome": {"target": "12", "tracking_metric": "quantity"}, "duration": {"start": "2026-01-01", "end": None},
        "interval": "monthly",
    }
    made = http.post("/goals", json=body).json()
    goal = made["data"]["goal"]
    assert made["statusText"] == "OK" and len(goal["id"]) == 32 and goal["expected_outcome"] == {"target": 12, "tracking_metric": "quantity"}
    assert goal["id"] in {g["id"] for g in http.get("/goals/find").json()["data"]["goals"]}
    progress = http.get(f"/goals/{goal['id']}/results", params={"period.start": "2026-01-01", "period.end": "2026-03-31"}).json()["data"]["progress"]
    assert progress == count_events(unlimited, "activities_added", "2026-01-01", "2026-03-31", {me}, activity_type_id=[2])
    changed = http.put(f"/goals/{goal['id']}", json={"title": "Meetings", "interval": "weekly"}).json()["data"]["goal"]
    assert (changed["title"], changed["interval"], changed["type"]) == ("Meetings", "weekly", goal["type"])
    gone = http.delete(f"/goals/{goal['id']}").json()
    assert gone == {"success": True, "statusCode": 20000, "statusText": "OK", "service": "statistics-goals-api"}
    assert_error(http.delete(f"/goals/{goal['id']}"), 404)
    assert_error(http.put("/goals/not-a-goal", json={"title": "x"}), 404)


@pytest.mark.parametrize(
    ("change", "info"),
    [
        ({"interval": "daily"}, "interval"),
        ({"type": {"name": "Deals started"}}, "type.name"),
        ({"type": {"name": "deals_progressed", "params": {}}}, "stage_id"),
        ({"assignee": {"id": 1, "type": "robot"}}, "assignee.type"),
        ({"expected_outcome": {"target": 5, "tracking_metric": "sum"}}, "currency_id"),
        ({"duration": {"start": "2026-02-01", "end": "2026-01-01"}}, "duration.end"),
        ({"duration": {"start": "01/02/2026"}}, "duration.start"),
    ],
)
def test_goal_validation(unlimited, http: httpx.Client, change: dict, info: str) -> None:
    body = {
        "assignee": {"id": unlimited.users[0]["id"], "type": "person"}, "type": {"name": "deals_won"},
        "expected_outcome": {"target": 1, "tracking_metric": "quantity"}, "duration": {"start": "2026-01-01"}, "interval": "monthly",
    }
    before = dict(unlimited.state.tables["goals"])
    assert info in assert_error(http.post("/goals", json={**body, **change}), 400)["error_info"]
    assert unlimited.state.tables["goals"] == before
    assert http.post("/goals", json=body).status_code == 200


# -- legacy teams --------------------------------------------------------------------------------------------


def test_teams_read(unlimited, http: httpx.Client) -> None:
    teams = http.get("/legacyTeams").json()["data"]
    assert [t["name"] for t in teams] == ["Closers", "Renewals"]  # the deleted one is hidden
    assert all(t["manager_id"] in t["users"] and t["deleted_flag"] == 0 and t["active_flag"] == 1 for t in teams)
    by_name = http.get("/legacyTeams", params={"order_by": "name", "skip_users": 1}).json()["data"]
    assert [t["name"] for t in by_name] == ["Closers", "Renewals"] and all("users" not in t for t in by_name)
    deleted = http.get("/legacyTeams/3").json()["data"]
    assert deleted["deleted_flag"] == 1
    assert_error(http.get("/legacyTeams/3/users"), 404)
    member = teams[0]["users"][1]
    assert http.get(f"/legacyTeams/{teams[0]['id']}/users").json()["data"] == teams[0]["users"]
    assert [t["id"] for t in http.get(f"/legacyTeams/user/{member}").json()["data"]] == [teams[0]["id"]]
    assert_error(http.get("/legacyTeams/99"), 404)
    assert_error(http.get("/legacyTeams", params={"order_by": "size"}), 400)


def test_team_writes_need_an_admin(unlimited, http: httpx.Client) -> None:
    users = [u["id"] for u in unlimited.users]
    with client_for(unlimited, unlimited.regular_token) as regular:
        for response in (
            regular.post("/legacyTeams", json={"name": "Rogue", "manager_id": users[1]}),
            regular.put("/legacyTeams/1", json={"name": "Mine now"}),
            regular.post("/legacyTeams/1/users", json={"users": [users[9]]}),
            regular.request("DELETE", "/legacyTeams/1/users", json={"users": [users[2]]}),
        ):
            body = assert_error(response, 403)
            assert body["error"] == "You do not have permissions to do this."
        assert regular.get("/legacyTeams/1").status_code == 200  # reading is fine
    assert unlimited.state.tables["teams"]["1"]["name"] == "Closers" and len(unlimited.state.tables["teams"]) == 3


def test_team_crud_and_deleted_flag(unlimited, http: httpx.Client) -> None:
    users = [u["id"] for u in unlimited.users]
    made = http.post("/legacyTeams", json={"name": "Inbound", "manager_id": users[8], "users": [users[9]], "description": "Leads desk"}).json()["data"]
    assert made["users"] == [users[8], users[9]] and made["created_by_user_id"] == users[0]
    assert http.post(f"/legacyTeams/{made['id']}/users", json={"users": [users[2], users[9]]}).json()["data"] == [users[8], users[9], users[2]]
    assert http.request("DELETE", f"/legacyTeams/{made['id']}/users", json={"users": [users[9]]}).json()["data"] == [users[8], users[2]]
    assert made["id"] in {t["id"] for t in http.get(f"/legacyTeams/user/{users[2]}").json()["data"]}
    renamed = http.put(f"/legacyTeams/{made['id']}", json={"name": "Inbound desk", "active_flag": 0}).json()["data"]
    assert renamed["name"] == "Inbound desk" and renamed["active_flag"] == 0 and renamed["users"] == [users[8], users[2]]
    http.put(f"/legacyTeams/{made['id']}", json={"deleted_flag": 1})
    assert made["id"] not in {t["id"] for t in http.get("/legacyTeams").json()["data"]}
    assert made["id"] not in {t["id"] for t in http.get(f"/legacyTeams/user/{users[2]}").json()["data"]}
    assert_error(http.post(f"/legacyTeams/{made['id']}/users", json={"users": [users[3]]}), 404)
    http.put(f"/legacyTeams/{made['id']}", json={"deleted_flag": 0})
    assert made["id"] in {t["id"] for t in http.get("/legacyTeams").json()["data"]}
    assert_error(http.post("/legacyTeams", json={"name": "No manager"}), 400)
    assert_error(http.post("/legacyTeams", json={"name": "Ghost", "manager_id": 5}), 400)
    assert_error(http.put(f"/legacyTeams/{made['id']}", json={"deleted_flag": 2}), 400)
    assert_error(http.request("DELETE", f"/legacyTeams/{made['id']}/users", json={"users": [users[8]]}), 400)  # the manager stays

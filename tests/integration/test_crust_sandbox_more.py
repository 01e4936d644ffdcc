"""The Crust sandbox's second half over real HTTP (httpx on loopback): charts computed from the records
(checked against the records as the record list gives them), the page tree and page writes with the
real server's quirks, workflows and jobs progressing on the frozen clock (the tests move it with
`crust_sandbox.advance`, never sleep), the "Not implemented" switch, and chaos on the new routes."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import httpx
import pytest

from crmtui.sandbox.crust.charts import float_id
from crmtui.sandbox.crust.server import SandboxOptions, start_sandbox
from tests.integration.test_crust_sandbox import error, ok, records, values
from tests.support.waits import HANG_GUARD

CHART = {"name": "Test", "description": "", "xAxis": "", "yAxis": "", "groupBy": "", "sum": "", "count": ""}


@pytest.fixture
def http(crust_sandbox):
    with httpx.Client(base_url=crust_sandbox.base_url, headers={"Authorization": f"Bearer {crust_sandbox.token}"},
                      timeout=HANG_GUARD) as client:
        yield client


@pytest.fixture
def modules(http: httpx.Client) -> dict[str, dict]:
    return {m["name"]: m for m in ok(http.get("/module/"))}  # type: ignore[union-attr]


def chart(http: httpx.Client, module_id: str, **params: str) -> dict:
    answer = ok(http.get(f"/module/{module_id}/chart", params={**CHART, **params}))
    assert isinstance(answer, dict)
    return answer


# -- charts ----------------------------------------------------------------------------------------


def test_a_pie_counts_the_records_by_state_in_the_options_order(http: httpx.Client, modules: dict[str, dict]) -> None:
    opp = modules["Opportunity"]
    states = Counter(values(r)["state"] for r in records(http, opp["moduleID"]) if values(r).get("state"))
    answer = chart(http, opp["moduleID"], kind="pie", xAxis="state", groupBy="state", count="id")
    options = next(f for f in opp["fields"] if f["name"] == "state")["options"]["options"]
    assert answer["data"] == [[state, states[state]] for state in options if states[state]]
    assert answer["kind"] == "pie" and answer["fields"] == {"state": {"kind": "string"}}
    assert answer["meta"]["module"] == float_id(int(opp["moduleID"])) != int(opp["moduleID"])  # rounded as a float64 is


def test_a_donut_sums_a_number_field_and_bar_groups_by_country(http: httpx.Client, modules: dict[str, dict]) -> None:
    opp = modules["Opportunity"]["moduleID"]
    totals: dict[str, float] = defaultdict(float)
    for record in records(http, opp):
        if values(record).get("country"):
            totals[values(record)["country"]] += float(values(record).get("value") or 0)
    donut = chart(http, opp, kind="donut", xAxis="country", groupBy="country", sum="value")
    assert {label: value for label, value in donut["data"]} == pytest.approx(dict(totals))
    assert [label for label, _ in donut["data"]] == [c for c in next(
        f for f in modules["Opportunity"]["fields"] if f["name"] == "country")["options"]["options"] if c in totals]
    assert "sum" in donut["meta"] and "count" not in donut["meta"]
    bar = chart(http, opp, kind="bar", xAxis="country", groupBy="country", count="country")
    assert sum(n for _, n in bar["data"]) == sum(1 for r in records(http, opp) if values(r).get("country"))
    dated = chart(http, opp, kind="bar", xAxis="country", groupBy="country", count="contacts")  # records with contacts
    assert sum(n for _, n in dated["data"]) == sum(1 for r in records(http, opp) if values(r).get("country") and values(r).get("contacts"))
    assert sum(n for _, n in dated["data"]) < sum(n for _, n in bar["data"])


def test_a_line_by_month_within_a_range(http: httpx.Client, modules: dict[str, dict]) -> None:
    opp = modules["Opportunity"]["moduleID"]
    by_month: dict[str, float] = defaultdict(float)
    for record in records(http, opp):
        day = values(record).get("closeDate", "")
        if day and "2026-01-01" <= day[:10] <= "2026-06-30":
            by_month[day[:7] + "-01"] += float(values(record).get("value") or 0)
    answer = chart(http, opp, kind="line", xAxis="closeDate:month", yAxis="value", xMin="1/1/2026", xMax="30/6/2026")
    x, y = answer["data"]
    assert x[0] == "Close date" and y[0] == "Value"
    assert x[1:] == sorted(by_month) and y[1:] == pytest.approx([by_month[m] for m in sorted(by_month)])
    assert answer["fields"]["Close date"] == {"kind": "datetime", "min": "1/1/2026", "max": "30/6/2026"}
    assert answer["meta"]["xmin"] == "1/1/2026" and answer["meta"]["xmax"] == "30/6/2026"
    weeks = chart(http, opp, kind="line", xAxis="closeDate:week", count="id", sum="value")
    assert len(weeks["data"]) == 3  # x, the count and the sum
    assert all(dt.date.fromisoformat(day).weekday() == 0 for day in weeks["data"][0][1:])  # weeks from Monday
    days = chart(http, opp, kind="line", xAxis="closeDate", count="id")
    assert sum(days["data"][1][1:]) == sum(1 for r in records(http, opp) if values(r).get("closeDate"))


def test_a_chart_follows_a_new_record(http: httpx.Client, modules: dict[str, dict]) -> None:
    lead = modules["Lead"]["moduleID"]
    before = dict(map(tuple, chart(http, lead, kind="bar", xAxis="country", groupBy="country", count="id")["data"]))
    ok(http.post(f"/module/{lead}/content", json={"fields": [{"name": "lastName", "value": "Ng"}, {"name": "country", "value": "Japan"}]}))
    after = dict(map(tuple, chart(http, lead, kind="bar", xAxis="country", groupBy="country", count="id")["data"]))
    assert after["Japan"] == before.get("Japan", 0) + 1


def test_chart_errors(http: httpx.Client, modules: dict[str, dict]) -> None:
    opp = modules["Opportunity"]["moduleID"]
    assert error(http.get(f"/module/{opp}/chart", params={**CHART, "kind": "gauge", "xAxis": "state"})) == \
        "Error when reading /chart-gauge.json: file does not exist"  # the real server's words: no file for the kind
    assert error(http.get(f"/module/{opp}/chart", params={"kind": "bar", "xAxis": "nope", "count": "id"})).startswith("Unknown field 'nope'")
    assert "not a number" in error(http.get(f"/module/{opp}/chart", params={"kind": "bar", "xAxis": "state", "sum": "state"}))
    assert error(http.get("/module/1/chart", params={"kind": "bar", "xAxis": "state"})) == "sql: no rows in result set"


# -- pages -----------------------------------------------------------------------------------------


def test_the_page_tree_nests_and_drops_orphans(http: httpx.Client) -> None:
    tree = ok(http.get("/page/tree"))
    assert isinstance(tree, list)
    assert [p["title"] for p in tree] == ["Sales", "Marketing", "Service"]
    assert [c["title"] for c in tree[0]["children"]] == ["Pipeline", "Accounts"]
    assert "children" not in tree[2]
    titles = {p["title"] for p in ok(http.get("/page/"))}  # type: ignore[union-attr]
    assert "Old reports" not in titles and {"Account record", "Sales"} <= titles  # the orphan: nowhere in the tree
    kinds = {b["kind"] for p in tree for b in p["blocks"]} | {b["kind"] for c in tree[0]["children"] for b in c["blocks"]}
    assert kinds == {"Content", "Chart", "RecordList", "Calendar"}


def test_a_chart_block_holds_a_chart_definition_the_chart_route_answers(http: httpx.Client) -> None:
    sales = ok(http.get("/page/tree"))[0]  # type: ignore[index]
    for block in (b for b in sales["blocks"] if b["kind"] == "Chart"):
        definition = dict(block["options"])
        answer = chart(http, definition.pop("moduleID"), **definition)
        assert answer["kind"] == definition["kind"] and answer["data"]


def test_page_reads_lists_and_writes(http: httpx.Client, modules: dict[str, dict]) -> None:
    sales = ok(http.get("/page/tree"))[0]  # type: ignore[index]
    children = ok(http.get("/page/", params={"selfID": sales["pageID"]}))
    assert [p["title"] for p in children] == ["Pipeline", "Accounts"]  # type: ignore[union-attr]
    record_page = next(p for p in ok(http.get("/page/")) if p["moduleID"] != "0")  # type: ignore[union-attr]
    assert ok(http.get(f"/page/{record_page['pageID']}"))["module"]["moduleID"] == record_page["moduleID"]  # type: ignore[index]
    made = ok(http.post("/page/", json={"title": "New", "selfID": sales["pageID"], "blocks": []}))
    assert isinstance(made, dict) and made["blocks"] == [] and made["visible"] is False
    assert [p["title"] for p in ok(http.get("/page/", params={"selfID": sales["pageID"]}))] == ["New", "Pipeline", "Accounts"]  # type: ignore[union-attr]
    reordered = http.post(f"/page/{sales['pageID']}/reorder", json={"pageIDs": [children[1]["pageID"], "1"]})  # type: ignore[index]
    assert reordered.json() == {"success": {"message": "OK"}}
    assert [p["title"] for p in ok(http.get("/page/", params={"selfID": sales["pageID"]}))] == ["Accounts", "New", "Pipeline"]  # type: ignore[union-attr]
    edited = ok(http.post(f"/page/{children[1]['pageID']}", json={"title": "Accounts!", "selfID": sales["pageID"]}))  # type: ignore[index]
    assert edited["blocks"] == {}  # type: ignore[index]
    assert [p["title"] for p in ok(http.get("/page/", params={"selfID": sales["pageID"]}))][0] == "Accounts!"  # type: ignore[union-attr]
    # the quirks: a module's first record page cannot be made; a second one already exists; the edit of page 0
    assert error(http.post("/page/", json={"title": "x", "moduleID": modules["Contact"]["moduleID"]})) == "sql: no rows in result set"
    assert error(http.post("/page/", json={"title": "x", "moduleID": modules["Account"]["moduleID"]})) == "Page for module already exists"
    assert error(http.post("/page/abc", json={"title": "x"})) == "Error when savig page, invalid ID"
    assert http.delete(f"/page/{sales['pageID']}").json() == {"success": {"message": "OK"}}
    assert [p["title"] for p in ok(http.get("/page/tree"))] == ["Marketing", "Service"]  # type: ignore[union-attr]
    assert error(http.get(f"/page/{sales['pageID']}")) == "sql: no rows in result set"


# -- workflows and jobs ----------------------------------------------------------------------------


def workflow(http: httpx.Client, name: str) -> dict:
    return next(w for w in ok(http.get("/workflow/")) if w["name"] == name)  # type: ignore[union-attr]


def logs(http: httpx.Client, job_id: str) -> list[str]:
    answer = ok(http.get(f"/job/{job_id}/logs", params={"perPage": 100}))
    return [f"{item['task']}: {item['message']}" if item["task"] else item["message"] for item in answer["logs"]]  # type: ignore[index]


def test_a_job_progresses_on_the_clock_to_ok(crust_sandbox, http: httpx.Client) -> None:
    flow = workflow(http, "Send welcome e-mails")  # 3 s, then 10 s
    job = ok(http.post("/job/", json={"workflowID": flow["workflowID"], "parameters": {"batch": "7"}}))
    assert isinstance(job, dict) and job["status"] == "queued" and job["parameters"] == {"batch": "7"}
    assert logs(http, job["jobID"]) == []
    crust_sandbox.advance(1)
    assert ok(http.get(f"/job/{job['jobID']}"))["status"] == "running"  # type: ignore[index]
    crust_sandbox.advance(5)
    assert logs(http, job["jobID"]) == ["Job started: workflow Send welcome e-mails", "Select new leads: started",
                                        "Select new leads: done", "Send e-mails: started"]
    crust_sandbox.advance(10)
    assert ok(http.get(f"/job/{job['jobID']}"))["status"] == "ok"  # type: ignore[index]
    assert logs(http, job["jobID"])[-2:] == ["Send e-mails: done", "Job finished"]
    assert error(http.delete(f"/job/{job['jobID']}")).startswith("Job is already finished (ok)")


def test_a_failing_job_retries_runs_on_error_and_ends_in_error(crust_sandbox, http: httpx.Client) -> None:
    flow = workflow(http, "Export to data warehouse")
    job = ok(http.post("/job/", json={"workflowID": flow["workflowID"]}))
    crust_sandbox.advance(60)
    assert ok(http.get(f"/job/{job['jobID']}"))["status"] == "error"  # type: ignore[index]
    assert logs(http, job["jobID"]) == [
        "Job started: workflow Export to data warehouse", "Extract: started", "Extract: done",
        "Load: started", "Load: failed: exit status 1", "Load: retrying in 5 s", "Load: started (attempt 2)", "Load: failed: exit status 1",
        "Notify admins: started", "Notify admins: done", "Job failed",
    ]
    failed = ok(http.get("/job/", params={"status": "error"}))
    assert job["jobID"] in [j["jobID"] for j in failed["jobs"]] and failed["meta"]["status"] == "error"  # type: ignore[index]


def test_a_flaky_task_is_retried_and_succeeds(crust_sandbox, http: httpx.Client) -> None:
    job = ok(http.post("/job/", json={"workflowID": workflow(http, "Nightly account sync")["workflowID"]}))
    crust_sandbox.advance(120)
    assert ok(http.get(f"/job/{job['jobID']}"))["status"] == "ok"  # type: ignore[index]
    assert "Fetch from ERP: started (attempt 2)" in logs(http, job["jobID"])


def test_cancel_a_running_job_and_a_delayed_one(crust_sandbox, http: httpx.Client) -> None:
    flow = workflow(http, "Send welcome e-mails")
    running = ok(http.post("/job/", json={"workflowID": flow["workflowID"]}))
    later = ok(http.post("/job/", json={"workflowID": flow["workflowID"], "startAt": "2026-03-10T10:00:00Z"}))
    crust_sandbox.advance(5)
    assert ok(http.get(f"/job/{later['jobID']}"))["status"] == "queued"  # type: ignore[index]
    assert http.delete(f"/job/{running['jobID']}").json() == {"success": {"message": "OK"}}
    assert http.delete(f"/job/{later['jobID']}").json() == {"success": {"message": "OK"}}
    crust_sandbox.advance(7200)  # long past where either would have ended
    for job in (running, later):
        assert ok(http.get(f"/job/{job['jobID']}"))["status"] == "cancelled"  # type: ignore[index]
    assert logs(http, running["jobID"])[-1] == "Job cancelled" and "Job finished" not in logs(http, running["jobID"])
    assert logs(http, later["jobID"]) == ["Job cancelled"]


def test_job_list_paging_status_and_updates(crust_sandbox, http: httpx.Client) -> None:
    listed = ok(http.get("/job/", params={"perPage": 3}))
    assert listed["meta"] == {"page": 0, "perPage": 10, "count": 6}  # type: ignore[index]
    seeded = Counter(j["status"] for j in listed["jobs"])  # type: ignore[index]
    assert seeded == {"ok": 3, "error": 1, "cancelled": 1, "queued": 1}
    created = [j["createdAt"] for j in listed["jobs"]]  # type: ignore[index]
    assert created == sorted(created, reverse=True)
    assert error(http.get("/job/", params={"status": "done"})).startswith("Unknown job status: done")
    queued = next(j for j in listed["jobs"] if j["status"] == "queued")  # type: ignore[index]
    flow = workflow(http, "Export to data warehouse")
    moved = ok(http.post(f"/job/{queued['jobID']}", json={"workflowID": flow["workflowID"], "startAt": "2026-03-10T09:00:10Z"}))
    assert moved["workflowID"] == flow["workflowID"] and moved["startAt"] == "2026-03-10T09:00:10Z"  # type: ignore[index]
    noted = ok(http.post(f"/job/{queued['jobID']}", json={"log": {"message": "moved by hand"}}))
    assert noted["status"] == "queued" and logs(http, queued["jobID"]) == ["moved by hand"]  # type: ignore[index]
    crust_sandbox.advance(12)
    assert error(http.post(f"/job/{queued['jobID']}", json={"startAt": "2026-03-12T09:00:00Z"})).startswith("Job is running")
    done = ok(http.post(f"/job/{queued['jobID']}", json={"status": "ok"}))
    assert done["status"] == "ok"  # type: ignore[index]
    crust_sandbox.advance(60)
    assert ok(http.get(f"/job/{queued['jobID']}"))["status"] == "ok"  # type: ignore[index]  (no longer follows its plan)
    assert error(http.post("/job/", json={"workflowID": flow["workflowID"], "startAt": "tomorrow"})).startswith('parsing time "tomorrow"')
    assert error(http.post("/job/", json={"workflowID": "1"})) == "sql: no rows in result set"


def test_workflow_writes(http: httpx.Client) -> None:
    made = ok(http.post("/workflow/", json={"name": "Mine", "tasks": [{"name": "a", "body": "sleep 1", "retries": [2, 4]}]}))
    assert isinstance(made, dict) and made["tasks"][0] == {"name": "a", "body": "sleep 1", "fallback": "", "retries": [2, 4], "timeout": 0}
    assert made["onError"] is None and made["timeout"] == 0
    assert error(http.post("/workflow/", json={"name": "x", "tasks": [{"retries": ["1"]}]})) == (
        "error parsing http request body: json: cannot unmarshal string into Go struct field WorkflowTask.retries of type int")
    edited = ok(http.post(f"/workflow/{made['workflowID']}", json={"name": "Mine!"}))
    assert edited == {"workflowID": made["workflowID"], "name": "Mine!", "tasks": None, "onError": None, "timeout": 0}
    assert ok(http.get(f"/workflow/{made['workflowID']}")) == edited
    assert http.delete(f"/workflow/{made['workflowID']}").json() == {"success": {"message": "OK"}}
    assert error(http.get(f"/workflow/{made['workflowID']}")) == "sql: no rows in result set"


def test_jobs_persist_and_go_on_after_a_restart(tmp_path) -> None:
    options = SandboxOptions(data=tmp_path / "c.sqlite3", today=dt.date(2026, 3, 10), frozen_clock=True)
    with start_sandbox(options) as first, httpx.Client(base_url=first.base_url, params={"jwt": first.token}, timeout=HANG_GUARD) as c:
        flow = next(w for w in c.get("/workflow/").json()["response"] if w["name"] == "Send welcome e-mails")
        job = c.post("/job/", json={"workflowID": flow["workflowID"]}).json()["response"]
    with start_sandbox(options) as second, httpx.Client(base_url=second.base_url, params={"jwt": second.token}, timeout=HANG_GUARD) as c:
        second.advance(60)
        assert c.get(f"/job/{job['jobID']}").json()["response"]["status"] == "ok"


# -- chaos on the new routes -----------------------------------------------------------------------


def test_the_new_routes_go_through_chaos(crust_sandbox, http: httpx.Client, modules: dict[str, dict]) -> None:
    crust_sandbox.options.error_rate = 1.0
    opp = modules["Opportunity"]["moduleID"]
    for answer in (http.get("/page/tree"), http.get(f"/module/{opp}/chart", params={"kind": "pie", "xAxis": "state", "count": "id"}),
                   http.get("/workflow/"), http.post("/job/", json={"workflowID": "1"})):
        assert error(answer).startswith(("Error 1", "dial tcp", "invalid connection"))
    crust_sandbox.options.error_rate = 0.0
    crust_sandbox.options.lose_rate = 1.0
    flow = crust_sandbox.state.tables["workflows"]
    before = len(crust_sandbox.state.tables["jobs"])
    with pytest.raises(httpx.TransportError):
        http.post("/job/", json={"workflowID": next(iter(flow))})
    assert len(crust_sandbox.state.tables["jobs"]) == before + 1  # run, the answer lost


def test_the_switch_on_the_command_line() -> None:
    import argparse

    from crmtui.sandbox.crust.cli import add_crust_arguments, options_from_args
    from crmtui.sandbox.onepagecrm.cli import add_sandbox_arguments
    from crmtui.sandbox.pipedrive.cli import add_pipedrive_arguments

    parser = argparse.ArgumentParser()
    add_sandbox_arguments(parser)
    add_pipedrive_arguments(parser)
    add_crust_arguments(parser)
    assert options_from_args(parser.parse_args(["--backend", "crust"])).jobs_not_implemented is False
    assert options_from_args(parser.parse_args(["--backend", "crust", "--jobs-not-implemented"])).jobs_not_implemented is True

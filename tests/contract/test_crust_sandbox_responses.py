"""The Crust sandbox's answers conform to JSON Schemas written from the real server's Go types
(tests/support/crust_schemas.py), and the requests these tests send to spec.json's operations,
parameters and exact `application/json` bodies; plain httpx over loopback (no crmtui client).

Every operation of spec.json the sandbox serves is walked: each success against its schema, each
error against the error envelope (HTTP 200), and again with workflows and jobs switched to the real
server's "Not implemented".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from crmtui.sandbox.crust.routes import ROUTES
from tests.support.crust_schemas import ANSWERS, answer_problems, error_problems
from tests.support.crust_spec import Operation, find_operation, load_operations, request_problems
from tests.support.waits import HANG_GUARD

@pytest.fixture(scope="module")
def operations() -> list[Operation]:
    return load_operations()


class Walk:
    """An httpx client that checks every request against spec.json and every answer against its schema."""

    def __init__(self, client: httpx.Client, operations: list[Operation]) -> None:
        self.client = client
        self.operations = operations
        self.problems: list[str] = []
        self.seen: set[tuple[str, str]] = set()

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = self.client.request(method, path, **kwargs)
        self.problems += request_problems(self.operations, answer.request)
        operation = find_operation(self.operations, method, path)
        assert operation is not None, f"{method} {path}"
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/json", answer.text
        body = answer.json()
        self.seen.add((operation.group, operation.name))
        if "error" in body:
            self.problems += [f"{method} {path}: {p}" for p in error_problems(body)]
        else:
            self.problems += answer_problems(operation.key, body)
        return body


@pytest.fixture
def walk(crust_sandbox, operations: list[Operation]) -> Iterator[Walk]:
    with httpx.Client(base_url=crust_sandbox.base_url, headers={"Authorization": f"Bearer {crust_sandbox.token}"},
                      timeout=HANG_GUARD) as client:
        yield Walk(client, operations)


def test_every_route_is_a_spec_operation(operations: list[Operation]) -> None:
    served = {(method, template) for method, template, _, _ in ROUTES if not template.startswith("/system/")}  # the system API: not in spec.json
    spec = {op.key for op in operations}
    assert served <= spec
    assert {op.key for op in operations} <= served
    assert set(ANSWERS) == served - {(m, t) for m, t, _, _ in ROUTES if t.startswith("/system/")}


def test_the_walk_conforms(crust_sandbox, walk: Walk, operations: list[Operation]) -> None:
    kinds = walk.call("GET", "/field/")["response"]
    walk.call("GET", f"/field/{kinds[0]['type']}")
    walk.call("GET", "/field/nothing")
    modules = {m["name"]: m for m in walk.call("GET", "/module/", params={"query": "Acc"})["response"]}
    account, contact = modules["Account"]["moduleID"], modules["Contact"]["moduleID"]
    walk.call("GET", f"/module/{account}")
    walk.call("GET", f"/module/{contact}")  # no record page: the error envelope
    made = walk.call("POST", "/module/", json={"name": "Tickets", "fields": [
        {"kind": "text", "name": "title", "label": "Title", "helpText": "What happened", "isRequired": True, "isVisible": True},
        {"kind": "enum", "name": "size", "label": "Size", "options": {"options": ["S", "L"]}, "defaultValue": "S"},
    ]})["response"]
    crust_sandbox.advance(5)
    walk.call("POST", f"/module/{made['moduleID']}", json={"name": "Tickets!", "fields": made["fields"]})
    walk.call("POST", "/module/", json={"name": "Nothing", "fields": []})
    walk.call("DELETE", f"/module/{made['moduleID']}")

    for params in ({}, {"page": 1, "perPage": 10, "sort": "name DESC"}, {"query": "a", "perPage": 500}, {"sort": "a  b"}):
        listed = walk.call("GET", f"/module/{account}/content", params=params)
    assert "error" in listed  # the last sort had no usable chunk
    first = walk.call("GET", f"/module/{account}/content")["response"]["contents"][0]
    walk.call("GET", f"/module/{account}/content/{first['contentID']}")
    record = walk.call("POST", f"/module/{account}/content", json={"fields": [{"name": "name", "value": "Walk & <Co>"}]})["response"]
    crust_sandbox.advance(5)
    sent = [*record["fields"], {"name": "country", "value": "Ireland", "related": None}]
    walk.call("POST", f"/module/{account}/content/{record['contentID']}", json={"fields": sent})
    walk.call("POST", f"/module/{account}/content/{record['contentID']}", json={})
    walk.call("DELETE", f"/module/{account}/content/{record['contentID']}")
    walk.call("GET", f"/module/{account}/content/{record['contentID']}")

    opportunity = modules["Opportunity"]["moduleID"]
    chart = {"name": "Walk", "description": "", "xAxis": "", "yAxis": "", "groupBy": "", "sum": "", "count": ""}
    line = walk.call("GET", f"/module/{opportunity}/chart", params={
        **chart, "kind": "line", "xAxis": "closeDate:month", "yAxis": "value", "xMin": "1/1/2026", "xMax": "31/12/2026"})
    assert line["response"]["fields"]["Close date"] == {"kind": "datetime", "min": "1/1/2026", "max": "31/12/2026"}
    walk.call("GET", f"/module/{opportunity}/chart", params={**chart, "kind": "line", "xAxis": "state", "count": "id", "sum": "value"})
    for kind in ("bar", "pie", "donut"):
        walk.call("GET", f"/module/{opportunity}/chart", params={**chart, "kind": kind, "xAxis": "state", "groupBy": "state", "count": "id"})
    walk.call("GET", f"/module/{opportunity}/chart", params={**chart, "kind": "donut", "xAxis": "country", "sum": "value"})
    walk.call("GET", f"/module/{opportunity}/chart", params={**chart, "kind": "gauge", "xAxis": "state", "count": "id"})

    roots = walk.call("GET", "/page/")["response"]
    tree = walk.call("GET", "/page/tree")["response"]
    walk.call("GET", "/page/", params={"selfID": tree[0]["pageID"]})
    walk.call("GET", f"/page/{tree[0]['pageID']}")
    walk.call("GET", f"/page/{next(p for p in roots if p['moduleID'] != '0')['pageID']}")
    walk.call("GET", "/page/1")
    made_page = walk.call("POST", "/page/", json={"title": "Walk", "selfID": tree[0]["pageID"], "visible": True,
                                                   "blocks": [{"kind": "Content", "title": "t", "options": {"body": "b"}}]})["response"]
    walk.call("POST", "/page/", json={"title": "Contacts", "moduleID": contact, "blocks": []})
    walk.call("POST", f"/page/{made_page['pageID']}", json={"title": "Walked", "selfID": tree[0]["pageID"], "blocks": None})
    walk.call("POST", f"/page/{tree[0]['pageID']}/reorder", json={"pageIDs": [made_page["pageID"]]})
    walk.call("DELETE", f"/page/{made_page['pageID']}")

    flows = walk.call("GET", "/workflow/")["response"]
    flow = walk.call("POST", "/workflow/", json={"name": "Walk", "tasks": [{"name": "a", "body": "sleep 2", "retries": [1]}],
                                                 "timeout": 60})["response"]
    walk.call("GET", f"/workflow/{flow['workflowID']}")
    walk.call("POST", f"/workflow/{flow['workflowID']}", json={"name": "Walked", "onError": [{"name": "b"}]})
    walk.call("POST", "/workflow/", json={"name": "", "tasks": []})
    job = walk.call("POST", "/job/", json={"workflowID": flows[0]["workflowID"], "parameters": {"who": "walk"}})["response"]
    walk.call("POST", "/job/", json={"workflowID": flow["workflowID"], "startAt": "2026-03-11T06:00:00Z"})
    walk.call("POST", "/job/", json={"workflowID": "1"})
    crust_sandbox.advance(3)
    walk.call("GET", f"/job/{job['jobID']}")
    walk.call("GET", "/job/", params={"status": "running", "page": 0, "perPage": 10})
    walk.call("GET", "/job/")
    walk.call("GET", f"/job/{job['jobID']}/logs", params={"page": 0, "perPage": 10})
    walk.call("POST", f"/job/{job['jobID']}", json={"log": {"message": "hello", "task": "walk"}})
    walk.call("DELETE", f"/job/{job['jobID']}")
    walk.call("DELETE", f"/job/{job['jobID']}")
    walk.call("POST", f"/job/{job['jobID']}", json={"status": "ok"})
    walk.call("DELETE", f"/workflow/{flow['workflowID']}")
    assert walk.problems == []
    assert walk.seen == {(op.group, op.name) for op in operations}


def test_workflows_and_jobs_answer_not_implemented_with_the_switch(crust_sandbox, walk: Walk, operations: list[Operation]) -> None:
    crust_sandbox.options.jobs_not_implemented = True
    for op in operations:
        if op.group in ("workflow", "job"):
            path = op.template.replace("{workflowID}", "1").replace("{jobID}", "1")
            body = walk.call(op.method, path, json={"name": "w"} if op.group == "workflow" and op.method == "POST" else None)
            assert body == {"error": {"message": f"Not implemented: {op.group.title()}.{op.name}"}}
    assert walk.problems == []


def test_go_escapes_html_in_json(crust_sandbox, walk: Walk) -> None:
    account = next(m for m in walk.call("GET", "/module/")["response"] if m["name"] == "Account")["moduleID"]
    answer = walk.client.post(f"/module/{account}/content", json={"fields": [{"name": "name", "value": "A & <B>"}]})
    assert b"A \\u0026 \\u003cB\\u003e" in answer.content
    assert answer.json()["response"]["fields"][0]["value"] == "A & <B>"


def test_the_checks_catch_what_they_should(operations: list[Operation]) -> None:
    """The request check and the schemas are not vacuous."""
    request = httpx.Request("POST", "http://x/module/", content=b'{"name": "a", "fields": [], "colour": 1}',
                            headers={"Content-Type": "application/json; charset=utf-8"})
    problems = request_problems(operations, request)
    assert any("not exactly application/json" in p for p in problems)
    request = httpx.Request("GET", "http://x/module/1/content", params={"limit": 5})
    assert request_problems(operations, request) == ["GET /module/{moduleID}/content: query parameter 'limit' is not in the spec"]
    assert request_problems(operations, httpx.Request("GET", "http://x/modules/")) != []
    record = {"contentID": 5, "moduleID": "1", "userID": "0", "createdAt": "2026-03-10T09:00:00Z", "fields": []}
    assert answer_problems(("POST", "/module/{moduleID}/content"), {"response": record}) != []  # a number id
    record["contentID"] = "5"
    assert answer_problems(("POST", "/module/{moduleID}/content"), {"response": record}) == []
    assert answer_problems(("POST", "/module/{moduleID}/content"), {"response": {**record, "owner": "x"}}) != []
    assert error_problems({"error": {"message": ""}}) != []
    pie = {"kind": "pie", "data": [["Open", 10]], "fields": {"state": {"kind": "string"}},
           "meta": {"name": "", "description": "", "kind": "pie", "module": 62511111111111110, "x": 62522222222222220}}
    chart = ("GET", "/module/{moduleID}/chart")
    assert answer_problems(chart, {"response": pie}) == []
    assert answer_problems(chart, {"response": {**pie, "meta": {**pie["meta"], "module": "62511111111111111"}}}) != []  # a string id
    assert answer_problems(chart, {"response": {**pie, "data": [["Open", 10, 3]]}}) != []
    line = {"kind": "line", "data": [["Close date", "2018-01-01"], ["Value", 30]],
            "fields": {"Close date": {"kind": "datetime", "min": "2018-01-01"}, "Value": {"name": "value", "kind": "number"}},
            "meta": {**pie["meta"], "kind": "line"}}
    assert answer_problems(chart, {"response": line}) != []  # min is D/M/YYYY
    line["fields"]["Close date"]["min"] = "1/1/2018"
    assert answer_problems(chart, {"response": line}) == []
    tree = [{"pageID": "1", "selfID": "0", "moduleID": "0", "title": "", "description": "", "blocks": {}, "visible": True,
             "children": [{"pageID": "2", "selfID": "1", "moduleID": "0", "title": "", "description": "", "blocks": {}}]}]
    assert answer_problems(("GET", "/page/tree"), {"response": tree}) != []  # the child has no `visible`
    tree[0]["children"][0]["visible"] = False
    assert answer_problems(("GET", "/page/tree"), {"response": tree}) == []

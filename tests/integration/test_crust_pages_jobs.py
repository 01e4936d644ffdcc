"""Crust's pages, workflows and jobs families over loopback against the sandbox (its clock frozen:
jobs move only when the test moves it), and the "Not implemented" server of the spec's date, where
the backend claims neither workflows nor jobs."""

from __future__ import annotations

import datetime as dt

import pytest

from crmtui.backends.crust.adapter import CrustBackend
from crmtui.backends.crust.client import CrustClient
from crmtui.backends.errors import NotFound, Unsupported
from crmtui.backends.http import RetryPolicy
from crmtui.domain.capabilities import Capability
from crmtui.domain.pages import CHART, RECORD_LIST, chart_summary, find_page, parents_of, tree_rows
from crmtui.service.cached import CachedBackend, flush_cache_writes
from crmtui.store.cache import Cache, identity

FAST = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02, budget=0.5)


def backend(sandbox) -> CrustBackend:
    return CrustBackend(CrustClient(sandbox.token, base_url=sandbox.base_url, retry=FAST), sandbox.token)


async def test_the_page_tree_and_its_blocks_in_reading_order(crust_sandbox) -> None:
    api = backend(crust_sandbox)
    try:
        await api.connect()
        assert Capability.PAGES in api.capabilities
        pages = api.features.pages
        assert pages is not None
        tree = await pages.tree()
        assert [p.title for p in tree] == ["Sales", "Marketing", "Service"]  # by weight; the orphan left out
        sales = tree[0]
        assert [c.title for c in sales.children] == ["Pipeline", "Accounts"]
        assert [r.page.title for r in tree_rows(tree, set())] == ["Sales", "Marketing", "Service"]
        opened = [(r.page.title, r.depth) for r in tree_rows(tree, {sales.id})]
        assert opened == [("Sales", 0), ("Pipeline", 1), ("Accounts", 1), ("Marketing", 0), ("Service", 0)]
        pipeline = find_page(tree, sales.children[0].id)
        assert pipeline is not None and parents_of(tree, pipeline.id) == [sales.id]
        assert pipeline.parent_id == sales.id and not pipeline.module_id

        read = await pages.page(sales.id)
        blocks = read.reading_order()
        assert [(b.kind, b.title) for b in blocks] == [
            ("Content", "Welcome"), ("Chart", "Value by close month"), ("Chart", "Opportunities by state"),
            (RECORD_LIST, "Open opportunities"),
        ]
        assert "as the records say" in blocks[0].body_text() and "<" not in blocks[0].body_text()
        listing = blocks[3]
        assert listing.fields == ["name", "account", "value", "state", "closeDate"] and listing.per_page == 20
        assert listing.option("presort") == "closeDate DESC"
        pie = blocks[2]
        assert pie.kind == CHART and pie.chart["kind"] == "pie" and pie.chart["moduleID"] == listing.module_id
        assert chart_summary(pie, "Opportunity") == "pie of Opportunity · x state · group by state · count state"
        with pytest.raises(NotFound):
            await pages.page("123")
    finally:
        await api.close()


async def test_workflows_and_a_job_run_followed_on_the_sandbox_clock_then_cancelled(crust_sandbox) -> None:
    api = backend(crust_sandbox)
    try:
        await api.connect()
        assert {Capability.WORKFLOWS, Capability.JOBS} <= api.capabilities
        workflows, jobs = api.features.workflows, api.features.jobs
        assert workflows is not None and jobs is not None
        flows = await workflows.workflows()
        assert [w.name for w in flows] == ["Send welcome e-mails", "Nightly account sync", "Export to data warehouse"]
        welcome = await workflows.workflow(flows[0].id)
        assert [t.name for t in welcome.tasks] == ["Select new leads", "Send e-mails"] and welcome.tasks[1].retries == [5]

        history = await jobs.jobs()
        assert history.total == 6 and {j.status for j in history.items} == {"ok", "error", "cancelled", "queued"}
        assert [j.id for j in (await jobs.jobs(status="cancelled")).items] == [
            j.id for j in history.items if j.status == "cancelled"
        ]

        job = await jobs.run(welcome.id, params={"source": "crmtui"})
        assert job.status == "queued" and job.params == {"source": "crmtui"} and job.workflow_id == welcome.id
        now = job.created_at
        assert now is not None and job.active(now)
        crust_sandbox.advance(2)
        running = await jobs.job(job.id)
        assert running.status == "running" and running.active(now)
        first = await jobs.logs(job.id)
        crust_sandbox.advance(4)
        grown = await jobs.logs(job.id)
        assert len(grown.items) > len(first.items) and grown.total == len(grown.items)
        assert any(entry.task == "Select new leads" and entry.message == "done" for entry in grown.items)

        await jobs.cancel(job.id)
        assert (await jobs.job(job.id)).status == "cancelled"
        assert (await jobs.logs(job.id)).items[-1].message == "Job cancelled"
        with pytest.raises(NotFound):
            await jobs.job("123")

        later = await jobs.run(welcome.id, start_at=now + dt.timedelta(hours=1))
        assert later.status == "queued" and later.start_at == now + dt.timedelta(hours=1)
        assert not later.active(now) and later.active(now + dt.timedelta(minutes=59, seconds=30))
    finally:
        await api.close()


async def test_a_server_that_does_not_implement_jobs_is_not_claimed_to(crust_sandbox) -> None:
    crust_sandbox.options.jobs_not_implemented = True  # the real server at the spec's commit
    api = backend(crust_sandbox)
    try:
        account = await api.connect()
        assert not {Capability.WORKFLOWS, Capability.JOBS} & account.capabilities
        assert {Capability.PAGES, Capability.MODULES, Capability.RECORDS} <= api.capabilities
        assert api.features.jobs is None and api.features.workflows is None
        assert "Not implemented" in api.jobs_unsupported
        with pytest.raises(Unsupported, match=r"Not implemented: Job\.list"):
            await CrustBackend(api.client, crust_sandbox.token).features.jobs.jobs()  # type: ignore[union-attr]
    finally:
        await api.close()
    crust_sandbox.options.jobs_not_implemented = False
    again = backend(crust_sandbox)
    try:
        assert {Capability.WORKFLOWS, Capability.JOBS} <= (await again.connect()).capabilities
    finally:
        await again.close()


async def test_through_the_cache_the_tree_and_the_jobs_list_are_kept(crust_sandbox, tmp_path) -> None:
    inner = backend(crust_sandbox)
    cache = Cache(tmp_path / "cache.sqlite3", owner=identity(crust_sandbox.base_url, crust_sandbox.user_id)).open()
    local = CachedBackend(inner, cache)
    try:
        await local.connect()
        pages, jobs = local.features.pages, local.features.jobs
        assert pages is not None and jobs is not None
        tree = await pages.tree()
        listed = await jobs.jobs()
        await flush_cache_writes()
        assert cache.get_list("page_tree", type(tree[0]), "") == tree
        assert cache.get_one("jobs", type(listed), "|0|50") == listed
    finally:
        await local.close()
        cache.close()

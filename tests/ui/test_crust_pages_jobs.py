"""Pilot tests of Crust's Pages (4) and Workflows and jobs (6) screens on the sandbox (its clock frozen:
a job moves only when the test moves the clock with `advance`; the screen follows it by asking the
server again while it runs, and stops once nothing runs)."""

from __future__ import annotations

import datetime as dt

import pytest
from textual.widgets import Static

from crmtui.domain.capabilities import Capability
from crmtui.ui.modals.job_run import RunWorkflowModal
from crmtui.ui.modals.pickers import ConfirmModal
from crmtui.ui.screens.jobs import JobsScreen
from crmtui.ui.screens.pages import ChartBlock, PagesScreen

from .conftest import loaded, wait_for
from .test_crust_shell import crust_app


def texts(screen, selector: str) -> list[str]:
    return [str(w.render()) for w in screen.query(selector).results(Static)]


async def open_pages(pilot) -> PagesScreen:
    await loaded(pilot)
    await pilot.press("4")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, PagesScreen), what="the pages screen")
    screen = pilot.app.screen
    assert isinstance(screen, PagesScreen)
    await wait_for(pilot, lambda: bool(screen.page_tree.items) and screen.shown is not None, what="the tree")
    return screen


def records_shown(screen: PagesScreen) -> list:
    from crmtui.ui.widgets.row_list import RowList

    return [rl for rl in screen.query(".block-records").results(RowList)]


async def test_the_page_tree_and_a_page_with_its_blocks(crust_sandbox) -> None:
    app = crust_app(crust_sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_pages(pilot)
        assert [r.page.title for r in screen.page_tree.items] == ["Sales", "Marketing", "Service"]
        await wait_for(pilot, lambda: any(rl.items for rl in records_shown(screen)), what="the record list's records")
        shown = texts(screen, "#page-view Static")
        assert shown[0] == "Sales" and shown[1] == "The sales team's overview"
        order = [t.split("\n")[0] for t in shown[2:] if t.startswith(("¶", "▥", "☰"))]
        assert order == [
            "¶ Welcome", "▥ Value by close month · chart: line of Opportunity · x closeDate:month · y value · sum value",
            "▥ Opportunities by state · chart: pie of Opportunity · x state · group by state · count state",
            "☰ Open opportunities · records of Opportunity, by closeDate DESC",
        ]
        listing = records_shown(screen)[0]
        assert [c.title for c in listing.columns] == ["Opportunity name", "Account", "Value", "State", "Close date"][
            : len(listing.columns)
        ] and listing.columns[0].title == "Opportunity name"
        assert len(listing.items) == 20  # the block's perPage
        account, _role = listing.columns[1].cell(listing.items[0])
        assert account and not account.isdigit() and not account.startswith("#")  # the linked account by its name
        assert any("of" in t and "records" in t for t in texts(screen, "#page-view .page-note"))

        await pilot.press("space")  # Sales opens
        assert [(r.page.title, r.depth) for r in screen.page_tree.items][:3] == [("Sales", 0), ("Pipeline", 1), ("Accounts", 1)]
        await pilot.press("j")
        await wait_for(pilot, lambda: texts(screen, "#page-view Static")[:1] == ["Pipeline"], what="the Pipeline page")
        await pilot.press("left")  # on a page without children: nothing closes
        await pilot.press("k", "left")
        assert [r.page.title for r in screen.page_tree.items] == ["Sales", "Marketing", "Service"]

        await pilot.press("j")  # Marketing: charts first, a calendar named
        await wait_for(pilot, lambda: texts(screen, "#page-view Static")[:1] == ["Marketing"], what="Marketing")
        assert any(t.startswith("◇ Follow-up calendar · a Calendar block") for t in texts(screen, "#page-view Static"))

        await pilot.press("tab")
        assert isinstance(app.focused, ChartBlock) and app.focused.block.title == "Leads per country"
        opened: list[tuple[str, dict]] = []
        app.open_chart = lambda module_id, definition: opened.append((module_id, definition))  # the Charts screen's hook
        await pilot.press("enter")
        assert opened and opened[0][1]["kind"] == "bar" and opened[0][1]["groupBy"] == "country"
        assert opened[0][0] == app.focused.block.module_id
        assert not [n for n in app._notifications if n.severity == "error"]


@pytest.fixture
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(JobsScreen, "poll_seconds", 0.05)


async def open_jobs(pilot) -> JobsScreen:
    await loaded(pilot)
    await pilot.press("6")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, JobsScreen), what="the jobs screen")
    screen = pilot.app.screen
    assert isinstance(screen, JobsScreen)
    await wait_for(pilot, lambda: bool(screen.workflow_list.items) and bool(screen.job_list.items), what="the jobs")
    return screen


def log_text(screen: JobsScreen) -> str:
    return str(screen.query_one("#job-log", Static).render())


async def test_run_a_workflow_follow_its_job_then_cancel_it(crust_sandbox, quick_polls) -> None:
    app = crust_app(crust_sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_jobs(pilot)
        assert [w.name for w in screen.workflow_list.items] == [
            "Send welcome e-mails", "Nightly account sync", "Export to data warehouse",
        ]
        assert len(screen.job_list.items) == 6 and not screen.following  # nothing runs: nothing asked again
        await pilot.press("s")
        await wait_for(pilot, lambda: screen.status == "queued" and len(screen.job_list.items) == 1, what="queued only")
        await pilot.press("s", "s", "s", "s", "s")  # running, ok, error, cancelled, all
        await wait_for(pilot, lambda: screen.status is None and len(screen.job_list.items) == 6, what="all again")

        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunWorkflowModal), what="the question")
        await pilot.press("escape")
        await pilot.pause()
        assert len(screen.job_list.items) == 6 and isinstance(app.screen, JobsScreen)  # not run
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunWorkflowModal), what="the question")
        await pilot.press(*"source crmtui", "enter")  # not key=value: said, nothing run
        await wait_for(pilot, lambda: "key=value" in str(app.screen.query_one(".form-error", Static).render()), what="why not")
        assert isinstance(app.screen, RunWorkflowModal)
        await pilot.press(*["backspace"] * 13, *"source=crmtui, batch=7", "enter")
        await wait_for(pilot, lambda: len(screen.job_list.items) == 7 and screen.following, what="the new job, followed")
        job = screen.job_list.selected
        assert job is not None and job.status == "queued" and job.workflow_id == screen.workflow_list.items[0].id
        assert job.params == {"source": "crmtui", "batch": "7"}

        crust_sandbox.advance(2)  # picked up: running
        await wait_for(pilot, lambda: screen.job_list.selected.status == "running", what="running")
        assert "Job started: workflow Send welcome e-mails" in log_text(screen)
        polls = screen.polls
        crust_sandbox.advance(4)
        await wait_for(pilot, lambda: "Select new leads: done" in log_text(screen), what="the log growing")
        await wait_for(pilot, lambda: screen.polls > polls, what="asked again while it runs")
        assert screen.following

        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="the question")
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.job_list.selected.status == "cancelled", what="cancelled")
        await wait_for(pilot, lambda: not screen.following, what="the following to stop")
        assert "Job cancelled" in log_text(screen)
        polls = screen.polls
        crust_sandbox.advance(60)
        await pilot.pause()
        assert screen.polls == polls  # nothing runs: the server is not asked again
        await pilot.press("x")
        assert any("already cancelled" in n.message for n in app._notifications)

        await pilot.press("tab", "enter")  # a run for later: queued, not followed
        await wait_for(pilot, lambda: isinstance(app.screen, RunWorkflowModal), what="the question")
        await pilot.press("tab", *"+2h", "enter")
        await wait_for(pilot, lambda: len(screen.job_list.items) == 8, what="the later job")
        await wait_for(pilot, lambda: not any(w.is_running for w in app.workers), what="the reads")
        later = screen.job_list.selected
        assert later is not None and later.status == "queued" and later.start_at is not None
        assert later.start_at - app.clock() == dt.timedelta(hours=2) and not screen.following
        assert not [n for n in app._notifications if n.severity == "error"]


async def test_a_server_without_jobs_says_so_on_the_key(crust_sandbox) -> None:
    crust_sandbox.options.jobs_not_implemented = True  # the real server of the spec's date
    app = crust_app(crust_sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        assert Capability.JOBS not in app.session.backend.capabilities
        before = type(app.screen)
        await pilot.press("6")
        await pilot.pause()
        assert type(app.screen) is before and not isinstance(app.screen, JobsScreen)
        said = [n.message for n in app._notifications if "workflows and jobs" in n.message]
        assert said == ['This server does not implement workflows and jobs (it answered "Not implemented"): key 6 has nothing to show']
        app.push_screen(JobsScreen())  # were it opened anyway: one plain line, nothing asked
        await wait_for(pilot, lambda: isinstance(app.screen, JobsScreen), what="the screen")
        screen = app.screen
        await pilot.pause()
        assert "does not implement workflows and jobs" in str(screen.query_one("#jobs-note", Static).render())
        assert screen.unsupported and not screen.following and not screen.job_list.items
        assert not [n for n in app._notifications if n.severity == "error"]


async def test_jobs_that_could_not_be_read_say_so_in_both_lists(crust_sandbox) -> None:
    """Offline on key 6: neither the workflows nor the jobs stay at "Loading…" once the read failed."""
    app = crust_app(crust_sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        crust_sandbox.stop()
        await pilot.press("6")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, JobsScreen), what="the jobs screen")
        screen = pilot.app.screen
        assert isinstance(screen, JobsScreen)
        await wait_for(pilot, lambda: screen.job_list.empty_text.startswith("Not loaded"), what="the read to fail")
        assert screen.workflow_list.empty_text.startswith("Not loaded (r retries)")

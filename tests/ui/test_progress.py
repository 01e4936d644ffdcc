"""A progress bar without a total moves (Textual redraws it 15 times a second) only while it is shown:
Textual's own keeps its timer while hidden, which woke an idle app 15 times a second."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.widgets._progress_bar import Bar

from crmtui.ui.widgets.progress import StillProgressBar

from .conftest import WIDE, loaded, settled, wait_for
from .test_offline import Files, cached_app, warm_up
from .test_records_screen import crust_app, ready


class Bars(App[None]):
    def compose(self) -> ComposeResult:
        bar = StillProgressBar(id="progress", show_eta=False)
        bar.display = False  # as the screens keep theirs between syncs
        yield bar


def moving(app: App[None]) -> bool:
    return app.query_one(Bar).auto_refresh is not None


async def test_a_bar_without_a_total_moves_only_while_shown() -> None:
    app = Bars()
    async with app.run_test() as pilot:
        bar = app.query_one(StillProgressBar)
        await wait_for(pilot, lambda: bar.is_mounted, what="the bar")
        await pilot.pause()
        assert bar.total is None and not moving(app)  # hidden from the start: still
        bar.display = True
        bar.update(total=None)
        await wait_for(pilot, lambda: moving(app), what="the shown bar to move")
        bar.update(total=10, progress=3)
        await wait_for(pilot, lambda: not moving(app), what="a bar with a total to stand")
        bar.update(total=None)
        await wait_for(pilot, lambda: moving(app), what="the bar to move again")
        bar.display = False
        await wait_for(pilot, lambda: not moving(app), what="the hidden bar to stop")


@pytest.fixture
def files(tmp_path, sandbox) -> Files:
    return Files(tmp_path, sandbox)


def animated(app: App[object]) -> list[str]:
    """The widgets of the screen with a redraw timer running."""
    return [repr(widget) for widget in app.screen.query("*") if widget.auto_refresh is not None]


async def test_an_idle_stream_runs_no_redraw_timer_after_a_warm_start(sandbox, files) -> None:
    """A warm start reports no sync progress: the stream's bar was never given a total."""
    await warm_up(sandbox, files)
    app = cached_app(sandbox, files)
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await settled(pilot)
        await pilot.pause()
        assert animated(app) == []


async def test_an_idle_leads_inbox_runs_no_redraw_timer(make_pipedrive_app) -> None:
    app = make_pipedrive_app()
    async with app.run_test(size=WIDE) as pilot:
        await wait_for(pilot, lambda: app.screen.inbox.loaded, what="the inbox")
        await settled(pilot)
        await pilot.pause()
        assert animated(app) == []


async def test_an_idle_module_runs_no_redraw_timer(crust_sandbox) -> None:
    app = crust_app(crust_sandbox)
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot)
        await settled(pilot)
        await pilot.pause()
        assert animated(app) == []

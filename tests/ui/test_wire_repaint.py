"""What the app writes to the terminal: a cursor step repaints the two list rows and the preview's
changed cells, and an idle app repaints nothing (over SSH every repainted cell is bytes on the wire).

The updates are read where Textual hands them to the terminal (`App._display`): the screen rows and
columns each one writes. `bench/tmux_wire.py` counts the bytes in a real terminal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from textual._compositor import ChopsUpdate
from textual.geometry import Region

from crmtui.ui.app import CrmApp
from crmtui.ui.widgets.preview import PreviewLines, changed_cells
from crmtui.ui.widgets.stream_list import StreamList
from tests.ui.conftest import NOW, WIDE, loaded, settled

Written = list[tuple[int, int, int]]
"""(screen row, first column, end column) of every span written."""


@contextmanager
def written(app: CrmApp) -> Iterator[Written]:
    """The spans the app writes to the terminal while the block runs (a whole-screen update: every
    cell of every row)."""
    spans: Written = []
    display = app._display

    def record(screen, update) -> None:  # type: ignore[no-untyped-def]
        if isinstance(update, ChopsUpdate):
            spans.extend(update.spans)
        elif update is not None:
            spans.extend((y, 0, app.size.width) for y in range(app.size.height))
        display(screen, update)

    app._display = record  # type: ignore[method-assign]
    try:
        yield spans
    finally:
        app._display = display  # type: ignore[method-assign]


def rows_in(spans: Written, region: Region) -> set[int]:
    """The rows (relative to `region`) of the spans that write into `region`."""
    return {
        y - region.y for y, x1, x2 in spans
        if region.y <= y < region.bottom and x1 < region.right and x2 > region.x
    }


async def test_a_cursor_step_repaints_two_rows_and_the_changed_preview_lines(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await pilot.press("down")  # off the first row, so the next step is an ordinary one
        await settled(pilot)
        lst = app.screen.query_one(StreamList)
        lines = app.screen.query_one(PreviewLines)
        before = list(lines._lines)
        row = lst.cursor - round(lst.scroll_y)
        with written(app) as spans:
            await pilot.press("down")
            await settled(pilot)
        after = list(lines._lines)
        assert app.screen.query_one(StreamList).cursor - round(lst.scroll_y) == row + 1  # no scroll: a plain step

        assert rows_in(spans, lst.content_region) == {row, row + 1}  # the row left and the row reached

        height = lines.scrollable_content_region.height
        width = lines.scrollable_content_region.width
        blank = lines._blank(width)  # what the pane draws below its text

        def differ(y: int) -> bool:  # in their cells (the same cells may come cut into other segments)
            if y >= len(before) and y >= len(after):
                return False
            old, new = (before[y] if y < len(before) else blank), (after[y] if y < len(after) else blank)
            return changed_cells(old, new)[0] < width

        changed = {y for y in range(height) if differ(y)}
        assert changed, "the next contact's preview should differ from this one's"
        assert len(changed) < len(after), "some lines (headings, blank lines) are the same for both contacts"
        assert rows_in(spans, lines.content_region) == changed  # those lines, not the whole pane


async def test_an_idle_app_repaints_nothing(make_app) -> None:
    now = [NOW]
    app: CrmApp = make_app(clock=lambda: now[0])
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await settled(pilot)
        with written(app) as spans:
            for _ in range(30):  # half a minute of the app's once-a-second tick, nothing changing
                now[0] += dt.timedelta(seconds=1)
                app._tick()
                await pilot.pause()
            await settled(pilot)
        assert spans == []


async def test_a_shorter_preview_line_overwrites_the_longer_one_it_replaces(make_app) -> None:
    """Only the changed cells are written, so each preview line is drawn the pane's whole width: else
    the end of a longer line of the contact before stays on the terminal ("Status: General   e.com")."""
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        lines = app.screen.query_one(PreviewLines)
        width = lines.scrollable_content_region.width
        for _ in range(6):
            assert lines._lines and {line.cell_length for line in lines._lines} == {width}
            await pilot.press("down")
            await settled(pilot)


async def test_a_whole_repaint_asked_of_the_list_writes_only_the_rows_that_changed(make_app) -> None:
    """A screen asks the list to repaint whole (its loading text changed, a sync ended): with its rows
    and styles as they were, nothing is written again (it was the whole list, ~16 KB, at the first
    cursor step after a large account's first sync); a changed row is, alone."""
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await settled(pilot)
        lst = app.screen.query_one(StreamList)
        with written(app) as spans:
            lst.refresh()
            app.load_progress = (10, 10)  # the last page of a sync: the stream screen refreshes the list
            app.load_progress = (0, 0)  # and its end
            await settled(pilot)
        assert rows_in(spans, lst.region) == set()

        row = lst.cursor - round(lst.scroll_y)
        lst._rows[lst.cursor] = lst._rows[lst.cursor + 1]  # what the cursor row shows changed
        with written(app) as spans:
            lst.refresh()
            await settled(pilot)
        assert rows_in(spans, lst.region) == {row}


async def test_the_list_losing_focus_is_still_repainted(make_app) -> None:
    """A change of the list's styles (here its cursor's colour without focus) repaints it as Textual does."""
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await settled(pilot)
        lst = app.screen.query_one(StreamList)
        row = lst.cursor - round(lst.scroll_y)
        with written(app) as spans:
            app.screen.set_focus(None)
            await settled(pilot)
        assert row in rows_in(spans, lst.region)


async def test_the_first_cursor_step_after_the_start_repaints_two_rows_too(make_app) -> None:
    """The start lays the list out (its size, its rows' number): that repaints it then, not again at the
    first cursor step (the whole list, ~16 KB in tmux after a 20,000-contact sync)."""
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await settled(pilot)
        lst = app.screen.query_one(StreamList)
        row = lst.cursor - round(lst.scroll_y)
        with written(app) as spans:
            await pilot.press("down")
            await settled(pilot)
        assert rows_in(spans, lst.content_region) == {row, row + 1}


async def test_a_sync_s_progress_renders_no_row_while_the_list_shows_rows(make_app, monkeypatch) -> None:
    """The loading text ("Loading stream… 1,200 / 8,174") is drawn only by an empty list: while the
    first page's rows are shown, a progress tick renders none of them again (a hundred ticks of a
    cold sync each rendered every visible row to compare: ~38% of a cold sync's profile)."""
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await settled(pilot)
        lst = app.screen.query_one(StreamList)
        rendered: list[int] = []
        render = type(lst)._render_row

        def counting(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            rendered.append(1)
            return render(self, *args, **kwargs)

        app.load_progress = (100, 1000)  # the progress bar shows (the list is laid out again, once)
        await settled(pilot)
        monkeypatch.setattr(type(lst), "_render_row", counting)
        for done in range(200, 1000, 100):
            app.load_progress = (done, 1000)
            await settled(pilot)
        assert rendered == []
        assert lst.empty_text.startswith("Loading stream")  # the text did change (shown once the list is empty)


async def test_a_cursor_step_and_its_preview_are_written_in_one_frame(make_app) -> None:
    """The preview follows the cursor in the frame that moves it (through the Highlighted message
    alone it came a frame later: two writes to the terminal per step, each with its own cost)."""
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await pilot.press("down")
        await settled(pilot)
        frames: list[object] = []
        display = app._display

        def record(screen, update) -> None:  # type: ignore[no-untyped-def]
            frames.append(update)
            display(screen, update)

        app._display = record  # type: ignore[method-assign]
        try:
            for _ in range(3):
                frames.clear()
                before = app.screen.query_one(StreamList).selected_entry
                await pilot.press("down")
                await settled(pilot)
                assert app.screen.query_one(StreamList).selected_entry is not before
                assert len(frames) == 1, frames
        finally:
            app._display = display  # type: ignore[method-assign]

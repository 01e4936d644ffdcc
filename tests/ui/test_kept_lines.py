"""`KeptStylesCache` draws what Textual's own `StylesCache` draws, and a cursor step styles again only
the lines that are new: not the row the cursor left, nor a widget none of whose lines changed.

Every snapshot test also draws through it (the stream and leads screens use it); these tests hold it
to Textual's own cache line by line, in a small app of widgets with borders, padding, a scrollbar and
a theme change, and in the stream screen after cursor steps.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.text import Text
from textual._styles_cache import StylesCache
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from crmtui.ui.app import CrmApp
from crmtui.ui.widgets.header import AppHeader
from crmtui.ui.widgets.kept_lines import KeptStylesCache, kept, keep_lines
from crmtui.ui.widgets.preview import LinePane, PreviewLines
from crmtui.ui.widgets.stream_list import StreamList
from tests.ui.conftest import WIDE, loaded, settled


def drawn(widget: Widget) -> list[list[tuple[str, object]]]:
    """The widget's lines as the compositor asks for them: text and style of each segment."""
    lines = widget.render_lines(Region(0, 0, *widget.region.size))
    return [[(segment.text, segment.style) for segment in line] for line in lines]


def drawn_by_textual(widget: Widget) -> list[list[tuple[str, object]]]:
    """The same lines drawn by Textual's own cache, afresh."""
    lines = StylesCache().render_widget(widget, Region(0, 0, *widget.region.size))
    return [[(segment.text, segment.style) for segment in line] for line in lines]


@contextmanager
def styled_lines() -> Iterator[list[Strip]]:
    """The content lines styled (by any widget's cache) while the block runs."""
    styled: list[Strip] = []
    render_line = StylesCache.render_line

    def record(self, styles, y, *args):  # type: ignore[no-untyped-def]
        line = render_line(self, styles, y, *args)
        styled.append(line)
        return line

    StylesCache.render_line = record  # type: ignore[method-assign]
    try:
        yield styled
    finally:
        StylesCache.render_line = render_line  # type: ignore[method-assign]


class Panes(App[None]):
    """The same panes twice side by side: the left ones keep their lines, the right ones do not."""

    CSS = """
    Horizontal { height: 1fr; }
    .pane { width: 1fr; height: 12; border: round $primary; padding: 1 2 0 1; background: $surface; }
    .lines { width: 1fr; height: 12; border-left: vkey $panel-lighten-2; padding: 0 1 0 0; }
    """

    def compose(self) -> ComposeResult:
        with Horizontal():
            kept_static = Static(id="kept-static", classes="pane")
            keep_lines(kept_static)
            yield kept_static
            yield Static(id="plain-static", classes="pane")
        with Horizontal():
            yield LinePane(id="kept-pane", classes="lines")
            plain = LinePane(id="plain-pane", classes="lines")
            yield plain
        self._plain = plain

    def on_mount(self) -> None:
        # LinePane keeps its lines itself: its twin here draws through Textual's own cache.
        self._plain._styles_cache = StylesCache()
        self._plain.query_one(PreviewLines)._styles_cache = StylesCache()


TEXTS = [
    "one line",
    "\n".join(f"line {i}" for i in range(30)),  # more than the pane holds: a scrollbar
    "\n".join(f"line {i}" for i in range(5)),
    "a long line " * 20,
    "line 2\nline 1\nline 0",  # lines drawn before, at other places
    "",
]


async def test_kept_lines_are_the_lines_textual_draws() -> None:
    app = Panes()
    async with app.run_test(size=(100, 30)) as pilot:
        kept_static, plain_static = app.query_one("#kept-static", Static), app.query_one("#plain-static", Static)
        kept_pane, plain_pane = app.query_one("#kept-pane", LinePane), app.query_one("#plain-pane", LinePane)
        assert isinstance(kept_static._styles_cache, KeptStylesCache)
        assert isinstance(kept_pane.query_one(PreviewLines)._styles_cache, KeptStylesCache)
        assert not isinstance(plain_pane.query_one(PreviewLines)._styles_cache, KeptStylesCache)
        for theme in ("textual-dark", "textual-light"):
            app.theme = theme
            for text in TEXTS:
                kept_static.update(Text(text))
                plain_static.update(Text(text))
                kept_pane.update(text)
                plain_pane.update(text)
                await pilot.pause()
                for kept_widget, plain_widget in (
                    (kept_static, plain_static), (kept_pane, plain_pane),
                    (kept_pane.query_one(PreviewLines), plain_pane.query_one(PreviewLines)),
                ):
                    assert drawn(kept_widget) == drawn(plain_widget), (theme, text)
                    assert drawn(kept_widget) == drawn_by_textual(kept_widget)
                    assert drawn(kept_widget) == drawn(kept_widget)  # asked again, unchanged: the same lines


async def test_a_cursor_step_styles_only_the_lines_not_drawn_before(make_app, monkeypatch) -> None:
    from crmtui.ui.screens.stream import ActionStreamScreen

    # The deals of a contact the cursor rests on change its row (its value): where the cursor rested
    # long enough on a busy machine, the list was rebuilt between the steps. Not what this counts.
    monkeypatch.setattr(ActionStreamScreen, "_want_deals", lambda self, contact_id: None)
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await settled(pilot)
        screen = app.screen
        lst = screen.query_one(StreamList)
        rebuilds = lst.rebuilds
        await pilot.press("down", "down", "up")  # rows 1 to 3 drawn; row 2 (the cursor's) selected and not
        await settled(pilot)
        assert lst.rebuilds == rebuilds  # the rows drawn are the rows the next step shows
        assert kept(screen.query("*")) >= 6  # the screen, header, body, list, pane and its lines, footer
        header = screen.query_one(AppHeader)
        header_lines = header.render_lines(Region(0, 0, *header.region.size))

        def list_lines(styled: list[Strip]) -> int:
            return len([line for line in styled if line.cell_length == lst.region.width])

        # On a busy machine something the start left (a late redraw of the list) can land inside the
        # measured step once: then the step is taken again, up and down, both rows drawn before. A
        # cache that kept nothing styles the rows at every try.
        for _attempt in range(3):
            with styled_lines() as styled:
                await pilot.press("down")  # onto row 3, drawn selected before; row 2 drawn unselected before
                await settled(pilot)
            if list_lines(styled) == 0:
                break
            await pilot.press("up")
            await settled(pilot)
        assert lst.rebuilds == rebuilds
        assert list_lines(styled) == 0, "both rows were drawn before: neither is styled again"
        assert header.render_lines(Region(0, 0, *header.region.size)) is header_lines  # nothing changed: as it was
        renders: list[object] = []
        render = KeptStylesCache.render
        KeptStylesCache.render = lambda self, *args, **kwargs: renders.append(self) or render(self, *args, **kwargs)  # type: ignore[method-assign]
        try:
            assert header.render_lines(Region(0, 0, *header.region.size)) is header_lines
        finally:
            KeptStylesCache.render = render  # type: ignore[method-assign]
        assert renders == [], "a widget with no line changed is not styled again, nor its styles read"
        assert isinstance(lst.vertical_scrollbar._styles_cache, KeptStylesCache)  # the list's scrollbar too
        with styled_lines() as styled:
            await pilot.press("down")
            await settled(pilot)
        assert list_lines(styled) == 1  # row 4, selected: new; row 3 unselected was drawn before
        for widget in screen.query("*"):
            if widget.region and widget.display:
                assert drawn(widget) == drawn_by_textual(widget), widget


async def test_a_row_painted_after_a_redraw_is_not_drawn_again_when_the_cursor_leaves_it(make_app, monkeypatch) -> None:
    from crmtui.ui.screens.stream import ActionStreamScreen

    monkeypatch.setattr(ActionStreamScreen, "_want_deals", lambda self, contact_id: None)  # (see above)
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await settled(pilot)
        await pilot.press("down")
        await settled(pilot)
        lst = app.screen.query_one(StreamList)
        rebuilds = lst.rebuilds
        lst.redraw()  # names looked up, the day turned: the rows on screen compared and repainted
        await settled(pilot)
        drawn_rows: list[int] = []
        render_row = lst._render_row

        def counted(row, width, selected):  # type: ignore[no-untyped-def]
            drawn_rows.append(selected)
            return render_row(row, width, selected)

        lst._render_row = counted  # type: ignore[method-assign]
        await pilot.press("down")  # the row left is new unselected; the row reached was painted after the redraw
        await settled(pilot)
        assert drawn_rows == [False, True]
        drawn_rows.clear()
        await pilot.press("down")
        await settled(pilot)
        assert lst.rebuilds == rebuilds
        assert drawn_rows == [True], "only the row reached is drawn: the row left is as the redraw painted it"

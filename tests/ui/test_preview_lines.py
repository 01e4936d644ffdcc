"""The preview draws its one-line parts without Rich's console (`PreviewLines._draw_line`): the lines
come out exactly as Rich and Textual draw them (`_draw`), segment by segment and style by style, for
every contact of the demo stream, in both themes and at widths that cut lines, and for odd text."""

from __future__ import annotations

from rich.console import Group
from rich.style import Style
from rich.text import Span
from rich.text import Text

from crmtui.ui.app import CrmApp
from crmtui.ui.widgets.preview import PreviewLines, render_preview
from tests.ui.conftest import WIDE, loaded, settled

ODD = [
    Text("plain"),
    Text("bold all", style="bold"),
    Text("a styled line", style=Style(italic=True, color="red")),
    Text.assemble("  ", ("ASAP", "red"), "  ", "Call back", ("  (Sam)", "italic")),
    Text.assemble(("€1,200", "bold"), "  Renewal", ("  60%", "italic"), style="underline"),
    Text("trailing spaces   "),
    Text("   leading spaces"),
    Text("☎ +353 1 234 5678 (work) ✉ 東京都 — ü e\u0301 🙂"),
    Text("x" * 40),  # as wide as the narrow pane below: fits exactly
    Text("spans that overlap", spans=[Span(0, 9, "bold"), Span(6, 18, Style(italic=True)), Span(2, 4, "red")]),
    Text("␛]0;PWNED␛\\"),
    Text("", style="bold"),
    Text("tab\there"),
    Text("two\nlines"),
    Text("y" * 300),  # wraps
    Text("centred", justify="center"),
    Text("left", justify="left"),
]


def assert_drawn_alike(lines: PreviewLines, parts: list[Text], width: int) -> int:
    """Each part drawn the fast way, where it applies, equals the general way; how many applied."""
    fast = 0
    for part in parts:
        quick = lines._draw_line(part, width)
        if quick is None:
            continue
        fast += 1
        general = lines._draw(Group(part), width)
        assert [list(s) for s in quick] == [list(s) for s in general], (part, width)
        assert [s.cell_length for s in quick] == [width]
    return fast


async def test_the_fast_way_draws_the_preview_s_lines_as_rich_and_textual_do(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await settled(pilot)
        lines = app.screen.query_one(PreviewLines)
        session = app.session
        width = lines.scrollable_content_region.width
        assert width > 40
        fast = total = 0
        for theme in (app.theme, "textual-light"):
            app.theme = theme
            await pilot.pause()
            for entry in session.entries:
                preview = render_preview(entry, session.account, session.today(), session.now(), entry.deals)
                assert isinstance(preview, Group)
                parts = [p for p in preview.renderables if isinstance(p, Text)]
                total += len(parts)
                fast += assert_drawn_alike(lines, parts, width)
                assert_drawn_alike(lines, parts, 24)  # lines the pane cuts
            fast += assert_drawn_alike(lines, ODD, 40)
        assert fast > total * 0.8  # most lines go the fast way (blank lines and long ones do not)
        assert lines._draw_line(Text("tab\there"), 40) is None
        assert lines._draw_line(Text("z" * 41), 40) is None
        assert lines._draw_line(Text("left", justify="left"), 40) is None  # Rich pads it to the width

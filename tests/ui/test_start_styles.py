"""A start reads the first screen's stylesheets only; the others come once its first rows are drawn.

What the first frame shows must not depend on that: no rule of a stylesheet read later applies to
a widget shown on the first screen of any backend (issue 13: warm start). Once the rest is read, the
rules are those, in the order, of all the stylesheets read at once.
"""

from __future__ import annotations

import os

from textual.css.stylesheet import Stylesheet
from textual.widget import Widget

from crmtui.backends.registry import Connection, create_backend
from crmtui.ui.app import CrmApp
from crmtui.ui.styles import ParsedOnce, first_stylesheets, stylesheets

from .conftest import NARROW, loaded, on_backend, wait_for


def _shown(widget: Widget) -> bool:
    return all(node.display for node in widget.ancestors_with_self if isinstance(node, Widget))


def _later_rules_on_shown_widgets(app: CrmApp) -> list[str]:
    first = {os.path.abspath(path) for path in first_stylesheets(app.top_level[0].mode)}
    widgets = [node for node in app.screen.walk_children(with_self=True) if isinstance(node, Widget) and _shown(node)]
    found = []
    for path in stylesheets():
        if os.path.abspath(path) in first:
            continue
        with open(path, encoding="utf-8") as sheet:
            rules = app.stylesheet._parse_rules(sheet.read(), (str(path), ""))
        for rule in rules:
            found += [
                f"{os.path.basename(path)}: {rule.selectors} on {type(node).__name__}#{node.id}"
                for node in widgets if list(Stylesheet._check_rule(rule, node.css_path_nodes))
            ]
    return found


async def _check(app: CrmApp) -> None:
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        assert isinstance(app.stylesheet, ParsedOnce)
        assert _later_rules_on_shown_widgets(app) == []
        # Everything read by now, in the order of reading all at once: app.tcss, then the others by name.
        read = [os.path.basename(where) for where, _ in app.stylesheet.source if where.endswith(".tcss")]
        assert read == [os.path.basename(path) for path in stylesheets()]


async def test_onepagecrm_s_first_screen_needs_no_later_stylesheet(make_app) -> None:
    await _check(make_app())


async def test_pipedrive_s_first_screen_needs_no_later_stylesheet(make_pipedrive_app) -> None:
    await _check(make_pipedrive_app())


async def test_crust_s_first_screen_needs_no_later_stylesheet(crust_sandbox) -> None:
    connection = Connection(backend="crust", base_url=crust_sandbox.base_url, user_id="", api_key=crust_sandbox.token)
    await _check(on_backend(create_backend(connection)))


def test_the_first_stylesheets_are_app_tcss_and_the_screen_s_own() -> None:
    names = lambda mode: [os.path.basename(path) for path in first_stylesheets(mode)]  # noqa: E731
    assert names("stream") == ["app.tcss"]
    assert names("leads") == ["app.tcss", "leads.tcss"]
    assert names("records") == ["app.tcss", "records.tcss"]


def test_read_in_order_puts_the_sheets_before_other_sources_in_their_order(tmp_path) -> None:
    sheets = []
    for name in ("a", "b", "c"):
        sheets.append(tmp_path / f"{name}.tcss")
        sheets[-1].write_text(f"#{name} {{ width: 1; }}\n", encoding="utf-8")
    sheet = ParsedOnce()
    sheet.read(sheets[2])
    sheet.add_source("#w { width: 2; }", read_from=("widget.py", "W.DEFAULT_CSS"), is_default_css=True)
    sheet.parse()
    sheet.read_in_order(sheets)
    assert [where for where, _ in sheet.source] == [str(path) for path in sheets] + ["widget.py"]
    assert [rule.selectors for rule in sheet.rules] == ["#a", "#b", "#c", "#w"]


async def test_a_screen_shown_before_the_other_stylesheets_are_read_reads_them_first(make_app) -> None:
    """The other screens' stylesheets are read once the start's rows are drawn; a screen opened before
    that (a key typed ahead of the start) reads them as it is shown, the first screen does not."""
    from crmtui.ui.screens.help import HelpScreen

    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        first = app.screen
        app._all_styles = False  # as before the read after the first rows
        app._load_screen_css(first)
        assert app._all_styles is False, "the first screen read every stylesheet"
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        assert app._all_styles is True

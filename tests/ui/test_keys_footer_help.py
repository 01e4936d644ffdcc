"""Keys on show: the footer (most used first, as many as fit, then `? more`), help (this screen's keys
first, searchable) and the command palette, on every screen, with no entry twice."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator

import pytest
from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input

from crmtui.ui.app import CrmApp
from crmtui.ui.screens.changes import ChangesScreen
from crmtui.ui.screens.connection_error import ConnectionErrorScreen
from crmtui.ui.screens.contact import ContactDetailScreen
from crmtui.ui.screens.help import HelpScreen, class_bindings, key_label, node_bindings
from crmtui.ui.screens.notifications import NotificationsScreen
from crmtui.ui.screens.pipeline import PipelineScreen
from crmtui.ui.screens.stream import ActionStreamScreen
from crmtui.ui.screens.team import TeamStreamScreen
from crmtui.ui.widgets.footer import FooterEntry, KeyFooter, ShownKey

from .conftest import NARROW, WIDE, loaded, settled, wait_for
from .contact_support import open_contact
from .stream_support import plain_with_next

TOP = [("1", ActionStreamScreen), ("2", TeamStreamScreen), ("3", PipelineScreen), ("4", NotificationsScreen), ("5", ChangesScreen)]


def footer_keys(screen: Screen) -> list[ShownKey]:
    return screen.query_one(KeyFooter).shown_keys()


def labels(screen: Screen) -> list[str]:
    return [f"{k.key_display} {k.description}" for k in footer_keys(screen)]


async def every_screen(pilot: Pilot) -> AsyncIterator[Screen]:
    """Each top-level screen in turn, then a contact's page, each loaded and idle."""
    app: CrmApp = pilot.app  # type: ignore[assignment]
    await loaded(pilot)
    await settled(pilot)
    for key, kind in TOP:
        await pilot.press(key)
        await wait_for(pilot, lambda kind=kind: isinstance(app.screen, kind), what=f"screen {key}")
        await settled(pilot)
        yield app.screen
    await pilot.press("1")
    await settled(pilot)
    yield await open_contact(pilot, plain_with_next(app).contact.id)


def check_footer(screen: Screen, width: int) -> list[FooterEntry]:
    """The bar fits, ends with q Quit and ? more, has each key and action once, most used first."""
    keys = footer_keys(screen)
    shown = labels(screen)
    assert keys and max(k.region.right for k in keys) <= width, f"{type(screen).__name__} runs off {width}: {shown}"
    assert shown[-2:] == ["q Quit", "? more"], shown
    assert len({k.key_display for k in keys}) == len(keys), f"a key twice: {shown}"
    assert len({k.action for k in keys}) == len(keys), f"an action twice: {shown}"
    footer = screen.query_one(KeyFooter)
    entries, trailer, _hidden = footer.candidates()
    assert [e.action for e in entries[: len(keys) - 2]] == [k.action for k in keys[:-2]], "not the most used first"
    order = type(screen).FOOTER_ORDER
    ranks = [order.index(k.action) if k.action in order else len(order) for k in keys[:-2]]
    assert ranks == sorted(ranks), f"out of the screen's order: {shown}"
    if len(entries) > len(keys) - 2:  # the next key would not have fitted
        assert sum(e.width + 1 for e in [*entries[: len(keys) - 1], *trailer]) - 1 > width
    return entries


@pytest.mark.parametrize("size", [NARROW, WIDE], ids=["80x24", "160x45"])
async def test_the_footer_fits_the_most_used_keys_then_q_quit_and_more_on_every_screen(make_app, size) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=size) as pilot:
        async for screen in every_screen(pilot):
            check_footer(screen, size[0])
            first = labels(screen)[0]
            expected = {
                ActionStreamScreen: "d Done", TeamStreamScreen: "d Done", PipelineScreen: "H L Move",
                NotificationsScreen: "⏎ Open", ChangesScreen: "r Send", ContactDetailScreen: "esc Back",
            }[type(screen)]
            assert first == expected, labels(screen)


async def test_a_wider_terminal_shows_more_keys_and_a_resize_refits_them(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        await settled(pilot)
        screen = app.screen
        narrow = labels(screen)
        assert narrow[:5] == ["d Done", "n Add", "e Edit", "u Undo", "/ Filter"]
        assert "R Full resync" not in narrow and "* Star" not in narrow  # in help, behind ? more
        await pilot.resize_terminal(*WIDE)
        await wait_for(pilot, lambda: len(labels(screen)) > len(narrow), what="the footer to take the room")
        wide = labels(screen)
        assert wide[: len(narrow) - 2] == narrow[:-2]  # the same keys first, more after them
        assert {"C New contact", "* Star", "R Full resync"} <= set(wide)
        check_footer(screen, WIDE[0])
        await pilot.resize_terminal(*NARROW)
        await wait_for(pilot, lambda: labels(screen) == narrow, what="the footer to shrink back")


async def test_the_mouse_on_the_bar_highlights_a_key_shows_its_tooltip_and_a_click_presses_it(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        await settled(pilot)
        footer = app.screen.query_one(KeyFooter)
        keys = {k.key_display: k for k in footer.shown_keys()}
        filter_key, more = keys["/"], keys["?"]
        plain = footer.render_line(0)
        await pilot.hover(KeyFooter, offset=(filter_key.region.x - footer.region.x + 2, 0))
        await wait_for(pilot, lambda: footer.tooltip is not None, what="the key's tooltip")
        assert footer.render_line(0) != plain, "the key under the mouse is not highlighted"
        between = filter_key.region.right - footer.region.x  # the gap after "/ Filter": no key
        await pilot.click(KeyFooter, offset=(between, 0))
        await settled(pilot)
        assert isinstance(app.screen, ActionStreamScreen), "a click between keys did something"
        await pilot.click(KeyFooter, offset=(more.region.x - footer.region.x + 1, 0))
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help from a click on ? more")


async def test_on_the_connection_error_screen_too(sandbox, make_app) -> None:
    app: CrmApp = make_app()
    sandbox.stop()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        assert isinstance(app.screen, ConnectionErrorScreen)
        assert labels(app.screen) == ["r Retry", "q Quit", "? more"]
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        sections = app.screen.sections
        assert sections[0][0] == "Connection error" and dict(sections[0][1]) == {"r": "Retry", "q": "Quit"}
        assert "q" not in dict(sections[1][1])  # bound here: not again under Everywhere


# -- help and the palette: this screen first, nothing twice -----------------------------------------


def check_help(app: CrmApp, screen: Screen) -> None:
    assert isinstance(app.screen, HelpScreen)
    sections = app.screen.sections
    titles = [title for title, _ in sections]
    assert len(titles) == len(set(titles)), titles
    for title, rows in sections:
        keys = Counter(keys for keys, _ in rows)
        assert all(n == 1 for n in keys.values()), f"{title}: a key twice: {keys.most_common(2)}"
    (here, own), (everywhere, shared) = sections[0], sections[1]
    assert everywhere == "Everywhere"
    assert here == {
        ActionStreamScreen: "Action stream", TeamStreamScreen: "Team stream", PipelineScreen: "Pipeline",
        NotificationsScreen: "Notifications", ChangesScreen: "Pending changes", ContactDetailScreen: "Contact detail",
    }[type(screen)]
    mine = {key for keys, _ in own for key in keys.split(" / ")}
    assert not mine & {key for keys, _ in shared for key in keys.split(" / ")}, "a key under this screen and Everywhere"
    # every key of the screen (its own, its widgets', the app's) is in these two sections
    listed = mine | {key for keys, _ in shared for key in keys.split(" / ")}
    for item in [*node_bindings(screen), *class_bindings(type(app))]:
        action = item.action  # type: ignore[union-attr]
        if action.startswith("go(") and action[3:-1].strip("'\"") not in app.mode_titles:
            continue  # another backend's screen (its number key means a screen this one has, or nothing)
        key = key_label(item.key).split(" / ")[0]  # type: ignore[union-attr]
        assert key in listed, f"{key} ({item.action}) is not in help on {here}"  # type: ignore[union-attr]
    for entry in footer_keys(screen):  # and everything on the bar
        assert key_label(entry.key) in listed, entry.key


async def palette_titles(pilot: Pilot) -> list[str]:
    app = pilot.app
    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), what="the palette")
    palette = app.screen

    def listed() -> bool:
        searching = any(not w.is_finished for w in app.workers if w.node is palette)
        return not searching and palette.query_one(CommandList).option_count > 0

    await wait_for(pilot, listed, what="the palette's commands")
    commands = palette.query_one(CommandList)
    titles = [str(commands.get_option_at_index(i).prompt).split("\n")[0] for i in range(commands.option_count)]
    await pilot.press("escape")
    await wait_for(pilot, lambda: not isinstance(app.screen, CommandPalette), what="the palette to close")
    return titles


async def test_help_and_the_palette_list_nothing_twice_and_help_starts_with_this_screen(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        async for screen in every_screen(pilot):
            await pilot.press("question_mark")
            await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
            check_help(app, screen)
            await pilot.press("escape")
            await wait_for(pilot, lambda screen=screen: app.screen is screen, what="help to close")
            titles = await palette_titles(pilot)
            twice = [title for title, n in Counter(titles).items() if n > 1]
            assert not twice, f"twice in the palette on {type(screen).__name__}: {twice}"
            assert "Help" in titles and "Quit" in titles and "Keys" not in titles
            assert "Go to Pipeline" in titles and "Pipeline" not in [t for t in titles if t.startswith("Go to")]


# -- searching help ----------------------------------------------------------------------------------


def help_rows(app: CrmApp) -> list[tuple[str, str, str]]:
    """(section, keys, description) of every row on show."""
    assert isinstance(app.screen, HelpScreen)
    return [(title, keys, text) for title, rows in app.screen.shown() for keys, text in rows]


async def test_typing_in_help_narrows_it_to_matching_keys_esc_clears_then_closes(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        await settled(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        help_screen = app.screen
        everything = help_rows(app)
        assert app.focused is help_screen.query_one("#help-search", Input)

        await pilot.press(*"undo")  # words of what a key does, in every section
        found = help_rows(app)
        assert found and all("undo" in text.lower() for _, _, text in found)
        assert ("Action stream", "u", "Undo") == found[0]  # this screen's first
        assert any(title == "Pipeline" for title, _, _ in found)

        box = help_screen.query_one("#help-search", Input)
        box.value = ""
        await pilot.press("N")  # a key as such: only that key, not every description with an n
        assert {(keys, text) for _, keys, text in help_rows(app)} == {("N", "Note")}

        await pilot.press("backspace", *"esc")  # a key's name finds it too
        assert help_rows(app) and all("Esc" in keys.split(" / ") or "esc" in text.lower() for _, keys, text in help_rows(app))

        await pilot.press("backspace", "backspace", "backspace", *"zzz")
        assert help_rows(app) == []
        none = help_screen.query_one("#help-none")
        assert none.display and "No key matches “zzz”" in str(none.render())

        await pilot.press("escape")  # clears the search, help stays
        assert app.screen is help_screen and box.value == "" and help_rows(app) == everything
        await pilot.press("escape")  # closes
        assert isinstance(app.screen, ActionStreamScreen)


def test_help_search_matching_rules() -> None:
    from crmtui.ui.screens.help import filtered, matches

    assert matches(("N", "Note"), "N") and not matches(("n", "Add"), "N")
    assert matches(("d", "Done"), "d") and not matches(("e", "Edit"), "d")  # one character: keys only
    assert matches(("Esc / Backspace", "Back"), "backspace") and matches(("ctrl+p", "Commands"), "ctrl")
    assert matches(("x", "Close/reopen sales cycle"), "sales") and matches(("u", "Undo"), " ")
    assert filtered([("A", [("u", "Undo")]), ("B", [("d", "Done")])], "undo") == [("A", [("u", "Undo")])]


def test_help_names_every_key_as_it_is_typed() -> None:
    """Help shows `!` and `[`, never Textual's names for them (`exclamation_mark`)."""
    import importlib
    import pkgutil

    import crmtui.ui as ui
    from textual.binding import Binding
    from textual.dom import DOMNode

    for info in pkgutil.walk_packages(ui.__path__, "crmtui.ui."):
        importlib.import_module(info.name)
    seen: set[str] = set()
    stack: list[type] = [DOMNode]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("crmtui."):
            for binding in cls.__dict__.get("BINDINGS", []):
                if isinstance(binding, Binding):
                    seen.update(k.strip() for k in binding.key.split(","))
    assert "exclamation_mark" in seen  # the walk reached the stream's keys
    unnamed = sorted(k for k in seen if "_" in key_label(k))
    assert not unnamed, f"help would show these keys by Textual's name: {unnamed}"

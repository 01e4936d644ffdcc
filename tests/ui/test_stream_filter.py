"""The stream's filter (F), the count of contacts without a next action (!), and the columns' widths,
driven with keys on the real sandbox."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from crmtui.domain.stream import Section
from crmtui.domain.stream_filter import StreamFilter
from crmtui.store.view_state import ViewState
from crmtui.ui.app import CrmApp
from crmtui.ui.modals.stream_filter import CLEAR, FilterPickerModal
from crmtui.ui.rows import columns_for, natural_widths, row_text

from .conftest import loaded, settled, wait_for
from .local_files_support import header_text
from .stream_support import Notes, section_of, shown_ids, stream_list, stream_screen, visible_lines


async def open_picker(pilot: Pilot) -> FilterPickerModal:
    await pilot.press("F")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, FilterPickerModal), what="the filter picker")
    await settled(pilot)  # the saved filters are in
    modal = pilot.app.screen
    assert isinstance(modal, FilterPickerModal)
    return modal


async def pick(pilot: Pilot, key: str) -> None:
    """Move to the choice `key` with j/k as a person would, and press Enter."""
    modal = pilot.app.screen
    assert isinstance(modal, FilterPickerModal)
    options = modal.query_one("#filter-options")
    ids = [options.get_option_at_index(i).id for i in range(options.option_count)]  # type: ignore[attr-defined]
    assert key in ids, f"{key} is not offered: {ids}"
    while options.highlighted_option.id != key:  # type: ignore[attr-defined]
        at = options.highlighted  # type: ignore[attr-defined]
        await pilot.press("j" if ids.index(key) > at else "k")
    await pilot.press("enter")
    await settled(pilot)


def vip(app: CrmApp) -> set[str]:
    return {e.contact.id for e in app.session.entries if "VIP" in e.contact.tags}


async def test_a_tag_filter_narrows_the_stream_says_so_and_esc_clears_it(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await settled(pilot)
        whole = shown_ids(app)
        modal = await open_picker(pilot)
        offered = {c.describe() for c in modal.choices.values()}
        assert {"My VIPs", "starred", "waiting for", "tag VIP", "status Prospect", "lead source Trade show"} <= offered
        await pick(pilot, "tag:VIP")
        assert set(shown_ids(app)) == vip(app) and 0 < len(shown_ids(app)) < len(whole)
        assert f"Filter: tag VIP · {len(vip(app))} of {len(whole)}" in header_text(app)
        assert stream_screen(app).check_action("clear_filter", ()) is True  # "esc Clear" in the footer

        await pilot.press("escape")
        await settled(pilot)
        assert shown_ids(app) == whole
        assert "Filter:" not in header_text(app)
        assert app.session.filters.active is None


async def test_esc_clears_the_typed_text_first_then_the_stream_filter(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await settled(pilot)
        await open_picker(pilot)
        await pick(pilot, "starred:")
        starred = {e.contact.id for e in app.session.entries if e.contact.starred}
        assert set(shown_ids(app)) == starred
        first = next(e for e in app.session.entries if not e.contact.starred)
        star = next(e for e in app.session.entries if e.contact.starred).contact
        await pilot.press("slash", *f"{star.first_name} {star.last_name}".lower())
        await settled(pilot)
        narrowed = set(shown_ids(app))
        assert star.id in narrowed and narrowed < starred  # both filters hold at once

        await pilot.press("escape")  # the text goes, the stream filter stays
        await settled(pilot)
        assert set(shown_ids(app)) == starred
        assert app.session.filters.active == StreamFilter.starred()
        await pilot.press("escape")  # now the stream filter
        await settled(pilot)
        assert app.session.filters.active is None
        assert first.contact.id in shown_ids(app)


async def test_a_saved_filter_asks_the_server_and_is_remembered_across_restarts(make_app, tmp_path) -> None:
    memory = tmp_path / "profile" / "view.json"
    app = make_app()
    app.session.filters.memory = ViewState(memory)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await settled(pilot)
        modal = await open_picker(pilot)
        saved = next(c for c in modal.choices.values() if c.kind == "saved" and c.label == "My VIPs")
        await pick(pilot, saved.key)
        assert set(shown_ids(app)) == vip(app) != set()
        assert "Filter: My VIPs" in header_text(app)
    assert memory.exists()

    again = make_app()  # the same profile's files: the filter comes back, and its members with it
    again.session.filters.memory = ViewState(memory)
    assert again.session.filters.restore() == saved
    async with again.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await settled(pilot)
        assert set(shown_ids(again)) == vip(again) != set()
        assert "Filter: My VIPs" in header_text(again)
        await open_picker(pilot)
        await pick(pilot, CLEAR)
        assert again.session.filters.active is None
        assert len(shown_ids(again)) == len(again.session.entries)
    assert ViewState(memory).get("stream_filter") is None


async def test_the_header_counts_contacts_without_a_next_action_and_bang_jumps_to_them(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await loaded(pilot)
        await settled(pilot)
        lst = stream_list(app)
        missing = [e for e in lst.entries if section_of(app, e.contact.id) is Section.NO_ACTION]
        assert missing
        assert f"{len(missing)} without next action" in header_text(app)
        assert lst.cursor == 1
        await pilot.press("exclamation_mark")
        assert lst.selected_entry is not None and lst.selected_entry.contact.id == missing[0].contact.id
        shown = visible_lines(lst)
        # The section is shown from its header down (not one row at the bottom edge).
        assert any(line.lstrip().startswith("No next action") for line in shown)
        assert sum("(no next action)" in line for line in shown) == min(len(missing), len(shown) - 1)

        # Filtered to contacts that all have a next action: none to count, and ! says so.
        notes = Notes(app)
        await app.session.filters.choose(StreamFilter.waiting())
        await settled(pilot)
        assert "without next action" not in header_text(app)
        await pilot.press("exclamation_mark")
        await notes.wait(pilot, "has a next action")


async def test_the_team_stream_counts_them_too_and_bang_jumps(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await loaded(pilot)
        await pilot.press("2")
        await settled(pilot)
        from crmtui.ui.screens.team import TeamStreamScreen

        screen = app.screen
        assert isinstance(screen, TeamStreamScreen)
        lst = screen.stream_list
        count = lst.no_action_count()
        assert count and f"{count} without next action" in header_text(app)
        await pilot.press("exclamation_mark")
        assert lst.selected_entry is not None and lst.selected_entry.next_action is None


@pytest.mark.parametrize("width", [80, 120, 160, 200])
async def test_columns_give_the_room_to_the_action_and_company(make_app, width) -> None:
    """Nine rows in ten show their name and action whole; from 160 columns the company too; no
    column is wider than the longest text it holds."""
    app = make_app()
    async with app.run_test(size=(width, 30)) as pilot:
        await loaded(pilot)
        await settled(pilot)
        lst = stream_list(app)
        entries = lst.entries
        usable = lst.scrollable_content_region.width
        cols = columns_for(usable, natural_widths(entries, app.session.account))
        cells = [row_text(e, app.session.account, app.session.today(), app.session.now(), compact=True) for e in entries]
        whole_names = sum(len(c.name) <= cols.name for c in cells) / len(cells)
        whole_actions = sum(len(c.action) <= cols.action for c in cells) / len(cells)
        assert whole_names >= 0.9 and whole_actions >= 0.9, (cols, whole_names, whole_actions)
        assert cols.name <= max(len(c.name) for c in cells)
        assert cols.company <= max(len(c.company) for c in cells)
        if width >= 160:
            assert sum(len(c.company) <= cols.company for c in cells) / len(cells) >= 0.9, cols
        if width == 80:
            assert cols.company >= 6  # still there, shortened
        assert sum(cols.__dict__.values()) + 9 + (1 if cols.company else 0) <= usable
        line = visible_lines(lst)[1]  # the first contact's row, as drawn
        first = cells[0]
        assert first.name in line and first.action in line
        assert stream_screen(app).is_wide == (width >= 120)

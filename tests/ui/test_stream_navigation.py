"""The action stream screen on the real sandbox: rows, sections, moving, preview, filter, refresh."""

from __future__ import annotations

import datetime as dt


from crmtui.ui.widgets.footer import KeyFooter
from crmtui.domain.formatting import contact_name, format_money
from crmtui.domain.models import ActionStatus, StreamEntry
from crmtui.domain.stream import Section
from crmtui.ui.app import CrmApp
from crmtui.ui.screens.contact import ContactDetailScreen
from crmtui.ui.rows import SECTION_LABELS, haystack
from crmtui.ui.widgets.header import AppHeader
from crmtui.ui.widgets.row_list import Header
from crmtui.ui.widgets.stream_list import StreamList

from .conftest import NARROW, WIDE, loaded, settled, wait_for
from .stream_support import (
    TODAY,
    Notes,
    Requests,
    entry_of,
    go_to,
    preview_text,
    row_index,
    row_line,
    section_of,
    selected_id,
    server_stream_ids,
    shown_ids,
    stream_list,
    stream_screen,
    visible_lines,
    with_conflict,
    without_any_action,
)


def expected_section(entry: StreamEntry, me: str | None) -> Section:
    """The section OnePageCRM files a contact under, restated from its help centre."""
    action = entry.next_action
    if action is not None and not action.done:
        if action.status is ActionStatus.ASAP:
            return Section.ASAP
        if action.status is ActionStatus.WAITING:
            return Section.WAITING
        if action.date < TODAY:
            return Section.OVERDUE
        return Section.TODAY if action.date == TODAY else Section.FUTURE
    queued = [a for a in entry.queued_actions if not a.done]
    if queued:
        return Section.QUEUED_FOR_ME if queued[0].assignee_id == me else Section.QUEUED_FOR_TEAM
    if entry.contact.sales_closed:
        return Section.CLOSED_WITH_COMMENT if entry.contact.sales_closed_comment else Section.CLOSED_WITHOUT_COMMENT
    return Section.NO_ACTION


def header_rows(app: CrmApp) -> list[tuple[Section, int]]:
    return [(r.tag, r.count) for r in stream_list(app)._rows if isinstance(r, Header)]


# -- rows and sections -------------------------------------------------------------------------------


async def test_one_row_per_contact_in_the_servers_order_grouped_by_section(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        await settled(pilot)
        ids = shown_ids(app)
        assert ids == await server_stream_ids(api)  # OnePageCRM's own order, one row per contact
        assert len(ids) == len(set(ids)) == 121
        missing = sum(1 for e in stream_list(app).entries if e.next_action is None and not e.queued_actions and not e.contact.sales_closed)
        assert stream_screen(app).query_one("#header", AppHeader).title == f"Action stream · 121 · {missing} no action"  # 80 columns

        headers = header_rows(app)
        sections = [s for s, _ in headers]
        assert sections == sorted(sections) and len(sections) == len(set(sections))  # each section once, in order
        assert [SECTION_LABELS[s] for s in sections] == [
            "ASAP", "Overdue", "Today", "Future", "Waiting for", "Queued for me",
            "Queued for a team member", "Closed (with comment)", "Closed", "No next action",
        ]
        assert sum(count for _, count in headers) == len(ids)
        # every row sits under the header its next action calls for
        me = app.session.user_id
        for contact_id in ids:
            assert section_of(app, contact_id) is expected_section(entry_of(app, contact_id), me), contact_id

        lines = visible_lines(stream_list(app))
        assert lines[0].strip() == "ASAP · 11"
        first = app.session.entries[0]
        assert contact_name(first.contact) in lines[1] and first.next_action.text in lines[1]


async def test_the_list_takes_the_sessions_order_keys_rather_than_working_them_out_again(make_app, monkeypatch) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        await settled(pilot)
        session, lst = app.session, stream_list(app)
        today, user_id = session.today(), session.stream_user_id
        keys = session.order_keys(today, user_id)
        assert keys is not None and keys == [session.order_key(e) for e in session.entries]
        assert session.order_keys(today, "someone else") is None
        assert session.order_keys(today + dt.timedelta(days=1), user_id) is None
        rows = list(lst._rows)
        worked_out: list[str] = []
        original = StreamList._sort_key

        def counted(self: StreamList, entry: StreamEntry):
            worked_out.append(entry.contact.id)
            return original(self, entry)

        monkeypatch.setattr(StreamList, "_sort_key", counted)
        stream_screen(app)._stream_changed(None)  # a whole new stream: the list rebuilt
        assert worked_out == [] and lst._rows == rows
        lst.set_entries(session.entries)  # no keys given: the list works them out, to the same rows
        assert len(worked_out) == len(session.entries) and lst._rows == rows
        session.entries = list(session.entries)  # changed behind the order's back: no keys
        assert session.order_keys(today, user_id) is None


async def test_rows_show_star_conflict_marker_and_pending_value(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        entries = app.session.entries
        starred = next(e for e in entries if e.contact.starred)
        plain = next(e for e in entries if not e.contact.starred and not e.has_conflict and not e.contact.total_pending)
        conflict = with_conflict(app)
        valued = next(e for e in entries if e.contact.pending_deal and not e.has_conflict)

        line = await row_line(pilot, starred.contact.id)
        assert line.startswith("▌ ★ ")
        line = await row_line(pilot, plain.contact.id)
        assert line.startswith("▌ ☆ ") and "⚠" not in line and "€" not in line
        line = await row_line(pilot, conflict.contact.id)
        assert line.rstrip().endswith("⚠")
        # the value is what the server holds for the contact's pending deals
        deals = await api.deals(contact_id=valued.contact.id)
        total = sum(d.total_amount or d.amount for d in deals if d.status.value == "pending")
        assert total > 0
        line = await row_line(pilot, valued.contact.id)
        assert format_money(total, "€", decimals=0) in line

        nothing = without_any_action(app)
        line = await row_line(pilot, nothing.contact.id)
        assert "(no next action)" in line
        assert section_of(app, nothing.contact.id) is Section.NO_ACTION


# -- moving ------------------------------------------------------------------------------------------


async def test_j_k_and_arrows_move_one_contact_and_skip_section_headers(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        lst = stream_list(app)
        entries = app.session.entries
        asap = [e for e in entries if section_of(app, e.contact.id) is Section.ASAP]
        assert selected_id(app) == entries[0].contact.id and lst.cursor == 1  # row 0 is the ASAP header

        await pilot.press("j")
        assert selected_id(app) == entries[1].contact.id
        await pilot.press("down")
        assert selected_id(app) == entries[2].contact.id
        await pilot.press("k", "up")
        assert selected_id(app) == entries[0].contact.id
        await pilot.press("k")  # already at the top: stays, header still in view
        assert selected_id(app) == entries[0].contact.id and lst.scroll_offset.y == 0

        # down to the last ASAP contact, then once more: over the "Overdue" header to its first contact
        for _ in range(len(asap) - 1):
            await pilot.press("j")
        assert selected_id(app) == asap[-1].contact.id
        before = lst.cursor
        await pilot.press("j")
        assert selected_id(app) == entries[len(asap)].contact.id
        assert lst.cursor == before + 2 and isinstance(lst._rows[before + 1], Header)
        assert section_of(app, selected_id(app)) is Section.OVERDUE
        await pilot.press("up")
        assert selected_id(app) == asap[-1].contact.id


async def test_g_G_home_end_jump_to_first_and_last_contact(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        lst = stream_list(app)
        first, last = app.session.entries[0].contact.id, app.session.entries[-1].contact.id
        await pilot.press("G")
        assert selected_id(app) == last and lst.cursor == len(lst._rows) - 1
        assert lst.scroll_offset.y > 0 and lst.cursor - lst.scroll_offset.y < lst.scrollable_content_region.height
        await pilot.press("j")  # at the bottom: stays
        assert selected_id(app) == last
        await pilot.press("g")
        assert selected_id(app) == first and lst.scroll_offset.y == 0
        await pilot.press("end")
        assert selected_id(app) == last
        await pilot.press("home")
        assert selected_id(app) == first


async def test_page_down_and_up_move_a_screenful_and_land_on_contacts(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        lst = stream_list(app)
        height = lst.scrollable_content_region.height
        assert height > 10
        seen: list[int] = [lst.cursor]
        for _ in range(4):
            await pilot.press("pagedown")
            seen.append(lst.cursor)
            assert lst.selected_entry is not None  # never a section header
            assert 0 <= lst.cursor - lst.scroll_offset.y < height  # the cursor stays on screen
        steps = [b - a for a, b in zip(seen, seen[1:])]
        assert all(height - 1 <= step <= height + 1 for step in steps), steps  # a page (or one past a header)
        for _ in range(4):
            await pilot.press("pageup")
            assert lst.selected_entry is not None
        assert lst.cursor == 1 and selected_id(app) == app.session.entries[0].contact.id


# -- preview -----------------------------------------------------------------------------------------


async def test_wide_terminal_preview_follows_the_cursor(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        screen = stream_screen(app)
        preview = screen.query_one("#stream-preview")
        assert screen.is_wide and preview.display and preview.region.width > 30
        first = app.session.entries[0]
        text = preview_text(app)
        assert contact_name(first.contact) in text and first.next_action.text in text

        conflict = with_conflict(app)
        await go_to(pilot, conflict.contact.id)
        text = preview_text(app)
        assert contact_name(conflict.contact) in text
        assert conflict.next_action.text in text
        assert f"Queued ({len(conflict.queued_actions)})" in text
        assert all(q.text in text for q in conflict.queued_actions)
        assert "⚠ conflict" in text and "press s to swap" in " ".join(text.split())

        nothing = without_any_action(app)
        await go_to(pilot, nothing.contact.id)
        assert "none — press n to add one" in preview_text(app)


async def test_preview_pane_appears_from_120_columns(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=(119, 30)) as pilot:
        await loaded(pilot)
        screen = stream_screen(app)
        preview = screen.query_one("#stream-preview")
        assert not screen.is_wide and not preview.display
        await pilot.press("j")
        await pilot.resize_terminal(120, 30)
        await wait_for(pilot, lambda: screen.is_wide, what="the wide layout")
        assert preview.display and preview.region.width > 0
        second = app.session.entries[1]
        assert contact_name(second.contact) in preview_text(app)  # filled with the selected contact at once
        assert stream_list(app).region.width < 120
        await pilot.press("enter")  # wide too: Enter opens the contact's detail screen
        assert isinstance(app.screen, ContactDetailScreen) and app.screen.contact_id == second.contact.id
        await settled(pilot)
        await pilot.press("escape")
        assert app.screen is screen and selected_id(app) == second.contact.id
        assert contact_name(second.contact) in preview_text(app)  # the pane still shows it


async def test_wide_preview_fetches_pending_deals_lazily(make_app, api, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await settled(pilot)
        session = app.session
        first = session.entries[0]
        assert not first.contact.pending_deal and session.cached_pending_deals(first.contact.id) is None
        target = next(e for e in session.entries if e.contact.pending_deal)
        assert not target.deals  # the stream does not carry the deals themselves
        deals = [d for d in await api.deals(contact_id=target.contact.id) if d.status.value == "pending"]
        assert deals and deals[0].name

        fetch = sandbox.gate.hold("GET", "/api/v3/deals", query={"contact_id": target.contact.id})
        await go_to(pilot, target.contact.id)
        assert "loading…" in preview_text(app)  # at once: the total, while the deals are fetched
        assert deals[0].name not in preview_text(app)
        await fetch.parked(1)  # the fetch is on its way, held until released
        assert "loading…" in preview_text(app) and deals[0].name not in preview_text(app)
        fetch.release()
        await wait_for(pilot, lambda: session.cached_pending_deals(target.contact.id) is not None, what="deals")
        await wait_for(pilot, lambda: deals[0].name in preview_text(app), what="deals in the preview")
        assert "loading…" not in preview_text(app)
        assert [d.id for d in session.cached_pending_deals(target.contact.id)] == [d.id for d in deals]
        assert session.cached_pending_deals(first.contact.id) is None  # no deal, no request


async def test_enter_opens_the_contact_and_esc_or_backspace_come_back_to_the_same_row(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        await settled(pilot)
        screen = stream_screen(app)
        lst = stream_list(app)
        # well down the list, so a lost cursor or scroll position would show
        target = app.session.entries[len(app.session.entries) // 2]
        for _ in range(3):
            await pilot.press("pagedown")
        await go_to(pilot, target.contact.id)
        cursor, scroll = lst.cursor, lst.scroll_offset.y
        assert scroll > 0

        await pilot.press("enter")
        detail = app.screen
        assert isinstance(detail, ContactDetailScreen) and detail.contact_id == target.contact.id
        await settled(pilot)
        header = detail.query_one("#header", AppHeader)
        assert header.title == f"Contact · {contact_name(target.contact)}"
        await pilot.press("j", "j")  # keys go to the detail screen, not to the list beneath
        assert lst.cursor == cursor

        await pilot.press("escape")
        assert app.screen is screen and selected_id(app) == target.contact.id
        assert (lst.cursor, lst.scroll_offset.y) == (cursor, scroll)
        assert app.focused is lst

        await pilot.press("enter")
        assert isinstance(app.screen, ContactDetailScreen)
        await settled(pilot)
        await pilot.press("backspace")
        assert app.screen is screen and selected_id(app) == target.contact.id
        assert (lst.cursor, lst.scroll_offset.y) == (cursor, scroll)
        await pilot.press("j")  # the list answers again
        assert selected_id(app) != target.contact.id


# -- filter ------------------------------------------------------------------------------------------


async def test_slash_filter_narrows_as_you_type_and_esc_clears_and_hides_it(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        screen = stream_screen(app)
        box = screen.query_one("#filter")
        lst = stream_list(app)
        total = len(lst.entries)
        assert not box.display

        await pilot.press("slash")
        assert box.display and app.focused is box
        counts = []
        for char in "oak":
            await pilot.press(char)
            counts.append(len(lst.entries))
        assert counts[0] >= counts[1] >= counts[2] and 0 < counts[2] < counts[0] <= total
        assert all("oak" in haystack(e) for e in lst.entries)
        assert sum(count for _, count in header_rows(app)) == counts[2]  # headers count what is shown
        assert lst.selected_entry is not None and "oak" in haystack(lst.selected_entry)

        await pilot.press(*"zzqx")
        assert lst.entries == []
        assert "No contacts match the filter" in visible_lines(lst)[1]

        await pilot.press("escape")
        assert not box.display and box.value == "" and lst.filter_text == ""
        assert len(lst.entries) == total and app.focused is lst
        await pilot.press("j")  # keys go to the list again
        assert selected_id(app) == app.session.entries[1].contact.id


async def test_filter_keeps_moving_within_the_matches(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        lst = stream_list(app)
        await pilot.press("slash", *"jensen", "enter")  # Enter: focus back on the list (and ask the server)
        await settled(pilot)
        matches = [e.contact.id for e in lst.entries]
        assert len(matches) >= 2 and app.focused is lst
        await pilot.press("g")
        assert selected_id(app) == matches[0]
        await pilot.press("j")
        assert selected_id(app) == matches[1]
        await pilot.press("G")
        assert selected_id(app) == matches[-1]


def footer_labels(app: CrmApp) -> list[str]:
    footer = stream_screen(app).query_one(KeyFooter)
    keys = footer.shown_keys()
    assert max(k.region.right for k in keys) <= NARROW[0], "the footer runs off the screen"
    return [f"{k.key_display} {k.description}" for k in keys]


async def test_with_a_filter_on_the_footer_still_fits_help_and_quit_at_80_columns(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        assert footer_labels(app)[-2:] == ["q Quit", "? more"] and "/ Filter" in footer_labels(app)
        await pilot.press("slash", *"jensen", "enter")
        await settled(pilot)
        assert app.focused is stream_list(app) and stream_list(app).filter_text == "jensen"
        labels = footer_labels(app)
        assert labels[-2:] == ["q Quit", "? more"] and "esc Clear" in labels and "/ Filter" not in labels
        await pilot.press("slash")  # / still changes the filter
        box = stream_screen(app).query_one("#filter")
        assert app.focused is box and box.value == "jensen"
        await pilot.press("enter", "escape")
        assert stream_list(app).filter_text == "" and "/ Filter" in footer_labels(app) and "esc Clear" not in footer_labels(app)


async def test_the_footer_is_drawn_again_only_when_its_keys_change(make_app) -> None:
    """Moving, typing in the filter or opening a dialog keeps the same bar (not worked out and drawn
    again); the filter's keys swap."""
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        await settled(pilot)

        def bar() -> tuple[object, ...]:
            return stream_screen(app).query_one(KeyFooter).showing

        before = bar()
        await pilot.press("j", "j", "k", "d")
        await pilot.press("escape")
        await settled(pilot)
        assert bar() is before
        await pilot.press("slash", "j")
        await settled(pilot)
        filtering = bar()
        assert "esc Clear" in footer_labels(app) and filtering != before
        await pilot.press(*"ensen")
        await settled(pilot)
        assert bar() is filtering, "drawn again for a character typed"
        await pilot.press("enter", "escape")
        await settled(pilot)
        assert footer_labels(app)[-2:] == ["q Quit", "? more"] and "/ Filter" in footer_labels(app)


async def test_enter_in_filter_asks_the_server_for_contacts_not_loaded(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, requests = Notes(app), Requests(app)
        await loaded(pilot)
        await settled(pilot)
        # behind the app's back: a new contact with an action lands in the user's stream on the server
        created = await api.client.create_contact({"first_name": "Quentin", "last_name": "Zabrowski"})
        new_id = created.contact.id
        await api.create_action(new_id, "Intro call", ActionStatus.ASAP)
        assert new_id in await server_stream_ids(api) and new_id not in shown_ids(app)

        await pilot.press("slash", *"zabrow")
        assert stream_list(app).entries == []  # nothing loaded matches
        assert [q for q in requests.gets("/api/v3/action_stream") if "search" in q] == []  # typing stays local
        await pilot.press("enter")
        await notes.wait(pilot, "1 more from the server")
        assert [q["search"] for q in requests.gets("/api/v3/action_stream") if "search" in q] == ["zabrow"]
        assert shown_ids(app) == [new_id]
        assert selected_id(app) == new_id
        line = await row_line(pilot, new_id)
        assert "Quentin Zabr" in line and "Intro call" in line

        # a query the loaded stream already answers: the server has nothing more
        await pilot.press("escape", "slash", *"noah jensen", "enter")
        await notes.wait(pilot, "No more matches on the server")
        assert [contact_name(e.contact) for e in stream_list(app).entries] == ["Noah Jensen"]


# -- refresh -----------------------------------------------------------------------------------------


async def test_r_refreshes_from_the_server_and_keeps_the_cursor(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        await settled(pilot)
        lst = stream_list(app)
        target = [e for e in app.session.entries if section_of(app, e.contact.id) is Section.OVERDUE and not e.contact.starred][2]
        await go_to(pilot, target.contact.id)
        cursor = lst.cursor
        # changed elsewhere: the selected contact is starred, another one moves above it
        await api.set_starred(target.contact.id, True)
        mover = without_any_action(app)
        await api.create_action(mover.contact.id, "Return call", ActionStatus.ASAP)
        assert not entry_of(app, target.contact.id).contact.starred

        await pilot.press("r")
        await wait_for(pilot, lambda: entry_of(app, target.contact.id).contact.starred, what="the refreshed stream")
        await settled(pilot)
        assert section_of(app, mover.contact.id) is Section.ASAP
        assert selected_id(app) == target.contact.id and lst.cursor == cursor + 1
        assert (await row_line(pilot, target.contact.id)).startswith("▌ ★")
        assert app.sync_status == "updated just now" and not app.sync_error


async def test_until_the_person_moves_it_the_cursor_stays_on_the_first_row_when_its_contact_moves(make_app, api) -> None:
    """Found by the e2e restart test: on start the cache paints the list and the server's copy follows;
    a first contact that changed since must not drag the untouched cursor (and the view) after it. Once
    the person has put the cursor on a contact, it follows that contact."""
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        await settled(pilot)
        lst = stream_list(app)
        first = entry_of(app, shown_ids(app)[0])
        assert lst.cursor == 1 and selected_id(app) == first.contact.id  # row 0 is the section header
        await api.mark_done(first.next_action.id)  # done elsewhere: the contact leaves the top

        await pilot.press("r")
        await wait_for(pilot, lambda: shown_ids(app)[0] != first.contact.id, what="the refreshed stream")
        await settled(pilot)
        assert lst.cursor == 1 and selected_id(app) == shown_ids(app)[0] and lst.scroll_offset.y == 0

        await pilot.press("j", "k")  # the person's choice now: the cursor follows its contact
        second = entry_of(app, shown_ids(app)[0])
        await api.mark_done(second.next_action.id)
        await pilot.press("r")
        await wait_for(pilot, lambda: shown_ids(app)[0] != second.contact.id, what="the refreshed stream")
        await settled(pilot)
        assert selected_id(app) == second.contact.id and lst.cursor > 1


async def test_periodic_refresh_keeps_the_cursor_on_the_selected_contact(make_app, api) -> None:
    app: CrmApp = make_app(refresh_seconds=0.3)
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        lst = stream_list(app)
        entries = app.session.entries
        # not the section's first contact: the header above it would hide a cursor that kept its row
        future = [e for e in entries if section_of(app, e.contact.id) is Section.FUTURE][3]
        await go_to(pilot, future.contact.id)
        cursor = lst.cursor
        mover = without_any_action(app)  # below the cursor: "No next action"
        assert row_index(lst, mover.contact.id) > cursor

        # behind the app's back, the contact gets an ASAP action: it moves above the cursor
        await api.create_action(mover.contact.id, "Return call", ActionStatus.ASAP)
        await wait_for(
            pilot,
            lambda: mover.contact.id in shown_ids(app) and section_of(app, mover.contact.id) is Section.ASAP,
            what="a periodic refresh",
        )
        assert selected_id(app) == future.contact.id  # the same contact, now one row further down
        assert lst.cursor == cursor + 1
        await pilot.press("j")
        assert selected_id(app) == shown_ids(app)[shown_ids(app).index(future.contact.id) + 1]

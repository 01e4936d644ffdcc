"""The contact detail screen on the real sandbox: what it shows, how it loads, how to move around it."""

from __future__ import annotations

import asyncio
import datetime as dt

from crmtui.domain.formatting import contact_name, format_money
from crmtui.domain.models import ActionStatus
from crmtui.service.contact import ContactSession
from crmtui.ui.app import CrmApp
from crmtui.ui.screens.contact import ContactDetailScreen
from tests.support.server_edits import edit_contact

from .conftest import NARROW, WIDE, settled, wait_for
from .contact_support import (
    contact_entry,
    detail,
    details_text,
    highlighted_row,
    not_in_my_stream,
    open_contact,
    rows,
    section_list,
    section_text,
    summary_text,
    tab_label,
)
from .stream_support import (
    go_to,
    plain_with_next,
    selected_id,
    start,
    stream_list,
    stream_screen,
)

WHEN = dt.datetime(2026, 3, 12, 14, 30, tzinfo=dt.timezone.utc)


async def enrich(api, contact_id: str) -> dict[str, str]:
    """Give the contact one of everything through the API (behind the app's back), and say what."""
    await api.create_note(contact_id, "Asked for the enterprise price list")
    await api.create_call(contact_id, "Spoke to her assistant", "left_message")
    await api.create_meeting(contact_id, "Contract walkthrough", WHEN, "Dublin office")
    deal = await api.create_deal(contact_id, "Pilot licences", amount=250.0, months=12)
    return {"note": "Asked for the enterprise price list", "call": "Spoke to her assistant",
            "meeting": "Contract walkthrough", "deal": deal.name}


# -- opening and what it shows -----------------------------------------------------------------------


async def test_enter_on_a_stream_contact_shows_its_header_and_every_section(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await start(pilot)
        target = plain_with_next(app)
        cid = target.contact.id
        made = await enrich(api, cid)
        await api.add_tag(cid, "VIP")
        contact = await api.get_contact(cid)
        await go_to(pilot, cid)

        await pilot.press("enter")
        await settled(pilot)
        screen = detail(app)
        assert app.screen is screen and screen.contact_id == cid

        summary = summary_text(app)
        owner = app.session.account.user_name(contact.owner_id)
        expected = [contact_name(contact), contact.title, contact.job_title, contact.company_name, contact.status,
                    contact.lead_source, owner, "VIP", contact.phones[0].value, contact.emails[0].value]
        for shown in filter(None, expected):
            assert shown in summary, shown
        assert summary.startswith("★" if contact.starred else "☆")

        # actions: the next action first, the done history below
        assert screen.active_section == "actions" and app.focused is section_list(app, "actions")
        actions = rows(app, "actions")
        assert actions[0] == "Next action" and target.next_action.text in actions[1]
        assert highlighted_row(app, "actions") == actions[1]
        done = [a for a in await api.contact_actions(cid) if a.done]
        assert f"Done ({len(done)})" in actions
        assert all(any(a.text in row for row in actions) for a in done)

        assert made["deal"] in section_text(app, "deals") and "€3,000" in section_text(app, "deals")  # 12 × €250
        assert made["note"] in section_text(app, "notes") and "Alex Morgan" in section_text(app, "notes")
        calls = section_text(app, "calls")
        assert made["call"] in calls and "Left message" in calls and "left_message" not in calls  # bootstrap's name
        meetings = section_text(app, "meetings")
        assert made["meeting"] in meetings and "Dublin office" in meetings and "12/03/2026 14:30" in meetings
        assert "Upcoming (1)" in meetings
        assert tab_label(app, "notes").startswith("Notes ") and tab_label(app, "notes") != "Notes …"


async def test_details_tab_has_phones_emails_web_addresses_and_custom_fields_by_name(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await start(pilot)
        cid = plain_with_next(app).contact.id
        contact = await api.get_contact(cid)
        await edit_contact(api.client, cid, {"background": "Met at the spring expo."})
        screen = await open_contact(pilot, cid)
        await pilot.press("tab")  # Actions -> Details
        assert screen.active_section == "details"
        text = details_text(app)
        for phone in contact.phones:
            assert phone.value in text and phone.type in text
        for email in contact.emails:
            assert email.value in text
        assert contact.urls[0] in text
        assert contact.addresses[0].city in text
        assert "Industry:" in text and "Budget:" in text  # names from bootstrap's custom_fields
        for value in contact.custom_fields:
            assert value.value in text
        assert "Background" in text and "Met at the spring expo." in text


async def test_wide_terminal_puts_the_details_beside_the_sections(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await start(pilot)
        cid = plain_with_next(app).contact.id
        screen = await open_contact(pilot, cid)
        side = screen.query_one("#contact-side")
        assert screen.has_class("-wide") and side.display and side.region.width > 40
        assert "Phones" in details_text(app, "#contact-side")
        order = []
        for _ in range(6):
            order.append(screen.active_section)
            await pilot.press("tab")
        assert order == ["actions", "deals", "notes", "calls", "meetings", "actions"]  # no Details tab here

        await pilot.resize_terminal(*NARROW)
        await wait_for(pilot, lambda: not screen.has_class("-wide"), what="the narrow layout")
        assert not side.display and screen.active_section == "deals"
        await pilot.press("shift+tab")  # the Details tab is back, between Actions and Deals
        assert screen.active_section == "details" and "Phones" in details_text(app)


async def test_sections_are_reached_with_tab_arrows_and_h_l(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await start(pilot)
        screen = await open_contact(pilot, plain_with_next(app).contact.id)
        seen = [screen.active_section]
        for key in ("tab", "right", "l", "l", "l", "l"):
            await pilot.press(key)
            seen.append(screen.active_section)
        assert seen == ["actions", "details", "deals", "notes", "calls", "meetings", "actions"]
        await pilot.press("shift+tab")
        assert screen.active_section == "meetings" and app.focused is section_list(app, "meetings")
        await pilot.press("left", "h")
        assert screen.active_section == "notes" and app.focused is section_list(app, "notes")


async def test_long_histories_scroll_in_one_list(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await start(pilot)
        cid = plain_with_next(app).contact.id
        await asyncio.gather(*(api.create_note(cid, f"Note number {i:03d}") for i in range(150)))
        screen = await open_contact(pilot, cid)
        for _ in range(3):
            await pilot.press("l")
        assert screen.active_section == "notes"
        notes = section_list(app, "notes")
        assert notes.option_count >= 150 and len(screen.query("SectionList")) == 5  # one widget per section
        assert tab_label(app, "notes") == f"Notes {notes.option_count}"
        await pilot.press("G")
        assert notes.highlighted == notes.option_count - 1 and notes.scroll_offset.y > 0
        await pilot.press("g")
        assert notes.highlighted == 0 and notes.scroll_offset.y == 0
        await pilot.press("pagedown", "j")
        assert notes.highlighted > 3


# -- loading -------------------------------------------------------------------------------------------


async def test_header_shows_at_once_and_sections_fill_as_they_arrive(sandbox, make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await start(pilot)
        target = plain_with_next(app)
        await go_to(pilot, target.contact.id)
        held = sandbox.gate.hold("GET")  # every read stays on its way until released
        await pilot.press("enter")
        name = contact_name(target.contact)
        await wait_for(pilot, lambda: name in summary_text(app), what="the header")
        # from the loaded stream: shown while every request is still on its way
        assert detail(app).contact.actions is None  # the history request is still on its way
        assert rows(app, "notes") == ["Loading the notes…"] and tab_label(app, "notes") == "Notes …"
        assert target.next_action.text in section_text(app, "actions")
        assert "Loading the history…" in section_text(app, "actions")
        # concurrently: the contact and its five sections are all on their way at once (one after
        # another, the second would only be sent once the first was answered)
        parked = await held.parked(6)
        assert len({r.path for r in parked}) == 6, [str(r) for r in parked]
        held.release()
        await settled(pilot)
        assert "Loading" not in section_text(app, "notes") and "Loading" not in section_text(app, "actions")


async def test_a_contact_outside_the_stream_opens_and_stays_out_of_it(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await start(pilot)
        cid = await not_in_my_stream(api, app)
        before = [e.contact.id for e in app.session.entries]
        contact = await api.get_contact(cid)
        screen = await open_contact(pilot, cid)
        assert contact_name(contact) in summary_text(app)
        owner = app.session.account.user_name(contact.owner_id)
        assert f"Owner {owner}" in summary_text(app)
        assert not contact_entry(app).in_stream
        await pilot.press("escape")
        assert app.screen is stream_screen(app) and screen.contact_id == cid
        assert [e.contact.id for e in app.session.entries] == before


async def test_deals_are_listed_pending_first_with_pipeline_stage_and_totals(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await start(pilot)
        cid = plain_with_next(app).contact.id
        account = app.session.account
        renewals = next(p for p in account.pipelines if p.name == "Renewals")
        await api.create_deal(cid, "Old support plan", amount=900.0, status="lost")
        await api.create_deal(cid, "Renewal 2026", amount=1200.0, pipeline_id=renewals.id, stage=60,
                              expected_close_date=dt.date(2026, 4, 1))
        await open_contact(pilot, cid)
        deals = rows(app, "deals")
        pending = next(i for i, r in enumerate(deals) if "Renewal 2026" in r)
        lost = next(i for i, r in enumerate(deals) if "Old support plan" in r)
        assert pending < lost
        assert deals[pending].startswith(format_money(1200, "€")) and "Renewals · Offer sent 60%" in deals[pending]
        assert "close 01/04/2026" in deals[pending] and "Lost" in deals[lost]


async def test_next_action_conflict_and_queued_actions_show_in_actions(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await start(pilot)
        target = plain_with_next(app)
        cid = target.contact.id
        due = target.next_action.date or dt.date(2026, 3, 10)
        await api.update_action(target.next_action.id, status=ActionStatus.DATE, date=due + dt.timedelta(days=10))
        await api.create_action(cid, "Earlier check", ActionStatus.QUEUED_WITH_DATE, date=due + dt.timedelta(days=2))
        other = app.session.account.team[0]
        await api.create_action(cid, "Priya's visit", ActionStatus.ASAP, assignee_id=other.id)
        await open_contact(pilot, cid)
        text = section_text(app, "actions")
        assert "⚠ a queued action is due before it: s swaps it in" in text
        assert "Queued (1)" in text and "Earlier check" in text
        assert "Team members' actions (1)" in text and f"Priya's visit  ({other.name})" in text
        assert isinstance(detail(app).contact, ContactSession)


async def test_esc_from_a_contact_opened_by_the_app_returns_to_the_screen_beneath(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await start(pilot)
        before = selected_id(app)
        cursor = stream_list(app).cursor
        target = plain_with_next(app).contact.id
        await open_contact(pilot, target)  # as the board or a notification does
        assert isinstance(app.screen, ContactDetailScreen)
        await pilot.press("backspace")
        assert app.screen is stream_screen(app)
        assert selected_id(app) == before and stream_list(app).cursor == cursor

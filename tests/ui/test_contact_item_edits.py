"""The contact screen's history tabs: Enter or e edits the highlighted note, call, meeting or deal in
the form it was made with, Delete deletes it after asking; on the Actions tab e and Delete keep their
meaning. Notes are several lines (Enter starts a new line, ctrl+s saves). Against the sandbox.
"""

from __future__ import annotations

import datetime as dt

from textual.widgets import OptionList, Select, TextArea

from crmtui.ui.app import CrmApp
from crmtui.ui.modals.contact_forms import CallModal, MeetingModal, NoteModal
from crmtui.ui.modals.deal_edit import DealEditModal
from crmtui.ui.modals.next_action import NextActionModal
from crmtui.ui.modals.pickers import ConfirmModal
from crmtui.ui.screens.contact import ContactDetailScreen

from .conftest import NARROW, WIDE, settled, wait_for
from .contact_support import detail, open_contact, rows, section_list, section_text
from .stream_support import plain_with_next, start


async def go_to_tab(pilot, section: str) -> None:
    """Tab (l) through the contact's sections until `section` shows, its list focused."""
    screen = detail(pilot.app)
    for _ in range(8):
        if screen.active_section == section:
            break
        await pilot.press("l")
    await wait_for(pilot, lambda: pilot.app.focused is section_list(pilot.app, section), what=f"the {section} list focused")


async def highlight(pilot, section: str, text: str) -> None:
    """Move the cursor of a section to the first row holding `text`."""
    lst = section_list(pilot.app, section)
    index = next(i for i, row in enumerate(rows(pilot.app, section)) if text in row)
    lst.highlighted = index
    await settled(pilot)


def message(app: CrmApp) -> str:
    return str(app.screen.query_one(".dialog-message").content)


async def test_a_note_is_several_lines_and_enter_on_it_edits_it_then_u_takes_the_edit_back(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, requests = await start(pilot)
        cid = plain_with_next(app).contact.id
        await open_contact(pilot, cid)
        await pilot.press("N")
        modal = app.screen
        assert isinstance(modal, NoteModal) and isinstance(app.focused, TextArea)
        assert "ctrl+s save · Enter new line" in str(modal.query_one(".dialog-hint").content)
        await pilot.press(*"Budget agreed", "enter", *"Legal reads the contract next week")
        assert isinstance(app.screen, NoteModal)  # Enter made a new line, it did not save
        await pilot.press("ctrl+s")
        await notes.wait(pilot, "Note saved")
        await settled(pilot)
        [note] = [n for n in await api.notes(cid) if n.text.startswith("Budget agreed")]
        assert note.text == "Budget agreed\nLegal reads the contract next week"

        await go_to_tab(pilot, "notes")
        await highlight(pilot, "notes", "Budget agreed")
        assert "Budget agreed\n  Legal reads the contract next week" in section_text(app, "notes")
        await pilot.press("enter")
        edit = app.screen
        assert isinstance(edit, NoteModal) and edit.query_one(TextArea).text == note.text  # filled with the note
        await pilot.press("enter", *"Signed copy by Friday", "ctrl+s")
        await notes.wait(pilot, "Note saved · u undoes it")
        await settled(pilot)
        assert (await api.get_note(note.id)).text == note.text + "\nSigned copy by Friday"
        assert ("PUT", f"/api/v3/notes/{note.id}") in requests.writes()
        assert "Signed copy by Friday" in section_text(app, "notes")

        await pilot.press("u")
        await settled(pilot)
        assert (await api.get_note(note.id)).text == note.text
        assert "Signed copy by Friday" not in section_text(app, "notes")


async def test_a_long_note_shows_its_first_lines_and_says_how_many_more(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await start(pilot)
        cid = plain_with_next(app).contact.id
        await api.create_note(cid, "\n".join(f"Point {n}" for n in range(1, 10)) + "\n\n\n")
        await open_contact(pilot, cid)
        [row] = [r for r in rows(app, "notes") if "Point 1" in r]
        assert "Point 6" in row and "Point 7" not in row and "… 3 more lines (Enter opens it)" in row


async def test_e_on_the_calls_tab_edits_the_call_and_on_the_actions_tab_the_next_action(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        cid = plain_with_next(app).contact.id
        call = await api.create_call(cid, "Rang about pricing", "interested", phone_number="+353 1 555 0101")
        await open_contact(pilot, cid)
        await pilot.press("e")
        assert isinstance(app.screen, NextActionModal)  # the Actions tab: the next action, as before
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ContactDetailScreen), what="the contact again")

        await go_to_tab(pilot, "calls")
        await highlight(pilot, "calls", "Rang about pricing")
        await pilot.press("e")
        modal = app.screen
        assert isinstance(modal, CallModal)
        results = modal.query_one("#call-result", OptionList)
        assert results.highlighted_option is not None and results.highlighted_option.id == "interested"
        assert modal.query_one("#call-text").value == "Rang about pricing"
        assert modal.query_one("#call-phone").value == "+353 1 555 0101"
        await pilot.press("down", "down", "enter", "end", *", call back Monday", "enter")
        await notes.wait(pilot, "Call saved · u undoes it")
        await settled(pilot)
        saved = await api.get_call(call.id)
        assert (saved.call_result, saved.text, saved.phone_number) == (
            "left_message", "Rang about pricing, call back Monday", "+353 1 555 0101",
        )
        assert "Left message" in section_text(app, "calls")


async def test_delete_on_the_meetings_tab_asks_naming_it_and_u_brings_it_back(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, requests = await start(pilot)
        cid = plain_with_next(app).contact.id
        when = dt.datetime(2026, 3, 12, 14, 30, tzinfo=dt.timezone.utc)
        meeting = await api.create_meeting(cid, "Quarterly review", when, "Galway office")
        await open_contact(pilot, cid)
        await go_to_tab(pilot, "meetings")
        await highlight(pilot, "meetings", "Quarterly review")
        await pilot.press("delete")
        assert isinstance(app.screen, ConfirmModal)
        assert "the meeting on 12/03/2026 14:30 at Galway office" in message(app) and "u makes it again" in message(app)
        await pilot.press("n")
        await settled(pilot)
        assert requests.writes() == [] and "Quarterly review" in section_text(app, "meetings")

        await pilot.press("delete", "y")
        assert "Quarterly review" not in section_text(app, "meetings")  # at once
        await notes.wait(pilot, "Deleted the meeting · u brings it back")
        await settled(pilot)
        assert all(m.id != meeting.id for m in await api.meetings(cid))

        await pilot.press("u")
        await settled(pilot)
        [again] = [m for m in await api.meetings(cid) if m.text == "Quarterly review"]
        assert (again.place, again.meeting_time) == ("Galway office", when)
        assert "Quarterly review" in section_text(app, "meetings")


async def test_delete_on_the_actions_tab_still_asks_to_delete_the_contact(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        _, requests = await start(pilot)
        entry = plain_with_next(app)
        await open_contact(pilot, entry.contact.id)
        await pilot.press("delete")
        assert isinstance(app.screen, ConfirmModal) and "goes" in message(app)  # the contact and what goes with it
        await pilot.press("n")
        await settled(pilot)
        assert requests.writes() == []


async def test_a_deal_is_edited_and_deleted_from_the_contact_page(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        notes, _ = await start(pilot)
        cid = plain_with_next(app).contact.id
        deal = await api.create_deal(cid, "Support plan", amount=400.0, months=1)
        await open_contact(pilot, cid)
        await go_to_tab(pilot, "deals")
        await highlight(pilot, "deals", "Support plan")
        await pilot.press("enter")
        modal = app.screen
        assert isinstance(modal, DealEditModal) and modal.query_one("#deal-name").value == "Support plan"
        await pilot.press("tab", "ctrl+u", *"450", "tab", "ctrl+u", *"12", "enter")
        await notes.wait(pilot, "Deal saved: Support plan · u undoes it")
        await settled(pilot)
        saved = await api.get_deal(deal.id)
        assert (saved.amount, saved.months, saved.total_amount) == (450.0, 12, 5400.0)
        assert "5,400" in section_text(app, "deals") or "5400" in section_text(app, "deals")

        await pilot.press("e")
        assert isinstance(app.screen, DealEditModal)
        app.screen.query_one("#deal-place", Select).value = "lost"
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert (await api.get_deal(deal.id)).status.value == "lost"

        await pilot.press("delete")
        assert isinstance(app.screen, ConfirmModal)
        assert "the deal “Support plan”" in message(app) and "as a new deal" in message(app)
        await pilot.press("y")
        await notes.wait(pilot, "Deleted the deal · u brings it back")
        await settled(pilot)
        assert all(d.id != deal.id for d in await api.deals(contact_id=cid))
        assert "Support plan" not in section_text(app, "deals")


async def test_enter_on_a_meeting_opens_its_form_filled_and_saves_the_move(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        cid = plain_with_next(app).contact.id
        meeting = await api.create_meeting(cid, "Site visit", dt.datetime(2026, 3, 12, 9, 45, tzinfo=dt.timezone.utc), "Cork")
        await open_contact(pilot, cid)
        await go_to_tab(pilot, "meetings")
        await highlight(pilot, "meetings", "Site visit")
        await pilot.press("enter")
        modal = app.screen
        assert isinstance(modal, MeetingModal)
        assert [modal.query_one(f"#meeting-{f}").value for f in ("text", "date", "time", "place")] == [
            "Site visit", "12/03/2026", "09:45", "Cork",
        ]
        await pilot.press("tab", "tab", "ctrl+u", *"11:15", "tab", "ctrl+u", *"Kinsale", "enter")
        await notes.wait(pilot, "Meeting saved: 12/03/2026 11:15 · u undoes it")
        await settled(pilot)
        saved = await api.get_meeting(meeting.id)
        assert (saved.meeting_time, saved.place, saved.text) == (dt.datetime(2026, 3, 12, 11, 15, tzinfo=dt.timezone.utc), "Kinsale", "Site visit")


async def test_the_note_area_keeps_line_breaks_and_drops_control_characters_from_a_paste(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await start(pilot)
        await open_contact(pilot, plain_with_next(app).contact.id)
        await pilot.press("N")
        area = app.screen.query_one(TextArea)
        area.insert("Called\x1b]0;pwned\x07 back\r\nPrice\tagreed\rNext: legal")
        await settled(pilot)
        assert area.text == "Called]0;pwned back\nPrice agreed\nNext: legal"

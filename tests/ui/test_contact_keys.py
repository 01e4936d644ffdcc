"""Keys of the contact detail screen beyond triage, each against the sandbox: note, call, meeting,
deal, status, tags, owner, sales cycle, copy; and `u` undoing each on the server."""

from __future__ import annotations

import datetime as dt

from textual.widgets import OptionList

from crmtui.ui.widgets.footer import KeyFooter
from crmtui.domain.formatting import contact_name
from crmtui.domain.models import ActionStatus
from crmtui.ui.app import CrmApp
from crmtui.ui.modals.contact_deal_form import DealModal
from crmtui.ui.modals.contact_forms import CallModal, CloseSalesModal, MeetingModal, NoteModal, TagModal
from crmtui.ui.modals.contact_pickers import ChoiceModal
from crmtui.ui.modals.form import FormModal
from crmtui.ui.modals.pickers import ConfirmModal, TeamPickerModal
from crmtui.ui.screens.contact import ContactDetailScreen
from crmtui.ui.screens.help import HelpScreen

from .conftest import NARROW, settled, wait_for
from .contact_support import contact_entry, detail, open_contact, rows, section_text, summary_text
from .stream_support import (
    plain_with_next,
    start,
    without_any_action,
)


def form_error(app: CrmApp) -> str:
    return str(app.screen.query_one(".form-error").content)


# -- N: note ---------------------------------------------------------------------------------------


async def test_N_adds_a_note_and_u_deletes_it(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, requests = await start(pilot)
        cid = plain_with_next(app).contact.id
        await open_contact(pilot, cid)
        before = len(await api.notes(cid))

        await pilot.press("N")
        assert isinstance(app.screen, NoteModal)
        await pilot.press("ctrl+s")  # nothing typed: refused inline, the modal stays
        assert isinstance(app.screen, NoteModal) and form_error(app) == "The note needs some text"
        await pilot.press(*"Wants a call after Easter", "ctrl+s")
        assert isinstance(app.screen, ContactDetailScreen)
        assert rows(app, "notes")[0].startswith("10/03/2026")  # newest first, shown at once
        assert "Wants a call after Easter" in rows(app, "notes")[0]
        await notes.wait(pilot, f"Note saved for {contact_name(contact_entry(app).contact)}")
        await settled(pilot)
        saved = await api.notes(cid)
        assert len(saved) == before + 1 and any(n.text == "Wants a call after Easter" for n in saved)
        assert ("POST", "/api/v3/notes") in requests.writes()

        await pilot.press("u")
        await notes.wait(pilot, "Undone: Note: Wants a call after Easter")
        await settled(pilot)
        assert all(n.text != "Wants a call after Easter" for n in await api.notes(cid))
        assert "Wants a call after Easter" not in section_text(app, "notes")


async def test_esc_in_a_form_cancels_and_sends_nothing(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        _, requests = await start(pilot)
        await open_contact(pilot, plain_with_next(app).contact.id)
        for key, modal in (("N", NoteModal), ("c", CallModal), ("m", MeetingModal), ("D", DealModal),
                           ("plus", TagModal), ("S", ChoiceModal), ("o", TeamPickerModal)):
            await pilot.press(key)
            assert isinstance(app.screen, modal), key
            await pilot.press(*"abc")
            await pilot.press("escape")
            if issubclass(modal, FormModal) and key != "c":  # a form holding typed text asks first (the
                assert isinstance(app.screen, ConfirmModal), key  # call form's result list takes no letters)
                await pilot.press("y")
            assert isinstance(app.screen, ContactDetailScreen), key
        await settled(pilot)
        assert requests.writes() == []


# -- c: call ---------------------------------------------------------------------------------------


async def test_c_logs_a_call_with_a_result_from_bootstrap(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        entry = plain_with_next(app)
        cid = entry.contact.id
        await open_contact(pilot, cid)
        await pilot.press("c")
        modal = app.screen
        assert isinstance(modal, CallModal)
        results = modal.query_one("#call-result", OptionList)
        assert [str(o.prompt) for o in results.options] == [c.text for c in app.session.account.call_results]
        assert app.focused is results
        await pilot.press("down", "down", "enter")  # "Left message", then on to the notes
        assert app.focused is modal.query_one("#call-text")
        await pilot.press(*"Back on Friday", "enter")
        await notes.wait(pilot, "Call logged: Left message")
        await settled(pilot)
        [call] = [c for c in await api.calls(cid) if c.text == "Back on Friday"]
        assert call.call_result == "left_message" and call.phone_number == entry.contact.phones[0].value
        shown = section_text(app, "calls")
        assert "Left message" in shown and "Back on Friday" in shown and entry.contact.phones[0].value in shown

        await pilot.press("u")
        await notes.wait(pilot, "Undone: Call: Left message")
        await settled(pilot)
        assert all(c.text != "Back on Friday" for c in await api.calls(cid))


# -- m: meeting ------------------------------------------------------------------------------------


async def test_m_adds_a_meeting_and_refuses_a_bad_time_inline(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        cid = plain_with_next(app).contact.id
        await open_contact(pilot, cid)
        await pilot.press("m")
        modal = app.screen
        assert isinstance(modal, MeetingModal)
        assert modal.query_one("#meeting-date").value == "10/03/2026"  # today, in the account's format
        await pilot.press(*"Onsite demo", "tab", "ctrl+u", *"tomorrow", "tab", "ctrl+u", *"25:99", "enter")
        assert app.screen is modal and "Times look like" in form_error(app)
        assert app.focused is modal.query_one("#meeting-time")  # the cursor is where the fix goes
        await pilot.press("ctrl+u", *"3:30pm", "tab", *"Head office", "enter")
        await notes.wait(pilot, "Meeting saved: 11/03/2026 15:30")
        await settled(pilot)
        [meeting] = [m for m in await api.meetings(cid) if m.text == "Onsite demo"]
        assert meeting.meeting_time == dt.datetime(2026, 3, 11, 15, 30, tzinfo=dt.timezone.utc)  # account zone: UTC
        assert meeting.place == "Head office"
        assert "11/03/2026 15:30 · Head office" in section_text(app, "meetings")


# -- D: deal ---------------------------------------------------------------------------------------


async def test_D_adds_a_deal_in_the_chosen_pipeline_and_stage(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        cid = without_any_action(app).contact.id
        await open_contact(pilot, cid)
        await pilot.press("D")
        modal = app.screen
        assert isinstance(modal, DealModal)
        await pilot.press("enter")
        assert form_error(app) == "The deal needs a name" and app.focused is modal.query_one("#deal-name")
        await pilot.press(*"Rollout", "tab", *"12k", "enter")
        assert form_error(app) == "The amount is a number, like 1200 or 99.50"
        await pilot.press("ctrl+u", *"1200", "tab", "ctrl+u", "1", "2", "tab")
        await pilot.press("enter", "down", "enter")  # pipeline: Sales -> Renewals
        await pilot.press("tab", "enter", "down", "enter")  # stage: the second of Renewals
        await pilot.press("tab", "ctrl+u", *"30/04/2026", "enter")
        await notes.wait(pilot, "Deal saved: Rollout")
        await settled(pilot)
        renewals = next(p for p in app.session.account.pipelines if p.name == "Renewals")
        [deal] = [d for d in await api.deals(contact_id=cid) if d.name == "Rollout"]
        assert (deal.amount, deal.months, deal.total_amount) == (1200.0, 12, 14400.0)
        assert deal.pipeline_id == renewals.id and deal.stage == renewals.stages[1].stage
        assert deal.expected_close_date == dt.date(2026, 4, 30)
        assert "€14,400  Rollout" in section_text(app, "deals")
        assert contact_entry(app).contact.pending_deal  # the contact was re-read: it has a pending deal now
        assert app.session.entry(cid).contact.total_pending >= 14400  # and the stream knows

        await pilot.press("u")
        await notes.wait(pilot, "Undone: Deal: Rollout")
        await settled(pilot)
        assert all(d.name != "Rollout" for d in await api.deals(contact_id=cid))


# -- S, +, -, o: the contact's fields --------------------------------------------------------------


async def test_S_changes_the_status_and_the_stream_follows(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        entry = plain_with_next(app)
        cid, old = entry.contact.id, entry.contact.status
        statuses = app.session.account.statuses
        await open_contact(pilot, cid)
        await pilot.press("S")
        picker = app.screen
        assert isinstance(picker, ChoiceModal)
        options = picker.query_one(OptionList)
        current = next(i for i, s in enumerate(statuses) if s.id == entry.contact.status_id)
        assert options.highlighted == current and "(current)" in str(options.options[current].prompt)
        target = (current + 1) % len(statuses)
        await pilot.press("down" if target > current else "home", "enter")
        new = statuses[target].text
        assert f"Status {new}" in summary_text(app)  # at once
        await notes.wait(pilot, f"Status: {new}")
        await settled(pilot)
        assert (await api.get_contact(cid)).status == new
        assert app.session.entry(cid).contact.status == new  # the stream is in step

        await pilot.press("u")
        await notes.wait(pilot, f"Undone: Status: {new}")
        await settled(pilot)
        assert (await api.get_contact(cid)).status == old and f"Status {old}" in summary_text(app)


async def test_plus_adds_a_tag_with_suggestions_and_minus_removes_one(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        entry = next(e for e in app.session.entries if not e.contact.tags and e.next_action is not None)
        cid = entry.contact.id
        await open_contact(pilot, cid)
        await pilot.press("minus")
        await notes.wait(pilot, "has no tags")

        await pilot.press("plus")
        assert isinstance(app.screen, TagModal)
        await pilot.press(*"ent", "right", "enter")  # the suggestion from the stream's tags: "enterprise"
        await notes.wait(pilot, "Tagged “enterprise”")
        await pilot.press("plus", *"Hot lead", "enter")
        await notes.wait(pilot, "Tagged “Hot lead”")
        await settled(pilot)
        assert sorted((await api.get_contact(cid)).tags) == ["Hot lead", "enterprise"]
        assert "Tags Hot lead, enterprise" in summary_text(app)

        await pilot.press("plus", *"Hot lead", "enter")  # already there: said in the form
        assert isinstance(app.screen, TagModal) and form_error(app) == "Already tagged “Hot lead”"
        await pilot.press("escape", "y")  # Esc asks about what was typed; y discards it

        await pilot.press("minus")
        assert isinstance(app.screen, ChoiceModal)
        await pilot.press("enter")  # the first: "Hot lead"
        await notes.wait(pilot, "Tag “Hot lead” removed")
        await settled(pilot)
        assert (await api.get_contact(cid)).tags == ["enterprise"]
        await pilot.press("u")
        await notes.wait(pilot, "Undone: Untag: Hot lead")
        await settled(pilot)
        assert sorted((await api.get_contact(cid)).tags) == ["Hot lead", "enterprise"]


async def test_o_gives_the_contact_away_it_leaves_the_stream_and_u_brings_it_back(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        me = app.session.user_id
        entry = next(e for e in app.session.entries if e.contact.owner_id == me and e.next_action is None
                     and not e.queued_actions and not e.contact.sales_closed)
        cid = entry.contact.id
        other = app.session.account.team[1]
        await open_contact(pilot, cid)
        await pilot.press("o")
        assert isinstance(app.screen, TeamPickerModal)
        users = [app.session.account.user, *app.session.account.team]
        await pilot.press(*["down"] * users.index(other), "enter")
        assert isinstance(app.screen, ConfirmModal)  # giving it away asks first
        assert f"goes to {other.name}" in str(app.screen.query_one(".dialog-message").render())
        await pilot.press("n")
        assert isinstance(app.screen, ContactDetailScreen) and app.session.outbox.pending == 0
        await pilot.press("o", *["down"] * users.index(other), "enter", "y")
        await notes.wait(pilot, f"{other.name}'s now")
        await settled(pilot)
        assert (await api.get_contact(cid)).owner_id == other.id
        assert f"Owner {other.name}" in summary_text(app)
        assert app.session.entry(cid) is None  # someone else's now, with no action of mine: out of my stream

        await pilot.press("u")  # here: takes it back
        await notes.wait(pilot, "Undone: Owner")
        await settled(pilot)
        assert (await api.get_contact(cid)).owner_id == me
        assert app.session.entry(cid) is not None

        await pilot.press("o", *["down"] * users.index(other), "enter", "y")
        await settled(pilot)
        assert (await api.get_contact(cid)).owner_id == other.id
        await pilot.press("escape")  # back on the stream, u takes it back there too
        await pilot.press("u")
        await notes.wait(pilot, "Undone: Owner")
        await settled(pilot)
        assert (await api.get_contact(cid)).owner_id == me and app.session.entry(cid) is not None


# -- x: sales cycle --------------------------------------------------------------------------------


async def test_x_with_open_actions_offers_to_delete_them_then_closes_with_a_comment_and_reopens(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, requests = await start(pilot)
        entry = plain_with_next(app)
        cid = entry.contact.id
        await open_contact(pilot, cid)

        await pilot.press("x")  # open actions: not a dead end, the API's force close, named first
        assert isinstance(app.screen, ConfirmModal)
        message = str(app.screen.query_one(".dialog-message").render())
        assert entry.next_action.text in message and "will be deleted" in message
        await pilot.press("n")
        assert isinstance(app.screen, ContactDetailScreen) and requests.writes() == []

        await pilot.press("x", "y")
        assert isinstance(app.screen, CloseSalesModal)
        await pilot.press(*"Went with a competitor", "enter")
        assert "Sales cycle closed Went with a competitor" in summary_text(app)  # at once
        assert contact_entry(app).next_action is None
        await notes.wait(pilot, "Sales cycle closed for")
        await settled(pilot)
        assert ("PUT", f"/api/v3/contacts/{cid}/force_close_sales_cycle") in requests.writes()
        server = await api.get_contact(cid)
        assert server.sales_closed and server.sales_closed_comment == "Went with a competitor"
        assert [a for a in await api.contact_actions(cid) if not a.done] == []
        assert app.session.entry(cid).contact.sales_closed  # the stream files it under Closed

        await pilot.press("x")
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await notes.wait(pilot, "Sales cycle reopened")
        await settled(pilot)
        assert not (await api.get_contact(cid)).sales_closed and "Sales cycle closed" not in summary_text(app)

        await pilot.press("u")  # undo the reopening: closed again, with the same comment
        await notes.wait(pilot, "Undone: Reopen sales cycle")
        await settled(pilot)
        server = await api.get_contact(cid)
        assert server.sales_closed and server.sales_closed_comment == "Went with a competitor"


async def test_x_refused_by_the_server_409_reverts_and_says_why(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, requests = await start(pilot)
        entry = without_any_action(app)
        cid = entry.contact.id
        await open_contact(pilot, cid)
        await api.create_action(cid, "Call back", ActionStatus.ASAP)  # behind the app's back
        await pilot.press("x", *"No budget", "enter")
        note = await notes.wait(pilot, "open actions")
        await settled(pilot)
        assert note.title == "The server refused" and note.severity == "error"
        assert note.message.startswith("Cannot close the sales cycle while you have open actions on this contact")
        assert ("PUT", f"/api/v3/contacts/{cid}/close_sales_cycle") in requests.writes()
        assert not contact_entry(app).contact.sales_closed and "Sales cycle closed" not in summary_text(app)
        assert not (await api.get_contact(cid)).sales_closed
        assert detail(app).contact.undo_stack == []


# -- y: copy ---------------------------------------------------------------------------------------


async def test_y_copies_the_chosen_email_or_phone_with_osc52(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        entry = next(e for e in app.session.entries if len(e.contact.phones) > 1)
        c = entry.contact
        written: list[str] = []
        original = app.copy_to_clipboard
        app.copy_to_clipboard = lambda text: (written.append(text), original(text))[-1]  # type: ignore[method-assign]
        await open_contact(pilot, c.id)
        await pilot.press("y")
        picker = app.screen
        assert isinstance(picker, ChoiceModal)
        labels = [str(o.prompt) for o in picker.query_one(OptionList).options]
        assert labels[0].startswith(f"✉ {c.emails[0].value}") and labels[2].startswith(f"☎ {c.phones[1].value}")
        await pilot.press("down", "down", "enter")
        await notes.wait(pilot, f"Copied {c.phones[1].value}")
        assert written == [c.phones[1].value] and app.clipboard == c.phones[1].value


async def test_y_copies_at_once_when_there_is_one_address(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        created = await api.client.create_contact(
            {"first_name": "Solo", "last_name": "Mail", "emails": [{"type": "work", "value": "solo@example.com"}]}
        )
        await open_contact(pilot, created.contact.id)
        await pilot.press("y")
        await notes.wait(pilot, "Copied solo@example.com")
        assert isinstance(app.screen, ContactDetailScreen) and app.clipboard == "solo@example.com"

        bare = await api.client.create_contact({"first_name": "No", "last_name": "Details"})
        await pilot.press("escape")
        await open_contact(pilot, bare.contact.id)
        await pilot.press("y")
        await notes.wait(pilot, "No Details has no email or phone number")


# -- help and footer -------------------------------------------------------------------------------


async def test_help_lists_the_contact_keys_and_the_footer_fits_80_columns(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await start(pilot)
        screen = await open_contact(pilot, plain_with_next(app).contact.id)
        footer = screen.query_one(KeyFooter)
        labels = " ".join(f"{k.key_display} {k.description}" for k in footer.shown_keys())
        for wanted in ("esc Back", "d Done", "n Add", "u Undo", "N Note", "c Call", "y Copy", "q Quit", "? more"):
            assert wanted in labels, labels
        assert max(k.region.right for k in footer.shown_keys()) <= 80
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        sections = dict(app.screen.sections)
        keys = dict(sections["Contact detail"])
        for key in ("d", "n", "e", "a", "p", "s", "u", "*", "N", "c", "m", "D", "S", "+", "-", "o", "x", "y", "r"):
            assert key in keys, key
        assert keys["N"] == "Note" and keys["x"] == "Close/reopen sales cycle" and keys["y"] == "Copy"
        everywhere = dict(sections["Everywhere"])
        assert everywhere["t"] == "Theme" and "t" not in keys  # the theme key is not shadowed here

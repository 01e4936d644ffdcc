"""The leads inbox (Pipedrive, screen 1) on the real Pipedrive sandbox and client over loopback:
what it shows, in which order, and the single-key verbs through the outbox."""

from __future__ import annotations

from crmtui.domain.leads import SECTION_TITLES, lead_section, lead_sort_key
from crmtui.ui.app import CrmApp
from crmtui.ui.modals.lead_labels import LabelsModal
from crmtui.ui.modals.pickers import ConfirmModal, TeamPickerModal
from crmtui.ui.widgets.header import AppHeader
from crmtui.ui.widgets.row_list import _Header

from .conftest import NARROW, NOW, WIDE, loaded, settled, wait_for
from .pipedrive_support import inbox_lead, lead_list, leads_screen, selected, shown_ids

ME = "12000001"


def server_lead(sandbox, lead_id: str) -> dict | None:
    return sandbox.state.tables["leads"].get(lead_id)


def my_open_leads(sandbox) -> set[str]:
    return {
        lid for lid, doc in sandbox.state.tables["leads"].items()
        if str(doc["owner_id"]) == ME and not doc["is_archived"]
    }


async def test_the_inbox_shows_my_open_leads_most_urgent_first_with_the_api_gauge(make_pipedrive_app, pipedrive) -> None:
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await settled(pilot)
        inbox = app.session.leads
        shown = [lead.id for lead in lead_list(app).items]
        assert set(shown) == my_open_leads(pipedrive) and shown
        today = NOW.date()
        assert shown == [lead.id for lead in sorted(inbox.items, key=lambda lead: lead_sort_key(lead, today))]
        headers = [row.title for row in lead_list(app)._rows if isinstance(row, _Header)]
        sections = [SECTION_TITLES[s] for s in sorted({lead_section(lead, today) for lead in inbox.items})]
        assert headers == sections
        header = app.screen.query_one(AppHeader)
        assert header.title == f"My leads · {len(shown)} · by close date"  # no activity data: the order says so
        rendered = str(header.render())
        assert "API " in rendered and "per 2s" in rendered and "✉" not in rendered  # Pipedrive has no notifications
        # Names of the persons and organizations on screen are looked up (a lead carries ids only).
        await wait_for(pilot, lambda: any(inbox.who(lead) for lead in lead_list(app).visible_items()), what="names")


async def test_x_archives_the_lead_at_once_and_u_brings_it_back(make_pipedrive_app, pipedrive) -> None:
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=NARROW) as pilot:
        lead = await inbox_lead(pilot)
        await pilot.press("x")
        await wait_for(pilot, lambda: lead.id not in shown_ids(app), what="the lead to leave")
        await settled(pilot)
        assert server_lead(pipedrive, lead.id)["is_archived"] is True
        assert selected(app) is not None and selected(app).id != lead.id  # the cursor stays on the row, on the next lead

        await pilot.press("u")
        await wait_for(pilot, lambda: lead.id in shown_ids(app), what="the lead to come back")
        await settled(pilot)
        assert server_lead(pipedrive, lead.id)["is_archived"] is False


async def test_s_toggles_seen_and_the_row_is_bold_while_unseen(make_pipedrive_app, pipedrive) -> None:
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=NARROW) as pilot:
        lead = await inbox_lead(pilot)
        before = lead.was_seen
        await pilot.press("s")
        await settled(pilot)
        assert server_lead(pipedrive, lead.id)["was_seen"] is (not before)
        assert app.session.leads.find(lead.id).was_seen is (not before)


async def test_a_gives_the_lead_to_a_colleague_and_it_leaves_my_inbox(make_pipedrive_app, pipedrive) -> None:
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=NARROW) as pilot:
        lead = await inbox_lead(pilot)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, TeamPickerModal), what="the picker")
        await pilot.press("j", "enter")  # the first colleague after me
        await wait_for(pilot, lambda: lead.id not in shown_ids(app), what="the lead to leave")
        await settled(pilot)
        owner = str(server_lead(pipedrive, lead.id)["owner_id"])
        assert owner != ME
        assert any(u.id == owner for u in app.session.account.team)


async def test_l_sets_the_labels_in_a_picker(make_pipedrive_app, pipedrive) -> None:
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=NARROW) as pilot:
        lead = await inbox_lead(pilot)
        labels = app.session.leads.labels()
        first = labels[0].id
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, LabelsModal), what="the labels")
        await pilot.press("space", "enter")  # toggle the first label
        await settled(pilot)
        expected = sorted(set(lead.label_ids) ^ {first})
        assert sorted(server_lead(pipedrive, lead.id)["label_ids"]) == expected
        assert sorted(app.session.leads.find(lead.id).label_ids) == expected


async def test_delete_asks_first_and_says_there_is_no_undelete(make_pipedrive_app, pipedrive) -> None:
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=NARROW) as pilot:
        lead = await inbox_lead(pilot)
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="the question")
        assert "cannot be undone" in app.screen.message
        await pilot.press("n")
        await settled(pilot)
        assert server_lead(pipedrive, lead.id) is not None

        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="the question")
        await pilot.press("y")
        await wait_for(pilot, lambda: lead.id not in shown_ids(app), what="the lead to go")
        await settled(pilot)
        assert server_lead(pipedrive, lead.id) is None


async def test_o_shows_everyones_leads_with_their_owner_and_X_the_archived(make_pipedrive_app, pipedrive) -> None:
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await settled(pilot)
        mine = len(lead_list(app).items)
        await pilot.press("o")
        await settled(pilot)
        everyone = {lid for lid, doc in pipedrive.state.tables["leads"].items() if not doc["is_archived"]}
        assert {lead.id for lead in lead_list(app).items} == everyone and len(everyone) > mine
        assert "Owner" in [column.title for column in lead_list(app).columns]
        assert app.screen.query_one(AppHeader).title.startswith("Everyone's leads")

        await pilot.press("X")
        await settled(pilot)
        archived = {lid for lid, doc in pipedrive.state.tables["leads"].items() if doc["is_archived"]}
        assert {lead.id for lead in lead_list(app).items} == archived
        assert app.screen.query_one(AppHeader).title.startswith("Everyone's leads · archived")


async def test_number_keys_keep_their_meaning_and_a_missing_screen_says_so(make_pipedrive_app, pipedrive) -> None:
    app: CrmApp = make_pipedrive_app()
    notes: list[str] = []
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        original = app.notify

        def record(message: str, **kwargs: object) -> None:
            notes.append(message)
            original(message, **kwargs)  # type: ignore[arg-type]

        app.notify = record  # type: ignore[method-assign]
        assert leads_screen(app) is app.screen  # 1: the leads inbox
        await pilot.press("5")
        await wait_for(pilot, lambda: app.current_mode == "changes", what="pending changes")
        await pilot.press("1")
        await wait_for(pilot, lambda: app.current_mode == "leads", what="the leads")
        await pilot.press("2")
        await wait_for(pilot, lambda: app.current_mode == "teams", what="the teams")  # 2: teams on Pipedrive
        await pilot.press("1")
        await wait_for(pilot, lambda: app.current_mode == "leads", what="the leads")
        await pilot.press("4")  # 4: files on Pipedrive (OnePageCRM's notifications there)
        await wait_for(pilot, lambda: app.current_mode == "files", what="the files")
        # Every number from 1 to 7 has a Pipedrive screen; one the backend lacks says so (OnePageCRM's
        # notifications, asked for by name), and a number no screen has does nothing.
        app.action_go("notifications")
        await wait_for(pilot, lambda: "This CRM has no such screen" in notes, what="the notice")
        await pilot.press("9")
        await settled(pilot)
        assert app.current_mode == "files"

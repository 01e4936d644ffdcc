"""The leads inbox (Pipedrive, screen 1) on the real Pipedrive sandbox and client over loopback:
what it shows, in which order, and the single-key verbs through the outbox."""

from __future__ import annotations

from crmtui.domain.leads import BY_CLOSE_DATE, BY_NEXT_ACTIVITY, Lead, lead_section, lead_sort_key, section_title
from crmtui.ui.app import CrmApp
from crmtui.ui.modals.lead_labels import LabelsModal
from crmtui.ui.modals.pickers import ConfirmModal, TeamPickerModal
from crmtui.ui.widgets.header import AppHeader

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
        activities = inbox.known_activities()  # the sandbox has activities: Pipedrive's order, by next activity
        assert activities is not None
        assert shown == [lead.id for lead in sorted(inbox.items, key=lambda lead: lead_sort_key(lead, today, activities))]
        headers = [row.title for row in lead_list(app)._rows if not isinstance(row, Lead)]
        present = {lead_section(lead, today, activities) for lead in inbox.items}
        assert headers == [section_title(s, activities) for s in BY_NEXT_ACTIVITY if s in present]
        assert {"Overdue", "No activity", "Upcoming"} <= set(headers)
        header = app.screen.query_one(AppHeader)
        assert header.title == f"My leads · {len(shown)} · by next activity"  # the order says what it goes by
        rendered = str(header.render())
        assert "API " in rendered and "per 2s" in rendered and "✉" not in rendered  # Pipedrive has no notifications
        # Names of the persons and organizations on screen are looked up (a lead carries ids only).
        await wait_for(pilot, lambda: any(inbox.who(lead) for lead in lead_list(app).visible_items()), what="names")


async def test_without_activities_the_inbox_is_by_close_date_and_the_title_says_so(make_pipedrive_app, pipedrive) -> None:
    pipedrive.options.activities = False  # a server without /activities: no error, the older order
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await settled(pilot)
        inbox = app.session.leads
        assert not inbox.by_activity
        today = NOW.date()
        shown = [lead.id for lead in lead_list(app).items]
        assert shown == [lead.id for lead in sorted(inbox.items, key=lambda lead: lead_sort_key(lead, today))]
        headers = [row.title for row in lead_list(app)._rows if not isinstance(row, Lead)]
        present = {lead_section(lead, today) for lead in inbox.items}
        assert headers == [section_title(s, None) for s in BY_CLOSE_DATE if s in present]
        assert app.screen.query_one(AppHeader).title == f"My leads · {len(shown)} · by close date"
        assert "Next activity" not in [c.title for c in lead_list(app).columns]
        assert not [n for n in app._notifications if n.severity == "error"]  # said by the title alone


async def test_each_row_names_its_next_activity_where_there_is_room(make_pipedrive_app, pipedrive) -> None:
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await settled(pilot)
        inbox = app.session.leads
        lst = lead_list(app)
        assert "Next activity" in [c.title for c in lst.columns]
        table = pipedrive.state.tables["activities"]
        lead = next(lead for lead in lst.items if lead.next_activity_id)
        subject = table[lead.next_activity_id]["subject"] or table[lead.next_activity_id]["type"].capitalize()
        assert app.screen.next_activity_text(lead).endswith(f" · {subject}")
        row = next(y for y in range(lst.size.height) if lst.render_line(y).text.find(lead.title[:15]) >= 0)
        assert app.screen.next_activity_text(lead)[:5] in lst.render_line(row).text  # when it is due, first
        none = next(lead for lead in lst.items if not lead.next_activity_id)
        assert app.screen.next_activity_text(none) == "" and inbox.next_activity(none) is None


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


async def test_O_picks_whose_leads_a_colleagues_then_everyones_then_mine(make_pipedrive_app, pipedrive) -> None:
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await settled(pilot)
        leads = pipedrive.state.tables["leads"]
        owners = {str(doc["owner_id"]) for doc in leads.values() if not doc["is_archived"]} - {ME}
        colleague = next(u for u in app.session.account.team if u.id in owners)
        theirs = {lid for lid, doc in leads.items() if str(doc["owner_id"]) == colleague.id and not doc["is_archived"]}

        await pilot.press("O")
        await wait_for(pilot, lambda: isinstance(app.screen, TeamPickerModal), what="the picker")
        picker = app.screen
        assert [key for key, _ in picker.extra] == [app.session.leads.EVERYONE]
        keys = [key for key, _ in picker.extra] + [u.id for u in picker.users]
        assert keys[1] == ME and picker.current == ME  # the cursor starts on whose they are now
        await pilot.press(*["j"] * (keys.index(colleague.id) - 1), "enter")
        await wait_for(pilot, lambda: {lead.id for lead in lead_list(app).items} == theirs, what="the colleague's leads")
        assert app.screen.query_one(AppHeader).title.startswith(f"{colleague.name}'s leads")
        assert "Owner" not in [column.title for column in lead_list(app).columns]  # all theirs

        await pilot.press("O")
        await wait_for(pilot, lambda: isinstance(app.screen, TeamPickerModal), what="the picker")
        await pilot.press("home", "enter")  # the first choice: everyone's
        everyone = {lid for lid, doc in leads.items() if not doc["is_archived"]}
        await wait_for(pilot, lambda: {lead.id for lead in lead_list(app).items} == everyone, what="everyone's leads")
        assert app.screen.query_one(AppHeader).title.startswith("Everyone's leads")
        assert "Owner" in [column.title for column in lead_list(app).columns]

        await pilot.press("O")
        await wait_for(pilot, lambda: isinstance(app.screen, TeamPickerModal), what="the picker")
        await pilot.press("j", "enter")  # me
        await wait_for(pilot, lambda: {lead.id for lead in lead_list(app).items} == my_open_leads(pipedrive), what="mine")
        assert app.screen.query_one(AppHeader).title.startswith("My leads")


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
        await wait_for(pilot, lambda: any(n.startswith("This CRM has no such screen") for n in notes), what="the notice")
        await pilot.press("9")
        await settled(pilot)
        assert app.current_mode == "files"


async def test_a_cursor_step_among_named_leads_starts_no_name_lookup(make_pipedrive_app, pipedrive) -> None:
    """Once the leads on screen have their people's and organizations' names, moving the cursor starts
    no lookup worker (one per step cost ~1 ms of the step's CPU, and its messages)."""
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        inbox = app.session.leads
        await wait_for(pilot, lambda: not inbox.names_wanted(lead_list(app).visible_items(20)), what="names")
        await settled(pilot)
        started: list[object] = []
        screen = app.screen
        original = type(screen).load_names

        def counting(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            started.append(1)
            return original(self, *args, **kwargs)

        type(screen).load_names = counting  # type: ignore[method-assign]
        try:
            for _ in range(3):
                await pilot.press("down")
                await settled(pilot)
        finally:
            type(screen).load_names = original  # type: ignore[method-assign]
        assert started == []


async def test_a_warm_start_looks_up_names_only_once_its_first_rows_are_drawn(pipedrive, tmp_path, monkeypatch) -> None:
    """The cached inbox is drawn first; the person and organization names not kept are looked up
    after (a lookup builds the backend's client, whose imports held the first frame back)."""
    from crmtui.service.cached import flush_cache_writes
    from crmtui.service.compose import compose
    from crmtui.service.leads import LeadsInbox
    from crmtui.service.outbox import Outbox
    from crmtui.store import Cache

    from .conftest import frozen_clock
    from .pipedrive_support import pipedrive_backend

    def app_on_files() -> CrmApp:
        backend = pipedrive_backend(pipedrive)
        cache = Cache(tmp_path / "cache.sqlite3", owner="pipedrive-test").open()
        outbox = Outbox(backend, base_delay=0.05, max_delay=0.5)
        session = compose(backend, cache=cache, outbox=outbox, local_copy=True, clock=frozen_clock)
        return CrmApp(session, refresh_seconds=0, cursor_blink=False)

    first = app_on_files()
    async with first.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await settled(pilot)  # its name lookups answered
        await flush_cache_writes()
    first.session.backend.cache.close()

    asked: list[bool] = []  # at each lookup: was the first frame drawn?
    look_up = LeadsInbox.load_names

    async def recorded(inbox: LeadsInbox, leads) -> bool:
        asked.append(app._after_first_frame is None)
        return await look_up(inbox, leads)

    monkeypatch.setattr(LeadsInbox, "load_names", recorded)
    app = app_on_files()
    async with app.run_test(size=WIDE) as pilot:
        await wait_for(pilot, lambda: bool(asked), what="a name lookup")
        await loaded(pilot)
        assert lead_list(app).items, "the cached inbox was not shown"
        assert all(asked), "names were looked up before the first rows were drawn"
        await settled(pilot)

"""The lead detail screen (Pipedrive; Enter on the leads inbox) on the real sandbox and client over
loopback: every field with custom fields by name, the lead's files, and the file verbs (download to a
path, upload from a path, rename, delete after asking), copy, archive, seen, Esc back."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

from textual.widgets import Input, Static

from crmtui.ui.app import CrmApp
from crmtui.ui.modals.contact_pickers import ChoiceModal
from crmtui.ui.modals.pickers import ConfirmModal
from crmtui.ui.modals.text_prompt import TextPromptModal
from crmtui.ui.screens.leads import LeadsScreen

from .conftest import NARROW, WIDE, settled, wait_for
from .lead_detail_support import detail, lead_with_files, open_detail


def active_files(sandbox, lead_id: str) -> list[dict]:
    return [d for d in sandbox.state.tables["files"].values() if d["lead_id"] == lead_id and d["active_flag"]]


async def answer(pilot, text: str) -> None:
    """Type `text` into the open text prompt (replacing what it holds) and press Enter."""
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, TextPromptModal), what="the prompt")
    field = pilot.app.screen.query_one("#prompt-text", Input)
    field.value = text
    await pilot.press("enter")


def facts_text(pilot) -> str:
    return str(detail(pilot).query_one("#lead-facts", Static).render())


async def test_enter_opens_every_field_of_the_lead_with_its_files(make_pipedrive_app, pipedrive) -> None:
    lead_id = lead_with_files(pipedrive)
    doc = pipedrive.state.tables["leads"][lead_id]
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_detail(pilot, lead_id)
        shown = facts_text(pilot)
        assert doc["title"] in shown and screen.query_one("#header").title == f"Lead · {doc['title']}"
        account = app.session.account
        labels = {label.id: label.name for label in account.lead_labels}
        assert all(labels[i] in shown for i in doc["label_ids"])
        for kind, table in (("person_id", "persons"), ("organization_id", "organizations")):
            if doc[kind]:
                assert pipedrive.state.tables[table][str(doc[kind])]["name"] in shown
        assert doc["source_name"] in shown and "Who can see it" in shown and "Added" in shown
        if doc.get("value"):
            assert doc["value"]["currency"] in shown
        # Custom fields by their names (not their 40-hex keys).
        fields = {f.key: f for f in account.lead_fields if f.custom}
        for key in (k for k in doc if k in fields):
            assert fields[key].name in shown and key not in shown
        names = {item.file_name for item in screen.files.items}
        assert names == {d["file_name"] for d in active_files(pipedrive, lead_id)} and names

        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, LeadsScreen), what="the inbox again")


async def test_custom_fields_show_by_name_with_their_option_labels(make_pipedrive_app, pipedrive) -> None:
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=WIDE) as pilot:
        await open_detail(pilot, lead_with_files(pipedrive))
        screen = detail(pilot)
        account = app.session.account
        enum = next(f for f in account.lead_fields if f.custom and f.field_type == "enum" and f.options)
        option_id, option_label = next(iter(enum.options.items()))
        lead = screen.lead.model_copy(update={"custom": {enum.key: int(option_id) if option_id.isdigit() else option_id}})
        text = str(screen.facts(lead))
        assert f"{enum.name}" in text and option_label in text and enum.key not in text


async def test_who_can_see_it_names_the_users_the_server_permits(make_pipedrive_app, pipedrive) -> None:
    lead_id = lead_with_files(pipedrive)  # Priya Shah's
    state = pipedrive.state
    with state.write():  # owner & followers: the owner and the admin, Alex Morgan
        state.save("leads", {**state.tables["leads"][lead_id], "visible_to": "1"})
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_detail(pilot, lead_id)
        shown = facts_text(pilot)
        assert "Who can see it" in shown and "Owner & followers · 2 users: Alex Morgan, Priya Shah" in shown
        # Past three names, an ellipsis.
        everyone = screen.lead.model_copy(update={"visible_to": "3"})
        screen.permitted = [str(u["id"]) for u in state.users()]
        assert "Entire company · 10 users: Alex Morgan, Priya Shah, Tom Byrne, …" in str(screen.facts(everyone))


async def test_d_downloads_the_file_to_the_path_given(make_pipedrive_app, pipedrive, tmp_path) -> None:
    lead_id = lead_with_files(pipedrive)
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_detail(pilot, lead_id)
        item = screen.file_list.selected
        assert item is not None
        await pilot.press("d")
        await answer(pilot, str(tmp_path))  # a folder: saved under the file's own name
        target = tmp_path / item.file_name
        await wait_for(pilot, target.exists, what="the download")
        await settled(pilot)
        stored = base64.b64decode(pipedrive.state.tables["files"][item.id]["_content"])
        assert await asyncio.to_thread(target.read_bytes) == stored
        assert any(str(target) in n.message for n in app._notifications)

        await pilot.press("d")
        await answer(pilot, str(tmp_path / "missing" / "x.bin"))
        await wait_for(pilot, lambda: any("No folder" in n.message for n in app._notifications), what="the bad path said")
        assert not screen.query_one("#file-progress").display  # the progress bar goes away


async def test_A_uploads_a_file_and_it_shows_in_the_list(make_pipedrive_app, pipedrive, tmp_path) -> None:
    lead_id = lead_with_files(pipedrive)
    source = tmp_path / "signed contract.pdf"
    source.write_bytes(b"%PDF-1.4 signed" * 50)
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_detail(pilot, lead_id)
        before = len(screen.files.items)
        await pilot.press("A")
        await answer(pilot, str(source))
        await wait_for(pilot, lambda: len(screen.files.items) == before + 1, what="the upload shown")
        await settled(pilot)
        [made] = [d for d in active_files(pipedrive, lead_id) if d["file_name"] == "signed contract.pdf"]
        assert base64.b64decode(made["_content"]) == source.read_bytes()
        assert any(item.id == str(made["id"]) for item in screen.files.items)
        assert not screen.query_one("#file-progress").display

        await pilot.press("A")
        await answer(pilot, str(tmp_path / "nothing-here.txt"))
        await wait_for(pilot, lambda: any("No file at" in n.message for n in app._notifications), what="the bad path said")


async def test_r_renames_and_delete_asks_then_deletes(make_pipedrive_app, pipedrive) -> None:
    lead_id = lead_with_files(pipedrive)
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_detail(pilot, lead_id)
        item = screen.file_list.selected
        assert item is not None
        await pilot.press("r")
        await answer(pilot, "Quote (final).pdf")
        await settled(pilot)
        assert pipedrive.state.tables["files"][item.id]["name"] == "Quote (final).pdf"
        assert screen.files.find(item.id).name == "Quote (final).pdf"

        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="the question")
        assert "no undelete" in str(app.screen.query_one(".dialog-message", Static).render())
        await pilot.press("n")
        await settled(pilot)
        assert pipedrive.state.tables["files"][item.id]["active_flag"] is True  # not deleted: asked first
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="the question")
        await pilot.press("y")
        await settled(pilot)
        assert pipedrive.state.tables["files"][item.id]["active_flag"] is False
        assert screen.files.find(item.id) is None


async def test_y_copies_the_id_the_cc_email_or_the_web_link(make_pipedrive_app, pipedrive) -> None:
    lead_id = lead_with_files(pipedrive)
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=NARROW) as pilot:
        await open_detail(pilot, lead_id)
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, ChoiceModal), what="the copy menu")
        assert [c.value for c in app.screen.choices] == [
            lead_id, pipedrive.state.tables["leads"][lead_id]["cc_email"], f"https://sandbox.pipedrive.com/leads/inbox/{lead_id}",
        ]
        await pilot.press("down", "down", "enter")
        await settled(pilot)
        assert app.clipboard == f"https://sandbox.pipedrive.com/leads/inbox/{lead_id}"


async def test_x_archives_and_s_marks_seen_from_the_detail(make_pipedrive_app, pipedrive) -> None:
    lead_id = lead_with_files(pipedrive)
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_detail(pilot, lead_id)
        seen = pipedrive.state.tables["leads"][lead_id]["was_seen"]
        await pilot.press("s")
        await settled(pilot)
        assert pipedrive.state.tables["leads"][lead_id]["was_seen"] is (not seen)
        await pilot.press("x")
        await settled(pilot)
        assert pipedrive.state.tables["leads"][lead_id]["is_archived"] is True
        assert screen.lead.is_archived and "archived" in facts_text(pilot)


def test_the_detail_module_needs_no_backend() -> None:
    # The screen asks the service layer only (an import-linter contract); nothing to import from backends.
    source = Path(__file__).resolve().parents[2] / "src" / "crmtui" / "ui" / "screens" / "lead_detail.py"
    assert "crmtui.backends.base" not in source.read_text()


def _my_open(sandbox, due: str) -> str:
    """One of my open leads whose next activity is due before today ("overdue"), or none ("none")."""
    leads, activities = sandbox.state.tables["leads"], sandbox.state.tables["activities"]
    for lead_id, doc in sorted(leads.items()):
        if str(doc["owner_id"]) != "12000001" or doc["is_archived"]:
            continue
        upcoming = activities.get(str(doc["next_activity_id"])) if doc["next_activity_id"] else None
        if due == "none" and upcoming is None:
            return lead_id
        if due == "overdue" and upcoming is not None and upcoming["due_date"] < "2026-03-10" and upcoming["subject"]:
            return lead_id
    raise AssertionError(f"no lead of mine with a {due} next activity in the seed")


async def test_the_next_activity_shows_its_type_subject_and_day_red_when_overdue(make_pipedrive_app, pipedrive) -> None:
    lead_id = _my_open(pipedrive, "overdue")
    activity = pipedrive.state.tables["activities"][str(pipedrive.state.tables["leads"][lead_id]["next_activity_id"])]
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=WIDE) as pilot:
        await open_detail(pilot, lead_id)
        text = detail(pilot).facts(detail(pilot)._current())
        line = next(line for line in text.split("\n") if line.plain.startswith("Next activity"))
        assert activity["subject"] in line.plain and activity["type"].capitalize() in line.plain
        day = activity["due_date"]
        assert f"{day[8:10]}/{day[5:7]}/{day[:4]}" in line.plain or "yesterday" in line.plain
        assert any("red" in str(span.style) for span in line.spans)  # overdue: red

        await pilot.press("escape")
        other = _my_open(pipedrive, "none")
        await open_detail(pilot, other)
        assert ["Next", "activity", "none"] in [line.split() for line in facts_text(pilot).splitlines()]


async def test_a_lead_the_inbox_does_not_hold_has_its_next_activity_read_by_id(make_pipedrive_app, pipedrive) -> None:
    lead_id = lead_with_files(pipedrive)  # someone else's: the inbox shows everyone's leads for it
    leads = pipedrive.state.tables["leads"]
    upcoming = pipedrive.state.tables["activities"].get(str(leads[lead_id]["next_activity_id"]))
    if upcoming is None or not upcoming["subject"]:  # one with a subject to look for
        first = next(a for a in sorted(pipedrive.state.tables["activities"].values(), key=lambda a: a["id"]) if not a["done"] and a["subject"])
        with pipedrive.state.write():
            pipedrive.state.save("leads", {**leads[lead_id], "next_activity_id": first["id"]})
    subject = pipedrive.state.tables["activities"][str(leads[lead_id]["next_activity_id"])]["subject"]
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_detail(pilot, lead_id)
        app.session.leads.activities.pop(str(leads[lead_id]["next_activity_id"]), None)  # as if never read
        screen.load_activity()
        await wait_for(pilot, lambda: subject in facts_text(pilot), what="the next activity read by its id")

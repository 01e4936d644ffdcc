"""The Files screen (Pipedrive, key 4) on the real sandbox and client over loopback: every file newest
first, read a page at a time as the cursor nears the end, what each is attached to, the detail pane,
Enter to the lead, and the file verbs (download to a path, upload to a lead picked by typing, rename
and undo, delete after asking)."""

from __future__ import annotations

import base64
from pathlib import Path

from textual.widgets import Input, Static

from crmtui.ui.app import CrmApp
from crmtui.ui.modals.lead_picker import LeadPickerModal
from crmtui.ui.modals.pickers import ConfirmModal
from crmtui.ui.modals.text_prompt import TextPromptModal
from crmtui.ui.screens.lead_detail import LeadDetailScreen

from .conftest import NARROW, WIDE, settled, wait_for
from .files_support import active_ids, add_files, files_screen, open_files
from .test_keys_footer_help import labels


async def answer(pilot, text: str) -> None:
    """Type `text` into the open text prompt (replacing what it holds) and press Enter."""
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, TextPromptModal), what="the prompt")
    pilot.app.screen.query_one("#prompt-text", Input).value = text
    await pilot.press("enter")


def bar(pilot) -> str:
    return str(files_screen(pilot).query_one("#files-bar", Static).render())


def pane(pilot) -> str:
    return str(files_screen(pilot).query_one("#file-detail", Static).render())


async def test_4_lists_every_file_newest_first_with_what_it_is_attached_to(make_pipedrive_app, pipedrive) -> None:
    add_files(pipedrive, 4, on_my_lead=True)
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_files(pilot)
        assert app.current_mode == "files"
        items = screen.file_list.items
        assert [f.id for f in items] == active_ids(pipedrive)
        assert bar(pilot).startswith(f"{len(items)} files") and "more on the server" not in bar(pilot)
        inbox = {lead.id: lead.title for lead in app.session.leads.items}
        mine = next(f for f in items if f.lead_id in inbox)
        assert screen._attached(mine) == (inbox[mine.lead_id], "lead", True)  # the inbox's title
        person = next(f for f in items if f.person_id and not f.lead_id)
        name = pipedrive.state.tables["persons"][person.person_id]["name"]
        assert screen._attached(person) == (name, "person", False)  # the name the server sends with it
        top = items[0]
        doc = pipedrive.state.tables["files"][top.id]
        shown = pane(pilot)
        assert top.title in shown and "Added by" in shown and f"{doc['file_size']} bytes" in shown
        user = next(u for u in pipedrive.users if str(u["id"]) == str(doc["user_id"]))
        assert user["name"] in shown


async def test_the_next_page_is_read_as_the_cursor_nears_the_end(make_pipedrive_app, pipedrive) -> None:
    add_files(pipedrive, 230)
    every = active_ids(pipedrive)
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_files(pilot)
        assert [f.id for f in screen.file_list.items] == every[:100]
        assert bar(pilot) == "100 files · more on the server · newest first"
        await pilot.press("pagedown")  # far from the end: nothing more read
        await settled(pilot)
        assert len(screen.file_list.items) == 100
        await pilot.press("G")
        await wait_for(pilot, lambda: len(screen.file_list.items) == 200, what="the second page")
        await settled(pilot)
        assert bar(pilot) == "200 files · more on the server · newest first"
        assert screen.file_list.selected.id == every[99]  # the cursor stays where it was
        await pilot.press("G")
        await wait_for(pilot, lambda: not screen.files.more, what="the last page")
        await settled(pilot)
        assert [f.id for f in screen.file_list.items] == every
        assert bar(pilot) == f"{len(every)} files · newest first"


async def test_enter_opens_the_lead_of_the_file_and_says_so_for_other_records(make_pipedrive_app, pipedrive) -> None:
    add_files(pipedrive, 2)  # the newest: a person's file; then one on a lead
    app: CrmApp = make_pipedrive_app()
    notes: list[str] = []
    original = app.notify

    def record(message, **kwargs):
        notes.append(str(message))
        original(message, **kwargs)

    app.notify = record  # type: ignore[method-assign]
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_files(pilot)
        first = screen.file_list.selected
        assert first.person_id and not first.lead_id
        await pilot.press("enter")
        await wait_for(pilot, lambda: any("Only a lead's files" in n for n in notes), what="the notice")
        await pilot.press("j")
        lead_file = screen.file_list.selected
        assert lead_file.lead_id
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, LeadDetailScreen), what="the lead's detail")
        assert app.screen.lead.id == lead_file.lead_id  # read from the server: not one of my leads
        await pilot.press("escape")
        await wait_for(pilot, lambda: files_screen(pilot) is screen, what="the files again")


async def test_n_renames_and_u_sets_the_old_name_back(make_pipedrive_app, pipedrive) -> None:
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_files(pilot)
        item = screen.file_list.selected
        before = item.name
        await pilot.press("n")
        await answer(pilot, "Signed quote.pdf")
        await settled(pilot)
        assert pipedrive.state.tables["files"][item.id]["name"] == "Signed quote.pdf"
        assert screen.file_list.selected.name == "Signed quote.pdf"
        await pilot.press("u")
        await settled(pilot)
        assert pipedrive.state.tables["files"][item.id]["name"] == before
        assert screen.files.find(item.id).name == before


async def test_delete_asks_first_and_says_pipedrive_keeps_it_30_days(make_pipedrive_app, pipedrive) -> None:
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_files(pilot)
        item = screen.file_list.selected
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="the question")
        assert "30 days" in app.screen.message and "undelete" in app.screen.message
        await pilot.press("n")  # not now: nothing sent
        await settled(pilot)
        assert pipedrive.state.tables["files"][item.id]["active_flag"] is True
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="the question")
        await pilot.press("y")
        await settled(pilot)
        assert pipedrive.state.tables["files"][item.id]["active_flag"] is False
        assert screen.files.find(item.id) is None


async def test_d_downloads_the_file_to_the_path_given(make_pipedrive_app, pipedrive, tmp_path) -> None:
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_files(pilot)
        item = screen.file_list.selected
        await pilot.press("d")
        await answer(pilot, str(tmp_path))  # a folder: the file's own name in it
        await settled(pilot)
        saved = tmp_path / item.file_name
        assert saved.read_bytes() == base64.b64decode(pipedrive.state.tables["files"][item.id]["_content"])
        await pilot.press("d")
        await answer(pilot, str(tmp_path / "no such folder" / "x.txt"))
        await settled(pilot)
        assert not (tmp_path / "no such folder").exists()


async def test_A_uploads_a_file_to_a_lead_picked_by_typing(make_pipedrive_app, pipedrive, tmp_path) -> None:
    source = tmp_path / "site plan.pdf"
    source.write_bytes(b"%PDF plan " * 50)
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_files(pilot)
        target = app.session.leads.items[3]
        await pilot.press("A")
        await answer(pilot, str(source))
        await wait_for(pilot, lambda: isinstance(app.screen, LeadPickerModal), what="the lead picker")
        picker = app.screen
        assert len(picker.shown) == len(app.session.leads.items)
        await pilot.press(*target.title)
        await wait_for(pilot, lambda: picker.shown and picker.shown[0].id == target.id, what="the lead narrowed")
        await pilot.press("enter")
        await settled(pilot)
        made = [
            d for d in pipedrive.state.tables["files"].values()
            if d["lead_id"] == target.id and d["file_name"] == "site plan.pdf" and d["active_flag"]
        ]
        assert len(made) == 1 and base64.b64decode(made[0]["_content"]) == source.read_bytes()
        assert screen.file_list.items[0].id == str(made[0]["id"])  # first: the newest
        assert screen._attached(screen.file_list.items[0])[0] == target.title


async def test_an_upload_of_a_path_that_is_no_file_says_so_before_asking_for_a_lead(make_pipedrive_app, pipedrive, tmp_path) -> None:
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=NARROW) as pilot:
        await open_files(pilot)
        await pilot.press("A")
        await answer(pilot, str(tmp_path / "missing.pdf"))
        await settled(pilot)
        assert not isinstance(app.screen, LeadPickerModal)
        assert files_screen(pilot) is app.screen


def test_the_files_screen_module_needs_no_backend() -> None:
    source = Path(__file__).resolve().parents[2] / "src" / "crmtui" / "ui" / "screens" / "files.py"
    assert "crmtui.backends.base" not in source.read_text()


async def test_help_and_the_footer_name_the_keys_of_the_files_screen(make_pipedrive_app, pipedrive) -> None:
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_files(pilot)
        (here, own), (everywhere, shared) = app.help_sections(screen)[:2]
        assert here == "Files" and everywhere == "Everywhere"
        rows = dict(own)
        assert rows["n"].startswith("Rename") and rows["r"].startswith("Read the files again")
        assert rows["u"].startswith("Undo the last rename") and rows["A"].startswith("Upload a file to a lead")
        assert any("30 days" in text and "undelete" in text for text in rows.values())  # Delete's
        assert ("4", "Files") in shared
        assert {"n Rename", "r Refresh", "u Undo"} <= set(labels(screen))  # on the key bar at 160 columns

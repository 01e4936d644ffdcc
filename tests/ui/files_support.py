"""The Files screen (Pipedrive, key 4) on the sandbox: files added to the seed, and opening the screen
with its first page read."""

from __future__ import annotations

from textual.pilot import Pilot

from crmtui.sandbox.pipedrive.files import new_file
from crmtui.ui.screens.files import FilesScreen

from .conftest import loaded, settled, wait_for
from .lead_detail_support import ME

FIXED = "2026-03-10 08:30:00"
"""A moment for files added here (the frozen clock keeps the time of day the run started at)."""


def add_files(sandbox, count: int, *, on_my_lead: bool = False) -> None:
    """`count` more files, alternately on a lead (one of mine with `on_my_lead`) and on a person."""
    state = sandbox.state
    user = state.users()[0]
    leads = sorted(
        lid for lid, doc in state.tables["leads"].items()
        if not on_my_lead or (str(doc["owner_id"]) == ME and not doc["is_archived"])
    )
    persons = sorted(state.tables["persons"], key=int)
    with state.write():
        for i in range(count):
            links = [{"lead_id": leads[i % len(leads)]}, {"person_id": int(persons[i % len(persons)])}][i % 2]
            name = f"doc-{i:03d}.txt"
            state.save(
                "files",
                new_file(state, user, links, file_name=name, name=name, file_size=100 + i, add_time=FIXED, update_time=FIXED),
            )


def files_screen(pilot: Pilot) -> FilesScreen:
    screen = pilot.app.screen
    assert isinstance(screen, FilesScreen), screen
    return screen


async def open_files(pilot: Pilot) -> FilesScreen:
    """Key 4 once the inbox has loaded; wait for the first page of files."""
    await loaded(pilot)
    await settled(pilot)
    await pilot.press("4")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, FilesScreen), what="the files screen")
    screen = files_screen(pilot)
    await wait_for(pilot, lambda: screen.files.loaded, what="the files")
    await settled(pilot)
    return screen


def active_ids(sandbox) -> list[str]:
    docs = [d for d in sandbox.state.tables["files"].values() if d["active_flag"]]
    return [str(d["id"]) for d in sorted(docs, key=lambda d: -d["id"])]

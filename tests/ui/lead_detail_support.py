"""Opening a lead's detail screen on the Pipedrive sandbox, with its names, permitted users and files loaded: a seeded
lead with files (someone else's: the inbox shows everyone's leads first), or one of mine given files."""

from __future__ import annotations

import re

import httpx
from textual.pilot import Pilot

from crmtui.ui.screens.lead_detail import LeadDetailScreen

from .conftest import loaded, settled, wait_for
from .pipedrive_support import lead_list, leads_screen


def lead_with_files(sandbox) -> str:
    """The lead of the seeded file with the lowest id still there."""
    table = sandbox.state.tables["files"]
    return next(str(doc["lead_id"]) for _id, doc in sorted(table.items(), key=lambda kv: int(kv[0])) if doc["lead_id"] and doc["active_flag"])


ME = "12000001"
CUSTOM = re.compile(r"[0-9a-f]{40}")


def my_lead_with_files(sandbox) -> str:
    """One of my open leads with labels and a custom field set, given two files (through the API, as
    the web app would): the inbox shows it without asking for everyone's leads."""
    leads = sandbox.state.tables["leads"]
    lead_id = next(
        lid for lid, doc in sorted(leads.items())
        if str(doc["owner_id"]) == ME and not doc["is_archived"] and doc["label_ids"] and any(CUSTOM.fullmatch(k) for k in doc)
    )
    with httpx.Client(base_url=sandbox.base_url, headers={"x-api-token": sandbox.api_token}) as http:
        for name, content in (("proposal v2.pdf", b"%PDF" * 900), ("site survey notes.txt", b"notes " * 70)):
            answer = http.post("/files", data={"lead_id": lead_id}, files={"file": (name, content)})
            assert answer.status_code == 200, answer.text
    state = sandbox.state
    with state.write():  # the frozen clock keeps the time of day the run started at: a fixed moment instead
        for doc in [d for d in state.tables["files"].values() if d["lead_id"] == lead_id]:
            state.save("files", {**doc, "add_time": "2026-03-10 08:30:00", "update_time": "2026-03-10 08:30:00"})
    return lead_id


def detail(pilot: Pilot) -> LeadDetailScreen:
    screen = pilot.app.screen
    assert isinstance(screen, LeadDetailScreen), screen
    return screen


async def open_detail(pilot: Pilot, lead_id: str) -> LeadDetailScreen:
    """From the inbox (everyone's leads when it is not mine), the cursor on `lead_id`, Enter; wait for
    the names and the files."""
    app = pilot.app
    await loaded(pilot)
    await settled(pilot)
    leads_screen(app)
    if not any(lead.id == lead_id for lead in lead_list(app).items):
        await pilot.press("o")  # someone else's lead: everyone's leads
        await wait_for(pilot, lambda: any(lead.id == lead_id for lead in lead_list(app).items), what="everyone's leads")
        await settled(pilot)
    assert lead_list(app).select_key(lead_id)
    inbox = app.session.leads  # type: ignore[attr-defined]
    # The rows now on screen have their names looked up (a request each) before the detail opens:
    # the API gauge of a snapshot counts them all, whatever the timing.
    await wait_for(pilot, lambda: all(inbox.who(lead) for lead in lead_list(app).visible_items()), what="the rows' names")
    await settled(pilot)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, LeadDetailScreen), what="the lead's detail")
    screen = detail(pilot)
    lead = screen.lead
    await wait_for(pilot, lambda: screen.files_loaded, what="the lead's files")
    await wait_for(pilot, lambda: screen.permitted is not None, what="who can see the lead")
    await wait_for(
        pilot,
        lambda: all(f"{kind}:{item}" in inbox.names for kind, item in (("person", lead.person_id), ("organization", lead.organization_id)) if item),
        what="the names",
    )
    await settled(pilot)
    return screen

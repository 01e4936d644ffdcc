"""End to end: `crmtui --demo --backend pipedrive` in a real terminal (tmux), driven by key presses.

The leads inbox loads from the Pipedrive sandbox child; `x` archives the lead under the cursor; the
sandbox's data file has it archived once crmtui has quit; started again, the inbox still lacks it.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from .conftest import processes_mentioning, quit_app, start_demo, wait_until
from .tmux import tmux_available

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not tmux_available(), reason="tmux is not installed (the e2e tests drive crmtui in tmux)"),
]

COUNT = re.compile(r"My leads · (\d+)")


def lead_count(screen: str) -> int:
    found = COUNT.search(screen.splitlines()[0])
    assert found, screen
    return int(found.group(1))


def test_archive_a_lead_and_it_stays_archived_across_restarts(demo_env: dict[str, str], tmp_path: Path, sessions) -> None:
    database = Path(demo_env["CRMTUI_DATA_DIR"]) / "demo-pipedrive.sqlite3"
    demo = start_demo(sessions, demo_env, tmp_path, (80, 24), "--backend", "pipedrive", loaded="My leads · ")
    app = demo.session
    screen = app.wait_until(lambda s: "API " in s.splitlines()[0] and "updated" in s.splitlines()[0], "the gauge")
    before = lead_count(screen)
    assert "x Archive" in screen.splitlines()[-1]
    lines = screen.splitlines()
    first = next(line for line in lines[1:] if line.startswith(("▌", "●")))
    title = first[2:30].split("…")[0].strip()

    app.send("x")
    app.wait_until(lambda s: f"My leads · {before - 1}" in s.splitlines()[0], "one lead fewer")

    def archived() -> list[dict]:
        with sqlite3.connect(database) as db:
            leads = [json.loads(doc) for (doc,) in db.execute("SELECT doc FROM leads")]
        db.close()
        return [lead for lead in leads if lead["title"].startswith(title) and lead["is_archived"]]

    wait_until(lambda: len(archived()) == 1, f"the sandbox's data file to have {title!r} archived")
    quit_app(demo)
    wait_until(lambda: not processes_mentioning(str(database)), "the demo sandbox process to end")
    assert len(archived()) == 1  # once, and still so after the sandbox stopped

    demo = start_demo(sessions, demo_env, tmp_path, (80, 24), "--backend", "pipedrive", loaded="My leads · ")
    screen = demo.session.wait_until(lambda s: "updated" in s.splitlines()[0], "the refreshed inbox")
    assert lead_count(screen) == before - 1
    quit_app(demo)


def test_every_pipedrive_screen_opens_by_its_number_at_80x24(demo_env: dict[str, str], tmp_path: Path, sessions) -> None:
    """1 leads, 2 teams, 3 goals, 4 files, 5 pending changes, 6 search, 7 saved filters; 8 is nothing; Enter
    on a lead opens its details and Esc comes back; q quits with status 0."""
    demo = start_demo(sessions, demo_env, tmp_path, (80, 24), "--backend", "pipedrive", loaded="My leads · ")
    app = demo.session
    app.wait_until(lambda s: "updated" in s.splitlines()[0], "the inbox loaded")
    expected = {
        "2": "Teams", "3": "goals", "4": "Files", "5": "Pending changes", "6": "Search", "7": "Filters", "1": "My leads",
    }
    for key, title in expected.items():
        app.send(key)
        app.wait_until(lambda s, title=title: title in s.splitlines()[0], f"screen {key} ({title})")
        if key == "6":  # the query box has the keys: Esc gives them back
            app.send("Escape")
            app.wait_until(lambda s: "Out of the query box" in s, "the search screen, out of its box")
    app.send("Enter")
    app.wait_until(lambda s: "Lead · " in s.splitlines()[0] and "Who can see it" in s, "the lead's details")
    app.send("Escape")
    app.wait_until(lambda s: "My leads" in s.splitlines()[0], "back on the inbox")
    quit_app(demo)

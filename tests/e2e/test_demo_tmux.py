"""End to end: the installed `crmtui --demo` in a real terminal (tmux), driven by key presses.

Everything the program writes goes to a tmp_path (CRMTUI_DATA_DIR, CRMTUI_CONFIG_DIR,
CRMTUI_CACHE_DIR); the demo data is seeded (CRMTUI_DEMO_SEED=42) on a fixed day
(CRMTUI_DEMO_TODAY=2026-03-10, which the app's clock follows too).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from .conftest import DEMO_TODAY, LOADED, processes_mentioning, quit_app, start_demo, wait_until
from .tmux import TmuxSession, tmux_available

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not tmux_available(), reason="tmux is not installed (the e2e tests drive crmtui in tmux)"),
]

ACTION = "E2E call back"
"""Short enough to fit the action column at 80 columns."""


def line_with(screen: str, text: str) -> str:
    lines = [line for line in screen.splitlines() if text in line]
    assert len(lines) == 1, f"expected one line with {text!r}, got {lines}; screen:\n{screen}"
    return lines[0]


def list_row(screen: str, text: str) -> str:
    """The one contact row of the stream list (rows start with the flag ▌) that contains `text`."""
    rows = [line for line in screen.splitlines() if line.startswith("▌") and text in line]
    assert len(rows) == 1, f"expected one list row with {text!r}, got {rows}; screen:\n{screen}"
    return rows[0]


def find_with_filter(session: TmuxSession, text: str) -> str:
    """`/` and type `text`: the list narrows to the matching contacts. Returns the screen."""
    session.send("/")
    session.wait_for("Filter: type to narrow")  # the filter box's placeholder
    session.type(text)
    # The list has narrowed once a row holds the text (the box alone shows it as it is typed; and
    # "Today · 12" of the whole stream must not pass for "Today · 1").
    return session.wait_until(
        lambda screen: any(line.strip() == "Today · 1" for line in screen.splitlines())
        and any(line.startswith("▌") and text in line for line in screen.splitlines()),
        f"the list narrowed to {text!r}",
    )


def close_filter(session: TmuxSession) -> None:
    """Esc clears the filter and gives the keys back to the list (its footer shows the triage keys)."""
    session.send("Escape")
    session.wait_for("d Done")


def test_done_and_next_action_persist_across_restarts(demo_env: dict[str, str], tmp_path: Path, sessions) -> None:
    database = Path(demo_env["CRMTUI_DATA_DIR"]) / "demo.sqlite3"
    demo = start_demo(sessions, demo_env, tmp_path, (80, 24))
    app = demo.session
    assert ACTION not in app.screen()

    # d on the first contact: marked done, then the modal asks for the next action.
    app.send("d")
    modal = app.wait_for("Next action for ")
    title = line_with(modal, "Next action for ")
    name = title.split("Next action for ", 1)[1].strip(" │")
    assert name, title
    assert "Date 10/03/2026" in modal  # the app's clock follows CRMTUI_DEMO_TODAY, as the sandbox's does
    app.type(ACTION)
    app.send("Enter")
    app.wait_until_gone("Next action for ")

    # The contact left ASAP for Today; the filter finds its row, now with the new action due today.
    screen = find_with_filter(app, ACTION)
    row = list_row(screen, ACTION)
    assert name[:10] in row and "Today" in row, row
    close_filter(app)

    assert processes_mentioning(str(database)), "the demo sandbox should be running on the tmp data"
    quit_app(demo)
    wait_until(lambda: not processes_mentioning(str(database)), "the demo sandbox process to end")

    # The sandbox wrote the change to its SQLite file: exactly one open action with that text, due today.
    with sqlite3.connect(database) as db:
        docs = [json.loads(doc) for (doc,) in db.execute("SELECT doc FROM actions")]
        contacts = {c["id"]: c for c in (json.loads(doc) for (doc,) in db.execute("SELECT doc FROM contacts"))}
    db.close()
    saved = [a for a in docs if a["text"] == ACTION]
    assert len(saved) == 1, saved
    assert saved[0]["date"] == DEMO_TODAY and not saved[0]["done"], saved[0]
    contact = contacts[saved[0]["contact_id"]]
    assert f"{contact['first_name']} {contact['last_name']}" == name

    # Started again on the same data, the demo still shows the new action.
    demo = start_demo(sessions, demo_env, tmp_path, (80, 24))
    row = list_row(find_with_filter(demo.session, ACTION), ACTION)
    assert name[:10] in row and "Today" in row, row
    close_filter(demo.session)
    quit_app(demo)
    wait_until(lambda: not processes_mentioning(str(database)), "the demo sandbox process to end")


def test_done_and_the_next_action_typed_in_one_burst(demo_env: dict[str, str], tmp_path: Path, sessions) -> None:
    """d, the next action's text and Enter in one send-keys (a fast typist; an SSH link delivers what
    arrives together): the text lands in the dialog d opens, and Enter saves it."""
    demo = start_demo(sessions, demo_env, tmp_path, (80, 24))
    app = demo.session
    typed = "E2E burst call"
    app.send("d", typed, "Enter")
    app.wait_until_gone("Next action for ")  # without the words, Enter would have asked for them
    row = list_row(find_with_filter(app, typed), typed)
    assert "Today" in row, row
    close_filter(app)
    quit_app(demo)


def test_esc_and_the_key_after_it_typed_in_one_burst(demo_env: dict[str, str], tmp_path: Path, sessions) -> None:
    """Esc and the next key in one send-keys (keys typed a moment apart arrive in one read over SSH):
    both act. Textual read Esc 3 as "£" and Esc / as a bare "/" (crmtui.ui.escape_keys)."""
    demo = start_demo(sessions, demo_env, tmp_path, (80, 24))
    app = demo.session
    app.send("Enter")
    app.wait_for("Contact · ")
    app.send("Escape", "3")  # back from the contact, then the Pipeline
    app.wait_for("Pipeline · ")
    app.send("1")
    app.wait_for(LOADED)
    app.send("Enter")
    app.wait_for("Contact · ")
    app.send("Escape", "/")  # back, then the stream's filter
    app.wait_for("Filter: type to narrow")
    close_filter(app)
    quit_app(demo)


def test_wide_terminal_shows_preview_and_help(demo_env: dict[str, str], tmp_path: Path, sessions) -> None:
    demo = start_demo(sessions, demo_env, tmp_path, (160, 45))
    app = demo.session
    screen = app.wait_for("Pending deals")  # the preview pane beside the list
    assert "Next action" in screen
    header = screen.splitlines()[0]
    assert "Action stream · " in header and "✉" in header, header

    app.send("?")
    help_screen = app.wait_for("Everywhere", "Esc clears, then closes")  # help's second section, and its hint
    assert "Keys" in help_screen and "Action stream" in help_screen
    titles = [t for line in help_screen.splitlines() for t in ("Action stream", "Everywhere") if f"│ {t}  " in line]
    assert titles[:2] == ["Action stream", "Everywhere"], help_screen  # this screen's keys first
    app.send("Escape")
    after = app.wait_until_gone("Esc clears, then closes")
    assert "Pending deals" in after and LOADED in after

    quit_app(demo)

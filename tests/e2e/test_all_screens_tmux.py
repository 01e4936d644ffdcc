"""End to end: walk every screen of the installed `crmtui --demo` with real key presses in tmux,
change something on each, then check what the sandbox wrote to its SQLite file.

1 action stream: star/unstar the first contact; Enter opens it, N adds a note, Esc comes back;
2 team stream: pick Tom Byrne, assign his first action to yourself;
3 pipeline: move the first deal of the first column one stage on (L);
4 notifications: mark all read (M), the header's unread count drops to 0.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from .conftest import processes_mentioning, quit_app, start_demo, wait_until
from .tmux import tmux_available

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not tmux_available(), reason="tmux is not installed (the e2e tests drive crmtui in tmux)"),
]

NOTE = "E2E walked here"


def rows(database: Path, table: str) -> list[dict]:
    with sqlite3.connect(database) as db:
        found = [json.loads(doc) for (doc,) in db.execute(f"SELECT doc FROM {table}")]  # fixed table names
    db.close()
    return found


def first_list_row(screen: str) -> str:
    return next(line for line in screen.splitlines() if line.startswith("▌"))


def test_walk_every_screen_and_change_something_on_each(demo_env: dict[str, str], tmp_path: Path, sessions) -> None:
    database = Path(demo_env["CRMTUI_DATA_DIR"]) / "demo.sqlite3"
    demo = start_demo(sessions, demo_env, tmp_path, (80, 24))
    app = demo.session

    # 1 -- the action stream: * toggles the first contact's star, shown at once.
    screen = app.wait_for("Action stream · ")
    first = first_list_row(screen)
    name = first.split(maxsplit=2)[2][:12].strip()  # "▌ ★ Noah Jensen  River…" -> the name column
    was_starred = "★" in first.split()[1]
    app.send("*")
    wait_until(lambda: ("★" in first_list_row(app.screen()).split()[1]) != was_starred, "the star to flip")
    app.wait_until_gone("saving…")

    # ... Enter opens the contact; N adds a note; Esc comes back to the stream.
    app.send("Enter")
    detail = app.wait_for("Contact · ")
    assert name in detail, detail
    app.send("N")
    app.wait_for("Note on ")
    app.type(NOTE)
    app.send("C-s")  # the note is a text area: Enter starts a new line, ctrl+s saves
    app.wait_for("Note saved")
    app.send("Escape")
    back = app.wait_for("Action stream · ")
    assert name in first_list_row(back)

    # 2 -- the team stream: Tom Byrne's stream, his first action assigned to me.
    app.send("2")
    app.wait_for("Team · Everyone")
    app.send("Tab")  # 80 columns: the list first, Tab shows the picker
    app.wait_for("Tom Byrne")
    for _ in range(3):  # Everyone, Alex, Priya, Tom
        app.send("j")
    app.send("Enter")
    app.wait_for("Team · Tom Byrne")
    app.send("a")
    picker = app.wait_for("Assign “")
    action = picker.split("Assign “", 1)[1].split("”", 1)[0]
    app.wait_for("Alex Morgan")
    app.send("Enter")  # the first choice: Alex Morgan, me
    app.wait_for("Assigned to Alex Morgan")

    # 3 -- the pipeline: the first deal of the first column moves one stage on.
    app.send("3")
    app.wait_for("Pipeline · Sales")
    board = app.wait_for("Lead in 10%")
    deal_name = board.splitlines()[4].split("▌", 2)[1].strip()  # first card's title, first column
    assert deal_name, board
    app.send("L")
    app.wait_for("Qualified 25%")
    wait_until(lambda: "saving…" not in app.screen(), "the move to be saved")

    # 4 -- notifications: all marked read; the header's count follows.
    app.send("4")
    app.wait_for("Notifications · 6 unread of 15")
    app.send("M")
    app.wait_for("0 unread of 15")
    assert "✉ 0" in app.screen().splitlines()[0]

    app.send("1")
    app.wait_for("Action stream · ")
    quit_app(demo)
    wait_until(lambda: not processes_mentioning(str(database)), "the demo sandbox process to end")

    # Everything reached the sandbox's SQLite file.
    me = next(u for u in rows(database, "users") if u.get("_order") == 0)["id"]
    contacts = {f"{c.get('first_name', '')} {c.get('last_name', '')}": c for c in rows(database, "contacts")}
    starred = next(c for full, c in contacts.items() if full.startswith(name))
    assert bool(starred.get("starred")) is not was_starred
    notes = [n for n in rows(database, "notes") if n["text"] == NOTE]
    assert len(notes) == 1 and notes[0]["contact_id"] == starred["id"]
    assigned = [a for a in rows(database, "actions") if a["text"] == action and not a.get("done")]
    assert any(a["assignee_id"] == me for a in assigned), assigned
    moved = [d for d in rows(database, "deals") if d["name"].startswith(deal_name.rstrip("…"))]
    assert any(d["stage"] == 25 for d in moved), moved
    assert not [n for n in rows(database, "notifications") if n["user_id"] == me and not n["read"]]

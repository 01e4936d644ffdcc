"""End to end: a salesperson adds the lead who just called, with its next action, in `crmtui --demo`
(tmux, 80x24), finds it with the finder (f) and fixes its phone number (E on its page); the demo
server has the contact exactly once, with the new number."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from .conftest import processes_mentioning, quit_app, start_demo, wait_until
from .test_demo_tmux import close_filter, list_row
from .tmux import tmux_available

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not tmux_available(), reason="tmux is not installed (the e2e tests drive crmtui in tmux)"),
]

ACTION = "Send rate card"


def test_a_new_contact_with_its_next_action_lands_once(demo_env: dict[str, str], tmp_path: Path, sessions) -> None:
    database = Path(demo_env["CRMTUI_DATA_DIR"]) / "demo.sqlite3"
    demo = start_demo(sessions, demo_env, tmp_path, (80, 24))
    app = demo.session
    app.send("C")
    app.wait_for("New contact", "First name")
    # Field by field: keys that follow a Tab go to the field focused when they arrive, so each Tab
    # is waited for (the terminal's cursor leaves the line: Textual keeps it in the focused field).
    for label, value, tabs in (
        ("First name", "Zoe", 0), ("Last name", "Quinlan", 1), ("Company", "Quinlan Freight", 1),
        ("Phones", "mobile: +353 87 555 0101", 2), ("Action", ACTION, 2),  # past job title; emails
    ):
        for _ in range(tabs):
            before = app.cursor()[1]
            app.send("Tab")
            wait_until(lambda before=before: app.cursor()[1] != before, "Tab to move to the next field")
        wait_until(lambda label=label: on_line(app, label), f"the cursor in {label}")
        app.type(value)
        app.wait_until(lambda screen, label=label, value=value: any(
            label in line and value in line for line in screen.splitlines()), f"{value!r} in {label}")
    app.send("Enter")
    app.wait_until_gone("First name")

    app.send("/")
    app.wait_for("Filter: type to narrow")
    app.type(ACTION)
    screen = app.wait_until(
        lambda screen: any(line.strip() == "ASAP · 1" for line in screen.splitlines())
        and any(line.startswith("▌") and ACTION in line for line in screen.splitlines()),
        f"the list narrowed to {ACTION!r}",
    )
    row = list_row(screen, ACTION)
    assert "Quinlan" in row and "ASAP" in row, row
    close_filter(app)

    # Find it with f, open it, and fix its phone number with E.
    app.send("f")
    app.wait_for("Find anyone")
    app.type("Quinlan")
    app.wait_until(lambda screen: any("Zoe Quinlan" in line and "Find anyone" not in line for line in screen.splitlines()),
                   "the finder's match")
    app.send("Enter")
    app.wait_for("Contact · Zoe Quinlan")
    app.send("E")
    app.wait_for("Edit Zoe Quinlan")
    wait_until(lambda: on_line(app, "First name"), "the cursor in First name")
    for _ in range(4):  # first name, last name, company, job title: the phones are next
        before = app.cursor()[1]
        app.send("Tab")
        wait_until(lambda before=before: app.cursor()[1] != before, "Tab to move to the next field")
    try:
        wait_until(lambda: on_line(app, "Phones"), "the cursor in Phones")
    except AssertionError:
        raise AssertionError(f"cursor at {app.cursor()}:\n{app.screen()}") from None
    app.send("C-a", "C-k")
    app.wait_until(lambda screen: any("Phones" in line and "0101" in line and "work: …" in line for line in screen.splitlines()),
                   "Phones emptied (its placeholder shows)")
    app.type("mobile: +353 87 555 0199")
    app.wait_until(lambda screen: any("Phones" in line and "mobile: +353 87 555 0199" in line for line in screen.splitlines()),
                   "the new phone, whole, in Phones")
    app.send("Enter")
    app.wait_until_gone("Edit Zoe Quinlan")
    app.wait_for("+353 87 555 0199")  # the contact screen shows it at once
    app.wait_until(lambda screen: "Contact · Zoe Quinlan" in screen and "Edit Zoe" not in screen, "the contact page alone")
    app.send("Escape")
    app.wait_until_gone("Contact · Zoe Quinlan")
    quit_app(demo)
    wait_until(lambda: not processes_mentioning(str(database)), "the demo sandbox process to end")

    with sqlite3.connect(database) as db:
        contacts = [json.loads(doc) for (doc,) in db.execute("SELECT doc FROM contacts")]
        actions = [json.loads(doc) for (doc,) in db.execute("SELECT doc FROM actions")]
    db.close()
    made = [c for c in contacts if c.get("last_name") == "Quinlan"]
    assert len(made) == 1 and made[0]["first_name"] == "Zoe", made
    assert made[0]["phones"] == [{"type": "mobile", "value": "+353 87 555 0199"}]  # as edited
    assert [a["text"] for a in actions if a["contact_id"] == made[0]["id"]] == [ACTION]



def on_line(app, label: str) -> bool:
    """The cursor is on the form's line for `label` (the label starts its row, after the frame)."""
    _x, y = app.cursor()
    lines = app.screen().splitlines()
    if y >= len(lines) or "│" not in lines[y]:
        return False
    return lines[y].split("│", 1)[1].lstrip().startswith(label)  # what is left of the form's frame is the screen under it

"""End to end: `crmtui --demo --backend crust` in a real terminal (tmux), driven by key presses.

The records of the first module load from the Crust sandbox child; `e` on the record under the cursor
opens its form, a field is changed and saved; the sandbox's data file has the change once crmtui has
quit, with every other field kept; started again, `/` finds the record as changed.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from .conftest import processes_mentioning, quit_app, start_demo, wait_until
from .test_new_contact_tmux import on_line
from .tmux import tmux_available

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not tmux_available(), reason="tmux is not installed (the e2e tests drive crmtui in tmux)"),
]

LOADED = "Account · 40 records"


def test_edit_a_record_and_it_stays_changed_across_restarts(demo_env: dict[str, str], tmp_path: Path, sessions) -> None:
    database = Path(demo_env["CRMTUI_DATA_DIR"]) / "demo-crust.sqlite3"
    demo = start_demo(sessions, demo_env, tmp_path, (80, 24), "--backend", "crust", loaded=LOADED)
    app = demo.session
    screen = app.wait_until(lambda s: "updated" in s.splitlines()[0], "the records loaded")
    assert "e Edit" in screen.splitlines()[-1]
    name = screen.splitlines()[2].split("  ")[0].strip()  # the first record's name (the line under the titles)

    app.send("e")
    app.wait_until(lambda s: "Edit Account" in s, "the record's form")
    wait_until(lambda: on_line(app, "Account name"), "the cursor in Account name")
    app.send("C-a", "C-k")  # the field emptied, then the new name typed
    app.wait_until(lambda s: any("Account name" in line and "needed" in line for line in s.splitlines()), "the name emptied")
    app.type(f"{name} Holdings")
    app.wait_until(lambda s: f"{name} Holdings" in s, "the new name typed")
    app.send("C-s")
    app.wait_until(lambda s: "saved" in s and "Edit Account" not in s, "the edit saved")

    def changed() -> list[dict]:
        with sqlite3.connect(database) as db:
            rows = [json.loads(doc) for (doc,) in db.execute("SELECT doc FROM contents")]
        db.close()
        return [row for row in rows if row["columns"].get("name") == f"{name} Holdings"]

    try:
        wait_until(lambda: len(changed()) == 1, f"the sandbox's data file to have {name!r} renamed")
    except AssertionError as exc:
        with sqlite3.connect(database) as db:
            names = [json.loads(doc)["columns"].get("name") for (doc,) in db.execute("SELECT doc FROM contents")]
        db.close()
        raise AssertionError(f"{exc}; names: {[n for n in names if n and name[:4] in n]}; screen:\n{app.screen()}") from None
    quit_app(demo)
    wait_until(lambda: not processes_mentioning(str(database)), "the demo sandbox process to end")
    [row] = changed()
    assert {c["name"] for c in row["json"]} >= {"name", "industry", "country"}  # the whole record was sent

    demo = start_demo(sessions, demo_env, tmp_path, (80, 24), "--backend", "crust", loaded=LOADED)
    app = demo.session
    app.wait_until(lambda s: "updated" in s.splitlines()[0], "the records loaded")
    # An edit on Crust resets the record's createdAt (the server REPLACEs the row): it is no longer
    # among the newest; / finds it.
    app.send("/")
    app.send("Holdings")
    app.wait_until(lambda s: "“Holdings” 1 of 40" in s.splitlines()[0] and name[:10] in s, "the record as changed")
    app.send("Escape")
    app.wait_until(lambda s: "Account · 40 records" in s.splitlines()[0], "the narrowing cleared")
    quit_app(demo)

"""End to end: `crmtui --demo --backend crust` in tmux at 160x45 and 80x24, driven by key presses.

A record is opened, edited through its form and saved: the list shows it changed at once, the
sandbox's data file has it changed with every other field as it was, and started again the list
still shows it. The Charts screen (3) draws the module's bar chart with each group's count and share,
the counts those of the sandbox's records. q quits with status 0.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
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
BAR = re.compile(r"^(\S[\w ]*?)\s+[█▏▎▍▌▋▊▉]+\s+(\d+)\s+(\d+\.\d)%$")
"""A bar of the chart: its group, the bar, the count and the share."""


def accounts(database: Path) -> list[dict]:
    with sqlite3.connect(database) as db:
        modules = {json.loads(doc)["name"]: json.loads(doc)["id"] for (doc,) in db.execute("SELECT doc FROM modules")}
        rows = [json.loads(doc) for (doc,) in db.execute("SELECT doc FROM contents")]
    db.close()
    return [r for r in rows if r["moduleID"] == modules["Account"] and not r.get("deletedAt")]


def bars(screen: str) -> dict[str, tuple[int, str]]:
    found = {}
    for line in screen.splitlines():
        match = BAR.match(line.rstrip())
        if match:
            found[match.group(1).strip()] = (int(match.group(2)), match.group(3))
    return found


def expect_industry_chart(app, database: Path) -> None:
    """The Charts screen shows the Account records counted by industry, each bar with its count and share."""
    counts = Counter(r["columns"].get("industry", "") for r in accounts(database))
    total = sum(counts.values())
    want = {industry: (n, f"{100 * n / total:.1f}") for industry, n in counts.items() if industry}
    app.wait_until(lambda s: "Charts · Account" in s.splitlines()[0] and f"count by industry, bar · {len(want)} groups" in s, "the chart")
    screen = app.wait_until(lambda s: len(bars(s)) == len(want), f"{len(want)} bars")
    assert bars(screen) == want, screen


def test_edit_a_record_through_its_form_then_its_chart_at_160x45(demo_env: dict[str, str], tmp_path: Path, sessions) -> None:
    database = Path(demo_env["CRMTUI_DATA_DIR"]) / "demo-crust.sqlite3"
    demo = start_demo(sessions, demo_env, tmp_path, (160, 45), "--backend", "crust", loaded=LOADED)
    app = demo.session
    screen = app.wait_until(lambda s: "updated" in s.splitlines()[0], "the records loaded")
    name = screen.splitlines()[2].split("  ")[0].strip()  # the first record (the line under the titles)
    [before] = [r for r in accounts(database) if r["columns"].get("name") == name]

    app.send("Enter")
    app.wait_until(lambda s: f"Account · {name}" in s.splitlines()[0] and "Account name:" in s and "Owner" in s, "the record")
    app.send("Escape")
    app.wait_until(lambda s: LOADED in s.splitlines()[0], "back on the list")
    app.send("e")
    app.wait_until(lambda s: "Edit Account" in s, "the record's form")
    wait_until(lambda: on_line(app, "Account name"), "the cursor in Account name")
    app.send("C-a", "C-k")
    app.wait_until(lambda s: any("Account name" in line and "needed" in line for line in s.splitlines()), "the name emptied")
    app.type(f"{name} Holdings")
    app.wait_until(lambda s: f"{name} Holdings" in s, "the new name typed")
    app.send("C-s")
    app.wait_until(lambda s: "saved" in s and "Edit Account" not in s, "the edit saved")
    app.wait_until(lambda s: any(line.startswith(f"{name} Holdings ") for line in s.splitlines()), "the list showing it")

    def changed() -> list[dict]:
        return [r for r in accounts(database) if r["columns"].get("name") == f"{name} Holdings"]

    wait_until(lambda: len(changed()) == 1, f"the sandbox's data file to have {name!r} renamed")
    [after] = changed()
    assert after["id"] == before["id"] and after["columns"] == {**before["columns"], "name": f"{name} Holdings"}
    assert {c["name"] for c in after["json"]} == {c["name"] for c in before["json"]}  # the whole record sent

    app.send("3")
    expect_industry_chart(app, database)
    quit_app(demo)
    wait_until(lambda: not processes_mentioning(str(database)), "the demo sandbox process to end")

    demo = start_demo(sessions, demo_env, tmp_path, (160, 45), "--backend", "crust", loaded=LOADED)
    app = demo.session
    # Every record fits at this size; an edit on Crust resets createdAt, so it is listed last.
    app.wait_until(
        lambda s: "updated" in s.splitlines()[0] and any(line.startswith(f"{name} Holdings ") for line in s.splitlines()),
        "the record as changed after a restart",
    )
    quit_app(demo)


def test_the_charts_screen_draws_bars_with_values_at_80x24(demo_env: dict[str, str], tmp_path: Path, sessions) -> None:
    database = Path(demo_env["CRMTUI_DATA_DIR"]) / "demo-crust.sqlite3"
    demo = start_demo(sessions, demo_env, tmp_path, (80, 24), "--backend", "crust", loaded=LOADED)
    app = demo.session
    app.wait_until(lambda s: "updated" in s.splitlines()[0], "the records loaded")
    app.send("3")
    expect_industry_chart(app, database)
    screen = app.screen()
    assert all(len(line) <= 80 for line in screen.splitlines()) and "K Kind" in screen.splitlines()[-1]
    quit_app(demo)

"""End to end, offline: the installed `crmtui --demo` paints from its cache with no network, keeps a
change made offline in its outbox across a quit, and sends it on the next online start.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from .conftest import LOADED, processes_mentioning, quit_app, start_demo, wait_until
from .tmux import tmux_available

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not tmux_available(), reason="tmux is not installed (the e2e tests drive crmtui in tmux)"),
]


def starred(database: Path) -> dict[str, tuple[str, bool]]:
    """Every contact of the demo sandbox's file: id -> (name, starred)."""
    with sqlite3.connect(database) as db:
        contacts = [json.loads(doc) for (doc,) in db.execute("SELECT doc FROM contacts")]
    db.close()
    return {c["id"]: (f"{c['first_name']} {c['last_name']}", bool(c.get("starred"))) for c in contacts}


def first_row(screen: str) -> str:
    return next(line for line in screen.splitlines() if line.startswith("▌"))


def test_offline_start_and_a_change_kept_until_the_next_online_start(demo_env: dict[str, str], tmp_path: Path, sessions) -> None:
    database = Path(demo_env["CRMTUI_DATA_DIR"]) / "demo.sqlite3"
    demo = start_demo(sessions, demo_env, tmp_path, (80, 24))  # online: fills the cache
    demo.session.wait_for("updated ")  # the whole stream is in (the first rows show before it is)
    quit_app(demo)
    wait_until(lambda: not processes_mentioning(str(database)), "the demo sandbox process to end")
    before = starred(database)

    demo = start_demo(sessions, demo_env, tmp_path, (80, 24), "--offline")
    app = demo.session
    screen = app.wait_for("offline mode")
    assert LOADED in screen  # the stream, from the cache
    row = first_row(screen)
    was_starred = row.startswith("▌ ★")
    name = row[4:17].strip(" …")
    app.send("*")
    made = "▌ ☆" if was_starred else "▌ ★"
    # Shown as made, and kept: both in one capture (on a busy machine one can catch a frame half drawn).
    app.wait_until(lambda s: "1 unsent" in s and first_row(s).startswith(made), "the star shown as made, and kept")
    quit_app(demo)
    wait_until(lambda: not processes_mentioning(str(database)), "the demo sandbox process to end")
    assert starred(database) == before  # nothing was sent

    demo = start_demo(sessions, demo_env, tmp_path, (80, 24))  # online again: the outbox is sent

    def sent() -> bool:
        now = starred(database)
        return any(n.startswith(name) and s != was_starred for n, s in now.values())

    wait_until(sent, "the change made offline to reach the sandbox")
    header = lambda: demo.session.screen().splitlines()[0]  # noqa: E731
    wait_until(lambda: "saving" not in header() and "unsent" not in header(), "the header to say all is sent")
    quit_app(demo)
    outbox = Path(demo_env["CRMTUI_DATA_DIR"]) / "demo" / "outbox.sqlite3"
    with sqlite3.connect(outbox) as db:
        changes = db.execute("SELECT kind, state FROM changes").fetchall()
    db.close()
    assert changes == [("toggle_star", "done")], changes
    changed = [cid for cid, (n, s) in starred(database).items() if s != before[cid][1]]
    assert len(changed) == 1 and starred(database)[changed[0]][0].startswith(name)  # exactly that one

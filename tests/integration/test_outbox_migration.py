"""An outbox written by the previous crmtui (schema 2, keyed by contact id) opened by this one.

The file is `fixtures/outbox_v2/outbox.sql`, written by that version's own OutboxStore (see
`make.py` there) against the sandbox these tests start. Opening it moves it to schema 3 (changes
keyed by subject) in one transaction: every row is still there with all it held, a kill in the
middle leaves the old file as it was, and each unsent change then reaches the server exactly once.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import httpx

from crmtui.backends.http import RetryPolicy
from crmtui.backends.onepagecrm.adapter import OnePageCRMBackend
from crmtui.backends.onepagecrm.client import OnePageCRMClient
from crmtui.service.outbox import NOT_THIS_VERSION, Outbox
from crmtui.service.outbox_review import find_set_aside
from crmtui.store import OutboxStore, State
from crmtui.store.outbox import MIGRATIONS
from crmtui.store.outbox_files import mark_path

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "outbox_v2"
OWNER = "fixture-account"
ROOT = Path(__file__).resolve().parents[2]
FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, budget=1.0)


def write_v2(path: Path, *, with_mark: bool = True) -> None:
    """The fixture as a file, and the mark its crmtui kept beside it."""
    conn = sqlite3.connect(path)
    conn.executescript((FIXTURE / "outbox.sql").read_text(encoding="utf-8"))
    conn.close()
    if with_mark:
        mark_path(path).write_text((FIXTURE / "outbox.seen.json").read_text(encoding="utf-8"), encoding="utf-8")


def rows(path: Path) -> tuple[int, list[dict], dict, dict, int]:
    """(user_version, changes by column name, local ids, meta, the last number handed out), read raw."""
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        changes = [dict(r) for r in conn.execute("SELECT * FROM changes ORDER BY id")]
        local_ids = dict(conn.execute("SELECT local_id, server_id FROM local_ids").fetchall())
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        seq = conn.execute("SELECT seq FROM sqlite_sequence WHERE name='changes'").fetchone()[0]
    finally:
        conn.close()
    return version, changes, local_ids, meta, seq


def as_v3(row: dict) -> dict:
    """A schema-2 row as the migration must leave it."""
    migrated = {k: v for k, v in row.items() if k != "contact_id"}
    migrated["subject"] = f"contact:{row['contact_id']}" if row["contact_id"] else ""
    return migrated


def test_opening_a_schema_2_outbox_keys_its_changes_by_subject_and_keeps_everything(tmp_path) -> None:
    path = tmp_path / "outbox.sqlite3"
    write_v2(path)
    version, before, local_ids, meta, seq = rows(path)
    assert version == 2 and "contact_id" in before[0] and len(before) == 9

    store = OutboxStore(path, owner=OWNER).open()
    assert store.db.migrated_from == 2 and store.notice is None and store.lost is None
    changes = {c.id: c for c in store.changes(list(State))}
    assert [c.problem for c in changes.values()] == [""] * 9
    assert changes[1].subject.startswith("contact:") and changes[1].contact_id == before[0]["contact_id"]
    assert changes[8].subject == "" and changes[8].contact_id == ""  # marking a notification read: no contact
    assert store.local_ids() == local_ids and store.claimed("add_action") == {local_ids["local-0123456789abcdef"]}
    store.close()

    version, after, local_ids_after, meta_after, seq_after = rows(path)
    assert version == len(MIGRATIONS) == 3
    assert after == [as_v3(row) for row in before]  # every column of every row, only the key rewritten
    assert (local_ids_after, meta_after, seq_after) == (local_ids, meta, seq)


def test_a_kill_during_the_migration_leaves_the_schema_2_file_and_the_next_start_migrates_it(tmp_path) -> None:
    path = tmp_path / "outbox.sqlite3"
    write_v2(path)
    _, before, *_ = rows(path)
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        import crmtui.store.outbox as outbox

        def killed(conn):
            outbox._v3_subjects(conn)  # the rows are rewritten, the transaction not committed
            os.kill(os.getpid(), signal.SIGKILL)

        outbox.MIGRATIONS[-1] = killed
        outbox.OutboxStore(Path({str(path)!r}), owner={OWNER!r}).open()
        """
    )
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()
    assert Path(f"{path}-journal").exists()  # what the kill left to roll back

    store = OutboxStore(path, owner=OWNER).open()
    assert store.db.migrated_from == 2 and store.notice is None and store.lost is None
    store.close()
    version, after, *_ = rows(path)
    assert version == 3 and after == [as_v3(row) for row in before]


def counting(calls: Counter[str]):
    async def on_request(request: httpx.Request) -> None:
        calls[f"{request.method} {request.url.path.split('/api/v3/', 1)[-1]}"] += 1

    return {"request": [on_request]}


async def test_each_unsent_change_of_a_schema_2_outbox_reaches_the_server_exactly_once(sandbox, tmp_path) -> None:
    path = tmp_path / "outbox.sqlite3"
    write_v2(path)
    _, before, local_ids, *_ = rows(path)
    commands = {row["id"]: json.loads(row["command"]) for row in before}
    tables = sandbox.state.tables
    note_contact, star = commands[1]["contact_id"], commands[2]
    done_action = commands[3]["action"]["id"]
    renamed = local_ids[commands[5]["action_id"]]
    notification = commands[8]["notification_id"]
    assert {note_contact, star["contact_id"]} <= set(tables["contacts"])  # the fixture names this sandbox's records
    assert {done_action, renamed} <= set(tables["actions"]) and notification in tables["notifications"]
    assert not tables["actions"][done_action]["done"] and not tables["notifications"][notification]["read"]

    calls: Counter[str] = Counter()
    client = OnePageCRMClient(sandbox.user_id, sandbox.api_key, base_url=sandbox.base_url, retry=FAST, event_hooks=counting(calls))
    await client.mark_action_done(done_action)  # the attempt whose answer was lost did reach the server
    calls.clear()

    outbox = Outbox(OnePageCRMBackend(client), OutboxStore(path, owner=OWNER), base_delay=0.01, max_delay=0.2, rng=random.Random(7))
    await outbox.open()
    assert outbox.pending == 5 and outbox.failed == 1 and outbox.conflicts == 1 and outbox.unreadable == 1
    assert outbox.busy(f"contact:{note_contact}") and outbox.busy(f"contact:{star['contact_id']}")
    [unknown] = [change for change, command in outbox.review() if command is None]
    assert unknown.kind == "merge_contacts" and unknown.problem == NOT_THIS_VERSION
    outbox.start()
    assert await outbox.drain(20)
    await outbox.stop()

    assert outbox.sent_count == 5 and outbox.reconciled == 1 and outbox.retried == 0
    writes = {call: n for call, n in calls.items() if not call.startswith("GET ")}
    assert writes == {
        "POST notes": 1,
        f"PUT contacts/{star['contact_id']}/{'star' if star['starred'] else 'unstar'}": 1,
        f"PUT actions/{renamed}": 1,
        f"POST notifications/{notification}/mark_as_read": 1,
    }  # and none for the change the server already had, the refused one, the conflict or the unknown kind
    assert Counter(n["text"] for n in tables["notes"].values())["Written by schema 2"] == 1
    assert tables["contacts"][star["contact_id"]].get("starred", False) is star["starred"]
    assert tables["actions"][done_action]["done"] and tables["actions"][renamed]["text"] == "Renamed by schema 2"
    assert tables["notifications"][notification]["read"]

    store = outbox.store
    assert store.counts()[State.DONE] == 6
    assert [(c.id, c.state) for c in store.changes()] == [(6, State.FAILED), (7, State.CONFLICT), (9, State.QUEUED)]  # the unknown kind: kept, never sent
    outbox.close()
    await client.aclose()


def test_a_set_aside_schema_2_file_is_read_by_subject_and_taken_in(tmp_path) -> None:
    path = tmp_path / "outbox.sqlite3"
    kept = path.with_name(f"{path.name}.damaged-20260310-090000")
    write_v2(kept, with_mark=False)
    _, before, local_ids, *_ = rows(kept)
    store = OutboxStore(path, owner=OWNER).open()
    [found] = find_set_aside(store)
    assert not found.foreign and found.local_ids == local_ids
    unsent = [row for row in before if row["state"] != "done"]
    assert [(c.id, c.subject) for c in found.changes] == [(r["id"], as_v3(r)["subject"]) for r in unsent]
    ids = store.adopt(found)
    taken = [store.get(i) for i in ids]
    assert [c.subject for c in taken] == [c.subject for c in found.changes]
    assert [c.command for c in taken] == [json.loads(r["command"]) for r in unsent]
    store.close()

"""SIGKILL at any moment loses nothing shown as made, and the next start sends it exactly once.

A separate process queues notes (each printed once durable) while its sender sends them; the
sandbox holds each answer back until the test lets it go, and the test kills the process (SIGKILL)
while a note is on its way - the server has applied it, the answer has not arrived - then starts a
new process on the same outbox file.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

from tests.support.waits import HANG_GUARD, wait_until

ROOT = Path(__file__).resolve().parents[2]


def worker(sandbox, outbox: Path, *args: str, stdin: int | None = None) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "CRMTUI_TEST_BASE_URL": sandbox.base_url,
        "CRMTUI_TEST_USER": sandbox.user_id,
        "CRMTUI_TEST_KEY": sandbox.api_key,
        "CRMTUI_TEST_OUTBOX": str(outbox),
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), str(ROOT / "src"), os.environ.get("PYTHONPATH", "")) if p),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.outbox_worker", *args],
        cwd=ROOT, env=env, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def states(outbox: Path) -> Counter[str]:
    # Not read-only: the outbox keeps a rollback journal, and a write cut short by the kill leaves a
    # hot journal that the next reader rolls back (as the next crmtui does on opening).
    conn = sqlite3.connect(outbox, timeout=HANG_GUARD)  # the worker may be writing: wait for its lock
    try:
        return Counter(state for (state,) in conn.execute("SELECT state FROM changes"))
    finally:
        conn.close()


def test_sigkill_mid_send_loses_nothing_and_duplicates_nothing(sandbox, tmp_path) -> None:
    outbox = tmp_path / "outbox.sqlite3"
    contact_id = next(iter(sandbox.state.tables["contacts"]))
    # each note is applied, and its answer held back until the test lets it go
    answers = sandbox.gate.hold("POST", "/api/v3/notes", stage="answer")
    count = 60
    proc = worker(sandbox, outbox, "queue", contact_id, str(count))
    shown: set[int] = set()
    try:
        assert proc.stdout is not None
        while len(shown) < 8:  # some queued...
            line = proc.stdout.readline()
            assert line, f"the worker ended early: {proc.stderr.read() if proc.stderr else ''}"
            if line.startswith("QUEUED"):
                shown.add(int(line.split()[1]))
        for _ in range(3):  # ...some sent...
            answers.wait_parked(1)
            answers.release(1)
        answers.wait_parked(1)  # ...and one on its way: the server has applied it, its answer is held
        wait_until(lambda: states(outbox)["sending"] == 1, "the outbox to record the note on its way")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(HANG_GUARD)
        rest = proc.stdout.read()
        shown |= {int(line.split()[1]) for line in rest.splitlines() if line.startswith("QUEUED")}
    finally:
        if proc.poll() is None:
            proc.kill()
        answers.release()
    assert proc.returncode == -signal.SIGKILL
    after_kill = states(outbox)
    assert after_kill["sending"] == 1, after_kill  # killed with one change in flight
    assert after_kill["done"] < len(shown)  # and some not yet sent

    again = worker(sandbox, outbox, "drain")
    out, err = again.communicate(timeout=HANG_GUARD)
    assert again.returncode == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["pending"] == 0 and summary["failed"] == 0
    assert summary["reconciled"] == 1  # the one in flight was found on the server, not sent again

    texts = Counter(n["text"] for n in sandbox.state.tables["notes"].values() if n["text"].startswith("kill note "))
    assert all(texts[f"kill note {i}"] == 1 for i in shown), "a change shown as made was lost or made twice"
    assert all(n == 1 for n in texts.values()), "a note was made twice"
    assert states(outbox) == Counter({"done": sum(texts.values())})

"""Crust: SIGKILL of the app mid-outbox loses nothing shown as made, and the next start sends it once.

A separate process queues record changes (each printed once durable) while its sender sends them;
the Crust sandbox applies each write and holds its answer until the test lets it go, and the test
kills the process (SIGKILL) while one is on its way - a new record (made on the server, its answer
never read: found again, not made twice) or an edit (the whole record replaced: sent again it lands
once, every field kept) - then starts a new process on the same outbox file.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.integration.test_outbox_kill import states
from tests.support.waits import HANG_GUARD, wait_until

ROOT = Path(__file__).resolve().parents[2]
MODULE = "Case"


def worker(sandbox, outbox: Path, *args: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "CRMTUI_TEST_BASE_URL": sandbox.base_url,
        "CRMTUI_TEST_TOKEN": sandbox.token,
        "CRMTUI_TEST_OUTBOX": str(outbox),
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), str(ROOT / "src"), os.environ.get("PYTHONPATH", "")) if p),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.crust_outbox_worker", *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


@pytest.mark.parametrize("pattern", ["ececcec" * 4, "ceceecc" * 4], ids=["a-create-in-flight", "an-edit-in-flight"])
def test_sigkill_mid_send_loses_nothing_and_makes_nothing_twice(crust_sandbox, tmp_path, pattern: str) -> None:
    sandbox = crust_sandbox
    outbox = tmp_path / "outbox.sqlite3"
    [module] = [m for m in sandbox.state.modules() if m["name"] == MODULE]
    rows = sandbox.state.tables["contents"]
    targets = sorted((r for r in rows.values() if r["moduleID"] == module["id"] and not r.get("deletedAt")), key=lambda r: int(r["id"]))
    before = {r["id"]: (dict(r["columns"]), {c["name"] for c in r["json"]}, dict(r["links"])) for r in targets}
    # every record write is applied, and its answer held back until the test lets it go
    answers = sandbox.gate.hold("POST", f"/module/{module['id']}/content*", stage="answer")
    proc = worker(sandbox, outbox, "queue", MODULE, pattern)
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
        answers.wait_parked(1)  # ...and the fourth on its way: the server has applied it, its answer is held
        wait_until(lambda: states(outbox)["sending"] == 1, "the outbox to record the change on its way")
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
    assert after_kill["done"] == 3 < len(shown)  # and some not yet sent

    again = worker(sandbox, outbox, "drain")
    out, err = again.communicate(timeout=HANG_GUARD)
    assert again.returncode == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["pending"] == 0 and summary["failed"] == 0 and summary["review"] == [], summary
    assert summary["reconciled"] == (1 if pattern[3] == "c" else 0)  # a new record in flight: found, not sent again

    live = [r for r in rows.values() if r["moduleID"] == module["id"] and not r.get("deletedAt")]
    made = Counter(r["columns"].get("subject") for r in live if r["columns"].get("subject", "").startswith("kill case "))
    for i in sorted(shown):
        if pattern[i] == "c":
            assert made[f"kill case {i}"] == 1, f"new record {i} shown as made was lost or made twice"
            continue
        row = rows[targets[i]["id"]]
        columns, names, links = before[row["id"]]
        assert row["columns"] == {**columns, "description": f"kill edit {i}"}, i  # the edit, and no field changed
        assert {c["name"] for c in row["json"]} >= names and row["links"] == links, i  # every field and link sent
    assert all(n == 1 for n in made.values()), made
    # Every change shown as made was sent once. The kill may land between a change written to the
    # outbox and the worker saying so: that one (the next after the last shown) is sent too, once.
    final = states(outbox)
    assert set(final) == {"done"} and final["done"] in (len(shown), len(shown) + 1), (final, len(shown))

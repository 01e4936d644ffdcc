"""Two crmtui windows on one profile (two SSH sessions): one outbox, every change sent once.

Each window is its own process with its own Session on the profile's outbox file
(tests/support/outbox_worker.py `window`), against one sandbox. The one holding the profile's claim
sends every window's changes; every window lists all unsent changes of the profile; when the
sender quits, another window takes over.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

from tests.integration.test_outbox_kill import worker
from tests.support.waits import HANG_GUARD, wait_until


class Window:
    def __init__(self, sandbox, outbox: Path) -> None:
        self.proc: subprocess.Popen[str] = worker(sandbox, outbox, "window", stdin=subprocess.PIPE)
        self.ready = self._answer()

    def _answer(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line, f"the window ended: {self.proc.stderr.read() if self.proc.stderr else ''}"
        return json.loads(line)

    def ask(self, line: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self._answer()

    def status(self) -> dict[str, Any]:
        return self.ask("status")

    def quit(self) -> str:
        said = self.ask("quit")["leaving"]
        self.proc.wait(HANG_GUARD)
        assert self.proc.returncode == 0, self.proc.stderr.read() if self.proc.stderr else ""
        return str(said)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(HANG_GUARD)


def open_window(sandbox, outbox: Path) -> Window:
    return Window(sandbox, outbox)


def notes(sandbox) -> Counter[str]:
    with sandbox.state.lock:
        return Counter(n["text"] for n in sandbox.state.tables["notes"].values())


def test_a_change_in_each_of_two_windows_reaches_the_server_once(sandbox, tmp_path) -> None:
    outbox = tmp_path / "outbox.sqlite3"
    contact_id = next(iter(sandbox.state.tables["contacts"]))
    first = open_window(sandbox, outbox)
    second = open_window(sandbox, outbox)
    third: Window | None = None
    try:
        assert first.ready["claimed"] and not second.ready["claimed"]  # the first sends for both
        answers = sandbox.gate.hold("POST", "/api/v3/notes", stage="answer")
        try:
            first.ask(f"note {contact_id} from the first window")
            answers.wait_parked(1)  # applied, its answer held: unsent in both windows meanwhile
            wait_until(lambda: second.status()["unsent"] == ["from the first window"], "the second to list the first's change")
            second.ask(f"note {contact_id} from the second window")
            wait_until(
                lambda: first.status()["unsent"] == ["from the first window", "from the second window"],
                "the first to list the second's change",
            )
            # the second quits with both unsent: the first, still open, sends them
            assert second.quit() == "2 changes not sent yet: the other crmtui window on this profile sends them"
        finally:
            answers.release()
            sandbox.gate.release()
        wait_until(lambda: first.status()["pending"] == 0, "the first to send both changes")
        assert notes(sandbox)["from the first window"] == 1 and notes(sandbox)["from the second window"] == 1
        assert first.status()["sent"] == 2

        third = open_window(sandbox, outbox)
        assert not third.ready["claimed"]
        third.ask(f"note {contact_id} from the third window")
        wait_until(lambda: notes(sandbox)["from the third window"] == 1, "the first to send the third's change")
        wait_until(lambda: third.status()["pending"] == 0, "the third to see its change sent")
        assert third.status()["sent_elsewhere"] == 1

        assert first.quit() == ""  # nothing left: nothing to say
        wait_until(lambda: third.status()["claimed"], "the third to take over sending when the first quits")
        third.ask(f"note {contact_id} after the first quit")
        wait_until(lambda: third.status()["pending"] == 0, "the third to send its own change")
        assert third.quit() == ""
        counts = notes(sandbox)
        assert [counts[t] for t in ("from the first window", "from the second window", "from the third window",
                                   "after the first quit")] == [1, 1, 1, 1]
    finally:
        for window in (first, second, third):
            if window is not None:
                window.kill()

"""Shared pieces of the end-to-end tests: the installed `crmtui --demo` in tmux, on tmp dirs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.waits import HANG_GUARD

from .tmux import TmuxSession

CRMTUI = Path(sys.executable).parent / "crmtui"
"""The console script pip installed next to this interpreter: the command a person runs."""

DEMO_TODAY = "2026-03-10"
LOADED = "ASAP · "
"""The first section header: the stream has loaded."""


@pytest.fixture
def demo_env(tmp_path: Path) -> dict[str, str]:
    if not CRMTUI.exists():
        pytest.fail(f"{CRMTUI} is missing: install the project into this environment (pip install -e .)")
    return {
        "CRMTUI_DATA_DIR": str(tmp_path / "data"),
        "CRMTUI_CONFIG_DIR": str(tmp_path / "config"),
        "CRMTUI_CACHE_DIR": str(tmp_path / "cache"),
        "CRMTUI_DEMO_TODAY": DEMO_TODAY,
        "CRMTUI_DEMO_SEED": "42",
    }


@pytest.fixture
def sessions() -> Iterator[list[TmuxSession]]:
    """Every tmux session a test starts; all are closed (their server killed) at the end."""
    started: list[TmuxSession] = []
    yield started
    for session in started:
        session.close()


@dataclass
class Demo:
    """`crmtui --demo` running in a tmux session."""

    session: TmuxSession
    status_file: Path
    """Where the shell around crmtui writes its exit status (tmux does not always reap the pane in time)."""


def start_demo(
    sessions: list[TmuxSession], env: dict[str, str], cwd: Path, size: tuple[int, int], *args: str,
    server_options: dict[str, str] | None = None, loaded: str = LOADED,
) -> Demo:
    width, height = size
    status_file = cwd / f"exit-status-{len(sessions)}"
    script = 'file="$1"; shift; "$0" --demo "$@"; echo $? > "$file.tmp" && mv "$file.tmp" "$file"'
    command = ["sh", "-c", script, str(CRMTUI), str(status_file), *args]
    session = TmuxSession(command, width=width, height=height, env=env, cwd=cwd, server_options=server_options)
    sessions.append(session)
    session.wait_for(loaded)
    return Demo(session, status_file)


def wait_until(condition, what: str, timeout: float = HANG_GUARD) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)


def quit_app(demo: Demo) -> None:
    """q on the stream; crmtui must end, with exit status 0."""
    demo.session.send("q")
    try:
        wait_until(demo.status_file.exists, "crmtui to exit after q")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; screen:\n{demo.session.screen()}") from None
    status = demo.status_file.read_text().strip()
    assert status == "0", f"crmtui exited with status {status!r}; screen:\n{demo.session.screen()}"
    wait_until(demo.session.pane_dead, "the tmux pane to close")


def processes_mentioning(text: str) -> list[str]:
    """Command lines of running processes that contain `text` (zombies, already ended, excluded)."""
    proc = Path("/proc")
    if not proc.is_dir():  # not Linux: ps (procps is not on every Linux image, /proc is)
        out = subprocess.run(["ps", "-ww", "-eo", "pid=,args="], capture_output=True, text=True, check=True).stdout
        return [line.strip() for line in out.splitlines() if text in line and "ps -ww" not in line]
    found = []
    for cmdline in proc.glob("[0-9]*/cmdline"):
        if cmdline.parent.name == str(os.getpid()):
            continue
        try:
            args = cmdline.read_bytes().replace(b"\0", b" ").decode("utf-8", "replace").strip()
        except OSError:  # ended while we looked
            continue
        if text in args:  # a zombie's cmdline is empty
            found.append(f"{cmdline.parent.name} {args}")
    return found

"""Drive a real terminal program in tmux: send keys, read the screen."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from tests.support.waits import HANG_GUARD


class TmuxSession:
    def __init__(
        self, command: list[str], *, width: int, height: int, env: dict[str, str], cwd: Path,
        server_options: dict[str, str] | None = None,
    ) -> None:
        """`server_options` are set on the new tmux server before the command starts (one tmux call)."""
        self.name = f"crmtui-e2e-{uuid.uuid4().hex[:8]}"
        # A server per session: close() kills only it, and a new session never lands on a server that
        # is still shutting down (seen as "tmux new-session failed: server exited unexpectedly").
        self.socket = f"{self.name}-{os.getpid()}"
        env_args: list[str] = []
        for key, value in env.items():
            env_args += ["-e", f"{key}={value}"]
        settings: list[str] = []
        for option, value in (server_options or {}).items():
            settings += ["set-option", "-s", option, value, ";"]
        self._tmux(
            *settings, "new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height), *env_args,
            "-c", str(cwd), shlex.join(command),
        )
        self._tmux("set-option", "-t", self.name, "remain-on-exit", "on")

    def _tmux(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=HANG_GUARD, check=False, env=_env()
        )
        if result.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args[:2])} failed: {result.stderr.strip()}")
        return result.stdout

    def send(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", self.name, *keys)

    def type(self, text: str) -> None:
        self._tmux("send-keys", "-t", self.name, "-l", text)

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", self.name)

    def cursor(self) -> tuple[int, int]:
        """Where the terminal's cursor is (column, line): Textual puts it in the focused text field,
        hidden or not, so it tells which field the next keys go to."""
        x, y = self._tmux("display-message", "-p", "-t", self.name, "#{cursor_x} #{cursor_y}").split()
        return int(x), int(y)

    def wait_for(self, text: str, *more: str, timeout: float = HANG_GUARD) -> str:
        """The screen once `text` (and every one of `more`) is on it: on a busy machine a capture can
        catch a frame half drawn, so a test waits for everything it then looks at."""
        return self.wait_until(lambda screen: all(t in screen for t in (text, *more)), repr((text, *more)), timeout)

    def wait_until(self, ready: Callable[[str], bool], what: str, timeout: float = HANG_GUARD) -> str:
        """The screen once `ready(screen)` holds."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if ready(screen):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{what} did not appear within {timeout}s; screen was:\n{screen}")

    def wait_until_gone(self, text: str, timeout: float = HANG_GUARD) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if text not in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} still on screen after {timeout}s:\n{screen}")

    def pane_title(self) -> str:
        return self._tmux("display-message", "-p", "-t", self.name, "#{pane_title}").strip()

    def buffers(self) -> str:
        """tmux's paste buffers (an application's OSC 52 makes one when set-clipboard is on)."""
        return self._tmux("list-buffers")

    def pane_dead(self) -> bool:
        return self._tmux("display-message", "-p", "-t", self.name, "#{pane_dead}").strip() == "1"

    def close(self) -> None:
        try:
            socket_path = Path(self._tmux("display-message", "-p", "#{socket_path}").strip())
        except RuntimeError:  # the server is already gone
            socket_path = None
        subprocess.run(
            ["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=HANG_GUARD, check=False, env=_env()
        )
        if socket_path is not None and socket_path.name == self.socket:
            socket_path.unlink(missing_ok=True)  # tmux leaves the socket file behind


def _env() -> dict[str, str]:
    """The environment for tmux (and so for its server and panes), without a terminal size.

    Passed explicitly because the C-level environment can differ from os.environ: readline, once
    imported (pytest does), exports COLUMNS=80 and LINES=24 when stdin is not a terminal, and a
    program in a pane that sees them believes its terminal is 80x24 whatever the pane's size.
    """
    return {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}


def tmux_available() -> bool:
    return shutil.which("tmux") is not None

"""`crmtui --demo [--backend NAME]`: run a backend's sandbox in a child process and connect to it.

A separate process keeps the sandbox's SQLite work and HTTP serving off the UI's event loop and
lets the app exit cleanly even if the sandbox hangs (terminate, then kill).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from crmtui import paths

if TYPE_CHECKING:
    from crmtui.backends.registry import Connection

SLOW_START = 5.0
"""Seconds after which the launcher says it is still starting the sandbox (it keeps waiting: on a busy
machine a start may take long, and a child that fails ends the wait by exiting)."""
STOP_TIMEOUT = 5.0
DEMO_DB_NAME = "demo.sqlite3"

_START_LINE = re.compile(
    r"listening on (?P<base_url>\S+)\s+"
    r"(?:user_id=(?P<user_id>\S+)\s+api_key=(?P<api_key>\S+)|api_token=(?P<api_token>\S+)|jwt=(?P<jwt>\S+))"
)


class DemoError(Exception):
    """The demo sandbox could not be started; the message is meant for the user."""


def demo_database(env: Mapping[str, str] | None = None, backend: str = "onepagecrm") -> Path:
    """The demo's data file: one per backend (each sandbox refuses another's file)."""
    name = DEMO_DB_NAME if backend == "onepagecrm" else f"demo-{backend}.sqlite3"
    return paths.data_dir(env) / name


def sandbox_command(
    data: Path, *, reset: bool = False, env: Mapping[str, str] | None = None, backend: str = "onepagecrm",
    while_held: Path | None = None,
) -> list[str]:
    env = os.environ if env is None else env
    command = [sys.executable, "-m", "crmtui", "sandbox", "--port", "0", "--data", str(data)]
    if while_held is not None:
        command += ["--while-held", str(while_held)]
    if backend != "onepagecrm":
        command += ["--backend", backend]
    if reset:
        command.append("--reset")
    if env.get("CRMTUI_DEMO_TODAY"):
        command += ["--today", env["CRMTUI_DEMO_TODAY"]]
    if env.get("CRMTUI_DEMO_SEED"):
        command += ["--seed", env["CRMTUI_DEMO_SEED"]]
    if env.get("CRMTUI_DEMO_SIZE") and backend in ("onepagecrm", "pipedrive"):  # benches: a large account
        command += ["--contacts" if backend == "onepagecrm" else "--leads", env["CRMTUI_DEMO_SIZE"]]
    return command


SANDBOX_ENVIRONMENT = frozenset(
    {
        "PATH", "PYTHONPATH", "PYTHONHOME", "PYTHONSAFEPATH", "PYTHONDONTWRITEBYTECODE", "PYTHONIOENCODING",
        "PYTHONUTF8", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "TEMP", "TMP", "SYSTEMROOT",
        "COVERAGE_PROCESS_START",
    }
)
"""What the sandbox child may see of the environment: what Python needs to start, nothing else.

The rest (ONEPAGECRM_API_KEY, tokens, a real profile's settings) stays with the app: the sandbox
is told its data file, day and seed on its command line.
"""


def sandbox_environment(env: Mapping[str, str]) -> dict[str, str]:
    """The environment for the sandbox child: the allowed names of `env`, unbuffered output."""
    child = {name: value for name, value in env.items() if name in SANDBOX_ENVIRONMENT}
    child["PYTHONUNBUFFERED"] = "1"
    return child


def demo_clock(env: Mapping[str, str] | None = None) -> Callable[[], dt.datetime] | None:
    """With CRMTUI_DEMO_TODAY, a clock for the app that runs on that day as the sandbox's does.

    The sandbox shifts its clock to the given day (keeping the time of day); the app must use the
    same shift, or every seeded action shows months overdue and new actions are due on the real date.
    None when the variable is unset (or not a date: the sandbox then refuses it with a clear message).
    """
    env = os.environ if env is None else env
    text = env.get("CRMTUI_DEMO_TODAY", "").strip()
    if not text:
        return None
    try:
        today = dt.date.fromisoformat(text)
    except ValueError:
        return None
    real_now = dt.datetime.now(dt.timezone.utc)
    offset = dt.datetime.combine(today, real_now.time(), tzinfo=dt.timezone.utc) - real_now
    return lambda: dt.datetime.now(dt.timezone.utc) + offset


def _stderr_tail(handle: IO[bytes], limit: int = 2000) -> str:
    try:
        handle.flush()
        handle.seek(0)
        text = handle.read().decode("utf-8", "replace").strip()
    except (OSError, ValueError):
        return ""
    return text[-limit:]


def _read_first_line(
    proc: subprocess.Popen[bytes], timeout: float | None, on_slow: Callable[[], None] | None = None
) -> tuple[str | None, threading.Thread]:
    """The child's first stdout line ("" if it exited first), or None if `timeout` passed first (None:
    no limit; `on_slow` is called once after SLOW_START seconds). Then keep draining."""
    result: list[str] = []
    got = threading.Event()

    def reader() -> None:
        stream = proc.stdout
        assert isinstance(stream, io.BufferedReader)  # a buffered binary pipe (Popen's default): it has read1
        try:
            first = stream.readline()
            result.append(first.decode("utf-8", "replace"))
            got.set()
            # The sandbox should print nothing more, but never let a full pipe block it.
            while stream.read1(65536):
                pass
        except (OSError, ValueError):  # closed under us while stopping
            got.set()

    thread = threading.Thread(target=reader, name="crmtui-demo-stdout", daemon=True)
    thread.start()
    if on_slow is not None and (timeout is None or timeout > SLOW_START) and not got.wait(SLOW_START):
        on_slow()
    if not got.wait(timeout) or not result:
        return None, thread
    return result[0], thread


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def demo_sandbox(
    reset: bool = False,
    *,
    data: Path | None = None,
    timeout: float | None = None,
    env: Mapping[str, str] | None = None,
    backend: str = "onepagecrm",
) -> Iterator[Connection]:
    """Start the sandbox subprocess (or join the one another crmtui --demo on the same data already
    runs) and yield a Connection to it; on exit the last window using it stops it.

    Two windows (two SSH sessions) on the demo share one sandbox, as two windows on a real account
    share one server: with a sandbox each, each would serve its own copy of the data and one window's
    changes would never reach the other's. Every window holds a shared lock on `<data>.users` while it
    runs; the sandbox serves while any lock is held (it checks every few seconds), so a window killed
    outright still lets it stop, and the last window to quit stops it at once.

    Waits for the sandbox as long as it is starting (`timeout`: at most that many seconds), saying so
    on stderr after a few seconds; Ctrl+C stops the wait.
    """
    source = os.environ if env is None else env
    data = data or demo_database(source, backend)
    try:
        paths.ensure_dir(data.parent)
        users: int | None = _locked(Path(f"{data}.users"), fcntl.LOCK_SH)
    except OSError as exc:
        raise DemoError(f"cannot create {data.parent}: {exc.strerror or exc}") from None
    try:
        with _locked_file(Path(f"{data}.start"), fcntl.LOCK_EX):  # one window starts it, the next joins
            running = _running(data)
            if running is not None and reset:
                raise DemoError(
                    "another crmtui --demo is using this demo's data: quit it before starting again with --reset"
                )
            if running is None:
                started = _start(data, reset=reset, timeout=timeout, env=source, backend=backend)
                line = started.line
            else:
                started, (joined, line) = None, running
        try:
            yield _connection(line, backend)
        finally:
            # Under the start lock: a window starting meanwhile either joins before this one looks
            # (and keeps it) or looks after it is stopped (and starts another), never joins one going.
            with _locked_file(Path(f"{data}.start"), fcntl.LOCK_EX):
                if users is not None:
                    os.close(users)
                    users = None
                    if started is not None:
                        started.leave()
                    elif _unused(data):
                        _terminate(joined)  # the window that started it has gone: the last one stops it
    finally:
        if users is not None:
            os.close(users)  # the sandbox stops by itself once no window holds the lock


def _locked(path: Path, how: int) -> int:
    """`path` opened (made private if new) and locked `how`, blocking; the descriptor holds the lock."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, how)
    except BaseException:
        os.close(fd)
        raise
    return fd


@contextmanager
def _locked_file(path: Path, how: int) -> Iterator[None]:
    try:
        fd = _locked(path, how)
    except OSError as exc:
        raise DemoError(f"cannot lock {path}: {exc.strerror or exc}") from None
    try:
        yield
    finally:
        os.close(fd)


def _server_file(data: Path) -> Path:
    return Path(f"{data}.server")


def _running(data: Path) -> tuple[int, str] | None:
    """The process id and start line of the sandbox another window started on `data`, if it still
    runs and answers."""
    try:
        record: Any = json.loads(_server_file(data).read_text(encoding="utf-8"))
        pid, line = int(record["pid"]), str(record["line"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    match = _START_LINE.search(line)
    address = re.match(r"https?://([^:/]+):(\d+)", match["base_url"]) if match else None
    if address is None:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, another user's: the port check decides
    try:
        with socket.create_connection((address[1], int(address[2])), timeout=2):
            return pid, line
    except OSError:
        return None


def _connection(line: str, backend: str) -> Connection:
    from crmtui.backends.registry import Connection

    match = _START_LINE.search(line)
    assert match is not None  # _start and _running only pass a matching line
    if backend == "crust" and match["jwt"]:
        from crmtui.config import jwt_subject

        return Connection(backend="crust", base_url=match["base_url"], user_id=jwt_subject(match["jwt"]), api_key=match["jwt"])
    if backend == "pipedrive" and match["api_token"]:
        return Connection(backend="pipedrive", base_url=match["base_url"], user_id="", api_key=match["api_token"])
    if backend == "onepagecrm" and match["user_id"]:
        return Connection(backend="onepagecrm", base_url=match["base_url"], user_id=match["user_id"], api_key=match["api_key"])
    raise DemoError(f"the demo sandbox serves another backend than {backend}")


class _Started:
    """The sandbox child this window started, and its start line."""

    def __init__(self, proc: subprocess.Popen[bytes], line: str, drain: threading.Thread, data: Path) -> None:
        self.proc, self.line, self.drain, self.data = proc, line, drain, data

    def leave(self) -> None:
        """This window is done (its lock given back): stop the sandbox unless another window uses it."""
        if _unused(self.data):
            self.stop()
            _server_file(self.data).unlink(missing_ok=True)

    def stop(self) -> None:
        _stop(self.proc)
        self.drain.join(1.0)
        if self.proc.stdout is not None and not self.drain.is_alive():
            self.proc.stdout.close()


def _unused(data: Path) -> bool:
    """True when no window holds the demo's lock on `data`."""
    return not paths.lock_held(Path(f"{data}.users"))


def _terminate(pid: int) -> None:
    """Ask the sandbox another window started to stop (it would within seconds by itself)."""
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        pass


def _start(
    data: Path, *, reset: bool, timeout: float | None, env: Mapping[str, str], backend: str
) -> _Started:
    command = sandbox_command(data, reset=reset, env=env, backend=backend, while_held=Path(f"{data}.users"))
    with tempfile.TemporaryFile() as stderr_file:
        try:
            proc = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr_file,
                env=sandbox_environment(env),
                start_new_session=True,  # it serves the other windows after this one's terminal goes
            )
        except OSError as exc:
            raise DemoError(f"cannot start the demo sandbox: {exc.strerror or exc}") from None
        drain: threading.Thread | None = None
        try:
            line, drain = _read_first_line(proc, timeout, _say_still_starting)
            if line is None:
                raise DemoError(
                    f"the demo sandbox did not start within {timeout:g} s"
                    + _tail_suffix(stderr_file)
                )
            match = _START_LINE.search(line)
            if not match:
                code = proc.poll()
                if code is None and not line:  # stdout closed: the child is exiting
                    try:
                        code = proc.wait(STOP_TIMEOUT)
                    except subprocess.TimeoutExpired:
                        code = None
                why = f"exited with code {code}" if code is not None else "printed an unexpected first line"
                raise DemoError(f"the demo sandbox {why}" + _tail_suffix(stderr_file))
            started = _Started(proc, line.strip(), drain, data)
            _connection(started.line, backend)  # another backend's sandbox: refused before it is shared
            _write_private(_server_file(data), json.dumps({"pid": proc.pid, "line": started.line}))
            return started
        except BaseException:
            _stop(proc)
            if drain is not None:
                drain.join(1.0)
            if proc.stdout is not None and (drain is None or not drain.is_alive()):
                proc.stdout.close()
            raise


def _write_private(path: Path, text: str) -> None:
    """Write `text` to `path` whole (a reader sees the old or the new), readable by the user only: it
    holds the demo user's key."""
    part = path.with_name(path.name + ".part")
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(part, path)


def _say_still_starting() -> None:
    print("Still starting the demo sandbox (Ctrl+C stops)…", file=sys.stderr, flush=True)


def _tail_suffix(stderr_file: IO[bytes]) -> str:
    tail = _stderr_tail(stderr_file)
    return f":\n{tail}" if tail else ""

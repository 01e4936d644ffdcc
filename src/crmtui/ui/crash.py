"""Run a Textual app so that a bug ends it with one line on stderr and exit code 1, not a traceback.

Textual catches an unhandled error in a handler or worker, exits the app with return code 1 and
prints its own traceback (with local variables, which may hold credentials) to stderr on the way
out. Here that printout goes to a buffer instead; on a crash the user gets the same one line as
every other error of the command line, and the plain traceback (no locals) is saved to a file in
the cache directory, or printed with CRMTUI_DEBUG=1. Anything the app prints on a normal exit
(`App.exit(message=...)`) still reaches stderr.
"""

from __future__ import annotations

import io
import os
import sys
import traceback
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from textual.app import App

from crmtui import paths
from crmtui.domain.text import inert_line, inert_text

CRASH_FILE = "crash.log"
EXIT_CRASH = 1


def run_guarded(app: App[Any], *, stderr: TextIO | None = None, **run_options: Any) -> int:
    """Run `app` until it exits; returns its exit code (1 after an unexpected error).

    `run_options` go to `App.run` (tests pass headless=True).
    """
    err = sys.stderr if stderr is None else stderr
    buffer = io.StringIO()
    # The same settings as Textual's own error console, but writing to the buffer.
    app.error_console = Console(
        file=buffer, markup=False, highlight=False, force_terminal=_is_terminal(err), width=_width(err)
    )
    result = app.run(**run_options)
    # Textual keeps the first unhandled error here (and re-raises it only under run_test).
    error: BaseException | None = getattr(app, "_exception", None)
    if error is None:
        err.write(buffer.getvalue())  # an exit message, if any
        if app.return_code:
            return app.return_code
        return result if isinstance(result, int) else 0
    report_crash(error, err)
    return EXIT_CRASH


def report_crash(error: BaseException, err: TextIO) -> None:
    """One line about `error` on `err`; the traceback too with CRMTUI_DEBUG=1, and in the crash file."""
    trace = inert_text("".join(traceback.format_exception(error)))  # messages may quote a server
    if os.environ.get("CRMTUI_DEBUG"):
        err.write(trace)
    saved = _save(trace)
    where = f", or read {saved}" if saved is not None else ""
    lines = str(error).strip().splitlines() or [""]
    message = inert_line(lines[0]) + (" …" if len(lines) > 1 else "")
    err.write(
        f"crmtui: unexpected error: {type(error).__name__}: {message} (set CRMTUI_DEBUG=1 to see the traceback{where})\n"
    )
    err.flush()


def _save(trace: str) -> Path | None:
    try:
        path = paths.ensure_dir(paths.cache_dir()) / CRASH_FILE
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(trace)
    except OSError:  # no cache directory to write to: the one line still says what happened
        return None
    return path


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _width(stream: TextIO) -> int | None:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError, io.UnsupportedOperation):
        return None

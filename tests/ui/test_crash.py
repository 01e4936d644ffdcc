"""A bug in the UI ends the app with exit code 1 and one line on stderr, never Textual's traceback."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from textual import events
from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from crmtui.ui.crash import CRASH_FILE, run_guarded


class BrokenScreen(Screen):
    """A screen with a bug in its key handler."""

    def compose(self) -> ComposeResult:
        yield Static("contacts")

    def on_key(self, event: events.Key) -> None:
        if event.key == "x":
            {}["contact-42"]  # the bug


class BrokenApp(App[int]):
    def on_mount(self) -> None:
        self.push_screen(BrokenScreen())

    def on_ready(self) -> None:
        self.set_timer(0.05, lambda: self.simulate_key("x"))


class ExitingApp(App[int]):
    """Not a bug: the app exits on purpose, with a code and a message."""

    def on_ready(self) -> None:
        self.exit(3, return_code=3, message="crmtui: could not reach the server")


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CRMTUI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CRMTUI_DEBUG", raising=False)
    return tmp_path / "cache"


def test_an_error_in_a_key_handler_is_one_line_and_exit_code_1(cache: Path) -> None:
    err = io.StringIO()
    code = run_guarded(BrokenApp(), stderr=err, headless=True)
    assert code == 1
    lines = err.getvalue().splitlines()
    assert len(lines) == 1, err.getvalue()
    assert lines[0].startswith(
        "crmtui: unexpected error: KeyError: 'contact-42' (set CRMTUI_DEBUG=1 to see the traceback, or read "
    )
    assert "Traceback" not in err.getvalue() and "on_key" not in err.getvalue()
    saved = (cache / CRASH_FILE).read_text()
    assert str(cache / CRASH_FILE) in lines[0]
    assert saved.startswith("Traceback") and "in on_key" in saved and "KeyError: 'contact-42'" in saved
    assert (cache / CRASH_FILE).stat().st_mode & 0o077 == 0  # private to the user


def test_with_crmtui_debug_the_traceback_is_printed_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRMTUI_DEBUG", "1")
    err = io.StringIO()
    assert run_guarded(BrokenApp(), stderr=err, headless=True) == 1
    text = err.getvalue()
    assert text.startswith("Traceback") and "in on_key" in text
    assert text.splitlines()[-1].startswith("crmtui: unexpected error: KeyError: 'contact-42'")


def test_without_a_cache_directory_the_line_still_says_what_happened(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("CRMTUI_CACHE_DIR", str(blocker / "cache"))
    err = io.StringIO()
    assert run_guarded(BrokenApp(), stderr=err, headless=True) == 1
    assert err.getvalue() == (
        "crmtui: unexpected error: KeyError: 'contact-42' (set CRMTUI_DEBUG=1 to see the traceback)\n"
    )


def test_an_exit_on_purpose_keeps_its_code_and_message(cache: Path) -> None:
    err = io.StringIO()
    assert run_guarded(ExitingApp(), stderr=err, headless=True) == 3
    assert "could not reach the server" in err.getvalue() and "unexpected" not in err.getvalue()
    assert not (cache / CRASH_FILE).exists()


def test_run_app_of_crmtui_returns_1_after_a_bug_in_a_screen(
    sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from crmtui.service.compose import compose
    from crmtui.ui.app import CrmApp, run_app
    from crmtui.ui.screens.stream import ActionStreamScreen

    from .conftest import backend_for, frozen_clock

    def broken(self, event: events.Key) -> None:
        raise RuntimeError("stream row out of step")

    def ready(self: CrmApp) -> None:
        self.set_timer(0.2, lambda: self.simulate_key("x"))

    monkeypatch.setattr(ActionStreamScreen, "on_key", broken, raising=False)
    monkeypatch.setattr(CrmApp, "on_ready", ready, raising=False)
    headless_run = CrmApp.run
    monkeypatch.setattr(CrmApp, "run", lambda self, **kw: headless_run(self, headless=True, size=(80, 24), **kw))
    code = run_app(compose(backend_for(sandbox), local_copy=False, clock=frozen_clock), refresh_seconds=0)
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("crmtui: unexpected error: RuntimeError: stream row out of step (set CRMTUI_DEBUG=1")
    assert len(err.splitlines()) == 1 and "Traceback" not in err


async def test_a_bug_in_a_view_that_follows_the_outbox_is_a_crash_not_a_log_line(make_app) -> None:
    """The sender goes on, but the app ends the way a bug ends it: the error is raised in its loop."""
    from .conftest import NARROW, loaded, wait_for

    app = make_app()
    with pytest.raises(ZeroDivisionError):
        async with app.run_test(size=NARROW) as pilot:
            await loaded(pilot)
            app.session.outbox.subscribe(lambda event: 1 / 0)  # a view with a bug
            await pilot.press("asterisk")
            await wait_for(pilot, lambda: not app.is_running, what="the app to end on the bug")

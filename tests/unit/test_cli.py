"""The command line: argument wiring, and errors that end as one line on stderr, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from crmtui import cli
from crmtui.backends import registry
from crmtui.backends.errors import AuthError
from crmtui.config import AppConfig, ConfigError, load_config, save_config
from tests.support.waits import HANG_GUARD


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for name in ("ONEPAGECRM_USER_ID", "ONEPAGECRM_API_KEY", "CRMTUI_BASE_URL", "CRMTUI_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CRMTUI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("CRMTUI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CRMTUI_CACHE_DIR", str(tmp_path / "cache"))
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield tmp_path
    keyring.set_keyring(previous)


def run_crmtui(*args: str, config_dir: Path, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONEPAGECRM_", "CRMTUI_"))}
    env.update(
        CRMTUI_CONFIG_DIR=str(config_dir),
        CRMTUI_DATA_DIR=str(config_dir / "data"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        **(extra_env or {}),
    )
    return subprocess.run(
        [sys.executable, "-m", "crmtui", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=HANG_GUARD,
        stdin=subprocess.DEVNULL,
    )


def test_broken_config_is_one_clear_line_without_traceback(tmp_path: Path) -> None:
    config_dir = tmp_path / "broken"
    config_dir.mkdir()
    (config_dir / "config.toml").write_text('theme = "nord"\n[profiles.work\nuser_id = "u"\n')
    result = run_crmtui(config_dir=config_dir)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(config_dir / "config.toml") in lines[0] and "line 2" in lines[0]
    assert result.stdout == ""


def test_no_credentials_points_at_login_and_demo(tmp_path: Path) -> None:
    result = run_crmtui("--profile", "work", config_dir=tmp_path / "empty")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "crmtui login --profile work" in result.stderr


def test_reset_without_demo_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--reset"]) == 2
    assert "--reset only applies with --demo" in capsys.readouterr().err


def test_login_options_work_before_and_after_the_subcommand() -> None:
    parser = cli.build_parser([])
    args = parser.parse_args(["--profile", "a", "login"])
    assert (args.command, args.profile, args.base_url) == ("login", "a", None)
    args = parser.parse_args(["login", "--profile", "b", "--base-url", "http://x"])
    assert (args.command, args.profile, args.base_url) == ("login", "b", "http://x")


@pytest.mark.parametrize(
    ("error", "code", "expected"),
    [
        (KeyboardInterrupt(), 130, ""),
        (ConfigError("bad settings"), 2, "crmtui: bad settings\n"),
        (AuthError("Wrong user id or API key", status=401), 1, "crmtui: Wrong user id or API key\n"),
        (ZeroDivisionError("oops"), 1, "crmtui: unexpected error: ZeroDivisionError: oops"),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else None,
)
def test_errors_become_exit_codes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], error, code, expected
) -> None:
    def boom(args):
        raise error

    monkeypatch.setattr(cli, "_run", boom)
    assert cli.main([]) == code
    captured = capsys.readouterr()
    assert captured.err.startswith(expected) if expected else captured.err == ""
    assert "Traceback" not in captured.err


@pytest.fixture
def fake_ui(monkeypatch: pytest.MonkeyPatch):
    """Stand-ins for the Textual app and the backend factory: this test is about the wiring."""
    calls: dict = {}

    def run_app(session, *, theme, on_theme_change, refresh_seconds, **options):
        calls.update(
            deferred=session.backend.inner, backend=session.backend.inner.built,  # built when first used
            cached=session.backend, outbox=session.outbox, local=session.local,
            offline=session.offline, theme=theme, refresh_seconds=refresh_seconds, **options,
        )
        on_theme_change("dracula")
        return 0

    class FakeBackend(tuple):
        name = "fake"
        address = "http://fake.invalid/api"
        capabilities = frozenset()

    module = types.ModuleType("crmtui.ui.app")
    module.run_app = run_app
    monkeypatch.setitem(sys.modules, "crmtui.ui.app", module)
    monkeypatch.setattr(registry, "create_backend", lambda connection: FakeBackend(("backend-for", connection)))
    return calls


def test_normal_run_resolves_the_connection_and_persists_theme_changes(
    fake_ui: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_config(AppConfig(theme="nord", refresh_seconds=15))
    monkeypatch.setenv("ONEPAGECRM_USER_ID", "u1")
    monkeypatch.setenv("ONEPAGECRM_API_KEY", "k1")
    assert cli.main(["--base-url", "http://127.0.0.1:9/api/v3"]) == 0
    marker, connection = fake_ui["backend"]
    assert marker == "backend-for"
    assert (connection.user_id, connection.api_key, connection.base_url) == ("u1", "k1", "http://127.0.0.1:9/api/v3")
    assert (fake_ui["theme"], fake_ui["refresh_seconds"]) == ("nord", 15)
    assert load_config().theme == "dracula"
    assert fake_ui["offline"] is False and fake_ui["cached"].cache is not None  # reads go through the cache
    assert fake_ui["local"] is fake_ui["cached"]  # what the app knows of the cache: session.local
    assert fake_ui["outbox"].backend is fake_ui["deferred"]  # the outbox talks to the server itself


def test_offline_flag_reaches_the_app(fake_ui: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONEPAGECRM_USER_ID", "u1")
    monkeypatch.setenv("ONEPAGECRM_API_KEY", "k1")
    assert cli.main(["--offline"]) == 0
    assert fake_ui["offline"] is True and fake_ui["cached"].offline is True
    assert fake_ui["outbox"].paused  # held: nothing is sent in offline mode


def test_quitting_with_changes_unsent_says_where_they_go(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """The app quits with a change unsent and no other crmtui on the profile: the terminal says so."""
    import asyncio

    from crmtui.service.contact_history import AddNote

    def run_app(session, **_options):
        async def made_offline() -> None:
            await session.outbox.enqueue(AddNote(contact_id="c1", text="made offline"))

        asyncio.run(made_offline())
        return 0

    class FakeBackend(tuple):
        name = "fake"
        address = "http://fake.invalid/api"
        capabilities = frozenset()

    module = types.ModuleType("crmtui.ui.app")
    module.run_app = run_app
    monkeypatch.setitem(sys.modules, "crmtui.ui.app", module)
    monkeypatch.setattr(registry, "create_backend", lambda connection: FakeBackend(("backend-for", connection)))
    monkeypatch.setenv("ONEPAGECRM_USER_ID", "u1")
    monkeypatch.setenv("ONEPAGECRM_API_KEY", "k1")
    assert cli.main(["--offline"]) == 0
    assert capsys.readouterr().err == "crmtui: 1 change not sent yet: it is sent the next time crmtui starts\n"


def test_theme_flag_overrides_the_saved_theme(fake_ui: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONEPAGECRM_USER_ID", "u1")
    monkeypatch.setenv("ONEPAGECRM_API_KEY", "k1")
    assert cli.main(["--theme", "gruvbox"]) == 0
    assert fake_ui["theme"] == "gruvbox"
    assert fake_ui["refresh_seconds"] == 60


def test_version_prints_the_installed_version_and_exits(capsys) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as ended:
        cli.main(["--version"])
    assert ended.value.code == 0
    assert capsys.readouterr().out.strip() == f"crmtui {version('crmtui')}"

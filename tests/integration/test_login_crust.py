"""`crmtui login --backend crust`, the Crust connection from profile or environment, and `--demo --backend crust`,
against the real Crust sandbox over loopback (its clock frozen; the token's expiry is judged by the server's clock)."""

from __future__ import annotations

import asyncio
import io
import os
import stat
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from crmtui.backends.registry import create_backend
from crmtui.cli import build_parser
from crmtui.config import AppConfig, ConfigError, ProfileConfig, load_config, profile_in_use, resolve_connection
from crmtui.demo import demo_sandbox
from crmtui.login import run_login
from tests.support.waits import HANG_GUARD


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for name in ("ONEPAGECRM_USER_ID", "ONEPAGECRM_API_KEY", "CRMTUI_BASE_URL", "PIPEDRIVE_API_TOKEN", "CRUST_JWT", "CRUST_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CRMTUI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("CRMTUI_DATA_DIR", str(tmp_path / "data"))
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def login(base_url: str | None, text: str, profile: str | None = "crm", env: dict[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_login(
        profile=profile, base_url=base_url, stdin=io.StringIO(text), stdout=out, stderr=err, env=env or {}, backend="crust"
    )
    return code, out.getvalue(), err.getvalue()


def test_crust_login_checks_the_token_and_saves_a_private_profile(crust_sandbox) -> None:
    token = crust_sandbox.token
    code, out, err = login(crust_sandbox.base_url, f"{token}\n")
    assert code == 0, err
    assert out.startswith(f"Logged in to Crust as user {crust_sandbox.user_id} (profile crm, valid until ")
    assert token not in out + err and "Warning" not in err  # 3600 minutes left: no warning
    cfg = load_config()
    profile = cfg.profiles["crm"]
    assert (cfg.active_profile, profile.backend, profile.user_id, profile.base_url) == (
        "crm", "crust", crust_sandbox.user_id, crust_sandbox.base_url)
    path = Path(os.environ["CRMTUI_CONFIG_DIR"]) / "config.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # the token is in it (no keyring here)
    connection = resolve_connection(cfg, env={})
    assert (connection.backend, connection.base_url, connection.api_key) == ("crust", crust_sandbox.base_url, token)
    assert profile_in_use(cfg, connection, None, env={}) == "crm"


def test_the_address_is_asked_when_none_is_given(crust_sandbox) -> None:
    code, _out, err = login(None, f"{crust_sandbox.base_url}\n{crust_sandbox.token}\n")
    assert code == 0, err
    assert load_config().profiles["crm"].base_url == crust_sandbox.base_url


def test_a_token_running_out_within_a_day_is_warned_of(crust_sandbox) -> None:
    code, _out, err = login(crust_sandbox.base_url, f"{crust_sandbox.issue_token(minutes=600)}\n")
    assert code == 0, err
    assert "Warning: The Crust token expires in 10 hour(s)" in err


def test_wrong_tokens_are_asked_again_then_refused_and_nothing_saved(crust_sandbox) -> None:
    expired = crust_sandbox.issue_token(minutes=1)
    crust_sandbox.advance(120)
    forged = crust_sandbox.token[:-4] + "AAAA"
    code, out, err = login(crust_sandbox.base_url, f"not a jwt\n{expired}\n{forged}\n")
    assert code == 1 and out == ""
    assert "not a JWT" in err and "token is expired" in err and "refused the token" in err
    assert "crm" not in load_config().profiles


def test_a_wrong_token_then_the_right_one(crust_sandbox) -> None:
    code, out, err = login(crust_sandbox.base_url, f"nope\n{crust_sandbox.token}\n")
    assert code == 0, err
    assert "try again" in err and out.startswith("Logged in to Crust")


def test_another_backends_profile_is_not_overwritten(crust_sandbox, pipedrive_sandbox) -> None:
    code = run_login(
        profile="work", base_url=pipedrive_sandbox.base_url, stdin=io.StringIO(f"{pipedrive_sandbox.api_token}\n"),
        stdout=io.StringIO(), stderr=io.StringIO(), env={}, backend="pipedrive",
    )
    assert code == 0
    code, _out, err = login(crust_sandbox.base_url, f"{crust_sandbox.token}\n", profile="work")
    assert code == 1 and "is not a Crust profile" in err
    assert load_config().profiles["work"].backend == "pipedrive"


def test_an_address_that_is_no_crust_api_says_so(pipedrive_sandbox, crust_sandbox) -> None:
    code, _out, err = login(pipedrive_sandbox.base_url, f"{crust_sandbox.token}\n")
    assert code == 1 and "did not answer like the Crust CRM API" in err


def test_crust_jwt_beats_the_profile_and_needs_no_config_file(crust_sandbox) -> None:
    token = crust_sandbox.token
    connection = resolve_connection(AppConfig(), backend="crust", base_url=crust_sandbox.base_url, env={"CRUST_JWT": token})
    assert (connection.backend, connection.base_url, connection.api_key, connection.user_id) == (
        "crust", crust_sandbox.base_url, token, crust_sandbox.user_id)
    by_env_url = resolve_connection(AppConfig(), backend="crust", env={"CRUST_JWT": token, "CRUST_BASE_URL": "https://crm.example.com"})
    assert by_env_url.base_url == "https://crm.example.com"
    cfg = AppConfig(active_profile="crm", profiles={"crm": ProfileConfig(backend="crust", base_url="https://crm.example.com",
                                                                          user_id="1", api_key=None)})
    other = crust_sandbox.issue_token(minutes=60)
    beaten = resolve_connection(cfg, env={"CRUST_JWT": other})
    assert beaten.api_key == other and beaten.base_url == "https://crm.example.com"
    assert profile_in_use(cfg, beaten, None, env={"CRUST_JWT": other}) is None  # the environment's own local files
    with pytest.raises(ConfigError, match="no Crust address"):
        resolve_connection(AppConfig(), backend="crust", env={"CRUST_JWT": token})
    with pytest.raises(ConfigError, match="no Crust token"):
        resolve_connection(AppConfig(), backend="crust", base_url="https://crm.example.com", env={})

    async def connect() -> str:
        backend = create_backend(connection)
        try:
            return (await backend.connect()).user.id
        finally:
            await backend.close()

    assert asyncio.run(connect()) == crust_sandbox.user_id


def test_a_crust_profile_needs_its_address() -> None:
    with pytest.raises(ValueError, match="base_url"):
        ProfileConfig(backend="crust", user_id="1")
    with pytest.raises(ValueError, match="Pipedrive settings"):
        ProfileConfig(backend="crust", base_url="https://crm.example.com", plan="lite")


def test_the_command_line_takes_crust() -> None:
    args = build_parser(["--backend", "crust", "--base-url", "http://127.0.0.1:1"]).parse_args(
        ["--backend", "crust", "--base-url", "http://127.0.0.1:1"])
    assert args.backend == "crust"
    login_args = build_parser(["login", "--backend", "crust"]).parse_args(["login", "--backend", "crust"])
    assert login_args.command == "login" and login_args.backend == "crust"


def test_the_crust_demo_sandbox_starts_serves_and_stops(tmp_path: Path) -> None:
    with demo_sandbox(data=tmp_path / "demo-crust.sqlite3", timeout=HANG_GUARD, backend="crust") as connection:
        assert connection.backend == "crust" and connection.api_key.count(".") == 2 and connection.user_id.isdigit()

        async def connect() -> str:
            backend = create_backend(connection)
            try:
                account = await backend.connect()
            finally:
                await backend.close()
            return account.user.id

        assert asyncio.run(connect()) == connection.user_id


def test_password_login_where_the_servers_login_works(crust_sandbox) -> None:
    crust_sandbox.options.login_works = True  # a later server than the spec's
    system = f"{crust_sandbox.base_url}/system"
    code, out, err = login(crust_sandbox.base_url, f"\n{system}\ntom\nwrong\n\n\ntom\n{crust_sandbox.password}\n")
    assert code == 0, err
    assert "refused the username or password" in err and "Password doesn't match" in err
    assert out.startswith("Logged in to Crust as user ")
    profile = load_config().profiles["crm"]
    assert profile.system_url == system and profile.api_key is not None and crust_sandbox.password not in profile.api_key.get_secret_value()
    assert crust_sandbox.password not in out + err


def test_password_login_on_the_spec_dates_server_says_to_paste_a_token(crust_sandbox) -> None:
    code, out, err = login(crust_sandbox.base_url, f"\n{crust_sandbox.base_url}/system\ntom\n{crust_sandbox.password}\n")
    assert code == 1 and out == ""
    assert "password login does not work" in err and "paste a token instead" in err
    assert "crm" not in load_config().profiles


def test_crust_keeps_its_local_files_and_demo_data_apart() -> None:
    from crmtui.demo import demo_database
    from crmtui.service.local import local_files

    crust = local_files("https://crm.example.com", "1", profile="crm", backend="crust")
    onepage = local_files("https://crm.example.com", "1", profile="crm")
    assert crust.owner != onepage.owner  # the same address and user id on another backend: another account
    assert local_files("http://127.0.0.1:1", "1", demo=True, backend="crust").folder == "demo-crust"
    assert demo_database(backend="crust").name == "demo-crust.sqlite3"

"""`crmtui login --backend pipedrive` against the real Pipedrive sandbox, and `--demo --backend pipedrive`."""

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
from crmtui.config import load_config, resolve_connection
from crmtui.demo import demo_sandbox
from crmtui.login import run_login
from tests.support.waits import HANG_GUARD


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for name in ("ONEPAGECRM_USER_ID", "ONEPAGECRM_API_KEY", "CRMTUI_BASE_URL", "PIPEDRIVE_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CRMTUI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("CRMTUI_DATA_DIR", str(tmp_path / "data"))
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def login(base_url: str | None, text: str, profile: str | None = "pd") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_login(
        profile=profile, base_url=base_url, stdin=io.StringIO(text), stdout=out, stderr=err, env={}, backend="pipedrive"
    )
    return code, out.getvalue(), err.getvalue()


def test_pipedrive_login_checks_the_token_and_saves_a_private_profile(pipedrive_sandbox) -> None:
    token = pipedrive_sandbox.api_token
    code, out, err = login(pipedrive_sandbox.base_url, f"{token}\n")
    assert code == 0, err
    assert out.startswith("Logged in to Pipedrive as Alex Morgan (profile pd)")
    assert token not in out + err
    cfg = load_config()
    profile = cfg.profiles["pd"]
    assert (cfg.active_profile, profile.backend, profile.user_id) == ("pd", "pipedrive", "12000001")
    path = Path(os.environ["CRMTUI_CONFIG_DIR"]) / "config.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # the token is in it (no keyring here)
    connection = resolve_connection(cfg, env={})
    assert (connection.backend, connection.base_url, connection.api_key) == ("pipedrive", pipedrive_sandbox.base_url, token)


def test_a_wrong_token_is_asked_again_then_refused_and_nothing_saved(pipedrive_sandbox) -> None:
    code, out, err = login(pipedrive_sandbox.base_url, "wrong\nwrong again\nstill wrong\n")
    assert code == 1 and out == ""
    assert err.count("Checking the token at") == 3 and "try again" in err
    assert "pd" not in load_config().profiles


def test_a_wrong_token_then_the_right_one(pipedrive_sandbox) -> None:
    code, out, err = login(pipedrive_sandbox.base_url, f"wrong\n{pipedrive_sandbox.api_token}\n")
    assert code == 0, err
    assert "try again" in err and out.startswith("Logged in to Pipedrive")


def test_a_onepagecrm_profile_is_not_overwritten(pipedrive_sandbox, sandbox) -> None:
    code = run_login(
        profile="work", base_url=sandbox.base_url, stdin=io.StringIO(f"{sandbox.user_id}\n{sandbox.api_key}\n"),
        stdout=io.StringIO(), stderr=io.StringIO(), env={},
    )
    assert code == 0
    code, _out, err = login(pipedrive_sandbox.base_url, f"{pipedrive_sandbox.api_token}\n", profile="work")
    assert code == 1 and "is not a Pipedrive profile but a OnePageCRM one" in err
    assert load_config().profiles["work"].backend == "onepagecrm"


def test_the_pipedrive_demo_sandbox_starts_serves_and_stops(tmp_path: Path) -> None:
    with demo_sandbox(data=tmp_path / "demo-pipedrive.sqlite3", timeout=HANG_GUARD, backend="pipedrive") as connection:
        assert connection.backend == "pipedrive" and connection.api_key

        async def connect() -> str:
            backend = create_backend(connection)
            try:
                account = await backend.connect()
            finally:
                await backend.close()
            return account.user.name

        assert asyncio.run(connect()) == "Alex Morgan"


def test_an_address_that_is_no_pipedrive_api_names_pipedrive_not_another_crm(crust_sandbox) -> None:
    code, _out, err = login(crust_sandbox.base_url + "/api/v1", "a-token\n")
    assert code == 1
    assert "Pipedrive API" in err and "Crust" not in err and "OnePageCRM" not in err

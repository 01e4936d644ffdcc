"""Profiles of several backends: which one a connection uses, Pipedrive's settings and token, and the
local folders that keep their caches apart."""

from __future__ import annotations

import keyring
import pytest
from keyring.backends import fail
from pydantic import SecretStr

from crmtui.config import (
    PIPEDRIVE_BASE_URL,
    AppConfig,
    ConfigError,
    ProfileConfig,
    config_to_toml,
    load_config,
    profile_in_use,
    resolve_connection,
    save_config,
)
from crmtui.service.local import local_files

TOKEN = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(autouse=True)
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())


def two_backends(active: str = "work") -> AppConfig:
    return AppConfig(
        active_profile=active,
        profiles={
            "work": ProfileConfig(user_id="u1", api_key=SecretStr("k1")),
            "pd": ProfileConfig(backend="pipedrive", company_domain="acme", user_id="42", api_key=SecretStr(TOKEN),
                                plan="growth", seats=3),
        },
    )


def test_a_pipedrive_profile_gives_its_company_address_token_and_plan() -> None:
    conn = resolve_connection(two_backends(), profile="pd", env={})
    assert (conn.backend, conn.base_url, conn.api_key, conn.plan, conn.seats) == (
        "pipedrive", "https://acme.pipedrive.com/api/v1", TOKEN, "growth", 3,
    )


def test_backend_picks_the_profile_of_that_backend_over_the_active_one() -> None:
    assert resolve_connection(two_backends(), backend="pipedrive", env={}).backend == "pipedrive"
    assert resolve_connection(two_backends(), env={}).backend == "onepagecrm"  # the active profile's
    assert resolve_connection(two_backends(active="pd"), env={}).backend == "pipedrive"
    assert resolve_connection(two_backends(active="pd"), backend="onepagecrm", env={}).user_id == "u1"


def test_a_profile_of_another_backend_asked_by_name_is_refused() -> None:
    with pytest.raises(ConfigError, match="is a OnePageCRM profile, not Pipedrive"):
        resolve_connection(two_backends(), profile="work", backend="pipedrive", env={})


def test_pipedrive_api_token_beats_the_profile_and_needs_no_file() -> None:
    env = {"PIPEDRIVE_API_TOKEN": "env-token"}
    conn = resolve_connection(two_backends(), backend="pipedrive", env=env)
    assert (conn.api_key, conn.base_url) == ("env-token", "https://acme.pipedrive.com/api/v1")
    bare = resolve_connection(AppConfig(), backend="pipedrive", base_url="http://127.0.0.1:9/api/v1", env=env)
    assert (bare.backend, bare.base_url, bare.api_key) == ("pipedrive", "http://127.0.0.1:9/api/v1", "env-token")
    assert resolve_connection(AppConfig(), backend="pipedrive", env=env).base_url == PIPEDRIVE_BASE_URL
    assert profile_in_use(two_backends(), bare, None, env=env) is None  # the environment's: no profile's folder


def test_the_onepagecrm_variables_do_not_feed_pipedrive_nor_the_other_way() -> None:
    with pytest.raises(ConfigError, match="no Pipedrive API token"):
        resolve_connection(AppConfig(), backend="pipedrive", env={"ONEPAGECRM_USER_ID": "u", "ONEPAGECRM_API_KEY": "k"})
    with pytest.raises(ConfigError, match="no OnePageCRM credentials"):
        resolve_connection(AppConfig(), env={"PIPEDRIVE_API_TOKEN": "t"})


def test_profile_settings_are_checked_with_clear_messages(tmp_path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[profiles.pd]\nbackend = "pipedrive"\ncompany_domain = "acme.pipedrive.com/x"\n')
    with pytest.raises(ConfigError, match="not a Pipedrive company name"):
        load_config(path)
    path.write_text('[profiles.op]\nbackend = "onepagecrm"\nuser_id = "u"\nplan = "growth"\n')
    with pytest.raises(ConfigError, match="Pipedrive settings"):
        load_config(path)
    path.write_text('[profiles.op]\nbackend = "onepagecrm"\n')
    with pytest.raises(ConfigError, match="needs its user_id"):
        load_config(path)
    path.write_text('[profiles.x]\nbackend = "salesforce"\nuser_id = "u"\n')
    with pytest.raises(ConfigError, match="line 2"):
        load_config(path)


def test_a_pipedrive_profile_round_trips_through_the_file(tmp_path) -> None:
    path = tmp_path / "config.toml"
    save_config(two_backends(), path)
    again = load_config(path)
    assert again == two_backends()
    text = config_to_toml(again)
    assert 'company_domain = "acme"' in text and 'plan = "growth"' in text and "seats = 3" in text


def test_caches_of_different_backends_never_mix(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRMTUI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CRMTUI_DATA_DIR", str(tmp_path / "data"))
    onepage = local_files("http://127.0.0.1:9/api/v3", "", demo=True)
    pipedrive = local_files("http://127.0.0.1:9/api/v1", "", demo=True, backend="pipedrive")
    assert onepage.cache_path != pipedrive.cache_path and onepage.outbox_path != pipedrive.outbox_path
    assert onepage.owner != pipedrive.owner
    same_url = "http://127.0.0.1:9/api"
    assert local_files(same_url, "u").owner != local_files(same_url, "u", backend="pipedrive").owner
    # OnePageCRM's folders are what they always were (an outbox must not move under a person).
    assert onepage.cache_path.parent.name == "demo"

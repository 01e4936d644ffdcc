"""Settings file, connection precedence, and the keyring with its config-file fallback."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from pydantic import SecretStr

from crmtui import paths, secrets
from crmtui.config import (
    DEFAULT_BASE_URL,
    AppConfig,
    ConfigError,
    ProfileConfig,
    load_config,
    resolve_connection,
    save_config,
)
from crmtui.login import remember

SECRET = "c2VjcmV0LWtleS1kby1ub3Qtc2hvdw=="


class MemoryKeyring(KeyringBackend):
    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[(service, username)] = password

    def delete_password(self, service, username):
        del self.store[(service, username)]


class BrokenKeyring(KeyringBackend):
    """Looks usable, then raises on every call (like a locked or D-Bus-less Secret Service)."""

    priority = 1

    def get_password(self, service, username):
        raise RuntimeError("no D-Bus session")

    def set_password(self, service, username, password):
        raise RuntimeError("no D-Bus session")

    def delete_password(self, service, username):
        raise RuntimeError("no D-Bus session")


class ProbeOkThenBroken(MemoryKeyring):
    """Passes the probe but refuses to store."""

    def set_password(self, service, username, password):
        raise keyring.errors.PasswordSetError("locked")


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for name in ("ONEPAGECRM_USER_ID", "ONEPAGECRM_API_KEY", "CRMTUI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CRMTUI_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("CRMTUI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CRMTUI_CACHE_DIR", str(tmp_path / "cache"))
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def write(text: str) -> Path:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# -- paths ---------------------------------------------------------------------------------------


def test_paths_follow_env_overrides_and_do_not_create_dirs(tmp_path: Path) -> None:
    assert paths.config_dir() == tmp_path / "config"
    assert paths.data_dir() == tmp_path / "data"
    assert paths.cache_dir() == tmp_path / "cache"
    assert paths.config_file() == tmp_path / "config" / "config.toml"
    assert not (tmp_path / "config").exists()


def test_paths_default_to_platformdirs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRMTUI_CONFIG_DIR")
    assert paths.config_dir().name == "crmtui"


# -- file round trip -----------------------------------------------------------------------------


def test_missing_file_gives_defaults() -> None:
    cfg = load_config()
    assert cfg.refresh_seconds == 60
    assert cfg.profiles == {} and cfg.active_profile is None and cfg.theme is None


def test_round_trip_and_private_mode() -> None:
    cfg = AppConfig(
        active_profile="work",
        theme="nord",
        refresh_seconds=30,
        profiles={
            "work": ProfileConfig(user_id="u1", base_url="http://127.0.0.1:9/api/v3"),
            "home": ProfileConfig(user_id="u2", api_key=SecretStr(SECRET)),
        },
    )
    path = save_config(cfg)
    assert path == paths.config_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load_config()
    assert again == cfg
    assert again.profiles["home"].api_key.get_secret_value() == SECRET
    assert 'backend = "onepagecrm"' in path.read_text()
    assert [p.name for p in path.parent.iterdir()] == ["config.toml"]  # no temp files left


def test_save_tightens_an_existing_loose_file() -> None:
    path = write('theme = "x"\n')
    path.chmod(0o644)
    save_config(load_config())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_api_key_never_in_repr_str_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    cfg = AppConfig(profiles={"p": ProfileConfig(user_id="u", api_key=SecretStr(SECRET))})
    caplog.set_level(logging.DEBUG)
    logging.getLogger("crmtui.test").info("config %s %r", cfg, cfg.profiles["p"])
    for text in (repr(cfg), str(cfg), repr(cfg.profiles["p"]), caplog.text, str(cfg.model_dump())):
        assert SECRET not in text


def test_connection_repr_hides_api_key() -> None:
    conn = resolve_connection(AppConfig(), env={"ONEPAGECRM_USER_ID": "u", "ONEPAGECRM_API_KEY": SECRET})
    assert conn.api_key == SECRET
    assert SECRET not in repr(conn) and SECRET not in str(conn)


# -- malformed files -----------------------------------------------------------------------------


def test_malformed_toml_names_file_and_line() -> None:
    path = write('theme = "nord"\nrefresh_seconds = 30\nactive_profile = \n')
    with pytest.raises(ConfigError) as info:
        load_config()
    message = str(info.value)
    assert str(path) in message
    assert "line 3" in message
    assert "not valid TOML" in message


def test_wrong_type_names_the_key_and_line() -> None:
    path = write('theme = "nord"\nrefresh_seconds = "soon"\n')
    with pytest.raises(ConfigError) as info:
        load_config()
    message = str(info.value)
    assert str(path) in message and "refresh_seconds" in message and "line 2" in message
    assert "integer" in message


def test_wrong_type_inside_a_profile() -> None:
    write('active_profile = "w"\n\n[profiles.w]\nbase_url = "http://x"\nuser_id = 42\n')
    with pytest.raises(ConfigError) as info:
        load_config()
    message = str(info.value)
    assert "profiles.w.user_id" in message and "line 5" in message


def test_unknown_key_and_backend_are_reported() -> None:
    write('colour = "red"\n[profiles.w]\nbackend = "salesforce"\nuser_id = "u"\n')
    with pytest.raises(ConfigError) as info:
        load_config()
    message = str(info.value)
    assert "colour" in message and "line 1" in message
    assert "profiles.w.backend" in message and "line 3" in message


def test_secret_in_a_bad_file_is_not_echoed() -> None:
    write(f'[profiles.w]\nuser_id = "u"\napi_key = "{SECRET}"\nrefresh = 1\n')
    with pytest.raises(ConfigError) as info:
        load_config()
    assert SECRET not in str(info.value)


# -- choosing a connection -----------------------------------------------------------------------


def saved(**profile) -> AppConfig:
    return AppConfig(active_profile="work", profiles={"work": ProfileConfig(**profile)})


def test_profile_credentials_from_file_when_no_keyring() -> None:
    conn = resolve_connection(saved(user_id="u1", api_key=SecretStr("k1")), env={})
    assert (conn.backend, conn.base_url, conn.user_id, conn.api_key) == ("onepagecrm", DEFAULT_BASE_URL, "u1", "k1")


def test_env_credentials_override_profile_and_need_no_file() -> None:
    env = {"ONEPAGECRM_USER_ID": "env-u", "ONEPAGECRM_API_KEY": "env-k"}
    conn = resolve_connection(saved(user_id="u1", api_key=SecretStr("k1"), base_url="http://p"), env=env)
    assert (conn.user_id, conn.api_key, conn.base_url) == ("env-u", "env-k", "http://p")
    conn = resolve_connection(load_config(), env=env)
    assert (conn.user_id, conn.base_url) == ("env-u", DEFAULT_BASE_URL)


def test_half_set_env_credentials_are_an_error() -> None:
    with pytest.raises(ConfigError, match="ONEPAGECRM_API_KEY"):
        resolve_connection(AppConfig(), env={"ONEPAGECRM_USER_ID": "u"})


def test_base_url_precedence() -> None:
    cfg = saved(user_id="u1", api_key=SecretStr("k1"), base_url="http://profile")
    assert resolve_connection(cfg, env={}).base_url == "http://profile"
    assert resolve_connection(cfg, env={"CRMTUI_BASE_URL": "http://env"}).base_url == "http://env"
    assert resolve_connection(cfg, base_url="http://flag", env={"CRMTUI_BASE_URL": "http://env"}).base_url == (
        "http://flag"
    )


def test_profile_argument_picks_another_profile() -> None:
    cfg = saved(user_id="u1", api_key=SecretStr("k1"))
    cfg.profiles = {**cfg.profiles, "home": ProfileConfig(user_id="u2", api_key=SecretStr("k2"))}
    assert resolve_connection(cfg, profile="home", env={}).user_id == "u2"
    with pytest.raises(ConfigError, match="crmtui login --profile nope"):
        resolve_connection(cfg, profile="nope", env={})


def test_missing_credentials_tell_the_user_what_to_do() -> None:
    with pytest.raises(ConfigError) as info:
        resolve_connection(AppConfig(), env={})
    assert "crmtui login" in str(info.value) and "crmtui --demo" in str(info.value)
    with pytest.raises(ConfigError, match="crmtui login --profile work"):
        resolve_connection(saved(user_id="u1"), env={})


# -- keyring -------------------------------------------------------------------------------------


def test_key_goes_to_a_working_keyring_not_the_file() -> None:
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    cfg = AppConfig()
    assert remember(cfg, "work", "u1", SECRET, None) is True
    assert ring.store == {("crmtui", "work:u1"): SECRET}
    path = save_config(cfg)
    assert SECRET not in path.read_text()
    assert resolve_connection(load_config(), env={}).api_key == SECRET
    assert secrets.delete_api_key("work", "u1") is True
    assert ring.store == {}


@pytest.mark.parametrize("backend", [fail.Keyring(), BrokenKeyring(), ProbeOkThenBroken()], ids=lambda b: type(b).__name__)
def test_unusable_keyring_falls_back_to_the_file(backend: KeyringBackend) -> None:
    keyring.set_keyring(backend)
    cfg = AppConfig()
    assert remember(cfg, "work", "u1", SECRET, "http://x") is False
    path = save_config(cfg)
    assert f'api_key = "{SECRET}"' in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    conn = resolve_connection(load_config(), env={})
    assert (conn.user_id, conn.api_key, conn.base_url) == ("u1", SECRET, "http://x")
    assert secrets.load_api_key("work", "u1") is None
    assert secrets.delete_api_key("work", "u1") is False


def test_broken_keyring_is_not_usable() -> None:
    keyring.set_keyring(BrokenKeyring())
    assert secrets.keyring_available() is False
    keyring.set_keyring(MemoryKeyring())
    assert secrets.keyring_available() is True

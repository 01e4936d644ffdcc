"""Credentials go over https, or plain http to this machine only, unless the person opts in."""

from __future__ import annotations

import re

import pytest
from pydantic import SecretStr

from crmtui.backends.address import InsecureAddress, check_address, is_loopback, unencrypted
from crmtui.config import AppConfig, ProfileConfig, config_to_toml, resolve_connection


@pytest.mark.parametrize("host", ["127.0.0.1", "127.9.9.9", "localhost", "LOCALHOST", "[::1]", "::1"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize(
    "host", ["example.com", "10.0.0.1", "192.168.1.2", "127.0.0.1.nip.io", "localhost.evil.com", "app.localhost", ""]
)
def test_other_hosts(host: str) -> None:
    assert not is_loopback(host)


def test_https_anywhere_and_plain_http_to_this_machine_only() -> None:
    check_address("https://app.onepagecrm.com/api/v3")
    check_address("http://127.0.0.1:8765/api/v3")  # the sandbox
    check_address("http://localhost:8765/api/v3")
    with pytest.raises(InsecureAddress, match=re.escape("unencrypted to crm.example.com: use an https:// address")):
        check_address("http://crm.example.com/api/v3")
    check_address("http://crm.example.com/api/v3", allow_insecure_http=True)  # the person's explicit choice


@pytest.mark.parametrize("url", ["ftp://crm.example.com/", "crm.example.com/api", "https://", "http:///api"])
def test_not_an_http_address(url: str) -> None:
    with pytest.raises(InsecureAddress, match="must start with https://"):
        check_address(url, allow_insecure_http=True)


def test_unencrypted() -> None:
    assert unencrypted("http://crm.example.com/api/v3")
    assert unencrypted("HTTP://crm.example.com/api/v3")
    assert not unencrypted("https://crm.example.com/api/v3")
    assert not unencrypted("http://127.0.0.1:9/api/v3")


def _cfg(**profile) -> AppConfig:
    return AppConfig(active_profile="w", profiles={"w": ProfileConfig(user_id="u", api_key=SecretStr("k"), **profile)})


def test_opting_in_from_the_command_line_the_environment_or_the_profile(monkeypatch) -> None:
    monkeypatch.setattr("crmtui.secrets.load_api_key", lambda *a: None)
    url = "http://crm.example.com/api/v3"
    assert not resolve_connection(_cfg(base_url=url), env={}).allow_insecure_http
    assert resolve_connection(_cfg(base_url=url), env={}, allow_insecure_http=True).allow_insecure_http
    assert resolve_connection(_cfg(base_url=url), env={"CRMTUI_ALLOW_INSECURE_HTTP": "1"}).allow_insecure_http
    saved = _cfg(base_url=url, allow_insecure_http=True)
    assert resolve_connection(saved, env={}).allow_insecure_http
    # the profile's opt-in is for its own address and key only
    assert not resolve_connection(saved, base_url="http://elsewhere.example/api/v3", env={}).allow_insecure_http
    assert not resolve_connection(saved, env={"CRMTUI_BASE_URL": "http://elsewhere.example/api/v3"}).allow_insecure_http
    env_key = {"ONEPAGECRM_USER_ID": "u2", "ONEPAGECRM_API_KEY": "k2"}
    assert not resolve_connection(saved, env=env_key).allow_insecure_http
    assert "allow_insecure_http = true" in config_to_toml(saved)
    assert "allow_insecure_http" not in config_to_toml(_cfg(base_url=url))


async def test_the_http_layer_refuses_to_carry_credentials_in_clear() -> None:
    """Every backend's client goes through ApiHttp: the check holds for all of them."""
    from crmtui.backends.onepagecrm.client import OnePageCRMClient

    with pytest.raises(InsecureAddress):
        OnePageCRMClient("u", "k", base_url="http://crm.example.com/api/v3")
    async with OnePageCRMClient("u", "k", base_url="http://crm.example.com/api/v3", allow_insecure_http=True):
        pass
    async with OnePageCRMClient("u", "k", base_url="http://127.0.0.1:9/api/v3"):
        pass

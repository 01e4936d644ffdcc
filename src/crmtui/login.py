"""`crmtui login`: ask for a user id and API key, check them against /bootstrap, save a profile."""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from pydantic import SecretStr

from crmtui import secrets
from crmtui.backends.address import InsecureAddress, check_address, unencrypted
from crmtui.backends.errors import BackendError
from crmtui.config import (
    DEFAULT_BASE_URL,
    DEFAULT_PROFILE,
    AppConfig,
    ConfigError,
    ProfileConfig,
    load_config,
    save_config,
)
from crmtui.connection_help import API_KEY_HELP, explain
from crmtui.domain.text import inert_line, inert_text


class LoginFailed(Exception):
    """The credentials could not be confirmed; the message is meant for the user."""


def display_name(bootstrap: Any, fallback: str) -> str:
    """The signed-in user's name from a /bootstrap answer, tolerant of its exact shape."""
    data: Any = bootstrap
    if hasattr(data, "model_dump"):
        data = data.model_dump()
    if not isinstance(data, dict):
        return fallback
    user = data.get("user") or (data.get("data") or {}).get("user") or {}
    if isinstance(user, dict) and isinstance(user.get("user"), dict):
        user = user["user"]
    if not isinstance(user, dict):
        return fallback
    name = " ".join(str(p) for p in (user.get("first_name"), user.get("last_name")) if p)
    return name or str(user.get("email") or fallback)


async def check_credentials(
    user_id: str, api_key: str, base_url: str, *, transport: Any = None, allow_insecure_http: bool = False
) -> str:
    """GET /bootstrap with the credentials; the user's display name, or LoginFailed.

    `transport`: an httpx transport to use instead of the network (as `OnePageCRMClient` takes one).
    """
    from crmtui.backends.onepagecrm.client import OnePageCRMClient

    extra = {"transport": transport} if transport is not None else {}
    try:
        async with OnePageCRMClient(
            user_id, api_key, base_url=base_url, allow_insecure_http=allow_insecure_http, **extra
        ) as client:
            bootstrap = await client.bootstrap()
    except BackendError as exc:
        raise LoginFailed(explain(exc, base_url)) from None
    return display_name(bootstrap, user_id)


def remember(
    cfg: AppConfig, profile: str, user_id: str, api_key: str, base_url: str | None, *, allow_insecure_http: bool = False
) -> bool:
    """Put the profile in `cfg` and make it active; True if the key went to the OS keyring."""
    previous = cfg.profiles.get(profile)
    if previous is not None and previous.user_id != user_id:
        secrets.delete_api_key(profile, previous.user_id)
    in_keyring = secrets.store_api_key(profile, user_id, api_key)
    profiles = dict(cfg.profiles)
    profiles[profile] = ProfileConfig(
        base_url=base_url,
        user_id=user_id,
        api_key=None if in_keyring else SecretStr(api_key),
        allow_insecure_http=allow_insecure_http,
    )
    cfg.profiles = profiles
    cfg.active_profile = profile
    return in_keyring


def _ask(prompt: str, stdin: TextIO, stderr: TextIO, secret: bool) -> str:
    if secret and stdin.isatty():
        return getpass.getpass(prompt, stream=stderr)
    if stdin.isatty():
        stderr.write(prompt)
        stderr.flush()
    line = stdin.readline()
    if not line:
        raise LoginFailed("no input: expected a user id and an API key")
    return line.strip()


def run_login(
    profile: str | None = None,
    base_url: str | None = None,
    *,
    config_path: Path | None = None,
    env: Mapping[str, str] = os.environ,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    allow_insecure_http: bool = False,
) -> int:
    """Interactive when stdin is a terminal; otherwise reads two lines: user id, then API key."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    cfg = load_config(config_path)
    name = profile or cfg.active_profile or DEFAULT_PROFILE
    existing = cfg.profiles.get(name)
    chosen_url = base_url or env.get("CRMTUI_BASE_URL", "").strip() or (existing.base_url if existing else None)
    url = chosen_url or DEFAULT_BASE_URL

    if stdin.isatty():
        stderr.write(f"Sign in to {url} (profile {name}). Find your keys in {API_KEY_HELP}.\n")
    try:
        # The profile's earlier opt-in holds for the address it was given for, not a new one.
        insecure = allow_insecure_http or bool(existing and existing.allow_insecure_http and existing.base_url == url)
        try:
            check_address(url, allow_insecure_http=insecure)
        except InsecureAddress as exc:
            raise LoginFailed(exc.message[:1].lower() + exc.message[1:]) from None
        if unencrypted(url):
            stderr.write(inert_line(f"Warning: {url} is plain http: the API key will cross the network unencrypted") + "\n")
        user_id = _ask("User id: ", stdin, stderr, secret=False)
        api_key = _ask("API key: ", stdin, stderr, secret=True)
        if not user_id or not api_key:
            raise LoginFailed("both a user id and an API key are needed")
        # A throttled or slow server can take half a minute (retries with backoff): say what is going on.
        stderr.write(f"Checking the credentials at {url}…\n")
        stderr.flush()
        who = asyncio.run(check_credentials(user_id, api_key, url, allow_insecure_http=insecure))
    except LoginFailed as exc:
        stderr.write(inert_text(f"crmtui login: {exc}") + "\n")
        return 1

    in_keyring = remember(cfg, name, user_id, api_key, chosen_url, allow_insecure_http=insecure and unencrypted(url))
    try:
        written = save_config(cfg, config_path)
    except ConfigError:
        if in_keyring:
            secrets.delete_api_key(name, user_id)
        raise
    where = "the system keyring" if in_keyring else f"{written} (no usable keyring)"
    stdout.write(inert_line(f"Logged in as {who} (profile {name})") + "\n")
    stderr.write(f"API key saved in {where}.\n")
    return 0

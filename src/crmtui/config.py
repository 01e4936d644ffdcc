"""The settings file (config.toml) and how a connection is chosen from it and the environment.

Precedence for a connection: ONEPAGECRM_USER_ID + ONEPAGECRM_API_KEY in the environment beat the
profile's credentials; --base-url beats CRMTUI_BASE_URL beats the profile's base_url. With credentials
in the environment no config file is needed.
"""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from crmtui import paths

if TYPE_CHECKING:
    from crmtui.backends.registry import Connection

DEFAULT_BASE_URL = "https://app.onepagecrm.com/api/v3"
DEFAULT_PROFILE = "default"
DEFAULT_REFRESH_SECONDS = 60

LOGIN_HINT = "run `crmtui login` to sign in, or `crmtui --demo` to try the built-in sandbox"


class ConfigError(Exception):
    """Anything wrong with the settings or credentials; the message is meant for the user."""


class ProfileConfig(BaseModel):
    """One saved account. `api_key` is only kept here when no OS keyring is usable."""

    model_config = ConfigDict(extra="forbid", strict=True)

    backend: Literal["onepagecrm"] = "onepagecrm"
    base_url: str | None = None
    user_id: str
    api_key: SecretStr | None = None
    allow_insecure_http: bool = False
    """Send the credentials over plain http to another machine (the app warns on every screen)."""


class AppConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, validate_assignment=True)

    active_profile: str | None = None
    theme: str | None = None
    refresh_seconds: int = Field(default=DEFAULT_REFRESH_SECONDS, ge=0)
    profiles: dict[str, ProfileConfig] = Field(default_factory=dict)


def _connection_class() -> type[Connection]:
    from crmtui.backends.registry import Connection

    return Connection


# -- reading -------------------------------------------------------------------------------------

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def _describe_toml_error(path: Path, exc: tomllib.TOMLDecodeError) -> str:
    text = str(exc)
    match = _TOML_POSITION.search(text)
    if match:
        reason = text[: match.start()]
        return f"{path}, line {match.group(1)}, column {match.group(2)}: not valid TOML: {reason}"
    return f"{path}: not valid TOML: {text}"


def _find_line(text: str, loc: tuple[Any, ...]) -> int | None:
    """Best-effort line of the key a validation error points at (tomllib keeps no positions)."""
    keys = [str(part) for part in loc]
    if not keys:
        return None
    lines = text.splitlines()
    # A key inside a table: look for its [a.b] header, then the key below it.
    for split in range(len(keys) - 1, -1, -1):
        table, rest = keys[:split], keys[split:]
        start = 0
        if table:
            header = re.compile(
                r"^\s*\[\s*" + r"\s*\.\s*".join(rf"\"?{re.escape(k)}\"?" for k in table) + r"\s*\]\s*(#.*)?$"
            )
            found = [i for i, line in enumerate(lines) if header.match(line)]
            if not found:
                continue
            start = found[0] + 1
            if not rest:
                return start
        key = re.compile(
            r"^\s*" + r"\s*\.\s*".join(rf"\"?{re.escape(k)}\"?" for k in rest) + r"\s*="
        )
        for i in range(start, len(lines)):
            if i > start and table and lines[i].lstrip().startswith("["):
                break
            if not table and lines[i].lstrip().startswith("["):
                break
            if key.match(lines[i]):
                return i + 1
    return None


def _describe_validation_error(path: Path, text: str, exc: ValidationError) -> str:
    problems = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = tuple(err["loc"])
        key = ".".join(str(p) for p in loc) or "(top level)"
        line = _find_line(text, loc)
        where = f"line {line}: " if line else ""
        problems.append(f"{where}{key}: {err['msg']}")
    return f"{path}: invalid settings: " + "; ".join(problems)


def load_config(path: Path | None = None) -> AppConfig:
    """Read the settings file; a missing file gives the defaults."""
    path = path or paths.config_file()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return AppConfig()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_describe_toml_error(path, exc)) from None
    try:
        return AppConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe_validation_error(path, text, exc)) from None


# -- writing -------------------------------------------------------------------------------------


def config_to_toml(cfg: AppConfig) -> str:
    data: dict[str, Any] = {}
    for key in ("active_profile", "theme"):
        value = getattr(cfg, key)
        if value is not None:
            data[key] = value
    data["refresh_seconds"] = cfg.refresh_seconds
    profiles: dict[str, Any] = {}
    for name, profile in cfg.profiles.items():
        entry: dict[str, Any] = {"backend": profile.backend}
        if profile.base_url is not None:
            entry["base_url"] = profile.base_url
        entry["user_id"] = profile.user_id
        if profile.allow_insecure_http:
            entry["allow_insecure_http"] = True
        if profile.api_key is not None:
            entry["api_key"] = profile.api_key.get_secret_value()
        profiles[name] = entry
    if profiles:
        data["profiles"] = profiles
    return tomli_w.dumps(data)


def save_config(cfg: AppConfig, path: Path | None = None) -> Path:
    """Write atomically (temp file + os.replace), readable by the user only (0600)."""
    path = path or paths.config_file()
    body = config_to_toml(cfg).encode("utf-8")
    try:
        paths.ensure_dir(path.parent)
        if path.exists():
            os.chmod(path, 0o600)
        fd, tmp_name = tempfile.mkstemp(prefix=".config-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                if hasattr(os, "fchmod"):  # mkstemp already uses 0600 on POSIX; be explicit
                    os.fchmod(handle.fileno(), 0o600)
                handle.write(body)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, path)
        except BaseException:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass
            raise
        os.chmod(path, 0o600)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


# -- choosing a connection -----------------------------------------------------------------------


def _yes(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def resolve_connection(
    cfg: AppConfig,
    profile: str | None = None,
    base_url: str | None = None,
    env: Mapping[str, str] = os.environ,
    *,
    allow_insecure_http: bool = False,
) -> Connection:
    """The Connection to use, from (in order) the environment, the command line and the profile.

    Plain http to another machine is allowed by `allow_insecure_http` (the command line),
    CRMTUI_ALLOW_INSECURE_HTTP=1 or the profile's `allow_insecure_http`; the client refuses it otherwise.
    """
    Connection = _connection_class()
    env_user = env.get("ONEPAGECRM_USER_ID", "").strip()
    env_key = env.get("ONEPAGECRM_API_KEY", "").strip()
    env_url = env.get("CRMTUI_BASE_URL", "").strip()
    if bool(env_user) != bool(env_key):
        missing = "ONEPAGECRM_API_KEY" if env_user else "ONEPAGECRM_USER_ID"
        raise ConfigError(f"{missing} is not set; set both ONEPAGECRM_USER_ID and ONEPAGECRM_API_KEY, or {LOGIN_HINT}")

    name = profile or cfg.active_profile
    chosen = cfg.profiles.get(name) if name else None
    if name and chosen is None and profile and not env_user:
        raise ConfigError(f"no profile named {profile!r}; run `crmtui login --profile {profile}` to create it")
    if chosen is None and name is None and len(cfg.profiles) == 1 and not env_user:
        name, chosen = next(iter(cfg.profiles.items()))

    url = base_url or env_url or (chosen.base_url if chosen else None) or DEFAULT_BASE_URL
    backend = chosen.backend if chosen else "onepagecrm"
    # A profile's opt-in is for its own address and its own key: not for another --base-url, nor
    # for credentials from the environment.
    saved_opt_in = chosen is not None and chosen.allow_insecure_http and url == chosen.base_url and not env_user
    insecure = allow_insecure_http or _yes(env.get("CRMTUI_ALLOW_INSECURE_HTTP")) or saved_opt_in

    if env_user:
        return Connection(
            backend=backend, base_url=url, user_id=env_user, api_key=env_key, allow_insecure_http=insecure
        )
    if chosen is None or name is None:  # (a profile is always chosen by its name)
        raise ConfigError(f"no OnePageCRM credentials: {LOGIN_HINT}")

    from crmtui import secrets

    api_key = secrets.load_api_key(name, chosen.user_id)
    if api_key is None and chosen.api_key is not None:
        api_key = chosen.api_key.get_secret_value()
    if not api_key:
        raise ConfigError(f"no API key stored for profile {name!r}: run `crmtui login --profile {name}`")
    return Connection(
        backend=backend, base_url=url, user_id=chosen.user_id, api_key=api_key, allow_insecure_http=insecure
    )

"""The settings file (config.toml) and how a connection is chosen from it and the environment.

A profile names its backend (`backend = "onepagecrm"`, the default, `"pipedrive"` or `"crust"`);
`--backend` picks one on the command line. Precedence for a connection: the backend's credentials in
the environment (ONEPAGECRM_USER_ID + ONEPAGECRM_API_KEY; PIPEDRIVE_API_TOKEN; CRUST_JWT) beat the
profile's; --base-url beats CRMTUI_BASE_URL beats the profile's base_url (a Pipedrive profile's
company_domain gives https://DOMAIN.pipedrive.com/api/v1; Crust has no default address: CRUST_BASE_URL
comes after the profile's). With credentials in the environment no config file is needed.
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
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from crmtui import paths

if TYPE_CHECKING:
    from crmtui.backends.registry import Connection

DEFAULT_BASE_URL = "https://app.onepagecrm.com/api/v3"
PIPEDRIVE_BASE_URL = "https://api.pipedrive.com/v1"
"""Pipedrive's API for any company when no company domain is known."""
BACKENDS = ("onepagecrm", "pipedrive", "crust")
BackendName = Literal["onepagecrm", "pipedrive", "crust"]
BACKEND_TITLES = {"onepagecrm": "OnePageCRM", "pipedrive": "Pipedrive", "crust": "Crust"}
DEFAULT_PROFILE = "default"
DEFAULT_REFRESH_SECONDS = 60

LOGIN_HINT = "run `crmtui login` to sign in, or `crmtui --demo` to try the built-in sandbox"


class ConfigError(Exception):
    """Anything wrong with the settings or credentials; the message is meant for the user."""


class ProfileConfig(BaseModel):
    """One saved account. `api_key` is only kept here when no OS keyring is usable."""

    model_config = ConfigDict(extra="forbid", strict=True)

    backend: BackendName = "onepagecrm"
    base_url: str | None = None
    user_id: str = ""
    """OnePageCRM: the user id of the credentials; Pipedrive, Crust: the signed-in user's id (for the keyring entry)."""
    api_key: SecretStr | None = None
    """OnePageCRM's API key, Pipedrive's API token or Crust's JWT."""
    allow_insecure_http: bool = False
    """Send the credentials over plain http to another machine (the app warns on every screen)."""
    company_domain: str | None = None
    """Pipedrive: the company's subdomain (acme for acme.pipedrive.com)."""
    plan: Literal["lite", "growth", "premium", "ultimate"] | None = None
    """Pipedrive: the plan, which sets the rate window and the daily token budget (unknown: learned from the server)."""
    seats: int | None = Field(default=None, ge=1)
    """Pipedrive: seats bought (the daily token budget grows with them)."""
    system_url: str | None = None
    """Crust: the system API's address, for a password login where the server's /auth/login works."""

    @model_validator(mode="after")
    def _complete(self) -> ProfileConfig:
        if self.backend == "onepagecrm" and not self.user_id:
            raise ValueError("a OnePageCRM profile needs its user_id")
        if self.backend != "pipedrive" and (self.company_domain or self.plan or self.seats):
            raise ValueError("company_domain, plan and seats are Pipedrive settings (backend = \"pipedrive\")")
        if self.backend != "crust" and self.system_url:
            raise ValueError("system_url is a Crust setting (backend = \"crust\")")
        if self.backend == "crust" and not self.base_url:
            raise ValueError("a Crust profile needs its base_url (the CRM API's address, e.g. https://crm.example.com/api/crm)")
        if self.company_domain is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]{0,62}", self.company_domain):
            raise ValueError(f"company_domain {self.company_domain!r} is not a Pipedrive company name (acme for acme.pipedrive.com)")
        return self


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
        if profile.user_id:
            entry["user_id"] = profile.user_id
        if profile.allow_insecure_http:
            entry["allow_insecure_http"] = True
        for key in ("company_domain", "plan", "seats", "system_url"):
            if getattr(profile, key) is not None:
                entry[key] = getattr(profile, key)
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


def pipedrive_url(company_domain: str | None) -> str:
    return f"https://{company_domain}.pipedrive.com/api/v1" if company_domain else PIPEDRIVE_BASE_URL


def jwt_subject(token: str) -> str:
    """The user id a Crust JWT names ('' when it is no JWT: the server then refuses it in its own words)."""
    from crmtui.backends.crust.token import NotAToken, read_token

    try:
        return read_token(token).subject
    except NotAToken:
        return ""


def _profile_for(
    cfg: AppConfig, profile: str | None, backend: str | None, env_credentials: bool
) -> tuple[str | None, ProfileConfig | None]:
    """The profile to use (by name, the active one, or the only one of the backend) and its name."""
    name = profile or cfg.active_profile
    chosen = cfg.profiles.get(name) if name else None
    if name and chosen is None and profile and not env_credentials:
        raise ConfigError(f"no profile named {profile!r}; run `crmtui login --profile {profile}` to create it")
    if chosen is not None and backend is not None and chosen.backend != backend:
        if profile:
            raise ConfigError(
                f"profile {profile!r} is a {BACKEND_TITLES[chosen.backend]} profile, not {BACKEND_TITLES.get(backend, backend)}"
            )
        name, chosen = None, None  # the active profile is another backend's: look for one of this backend
    if chosen is None and not profile and (not env_credentials or backend is not None):
        fitting = [(n, p) for n, p in cfg.profiles.items() if backend is None or p.backend == backend]
        if len(fitting) == 1 and (name is None or backend is not None):
            name, chosen = fitting[0]
    return (name, chosen) if chosen is not None else (None, None)


def resolve_connection(
    cfg: AppConfig,
    profile: str | None = None,
    base_url: str | None = None,
    env: Mapping[str, str] = os.environ,
    *,
    backend: str | None = None,
    allow_insecure_http: bool = False,
) -> Connection:
    """The Connection to use, from (in order) the environment, the command line and the profile.

    `backend` (--backend): which CRM; by default the profile's, else OnePageCRM. Plain http to
    another machine is allowed by `allow_insecure_http` (the command line), CRMTUI_ALLOW_INSECURE_HTTP=1
    or the profile's `allow_insecure_http`; the client refuses it otherwise.
    """
    if backend is not None and backend not in BACKENDS:
        raise ConfigError(f"unknown backend {backend!r}: one of {', '.join(BACKENDS)}")
    env_user = env.get("ONEPAGECRM_USER_ID", "").strip()
    env_key = env.get("ONEPAGECRM_API_KEY", "").strip()
    env_token = env.get("PIPEDRIVE_API_TOKEN", "").strip()
    env_jwt = env.get("CRUST_JWT", "").strip()
    env_url = env.get("CRMTUI_BASE_URL", "").strip()
    onepage_env = backend in (None, "onepagecrm") and bool(env_user or env_key)
    if onepage_env and bool(env_user) != bool(env_key):
        missing = "ONEPAGECRM_API_KEY" if env_user else "ONEPAGECRM_USER_ID"
        raise ConfigError(f"{missing} is not set; set both ONEPAGECRM_USER_ID and ONEPAGECRM_API_KEY, or {LOGIN_HINT}")
    pipedrive_env = backend == "pipedrive" and bool(env_token)
    crust_env = backend == "crust" and bool(env_jwt)

    name, chosen = _profile_for(cfg, profile, backend, onepage_env or pipedrive_env or crust_env)
    kind = backend or (chosen.backend if chosen else "onepagecrm")
    default_url: str | None = DEFAULT_BASE_URL
    if kind == "pipedrive":
        domain = env.get("PIPEDRIVE_COMPANY_DOMAIN", "").strip() or (chosen.company_domain if chosen else None)
        default_url = pipedrive_url(domain)
    elif kind == "crust":
        default_url = env.get("CRUST_BASE_URL", "").strip() or None  # no public Crust server to fall back to
    url = base_url or env_url or (chosen.base_url if chosen else None) or default_url
    if kind == "crust":
        crust_env = bool(env_jwt)  # CRUST_JWT beats a Crust profile's token too
    from_env = {"pipedrive": pipedrive_env, "crust": crust_env}.get(kind, onepage_env)
    if url is None:
        raise ConfigError(
            "no Crust address: give --base-url, set CRUST_BASE_URL, or run `crmtui login --backend crust`"
        )
    # A profile's opt-in is for its own address and its own key: not for another --base-url, nor
    # for credentials from the environment.
    saved_opt_in = chosen is not None and chosen.allow_insecure_http and url == chosen.base_url and not from_env
    insecure = allow_insecure_http or _yes(env.get("CRMTUI_ALLOW_INSECURE_HTTP")) or saved_opt_in
    Connection = _connection_class()
    plan = chosen.plan if chosen is not None and kind == "pipedrive" else None
    seats = chosen.seats if chosen is not None and kind == "pipedrive" else None

    if from_env:
        if kind == "crust":
            user, key = jwt_subject(env_jwt), env_jwt
        else:
            user, key = ("", env_token) if kind == "pipedrive" else (env_user, env_key)
        return Connection(backend=kind, base_url=url, user_id=user, api_key=key, allow_insecure_http=insecure)
    if chosen is None or name is None:  # (a profile is always chosen by its name)
        if kind == "crust":
            raise ConfigError(
                "no Crust token: set CRUST_JWT (with --base-url or CRUST_BASE_URL), run `crmtui login --backend crust`, "
                "or `crmtui --demo --backend crust` to try the built-in sandbox"
            )
        if kind == "pipedrive":
            raise ConfigError(
                "no Pipedrive API token: set PIPEDRIVE_API_TOKEN, run `crmtui login --backend pipedrive`, "
                "or `crmtui --demo --backend pipedrive` to try the built-in sandbox"
            )
        raise ConfigError(f"no OnePageCRM credentials: {LOGIN_HINT}")

    from crmtui import secrets

    api_key = secrets.load_api_key(name, chosen.user_id)
    if api_key is None and chosen.api_key is not None:
        api_key = chosen.api_key.get_secret_value()
    if not api_key:
        what = {"pipedrive": "API token", "crust": "token (JWT)"}.get(kind, "API key")
        login = f"crmtui login --backend {kind} --profile {name}" if kind != "onepagecrm" else f"crmtui login --profile {name}"
        raise ConfigError(f"no {what} stored for profile {name!r}: run `{login}`")
    return Connection(
        backend=kind, base_url=url, user_id=chosen.user_id, api_key=api_key, allow_insecure_http=insecure,
        plan=plan, seats=seats,
    )


def profile_in_use(cfg: AppConfig, connection: Connection, asked: str | None, env: Mapping[str, str] = os.environ) -> str | None:
    """The profile whose local files `connection` uses (None: credentials from the environment)."""
    if connection.backend == "onepagecrm":  # as it always was: the outbox of a profile must not move
        return None if env.get("ONEPAGECRM_USER_ID", "").strip() else (asked or cfg.active_profile)
    if env.get("PIPEDRIVE_API_TOKEN" if connection.backend == "pipedrive" else "CRUST_JWT", "").strip():
        return None
    name, _chosen = _profile_for(cfg, asked, connection.backend, False)
    return name

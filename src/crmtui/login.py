"""`crmtui login`: ask for a user id and API key, check them against /bootstrap, save a profile."""

from __future__ import annotations

import asyncio
import getpass
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from pydantic import SecretStr

from crmtui import secrets
from crmtui.backends.address import InsecureAddress, check_address, unencrypted
from crmtui.backends.errors import AuthError, BackendError, NotFound
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

if TYPE_CHECKING:
    from crmtui.backends.base import Backend
    from crmtui.domain.models import Account


class LoginFailed(Exception):
    """The credentials could not be confirmed; the message is meant for the user."""


class WrongCredentials(LoginFailed):
    """The server refused the user id and API key: worth asking for them again."""


TRIES = 3
"""How many times `crmtui login` asks for the credentials before it gives up."""


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
    except AuthError as exc:
        raise WrongCredentials(explain(exc, base_url)) from None
    except BackendError as exc:
        raise LoginFailed(explain(exc, base_url)) from None
    return display_name(bootstrap, user_id)


async def check_server(base_url: str, *, transport: Any = None, allow_insecure_http: bool = False) -> None:
    """That `base_url` answers and speaks the OnePageCRM API, before any credential is asked for
    (LoginFailed says what is wrong with the address).

    A /bootstrap without credentials must be refused the API's way: 401 with its error envelope
    (`error_name`). A page of another server, a 404, a captive portal or nothing at all is not that.
    """
    from crmtui.backends.http import RetryPolicy
    from crmtui.backends.onepagecrm.client import OnePageCRMClient

    extra = {"transport": transport} if transport is not None else {}
    try:
        async with OnePageCRMClient(
            "", "", base_url=base_url, allow_insecure_http=allow_insecure_http,
            retry=RetryPolicy(attempts=2, base_delay=0.2, max_delay=1.0, budget=5.0), **extra,
        ) as client:
            await client.bootstrap()
    except AuthError as exc:
        if exc.error_name:
            return  # the API's own refusal: the address is right
        raise LoginFailed(
            f"{base_url} refused the request, but not as the OnePageCRM API does; check --base-url"
        ) from None
    except BackendError as exc:
        raise LoginFailed(explain(exc, base_url)) from None
    raise LoginFailed(f"{base_url} answered without asking for credentials: not the OnePageCRM API; check --base-url")


def remember(
    cfg: AppConfig, profile: str, user_id: str, api_key: str, base_url: str | None, *, allow_insecure_http: bool = False
) -> bool:
    """Put the profile in `cfg` and make it active; True if the key went to the OS keyring."""
    return _remember_secret(
        cfg, profile, user_id, api_key,
        lambda kept: ProfileConfig(base_url=base_url, user_id=user_id, api_key=kept, allow_insecure_http=allow_insecure_http),
    )


def _remember_secret(
    cfg: AppConfig, name: str, user_id: str, secret: str, profile: Callable[[SecretStr | None], ProfileConfig]
) -> bool:
    """Keep `secret` in the OS keyring (else in the profile: `profile` makes it given what it holds),
    forget the key of the user the profile had before, and make the profile active in `cfg`; True if
    the secret went to the keyring."""
    previous = cfg.profiles.get(name)
    if previous is not None and previous.user_id != user_id:
        secrets.delete_api_key(name, previous.user_id)
    in_keyring = secrets.store_api_key(name, user_id, secret)
    cfg.profiles = {**cfg.profiles, name: profile(None if in_keyring else SecretStr(secret))}
    cfg.active_profile = name
    return in_keyring


def _save(cfg: AppConfig, name: str, user_id: str, in_keyring: bool, config_path: Path | None) -> str:
    """Write the config (a failure takes the secret back out of the keyring); where the secret went."""
    try:
        written = save_config(cfg, config_path)
    except ConfigError:
        if in_keyring:
            secrets.delete_api_key(name, user_id)
        raise
    return "the system keyring" if in_keyring else f"{written} (no usable keyring)"


def _checked_address(url: str, existing: ProfileConfig | None, allow_insecure_http: bool) -> bool:
    """Refuse an address crmtui will not send a secret to (LoginFailed); whether plain http is allowed
    (the profile's earlier opt-in holds for the address it was given for, not a new one)."""
    insecure = allow_insecure_http or bool(existing and existing.allow_insecure_http and existing.base_url == url)
    try:
        check_address(url, allow_insecure_http=insecure)
    except InsecureAddress as exc:
        raise LoginFailed(exc.message[:1].lower() + exc.message[1:]) from None
    return insecure


BACKEND_LABELS = {"onepagecrm": "OnePageCRM", "pipedrive": "Pipedrive", "crust": "Crust"}


def _token_profile(cfg: AppConfig, profile: str | None, kind: str, stderr: TextIO) -> tuple[str, ProfileConfig | None] | None:
    """The profile a `kind` login writes (the one asked for, else the active one when it is of that
    backend, else one named after the backend) and what it holds; None (said) when it is another
    backend's."""
    active = cfg.profiles.get(cfg.active_profile) if cfg.active_profile else None
    name = profile or (cfg.active_profile if active is not None and active.backend == kind else None) or kind
    existing = cfg.profiles.get(name)
    if existing is not None and existing.backend != kind:
        label, other = BACKEND_LABELS[kind], BACKEND_LABELS.get(existing.backend, existing.backend)
        stderr.write(inert_text(
            f"crmtui login: profile {name} is not a {label} profile but a {other} one; choose another with --profile"
        ) + "\n")
        return None
    return name, existing


def _credentials(stdin: TextIO, stderr: TextIO, previous: str = "") -> tuple[str, str]:
    """The user id (Enter keeps `previous`, after a refusal) and the API key."""
    prompt = f"User id [{previous}]: " if previous and stdin.isatty() else "User id: "
    user_id = _ask(prompt, stdin, stderr, secret=False) or previous
    api_key = _ask("API key: ", stdin, stderr, secret=True)
    if not user_id or not api_key:
        raise LoginFailed("both a user id and an API key are needed")
    return user_id, api_key


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


def _sign_in(url: str, stdin: TextIO, stderr: TextIO, insecure: bool) -> tuple[str, str, str]:
    """Ask for the credentials and check them; after a refusal ask again, up to TRIES times."""
    previous = ""
    refused = WrongCredentials("wrong user id or API key")
    for attempt in range(1, TRIES + 1):
        try:
            user_id, api_key = _credentials(stdin, stderr, previous)
        except LoginFailed:
            if attempt == 1:
                raise
            raise refused from None  # no more input after a refusal: the refusal is the answer
        # A throttled or slow server can take half a minute (retries with backoff): say what is going on.
        stderr.write(inert_line(f"Checking the credentials at {url}…") + "\n")
        stderr.flush()
        try:
            return user_id, api_key, asyncio.run(check_credentials(user_id, api_key, url, allow_insecure_http=insecure))
        except WrongCredentials as exc:
            refused = exc
            if attempt < TRIES:
                left = TRIES - attempt
                more = "1 more try" if left == 1 else f"{left} more tries"
                stderr.write(inert_text(f"crmtui login: {exc}; try again ({more})") + "\n")
            previous = user_id
    raise refused


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
    backend: str = "onepagecrm",
) -> int:
    """Interactive when stdin is a terminal; otherwise reads two lines: user id, then API key
    (Pipedrive: the company domain unless --base-url or the profile gives the address, then the API token)."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    if backend == "crust":
        return run_crust_login(
            profile, base_url, config_path=config_path, env=env, stdin=stdin, stdout=stdout, stderr=stderr,
            allow_insecure_http=allow_insecure_http,
        )
    if backend == "pipedrive":
        return run_pipedrive_login(
            profile, base_url, config_path=config_path, env=env, stdin=stdin, stdout=stdout, stderr=stderr,
            allow_insecure_http=allow_insecure_http,
        )
    cfg = load_config(config_path)
    name = profile or cfg.active_profile or DEFAULT_PROFILE
    existing = cfg.profiles.get(name)
    chosen_url = base_url or env.get("CRMTUI_BASE_URL", "").strip() or (existing.base_url if existing else None)
    url = chosen_url or DEFAULT_BASE_URL

    if stdin.isatty():
        stderr.write(f"Sign in to {url} (profile {name}). Find your keys in {API_KEY_HELP}.\n")
    try:
        insecure = _checked_address(url, existing, allow_insecure_http)
        if unencrypted(url):
            stderr.write(inert_line(f"Warning: {url} is plain http: the API key will cross the network unencrypted") + "\n")
        # The address first: a typo in it must not cost the person typing the key (three times).
        stderr.write(inert_line(f"Checking the address {url}…") + "\n")
        stderr.flush()
        asyncio.run(check_server(url, allow_insecure_http=insecure))
        user_id, api_key, who = _sign_in(url, stdin, stderr, insecure)
    except LoginFailed as exc:
        stderr.write(inert_text(f"crmtui login: {exc}") + "\n")
        return 1

    in_keyring = remember(cfg, name, user_id, api_key, chosen_url, allow_insecure_http=insecure and unencrypted(url))
    where = _save(cfg, name, user_id, in_keyring, config_path)
    stdout.write(inert_line(f"Logged in as {who} (profile {name})") + "\n")
    stderr.write(f"API key saved in {where}.\n")
    return 0


# -- Pipedrive -------------------------------------------------------------------------------------

PIPEDRIVE_TOKEN_HELP = "Pipedrive: Settings > Personal preferences > API"


async def _signed_in(kind: str, token: str, base_url: str, *, allow_insecure_http: bool) -> tuple[Account, Backend]:
    """Connect once to the `kind` backend with a token: the account and the backend (closed), or
    WrongCredentials / LoginFailed saying why in the words of that API."""
    from crmtui.backends.registry import Connection, create_backend

    api, token_help = TOKEN_APIS[kind]
    backend = create_backend(
        Connection(backend=kind, base_url=base_url, user_id="", api_key=token, allow_insecure_http=allow_insecure_http)
    )
    try:
        account = await backend.connect()
    except AuthError as exc:
        raise WrongCredentials(explain(exc, base_url, api=api, token_help=token_help)) from None
    except BackendError as exc:
        raise LoginFailed(explain(exc, base_url, api=api, token_help=token_help)) from None
    finally:
        await backend.close()
    return account, backend


async def check_pipedrive_token(token: str, base_url: str, *, allow_insecure_http: bool = False) -> tuple[str, str]:
    """GET /users/me with the token (through the Pipedrive backend): (user id, display name), or LoginFailed."""
    account, _backend = await _signed_in("pipedrive", token, base_url, allow_insecure_http=allow_insecure_http)
    return account.user.id, account.user.name


def run_pipedrive_login(
    profile: str | None,
    base_url: str | None,
    *,
    config_path: Path | None,
    env: Mapping[str, str],
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO,
    allow_insecure_http: bool,
) -> int:
    """`crmtui login --backend pipedrive`: the company's address, then the API token, checked with /users/me."""
    from crmtui.config import pipedrive_url

    cfg = load_config(config_path)
    chosen = _token_profile(cfg, profile, "pipedrive", stderr)
    if chosen is None:
        return 1
    name, existing = chosen
    chosen_url = base_url or env.get("CRMTUI_BASE_URL", "").strip() or (existing.base_url if existing else None)
    domain = existing.company_domain if existing else None
    try:
        if chosen_url is None and domain is None:
            if stdin.isatty():
                stderr.write("Your Pipedrive address is https://COMPANY.pipedrive.com.\n")
            domain = _ask("Company (COMPANY in COMPANY.pipedrive.com): ", stdin, stderr, secret=False).strip()
            domain = domain.removeprefix("https://").split(".pipedrive.com")[0].strip("/")
            if not domain:
                raise LoginFailed("no company given")
        url = chosen_url or pipedrive_url(domain)
        insecure = _checked_address(url, existing, allow_insecure_http)
        if stdin.isatty():
            stderr.write(f"Sign in to {url} (profile {name}). Your API token is in {PIPEDRIVE_TOKEN_HELP}.\n")
        refused: LoginFailed = WrongCredentials("wrong API token")
        for attempt in range(1, TRIES + 1):
            try:
                token = _ask("API token: ", stdin, stderr, secret=True)
            except LoginFailed:
                if attempt == 1:
                    raise LoginFailed("no input: expected the API token") from None
                raise refused from None
            if not token:
                raise LoginFailed("no API token given")
            stderr.write(inert_line(f"Checking the token at {url}…") + "\n")
            stderr.flush()
            try:
                user_id, who = asyncio.run(check_pipedrive_token(token, url, allow_insecure_http=insecure))
                break
            except WrongCredentials as exc:
                refused = exc
                if attempt == TRIES:
                    raise
                stderr.write(inert_text(f"crmtui login: {exc}; try again") + "\n")
    except LoginFailed as exc:
        stderr.write(inert_text(f"crmtui login: {exc}") + "\n")
        return 1

    in_keyring = _remember_secret(cfg, name, user_id, token, lambda kept: ProfileConfig(
        backend="pipedrive", base_url=chosen_url, user_id=user_id, company_domain=None if chosen_url else domain,
        api_key=kept, allow_insecure_http=insecure and unencrypted(url),
        plan=existing.plan if existing else None, seats=existing.seats if existing else None,
    ))
    where = _save(cfg, name, user_id, in_keyring, config_path)
    stdout.write(inert_line(f"Logged in to Pipedrive as {who} (profile {name})") + "\n")
    stderr.write(f"API token saved in {where}.\n")
    return 0


# -- Crust -----------------------------------------------------------------------------------------

CRUST_TOKEN_HELP = (
    "a JWT from your Crust server: the web app's `jwt` cookie, its single sign-on, or the token the server "
    "prints at start with --auth-jwt-debug"
)

TOKEN_APIS: dict[str, tuple[str, str]] = {
    "pipedrive": ("Pipedrive API", PIPEDRIVE_TOKEN_HELP),
    "crust": ("Crust CRM API", CRUST_TOKEN_HELP),
}
"""For each backend signed in with a token: what its API is called, and where a token comes from."""


async def check_crust_token(token: str, base_url: str, *, allow_insecure_http: bool = False) -> tuple[str, Any]:
    """List the modules with the token (through the Crust backend): (the user id it names, the server's
    clock by its answer, None when it told none), or LoginFailed. The server decides whether the
    token is still valid, by its own clock: so does the warning of its expiry."""
    account, backend = await _signed_in("crust", token, base_url, allow_insecure_http=allow_insecure_http)
    http = getattr(getattr(backend, "client", None), "http", None)
    return account.user.id, http.server_now() if http is not None else None


async def crust_password_token(system_url: str, username: str, password: str, *, allow_insecure_http: bool = False) -> str:
    """A JWT from the system API's password login, or LoginFailed saying why (the real server of the
    spec's date never reads the login request: it answers "sql: no rows in result set")."""
    from crmtui.backends.crust.client import password_login

    try:
        return await password_login(system_url, username, password, allow_insecure_http=allow_insecure_http)
    except NotFound as exc:
        raise LoginFailed(
            f"password login does not work on {system_url} ({exc.user_message}; Crust's /auth/login of 2018 never "
            "reads the request): paste a token instead"
        ) from None
    except AuthError as exc:
        raise WrongCredentials(f"the system API at {system_url} refused the username or password: {exc.user_message}") from None
    except BackendError as exc:
        raise LoginFailed(f"password login at {system_url} failed: {exc.user_message}") from None


def _crust_token(
    stdin: TextIO, stderr: TextIO, system_url: str | None = None, insecure: bool = False, memo: dict[str, str] | None = None
) -> tuple[str, Any, str | None]:
    """Ask for the JWT (Enter: a username and password for the system API instead) and read its
    claims (not verified: the server does that): (token, its facts, the system API address used)."""
    from crmtui.backends.crust.token import NotAToken, read_token

    token = _ask("Token (JWT; Enter to sign in with a username and password instead): ", stdin, stderr, secret=True)
    if not token:
        address = _ask(f"System API address [{system_url}]: " if system_url else "System API address: ", stdin, stderr,
                       secret=False).strip() or system_url
        if address and memo is not None:
            memo["system_url"] = address  # offered again after a refusal
        if not address:
            raise LoginFailed("no token and no system API address given")
        try:
            check_address(address, allow_insecure_http=insecure)
        except InsecureAddress as exc:
            raise LoginFailed(exc.message[:1].lower() + exc.message[1:]) from None
        username = _ask("Username or e-mail: ", stdin, stderr, secret=False)
        password = _ask("Password: ", stdin, stderr, secret=True)
        token = asyncio.run(crust_password_token(address, username, password, allow_insecure_http=insecure))
        system_url = address
    try:
        facts = read_token(token)
    except NotAToken as exc:
        raise WrongCredentials(str(exc)) from None
    if not facts.subject:
        raise WrongCredentials("the token names no user (its `sub` claim)")
    return token, facts, system_url


def run_crust_login(
    profile: str | None,
    base_url: str | None,
    *,
    config_path: Path | None,
    env: Mapping[str, str],
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO,
    allow_insecure_http: bool,
) -> int:
    """`crmtui login --backend crust`: the CRM API's address, then a JWT, checked by listing the modules;
    warns when the token runs out within a day. The token goes to the keyring (or the file, 0600)."""
    import datetime as dt

    cfg = load_config(config_path)
    chosen = _token_profile(cfg, profile, "crust", stderr)
    if chosen is None:
        return 1
    name, existing = chosen
    try:
        url = (
            base_url or env.get("CRMTUI_BASE_URL", "").strip() or env.get("CRUST_BASE_URL", "").strip()
            or (existing.base_url if existing else None)
            or _ask("Crust CRM API address (https://…): ", stdin, stderr, secret=False).strip()
        )
        if not url:
            raise LoginFailed("no address given")
        insecure = _checked_address(url, existing, allow_insecure_http)
        if unencrypted(url):
            stderr.write(inert_line(f"Warning: {url} is plain http: the token will cross the network unencrypted") + "\n")
        if stdin.isatty():
            stderr.write(f"Sign in to {url} (profile {name}) with {CRUST_TOKEN_HELP}.\n")
        refused: LoginFailed = WrongCredentials("wrong token")
        memo: dict[str, str] = {"system_url": existing.system_url} if existing and existing.system_url else {}
        system_url: str | None = None
        for attempt in range(1, TRIES + 1):
            try:
                token, facts, system_url = _crust_token(stdin, stderr, memo.get("system_url"), insecure, memo)
            except WrongCredentials as exc:
                refused = exc
            except LoginFailed as exc:
                if not str(exc).startswith("no input"):
                    raise  # the password login cannot work here: asking again would not help
                if attempt == 1:
                    raise LoginFailed("no input: expected the token (JWT)") from None
                raise refused from None
            else:
                stderr.write(inert_line(f"Checking the token at {url}…") + "\n")
                stderr.flush()
                try:
                    user_id, server_now = asyncio.run(check_crust_token(token, url, allow_insecure_http=insecure))
                    break
                except WrongCredentials as exc:
                    refused = exc
            if attempt == TRIES:
                raise refused
            stderr.write(inert_text(f"crmtui login: {refused}; try again") + "\n")
    except LoginFailed as exc:
        stderr.write(inert_text(f"crmtui login: {exc}") + "\n")
        return 1

    warning = facts.warning(server_now or dt.datetime.now(dt.timezone.utc))
    if warning:
        stderr.write(inert_line(f"Warning: {warning}") + "\n")
    in_keyring = _remember_secret(cfg, name, user_id, token, lambda kept: ProfileConfig(
        backend="crust", base_url=url, user_id=user_id, api_key=kept,
        allow_insecure_http=insecure and unencrypted(url), system_url=system_url,
    ))
    where = _save(cfg, name, user_id, in_keyring, config_path)
    until = f", valid until {facts.expires:%Y-%m-%d %H:%M} UTC" if facts.expires is not None else ""
    stdout.write(inert_line(f"Logged in to Crust as user {user_id} (profile {name}{until})") + "\n")
    stderr.write(f"Token saved in {where}.\n")
    return 0

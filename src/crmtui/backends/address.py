"""Where credentials may be sent: https anywhere, plain http only to this machine.

Basic auth over plain http gives the user id and API key to anyone on the path (a café's Wi-Fi, a
proxy). The sandbox listens on loopback, so `crmtui --demo` and the tests need plain http; any
other host needs https, unless the person asks for plain http explicitly (`--allow-insecure-http`,
or `allow_insecure_http = true` in the profile), and then the app says so on every screen.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from crmtui.backends.errors import BackendError

OPT_IN = "--allow-insecure-http (or allow_insecure_http = true in the profile)"


class InsecureAddress(BackendError):
    """The address would carry the credentials unencrypted to another machine, or is not http(s)."""


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def is_loopback(host: str) -> bool:
    """This machine: localhost or a loopback address (127.0.0.0/8, ::1)."""
    host = host.strip("[]").lower()
    if host == "localhost":  # not *.localhost: without nss-myhostname such names may go to DNS
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def unencrypted(url: str) -> bool:
    """True when `url` is plain http to another machine."""
    scheme = url.split(":", 1)[0].lower()
    return scheme == "http" and not is_loopback(_host(url))


def check_address(url: str, *, allow_insecure_http: bool = False) -> None:
    """Raise InsecureAddress unless credentials may be sent to `url`."""
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme not in ("http", "https") or not _host(url):
        raise InsecureAddress(f"The API address must start with https:// and name a host (got {url!r})")
    if unencrypted(url) and not allow_insecure_http:
        raise InsecureAddress(
            f"Refusing to send your API key unencrypted to {_host(url)}: use an https:// address"
            f" (plain http is only allowed to this machine), or pass {OPT_IN} if you really mean it"
        )

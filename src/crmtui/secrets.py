"""API keys in the OS keyring when one is usable; otherwise the caller keeps them in config.toml.

Keyring backends fail in many ways (no D-Bus, locked collection, headless session, broken plugin).
Every call here catches everything and reports "not available" instead of crashing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

SERVICE = "crmtui"
_PROBE_USER = "__crmtui_probe__"

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

log = logging.getLogger(__name__)


def _username(profile: str, user_id: str) -> str:
    return f"{profile}:{user_id}"


def usable_keyring() -> KeyringBackend | None:
    """The active keyring backend if it can really be used, else None."""
    try:
        import keyring
        from keyring.backends import chainer, fail

        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring):
            return None
        try:
            from keyring.backends import null

            if isinstance(backend, null.Keyring):
                return None
        except Exception:  # noqa: BLE001 - older keyring without the null backend
            pass
        if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
            return None
        backend.get_password(SERVICE, _PROBE_USER)
        return backend
    except Exception as exc:  # noqa: BLE001 - any failure means "use the config file"
        log.debug("keyring unusable: %s", type(exc).__name__)
        return None


def keyring_available() -> bool:
    return usable_keyring() is not None


def store_api_key(profile: str, user_id: str, api_key: str) -> bool:
    """Save in the keyring. False means it could not: the caller must keep the key in config."""
    backend = usable_keyring()
    if backend is None:
        return False
    try:
        backend.set_password(SERVICE, _username(profile, user_id), api_key)
        return True
    except Exception as exc:  # noqa: BLE001
        log.debug("keyring store failed: %s", type(exc).__name__)
        return False


def load_api_key(profile: str, user_id: str) -> str | None:
    """The key from the keyring, or None when absent or the keyring is unusable."""
    backend = usable_keyring()
    if backend is None:
        return None
    try:
        return backend.get_password(SERVICE, _username(profile, user_id)) or None
    except Exception as exc:  # noqa: BLE001
        log.debug("keyring load failed: %s", type(exc).__name__)
        return None


def delete_api_key(profile: str, user_id: str) -> bool:
    """Remove from the keyring; True if something was removed."""
    backend = usable_keyring()
    if backend is None:
        return False
    try:
        backend.delete_password(SERVICE, _username(profile, user_id))
        return True
    except Exception as exc:  # noqa: BLE001 - includes PasswordDeleteError when absent
        log.debug("keyring delete failed: %s", type(exc).__name__)
        return False

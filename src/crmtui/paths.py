"""Where crmtui keeps its files. Resolved on each call (no directories created at import time).

Environment overrides: CRMTUI_CONFIG_DIR, CRMTUI_DATA_DIR, CRMTUI_CACHE_DIR.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs

APP_NAME = "crmtui"
CONFIG_FILE_NAME = "config.toml"


def _resolve(env_name: str, default: str, env: Mapping[str, str] | None) -> Path:
    source = os.environ if env is None else env
    override = source.get(env_name, "").strip()
    if override:
        return Path(override).expanduser()
    return Path(default)


def config_dir(env: Mapping[str, str] | None = None) -> Path:
    return _resolve("CRMTUI_CONFIG_DIR", platformdirs.user_config_dir(APP_NAME, appauthor=False), env)


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    return _resolve("CRMTUI_DATA_DIR", platformdirs.user_data_dir(APP_NAME, appauthor=False), env)


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    return _resolve("CRMTUI_CACHE_DIR", platformdirs.user_cache_dir(APP_NAME, appauthor=False), env)


def config_file(env: Mapping[str, str] | None = None) -> Path:
    return config_dir(env) / CONFIG_FILE_NAME


def ensure_dir(path: Path, mode: int = 0o700) -> Path:
    """Create `path` (and parents) if missing; private to the user by default."""
    path.mkdir(parents=True, exist_ok=True, mode=mode)
    return path


def lock_held(path: Path) -> bool:
    """True while some process holds a lock (flock) on `path`: it is tried and given back at once.
    The demo's windows each hold a shared one on the demo's `.users` file while they run."""
    try:
        import fcntl  # POSIX; every start imports this module, so not at its top
    except ImportError:
        return False
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return False  # the folder is gone: nobody can be using it
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False

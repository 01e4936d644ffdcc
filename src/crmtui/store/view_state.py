"""A small JSON file of one profile's view choices (the stream's filter), kept across restarts.

Beside the outbox in the profile's data folder: not the cache (which `--resync` and cache cleaners
empty) and not the config file (which holds settings and maybe an API key). A file that cannot be
read or holds something else is treated as empty: a lost choice is a filter to pick again, never a
reason not to start.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MAX_BYTES = 64 * 1024


class ViewState:
    """Named JSON values in one file; `get` never raises, `set` writes the whole file atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, Any]:
        try:
            if self.path.stat().st_size > MAX_BYTES:
                return {}
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):  # RecursionError: nesting too deep for json
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, name: str) -> Any:
        return self._read().get(name)

    def set(self, name: str, value: Any) -> None:
        """Save `value` under `name` (None removes it). A failure to write is logged, not raised."""
        data = self._read()
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            temp = self.path.with_name(self.path.name + ".tmp")
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out, ensure_ascii=False, sort_keys=True)
            os.replace(temp, self.path)
        except OSError as exc:
            log.warning("could not save the view state in %s: %s", self.path, exc)

"""How long the tests wait for a condition before calling it a hang.

Tests wait for conditions (a worker finished, a request reached the server, text on a screen), never
for a fixed time; the limit below only turns a hang into a failure with a message. It is generous on
purpose: a busy machine (two cores, other test runs beside this one) may take many times longer
than an idle one, and that must not fail a test. Set CRMTUI_TEST_HANG_GUARD (seconds) to change it,
e.g. lower while debugging a hang.
"""

from __future__ import annotations

import os


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, not {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{name} must be positive, not {raw!r}")
    return value


HANG_GUARD = _seconds("CRMTUI_TEST_HANG_GUARD", 120.0)
"""Seconds any condition wait in the tests lasts at most."""

"""Shared fixtures: a real OnePageCRM sandbox on loopback, fresh for every test."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from crmtui.sandbox.onepagecrm.server import SandboxHandle, SandboxOptions, start_sandbox

SANDBOX_TODAY = dt.date(2026, 3, 10)


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    """An in-memory sandbox seeded with seed 42, `today` fixed at 2026-03-10."""
    handle = start_sandbox(SandboxOptions(today=SANDBOX_TODAY, seed=42))
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def sandbox_auth(sandbox: SandboxHandle) -> tuple[str, str]:
    """Basic auth (user_id, api_key) of the sandbox's main user."""
    return (sandbox.user_id, sandbox.api_key)

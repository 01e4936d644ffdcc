"""Fixtures of the integration tests."""

from __future__ import annotations

import pytest

from tests.support.pipedrive_sessions import sandbox_cache


@pytest.fixture
def unlimited(pipedrive_sandbox):
    """The Pipedrive sandbox with a wide burst window: for tests about behaviour, not the limits."""
    pipedrive_sandbox.limits.burst = 100_000
    return pipedrive_sandbox


@pytest.fixture
def wide_burst(pipedrive_sandbox):
    """The burst window wide open (the sandbox's clock stands still: its window would never slide)."""
    pipedrive_sandbox.options.burst = 100_000
    return pipedrive_sandbox


@pytest.fixture
def cache(tmp_path, pipedrive_sandbox):
    """The local cache of the Pipedrive sandbox's account."""
    c = sandbox_cache(tmp_path, pipedrive_sandbox)
    yield c
    c.close()

"""Fixtures of the integration tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def unlimited(pipedrive_sandbox):
    """The Pipedrive sandbox with a wide burst window: for tests about behaviour, not the limits."""
    pipedrive_sandbox.limits.burst = 100_000
    return pipedrive_sandbox

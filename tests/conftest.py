"""Shared fixtures: a real OnePageCRM sandbox on loopback, fresh for every test."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from crmtui.sandbox.onepagecrm.server import SandboxHandle, SandboxOptions, start_sandbox
from tests.support import unused_snapshots
from tests.support.waits import HANG_GUARD

SANDBOX_TODAY = dt.date(2026, 3, 10)


def pytest_configure(config: pytest.Config) -> None:
    unused_snapshots.register(config)  # under pytest-xdist, where syrupy does not check


@pytest.fixture(autouse=True)
def private_dirs(tmp_path_factory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the user's real settings, cache or outbox."""
    home = tmp_path_factory.mktemp("home")
    for name, sub in (("CRMTUI_CONFIG_DIR", "config"), ("CRMTUI_DATA_DIR", "data"), ("CRMTUI_CACHE_DIR", "cache")):
        monkeypatch.setenv(name, str(home / sub))


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    """An in-memory sandbox seeded with seed 42, `today` fixed at 2026-03-10.

    `sandbox.gate` holds requests on their way for as long as a test needs (crmtui.sandbox.gate).
    """
    handle = start_sandbox(SandboxOptions(today=SANDBOX_TODAY, seed=42))
    handle.gate.timeout = HANG_GUARD
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def sandbox_auth(sandbox: SandboxHandle) -> tuple[str, str]:
    """Basic auth (user_id, api_key) of the sandbox's main user."""
    return (sandbox.user_id, sandbox.api_key)


# --- contract checking: every request the client sends is validated against the official spec ---


@pytest.fixture(scope="session")
def spec_recorder():
    """Records every exchange of the `client` fixture; validates it when the official spec is present."""
    from tests.support.openapi import SpecValidator, spec_available
    from tests.support.recorder import SpecRecorder

    return SpecRecorder(SpecValidator.load() if spec_available() else None)


@pytest.fixture
async def checked(spec_recorder):
    """Fails the test when a request sent during it (by the outbox, a session…) does not conform to the spec."""
    start = spec_recorder.mark()
    yield
    problems = spec_recorder.request_problems(since=start)
    assert not problems, "requests not in the spec:\n  " + "\n  ".join(problems)


@pytest.fixture
async def client(sandbox: SandboxHandle, spec_recorder):
    """An OnePageCRMClient on the sandbox whose requests must all conform to the spec.

    Non-conforming requests fail the test at teardown (each problem listed); when the spec is absent
    the requests are recorded but not validated.
    """
    from crmtui.backends.onepagecrm.client import OnePageCRMClient

    start = spec_recorder.mark()
    async with OnePageCRMClient(
        sandbox.user_id, sandbox.api_key, base_url=sandbox.base_url, event_hooks=spec_recorder.hooks
    ) as api:
        yield api
    problems = spec_recorder.request_problems(since=start)
    if problems:
        pytest.fail(
            f"{len(problems)} request(s) did not conform to the OnePageCRM spec:\n  " + "\n  ".join(problems),
            pytrace=False,
        )


# --- the Pipedrive sandbox ------------------------------------------------------------------------


@pytest.fixture
def pipedrive_sandbox():
    """An in-memory Pipedrive sandbox seeded with seed 42, its clock frozen at 2026-03-10.

    Time stands still unless the test moves it (`pipedrive_sandbox.advance(seconds)`), so the burst
    window, the budget's day and a 403 block are tested without sleeping.
    """
    from crmtui.sandbox.pipedrive.server import SandboxOptions as PipedriveOptions
    from crmtui.sandbox.pipedrive.server import start_sandbox as start_pipedrive

    handle = start_pipedrive(PipedriveOptions(today=SANDBOX_TODAY, seed=42, frozen_clock=True))
    handle.gate.timeout = HANG_GUARD
    try:
        yield handle
    finally:
        handle.stop()


# --- the Crust sandbox ----------------------------------------------------------------------------


@pytest.fixture
def crust_sandbox():
    """An in-memory Crust sandbox seeded with seed 42, its clock frozen at 2026-03-10 09:00.

    Time stands still unless the test moves it (`crust_sandbox.advance(seconds)`), so tokens expire
    and records get their times without sleeping. `crust_sandbox.token` is a fresh JWT for the first user.
    """
    from crmtui.sandbox.crust.server import SandboxOptions as CrustOptions
    from crmtui.sandbox.crust.server import start_sandbox as start_crust

    handle = start_crust(CrustOptions(today=SANDBOX_TODAY, seed=42, frozen_clock=True))
    handle.gate.timeout = HANG_GUARD
    try:
        yield handle
    finally:
        handle.stop()

"""Where a UI test's time goes, on the tests' own sandbox (300 contacts, seed 42, 2026-03-10).

Measures, each as the median of `--runs` runs in this one process:
- the app's start to its stream shown (a Pilot test's fixed cost before its first key), at 80x24;
- reading the whole action stream through the real client over loopback HTTP (what that start waits for);
- the same read with the HTTP part taken out: the sandbox's handler called in process through an
  httpx mock transport (its answers still JSON-encoded and parsed by the real client), the saving
  an in-process test backend could bring.

    .venv/bin/python bench/test_costs.py --runs 15
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from crmtui.backends.onepagecrm.adapter import OnePageCRMBackend
from crmtui.backends.onepagecrm.client import OnePageCRMClient
from crmtui.backends.registry import Connection, create_backend
from crmtui.sandbox.onepagecrm.server import SandboxOptions, dispatch, start_sandbox
from crmtui.sandbox.onepagecrm.state import ApiError

TODAY = dt.date(2026, 3, 10)


def median_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:.0f} ms"


async def stream_read(backend) -> None:
    await backend.connect()
    api = backend.features.action_stream
    assert api is not None
    await api.action_stream_all()
    await backend.close()


def in_process(handle) -> httpx.MockTransport:
    router, state = handle.server.router, handle.state

    def answer(request: httpx.Request) -> httpx.Response:
        target = request.url.raw_path.decode()
        try:
            status, payload = dispatch(router, state, request.method, target, request.headers.get("authorization"), request.content)
        except ApiError as exc:
            status, payload = exc.status, exc.body()
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        return httpx.Response(status, content=body, headers={"content-type": "application/json; charset=utf-8"})

    return httpx.MockTransport(answer)


async def app_start(handle) -> float:
    import pytest

    from tests.support import pilot as pilot_waits
    from tests.ui.conftest import NARROW, backend_for, loaded, on_backend, settled

    patch = pytest.MonkeyPatch()
    pilot_waits.install(patch)
    try:
        app = on_backend(backend_for(handle))
        started = time.perf_counter()
        async with app.run_test(size=NARROW) as pilot:
            await loaded(pilot)
            await settled(pilot)
            took = time.perf_counter() - started
        return took
    finally:
        patch.undo()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    handle = start_sandbox(SandboxOptions(today=TODAY, seed=42))
    try:
        def connection() -> Connection:
            return Connection(backend="onepagecrm", base_url=handle.base_url, user_id=handle.user_id, api_key=handle.api_key)

        loopback, direct, starts = [], [], []
        for _ in range(args.runs):
            t = time.perf_counter()
            await stream_read(create_backend(connection()))
            loopback.append(time.perf_counter() - t)
            client = OnePageCRMClient(handle.user_id, handle.api_key, base_url=handle.base_url, transport=in_process(handle))
            t = time.perf_counter()
            await stream_read(OnePageCRMBackend(client))
            direct.append(time.perf_counter() - t)
            starts.append(await app_start(handle))
        print(f"runs: {args.runs} (medians)")
        print(f"app start to the stream shown, 80x24:        {median_ms(starts)}")
        print(f"connect + whole stream, loopback HTTP:        {median_ms(loopback)}")
        print(f"connect + whole stream, in process (no HTTP): {median_ms(direct)}")
    finally:
        handle.stop()


if __name__ == "__main__":
    asyncio.run(main())

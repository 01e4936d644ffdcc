"""The Pipedrive leads inbox against the Pipedrive sandbox (a separate process, its own GIL):

1. first sync of a large inbox at 100 ms added latency, within the burst window (the plan's 20
   requests per 2 s): time, requests, tokens, and any 429 (there must be none); with the sandbox's
   activities, the leads' next activities too (everyone's open ones, pages of 500);
2. refresh of the unchanged inbox: what it costs in requests, tokens and time (only what changed is
   read: one page of /leads and one of /leads/archived), against reading the whole list again.

    .venv/bin/python bench/pipedrive_inbox.py --leads 20000 --latency 100
    .venv/bin/python bench/pipedrive_inbox.py --leads 5000 --latency 0
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

from crmtui.backends.pipedrive.adapter import PipedriveBackend
from crmtui.backends.pipedrive.client import PipedriveClient
from crmtui.backends.pipedrive.costs import cost_of
from crmtui.service.compose import compose


def start_sandbox(leads: int, latency: float, data: Path) -> tuple[subprocess.Popen[str], str, str]:
    command = [
        sys.executable, "-m", "crmtui", "sandbox", "--backend", "pipedrive", "--port", "0", "--leads", str(leads),
        "--latency", str(latency), "--data", str(data), "--daily-budget", "10000000",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    found = re.search(r"listening on (\S+) api_token=(\S+)", line)
    if not found:
        process.kill()
        raise SystemExit(f"sandbox did not start: {line!r}")
    return process, found.group(1), found.group(2)


class Meter:
    def __init__(self) -> None:
        self.requests = 0
        self.tokens = 0
        self.statuses: Counter[int] = Counter()

    async def request(self, request: httpx.Request) -> None:
        self.requests += 1
        self.tokens += cost_of(request.method, request.url.path)

    async def response(self, response: httpx.Response) -> None:
        self.statuses[response.status_code] += 1

    def take(self) -> tuple[int, int, dict[int, int]]:
        figures = (self.requests, self.tokens, dict(self.statuses))
        self.requests, self.tokens, self.statuses = 0, 0, Counter()
        return figures


async def measure(base_url: str, token: str) -> None:
    meter = Meter()
    client = PipedriveClient(token, base_url=base_url, event_hooks={"request": [meter.request], "response": [meter.response]})
    session = compose(PipedriveBackend(client), local_copy=False)
    await session.connect()
    meter.take()
    inbox = session.leads
    inbox.everyone = True  # the whole inbox the token sees

    started = time.perf_counter()
    await inbox.load()
    first = time.perf_counter() - started
    requests, tokens, statuses = meter.take()
    print(f"first sync: {len(inbox.items):,} leads in {first:.2f} s, {requests} requests, {tokens:,} tokens, answers {statuses}")

    started = time.perf_counter()
    await inbox.load()
    refresh = time.perf_counter() - started
    requests, tokens, statuses = meter.take()
    print(f"refresh, nothing changed: {refresh:.2f} s, {requests} requests, {tokens:,} tokens, answers {statuses}")

    inbox.read_whole_next()
    started = time.perf_counter()
    await inbox.load()
    whole = time.perf_counter() - started
    requests, tokens, statuses = meter.take()
    print(f"reading the whole list again (R): {whole:.2f} s, {requests} requests, {tokens:,} tokens, answers {statuses}")
    await session.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=5000)
    parser.add_argument("--latency", type=float, default=100.0, help="ms added to every answer")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        process, base_url, token = start_sandbox(args.leads, args.latency, Path(folder) / "pd.sqlite3")
        try:
            print(f"{args.leads:,} leads in the account, {args.latency:g} ms added latency")
            asyncio.run(measure(base_url, token))
        finally:
            process.terminate()
            process.wait()


if __name__ == "__main__":
    main()

"""Time paging through a large account from the sandbox: sequential vs concurrent.

Starts `crmtui sandbox` as a separate process (so the server does not share the client's GIL),
seeded with --contacts N, and pages through /contacts?team=true (every contact of the account) and
/action_stream (the main user's stream) with the real client, 100 per page, once with one request
in flight and once with bounded concurrency; --latency adds a delay to every answer, like a WAN.

    .venv/bin/python bench/paging.py --contacts 20000 --latency 0 --latency 100
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from crmtui.backends.onepagecrm.client import OnePageCRMClient

LINE = re.compile(r"listening on (?P<url>\S+) user_id=(?P<user>\S+) api_key=(?P<key>\S+)")


def start_sandbox(contacts: int, latency: float, data: Path) -> tuple[subprocess.Popen[str], str, str, str]:
    command = [
        sys.executable, "-m", "crmtui", "sandbox", "--port", "0", "--contacts", str(contacts),
        "--latency", str(latency), "--data", str(data), "--today", "2026-03-10",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    match = LINE.search(process.stdout.readline())
    if not match:
        process.kill()
        raise SystemExit("sandbox did not start")
    return process, match["url"], match["user"], match["key"]


async def page_through(url: str, user: str, key: str, concurrency: int, what: str) -> tuple[float, int, int]:
    requests = 0

    async def count(_request: object) -> None:
        nonlocal requests
        requests += 1

    async with OnePageCRMClient(
        user, key, base_url=url, max_concurrency=concurrency, event_hooks={"request": [count]}
    ) as client:
        started = time.perf_counter()
        if what == "contacts":
            items = await client.list_contacts_all(team=True)  # every contact of the account
        else:
            items = await client.action_stream_all()  # the main user's stream
        return time.perf_counter() - started, len(items), requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=20000)
    parser.add_argument("--latency", type=float, action="append", help="added server latency in ms (repeatable)")
    parser.add_argument("--concurrency", type=int, default=6)
    args = parser.parse_args()
    latencies = args.latency or [0.0, 100.0]
    print(f"{'endpoint':<14} {'latency':>8} {'mode':<12} {'items':>7} {'requests':>8} {'seconds':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for latency in latencies:
            data = Path(tmp) / f"bench-{latency}.sqlite3"
            process, url, user, key = start_sandbox(args.contacts, latency, data)
            try:
                for what in ("contacts", "action_stream"):
                    for label, concurrency in (("sequential", 1), (f"concurrent{args.concurrency}", args.concurrency)):
                        seconds, items, requests = asyncio.run(page_through(url, user, key, concurrency, what))
                        print(f"{what:<14} {latency:>6.0f}ms {label:<12} {items:>7} {requests:>8} {seconds:>8.2f}")
            finally:
                process.terminate()
                process.wait(10)


if __name__ == "__main__":
    main()

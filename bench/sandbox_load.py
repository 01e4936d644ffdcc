"""Load on the sandbox: many clients at once, each opening a new connection for every request.

Starts `crmtui sandbox` as a separate process and runs --clients threads, each sending --requests
GET /statuses with a fresh TCP connection (no keep-alive: the worst case for the listen queue), then
once more with one keep-alive connection per client. Prints requests, errors by kind, and latency.

    .venv/bin/python bench/sandbox_load.py --clients 200 --requests 12
"""

from __future__ import annotations

import argparse
import collections
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from paging import start_sandbox  # noqa: E402 - the benchmarks share one sandbox starter


def run(url: str, auth: tuple[str, str], clients: int, requests: int, keep_alive: bool) -> None:
    errors: collections.Counter[str] = collections.Counter()
    times: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(clients)

    def client() -> None:
        limits = httpx.Limits(max_keepalive_connections=1 if keep_alive else 0)
        with httpx.Client(auth=auth, timeout=10, limits=limits) as http:
            start.wait()
            for _ in range(requests):
                began = time.perf_counter()
                try:
                    http.get(f"{url}/statuses").raise_for_status()
                except httpx.HTTPError as exc:
                    with lock:
                        errors[type(exc).__name__] += 1
                    continue
                with lock:
                    times.append(time.perf_counter() - began)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.perf_counter() - began
    total = clients * requests
    ms = sorted(t * 1000 for t in times)
    p99 = ms[int(len(ms) * 0.99) - 1] if ms else 0.0
    median = statistics.median(ms) if ms else 0.0
    print(
        f"{'keep-alive' if keep_alive else 'new connection per request'}: {total} requests from {clients} clients"
        f" in {took:.1f} s, {len(times)} ok, errors {dict(errors) or 'none'}, median {median:.0f} ms, p99 {p99:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--requests", type=int, default=12, help="requests per client")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        process, url, user, key = start_sandbox(300, 0, Path(tmp) / "load.sqlite3")
        try:
            run(url, (user, key), args.clients, args.requests, keep_alive=False)
            run(url, (user, key), args.clients, args.requests, keep_alive=True)
        finally:
            process.terminate()
            process.wait(10)


if __name__ == "__main__":
    main()

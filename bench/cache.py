"""The local cache and the outbox, measured: first paint, full sync, incremental refresh, memory.

    .venv/bin/python bench/cache.py                       # everything (10,000 and 20,000 contacts)
    .venv/bin/python bench/cache.py --contacts 10000 --runs 3

Each measurement runs in a fresh child process, so its start-up, imports and peak memory are its
own; the sandbox runs in another process (`crmtui sandbox`, its own GIL) with --latency added to
every answer, like a WAN. What it measures:

1. full sync: the app's first fetch of the whole action stream into an empty cache, one request
   at a time vs 6 in flight (the client's default), with its requests, bytes and the child's peak RSS;
2. incremental refresh after 10 changes made on the server (by another client): what changed
   since the last sync, which contacts changed, and the stream's size (requests, bytes, time);
3. first paint from a warm cache: process start to the first frame with stream rows in it, headless
   at 160x45, against a bare Textual app showing one static screen, in the same run (median of --runs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()


def start_sandbox(contacts: int, latency: float, data: Path) -> tuple[subprocess.Popen[str], dict[str, str]]:
    # Imported here, not at the top: a child measuring the bare Textual app must import nothing of crmtui.
    sys.path.insert(0, str(HERE.parent))
    from paging import start_sandbox as start  # the benchmarks share one way to start the sandbox

    process, url, user, key = start(contacts, latency, data)
    return process, {"url": url, "user": user, "key": key}


# -- the sandbox -----------------------------------------------------------------------------------


def child(*args: str, env: dict[str, str] | None = None) -> dict:
    """Run this script as a child doing one measurement; its last line is a JSON result."""
    started = time.time()
    out = subprocess.run(
        [sys.executable, str(HERE), "--child", *args], capture_output=True, text=True, env={**os.environ, **(env or {})},
        timeout=900,
    )
    if out.returncode != 0:
        raise SystemExit(f"child {args} failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["spawned_at"] = started
    return result


# -- children --------------------------------------------------------------------------------------


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Meter:
    def __init__(self) -> None:
        self.requests = 0
        self.bytes = 0

    async def on_request(self, _request) -> None:
        self.requests += 1

    async def on_response(self, response) -> None:
        await response.aread()
        self.bytes += len(response.content)


def backend(server: dict, meter: Meter, concurrency: int = 6):
    from crmtui.backends.onepagecrm.adapter import OnePageCRMBackend
    from crmtui.backends.onepagecrm.client import OnePageCRMClient

    client = OnePageCRMClient(
        server["user"], server["key"], base_url=server["url"], max_concurrency=concurrency,
        event_hooks={"request": [meter.on_request], "response": [meter.on_response]},
    )
    return OnePageCRMBackend(client)


async def child_sync(server: dict, cache_path: Path, concurrency: int, mode: str) -> dict:
    """`full`: into an empty cache; `incremental`: a refresh of a warm cache."""
    from crmtui.service.cached import CachedBackend, flush_cache_writes
    from crmtui.store import Cache, identity

    meter = Meter()
    cache = Cache(cache_path, owner=identity("bench", server["user"])).open()
    cached = CachedBackend(backend(server, meter, concurrency), cache)
    await cached.connect()
    if mode == "incremental":
        await cached.cached_stream()  # what the app paints on start: the refresh starts from it
    meter.requests = meter.bytes = 0
    started = time.perf_counter()
    entries = await cached.action_stream_all()
    fetched = time.perf_counter() - started
    await flush_cache_writes()
    stored = time.perf_counter() - started
    result = {
        "mode": cached.last_sync.get("mode"), "entries": len(entries), "changed": cached.last_sync.get("changed"),
        "fetch_s": round(fetched, 3), "with_cache_write_s": round(stored, 3),
        "requests": meter.requests, "bytes": meter.bytes, "peak_mb": round(peak_mb(), 1),
    }
    await cached.close()
    cache.close()
    assert result["mode"] == mode, result
    return result


async def child_change(server: dict, count: int) -> dict:
    """Someone else changes `count` contacts of the user's stream (stars, action texts)."""
    meter = Meter()
    api = backend(server, meter)
    await api.connect()
    page = await api.action_stream(per_page=count * 3)
    touched = 0
    for entry in page.entries:
        if touched >= count:
            break
        if entry.next_action is not None and touched % 2:
            await api.update_action(entry.next_action.id, text=f"{entry.next_action.text} (edited)")
        else:
            await api.set_starred(entry.contact.id, not entry.contact.starred)
        touched += 1
    await api.close()
    return {"changed": touched}


def child_paint(server: dict, cache_path: Path, bare: bool) -> dict:
    """Start an app headless and report the wall time of its first frame with something to read."""
    from textual.app import App
    from textual.widgets import Static

    if bare:
        class Bare(App[None]):
            def compose(self):
                yield Static("crmtui")

            def on_mount(self) -> None:
                self.call_after_refresh(self._painted)

            def _painted(self) -> None:
                self.painted = time.time()
                self.exit()

        app: App = Bare()
        app.run(headless=True, size=(160, 45))
        return {"painted_at": app.painted, "rows": 0}

    from crmtui.service.compose import compose
    from crmtui.service.outbox import Outbox
    from crmtui.store import Cache, identity
    from crmtui.ui.app import CrmApp

    meter = Meter()
    inner = backend(server, meter)
    cache = Cache(cache_path, owner=identity("bench", server["user"])).open()
    crm = CrmApp(compose(inner, cache=cache, outbox=Outbox(inner)), refresh_seconds=0)
    seen: dict[str, float] = {}

    def shown(entries) -> None:
        if entries and "rows" not in seen:
            seen["rows"] = len(entries)
            seen["requests"] = meter.requests
            crm.call_after_refresh(painted)

    def painted() -> None:
        seen["painted_at"] = time.time()
        crm.exit()

    crm.session.subscribe(shown)
    crm.run(headless=True, size=(160, 45))
    cache.close()
    return {"painted_at": seen["painted_at"], "rows": seen["rows"], "requests_before_paint": seen["requests"]}


def run_child(argv: list[str]) -> None:
    what, server, rest = argv[0], json.loads(argv[1]), argv[2:]
    if what == "sync":
        result = asyncio.run(child_sync(server, Path(rest[0]), int(rest[1]), rest[2]))
    elif what == "change":
        result = asyncio.run(child_change(server, int(rest[0])))
    else:
        result = child_paint(server, Path(rest[0]), bare=(rest[1] == "bare"))
    print(json.dumps(result))


# -- the report ------------------------------------------------------------------------------------


def mb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n / 1000:.1f} kB"


def bench(contacts: int, latency: float, runs: int, tmp: Path) -> None:
    process, server = start_sandbox(contacts, latency, tmp / f"sandbox-{contacts}.sqlite3")
    srv = json.dumps(server)
    try:
        print(f"\n## {contacts:,} contacts, {latency:.0f} ms added latency\n")
        print("| full sync of the action stream | contacts | requests | received | fetch | + cache write | peak RSS |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for label, concurrency in (("one request at a time", 1), ("6 in flight", 6)):
            path = tmp / f"cache-{contacts}-{concurrency}.sqlite3"
            r = child("sync", srv, str(path), str(concurrency), "full")
            print(f"| {label} | {r['entries']:,} | {r['requests']} | {mb(r['bytes'])} | {r['fetch_s']:.1f} s "
                  f"| {r['with_cache_write_s']:.1f} s | {r['peak_mb']:.0f} MB |")
        warm = tmp / f"cache-{contacts}-6.sqlite3"
        child("change", srv, "10")
        r = child("sync", srv, str(warm), "6", "incremental")
        print(f"| incremental, after 10 changes | {r['changed']} changed | {r['requests']} | {mb(r['bytes'])} "
              f"| {r['fetch_s']:.2f} s | {r['with_cache_write_s']:.2f} s | {r['peak_mb']:.0f} MB |")

        paints: dict[str, list[float]] = {"bare": [], "crmtui": []}
        rows = before = 0
        for _ in range(runs):
            for kind in ("bare", "crmtui"):
                r = child("paint", srv, str(warm), kind)
                paints[kind].append(r["painted_at"] - r["spawned_at"])
                if kind == "crmtui":
                    rows, before = r["rows"], r["requests_before_paint"]
        bare, crm = statistics.median(paints["bare"]), statistics.median(paints["crmtui"])
        print(f"\n| first paint (process start to first frame, median of {runs}) | time |")
        print("| --- | ---: |")
        print(f"| bare Textual app, one static screen | {bare * 1000:.0f} ms |")
        print(f"| crmtui from the warm cache ({rows:,} rows, {before} requests before the frame) | {crm * 1000:.0f} ms |")
        print(f"| difference | {(crm - bare) * 1000:+.0f} ms |")
    finally:
        process.terminate()
        process.wait(10)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        run_child(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, action="append", help="account size (repeatable; default 10000 and 20000)")
    parser.add_argument("--latency", type=float, default=100.0, help="ms added to every answer (default 100)")
    parser.add_argument("--runs", type=int, default=5, help="first-paint runs of each app (median)")
    args = parser.parse_args()
    print(f"crmtui cache benchmark · Python {sys.version.split()[0]} · {os.cpu_count()} cores · "
          f"{time.strftime('%Y-%m-%d')}")
    with tempfile.TemporaryDirectory() as tmp:
        for contacts in args.contacts or [10000, 20000]:
            bench(contacts, args.latency, args.runs, Path(tmp))


if __name__ == "__main__":
    main()

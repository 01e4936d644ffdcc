"""The data path at scale: cold first sync, warm start, peak memory and the cache file, per account size.

    .venv/bin/python bench/data_path.py                                   # 5k, 10k, 20k, 50k contacts
    .venv/bin/python bench/data_path.py --contacts 20000 --runs 3
    .venv/bin/python bench/data_path.py --contacts 20000 --before /tmp/main-before/src   # interleaved A/B

Measured through the real app, headless (CrmApp under `App.run_test` at 160x45, with the cache and
the outbox as `crmtui` composes them), so "the whole stream" includes everything the list does with
it: sorting, sections and the list's rows. Each figure comes from a fresh child process (its own
imports, heap and peak RSS); the OnePageCRM sandbox runs in another process, seeded with --contacts N
(bench/paging.py's `start_sandbox`), with no added latency: the figures are the client's own work.

- cold: an empty cache, from the app's creation to the whole stream in the list and drawn (the screen's
  next refresh after the list holds every row; process CPU time and wall time; the sandbox's CPU is
  not counted), then the cache written;
- warm: the cache the cold run left, from the app's creation to the whole stream in the list;
- memory: the same two runs again under tracemalloc (its peak), and the ru_maxrss of the timed runs;
  the reference is a bare Textual app showing one static line, measured the same way in the same run;
- the cache file: its size, and what takes the room (sqlite's dbstat per table and index, and the
  stored rows' bytes per kind).

`--before SRC` runs every child a second time with PYTHONPATH=SRC (a `git worktree` of the old code),
interleaved with the current code, so both see the same machine load.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- children ---------------------------------------------------------------------------------------


def child_bare(traced: bool) -> dict[str, Any]:
    import tracemalloc

    if traced:
        tracemalloc.start()
    from textual.app import App
    from textual.widgets import Static

    class Bare(App[None]):
        def compose(self):  # type: ignore[no-untyped-def]
            yield Static("crmtui")

    timed: dict[str, float] = {}

    async def run() -> None:
        cpu, wall = time.process_time(), time.perf_counter()
        app = Bare()
        async with app.run_test(size=(160, 45)):
            await app.wait_for_refresh()  # its first frame drawn
            timed.update(cpu_s=time.process_time() - cpu, wall_s=time.perf_counter() - wall)

    gc.freeze()
    asyncio.run(run())
    peak = tracemalloc.get_traced_memory()[1] if traced else 0
    return {"traced_mb": peak / 1e6, "rss_mb": rss_mb(), **timed}


async def child_app(server: dict[str, str], cache_path: Path, expect: int, traced: bool) -> dict[str, Any]:
    import tracemalloc

    # As `crmtui` starts (cli.main): the cyclic collector off through the imports and the app's start,
    # until its first rows are drawn (the app's `heap.resume_collector` then freezes and turns it on).
    gc.disable()
    if traced:
        tracemalloc.start()
    from crmtui.backends.onepagecrm.adapter import OnePageCRMBackend
    from crmtui.backends.onepagecrm.client import OnePageCRMClient
    from crmtui.service.cached import flush_cache_writes
    from crmtui.service.compose import compose
    from crmtui.service.outbox import Outbox
    from crmtui.store import Cache, identity
    from crmtui.ui.app import CrmApp
    from crmtui.ui.widgets.stream_list import StreamList

    cpu, wall = time.process_time(), time.perf_counter()
    inner = OnePageCRMBackend(OnePageCRMClient(server["user"], server["key"], base_url=server["url"]))
    cache = Cache(cache_path, owner=identity("bench", server["user"])).open()
    app = CrmApp(compose(inner, cache=cache, outbox=Outbox(inner)), refresh_seconds=0, cursor_blink=False)
    result: dict[str, Any] = {}
    async with app.run_test(size=(160, 45)):
        shown: StreamList | None = None
        while True:
            if shown is None or not shown.is_attached:  # a query of the screen costs ~60 us: not every ms
                found = app.screen.query(StreamList)
                shown = found.first() if found else None
            rows = len(shown.entries) if shown is not None else 0
            if rows >= expect:
                break
            await asyncio.sleep(0.001)
        # The list's rows drawn: the screen's next refresh (Textual runs the callback once the screen is
        # idle with nothing left to paint). Not `pilot.pause()`: it waits for 20 ms slices in which the
        # process used under 1 ms of CPU, which stopped the clock 40 ms late or more.
        await app.wait_for_refresh()
        result.update(cpu_s=time.process_time() - cpu, wall_s=time.perf_counter() - wall, rows=rows)
        while not (app.connected and app.sync_status.startswith("updated")):
            await asyncio.sleep(0.005)
        await flush_cache_writes()
    cache.close()
    result["rss_mb"] = rss_mb()
    result["traced_mb"] = tracemalloc.get_traced_memory()[1] / 1e6 if traced else 0
    return result


async def stream_size(url: str, user: str, key: str) -> int:
    """How many rows the whole stream has: what the list must hold before the clock stops."""
    from crmtui.backends.onepagecrm.adapter import OnePageCRMBackend
    from crmtui.backends.onepagecrm.client import OnePageCRMClient

    backend = OnePageCRMBackend(OnePageCRMClient(user, key, base_url=url))
    try:
        await backend.connect()
        return await backend.stream_size()
    finally:
        await backend.close()


def run_child(argv: list[str]) -> None:
    what = argv[0]
    if what == "bare":
        result = child_bare(argv[1] == "traced")
    else:
        server, cache_path, expect, traced = json.loads(argv[1]), Path(argv[2]), int(argv[3]), argv[4] == "traced"
        result = asyncio.run(child_app(server, cache_path, expect, traced))
    print(json.dumps(result))


def child(src: str | None, *args: str) -> dict[str, Any]:
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run(
        [sys.executable, str(HERE), "--child", *args], capture_output=True, text=True, env=env, timeout=1800
    )
    if out.returncode != 0:
        raise SystemExit(f"child {args[:1]} failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# -- the cache file ----------------------------------------------------------------------------------


def cache_room(path: Path) -> dict[str, Any]:
    conn = sqlite3.connect(path)
    try:
        room: dict[str, Any] = {"file_bytes": path.stat().st_size}
        try:
            room["dbstat"] = dict(conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"))
        except sqlite3.Error:
            room["dbstat"] = {}
        room["free_pages"] = conn.execute("PRAGMA freelist_count").fetchone()[0]
        room["page_size"] = conn.execute("PRAGMA page_size").fetchone()[0]
        room["data"] = {
            kind: (count, size) for kind, count, size in conn.execute(
                "SELECT kind, count(*), sum(length(data)) FROM rows GROUP BY kind ORDER BY 3 DESC"
            )
        }
        return room
    finally:
        conn.close()


# -- the report --------------------------------------------------------------------------------------


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def bench(contacts: int, runs: int, variants: dict[str, str | None], tmp: Path) -> None:
    sys.path.insert(0, str(HERE.parent))
    from paging import start_sandbox  # the benchmarks share one way to start the sandbox

    process, url, user, key = start_sandbox(contacts, 0.0, tmp / f"sandbox-{contacts}.sqlite3")
    server = json.dumps({"url": url, "user": user, "key": key})
    expect = asyncio.run(stream_size(url, user, key))
    figures: dict[str, dict[str, list[float]]] = {name: {} for name in ["bare", *variants]}
    rooms: dict[str, dict[str, Any]] = {}
    rows = 0

    def add(name: str, label: str, value: float) -> None:
        figures[name].setdefault(label, []).append(value)

    try:
        for run in range(runs):
            for traced in ("plain", "traced"):
                r = child(None, "bare", traced)
                add("bare", f"rss {traced}", r["rss_mb"])
                if traced == "plain":
                    add("bare", "wall", r["wall_s"])
                    add("bare", "cpu", r["cpu_s"])
                if traced == "traced":
                    add("bare", "tracemalloc peak", r["traced_mb"])
            for name, src in variants.items():
                path = tmp / f"cache-{contacts}-{name}-{run}.sqlite3"
                for traced in ("plain", "traced"):
                    if traced == "traced":
                        path.unlink(missing_ok=True)
                    cold = child(src, "app", server, str(path), str(expect), traced)
                    rows = cold["rows"]
                    warm = child(src, "app", server, str(path), str(expect), traced)
                    if traced == "plain":
                        add(name, "cold: CPU to whole stream (s)", cold["cpu_s"])
                        add(name, "cold: wall to whole stream (s)", cold["wall_s"])
                        add(name, "warm: wall to whole stream (s)", warm["wall_s"])
                        add(name, "warm: CPU to whole stream (s)", warm["cpu_s"])
                        add(name, "cold: peak RSS (MB)", cold["rss_mb"])
                        add(name, "warm: peak RSS (MB)", warm["rss_mb"])
                        rooms[name] = cache_room(path)
                    else:
                        add(name, "cold: tracemalloc peak (MB)", cold["traced_mb"])
                        add(name, "warm: tracemalloc peak (MB)", warm["traced_mb"])
    finally:
        process.terminate()
        process.wait(10)

    names = list(variants)
    print(f"\n## {contacts:,} contacts ({rows:,} in the stream), median of {runs}\n")
    print("| what | " + " | ".join(names) + " |")
    print("| --- |" + " ---: |" * len(names))
    for label in figures[names[0]]:
        print(f"| {label} | " + " | ".join(f"{med(figures[n][label]):.2f}" for n in names) + " |")
    bare = figures["bare"]
    print(f"| bare Textual app, one static line: wall / CPU to its first frame (s) | {med(bare['wall']):.2f} / "
          f"{med(bare['cpu']):.2f} |" + " |" * (len(names) - 1))
    print(f"| bare Textual app: tracemalloc peak / peak RSS (MB) | {med(bare['tracemalloc peak']):.1f} / "
          f"{med(bare['rss plain']):.0f} |" + " |" * (len(names) - 1))
    for name in names:
        room = rooms[name]
        print(f"\ncache file ({name}): {room['file_bytes'] / 1e6:.1f} MB, page size {room['page_size']}, "
              f"{room['free_pages']} free pages")
        for table, size in room["dbstat"].items():
            print(f"  {table:<28} {size / 1e6:8.2f} MB")
        for kind, (count, size) in room["data"].items():
            print(f"  rows[{kind}]: {count:,} rows, data {size / 1e6:.2f} MB ({size / max(count, 1):,.0f} B a row)")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        run_child(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, action="append", help="account size (repeatable; default 5k 10k 20k 50k)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each measurement (median)")
    parser.add_argument("--before", help="a src/ directory of the old code, measured interleaved as 'before'")
    args = parser.parse_args()
    variants: dict[str, str | None] = {"before": args.before, "after": None} if args.before else {"now": None}
    print(f"crmtui data path · Python {sys.version.split()[0]} · {os.cpu_count()} cores · {time.strftime('%Y-%m-%d')}")
    with tempfile.TemporaryDirectory() as tmp:
        for contacts in args.contacts or [5000, 10000, 20000, 50000]:
            bench(contacts, args.runs, variants, Path(tmp))


if __name__ == "__main__":
    main()

"""What one `d` followed by a next action costs: requests to the server and full list rebuilds.

Runs the real CrmApp headless at 160x45 on a sandbox seeded with --contacts N (default 8,000,
about 3,300 rows in the stream), presses `d` on the first contact, types a next action and Enter,
and waits until the outbox has sent both changes and the app is idle. It counts:

- HTTP requests the app sent from the `d` until idle (every `ApiHttp.send`, retries included),
- full sorts of the stream (`Session.sort`, and `sort_entries` where a version still calls it)
  and full rebuilds of the visible list (`StreamList._rebuild`), which each cost about 100 ms at
  8,000 rows,
- wall time from the `d` until the app is idle.

    .venv/bin/python bench/triage_cost.py --contacts 8000 --repeats 3
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from paging import start_sandbox

import crmtui.domain.stream as stream_module
from crmtui.backends.http import ApiHttp
from crmtui.backends.registry import Connection, create_backend
from crmtui.service.session import Session
from crmtui.service.compose import compose
from crmtui.ui.app import CrmApp
from crmtui.ui.widgets.stream_list import StreamList

COUNTS: Counter[str] = Counter()
SEEN: list[str] = []
"""The requests of the last run (method and path)."""


def counting(owner: Any, name: str, label: str) -> None:
    """Count calls of `owner.name` under `label` (sync or async), wherever it is called from."""
    original = getattr(owner, name)
    if asyncio.iscoroutinefunction(original):

        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            COUNTS[label] += 1
            if label == "requests":
                SEEN.append(" ".join(str(a) for a in args[1:3]))
            return await original(*args, **kwargs)

        setattr(owner, name, async_wrapper)
    else:

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            COUNTS[label] += 1
            return original(*args, **kwargs)

        setattr(owner, name, wrapper)


def count_sorts() -> None:
    """`sort_entries` is imported by name in several modules: wrap it wherever it is bound."""
    import sys

    original: Callable[..., Any] = stream_module.sort_entries

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        COUNTS["full sorts"] += 1
        return original(*args, **kwargs)

    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("crmtui") and getattr(module, "sort_entries", None) is original:
            module.sort_entries = wrapper  # type: ignore[attr-defined]


async def idle(app: CrmApp, pilot: Any) -> None:
    def quiet() -> bool:
        return not any(w.is_running for w in app.workers) and app.session.outbox.quiet and not app.session.rereading()

    while not quiet():
        await pilot.pause(0.01)
    await pilot.pause()
    while not quiet():
        await pilot.pause(0.01)


async def measure(url: str, user: str, key: str, repeats: int) -> list[dict[str, float]]:
    backend = create_backend(Connection(backend="onepagecrm", base_url=url, user_id=user, api_key=key))
    app = CrmApp(compose(backend, local_copy=False), refresh_seconds=0, cursor_blink=False)
    runs: list[dict[str, float]] = []
    async with app.run_test(size=(160, 45)) as pilot:
        while not (app.connected and app.sync_status.startswith("updated")):
            await pilot.pause(0.01)
        await idle(app, pilot)
        rows = len(app.screen.query_one(StreamList).entries)
        for i in range(repeats):
            entry = app.screen.query_one(StreamList).selected_entry
            assert entry is not None and entry.next_action is not None, "the first row has a next action"
            COUNTS.clear()
            SEEN.clear()
            started = time.perf_counter()
            await pilot.press("d")
            while app.screen.__class__.__name__ != "NextActionModal":
                await pilot.pause(0.01)
            for ch in f"Follow up {i}":
                await pilot.press("space" if ch == " " else ch)
            await pilot.press("enter")
            while app.session.outbox.sent_count < 2 * (i + 1):
                await pilot.pause(0.01)
            await idle(app, pilot)
            runs.append(
                {
                    "requests": COUNTS["requests"],
                    "full sorts": COUNTS["full sorts"],
                    "list rebuilds": COUNTS["list rebuilds"],
                    "seconds": time.perf_counter() - started,
                    "rows": rows,
                }
            )
            print(f"run {i + 1}: " + "; ".join(SEEN))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=8000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    counting(ApiHttp, "send", "requests")
    counting(StreamList, "_rebuild", "list rebuilds")
    counting(Session, "sort", "full sorts")
    count_sorts()
    with tempfile.TemporaryDirectory() as folder:
        process, url, user, key = start_sandbox(args.contacts, 0.0, Path(folder) / "sandbox.sqlite3")
        try:
            runs = asyncio.run(measure(url, user, key, args.repeats))
        finally:
            process.terminate()
            process.wait()
    print(f"d + next action, {args.contacts:,} contacts ({int(runs[0]['rows']):,} rows), {len(runs)} runs")
    for label in ("requests", "full sorts", "list rebuilds", "seconds"):
        values = [r[label] for r in runs]
        shown = ", ".join(f"{v:.2f}" if label == "seconds" else f"{int(v)}" for v in values)
        print(f"  {label:14} {shown}   (median {statistics.median(values):.2f})")


if __name__ == "__main__":
    main()

"""Time the action stream screen on a large account, headless: load, first paint, keys, filter.

Starts `crmtui sandbox` as a separate process seeded with --contacts N, runs the real CrmApp in
Textual's headless test mode at 160x45 and measures:

- start to stream shown (connect, page through the stream, sort, first paint of the visible rows),
- one cursor step (j), a page down (PgDn) and a keystroke in the filter (/ then a letter) over the
  whole stream, as CPU time of the app's process until the screen has been repainted,
- a full refresh (r) until the list is shown again.

    .venv/bin/python bench/ui_stream.py --contacts 20000
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from paging import start_sandbox

from crmtui.backends.registry import Connection, create_backend
from crmtui.service.compose import compose
from crmtui.ui.app import CrmApp
from crmtui.ui.widgets.stream_list import StreamList


async def measure(url: str, user: str, key: str, repeats: int) -> dict[str, list[float]]:
    backend = create_backend(Connection(backend="onepagecrm", base_url=url, user_id=user, api_key=key))
    app = CrmApp(compose(backend, local_copy=False), refresh_seconds=0, cursor_blink=False)
    times: dict[str, list[float]] = {}
    started = time.perf_counter()
    async with app.run_test(size=(160, 45)) as pilot:
        stream = app.screen.query_one(StreamList)
        while not stream.entries:
            await asyncio.sleep(0.002)
        times["start to first rows shown"] = [time.perf_counter() - started]
        while not (app.connected and app.sync_status.startswith("updated")):
            await asyncio.sleep(0.005)
        await pilot.pause()
        times["start to whole stream shown"] = [time.perf_counter() - started]
        rows = len(app.screen.query_one(StreamList).entries)
        times[f"rows in the stream ({rows:,})"] = []

        async def timed(label: str, *keys: str) -> None:
            # CPU time of this process (the sandbox is another process): the key's handling and
            # repaint, without the fixed waits of Textual's test pilot, which dominate wall time.
            t = time.process_time()
            await pilot.press(*keys)
            await pilot.pause()
            times.setdefault(label, []).append(time.process_time() - t)

        for _ in range(repeats):
            await timed("cursor down (j)", "j")
            await timed("page down (PgDn)", "pagedown")
        await pilot.press("slash")
        for letter in "garcia"[:repeats]:
            await timed("filter keystroke", letter)
        await pilot.press("escape")
        for _ in range(max(1, repeats // 3)):
            t = time.perf_counter()
            await pilot.press("r")
            await pilot.pause(0.05)
            while app.sync_status.startswith(("refreshing", "loading")):
                await asyncio.sleep(0.005)
            await pilot.pause()
            times.setdefault("full refresh (r)", []).append(time.perf_counter() - t)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=6)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        process, url, user, key = start_sandbox(args.contacts, 0.0, Path(tmp) / "bench.sqlite3")
        try:
            times = asyncio.run(measure(url, user, key, args.repeats))
        finally:
            process.terminate()
            process.wait(10)
    print(f"{'what':<32} {'median':>10} {'max':>10}")
    for label, values in times.items():
        if values:
            print(f"{label:<32} {statistics.median(values) * 1000:>8.0f}ms {max(values) * 1000:>8.0f}ms")
        else:
            print(label)


if __name__ == "__main__":
    main()

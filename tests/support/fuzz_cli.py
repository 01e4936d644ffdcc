"""Count fuzz outcomes over many cases, safely: `python -m tests.support.fuzz_cli` from the checkout's root.

    python -m tests.support.fuzz_cli --cases 1000 --seed 7 --deadline 10

The cases run in worker processes with an address-space cap: a worker that dies, or goes silent past
the deadline (an unbounded loop or allocation cannot be cancelled from inside), is counted against its
case and a new worker resumes after it. To count another version of crmtui on the same cases, put
its `src` first on PYTHONPATH.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import queue
import resource
import subprocess
import sys
import threading
import time

from crmtui.sandbox.onepagecrm.server import SandboxOptions, start_sandbox

from .fuzz import Case, Report, make_case, run_fuzz


def _worker(args: argparse.Namespace) -> int:
    """Run cases in this process, one JSON line per case on stdout ("start" first, then the outcome)."""

    def started(case: Case) -> None:
        print(json.dumps({"start": case.index}), flush=True)

    def ended(case: Case, outcome: str, detail: str, peak: int, seconds: float) -> None:
        print(json.dumps({"index": case.index, "case": str(case), "outcome": outcome, "detail": detail,
                          "peak": peak, "seconds": seconds}), flush=True)

    handle = start_sandbox(SandboxOptions(today=dt.date(2026, 3, 10), seed=42))
    try:
        asyncio.run(run_fuzz(
            handle, cases=args.cases, first=args.first, seed=args.seed, deadline=args.deadline,
            trace_memory=not args.no_trace, on_case=ended, on_start=started,
        ))
    finally:
        handle.stop()
    return 0


def _rss(pid: int) -> int:
    """Resident bytes of a process (Linux), 0 when unknown."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _supervise(args: argparse.Namespace) -> int:
    """Run the cases in worker processes with a memory cap; a worker that dies or goes silent past the
    deadline is counted against the case it was on (memory / hang), and a new one resumes after it."""
    cap = int(args.memory_cap_gb * (1 << 30))
    report = Report()
    started = time.monotonic()
    following, end = args.first, args.first + args.cases
    while following < end:
        command = [sys.executable, "-m", "tests.support.fuzz_cli", "--worker", "--first", str(following),
                   "--cases", str(end - following), "--seed", str(args.seed), "--deadline", str(args.deadline)]
        if args.no_trace:
            command.append("--no-trace")
        worker = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (cap, cap)),
        )
        lines: queue.Queue = queue.Queue()
        def pump(stream=worker.stdout, lines=lines) -> None:
            for line in stream:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        current: int | None = None
        while True:
            try:
                line = lines.get(timeout=args.deadline + 30)
            except queue.Empty:
                rss = _rss(worker.pid)
                worker.kill()
                outcome = "memory" if rss > 1 << 30 else "hang"
                case = make_case(args.seed, current if current is not None else following)
                report.add(str(case), outcome, f"worker silent, {rss / 1e9:.1f} GB resident", 0, 0.0)
                following = (current if current is not None else following) + 1
                break
            if line is None:  # the worker ended
                worker.wait()
                if current is not None:
                    report.add(str(make_case(args.seed, current)), f"crash:worker-died(rc={worker.returncode})", "", 0, 0.0)
                    following = current + 1
                else:
                    following = end
                break
            record = json.loads(line)
            if "start" in record:
                current = record["start"]
                continue
            report.add(record["case"], record["outcome"], record["detail"], record["peak"], record["seconds"])
            current = None
            following = record["index"] + 1
    print(report.summary(limit=args.show))
    print(f"run time: {time.monotonic() - started:.1f} s")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--deadline", type=float, default=20.0)
    parser.add_argument("--memory-cap-gb", type=float, default=2.0, help="address-space limit of each worker")
    parser.add_argument("--no-trace", action="store_true", help="skip tracemalloc (faster)")
    parser.add_argument("--show", type=int, default=1000, help="failures to list")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    return _worker(args) if args.worker else _supervise(args)


if __name__ == "__main__":
    raise SystemExit(main())

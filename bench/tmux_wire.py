"""Bytes crmtui writes to the terminal: per cursor step and while idle, counted in tmux.

Runs the real `crmtui --demo` (OnePageCRM, Pipedrive, Crust) in a tmux server of its own at 160x45
(and OnePageCRM at 119x45, where the preview pane is hidden), with its config, data and cache in a
temporary directory, and two reference apps from `wire_refs.py` the same way: a bare Textual app
(one static line) and a Textual DataTable holding rows like the stream's. For each it waits until
the screen is drawn and nothing more is written, then counts with `tmux pipe-pane` what the program
writes:

- per cursor step: `Down` sent N times, one at a time, each once the previous step's output has
  settled (no byte for --settle seconds): the bytes of each step, median and max;
- idle: --idle seconds (10) of wall-clock time with no key pressed;
- CPU per cursor step: the program's own CPU time (user + system, /proc) over the steps, divided by
  their number (the wait for output to settle included: an idle program spends nothing in it);
- CPU a second while idle: the same over the idle spell (/proc counts in 10 ms ticks: over 10 s,
  1 ms a second).

`--size N` seeds the demo account with N contacts (OnePageCRM) or leads (Pipedrive) instead of the
demo's 300 (CRMTUI_DEMO_SIZE), and gives Crust's demo N more records in its Account module, the one
shown first (bench/start.py's `grow_crust_accounts`, written into the demo's data file before it
starts); `--rows` sizes the DataTable reference to match (e.g. 8174, the stream of a 20,000-contact
account).

Each program is measured once it is idle, by what its screen says: OnePageCRM's and Crust's header
"updated", and Pipedrive's also its API gauge at "0/20 per 2s" (no request in the last two seconds:
the inbox's pages and the people's names on screen are read); then until it spends no CPU (under
--quiet-cpu of a core over a second, /proc: OnePageCRM reads the whole contact directory after the
first screen without a word on it), not after a fixed wait.

    .venv/bin/python bench/tmux_wire.py                  # all targets, 20 steps, 10 s idle
    .venv/bin/python bench/tmux_wire.py --only crmtui    # the targets whose name has "crmtui"
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.tmux import TmuxSession  # the e2e tests' driver: a tmux server per session

from wire_refs import READY

BIN = Path(sys.executable).parent
CRMTUI = BIN / "crmtui"


@dataclass
class Target:
    name: str
    command: list[str]
    ready: str
    """Text on the screen once the program has drawn what it is measured on."""
    idle: tuple[str, ...] = ()
    """More text on the screen once it is also idle (nothing being read)."""
    size: tuple[int, int] = (160, 45)
    steps: bool = True
    """Whether cursor steps mean anything to it (not to the bare app's one line)."""
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class Result:
    steps: list[int] = field(default_factory=list)
    idle: int = 0
    cpu_ms: float | None = None
    """CPU per cursor step, in ms."""
    idle_cpu_ms: float = 0.0
    """CPU per second of the idle spell, in ms (timers, polls: what wakes a program with nothing to do)."""


def targets(rows: int, trees: list[tuple[str, Path | None]]) -> list[Target]:
    """The crmtui targets once per source tree (None: the installed crmtui), then the references."""
    refs = [sys.executable, str(ROOT / "bench" / "wire_refs.py")]
    chosen = []
    for label, tree in trees:
        demo = [str(CRMTUI), "--demo"] if tree is None else [sys.executable, "-m", "crmtui", "--demo"]
        env = {} if tree is None else {"PYTHONPATH": str(tree / "src")}  # before the installed copy on sys.path
        tag = f" [{label}]" if label else ""
        chosen += [
            Target(f"crmtui onepagecrm, preview open{tag}", demo, "updated", env=env),
            Target(f"crmtui onepagecrm, no preview (119 cols){tag}", demo, "updated", size=(119, 45), env=env),
            Target(
                f"crmtui pipedrive, lead pane open{tag}", [*demo, "--backend", "pipedrive"], "My leads · ",
                ("updated", " 0/20 per 2s"), env=env,
            ),
            Target(f"crmtui crust, records{tag}", [*demo, "--backend", "crust"], "Account · ", ("updated",), env=env),
        ]
    return [
        *chosen,
        Target("bare Textual app", [*refs, "bare"], READY, steps=False),
        Target(f"Textual DataTable, {rows} rows", [*refs, "datatable", "--rows", str(rows)], READY),
    ]


class Wire(TmuxSession):
    def pipe_to(self, path: Path) -> None:
        """Append everything the pane's program writes to `path` from now on."""
        self._tmux("pipe-pane", "-o", "-t", self.name, f"cat >> {shlex.quote(str(path))}")

    def settle_cpu(self, share: float, timeout: float = 600.0) -> float:
        """Wait until the program spends less than `share` of a core over a second; the seconds it took."""
        started = time.monotonic()
        before, since = self.cpu_seconds(), started
        while time.monotonic() - started < timeout:
            time.sleep(0.25)
            now, at = self.cpu_seconds(), time.monotonic()
            if at - since >= 1.0:
                if now - before < share * (at - since):
                    break
                before, since = now, at
        return time.monotonic() - started

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the pane's program has spent so far (Linux /proc)."""
        pid = self._tmux("display-message", "-p", "-t", self.name, "#{pane_pid}").strip()
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def seed_crust(data_dir: Path, size: int) -> None:
    """The Crust demo's data file seeded as the demo seeds it, then `size` more Account records in it
    (bench/start.py's helpers), before the demo starts on it."""
    from start import grow_crust_accounts, start_crust

    data_dir.mkdir(parents=True, exist_ok=True)
    data = data_dir / "demo-crust.sqlite3"  # crmtui.demo.demo_database's name for Crust's
    process, _url, _jwt = start_crust(data)
    process.terminate()
    process.wait(10)
    grow_crust_accounts(data, size)


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def settle(path: Path, quiet: float, grown_from: int | None = None, timeout: float = 10.0) -> int:
    """The file's size once it has grown past `grown_from` (if given) and then not grown for `quiet` s."""
    deadline = time.monotonic() + timeout
    if grown_from is not None:
        while _size(path) <= grown_from and time.monotonic() < deadline:
            time.sleep(0.01)
    size, since = _size(path), time.monotonic()
    while time.monotonic() - since < quiet and time.monotonic() < deadline + quiet:
        time.sleep(0.02)
        now = _size(path)
        if now != size:
            size, since = now, time.monotonic()
    return size


def measure(
    target: Target, tmp: Path, steps: int, idle: float, quiet: float, size: int = 0, quiet_cpu: float = 0.03
) -> Result:
    home = tmp / "".join(c if c.isalnum() else "_" for c in target.name)
    home.mkdir(parents=True)  # pipe-pane's `cat >>` needs the directory
    env = {
        "CRMTUI_DATA_DIR": str(home / "data"),
        "CRMTUI_CONFIG_DIR": str(home / "config"),
        "CRMTUI_CACHE_DIR": str(home / "cache"),
        "CRMTUI_DEMO_TODAY": "2026-03-10",
        "CRMTUI_DEMO_SEED": "42",
        **({"CRMTUI_DEMO_SIZE": str(size)} if size else {}),
        "TERM": os.environ.get("TERM", "xterm-256color"),
        **target.env,
    }
    if size and "crust" in target.command:
        seed_crust(home / "data", size)
    width, height = target.size
    session = Wire(target.command, width=width, height=height, env=env, cwd=ROOT)
    out = home / "wire.bin"
    try:
        session.wait_for(target.ready, *target.idle, timeout=600)
        busy = session.settle_cpu(quiet_cpu)
        if busy > 2:
            print(f"  {target.name}: busy {busy:.0f} s after it said it was ready", file=sys.stderr, flush=True)
        session.pipe_to(out)
        settle(out, max(quiet, 1.0))  # the first sync's last answers, the preview's deals
        result = Result()
        cpu = session.cpu_seconds()
        for _ in range(steps if target.steps else 0):
            before = _size(out)
            session.send("Down")
            result.steps.append(settle(out, quiet, grown_from=before, timeout=3.0) - before)
        if result.steps:
            result.cpu_ms = (session.cpu_seconds() - cpu) * 1000 / len(result.steps)
        before = settle(out, max(quiet, 1.0))
        cpu = session.cpu_seconds()
        time.sleep(idle)  # a real idle spell: what the program writes with nothing happening
        result.idle = _size(out) - before
        result.idle_cpu_ms = (session.cpu_seconds() - cpu) * 1000 / idle
        return result
    finally:
        session.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--idle", type=float, default=10.0)
    parser.add_argument("--settle", type=float, default=0.5, help="seconds without output that end a step")
    parser.add_argument("--rows", type=int, default=200, help="rows in the DataTable reference")
    parser.add_argument("--size", type=int, default=0, help="contacts (OnePageCRM) or leads (Pipedrive) in the demo account")
    parser.add_argument(
        "--quiet-cpu", type=float, default=0.03,
        help="share of a core under which the program counts as idle before it is measured (0.03: 30 ms a second)",
    )
    parser.add_argument(
        "--only", action="append", default=[],
        help="measure only the targets whose name contains this (again: or that, e.g. --only 'preview open' --only DataTable)",
    )
    parser.add_argument("--repeats", type=int, default=1, help="measure every target this many times, interleaved")
    parser.add_argument(
        "--tree", action="append", default=[], metavar="LABEL=DIR",
        help="also run crmtui from the source tree DIR (e.g. `git archive` of an earlier commit), labelled LABEL",
    )
    args = parser.parse_args()
    trees: list[tuple[str, Path | None]] = [("now" if args.tree else "", None)]
    for spec in args.tree:
        label, _, folder = spec.partition("=")
        trees.append((label, Path(folder).resolve()))
    chosen = [t for t in targets(args.rows, trees) if not args.only or any(part in t.name for part in args.only)]
    results: dict[str, list[Result]] = {t.name: [] for t in chosen}
    with tempfile.TemporaryDirectory(prefix="crmtui-wire-") as tmp:
        for run in range(args.repeats):
            for target in chosen:
                result = measure(
                    target, Path(tmp) / str(run), args.steps, args.idle, args.settle, args.size, args.quiet_cpu
                )
                results[target.name].append(result)
                print(
                    f"  {target.name}: steps {result.steps}, idle {result.idle}, cpu/step {result.cpu_ms}, "
                    f"idle cpu/s {result.idle_cpu_ms:.1f}", file=sys.stderr, flush=True,
                )
    print(
        f"\n| what ({args.steps} Down steps, {args.idle:g} s idle) | bytes per step, median | max | idle bytes | CPU per step "
        "| CPU a second, idle |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, runs in results.items():
        steps = [s for r in runs for s in r.steps]
        idle = statistics.median(r.idle for r in runs)
        median, most = (f"{statistics.median(steps):,.0f}", f"{max(steps):,}") if steps else ("", "")
        cpus = [r.cpu_ms for r in runs if r.cpu_ms is not None]
        cpu = f"{statistics.median(cpus):.1f} ms" if cpus else ""
        idle_cpu = statistics.median(r.idle_cpu_ms for r in runs)
        print(f"| {name} | {median} | {most} | {idle:,.0f} | {cpu} | {idle_cpu:.1f} ms |")


if __name__ == "__main__":
    main()

"""Warm start to first rows: process start to the first rows on the terminal, against a bare Textual app.

    .venv/bin/python bench/start.py                       # 20,000 items on each backend, 7 runs each
    .venv/bin/python bench/start.py --items 5000 --runs 3 --backend crust

What it measures, each run in a fresh process on a pseudo-terminal of 160x45 (what a terminal over
SSH is to the app), the runs of the apps interleaved so the machine's load falls on all of them alike:

- the bare reference: `python -c` of a Textual app showing one Static line, to the line's text on the
  terminal;
- the screen reference: the same first screen written plainly with Textual's own widgets (a header
  line, a DataTable of 200 rows read from a JSON file, a 20-line pane, Textual's Footer with 17 keys),
  to its first row on the terminal: what showing this screen costs any Textual app;
- the stack reference: that screen with its rows read through a pydantic model (pydantic imported,
  a TypeAdapter of a six-field model built and run over the file): what the design card's two
  packages (Textual, pydantic) cost any app that shows this screen from typed rows;
- `crmtui` (the console script, as a person starts it: credentials in the environment, --base-url the
  sandbox's), its cache warm, to the first rows on the terminal: a section header with its count
  (OnePageCRM's action stream: "ASAP · 11"; Pipedrive's leads inbox: "Overdue · 6"), or (Crust) a
  record of the module shown first. Nothing in the app is told it is measured: the bench reads the
  bytes the app writes to the terminal and stops the clock at the first that show a row;
- the same start to its whole list: the title's count, which each screen shows only once its whole
  list is read ("Action stream · 8,174", "My leads · 1,716", "Account · 20,040 records").

Each source tree is compiled to bytecode first (`compileall`, as pip does when it installs): where
PYTHONDONTWRITEBYTECODE is set, a tree from `git archive` would otherwise be compiled from source at
every start.

The accounts: OnePageCRM's sandbox seeded with --items contacts (bench/paging.py's start_sandbox),
Pipedrive's with --items leads (bench/pipedrive_inbox.py's), Crust's seeded as usual and then given
--items more records in its Account module (the first one shown), written into its data file before
it starts. The cache is warmed by one crmtui run (a cold start, to its "updated" after the whole first
screen is read), quit with q.

Each start is also split where its app starts to run: its first byte on the terminal (a Textual
app's driver taking the terminal, 1-2 ms after `App.run`: its imports done, its settings read, the
app made), and from there to its first rows.

Then `python -X importtime` of what a start imports before the first paint (crmtui.cli.main run up to
where the app would run, the first screen's module imported), the import time summed by package.
"""

from __future__ import annotations

import argparse
import datetime as dt
import fcntl
import json
import os
import pty
import re
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parent.parent
CRMTUI = str(Path(sys.executable).with_name("crmtui"))
COLUMNS, LINES = 160, 45

BARE_APP = """
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static("bare textual app ready")

Bare().run()
"""
BARE_SHOWN = re.compile(rb"bare textual app ready")

# The same first screen written plainly with Textual's own widgets, no crmtui: a header line, a
# DataTable of the first 200 rows (six columns), a preview pane of 20 lines and Textual's Footer
# with 17 keys, its rows read from a JSON file (sqlite's or crmtui's models would only add to it).
# What any Textual app pays to show this screen: the floor under crmtui's first rows.
SCREEN_APP = """
import json, sys
from textual.app import App
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Static

KEYS = "d n e u slash a enter f C asterisk s p r R F q question_mark".split()

class Screen(App):
    CSS = "#body { height: 1fr; } DataTable { width: 2fr; } #pane { width: 1fr; }"
    BINDINGS = [Binding(key, f"k{i}", f"Key {i}") for i, key in enumerate(KEYS)]

    def compose(self):
        rows = json.load(open(sys.argv[1]))
        yield Static(f"plain · Action stream · {len(rows):,}")
        with Horizontal(id="body"):
            table = DataTable(cursor_type="row")
            table.add_columns("", "Name", "Company", "Next action", "When", "Value")
            table.add_rows(rows)
            yield table
            yield Static("\\n".join(f"pane line {i}" for i in range(20)), id="pane")
        yield Footer()

Screen().run()
"""
SCREEN_SHOWN = re.compile(rb"Plain Person 00\d")

# The same screen, its rows read through a pydantic model (a TypeAdapter of a six-field model over
# the file, as crmtui's cache reads its rows through its models), plugins off as crmtui has them:
# what the design card's stack (Textual and pydantic) pays to show it.
PYDANTIC_SCREEN_APP = SCREEN_APP.replace(
    "import json, sys\n",
    "import json, os, sys\n"
    "os.environ.setdefault('PYDANTIC_DISABLE_PLUGINS', '__all__')\n"
    "from pydantic import BaseModel, TypeAdapter\n"
    "\n"
    "class Row(BaseModel):\n"
    "    star: str\n"
    "    name: str\n"
    "    company: str\n"
    "    action: str\n"
    "    when: str\n"
    "    value: str\n",
).replace(
    "        rows = json.load(open(sys.argv[1]))\n",
    "        read = TypeAdapter(list[Row]).validate_json(open(sys.argv[1], 'rb').read())\n"
    "        rows = [[getattr(row, name) for name in Row.model_fields] for row in read]\n",
)
assert "TypeAdapter(list[Row])" in PYDANTIC_SCREEN_APP and "json.load(" not in PYDANTIC_SCREEN_APP  # both parts replaced

FIRST_ROWS = {
    # A section header of the list, with its count: drawn only with rows under it.
    "onepagecrm": re.compile(rb"(ASAP|Overdue|Today|Future|Waiting for|Queued|No action)[^\x1b\n]{0,3}\xc2\xb7 \d"),
    "pipedrive": re.compile(rb"(Overdue|Today|Tomorrow|Upcoming|Later|No activity|This week|Next week)[^\x1b\n]{0,3}\xc2\xb7 \d"),
    "crust": re.compile(rb"Bench Account \d{5}"),
}
UPDATED = re.compile(rb"updated just now")
WHOLE_LIST = {
    # The title's count, which each screen shows only once its whole list is read (the count itself
    # is the one the cold start ended with: `whole_list`).
    "onepagecrm": rb"Action stream \xc2\xb7 (?P<count>[\d,]+)",
    "pipedrive": rb"leads \xc2\xb7 (?P<count>[\d,]+)",
    "crust": rb"\xc2\xb7 (?P<count>[\d,]+) records",
}


def whole_list(backend: str, cold_output: bytes) -> re.Pattern[bytes]:
    """The title with the whole list's count, as the cold start (which read the whole list) last drew it."""
    found = list(re.finditer(WHOLE_LIST[backend], cold_output))
    if not found:
        raise SystemExit(f"{backend}: the cold start never showed its list's count")
    count = found[-1]["count"]
    return re.compile(WHOLE_LIST[backend].replace(rb"(?P<count>[\d,]+)", re.escape(count)))


# -- a process on a pseudo-terminal ------------------------------------------------------------------


@dataclass
class Shown:
    seconds: float
    """Process start (just before the fork) to the first output matching the pattern."""
    output: bytes
    then: float | None = None
    """Process start to the first output matching the `then` pattern (which is looked for after `pattern`)."""
    first_byte: float | None = None
    """Process start to the first byte on the terminal: a Textual app's driver taking the terminal,
    as the app starts to run (its imports done, its settings read, the app made)."""


def on_terminal(
    command: list[str], env: dict[str, str], pattern: re.Pattern[bytes], timeout: float, quit_key: bytes,
    then: re.Pattern[bytes] | None = None,
) -> Shown:
    """Run `command` on a new pseudo-terminal, reading all it writes, until `pattern` shows (and then
    `then`, when given); then press `quit_key` (and kill it if it does not go)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True, close_fds=True,
    )
    os.close(slave)
    output = bytearray()
    found: float | None = None
    later: float | None = None
    first_byte: float | None = None
    try:
        while found is None or (then is not None and later is None):
            left = timeout - (time.perf_counter() - started)
            if left <= 0:
                raise SystemExit(f"{command[:3]}: nothing matched {pattern.pattern!r} in {timeout:.0f} s; it wrote:\n"
                                 f"{bytes(output[-3000:])!r}")
            ready, _, _ = select.select([master], [], [], min(left, 1.0))
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                raise SystemExit(f"{command[:3]} ended before {pattern.pattern!r}:\n{bytes(output[-3000:])!r}")
            if not output:
                first_byte = time.perf_counter() - started
            output += chunk
            # A match may straddle two reads: search the tail that may hold it.
            tail = max(0, len(output) - len(chunk) - 200)
            if found is None and pattern.search(output, tail):
                found = time.perf_counter() - started
            if found is not None and then is not None and later is None and then.search(output, tail):
                later = time.perf_counter() - started
        os.write(master, quit_key)
        deadline = time.perf_counter() + 30
        while process.poll() is None and time.perf_counter() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    os.read(master, 65536)
                except OSError:
                    break
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    finally:
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        os.close(master)
    return Shown(found, bytes(output), later, first_byte)


# -- the accounts ----------------------------------------------------------------------------------


@dataclass
class Account:
    backend: str
    env: dict[str, str]
    args: list[str]
    sandbox: subprocess.Popen[str]


def files_env(tmp: Path, backend: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONEPAGECRM_", "PIPEDRIVE_", "CRUST_", "CRMTUI_"))}
    env.update(
        TERM="xterm-256color", COLORTERM="truecolor",
        CRMTUI_CONFIG_DIR=str(tmp / backend / "config"), CRMTUI_DATA_DIR=str(tmp / backend / "data"),
        CRMTUI_CACHE_DIR=str(tmp / backend / "cache"),
    )
    return env


def tree_files(root: Path, backend: str) -> dict[str, str]:
    return {
        "CRMTUI_CONFIG_DIR": str(root / backend / "config"), "CRMTUI_DATA_DIR": str(root / backend / "data"),
        "CRMTUI_CACHE_DIR": str(root / backend / "cache"),
    }


def onepagecrm_account(items: int, latency: float, tmp: Path) -> Account:
    sys.path.insert(0, str(HERE.parent))
    from paging import start_sandbox  # the benchmarks share one way to seed and start each sandbox

    process, url, user, key = start_sandbox(items, latency, tmp / "onepagecrm.sqlite3")
    env = files_env(tmp, "onepagecrm") | {"ONEPAGECRM_USER_ID": user, "ONEPAGECRM_API_KEY": key}
    return Account("onepagecrm", env, ["--base-url", url], process)


def pipedrive_account(items: int, latency: float, tmp: Path) -> Account:
    sys.path.insert(0, str(HERE.parent))
    from pipedrive_inbox import start_sandbox

    process, url, token = start_sandbox(items, latency, tmp / "pipedrive.sqlite3")
    env = files_env(tmp, "pipedrive") | {"PIPEDRIVE_API_TOKEN": token}
    return Account("pipedrive", env, ["--backend", "pipedrive", "--base-url", url], process)


CRUST_LINE = re.compile(r"listening on (?P<url>\S+) jwt=(?P<jwt>\S+)")


def start_crust(data: Path, latency: float = 0.0) -> tuple[subprocess.Popen[str], str, str]:
    command = [
        sys.executable, "-m", "crmtui", "sandbox", "--backend", "crust", "--port", "0", "--data", str(data),
        "--latency", str(latency),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    found = CRUST_LINE.search(process.stdout.readline())
    if not found:
        process.kill()
        raise SystemExit("the Crust sandbox did not start")
    return process, found["url"], found["jwt"]


def grow_crust_accounts(data: Path, items: int) -> None:
    """`items` more records in the Account module of a seeded Crust sandbox file, copies of a seeded
    one under new ids and names ("Bench Account 00001"), made after every seeded record (so newest first)."""
    from crmtui.sandbox.common import Clock
    from crmtui.sandbox.crust.state import CrustState, go_time

    state = CrustState.open(data, Clock())
    state.load()
    account = next(m for m in state.modules() if m["name"] == "Account")
    model = next(c for c in state.tables["contents"].values() if c["moduleID"] == account["id"] and not c.get("deletedAt"))
    name_field = next(name for name in model["columns"] if "name" in name.lower())
    made = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    docs = []
    for n in range(1, items + 1):
        name = f"Bench Account {n:05d}"
        json_values = [dict(v, value=name) if v["name"] == name_field else dict(v) for v in model["json"]]
        doc = {
            **model, "id": state.ids.next(), "columns": {**model["columns"], name_field: name}, "json": json_values,
            "createdAt": go_time(made + dt.timedelta(seconds=n)),
        }
        doc.pop("updatedAt", None)
        docs.append(doc)
    with state.store.transaction():
        state.store.put_many("contents", docs)
    state.store.close()


def crust_account(items: int, latency: float, tmp: Path) -> Account:
    data = tmp / "crust.sqlite3"
    process, _url, _jwt = start_crust(data)  # seeds the file as the sandbox always does
    process.terminate()
    process.wait(10)
    grow_crust_accounts(data, items)
    process, url, jwt = start_crust(data, latency)
    env = files_env(tmp, "crust") | {"CRUST_JWT": jwt}
    return Account("crust", env, ["--backend", "crust", "--base-url", url], process)


ACCOUNTS = {"onepagecrm": onepagecrm_account, "pipedrive": pipedrive_account, "crust": crust_account}


# -- the report ------------------------------------------------------------------------------------


def compile_tree(env: dict[str, str]) -> str:
    """Compile the crmtui that `env` imports to bytecode (`compileall`, as pip does at install), and
    say where it is. Without it, a tree made with `git archive` (or a file changed since its .pyc was
    written, where PYTHONDONTWRITEBYTECODE is set) is compiled from source at every start: ~100 ms of
    a warm start, measured, that no installed crmtui pays."""
    where = subprocess.run(
        [sys.executable, "-c", "import crmtui, os; print(os.path.dirname(crmtui.__file__))"], env=env,
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    subprocess.run([sys.executable, "-m", "compileall", "-q", where], env=env, check=True, capture_output=True)
    return where


def import_times(account: Account, top: int, env: dict[str, str]) -> list[tuple[str, float]]:
    """`python -X importtime` of what crmtui imports from its start to the app's first paint: the run
    path of crmtui.cli (settings, local files, the backend, the session, the app) and the first screen."""
    script = (  # crmtui's own start (crmtui.cli.main), stopped where the app would run, its first screen imported
        "import sys\nimport crmtui.ui.app as ui\n"
        "def run_app(session, **options):\n"
        "    ui.CrmApp(session).top_level[0].screen\n"
        "    return 0\n"
        "ui.run_app = run_app\nfrom crmtui.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", script, *account.args], env=env, capture_output=True,
        text=True, timeout=120,
    )
    if out.returncode != 0:
        raise SystemExit(f"import times failed:\n{out.stderr[-3000:]}")
    by_package: dict[str, float] = {}
    for line in out.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            name = parts[2].strip().split(".")
            package = ".".join(name[:2]) if name[0] == "crmtui" else name[0]
            by_package[package] = by_package.get(package, 0.0) + int(parts[0].split(":")[1]) / 1000  # self time
    rows = sorted(by_package.items(), key=lambda row: -row[1])
    return [("(everything, self times summed)", sum(by_package.values())), *rows[:top]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=20000, help="contacts, leads or Crust records (default 20000)")
    parser.add_argument("--runs", type=int, default=7, help="starts of each app (median; default 7)")
    parser.add_argument("--backend", action="append", choices=tuple(ACCOUNTS), help="repeatable (default: all three)")
    parser.add_argument(
        "--latency", type=float, default=100.0,
        help="ms the sandboxes add to every answer (default 100, a WAN): rows from the server cannot come before the cache's",
    )
    parser.add_argument("--imports", type=int, default=12, help="top modules by cumulative import time (0: none)")
    parser.add_argument(
        "--before", metavar="SRC", type=Path,
        help="also start crmtui from this source tree (PYTHONPATH=SRC), interleaved: e.g. `git archive <commit> src | tar -x -C /tmp/before`, then /tmp/before/src",
    )
    args = parser.parse_args()
    backends = args.backend or list(ACCOUNTS)
    print(f"crmtui warm start · Python {sys.version.split()[0]} · {os.cpu_count()} cores · {time.strftime('%Y-%m-%d %H:%M')}"
          f" · {args.items:,} items · {COLUMNS}x{LINES} · median of {args.runs}")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        accounts: list[Account] = []
        # Each source tree has its own local files, warmed by its own cold start: a tree whose cache
        # format differs would otherwise find the other's cache unreadable and start cold.
        trees = [("", {})] + ([(" (before)", {"PYTHONPATH": str(args.before.resolve())})] if args.before else [])
        envs: dict[tuple[str, str], dict[str, str]] = {}
        wholes: dict[tuple[str, str], re.Pattern[bytes]] = {}
        try:
            for backend in backends:
                started = time.perf_counter()
                account = ACCOUNTS[backend](args.items, args.latency, tmp)
                accounts.append(account)
                for label, extra in trees:
                    envs[backend, label] = account.env | extra | (tree_files(tmp / "before", backend) if label else {})
                    compiled = compile_tree(envs[backend, label])
                    print(f"  {backend}{label}: crmtui from {compiled} (compiled to bytecode)", file=sys.stderr)
                    cold = on_terminal([CRMTUI, *account.args], envs[backend, label], UPDATED, 900, b"q")
                    wholes[backend, label] = whole_list(backend, cold.output)
                    print(f"  {backend}{label}: cold start to the first screen read whole, cache warmed: {cold.seconds:.1f} s",
                          file=sys.stderr)
                print(f"  {backend}: ready in {time.perf_counter() - started:.0f} s", file=sys.stderr)
            bare_env = files_env(tmp, "bare")
            rows_file = tmp / "plain_rows.json"
            rows_file.write_text(json.dumps([
                ["☆", f"Plain Person {i:03d}", f"Company {i % 97}", "Ask for referral", "ASAP", f"€{i * 100:,}"]
                for i in range(200)
            ]))
            models_file = tmp / "plain_models.json"  # the same rows as objects, for the pydantic screen
            names = ("star", "name", "company", "action", "when", "value")
            models_file.write_text(json.dumps([dict(zip(names, row)) for row in json.loads(rows_file.read_text())]))
            times: dict[str, list[float]] = {"bare": [], "screen": [], "pydantic screen": []}
            running: dict[str, list[float]] = {"bare": [], "screen": [], "pydantic screen": []}
            whole: dict[str, list[float]] = {}

            def seen(what: str, shown: Shown) -> None:
                times.setdefault(what, []).append(shown.seconds)
                assert shown.first_byte is not None
                running.setdefault(what, []).append(shown.first_byte)

            for run in range(args.runs):
                seen("bare", on_terminal([sys.executable, "-c", BARE_APP], bare_env, BARE_SHOWN, 60, b"\x11"))
                seen("screen", on_terminal([sys.executable, "-c", SCREEN_APP, str(rows_file)], bare_env, SCREEN_SHOWN, 60, b"\x11"))
                seen("pydantic screen", on_terminal(
                    [sys.executable, "-c", PYDANTIC_SCREEN_APP, str(models_file)], bare_env, SCREEN_SHOWN, 60, b"\x11",
                ))
                for account in accounts:
                    for label, _extra in trees:
                        shown = on_terminal(
                            [CRMTUI, *account.args], envs[account.backend, label], FIRST_ROWS[account.backend], 120, b"q",
                            then=wholes[account.backend, label],
                        )
                        seen(account.backend + label, shown)
                        assert shown.then is not None
                        whole.setdefault(account.backend + label, []).append(shown.then)
                print(f"  run {run + 1}: " + ", ".join(f"{k} {v[-1] * 1000:.0f} ms" for k, v in times.items()), file=sys.stderr)
            bare = statistics.median(times["bare"])
            stack = statistics.median(times["pydantic screen"])
            print("\n| process start to | median | min | max | / bare | / the pydantic screen |")
            print("| --- | ---: | ---: | ---: | ---: | ---: |")
            for what, values in times.items():
                label = {
                    "bare": "bare Textual app: its one line",
                    "screen": "the same screen in plain Textual (DataTable, 200 rows; Footer, 17 keys): its first rows",
                    "pydantic screen": "the same, its rows read through a pydantic model: its first rows",
                }.get(what, f"crmtui, {what}: first rows (warm cache)")
                median = statistics.median(values)
                print(f"| {label} | {median * 1000:,.0f} ms | {min(values) * 1000:,.0f} ms | {max(values) * 1000:,.0f} ms "
                      f"| {median / bare:.2f}x | {median / stack:.2f}x |")
            print("\n| where the time goes (medians) | process start to the app running: imports, settings, the app made "
                  "(its first byte on the terminal) | from there to the first rows |")
            print("| --- | ---: | ---: |")
            for what, values in times.items():
                to_run = statistics.median(running[what])
                print(f"| {what} | {to_run * 1000:,.0f} ms | {(statistics.median(values) - to_run) * 1000:,.0f} ms |")
            print("\n| process start to the whole list (the title's count), warm cache | median | min | max |")
            print("| --- | ---: | ---: | ---: |")
            for what, values in whole.items():
                print(f"| crmtui, {what} | {statistics.median(values) * 1000:,.0f} ms | {min(values) * 1000:,.0f} ms "
                      f"| {max(values) * 1000:,.0f} ms |")
            if args.imports:
                for account in accounts:
                    for label, _extra in trees:
                        print(f"\n| imported before the first paint, {account.backend}{label} (python -X importtime) | self, summed |")
                        print("| --- | ---: |")
                        for name, ms in import_times(account, args.imports, envs[account.backend, label]):
                            print(f"| {name} | {ms:,.0f} ms |")
        finally:
            for account in accounts:
                account.sandbox.terminate()
                account.sandbox.wait(10)


if __name__ == "__main__":
    main()

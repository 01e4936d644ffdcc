"""Unused snapshot files fail a parallel run, as they fail a serial one.

syrupy (under pytest-textual-snapshot) fails a run that leaves a snapshot file no test asked for (a
renamed or deleted test), but only in a single process: under pytest-xdist it skips the check
(syrupy 4.8, "TODO" in its session). This plugin does the check in the xdist controller, from the
test ids the workers collected and the tests that passed.

Only a complete run can tell a file is unused: the check is skipped when tests were selected with
-k, -m, a node id (path::name), --lf/--ff/--sw, or when a snapshot module had a test that did not
pass. `--snapshot-update` under xdist does not delete unused files either: this lists them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SNAPSHOT_DIR = "__snapshots__"
SUFFIX = ".svg"


def snapshot_name(nodeid: str) -> str:
    """The file stem syrupy gives a test's (first) snapshot: the test's name, classes joined by dots."""
    return nodeid.split("::", 1)[1].replace("::", ".")


def unused_files(root: Path, collected: list[str], passed: set[str]) -> list[Path]:
    """Snapshot files of fully run snapshot modules that no collected test names."""
    by_module: dict[str, list[str]] = {}
    for nodeid in collected:
        path = nodeid.split("::", 1)[0]
        by_module.setdefault(path, []).append(nodeid)
    unused: list[Path] = []
    for path, ids in by_module.items():
        folder = (root / path).parent / SNAPSHOT_DIR / Path(path).stem
        if not folder.is_dir() or not all(nodeid in passed for nodeid in ids):
            continue  # no snapshots, or a test that failed may not have reached its snapshot
        names = {snapshot_name(nodeid) for nodeid in ids}
        for file in sorted(folder.glob(f"*{SUFFIX}")):
            stem = re.sub(r"\.\d+$", "", file.name[: -len(SUFFIX)])  # test.1.svg: a test's second snapshot
            if stem not in names:
                unused.append(file)
    return unused


class UnusedSnapshots:
    """Registered in the xdist controller by tests/conftest.py."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.collected: list[str] | None = None
        self.passed: set[str] = set()
        self.failed: set[str] = set()

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids: list[str]) -> None:
        if self.collected is None:
            self.collected = list(ids)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed or report.skipped:
            self.failed.add(report.nodeid)
        elif report.when == "call":
            self.passed.add(report.nodeid)

    def _selected(self) -> bool:
        option = self.config.option
        narrowed = any("::" in arg for arg in self.config.args)
        return bool(
            narrowed or getattr(option, "keyword", "") or getattr(option, "markexpr", "")
            or getattr(option, "lf", False) or getattr(option, "failedfirst", False)
            or getattr(option, "stepwise", False)
        )

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.collected is None or self._selected():
            return  # not a parallel run (syrupy checks), or not a complete one
        passed = self.passed - self.failed
        unused = unused_files(self.config.rootpath, self.collected, passed)
        if not unused:
            return
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write("\n")
            reporter.write_sep("=", f"{len(unused)} snapshot file(s) unused: no test asks for them", red=True)
            for file in unused:
                reporter.write_line(f"  {file.relative_to(self.config.rootpath)}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def register(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the controller (or a single process, where it stays idle)
        config.pluginmanager.register(UnusedSnapshots(config), "crmtui-unused-snapshots")

"""The check that makes an unused snapshot file fail a parallel run (tests/support/unused_snapshots.py)."""

from __future__ import annotations

from pathlib import Path

from tests.support.unused_snapshots import unused_files


def snapshots(root: Path, module: str, *names: str) -> Path:
    folder = root / "tests" / "ui" / "__snapshots__" / module
    folder.mkdir(parents=True)
    for name in names:
        (folder / name).write_text("<svg/>")
    return folder


def test_a_file_no_test_names_is_unused(tmp_path: Path) -> None:
    folder = snapshots(tmp_path, "test_shots", "test_a[80x24].svg", "test_a[160x45].svg", "test_b.svg", "test_gone.svg", "test_b.1.svg")
    ids = ["tests/ui/test_shots.py::test_a[80x24]", "tests/ui/test_shots.py::test_a[160x45]", "tests/ui/test_shots.py::test_b"]
    assert unused_files(tmp_path, ids, set(ids)) == [folder / "test_gone.svg"]


def test_a_module_with_a_test_that_did_not_pass_is_not_judged(tmp_path: Path) -> None:
    snapshots(tmp_path, "test_shots", "test_a.svg", "test_gone.svg")
    ids = ["tests/ui/test_shots.py::test_a", "tests/ui/test_shots.py::test_c"]
    assert unused_files(tmp_path, ids, {"tests/ui/test_shots.py::test_a"}) == []


def test_classes_are_joined_by_dots_and_modules_without_snapshots_are_skipped(tmp_path: Path) -> None:
    snapshots(tmp_path, "test_shots", "TestBoard.test_a.svg")
    ids = ["tests/ui/test_shots.py::TestBoard::test_a", "tests/ui/test_plain.py::test_x"]
    assert unused_files(tmp_path, ids, set(ids)) == []

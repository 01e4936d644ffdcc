"""The layers below the UI never import textual, and screens never touch httpx (see DESIGN.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "crmtui"
NO_TEXTUAL = ("domain", "backends", "store", "service", "sandbox")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def python_files(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


def offending(files: list[Path], forbidden: str, root: Path = PACKAGE) -> list[str]:
    return [
        f"{path.relative_to(root)} imports {name}"
        for path in files
        for name in sorted(imported_modules(path))
        if name == forbidden or name.startswith(forbidden + ".")
    ]


@pytest.mark.parametrize("layer", NO_TEXTUAL)
def test_layer_does_not_import_textual(layer: str) -> None:
    assert offending(python_files(layer), "textual") == []


def test_ui_does_not_import_httpx() -> None:
    assert offending(python_files("ui"), "httpx") == []


def test_checker_sees_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import textual.app\nfrom textual.widgets import Static\nfrom . import x\nimport textualize\n")
    assert offending([sample], "textual", root=tmp_path) == [
        "sample.py imports textual.app",
        "sample.py imports textual.widgets",
    ]

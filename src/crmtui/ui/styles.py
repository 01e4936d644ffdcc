"""Where the .tcss files live: the repo's `styles/` in a checkout, `crmtui/styles` in a wheel."""

from __future__ import annotations

from pathlib import Path, PurePath

_PACKAGE = Path(__file__).resolve().parent.parent  # src/crmtui or site-packages/crmtui


def styles_dir() -> Path:
    """The directory holding app.tcss; installed copy first, then the source checkout."""
    for candidate in (_PACKAGE / "styles", _PACKAGE.parent.parent / "styles"):
        if (candidate / "app.tcss").is_file():
            return candidate
    raise FileNotFoundError("crmtui styles (app.tcss) not found next to the package or in the checkout")


def stylesheets() -> list[str | PurePath]:
    """All stylesheets, app.tcss first so screen sheets can refine it."""
    folder = styles_dir()
    rest = sorted(p for p in folder.glob("*.tcss") if p.name != "app.tcss")
    return [folder / "app.tcss", *rest]

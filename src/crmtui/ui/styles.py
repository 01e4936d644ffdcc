"""Where the .tcss files live: the repo's `styles/` in a checkout, `crmtui/styles` in a wheel."""

from __future__ import annotations

from pathlib import Path, PurePath

from textual.cache import LRUCache
from textual.css.stylesheet import Stylesheet

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


class ParsedOnce(Stylesheet):
    """Textual's stylesheet, each source parsed once while the CSS variables (the theme) stay the same.

    Textual refreshes the CSS whenever a screen is first shown (twice for a mode's first screen) and
    each refresh set the variables again, which emptied the cache of parsed sources, and parsed every
    source again in a new stylesheet: at a start, the app's and every widget's CSS was parsed four or
    five times before the first rows were drawn (~25% of the start's CPU, issue 13: warm start). Here
    the same variables keep the parsed rules, and a reparse parses only what is not parsed yet; new
    variables (another theme) empty the cache and every source is parsed again, as Textual does.
    Errors are raised as Textual's own reparse raises them (a source that failed is tried again).
    """

    def __init__(self, *, variables: dict[str, str] | None = None) -> None:
        super().__init__(variables=variables)
        self._parse_cache = LRUCache(PARSED_SOURCES)

    def set_variables(self, variables: dict[str, str]) -> None:
        if variables == self._variables:
            self._invalid_css = set()  # as Textual does: a source that failed is parsed again
            return
        super().set_variables(variables)

    def reparse(self) -> None:
        # Textual's reparse parses into a new stylesheet so that an error leaves this one as it was;
        # parse() does the same (its rules are kept only when every source parsed), from the cache.
        self.parse()


PARSED_SOURCES = 256
"""Parsed sources kept (Textual keeps 64): the app's sheets and the CSS of every widget class shown."""

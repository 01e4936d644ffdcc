"""Where the .tcss files live: the repo's `styles/` in a checkout, `crmtui/styles` in a wheel."""

from __future__ import annotations

import os
from collections.abc import Sequence
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


def first_stylesheets(mode: str) -> list[str | PurePath]:
    """The stylesheets a start reads before its first paint: app.tcss and the first screen's own
    (`<mode>.tcss`: leads.tcss for the leads inbox; the action stream's rules are in app.tcss). The
    others are read once the first rows are drawn (`ParsedOnce.read_in_order`): every rule of a
    stylesheet costs time for every widget styled (Textual looks through all of them), and the
    other screens' and dialogs' sheets held nearly half the rules."""
    every = stylesheets()
    return [path for path in every if PurePath(path).name in ("app.tcss", f"{mode}.tcss")]


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

    def read_in_order(self, paths: Sequence[str | PurePath]) -> None:
        """Read the stylesheets of `paths` not read yet, in `paths`' order and before every other
        source, where Textual puts the app's CSS_PATH (before the widgets' default CSS): the rules
        come out in the order they would have had, had all been read at the start."""
        for path in paths:
            if not self.has_source(_source_path(path)):
                self.read(path)
        ordered = {(_source_path(path), ""): self.source[_source_path(path), ""] for path in paths}
        ordered.update((where, source) for where, source in self.source.items() if where not in ordered)
        self.source = ordered
        self._require_parse = True


def _source_path(path: str | PurePath) -> str:
    """The name Textual's Stylesheet.read keeps a file's CSS under."""
    return os.path.abspath(os.path.expanduser(path))


PARSED_SOURCES = 256
"""Parsed sources kept (Textual keeps 64): the app's sheets and the CSS of every widget class shown."""

"""The key bar: the screen's keys, most used first, as many as fit the width, then `q Quit` and `? more`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

TRAILER = ("quit", "help")
"""Always at the end of the bar, in this order: how to leave and where every other key is."""


@dataclass(frozen=True)
class FooterEntry:
    """One key on the bar (a binding group, such as the pipeline's `H L Move`, is one entry)."""

    key: str
    display: str
    description: str
    action: str
    enabled: bool
    tooltip: str

    @property
    def width(self) -> int:
        """Cells taken in the compact footer: key, a space and the description (the gap after is not counted)."""
        return cell_len(self.display) + (1 + cell_len(self.description) if self.description else 0)


def footer_order(screen: object) -> tuple[str, ...]:
    """The screen's actions, most used first (`FOOTER_ORDER`); its other shown keys follow in binding order."""
    return tuple(getattr(screen, "FOOTER_ORDER", ()))


def fit(entries: list[FooterEntry], trailer: list[FooterEntry], width: int) -> list[FooterEntry]:
    """The first `entries` that fit `width` with the trailer after them (one cell between keys)."""
    used = sum(e.width + 1 for e in trailer) - 1 if trailer else 0
    shown: list[FooterEntry] = []
    for entry in entries:
        if used + entry.width + (1 if used else 0) > width:
            break  # most used first: a shorter key further down does not jump the queue
        used += entry.width + (1 if used else 0)
        shown.append(entry)
    return shown


class KeyFooter(Footer):
    """Every key that applies on the screen, the most used first, as many as fit; then `q Quit` and
    `? more` (help: all of them, this screen's first), or `? Help` when every key is on the bar.

    A key is on the bar when its binding shows (`show=True`) or the screen names its action in
    `FOOTER_ORDER`; the order is that tuple's, then the other shown keys in the order Textual finds
    them (the focused widget's, the screen's, the app's). One entry per action, one per key.

    Textual's footer throws its keys away and composes them again on every change of the screen's
    bindings, and one change often comes as several signals: here a rebuild happens only when what
    the footer shows differs from what it shows now (the calls queued in one burst are one rebuild).
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs["show_command_palette"] = False  # ctrl+p is in help; docked right it takes a key's room
        super().__init__(**kwargs)
        self._shown: tuple[bool, bool, tuple[FooterEntry, ...]] | None = None

    # -- what goes on the bar ---------------------------------------------------------------------
    def candidates(self) -> tuple[list[FooterEntry], list[FooterEntry], bool]:
        """(keys in order of importance, the trailer, whether some applicable key is not a candidate)."""
        try:
            bindings = self.screen.active_bindings
        except Exception:  # noqa: BLE001 - not on a screen (yet): nothing to show
            return [], [], False
        app = self.app
        order = footer_order(self.screen)
        by_action: dict[str, FooterEntry] = {}
        grouped: dict[str, list[FooterEntry]] = {}
        hidden = False
        # A binding that shows comes first: `q Quit` (the app's) over Textual's hidden `ctrl+q` for the same action.
        for _node, binding, enabled, tooltip in sorted(bindings.values(), key=lambda b: not b.binding.show):
            action = binding.action
            if not (binding.show or action in order or action in TRAILER):
                hidden = hidden or bool(binding.description)
                continue
            entry = FooterEntry(
                binding.key, app.get_key_display(binding), binding.description, action, enabled, tooltip or binding.tooltip,
            )
            group = binding.group
            if group is not None:
                grouped.setdefault(group.description, []).append(entry)
                continue
            by_action.setdefault(action, entry)  # "m,space": one entry, the first key
        for description, members in grouped.items():
            first = members[0]
            displays = list(dict.fromkeys(m.display for m in members))
            tooltips = " · ".join(dict.fromkeys(m.tooltip for m in members if m.tooltip))
            entry = FooterEntry(first.key, " ".join(displays), description, first.action, first.enabled, tooltips)
            for member in members:
                by_action.setdefault(member.action, entry)
        entries: list[FooterEntry] = []
        seen_keys: set[str] = set()
        ranked = sorted(
            enumerate(by_action.items()),
            key=lambda item: (order.index(item[1][0]) if item[1][0] in order else len(order), item[0]),
        )
        for _place, (_action, entry) in ranked:
            if entry.display in seen_keys or entry.action in TRAILER:
                continue
            seen_keys.add(entry.display)
            entries.append(entry)
        trailer = [by_action[a] for a in TRAILER if a in by_action and by_action[a].display not in seen_keys]
        return entries, trailer, hidden

    def entries(self, width: int | None = None) -> list[FooterEntry]:
        """What the bar shows at `width` (the terminal's by default), left to right."""
        if width is None:
            width = self.app.size.width
        entries, trailer, hidden = self.candidates()
        shown = fit(entries, trailer, width)
        more = hidden or len(shown) < len(entries)
        return shown + [
            FooterEntry(e.key, e.display, "more" if more else e.description, e.action, e.enabled, e.tooltip)
            if e.action == "help" else e
            for e in trailer
        ]

    # -- drawing ----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        ready, compact, entries = self._showing()
        self._shown = (ready, compact, entries)
        for entry in entries:
            yield FooterKey(
                entry.key, entry.display, entry.description, entry.action,
                disabled=not entry.enabled, tooltip=entry.tooltip or entry.description,
            ).data_bind(compact=Footer.compact)

    def _showing(self) -> tuple[bool, bool, tuple[FooterEntry, ...]]:
        """Everything `compose` draws from: the same value means the same keys on the bar."""
        ready = bool(getattr(self, "_bindings_ready", True))
        return (ready, self.compact, tuple(self.entries()) if ready else ())

    async def recompose(self) -> None:
        if self._shown is not None and self._showing() == self._shown:
            return  # the same keys: nothing to rebuild
        await super().recompose()

    def on_resize(self, event: events.Resize) -> None:
        self.call_after_refresh(self.recompose)  # a wider terminal has room for more keys


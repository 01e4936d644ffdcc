"""The key bar: the screen's keys, most used first, as many as fit the width, then `q Quit` and `? more`.

One widget drawing one line: Textual's Footer is a container of a widget per key, thrown away and
composed again when the bindings change, each key styled on its own (at a start, ~17 keys composed
twice were a fifth of the time to the first frame). This one looks the same (Textual's footer
colours, its compact spacing) and acts the same: a click presses the key, a disabled key rings the
bell, the key under the mouse is highlighted and its tooltip shown."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

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


@dataclass(frozen=True)
class ShownKey:
    """A key as drawn on the bar: its entry and where it is on the screen."""

    key: str
    key_display: str
    description: str
    action: str
    enabled: bool
    region: Region


class KeyFooter(Widget, can_focus=False):
    """Every key that applies on the screen, the most used first, as many as fit; then `q Quit` and
    `? more` (help: all of them, this screen's first), or `? Help` when every key is on the bar.

    A key is on the bar when its binding shows (`show=True`) or the screen names its action in
    `FOOTER_ORDER`; the order is that tuple's, then the other shown keys in the order Textual finds
    them (the focused widget's, the screen's, the app's). One entry per action, one per key.

    What is on the bar is worked out again when the screen's bindings change (one change often comes
    as several signals) and when the width changes; the line is drawn again only when it differs.
    """

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"footer-key--key", "footer-key--description", "footer-key--hover"}
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        .footer-key--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .footer-key--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .footer-key--hover {
            color: $footer-key-foreground;
            background: $block-hover-background;
        }
    }
    """

    def __init__(self, **kwargs: Any) -> None:
        # Compact, as Textual's `Footer(compact=True)` (a key, a space, its description, a space);
        # ctrl+p is in help, not on the bar: docked right it would take a key's room.
        super().__init__(**kwargs)
        self._shown: tuple[FooterEntry, ...] | None = None
        self._hover: int | None = None
        self._update_pending = False

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: object) -> None:
        if self.is_attached and screen is self.screen:
            self._update_soon()

    def on_resize(self, event: events.Resize) -> None:
        self._update_soon()  # a wider terminal has room for more keys

    def _update_soon(self) -> None:
        """One change of the bindings often comes as several signals: the bar is worked out once, after them."""
        if not self._update_pending:
            self._update_pending = True
            self.call_later(self._update)

    def _update(self) -> None:
        """Work out the bar again; draw it again only if it changed."""
        self._update_pending = False
        shown = tuple(self.entries())
        if shown != self._shown:
            self._shown = shown
            self._hover = None
            self.tooltip = None
            self.refresh()

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
    @property
    def showing(self) -> tuple[FooterEntry, ...]:
        """The entries on the bar now, left to right."""
        if self._shown is None:
            self._shown = tuple(self.entries())
        return self._shown

    def _spans(self) -> list[tuple[int, FooterEntry]]:
        """Each entry on the bar with the cell it starts at (one cell between entries)."""
        spans: list[tuple[int, FooterEntry]] = []
        x = 0
        for entry in self.showing:
            spans.append((x, entry))
            x += entry.width + 1
        return spans

    def shown_keys(self) -> list[ShownKey]:
        """The keys as drawn, with their place on the screen (what the tests and a click go by)."""
        left, top = self.region.x, self.region.y
        return [
            ShownKey(e.key, e.display, e.description, e.action, e.enabled, Region(left + x, top, e.width, 1))
            for x, e in self._spans()
        ]

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        blank = Style.from_color(bgcolor=base.bgcolor)  # between keys and after them: the bar's background alone
        if y != 0 or width <= 0:
            return Strip.blank(width, blank)
        component = self.get_component_rich_style
        dim = Style(dim=True)
        segments: list[Segment] = []
        for index, (_x, entry) in enumerate(self._spans()):
            if index:
                segments.append(Segment(" ", blank))
            hovered = index == self._hover  # the key's own colours over the highlight, not its background
            item = base + component("footer-key--hover") if hovered else base
            if not entry.enabled:
                item = item + dim
            segments.append(Segment(entry.display, item + component("footer-key--key", partial=hovered)))
            if entry.description:
                description = component("footer-key--description", partial=hovered)
                segments.append(Segment(" " + entry.description, item + description))
        return Strip(segments).adjust_cell_length(width, blank)

    # -- the mouse --------------------------------------------------------------------------------
    def _entry_at(self, x: int) -> int | None:
        for index, (start, entry) in enumerate(self._spans()):
            if start <= x < start + entry.width:
                return index
        return None

    def on_mouse_move(self, event: events.MouseMove) -> None:
        index = self._entry_at(event.x)
        if index != self._hover:
            self._hover = index
            entry = self.showing[index] if index is not None else None
            self.tooltip = (entry.tooltip or entry.description) if entry is not None else None
            self.refresh()

    def on_leave(self, event: events.Leave) -> None:
        if self._hover is not None:
            self._hover = None
            self.tooltip = None
            self.refresh()

    def on_mouse_down(self, event: events.MouseDown) -> None:
        index = self._entry_at(event.x)
        if index is None:
            return
        entry = self.showing[index]
        if entry.enabled:
            self.app.simulate_key(entry.key)
        else:
            self.app.bell()

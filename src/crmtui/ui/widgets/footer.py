"""The key bar: Textual's Footer, rebuilt only when the keys it shows change."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Footer


class KeyFooter(Footer):
    """Textual's Footer, drawn the same, without rebuilding itself for nothing.

    Textual's footer throws its keys away and composes them again on every change of the screen's
    bindings, and one change often comes as several signals: ten rebuilds while the app starts, two
    when a dialog opens, one per character typed in the filter, each restyling a dozen widgets. Here a
    rebuild happens only when what the footer shows (keys, labels, enabled, tooltips) differs from
    what it shows now; the calls Textual queues in one burst come down to one rebuild.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shown: tuple[object, ...] | None = None

    def compose(self) -> ComposeResult:
        self._shown = self._showing()
        yield from super().compose()

    def _showing(self) -> tuple[object, ...]:
        """Everything `compose` draws from: the same value means the same keys on the bar."""
        try:
            bindings = self.screen.active_bindings
        except Exception:  # noqa: BLE001 - not on a screen (yet): nothing to show
            return ()
        app = self.app
        keys = tuple(
            (b.key, app.get_key_display(b), b.description, b.action, enabled, tooltip, b.tooltip, b.group)
            for (_node, b, enabled, tooltip) in bindings.values()
            if b.show
        )
        palette = bindings.get(app.COMMAND_PALETTE_BINDING)
        palette_shown = (palette[1].key, palette[2], palette[3]) if palette is not None else None
        return (getattr(self, "_bindings_ready", True), self.compact, self.show_command_palette, app.ENABLE_COMMAND_PALETTE, palette_shown, keys)

    async def recompose(self) -> None:
        if self._shown is not None and self._showing() == self._shown:
            return  # the same keys: nothing to rebuild
        await super().recompose()

"""The command palette (ctrl+p): every binding of the current screen plus app-wide commands."""

from __future__ import annotations

from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.types import IgnoreReturnCallbackType

from crmtui.ui.screens.help import class_bindings, key_label


class CrmCommands(Provider):
    """Commands of the screen the palette was opened from, and of the app."""

    def _commands(self) -> list[tuple[str, str, IgnoreReturnCallbackType]]:
        screen = self.screen
        app = self.app
        found: list[tuple[str, str, IgnoreReturnCallbackType]] = []
        seen: set[str] = set()
        for node, bindings in ((screen, class_bindings(type(screen))), (app, class_bindings(type(app)))):
            for item in bindings:
                binding = item if isinstance(item, Binding) else Binding(*item)
                if binding.action in seen or binding.action in ("command_palette", "clear_filter"):
                    continue
                seen.add(binding.action)
                title = binding.tooltip or binding.description or binding.action
                help_text = f"key: {key_label(binding.key)}"
                found.append((title, help_text, partial(app.run_action, binding.action, node)))
        for name, label in getattr(app, "mode_titles", {}).items():
            found.append((f"Go to {label}", "switch screen", partial(app.switch_mode, name)))
        return found

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)

"""The command palette (ctrl+p): every binding of the current screen plus app-wide commands, and the
contacts loaded here by name."""

from __future__ import annotations

from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape
from textual.types import IgnoreReturnCallbackType

from crmtui.domain.formatting import contact_name
from crmtui.service.find import finder_for
from crmtui.service.session import Session
from crmtui.ui.inert import plain
from crmtui.ui.screens.help import class_bindings, key_label


class CrmCommands(Provider):
    """Commands of the screen the palette was opened from, and of the app."""

    def _commands(self) -> list[tuple[str, str, IgnoreReturnCallbackType]]:
        """One command per action: the screen's first, then the app's (a key both bind is the
        screen's); a top-level screen the backend lacks is left out. Textual's own Theme, Quit and
        Keys are left out by the app (`CrmApp.get_system_commands`): these are here, with their keys."""
        screen = self.screen
        app = self.app
        modes = getattr(app, "mode_titles", {})
        found: list[tuple[str, str, IgnoreReturnCallbackType]] = []
        seen: set[str] = set()
        titles: set[str] = set()
        for node, bindings in ((screen, class_bindings(type(screen))), (app, class_bindings(type(app)))):
            for item in bindings:
                binding = item if isinstance(item, Binding) else Binding(*item)
                if binding.action in seen or binding.action in ("command_palette", "clear_filter"):
                    continue
                seen.add(binding.action)
                title = binding.tooltip or binding.description or binding.action
                if binding.action.startswith("go("):
                    mode = binding.action[len("go("):-1].strip("'\"")
                    if mode not in modes:
                        continue
                    title = f"Go to {modes[mode]}"
                if title in titles:
                    continue
                titles.add(title)
                help_text = f"key: {key_label(binding.key)}"
                found.append((title, help_text, partial(app.run_action, binding.action, node)))
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


class ContactCommands(Provider):
    """Contacts of the loaded stream whose name, company, email or phone matches what is typed (the
    finder's matches here, never the server's: the palette answers as you type); each opens its contact."""

    LIMIT = 10

    async def search(self, query: str) -> Hits:
        session = getattr(self.app, "session", None)
        if not isinstance(session, Session) or not query.strip():
            return
        open_contact = getattr(self.app, "open_contact", None)
        if open_contact is None:
            return
        found = finder_for(session).local(query, limit=self.LIMIT).found
        for place, hit in enumerate(found):
            contact = hit.entry.contact
            name = contact_name(contact)
            about = [contact.company_name if contact.company_name != name else "", hit.detail]
            yield Hit(
                1.0 - hit.tier * 0.05 - place * 0.001,  # the finder's order, beside the commands' fuzzy scores
                plain(name),
                partial(open_contact, contact.id),
                text=name,
                help=escape(" · ".join(["open the contact", *(a for a in about if a)])),  # help is read as markup
            )

"""Where one account's cache and outbox live, and how a session is built over them.

Each profile gets its own folder: the cache under the user cache directory (a copy of API data,
rebuilt at will) and the outbox under the user data directory (changes not yet on the server:
precious, so not where cache cleaners look). The demo gets a folder of its own; credentials from the
environment get one named after the account. Neither file holds a credential.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from crmtui import paths
from crmtui.store.cache import Cache, identity
from crmtui.store.outbox import OutboxStore
from crmtui.store.view_state import ViewState
from crmtui.store.outbox_files import mark_path, remove_file, set_aside_paths

CACHE_FILE = "cache.sqlite3"
OUTBOX_FILE = "outbox.sqlite3"
VIEW_FILE = "view.json"


@dataclass(frozen=True)
class LocalFiles:
    """The cache and outbox files of one account."""

    folder: str
    cache_path: Path
    outbox_path: Path
    owner: str
    """Which account the files belong to (a hash of the address and user id, not the id itself)."""

    def open_cache(self) -> Cache:
        return Cache(self.cache_path, owner=self.owner).open()

    @property
    def view_path(self) -> Path:
        """The profile's view choices (the stream's filter), beside its outbox."""
        return self.outbox_path.with_name(VIEW_FILE)

    def view_state(self) -> ViewState:
        return ViewState(self.view_path)

    def outbox_store(self) -> OutboxStore:
        return OutboxStore(self.outbox_path, owner=self.owner)

    def forget(self) -> None:
        """Delete both files (the demo's after its data is seeded afresh), with the outbox's mark and
        set-aside copies: changes to data that no longer exists must not be offered, nor missed."""
        for path in (self.cache_path, self.outbox_path, self.view_path, *set_aside_paths(self.outbox_path)):
            remove_file(path)
        mark_path(self.outbox_path).unlink(missing_ok=True)


def _safe(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-")
    return cleaned[:64] or "default"


def local_files(
    base_url: str, user_id: str, *, profile: str | None = None, demo: bool = False, backend: str = "onepagecrm"
) -> LocalFiles:
    """The files of the account at `base_url` signed in as `user_id` (`backend`: whose API it is; the
    caches and outboxes of different backends never mix, not even the demos')."""
    kind = "" if backend == "onepagecrm" else f"{backend}:"  # OnePageCRM's names stay as they were
    if demo:
        folder = "demo" if not kind else f"demo-{_safe(backend)}"
        owner = identity(f"{kind}demo", user_id)  # the demo's port changes with every start
    else:
        owner = identity(f"{kind}{base_url}", user_id)
        folder = f"profile-{_safe(profile)}" if profile else f"account-{owner[:12]}"
    return LocalFiles(
        folder=folder,
        cache_path=paths.cache_dir() / folder / CACHE_FILE,
        outbox_path=paths.data_dir() / folder / OUTBOX_FILE,
        owner=owner,
    )

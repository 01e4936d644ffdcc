"""The composition root: the one place that puts the backend, the cache, the outbox and the session together.

The UI gets the finished `Session` and never sees a wrapper's insides: reads go through the cache
(when there is one) to the backend, changes through the outbox straight to the backend (a change is
never answered from a cache), and what the app needs of the local copy (the cached stream for the
first paint, whether the data shown is stale) is `session.local`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from crmtui.backends.base import Backend
from crmtui.service.cached import CachedBackend
from crmtui.service.outbox import Outbox
from crmtui.service.session import Session
from crmtui.store.cache import Cache
from crmtui.store.outbox import OutboxStore

Clock = Callable[[], dt.datetime]


def compose(
    backend: Backend,
    *,
    cache: Cache | None = None,
    outbox: Outbox | None = None,
    outbox_store: OutboxStore | None = None,
    offline: bool = False,
    local_copy: bool = True,
    clock: Clock | None = None,
) -> Session:
    """The app's session over `backend`.

    `cache`: the local copy reads fall back on (None: reads still go through the offline logic,
    with nothing kept); `local_copy=False`: the backend as it is, no local-copy layer at all
    (tests of the bare network path). `outbox` (or a new one on `outbox_store`) sends through the
    bare backend. `offline`: reads never use the network (the app holds the outbox in offline mode).
    """
    reads: Backend = backend
    local: CachedBackend | None = None
    if local_copy:
        local = CachedBackend(backend, cache, offline=offline, clock=clock)
        reads = local
    sender = outbox if outbox is not None else Outbox(backend, outbox_store)
    if clock is not None:
        sender.clock = clock
    session = Session(reads, clock=clock, outbox=sender)
    session.local = local
    session.offline = offline
    if offline:
        sender.hold("Offline mode: your changes are kept and sent when you start crmtui online")
    return session

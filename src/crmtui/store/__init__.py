"""What crmtui keeps on disk besides its settings: the cache of API data and the outbox of changes.

Nothing here imports textual or talks to a server; the service layer drives both.
"""

from crmtui.store.cache import Cache, SyncRecord, identity
from crmtui.store.db import Database
from crmtui.store.outbox import Change, OutboxStore, State
from crmtui.store.outbox_files import Lost, SetAside

__all__ = ["Cache", "Change", "Database", "Lost", "OutboxStore", "SetAside", "State", "SyncRecord", "identity"]

"""The interface every CRM backend implements, in domain terms.

Screens and the service layer only see this protocol and the typed errors in `errors`. A backend
declares its `capabilities`; operations outside them raise `NotImplementedError`.

Write methods send their request as asked: a backend never decides that a write may be repeated.
Whether repeating one is harmless is the change's to say (`Command.idempotent`), and the outbox,
which sends every change, is the one layer that repeats it. It runs each attempt inside
`one_try()`, where a backend makes each request once (reads too: the outbox retries the whole
attempt, with its own backoff), so an offline change waits out one backoff, not two.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol, runtime_checkable

from crmtui.domain.capabilities import Capability
from crmtui.domain.models import (
    Account,
    Action,
    ActionStatus,
    Call,
    Contact,
    Deal,
    Meeting,
    Note,
    Notification,
    Pipeline,
    StreamEntry,
    StreamPage,
    TeamCounts,
)

ProgressCallback = Callable[[int, int], None]
"""Called with (items fetched so far, total items) while paging."""

_ONE_TRY: contextvars.ContextVar[bool] = contextvars.ContextVar("crmtui_one_try", default=False)


@contextmanager
def one_try() -> Iterator[None]:
    """Requests made inside (by this task, and tasks it starts) are tried once, never retried.

    For a caller that is itself the retry layer of what it does: the outbox's attempts. Other
    tasks (the screens' reads) keep their retries meanwhile: the setting is per task.
    """
    token = _ONE_TRY.set(True)
    try:
        yield
    finally:
        _ONE_TRY.reset(token)


def trying_once() -> bool:
    """Whether requests made now are to be tried once (inside `one_try()`)."""
    return _ONE_TRY.get()


@runtime_checkable
class Backend(Protocol):
    name: str
    capabilities: frozenset[Capability]

    async def connect(self) -> Account: ...
    async def close(self) -> None: ...
    async def server_time(self) -> dt.datetime:
        """The server's clock now, by the server's own answers, never by this machine's clock (for
        `modified_since` and for matching what an attempt created); one small request when no answer
        has told it yet."""
        ...

    # -- what changed (incremental refresh) ------------------------------------------------------
    async def changed_contact_ids(self, since: dt.datetime) -> set[str]:
        """Contacts modified since `since`, in any stream or none."""
        ...
    async def stream_size(self, *, user_id: str | None = None) -> int:
        """How many contacts `user_id`'s stream holds now."""
        ...

    # -- streams -------------------------------------------------------------------------------
    async def action_stream(
        self,
        *,
        user_id: str | None = None,
        search: str | None = None,
        page: int = 1,
        per_page: int = 100,
        modified_since: dt.datetime | None = None,
    ) -> StreamPage: ...
    async def action_stream_all(
        self,
        *,
        user_id: str | None = None,
        search: str | None = None,
        modified_since: dt.datetime | None = None,
        on_progress: ProgressCallback | None = None,
        on_first_page: Callable[[list[StreamEntry]], None] | None = None,
    ) -> list[StreamEntry]: ...
    async def stream_entry(self, contact_id: str, *, user_id: str | None = None) -> StreamEntry | None: ...
    async def contact_entry(self, contact_id: str, *, user_id: str | None = None) -> StreamEntry:
        """The contact with `user_id`'s next and queued actions, in their stream or not (`in_stream` says)."""
        ...
    async def team_counts(self) -> TeamCounts: ...
    async def team_stream_all(
        self,
        *,
        user_id: str | None = None,
        search: str | None = None,
        on_progress: ProgressCallback | None = None,
        on_first_page: Callable[[list[StreamEntry]], None] | None = None,
    ) -> list[StreamEntry]:
        """A team member's stream as they see it, or with `user_id` None the whole account's
        (each contact's most urgent next action of any user is its next action)."""
        ...
    async def team_stream_entry(self, contact_id: str, *, user_id: str | None = None) -> StreamEntry | None:
        """The contact as a row of `team_stream_all(user_id=...)` (None: the whole account's)."""
        ...

    # -- actions -------------------------------------------------------------------------------
    async def contact_actions(self, contact_id: str) -> list[Action]: ...
    async def create_action(
        self,
        contact_id: str,
        text: str,
        status: ActionStatus,
        *,
        date: dt.date | None = None,
        exact_time: dt.datetime | None = None,
        assignee_id: str | None = None,
    ) -> Action: ...
    async def get_action(self, action_id: str) -> Action: ...
    async def update_action(self, action_id: str, **changes: Any) -> Action: ...
    async def delete_action(self, action_id: str) -> None: ...
    async def mark_done(self, action_id: str) -> Action: ...
    async def undo_done(self, action_id: str) -> Action: ...
    async def promote(self, action_id: str) -> Action: ...
    async def revert_promotion(self, action_id: str) -> Action: ...
    async def swap(self, action_id: str) -> Action: ...

    # -- contacts ------------------------------------------------------------------------------
    async def get_contact(self, contact_id: str) -> Contact: ...
    async def set_starred(self, contact_id: str, starred: bool) -> Contact: ...
    async def add_tag(self, contact_id: str, tag: str) -> Contact: ...
    async def remove_tag(self, contact_id: str, tag: str) -> Contact: ...
    async def change_status(self, contact_id: str, status_id: str) -> Contact: ...
    async def change_owner(self, contact_id: str, owner_id: str) -> Contact: ...
    async def close_sales_cycle(self, contact_id: str, comment: str) -> Contact: ...
    async def reopen_sales_cycle(self, contact_id: str) -> Contact: ...

    # -- deals ---------------------------------------------------------------------------------
    async def pipelines(self) -> list[Pipeline]: ...
    async def deals(
        self,
        *,
        pipeline_id: str | None = None,
        contact_id: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> list[Deal]: ...
    async def create_deal(self, contact_id: str, name: str, **fields: Any) -> Deal: ...
    async def get_deal(self, deal_id: str) -> Deal: ...
    async def update_deal(self, deal_id: str, **changes: Any) -> Deal: ...
    async def delete_deal(self, deal_id: str) -> None: ...

    # -- history -------------------------------------------------------------------------------
    async def notes(self, contact_id: str) -> list[Note]: ...
    async def create_note(self, contact_id: str, text: str) -> Note: ...
    async def delete_note(self, note_id: str) -> None: ...
    async def calls(self, contact_id: str) -> list[Call]: ...
    async def create_call(self, contact_id: str, text: str, call_result: str, *, phone_number: str = "") -> Call: ...
    async def delete_call(self, call_id: str) -> None: ...
    async def meetings(self, contact_id: str) -> list[Meeting]: ...
    async def create_meeting(self, contact_id: str, text: str, when: dt.datetime, place: str = "") -> Meeting: ...
    async def delete_meeting(self, meeting_id: str) -> None: ...

    # -- notifications -------------------------------------------------------------------------
    async def notifications(self) -> list[Notification]: ...
    async def unread_notifications(self) -> int: ...
    async def mark_notification_read(self, notification_id: str) -> None: ...
    async def mark_all_notifications_read(self) -> None: ...

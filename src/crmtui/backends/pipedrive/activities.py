"""Pipedrive's activities behind the `ActivitiesApi` family: the client's /activities calls, mapped to `Activity`.

Optional: /activities is deprecated in v1 and outside the API slice crmtui was built on, so a server
may lack it. `available()` is how the backend finds out at connect, with the one request it makes
anyway (a 404, 403 or 410 there: no activities). Costs: a page of the list 20 tokens however many
it holds (up to 500), one activity by id 2, marking one done 10.
"""

from __future__ import annotations

from collections.abc import Iterable

from crmtui.backends.base import ProgressCallback
from crmtui.backends.errors import BackendError, NotFound, PermissionDenied
from crmtui.backends.pipedrive import wire
from crmtui.backends.pipedrive.client import PipedriveClient
from crmtui.domain.activities import Activity

EVERYONE = "0"
"""`user_id=0` on /activities: every user's activities (the token's permissions allowing)."""


def map_activity(activity: wire.Activity) -> Activity:
    return Activity(
        id=activity.id, subject=activity.subject, type=activity.type, due_date=activity.due_date,
        due_time=activity.due_time, duration=activity.duration, done=activity.done, user_id=activity.user_id,
        lead_id=activity.lead_id, person_id=activity.person_id, org_id=activity.org_id, add_time=activity.add_time,
        update_time=activity.update_time,
    )


def absent(exc: BackendError) -> bool:
    """Whether an error of /activities means the server has none for this token: 404 (no such
    route), 403 or 402 (not allowed, not in the plan), 410 (gone: v1's sunset)."""
    return isinstance(exc, (NotFound, PermissionDenied)) or exc.status == 410


class PipedriveActivities:
    """The `activities` family of a Pipedrive backend."""

    def __init__(self, client: PipedriveClient) -> None:
        self.client = client

    async def available(self) -> bool:
        """Whether the server serves /activities to this token (one request of the list, limit 1)."""
        try:
            await self.client.activities(done=False, limit=1)
        except BackendError as exc:
            if absent(exc):
                return False
            raise
        return True

    async def activities(self, activity_ids: tuple[str, ...]) -> list[Activity]:
        found: list[Activity] = []
        for activity_id in _unique(activity_ids):
            try:
                found.append(map_activity(await self.client.activity(activity_id)))
            except NotFound:
                continue  # deleted meanwhile
        return found

    async def open_activities(
        self, *, user_id: str | None = None, on_progress: ProgressCallback | None = None
    ) -> list[Activity]:
        items = await self.client.activities_all(user_id=user_id or EVERYONE, done=False, on_progress=on_progress)
        return [map_activity(a) for a in items if a.id and a.active_flag]

    async def set_activity_done(self, activity_id: str, done: bool = True) -> Activity:
        return map_activity(await self.client.update_activity(activity_id, {"done": 1 if done else 0}))


def _unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i for i in ids if i))

"""Where the OnePageCRM adapter reads the team_stream counters from (no server needed)."""

from __future__ import annotations

from crmtui.backends.onepagecrm import wire
from crmtui.backends.onepagecrm.adapter import OnePageCRMBackend


class _Client:
    """Answers the two calls `team_counts` may make; records which ones it made."""

    base_url = "https://team.invalid/api/v3"

    def __init__(self, listing: dict, boot: dict) -> None:
        self.listing, self.boot, self.calls = listing, boot, []

    async def team_stream_counts(self) -> wire.TeamStreamCounts:
        self.calls.append("team_stream")
        return wire.TeamStreamCounts.model_validate(self.listing)

    async def bootstrap(self) -> wire.Bootstrap:
        self.calls.append("bootstrap")
        return wire.Bootstrap.model_validate(self.boot)


COUNTS = {"all": 9, "users": [{"user_id": "a", "counts": 4}, {"user_id": "b", "counts": "5"}]}


async def test_counters_come_from_the_team_stream_answer() -> None:
    client = _Client(COUNTS, {})
    counts = await OnePageCRMBackend(client).team_counts()
    assert (counts.all, counts.per_user) == (9, {"a": 4, "b": 5})
    assert client.calls == ["team_stream"]  # the small listing is enough: no bootstrap


async def test_bootstrap_when_the_team_stream_answer_lacks_them() -> None:
    client = _Client({}, {"team_stream": COUNTS})
    counts = await OnePageCRMBackend(client).team_counts()
    assert (counts.all, counts.per_user) == (9, {"a": 4, "b": 5})
    assert client.calls == ["team_stream", "bootstrap"]


async def test_no_counters_anywhere_is_zero_not_an_error() -> None:
    counts = await OnePageCRMBackend(_Client({}, {})).team_counts()
    assert (counts.all, counts.per_user) == (0, {})

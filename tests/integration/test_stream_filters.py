"""The stream's filters against the sandbox: the server's filtering (GET /action_stream with tag,
status_id, lead_source_id, starred, waiting, filter_id) keeps exactly the rows the filter's own test
keeps; saved filters (GET /filters) run their conditions; a saved filter's members are cached apart
from the stream and answer offline; the chosen filter is remembered in the profile's view file.

Every request goes through the spec recorder (`checked`): the filter parameters must be the spec's.
"""

from __future__ import annotations

import datetime as dt

import pytest

from crmtui.backends.errors import NotFound
from crmtui.domain.models import StreamEntry
from crmtui.domain.stream_filter import StreamFilter
from crmtui.service.compose import compose
from crmtui.service.outbox import Outbox
from crmtui.store import Cache, identity
from crmtui.store.view_state import ViewState
from tests.integration.test_outbox import make_backend

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
async def backend(sandbox, spec_recorder, checked):
    b = make_backend(sandbox, spec_recorder)
    await b.connect()
    yield b
    await b.close()


def ids(entries: list[StreamEntry]) -> set[str]:
    return {e.contact.id for e in entries}


def local_filters(sandbox, stream: list[StreamEntry]) -> list[StreamFilter]:
    """One filter of each kind a row can tell, each keeping some but not all of the seeded stream."""
    state = sandbox.state
    tag = next(t for e in stream for t in e.contact.tags if t == "VIP")
    status = next(s for s in state.tables["statuses"].values() if s["status"] == "prospect")
    source = next(s for s in state.tables["lead_sources"].values() if s["text"] == "Trade show")
    return [
        StreamFilter(kind="tag", value=tag, label=tag),
        StreamFilter(kind="status", value=status["id"], label=status["text"]),
        StreamFilter(kind="lead_source", value=source["id"], label=source["text"]),
        StreamFilter.starred(),
        StreamFilter.waiting(),
    ]


async def test_the_server_keeps_what_each_filter_says_of_a_row(sandbox, backend) -> None:
    stream = await backend.action_stream_all()
    for where in local_filters(sandbox, stream):
        expected = {e.contact.id for e in stream if where.matches(e)}
        assert expected and expected != ids(stream), f"the seed gives {where.describe()} no telling case"
        got = await backend.filtered_stream(where)
        assert ids(got) == expected, where.describe()
        assert all(e.in_stream for e in got)


async def test_saved_filters_are_listed_and_run_their_conditions(sandbox, backend) -> None:
    saved = {f.name: f for f in await backend.saved_filters()}
    assert {"My VIPs", "Hot prospects", "Starred from trade shows"} <= set(saved)
    stream = await backend.action_stream_all()

    vips = await backend.filtered_stream(StreamFilter(kind="saved", value=saved["My VIPs"].id))
    assert ids(vips) == {e.contact.id for e in stream if "VIP" in e.contact.tags} != set()

    prospect = next(s["id"] for s in sandbox.state.tables["statuses"].values() if s["status"] == "prospect")
    hot = await backend.filtered_stream(StreamFilter(kind="saved", value=saved["Hot prospects"].id))
    expected = {e.contact.id for e in stream if e.contact.status_id == prospect and e.contact.pending_deal}
    assert ids(hot) == expected != set()
    assert expected != {e.contact.id for e in stream if e.contact.status_id == prospect}  # both conditions count


async def test_an_unknown_saved_filter_is_not_found(backend) -> None:
    with pytest.raises(NotFound):
        await backend.filtered_stream(StreamFilter(kind="saved", value="0123456789abcdef01234567"))


async def test_a_saved_filter_is_cached_apart_and_remembered_offline(sandbox, spec_recorder, checked, tmp_path) -> None:
    owner = identity(sandbox.base_url, sandbox.user_id)
    memory = ViewState(tmp_path / "profile" / "view.json")

    cache = Cache(tmp_path / "cache.sqlite3", owner=owner).open()
    backend = make_backend(sandbox, spec_recorder)
    online = compose(backend, cache=cache, outbox=Outbox(backend), clock=lambda: NOW)
    online.filters.memory = memory
    await online.load_stream()
    whole = len(online.entries)
    saved = {f.name: f for f in await online.filters.saved()}
    chosen = StreamFilter(kind="saved", value=saved["My VIPs"].id, label="My VIPs")
    await online.filters.choose(chosen)
    members = online.filters.members
    assert members and members < ids(online.entries)
    assert online.filters.note == ""
    assert sum(online.filters.keeps(e) for e in online.entries) == len(members)
    await online.close()
    cache.close()

    # Another start of the same profile, offline: the filter comes back with its last known members,
    # and the stream from the cache is the whole stream (the filtered answer did not replace it).
    cache = Cache(tmp_path / "cache.sqlite3", owner=owner).open()
    backend = make_backend(sandbox, spec_recorder)
    offline = compose(backend, cache=cache, outbox=Outbox(backend), offline=True, clock=lambda: NOW)
    offline.filters.memory = memory
    assert offline.filters.restore() == chosen
    await offline.load_stream()
    assert len(offline.entries) == whole
    assert offline.filters.members == members
    assert offline.filters.note == "offline: as last fetched"
    assert "offline" in offline.filters.describe()

    # A saved filter never fetched cannot be applied offline, and says so.
    await offline.filters.choose(StreamFilter(kind="saved", value=saved["Hot prospects"].id, label="Hot prospects"))
    assert offline.filters.members is None
    assert offline.filters.note.startswith("cannot be applied")
    assert not any(offline.filters.keeps(e) for e in offline.entries)
    await offline.close()
    cache.close()


async def test_clearing_is_remembered_too(tmp_path) -> None:
    memory = ViewState(tmp_path / "view.json")
    memory.set("stream_filter", StreamFilter.starred().model_dump(mode="json"))
    assert ViewState(tmp_path / "view.json").get("stream_filter") == {"kind": "starred", "value": "", "label": "starred"}
    memory.set("stream_filter", None)
    assert ViewState(tmp_path / "view.json").get("stream_filter") is None
    (tmp_path / "view.json").write_text("{not json")
    assert ViewState(tmp_path / "view.json").get("stream_filter") is None  # a damaged file is no filter, not a crash
    (tmp_path / "view.json").write_text("[" * 40_000)  # small, but nested deeper than json can read
    assert ViewState(tmp_path / "view.json").get("stream_filter") is None
    (tmp_path / "view.json").write_bytes(b"\xff\xfe{")  # not text
    assert ViewState(tmp_path / "view.json").get("stream_filter") is None

"""Listings of stream rows mapped straight from each page's JSON (`OnePageCRMClient.stream_rows_all`
with `adapter_map.stream_row`) give what the tolerant wire models and the general mapping give, for
the action stream, the team stream and the contacts listing, with the first page early and progress
as before; an answer's JSON reads as the standard parser reads it.
"""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import httpx
import pytest

from crmtui.backends.onepagecrm import wire
from crmtui.backends.onepagecrm.adapter import OnePageCRMBackend
from crmtui.backends.onepagecrm.adapter_map import _maker, map_stream_item, stream_rows
from crmtui.backends.onepagecrm.client import OnePageCRMClient, loads
from crmtui.domain.models import Action, ActionStatus, Contact, Phone, StreamEntry, User
from tests.support.waits import HANG_GUARD


def pages(sandbox: Any, listing: str, **params: Any) -> list[dict[str, Any]]:
    """Every row of a listing, as the server's JSON (read with httpx, not the client)."""
    rows: list[dict[str, Any]] = []
    with httpx.Client(auth=(sandbox.user_id, sandbox.api_key), timeout=HANG_GUARD) as http:
        page = 1
        while True:
            answer = http.get(f"{sandbox.base_url}/{listing}.json", params={"page": page, "per_page": 100, **params})
            answer.raise_for_status()
            data = answer.json()["data"]
            rows += data["contacts"]
            if page >= int(data.get("max_page") or 1):
                return rows
            page += 1


def general(rows: list[dict[str, Any]], viewer: str | None) -> list[StreamEntry]:
    return [map_stream_item(wire.StreamItem.model_validate(row), viewer) for row in rows]


@pytest.fixture
async def backend(sandbox: Any) -> Any:
    made = OnePageCRMBackend(OnePageCRMClient(sandbox.user_id, sandbox.api_key, base_url=sandbox.base_url))
    await made.connect()
    yield made
    await made.close()


async def test_the_action_stream_first_page_early_then_every_row(sandbox: Any, backend: OnePageCRMBackend) -> None:
    first: list[list[StreamEntry]] = []
    progress: list[tuple[int, int]] = []
    entries = await backend.action_stream_all(on_first_page=first.append, on_progress=lambda d, t: progress.append((d, t)))
    expected = general(pages(sandbox, "action_stream"), sandbox.user_id)
    assert len(expected) > 100
    assert entries == expected
    assert [len(page) for page in first] == [100]
    assert first[0] == entries[:100]
    assert not {id(e) for e in first[0]} & {id(e) for e in entries}  # the first page's rows are its own
    assert progress[-1] == (len(entries), len(entries)) and len(progress) > 1


async def test_the_team_stream_and_the_contacts_listing_map_alike(sandbox: Any, backend: OnePageCRMBackend) -> None:
    assert await backend.team_stream_all() == general(pages(sandbox, "team_stream"), None)
    found = await backend.find_contacts(search="a")
    expected = general(pages(sandbox, "contacts", team="true", search="a"), sandbox.user_id)
    assert found and [e.model_dump() for e in found] == [
        e.model_dump(exclude={"in_stream"}) | {"in_stream": f.in_stream} for e, f in zip(expected, found, strict=True)
    ]


ODD_JSON = [
    b'{"a": "\\ud800 lone"}', b'\xef\xbb\xbf{"a": 1}', b'{"a": 123456789012345678901234567890}', b'{"a": 1e400}',
    b'{"a": -0.0, "b": 0.1, "c": 1E-7, "d": 2.5e+3}', b'{"a": 1, "a": 2}', b'{"a": NaN}', b'["x", "x", "x"]',
    '{"a": "caf\u00e9 \u2028"}'.encode(), b"[" * 300 + b"]" * 300,
]


@pytest.mark.parametrize("content", ODD_JSON, ids=range(len(ODD_JSON)))
def test_an_answer_reads_as_the_standard_parser_reads_it(content: bytes) -> None:
    try:
        expected = json.loads(content)
    except (ValueError, RecursionError) as refused:
        with pytest.raises(type(refused)):
            loads(content)
        return
    got = loads(content)
    assert json.dumps(got) == json.dumps(expected)  # NaN and -0.0 included
    if isinstance(expected, dict) and isinstance(expected.get("a"), float) and not math.isnan(expected["a"]):
        assert type(got["a"]) is float


def test_the_served_rows_read_as_the_standard_parser_reads_them(sandbox: Any) -> None:
    content = json.dumps(pages(sandbox, "action_stream")).encode()
    assert loads(content) == json.loads(content)


def test_a_row_made_without_validation_is_the_validated_one() -> None:
    kw: dict[str, Any] = {
        "id": "c1", "first_name": "Ann\x1b]0;x\x07", "background": "a\r\nb\tc\x9b", "tags": ["\x1b[2J"],
        "urls": ["https://x\n"], "phones": [Phone(type="work\t", value="1")], "total_pending": 2.5,
    }
    made, validated = _maker(Contact)(**kw), Contact(**kw)
    assert made == validated and made.__dict__ == validated.__dict__
    assert list(made.__dict__) == list(Contact.model_fields) and made.model_dump_json() == validated.model_dump_json()
    assert made.first_name == "Ann␛]0;x␇" and made.urls == ["https://x␤"]
    action = _maker(Action)(id="a", contact_id="c", status=ActionStatus.ASAP, text="x\x00")
    assert action == Action(id="a", contact_id="c", status=ActionStatus.ASAP, text="x\x00")
    with pytest.raises(TypeError):
        _maker(Contact)(id="c1", no_such_field=1)
    assert _maker(User) is User  # not a row of the stream's kind (no shared field set): validated as before


def test_rows_naming_the_same_company_share_one_copy(sandbox: Any) -> None:
    rows = [row for row in pages(sandbox, "action_stream") if isinstance(row.get("company"), dict) and row["company"].get("id")]
    row = rows[0]
    same, changed = copy.deepcopy(row), copy.deepcopy(row)
    same["contact"]["id"], changed["contact"]["id"] = "c-same", "c-changed"
    changed["company"]["name"] = "Renamed meanwhile"
    build = stream_rows(sandbox.user_id)
    first, second, third = build(copy.deepcopy(row)), build(same), build(changed)
    assert first.company is not None and second.company is first.company
    assert third.company is not None and third.company is not first.company and third.company.name == "Renamed meanwhile"
    assert first.company.name == row["company"]["name"]
    assert [build(r) for r in copy.deepcopy(rows)] == general(rows, sandbox.user_id)

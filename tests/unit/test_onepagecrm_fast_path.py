"""The fast paths of OnePageCRM listings agree with the tolerant validation and the general mapping.

Two fast paths: `wire.validate_row` builds a clean row's wire model without validating field by
field; `adapter_map.stream_row` maps a clean stream row's JSON straight to its domain row, with no
wire model at all. Anything else is refused by either and goes the tolerant way. Whichever path a
row takes, the models must be the same: checked here over every row the seeded sandbox serves and
over rows made odd on purpose, one oddity at a time and several at once.
"""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from crmtui.backends.onepagecrm import wire
from crmtui.backends.onepagecrm import adapter_map
from crmtui.backends.onepagecrm.adapter_map import map_stream_item, stream_row, stream_rows
from crmtui.domain.directory import DirectoryRow
from tests.support.waits import HANG_GUARD

LISTINGS = ("action_stream", "contacts", "deals")


def shape(value: Any) -> Any:
    """A model as comparable data: class, field values with their types, kept unknown fields."""
    if isinstance(value, BaseModel):
        return (type(value).__name__, {k: shape(v) for k, v in value.__dict__.items()}, value.__pydantic_extra__)
    if isinstance(value, list):
        return [shape(v) for v in value]
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    return (type(value).__name__, value)


def agree(model: type[BaseModel], row: Any) -> bool:
    """Whether the fast path took `row`; either way the result must equal the tolerant one."""
    tolerant = model.model_validate(copy.deepcopy(row))
    assert shape(wire.validate_row(model, copy.deepcopy(row))) == shape(tolerant)
    try:
        fast = wire.trusted(model, copy.deepcopy(row))
    except wire._Odd:
        return False
    assert shape(fast) == shape(tolerant)
    return True


@pytest.fixture(scope="module")
def served() -> dict[str, list[dict[str, Any]]]:
    """Every row of the seeded sandbox's stream, contacts and deals, as JSON."""
    from crmtui.sandbox.onepagecrm.server import SandboxOptions, start_sandbox
    from tests.conftest import SANDBOX_TODAY

    handle = start_sandbox(SandboxOptions(today=SANDBOX_TODAY, seed=42))
    rows: dict[str, list[dict[str, Any]]] = {}
    try:
        with httpx.Client(auth=(handle.user_id, handle.api_key), timeout=HANG_GUARD) as client:
            for listing in LISTINGS:
                page, found = 1, []
                while True:
                    answer = client.get(f"{handle.base_url}/{listing}.json", params={"page": page, "per_page": 100})
                    answer.raise_for_status()
                    data = answer.json()["data"]
                    found += data["deals" if listing == "deals" else "contacts"]
                    if page >= int(data.get("max_page") or 1):
                        break
                    page += 1
                rows[listing] = found
    finally:
        handle.stop()
    return rows


def model_of(listing: str) -> type[BaseModel]:
    return wire.Deal if listing == "deals" else wire.StreamItem


@pytest.mark.parametrize("listing", LISTINGS)
def test_every_served_row_takes_the_fast_path_and_agrees(served: dict[str, list[dict[str, Any]]], listing: str) -> None:
    rows = served[listing]
    assert len(rows) > 50
    if listing == "deals":  # served wrapped as {"deal": {...}}: the fast path leaves that to the tolerant one
        assert not any(agree(wire.Deal, row) for row in rows if "deal" in row)
        rows = [row.get("deal", row) for row in rows]
    taken = [agree(model_of(listing), row) for row in rows]
    assert all(taken), f"{taken.count(False)} clean rows refused by the fast path"


ODDITIES: list[tuple[str, Any]] = [
    ("contact.starred", "true"), ("contact.starred", 1), ("contact.first_name", 42), ("contact.first_name", None),
    ("contact.last_name", ["a", "b"]), ("contact.tags", "one"), ("contact.tags", [1, "x", None]),
    ("contact.phones", ["+353 1 234"]), ("contact.phones", [{"type": "work", "value": 12345}]),
    ("contact.emails", None), ("contact.emails", {"type": "work", "value": "a@b.c"}),
    ("contact.address_list", [None, "x"]), ("contact.total_pendings", "1,200.50"),
    ("contact.total_pendings", float("nan")), ("contact.total_pendings", 1200), ("company.total_won_amount", 5), ("contact.company_size", 12.0), ("contact.company_size", "12"),
    ("contact.custom_fields", [{"custom_field": "Industry", "value": 3}]), ("contact.custom_fields", [{"value": {}}]),
    ("contact.closed_sales", [{"user_id": 7, "comment": None}]),
    ("contact.closed_sales", [{"user_id": "u-other", "comment": "Lost to a rival"}]), ("contact.sales_closed_for", [3]),
    ("contact.urls", [{"type": "web", "value": "https://x.example"}]), ("contact.new_field", {"nested": True}),
    ("contact", "not an object"), ("next_action", {"action": {"id": "a1", "status": "asap"}}),
    ("next_action.status", "ASAP "), ("next_action.status", "someday"), ("next_action.status", ""),
    ("next_action.status", 5), ("next_action.position", "2"), ("next_action.exact_time", "1526472000"),
    ("next_action.done", "false"), ("next_action", []), ("queued_actions", [{"action": {"id": "q"}}, None, 3]),
    ("queued_actions", {"id": "q1"}), ("company", "Acme"), ("company", {"company": {"id": "c9"}}),
    ("company.address", None), ("company.address", "1 Main St"),
    ("company.company_fields", [{"company_field": {"id": 1}, "value": [1, 2]}]),
    ("deals", [{"deal": {"id": "d1", "amount": "5"}}]), ("deals", [{"id": "d2", "contact_info": "x"}]),
    ("deals", [{"id": "d3", "status": "stalled", "months": None}]), ("extra_key", None),
]


def poke(row: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    odd = copy.deepcopy(row)
    *parents, last = path.split(".")
    target = odd
    for key in parents:
        child = target.get(key)
        if not isinstance(child, dict):
            child = target[key] = {"id": "x1"}
        target = child
    target[last] = value
    return odd


@pytest.mark.parametrize(("path", "value"), ODDITIES, ids=[f"{p}={v!r}"[:40] for p, v in ODDITIES])
def test_an_odd_row_gives_what_the_tolerant_path_gives(served: dict[str, list[dict[str, Any]]], path: str, value: Any) -> None:
    for row in served["action_stream"][:5]:
        odd = poke(row, path, value)
        agree(wire.StreamItem, odd)
        maps_alike(odd)


def maps_alike(row: Any) -> bool:
    """A stream row's JSON mapped the fast way (`stream_row`) equals its tolerant wire model mapped the
    general way, for the owner, no viewer and someone else; whether the JSON path took the row."""
    taken = True
    owner = row.get("contact", {}).get("owner_id") if isinstance(row.get("contact"), dict) else None
    for viewer in (owner if isinstance(owner, str) else "u-1", None, "someone-else"):
        general = map_stream_item(wire.StreamItem.model_validate(copy.deepcopy(row)), viewer)
        assert shape(stream_row(copy.deepcopy(row), viewer)) == shape(general)
        try:
            fast = adapter_map._json_stream_row(copy.deepcopy(row), viewer)
        except wire._Odd:
            taken = False
            continue
        assert shape(fast) == shape(general)
    return taken


def test_every_served_stream_row_maps_alike_the_fast_way(served: dict[str, list[dict[str, Any]]]) -> None:
    for listing in ("action_stream", "contacts"):
        refused = [row["contact"]["id"] for row in served[listing] if not maps_alike(row)]
        assert not refused, f"clean rows refused by the JSON path: {refused[:5]}"


def test_odd_rows_are_refused_by_the_fast_path(served: dict[str, list[dict[str, Any]]]) -> None:
    row = served["action_stream"][0]
    for path, value in [("contact.starred", "true"), ("contact.first_name", 42), ("next_action.status", "someday"),
                        ("contact.total_pendings", float("nan")), ("next_action", {"action": {"id": "a"}})]:
        with pytest.raises(wire._Odd):
            wire.trusted(wire.StreamItem, poke(row, path, value))


def test_random_oddities_agree(served: dict[str, list[dict[str, Any]]]) -> None:
    """Property-style: several oddities at once, on random rows (a fixed seed: the same cases each run)."""
    rng = random.Random(13)
    rows = served["action_stream"]
    for _ in range(300):
        row = rng.choice(rows)
        for path, value in rng.sample(ODDITIES, rng.randint(1, 4)):
            row = poke(row, path, value)
        agree(wire.StreamItem, row)
        maps_alike(row)


def test_a_page_with_an_odd_row_maps_every_row(served: dict[str, list[dict[str, Any]]]) -> None:
    rows = copy.deepcopy(served["action_stream"][:20])
    rows[7] = poke(rows[7], "contact.first_name", 1234)
    rows[8] = poke(rows[8], "next_action.status", "Someday")
    page = wire.parse_listing(wire.StreamItem, {"contacts": rows, "total_count": 20}, "contacts", paged=True)
    tolerant = [wire.StreamItem.model_validate(r) for r in copy.deepcopy(rows)]
    assert [shape(i) for i in page.items] == [shape(i) for i in tolerant]
    viewer = rows[0]["contact"]["owner_id"]
    entries = [map_stream_item(i, viewer) for i in page.items]
    assert entries[7].contact.first_name == "1234"
    assert entries[8].next_action is not None and entries[8].next_action.raw_status == "Someday"
    assert entries == [map_stream_item(i, viewer) for i in tolerant]
    mapped = wire.parse_listing(
        wire.StreamItem, {"contacts": copy.deepcopy(rows), "total_count": 20}, "contacts", paged=True,
        build=stream_rows(viewer),
    )
    assert [shape(e) for e in mapped.items] == [shape(e) for e in entries]


@pytest.mark.parametrize(("path", "value"), [
    ("contact.first_name", "Ann\x1b]0;x\x07"), ("contact.background", "a\r\nb\tc"), ("next_action.text", "\x9b2J"),
    ("contact.tags", ["\x1b[2J"]), ("company.description", "x\u2028y"), ("contact.emails", [{"type": "\n", "value": "a"}]),
])
def test_the_fast_way_makes_text_inert_as_the_general_one(
    served: dict[str, list[dict[str, Any]]], path: str, value: Any
) -> None:
    """Control characters from the server reach the domain rows made inert whichever way they come."""
    row = poke(served["action_stream"][0], path, value)
    assert maps_alike(row)


def test_the_fast_path_keeps_nothing_of_the_json_it_may_not(served: dict[str, list[dict[str, Any]]]) -> None:
    """A field's value is the JSON's own object only where validation keeps it as is (strings, lists of
    strings, Any); dicts are copied, as validation copies them."""
    deals = [row.get("deal", row) for row in served["deals"]]
    deal = next((d for d in deals if isinstance(d.get("contact_info"), dict)), None)
    if deal is None:
        pytest.skip("no deal with contact_info in the seeded data")
    built = wire.trusted(wire.Deal, deal)
    assert built.contact_info == deal["contact_info"] and built.contact_info is not deal["contact_info"]
    assert json.loads(json.dumps(deal)) == deal  # untouched


def directory_alike(row: Any) -> None:
    """The directory's row of a contacts listing row, made from the JSON, equals the one the tolerant
    wire model and the general mapping give."""
    general = DirectoryRow.of(map_stream_item(wire.StreamItem.model_validate(copy.deepcopy(row)), None).contact)
    assert shape(adapter_map.directory_row(copy.deepcopy(row))) == shape(general)


def test_every_served_contact_makes_the_directory_s_row_alike(served: dict[str, list[dict[str, Any]]]) -> None:
    for row in served["contacts"]:
        directory_alike(row)


@pytest.mark.parametrize(("path", "value"), ODDITIES, ids=[f"{p}={v!r}"[:40] for p, v in ODDITIES])
def test_an_odd_contact_makes_the_directory_s_row_the_tolerant_path_makes(
    served: dict[str, list[dict[str, Any]]], path: str, value: Any
) -> None:
    for row in served["contacts"][:3]:
        directory_alike(poke(row, path, value))

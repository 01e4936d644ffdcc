"""The demo data tells no story the data contradicts: every seeded notification is about a fact the
seeded records hold ("Contact assigned to you" about a contact of yours, an action assigned to you
that is open on that contact, a note or a call a colleague wrote there), and company fields hold values
the account's definitions take."""

from __future__ import annotations

import datetime as dt

import pytest

from crmtui.sandbox.onepagecrm.seed import seed_account

TODAY = dt.date(2026, 3, 10)


def names(tables) -> dict[str, str]:
    return {u["id"]: f"{u['first_name']} {u['last_name']}" for u in tables["users"].values()}


def contradictions(tables) -> list[str]:
    """What each seeded notification says that the data does not hold."""
    who = names(tables)
    found = []
    for n in tables["notifications"].values():
        contact = tables["contacts"].get(n["contact_id"])
        title, body = n["mobile_data"]["title"], n["mobile_data"]["body"]
        if contact is None:
            found.append(f"{title}: no such contact")
            continue
        if n["by"] == who[n["user_id"]]:
            found.append(f"{title}: by the user it notifies")
        if n["type"] == "contact_assigned":
            if contact["owner_id"] != n["user_id"] or body != f"{contact['first_name']} {contact['last_name']}":
                found.append(f"Contact assigned to you: {body} is {who.get(contact['owner_id'])}'s")
        elif n["type"] == "assigned_action":
            open_mine = [a["text"] for a in tables["actions"].values()
                         if a["contact_id"] == contact["id"] and a["assignee_id"] == n["user_id"] and not a["done"]]
            if body not in open_mine:
                found.append(f"Action assigned to you: {body!r} is not an open action of theirs on the contact")
        else:
            table = {"note": "notes", "call": "calls"}[n["type"]]
            written = [(x["author"], x["text"]) for x in tables[table].values() if x["contact_id"] == contact["id"]]
            if (n["by"], body) not in written:
                found.append(f"{title}: {n['by']} wrote no {body!r} on the contact")
    return found


@pytest.mark.parametrize("seed,contacts", [(42, 300), (7, 300), (42, 60), (3, 1000)])
def test_every_seeded_notification_is_about_a_fact_the_data_holds(seed: int, contacts: int) -> None:
    tables, _ = seed_account(seed, contacts, TODAY)
    assert contradictions(tables) == []
    kinds = {n["type"] for n in tables["notifications"].values()}
    assert kinds == {"assigned_action", "contact_assigned", "note", "call"}, kinds
    assert len(tables["notifications"]) == 15


def test_the_check_finds_a_contradiction() -> None:
    tables, _ = seed_account(42, 300, TODAY)
    note = next(n for n in tables["notifications"].values() if n["type"] == "contact_assigned")
    someone_else = next(u for u in tables["users"] if u != note["user_id"])
    tables["contacts"][note["contact_id"]]["owner_id"] = someone_else
    assert any(c.startswith("Contact assigned to you") for c in contradictions(tables))


@pytest.mark.parametrize("seed", [42, 7])
def test_company_field_values_are_what_their_fields_take(seed: int) -> None:
    tables, _ = seed_account(seed, 300, TODAY)
    defs = tables["company_fields"]
    assert defs
    for company in tables["companies"].values():
        for value in company["company_fields"]:
            field = defs[value["company_field"]["id"]]
            assert isinstance(value["value"], str)
            if field["choices"]:
                assert value["value"] in field["choices"]
            if field["type"] == "number":
                assert value["value"].isdigit()

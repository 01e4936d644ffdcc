"""Reading and checking Crust record values by their fields: what a person sees, what a form may send, the order."""

from __future__ import annotations

import datetime as dt

from crmtui.domain.record_values import CREATED, number_width, problems, record_title, searchable_text, shown_value, sort_key, stamp_text
from crmtui.domain.records import Module, ModuleField, Record, RecordValue

MODULE = Module(
    id="1",
    name="Lead",
    fields=[
        ModuleField(name="firstName", kind="text", label="First name", max_length=5),
        ModuleField(name="lastName", kind="text", label="Last name", is_required=True),
        ModuleField(name="email", kind="email", label="E-mail"),
        ModuleField(name="status", kind="enum", label="Status", options={"options": ["New", "Won"]}),
        ModuleField(name="optIn", kind="bool", label="Opt-in"),
        ModuleField(name="size", kind="number", label="Size"),
        ModuleField(name="followUp", kind="stamp", label="Follow up"),
        ModuleField(name="account", kind="related", label="Account", options={"moduleID": "2", "labelField": "name"}),
    ],
)


def record(record_id: str, **values: str) -> Record:
    return Record(id=record_id, module_id="1", values={n: RecordValue(value=t) for n, t in values.items()})


def test_problems_in_words_for_each_rule() -> None:
    assert problems(MODULE, {"lastName": RecordValue(value="Lovelace")}) == {}
    found = problems(MODULE, {
        "firstName": RecordValue(value="Augusta"), "email": RecordValue(value="ada@"), "status": RecordValue(value="Lost"),
        "optIn": RecordValue(value="maybe"), "size": RecordValue(value="12k"), "followUp": RecordValue(value="soon"),
    })
    assert found == {
        "firstName": "First name is longer than 5 characters (7)",
        "lastName": "Last name is required",
        "email": "E-mail is not an e-mail address (like ada@example.com)",
        "status": "Status is one of: New, Won",
        "optIn": "Opt-in is yes or no",
        "size": "Size is a number (like 1200 or 12.5)",
        "followUp": "Follow up is a date (2026-03-10) or a date and time",
    }


def test_values_as_a_person_reads_them() -> None:
    field = MODULE.field
    assert shown_value(field("optIn"), RecordValue(value="1")) == "yes"
    assert shown_value(field("followUp"), RecordValue(value="2026-03-12T14:00:00Z")) == "2026-03-12 14:00"
    assert shown_value(field("account"), RecordValue(value="77,78", related=["77", "78"]), {"77": "Acme"}) == "Acme, #78"
    assert stamp_text(dt.datetime(2026, 3, 12, 14, tzinfo=dt.timezone.utc), date_only=False) == "2026-03-12T14:00:00Z"
    assert record_title(MODULE, record("9", firstName="Ada", lastName="Lovelace")) == "Ada Lovelace"
    assert record_title(MODULE, record("9")) == "#9"


def test_numbers_have_their_digits_grouped_their_precision_and_their_prefix_and_suffix() -> None:
    money = ModuleField(name="revenue", kind="number", options={"precision": 2})
    assert shown_value(money, RecordValue(value="6400000.00")) == "6,400,000.00"
    assert shown_value(money, RecordValue(value="-1234.5")) == "-1,234.50"
    assert shown_value(money, RecordValue(value="7")) == "7.00"
    whole = ModuleField(name="size", kind="number", options={"precision": 0, "prefix": "€ ", "suffix": " \x1b[2J"})
    assert shown_value(whole, RecordValue(value="1234.6")) == "€ 1,235 ␛[2J"  # the server's affixes drawn, never obeyed
    assert shown_value(MODULE.field("size"), RecordValue(value="1200.125")) == "1,200.125"  # no precision: as many decimals as it has
    odd = ModuleField(name="n", kind="number", options={"precision": "two"})
    assert shown_value(odd, RecordValue(value="1200")) == "1,200"
    assert shown_value(money, RecordValue(value="12k")) == "12k"  # not a number: as it is
    # Narrowing finds a number by its digits as typed, or as shown.
    assert "6400000" in searchable_text(money, RecordValue(value="6400000.00"))
    assert "6,400,000.00" in searchable_text(money, RecordValue(value="6400000.00"))


def test_sort_keys_put_numbers_as_numbers_and_empty_values_last() -> None:
    items = [record("1", size="100"), record("2", size="9"), record("3"), record("4", size="25")]
    assert [r.id for r in sorted(items, key=lambda r: sort_key(MODULE, "size", r))] == ["2", "4", "1", "3"]
    made = [Record(id=str(n), module_id="1", created_at=dt.datetime(2026, 3, n, tzinfo=dt.timezone.utc)) for n in (3, 1, 2)]
    assert [r.id for r in sorted(made, key=lambda r: sort_key(MODULE, CREATED, r))] == ["1", "2", "3"]


def test_a_number_column_has_room_for_tens_of_millions_as_shown() -> None:
    money = ModuleField(name="revenue", kind="number", options={"precision": 2})
    assert number_width(money) == len(shown_value(money, RecordValue(value="99999999"))) == len("99,999,999.00")
    whole = ModuleField(name="size", kind="number", options={"precision": 0, "prefix": "€ "})
    assert number_width(whole) == len(shown_value(whole, RecordValue(value="-9999999"))) == len("€ -9,999,999")

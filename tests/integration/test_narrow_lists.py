"""`/` on the leads inbox (Pipedrive) and the records list (Crust), through the service's narrowing: the
same items as testing every item with `matches`, while typing on and back, and the text of an item made
again when a name it shows comes in or changes (a person looked up, a linked record renamed)."""

from __future__ import annotations

from crmtui.domain.record_values import LINK_KINDS, linked_ids, title_fields
from crmtui.domain.records import Record, RecordValue
from tests.integration.test_crust_records import open_module
from tests.integration.test_lead_search_filters import session_on, wide  # noqa: F401  (a fixture)


def typed_on_and_back(query: str) -> list[str]:
    typed = [query[: n + 1] for n in range(len(query))]
    return typed + typed[-2::-1]


async def test_leads_narrow_as_matches_says_and_a_name_that_comes_in_is_found(wide, cache, tmp_path) -> None:  # noqa: F811
    session = await session_on(wide, cache, tmp_path)
    inbox = session.leads
    await inbox.load()
    items = inbox.items
    lead = next(lead for lead in items if lead.label_ids)
    label = next(lab.name for lab in inbox.labels() if lab.id == lead.label_ids[0])
    for query in [lead.title.split()[0], label.upper(), f"{lead.title.split()[0]} {label}", "zz"]:
        for text in typed_on_and_back(query):
            assert inbox.narrow(text) == [one for one in items if inbox.matches(one, text)], text
    named = next(one for one in items if one.person_id)
    assert inbox.narrow("zwicky") == []
    inbox.names[f"person:{named.person_id}"] = "Wanda Zwicky"  # looked up for a row on screen
    found = inbox.narrow("zwicky")
    assert named in found and found == [one for one in items if inbox.matches(one, "zwicky")]
    await session.close()


async def test_records_narrow_as_matches_says_and_a_renamed_linked_record_is_found_by_its_new_name(crust_sandbox) -> None:
    session = await open_module(crust_sandbox, "Contact")
    records = session.records
    items = records.items
    for query in ["a", "kelly@", "murphy", "+353 1", "zoe q"]:
        for text in typed_on_and_back(query):
            assert records.narrow(text) == [r for r in items if records.matches(r, text)], text
    module = records.module
    assert module is not None
    linking = next(
        (r, name) for r in items for name, value in r.values.items()
        if (field := module.field(name)) is not None and field.kind in LINK_KINDS and linked_ids(value)
    )
    record, name = linking
    target = linked_ids(record.values[name])[0]
    assert records.narrow("zwickyco") == []
    account = next(m for m in records.modules if m.name == "Account")  # what the sandbox's contacts link to
    fields = title_fields(account)
    renamed = Record(id=target, module_id=account.id, values={fields[0]: RecordValue(value="Zwickyco Ltd")})
    records._learn_names([renamed])  # as when the linked record is read again, renamed
    found = records.narrow("zwickyco")
    assert record in found and found == [r for r in items if records.matches(r, "zwickyco")]
    await session.close()

"""A module's definition as edited (Crust): what keeps it from being sent, and what an edit does, in words."""

from __future__ import annotations

from crmtui.domain.module_edits import field_problems, module_changes, with_options
from crmtui.domain.records import Module, ModuleField

CASE = Module(id="7", name="Case", fields=[
    ModuleField(name="subject", kind="text", label="Subject", is_required=True),
    ModuleField(name="status", kind="enum", label="Status", options={"options": ["New", "Closed"]}),
    ModuleField(name="account", kind="related", label="Account", options={"moduleID": "3", "labelField": "name"}),
])


def test_a_new_module_lists_its_fields() -> None:
    [line] = module_changes(None, "Ticket", CASE.fields, {"3": "Account"})
    assert line == "makes the module “Ticket” with 3 fields: subject (text), status (enum (New, Closed)), account (related → Account)"


def test_an_edit_says_each_change_and_what_happens_to_the_values() -> None:
    fields = [
        CASE.fields[1].model_copy(update={"options": {"options": ["New", "Open", "Closed"]}, "is_required": True}),
        CASE.fields[2].model_copy(update={"name": "customer"}),
        ModuleField(name="due", kind="stamp", label="Due"),
    ]
    lines = module_changes(CASE, "Support case", fields, {"3": "Account"}, renames={"account": "customer"})
    assert lines == [
        "renames the module “Case” to “Support case”",
        "adds field due (stamp)",
        "removes field subject: its values stay in the records but no longer show",
        "renames field account to customer: the records keep their values under account, which no longer show (they are not moved)",
        "changes field status: enum (New, Closed) → enum (New, Open, Closed); now required",
    ]
    assert module_changes(CASE, "Case", list(CASE.fields)) == []


def test_a_kind_change_says_the_values_stay() -> None:
    fields = [CASE.fields[0].model_copy(update={"kind": "textarea"}), *CASE.fields[1:]]
    assert module_changes(CASE, "Case", fields) == ["changes field subject: text → textarea (the values stay as they are written)"]


def test_problems_name_the_field_to_fix() -> None:
    bad = [
        ModuleField(name="1st", kind="text"),
        ModuleField(name="a", kind="enum"),
        ModuleField(name="a", kind="related"),
    ]
    assert [at for at, _ in field_problems("", bad)] == [None, 0, 1, 2, 2]
    assert field_problems("Case", list(CASE.fields)) == []
    assert field_problems("Case", []) == [(None, "A module needs at least one field (the server refuses one without)")]


def test_options_follow_the_kind() -> None:
    enum = with_options(ModuleField(name="s", kind="enum"), choices=["A", "", "B"])
    assert enum.options == {"options": ["A", "B"]}
    link = with_options(CASE.fields[2].model_copy(update={"kind": "related_multi"}), module_id="9")
    assert link.options == {"moduleID": "9", "labelField": "name"}
    plain = with_options(CASE.fields[2].model_copy(update={"kind": "text"}))
    assert plain.options is None

"""Every command in one registry: read back by its kind, no command left out, no import cycle."""

from __future__ import annotations

import ast
import datetime as dt
import typing
from pathlib import Path

import pytest
from pydantic import ValidationError

from crmtui.domain.models import Action, ActionStatus
from crmtui.service.command_registry import COMMAND_KINDS, UnknownKind, command_from_dict
from crmtui.service.commands import Command, MarkDone, ToggleStar
from crmtui.service.contact_commands import ChangeStatus
from crmtui.service.contact_history import AddNote
from crmtui.service.deal_commands import DealChanges, UpdateDeal
from crmtui.service.history_edits import MeetingChanges, NoteChanges, UpdateMeeting, UpdateNote
from crmtui.service.notification_commands import MarkAllRead, MarkRead

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "crmtui"
COMMAND_MODULES = ("commands", "contact_commands", "contact_history", "deal_commands", "history_edits", "notification_commands", "company_commands", "lead_commands", "goal_commands", "filter_commands", "record_commands", "module_commands")


def concrete_commands() -> set[type[Command]]:
    """Every subclass of Command whose `kind` is fixed (the others are bases of a family)."""
    found: set[type[Command]] = set()
    todo = [Command]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if typing.get_origin(cls.model_fields["kind"].annotation) is typing.Literal:
            found.add(cls)
    return found


def test_every_command_class_is_in_the_registry_under_its_own_kind() -> None:
    assert set(COMMAND_KINDS.values()) == concrete_commands()
    for kind, cls in COMMAND_KINDS.items():
        assert typing.get_args(cls.model_fields["kind"].annotation) == (kind,)
    assert len(COMMAND_KINDS) == 58


@pytest.mark.parametrize(
    "command",
    [
        MarkDone(contact_id="c1", action=Action(id="a1", contact_id="c1", text="Call", status=ActionStatus.ASAP)),
        ToggleStar(contact_id="c1", starred=True, label="Star"),
        ChangeStatus(contact_id="c1", status_id="s2", status="Customer", previous_id="s1", previous="Lead"),
        AddNote(contact_id="c1", text="Hello", local_id="local-0123456789abcdef"),
        UpdateDeal(contact_id="c1", deal_id="d1", changes=DealChanges(stage=50), previous=DealChanges(stage=25)),
        UpdateNote(contact_id="c1", item_id="n1", changes=NoteChanges(text="Two\nlines"), previous=NoteChanges(text="One")),
        UpdateMeeting(
            contact_id="c1", item_id="m1", changes=MeetingChanges(place=None), previous=MeetingChanges(place="Cork"),
            read_at=dt.datetime(2026, 3, 10, 9, tzinfo=dt.timezone.utc),
        ),
        MarkRead(contact_id="", notification_id="n1"),
        MarkAllRead(contact_id="", notification_ids=["n1", "n2"]),
    ],
    ids=lambda command: command.kind,
)
def test_a_stored_command_comes_back_as_its_own_class(command: Command) -> None:
    again = command_from_dict(command.model_dump(mode="json"))
    assert type(again) is type(command) and again == command


def test_subjects_say_what_a_change_is_about() -> None:
    assert ToggleStar(contact_id="c1", starred=True).subject == "contact:c1"
    assert UpdateDeal(contact_id="c9", deal_id="d1", changes=DealChanges(), previous=DealChanges()).subject == "contact:c9"
    assert MarkRead(contact_id="", notification_id="n1").subject == "notification:n1"
    assert MarkAllRead(contact_id="").subject == "notifications:all"
    assert "subject" not in ToggleStar(contact_id="c1", starred=True).model_dump()  # stored files stay as they were


@pytest.mark.parametrize("data", [{"kind": "merge_contacts", "contact_id": "c1"}, {"contact_id": "c1"}, {"kind": 3}])
def test_an_unknown_or_missing_kind_is_unknown(data: dict) -> None:
    with pytest.raises(UnknownKind):
        command_from_dict(data)


def test_a_known_kind_with_fields_that_do_not_fit_is_a_value_error() -> None:
    with pytest.raises(ValidationError):
        command_from_dict({"kind": "toggle_star", "contact_id": "c1"})  # no `starred`
    with pytest.raises(ValueError):
        command_from_dict({"kind": "toggle_star", "contact_id": "c1", "starred": True, "by": "a newer crmtui"})


# -- imports ----------------------------------------------------------------------------------------


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Modules of crmtui `path` imports anywhere (inside functions too), except under TYPE_CHECKING."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    hidden = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for inner in ast.walk(node)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in hidden:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)  # `from pkg import module`
    return found & known


def import_graph(layers: tuple[str, ...]) -> dict[str, set[str]]:
    """Who imports whom among the modules of `layers` (packages' __init__ re-exports left out)."""
    files = {module_name(p): p for layer in layers for p in sorted((PACKAGE / layer).rglob("*.py"))}
    modules = {name for name, path in files.items() if path.name != "__init__.py"}
    return {name: imports_of(files[name], modules) - {name} for name in modules}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                other = stack.pop()
                group.append(other)
                if other == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_below_the_ui() -> None:
    assert cycles(import_graph(("domain", "backends", "store", "service", "sandbox"))) == []


def test_the_registry_imports_the_command_modules_and_none_of_them_imports_it() -> None:
    graph = import_graph(("domain", "backends", "store", "service"))
    registry = "crmtui.service.command_registry"
    assert {f"crmtui.service.{name}" for name in COMMAND_MODULES} <= graph[registry]

    def reach(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for other in graph[todo.pop()] - seen:
                seen.add(other)
                todo.append(other)
        return seen

    for name in COMMAND_MODULES:
        assert registry not in reach(f"crmtui.service.{name}"), name


def test_the_cycle_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import crmtui.x\n"
        "def f():\n    import crmtui.y\n    from crmtui import z\n",
        encoding="utf-8",
    )
    assert imports_of(sample, {"crmtui.x", "crmtui.y", "crmtui.z"}) == {"crmtui.y", "crmtui.z"}


def test_a_command_stored_before_the_registry_reads_back_the_same() -> None:
    """As the previous version wrote it (a naive time included): read back and written again unchanged."""
    stored = {
        "kind": "add_meeting", "contact_id": "c1", "label": "Meeting", "created": None, "local_id": "", "made_at": None,
        "text": "Lunch", "when": "2026-03-10T12:00:00", "place": "",
    }
    meeting = command_from_dict(stored)
    assert meeting.when == dt.datetime(2026, 3, 10, 12, 0) and meeting.model_dump(mode="json") == stored

"""Command predictions, preconditions and outbox round trips (pure: no server involved)."""

from __future__ import annotations

import datetime as dt

import pytest

from crmtui.domain.models import Action, ActionStatus, Contact, StreamEntry
from crmtui.service import (
    ActionChanges,
    AddAction,
    CommandRefused,
    EditAction,
    MarkDone,
    Promote,
    Swap,
    ToggleStar,
    UndoDone,
    command_from_dict,
)

D = dt.date(2026, 3, 10)


def action(aid: str, status: ActionStatus, days: int | None = None, text: str = "t", assignee: str = "me") -> Action:
    date = D + dt.timedelta(days=days) if days is not None else None
    return Action(id=aid, contact_id="c1", assignee_id=assignee, text=text, status=status, date=date)


def stream(next_action: Action | None = None, queued: list[Action] | None = None) -> list[StreamEntry]:
    return [StreamEntry(contact=Contact(id="c1", first_name="Ann"), next_action=next_action, queued_actions=queued or [])]


def test_apply_locally_does_not_mutate_input() -> None:
    entries = stream(action("n", ActionStatus.DATE, 1))
    predicted = MarkDone(contact_id="c1", action=entries[0].next_action).apply_locally(entries)
    assert predicted is not None and predicted.next_action is None
    assert entries[0].next_action is not None


def test_apply_locally_unknown_contact_predicts_nothing() -> None:
    assert ToggleStar(contact_id="zzz", starred=True).apply_locally(stream()) is None


def test_mark_done_inverse_restores_next_action() -> None:
    nxt = action("n", ActionStatus.DATE, 1)
    done = MarkDone(contact_id="c1", action=nxt)
    after = [done.apply_locally(stream(nxt))]
    undo = done.inverse()
    assert isinstance(undo, UndoDone)
    assert undo.apply_locally(after).next_action == nxt
    assert isinstance(undo.inverse(), MarkDone)


def test_promote_refused_with_next_action() -> None:
    q = action("q", ActionStatus.QUEUED)
    with pytest.raises(CommandRefused, match="already has a next action"):
        Promote(contact_id="c1", action=q).check(stream(action("n", ActionStatus.ASAP), [q]))


def test_promote_predicts_next_action_from_queue() -> None:
    q = action("q", ActionStatus.QUEUED_WITH_DATE, 4)
    cmd = Promote(contact_id="c1", action=q)
    cmd.check(stream(None, [q]))
    entry = cmd.apply_locally(stream(None, [q]))
    assert entry.next_action.id == "q" and entry.next_action.status is ActionStatus.DATE
    assert entry.queued_actions == []


def test_swap_requires_earlier_dated_queued_action() -> None:
    nxt = action("n", ActionStatus.DATE, 5)
    later = action("q", ActionStatus.QUEUED_WITH_DATE, 9)
    with pytest.raises(CommandRefused, match="No conflict"):
        Swap(contact_id="c1", action=later).check(stream(nxt, [later]))
    undated = action("u", ActionStatus.QUEUED)
    with pytest.raises(CommandRefused, match="No conflict"):
        Swap(contact_id="c1", action=undated).check(stream(nxt, [undated]))


def test_swap_prediction_and_conflicts_recomputed() -> None:
    nxt = action("n", ActionStatus.DATE, 5)
    earlier = action("q", ActionStatus.QUEUED_WITH_DATE, 2)
    entries = stream(nxt, [earlier])
    cmd = Swap(contact_id="c1", action=earlier)
    cmd.check(entries)
    entry = cmd.apply_locally(entries)
    assert entry.next_action.id == "q"
    assert [a.id for a in entry.queued_actions] == ["n"]
    assert entry.queued_actions[0].status is ActionStatus.QUEUED_WITH_DATE
    assert entry.conflicts == []
    back = cmd.inverse().apply_locally([entry])
    assert back.next_action.id == "n" and [a.id for a in back.queued_actions] == ["q"]


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"text": "  ", "status": ActionStatus.ASAP}, "needs some text"),
        ({"text": "x" * 141, "status": ActionStatus.ASAP}, "140"),
        ({"text": "x", "status": ActionStatus.DATE}, "date"),
        ({"text": "x", "status": ActionStatus.DATE_TIME, "date": D}, "time"),
    ],
)
def test_add_action_preconditions(kwargs: dict, reason: str) -> None:
    with pytest.raises(CommandRefused, match=reason):
        AddAction(contact_id="c1", **kwargs).check(stream())


def test_add_action_for_teammate_is_not_predicted_in_my_stream() -> None:
    cmd = AddAction(contact_id="c1", text="x", status=ActionStatus.ASAP, assignee_id="other", stream_user_id="me")
    assert cmd.apply_locally(stream()).next_action is None


def test_add_action_inverse_needs_execution() -> None:
    with pytest.raises(CommandRefused):
        AddAction(contact_id="c1", text="x", status=ActionStatus.ASAP).inverse()


def test_reassign_prediction_removes_action_from_my_stream() -> None:
    nxt = action("n", ActionStatus.ASAP)
    cmd = EditAction(contact_id="c1", action_id="n", changes=ActionChanges(assignee_id="other"),
                     previous=ActionChanges(assignee_id="me"), stream_user_id="me")
    assert cmd.apply_locally(stream(nxt)).next_action is None
    assert cmd.inverse().changes.assignee_id == "me"


def test_commands_round_trip_through_json() -> None:
    nxt = action("n", ActionStatus.DATE_TIME, 1)
    commands = [
        MarkDone(contact_id="c1", action=nxt),
        AddAction(contact_id="c1", text="x", status=ActionStatus.DATE, date=D),
        EditAction(contact_id="c1", action_id="n", changes=ActionChanges(date=None), previous=ActionChanges(date=D)),
        ToggleStar(contact_id="c1", starred=True),
        Swap(contact_id="c1", action=nxt, next_action=nxt),
    ]
    for cmd in commands:
        again = command_from_dict(cmd.model_dump(mode="json"))
        assert again == cmd
        assert type(again) is type(cmd)
    edit = command_from_dict(commands[2].model_dump(mode="json"))
    assert edit.changes.as_kwargs() == {"date": None}  # "clear the date" survives, unset fields stay unset

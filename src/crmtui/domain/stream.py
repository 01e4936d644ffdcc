"""Action stream semantics: which section a contact falls in and in what order contacts appear.

Order follows OnePageCRM's help centre ("How are contacts sorted in my Action Stream"):
ASAP > Overdue > Today > Future date > Waiting for > Queued action for me > Queued action for a
team member > Closed contact with comment > Closed contact without comment > No action.
Dated sections go by due date then time; within a section by the next action's text; contacts with
no action by first name.
"""

from __future__ import annotations

import datetime as dt
import math
from enum import IntEnum

from crmtui.domain.models import Action, ActionStatus, StreamEntry, Urgency


class Section(IntEnum):
    """Finer than `Urgency`: the ten stream sections in display order."""

    ASAP = 0
    OVERDUE = 1
    TODAY = 2
    FUTURE = 3
    WAITING = 4
    QUEUED_FOR_ME = 5
    QUEUED_FOR_TEAM = 6
    CLOSED_WITH_COMMENT = 7
    CLOSED_WITHOUT_COMMENT = 8
    NO_ACTION = 9


_DATED = (ActionStatus.DATE, ActionStatus.DATE_TIME)
_QUEUED = (ActionStatus.QUEUED, ActionStatus.QUEUED_WITH_DATE)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.timezone.utc)


def action_urgency(action: Action, today: dt.date, now: dt.datetime | None = None) -> Urgency:
    """Urgency of a single action. A timed action whose time has passed today counts as overdue."""
    status = action.status
    if action.done or status is ActionStatus.DONE:
        return Urgency.NONE
    if status is ActionStatus.ASAP:
        return Urgency.ASAP
    if status is ActionStatus.WAITING:
        return Urgency.WAITING
    if status in _QUEUED:
        return Urgency.QUEUED
    if status in _DATED or (status is ActionStatus.UNKNOWN and action.date is not None):
        if action.date is None:
            # A dated action without a date is malformed; treat it as due today rather than hide it.
            return Urgency.TODAY
        if action.date < today:
            return Urgency.OVERDUE
        if action.date > today:
            return Urgency.FUTURE
        if (
            now is not None
            and status is ActionStatus.DATE_TIME
            and action.exact_time is not None
            and _aware(action.exact_time) < _aware(now)
        ):
            return Urgency.OVERDUE
        return Urgency.TODAY
    return Urgency.NONE


def urgency(item: StreamEntry | Action | None, today: dt.date, now: dt.datetime | None = None) -> Urgency:
    """The stream section (coarse) of an entry or an action."""
    if item is None:
        return Urgency.NONE
    if isinstance(item, Action):
        return action_urgency(item, today, now)
    if item.next_action is not None and not item.next_action.done:
        found = action_urgency(item.next_action, today, now)
        if found is not Urgency.NONE:
            return found
    if any(not a.done for a in item.queued_actions):
        return Urgency.QUEUED
    if item.contact.sales_closed:
        return Urgency.CLOSED
    return Urgency.NONE


def _closed_comment(entry: StreamEntry) -> str:
    return entry.contact.sales_closed_comment.strip()


def _queued_action(entry: StreamEntry) -> Action | None:
    if entry.next_action is not None and entry.next_action.is_queued and not entry.next_action.done:
        return entry.next_action
    pending = [a for a in entry.queued_actions if not a.done]
    if not pending:
        return None
    # The first in queue order; ties keep the server's order.
    return min(pending, key=lambda a: a.position or 0)


def section(
    entry: StreamEntry, today: dt.date, *, user_id: str | None = None, now: dt.datetime | None = None
) -> Section:
    """The fine-grained section of an entry. `user_id` tells "queued for me" from "for a team member"."""
    coarse = urgency(entry, today, now)
    if coarse is Urgency.QUEUED:
        queued = _queued_action(entry)
        if user_id is None or queued is None or not queued.assignee_id or queued.assignee_id == user_id:
            return Section.QUEUED_FOR_ME
        return Section.QUEUED_FOR_TEAM
    if coarse is Urgency.CLOSED:
        return Section.CLOSED_WITH_COMMENT if _closed_comment(entry) else Section.CLOSED_WITHOUT_COMMENT
    return {
        Urgency.ASAP: Section.ASAP,
        Urgency.OVERDUE: Section.OVERDUE,
        Urgency.TODAY: Section.TODAY,
        Urgency.FUTURE: Section.FUTURE,
        Urgency.WAITING: Section.WAITING,
    }.get(coarse, Section.NO_ACTION)


def _time_key(action: Action) -> float:
    # Timed actions come before whole-day ones on the same date (a whole-day action is due by day's end).
    if action.status is ActionStatus.DATE_TIME and action.exact_time is not None:
        return _aware(action.exact_time).timestamp()
    return math.inf


def _date_key(action: Action) -> float:
    return float(action.date.toordinal()) if action.date is not None else math.inf


def _name_key(entry: StreamEntry) -> tuple[str, str, str]:
    c = entry.contact
    first = c.first_name.strip().casefold()
    last = c.last_name.strip().casefold()
    if not first and not last:
        first = c.company_name.strip().casefold()
    return (first, last, c.id)


_BY_DATE = frozenset({ActionStatus.DATE, ActionStatus.DATE_TIME, ActionStatus.WAITING})


def sort_key(
    entry: StreamEntry, today: dt.date, *, user_id: str | None = None, now: dt.datetime | None = None
) -> tuple[int, float, float, str, str, str, str]:
    """A key that sorts stream entries the way OnePageCRM's Action Stream does.

    Sections here are by date only: a timed action whose time passed today is coloured overdue
    (see `urgency(..., now)`) but stays in Today, so rows do not jump as the clock moves. `now`
    is accepted for symmetry with `urgency` and ignored.

    Most rows have an open next action that is ASAP, waiting or dated, or no action to do at all
    (closed, or nothing next): their key is worked out here directly (the same key as
    `_general_sort_key`'s, in half the time: a whole stream is keyed at every load); every other
    row (queued actions) goes the general way.
    """
    action = entry.next_action
    if action is not None and not action.done:
        status = action.status
        if status is ActionStatus.ASAP:
            return (0, math.inf, math.inf, action.text.strip().casefold(), *_name_key(entry))
        if status in _BY_DATE:
            date = action.date
            if status is ActionStatus.WAITING:
                sec = 4
            elif date is None or date == today:
                sec = 2  # a dated action without a date counts as due today (`action_urgency`)
            else:
                sec = 1 if date < today else 3
            return (sec, _date_key(action), _time_key(action), action.text.strip().casefold(), *_name_key(entry))
    elif not entry.queued_actions:  # no action to do: closed, or nothing next (a third of a large stream)
        contact = entry.contact
        if not contact.sales_closed:
            sec = Section.NO_ACTION
        else:
            sec = Section.CLOSED_WITH_COMMENT if contact.sales_closed_comment.strip() else Section.CLOSED_WITHOUT_COMMENT
        return (int(sec), math.inf, math.inf, "", *_name_key(entry))
    return _general_sort_key(entry, today, user_id=user_id)


def _general_sort_key(
    entry: StreamEntry, today: dt.date, *, user_id: str | None = None
) -> tuple[int, float, float, str, str, str, str]:
    sec = section(entry, today, user_id=user_id)
    action: Action | None = None
    if sec in (Section.QUEUED_FOR_ME, Section.QUEUED_FOR_TEAM):
        action = _queued_action(entry)
    elif sec <= Section.WAITING:
        action = entry.next_action
    if action is None:
        return (int(sec), math.inf, math.inf, "", *_name_key(entry))
    if sec in (Section.ASAP, Section.QUEUED_FOR_ME, Section.QUEUED_FOR_TEAM):
        date_key, time_key = math.inf, math.inf
    else:
        date_key, time_key = _date_key(action), _time_key(action)
    return (int(sec), date_key, time_key, action.text.strip().casefold(), *_name_key(entry))


def sort_entries(
    entries: list[StreamEntry], today: dt.date, *, user_id: str | None = None, now: dt.datetime | None = None
) -> list[StreamEntry]:
    return sorted(entries, key=lambda e: sort_key(e, today, user_id=user_id, now=now))


def in_stream(entry: StreamEntry, viewer: str | None) -> bool:
    """OnePageCRM's Action Stream holds the viewer's own contacts and those with an open action of theirs.

    So a contact someone else owns leaves it once its last action for the viewer is done or reassigned.
    """
    owner = entry.contact.owner_id
    if viewer is None or not owner or owner == viewer:
        return True
    if entry.next_action is not None and not entry.next_action.done:
        return True
    return any(not a.done and a.assignee_id in ("", viewer) for a in entry.queued_actions)


SWAPPABLE_NEXT = (ActionStatus.DATE, ActionStatus.DATE_TIME, ActionStatus.WAITING)


def conflicting_actions(next_action: Action | None, queued: list[Action]) -> list[Action]:
    """Queued dated actions due before the next action: the ones a swap would bring forward.

    Mirrors OnePageCRM's swap precondition: the next action is `date`, `date_time` or `waiting`
    and the queued one is `queued_with_date` with an earlier date (same assignee).
    """
    if next_action is None or next_action.done or next_action.status not in SWAPPABLE_NEXT:
        return []
    if next_action.date is None:
        return []
    return [
        q
        for q in queued
        if not q.done
        and q.status is ActionStatus.QUEUED_WITH_DATE
        and q.date is not None
        and q.date < next_action.date
        and (not q.assignee_id or not next_action.assignee_id or q.assignee_id == next_action.assignee_id)
    ]

"""Activities as real Pipedrive answers may send them, read without fail (an all-day activity's
`due_time` "" or null, an account's own type, ids as numbers or text, nonsense times), and the next
activity's section and order in the inbox."""

from __future__ import annotations

import datetime as dt

import pytest

from crmtui.backends.pipedrive import wire
from crmtui.backends.pipedrive.activities import map_activity
from crmtui.domain.activities import Activity, Due, due_state
from crmtui.domain.leads import (
    BY_CLOSE_DATE,
    BY_NEXT_ACTIVITY,
    Lead,
    LeadSection,
    lead_section,
    section_title,
    sort_leads,
)

TODAY = dt.date(2026, 3, 10)


@pytest.mark.parametrize("raw, expected", [
    ("", None), (None, None), ("14:30", dt.time(14, 30)), ("09:05:00", dt.time(9, 5)), ("25:00", None),
    ("noon", None), (930, None), ({}, None),
])
def test_due_time_is_a_time_or_none(raw, expected) -> None:
    parsed = wire.Activity.model_validate({"id": 1, "due_time": raw})
    assert parsed.due_time == expected


def test_a_real_shaped_activity_maps_with_its_links_and_an_unknown_type_kept() -> None:
    raw = {
        "id": 128, "subject": "", "type": "site_visit", "due_date": "2026-03-12", "due_time": "", "duration": "",
        "done": 0, "user_id": 12000001, "lead_id": "adf21080-0e10-11eb-879b-05d71fb426ec", "deal_id": None,
        "person_id": None, "org_id": 4, "add_time": "2026-03-01 10:00:00", "update_time": "2026-03-02 11:00:00",
        "participants": None, "attendees": None, "something_new": {"x": 1},
    }
    activity = map_activity(wire.Activity.model_validate(raw))
    assert activity.id == "128" and activity.user_id == "12000001" and activity.org_id == "4" and activity.person_id is None
    assert activity.due_date == dt.date(2026, 3, 12) and activity.due_time is None and activity.done is False
    assert activity.type == "site_visit" and activity.type_name == "Site visit" and activity.title == "Site visit"
    assert activity.update_time == dt.datetime(2026, 3, 2, 11, tzinfo=dt.timezone.utc)
    assert map_activity(wire.Activity.model_validate({"id": "7", "type": "call", "done": True})).type_name == "Call"
    broken = map_activity(wire.Activity.model_validate({"id": 9, "due_date": "2026-02-30", "type": None, "done": "1"}))
    assert broken.due_date is None and broken.type_name == "Activity" and broken.done is True


def _activity(aid: str, day: dt.date | None, time: dt.time | None = None, done: bool = False) -> Activity:
    return Activity(id=aid, type="call", due_date=day, due_time=time, done=done)


def _lead(lid: str, next_id: str | None, close: dt.date | None = None, added: int = 1) -> Lead:
    return Lead(
        id=lid, next_activity_id=next_id, expected_close_date=close,
        add_time=dt.datetime(2026, 1, added, tzinfo=dt.timezone.utc),
    )


def test_sections_by_next_activity_in_pipedrives_order_soonest_first() -> None:
    day = dt.timedelta(days=1)
    activities = {
        "1": _activity("1", TODAY - 2 * day), "2": _activity("2", TODAY, dt.time(15)), "3": _activity("3", TODAY),
        "4": _activity("4", TODAY + day, dt.time(8)), "5": _activity("5", TODAY + 5 * day), "6": _activity("6", TODAY - day, done=True),
        "7": _activity("7", TODAY - 5 * day, dt.time(9, 30)),
    }
    leads = [
        _lead("later", "5", close=TODAY - day), _lead("tomorrow", "4"), _lead("today-15h", "2"), _lead("today-all-day", "3"),
        _lead("overdue-2", "1"), _lead("overdue-5", "7"), _lead("none-old", None, added=1), _lead("none-new", None, added=9),
        _lead("done", "6"), _lead("unknown", "99"),
    ]
    ordered = [lead.id for lead in sort_leads(leads, TODAY, activities)]
    assert ordered == [
        "overdue-5", "overdue-2", "today-all-day", "today-15h", "none-new", "done", "none-old", "unknown", "tomorrow", "later",
    ]
    assert [lead_section(lead, TODAY, activities) for lead in sort_leads(leads, TODAY, activities)] == [
        LeadSection.OVERDUE, LeadSection.OVERDUE, LeadSection.TODAY, LeadSection.TODAY, *[LeadSection.NO_ACTIVITY] * 4,
        LeadSection.UPCOMING, LeadSection.UPCOMING,
    ]
    assert section_title(LeadSection.TODAY, activities) == "Today" and section_title(LeadSection.TODAY, None) == "Closing today"
    assert BY_NEXT_ACTIVITY.index(LeadSection.NO_ACTIVITY) < BY_NEXT_ACTIVITY.index(LeadSection.UPCOMING)
    # Without activity data: by expected close date, as before.
    assert lead_section(leads[0], TODAY) is LeadSection.OVERDUE and lead_section(leads[1], TODAY) is LeadSection.NO_DATE
    assert [lead_section(lead, TODAY) for lead in sort_leads(leads, TODAY)][0] is BY_CLOSE_DATE[0]
    assert due_state(activities["1"], TODAY) is Due.OVERDUE and due_state(_activity("x", None), TODAY) is Due.UNDATED


def test_a_timed_activity_whose_time_has_passed_is_overdue_an_all_day_one_only_from_the_next_day() -> None:
    now = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.timezone.utc)
    day = dt.timedelta(days=1)
    activities = {
        "early": _activity("early", TODAY, dt.time(7, 30)), "late": _activity("late", TODAY, dt.time(15)),
        "all-day": _activity("all-day", TODAY), "yesterday": _activity("yesterday", TODAY - day),
        "tomorrow": _activity("tomorrow", TODAY + day, dt.time(8)),
    }
    states = {aid: due_state(a, TODAY, now) for aid, a in activities.items()}
    assert states == {
        "early": Due.OVERDUE, "late": Due.TODAY, "all-day": Due.TODAY, "yesterday": Due.OVERDUE, "tomorrow": Due.LATER,
    }
    assert due_state(activities["early"], TODAY) is Due.TODAY  # by the day alone (no moment given): as before
    leads = [_lead(aid, aid) for aid in activities]
    ordered = sort_leads(leads, TODAY, activities, now)
    assert [(lead.id, lead_section(lead, TODAY, activities, now)) for lead in ordered] == [
        ("yesterday", LeadSection.OVERDUE), ("early", LeadSection.OVERDUE), ("all-day", LeadSection.TODAY),
        ("late", LeadSection.TODAY), ("tomorrow", LeadSection.UPCOMING),
    ]


def test_a_timed_activitys_day_is_its_day_in_the_accounts_time_zone() -> None:
    from zoneinfo import ZoneInfo

    from crmtui.domain.formatting import activity_when

    berlin = ZoneInfo("Europe/Berlin")  # UTC+1 in March
    just_after_midnight = dt.datetime(2026, 3, 10, 0, 10, tzinfo=berlin)
    # 23:30 UTC on the 9th is 00:30 on the 10th in Berlin: today there, not yet passed; then past.
    late_utc = _activity("a", TODAY - dt.timedelta(days=1), dt.time(23, 30))
    assert due_state(late_utc, TODAY, just_after_midnight) is Due.TODAY
    assert due_state(late_utc, TODAY, just_after_midnight + dt.timedelta(hours=1)) is Due.OVERDUE
    # 23:30 UTC on the 10th is tomorrow in Berlin, and said so.
    tonight_utc = _activity("b", TODAY, dt.time(23, 30))
    assert due_state(tonight_utc, TODAY, just_after_midnight) is Due.LATER
    assert activity_when(tonight_utc, TODAY, time_zone="Europe/Berlin") == "tomorrow 00:30"
    assert tonight_utc.due_key(berlin)[:3] == (dt.date(2026, 3, 11).toordinal(), True, 30)


def test_a_duration_is_said_in_hours_and_minutes_not_as_a_second_time() -> None:
    from crmtui.domain.activities import duration_text

    assert duration_text("00:30") == "30 min"
    assert duration_text("01:00") == "1 h"
    assert duration_text("01:45:00") == "1 h 45 min"
    assert duration_text("00:00") == ""
    assert duration_text("") == ""
    assert duration_text("all afternoon") == "all afternoon"  # what the server sent, when it is not HH:MM

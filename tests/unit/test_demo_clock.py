"""`crmtui --demo` with CRMTUI_DEMO_TODAY: the app's clock must run on the same day as the sandbox's."""

from __future__ import annotations

import datetime as dt

from crmtui.demo import demo_clock


def test_no_demo_today_keeps_the_real_clock() -> None:
    assert demo_clock({}) is None
    assert demo_clock({"CRMTUI_DEMO_TODAY": "  "}) is None


def test_not_a_date_is_left_to_the_sandbox_to_refuse() -> None:
    assert demo_clock({"CRMTUI_DEMO_TODAY": "not-a-date"}) is None


def test_clock_runs_on_the_demo_day_at_the_real_time_of_day() -> None:
    clock = demo_clock({"CRMTUI_DEMO_TODAY": "2026-03-10"})
    assert clock is not None
    before = dt.datetime.now(dt.timezone.utc)
    now = clock()
    assert now.tzinfo is not None
    shift = now - before
    whole_days = dt.timedelta(days=round(shift / dt.timedelta(days=1)))
    assert abs(shift - whole_days) < dt.timedelta(seconds=5)  # same time of day, shifted by whole days
    assert now.date() in (dt.date(2026, 3, 10), dt.date(2026, 3, 11))  # the 11th only if midnight passed meanwhile
    assert clock() >= now  # it keeps ticking

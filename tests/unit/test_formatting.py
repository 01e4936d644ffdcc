"""Dates, times, money and names in the account's conventions."""

from __future__ import annotations

import datetime as dt

import pytest

from crmtui.domain.formatting import (
    account_today,
    contact_name,
    display_name,
    format_date,
    format_datetime,
    format_due,
    short_date_format,
    format_money,
    format_time,
    relative_label,
    strftime_format,
    user_initials,
)
from crmtui.domain.models import Account, Action, ActionStatus, Contact, User

TODAY = dt.date(2026, 3, 10)


def account(**kw) -> Account:
    return Account(user=User(id="u1", first_name="Ann", last_name="Lee"), **kw)


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("%d/%m/%Y", "05/03/2026"),
        ("%m/%d/%Y", "03/05/2026"),
        ("%Y-%m-%d", "2026-03-05"),
        ("%d.%m.%Y", "05.03.2026"),
        ("%b %d, %Y", "Mar 05, 2026"),
        ("dd/mm/yyyy", "05/03/2026"),
        ("", "05/03/2026"),
        (None, "05/03/2026"),
    ],
)
def test_format_date(fmt: str | None, expected: str) -> None:
    assert format_date(dt.date(2026, 3, 5), fmt) == expected


def test_strftime_format_passthrough_and_fallback() -> None:
    assert strftime_format("%d/%m/%Y") == "%d/%m/%Y"
    assert strftime_format("nonsense") == "%d/%m/%Y"


def test_format_time_in_zone_24h_and_ampm() -> None:
    utc = dt.datetime(2026, 3, 10, 20, 5, tzinfo=dt.timezone.utc)
    assert format_time(utc, "UTC") == "20:05"
    assert format_time(utc, "America/Los_Angeles") == "13:05"  # PDT from 8 March 2026
    assert format_time(utc, "Europe/Dublin", ampm=True) == "8:05 PM"
    assert format_time(dt.datetime(2026, 3, 10, 0, 30, tzinfo=dt.timezone.utc), "UTC", ampm=True) == "12:30 AM"
    assert format_time(utc, "Not/AZone") == "20:05"


def test_format_datetime_crosses_midnight_into_account_zone() -> None:
    acct = account(time_zone="Asia/Tokyo", date_format="%Y-%m-%d")
    assert format_datetime(dt.datetime(2026, 3, 10, 20, 0, tzinfo=dt.timezone.utc), acct) == "2026-03-11 05:00"


def test_account_today_uses_time_zone() -> None:
    late_utc = dt.datetime(2026, 3, 10, 23, 30, tzinfo=dt.timezone.utc)
    assert account_today(account(time_zone="UTC"), late_utc) == dt.date(2026, 3, 10)
    assert account_today(account(time_zone="Europe/Helsinki"), late_utc) == dt.date(2026, 3, 11)


@pytest.mark.parametrize(
    ("days", "label"),
    [(0, "Today"), (1, "Tomorrow"), (-1, "1d overdue"), (-3, "3d overdue"), (2, None)],
)
def test_relative_label(days: int, label: str | None) -> None:
    assert relative_label(TODAY + dt.timedelta(days=days), TODAY) == label


def _action(status: ActionStatus, days: int | None = None, exact: dt.datetime | None = None) -> Action:
    date = TODAY + dt.timedelta(days=days) if days is not None else None
    return Action(id="a", contact_id="c", status=status, date=date, exact_time=exact)


def test_format_due_variants() -> None:
    acct = account(date_format="%d/%m/%Y")
    assert format_due(None, acct, TODAY) == ""
    assert format_due(_action(ActionStatus.ASAP), acct, TODAY) == "ASAP"
    assert format_due(_action(ActionStatus.DATE, 0), acct, TODAY) == "Today"
    assert format_due(_action(ActionStatus.DATE, 1), acct, TODAY) == "Tomorrow"
    assert format_due(_action(ActionStatus.DATE, -3), acct, TODAY) == "3d overdue"
    assert format_due(_action(ActionStatus.DATE, 7), acct, TODAY) == "17/03/2026"
    assert format_due(_action(ActionStatus.WAITING), acct, TODAY) == "Waiting"
    assert format_due(_action(ActionStatus.QUEUED), acct, TODAY) == "Queued"
    assert format_due(_action(ActionStatus.QUEUED_WITH_DATE, 7), acct, TODAY) == "Queued: 17/03/2026"
    timed = _action(ActionStatus.DATE_TIME, 1, dt.datetime(2026, 3, 11, 14, 30, tzinfo=dt.timezone.utc))
    assert format_due(timed, acct, TODAY) == "Tomorrow 14:30"


def test_format_due_timed_today_passed_is_marked_overdue() -> None:
    acct = account(time_zone="UTC")
    timed = _action(ActionStatus.DATE_TIME, 0, dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.timezone.utc))
    now = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.timezone.utc)
    assert format_due(timed, acct, TODAY, now) == "Today 09:00 (overdue)"
    assert format_due(timed, account(time_zone="UTC", time_with_ampm=True), TODAY) == "Today 9:00 AM"


@pytest.mark.parametrize(
    ("amount", "kw", "expected"),
    [
        (1234, {}, "$1,234"),
        (1234.5, {}, "$1,234.50"),
        (0, {}, "$0"),
        (None, {}, "$0"),
        (-12, {"symbol": "€"}, "-€12"),
        (1234567.891, {"symbol": "€", "separator": ",", "delimiter": "."}, "€1.234.567,89"),
        (10, {"decimals": 2}, "$10.00"),
        (-0.001, {"decimals": 2}, "$0.00"),
    ],
)
def test_format_money(amount, kw, expected: str) -> None:
    assert format_money(amount, **kw) == expected


def test_names() -> None:
    jane = Contact(id="1", first_name="Jane", last_name="Doe", company_name="Acme")
    assert contact_name(jane) == "Jane Doe"
    assert display_name(jane, with_company=True) == "Jane Doe · Acme"
    assert display_name(jane) == "Jane Doe"
    company_only = Contact(id="2", company_name="Acme")
    assert display_name(company_only, with_company=True) == "Acme"
    assert contact_name(Contact(id="3")) == "(no name)"
    assert contact_name(Contact(id="4", last_name=" Solo ")) == "Solo"
    assert contact_name(Contact(id="5", first_name=" Ann ", last_name="  ")) == "Ann"
    assert contact_name(Contact(id="6", first_name=" Ann  Marie ", last_name=" Lee ")) == "Ann  Marie Lee"
    assert contact_name(Contact(id="7", first_name=" ", company_name=" Acme ")) == "Acme"
    assert contact_name(Contact(id="8", first_name=" ", company_name=" ")) == "(no name)"
    assert user_initials(User(id="u", first_name="ann", last_name="lee")) == "AL"
    assert user_initials(User(id="u", email="zed@example.com")) == "ZE"


@pytest.mark.parametrize(
    ("fmt", "short"),
    [("%d/%m/%Y", "%d/%m"), ("%m/%d/%Y", "%m/%d"), ("%Y-%m-%d", "%m-%d"), ("%d %b %Y", "%d %b"),
     ("%b %d, %Y", "%b %d"), ("%d.%m.%y", "%d.%m"), ("dd/mm/yyyy", "%d/%m"), ("%d/%m", "%d/%m")],
)
def test_short_date_format_drops_the_year(fmt: str, short: str) -> None:
    assert short_date_format(fmt) == short


def test_format_due_compact_for_narrow_columns() -> None:
    acct = account(time_zone="UTC")
    assert format_due(_action(ActionStatus.DATE, 7), acct, TODAY, compact=True) == "17/03"
    assert format_due(_action(ActionStatus.QUEUED_WITH_DATE, 7), acct, TODAY, compact=True) == "Queued 17/03"
    next_year = _action(ActionStatus.DATE, 400)
    assert format_due(next_year, acct, TODAY, compact=True) == format_due(next_year, acct, TODAY)  # year kept
    timed = _action(ActionStatus.DATE_TIME, 0)
    timed.exact_time = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.timezone.utc)
    now = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.timezone.utc)
    assert format_due(timed, acct, TODAY, now, compact=True) == "Today 09:00"

"""What a person types to run a workflow: parameters as key=value pairs, a start time."""

from __future__ import annotations

import datetime as dt

import pytest

from crmtui.domain.jobs import RunInputError, parse_params, parse_start

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.timezone.utc)


def test_parameters() -> None:
    assert parse_params("") == {} and parse_params(" , ") == {}
    assert parse_params("source=crmtui, batch = 7,note=a b") == {"source": "crmtui", "batch": "7", "note": "a b"}
    assert parse_params("empty=") == {"empty": ""}
    for bad in ("source", "=7", "a=1, b"):
        with pytest.raises(RunInputError, match="key=value"):
            parse_params(bad)


def test_start_times() -> None:
    assert parse_start("", NOW) is None and parse_start(" now ", NOW) is None
    assert parse_start("+10m", NOW) == NOW + dt.timedelta(minutes=10)
    assert parse_start("+2h", NOW) == NOW + dt.timedelta(hours=2)
    assert parse_start("+1d", NOW) == NOW + dt.timedelta(days=1)
    assert parse_start("2026-03-10 14:30", NOW) == dt.datetime(2026, 3, 10, 14, 30, tzinfo=dt.timezone.utc)
    assert parse_start("2026-03-10T14:30:00+01:00", NOW) == dt.datetime(2026, 3, 10, 13, 30, tzinfo=dt.timezone.utc)
    with pytest.raises(RunInputError, match="has passed"):
        parse_start("2026-03-09 14:30", NOW)
    with pytest.raises(RunInputError, match="Not a start time"):
        parse_start("tomorrow", NOW)

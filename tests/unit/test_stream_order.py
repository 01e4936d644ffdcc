"""Stream sections and order follow OnePageCRM's Action Stream rules."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from crmtui.domain.models import Action, ActionStatus, Contact, StreamEntry, Urgency
from crmtui.domain.stream import Section, section, sort_entries, sort_key, urgency

TODAY = dt.date(2026, 3, 10)
NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.timezone.utc)
ME, TEAMMATE = "u-me", "u-team"


def act(status: ActionStatus, text: str = "call", *, days: int | None = None, hour: int | None = None,
        assignee: str = ME, **kw) -> Action:
    date = TODAY + dt.timedelta(days=days) if days is not None else None
    exact = None
    if hour is not None and date is not None:
        exact = dt.datetime.combine(date, dt.time(hour), tzinfo=dt.timezone.utc)
    return Action(id=f"a-{text}-{days}-{hour}", contact_id="c", assignee_id=assignee, text=text, status=status,
                  date=date, exact_time=exact, **kw)


def entry(first: str, next_action: Action | None = None, *, last: str = "", queued: list[Action] | None = None,
          closed: bool = False, **contact_kw) -> StreamEntry:
    contact = Contact(id=f"c-{first}-{last}", first_name=first, last_name=last, sales_closed=closed, **contact_kw)
    return StreamEntry(contact=contact, next_action=next_action, queued_actions=queued or [])


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (act(ActionStatus.ASAP), Urgency.ASAP),
        (act(ActionStatus.DATE, days=-1), Urgency.OVERDUE),
        (act(ActionStatus.DATE, days=0), Urgency.TODAY),
        (act(ActionStatus.DATE, days=5), Urgency.FUTURE),
        (act(ActionStatus.DATE_TIME, days=0, hour=9), Urgency.OVERDUE),  # 09:00 passed at noon
        (act(ActionStatus.DATE_TIME, days=0, hour=15), Urgency.TODAY),
        (act(ActionStatus.WAITING, days=-3), Urgency.WAITING),
        (act(ActionStatus.QUEUED), Urgency.QUEUED),
        (act(ActionStatus.QUEUED_WITH_DATE, days=-2), Urgency.QUEUED),
        (act(ActionStatus.DONE, days=-1), Urgency.NONE),
        (act(ActionStatus.UNKNOWN, raw_status="someday"), Urgency.NONE),
        (act(ActionStatus.UNKNOWN, days=-1, raw_status="future_kind"), Urgency.OVERDUE),
    ],
)
def test_action_urgency(action: Action, expected: Urgency) -> None:
    assert urgency(action, TODAY, NOW) is expected


def test_timed_action_today_without_now_is_today() -> None:
    assert urgency(act(ActionStatus.DATE_TIME, days=0, hour=1), TODAY) is Urgency.TODAY


def test_entry_urgency_falls_back_to_queued_closed_none() -> None:
    assert urgency(entry("a", queued=[act(ActionStatus.QUEUED)]), TODAY) is Urgency.QUEUED
    assert urgency(entry("b", closed=True), TODAY) is Urgency.CLOSED
    assert urgency(entry("c"), TODAY) is Urgency.NONE
    assert urgency(None, TODAY) is Urgency.NONE


def test_queued_for_me_before_queued_for_teammate() -> None:
    mine = entry("z", queued=[act(ActionStatus.QUEUED, assignee=ME)])
    theirs = entry("a", queued=[act(ActionStatus.QUEUED, assignee=TEAMMATE)])
    assert section(mine, TODAY, user_id=ME) is Section.QUEUED_FOR_ME
    assert section(theirs, TODAY, user_id=ME) is Section.QUEUED_FOR_TEAM
    assert sort_entries([theirs, mine], TODAY, user_id=ME) == [mine, theirs]


def test_full_section_order() -> None:
    expected = [
        entry("asap", act(ActionStatus.ASAP, "x")),
        entry("overdue", act(ActionStatus.DATE, "x", days=-2)),
        entry("today", act(ActionStatus.DATE, "x", days=0)),
        entry("future", act(ActionStatus.DATE, "x", days=3)),
        entry("waiting", act(ActionStatus.WAITING, "x")),
        entry("queued-me", queued=[act(ActionStatus.QUEUED, "x", assignee=ME)]),
        entry("queued-team", queued=[act(ActionStatus.QUEUED, "x", assignee=TEAMMATE)]),
        entry("closed", closed=True),
        entry("none"),
    ]
    shuffled = expected[:]
    random.Random(7).shuffle(shuffled)
    assert [e.contact.first_name for e in sort_entries(shuffled, TODAY, user_id=ME, now=NOW)] == [
        e.contact.first_name for e in expected
    ]


def test_closed_with_comment_before_closed_without() -> None:
    with_comment = StreamEntry(contact=Contact(id="1", first_name="Zed", sales_closed=True,
                                               sales_closed_comment="Bought elsewhere"))
    without = StreamEntry(contact=Contact(id="2", first_name="Amy", sales_closed=True))
    assert section(with_comment, TODAY) is Section.CLOSED_WITH_COMMENT
    assert section(without, TODAY) is Section.CLOSED_WITHOUT_COMMENT
    assert sort_entries([without, with_comment], TODAY) == [with_comment, without]


def test_dated_sections_by_date_then_time_then_text() -> None:
    later_date = entry("a", act(ActionStatus.DATE, "aaa", days=4))
    early_timed = entry("b", act(ActionStatus.DATE_TIME, "zzz", days=2, hour=9))
    late_timed = entry("c", act(ActionStatus.DATE_TIME, "aaa", days=2, hour=16))
    whole_day_b = entry("d", act(ActionStatus.DATE, "bbb", days=2))
    whole_day_a = entry("e", act(ActionStatus.DATE, "Aab", days=2))
    ordered = sort_entries([later_date, whole_day_b, late_timed, whole_day_a, early_timed], TODAY, now=NOW)
    assert ordered == [early_timed, late_timed, whole_day_a, whole_day_b, later_date]


def test_overdue_oldest_first() -> None:
    two = entry("a", act(ActionStatus.DATE, "b", days=-2))
    nine = entry("b", act(ActionStatus.DATE, "a", days=-9))
    assert sort_entries([two, nine], TODAY) == [nine, two]


def test_asap_by_text_not_date() -> None:
    b = entry("a", act(ActionStatus.ASAP, "Beta"))
    a = entry("b", act(ActionStatus.ASAP, "alpha"))
    assert sort_entries([b, a], TODAY) == [a, b]


def test_no_action_by_first_name_then_last() -> None:
    people = [entry("bob", last="Zane"), entry("Alice", last="Young"), entry("bob", last="Adams")]
    names = [(e.contact.first_name, e.contact.last_name) for e in sort_entries(people, TODAY)]
    assert names == [("Alice", "Young"), ("bob", "Adams"), ("bob", "Zane")]


def test_company_only_contact_sorts_by_company_name() -> None:
    acme = entry("", company_name="Acme")
    bob = entry("Bob")
    zed = entry("Zed")
    assert sort_entries([zed, bob, acme], TODAY) == [acme, bob, zed]


def test_sort_key_is_stable_type() -> None:
    keys = [sort_key(entry("x", act(s, days=0)), TODAY) for s in ActionStatus]
    sorted(keys)  # all comparable, no TypeError


def test_every_sort_key_ends_with_its_contact_s_id() -> None:
    """The session finds a row's key by the key's last part (`Session.sort`): every way a key is
    made ends with the contact's id, the last tie-break."""
    kinds = [act(s, days=d, hour=h) for s in ActionStatus for d, h in ((None, None), (-1, None), (0, 9), (3, None))]
    rows = [entry(f"p{i}", action) for i, action in enumerate(kinds)]
    rows += [entry("", company_name="Acme"), entry("q", act(ActionStatus.ASAP, done=True)), entry("c", closed=True),
             entry("w", queued=[act(ActionStatus.QUEUED, assignee=TEAMMATE)])]
    for row in rows:
        assert sort_key(row, TODAY, user_id=ME, now=NOW)[-1] == row.contact.id


def test_passed_timed_action_is_coloured_overdue_but_stays_in_today() -> None:
    passed = entry("a", act(ActionStatus.DATE_TIME, "x", days=0, hour=8))
    yesterday = entry("b", act(ActionStatus.DATE, "x", days=-1))
    assert urgency(passed, TODAY, NOW) is Urgency.OVERDUE
    assert section(passed, TODAY, now=NOW) is Section.OVERDUE
    assert sort_key(passed, TODAY, now=NOW)[0] == Section.TODAY
    assert sort_entries([passed, yesterday], TODAY, now=NOW) == [yesterday, passed]


def test_queued_sections_ordered_by_text_not_date() -> None:
    b = entry("a", queued=[act(ActionStatus.QUEUED_WITH_DATE, "beta", days=1)])
    a = entry("b", queued=[act(ActionStatus.QUEUED_WITH_DATE, "alpha", days=9)])
    assert sort_entries([b, a], TODAY) == [a, b]


def test_first_queued_action_by_position_decides_section() -> None:
    mine_second = act(ActionStatus.QUEUED, "m", assignee=ME, position=2)
    theirs_first = act(ActionStatus.QUEUED, "t", assignee=TEAMMATE, position=1)
    e = entry("a", queued=[mine_second, theirs_first])
    assert section(e, TODAY, user_id=ME) is Section.QUEUED_FOR_TEAM


def test_the_direct_key_is_the_general_one() -> None:
    """`sort_key` works out most rows' keys directly: the same key as the general way, for every
    status, date (none, past, today, future), time, done flag, queue and closed contact."""
    from crmtui.domain.stream import _general_sort_key

    rng = random.Random(13)
    dates: list[int | None] = [None, -3, 0, 4]
    hours: list[int | None] = [None, 9, 15]
    cases = 0
    for status in ActionStatus:
        for days in dates:
            for hour in hours:
                for done in (False, True):
                    queued = rng.choice([[], [act(ActionStatus.QUEUED, "q", assignee=rng.choice([ME, TEAMMATE]))]])
                    for e in (
                        entry(rng.choice(["Ann", "bob", ""]), act(status, rng.choice(["Call", " email "]), days=days,
                              hour=hour, done=done), last=rng.choice(["", "Zed"]), queued=queued,
                              closed=rng.random() < 0.3, company_name="Acme"),
                        entry("Cy", None, queued=queued, closed=done),
                        entry("Di", None, closed=True, sales_closed_comment=rng.choice(["Won", "  ", ""])),
                        entry("Ed", act(status, done=True), closed=rng.random() < 0.5, sales_closed_comment="Lost"),
                    ):
                        for user in (ME, TEAMMATE, None):
                            assert sort_key(e, TODAY, user_id=user, now=NOW) == _general_sort_key(e, TODAY, user_id=user)
                            cases += 1
    assert cases > 500

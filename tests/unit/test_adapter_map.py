"""OnePageCRM wire -> domain mapping on JSON shaped like the spec's examples."""

from __future__ import annotations

import datetime as dt

from crmtui.backends.onepagecrm.adapter_map import map_account, map_action, map_contact, map_stream_item
from crmtui.domain.models import ActionStatus

ME, MATE = "5aaa9b009007ba08c9ebaef7", "5aaa9b009007ba08c9ebaef8"


def wire_action(aid: str, status: str, **kw) -> dict:
    return {"id": aid, "contact_id": "c1", "assignee_id": ME, "text": f"do {aid}", "status": status, **kw}


def test_unknown_status_kept_raw() -> None:
    action = map_action(wire_action("a1", "someday_maybe"))
    assert action.status is ActionStatus.UNKNOWN and action.raw_status == "someday_maybe"


def test_exact_time_epoch_and_dates() -> None:
    action = map_action(wire_action("a1", "date_time", date="2018-05-16", exact_time=1526472000))
    assert action.status is ActionStatus.DATE_TIME
    assert action.date == dt.date(2018, 5, 16)
    assert action.exact_time == dt.datetime(2018, 5, 16, 12, 0, tzinfo=dt.timezone.utc)
    done = map_action(wire_action("a2", "done", done=True, done_at="2018-05-17"))
    assert done.done and done.done_at.date() == dt.date(2018, 5, 17)


def test_contact_closed_for_viewer_with_comment() -> None:
    wire = {
        "id": "c1",
        "first_name": "Jane",
        "url": [{"type": "website", "value": "https://x.example"}],
        "address_list": [{"address": "1 Main St", "city": "Cork", "country_code": "IE"}],
        "custom_fields": [{"custom_field": {"id": "f1", "name": "Industry"}, "value": ["A", "B"]}],
        "sales_closed_for": [ME],
        "closed_sales": [{"user_id": ME, "closed_at": 1524818902, "comment": "Went elsewhere"}],
        "total_pendings": 999.99,
    }
    mine = map_contact(wire, ME)
    assert mine.sales_closed and mine.sales_closed_comment == "Went elsewhere"
    assert mine.urls == ["https://x.example"] and mine.addresses[0].one_line() == "1 Main St, Cork, IE"
    assert mine.custom_fields[0].value == "A, B" and mine.total_pending == 999.99
    theirs = map_contact(wire, MATE)
    assert not theirs.sales_closed and theirs.sales_closed_comment == ""


def test_stream_item_conflicts_computed_when_absent() -> None:
    item = {
        "contact": {"id": "c1", "first_name": "Jane"},
        "next_action": wire_action("n", "date", date="2026-03-20"),
        "queued_actions": [
            wire_action("q1", "queued_with_date", date="2026-03-12", position=1),
            wire_action("q2", "queued", position=2),
        ],
        "next_action_conflicts": [],
        "company": {"id": "co1", "name": "Acme"},
    }
    entry = map_stream_item(item, ME)
    assert entry.next_action.id == "n"
    assert [a.id for a in entry.queued_actions] == ["q1", "q2"]
    assert [a.id for a in entry.conflicts] == ["q1"]
    assert entry.company.name == "Acme"


def test_stream_item_picks_viewers_next_action_from_next_actions() -> None:
    item = {
        "contact": {"id": "c1"},
        "next_actions": [wire_action("x", "asap", assignee_id=MATE), wire_action("y", "date", date="2026-03-11")],
    }
    assert map_stream_item(item, ME).next_action.id == "y"


def test_account_from_bootstrap() -> None:
    boot = {
        "user_id": ME,
        "user": {"id": ME, "first_name": "Ann", "last_name": "Lee", "email": "ann@example.com"},
        "team": [{"id": MATE, "first_name": "Bob"}, {"id": ME, "first_name": "Ann"}],
        "settings": {
            "time_zone": "America/Los_Angeles",
            "date_format": "%m/%d/%Y",
            "time_with_ampm": True,
            "currency_symbol": "€",
            "pipelines": [{"pipeline": {"id": "p1", "name": "Sales", "default": True,
                                        "stages": [{"stage": 10, "label": "Lead"}]}}],
        },
        "call_results": {"interested": "Interested", "no_answer": "No answer"},
        "call_results_order": ["no_answer", "interested"],
        "next_action_dates": [{"number": 1, "period": "weeks"}],
        "predefined_actions": [{"id": "pa", "text": "Call back", "days": 2}],
        "custom_fields": [{"id": "f1", "name": "Industry", "type": "select_box", "choices": ["Retail"]}],
        "statuses": [{"id": "s1", "status": "lead", "text": "Lead"}],
        "lead_sources": [{"id": "l1", "text": "Web"}],
    }
    acct = map_account(boot)
    assert acct.user.name == "Ann Lee" and [u.id for u in acct.team] == [MATE]
    assert (acct.time_zone, acct.date_format, acct.time_with_ampm, acct.currency_symbol) == (
        "America/Los_Angeles", "%m/%d/%Y", True, "€")
    assert [c.id for c in acct.call_results] == ["no_answer", "interested"]
    assert acct.call_results[0].text == "No answer"
    assert acct.quick_dates[0].label == "in 1 week"
    assert acct.predefined_actions[0].days == 2
    assert acct.pipelines[0].stages[0].label == "Lead"
    assert acct.statuses[0].text == "Lead" and acct.lead_sources[0].text == "Web"
    assert acct.custom_fields[0].choices == ["Retail"]

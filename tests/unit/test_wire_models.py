"""OnePageCRM wire models on awkward real-world JSON, and the adapter mapping them to domain models.

Real answers break the spec in small ways (nulls, numbers as strings, wrapped or bare list items,
values outside an enum); none of that may crash parsing or mapping.
"""

from __future__ import annotations

import datetime as dt

import pytest

from crmtui.backends.onepagecrm import wire
from crmtui.backends.onepagecrm.adapter_map import map_account, map_deal, map_notification, map_stream_item
from crmtui.domain.models import ActionStatus as DomainActionStatus
from crmtui.domain.models import DealStatus as DomainDealStatus

EPOCH_2018_05_16_NOON = 1526472000
NOON = dt.datetime(2018, 5, 16, 12, 0, tzinfo=dt.timezone.utc)

# -- scalars -----------------------------------------------------------------------------------


def test_ids_are_always_strings() -> None:
    assert wire.Contact.model_validate({"id": 5}).id == "5"
    assert wire.Action.model_validate({"id": 7.0, "contact_id": 12}).contact_id == "12"
    assert wire.Deal.model_validate({"id": "abc", "owner_id": None}).owner_id == ""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("true", True), ("True", True), ("1", True), ("yes", True), (1, True), (True, True),
     ("false", False), ("0", False), ("", False), (None, False), (0, False), ("nonsense", False)],
)
def test_booleans_from_strings_numbers_and_null(raw: object, expected: bool) -> None:
    assert wire.Contact.model_validate({"starred": raw}).starred is expected
    assert wire.Notification.model_validate({"read": raw}).read is expected


def test_strings_from_numbers_and_nulls() -> None:
    note = wire.Note.model_validate({"text": 5, "author": None, "date": 20180516})
    assert (note.text, note.author, note.date) == ("5", "", "20180516")
    assert wire.Meeting.model_validate({"place": 12.0}).place == "12"
    assert wire.Contact.model_validate({"first_name": True}).first_name == "true"


def test_numbers_from_strings() -> None:
    deal = wire.Deal.model_validate({"amount": "1,200.50", "stage": "25", "months": "3", "cost": "oops", "margin": None})
    assert (deal.amount, deal.stage, deal.months, deal.cost, deal.margin) == (1200.5, 25, 3, 0.0, 0.0)
    contact = wire.Contact.model_validate({"company_size": "12", "total_pendings": "99.5", "total_deals_count": ""})
    assert (contact.company_size, contact.total_pendings, contact.total_deals_count) == (12, 99.5, None)
    call = wire.Call.model_validate({"call_time_int": str(EPOCH_2018_05_16_NOON)})
    assert call.call_time_int == EPOCH_2018_05_16_NOON
    assert wire.Meeting.model_validate({"meeting_time_int": "soon"}).meeting_time_int is None


def test_custom_field_values_as_list_number_and_null() -> None:
    contact = wire.Contact.model_validate(
        {
            "custom_fields": [
                {"custom_field": {"id": 1, "name": "Industries"}, "value": ["Retail", 2]},
                {"custom_field": {"id": 2, "name": "Seats"}, "value": 12.0},
                {"custom_field": {"id": 3}, "value": None},
                {"custom_field": None, "value": "orphan"},
                "junk",
                7,
            ]
        }
    )
    assert [(v.custom_field.id, v.text) for v in contact.custom_fields] == [
        ("1", "Retail, 2"),
        ("2", "12"),
        ("3", ""),
        ("", "orphan"),
    ]
    assert contact.custom_fields[0].value == ["Retail", 2]  # the raw value is kept too


def test_typed_values_accept_bare_strings_and_numbers() -> None:
    contact = wire.Contact.model_validate(
        {"phones": ["123", 456, None, {"type": "work", "value": 789}, ["nested"]], "urls": [{"value": "x.example"}]}
    )
    assert [(p.type, p.value) for p in contact.phones] == [("", "123"), ("", "456"), ("work", "789")]
    assert [u.value for u in contact.url] == ["x.example"]  # requests say `urls`, answers `url`


def test_string_lists_from_a_single_string_or_mixed_items() -> None:
    assert wire.Contact.model_validate({"tags": "vip"}).tags == ["vip"]
    assert wire.Contact.model_validate({"tags": ["a", 2, None, {"x": 1}]}).tags == ["a", "2"]
    assert wire.User.model_validate({"account_rights": None}).account_rights == []


# -- enums -------------------------------------------------------------------------------------


def test_known_enum_values_become_members() -> None:
    assert wire.Action.model_validate({"status": "asap"}).status is wire.ActionStatus.ASAP
    assert wire.Action.model_validate({"status": " queued_with_date "}).status is wire.ActionStatus.QUEUED_WITH_DATE
    assert wire.Action.model_validate({"status": "DATE_TIME"}).status is wire.ActionStatus.DATE_TIME  # case-insensitive
    assert wire.Deal.model_validate({"status": "won"}).status is wire.DealStatus.WON
    assert wire.Notification.model_validate({"type": "note"}).type is wire.NotificationType.NOTE
    assert wire.Bootstrap.model_validate({"account_type": "trial"}).account_type is wire.AccountType.TRIAL


@pytest.mark.parametrize(
    ("model", "field", "raw", "kept"),
    [
        (wire.Action, "status", "someday_maybe", "someday_maybe"),
        (wire.Action, "status", "Done later", "Done later"),
        (wire.Action, "status", "", ""),
        (wire.Action, "status", None, ""),
        (wire.Deal, "status", "frozen", "frozen"),
        (wire.Notification, "type", "webhook", "webhook"),
        (wire.Bootstrap, "account_type", "enterprise", "enterprise"),
        (wire.Bootstrap, "account_type", 3, "3"),
    ],
)
def test_unknown_enum_values_kept_as_plain_strings(model, field: str, raw: object, kept: str) -> None:
    value = getattr(model.model_validate({field: raw}), field)
    assert value == kept
    assert type(value) is str


# -- wrapped and bare items, garbage, extras, defaults -----------------------------------------


@pytest.mark.parametrize(
    ("model", "key"),
    [
        (wire.Action, "action"),
        (wire.Deal, "deal"),
        (wire.Note, "note"),
        (wire.Call, "call"),
        (wire.Meeting, "meeting"),
        (wire.Notification, "notification"),
        (wire.Pipeline, "pipeline"),
        (wire.Company, "company"),
        (wire.User, "user"),
        (wire.Status, "status"),
        (wire.LeadSource, "lead_source"),
        (wire.PredefinedAction, "predefined_action"),
        (wire.CustomField, "custom_field"),
        (wire.Filter, "filter"),
    ],
)
def test_items_wrapped_or_bare_parse_the_same(model, key: str) -> None:
    bare = model.model_validate({"id": 42, "surprise": "kept"})
    wrapped = model.model_validate({key: {"id": 42, "surprise": "kept"}})
    assert bare.id == wrapped.id == "42"
    assert bare.model_extra == wrapped.model_extra == {"surprise": "kept"}


def test_wrapped_item_with_nulls_inside() -> None:
    action = wire.Action.model_validate({"action": {"id": 1, "text": None, "position": None, "done": None}})
    assert (action.id, action.text, action.position, action.done) == ("1", "", None, False)
    notification = wire.Notification.model_validate({"notification": {"id": 2, "mobile_data": None}})
    assert notification.mobile_data == {}


def test_garbage_list_items_dropped() -> None:
    item = wire.StreamItem.model_validate(
        {
            "contact": {"id": "c1"},
            "queued_actions": [{"action": {"id": "q1"}}, {"id": "q2"}, "junk", 3, None, ["x"]],
            "deals": [7, {"deal": {"id": "d1"}}],
            "next_actions": "not a list",
        }
    )
    assert [a.id for a in item.queued_actions] == ["q1", "q2"]
    assert [d.id for d in item.deals] == ["d1"]
    assert item.next_actions == []
    pipeline = wire.Pipeline.model_validate({"stages": [{"stage": "10", "label": 5}, None, "x"]})
    assert [(s.stage, s.label) for s in pipeline.stages] == [(10, "5")]


def test_unknown_fields_kept_in_model_extra() -> None:
    action = wire.Action.model_validate({"id": "a1", "recurrence": {"every": 2}, "colour": None})
    assert action.model_extra == {"recurrence": {"every": 2}, "colour": None}
    contact = wire.Contact.model_validate({"id": "c1", "linkedin_score": 7})
    assert contact.model_extra == {"linkedin_score": 7}


def test_objects_of_the_wrong_type_become_defaults() -> None:
    assert wire.Company.model_validate({"id": 9, "address": "1 Main St"}).address is None
    assert wire.Deal.model_validate({"contact_info": "n/a"}).contact_info is None
    assert wire.Notification.model_validate({"mobile_data": "x"}).mobile_data == {}
    assert wire.Filter.model_validate({"conditions": {"a": 1}}).conditions == []
    assert wire.Settings.model_validate({"reminder": 5}).reminder is None


@pytest.mark.parametrize(
    "model",
    [wire.User, wire.Contact, wire.Company, wire.Action, wire.Deal, wire.Pipeline, wire.DealStage, wire.Note,
     wire.Call, wire.Meeting, wire.Notification, wire.StreamItem, wire.Bootstrap],
)
@pytest.mark.parametrize("raw", [{}, None, "garbage", 17, []])
def test_missing_everything_gives_defaults(model, raw: object) -> None:
    parsed = model.model_validate(raw)
    assert parsed == model()
    assert parsed.model_extra == {}


def test_defaults_are_the_documented_ones() -> None:
    action = wire.Action()
    assert (action.id, action.status, action.done, action.exact_time) == ("", "", False, None)
    deal = wire.Deal()
    assert (deal.amount, deal.stage, deal.status, deal.contact_info) == (0.0, None, "", None)
    assert wire.Pipeline().won_column_enabled is True
    assert wire.Bootstrap().settings == wire.Settings()


# -- bootstrap ---------------------------------------------------------------------------------


@pytest.mark.parametrize("settings", ["absent", None, "x", []])
def test_bootstrap_without_usable_settings(settings: object) -> None:
    raw = {"user_id": 9, "account_type": "pro"}
    if settings != "absent":
        raw["settings"] = settings
    boot = wire.Bootstrap.model_validate(raw)
    assert boot.settings == wire.Settings()
    assert boot.settings.time_zone == "" and boot.settings.pipelines == []
    assert boot.user_id == "9" and boot.account_type is wire.AccountType.PRO


def test_bootstrap_settings_with_awkward_values() -> None:
    boot = wire.Bootstrap.model_validate(
        {
            "settings": {
                "time_zone": None,
                "time_with_ampm": "true",
                "listing_size": "50",
                "pipelines": [{"pipeline": {"id": 1, "name": "Sales", "default": "1"}}, "x"],
                "deal_stages": [{"stage": "10", "label": "Lead"}],
            }
        }
    )
    settings = boot.settings
    assert (settings.time_zone, settings.time_with_ampm, settings.listing_size) == ("", True, 50)
    assert [(p.id, p.name, p.default) for p in settings.pipelines] == [("1", "Sales", True)]
    assert [(s.stage, s.label) for s in settings.deal_stages] == [(10, "Lead")]


def test_bootstrap_drops_the_auth_key() -> None:
    secret = "c+g0Y3VGHdIztKbHcjVcOuwf34EmFlXI9Qot5hTvb2F="
    boot = wire.Bootstrap.model_validate({"user_id": "u1", "auth_key": secret, "user": {"id": "u1"}})
    assert boot.user_id == "u1"
    assert "auth_key" not in boot.model_dump()
    assert "auth_key" not in (boot.model_extra or {})
    for text in (repr(boot), str(boot), boot.model_dump_json(), str(boot.model_dump())):
        assert secret not in text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"interested": "Interested", "no_answer": "No answer"}, [("interested", "Interested"), ("no_answer", "No answer")]),
        (["interested", "left_message"], [("interested", "Interested"), ("left_message", "Left message")]),
        (
            [{"call_result": {"id": "a", "text": "A"}}, {"result": "b"}, {"key": "c", "text": "C"}, {}, "", None],
            [("a", "A"), ("b", "b"), ("c", "C")],
        ),
        (None, []),
        ("interested", []),
    ],
)
def test_bootstrap_call_results_in_any_shape(raw: object, expected: list[tuple[str, str]]) -> None:
    boot = wire.Bootstrap.model_validate({"call_results": raw})
    assert [(r.id, r.text) for r in boot.call_results] == expected


def test_bootstrap_call_results_ordered() -> None:
    boot = wire.Bootstrap.model_validate(
        {"call_results": {"a": "A", "b": "B", "c": "C"}, "call_results_order": ["c", "a"]}
    )
    assert [r.id for r in boot.ordered_call_results()] == ["c", "a", "b"]


def test_bootstrap_user_not_an_object() -> None:
    boot = wire.Bootstrap.model_validate({"user": "me", "team": [{"id": 1}, "x", None], "team_stream": []})
    assert boot.user is None and [u.id for u in boot.team] == ["1"] and boot.team_stream is None


# -- stream items ------------------------------------------------------------------------------


def test_stream_item_from_a_bare_contact() -> None:
    item = wire.StreamItem.model_validate({"id": 3, "first_name": "Jane", "starred": "1"})
    assert (item.contact.id, item.contact.first_name, item.contact.starred) == ("3", "Jane", True)
    assert item.next_action is None and item.queued_actions == []


def test_stream_item_with_null_or_garbage_parts() -> None:
    item = wire.StreamItem.model_validate({"contact": None, "next_action": "x", "company": 5, "deals": None})
    assert item.contact == wire.Contact()
    assert item.next_action is None and item.company is None and item.deals == []


def test_stream_item_wrapped_company_and_next_action() -> None:
    item = wire.StreamItem.model_validate(
        {"contact": {"id": "c1"}, "next_action": {"action": {"id": "n1"}}, "company": {"company": {"id": 8}}}
    )
    assert item.next_action is not None and item.next_action.id == "n1"
    assert item.company is not None and item.company.id == "8"


# -- pages -------------------------------------------------------------------------------------


def test_parse_page_with_full_metadata_as_strings() -> None:
    page = wire.parse_page(
        wire.Action,
        {
            "actions": [{"action": {"id": 1}}, {"id": 2}, "junk", None],
            "total_count": "30",
            "page": "2",
            "per_page": "10",
            "max_page": "3",
            "team_stream": {"all": 4},
        },
        "actions",
    )
    assert [a.id for a in page.items] == ["1", "2"]
    assert (page.total_count, page.page, page.per_page, page.max_page) == (30, 2, 10, 3)
    assert page.extra == {"team_stream": {"all": 4}}


def test_parse_page_with_bare_list_data() -> None:
    page = wire.parse_page(wire.User, [{"user": {"id": "u1"}}, {"id": "u2"}, 3], "users", page=4)
    assert [u.id for u in page.items] == ["u1", "u2"]
    assert (page.total_count, page.page, page.per_page, page.max_page, page.extra) == (2, 4, 0, 0, {})


def test_parse_page_without_pagination_fields() -> None:
    page = wire.parse_page(wire.Deal, {"deals": [{"deal": {"id": "d1"}}]}, "deals", page=3)
    assert [d.id for d in page.items] == ["d1"]
    assert (page.total_count, page.page, page.per_page, page.max_page) == (1, 3, 0, 0)


@pytest.mark.parametrize("data", [None, "oops", 5, {"deals": None}, {"deals": "x"}, {"total_count": None}])
def test_parse_page_of_nothing_usable(data: object) -> None:
    page = wire.parse_page(wire.Deal, data, "deals")
    assert (page.items, page.total_count, page.page, page.max_page) == ([], 0, 1, 0)


def test_parse_page_with_garbage_metadata() -> None:
    page = wire.parse_page(wire.Note, {"notes": [], "total_count": "lots", "page": None, "max_page": "n/a"}, "notes")
    assert (page.total_count, page.page, page.max_page) == (0, 1, 0)


async def test_users_listing_from_the_sandbox_is_unwrapped(client, sandbox) -> None:
    """GET /users answers [{"user": {...}}]; every user must keep its id and name."""
    users = await client.users()
    assert sorted(u.id for u in users) == sorted(u.user_id for u in sandbox.users)
    assert all(u.first_name for u in users)


# -- adapter mapping of awkward models ---------------------------------------------------------


def test_map_stream_item_on_awkward_shapes() -> None:
    item = wire.StreamItem.model_validate(
        {
            "contact": {
                "id": 7,
                "first_name": None,
                "starred": "true",
                "phones": ["123"],
                "custom_fields": [
                    {"custom_field": {"id": 1, "name": "Industries"}, "value": ["Retail", 2]},
                    {"custom_field": {"id": 3}, "value": None},
                ],
                "modified_at": str(EPOCH_2018_05_16_NOON),
            },
            "next_action": {
                "id": 1,
                "status": "someday_maybe",
                "date": "",
                "exact_time": str(EPOCH_2018_05_16_NOON),
                "position": "2",
                "done": "0",
            },
            "queued_actions": [{"action": {"id": 2, "status": "queued", "date": None}}, "junk"],
            "company": {"id": 4, "name": 5},
        }
    )
    entry = map_stream_item(item)
    assert entry.contact.id == "7" and entry.contact.first_name == "" and entry.contact.starred is True
    assert [(p.type, p.value) for p in entry.contact.phones] == [("", "123")]
    assert [(c.field_id, c.value) for c in entry.contact.custom_fields] == [("1", "Retail, 2"), ("3", "")]
    assert entry.contact.modified_at == NOON
    action = entry.next_action
    assert action is not None
    assert action.status is DomainActionStatus.UNKNOWN and action.raw_status == "someday_maybe"
    assert (action.date, action.exact_time, action.position, action.done) == (None, NOON, 2, False)
    assert [(a.id, a.status) for a in entry.queued_actions] == [("2", DomainActionStatus.QUEUED)]
    assert entry.company is not None and (entry.company.id, entry.company.name) == ("4", "5")


@pytest.mark.parametrize("status", ["", "DONE later", "later"])
def test_map_stream_item_unknown_or_empty_status(status: str) -> None:
    entry = map_stream_item(wire.StreamItem.model_validate({"contact": {"id": "c"}, "next_action": {"id": "a", "status": status}}))
    assert entry.next_action is not None
    assert entry.next_action.status is DomainActionStatus.UNKNOWN and entry.next_action.raw_status == status


def test_map_stream_item_known_status_and_empty_item() -> None:
    entry = map_stream_item(wire.StreamItem.model_validate({"id": "c", "next_action": None}))
    assert entry.contact.id == "c" and entry.next_action is None and entry.company is None
    done = map_stream_item(wire.StreamItem.model_validate({"contact": {"id": "c"}, "next_action": {"id": "a", "status": "done"}}))
    assert done.next_action is not None
    assert done.next_action.status is DomainActionStatus.DONE and done.next_action.done is True


def test_map_account_on_awkward_bootstrap() -> None:
    boot = wire.Bootstrap.model_validate(
        {
            "user_id": 9,
            "auth_key": "secret",
            "user": None,
            "settings": None,
            "team": [{"id": 9}, {"user": {"id": 10, "first_name": "Tom"}}, "junk"],
            "call_results": {"b": "B", "a": "A"},
            "call_results_order": ["a", "b"],
            "next_action_dates": [{"number": None, "period": None}, {"number": "3", "period": "weeks"}],
            "statuses": [{"status": {"id": 1, "status": "Lead"}}, {"id": 2, "text": "Customer"}],
            "custom_fields": [{"custom_field": {"id": "f1", "name": "Size", "choices": "S"}}],
            "account_type": "enterprise",
        }
    )
    account = map_account(boot)
    assert account.user.id == "9"
    assert [(u.id, u.first_name) for u in account.team] == [("10", "Tom")]
    assert (account.time_zone, account.date_format, account.currency_symbol) == ("UTC", "%d/%m/%Y", "$")
    assert [(c.id, c.text) for c in account.call_results] == [("a", "A"), ("b", "B")]
    assert [(q.number, q.period) for q in account.quick_dates] == [(0, "days"), (3, "weeks")]
    assert [(s.id, s.text) for s in account.statuses] == [("1", "Lead"), ("2", "Customer")]
    assert [(f.id, f.choices) for f in account.custom_fields] == [("f1", ["S"])]
    assert "secret" not in repr(account)


def test_map_account_on_empty_bootstrap() -> None:
    account = map_account(wire.Bootstrap.model_validate({}))
    assert account.user.id == "" and account.team == [] and account.pipelines == []
    assert account.time_zone == "UTC" and account.call_results == []


def test_map_account_pipelines_from_settings() -> None:
    boot = wire.Bootstrap.model_validate(
        {"settings": {"pipelines": [{"pipeline": {"id": 1, "stages": [{"stage": "10", "label": "Lead"}], "won_column_name": None}}]}}
    )
    [pipeline] = map_account(boot).pipelines
    assert pipeline.id == "1" and pipeline.won_column_name == "Won"
    assert [(s.stage, s.label) for s in pipeline.stages] == [(10, "Lead")]


def test_map_deal_on_awkward_deals() -> None:
    odd = map_deal(
        wire.Deal.model_validate(
            {"deal": {"id": 1, "status": "frozen", "stage": "50", "months": "0", "amount": None, "expected_close_date": "soon", "sales_pipeline_id": 3}}
        )
    )
    assert odd.status is DomainDealStatus.UNKNOWN
    assert (odd.id, odd.stage, odd.months, odd.amount, odd.expected_close_date, odd.pipeline_id) == ("1", 50, 1, 0.0, None, "3")
    won = map_deal(wire.Deal.model_validate({"id": 2, "status": "won", "amount": "1,000", "close_date": "2026-03-01"}))
    assert won.status is DomainDealStatus.WON and won.amount == 1000.0 and won.close_date == dt.date(2026, 3, 1)
    assert map_deal(wire.Deal()).stage is None


def test_map_notification_on_awkward_notifications() -> None:
    odd = map_notification(
        wire.Notification.model_validate(
            {"notification": {"id": 1, "type": "webhook", "read": "1", "mobile_data": {"title": "T", "body": "B"}, "created_at": "garbage"}}
        )
    )
    assert (odd.id, odd.type, odd.read, odd.text, odd.created_at) == ("1", "webhook", True, "T B", None)
    known = map_notification(wire.Notification.model_validate({"id": 2, "type": "note", "text": "Hi", "mobile_data": None}))
    assert (known.type, known.text, known.read) == ("note", "Hi", False)


# -- dates no datetime can hold: None, never an exception ----------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["99999999999999", 99999999999999, 1e15, -1e15, 1e308, float("nan"), float("inf"), 10**30, "²³", "٣٤٥",
     "9" * 5000, "10000-01-01", "2026-13-45"],
    ids=lambda raw: repr(raw)[:20],
)
def test_out_of_range_or_unicode_digit_dates_map_to_none(raw: object) -> None:
    from crmtui.backends.onepagecrm.adapter_map import to_date, to_datetime

    assert to_datetime(raw) is None
    assert to_date(raw) is None


def test_an_action_with_a_wild_exact_time_maps_without_it() -> None:
    item = wire.StreamItem.model_validate(
        {
            "contact": {"id": "c1", "modified_at": "99999999999999"},
            "next_action": {"id": "a1", "status": "date_time", "date": "²³", "exact_time": 1e15, "done_at": "²³"},
            "deals": [{"id": "d1", "expected_close_date": 1e20, "modified_at": -1e15}],
        }
    )
    entry = map_stream_item(item)
    assert entry.contact.modified_at is None
    assert entry.next_action is not None and (entry.next_action.exact_time, entry.next_action.date) == (None, None)
    assert entry.deals[0].expected_close_date is None and entry.deals[0].modified_at is None


def test_a_mapping_that_cannot_use_the_data_raises_malformed_response_not_a_value_error() -> None:
    from crmtui.backends.errors import MalformedResponse
    from crmtui.backends.onepagecrm.adapter_map import map_pipeline

    with pytest.raises(MalformedResponse, match="pipeline could not be read"):
        map_pipeline({"id": "p1", "stages": [{"stage": "ten", "label": "Lead in"}]})  # a raw dict, not a wire model


def test_a_page_s_class_is_built_once_per_model_even_after_the_collector_ran() -> None:
    """pydantic keeps Page[Deal] only weakly: rebuilt after each collection, it cost a deal fetch 2-3 ms."""
    import gc
    import weakref

    from crmtui.backends.onepagecrm.wire import Deal, parse_page

    first = weakref.ref(type(parse_page(Deal, {"deals": []}, "deals")))
    gc.collect()
    assert first() is not None and type(parse_page(Deal, {"deals": []}, "deals")) is first()

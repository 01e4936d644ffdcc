"""The read-modify-write bodies (`contact_body`, `deal_body`): sending a record back must not lose
or reshape anything the spec lets a client write."""

from __future__ import annotations

import functools

import pytest
import yaml

from crmtui.backends.errors import ValidationFailed
from crmtui.backends.onepagecrm import client as api
from crmtui.backends.onepagecrm import wire
from crmtui.backends.onepagecrm.adapter_body import new_contact_body, url_type
from crmtui.domain.models import Address, Contact, CustomFieldDef, CustomValue, Email, Phone
from tests.support.openapi import require_spec, spec_path

ID = "5aba31e99007ba0f570c12f7"
FIELD = "5aad9b039007ba28c9ebad56"


@functools.lru_cache(maxsize=1)
def _spec() -> dict:
    with open(spec_path(), encoding="utf-8") as fh:
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def spec() -> dict:
    require_spec()
    return _spec()


def put_properties(path: str) -> set[str]:
    schema = spec()["paths"][path]["put"]["requestBody"]["content"]["application/json"]["schema"]
    return set(schema["properties"])


# -- types of phones, emails, URLs and addresses ---------------------------------------------------


def test_type_lists_are_the_spec_enums() -> None:
    schemas = spec()["components"]["schemas"]
    contact = schemas["Contact"]["properties"]
    assert api.URL_TYPES == tuple(contact["url"]["items"]["properties"]["type"]["enum"])
    assert api.PHONE_TYPES == tuple(contact["phones"]["items"]["properties"]["type"]["enum"])
    assert api.EMAIL_TYPES == tuple(contact["emails"]["items"]["properties"]["type"]["enum"])
    assert api.ADDRESS_TYPES == tuple(schemas["Typed_address"]["properties"]["type"]["enum"])
    assert api.COMMISSION_TYPES == tuple(schemas["Deal"]["properties"]["commission_type"]["enum"])
    assert api.COMMISSION_BASES == tuple(schemas["Deal"]["properties"]["commission_base"]["enum"])


def test_contact_body_keeps_every_enum_type_and_maps_only_unknown_ones() -> None:
    contact = wire.Contact.model_validate({
        "last_name": "Typed",
        "phones": [{"type": t, "value": f"+1 {i}"} for i, t in enumerate([*api.PHONE_TYPES, "Mobile", "pager", ""])],
        "emails": [{"type": t, "value": f"{i}@x.io"} for i, t in enumerate([*api.EMAIL_TYPES, "Work", "personal"])],
        "url": [{"type": t, "value": f"https://{i}.io"} for i, t in enumerate([*api.URL_TYPES, "LinkedIn", "google-plus", "mastodon"])],
        "address_list": [{"city": "Cork", "type": "delivery"}, {"city": "Kerry", "type": "holiday home"}],
    })
    body = api.contact_body(contact)
    assert [p["type"] for p in body["phones"]] == [*api.PHONE_TYPES, "mobile", "other", "work"]
    assert [e["type"] for e in body["emails"]] == [*api.EMAIL_TYPES, "work", "other"]
    assert [u["type"] for u in body["urls"]] == [*api.URL_TYPES, "linkedin", "google_plus", "other"]
    assert [a["type"] for a in body["address_list"]] == ["delivery", "other"]


# -- custom field values ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value,sent",
    [
        ("Software", "Software"),
        (25000, 25000),
        (12.5, 12.5),
        (["Licences", "Support"], ["Licences", "Support"]),
        ([], []),
        (None, ""),
        ([1, "x", None], ["1", "x"]),
        (True, "true"),  # no such field type: sent as text, the spec's type
    ],
)
def test_custom_field_values_keep_their_shape(value: object, sent: object) -> None:
    contact = wire.Contact.model_validate({
        "last_name": "Fields",
        "custom_fields": [{"custom_field": {"id": FIELD, "name": "Products", "type": "multiple_choice"}, "value": value}],
    })
    assert api.contact_body(contact)["custom_fields"] == [{"custom_field": {"id": FIELD}, "value": sent}]


# -- deals --------------------------------------------------------------------------------------------

FULL_DEAL = {
    "id": ID, "contact_id": ID, "owner_id": ID, "pipeline_id": ID, "sales_pipeline_id": ID,
    "name": "Solar", "text": "Roof", "stage": 50, "status": "pending", "expected_close_date": "2026-04-01",
    "close_date": "2026-03-01", "date": "2026-02-01", "amount": 99.5, "months": 3, "cost": 10.0,
    "margin": 89.5, "total_amount": 298.5, "total_cost": 30.0,
    "commission_base": "margin", "commission_type": "percentage", "commission": 8.95, "commission_percentage": 10.0,
    "deal_fields": [
        {"deal_field": {"id": FIELD, "name": "Deal size", "type": "select_box"}, "value": "Large"},
        {"deal_field": {"id": ID, "name": "Products", "type": "multiple_choice"}, "value": ["Licences", "Training"]},
    ],
    "has_deal_items": True,
    "deal_items": [
        {"id": ID, "deal_id": ID, "name": "Panel", "description": "2019 model", "cost": 95.0, "price": 149.99,
         "qty": 2, "amount": 299.98, "predefined_item_id": FIELD},
    ],
    "author": "Jane D.", "contact_info": {"contact_name": "Joe", "company": "Big Co"},
}


def test_deal_body_carries_every_writable_field() -> None:
    body = api.deal_body(wire.Deal.model_validate(FULL_DEAL))
    writable = put_properties("/deals/{deal_id}")
    assert set(body) <= writable
    # sales_pipeline_id is the same pipeline, sent once as pipeline_id
    assert set(body) == writable - {"sales_pipeline_id"}
    assert (body["commission_base"], body["commission_type"]) == ("margin", "percentage")
    assert (body["commission"], body["commission_percentage"]) == (8.95, 10.0)
    assert body["deal_fields"] == [
        {"deal_field": {"id": FIELD}, "value": "Large"},
        {"deal_field": {"id": ID}, "value": ["Licences", "Training"]},
    ]
    assert body["has_deal_items"] is True
    assert body["deal_items"] == [
        {"name": "Panel", "description": "2019 model", "cost": 95.0, "price": 149.99, "qty": 2, "predefined_item_id": FIELD},
    ]


def test_deal_body_sends_only_what_the_deal_has() -> None:
    body = api.deal_body(wire.Deal.model_validate({"contact_id": ID, "owner_id": ID, "name": "Bare", "status": "won"}))
    assert not {"commission", "commission_percentage", "commission_base", "commission_type", "deal_fields",
                "has_deal_items", "deal_items"} & set(body)
    # values outside the spec's enums (the spec's own example for commission_base is "none") stay out
    odd = api.deal_body(wire.Deal.model_validate({"name": "Odd", "commission_base": "none", "commission_type": ""}))
    assert "commission_base" not in odd and "commission_type" not in odd


def test_deal_body_keeps_items_the_answer_only_flags() -> None:
    body = api.deal_body(wire.Deal.model_validate({"name": "Flagged", "has_deal_items": True}))
    assert body["has_deal_items"] is True and "deal_items" not in body


def test_contact_body_carries_every_writable_field() -> None:
    contact = wire.Contact.model_validate({
        "title": "Ms", "first_name": "Ada", "last_name": "Lovelace", "job_title": "Analyst", "starred": True,
        "company_id": ID, "company_name": "Engines", "url": [{"type": "blog", "value": "https://a.io"}],
        "phones": [{"type": "fax", "value": "1"}], "emails": [{"type": "home", "value": "a@b.io"}],
        "address_list": [{"city": "Cork", "type": "billing"}], "status_id": ID, "tags": ["VIP"],
        "lead_source_id": ID, "background": "Math", "owner_id": ID,
        "custom_fields": [{"custom_field": {"id": FIELD}, "value": 3}],
    })
    assert set(api.contact_body(contact)) == put_properties("/contacts/{contact_id}")


# -- a new contact (POST /contacts) from the domain -----------------------------------------------------


def post_properties(path: str) -> set[str]:
    schema = spec()["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return set(schema["properties"])


def full_domain_contact(**changes: object) -> Contact:
    values: dict[str, object] = dict(
        id="local-1", title="Ms", first_name=" Ada ", last_name="Lovelace", job_title="Analyst", starred=True,
        company_id=ID, company_name="Engines", status_id=ID, lead_source_id=ID, owner_id=ID, tags=["VIP", " VIP", ""],
        phones=[Phone(type="Mobile", value="+1 2"), Phone(type="pager", value="3"), Phone(type="work", value=" ")],
        emails=[Email(type="work", value="a@b.io")],
        urls=["https://a.io", "linkedin.com/in/ada", "https://mobile.twitter.com/ada", "https://x.com/ada"],
        addresses=[Address(city="Cork", type="billing"), Address(), Address(city="Kerry", type="holiday")],
        background="Math",
        custom_fields=[
            CustomValue(field_id=FIELD, value="Software"),
            CustomValue(name="products", value="Licences, Support"),
            CustomValue(field_id=ID, value=""),
            CustomValue(name="Unknown field", value="dropped"),
        ],
    )
    values.update(changes)
    return Contact(**values)  # type: ignore[arg-type]


DEFS = [
    CustomFieldDef(id=FIELD, name="Industry", type="select_box", choices=["Software"]),
    CustomFieldDef(id=ID, name="Products", type="multiple_choice", choices=["Licences", "Support"]),
]


def test_new_contact_body_sends_every_field_the_spec_lets_a_post_write() -> None:
    body = new_contact_body(full_domain_contact(), DEFS)
    assert set(body) <= post_properties("/contacts")
    assert set(body) == post_properties("/contacts") - {"company_name"}  # a company picked by id goes by id
    assert "id" not in body
    assert (body["first_name"], body["last_name"], body["title"], body["starred"]) == ("Ada", "Lovelace", "Ms", True)
    assert body["company_id"] == ID
    assert body["tags"] == ["VIP"]
    assert body["phones"] == [{"type": "mobile", "value": "+1 2"}, {"type": "other", "value": "3"}]
    assert body["emails"] == [{"type": "work", "value": "a@b.io"}]
    assert [u["type"] for u in body["urls"]] == ["website", "linkedin", "twitter", "twitter"]
    assert body["address_list"] == [{"city": "Cork", "type": "billing"}, {"city": "Kerry", "type": "other"}]  # empty: left out
    assert body["custom_fields"] == [
        {"custom_field": {"id": FIELD}, "value": "Software"},
        {"custom_field": {"id": ID}, "value": ["Licences", "Support"]},  # a multiple choice field takes a list
    ]


def test_new_contact_body_leaves_out_what_was_not_filled_in() -> None:
    body = new_contact_body(Contact(id="", company_name=" Acme ", title="Dr"))
    assert body == {"starred": False, "company_name": "Acme"}
    without_defs = new_contact_body(full_domain_contact(company_id=""))
    assert without_defs["company_name"] == "Engines"
    assert without_defs["custom_fields"] == [{"custom_field": {"id": FIELD}, "value": "Software"}]


def test_url_types_are_in_the_spec_enum() -> None:
    assert {url_type(u) for u in ("https://a.io", "linkedin.com/x", "https://plus.google.com/1", "xing.com/p",
                                  "https://facebook.com/p", "twitter.com/x", "")} <= set(api.URL_TYPES)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"first_name": "F" * 26}, "first_name"),
        ({"last_name": "L" * 26}, "last_name"),
        ({"company_id": "", "company_name": "C" * 56}, "company_name"),
        ({"job_title": "J" * 1001}, "job_title"),
        ({"background": "B" * 10241}, "background"),
        ({"addresses": [Address(city="A"), Address(city="B"), Address(city="C")]}, "address_list"),
    ],
)
def test_what_the_spec_rules_out_is_refused_before_it_is_sent(changes: dict, field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        new_contact_body(full_domain_contact(**changes), DEFS)
    assert list(refused.value.errors) == [field] and field in refused.value.user_message
    new_contact_body(full_domain_contact(**{k: v[:-1] if isinstance(v, str) else v[:2] for k, v in changes.items()}), DEFS)

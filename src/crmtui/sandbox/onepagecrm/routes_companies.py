"""Changing a company: PUT /companies/{company_id} (listing and reading them are in routes_misc).

What the sandbox does, as the real API does: the body's name, description, url, phone and address
replace the company's (one left out is cleared); each company field the body names gets its value
(an empty value clears it; fields not named keep theirs); a new name is the company name of every
contact of the company from then on (their `modified_at` moves too); `modified_at` says when.
"""

from __future__ import annotations

from crmtui.sandbox.onepagecrm.api import Reply, Request, Router, field_values
from crmtui.sandbox.onepagecrm.state import invalid, public

router = Router()

LIMITS = {"name": 55, "description": 10240}
"""The spec's maxLength of a company's text fields."""
TEXTS = ("name", "description", "url", "phone")
ADDRESS_PARTS = ("address", "city", "state", "zip_code", "country_code")


def _errors(body: dict) -> dict[str, str]:
    errors: dict[str, str] = {}
    for field in TEXTS:
        value = body.get(field)
        if value is not None and not isinstance(value, str):
            errors[field] = f"{field} must be text"
        elif field in LIMITS and len(value or "") > LIMITS[field]:
            errors[field] = f"{field} must be at most {LIMITS[field]} characters"
    name = body.get("name")
    if "name" not in errors and not (isinstance(name, str) and name.strip()):
        errors["name"] = "name is required"  # two companies may share a name, as the web app allows
    address = body.get("address")
    if address is not None and not (
        isinstance(address, dict) and all(address.get(p) is None or isinstance(address.get(p), str) for p in ADDRESS_PARTS)
    ):
        errors["address"] = "address must be an object of texts"
    elif isinstance(address, dict) and (address.get("country_code") or "").strip() and len(address["country_code"].strip()) != 2:
        errors["address"] = "country_code must be a two-letter ISO-3166 code"
    if "company_fields" in body and not isinstance(body["company_fields"], list):
        errors["company_fields"] = "company_fields must be a list"
    return errors


@router.route("PUT", "/companies/{company_id}")
def put_company(req: Request) -> Reply:
    state = req.state
    with state.write():
        company = dict(state.get("companies", req.params["company_id"], "Company"))
        body = req.body
        errors = _errors(body)
        if errors:
            raise invalid(errors)
        given = field_values(state, "company_fields", "company_field", body.get("company_fields") or [])
        old_name = company.get("name") or ""
        for name in TEXTS:
            company[name] = (body.get(name) or "").strip()
        address = body.get("address") or {}
        company["address"] = {p: (address.get(p) or "").strip() for p in ADDRESS_PARTS if (address.get(p) or "").strip()}
        values = {v["company_field"]["id"]: v for v in company.get("company_fields") or []}
        for value in given:
            field_id = value["company_field"]["id"]
            if value["value"] in ("", []):
                values.pop(field_id, None)
            else:
                values[field_id] = value
        company["company_fields"] = list(values.values())
        state.save("companies", company)
        if company["name"] != old_name:
            for contact in [c for c in state.tables["contacts"].values() if c.get("company_id") == company["id"]]:
                state.save("contacts", {**contact, "company_name": company["name"]})
        return Reply({"company": public(company)})

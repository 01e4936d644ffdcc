"""crmtui's Crust client asks only what the real server's spec declares (../shared/specs/crust/spec.json).

Every request the client makes while it talks to the sandbox (method, path, query parameter names,
JSON body keys, and a body's content type, which must be exactly `application/json`) is recorded on
the wire and checked against spec.json; the test skips with a reason when the spec is absent.
"""

from __future__ import annotations

import httpx
import pytest

from crmtui.backends.crust.adapter import CrustBackend
from crmtui.backends.crust.client import CrustClient
from crmtui.backends.errors import Conflict, NotFound
from crmtui.domain.records import ModuleField, RecordValue
from tests.support.crust_spec import load_operations, request_problems, require_crust_spec


async def test_every_request_the_client_sends_is_the_specs(crust_sandbox) -> None:
    operations = load_operations(require_crust_spec())
    sent: list[httpx.Request] = []

    async def keep(request: httpx.Request) -> None:
        sent.append(request)

    token = crust_sandbox.token
    backend = CrustBackend(CrustClient(token, base_url=crust_sandbox.base_url, event_hooks={"request": [keep]}), token)
    try:
        await backend.connect()
        await backend.field_kinds()
        modules = {m.name: m for m in await backend.modules()}
        lead, contact = modules["Lead"].id, modules["Contact"].id
        await backend.module(lead)
        await backend.module(contact)  # no record page: read again from the list
        page = await backend.records(lead, query="a", page=1, per_page=5, sort="createdAt DESC,name")
        await backend.records_all(contact)
        await backend.record(contact, (await backend.records(contact)).items[0].id)
        made = await backend.create_record(lead, {"firstName": RecordValue(value="Ada")})
        read = await backend.record(lead, made.id)
        await backend.update_record(lead, made.id, read, {"firstName": RecordValue(value="Ada L.")})
        with pytest.raises(Conflict):
            await backend.update_record(lead, made.id, read, {"firstName": RecordValue(value="Grace")})
        await backend.replace_record(lead, made.id, {"firstName": RecordValue(value="Ada")})
        await backend.delete_record(lead, made.id)
        with pytest.raises(NotFound):
            await backend.record(lead, made.id)
        new = await backend.create_module("Spec check", [ModuleField(name="title", kind="text", label="Title")])
        await backend.update_module(new.id, "Spec check", [ModuleField(name="title", kind="text", is_required=True)])
        await backend.delete_module(new.id)
        assert page.items
    finally:
        await backend.close()
    problems = [p for request in sent for p in request_problems(operations, request)]
    assert not problems, "\n".join(problems)
    methods = {(r.method, r.url.path.rstrip("/").split("/")[1]) for r in sent}
    assert {("GET", "module"), ("POST", "module"), ("DELETE", "module"), ("GET", "field")} <= methods
    assert all("jwt" not in r.url.params for r in sent)

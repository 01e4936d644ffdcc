"""crmtui's Crust client and backend against the Crust sandbox over loopback HTTP.

The JWT goes in the Authorization header only; errors that come with HTTP 200 become typed errors
(a write answered with one is never taken as done); ids stay strings; pages are 0-based with perPage
clamped to 10..100; an edit sends the whole record (the server's copy with the person's changes)
and clashes only on a field both sides changed; a module or record without a record page is read
from the lists. The sandbox's clock is frozen: tokens expire when a test moves it, no sleeps."""

from __future__ import annotations

import httpx
import pytest

from crmtui.backends.base import one_try
from crmtui.backends.crust.adapter import CrustBackend
from crmtui.backends.crust.client import CrustClient
from crmtui.backends.errors import AuthError, Conflict, NotFound, Offline, ServerError, TokenExpired, Unsupported, ValidationFailed
from crmtui.backends.http import RetryPolicy
from crmtui.domain.capabilities import Capability
from crmtui.domain.records import RecordValue

NO_RETRY = RetryPolicy(attempts=1)


class Wire:
    """Every request and answer the client exchanged (headers and bodies as sent)."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    async def request(self, request: httpx.Request) -> None:
        self.requests.append(request)


def backend_for(sandbox, *, token: str | None = None, wire: Wire | None = None, retry: RetryPolicy | None = None) -> CrustBackend:
    jwt = token or sandbox.token
    hooks = {"request": [wire.request]} if wire is not None else None
    client = CrustClient(jwt, base_url=sandbox.base_url, event_hooks=hooks, retry=retry)
    return CrustBackend(client, jwt)


@pytest.fixture
async def crust(crust_sandbox):
    backend = backend_for(crust_sandbox)
    yield backend
    await backend.close()


async def module_id(backend: CrustBackend, name: str) -> str:
    return next(m.id for m in await backend.modules() if m.name == name)


async def test_connect_names_the_user_of_the_token_and_the_families(crust_sandbox, crust) -> None:
    account = await crust.connect()
    assert account.user.id == crust_sandbox.user_id
    assert account.credential_expires is not None
    assert {Capability.MODULES, Capability.RECORDS} <= account.capabilities == crust.capabilities
    assert Capability.ACTION_STREAM not in account.capabilities and Capability.LEADS not in account.capabilities


async def test_the_token_goes_in_the_header_only(crust_sandbox) -> None:
    wire = Wire()
    token = crust_sandbox.token
    backend = backend_for(crust_sandbox, token=token, wire=wire)
    try:
        await backend.connect()
        mid = await module_id(backend, "Lead")
        await backend.records(mid, per_page=10)
    finally:
        await backend.close()
    assert wire.requests
    for request in wire.requests:
        assert request.headers["authorization"] == f"Bearer {token}"
        assert token not in str(request.url) and "jwt" not in request.url.params
    assert token not in repr(backend.client)


async def test_modules_and_fields_with_ids_as_strings(crust) -> None:
    modules = {m.name: m for m in await crust.modules()}
    assert {"Account", "Contact", "Lead", "Opportunity", "Case"} <= set(modules)
    for module in modules.values():
        assert isinstance(module.id, str) and module.id.isdigit() and int(module.id) > 2**53  # beyond a float's digits
    opportunity = modules["Opportunity"]
    assert opportunity.field("state") is not None and opportunity.field("state").choices  # type: ignore[union-attr]
    kinds = {k.kind for k in await crust.field_kinds()}
    assert {"bool", "email", "enum", "stamp", "text", "textarea", "related", "related_multi"} <= kinds


async def test_a_module_without_a_record_page_is_read_from_the_list(crust) -> None:
    contact = await module_id(crust, "Contact")  # the seed gives Contact no record page
    module = await crust.module(contact)
    assert module.id == contact and module.name == "Contact" and module.fields
    with pytest.raises(NotFound):
        await crust.module("1234567890123456789")


async def test_pages_are_0_based_and_per_page_clamped(crust_sandbox, crust) -> None:
    wire = Wire()
    backend = backend_for(crust_sandbox, wire=wire)
    try:
        mid = await module_id(backend, "Opportunity")
        first = await backend.records(mid, page=0, per_page=3)  # asks 10: the server's least
        second = await backend.records(mid, page=1, per_page=3)
        big = await backend.records(mid, page=0, per_page=500)  # asks 100: the server's most
        everything = await backend.records_all(mid)
    finally:
        await backend.close()
    assert first.page == 0 and first.per_page == 10 and len(first.items) == 10
    assert first.total == len(everything) > 10
    assert not {r.id for r in first.items} & {r.id for r in second.items}
    assert big.per_page == 100
    assert len({r.id for r in everything}) == len(everything) == first.total
    sent = [r.url.params for r in wire.requests if r.url.path.endswith("/content")]
    assert all(10 <= int(p["perPage"]) <= 100 and p["sort"] for p in sent)
    assert all(isinstance(r.id, str) and r.id.isdigit() for r in everything)


async def test_query_and_sort(crust) -> None:
    mid = await module_id(crust, "Opportunity")
    wanted = "Closed Won"
    won = await crust.records_all(mid, query=wanted)
    assert won and all(any(wanted.lower() in v.value.lower() for v in r.values.values()) for r in won)
    by_value = await crust.records_all(mid, sort="name ASC , createdAt desc")  # normalised: both keys kept
    names = [r.text("name") for r in by_value]
    assert names == sorted(names)


async def test_create_read_update_delete(crust) -> None:
    mid = await module_id(crust, "Lead")
    made = await crust.create_record(mid, {"firstName": RecordValue(value="Ada"), "lastName": RecordValue(value="Lovelace")})
    assert made.id.isdigit() and made.text("firstName") == "Ada"
    read = await crust.record(mid, made.id)
    assert read.text("lastName") == "Lovelace"
    changed = await crust.update_record(mid, made.id, read, {"lastName": RecordValue(value="King")})
    assert changed.text("lastName") == "King" and changed.text("firstName") == "Ada"  # every field sent
    again = await crust.record(mid, made.id)
    assert again.text("firstName") == "Ada" and again.text("lastName") == "King"
    await crust.delete_record(mid, made.id)
    with pytest.raises(NotFound):
        await crust.record(mid, made.id)


async def test_a_record_of_a_module_without_a_record_page_is_read_from_the_list(crust) -> None:
    contact = await module_id(crust, "Contact")
    some = (await crust.records(contact, per_page=10)).items[3]
    read = await crust.record(contact, some.id)
    assert read.id == some.id and read.values == some.values


async def test_an_edit_keeps_the_fields_it_does_not_change_and_their_links(crust_sandbox, crust) -> None:
    mid = await module_id(crust, "Opportunity")
    record = next(r for r in await crust.records_all(mid) if r.values.get("contacts") and r.values["contacts"].related)
    await crust.update_record(mid, record.id, record, {"probability": RecordValue(value="55")})
    row = crust_sandbox.state.tables["contents"][record.id]
    sent = {c["name"]: c for c in row["json"]}
    assert set(sent) == set(record.values)  # the whole record went, not only the change
    assert sent["probability"]["value"] == "55"
    assert row["links"]["contacts"] == record.values["contacts"].related  # the links survive the replace


async def test_links_read_back_without_ids_are_sent_with_the_ids_of_their_value(crust_sandbox, crust) -> None:
    """The real server never fills `related` on reads: an edit must not drop the links for that."""
    mid = await module_id(crust, "Opportunity")
    record = next(r for r in await crust.records_all(mid) if r.values.get("contacts") and r.values["contacts"].related)
    ids = record.values["contacts"].related
    stripped = {n: RecordValue(value=v.value) for n, v in record.values.items()}
    await crust.replace_record(mid, record.id, stripped)
    assert crust_sandbox.state.tables["contents"][record.id]["links"]["contacts"] == ids


async def test_a_clash_only_when_the_same_field_changed_on_both_sides(crust_sandbox, crust) -> None:
    mid = await module_id(crust, "Lead")
    made = await crust.create_record(mid, {"firstName": RecordValue(value="Ada"), "lastName": RecordValue(value="L"),
                                           "company": RecordValue(value="Engines")})
    read = await crust.record(mid, made.id)
    crust_sandbox.advance(60)
    await crust.update_record(mid, made.id, read, {"company": RecordValue(value="Analytical")})  # someone else
    crust_sandbox.advance(60)
    mine = await crust.update_record(mid, made.id, read, {"lastName": RecordValue(value="Lovelace")})
    assert mine.text("company") == "Analytical" and mine.text("lastName") == "Lovelace"  # merged, no clash
    before = dict(crust_sandbox.state.tables["contents"][made.id]["columns"])
    with pytest.raises(Conflict) as refused:
        await crust.update_record(mid, made.id, read, {"company": RecordValue(value="Babbage & Co")})
    assert "company" in refused.value.user_message
    assert crust_sandbox.state.tables["contents"][made.id]["columns"] == before  # nothing sent
    same = await crust.update_record(mid, made.id, read, {"company": RecordValue(value="Analytical")})
    assert same.text("company") == "Analytical"  # the same change on both sides is no clash


async def test_a_write_answered_with_an_error_as_200_is_never_done(crust_sandbox) -> None:
    backend = backend_for(crust_sandbox, retry=NO_RETRY)
    try:
        mid = await module_id(backend, "Lead")
        count = (await backend.records(mid, per_page=10)).total
        crust_sandbox.options.error_rate = 1.0
        with one_try(), pytest.raises(ServerError):
            await backend.create_record(mid, {"firstName": RecordValue(value="Never")})
        crust_sandbox.options.error_rate = 0.0
        assert (await backend.records(mid, per_page=10)).total == count
    finally:
        await backend.close()


async def test_reads_are_retried_through_database_errors(crust_sandbox) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        crust_sandbox.options.error_rate = 0.0  # the database is back

    backend = backend_for(crust_sandbox)
    backend.client.http._sleep = sleep
    try:
        crust_sandbox.options.error_rate = 1.0
        assert await backend.modules()
    finally:
        await backend.close()
    assert len(slept) == 1


async def test_refusals_come_typed(crust_sandbox) -> None:
    anonymous = CrustClient("not-a-token", base_url=crust_sandbox.base_url)
    bad = backend_for(crust_sandbox, token=crust_sandbox.token[:-3] + "abc")
    short = backend_for(crust_sandbox, token=crust_sandbox.issue_token(minutes=1))
    try:
        with pytest.raises(AuthError):
            await anonymous.modules()
        with pytest.raises(AuthError):
            await bad.connect()
        await short.connect()
        crust_sandbox.advance(120)
        with pytest.raises(TokenExpired):
            await short.modules()
    finally:
        await anonymous.aclose()
        await bad.close()
        await short.close()


async def test_not_implemented_and_bad_bodies(crust_sandbox, crust) -> None:
    from crmtui.backends.crust.client import unwrap

    crust_sandbox.options.jobs_not_implemented = True  # the real server at the spec's commit
    with pytest.raises(Unsupported):
        await crust.client.http.send("GET", "job/", unwrap=unwrap)
    with pytest.raises(ValidationFailed):
        await crust.client.create_module("Empty", [])


async def test_json_bodies_are_exactly_application_json(crust_sandbox) -> None:
    wire = Wire()
    backend = backend_for(crust_sandbox, wire=wire)
    try:
        mid = await module_id(backend, "Lead")
        await backend.create_record(mid, {"firstName": RecordValue(value="Grace")})
    finally:
        await backend.close()
    posts = [r for r in wire.requests if r.method == "POST"]
    assert posts and all(r.headers["content-type"] == "application/json" for r in posts)


class LoseAnswers(httpx.AsyncHTTPTransport):
    """Loopback, but the answers of the first `count` record edits are lost after the server applied them."""

    def __init__(self, count: int = 1) -> None:
        super().__init__()
        self.left = count

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        if request.method == "POST" and "/content/" in request.url.path and self.left > 0:
            self.left -= 1
            await response.aread()
            await response.aclose()
            raise httpx.ReadError("connection dropped before the answer", request=request)
        return response


async def test_an_edit_whose_answer_was_lost_is_sent_again_once_with_no_field_lost(crust_sandbox) -> None:
    """What the outbox does with a lost answer (send the same change again) ends with the change applied
    once, every other field kept, and a change made meanwhile by someone else kept too."""
    token = crust_sandbox.token
    lossy = CrustBackend(CrustClient(token, base_url=crust_sandbox.base_url, transport=LoseAnswers()), token)
    other = backend_for(crust_sandbox)
    try:
        mid = await module_id(lossy, "Opportunity")
        read = next(r for r in await lossy.records_all(mid) if r.values.get("contacts") and r.values["contacts"].related)
        change = {"probability": RecordValue(value="42")}
        with one_try(), pytest.raises(Offline) as lost:
            await lossy.update_record(mid, read.id, read, change)
        assert lost.value.maybe_sent
        assert crust_sandbox.state.tables["contents"][read.id]["columns"]["probability"] == "42"  # applied all the same
        crust_sandbox.advance(30)
        await other.update_record(mid, read.id, read, {"state": RecordValue(value="Negotiation")})  # someone else, meanwhile
        crust_sandbox.advance(30)
        again = await lossy.update_record(mid, read.id, read, change)  # the outbox's next attempt: no clash with itself
        assert again.text("probability") == "42"
        row = crust_sandbox.state.tables["contents"][read.id]
        assert {c["name"] for c in row["json"]} == set(read.values)  # no field lost
        assert row["columns"]["state"] == "Negotiation" and row["links"]["contacts"] == read.values["contacts"].related
    finally:
        await lossy.close()
        await other.close()


async def test_an_edit_answered_with_an_error_as_200_is_not_applied_until_sent_again(crust_sandbox) -> None:
    backend = backend_for(crust_sandbox, retry=NO_RETRY)
    try:
        mid = await module_id(backend, "Opportunity")
        read = (await backend.records(mid, per_page=10)).items[0]
        before = dict(crust_sandbox.state.tables["contents"][read.id]["columns"])
        crust_sandbox.options.error_rate = 1.0
        with one_try(), pytest.raises(ServerError):
            await backend.update_record(mid, read.id, read, {"probability": RecordValue(value="13")})
        assert crust_sandbox.state.tables["contents"][read.id]["columns"] == before  # refused: nothing done
        crust_sandbox.options.error_rate = 0.0
        done = await backend.update_record(mid, read.id, read, {"probability": RecordValue(value="13")})
        assert done.text("probability") == "13"
    finally:
        await backend.close()

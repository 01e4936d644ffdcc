"""Find anyone against the sandbox: a contact outside the user's stream is found by the server by name,
email and phone; a stream contact the server also finds shows once; a later query voids an earlier
answer; offline and on a server error the loaded answer stays and says why.

The session is the app's (`compose`: reads through the local-copy layer), and every request goes
through the spec recorder, so the finder's searches must conform to the OnePageCRM spec.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from crmtui.backends.http import RetryPolicy
from crmtui.sandbox.onepagecrm import rules
from crmtui.service.compose import compose
from crmtui.service.find import ContactFinder, FindResult, ServerState, Tier
from crmtui.service.outbox import Outbox
from crmtui.service.session import Session
from tests.integration.test_outbox import make_backend

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.timezone.utc)
CONTACTS = "/api/v3/contacts"


@pytest.fixture
async def session(sandbox, spec_recorder, checked):
    backend = make_backend(sandbox, spec_recorder)
    s = compose(backend, outbox=Outbox(backend, base_delay=0.01, max_delay=0.2), clock=lambda: NOW)
    await s.load_stream()
    yield s
    await s.close()


def outsider(sandbox, session: Session) -> dict:
    """A seeded contact of another owner with no open action for the user: not in their stream."""
    contacts = sandbox.state.tables["contacts"]
    names = [(c["first_name"], c["last_name"]) for c in contacts.values()]
    loaded = {e.contact.id for e in session.entries}
    members = set(rules.stream_members(sandbox.state, sandbox.user_id))
    found = next(
        c for c in contacts.values()
        if c["id"] not in members and names.count((c["first_name"], c["last_name"])) == 1 and len(c["phones"]) > 1
    )
    assert found["id"] not in loaded and found["owner_id"] != sandbox.user_id
    return found


def ids(result: FindResult) -> list[str]:
    return [f.contact_id for f in result.found]


async def ask(sandbox, finder: ContactFinder, query: str, sent: dict[str, str]) -> FindResult:
    """The local answer, then the server's, checking the server was asked with `sent` as the query's filter."""
    local = finder.find(query)
    assert local.server is ServerState.ASKING
    with sandbox.gate.hold("GET", CONTACTS, query=sent) as held:
        asking = asyncio.ensure_future(finder.ask_server(query))
        await held.parked(1)
    answer = await asking
    assert answer is not None and answer.server is ServerState.ANSWERED
    return answer


async def test_a_contact_outside_the_stream_is_found_by_name(sandbox, session) -> None:
    other = outsider(sandbox, session)
    name = f"{other['first_name']} {other['last_name']}"
    finder = ContactFinder(session)
    assert other["id"] not in ids(finder.find(name))  # not loaded here: only the server knows it
    answer = await ask(sandbox, finder, name, {"search": name})
    hit = next(f for f in answer.found if f.contact_id == other["id"])
    assert hit.tier is Tier.NAME_EXACT and not hit.loaded
    assert ids(answer)[0] == other["id"]  # the whole name ranks first
    assert answer.from_server >= 1 and answer.from_stream + answer.from_server == answer.total


async def test_a_contact_outside_the_stream_is_found_by_email(sandbox, session) -> None:
    other = outsider(sandbox, session)
    email = other["emails"][0]["value"]
    answer = await ask(sandbox, ContactFinder(session), email.upper(), {"email": email.upper()})
    assert ids(answer) == [other["id"]]
    assert (answer.found[0].tier, answer.found[0].detail) == (Tier.EMAIL_EXACT, email)
    assert (answer.from_stream, answer.from_server) == (0, 1)


async def test_a_contact_outside_the_stream_is_found_by_phone_written_another_way(sandbox, session) -> None:
    other = outsider(sandbox, session)
    mobile = other["phones"][1]["value"]  # "+353 86 973 8916"
    typed = "(" + mobile[5:7] + ") " + mobile[8:].replace(" ", "-")  # "(86) 973-8916"
    answer = await ask(sandbox, ContactFinder(session), typed, {"phone": typed})
    assert ids(answer) == [other["id"]]
    assert (answer.found[0].tier, answer.found[0].detail) == (Tier.PHONE, mobile)


async def test_a_stream_contact_the_server_also_finds_shows_once_as_loaded(sandbox, session) -> None:
    mine = session.entries[0].contact
    name = f"{mine.first_name} {mine.last_name}"
    answer = await ask(sandbox, ContactFinder(session), name, {"search": name})
    assert ids(answer).count(mine.id) == 1
    hit = next(f for f in answer.found if f.contact_id == mine.id)
    assert hit.loaded and hit.entry is session.entry(mine.id)  # the loaded copy, with changes on their way
    assert len(set(ids(answer))) == len(ids(answer))


async def test_a_later_query_voids_the_earlier_answer(sandbox, session) -> None:
    other = outsider(sandbox, session)
    finder = ContactFinder(session)
    finder.find(other["last_name"])
    with sandbox.gate.hold("GET", CONTACTS) as held:
        first = asyncio.ensure_future(finder.ask_server(other["last_name"]))
        await held.parked(1)
        finder.find(other["first_name"])  # typed on while the server was busy
    assert await first is None
    later = await finder.ask_server(other["first_name"])
    assert later is not None and later.server is ServerState.ANSWERED


async def test_offline_the_loaded_answer_stays(sandbox, session) -> None:
    mine = session.entries[0].contact
    finder = ContactFinder(session)
    local = finder.find(mine.first_name)
    sandbox.stop()
    answer = await finder.ask_server(mine.first_name)
    assert answer is not None and answer.server is ServerState.OFFLINE
    assert ids(answer) == ids(local) and mine.id in ids(answer) and answer.from_server == 0


async def test_a_server_error_keeps_the_loaded_answer_and_says_why(sandbox, session) -> None:
    mine = session.entries[0].contact
    finder = ContactFinder(session)
    local = finder.find(mine.last_name)
    sandbox.options.fail_rate = 1.0
    session.backend.inner.client.http.retry = RetryPolicy(attempts=1)  # type: ignore[attr-defined]
    answer = await finder.ask_server(mine.last_name)
    assert answer is not None and answer.server is ServerState.FAILED
    assert answer.problem and len(answer.problem) <= 80
    assert ids(answer) == ids(local)


async def test_offline_mode_never_asks(sandbox, session) -> None:
    session.offline = True
    with sandbox.gate.hold("GET", CONTACTS) as held:
        answer = await ContactFinder(session).ask_server("Quinn")
        assert held.count == 0
    assert answer is not None and answer.server is ServerState.OFFLINE

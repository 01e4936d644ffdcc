"""OnePageCRMClient against the OnePageCRM sandbox over real loopback HTTP.

Every test uses the `client` fixture, so each request the client sends is also checked against the
official OpenAPI spec (the fixture fails the test at teardown on a non-conforming request).
Expected values come from the sandbox's own state and rules, read directly from the server object.
"""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from crmtui.backends.errors import Conflict, NotFound
from crmtui.backends.onepagecrm import wire
from crmtui.backends.onepagecrm.client import OnePageCRMClient
from crmtui.sandbox.onepagecrm import rules
from crmtui.sandbox.onepagecrm.server import SandboxHandle, SandboxOptions, start_sandbox
from tests.support.server_edits import edit_contact

TODAY = dt.date(2026, 3, 10)  # the `sandbox` fixture's today
TODAY_ISO = TODAY.isoformat()


def day(offset: int) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


def sandbox_order(sandbox: SandboxHandle, viewer: str | None) -> list[str]:
    """The contact ids of a stream in the order the sandbox's rules give."""
    with sandbox.state.lock:
        return [cid for _key, cid in rules.stream_order(sandbox.state, viewer)]


def ids(items: list[wire.StreamItem]) -> list[str]:
    return [item.contact.id for item in items]


async def new_contact(client: OnePageCRMClient, **fields) -> wire.StreamItem:
    created = await client.create_contact({"first_name": "Test", "last_name": "Person", **fields})
    assert created.contact.id
    return created


async def new_action(client: OnePageCRMClient, contact_id: str, **fields) -> wire.Action:
    action = await client.create_action({"contact_id": contact_id, "text": "Do it", **fields})
    assert action.id and action.contact_id == contact_id
    return action


# -- account -----------------------------------------------------------------------------------------


async def test_bootstrap_parses_the_account(client: OnePageCRMClient, sandbox: SandboxHandle) -> None:
    boot = await client.bootstrap()
    me, *team = sandbox.users
    assert boot.user_id == me.user_id
    assert boot.user is not None and (boot.user.id, boot.user.first_name, boot.user.email) == (
        me.user_id, me.first_name, me.email,
    )
    assert [u.id for u in boot.team] == [u.user_id for u in team]
    assert [u.first_name for u in boot.team] == [u.first_name for u in team]
    assert boot.account_type == wire.AccountType.PRO

    settings = boot.settings
    assert (settings.time_zone, settings.date_format, settings.currency) == ("UTC", "%d/%m/%Y", "EUR")
    assert settings.reminder is not None and settings.reminder.hour == 8
    assert [(s.stage, s.label) for s in settings.deal_stages] == [
        (10, "Lead in"), (25, "Qualified"), (50, "Demo"), (75, "Proposal"), (90, "Negotiation"),
    ]
    pipelines = {p.name: p for p in settings.pipelines}
    assert set(pipelines) == {"Sales", "Renewals"}
    assert pipelines["Sales"].default and not pipelines["Renewals"].default
    assert [s.stage for s in pipelines["Renewals"].stages] == [20, 60, 90]
    assert all(p.id in sandbox.state.tables["pipelines"] for p in settings.pipelines)

    assert [s.text for s in boot.statuses] == ["Lead", "Prospect", "Customer", "Inactive", "General"]
    assert {s.id for s in boot.statuses} == set(sandbox.state.tables["statuses"])
    assert len(boot.lead_sources) == 9 and "Word of mouth" in {s.text for s in boot.lead_sources}
    assert [(p.text, p.days) for p in boot.predefined_actions] == [
        ("Call back", 1), ("Send proposal", 3), ("Follow up email", 7), ("Check in", 14), ("Quarterly review", 90),
    ]
    assert [(r.id, r.text) for r in boot.ordered_call_results()] == [
        ("interested", "Interested"), ("not_interested", "Not interested"),
        ("left_message", "Left message"), ("no_answer", "No answer"),
    ]
    assert [f.name for f in boot.custom_fields] == ["Industry", "Budget", "Renewal date", "Account notes"]
    assert boot.custom_fields[0].type == "select_box" and "Software" in boot.custom_fields[0].choices
    assert [f.name for f in boot.filters] == ["My VIPs", "Hot prospects", "Starred from trade shows"]
    assert boot.filters[0].conditions == ["tag:VIP"]
    assert boot.team_stream is not None and boot.team_stream.all == rules.team_counts(sandbox.state)["all"]

    # The API hands out the account's auth_key in /bootstrap: the client must not keep it.
    dumped = boot.model_dump_json()
    assert "auth_key" not in dumped and sandbox.api_key not in dumped
    assert "auth_key" not in (boot.model_extra or {})


async def test_account_listings(client: OnePageCRMClient, sandbox: SandboxHandle) -> None:
    users = await client.users()
    assert [(u.id, u.first_name, u.last_name) for u in users] == [
        (u.user_id, u.first_name, u.last_name) for u in sandbox.users
    ]
    other = sandbox.users[2]
    fetched = await client.get_user(other.user_id)
    assert (fetched.id, fetched.email) == (other.user_id, other.email)
    with pytest.raises(NotFound):
        await client.get_user("0" * 24)

    statuses = await client.statuses()
    assert [(s.status, s.text, s.color) for s in statuses][:2] == [("lead", "Lead", "3399ff"), ("prospect", "Prospect", "f96600")]
    assert {s.id for s in statuses} == set(sandbox.state.tables["statuses"])
    sources = await client.lead_sources()
    assert {s.id: s.text for s in sources} == {k: v["text"] for k, v in sandbox.state.tables["lead_sources"].items()}
    predefined = await client.predefined_actions()
    assert [(p.text, p.days) for p in predefined][:2] == [("Call back", 1), ("Send proposal", 3)]
    assert len(predefined) == 5 and all(p.id for p in predefined)
    results = await client.call_results()
    assert [(r.id, r.text) for r in results] == [
        ("interested", "Interested"), ("not_interested", "Not interested"),
        ("left_message", "Left message"), ("no_answer", "No answer"),
    ]
    fields = await client.custom_fields()
    assert [(f.name, f.type, f.position) for f in fields] == [
        ("Industry", "select_box", 1), ("Budget", "number", 2), ("Renewal date", "date", 3),
        ("Account notes", "single_line_text", 4),
    ]
    filters = await client.filters()
    assert [f.name for f in filters] == ["My VIPs", "Hot prospects", "Starred from trade shows"]
    assert filters[0].conditions == ["tag:VIP"] and "pending_deal:true" in filters[1].conditions

    seeded = next(iter(sandbox.state.tables["contacts"].values()))
    company = await client.get_company(seeded["company_id"])
    assert company.id == seeded["company_id"] and company.name == seeded["company_name"]
    assert company.address is not None and company.address.city
    with pytest.raises(NotFound):
        await client.get_company("0" * 24)


# -- streams -----------------------------------------------------------------------------------------


async def test_action_stream_is_in_the_sandbox_order(client: OnePageCRMClient, sandbox: SandboxHandle) -> None:
    expected = sandbox_order(sandbox, sandbox.user_id)
    progress: list[tuple[int, int]] = []
    everything = await client.action_stream_all(on_progress=lambda done, total: progress.append((done, total)))
    assert ids(everything) == expected
    assert len(set(ids(everything))) == len(everything) > 100  # every contact once, over several pages
    assert progress and progress[-1] == (len(expected), len(expected))

    first = await client.action_stream(per_page=100)
    assert first.total_count == len(expected)
    assert first.max_page == -(-len(expected) // 100) and first.per_page == 100
    assert ids(first.items) == expected[:100]
    second = await client.action_stream(page=2, per_page=25)
    assert ids(second.items) == expected[25:50]
    assert second.extra["team_stream"]["all"] == rules.team_counts(sandbox.state)["all"]

    for item in everything:  # one next action per contact for me, and it is mine
        assert item.contact.owner_id == sandbox.user_id or item.next_actions or item.queued_actions
        if item.next_action is not None:
            assert item.next_action.assignee_id == sandbox.user_id
            assert item.next_action.status in {
                wire.ActionStatus.ASAP, wire.ActionStatus.DATE, wire.ActionStatus.DATE_TIME, wire.ActionStatus.WAITING,
            }
        mine = [a for a in item.next_actions if a.assignee_id == sandbox.user_id]
        assert len(mine) <= 1
    assert any(item.next_action_conflicts for item in everything)

    whole = await client.action_stream_all(team=True)
    assert ids(whole) == sandbox_order(sandbox, None) and len(whole) == len(sandbox.state.tables["contacts"])


async def test_action_stream_filters(client: OnePageCRMClient, sandbox: SandboxHandle) -> None:
    full = await client.action_stream_all()
    order = ids(full)
    by_id = {item.contact.id: item.contact for item in full}

    def subsequence(expected_ids: set[str]) -> list[str]:
        return [cid for cid in order if cid in expected_ids]

    target = full[len(full) // 2].contact
    email = target.emails[0].value
    found = await client.action_stream_all(search=email)
    assert ids(found) == [target.id]
    by_name = await client.action_stream_all(search=target.last_name.upper())
    assert target.id in ids(by_name)
    assert all(target.last_name.casefold() in f"{c.contact.first_name} {c.contact.last_name} {c.contact.company_name}".casefold()
               or any(target.last_name.casefold() in e.value.casefold() for e in c.contact.emails)
               for c in by_name)

    starred = await client.action_stream_all(starred=True)
    assert ids(starred) == subsequence({cid for cid, c in by_id.items() if c.starred}) and starred
    unstarred = await client.action_stream_all(starred=False)
    assert len(starred) + len(unstarred) == len(full)

    vip = await client.action_stream_all(tag="VIP")
    assert ids(vip) == subsequence({cid for cid, c in by_id.items() if "VIP" in c.tags}) and vip
    via_filter = await client.action_stream_all(filter_id=(await client.filters())[0].id)
    assert ids(via_filter) == ids(vip)

    status_id = target.status_id
    same_status = await client.action_stream_all(status_id=status_id)
    assert ids(same_status) == subsequence({cid for cid, c in by_id.items() if c.status_id == status_id})
    assert 0 < len(same_status) < len(full)

    desc = await client.action_stream_all(sort_by="first_name", order="desc")
    names = [item.contact.first_name.casefold() for item in desc]
    assert names == sorted(names, reverse=True) and set(ids(desc)) == set(order)
    asc = await client.action_stream_all(sort_by="last_name", order="asc")
    last_names = [item.contact.last_name.casefold() for item in asc]
    assert last_names == sorted(last_names)


async def test_action_stream_modified_since(client: OnePageCRMClient, sandbox: SandboxHandle) -> None:
    full = await client.action_stream_all()
    starred_one, with_action, untouched = full[3].contact, full[40].contact, full[80].contact
    since = sandbox.state.now()  # the sandbox's clock (its `today` is fixed); seeded data is older
    assert (await client.action_stream(modified_since=since)).total_count == 0
    await client.star_contact(starred_one.id)
    await new_action(client, with_action.id, status="queued_with_date", date=day(3), text="Freshly added")
    changed = await client.action_stream_all(modified_since=since)
    assert set(ids(changed)) == {starred_one.id, with_action.id}
    assert untouched.id not in ids(changed)
    as_date = await client.action_stream_all(modified_since=TODAY)  # a date: midnight UTC of today
    assert {starred_one.id, with_action.id} <= set(ids(as_date))
    assert (await client.action_stream(modified_since=TODAY + dt.timedelta(days=1))).total_count == 0


async def test_team_stream_for_another_user_and_counters(client: OnePageCRMClient, sandbox: SandboxHandle) -> None:
    other = sandbox.users[2].user_id
    theirs = await client.team_stream_all(user_id=other)
    assert ids(theirs) == sandbox_order(sandbox, other) and theirs
    assert all(item.next_action is None or item.next_action.assignee_id == other for item in theirs)
    page = await client.team_stream(user_id=other, per_page=10)
    assert page.total_count == len(theirs) and ids(page.items) == ids(theirs)[:10]
    assert ids(await client.team_stream_all()) == sandbox_order(sandbox, None)
    with pytest.raises(NotFound):
        await client.team_stream(user_id="0" * 24)

    counts = await client.team_stream_counts()
    assert [u.user_id for u in counts.users] == [u.user_id for u in sandbox.users]
    per_user = {u.user_id: u.counts for u in counts.users}
    # The spec: "the number of entries in the action stream", for each user and for the account.
    assert per_user[other] == len(theirs) == page.total_count > 0
    mine = await client.action_stream_all()
    assert per_user[sandbox.user_id] == len(mine) == (await client.team_stream(user_id=sandbox.user_id)).total_count
    assert len(mine) > sum(1 for item in mine if item.next_action is not None)  # not only those with a next action
    everyone = await client.team_stream_all()
    assert counts.all == len(everyone) == (await client.action_stream(team=True)).total_count
    assert counts.all >= max(per_user.values())


# -- the triage flow ---------------------------------------------------------------------------------


async def test_triage_done_next_undo_and_swap(client: OnePageCRMClient, sandbox: SandboxHandle) -> None:
    stream = await client.action_stream_all()
    picked = next(
        item for item in stream
        if item.next_action is not None and item.next_action.status == wire.ActionStatus.DATE
        and item.next_action.date < TODAY_ISO
    )
    cid, old = picked.contact.id, picked.next_action
    assert old is not None and old.assignee_id == sandbox.user_id

    done = await client.mark_action_done(old.id)
    assert done.id == old.id and done.done and done.status == wire.ActionStatus.DONE and done.done_at == TODAY_ISO
    after = await client.get_contact(cid)
    assert after.next_action is None and old.id not in {a.id for a in after.queued_actions}
    assert (await client.get_action(old.id)).done

    follow_up = await new_action(client, cid, text="Call to confirm", status="date", date=TODAY_ISO)
    assert follow_up.status == wire.ActionStatus.DATE and follow_up.date == TODAY_ISO
    assert (await client.get_contact(cid)).next_action.id == follow_up.id
    stream = await client.action_stream_all()
    assert ids(stream) == sandbox_order(sandbox, sandbox.user_id)
    entry = next(item for item in stream if item.contact.id == cid)
    assert entry.next_action is not None and entry.next_action.id == follow_up.id

    undone = await client.undo_action_completion(old.id)
    # A next action was set meanwhile, so the completed one comes back queued (keeping its date).
    assert not undone.done and undone.status == wire.ActionStatus.QUEUED_WITH_DATE and undone.date == old.date
    entry = await client.get_contact(cid)
    assert entry.next_action.id == follow_up.id
    assert old.id in {a.id for a in entry.queued_actions}
    assert [a.id for a in entry.next_action_conflicts] == [old.id]  # overdue queued before today's next action

    swapped = await client.swap_action(old.id)
    assert swapped.status == wire.ActionStatus.DATE and swapped.date == old.date
    entry = await client.get_contact(cid)
    assert entry.next_action.id == old.id and entry.next_action_conflicts == []
    demoted = await client.get_action(follow_up.id)
    assert demoted.status == wire.ActionStatus.QUEUED_WITH_DATE and demoted.date == TODAY_ISO

    history = await client.contact_actions_all(cid)
    assert {old.id, follow_up.id} <= {a.id for a in history}
    assert all(a.contact_id == cid for a in history)
    done_only = await client.contact_actions(cid, done=True)
    assert all(a.done for a in done_only.items)


async def test_promote_and_revert(client: OnePageCRMClient) -> None:
    cid = (await new_contact(client)).contact.id
    queued = await new_action(client, cid, status="queued", text="Later")
    assert queued.status == wire.ActionStatus.QUEUED
    assert (await client.get_contact(cid)).next_action is None

    promoted = await client.promote_action(queued.id)
    assert promoted.id == queued.id and promoted.status == wire.ActionStatus.ASAP
    assert (await client.get_contact(cid)).next_action.id == queued.id

    reverted = await client.revert_action_promotion(queued.id)
    assert reverted.status == wire.ActionStatus.QUEUED
    assert (await client.get_contact(cid)).next_action is None

    nxt = await new_action(client, cid, status="date", date=day(5), text="Next")
    with pytest.raises(Conflict) as refused:
        await client.promote_action(queued.id)
    assert refused.value.status == 409 and refused.value.error_name == "next_action_exists"
    assert refused.value.message == "This contact already has a next action for you; swap instead"
    entry = await client.get_contact(cid)
    assert entry.next_action.id == nxt.id and [a.id for a in entry.queued_actions] == [queued.id]
    with pytest.raises(NotFound):
        await client.promote_action("0" * 24)


async def test_swap(client: OnePageCRMClient) -> None:
    cid = (await new_contact(client)).contact.id
    nxt = await new_action(client, cid, status="date", date=day(10), text="Next")
    early = await new_action(client, cid, status="queued_with_date", date=day(2), text="Early")
    late = await new_action(client, cid, status="queued_with_date", date=day(20), text="Late")
    entry = await client.get_contact(cid)
    assert entry.next_action.id == nxt.id
    assert [a.id for a in entry.next_action_conflicts] == [early.id]

    with pytest.raises(Conflict) as no_conflict:
        await client.swap_action(late.id)
    assert no_conflict.value.error_name == "swap_not_allowed"
    assert no_conflict.value.message == "The queued action must be due before the next action"

    swapped = await client.swap_action(early.id)
    assert swapped.id == early.id and swapped.status == wire.ActionStatus.DATE and swapped.date == day(2)
    old = await client.get_action(nxt.id)
    assert old.status == wire.ActionStatus.QUEUED_WITH_DATE and old.date == day(10)
    entry = await client.get_contact(cid)
    assert entry.next_action.id == early.id and entry.next_action_conflicts == []
    assert {a.id for a in entry.queued_actions} == {nxt.id, late.id}

    lonely = (await new_contact(client, last_name="Lonely")).contact.id
    queued = await new_action(client, lonely, status="queued_with_date", date=day(4))
    with pytest.raises(Conflict) as no_next:
        await client.swap_action(queued.id)
    assert no_next.value.status == 409
    assert no_next.value.message == "There is no next action to swap with; promote instead"


async def test_a_second_next_action_is_a_conflict_and_a_queued_one_is_not(client: OnePageCRMClient, sandbox: SandboxHandle) -> None:
    cid = (await new_contact(client)).contact.id
    first = await new_action(client, cid, status="asap", text="First")
    with pytest.raises(Conflict) as second:
        await new_action(client, cid, status="asap", text="Second")
    assert second.value.status == 409 and second.value.error_name == "next_action_exists"
    queued = await new_action(client, cid, status="queued", text="Second")
    entry = await client.get_contact(cid)
    assert entry.next_action.id == first.id
    assert [(a.id, a.status) for a in entry.queued_actions] == [(queued.id, wire.ActionStatus.QUEUED)]
    open_actions = (await client.list_actions(contact_id=cid, done=False)).items
    assert sum(1 for a in open_actions if a.status in rules.NEXT_STATUSES) == 1


async def test_reassign_notifies_and_unassign_takes_it_back(
    client: OnePageCRMClient, sandbox: SandboxHandle, spec_recorder
) -> None:
    other = sandbox.users[1]
    cid = (await new_contact(client, last_name="Handover")).contact.id
    action = await new_action(client, cid, status="date", date=day(1), text="Over to you")

    moved = await client.update_action(action.id, {"assignee_id": other.user_id})
    assert moved.assignee_id == other.user_id and moved.text == "Over to you" and moved.date == day(1)
    mine = await client.get_contact(cid)
    assert mine.next_action is None and [a.id for a in mine.queued_actions] == [action.id]

    start = spec_recorder.mark()
    async with OnePageCRMClient(
        other.user_id, other.api_key, base_url=sandbox.base_url, event_hooks=spec_recorder.hooks
    ) as theirs:
        notes = await theirs.notifications_all()
        about = [n for n in notes if n.contact_id == cid]
        assert len(about) == 1
        note = about[0]
        assert note.type == wire.NotificationType.ASSIGNED_ACTION and not note.read and note.user_id == other.user_id
        assert note.by == "Alex Morgan" and note.mobile_data.get("body") == "Over to you"
        their_entry = await theirs.get_contact(cid)
        assert their_entry.next_action is not None and their_entry.next_action.id == action.id
    assert spec_recorder.request_problems(since=start) == []
    mine_notes = await client.notifications_all()
    assert all(n.contact_id != cid for n in mine_notes)  # the one who assigns is not notified

    back = await client.unassign_action(action.id)
    assert back.assignee_id == sandbox.user_id
    assert (await client.get_contact(cid)).next_action.id == action.id


# -- contacts ----------------------------------------------------------------------------------------


async def test_list_and_get_contacts(client: OnePageCRMClient, sandbox: SandboxHandle) -> None:
    state = sandbox.state
    contacts = state.tables["contacts"]
    owned = sorted(
        state.contacts_by_owner[sandbox.user_id],
        key=lambda cid: (contacts[cid]["last_name"].casefold(), contacts[cid]["first_name"].casefold(), cid),
    )
    listed = await client.list_contacts_all()
    assert ids(listed) == owned
    page = await client.list_contacts(per_page=7, page=2)
    assert ids(page.items) == owned[7:14] and page.total_count == len(owned)
    team = await client.list_contacts_all(team=True)
    assert len(team) == len(contacts) and set(ids(team)) == set(contacts)

    seeded = contacts[owned[0]]
    got = await client.get_contact(owned[0])
    c = got.contact
    assert (c.id, c.first_name, c.last_name, c.job_title) == (seeded["id"], seeded["first_name"], seeded["last_name"], seeded["job_title"])
    assert [p.value for p in c.phones] == [p["value"] for p in seeded["phones"]]
    assert [e.value for e in c.emails] == [e["value"] for e in seeded["emails"]]
    assert c.tags == seeded["tags"] and c.status_id == seeded["status_id"]
    assert [(v.custom_field.name, v.text) for v in c.custom_fields] == [
        (v["custom_field"]["name"], v["value"]) for v in seeded["custom_fields"]
    ]
    assert got.company is not None and got.company.id == seeded["company_id"]
    with pytest.raises(NotFound):
        await client.get_contact("0" * 24)


async def test_list_companies_pages_by_name_and_filters(client: OnePageCRMClient, sandbox: SandboxHandle) -> None:
    companies = sandbox.state.tables["companies"]
    expected = sorted(companies.values(), key=lambda c: (c["name"].casefold(), c["id"]))
    page = await client.list_companies(per_page=3, page=2)
    assert [c.id for c in page.items] == [c["id"] for c in expected[3:6]]
    assert (page.total_count, page.page, page.per_page) == (len(companies), 2, 3)
    assert page.max_page == -(-len(companies) // 3)
    first = page.items[0]
    seeded = expected[3]
    assert (first.name, first.phone, first.url, first.description) == (
        seeded["name"], seeded["phone"], seeded["url"], seeded["description"],
    )
    assert first.address is not None and first.address.city == seeded["address"]["city"]
    assert [c.id for c in await client.list_companies_all()] == [c["id"] for c in expected]
    needle = seeded["name"][:3].lower()
    named = await client.list_companies_all(name=needle)
    assert [c.id for c in named] == [c["id"] for c in expected if needle in c["name"].casefold()]
    newest = await client.list_companies(sort_by="name", order="desc", per_page=1)
    assert [c.id for c in newest.items] == [expected[-1]["id"]]
    with pytest.raises(TypeError):
        await client.list_companies(modified_since=TODAY)  # not a parameter of GET /companies


async def test_create_and_partial_update_keep_the_other_fields(client: OnePageCRMClient, sandbox: SandboxHandle) -> None:
    fields = {f["name"]: f["id"] for f in sandbox.state.tables["custom_fields"].values()}
    source = next(iter(sandbox.state.tables["lead_sources"]))
    created = await client.create_contact({
        "title": "Ms", "first_name": "Ada", "last_name": "Lovelace", "job_title": "Analyst",
        "company_name": "Engines Ltd", "background": "Met at the expo.",
        "phones": [{"type": "work", "value": "+353 1 555 0101"}, {"type": "mobile", "value": "+353 87 555 0102"}],
        "emails": [{"type": "work", "value": "ada@engines.example.com"}],
        "urls": [{"type": "website", "value": "https://engines.example.com"}],
        "address_list": [{"address": "1 Main St", "city": "Cork", "country_code": "IE", "type": "work"}],
        "tags": ["VIP", "Hot lead"], "lead_source_id": source, "starred": True,
        "custom_fields": [
            {"custom_field": {"id": fields["Industry"]}, "value": "Software"},
            {"custom_field": {"id": fields["Budget"]}, "value": "25000"},
        ],
    })
    before = created.contact
    assert before.owner_id == sandbox.user_id and before.company_id and before.company_name == "Engines Ltd"
    assert [(v.custom_field.name, v.text) for v in before.custom_fields] == [("Industry", "Software"), ("Budget", "25000")]

    updated = (await edit_contact(client, before.id, {"job_title": "Chief Analyst"})).contact
    assert updated.job_title == "Chief Analyst"
    kept = ("title", "first_name", "last_name", "company_id", "company_name", "background", "tags", "status_id",
            "lead_source_id", "owner_id", "starred")
    assert {k: getattr(updated, k) for k in kept} == {k: getattr(before, k) for k in kept}
    assert [(p.type, p.value) for p in updated.phones] == [(p.type, p.value) for p in before.phones]
    assert [(e.type, e.value) for e in updated.emails] == [("work", "ada@engines.example.com")]
    assert [(u.type, u.value) for u in updated.url] == [("website", "https://engines.example.com")]
    assert [(a.address, a.city, a.type) for a in updated.address_list] == [("1 Main St", "Cork", "work")]
    assert [(v.custom_field.id, v.text) for v in updated.custom_fields] == [
        (fields["Industry"], "Software"), (fields["Budget"], "25000"),
    ]
    fetched = (await client.get_contact(before.id)).contact
    assert fetched.job_title == "Chief Analyst" and fetched.tags == before.tags and fetched.phones == updated.phones

    # A seeded contact (all fields filled in by the seed) keeps them through a partial update too.
    seeded_id = next(iter(sandbox.state.contacts_by_owner[sandbox.user_id]))
    seeded_before = (await client.get_contact(seeded_id)).contact
    seeded_after = (await edit_contact(client, seeded_id, {"background": "Changed"})).contact
    assert seeded_after.background == "Changed"
    for name in ("title", "first_name", "last_name", "job_title", "phones", "emails", "url", "address_list", "tags",
                 "status_id", "lead_source_id", "company_id", "owner_id", "starred", "company_size"):
        assert getattr(seeded_after, name) == getattr(seeded_before, name), name
    assert [(v.custom_field.id, v.text) for v in seeded_after.custom_fields] == [
        (v.custom_field.id, v.text) for v in seeded_before.custom_fields
    ]

    with pytest.raises(TypeError):
        await edit_contact(client, before.id, {"shoe_size": 42})


def add_custom_field(sandbox: SandboxHandle, table: str, name: str, kind: str, choices: list[str]) -> str:
    """A field definition the seed lacks, put straight into the sandbox's state."""
    state = sandbox.state
    with state.write():
        doc = state.save(table, {"id": state.new_id(), "name": name, "type": kind, "position": 9, "choices": choices})
    return doc["id"]


async def test_update_contact_keeps_field_values_and_types_as_they_are(
    client: OnePageCRMClient, sandbox: SandboxHandle
) -> None:
    fields = {f.name: f.id for f in (await client.bootstrap()).custom_fields}
    products = add_custom_field(sandbox, "custom_fields", "Products", "multiple_choice", ["Licences", "Support", "Training"])
    created = await new_contact(client, last_name="Shapes", **{
        "phones": [{"type": "fax", "value": "+353 1 555 0199"}, {"type": "skype", "value": "ada.l"}],
        "emails": [{"type": "home", "value": "ada@home.example.com"}],
        "urls": [{"type": "linkedin", "value": "https://li.example.com/ada"}, {"type": "xing", "value": "https://x.example.com"}],
        "address_list": [{"city": "Cork", "type": "billing"}, {"city": "Kerry", "type": "delivery"}],
        "custom_fields": [
            {"custom_field": {"id": fields["Budget"]}, "value": 25000},
            {"custom_field": {"id": products}, "value": ["Licences", "Training"]},
            {"custom_field": {"id": fields["Industry"]}, "value": "Energy"},
        ],
    })
    values = [(v.custom_field.id, v.value) for v in created.contact.custom_fields]
    assert values == [(fields["Budget"], 25000), (products, ["Licences", "Training"]), (fields["Industry"], "Energy")]

    updated = (await edit_contact(client, created.contact.id, {"job_title": "Typist"})).contact
    assert updated.job_title == "Typist"
    assert [(v.custom_field.id, v.value) for v in updated.custom_fields] == values
    assert [(p.type, p.value) for p in updated.phones] == [("fax", "+353 1 555 0199"), ("skype", "ada.l")]
    assert [e.type for e in updated.emails] == ["home"]
    assert [u.type for u in updated.url] == ["linkedin", "xing"]
    assert [(a.city, a.type) for a in updated.address_list] == [("Cork", "billing"), ("Kerry", "delivery")]

    # Types outside the spec's enums (older data) become the enum's spelling or "other"; nothing else moves.
    with sandbox.state.write():
        doc = dict(sandbox.state.tables["contacts"][created.contact.id])
        doc["phones"] = [{"type": "Mobile", "value": "+353 87 1"}, {"type": "pager", "value": "+353 87 2"}]
        sandbox.state.save("contacts", doc)
    again = (await edit_contact(client, created.contact.id, {"background": "Old data"})).contact
    assert [(p.type, p.value) for p in again.phones] == [("mobile", "+353 87 1"), ("other", "+353 87 2")]
    assert [(v.custom_field.id, v.value) for v in again.custom_fields] == values


async def test_update_deal_keeps_commission_deal_fields_and_items(client: OnePageCRMClient, sandbox: SandboxHandle) -> None:
    boot = await client.bootstrap()
    size, products = (next(f.id for f in boot.deal_fields if f.name == name) for name in ("Deal size", "Products"))
    cid = (await new_contact(client, last_name="Commissioned")).contact.id
    deal = await client.create_deal({
        "contact_id": cid, "name": "Panels", "amount": 300, "cost": 100,
        "commission_base": "margin", "commission_type": "percentage", "commission": 20.0, "commission_percentage": 10.0,
        "deal_fields": [
            {"deal_field": {"id": size}, "value": "Large"},
            {"deal_field": {"id": products}, "value": ["Licences", "Training"]},
        ],
        "has_deal_items": True,
        "deal_items": [{"name": "Panel", "description": "2019 model", "cost": 50.0, "price": 150.0, "qty": 2}],
    })

    def kept(d: wire.Deal) -> tuple:
        return (
            d.commission_base, d.commission_type, d.commission, d.commission_percentage,
            [(v.deal_field.id, v.value) for v in d.deal_fields],
            d.has_deal_items, [(i.name, i.description, i.cost, i.price, i.qty, i.amount) for i in d.deal_items],
        )

    expected = (
        "margin", "percentage", 20.0, 10.0, [(size, "Large"), (products, ["Licences", "Training"])],
        True, [("Panel", "2019 model", 50.0, 150.0, 2, 300.0)],
    )
    assert kept(deal) == expected
    staged = await client.update_deal(deal.id, {"stage": 50, "text": "Two roofs"})
    assert (staged.stage, staged.text) == (50, "Two roofs") and kept(staged) == expected
    won = await client.update_deal(deal.id, {"status": "won"})
    assert won.status == wire.DealStatus.WON and kept(won) == expected
    assert kept(await client.get_deal(deal.id)) == expected

    # and a change to them goes through
    cleared = await client.update_deal(deal.id, {"commission_type": "none", "commission": 0, "deal_fields": []})
    assert (cleared.commission_type, cleared.commission, cleared.deal_fields) == ("none", 0.0, [])
    assert kept(cleared)[5:] == expected[5:]


async def test_contact_operations(client: OnePageCRMClient, sandbox: SandboxHandle) -> None:
    cid = (await new_contact(client, last_name="Operations")).contact.id
    assert (await client.star_contact(cid)).contact.starred is True
    assert (await client.get_contact(cid)).contact.starred is True
    assert (await client.unstar_contact(cid)).contact.starred is False

    # Spaces, a slash, a percent sign, and dot segments (which URL normalisation would otherwise
    # resolve away, sending the request to another endpoint) all stay inside one path segment.
    tags = ["Hot lead", "EU/UK", "a b/c%d", "..", "."]
    for tag in tags:
        tagged = await client.assign_tag(cid, tag)
        assert tag in tagged.contact.tags
    assert sorted((await client.get_contact(cid)).contact.tags) == sorted(tags)
    assert ids(await client.list_contacts_all(tag="EU/UK")) == [cid]
    assert ids(await client.list_contacts_all(tag="..")) == [cid]
    for tag in ("EU/UK", "a b/c%d", ".."):
        untagged = await client.unassign_tag(cid, tag)
        assert tag not in untagged.contact.tags
    assert sorted(untagged.contact.tags) == sorted(["Hot lead", "."])
    assert (await client.get_contact(cid)).contact.last_name == "Operations"

    status = next(s for s in sandbox.state.tables["statuses"].values() if s["status"] == "customer")
    changed = await client.change_status(cid, status["id"])
    assert changed.contact.status_id == status["id"] and changed.contact.status == "Customer"
    with pytest.raises(NotFound):
        await client.change_status(cid, "0" * 24)

    new_owner = sandbox.users[3]
    owned = await client.change_owner(cid, new_owner.user_id)
    assert owned.contact.owner_id == new_owner.user_id
    assert (await client.get_contact(cid)).contact.owner_id == new_owner.user_id
    async with OnePageCRMClient(new_owner.user_id, new_owner.api_key, base_url=sandbox.base_url) as theirs:
        told = [n for n in await theirs.notifications_all() if n.contact_id == cid]
        assert [n.type for n in told] == [wire.NotificationType.CONTACT_ASSIGNED]
    with pytest.raises(NotFound):
        await client.change_owner(cid, "0" * 24)

    await client.delete_contact(cid)
    with pytest.raises(NotFound):
        await client.get_contact(cid)
    with pytest.raises(NotFound):
        await client.delete_contact(cid)


async def test_close_and_reopen_sales_cycle(client: OnePageCRMClient, sandbox: SandboxHandle) -> None:
    cid = (await new_contact(client, last_name="Closer")).contact.id
    await new_action(client, cid, status="asap", text="One")
    await new_action(client, cid, status="queued", text="Two")
    with pytest.raises(Conflict) as refused:
        await client.close_sales_cycle(cid, "Went with a competitor")
    assert refused.value.status == 409 and refused.value.error_name == "contact_has_actions"
    assert "open actions" in refused.value.message
    assert (await client.get_contact(cid)).contact.closed_sales == []

    for action in await client.contact_actions_all(cid):
        await client.delete_action(action.id)
    assert (await client.contact_actions(cid)).total_count == 0
    closed = (await client.close_sales_cycle(cid, "Went with a competitor")).contact
    assert [(c.user_id, c.comment) for c in closed.closed_sales] == [(sandbox.user_id, "Went with a competitor")]
    assert closed.sales_closed_for == [sandbox.user_id]
    order = sandbox_order(sandbox, sandbox.user_id)
    assert cid in order
    reopened = (await client.reopen_sales_cycle(cid)).contact
    assert reopened.closed_sales == [] and reopened.sales_closed_for == []


# -- actions CRUD ------------------------------------------------------------------------------------


async def test_action_crud(client: OnePageCRMClient, sandbox: SandboxHandle) -> None:
    cid = (await new_contact(client)).contact.id
    exact = int(dt.datetime(2026, 3, 12, 14, 30, tzinfo=dt.timezone.utc).timestamp())
    timed = await new_action(client, cid, status="date_time", date=day(2), exact_time=exact, text="Timed")
    assert timed.status == wire.ActionStatus.DATE_TIME and timed.exact_time == exact
    assert (await client.get_action(timed.id)).text == "Timed"
    edited = await client.update_action(timed.id, {"text": "Timed, edited"})
    assert edited.text == "Timed, edited" and edited.exact_time == exact and edited.date == day(2)
    listed = await client.list_actions_all(contact_id=cid)
    assert [a.id for a in listed] == [timed.id]
    assert [a.id for a in (await client.contact_actions(cid)).items] == [timed.id]
    by_assignee = await client.list_actions(assignee_id=sandbox.user_id, contact_id=cid, status="date_time")
    assert [a.id for a in by_assignee.items] == [timed.id]
    await client.delete_action(timed.id)
    with pytest.raises(NotFound):
        await client.get_action(timed.id)
    assert (await client.get_contact(cid)).next_action is None


# -- deals, pipelines, activities, notifications -----------------------------------------------------


async def test_pipelines_and_deals(client: OnePageCRMClient, sandbox: SandboxHandle) -> None:
    pipelines = await client.pipelines_all()
    assert [p.name for p in pipelines] == ["Sales", "Renewals"] and pipelines[0].default
    renewals = await client.get_pipeline(pipelines[1].id)
    assert renewals.name == "Renewals" and [s.stage for s in renewals.stages] == [20, 60, 90]
    with pytest.raises(NotFound):
        await client.get_pipeline("0" * 24)

    in_state = [d for d in sandbox.state.tables["deals"].values() if d["pipeline_id"] == renewals.id]
    page = await client.list_deals(pipeline_id=renewals.id, per_page=5)
    assert page.total_count == len(in_state) > 5 and len(page.items) == 5
    every = await client.deals_all(pipeline_id=renewals.id)
    assert {d.id for d in every} == {d["id"] for d in in_state}
    assert all(d.pipeline_id == renewals.id for d in every)
    assert {d.status for d in await client.deals_all()} == {
        wire.DealStatus.PENDING, wire.DealStatus.WON, wire.DealStatus.LOST,
    }

    cid = (await new_contact(client, last_name="Dealer")).contact.id
    deal = await client.create_deal({
        "contact_id": cid, "name": "Big one", "amount": 500, "months": 12, "pipeline_id": renewals.id, "stage": 20,
    })
    assert (deal.name, deal.status, deal.stage, deal.total_amount) == ("Big one", wire.DealStatus.PENDING, 20, 6000.0)
    assert deal.owner_id == sandbox.user_id and deal.pipeline_id == renewals.id
    assert [d.id for d in (await client.list_deals(contact_id=cid)).items] == [deal.id]
    assert (await client.get_contact(cid)).contact.pending_deal is True
    assert (await client.get_deal(deal.id)).amount == 500.0

    staged = await client.update_deal(deal.id, {"stage": 60, "expected_close_date": "2026-04-30", "text": "Two sites"})
    assert staged.stage == 60 and staged.status == wire.DealStatus.PENDING and staged.name == "Big one"
    # a partial change keeps the rest: amount, months, pipeline, the close date and text set before
    renamed = await client.update_deal(deal.id, {"name": "Bigger one"})
    assert (renamed.name, renamed.amount, renamed.months, renamed.pipeline_id) == ("Bigger one", 500.0, 12, renewals.id)
    assert (renamed.stage, renamed.expected_close_date, renamed.text) == (60, "2026-04-30", "Two sites")
    won = await client.update_deal(deal.id, {"status": "won"})
    assert won.status == wire.DealStatus.WON and won.close_date == TODAY_ISO
    assert (await client.get_contact(cid)).contact.pending_deal is False

    await client.delete_deal(deal.id)
    with pytest.raises(NotFound):
        await client.get_deal(deal.id)
    assert (await client.list_deals(contact_id=cid)).total_count == 0


async def test_notes_calls_and_meetings(client: OnePageCRMClient, sandbox: SandboxHandle) -> None:
    cid = (await new_contact(client, last_name="Talker")).contact.id
    note = await client.create_note({"contact_id": cid, "text": "Prefers email."})
    assert note.contact_id == cid and note.text == "Prefers email." and note.date == TODAY_ISO
    assert note.author == "Alex Morgan"
    call = await client.create_call({"contact_id": cid, "text": "Rang", "call_result": "interested", "via": "phone"})
    assert call.call_result == "interested" and call.call_time_int
    when = int(dt.datetime(2026, 3, 11, 10, tzinfo=dt.timezone.utc).timestamp())
    meeting = await client.create_meeting({"contact_id": cid, "text": "Met", "place": "Cork", "meeting_time_int": when})
    assert meeting.place == "Cork" and meeting.meeting_time_int == when

    assert [n.id for n in await client.notes_all(contact_id=cid)] == [note.id]
    assert [c.id for c in await client.calls_all(contact_id=cid)] == [call.id]
    assert [m.id for m in await client.meetings_all(contact_id=cid)] == [meeting.id]
    all_notes = await client.notes_all()
    assert len(all_notes) == len(sandbox.state.tables["notes"]) and note.id in {n.id for n in all_notes}


async def test_edit_notes_calls_and_meetings_keeps_the_other_fields(client: OnePageCRMClient, sandbox: SandboxHandle) -> None:
    cid = (await new_contact(client, last_name="Editor")).contact.id
    note = await client.create_note({"contact_id": cid, "text": "First take", "date": day(-2)})
    edited = await client.update_note(note.id, {"text": "Second take\nwith a second line"})
    assert (edited.id, edited.text, edited.date, edited.contact_id) == (note.id, "Second take\nwith a second line", day(-2), cid)
    assert (await client.get_note(note.id)).text == edited.text

    call = await client.create_call({"contact_id": cid, "text": "Rang", "call_result": "interested", "phone_number": "+353 1"})
    changed = await client.update_call(call.id, {"call_result": "no_answer"})
    assert (changed.call_result, changed.text, changed.phone_number, changed.call_time_int) == (
        "no_answer", "Rang", "+353 1", call.call_time_int,
    )

    when = int(dt.datetime(2026, 3, 11, 10, tzinfo=dt.timezone.utc).timestamp())
    meeting = await client.create_meeting({"contact_id": cid, "text": "Met", "place": "Cork", "meeting_time_int": when})
    moved = await client.update_meeting(meeting.id, {"meeting_time_int": when + 3600})
    assert (moved.meeting_time_int, moved.place, moved.text) == (when + 3600, "Cork", "Met")

    with pytest.raises(NotFound):
        await client.update_note("0" * 24, {"text": "gone"})


async def test_notifications(client: OnePageCRMClient, sandbox: SandboxHandle) -> None:
    mine = [n for n in sandbox.state.tables["notifications"].values() if n["user_id"] == sandbox.user_id]
    page = await client.notifications(per_page=5)
    assert page.total_count == len(mine) == 15 and len(page.items) == 5
    every = await client.notifications_all()
    assert len(every) == 15 and [n.created_at for n in every] == sorted((n.created_at for n in every), reverse=True)
    unread = [n for n in every if not n.read]
    assert len(unread) == 6

    one = await client.get_notification(unread[0].id)
    assert one.id == unread[0].id and one.read is False and one.type
    marked = await client.mark_notification_read(unread[0].id)
    assert marked.id == unread[0].id and marked.read is True
    assert sum(1 for n in await client.notifications_all() if not n.read) == 5

    await client.mark_all_notifications_read()
    assert all(n.read for n in await client.notifications_all())
    with pytest.raises(NotFound):
        await client.get_notification("0" * 24)


# -- contract coverage -------------------------------------------------------------------------------

# Every (METHOD, path template) of the spec that OnePageCRMClient can send.
CLIENT_OPERATIONS = {
    ("GET", "/bootstrap"),
    ("GET", "/users"),
    ("GET", "/users/{user_id}"),
    ("GET", "/statuses"),
    ("GET", "/lead_sources"),
    ("GET", "/predefined_actions"),
    ("GET", "/call_results"),
    ("GET", "/custom_fields"),
    ("GET", "/filters"),
    ("GET", "/action_stream"),
    ("GET", "/team_stream"),
    ("GET", "/contacts"),
    ("POST", "/contacts"),
    ("GET", "/contacts/{contact_id}"),
    ("PUT", "/contacts/{contact_id}"),
    ("DELETE", "/contacts/{contact_id}"),
    ("PUT", "/contacts/{contact_id}/star"),
    ("PUT", "/contacts/{contact_id}/unstar"),
    ("PUT", "/contacts/{contact_id}/assign_tag/{tag_name}"),
    ("PUT", "/contacts/{contact_id}/unassign_tag/{tag_name}"),
    ("PUT", "/contacts/{contact_id}/change_status/{status_id}"),
    ("PUT", "/contacts/{contact_id}/change_owner/{owner_id}"),
    ("PUT", "/contacts/{contact_id}/close_sales_cycle"),
    ("PUT", "/contacts/{contact_id}/force_close_sales_cycle"),
    ("PUT", "/contacts/{contact_id}/reopen_sales_cycle"),
    ("GET", "/contacts/{contact_id}/actions"),
    ("GET", "/companies"),
    ("GET", "/companies/{company_id}"),
    ("PUT", "/companies/{company_id}"),
    ("GET", "/actions"),
    ("POST", "/actions"),
    ("GET", "/actions/{action_id}"),
    ("PUT", "/actions/{action_id}"),
    ("DELETE", "/actions/{action_id}"),
    ("PUT", "/actions/{action_id}/mark_as_done"),
    ("PUT", "/actions/{action_id}/undo_completion"),
    ("PUT", "/actions/{action_id}/promote"),
    ("PUT", "/actions/{action_id}/revert_promotion"),
    ("PUT", "/actions/{action_id}/swap"),
    ("PUT", "/actions/{action_id}/unassign"),
    ("GET", "/pipelines"),
    ("GET", "/pipelines/{pipeline_id}"),
    ("GET", "/deals"),
    ("POST", "/deals"),
    ("GET", "/deals/{deal_id}"),
    ("PUT", "/deals/{deal_id}"),
    ("DELETE", "/deals/{deal_id}"),
    ("GET", "/notes"),
    ("POST", "/notes"),
    ("GET", "/notes/{note_id}"),
    ("PUT", "/notes/{note_id}"),
    ("DELETE", "/notes/{note_id}"),
    ("GET", "/calls"),
    ("POST", "/calls"),
    ("GET", "/calls/{call_id}"),
    ("PUT", "/calls/{call_id}"),
    ("DELETE", "/calls/{call_id}"),
    ("GET", "/meetings"),
    ("POST", "/meetings"),
    ("GET", "/meetings/{meeting_id}"),
    ("PUT", "/meetings/{meeting_id}"),
    ("DELETE", "/meetings/{meeting_id}"),
    ("GET", "/notifications"),
    ("GET", "/notifications/{notification_id}"),
    ("POST", "/notifications/{notification_id}/mark_as_read"),
    ("POST", "/notifications/mark_all_as_read"),
}


def public_client_methods() -> set[str]:
    return {
        name for name, value in vars(OnePageCRMClient).items()
        if not name.startswith("_") and callable(value) and name not in ("aclose", "server_now")  # server_now sends nothing
    }


async def test_every_client_operation_is_in_the_spec(client: OnePageCRMClient, sandbox: SandboxHandle, spec_recorder) -> None:
    from tests.support.openapi import require_spec

    require_spec()
    mark = spec_recorder.mark()
    called: set[str] = set()

    async def call(method: str, /, *args, **kwargs):  # positional only: `name=` is a filter of some methods
        called.add(method)
        return await getattr(client, method)(*args, **kwargs)

    other = sandbox.users[1].user_id
    await call("server_clock")  # no answer yet: it asks the server (GET /statuses)
    boot = await call("bootstrap")
    await call("users")
    await call("get_user", other)
    statuses = await call("statuses")
    await call("lead_sources")
    await call("predefined_actions")
    await call("call_results")
    await call("custom_fields")
    await call("filters")
    await call("action_stream", per_page=5, starred=False, sort_by="first_name", order="asc")
    stream = await call("action_stream_all", tag="VIP")
    rows = await call("stream_rows_all", "action_stream", dict, lambda row: row["contact"]["id"], tag="VIP")
    assert [row["contact"]["id"] for row in rows] == [item.contact.id for item in stream]
    one = await call("stream_rows_page", "contacts", dict, lambda row: row["contact"]["id"], page=2, per_page=5, team=True)
    assert len(one.items) == 5 and all(isinstance(row, dict) and row["contact"]["id"] for row in one.items)
    await call("team_stream", user_id=other, per_page=5)
    await call("team_stream_all", user_id=other)
    await call("team_stream_counts")
    await call("list_contacts", per_page=5, search="a")
    await call("list_contacts_all", status_id=statuses[0].id)

    cid = (await call("create_contact", {"first_name": "Cover", "last_name": "Age", "tags": ["x"]})).contact.id
    await call("get_contact", cid)
    await call("replace_contact", cid, {"first_name": "Cover", "last_name": "Age", "job_title": "Tester"})
    await call("star_contact", cid)
    await call("unstar_contact", cid)
    await call("assign_tag", cid, "a tag/with slash")
    await call("unassign_tag", cid, "a tag/with slash")
    await call("change_status", cid, statuses[1].id)
    company = await call("get_company", stream[0].contact.company_id)
    await call("replace_company", company.id, {"name": company.name, "phone": "+353 1 555 0123", "description": "Covered"})
    await call("list_companies", per_page=5, name="a", sort_by="name", order="desc")
    await call("list_companies_all", name="a")
    await call("list_contacts", team=True, email="cover@example.com", phone="+353 1 555", search="Cover")

    nxt = await call("create_action", {"contact_id": cid, "text": "Next", "status": "date", "date": day(5)})
    early = await call("create_action", {"contact_id": cid, "text": "Early", "status": "queued_with_date", "date": day(1)})
    await call("get_action", nxt.id)
    await call("list_actions", contact_id=cid)
    await call("list_actions_all", assignee_id=sandbox.user_id, done=False)
    await call("contact_actions", cid)
    await call("contact_actions_all", cid, done=False)
    await call("update_action", nxt.id, {"text": "Next, edited"})
    await call("swap_action", early.id)  # early is next now, nxt queued_with_date
    await call("mark_action_done", early.id)
    await call("undo_action_completion", early.id)
    await call("delete_action", early.id)
    await call("promote_action", nxt.id)
    await call("revert_action_promotion", nxt.id)
    await call("update_action", nxt.id, {"assignee_id": other})
    await call("unassign_action", nxt.id)
    await call("delete_action", nxt.id)
    await call("close_sales_cycle", cid, "Done for now")
    await call("reopen_sales_cycle", cid)
    await call("force_close_sales_cycle", cid, "Closed with its actions")
    await call("reopen_sales_cycle", cid)

    pipelines = await call("pipelines_all")
    await call("get_pipeline", pipelines[0].id)
    await call("list_deals", pipeline_id=pipelines[0].id, status="pending")
    await call("deals_all", contact_id=cid)
    deal = await call("create_deal", {"contact_id": cid, "name": "Cover deal", "amount": 10})
    await call("get_deal", deal.id)
    await call("update_deal", deal.id, {"status": "lost"})
    await call("replace_deal", deal.id, {"contact_id": cid, "name": "Cover deal", "status": "pending", "stage": 10})
    await call("delete_deal", deal.id)

    note = await call("create_note", {"contact_id": cid, "text": "n"})
    await call("notes_all", contact_id=cid)
    await call("update_note", note.id, {"text": "n, two lines\nof it"})  # get_note, then the PUT
    await call("get_note", note.id)
    await call("delete_note", note.id)
    logged = await call("create_call", {"contact_id": cid, "call_result": "no_answer"})
    await call("calls_all", contact_id=cid)
    await call("update_call", logged.id, {"call_result": "interested", "text": "rang back"})
    await call("get_call", logged.id)
    await call("delete_call", logged.id)
    meeting = await call("create_meeting", {"contact_id": cid, "text": "m"})
    await call("meetings_all", contact_id=cid)
    await call("update_meeting", meeting.id, {"place": "Galway", "meeting_time_int": 1773140400})
    await call("get_meeting", meeting.id)
    await call("delete_meeting", meeting.id)

    page = await call("notifications", per_page=3)
    await call("notifications_all")
    await call("get_notification", page.items[0].id)
    await call("mark_notification_read", page.items[0].id)
    await call("mark_all_notifications_read")

    await call("change_owner", cid, other)
    await call("delete_contact", cid)
    await call("restore_contact", cid)
    await call("delete_contact", cid)

    assert boot.user_id == sandbox.user_id
    assert called == public_client_methods(), "a public client method is not driven by this test"
    seen = spec_recorder.operations(since=mark)
    assert seen == CLIENT_OPERATIONS, (
        f"not sent: {sorted(CLIENT_OPERATIONS - seen)}; unexpected: {sorted(seen - CLIENT_OPERATIONS)}"
    )
    assert spec_recorder.request_problems(since=mark) == []
    for exchange in spec_recorder.since(mark):
        assert exchange.status is not None and 200 <= exchange.status < 300, exchange.describe()


# -- paging on a big account -------------------------------------------------------------------------


async def test_paging_is_the_same_at_any_concurrency() -> None:
    handle = start_sandbox(SandboxOptions(contacts=1200, today=TODAY, seed=7))
    try:
        results: dict[int, list[str]] = {}
        requests: dict[int, list[str]] = {}
        peak: dict[int, int] = {}
        for concurrency in (1, 4):
            sent: list[str] = []
            in_flight = 0
            top = 0

            async def on_request(request: httpx.Request, sent: list[str] = sent) -> None:
                nonlocal in_flight, top
                sent.append(str(request.url))
                in_flight += 1
                top = max(top, in_flight)

            async def on_response(response: httpx.Response) -> None:
                nonlocal in_flight
                in_flight -= 1

            async with OnePageCRMClient(
                handle.user_id, handle.api_key, base_url=handle.base_url, max_concurrency=concurrency,
                event_hooks={"request": [on_request], "response": [on_response]},
            ) as api:
                first = await api.list_contacts(team=True)
                sent.clear()
                everything = await api.list_contacts_all(team=True)
            results[concurrency] = ids(everything)
            requests[concurrency] = sent
            peak[concurrency] = top
            assert first.total_count == 1200 and first.max_page == 12
            assert len(sent) == first.max_page  # one request per page, no more
            pages = sorted(int(httpx.URL(u).params["page"]) for u in sent)
            assert pages == list(range(1, first.max_page + 1))
            assert all(httpx.URL(u).params["per_page"] == "100" for u in sent)
        assert results[1] == results[4]
        assert len(results[1]) == 1200 and len(set(results[1])) == 1200
        contacts = handle.state.tables["contacts"]
        expected = sorted(contacts, key=lambda cid: (contacts[cid]["last_name"].casefold(), contacts[cid]["first_name"].casefold(), cid))
        assert results[1] == expected
        assert peak[1] == 1 and 1 < peak[4] <= 4

        async with OnePageCRMClient(handle.user_id, handle.api_key, base_url=handle.base_url, max_concurrency=3) as api:
            stream = await api.action_stream_all(team=True)
        assert ids(stream) == sandbox_order(handle, None)
    finally:
        handle.stop()

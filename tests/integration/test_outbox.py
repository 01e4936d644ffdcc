"""The outbox against the real sandbox: chaos, lost answers, conflicts, dependencies, restarts.

Every change ends applied exactly once on the server, however the network misbehaves; a change
to a record someone else changed meanwhile waits for the person's choice. Requests go through
the spec recorder, so the outbox's own checks (reconcile, conflict) must conform too.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections import Counter


from crmtui.backends.errors import Offline
from crmtui.backends.http import RetryPolicy
from crmtui.backends.onepagecrm.adapter import OnePageCRMBackend
from crmtui.backends.onepagecrm.client import OnePageCRMClient
from crmtui.domain.models import ActionStatus
from crmtui.service import Session
from crmtui.service.commands import AddAction, EditAction, ActionChanges, MarkDone, ToggleStar
from crmtui.service.contact_commands import AddTag
from crmtui.service.contact_history import AddNote, LogCall
from crmtui.service.deal_commands import DealChanges, UpdateDeal
from crmtui.service.notification_commands import MarkAllRead
from crmtui.service.outbox import CONFLICT, Outbox
from crmtui.store import OutboxStore, State
from tests.support.waits import HANG_GUARD, until

NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.timezone.utc)
FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, budget=1.0)


def make_backend(sandbox, spec_recorder) -> OnePageCRMBackend:
    client = OnePageCRMClient(
        sandbox.user_id, sandbox.api_key, base_url=sandbox.base_url, retry=FAST, event_hooks=spec_recorder.hooks
    )
    return OnePageCRMBackend(client)


async def open_session(sandbox, spec_recorder, path=None, *, offline: bool = False) -> Session:
    backend = make_backend(sandbox, spec_recorder)
    outbox = Outbox(backend, OutboxStore(path), base_delay=0.01, max_delay=0.2, rng=random.Random(7))
    if offline:
        outbox.hold("offline mode")  # as `crmtui --offline` does, before the outbox opens
    session = Session(backend, clock=lambda: NOW, outbox=outbox)
    await session.connect()
    await session.load_stream()
    return session


def chaos(sandbox, on: bool) -> None:
    o = sandbox.options
    o.fail_rate, o.throttle_rate, o.drop_rate, o.lose_rate = (0.12, 0.06, 0.06, 0.06) if on else (0, 0, 0, 0)
    o.latency_ms = 3 if on else 0
    o.retry_after = 0


async def test_hundreds_of_mixed_changes_under_chaos_are_applied_exactly_once(sandbox, spec_recorder, checked, tmp_path) -> None:
    session = await open_session(sandbox, spec_recorder, tmp_path / "outbox.sqlite3")
    state = sandbox.state
    contacts = [e.contact.id for e in session.entries]
    with_next = [e for e in session.entries if e.next_action is not None][:30]
    deals = [d for d in state.tables["deals"].values() if d["status"] == "pending" and d["owner_id"] == session.user_id][:20]
    starred_before = {cid: state.tables["contacts"][cid].get("starred", False) for cid in contacts[:40]}
    notes_before = len(state.tables["notes"])

    commands = []
    for i in range(90):
        commands.append(AddNote(contact_id=contacts[i % len(contacts)], text=f"chaos note {i}"))
    for i in range(40):
        commands.append(LogCall(contact_id=contacts[(i * 7) % len(contacts)], text=f"chaos call {i}", call_result="interested"))
    for i in range(40):
        commands.append(AddAction(contact_id=contacts[(i * 3) % len(contacts)], text=f"chaos action {i}", status=ActionStatus.QUEUED))
    for cid, was in starred_before.items():
        commands.append(ToggleStar(contact_id=cid, starred=not was))
    for i, cid in enumerate(contacts[:40]):
        commands.append(AddTag(contact_id=cid, tag=f"chaos{i}"))
    for entry in with_next:
        commands.append(MarkDone(contact_id=entry.contact.id, action=entry.next_action))
    stages = {p.id: [s.stage for s in p.stages] for p in session.account.pipelines}
    targets = {d["id"]: next(s for s in reversed(stages[d["pipeline_id"]]) if s != d["stage"]) for d in deals}
    for deal in deals:
        target = targets[deal["id"]]
        commands.append(UpdateDeal(
            contact_id=deal["contact_id"], deal_id=deal["id"], changes=DealChanges(stage=target),
            previous=DealChanges(stage=deal["stage"]),
        ))
    unread = [n["id"] for n in state.tables["notifications"].values() if n["user_id"] == session.user_id and not n["read"]]
    commands.append(MarkAllRead(contact_id="", notification_ids=unread))
    random.Random(3).shuffle(commands)
    assert len(commands) >= 300

    chaos(sandbox, True)
    try:
        for command in commands:
            await session.run(command, record=False)
        assert await session.settled(max(240, 2 * HANG_GUARD)), f"{session.outbox.pending} changes still waiting"
    finally:
        chaos(sandbox, False)
    await session.settled(HANG_GUARD)

    assert session.outbox.failed == 0 and session.outbox.conflicts == 0, [c.error for c, _ in session.outbox.review()]
    assert session.outbox.retried > 20 and session.outbox.reconciled > 0  # chaos did hit, and answers were lost
    texts = Counter(n["text"] for n in state.tables["notes"].values())
    assert all(texts[f"chaos note {i}"] == 1 for i in range(90)), "a note was lost or made twice"
    assert len(state.tables["notes"]) == notes_before + 90
    calls = Counter(c["text"] for c in state.tables["calls"].values())
    assert all(calls[f"chaos call {i}"] == 1 for i in range(40))
    actions = Counter(a["text"] for a in state.tables["actions"].values())
    assert all(actions[f"chaos action {i}"] == 1 for i in range(40))
    for cid, was in starred_before.items():
        assert state.tables["contacts"][cid].get("starred", False) is (not was)
    for i, cid in enumerate(contacts[:40]):
        assert state.tables["contacts"][cid]["tags"].count(f"chaos{i}") == 1
    for entry in with_next:
        assert state.tables["actions"][entry.next_action.id]["done"] is True
    for deal in deals:
        assert state.tables["deals"][deal["id"]]["stage"] == targets[deal["id"]]
    assert not [n for n in state.tables["notifications"].values() if n["user_id"] == session.user_id and not n["read"]]
    done = OutboxStore(tmp_path / "outbox.sqlite3").open()
    assert done.counts()[State.DONE] == len(commands) and done.head() is None
    done.close()
    await session.close()


async def test_a_create_whose_answer_is_lost_is_found_not_repeated(sandbox, spec_recorder, checked) -> None:
    session = await open_session(sandbox, spec_recorder)
    cid = session.entries[0].contact.id
    sandbox.options.lose_rate = 1.0  # every answer is lost, the writes are applied
    try:
        await session.run(AddNote(contact_id=cid, text="Only once"))
        await until(lambda: session.outbox.retried >= 1, "a retry after the lost answer")
    finally:
        sandbox.options.lose_rate = 0.0
    assert await session.settled(HANG_GUARD)
    notes = [n for n in sandbox.state.tables["notes"].values() if n["text"] == "Only once"]
    assert len(notes) == 1 and session.outbox.reconciled == 1
    await session.close()


async def test_two_equal_notes_each_find_their_own_after_lost_answers(sandbox, spec_recorder, checked) -> None:
    session = await open_session(sandbox, spec_recorder)
    cid = session.entries[0].contact.id
    sandbox.options.lose_rate = 1.0
    try:
        await session.run(AddNote(contact_id=cid, text="Twice on purpose"))
        await session.run(AddNote(contact_id=cid, text="Twice on purpose"))
        await until(lambda: session.outbox.retried >= 1, "a retry after the lost answer")
    finally:
        sandbox.options.lose_rate = 0.0
    assert await session.settled(HANG_GUARD)
    notes = [n for n in sandbox.state.tables["notes"].values() if n["text"] == "Twice on purpose"]
    assert len(notes) == 2
    await session.close()


async def test_offline_changes_wait_then_go_in_order_when_the_server_is_back(sandbox, spec_recorder, checked) -> None:
    session = await open_session(sandbox, spec_recorder)
    entry = next(e for e in session.entries if e.next_action is None and not e.queued_actions)
    cid = entry.contact.id
    errors: list = []
    session.outbox.subscribe(lambda e: errors.append(e.error) if e.error else None)
    sandbox.options.drop_rate = 1.0  # the network is gone
    try:
        await session.add_action(cid, "First", ActionStatus.ASAP)
        await session.mark_done(cid)
        await session.add_action(cid, "Second", ActionStatus.ASAP)
        await until(lambda: errors, "the first failed attempt")
        assert isinstance(errors[0], Offline)
        assert session.entry(cid).next_action.text == "Second" and session.outbox.pending == 3
    finally:
        sandbox.options.drop_rate = 0.0
    await session.outbox.wake()
    assert await session.settled(HANG_GUARD)
    mine = [a for a in sandbox.state.tables["actions"].values() if a["contact_id"] == cid]
    first = next(a for a in mine if a["text"] == "First")
    second = next(a for a in mine if a["text"] == "Second")
    assert first["done"] and not second["done"]  # the done reached "First" through its local id
    assert session.entry(cid).next_action.id == second["id"]
    await session.close()


async def test_a_change_naming_a_record_whose_creation_failed_fails_too(sandbox, spec_recorder, checked) -> None:
    session = await open_session(sandbox, spec_recorder)
    made = await session.backend.client.create_contact({"last_name": "Soon gone"})
    cid = made.contact.id
    session.outbox.pause("test")
    await session.add_action(cid, "Call", ActionStatus.QUEUED)
    await session.backend.client.delete_contact(cid)  # deleted in the web app meanwhile: the add is refused
    local = session.outbox.unsettled()[-1]
    await session.run(
        EditAction(contact_id=cid, action_id=local.local_id, changes=ActionChanges(text="Renamed"), previous=ActionChanges(text="x"))
    )
    session.outbox.resume()
    await session.settled(HANG_GUARD)
    reasons = [c.error for c, _ in session.outbox.review()]
    assert len(reasons) == 2 and "creation did not go through" in reasons[1]
    await session.close()


async def test_an_edit_of_a_record_changed_on_the_server_waits_for_a_choice(sandbox, spec_recorder, checked) -> None:
    session = await open_session(sandbox, spec_recorder)
    entry = next(e for e in session.entries if e.next_action is not None)
    cid, action = entry.contact.id, entry.next_action
    conflicts: list = []
    session.outbox.subscribe(lambda e: conflicts.append(e) if e.kind == CONFLICT else None)
    session.outbox.pause("offline for the test")
    await session.edit_action(cid, action, text="Mine")
    await session.backend.update_action(action.id, text="Theirs")  # someone edits it in the web app meanwhile
    session.outbox.resume()
    await session.settled(HANG_GUARD)
    assert len(conflicts) == 1 and "Theirs" in conflicts[0].change.detail and "Mine" in conflicts[0].change.detail
    assert sandbox.state.tables["actions"][action.id]["text"] == "Theirs"  # nothing overwritten yet
    assert session.entry(cid).next_action.text == "Theirs"  # the row shows the server's version meanwhile

    await session.outbox.retry(conflicts[0].change.id, force=True)  # "keep mine"
    await session.settled(HANG_GUARD)
    assert sandbox.state.tables["actions"][action.id]["text"] == "Mine"
    assert session.entry(cid).next_action.text == "Mine"
    await session.close()


async def test_keeping_the_servers_version_drops_mine(sandbox, spec_recorder, checked) -> None:
    session = await open_session(sandbox, spec_recorder)
    deal = next(d for d in sandbox.state.tables["deals"].values() if d["status"] == "pending" and d["stage"] == 25)
    session.outbox.pause("offline for the test")
    await session.run(UpdateDeal(
        contact_id=deal["contact_id"], deal_id=deal["id"], changes=DealChanges(stage=50), previous=DealChanges(stage=25),
        read_at=dt.datetime.fromisoformat(deal["modified_at"].replace("Z", "+00:00")),
    ))
    await session.backend.update_deal(deal["id"], stage=75)  # moved by a colleague meanwhile
    session.outbox.resume()
    await session.settled(HANG_GUARD)
    [(change, _command)] = session.outbox.review()
    assert change.state is State.CONFLICT and "75" in change.detail
    assert await session.outbox.discard(change.id)
    assert sandbox.state.tables["deals"][deal["id"]]["stage"] == 75 and not session.outbox.review()
    await session.close()


async def test_a_change_nobody_else_touched_is_not_a_conflict(sandbox, spec_recorder, checked) -> None:
    session = await open_session(sandbox, spec_recorder)
    entry = next(e for e in session.entries if e.next_action is not None)
    await session.edit_action(entry.contact.id, entry.next_action, text="First edit")
    await session.edit_action(entry.contact.id, entry.next_action.model_copy(update={"text": "First edit"}), text="Second edit")
    await session.settled(HANG_GUARD)
    assert not session.outbox.review()
    assert sandbox.state.tables["actions"][entry.next_action.id]["text"] == "Second edit"
    await session.close()


async def test_unsent_changes_survive_a_restart_and_show_again(sandbox, spec_recorder, tmp_path) -> None:
    path = tmp_path / "outbox.sqlite3"
    first = await open_session(sandbox, spec_recorder, path)
    first.outbox.pause("offline")
    entry = first.entries[0]
    cid, was = entry.contact.id, entry.contact.starred
    await first.toggle_star(cid)
    await first.close()  # quits with the change unsent

    second = await open_session(sandbox, spec_recorder, path)
    second.outbox.pause("still offline")
    await second.outbox.open()
    second.show_server_stream(list(second.entries))  # what a restart shows: the server's copy plus the change
    assert second.entry(cid).contact.starred is (not was) and second.outbox.pending == 1
    second.outbox.resume()
    second.outbox.start()
    assert await second.settled(HANG_GUARD)
    assert sandbox.state.tables["contacts"][cid].get("starred", False) is (not was)
    await second.close()


async def test_opening_twice_at_once_reads_the_unsent_changes_once(sandbox, spec_recorder, tmp_path) -> None:
    path = tmp_path / "outbox.sqlite3"
    first = await open_session(sandbox, spec_recorder, path)
    first.outbox.pause("offline")
    await first.toggle_star(first.entries[0].contact.id)
    await first.close()
    second = await open_session(sandbox, spec_recorder, path)
    await asyncio.gather(second.outbox.open(), second.outbox.open(), second.outbox.open())  # the app's start does
    assert second.outbox.pending == 1
    await second.close()


async def test_undo_racing_the_sender_either_takes_the_change_back_or_lets_it_go_never_both(sandbox, spec_recorder) -> None:
    session = await open_session(sandbox, spec_recorder)
    sandbox.options.latency_ms = 5
    outcomes = set()
    for i, entry in enumerate(session.entries[:12]):
        cid, was = entry.contact.id, entry.contact.starred
        command = ToggleStar(contact_id=cid, starred=not was)
        await session.run(command, record=False)
        await asyncio.sleep(0.002 * (i % 4))  # the sender is somewhere between picking it and sending it
        taken_back = await session.outbox.cancel(command)
        await session.settled(HANG_GUARD)
        on_server = sandbox.state.tables["contacts"][cid].get("starred", False) is (not was)
        assert taken_back is not on_server, f"cancel said {taken_back} but the server has it: {on_server}"
        outcomes.add(taken_back)
    await session.close()


async def test_text_that_looks_like_a_local_id_is_sent_as_it_is(sandbox, spec_recorder, checked) -> None:
    session = await open_session(sandbox, spec_recorder)
    cid = session.entries[0].contact.id
    await session.run(AddTag(contact_id=cid, tag="local-leads"))
    await session.run(AddNote(contact_id=cid, text="local-first, then the rest"))
    assert await session.settled(HANG_GUARD) and not session.outbox.review()
    assert "local-leads" in sandbox.state.tables["contacts"][cid]["tags"]
    assert any(n["text"] == "local-first, then the rest" for n in sandbox.state.tables["notes"].values())
    await session.close()


async def test_two_apps_on_one_profile_send_each_change_once(sandbox, spec_recorder, tmp_path) -> None:
    """Two crmtui on one profile: the one holding the claim sends the other's changes too, each
    lists the other's unsent ones, and when the sender quits the other takes over."""
    path = tmp_path / "outbox.sqlite3"
    first = await open_session(sandbox, spec_recorder, path)
    first.outbox.start()
    await until(lambda: first.outbox.store._lock_file is not None, "the first to claim the profile")
    second = await open_session(sandbox, spec_recorder, path)
    second.outbox.start()
    await until(lambda: not second.outbox.claimed, "the second to find the profile claimed")
    cid = first.entries[0].contact.id
    with sandbox.gate.hold("POST", "/api/v3/notes", stage="answer") as answers:
        await second.run(AddNote(contact_id=cid, text="from the second"))
        await answers.parked(1)  # the first sends the second's change: both list it meanwhile
        assert [k.text for _c, k in first.outbox.unsettled_changes()] == ["from the second"]  # type: ignore[attr-defined]
        assert second.outbox.pending == 1
        await first.run(AddNote(contact_id=cid, text="from the first"))
        await until(lambda: second.outbox.pending == 2, "the second to list the first's change")
        answers.release()
    assert await first.settled(HANG_GUARD) and await second.settled(HANG_GUARD)
    assert first.outbox.sent_count == 2 and second.outbox.sent_count == 0 and second.outbox.sent_elsewhere == 2
    await first.close()  # quits: the second takes over
    await until(lambda: second.outbox.store._lock_file is not None, "the second to take the profile over")
    await second.run(AddNote(contact_id=cid, text="after the first quit"))
    assert await second.settled(HANG_GUARD)
    texts = Counter(n["text"] for n in sandbox.state.tables["notes"].values())
    assert [texts[t] for t in ("from the first", "from the second", "after the first quit")] == [1, 1, 1]
    assert second.outbox.leaving_note() == ""
    await second.close()


async def test_a_change_taken_back_in_another_window_while_the_sender_checks_it_is_dropped_not_retried(
    sandbox, spec_recorder, tmp_path
) -> None:
    """The window that does not send takes a change back (u) while the sender is between picking it
    and marking it sending (its checks, a round trip): the sender drops it, once, and goes on with
    the next change; it must not try it again and again, holding up every later change."""
    path = tmp_path / "outbox.sqlite3"
    sender = await open_session(sandbox, spec_recorder, path)
    sender.outbox.start()
    await until(lambda: sender.outbox.store._lock_file is not None, "the sender to claim the profile")
    other = await open_session(sandbox, spec_recorder, path)
    other.outbox.start()
    await until(lambda: not other.outbox.claimed, "the other window to find the profile claimed")
    checking, checks = asyncio.Event(), Counter[str]()
    server_time = sender.outbox.backend.server_time

    async def held_server_time() -> dt.datetime:  # the sender's last check before marking it sending
        checks["server_time"] += 1
        await checking.wait()
        return await server_time()

    sender.outbox.backend.server_time = held_server_time  # type: ignore[method-assign]
    cid = sender.entries[0].contact.id
    taken_back = AddNote(contact_id=cid, text="taken back in the other window")
    await other.run(taken_back)
    await until(lambda: checks["server_time"] == 1, "the sender to be checking the other window's change")
    assert await other.outbox.cancel(taken_back)
    checking.set()
    await until(lambda: sender.outbox.pending == 0, "the sender to drop the change taken back")
    await sender.run(AddNote(contact_id=cid, text="made after it"))
    assert await sender.settled(HANG_GUARD)
    texts = Counter(n["text"] for n in sandbox.state.tables["notes"].values())
    assert (texts["taken back in the other window"], texts["made after it"]) == (0, 1)
    assert checks["server_time"] == 2  # one look at the change taken back, one at the next: no spinning
    await sender.close()
    await other.close()


async def test_quitting_says_whether_another_window_sends_what_is_left(sandbox, spec_recorder, tmp_path) -> None:
    path = tmp_path / "outbox.sqlite3"
    session = await open_session(sandbox, spec_recorder, path)
    session.outbox.hold("offline mode")
    cid = session.entries[0].contact.id
    for text in ("one", "two"):
        await session.run(AddNote(contact_id=cid, text=text))
    await session.outbox.stop()
    assert session.outbox.leaving_note() == "2 changes not sent yet: they are sent the next time crmtui starts"
    offline = await open_session(sandbox, spec_recorder, path, offline=True)  # it would never send them
    assert session.outbox.leaving_note() == "2 changes not sent yet: they are sent the next time crmtui starts"
    await offline.close()
    other = OutboxStore(path).open()
    other.join()  # another crmtui has the profile open
    assert session.outbox.leaving_note() == "2 changes not sent yet: the other crmtui window on this profile sends them"
    other.close()
    assert session.outbox.leaving_note().endswith("they are sent the next time crmtui starts")
    await session.close()


async def test_a_window_in_offline_mode_never_keeps_an_online_one_from_sending(sandbox, spec_recorder, tmp_path) -> None:
    path = tmp_path / "outbox.sqlite3"
    offline = await open_session(sandbox, spec_recorder, path)
    offline.outbox.hold("offline mode")
    offline.outbox.start()
    cid = offline.entries[0].contact.id
    await offline.run(AddNote(contact_id=cid, text="made offline"))
    online = await open_session(sandbox, spec_recorder, path)
    online.outbox.start()
    assert await online.settled(HANG_GUARD)
    await until(lambda: offline.outbox.pending == 0, "the offline window to see its change sent")
    assert Counter(n["text"] for n in sandbox.state.tables["notes"].values())["made offline"] == 1
    await online.close()
    await offline.close()


async def test_mark_all_read_asked_offline_leaves_what_arrived_since_unread(sandbox, spec_recorder) -> None:
    from crmtui.service.notifications import Inbox

    session = await open_session(sandbox, spec_recorder)
    inbox = Inbox(session)
    await inbox.load()
    session.outbox.pause("offline")
    assert await inbox.mark_all_read() == 6
    colleague = sandbox.users[1]
    client = OnePageCRMClient(colleague.user_id, colleague.api_key, base_url=sandbox.base_url, retry=FAST)
    cid = session.entries[0].contact.id
    await client.create_action({"contact_id": cid, "assignee_id": sandbox.user_id, "status": "queued", "text": "Later news"})
    await client.aclose()
    session.outbox.resume()
    assert await session.settled(HANG_GUARD)
    mine = [n for n in sandbox.state.tables["notifications"].values() if n["user_id"] == sandbox.user_id]
    unread = [n for n in mine if not n["read"]]
    assert len(unread) == 1 and "Later news" in str(unread[0])
    await session.close()


async def test_a_file_of_another_accounts_changes_is_set_aside_not_sent(sandbox, spec_recorder, tmp_path) -> None:
    path = tmp_path / "outbox.sqlite3"
    store = OutboxStore(path, owner="account-a").open()
    store.append("add_note", {"kind": "add_note", "contact_id": "x", "text": "for account a"}, subject="contact:x")
    store.close()
    again = OutboxStore(path, owner="account-b").open()
    assert again.changes() == [] and again.notice and "another account" in again.notice
    again.close()
    assert list(tmp_path.glob("outbox.sqlite3.damaged-*"))

"""The preview's deals are fetched once the cursor rests on a contact, by one worker fed the latest
contact while the cursor moves: not a worker per cursor step (each one a task, its state messages and
a sleep, on every row passed over while j is held)."""

from __future__ import annotations

import pytest
from textual.worker import Worker
from textual.worker_manager import WorkerManager

from crmtui.ui.app import CrmApp
from crmtui.ui.screens import stream
from tests.ui.conftest import WIDE, loaded, settled, wait_for
from tests.ui.stream_support import go_to, preview_text


async def test_moving_over_contacts_with_deals_starts_one_worker_and_fetches_nothing(
    make_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[Worker[object]] = []
    add_worker = WorkerManager.add_worker

    def counted(self: WorkerManager, worker: Worker[object], start: bool = True, exclusive: bool = True) -> None:
        if worker.group == "preview-deals":
            started.append(worker)
        add_worker(self, worker, start, exclusive)

    monkeypatch.setattr(WorkerManager, "add_worker", counted)
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await settled(pilot)
        session = app.session
        valued = [e for e in session.entries if e.contact.pending_deal and session.cached_pending_deals(e.contact.id) is None]
        assert len(valued) >= 4
        asked: list[str] = []
        pending_deals = session.pending_deals

        async def counted_deals(contact_id: str):  # type: ignore[no-untyped-def]
            asked.append(contact_id)
            return await pending_deals(contact_id)

        monkeypatch.setattr(session, "pending_deals", counted_deals)
        # The cursor never rests long enough while it moves here (the delay is a setting, not a wait).
        monkeypatch.setattr(stream, "DEALS_DELAY", 3600.0)
        for entry in valued[:3]:
            await go_to(pilot, entry.contact.id)
            assert "loading…" in preview_text(app)  # the total at once, the deals to come
        assert len(started) == 1 and started[0].is_running  # one worker for the three contacts
        assert asked == []  # and no request while the cursor moves

        # Once the cursor rests the contact under it is fetched (a worker for the next spell of moves).
        started[0].cancel()
        await wait_for(pilot, lambda: started[0].is_finished, what="the first worker to stop")
        monkeypatch.setattr(stream, "DEALS_DELAY", 0.0)
        last = valued[3]
        await go_to(pilot, last.contact.id)
        await wait_for(pilot, lambda: session.cached_pending_deals(last.contact.id) is not None, what="the deals")
        await wait_for(pilot, lambda: "loading…" not in preview_text(app), what="the deals in the preview")
        assert asked == [last.contact.id] and len(started) == 2
        await settled(pilot)  # and the worker ends once nothing more is wanted
        assert started[1].is_finished

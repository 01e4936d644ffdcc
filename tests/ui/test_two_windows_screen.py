"""The pending-changes screen of a window that does not send: another crmtui on the profile does.

The other window is a Session of its own on the same outbox file, in this process; it claims the
profile first, so it sends. The app lists the other's change, says who sends it, and drops it
from the list once the other window has sent it.
"""

from __future__ import annotations

from crmtui.backends.onepagecrm.adapter import OnePageCRMBackend
from crmtui.backends.onepagecrm.client import OnePageCRMClient
from crmtui.service import Session
from crmtui.service.contact_history import AddNote
from crmtui.service.outbox import Outbox
from crmtui.store import OutboxStore
from crmtui.ui.screens.changes import ChangesScreen

from .conftest import NARROW, loaded, wait_for
from .local_files_support import FAST, cells, files_app, owner, table


async def test_the_pending_changes_screen_lists_another_windows_change_and_follows_it(sandbox, tmp_path) -> None:
    path = tmp_path / "outbox.sqlite3"
    inner = OnePageCRMBackend(OnePageCRMClient(sandbox.user_id, sandbox.api_key, base_url=sandbox.base_url, retry=FAST))
    other = Session(inner, outbox=Outbox(inner, OutboxStore(path, owner=owner(sandbox)), base_delay=0.05, max_delay=0.3))
    await other.connect()
    await other.outbox.open()
    other.outbox.start()
    app = files_app(sandbox, path)
    held = sandbox.gate.hold("POST", "/api/v3/notes", stage="answer")
    try:
        async with app.run_test(size=NARROW) as pilot:
            await wait_for(pilot, lambda: other.outbox.store._lock_file is not None, what="the other window to claim the profile")
            await loaded(pilot)
            await pilot.press("5")
            assert isinstance(app.screen, ChangesScreen)
            contact_id = app.session.entries[0].contact.id
            await other.run(AddNote(contact_id=contact_id, text="from the other window"), record=False)
            await held.parked(1)
            await wait_for(pilot, lambda: table(app).row_count == 1, what="the other window's change to be listed")
            assert "the other crmtui window on this profile sends it" in cells(app, 0)[5]
            assert app.pending_changes == 1 and not app.session.outbox.claimed
            held.release()
            await wait_for(pilot, lambda: table(app).row_count == 0, what="the sent change to leave the list")
            assert app.pending_changes == 0
    finally:
        held.release()
        sandbox.gate.release()
        await other.close()
    notes = [n["text"] for n in sandbox.state.tables["notes"].values()]
    assert notes.count("from the other window") == 1

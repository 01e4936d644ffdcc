"""Screen 5 and set-aside outbox files: listed with why, sent on `r` once asked, or discarded on `x`.

A set-aside file (`outbox.sqlite3.damaged-<time>`) of this account is offered to send, all its
changes in their order; another account's is shown but only discarded. The sandbox is real.
"""

from __future__ import annotations


from crmtui.ui.widgets.footer import KeyFooter
from crmtui.ui.modals.pickers import ConfirmModal
from crmtui.ui.screens.changes import ChangesScreen

from .conftest import NARROW, loaded, settled, wait_for
from .local_files_support import cells, detail, files_app, header_text, server_notes, stream_contacts, table
from .stream_support import Notes
from tests.support.outbox_files import make_set_aside


async def test_set_aside_changes_are_listed_and_sent_in_order_with_r_once_asked(sandbox, tmp_path) -> None:
    path = tmp_path / "outbox.sqlite3"
    first, second = stream_contacts(sandbox, 2)
    kept = make_set_aside(path, None, [(first, "ui: first"), (second, "ui: second")])  # says no owner
    app = files_app(sandbox, path)
    notes = Notes(app)
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        await notes.wait(pilot, "2 unsent change(s) were set aside")
        assert "2 to review" in header_text(app)
        await settled(pilot)
        assert server_notes(sandbox, "ui:") == []  # nothing leaves before the person asks

        await pilot.press("5")
        assert isinstance(app.screen, ChangesScreen)
        assert [cells(app, i)[2] for i in range(2)] == ["set aside", "set aside"]
        assert [cells(app, i)[4] for i in range(2)] == ["Note: ui: first", "Note: ui: second"]
        assert "r sends them, in the order they were made" in detail(app)
        footer = {(key.key, key.description) for key in app.screen.query_one(KeyFooter).shown_keys()}
        assert {("r", "Send"), ("x", "Discard")} <= footer  # the keys, where the person looks
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="the question")
        assert "cannot tell which account" in app.screen.message
        await pilot.press("enter")
        await wait_for(pilot, lambda: server_notes(sandbox, "ui:") == ["ui: first", "ui: second"], what="both sent")
        await wait_for(pilot, lambda: table(app).row_count == 0, what="the list to empty")
        assert not kept.exists() and "to review" not in header_text(app)
    made = [n["text"] for n in sandbox.state.tables["notes"].values() if n["text"].startswith("ui:")]
    assert made == ["ui: first", "ui: second"]  # in the order they were made (the sandbox keeps creation order)


async def test_another_accounts_set_aside_changes_are_shown_but_only_discarded(sandbox, tmp_path) -> None:
    path = tmp_path / "outbox.sqlite3"
    [cid] = stream_contacts(sandbox, 1)
    kept = make_set_aside(path, "another-account", [(cid, "ui: not yours")])
    app = files_app(sandbox, path)
    notes = Notes(app)
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        await pilot.press("5")
        assert table(app).row_count == 1 and "another account" in cells(app, 0)[5]
        assert "made on another account" in detail(app) and "r sends" not in detail(app)
        await pilot.press("r")
        await notes.wait(pilot, "never sent to this one")
        assert isinstance(app.screen, ChangesScreen)  # nothing asked: there is nothing to confirm
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="the question")
        await pilot.press("enter")
        await wait_for(pilot, lambda: table(app).row_count == 0, what="the file to go")
        assert not kept.exists() and "Nothing waits" in detail(app)
        await settled(pilot)
    assert server_notes(sandbox, "ui:") == []


async def test_the_help_screen_tells_how_to_send_or_discard_set_aside_changes(sandbox, tmp_path) -> None:
    app = files_app(sandbox, tmp_path / "outbox.sqlite3")
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        rows = dict(app.help_sections())["Pending changes"]
        described = {keys: text for keys, text in rows}
        assert "set-aside" in described["r"] and "set-aside" in described["x / Delete"]

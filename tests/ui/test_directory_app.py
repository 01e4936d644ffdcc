"""The app reads the account's directory once the first screen is loaded (when it refreshes at all), and
find anyone then lists a contact outside the stream as kept here without asking the server; quitting
stops the read."""

from __future__ import annotations

from crmtui.service.directory import directory_for
from crmtui.ui.app import CrmApp

from .conftest import WIDE, loaded, wait_for
from .test_find_contact import listed, listed_ids, open_finder, outsider, status


async def test_the_directory_is_read_after_the_first_screen_and_the_finder_uses_it(make_app, sandbox) -> None:
    other = outsider(sandbox)
    app: CrmApp = make_app(refresh_seconds=3600)
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        directory = directory_for(app.session)
        assert directory is not None
        await wait_for(pilot, lambda: directory.complete, what="the directory's first read")
        assert app.session.entry(other["id"]) is None and other["id"] in directory.rows
        modal = await open_finder(pilot)
        await pilot.press(*f"{other['first_name']} {other['last_name']}")
        await wait_for(pilot, lambda: other["id"] in listed_ids(modal), what="the contact kept here")
        assert "not in your stream" in listed(modal)[listed_ids(modal).index(other["id"])]
        assert "kept here" in status(modal) and "server" not in status(modal)
        task = directory._task
        assert task is not None
    assert task.done()  # stopped on quit (or done before)


async def test_an_app_that_refreshes_nothing_reads_no_directory(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        directory = directory_for(app.session)
        assert directory is not None and directory._task is None and not directory.kept

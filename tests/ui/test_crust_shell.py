"""The app on Crust before its own screens exist: it starts, connects, and says what it has.

The top-level screens come from the backend's capabilities: Crust serves modules and records, which no
screen shows yet, so the app opens on the screens every backend has (pending changes), says which
those are and what has no screen yet, a number key of a missing screen says so, and nothing crashes.
A token that runs out within a day is warned of after sign-in.
"""

from __future__ import annotations

from crmtui.backends.registry import Connection, create_backend
from crmtui.ui.screens.changes import ChangesScreen

from .conftest import loaded, on_backend, settled, wait_for


def crust_app(sandbox, token: str | None = None):
    jwt = token or sandbox.token
    backend = create_backend(Connection(backend="crust", base_url=sandbox.base_url, user_id="", api_key=jwt))
    return on_backend(backend)


def messages(app) -> list[str]:
    return [n.message for n in app._notifications]


async def test_crust_starts_on_the_screens_it_has_and_says_so(crust_sandbox) -> None:
    app = crust_app(crust_sandbox)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await settled(pilot)
        assert app.connected and isinstance(app.screen, ChangesScreen)
        assert [top.mode for top in app.top_level] == ["changes"]
        assert crust_sandbox.user_id in app.account_label
        await wait_for(pilot, lambda: any("Screens" == n.title for n in app._notifications), what="the screens said")
        said = next(n.message for n in app._notifications if n.title == "Screens")
        assert "5 Pending changes" in said and "modules and records have no screen here yet" in said
        for key in "1234":
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, ChangesScreen)
        assert any("no such screen (key 1). Its screens: 5 Pending changes" in m for m in messages(app))
        assert not [n for n in app._notifications if n.severity == "error"]
        assert not any("expires" in m for m in messages(app))  # 3600 minutes left


async def test_a_token_running_out_within_a_day_is_warned_of(crust_sandbox) -> None:
    app = crust_app(crust_sandbox, crust_sandbox.issue_token(minutes=600))  # the app's frozen clock is the sandbox's
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await wait_for(pilot, lambda: any("token expires at" in m for m in messages(app)), what="the token's warning")
        assert app.connected

"""The app on Crust: it starts, connects, and opens on the screens it has.

The top-level screens come from the backend's capabilities: the app opens on the first of those Crust
has, a number key of a screen Crust lacks says so (naming those it has), and nothing crashes.
A token that runs out within a day is warned of after sign-in.
"""

from __future__ import annotations

from crmtui.backends.registry import Connection, create_backend
from crmtui.ui.app import TOP_LEVEL
from crmtui.ui.screens.changes import ChangesScreen
from crmtui.ui.widgets.header import AppHeader

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
        first = app.top_level[0]
        assert app.connected and type(app.screen) is first.screen
        modes = [top.mode for top in app.top_level]
        assert {"pages", "changes", "jobs"} <= set(modes) and not {"stream", "leads", "team", "teams"} & set(modes)
        # The token names the user by a number; the records read at start (no request of its own) by name.
        assert app.account_label.startswith(f"user …{crust_sandbox.user_id[-4:]} · Crust · 127.0.0.1")
        await wait_for(pilot, lambda: "Alex Morgan · Crust · 127.0.0.1" in str(app.screen.query_one(AppHeader).render()),
                       what="the user's name in the header")
        assert crust_sandbox.user_id not in str(app.screen.query_one(AppHeader).render())
        keys = {top.key for top in app.top_level}
        missing = next(key for key in "123456789" if key not in keys and any(t.key == key for t in TOP_LEVEL))
        await pilot.press(missing)
        await pilot.pause()
        assert type(app.screen) is first.screen
        assert any(f"no such screen (key {missing}). Its screens: " in m for m in messages(app))
        await pilot.press("5")
        await pilot.pause()
        assert isinstance(app.screen, ChangesScreen)
        assert not [n for n in app._notifications if n.severity == "error"]
        assert not any("expires" in m for m in messages(app))  # 3600 minutes left


async def test_a_token_running_out_within_a_day_is_warned_of(crust_sandbox) -> None:
    app = crust_app(crust_sandbox, crust_sandbox.issue_token(minutes=600))  # the app's frozen clock is the sandbox's
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await wait_for(pilot, lambda: any("token expires at" in m for m in messages(app)), what="the token's warning")
        assert app.connected

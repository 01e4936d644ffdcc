"""The next-action form after d (and n, e): quick dates one key each, Enter in the text saves, and the
hint under the form names exactly the keys that work where the focus is, each doing what it says."""

from __future__ import annotations

import datetime as dt

from textual.widgets import Static

from crmtui.domain.formatting import contact_name
from crmtui.domain.models import ActionStatus
from crmtui.ui.app import CrmApp
from crmtui.ui.modals.next_action import NextActionModal
from crmtui.ui.screens.stream import ActionStreamScreen

from .conftest import NARROW, settled
from .stream_support import TODAY, entry_of, go_to, plain_with_next, server_entry, start, without_any_action

QUICK = [TODAY + dt.timedelta(days=n) for n in (0, 1, 3, 7, 14)] + [dt.date(2026, 4, 10)]
"""The sandbox account's quick dates from 10/03/2026: Today, Tomorrow, +3 days, +1 week, +2 weeks, +1 month."""


def form(app: CrmApp) -> NextActionModal:
    assert isinstance(app.screen, NextActionModal)
    return app.screen


def hint(app: CrmApp) -> str:
    return str(form(app).query_one("#action-hint", Static).render())


def field(app: CrmApp, selector: str) -> str:
    return form(app).query_one(selector).value  # type: ignore[attr-defined, no-any-return]


def shown_date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


async def test_after_d_the_text_hint_is_true_tab_then_a_digit_picks_a_quick_date_and_enter_saves(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await start(pilot)
        target = plain_with_next(app)
        cid = target.contact.id
        await go_to(pilot, cid)
        await pilot.press("d")
        assert app.focused is not None and app.focused.id == "action-text"
        assert hint(app) == "Enter save · Tab then 1–6 quick date · Esc no next action (done stays)"
        assert [str(b.label) for b in form(app).query("#quick-dates Button")][:2] == ["1 Today", "2 Tomorrow"]
        await pilot.press(*"Send quote 3")  # digits in the text are text
        assert field(app, "#action-text") == "Send quote 3" and field(app, "#action-date") == shown_date(TODAY)
        await pilot.press("tab")  # "Tab then 1–6": one digit is the date, and the focus is back in the text
        assert app.focused.id == "action-status"
        await pilot.press("3")
        assert field(app, "#action-date") == shown_date(QUICK[2]) and app.focused.id == "action-text"
        await pilot.press("enter")  # "Enter save"
        assert isinstance(app.screen, ActionStreamScreen)
        await settled(pilot)
        server = (await server_entry(api, cid)).next_action
        assert (server.text, server.status, server.date) == ("Send quote 3", ActionStatus.DATE, QUICK[2])


async def test_esc_after_d_does_what_the_hint_says_the_done_stays_and_no_next_action(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        notes, _ = await start(pilot)
        target = plain_with_next(app)
        cid, done_id, name = target.contact.id, target.next_action.id, contact_name(target.contact)
        await go_to(pilot, cid)
        await pilot.press("d")
        assert hint(app).endswith("Esc no next action (done stays)")
        await pilot.press("escape")
        assert isinstance(app.screen, ActionStreamScreen)
        await notes.wait(pilot, f"{name} has no next action")
        await settled(pilot)
        assert entry_of(app, cid).next_action is None
        server = await server_entry(api, cid)
        assert server is None or server.next_action is None
        done = next(a for a in await api.contact_actions(cid) if a.id == done_id)
        assert done.done  # "done stays"


async def test_every_focus_has_its_hint_and_every_key_in_it_works(make_app, api) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        _, requests = await start(pilot)
        target = without_any_action(app)
        cid = target.contact.id
        await go_to(pilot, cid)
        await pilot.press("n", *"Visit")
        modal = form(app)
        assert hint(app) == "Enter save · Tab then 1–6 quick date · Esc cancel"

        # the status: 1–6 quick date · ←/→ Enter status · ctrl+s save · Tab next · Esc cancel
        await pilot.press("tab")
        assert hint(app) == "1–6 quick date · ←/→ Enter status · ctrl+s save · Tab next · Esc cancel"
        for key, day in zip("654321", reversed(QUICK), strict=True):
            await pilot.press(key)
            assert field(app, "#action-date") == shown_date(day), key
            assert app.focused.id == "action-text"
            await pilot.press("tab")
        await pilot.press("7")  # no seventh quick date: nothing happens
        assert field(app, "#action-date") == shown_date(QUICK[0]) and app.focused.id == "action-status"
        await pilot.press("right", "enter")
        assert modal._status() is ActionStatus.DATE_TIME
        await pilot.press("left", "enter")
        assert modal._status() is ActionStatus.DATE

        await pilot.press("tab")  # the date: Enter save · today, tomorrow, +3 or a date · Tab next
        assert app.focused.id == "action-date"
        assert hint(app) == "Enter save · today, tomorrow, +3 or a date · Tab next · Esc cancel"
        await pilot.press("tab")  # the time: Enter save · 14:30 or 2pm · Tab next
        assert app.focused.id == "action-time"
        assert hint(app) == "Enter save · 14:30 or 2pm · Tab next · Esc cancel"
        await pilot.press("tab")  # the saved actions: 1–6 quick date · ↑/↓ Enter use it · ctrl+s save
        assert app.focused.id == "predefined"
        assert hint(app) == "1–6 quick date · ↑/↓ Enter use it · ctrl+s save · Tab next · Esc cancel"
        await pilot.press("shift+tab", "shift+tab", "shift+tab", "ctrl+s")  # ctrl+s from the status saves
        assert isinstance(app.screen, ActionStreamScreen)
        await settled(pilot)
        server = (await server_entry(api, cid)).next_action
        assert (server.text, server.date) == ("Visit", TODAY)

        # the saved actions' keys, the date field's Enter, and Esc cancel on a form left as it opened
        account = app.session.account
        assert account is not None
        await pilot.press("n")
        await pilot.press("shift+tab")
        assert app.focused.id == "predefined"
        await pilot.press("down", "enter")  # "↑/↓ Enter use it": its text and date, back in the text
        picked = account.predefined_actions[1]
        assert field(app, "#action-text") == picked.text and app.focused.id == "action-text"
        await pilot.press("shift+tab", "2")  # "1–6 quick date" from the saved actions
        assert field(app, "#action-date") == shown_date(QUICK[1])
        await pilot.press("tab", "tab", "ctrl+a", "ctrl+k", *"+3", "enter")  # Enter in the date saves
        assert isinstance(app.screen, ActionStreamScreen)
        await settled(pilot)
        assert [(a.text, a.date) for a in entry_of(app, cid).queued_actions] == [(picked.text, QUICK[2])]

        writes = len(requests.writes())
        await pilot.press("e", "escape")  # Esc cancel: the form closes, nothing is sent
        assert isinstance(app.screen, ActionStreamScreen)
        await settled(pilot)
        assert len(requests.writes()) == writes

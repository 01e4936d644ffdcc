"""Goals (Pipedrive, screen 3) on the real Pipedrive sandbox and client over loopback: the goals with
their progress per period as the sandbox counts it, the pace of today, stepping through periods,
everyone's goals, the table, and new, edit and delete through the outbox."""

from __future__ import annotations

import datetime as dt

from textual.widgets import Input, Select

from crmtui.domain.goals import period_containing, shift_period
from crmtui.sandbox.pipedrive import goals as sandbox_goals
from crmtui.ui.app import CrmApp
from crmtui.ui.modals.goal_form import GoalFormModal
from crmtui.ui.modals.pickers import ConfirmModal
from crmtui.ui.screens.goals import GoalsScreen
from crmtui.ui.widgets.header import AppHeader

from .conftest import NARROW, NOW, WIDE, loaded, settled, wait_for

ME = 12000001


def goals_screen(app: CrmApp) -> GoalsScreen:
    screen = app.screen
    assert isinstance(screen, GoalsScreen), screen
    return screen


def counted(sandbox, goal_id: str, start: dt.date, end: dt.date) -> int:
    doc = sandbox.state.tables["goals"][goal_id]
    return sandbox_goals.progress(sandbox.state, doc, start.isoformat(), end.isoformat())


def option_texts(app: CrmApp) -> list[str]:
    lst = goals_screen(app).goal_list
    return [str(lst.get_option_at_index(i).prompt) for i in range(lst.option_count)]


async def open_goals(pilot) -> GoalsScreen:
    await loaded(pilot)
    await settled(pilot)
    await pilot.press("3")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, GoalsScreen), what="the goals screen")
    screen = goals_screen(pilot.app)
    await wait_for(pilot, lambda: screen.board.loaded and not screen.board.missing(), what="goals and progress")
    await settled(pilot)
    return screen


async def test_3_shows_my_goals_with_the_progress_the_sandbox_counts_and_todays_pace(make_pipedrive_app, pipedrive) -> None:
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_goals(pilot)
        board = screen.board
        docs = pipedrive.state.tables["goals"]
        mine = {
            gid for gid, d in docs.items()
            if (d["owner_id"] == ME or d["assignee"] == {"id": ME, "type": "person"})
            and (d["duration"]["end"] is None or d["duration"]["end"] >= "2026-03-10")
        }
        assert {g.id for g in board.items} == mine and mine
        for goal in board.items:
            span = period_containing(NOW.date(), goal.interval)
            found = board.progress_of(goal)
            assert found is not None and found.progress == counted(pipedrive, goal.id, span.start, span.end), goal.title
        assert app.screen.query_one(AppHeader).title == f"My goals · {len(mine)}"
        texts = option_texts(app)
        deals_won = next(t for t in texts if t.startswith("Deals won"))
        assert "Mar 2026" in deals_won and "% of 5 deals" in deals_won and "pace 32%" in deals_won  # 10 of 31 days
        assert "▕" in deals_won and "┃" in deals_won and "monthly" in deals_won
        revenue = next(t for t in texts if t.startswith("Company revenue"))
        assert "Company" in revenue and "Q1 2026" in revenue and "of 250,000" in revenue and "pace 77%" in revenue  # 69 of 90


async def test_brackets_step_every_goal_through_its_periods(make_pipedrive_app, pipedrive) -> None:
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_goals(pilot)
        board = screen.board
        await pilot.press("left_square_bracket", "left_square_bracket")
        await wait_for(pilot, lambda: not board.missing(), what="the earlier periods' progress")
        await settled(pilot)
        assert board.steps == -2
        for goal in board.items:
            span = shift_period(period_containing(NOW.date(), goal.interval), goal.interval, -2)
            found = board.progress_of(goal)
            assert found is not None and (found.start, found.end) == (span.start, span.end)
            assert found.progress == counted(pipedrive, goal.id, span.start, span.end)
            assert board.pace(goal) == 1.0  # a period gone by: all of it should be done
        assert any("Jan 2026" in text for text in option_texts(app))
        assert "2 periods back" in str(screen.query_one("#goals-bar").render())
        await pilot.press("right_square_bracket", "right_square_bracket", "right_square_bracket")
        await wait_for(pilot, lambda: not board.missing(), what="the next periods' progress")
        assert board.steps == 1 and all(board.pace(g) == 0.0 for g in board.items)  # not started yet
        await pilot.press("full_stop")
        await settled(pilot)
        assert board.steps == 0 and any("Mar 2026" in text for text in option_texts(app))


async def test_o_shows_everyones_goals_and_t_the_table(make_pipedrive_app, pipedrive) -> None:
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_goals(pilot)
        assert not any(g.title == "Calls done" for g in screen.board.items)  # the other user's
        await pilot.press("o")
        await wait_for(pilot, lambda: screen.board.loaded and not screen.board.missing(), what="everyone's goals")
        await settled(pilot)
        assert any(g.title == "Calls done" for g in screen.board.items)
        assert app.screen.query_one(AppHeader).title.startswith("Everyone's goals")
        await pilot.press("t")
        await settled(pilot)
        table = screen.goal_table
        assert table.display and not screen.goal_list.display
        assert [g.id for g in table.items] == [g.id for g in screen.board.items]
        await pilot.press("t")
        await settled(pilot)
        assert screen.goal_list.display and not table.display


async def test_n_makes_a_goal_e_edits_it_and_delete_asks_then_deletes_it(make_pipedrive_app, pipedrive) -> None:
    app: CrmApp = make_pipedrive_app()
    docs = pipedrive.state.tables["goals"]
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_goals(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, GoalFormModal), what="the goal form")
        form = app.screen
        form.query_one("#goal-title", Input).value = "Demos booked"
        form.query_one("#goal-type", Select).value = "activities_added"
        form.query_one("#goal-interval", Select).value = "weekly"
        form.query_one("#goal-target", Input).value = "12"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, GoalsScreen), what="the form to close")
        await wait_for(pilot, lambda: any(d["title"] == "Demos booked" for d in docs.values()), what="the goal made")
        await settled(pilot)
        [made] = [d for d in docs.values() if d["title"] == "Demos booked"]
        assert made["type"]["name"] == "activities_added" and made["interval"] == "weekly"
        assert made["assignee"] == {"id": ME, "type": "person"} and made["expected_outcome"]["target"] == 12
        assert made["duration"] == {"start": "2026-03-01", "end": None}
        await wait_for(pilot, lambda: not screen.board.missing(), what="its progress")
        ids = [g.id for g in screen.board.items]
        screen.goal_list.highlighted = ids.index(made["id"])
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, GoalFormModal), what="the edit form")
        app.screen.query_one("#goal-target", Input).value = "15"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: docs[made["id"]]["expected_outcome"]["target"] == 15, what="the edit sent")
        await settled(pilot)
        assert any("of 15 activities" in text for text in option_texts(app))
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="the question")
        assert "cannot undo" in app.screen.message and "Demos booked" in app.screen.message
        await pilot.press("n")  # no: nothing deleted
        await settled(pilot)
        assert made["id"] in docs
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="the question again")
        await pilot.press("y")
        await wait_for(pilot, lambda: made["id"] not in docs, what="the goal deleted")
        await settled(pilot)
        assert made["id"] not in [g.id for g in screen.board.items]

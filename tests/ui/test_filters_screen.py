"""Saved filters (Pipedrive, screen 7) on the real Pipedrive sandbox and client over loopback: the
filters by type with owner and visibility, the conditions of the one under the cursor, Enter showing
a leads filter's leads on the inbox, the builder (fields from the account's lead fields, operators
from /filters/helpers, at most 16 conditions) making and editing filters, and marked filters deleted
in one request after asking."""

from __future__ import annotations

from textual.widgets import Input, OptionList, Static

from crmtui.domain.filters import FilterCondition, FilterConditions
from crmtui.sandbox.pipedrive.routes import lead_matches
from crmtui.ui.app import CrmApp
from crmtui.ui.modals.filter_builder import ChoiceModal, ConditionList, FilterBuilderModal
from crmtui.ui.modals.pickers import ConfirmModal
from crmtui.ui.modals.text_prompt import TextPromptModal
from crmtui.ui.screens.filters import FiltersScreen
from crmtui.ui.screens.leads import LeadsScreen
from crmtui.ui.widgets.header import AppHeader

from .conftest import NARROW, NOW, WIDE, loaded, settled, wait_for


def filters_screen(app: CrmApp) -> FiltersScreen:
    screen = app.screen
    assert isinstance(screen, FiltersScreen), screen
    return screen


def docs(sandbox) -> dict[str, dict]:
    return dict(sandbox.state.tables["filters"])


def pane(app: CrmApp) -> str:
    return str(filters_screen(app).query_one("#filter-detail", Static).render())


async def open_filters(pilot) -> FiltersScreen:
    await loaded(pilot)
    await settled(pilot)
    await pilot.press("7")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, FiltersScreen), what="the filters screen")
    screen = filters_screen(pilot.app)
    await wait_for(pilot, lambda: screen.board.loaded and screen.board.helpers is not None, what="the filters")
    await settled(pilot)
    return screen


async def cursor_to(pilot, screen: FiltersScreen, name: str) -> None:
    assert screen.filter_list.select_key(next(f.id for f in screen.board.items if f.name == name))
    await wait_for(pilot, lambda: "Reading" not in pane(pilot.app), what=f"the conditions of {name}")
    await settled(pilot)


async def pick(pilot, choice: str) -> None:
    """In the ChoiceModal on top: the option `choice` (its id), then Enter."""
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ChoiceModal), what="a choice")
    options = pilot.app.screen.query_one(OptionList)
    ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
    options.highlighted = ids.index(choice)
    await pilot.press("enter")


async def type_value(pilot, text: str) -> None:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, TextPromptModal), what="the value prompt")
    pilot.app.screen.query_one(Input).value = text
    await pilot.press("enter")


async def test_7_lists_the_filters_by_type_with_owner_visibility_and_conditions(make_pipedrive_app, pipedrive) -> None:
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_filters(pilot)
        items = screen.board.items
        assert {f.name for f in items} == {d["name"] for d in docs(pipedrive).values()}
        assert [f.type for f in items] == sorted((f.type for f in items), key=lambda t: t != "leads")  # leads first
        assert items[-1].name == "Big deals"
        assert app.screen.query_one(AppHeader).title == f"Filters · {len(items)}"
        await cursor_to(pilot, screen, "Acme or Nova")
        text = pane(app)
        assert "Acme or Nova" in text and "Leads filter · by Alex Morgan · visible to everyone" in text
        assert "All of: (none)" in text and "Any of:\n  • Title contains Acme\n  • Title contains Nova" in text
        await cursor_to(pilot, screen, "Hot leads")
        assert "All of:\n  • Labels is Hot" in pane(app)  # the label's name, not its id
        await cursor_to(pilot, screen, "My open leads")
        assert "  • Owner is Alex Morgan" in pane(app)
        await cursor_to(pilot, screen, "Big deals")
        assert "Deals filters are shown here only" in pane(app)


async def test_enter_shows_a_leads_filters_leads_on_the_inbox(make_pipedrive_app, pipedrive) -> None:
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_filters(pilot)
        await cursor_to(pilot, screen, "Worth over 20,000")
        chosen = screen.filter_list.selected
        assert chosen is not None
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, LeadsScreen), what="the inbox")
        inbox = app.session.leads
        await wait_for(pilot, lambda: inbox.loaded, what="the filter's leads")
        await settled(pilot)
        assert inbox.filter is not None and inbox.filter.id == chosen.id
        conds = docs(pipedrive)[chosen.id]["_conditions"]
        expected = {
            lid for lid, lead in pipedrive.state.tables["leads"].items()
            if not lead["is_archived"] and lead_matches(lead, conds, NOW.date())
        }
        assert {lead.id for lead in inbox.items} == expected and expected
        await pilot.press("7")
        await wait_for(pilot, lambda: isinstance(app.screen, FiltersScreen), what="the filters again")
        await cursor_to(pilot, filters_screen(app), "Big deals")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, FiltersScreen)  # a deals filter does not apply to the inbox


async def test_the_builder_makes_a_filter_from_fields_operators_and_values(make_pipedrive_app, pipedrive) -> None:
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_filters(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, FilterBuilderModal), what="the builder")
        builder = app.screen
        assert isinstance(builder, FilterBuilderModal)
        await pilot.press(*"Big Acme")
        await pilot.press("ctrl+s")
        await pilot.pause()
        error = str(builder.query_one(".form-error", Static).render())
        assert "at least one condition" in error and isinstance(app.screen, FilterBuilderModal)
        builder.query_one(ConditionList).focus()
        await pilot.press("a")
        await pick(pilot, "value")
        await wait_for(pilot, lambda: isinstance(app.screen, ChoiceModal) and "Value" in app.screen.heading, what="operators")
        operators = app.screen.query_one(OptionList)
        labels = [str(operators.get_option_at_index(i).prompt) for i in range(operators.option_count)]
        assert "is more than" in labels and "contains" not in labels  # a monetary field's operators
        await pick(pilot, ">")
        await type_value(pilot, "20,000")
        await wait_for(pilot, lambda: app.screen is builder, what="back in the builder")
        await pilot.press("o")
        await pick(pilot, "title")
        await pick(pilot, "LIKE '%$%'")
        await type_value(pilot, "Acme")
        await wait_for(pilot, lambda: app.screen is builder, what="back in the builder")
        await pilot.press("o")
        await pick(pilot, "owner_id")
        await pick(pilot, "=")
        await pick(pilot, "12000118")  # a colleague, picked by name
        await wait_for(pilot, lambda: app.screen is builder, what="back in the builder")
        assert builder.conditions() == FilterConditions(
            all_of=[FilterCondition(field_id="value", operator=">", value=20000)],
            any_of=[FilterCondition(field_id="title", operator="LIKE '%$%'", value="Acme"),
                    FilterCondition(field_id="owner_id", operator="=", value=12000118)],
        )
        assert "Conditions: 3 of at most 16" in str(builder.query_one("#filter-count", Static).render())
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, FiltersScreen), what="the builder closed")
        await settled(pilot)
        made = [d for d in docs(pipedrive).values() if d["name"] == "Big Acme"]
        assert len(made) == 1 and made[0]["type"] == "leads"
        assert made[0]["_conditions"] == builder.conditions().to_wire()
        shown = next(f for f in screen.board.items if f.name == "Big Acme")
        assert shown.id == str(made[0]["id"]) and not screen.board.pending(shown.id)


async def test_sixteen_conditions_at_most_the_builder_says_so(make_pipedrive_app, pipedrive) -> None:
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=NARROW) as pilot:
        screen = await open_filters(pilot)
        account = app.session.account
        assert account is not None
        full = FilterConditions(all_of=[FilterCondition(field_id="value", operator=">", value=n) for n in range(16)])
        builder = FilterBuilderModal(account, screen.board.helpers, None, full)
        await app.push_screen(builder)
        builder.query_one(ConditionList).focus()
        await pilot.press("o")
        await pilot.pause()
        assert app.screen is builder  # no field picker: it is full
        assert "at most 16 conditions" in str(builder.query_one(".form-error", Static).render())
        assert "(full)" in str(builder.query_one("#filter-count", Static).render())
        await pilot.press("delete")  # one removed: room for another
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, ChoiceModal), what="the field picker")


async def test_edit_renames_and_changes_conditions_and_delete_removes_marked_ones_in_one_go(make_pipedrive_app, pipedrive) -> None:
    app: CrmApp = make_pipedrive_app()
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_filters(pilot)
        await cursor_to(pilot, screen, "Acme or Nova")
        saved = screen.filter_list.selected
        assert saved is not None
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, FilterBuilderModal), what="the builder")
        builder = app.screen
        assert isinstance(builder, FilterBuilderModal)
        name = builder.query_one("#filter-name", Input)
        assert name.value == "Acme or Nova"
        name.value = "Acme only"
        builder.query_one(ConditionList).focus()
        lst = builder.query_one(ConditionList)
        lst.highlighted = next(i for i in range(lst.option_count) if lst.get_option_at_index(i).id == "any:1")
        await pilot.press("delete")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, FiltersScreen), what="the builder closed")
        await settled(pilot)
        doc = docs(pipedrive)[saved.id]
        assert doc["name"] == "Acme only"
        assert [c["value"] for c in doc["_conditions"]["conditions"][1]["conditions"]] == ["Acme"]
        assert "Any of:\n  • Title contains Acme" in pane(app) and "Nova" not in pane(app)

        before = set(docs(pipedrive))
        for name_ in ("No value", "Hot leads"):
            await cursor_to(pilot, screen, name_)
            await pilot.press("space")
        assert len(screen.board.marked) == 2
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="the question")
        assert "Pipedrive cannot undo this" in str(app.screen.query_one(".dialog-message").render())
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, FiltersScreen), what="the answer")
        await settled(pilot)
        assert len(before - set(docs(pipedrive))) == 2
        assert not {"No value", "Hot leads"} & {d["name"] for d in docs(pipedrive).values()}
        assert not {"No value", "Hot leads"} & {f.name for f in screen.board.items} and not screen.board.marked

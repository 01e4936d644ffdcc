"""The modules screen (Crust, screen 2) on the Crust sandbox over loopback: the modules with their record
counts and the fields of the one under the cursor; a new module and an edit of its fields made in the
form, sent only after a confirmation that says what changes; a delete that says what becomes of the
records; the records screen's columns follow an edit."""

from __future__ import annotations

from textual.widgets import Checkbox, Input, Select, Static

from crmtui.backends.registry import Connection, create_backend
from crmtui.ui.app import CrmApp
from crmtui.ui.modals.module_form import FieldFormModal, ModuleFormModal
from crmtui.ui.modals.pickers import ConfirmModal
from crmtui.ui.screens.modules import ModulesScreen
from crmtui.ui.screens.records import RecordsScreen

from .conftest import WIDE, loaded, on_backend, settled, wait_for


def crust_app(sandbox) -> CrmApp:
    backend = create_backend(Connection(backend="crust", base_url=sandbox.base_url, user_id="", api_key=sandbox.token))
    return on_backend(backend)


def stored(sandbox, name: str) -> list[dict]:
    return [m for m in sandbox.state.tables["modules"].values() if m["name"] == name]


def records_of(sandbox, module_id: str) -> int:
    return sum(1 for r in sandbox.state.tables["contents"].values() if r["moduleID"] == module_id and not r.get("deletedAt"))


async def open_modules(pilot) -> ModulesScreen:
    await loaded(pilot)
    await settled(pilot)
    await pilot.press("2")
    app = pilot.app
    assert isinstance(app.screen, ModulesScreen), app.screen
    await wait_for(pilot, lambda: app.session.modules.loaded and len(app.session.modules.counts) == len(app.session.modules.items), what="the modules and their counts")
    await settled(pilot)
    return app.screen


async def pick(pilot, screen: ModulesScreen, name: str) -> None:
    screen.module_list.select_key(next(m.id for m in pilot.app.session.modules.items if m.name == name))
    await settled(pilot)


def message(app: CrmApp) -> str:
    assert isinstance(app.screen, ConfirmModal), app.screen
    return str(app.screen.query_one(".dialog-message", Static).render())


async def test_the_modules_with_their_counts_and_the_fields_of_the_one_under_the_cursor(crust_sandbox) -> None:
    app = crust_app(crust_sandbox)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_modules(pilot)
        browser = app.session.modules
        assert [m.name for m in screen.module_list.items] == ["Account", "Case", "Contact", "Lead", "Opportunity"]
        for module in browser.items:
            assert browser.counts[module.id] == records_of(crust_sandbox, module.id)
        await pick(pilot, screen, "Opportunity")
        assert [f.name for f in screen.field_list.items] == [f["name"] for f in stored(crust_sandbox, "Opportunity")[0]["fields"]]
        title = str(screen.query_one("#module-fields-title", Static).render())
        assert title.startswith("Opportunity · ") and "records" in title


async def test_a_new_module_is_made_in_the_form_after_a_confirmation(crust_sandbox) -> None:
    app = crust_app(crust_sandbox)
    async with app.run_test(size=WIDE) as pilot:
        await open_modules(pilot)
        await pilot.press("n")
        assert isinstance(app.screen, ModuleFormModal)
        await pilot.press(*"Ticket")
        await pilot.press("ctrl+s")  # no fields yet: refused in the form
        assert isinstance(app.screen, ModuleFormModal) and "at least one field" in str(app.screen.query_one(".form-error", Static).render())
        app.screen.field_list.focus()
        await pilot.press("a")
        assert isinstance(app.screen, FieldFormModal)
        await pilot.press(*"title")
        await pilot.press("tab", *"Title")
        app.screen.query_one("#field-required", Checkbox).value = True
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, ModuleFormModal)
        await pilot.press("a")
        await pilot.press(*"level")
        app.screen.query_one("#field-kind", Select).value = "enum"
        await pilot.press("ctrl+s")  # an enum with no options: refused
        assert isinstance(app.screen, FieldFormModal) and "no options" in str(app.screen.query_one(".form-error", Static).render())
        app.screen.query_one("#field-options", Input).value = "Low, High"
        await pilot.press("ctrl+s")
        await pilot.press("ctrl+s")
        said = message(app)
        assert "makes the module “Ticket” with 2 fields: title (text), level (enum (Low, High))" in said
        assert stored(crust_sandbox, "Ticket") == []  # nothing sent before yes
        await pilot.press("y")
        await wait_for(pilot, lambda: len(stored(crust_sandbox, "Ticket")) == 1 and app.session.outbox.sent_count == 1, what="the module made")
        [made] = stored(crust_sandbox, "Ticket")
        assert [(f["name"], f["isRequired"]) for f in made["fields"]] == [("title", True), ("level", False)]
        assert made["fields"][1]["options"] == {"options": ["Low", "High"]}


async def test_an_edit_says_what_it_does_to_the_values_and_the_records_columns_follow(crust_sandbox) -> None:
    app = crust_app(crust_sandbox)
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await settled(pilot)
        records = app.session.records
        case = next(m for m in records.modules if m.name == "Case")
        records.choose_module(case.id)
        screen = await open_modules(pilot)
        await pick(pilot, screen, "Case")
        await pilot.press("e")
        form = app.screen
        assert isinstance(form, ModuleFormModal)
        form.field_list.focus()
        first = form.edits[0].field.name
        await pilot.press("d")  # removes the first field
        await pilot.press("ctrl+s")
        said = message(app)
        assert f"removes field {first}: its values stay in the records but no longer show" in said
        await pilot.press("n")  # not now: back in the form as it was, nothing sent
        assert isinstance(app.screen, ModuleFormModal) and app.session.outbox.sent_count == 0
        assert first not in [e.field.name for e in app.screen.edits]
        await pilot.press("ctrl+s", "y")
        await wait_for(pilot, lambda: app.session.outbox.sent_count == 1, what="the edit sent")
        [row] = stored(crust_sandbox, "Case")
        assert first not in [f["name"] for f in row["fields"]]
        await wait_for(pilot, lambda: records.module is not None and records.module.field(first) is None, what="the records' module")
        await pilot.press("1")
        assert isinstance(app.screen, RecordsScreen)
        await settled(pilot)
        assert first not in [c.title for c in app.screen.record_list.columns]
        assert case.field(first).title not in [c.title for c in app.screen.record_list.columns]


async def test_a_delete_asks_first_saying_what_becomes_of_the_records(crust_sandbox) -> None:
    app = crust_app(crust_sandbox)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_modules(pilot)
        await pick(pilot, screen, "Case")
        case = screen.module_list.selected
        await pilot.press("delete")
        said = message(app)
        count = records_of(crust_sandbox, case.id)
        assert f"Its {count} records stay in the server's database" in said and "Undo makes the module again" in said
        await pilot.press("y")
        await wait_for(pilot, lambda: case.id not in crust_sandbox.state.tables["modules"], what="the module deleted")
        assert "Case" not in [m.name for m in screen.module_list.items]


async def test_deleting_the_module_the_records_screen_shows_moves_it_to_another(crust_sandbox) -> None:
    app = crust_app(crust_sandbox)
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await settled(pilot)
        records = app.session.records
        assert records.module.name == "Account"
        screen = await open_modules(pilot)
        await pick(pilot, screen, "Account")
        await pilot.press("delete", "y")
        await wait_for(pilot, lambda: app.session.outbox.sent_count == 1, what="the module deleted")
        await pilot.press("1")
        await wait_for(pilot, lambda: records.loaded and records.module.name == "Case", what="the next module's records")
        assert isinstance(app.screen, RecordsScreen)
        assert len(app.screen.record_list.items) == records_of(crust_sandbox, records.module.id)


async def test_renaming_a_field_in_its_form_says_the_values_stay_under_the_old_name(crust_sandbox) -> None:
    app = crust_app(crust_sandbox)
    async with app.run_test(size=WIDE) as pilot:
        screen = await open_modules(pilot)
        await pick(pilot, screen, "Case")
        await pilot.press("e")
        form = app.screen
        assert isinstance(form, ModuleFormModal)
        form.field_list.focus()
        old = form.edits[0].field.name
        await pilot.press("enter")
        assert isinstance(app.screen, FieldFormModal)
        app.screen.query_one("#field-name", Input).value = "headline"
        await pilot.press("ctrl+s", "ctrl+s")
        said = message(app)
        assert f"renames field {old} to headline: the records keep their values under {old}, which no longer show" in said
        await pilot.press("y")
        await wait_for(pilot, lambda: app.session.outbox.sent_count == 1, what="the edit sent")
        [row] = stored(crust_sandbox, "Case")
        assert row["fields"][0]["name"] == "headline" and old not in [f["name"] for f in row["fields"]]

"""The records screen (Crust, screen 1) on the Crust sandbox over loopback: one module at a time, its
columns from the module's fields, module picker and [ ], sort by any field, / narrowing and the
server's query, the record's detail, and new / edit / delete through the outbox with the form made
from the fields' kinds, checked before anything is sent."""

from __future__ import annotations

from textual.widgets import Checkbox, DataTable, Input, Select, Static

from crmtui.backends.registry import Connection, create_backend
from crmtui.domain.record_values import sort_key
from crmtui.ui.app import CrmApp
from crmtui.ui.modals.contact_pickers import ChoiceModal
from crmtui.ui.modals.pickers import ConfirmModal
from crmtui.ui.modals.record_form import RecordFormModal
from crmtui.ui.screens.changes import ChangesScreen
from crmtui.ui.screens.record_detail import RecordDetailScreen
from crmtui.ui.screens.records import RecordsScreen
from crmtui.ui.widgets.header import AppHeader

from .conftest import NARROW, WIDE, loaded, on_backend, settled, wait_for


def crust_app(sandbox) -> CrmApp:
    backend = create_backend(Connection(backend="crust", base_url=sandbox.base_url, user_id="", api_key=sandbox.token))
    return on_backend(backend)


def screen(app: CrmApp) -> RecordsScreen:
    assert isinstance(app.screen, RecordsScreen), app.screen
    return app.screen


def rows(sandbox, module_id: str) -> list[dict]:
    return [r for r in sandbox.state.tables["contents"].values() if r["moduleID"] == module_id and not r.get("deletedAt")]


def module_named(app: CrmApp, name: str):
    return next(m for m in app.session.records.modules if m.name == name)


async def ready(pilot) -> None:
    await loaded(pilot)
    await settled(pilot)


async def go_to(pilot, name: str) -> None:
    app = pilot.app
    while app.session.records.module.name != name:
        await pilot.press("right_square_bracket")
        await settled(pilot)


async def test_crust_opens_on_the_records_of_the_first_module_with_columns_from_its_fields(crust_sandbox) -> None:
    app = crust_app(crust_sandbox)
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot)
        records = app.session.records
        assert app.top_level[0].mode == "records" and isinstance(app.screen, RecordsScreen)
        assert records.module.name == "Account"  # by name, the first
        lst = screen(app).record_list
        assert {r.id for r in lst.items} == {r["id"] for r in rows(crust_sandbox, records.module.id)}
        assert [c.title for c in lst.columns][:3] == ["Account name", "Industry", "Country"]
        assert lst.titles(158).startswith("Account name")
        assert app.screen.query_one(AppHeader).title == f"Account · {len(lst.items)} records · newest first"
        assert not [n for n in app._notifications if n.title == "Screens"]  # every family Crust serves has its screen
        await pilot.press("5")
        assert isinstance(app.screen, ChangesScreen)
        titles = [str(c.label) for c in app.screen.query_one(DataTable).columns.values()]
        assert titles == ["#", "made", "state", "change", "why it waits"]  # no "contact" column on a CRM of records
        await pilot.press("1")
        assert isinstance(app.screen, RecordsScreen)


async def test_modules_by_picker_and_brackets_and_sorting_by_any_field(crust_sandbox) -> None:
    app = crust_app(crust_sandbox)
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot)
        records = app.session.records
        await pilot.press("right_square_bracket")
        await settled(pilot)
        assert records.module.name == "Case"
        await pilot.press("left_square_bracket")
        await settled(pilot)
        assert records.module.name == "Account"
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, ChoiceModal), what="the module picker")
        for _ in range(4):  # Account, Case, Contact, Lead, Opportunity
            await pilot.press("j")
        await pilot.press("enter")
        await settled(pilot)
        module = records.module
        assert module.name == "Opportunity" and len(screen(app).record_list.items) == len(rows(crust_sandbox, module.id))
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, ChoiceModal), what="the sort picker")
        choices = app.screen.choices
        for _ in range([c.value for c in choices].index("value")):
            await pilot.press("j")
        await pilot.press("enter")
        await settled(pilot)
        shown = screen(app).record_list.items
        assert records.sort == "value ASC"
        assert shown == sorted(shown, key=lambda r: sort_key(module, "value", r))
        assert float(shown[0].text("value")) <= float(shown[-1].text("value"))
        assert "by Value ↑" in app.screen.query_one(AppHeader).title
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, ChoiceModal), what="the sort picker")
        await pilot.press("enter")  # the cursor starts on the current order: again turns it round
        await settled(pilot)
        assert records.sort == "value DESC" and float(screen(app).record_list.items[0].text("value")) == max(
            float(r["columns"]["value"]) for r in rows(crust_sandbox, module.id) if r["columns"].get("value")
        )


async def test_slash_narrows_as_you_type_and_enter_asks_the_server(crust_sandbox) -> None:
    app = crust_app(crust_sandbox)
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot)
        records = app.session.records
        whole = len(records.items)
        target = records.items[5]
        word = target.text("name").split()[0]
        await pilot.press("slash")
        for char in word:
            await pilot.press(char)
        await pilot.pause()
        narrowed = screen(app).record_list.items
        assert target in narrowed and len(narrowed) < whole
        assert all(word.lower() in " ".join(v.value for v in r.values.values()).lower() for r in narrowed)
        await pilot.press("enter")
        await settled(pilot)
        assert records.query == word and records.loaded
        assert {r.id for r in records.items} == {r["id"] for r in rows(crust_sandbox, records.module.id)
                                                 if any(word.lower() in str(v).lower() for v in r["columns"].values())}
        assert f"server: “{word}”" in app.screen.query_one(AppHeader).title
        await pilot.press("escape")
        await settled(pilot)
        assert records.query == "" and len(records.items) == whole


async def test_enter_opens_the_record_with_every_field_and_linked_records_by_name(crust_sandbox) -> None:
    app = crust_app(crust_sandbox)
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot)
        await go_to(pilot, "Opportunity")
        records = app.session.records
        record = screen(app).record_list.selected
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RecordDetailScreen), what="the record")
        text = str(app.screen.query_one("#record-facts", Static).render())
        account_id = record.values["account"].related[0] if record.values["account"].related else record.text("account")
        account = crust_sandbox.state.tables["contents"][account_id]["columns"]["name"]
        for field in records.module.fields:
            assert f"{field.title}:" in text
        assert "Account:" in text and account in text and record.id in text
        await pilot.press("escape")
        assert isinstance(app.screen, RecordsScreen)


async def test_a_new_record_is_checked_then_made_once(crust_sandbox) -> None:
    app = crust_app(crust_sandbox)
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot)
        await go_to(pilot, "Lead")
        mid = app.session.records.module.id
        before = len(rows(crust_sandbox, mid))
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, RecordFormModal), what="the form")
        form = app.screen
        fields = [f.name for f in form.fields]
        widget = {name: form.query_one(f"#rf-{n}") for n, name in enumerate(fields)}
        assert isinstance(widget["optIn"], Checkbox) and isinstance(widget["status"], Select)
        assert widget["status"].value == "New"  # the field's default
        assert "externalRef" not in fields  # not visible
        widget["lastName"].value = "Hopper"
        widget["email"].value = "grace@navy"
        await pilot.press("ctrl+s")
        await pilot.pause()
        error = str(form.query_one(".form-error", Static).render())
        assert error == "Company is required" and isinstance(app.screen, RecordFormModal)
        widget["company"].value = "Navy"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "not an e-mail address" in str(form.query_one(".form-error", Static).render())
        widget["email"].value = "grace@navy.mil"
        widget["followUp"].value = "2026-03-12 14:30"
        widget["optIn"].value = True
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert isinstance(app.screen, RecordsScreen)
        made = [r for r in rows(crust_sandbox, mid) if r["columns"].get("lastName") == "Hopper"]
        assert len(made) == 1 and len(rows(crust_sandbox, mid)) == before + 1
        assert made[0]["columns"]["followUp"] == "2026-03-12T14:30:00Z" and made[0]["columns"]["optIn"] == "1"
        assert made[0]["columns"]["status"] == "New" and made[0]["columns"]["company"] == "Navy"
        assert screen(app).record_list.selected.id == made[0]["id"]


async def test_an_edit_changes_only_what_was_typed_and_sends_the_whole_record(crust_sandbox) -> None:
    app = crust_app(crust_sandbox)
    async with app.run_test(size=NARROW) as pilot:
        await ready(pilot)
        await go_to(pilot, "Opportunity")
        record = screen(app).record_list.selected
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, RecordFormModal), what="the form")
        form = app.screen
        names = [f.name for f in form.fields]
        probability = form.query_one(f"#rf-{names.index('probability')}", Input)
        probability.value = "55"
        await pilot.press("ctrl+s")
        await settled(pilot)
        row = crust_sandbox.state.tables["contents"][record.id]
        assert row["columns"]["probability"] == "55"
        assert {c["name"] for c in row["json"]} == set(record.values)  # every field sent
        assert row["links"].get("account") == (record.values["account"].related or [record.text("account")])
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, RecordFormModal), what="the form")
        await pilot.press("ctrl+s")  # nothing changed: nothing sent
        await pilot.pause()
        assert any("Nothing was changed" in n.message for n in app._notifications)


async def test_delete_asks_first_and_undo_makes_the_record_again(crust_sandbox) -> None:
    app = crust_app(crust_sandbox)
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot)
        records = app.session.records
        record = screen(app).record_list.selected
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="the question")
        await pilot.press("n")
        await settled(pilot)
        assert not crust_sandbox.state.tables["contents"][record.id].get("deletedAt")
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="the question")
        await pilot.press("y")
        await settled(pilot)
        assert crust_sandbox.state.tables["contents"][record.id].get("deletedAt")
        assert records.find(record.id) is None
        await pilot.press("u")
        await settled(pilot)
        again = [r for r in rows(crust_sandbox, record.module_id) if r["columns"].get("name") == record.text("name")]
        assert len(again) == 1 and records.find(again[0]["id"]) is not None


async def test_a_large_module_shows_its_first_page_while_the_rest_pages_in(crust_sandbox) -> None:
    app = crust_app(crust_sandbox)
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot)
        contact = module_named(app, "Contact")
        held = crust_sandbox.gate.hold("GET", f"/module/{contact.id}/content", query={"page": "1"})
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, ChoiceModal), what="the module picker")
        for _ in range(2):  # Account, Case, Contact
            await pilot.press("j")
        await pilot.press("enter")
        await held.parked()
        lst = screen(app).record_list
        await wait_for(pilot, lambda: len(lst.items) == 100, what="the first page")
        assert not app.session.records.loaded and "records" not in app.screen.query_one(AppHeader).title
        held.release()
        await settled(pilot)
        assert len(lst.items) == len(rows(crust_sandbox, contact.id)) == 110
        assert app.screen.query_one(AppHeader).title.startswith("Contact · 110 records")


async def test_the_same_field_changed_on_the_server_is_a_conflict_on_pending_changes(crust_sandbox) -> None:
    from crmtui.backends.crust.adapter import CrustBackend
    from crmtui.backends.crust.client import CrustClient
    from crmtui.domain.records import RecordValue

    app = crust_app(crust_sandbox)
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot)
        await go_to(pilot, "Opportunity")
        record = screen(app).record_list.selected
        other = CrustBackend(CrustClient(crust_sandbox.token, base_url=crust_sandbox.base_url), crust_sandbox.token)
        crust_sandbox.advance(60)
        await other.update_record(record.module_id, record.id, record, {"probability": RecordValue(value="77")})
        await other.close()
        crust_sandbox.advance(60)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, RecordFormModal), what="the form")
        names = [f.name for f in app.screen.fields]
        app.screen.query_one(f"#rf-{names.index('probability')}", Input).value = "11"
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert app.review_changes == 1
        assert crust_sandbox.state.tables["contents"][record.id]["columns"]["probability"] == "77"
        assert any("probability is '77' on the server" in n.message for n in app._notifications)
        await pilot.press("5")
        assert isinstance(app.screen, ChangesScreen)
        await pilot.press("m")  # keep mine
        await settled(pilot)
        assert crust_sandbox.state.tables["contents"][record.id]["columns"]["probability"] == "11"
        assert app.review_changes == 0


def cached_crust_app(sandbox, cache_path) -> CrmApp:
    from crmtui.service.compose import compose
    from crmtui.service.outbox import Outbox
    from crmtui.store import Cache, identity

    from .conftest import frozen_clock

    backend = create_backend(Connection(backend="crust", base_url=sandbox.base_url, user_id="", api_key=sandbox.token))
    cache = Cache(cache_path, owner=identity(sandbox.base_url, sandbox.user_id)).open()
    outbox = Outbox(backend, base_delay=0.05, max_delay=0.5)
    session = compose(backend, cache=cache, outbox=outbox, clock=frozen_clock)
    return CrmApp(session, refresh_seconds=0, cursor_blink=False)


async def test_the_records_last_read_show_at_once_before_the_server_answers(crust_sandbox, tmp_path) -> None:
    cache = tmp_path / "cache.sqlite3"
    app = cached_crust_app(crust_sandbox, cache)
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot)
        shown = [r.id for r in screen(app).record_list.items]
        assert len(shown) == 40
    held = crust_sandbox.gate.hold("GET", "/module/*/content")
    again = cached_crust_app(crust_sandbox, cache)
    async with again.run_test(size=WIDE) as pilot:
        await held.parked()  # the server is asked for them, and has not answered
        assert [r.id for r in screen(again).record_list.items] == shown
        held.release()
        await ready(pilot)
        assert [r.id for r in screen(again).record_list.items] == shown


async def test_a_start_draws_the_first_screenful_kept_apart_then_the_whole_cached_list(crust_sandbox, tmp_path, monkeypatch) -> None:
    """The first screenful of the module's list is kept beside it and read first (decoding 20,000
    records takes the best part of a second): the screen is composed with it, the title counts no
    records until the whole list is read, then the whole cached list follows before the server answers."""
    import crmtui.service.cached as cached

    monkeypatch.setattr(cached, "RECORDS_HEAD", 5)
    cache = tmp_path / "cache.sqlite3"
    app = cached_crust_app(crust_sandbox, cache)
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot)
        shown = [r.id for r in screen(app).record_list.items]
    at_mount: list[tuple[list[str], str]] = []
    mount = RecordsScreen.on_mount

    def mounted(records_screen: RecordsScreen) -> None:
        mount(records_screen)
        title = str(records_screen.query_one(AppHeader).title)
        at_mount.append(([r.id for r in records_screen.record_list.items], title))

    monkeypatch.setattr(RecordsScreen, "on_mount", mounted)
    whole_reads: list[str] = []
    read = cached.CachedBackend.cached_records

    async def counted(local: cached.CachedBackend, module_id: str, **kwargs: object):  # type: ignore[no-untyped-def]
        if not kwargs.get("first"):
            whole_reads.append(module_id)
        return await read(local, module_id, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cached.CachedBackend, "cached_records", counted)
    held = crust_sandbox.gate.hold("GET", "/module/*/content")
    again = cached_crust_app(crust_sandbox, cache)
    async with again.run_test(size=WIDE) as pilot:
        await held.parked()  # the server is asked for them, and has not answered
        assert at_mount and at_mount[0][0] == shown[:5] and "records" not in at_mount[0][1]
        await wait_for(pilot, lambda: [r.id for r in screen(again).record_list.items] == shown, what="the whole cached list")
        assert len(whole_reads) == 1, f"the whole cached list was read {len(whole_reads)} times"
        held.release()
        await ready(pilot)
        assert [r.id for r in screen(again).record_list.items] == shown

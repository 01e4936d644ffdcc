"""Find anyone (f) and contacts in the command palette, on the sandbox.

The finder answers at once from the stream loaded (accents and case ignored), then adds the server's
contacts of the whole account; Enter opens the one highlighted, Esc closes; offline the loaded answer
stays and the line says so. The palette lists loaded contacts by name.
"""

from __future__ import annotations

from textual.command import CommandList, CommandPalette
from textual.widgets import Input, Static

from crmtui.backends.http import RetryPolicy
from crmtui.domain.models import Contact, Email
from crmtui.sandbox.onepagecrm import rules
from crmtui.ui.app import CrmApp
from crmtui.ui.modals.find_contact import FindContactModal, FoundList
from crmtui.ui.screens.contact import ContactDetailScreen
from crmtui.ui.screens.stream import ActionStreamScreen

from .conftest import NARROW, WIDE, loaded, settled, wait_for

CONTACTS = "/api/v3/contacts"


async def open_finder(pilot) -> FindContactModal:
    await pilot.press("f")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, FindContactModal), what="the finder")
    modal = pilot.app.screen
    assert isinstance(modal, FindContactModal)
    assert pilot.app.focused is modal.query_one("#find-query", Input)
    return modal


def status(modal: FindContactModal) -> str:
    return str(modal.query_one("#find-status", Static).render())


def listed(modal: FindContactModal) -> list[str]:
    """The rows as drawn (name, company, what matched), best first."""
    return [str(option.prompt) for option in modal.query_one(FoundList).options]


def listed_ids(modal: FindContactModal) -> list[str]:
    return [option.id or "" for option in modal.query_one(FoundList).options]


def highlighted(modal: FindContactModal) -> str | None:
    option = modal.query_one(FoundList).highlighted_option
    return option.id if option is not None else None


def outsider(sandbox) -> dict:
    """A seeded contact of a colleague with no open action for the user: not in their stream."""
    contacts = sandbox.state.tables["contacts"]
    names = [(c["first_name"], c["last_name"]) for c in contacts.values()]
    members = set(rules.stream_members(sandbox.state, sandbox.user_id))
    return next(c for c in contacts.values() if c["id"] not in members and names.count((c["first_name"], c["last_name"])) == 1)


async def palette_search(pilot, text: str, wanted=lambda commands: commands.option_count > 0) -> CommandList:
    """Open the palette, type `text`, and wait until its search has finished with `wanted(commands)` true."""
    app = pilot.app
    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), what="the palette")
    palette = app.screen
    await pilot.press(*text)
    commands = palette.query_one(CommandList)

    def found() -> bool:
        searching = any(not w.is_finished for w in app.workers if w.node is palette)
        return not searching and wanted(commands)

    await wait_for(pilot, found, what=f"the palette's matches for {text!r}")
    return commands


def lines(option) -> list[str]:
    """A palette row: its title, then its help."""
    return str(option.prompt).split("\n")


async def add_accented(api) -> str:
    """A contact with accents in its name, made on the server behind the app's back (the seed has none)."""
    contact = Contact(
        id="", first_name="Zoë", last_name="Ó Briain", company_name="Café Crème Ltd",
        emails=[Email(type="work", value="zoe@cafe-creme.example")],
    )
    made = await api.features.contacts.create_contact(contact)
    return made.contact.id


async def test_f_opens_the_finder_and_esc_closes_it(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        modal = await open_finder(pilot)
        assert status(modal) == "Type a name, company, email or phone number" and listed(modal) == []
        await pilot.press("f")  # a letter of the query, not a second finder
        assert modal.query_one("#find-query", Input).value == "f" and app.screen is modal
        await pilot.press("escape")
        assert isinstance(app.screen, ActionStreamScreen)
        assert dict(dict(app.help_sections())["Everywhere"])["f"] == "Find any contact of the account"
        assert "Find anyone (f)" in dict(app.help_sections())


async def test_the_palette_opens_the_finder(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        commands = await palette_search(pilot, "Find any contact")
        assert lines(commands.get_option_at_index(0))[0] == "Find any contact of the account"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, FindContactModal), what="the finder")


async def test_accents_and_case_are_ignored(make_app, api) -> None:
    zoe = await add_accented(api)
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        assert app.session.entry(zoe) is not None  # hers: in the stream
        modal = await open_finder(pilot)
        await pilot.press(*"ZOE O BRI")
        assert listed_ids(modal) == [zoe]  # from what is loaded, before the server was asked
        assert "Zoë Ó Briain" in listed(modal)[0] and "Café Crème Ltd" in listed(modal)[0]
        await wait_for(pilot, lambda: "from the server" in status(modal), what="the server's answer")
        assert listed_ids(modal)[0] == zoe
        await pilot.press("ctrl+u", *"creme")  # by the company
        assert zoe in listed_ids(modal) and "company" in listed(modal)[listed_ids(modal).index(zoe)]


async def test_a_contact_outside_the_stream_comes_from_the_server_and_enter_opens_it(make_app, sandbox) -> None:
    other = outsider(sandbox)
    name = f"{other['first_name']} {other['last_name']}"
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        assert app.session.entry(other["id"]) is None
        modal = await open_finder(pilot)
        with sandbox.gate.hold("GET", CONTACTS, query={"search": name}) as held:
            await pilot.press(*name)
            await held.parked(1)  # asked once typing paused, and held there
            assert other["id"] not in listed_ids(modal)  # the loaded answer shows meanwhile
            assert status(modal).endswith("searching the server…")
        await wait_for(pilot, lambda: other["id"] in listed_ids(modal), what="the server's contact")
        assert status(modal).endswith(", 1 from the server")
        assert listed_ids(modal)[0] == other["id"] == highlighted(modal)  # the whole name ranks first
        assert "not in your stream" in listed(modal)[0]
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ContactDetailScreen), what="the contact")
        assert app.screen.contact_id == other["id"]
        assert not any(isinstance(s, FindContactModal) for s in app.screen_stack)
        await settled(pilot)
        await pilot.press("escape")
        assert isinstance(app.screen, ActionStreamScreen)


async def test_the_servers_answer_keeps_the_contact_moved_to(make_app, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        modal = await open_finder(pilot)
        with sandbox.gate.hold("GET", CONTACTS) as held:
            await pilot.press(*"quinn")
            await held.parked(1)
            local = listed_ids(modal)
            assert len(local) >= 2 and highlighted(modal) == local[0]
            await pilot.press("down")
            assert highlighted(modal) == local[1]
        await wait_for(pilot, lambda: "from the server" in status(modal), what="the server's answer")
        merged = listed_ids(modal)
        assert len(merged) > len(local) and merged.index(local[1]) != 1  # others came in above it
        assert highlighted(modal) == local[1]


async def test_found_by_email_and_phone_shows_what_matched(make_app, sandbox) -> None:
    other = outsider(sandbox)
    email, phone = other["emails"][0]["value"], other["phones"][0]["value"]
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        modal = await open_finder(pilot)
        await pilot.press(*email)
        await wait_for(pilot, lambda: "from the server" in status(modal), what="the server's answer")
        assert listed_ids(modal) == [other["id"]] and f"email {email}" in listed(modal)[0]
        typed = phone.replace("+353 ", "").replace(" ", "-")  # "1-667-5949"
        await pilot.press("ctrl+u", *typed)
        await wait_for(pilot, lambda: "from the server" in status(modal), what="the server's answer")
        row = listed(modal)[listed_ids(modal).index(other["id"])]
        assert f"phone {phone}" in row


async def test_arrows_and_ctrl_n_move_from_the_query_and_j_k_only_in_the_list(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        modal = await open_finder(pilot)
        await pilot.press(*"jo")
        assert modal.query_one("#find-query", Input).value == "jo"  # j and k are letters in the query
        await pilot.press("ctrl+u", *"an")
        await wait_for(pilot, lambda: "from the server" in status(modal), what="the server's answer")  # no re-listing below
        ids = listed_ids(modal)
        assert len(ids) >= 3 and highlighted(modal) == ids[0]
        await pilot.press("down")
        assert highlighted(modal) == ids[1]
        await pilot.press("ctrl+n")
        assert highlighted(modal) == ids[2]
        await pilot.press("ctrl+p", "up")
        assert highlighted(modal) == ids[0] and isinstance(app.screen, FindContactModal)
        await pilot.press("tab")
        assert app.focused is modal.query_one(FoundList)
        await pilot.press("j", "j", "k")
        assert highlighted(modal) == ids[1]
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ContactDetailScreen), what="the contact")
        assert app.screen.contact_id == ids[1]
        await settled(pilot)


async def test_offline_the_loaded_contacts_stay_and_the_line_says_so(make_app, sandbox) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        app.session.backend.client.http.retry = RetryPolicy(attempts=1)  # type: ignore[attr-defined]
        mine = app.session.entries[0].contact
        sandbox.stop()
        modal = await open_finder(pilot)
        await pilot.press(*mine.last_name)
        assert mine.id in listed_ids(modal)
        before = listed_ids(modal)
        await wait_for(pilot, lambda: status(modal).startswith("offline"), what="the server to be found gone")
        assert status(modal) == f"offline: only contacts loaded here ({len(before)})"
        assert listed_ids(modal) == before


async def test_the_palette_lists_a_loaded_contact_by_name_and_opens_it(make_app) -> None:
    app: CrmApp = make_app()
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot)
        mine = app.session.entries[3].contact
        name = f"{mine.first_name} {mine.last_name}"
        commands = await palette_search(pilot, name, lambda found: any(lines(o)[0] == name for o in found.options))
        first = lines(commands.get_option_at_index(0))
        assert first[0] == name and first[1].startswith("open the contact")  # the whole name first
        assert sum(1 for o in commands.options if (o.hit.help or "").startswith("open the contact")) <= 10
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ContactDetailScreen), what="the contact")
        assert app.screen.contact_id == mine.id
        await settled(pilot)


async def test_names_and_companies_are_drawn_as_they_are_never_as_markup(make_app, api) -> None:
    hostile = Contact(id="", first_name="Mal [/b]", last_name="[@click=app.quit]Ory", company_name="[b]Bold[/] Ltd")
    made = (await api.features.contacts.create_contact(hostile)).contact.id
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        modal = await open_finder(pilot)
        await pilot.press(*"mal")
        assert listed_ids(modal)[0] == made
        row = listed(modal)[0]
        assert "Mal [/b] [@click=app.quit]Ory" in row and "[b]Bold[/] Ltd" in row
        await pilot.press("escape")
        commands = await palette_search(pilot, "mal [")
        assert lines(commands.get_option_at_index(0)) == [
            "Mal [/b] [@click=app.quit]Ory", "open the contact · [b]Bold[/] Ltd",
        ]
        assert app.is_running


async def test_a_long_stream_is_indexed_in_a_thread_while_the_finder_answers(make_app, api, monkeypatch) -> None:
    """The dialog opens at once over a stream still being indexed (the fold held here by a gate): the
    line says so, the server's answers come meanwhile, and once the index is in what is typed is answered
    from it, the server's contacts kept."""
    from crmtui.service.find import ContactFinder, finder_for
    from tests.unit.test_find_scale import Gate

    zoe = await add_accented(api)
    gate = Gate(monkeypatch)
    app: CrmApp = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await settled(pilot)
        finder = finder_for(app.session)
        finder.background_from = 1  # the sandbox's stream is short: as a long one
        modal = await open_finder(pilot)
        count = f"{len(app.session.entries):,}"
        await wait_for(pilot, lambda: f"indexing {count} contacts…" in status(modal), what="indexing said")
        await pilot.press(*"zoe")
        await wait_for(pilot, lambda: "from the server" in status(modal), what="the server's answer")
        assert status(modal).startswith(f"indexing {count} contacts… · 0 from the stream, ")
        served = listed_ids(modal)
        assert zoe in served  # the server's, while nothing is indexed here
        gate.open()
        await wait_for(pilot, lambda: "indexing" not in status(modal), what="the index in")
        local = [f.contact_id for f in ContactFinder(app.session).find("zoe").found]
        assert local and zoe in local
        assert set(listed_ids(modal)) == set(served) | set(local)
        assert status(modal).startswith(f"{len(local)} from the stream, ")

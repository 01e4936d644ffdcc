"""Keys typed in one burst with "/" (a fast typist; an SSH link that delivers a burst at once) land in
the box "/" opens, on every screen that has one; and "/" typed in a box is text. Within a box, the
keys a binding takes (backspace, the arrows, escape) act in their turn among the typed ones.

The burst is posted to the app in one go, as the terminal's reader does with what arrives together:
Textual routes each key to the widget focused when the app takes it, so "/" must move the focus
before the next key is taken (a priority binding), not once it has come back up from the list. A key
that opens a dialog or another screen, or moves the focus, has the keys behind it wait for that
(`crmtui.ui.key_order`).
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input, Static

from crmtui.ui.app import CrmApp
from crmtui.ui.modals.contact_forms import NoteModal
from crmtui.ui.modals.record_form import RecordFormModal
from crmtui.ui.widgets.boxes import TextBox
from crmtui.ui.screens.team import TeamStreamScreen

from .conftest import WIDE, loaded, settled, wait_for
from .test_records_screen import crust_app, go_to, ready


def burst(app: CrmApp, text: str | list[str]) -> None:
    """Post `text` to the app in one go; in a list, a name longer than one character is a key's name."""
    for char in text:
        if len(char) > 1:
            app.post_message(events.Key(char, None))
        else:
            app.post_message(events.Key("slash" if char == "/" else char, char))


async def edited(pilot, box: Input | TextBox, keys: list[str], expected: str, edits: int) -> None:
    """Send `keys` in one burst to `box`, which has the focus: its text ends as `expected`. The test
    waits for the burst's `edits` changes to the text (in whatever order they come), then looks."""
    seen: list[str] = []
    if isinstance(box, Input):
        pilot.app.screen.watch(box, "value", lambda value: seen.append(value), init=False)
    else:
        edit = box.edit

        def counted(change):  # every change to a text box comes through its edit()
            result = edit(change)
            seen.append(box.text)
            return result

        box.edit = counted  # type: ignore[method-assign]
    burst(pilot.app, keys)
    await wait_for(pilot, lambda: len(seen) >= edits, what=f"{edits} edits")
    await settled(pilot)
    text = box.value if isinstance(box, Input) else box.text
    assert (text, len(seen)) == (expected, edits), seen


async def typed_ahead(pilot, box_id: str, words: str, then: str = "") -> None:
    """Type "/" and `words` in one burst: they land in the box; then `then`, typed in the box, is text."""
    app = pilot.app
    await loaded(pilot)
    await settled(pilot)
    burst(app, "/" + words)
    box = app.screen.query_one(f"#{box_id}", Input)
    await wait_for(pilot, lambda: box.value == words or len(box.value) >= len(words), what=f"{words!r} in the box")
    assert box.value == words and app.screen.focused is box
    if then:
        burst(app, then)
        await wait_for(pilot, lambda: box.value == words + then, what=f"{then!r} typed in the box")


async def test_the_stream_s_filter_takes_the_keys_typed_with_the_slash(make_app) -> None:
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await typed_ahead(pilot, "filter", "noah", then="/x")


async def test_the_team_stream_s_filter_takes_the_keys_typed_with_the_slash(make_app) -> None:
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, TeamStreamScreen) and app.screen.stream.loaded, what="the team stream")
        await typed_ahead(pilot, "team-filter", "ann")


async def test_the_leads_inbox_s_find_box_takes_the_keys_typed_with_the_slash(make_pipedrive_app) -> None:
    app = make_pipedrive_app()
    async with app.run_test(size=WIDE) as pilot:
        await typed_ahead(pilot, "leads-narrow", "fleet", then="/")


async def test_a_module_s_find_box_takes_the_keys_typed_with_the_slash(crust_sandbox) -> None:
    app = crust_app(crust_sandbox)
    async with app.run_test(size=WIDE) as pilot:
        await typed_ahead(pilot, "records-narrow", "Fern")


BACK_AND_RETYPE = ["backspace", "backspace", "backspace", "n", "o", "a", "h"]


async def test_backspaces_typed_ahead_in_a_filter_act_before_the_letters_after_them(make_app) -> None:
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await typed_ahead(pilot, "filter", "ann")
        box = app.screen.query_one("#filter", Input)
        await edited(pilot, box, BACK_AND_RETYPE, expected="noah", edits=7)
        await edited(pilot, box, ["home", "j", "end", "!"], expected="jnoah!", edits=2)


async def test_a_key_that_reaches_a_box_after_the_focus_left_it_goes_where_the_focus_is(make_app) -> None:
    """The app routes a key to the widget focused when it takes it: a key behind an escape that closes
    the filter can be on its way to the filter when the focus moves to the list."""
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await typed_ahead(pilot, "filter", "ann")
        box = app.screen.query_one("#filter", Input)
        rows = app.screen.stream_list
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.focused is rows and not box.display, what="the filter closed")
        start = rows.cursor
        box.post_message(events.Key("j", "j"))  # on its way to the box when the focus moved on
        await wait_for(pilot, lambda: rows.cursor != start or box.value != "", what="j taken")
        await settled(pilot)
        assert (box.value, app.focused) == ("", rows) and rows.cursor > start


async def test_keys_typed_after_enter_in_a_filter_go_to_the_list_it_hands_the_focus_to(make_app) -> None:
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await settled(pilot)
        rows = app.screen.stream_list
        box = app.screen.query_one("#filter", Input)
        burst(app, ["/", "n", "o", "a", "h", "enter", "j", "j"])
        await wait_for(pilot, lambda: app.focused is rows and box.value != "", what="Enter to hand the focus on")
        await settled(pilot)
        assert (box.value, app.focused) == ("noah", rows)
        # the list took both j's, once it was narrowed to what was typed before Enter
        assert len(rows.items) > 2 and rows.items.index(rows.selected) == 2
        assert all(entry.contact.first_name == "Noah" for entry in rows.items[:3])
        burst(app, ["escape"])
        await wait_for(pilot, lambda: not box.display, what="the filter closed")
        burst(app, ["/", "a", "enter", "j", "/", "o"])
        await wait_for(pilot, lambda: box.value not in ("", "a") and not app._key_order.holding, what="the keys after Enter")
        await settled(pilot)
        # j went to the list, and "/" opened the box again, its words selected as when typed one key at
        # a time: "o" replaced them
        assert (box.value, app.focused) == ("o", box)


async def test_a_note_s_editing_keys_typed_ahead_act_in_their_turn(make_app) -> None:
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        app.push_screen(NoteModal("Note"))
        await wait_for(pilot, lambda: isinstance(app.screen.focused, TextBox), what="the note's text box")
        area = app.screen.focused
        keys = ["C", "a", "l", "l", "e", "d", "backspace", "backspace", "enter", "O", "K", "up", "end", "s"]
        await edited(pilot, area, keys, expected="Calls\nOK", edits=12)


async def test_a_form_s_problem_stays_shown_after_a_burst_of_a_letter_and_save(crust_sandbox) -> None:
    """The news that the letter changed the field can arrive after the save that it came before: the
    problem the save found stays shown until a field changes after it."""
    app = crust_app(crust_sandbox)
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot)
        await go_to(pilot, "Lead")
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen.focused, Input), what="the form's first field")
        form = app.screen
        assert isinstance(form, RecordFormModal)
        error = form.query_one(".form-error", Static)
        burst(app, ["H", "ctrl+s"])
        await wait_for(pilot, lambda: error.display, what="the form's problem")
        await settled(pilot)
        assert error.display and str(error.render()).endswith(" is required")
        await pilot.press("o")
        await wait_for(pilot, lambda: not error.display, what="the problem gone once the field changed")


async def lands_in_the_dialog(app: CrmApp, keys: str | list[str], dialog: type, field: str, words: str, module: str = "") -> None:
    """Once `app` has loaded (and shows `module`, on Crust), `keys` (the dialog's key, then `words`)
    in one burst: the dialog opens with `words` in `field`, which has the focus."""
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await settled(pilot)
        if module:
            await go_to(pilot, module)
        burst(app, keys)
        await wait_for(pilot, lambda: isinstance(app.screen, dialog), what=f"the {dialog.__name__}")
        box = app.screen.query_one(f"#{field}", Input)
        await wait_for(pilot, lambda: len(box.value) >= len(words), what="the words")
        await settled(pilot)
        assert (box.value, app.focused) == (words, box)


async def test_the_words_typed_with_the_key_that_opens_a_dialog_land_in_its_first_field(make_app) -> None:
    """n (add an action) and the action typed in one burst: the dialog is not there when the app takes
    the letters; they wait for it and land in its first field."""
    from crmtui.ui.modals.next_action import NextActionModal

    await lands_in_the_dialog(make_app(), "nCall Ann", NextActionModal, "action-text", "Call Ann")


async def test_the_title_typed_with_n_lands_in_the_new_lead_s_first_field(make_pipedrive_app) -> None:
    from crmtui.ui.modals.lead_form import LeadFormModal

    await lands_in_the_dialog(make_pipedrive_app(), "nFleet deal", LeadFormModal, "lead-title", "Fleet deal")


async def test_the_words_typed_with_n_land_in_a_new_record_s_first_field(crust_sandbox) -> None:
    await lands_in_the_dialog(crust_app(crust_sandbox), "nHarbor", RecordFormModal, "rf-0", "Harbor", module="Lead")


async def test_keys_typed_with_the_key_of_another_screen_act_on_that_screen(make_app) -> None:
    """2 (the team stream, shown for the first time) and two steps down in one burst: the steps move
    the team picker that the new screen focuses, not the action stream's list the 2 was typed on."""
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await settled(pilot)
        stream = app.screen
        start = stream.stream_list.cursor
        burst(app, ["2", "down", "down"])
        await wait_for(pilot, lambda: isinstance(app.screen, TeamStreamScreen), what="the team stream")
        team = app.screen
        assert isinstance(team, TeamStreamScreen)
        members = team.members
        await wait_for(pilot, lambda: members.option_count > 2 and members.highlighted is not None, what="the team")
        await settled(pilot)
        assert (stream.stream_list.cursor, app.focused) == (start, members)
        # the picker starts on the person whose stream is shown (you), first in the list
        assert members.highlighted == 2


async def test_keys_typed_after_a_key_that_moves_the_focus_go_where_it_moved(make_app) -> None:
    """Tab (to the team picker; focus() moves it in a callback) and a step down in one burst."""
    app = make_app()
    async with app.run_test(size=(110, 40)) as pilot:  # narrow: the team stream opens on its list
        await loaded(pilot)
        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, TeamStreamScreen) and app.screen.stream.loaded, what="the team stream")
        await settled(pilot)
        team = app.screen
        assert isinstance(team, TeamStreamScreen) and app.focused is team.stream_list
        start = team.stream_list.cursor
        picked = team.members.highlighted
        burst(app, ["tab", "down"])
        await wait_for(pilot, lambda: app.focused is team.members, what="the picker focused")
        await wait_for(pilot, lambda: team.members.highlighted != picked or team.stream_list.cursor != start, what="the step")
        await settled(pilot)
        assert team.stream_list.cursor == start and team.members.highlighted == (picked or 0) + 1


def test_which_widgets_take_keys_only_through_bindings() -> None:
    from textual.widgets import DataTable, OptionList
    from textual.widgets._select import SelectOverlay  # what has the focus while a Select is open

    from crmtui.ui.key_order import by_bindings_only
    from crmtui.ui.widgets.pipeline_board import PipelineBoard
    from crmtui.ui.widgets.stream_list import StreamList

    from crmtui.ui.screens.stream import ActionStreamScreen

    # a screen too: Textual's own escape handler (clearing a mouse selection) is done by the app's walk
    assert all(by_bindings_only(cls) for cls in (StreamList, PipelineBoard, OptionList, DataTable, ActionStreamScreen))
    # their own key handlers (typing, an open Select's type-to-find) would be skipped
    assert not any(by_bindings_only(cls) for cls in (Input, TextBox, SelectOverlay))


async def test_keys_typed_after_enter_on_a_row_go_to_the_contact_it_opens(make_app) -> None:
    """Enter on a row posts the row's Selected, which the screen answers by opening the contact: the
    j behind it waits for that, and does not move the stream's cursor underneath."""
    from crmtui.ui.screens.contact import ContactDetailScreen

    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await loaded(pilot)
        await settled(pilot)
        rows = app.screen.stream_list
        start = rows.cursor
        burst(app, ["enter", "j", "j"])
        await wait_for(pilot, lambda: isinstance(app.screen, ContactDetailScreen), what="the contact")
        await settled(pilot)
        assert rows.cursor == start


async def test_keys_a_filter_hands_on_after_enter_keep_their_place_before_a_dialog_s_words(make_app) -> None:
    """/a Enter, then x (no binding on the list), n and "Call": x is taken before n opens the dialog
    and does not land among the dialog's words."""
    from crmtui.ui.modals.next_action import NextActionModal

    await lands_in_the_dialog(make_app(), ["/", "a", "enter", "x", "n", "C", "a", "l", "l"], NextActionModal, "action-text", "Call")

"""The next-action form: text, when (quick dates, status, date, time) and predefined actions.

Fast path: type the text and press Enter; the action is saved due today. Quick dates are one key
each (1, 2, 3…) once the focus has left the text (Tab): digits typed in the text are text. (Not
alt+digit from the text: terminals send it as Esc then the digit, which Textual reads as the
character macOS's Option+digit types, e.g. Esc 3 is "£"; tried in tmux.) The hint
under the form lists the keys that work where the focus is. Esc returns None (what that means is the
caller's: `escape` says it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widget import Widget
from textual.containers import Horizontal, Vertical
from crmtui.ui.widgets.inputs import TextInput
from crmtui.ui.widgets.boxes import RadioChoice
from textual.widgets import Button, Input, Label, OptionList, RadioSet, Static
from textual.widgets.option_list import Option

from crmtui.domain.formatting import format_date, format_time
from crmtui.domain.models import Account, Action, ActionStatus
from crmtui.ui.modals.dates import exact_time, parse_date, parse_time, quick_date_value
from crmtui.ui.modals.form import FormModal
from crmtui.ui.inert import plain

# The statuses a person picks; QUEUED becomes QUEUED_WITH_DATE when a date is given.
STATUS_CHOICES: list[tuple[ActionStatus, str]] = [
    (ActionStatus.ASAP, "ASAP"),
    (ActionStatus.DATE, "Date"),
    (ActionStatus.DATE_TIME, "Date+time"),
    (ActionStatus.WAITING, "Waiting"),
    (ActionStatus.QUEUED, "Queued"),
]


@dataclass(frozen=True)
class ActionDraft:
    """What the modal returns: enough to create or edit an action."""

    text: str
    status: ActionStatus
    date: dt.date | None = None
    exact_time: dt.datetime | None = None


QUICK_KEYS = "123456789"
"""The keys of the quick dates, in the order they are shown (Today, Tomorrow, the account's)."""


class NextActionModal(FormModal[ActionDraft]):
    """Ask for a next action. Returns an ActionDraft, or None on Esc."""

    BINDINGS = [Binding(key, f"quick({place})", "Quick date", show=False) for place, key in enumerate(QUICK_KEYS)]

    def __init__(
        self,
        account: Account,
        today: dt.date,
        *,
        title: str,
        action: Action | None = None,
        escape: str = "cancel",
    ) -> None:
        """`escape`: what Esc does, as the hint says it ("cancel"; after done: no next action)."""
        super().__init__()
        self.account = account
        self.today = today
        self.heading = title
        self.action = action
        self.escape = escape
        tomorrow = today + dt.timedelta(days=1)
        shown = [q for q in account.quick_dates if quick_date_value(q, today) != tomorrow][:6]
        # "+1 week", not "in 1 week": the row must fit the dialog (the date field takes "+7" too)
        self.quick_dates: list[tuple[str, dt.date]] = [("Today", today), ("Tomorrow", tomorrow)] + [
            ("+" + q.label.removeprefix("in "), quick_date_value(q, today)) for q in shown
        ]
        """(label, day) of each quick date, in key order."""

    @classmethod
    def help_rows(cls) -> list[tuple[str, str]]:
        """The form's keys for the help screen."""
        return [
            ("Enter", "save (due today unless a date is set); in the saved actions: use the one picked"),
            ("1 2 3 …", "a quick date (Today, Tomorrow, the account's), with the focus out of the text fields"),
            ("Tab / Shift+Tab", "next / previous field"),
            ("← → Enter", "on the status: choose ASAP, date, date+time, waiting or queued"),
            ("ctrl+s", "save, from any field"),
            ("Esc", "cancel (after d: the action stays done, with no next action)"),
        ]

    # -- layout --------------------------------------------------------------------------------
    def _initial(self) -> tuple[str, ActionStatus, str, str]:
        a = self.action
        if a is None:
            return "", ActionStatus.DATE, format_date(self.today, self.account.date_format), ""
        status = ActionStatus.QUEUED if a.status is ActionStatus.QUEUED_WITH_DATE else a.status
        if status not in dict(STATUS_CHOICES):
            status = ActionStatus.DATE
        day = format_date(a.date, self.account.date_format) if a.date else ""
        clock = format_time(a.exact_time, self.account.time_zone) if a.exact_time else ""
        return a.text, status, day, clock

    def compose(self) -> ComposeResult:
        text, status, day, clock = self._initial()
        with Vertical(id="next-action-dialog", classes="dialog"):
            yield Label(plain(self.heading), classes="dialog-title")
            yield TextInput(text, placeholder="What's next? (Enter saves, due today)", id="action-text", max_length=140, compact=True)
            with RadioSet(id="action-status", compact=True):
                for value, label in STATUS_CHOICES:
                    yield RadioChoice(label, value=value is status, name=value.value, compact=True)
            with Horizontal(id="action-when"):
                yield Label("Date", classes="field-label")
                yield TextInput(day, placeholder=format_date(self.today, self.account.date_format), id="action-date", compact=True)
                yield Label("Time", classes="field-label")
                yield TextInput(clock, placeholder="14:30", id="action-time", compact=True)
            with Horizontal(id="quick-dates"):
                for place, (label, _day) in enumerate(self.quick_dates):
                    shown = Content.assemble((QUICK_KEYS[place], "bold"), " ", plain(label))
                    button = Button(shown, id=f"quick-{place}", compact=True)
                    button.can_focus = False  # its key picks it, from wherever the focus is but text
                    yield button
            if self.account.predefined_actions:
                yield Label("Saved actions (↑/↓, Enter picks the text and its date)", classes="field-label")
                yield OptionList(
                    *(Option(plain(p.text), id=str(i)) for i, p in enumerate(self.account.predefined_actions)),
                    id="predefined",
                    compact=True,
                )
            yield Static("", id="action-error", markup=False)
            yield Static(self.hint(None), id="action-hint", classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one("#action-text", Input).focus()
        self.call_after_refresh(self._highlight_pressed_status)

    # -- the hint: the keys that work where the focus is ---------------------------------------
    def hint(self, focused: Widget | None) -> str:
        where = focused.id if focused is not None else "action-text"
        quick = f"1–{len(self.quick_dates)} quick date"
        esc = f"Esc {self.escape}"
        if where == "action-status":
            return f"{quick} · ←/→ Enter status · ctrl+s save · Tab next · {esc}"
        if where == "predefined":
            return f"{quick} · ↑/↓ Enter use it · ctrl+s save · Tab next · {esc}"
        if where == "action-date":
            return f"Enter save · today, tomorrow, +3 or a date · Tab next · {esc}"
        if where == "action-time":
            return f"Enter save · 14:30 or 2pm · Tab next · {esc}"
        return f"Enter save · Tab then {quick} · {esc}"

    def on_descendant_focus(self) -> None:
        self.query_one("#action-hint", Static).update(self.hint(self.focused))

    def _highlight_pressed_status(self) -> None:
        # Textual's RadioSet highlights its first button ("ASAP") whatever is pressed, so Tab then
        # arrows started from ASAP and Enter there changed the status. Start from the status in force.
        radios = self.query_one("#action-status", RadioSet)
        if radios.pressed_index >= 0:
            radios._selected = radios.pressed_index

    # -- quick picks ---------------------------------------------------------------------------
    def _status(self) -> ActionStatus:
        pressed = self.query_one("#action-status", RadioSet).pressed_button
        return ActionStatus(pressed.name) if pressed is not None and pressed.name else ActionStatus.DATE

    def _set_status(self, status: ActionStatus) -> None:
        for button in self.query("#action-status RadioChoice").results(RadioChoice):
            if button.name == status.value:
                button.value = True

    def _set_date(self, day: dt.date) -> None:
        self.query_one("#action-date", Input).value = format_date(day, self.account.date_format)
        if self._status() in (ActionStatus.ASAP, ActionStatus.WAITING):
            self._set_status(ActionStatus.DATE)

    @on(RadioSet.Changed, "#action-status")
    def _status_changed(self, event: RadioSet.Changed) -> None:
        # A new action's date field starts at today for the Date choice. Choosing Queued with it
        # untouched meant "queued, dated today": often before the next action, so a conflict (⚠)
        # the person never asked for. Queued starts undated; a date or quick date still dates it.
        date_box = self.query_one("#action-date", Input)
        if self.action is None and self._status() is ActionStatus.QUEUED and date_box.value == self._initial()[2]:
            date_box.value = ""

    @on(Button.Pressed, "#quick-dates Button")
    def _quick_date(self, event: Button.Pressed) -> None:
        self.action_quick(int((event.button.id or "0").removeprefix("quick-")))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "quick":  # only the keys of the dates shown
            place = parameters[0] if parameters else 0
            return isinstance(place, int) and place < len(self.quick_dates)
        return True

    def action_quick(self, place: int) -> None:
        """A quick date: the date field takes it; the focus goes back to the text, where Enter saves."""
        if place >= len(self.quick_dates):
            return
        self._set_date(self.quick_dates[place][1])
        self.query_one("#action-text", Input).focus()

    @on(OptionList.OptionSelected, "#predefined")
    def _predefined(self, event: OptionList.OptionSelected) -> None:
        chosen = self.account.predefined_actions[int(event.option.id or 0)]
        self.query_one("#action-text", Input).value = chosen.text
        if chosen.days is not None:
            self._set_date(self.today + dt.timedelta(days=chosen.days))
        self.query_one("#action-text", Input).focus()

    # -- result --------------------------------------------------------------------------------
    def draft(self) -> ActionDraft:
        """The action as entered; raises ValueError with a message for the person."""
        text = self.query_one("#action-text", Input).value.strip()
        if not text:
            raise ValueError("The action needs some text")
        status = self._status()
        date_text = self.query_one("#action-date", Input).value
        time_text = self.query_one("#action-time", Input).value
        if status is ActionStatus.ASAP:
            return ActionDraft(text, status)
        day = parse_date(date_text, self.account, self.today) if date_text.strip() else None
        if status is ActionStatus.WAITING:
            return ActionDraft(text, status, day)
        if status is ActionStatus.QUEUED:
            return ActionDraft(text, ActionStatus.QUEUED_WITH_DATE if day else ActionStatus.QUEUED, day)
        if day is None:
            day = self.today
        if status is ActionStatus.DATE_TIME or time_text.strip():
            clock = parse_time(time_text)
            return ActionDraft(text, ActionStatus.DATE_TIME, day, exact_time(day, clock, self.account))
        return ActionDraft(text, ActionStatus.DATE, day)

    def result(self) -> ActionDraft:
        return self.draft()

    def show_error(self, message: str, field: str | None = None) -> None:
        self.query_one("#action-error", Static).update(message)

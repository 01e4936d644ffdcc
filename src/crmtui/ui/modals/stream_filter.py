"""The stream's filter picker (F): the account's saved filters first, then starred, waiting for, and
the tags, statuses and lead sources of the account, one list, headed by kind."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual.widgets import OptionList
from textual.widgets.option_list import Option

from crmtui.domain.models import Account
from crmtui.domain.stream_filter import SavedFilter, StreamFilter
from crmtui.ui.inert import plain
from crmtui.ui.modals.saved_filter_picker import SavedFilterPicker

CLEAR = "clear"
"""What the picker answers for "the whole stream" (None: cancelled)."""


class FilterPickerModal(SavedFilterPicker[StreamFilter | str | None]):
    """Pick a stream filter; answers a StreamFilter, CLEAR, or None on Esc (keys as in every picker)."""

    HEADING = "Filter the stream"
    OPTIONS_ID = "filter-options"

    def __init__(
        self,
        account: Account | None,
        tags: list[str],
        *,
        current: StreamFilter | None,
        load_saved: Callable[[], Awaitable[list[SavedFilter]]],
    ) -> None:
        super().__init__(load_saved)
        self.account = account
        self.tags = tags
        self.current = current
        self.choices: dict[str, StreamFilter] = {}
        self._default: str | None = None
        """The choice highlighted for the person (not by them), so a refill may move it."""

    def _choices(self) -> list[tuple[str, list[StreamFilter]]]:
        account = self.account
        saved = [StreamFilter(kind="saved", value=f.id, label=f.name) for f in self.saved]
        statuses = [StreamFilter(kind="status", value=s.id, label=s.text) for s in account.statuses] if account else []
        sources = [StreamFilter(kind="lead_source", value=s.id, label=s.text) for s in account.lead_sources] if account else []
        return [
            (self.saved_heading(), saved),
            ("Contacts", [StreamFilter.starred(), StreamFilter.waiting()]),
            ("Tags", [StreamFilter(kind="tag", value=t, label=t) for t in self.tags]),
            ("Status", statuses),
            ("Lead source", sources),
        ]

    def _fill(self) -> None:
        options = self.query_one(OptionList)
        keep = options.highlighted_option.id if options.highlighted_option is not None else None
        options.clear_options()
        self.choices = {}
        items: list[Option] = []
        if self.current is not None:
            items.append(Option(f"Everything (clear {plain(self.current.describe())})", id=CLEAR))
        for heading, choices in self._choices():
            if not choices and not heading.startswith("Saved"):
                continue
            items.append(Option(heading, disabled=True))
            for choice in choices:
                self.choices[choice.key] = choice
                mark = "  ✓" if choice == self.current else ""
                name = plain(choice.label) if choice.kind in ("saved", "tag", "status", "lead_source") else choice.describe()
                items.append(Option(f"  {name}{mark}", id=choice.key))
        options.add_options(items)
        if keep == self._default:  # not moved by the person: the first choice may be another now
            keep = None
        wanted = keep or (self.current.key if self.current is not None else None)
        index = next((i for i, o in enumerate(items) if o.id == wanted), None) if wanted else None
        if index is None:
            index = next((i for i, o in enumerate(items) if not o.disabled and o.id != CLEAR), 0)
            self._default = items[index].id if items else None
        options.highlighted = index

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        key = event.option.id
        if key == CLEAR:
            self.dismiss(CLEAR)
        elif key in self.choices:
            self.dismiss(self.choices[key])

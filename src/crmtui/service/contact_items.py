"""Edit and delete one item of a contact's history: a note, call, meeting or deal.

The part of `ContactSession` behind the contact screen's Enter/e and Delete on a history tab. Each
is one command through the outbox, shown at once in its section and undone with u: an edit by
setting the fields back, a deletion by making the item again (the server gives it a new id).
"""

from __future__ import annotations

from typing import Any

from crmtui.domain.models import Call, Deal, Meeting, Note, StreamEntry
from crmtui.service.commands import Command, FieldChanges, same_value
from crmtui.service.contact_history import DeleteCall, DeleteDeal, DeleteMeeting, DeleteNote
from crmtui.service.deal_commands import DealChanges, deal_update
from crmtui.service.errors import CommandRefused
from crmtui.service.history_edits import UPDATES
from crmtui.service.session import Session

HistoryItem = Note | Call | Meeting | Deal
KIND_NAMES: dict[type, str] = {Note: "note", Call: "call", Meeting: "meeting", Deal: "deal"}


def _short(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def item_title(item: HistoryItem) -> str:
    """What names the item in a question or a label: a deal's name, the start of a note's text."""
    if isinstance(item, Deal):
        return item.name or "(no name)"
    return _short(item.text) or KIND_NAMES[type(item)]


class HistoryEdits(Session):
    """Needs `contact_id` and `history` (section -> items), which `ContactSession` sets."""

    contact_id: str
    history: dict[str, list[Any] | None]

    def history_item(self, section: str, item_id: str) -> Any | None:
        """The item of `section` with `item_id` as shown now (None when it is gone)."""
        return next((i for i in self.history.get(section) or [] if i.id == item_id), None)

    async def edit_history(self, item: Note | Call | Meeting, changes: FieldChanges) -> StreamEntry | None:
        """Change the fields of a note, call or meeting that `changes` sets to something new."""
        command_class, changes_class = UPDATES[type(item)]
        changed = {
            name: getattr(changes, name)
            for name in changes.model_fields_set
            if not same_value(getattr(item, name), getattr(changes, name))
        }
        if not changed:
            raise CommandRefused("Nothing was changed")
        what = KIND_NAMES[type(item)]
        text = changed.get("text")
        return await self.run(command_class(
            contact_id=self.contact_id, item_id=item.id, changes=changes_class(**changed),
            previous=changes_class.snapshot(item, set(changed)), read_at=item.modified_at,
            label=f"Edit {what}: {_short(text) if isinstance(text, str) and text else item_title(item)}",
        ))

    async def edit_deal(self, deal: Deal, changes: DealChanges) -> StreamEntry | None:
        """Change a deal of the contact as the pipeline board's e does (won or lost close it today)."""
        account = self.account
        pipeline = next((p for p in account.pipelines if p.id == deal.pipeline_id), None) if account else None
        if pipeline is None:
            raise CommandRefused("The deal's pipeline is not known here; reload (r) and try again")
        return await self.run(deal_update(deal, pipeline, changes, self.today()))

    async def delete_history(self, item: HistoryItem) -> StreamEntry | None:
        """Delete a note, call, meeting or deal; u makes it again."""
        label = f"Delete {KIND_NAMES[type(item)]}: {item_title(item)}"
        command: Command
        if isinstance(item, Note):
            command = DeleteNote(contact_id=self.contact_id, item=item, label=label)
        elif isinstance(item, Call):
            command = DeleteCall(contact_id=self.contact_id, item=item, label=label)
        elif isinstance(item, Meeting):
            command = DeleteMeeting(contact_id=self.contact_id, item=item, label=label)
        else:
            command = DeleteDeal(contact_id=self.contact_id, item=item, label=label)
        return await self.run(command)

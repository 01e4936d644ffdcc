"""One contact as its detail screen sees it: a Session narrowed to that contact, plus its history.

`ContactSession` is a `Session` whose stream is the one contact (so every triage command, its
checks, optimistic prediction, revert and undo work exactly as in the action stream) and which also
holds the contact's history: every action (done ones too), deals, notes, calls and meetings.

It shares the backend, account, clock and outbox of the app's main session and keeps its own undo
stack (`u` undoes the last change made on the detail screen). Both views follow the outbox, so a
change made here shows in the stream too; every copy of the contact read from the server here is
handed to the main session as well, so the stream is in step when the person goes back: the
contact is updated, added (now in the user's stream) or removed (no longer in it).

History sections work like the stream: the server's list, with the notes, calls, meetings and
deals still on their way overlaid on it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from crmtui.backends.errors import BackendError
from crmtui.domain.capabilities import Capability
from crmtui.domain.formatting import format_datetime
from crmtui.domain.models import Action, Call, Contact, Deal, Meeting, Note, StreamEntry
from crmtui.domain.stream import conflicting_actions
from crmtui.service.commands import ToggleStar
from crmtui.service.contact_commands import (
    OPEN_ACTIONS_REFUSAL,
    AddTag,
    ChangeOwner,
    ChangeStatus,
    CloseSalesCycle,
    EditContact,
    ForceCloseSalesCycle,
    RemoveTag,
    ReopenSalesCycle,
)
from crmtui.service.contact_history import AddDeal, AddMeeting, AddNote, HistoryCommand, LogCall
from crmtui.service.contact_items import HistoryEdits
from crmtui.service.deal_commands import UpdateDeal
from crmtui.service.errors import CommandRefused
from crmtui.service.commands import Command
from crmtui.service.outbox import DISCARDED, FAILED, SENT, OutboxEvent
from crmtui.service.overlay import SETTLING, SHOWN_CHANGES, Overlay
from crmtui.service.session import STREAM, ContactRef, Session
from crmtui.service.signals import Signal
from crmtui.service.features import contacts_api, deals_api, history_api, stream_api

CONTACT, ACTIONS, DEALS, NOTES, CALLS, MEETINGS = "contact", "actions", "deals", "notes", "calls", "meetings"
SECTIONS = (CONTACT, ACTIONS, DEALS, NOTES, CALLS, MEETINGS)
NEEDS: dict[str, Capability] = {DEALS: Capability.PIPELINES, NOTES: Capability.NOTES, CALLS: Capability.CALLS, MEETINGS: Capability.MEETINGS}
SectionListener = Callable[[str], None]
_CONTACT_ONLY = (ChangeStatus, ChangeOwner, AddTag, RemoveTag, CloseSalesCycle, ReopenSalesCycle, ToggleStar)


def _short(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


class UnexpectedFailure(BackendError):
    """Anything but a BackendError while loading a section: shown in the section, never as a traceback."""


def _section_of(command: Command) -> str | None:
    """The history section a command changes: its own, or the deals for an edit of a deal."""
    if isinstance(command, HistoryCommand):
        return command.section
    return DEALS if isinstance(command, UpdateDeal) else None


class ContactSession(HistoryEdits):
    """The contact `contact_id`, seen by the signed-in user; changes are mirrored into `parent`."""

    shows_new = False

    def __init__(self, parent: Session, contact_id: str) -> None:
        super().__init__(parent.backend, clock=parent._clock, outbox=parent.outbox, rereads=parent.rereads)
        self.parent = parent
        self.contact_id = contact_id
        self.account = parent.account
        self.stream_user_id = parent.user_id
        self.actions: list[Action] | None = None
        """Every action on the contact, of every user, done ones too (None until loaded)."""
        self.history: dict[str, list[Any] | None] = {DEALS: None, NOTES: None, CALLS: None, MEETINGS: None}
        """Each section as shown: the server's list with the changes on their way overlaid."""
        self.sections_overlay: Overlay[str, list[Any]] = Overlay(
            self.outbox, key=self._section_key, predict=self._predict_items, confirm=self._confirm_items
        )
        """The server's list of each history section that has changes overlaid on it."""
        self.errors: dict[str, BackendError] = {}
        """The last loading failure of each section, until it loads."""
        self.section_changes: Signal[frozenset[str] | None] = Signal()
        """Emitted after a section's data (or the contact, "contact") changes, with the sections."""
        if parent.stream_user_id == self.stream_user_id:
            known = parent.server_copy(contact_id)
            if known is not None:  # the header shows at once, then is re-read
                self.entries = [known.model_copy(deep=True)]
                self.sort()
                self._show(contact_id)

    # -- state -------------------------------------------------------------------------------------
    @property
    def current(self) -> StreamEntry | None:
        return self.entry(self.contact_id)

    @property
    def sections(self) -> tuple[str, ...]:
        """The sections this backend can fill."""
        return tuple(s for s in SECTIONS if s not in NEEDS or self.supports(NEEDS[s]))

    @property
    def deals(self) -> list[Deal] | None:
        return self.history[DEALS]

    @property
    def notes(self) -> list[Note] | None:
        return self.history[NOTES]

    @property
    def calls(self) -> list[Call] | None:
        return self.history[CALLS]

    @property
    def meetings(self) -> list[Meeting] | None:
        return self.history[MEETINGS]

    def subscribe_sections(self, listener: SectionListener) -> Callable[[], None]:
        """Call `listener(section)` whenever a section's data (or the contact, "contact") changes."""
        def each(sections: frozenset[str] | None) -> None:
            for section in SECTIONS:
                if sections is None or section in sections:
                    listener(section)

        return self.section_changes.subscribe(each)

    def _section_changed(self, section: str) -> None:
        self.section_changes.emit(frozenset((section,)))

    def _changed(self, contacts: frozenset[str] | None = None) -> None:
        super()._changed(contacts)
        self._section_changed(CONTACT)

    def _mirror(self, fresh: StreamEntry) -> None:
        """Hand the server's copy of the contact to the main session's stream (or take it out)."""
        parent = self.parent
        if parent.account is None or parent.stream_user_id != self.stream_user_id:
            return
        parent.replace_entry(self.contact_id, fresh.model_copy(deep=True) if fresh.in_stream else None)

    # -- loading -----------------------------------------------------------------------------------
    async def load(
        self, sections: Iterable[str] | None = None, on_loaded: SectionListener | None = None
    ) -> None:
        """Fetch the sections (default: all) concurrently; each is shown as soon as it arrives.

        A section that fails keeps its error in `errors` (and its previous data); the others go on.
        """
        wanted = [s for s in (sections or self.sections) if s in self.sections]
        if self.account is None:
            self.account = self.parent.account or await self.parent.connect()
            self.stream_user_id = self.account.user.id

        async def one(section: str) -> None:
            try:
                await self._fetch(section)
            except BackendError as exc:
                self.errors[section] = exc
            except Exception as exc:  # noqa: BLE001 - shown in the section; the other sections go on
                self.errors[section] = UnexpectedFailure(f"Unexpected error: {exc}")
            else:
                self.errors.pop(section, None)
            self._section_changed(section)
            if on_loaded is not None:
                on_loaded(section)

        await asyncio.gather(*(one(s) for s in wanted))

    async def _fetch(self, section: str) -> None:
        backend, cid = self.backend, self.contact_id
        if section == CONTACT:
            await self.refresh_entry(cid)
        elif section == ACTIONS:
            self.actions = await stream_api(backend).contact_actions(cid)
        else:
            fetch: dict[str, Callable[[], Awaitable[list[Any]]]] = {
                DEALS: lambda: deals_api(backend).deals(contact_id=cid),
                NOTES: lambda: history_api(backend).notes(cid),
                CALLS: lambda: history_api(backend).calls(cid),
                MEETINGS: lambda: history_api(backend).meetings(cid),
            }
            started = self.sections_overlay.mark()
            items = list(await fetch[section]())
            if self.sections_overlay.stale(section, started) and self.history[section] is not None:
                return  # read before a change of the section settled: the re-read after it will show it
            _taken, self.history[section] = self.sections_overlay.take(section, items)

    def _section_key(self, command: Command) -> str | None:
        section = _section_of(command) if command.contact_id == self.contact_id else None
        return section if section in self.history else None

    def _predict_items(self, items: list[Any], command: Command) -> list[Any]:
        if isinstance(command, UpdateDeal):
            return [command.apply_to(d) if d.id == command.deal_id else d for d in items]
        return command.predict(list(items), self.now()) if isinstance(command, HistoryCommand) else items

    def _confirm_items(self, items: list[Any], command: Command) -> list[Any]:
        """Confirmed: part of the server's list now, with the item the server made (or changed)."""
        if isinstance(command, UpdateDeal):
            fresh = command.updated
            if fresh is None:
                return self._predict_items(items, command)
            return [fresh.model_copy(update={"pipeline_id": fresh.pipeline_id or d.pipeline_id}) if d.id == command.deal_id else d for d in items]
        return command.settle(self._predict_items(items, command)) if isinstance(command, HistoryCommand) else items

    def _show_section(self, section: str) -> None:
        current = self.history[section]
        if current is None and section not in self.sections_overlay.server:
            return  # not loaded yet: the load shows it with what is on its way
        self.history[section] = self.sections_overlay.shown(section, list(current or []))

    async def refresh_entry(self, contact: ContactRef | None = None) -> StreamEntry | None:
        """Re-read the contact with the user's actions, in their stream or not."""
        started = self.overlay.mark()
        fresh = await contacts_api(self.backend).contact_entry(self.contact_id, user_id=self.stream_user_id)
        fresh.conflicts = fresh.conflicts or conflicting_actions(fresh.next_action, fresh.queued_actions)
        if self.overlay.stale(self.contact_id, started):
            return self.current  # read before a change settled: the re-read after it follows
        self._take_fresh(self.contact_id, fresh)
        if not getattr(self.backend, "stale", False):
            self._mirror(fresh)  # only what the server said now; a copy from the cache could be older
        return self.current

    # -- following the outbox ----------------------------------------------------------------------
    def _on_outbox(self, event: OutboxEvent) -> None:
        command = event.command
        if command.contact_id != self.contact_id and self.contact_id not in self._also(command):
            return
        if command.section == STREAM:
            super()._on_outbox(event)
            return
        section = self.sections_overlay.hear(event)
        if section is None or _section_of(command) is None:
            return
        if event.kind in SHOWN_CHANGES:
            self._show_section(section)
            self._section_changed(section)
        if event.kind in (FAILED, DISCARDED):
            self._forget_undo(command)
        if event.kind in SETTLING and not self.sections_overlay.is_busy(section):
            changes_contact = bool(getattr(command, "changes_contact", False))
            self._spawn(self._after_history(section, changes_contact, event.kind == SENT))

    async def _after_history(self, section: str, changes_contact: bool, sent: bool) -> None:
        await self._quietly(section)  # exact ids and server fields (or what the server kept)
        if changes_contact and sent:
            await self._quietly(CONTACT)

    def _after_settled(self, contact_id: str, event: OutboxEvent) -> None:
        self._spawn(self._after_triage(not isinstance(event.command, _CONTACT_ONLY)))

    async def _after_triage(self, with_actions: bool) -> None:
        await self._quiet_refresh(self.contact_id)
        if with_actions:
            await self._quietly(ACTIONS)  # the done history and team members' actions follow triage

    async def _quietly(self, section: str) -> None:
        """Re-read a section after a change settled; a failure keeps what is shown."""
        try:
            await self._fetch(section)
        except BackendError:
            return
        self.errors.pop(section, None)
        self._section_changed(section)

    def _holds(self, contact_id: str) -> bool:
        return contact_id == self.contact_id

    drops_outsiders = False
    rereads_answered = True  # the history (done actions, colleagues' actions) follows triage

    # -- contact commands --------------------------------------------------------------------------
    def _require(self) -> StreamEntry:
        entry = self.current
        if entry is None:
            raise CommandRefused("The contact is still loading; try again in a moment")
        return entry

    async def change_status(self, status_id: str) -> StreamEntry | None:
        contact = self._require().contact
        account = self.account
        text = next((s.text for s in account.statuses if s.id == status_id), status_id) if account else status_id
        return await self.run(ChangeStatus(
            contact_id=self.contact_id, status_id=status_id, status=text,
            previous_id=contact.status_id, previous=contact.status, read_at=contact.modified_at, label=f"Status: {text}",
        ))

    async def edit_contact(self, edited: Contact) -> StreamEntry | None:
        """Save the contact form: its fields as one change, and a new owner as a change of owner
        (which takes the contact's open actions along, as `o` does)."""
        contact = self._require().contact
        if edited.company_name != contact.company_name:
            edited = edited.model_copy(update={"company_id": ""})  # a company by another name: found or made by it
        owner = edited.owner_id
        edit = EditContact(
            contact_id=self.contact_id, contact=edited.model_copy(update={"owner_id": contact.owner_id}),
            previous=contact, label=f"Edit: {edited.name}",
        )
        moving = bool(owner) and owner != contact.owner_id
        shown: StreamEntry | None = None
        if edit.changed():
            shown = await self.run(edit)
        elif not moving:
            raise CommandRefused("Nothing was changed")
        if moving:
            shown = await self.change_owner(owner)
        return shown

    def owner_command(self, owner_id: str) -> ChangeOwner:
        """The change of owner, to run here or on the app's session (giving the contact away)."""
        contact = self._require().contact
        name = self.account.user_name(owner_id) if self.account else owner_id
        return ChangeOwner(
            contact_id=self.contact_id, owner_id=owner_id, previous_id=contact.owner_id, read_at=contact.modified_at,
            label=f"Owner: {name}",
        )

    async def change_owner(self, owner_id: str) -> StreamEntry | None:
        return await self.run(self.owner_command(owner_id))

    async def add_tag(self, tag: str) -> StreamEntry | None:
        self._require()
        tag = tag.strip()
        return await self.run(AddTag(contact_id=self.contact_id, tag=tag, label=f"Tag: {tag}"))

    async def remove_tag(self, tag: str) -> StreamEntry | None:
        self._require()
        return await self.run(RemoveTag(contact_id=self.contact_id, tag=tag, label=f"Untag: {tag}"))

    def open_actions_of_mine(self) -> list[Action]:
        """The signed-in user's open actions on the contact (what keeps the sales cycle from closing)."""
        me = self.user_id or ""
        known = self.actions
        if known is None:
            entry = self.current
            known = [a for a in [entry.next_action, *entry.queued_actions] if a is not None] if entry else []
        return [a for a in known if not a.done and a.assignee_id in ("", me)]

    async def close_sales_cycle(self, comment: str) -> StreamEntry | None:
        self._require()
        if self.open_actions_of_mine():
            raise CommandRefused(OPEN_ACTIONS_REFUSAL)
        return await self.run(CloseSalesCycle(
            contact_id=self.contact_id, comment=comment.strip(), user_id=self.user_id or "", label="Close sales cycle",
        ))

    async def force_close_sales_cycle(self, comment: str) -> StreamEntry | None:
        """Close the sales cycle although the user has open actions here: they are deleted first."""
        self._require()
        going = self.open_actions_of_mine()
        return await self.run(ForceCloseSalesCycle(
            contact_id=self.contact_id, comment=comment.strip(), user_id=self.user_id or "", actions=going,
            label=f"Close sales cycle, deleting {len(going)} action{'' if len(going) == 1 else 's'}",
        ))

    async def reopen_sales_cycle(self) -> StreamEntry | None:
        contact = self._require().contact
        return await self.run(ReopenSalesCycle(
            contact_id=self.contact_id, comment=contact.sales_closed_comment, user_id=self.user_id or "",
            label="Reopen sales cycle",
        ))

    # -- history commands --------------------------------------------------------------------------
    async def add_note(self, text: str) -> StreamEntry | None:
        return await self.run(AddNote(contact_id=self.contact_id, text=text.strip(), label=f"Note: {_short(text)}"))

    async def log_call(self, call_result: str, text: str = "", phone_number: str = "") -> StreamEntry | None:
        command = LogCall(
            contact_id=self.contact_id, text=text.strip(), call_result=call_result, phone_number=phone_number,
            label=f"Call: {self.call_result_text(call_result) if call_result else _short(text)}",
        )
        return await self.run(command)

    async def add_meeting(self, text: str, when: dt.datetime, place: str = "") -> StreamEntry | None:
        when_text = format_datetime(when, self.account) if self.account else ""
        label = f"Meeting: {_short(text) or when_text}"
        return await self.run(AddMeeting(contact_id=self.contact_id, text=text.strip(), when=when, place=place.strip(), label=label))

    async def add_deal(self, name: str, **fields: Any) -> StreamEntry | None:
        return await self.run(AddDeal(contact_id=self.contact_id, name=name.strip(), label=f"Deal: {name.strip()}", **fields))

    def call_result_text(self, result_id: str) -> str:
        account = self.account
        found = next((c.text for c in account.call_results if c.id == result_id), None) if account else None
        return found or result_id.replace("_", " ").capitalize()

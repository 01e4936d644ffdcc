"""One row of the outbox as the app sees it, read tolerantly.

A row that cannot be understood (its command is not JSON, a time is not a time, a state this
version does not know) is still returned, with `problem` saying what is wrong in words: the app
keeps it for review instead of failing to start or skipping it without a word.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from crmtui.domain.subjects import contact_of, contact_subject
from crmtui.domain.text import inert_line, inert_text

UTC = dt.timezone.utc


class State(str, Enum):
    QUEUED = "queued"
    SENDING = "sending"
    DONE = "done"
    FAILED = "failed"
    CONFLICT = "conflict"


UNSETTLED = (State.QUEUED, State.SENDING)
"""States the sender still has to act on."""
REVIEW = (State.FAILED, State.CONFLICT)
"""States that wait for the user."""


@dataclass
class Change:
    """One row of the outbox."""

    id: int
    created_at: dt.datetime
    kind: str
    subject: str
    """What the change is about (`contact:<id>`; '' for a change about no record in particular)."""
    label: str
    command: dict[str, Any]
    state: State
    attempts: int = 0
    next_try: float = 0.0
    error: str = ""
    """The last failure in words (the server's reason for a failed change)."""
    detail: str = ""
    """For a conflict: what changed on the server."""
    result: dict[str, Any] = field(default_factory=dict)
    force: bool = False
    """The user chose to apply it although the record changed on the server."""
    sent_after: dt.datetime | None = None
    """The server's clock just before the first attempt: anything the change created is newer."""
    settled_at: dt.datetime | None = None
    problem: str = ""
    """Why the change cannot be read (damaged in the file, or made by another version): never sent."""

    @property
    def unsettled(self) -> bool:
        return self.state in UNSETTLED

    @property
    def contact_id(self) -> str:
        """The contact the change is about ('' when its subject is not a contact)."""
        return contact_of(self.subject)


COLUMN_NAMES = (
    "id", "created_at", "kind", "subject", "label", "command", "state", "attempts", "next_try", "error",
    "detail", "result", "force", "sent_after", "settled_at",
)
COLUMNS = ", ".join(COLUMN_NAMES)


def moment(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    found = dt.datetime.fromisoformat(text)
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


class _Damaged(ValueError):
    """One field of a row cannot be read; the message says which, in words."""


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _when(value: Any, what: str) -> dt.datetime | None:
    if value is None or value == "":
        return None
    try:
        return moment(str(value))
    except (TypeError, ValueError):
        raise _Damaged(f"its {what} is damaged") from None


def _number(value: Any, kind: type, what: str) -> Any:
    if value is None:
        return kind(0)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Damaged(f"its {what} is damaged")
    return kind(value)


def _json(value: Any, what: str) -> dict[str, Any]:
    try:
        data = json.loads(value) if isinstance(value, (str, bytes)) else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise _Damaged(f"its {what} is damaged")
    return data


def _subject(values: Mapping[str, Any]) -> str:
    """The row's subject; a row of a file from before subjects (schema 2) names its contact instead."""
    if "subject" in values:
        return _text(values.get("subject"))
    contact_id = _text(values.get("contact_id"))
    return contact_subject(contact_id) if contact_id else ""


def parse(values: Mapping[str, Any]) -> Change:
    """A Change from a row's columns (by name); a column missing from `values` takes its default.

    Never raises for what a row holds: what cannot be read goes into `problem`.
    """
    change = Change(
        id=values["id"] if isinstance(values.get("id"), int) else 0,
        created_at=dt.datetime.fromtimestamp(0, UTC),
        kind=_text(values.get("kind")),
        subject=_subject(values),
        label=inert_line(_text(values.get("label"))),  # a file's words: drawn, never obeyed
        command={},
        state=State.FAILED,
        error=inert_text(_text(values.get("error"))),
        detail=inert_text(_text(values.get("detail"))),
    )
    problems: list[str] = []

    def read(step: Callable[[], None]) -> None:  # each field on its own: one damaged field does not hide the others
        try:
            step()
        except _Damaged as exc:
            problems.append(str(exc))

    def state() -> None:
        raw = values.get("state")
        try:
            change.state = State(raw)
        except ValueError:
            raise _Damaged(f"it is marked “{_text(raw)[:20]}”, which this crmtui does not know") from None

    def created() -> None:
        found = _when(values.get("created_at"), "date")
        if found is None:
            raise _Damaged("its date is missing")
        change.created_at = found

    def command() -> None:
        change.command = _json(values.get("command"), "content")

    def counters() -> None:
        change.attempts = _number(values.get("attempts"), int, "count of attempts")
        change.next_try = _number(values.get("next_try"), float, "time of the next attempt")
        change.force = bool(_number(values.get("force"), int, "choice of version"))

    def sent_after() -> None:
        change.sent_after = _when(values.get("sent_after"), "record of an earlier attempt")

    if change.id == 0:
        problems.append("its number is damaged")
    for step in (state, created, command, counters, sent_after):
        read(step)
    if not change.kind:
        problems.append("its kind is missing")
    if change.state is State.DONE or not problems:
        try:  # only a confirmed change uses these; a damaged one there does not stop it
            change.result = _json(values.get("result") or "{}", "result")
        except _Damaged:
            change.result = {}
        try:
            change.settled_at = _when(values.get("settled_at"), "time")
        except _Damaged:
            change.settled_at = None
    change.problem = "; ".join(problems)
    return change


def parse_row(row: tuple[object, ...]) -> Change:
    """A Change from a `SELECT {COLUMNS}` row."""
    return parse(dict(zip(COLUMN_NAMES, row)))

"""Subjects: which record a change is about, as one text key the outbox can store and compare.

`contact:<id>` today; later `lead:<id>` (Pipedrive) and `record:<module>/<id>` (Crust). Changes of
one subject are overlaid on that record's view until the server has them (`Outbox.busy(subject)`).
A subject always holds a colon, which no record id of these backends does.
"""

from __future__ import annotations

CONTACT = "contact"


def subject(kind: str, record_id: str) -> str:
    return f"{kind}:{record_id}"


def contact_subject(contact_id: str) -> str:
    return subject(CONTACT, contact_id)


def subject_id(key: str, kind: str) -> str | None:
    """The record id of a subject of `kind` (None when the subject is of another kind)."""
    prefix = f"{kind}:"
    return key[len(prefix):] if key.startswith(prefix) else None


def contact_of(key: str) -> str:
    """The contact a subject names ('' when it names no contact)."""
    return subject_id(key, CONTACT) or ""


def is_subject(key: str) -> bool:
    kind, colon, _rest = key.partition(":")
    return bool(kind and colon)

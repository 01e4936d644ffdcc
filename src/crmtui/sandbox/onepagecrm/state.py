"""The sandbox's in-memory state: tables of wire-shaped documents, indexes, a clock and a lock.

Documents are kept in OnePageCRM's JSON shape so serving them is cheap; keys starting with "_" are
sandbox bookkeeping and never leave the server. Every write goes through `write()`, which holds the
lock, wraps the SQLite write-through in one transaction and drops the cached stream orders.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

from crmtui.sandbox.onepagecrm.persist import KINDS, Store

UTC = dt.timezone.utc


class ApiError(Exception):
    """An error answer in OnePageCRM's shape: {status, message, error_name, error_message, errors}."""

    def __init__(
        self,
        status: int,
        message: str,
        error_name: str,
        error_message: str = "",
        errors: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_name = error_name
        self.error_message = error_message or message
        self.errors = errors or {}

    def body(self) -> dict:
        return {
            "status": self.status,
            "message": self.message,
            "error_name": self.error_name,
            "error_message": self.error_message,
            "errors": self.errors,
        }


def not_found(what: str = "Resource") -> ApiError:
    return ApiError(404, "Resource not found", "resource_not_found", f"{what} not found")


def invalid(errors: dict[str, str], message: str = "Invalid request data") -> ApiError:
    return ApiError(400, message, "invalid_request_data", "; ".join(errors.values()) or message, errors)


def precondition(error_name: str, error_message: str) -> ApiError:
    return ApiError(409, "Precondition failed", error_name, error_message)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def public(doc: dict) -> dict:
    """A document without the sandbox's private keys and without nulls (the spec has no nullable)."""
    return {k: v for k, v in doc.items() if not k.startswith("_") and v is not None}


class SandboxState:
    def __init__(self, store: Store, *, today: dt.date | None = None) -> None:
        self.store = store
        self.lock = threading.RLock()
        self.fixed_today = today
        real_now = dt.datetime.now(UTC)
        if today is None:
            self._offset = dt.timedelta(0)
        else:
            start = dt.datetime.combine(today, real_now.time().replace(tzinfo=None), tzinfo=UTC)
            self._offset = start - real_now
        self.tables: dict[str, dict[str, dict]] = {kind: {} for kind in KINDS}
        self.account: dict = {}
        self.actions_by_contact: dict[str, set[str]] = defaultdict(set)
        self.deals_by_contact: dict[str, set[str]] = defaultdict(set)
        self.contacts_by_owner: dict[str, set[str]] = defaultdict(set)
        self.api_keys: dict[str, str] = {}
        self.version = 0
        self.cache: dict = {}

    # -- clock ------------------------------------------------------------------------------------

    def now(self) -> dt.datetime:
        return (dt.datetime.now(UTC) + self._offset).replace(microsecond=0)

    def today(self) -> dt.date:
        return self.fixed_today if self.fixed_today is not None else self.now().date()

    def now_iso(self) -> str:
        return iso(self.now())

    def timestamp(self) -> int:
        return int(self.now().timestamp())

    # -- records ----------------------------------------------------------------------------------

    @staticmethod
    def new_id() -> str:
        return secrets.token_hex(12)

    def get(self, kind: str, doc_id: str, what: str | None = None) -> dict:
        doc = self.tables[kind].get(doc_id)
        if doc is None:
            raise not_found(what or kind.rstrip("s").replace("_", " ").capitalize())
        return doc

    def save(self, kind: str, doc: dict, *, touch: bool = True) -> dict:
        if touch:
            doc["modified_at"] = self.now_iso()
        old = self.tables[kind].get(doc["id"])
        self._unindex(kind, old)
        self.tables[kind][doc["id"]] = doc
        self._index(kind, doc)
        self.store.put(kind, doc)
        return doc

    def remove(self, kind: str, doc_id: str) -> None:
        old = self.tables[kind].pop(doc_id, None)
        self._unindex(kind, old)
        self.store.delete(kind, doc_id)

    def _index(self, kind: str, doc: dict | None) -> None:
        if doc is None:
            return
        if kind == "actions":
            self.actions_by_contact[doc["contact_id"]].add(doc["id"])
        elif kind == "deals":
            self.deals_by_contact[doc["contact_id"]].add(doc["id"])
        elif kind == "contacts":
            self.contacts_by_owner[doc.get("owner_id", "")].add(doc["id"])
        elif kind == "users":
            self.api_keys[doc["id"]] = doc["_api_key"]

    def _unindex(self, kind: str, doc: dict | None) -> None:
        if doc is None:
            return
        if kind == "actions":
            self.actions_by_contact[doc["contact_id"]].discard(doc["id"])
        elif kind == "deals":
            self.deals_by_contact[doc["contact_id"]].discard(doc["id"])
        elif kind == "contacts":
            self.contacts_by_owner[doc.get("owner_id", "")].discard(doc["id"])

    def load(self, tables: dict[str, dict[str, dict]], account: dict) -> None:
        """Replace everything (seeding or loading from the store) and rebuild the indexes."""
        with self.lock:
            self.tables = {kind: dict(tables.get(kind, {})) for kind in KINDS}
            self.account = account
            self.actions_by_contact.clear()
            self.deals_by_contact.clear()
            self.contacts_by_owner.clear()
            self.api_keys.clear()
            for kind, docs in self.tables.items():
                for doc in docs.values():
                    self._index(kind, doc)
            self.version += 1
            self.cache.clear()

    def save_account(self) -> None:
        self.store.set_meta("account", self.account)

    @contextmanager
    def write(self) -> Iterator[SandboxState]:
        """Hold the lock for one write request; all of it reaches SQLite or none of it does."""
        with self.lock:
            self.store.begin()
            try:
                yield self
            except ApiError:
                # Routes validate before they change anything, so memory is still as it was.
                self.store.rollback()
                raise
            except BaseException:
                self.store.rollback()
                self._reload()
                raise
            else:
                self.store.commit()
            finally:
                self.version += 1
                self.cache.clear()

    def _reload(self) -> None:
        # A failed write may have changed memory half-way: go back to what SQLite holds.
        self.load({kind: self.store.load(kind) for kind in KINDS}, self.store.get_meta("account") or {})

    # -- users ------------------------------------------------------------------------------------

    def users(self) -> list[dict]:
        return sorted(self.tables["users"].values(), key=lambda u: u.get("_order", 0))

    def main_user(self) -> dict:
        return self.users()[0]

    def authenticate(self, user_id: str, api_key: str) -> dict | None:
        expected = self.api_keys.get(user_id)
        if expected is None or not secrets.compare_digest(expected.encode(), api_key.encode()):
            return None
        return self.tables["users"][user_id]

    def user_name(self, user_id: str) -> str:
        user = self.tables["users"].get(user_id)
        return f"{user['first_name']} {user['last_name']}" if user else ""

    # -- helpers used by several routes -----------------------------------------------------------

    def open_actions(self, contact_id: str, assignee_id: str | None = None) -> list[dict]:
        table = self.tables["actions"]
        found = [table[a] for a in self.actions_by_contact.get(contact_id, ()) if not table[a].get("done")]
        if assignee_id is not None:
            found = [a for a in found if a.get("assignee_id") == assignee_id]
        return found

    def contact_deals(self, contact_id: str) -> list[dict]:
        table = self.tables["deals"]
        return [table[d] for d in self.deals_by_contact.get(contact_id, ())]

    def notify(self, user_id: str, by_user_id: str, kind: str, contact_id: str, title: str, body: str) -> None:
        """Tell `user_id` that `by_user_id` did something on a contact (e.g. assigned an action)."""
        if not user_id or user_id == by_user_id or user_id not in self.tables["users"]:
            return
        now = self.now_iso()
        self.save(
            "notifications",
            {
                "id": self.new_id(),
                "type": kind,
                "by": self.user_name(by_user_id),
                "read": False,
                "user_id": user_id,
                "contact_id": contact_id,
                "created_at": now,
                "modified_at": now,
                "mobile_data": {"title": title, "body": body, "action_type": kind},
            },
            touch=False,
        )

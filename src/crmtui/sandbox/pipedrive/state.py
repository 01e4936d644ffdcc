"""The Pipedrive sandbox's state: wire-shaped documents per table, a clock tests can move, a lock.

Documents are kept in Pipedrive's JSON shape; keys starting with "_" are sandbox bookkeeping (a
user's token, a filter's conditions on the list) and never leave the server. Every write goes
through `write()`, which holds the lock and wraps the SQLite write-through in one transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid

from crmtui.sandbox.common import Clock, SeededState
from crmtui.sandbox.onepagecrm.persist import Store

__all__ = ["ApiError", "Clock", "PipedriveState", "invalid", "is_admin", "iso_ms", "not_found", "plain", "public"]

UTC = dt.timezone.utc
KINDS = (
    "users", "persons", "organizations", "leads", "lead_labels", "filters", "lead_fields", "files", "goals", "events", "teams",
    "activities",
)
SCHEMA_VERSION = 3
"""3: activities (a file of version 2 has none: seeded afresh)."""
BACKEND = "pipedrive"
"""Kept in the file's meta table, so a file of the OnePageCRM sandbox is refused, not mixed."""


class ApiError(Exception):
    """An error answer in Pipedrive's envelope: {success: false, error, error_info, data: null, additional_data: null}."""

    def __init__(self, status: int, error: str, error_info: str = "", **extra: object) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.error_info = error_info
        self.extra = extra

    def body(self) -> dict:
        return {
            "success": False, "error": self.error, **self.extra, "error_info": self.error_info,
            "data": None, "additional_data": None,
        }


def invalid(info: str) -> ApiError:
    """A Joi-style validation error, as the real API answers a bad body or parameter."""
    return ApiError(400, "provided dataset is not valid", info)


def not_found(what: str) -> ApiError:
    return ApiError(404, f"requested {what} not found", "Object was not found.")


def iso_ms(moment: dt.datetime) -> str:
    """Leads' and labels' timestamps: `2020-10-14T11:30:36.551Z`."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def plain(moment: dt.datetime) -> str:
    """Users', filters' and persons' timestamps: `2019-01-22 08:55:59` (UTC, no zone)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def public(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if not k.startswith("_")}


def is_admin(user: dict) -> bool:
    return any(grant.get("app") == "sales" and grant.get("admin") for grant in user.get("access") or [])


class PipedriveState(SeededState):
    KINDS = KINDS
    BACKEND = BACKEND
    SCHEMA_VERSION = SCHEMA_VERSION
    ERROR = ApiError  # routes validate before they change anything: rolled back

    def __init__(self, store: Store, clock: Clock) -> None:
        super().__init__(store, clock)
        self.tokens: dict[str, dict] = {}
        self.base_url = ""
        """The API's base URL as served (files' `url`), set once the server listens."""
        self.max_file_bytes = 1024 * 1024
        self.download_host: str | None = None
        """With --redirect-downloads: the file host's base URL; downloads answer 302 to a ticket there."""
        self.tickets: dict[str, tuple[str, float]] = {}
        """Download tickets on the file host: key -> (file id, expiry on the sandbox clock); memory only."""

    def loaded(self) -> None:
        self.tokens = {u["_api_token"]: u for u in self.tables["users"].values()}

    # -- records ----------------------------------------------------------------------------------

    def now_ms(self) -> str:
        return iso_ms(self.clock.now())

    @staticmethod
    def new_uuid() -> str:
        return str(uuid.uuid4())

    def next_int_id(self, kind: str) -> str:
        return str(max((int(k) for k in self.tables[kind]), default=0) + 1)

    def users(self) -> list[dict]:
        return sorted(self.tables["users"].values(), key=lambda u: u["id"])
